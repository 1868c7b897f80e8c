"""/api/v1/reminders/: list, create, read, change, delete, complete, snooze and cancel; one's own only,
and every bad input a 400 naming its field with nothing written."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.services import create_api_key
from preferences.services import update_preferences
from reminders.models import LEAD_MINUTES_MAX, Reminder, ReminderStatus
from reminders.recurrence import Schedule
from reminders.tests.factories import ReminderFactory

pytestmark = pytest.mark.django_db


def make_reminder(**fields: Any) -> Reminder:
    """A reminder through its factory (typed for mypy: a factory call reads as the factory)."""
    made: Reminder = ReminderFactory.create(**fields)
    return made


URL = "/api/v1/reminders/"
FUTURE = date(2030, 3, 4)  # a Monday, before Europe's and America's clocks change that year


def detail_url(reminder: Reminder | str) -> str:
    return f"{URL}{getattr(reminder, 'pk', reminder)}/"


def _json(client: Client, method: str, url: str, data: Any = None) -> Any:
    if method in ("get", "delete") or data is None:
        return getattr(client, method)(url)
    body = data if isinstance(data, str) else json.dumps(data if data is not None else {})
    return getattr(client, method)(url, body, content_type="application/json")


@pytest.fixture
def as_alice(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def _create(client: Client, **fields: Any) -> Any:
    body = {
        "title": "Back up the database",
        "start_date": FUTURE.isoformat(),
        "start_time": "09:00",
        **fields,
    }
    return _json(client, "post", URL, body)


# --- Create and read ------------------------------------------------------------------------------


def test_create_takes_the_person_s_defaults_and_answers_the_detail(as_alice: Client, alice: User) -> None:
    update_preferences(user=alice, time_zone="Europe/Madrid", lead_minutes=60, notify_email=False)
    response = _create(as_alice, recurrence="weekly")
    assert response.status_code == 201, response.json()
    body = response.json()
    reminder = Reminder.objects.get(user=alice)
    assert body["id"] == str(reminder.pk)
    assert body["title"] == "Back up the database"
    assert body["type"] == "custom"
    assert body["time_zone"] == "Europe/Madrid"
    assert body["lead_minutes"] == 60
    assert body["notify_email"] is False
    assert body["notify_in_app"] is True
    assert body["recurrence"] == "weekly"
    assert body["rule"] == "FREQ=WEEKLY;BYDAY=MO"
    assert body["status"] == "pending"
    # 09:00 in Madrid (CET, UTC+1) on 4 March 2030; notified an hour before.
    assert body["due_at"] == "2030-03-04T08:00:00Z"
    assert body["next_fire_at"] == "2030-03-04T07:00:00Z"
    assert body["next_occurrences"] == [
        "2030-03-04T08:00:00Z",
        "2030-03-11T08:00:00Z",
        "2030-03-18T08:00:00Z",
        "2030-03-25T08:00:00Z",
        "2030-04-01T07:00:00Z",  # Madrid is on summer time (UTC+2) from 31 March
    ]


def test_create_with_every_field(as_alice: Client, alice: User) -> None:
    integration = uuid.uuid4()
    response = _create(
        as_alice,
        title="  Check   the dashboard ",
        description="Errors and latency.",
        type="check_performance",
        time_zone="America/New_York",
        recurrence="cron",
        rule="0  9 * * 1-5",
        lead_minutes=0,
        notify_email=True,
        notify_in_app=False,
        related_project="Shop",
        action_url="https://example.com/dashboard",
        related_integration_id=str(integration),
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["title"] == "Check the dashboard"  # the service's cleaning, as the form's
    assert body["type"] == "check_performance"
    assert body["rule"] == "0 9 * * 1-5"
    assert body["due_at"] == "2030-03-04T14:00:00Z"  # 09:00 EST
    assert body["next_fire_at"] == body["due_at"]
    assert body["related_integration_id"] == str(integration)
    assert body["next_occurrences"][:3] == [
        "2030-03-04T14:00:00Z",
        "2030-03-05T14:00:00Z",
        "2030-03-06T14:00:00Z",
    ]
    reminder = Reminder.objects.get(user=alice)
    assert (reminder.reminder_type, reminder.related_project) == ("check_performance", "Shop")


def test_a_time_in_the_spring_gap_is_read_with_the_offset_before_it(as_alice: Client) -> None:
    # 02:30 doesn't exist in New York on 10 March 2030: it fires at 03:30 EDT (07:30Z), not never.
    response = _create(
        as_alice,
        start_date="2030-03-10",
        start_time="02:30",
        time_zone="America/New_York",
        recurrence="daily",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["next_occurrences"][:2] == ["2030-03-10T07:30:00Z", "2030-03-11T06:30:00Z"]


def test_read_one_with_its_next_occurrences(as_alice: Client, alice: User) -> None:
    reminder = make_reminder(user=alice, title="Renew the domain", recurrence="yearly")
    body = as_alice.get(detail_url(reminder)).json()
    assert body["title"] == "Renew the domain"
    assert len(body["next_occurrences"]) == 5
    years = [datetime.fromisoformat(item).year for item in body["next_occurrences"]]
    assert years == sorted(years)
    assert len(set(years)) == 5


def test_the_list_is_paginated_soonest_first_without_next_occurrences(as_alice: Client, alice: User) -> None:
    today = timezone.now().date()
    later = make_reminder(user=alice, title="later", start_date=today + timedelta(days=9))
    sooner = make_reminder(user=alice, title="sooner", start_date=today + timedelta(days=2))
    body = as_alice.get(URL, {"page_size": 1}).json()
    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [str(sooner.pk)]
    assert "next_occurrences" not in body["results"][0]
    assert body["next"] is not None
    second = as_alice.get(URL, {"page_size": 1, "page": 2}).json()
    assert [item["id"] for item in second["results"]] == [str(later.pk)]
    assert as_alice.get(URL, {"page": 3, "page_size": 1}).status_code == 404


def test_the_list_filters_by_status_type_and_due_range(as_alice: Client, alice: User) -> None:
    update_preferences(user=alice, time_zone="Asia/Tokyo")  # UTC+9: dates are read in Tokyo

    def made(day: int, **fields: Any) -> Reminder:
        start = FUTURE + timedelta(days=day)
        return make_reminder(user=alice, start_date=start, start_time=time(18, 0), time_zone="UTC", **fields)

    first = made(0, reminder_type="backup")  # 2030-03-04T18:00Z, 03:00 on the 5th in Tokyo
    second = made(1)  # 2030-03-05T18:00Z
    third = made(2, reminder_type="backup")  # 2030-03-06T18:00Z
    as_alice.post(f"{detail_url(third)}cancel/")

    def ids(**query: str) -> list[str]:
        response = as_alice.get(URL, query)
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["results"]]

    assert ids(status="cancelled") == [str(third.pk)]
    assert ids(status="pending") == [str(first.pk), str(second.pk)]
    assert ids(type="backup") == [str(first.pk), str(third.pk)]
    assert ids(type="backup", status="pending") == [str(first.pk)]
    # After is inclusive, before exclusive; an offset is read as written.
    assert ids(due_after="2030-03-05T18:00:00Z") == [str(second.pk), str(third.pk)]
    assert ids(due_before="2030-03-05T19:00:00+01:00") == [str(first.pk)]
    assert ids(due_after="2030-03-04T19:00:00+01:00", due_before="2030-03-06T18:00:00Z") == [
        str(first.pk),
        str(second.pk),
    ]
    # A date is the start of that day in the person's zone: the 5th starts at 15:00Z on the 4th.
    assert ids(due_before="2030-03-05") == []
    assert ids(due_before="2030-03-06") == [str(first.pk)]
    assert ids(due_after="2030-03-06", due_before="2030-03-07") == [str(second.pk)]
    # An empty value is no filter.
    assert ids(status="", type="", due_after="", due_before=" ") == [
        str(r.pk) for r in (first, second, third)
    ]
    # Seconds are accepted and dropped, as the form does.
    assert as_alice.get(detail_url(first)).json()["start_time"] == "18:00"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("status", "done"),
        ("type", "chores"),
        ("due_after", "2030-03-05T09:00:00"),  # no offset: whose 09:00?
        ("due_before", "2030-03-05 09:00"),
        ("due_after", "tomorrow"),
        ("due_before", "2030-02-30"),
        ("due_after", "9999-12-31T23:00:00-10:00"),  # past what a datetime holds, in UTC
        ("due_before", "0001-01-01"),
        ("due_after", "x" * 100_000),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(as_alice: Client, alice: User, name: str, value: str) -> None:
    if name == "due_before" and value.startswith("0001"):
        update_preferences(user=alice, time_zone="Asia/Tokyo")  # the day starts before year 1 in UTC
    make_reminder(user=alice)
    response = as_alice.get(URL, {name: value})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    assert list(body["fields"]) == [name]


# --- Change and delete ----------------------------------------------------------------------------


def test_patch_changes_only_what_is_sent(as_alice: Client, alice: User) -> None:
    reminder = make_reminder(user=alice, title="Old", description="Keep me", recurrence="daily")
    response = _json(as_alice, "patch", detail_url(reminder), {"title": "New", "lead_minutes": 30})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["title"], body["description"], body["lead_minutes"]) == ("New", "Keep me", 30)
    assert body["due_at"] == reminder.due_at.isoformat().replace("+00:00", "Z")
    reminder.refresh_from_db()
    assert (reminder.title, reminder.lead_minutes, reminder.recurrence) == ("New", 30, "daily")
    assert reminder.next_fire_at == reminder.due_at - timedelta(minutes=30)


def test_patch_of_the_schedule_restarts_the_series(as_alice: Client, alice: User) -> None:
    reminder = make_reminder(user=alice)
    response = _json(
        as_alice, "patch", detail_url(reminder), {"start_date": "2030-03-06", "start_time": "18:15"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["due_at"] == "2030-03-06T18:15:00Z"
    assert response.json()["start_time"] == "18:15"


def test_put_replaces_the_reminder_and_unsent_fields_take_their_defaults(
    as_alice: Client, alice: User
) -> None:
    reminder = make_reminder(
        user=alice, title="Old", description="Old text", reminder_type="backup", lead_minutes=5
    )
    update_preferences(user=alice, lead_minutes=120)
    response = _json(
        as_alice,
        "put",
        detail_url(reminder),
        {"title": "Fresh", "start_date": "2030-03-05", "start_time": "10:00", "recurrence": "monthly"},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == str(reminder.pk)
    assert (body["title"], body["description"], body["type"]) == ("Fresh", "", "custom")
    assert body["lead_minutes"] == 120
    assert body["rule"] == "FREQ=MONTHLY;BYMONTHDAY=5"
    assert Reminder.objects.filter(user=alice).count() == 1
    # A replacement needs what a creation needs.
    missing = _json(as_alice, "put", detail_url(reminder), {"title": "No date"})
    assert missing.status_code == 400
    assert set(missing.json()["fields"]) == {"start_date", "start_time"}


def test_read_only_fields_are_ignored_and_unknown_ones_refused(as_alice: Client, alice: User) -> None:
    reminder = make_reminder(user=alice)
    sent_back = as_alice.get(detail_url(reminder)).json() | {"title": "Round trip", "status": "completed"}
    response = _json(as_alice, "put", detail_url(reminder), sent_back)
    assert response.status_code == 200, response.json()
    assert (response.json()["title"], response.json()["status"]) == ("Round trip", "pending")

    misspelt = _json(as_alice, "patch", detail_url(reminder), {"titel": "Typo"})
    assert misspelt.status_code == 400
    assert misspelt.json()["fields"] == {"titel": ["Unknown field."]}


def test_delete(as_alice: Client, alice: User) -> None:
    reminder = make_reminder(user=alice)
    assert as_alice.delete(detail_url(reminder)).status_code == 204
    assert not Reminder.objects.filter(pk=reminder.pk).exists()
    assert as_alice.delete(detail_url(reminder)).status_code == 404
    assert as_alice.get(detail_url(reminder)).status_code == 404


# --- Actions --------------------------------------------------------------------------------------


def test_complete_a_one_off_then_it_is_closed(as_alice: Client, alice: User) -> None:
    reminder = make_reminder(user=alice)
    response = _json(as_alice, "post", f"{detail_url(reminder)}complete/", {"series": False})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "completed"
    assert body["completed_at"] is not None
    assert body["next_fire_at"] is None
    assert body["next_occurrences"] == []
    again = _json(as_alice, "post", f"{detail_url(reminder)}complete/", {})
    assert again.status_code == 409
    assert again.json()["error"] == "reminder_closed"


def test_complete_a_recurring_one_moves_it_on_and_series_ends_it(as_alice: Client, alice: User) -> None:
    reminder = make_reminder(user=alice, recurrence="daily")
    first_due = reminder.due_at
    response = _json(as_alice, "post", f"{detail_url(reminder)}complete/", {})  # series defaults to false
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "pending"
    reminder.refresh_from_db()
    assert reminder.due_at == first_due + timedelta(days=1)

    ended = _json(as_alice, "post", f"{detail_url(reminder)}complete/", {"series": True})
    assert ended.json()["status"] == "completed"
    assert Reminder.objects.get(pk=reminder.pk).status == ReminderStatus.COMPLETED


@pytest.mark.parametrize(("preset", "minutes"), [("10m", 10), ("1h", 60)])
def test_snooze_by_preset(as_alice: Client, alice: User, preset: str, minutes: int) -> None:
    reminder = make_reminder(user=alice)
    before = timezone.now()
    response = _json(as_alice, "post", f"{detail_url(reminder)}snooze/", {"preset": preset})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "snoozed"
    reminder.refresh_from_db()
    assert reminder.snoozed_until is not None
    assert (
        before + timedelta(minutes=minutes)
        <= reminder.snoozed_until
        <= timezone.now() + timedelta(minutes=minutes)
    )
    assert reminder.next_fire_at == reminder.snoozed_until


def test_snooze_until_tomorrow_morning_in_the_person_s_zone(as_alice: Client, alice: User) -> None:
    update_preferences(user=alice, time_zone="Asia/Tokyo")
    reminder = make_reminder(user=alice)
    response = _json(as_alice, "post", f"{detail_url(reminder)}snooze/", {"preset": "tomorrow"})
    assert response.status_code == 200, response.json()
    until = datetime.fromisoformat(response.json()["snoozed_until"])
    from zoneinfo import ZoneInfo

    local = until.astimezone(ZoneInfo("Asia/Tokyo"))
    assert local.time() == time(9, 0)
    assert local.date() == timezone.now().astimezone(ZoneInfo("Asia/Tokyo")).date() + timedelta(days=1)


def test_snooze_until_a_time_with_its_offset(as_alice: Client, alice: User) -> None:
    reminder = make_reminder(user=alice)
    until = (timezone.now() + timedelta(hours=3)).replace(microsecond=0)
    written = until.astimezone(UTC).replace(tzinfo=None).isoformat() + "-05:00"  # 5 hours later in UTC
    response = _json(as_alice, "post", f"{detail_url(reminder)}snooze/", {"until": written})
    assert response.status_code == 200, response.json()
    reminder.refresh_from_db()
    assert reminder.snoozed_until == until + timedelta(hours=5)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"preset": "1h", "until": "2030-03-04T09:00:00Z"},
        {"preset": "next week"},
        {"until": "2030-03-04T09:00:00"},  # no offset
        {"until": "2020-01-01T09:00:00Z"},  # past
        {"until": "2099-01-01T09:00:00Z"},  # more than 30 days
        {"until": "9999-12-31T23:00:00-10:00"},
        {"until": 1_900_000_000},
        {"until": ["2030-03-04T09:00:00Z"]},
        {"until": "x" * 1_000_000},
    ],
)
def test_a_bad_snooze_is_a_400_naming_its_field(as_alice: Client, alice: User, body: dict) -> None:
    reminder = make_reminder(user=alice)
    response = _json(as_alice, "post", f"{detail_url(reminder)}snooze/", body)
    assert response.status_code == 400, response.json()
    assert set(response.json()["fields"]) <= {"until", "preset"}
    assert response.json()["fields"]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.snoozed_until) == (ReminderStatus.PENDING, None)


def test_cancel_then_no_more_actions(as_alice: Client, alice: User) -> None:
    reminder = make_reminder(user=alice, recurrence="weekly")
    response = as_alice.post(f"{detail_url(reminder)}cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["next_fire_at"] is None
    for action, body in [("cancel", {}), ("complete", {}), ("snooze", {"preset": "1h"})]:
        refused = _json(as_alice, "post", f"{detail_url(reminder)}{action}/", body)
        assert refused.status_code == 409, action
        assert refused.json()["error"] == "reminder_closed"


# --- Access ---------------------------------------------------------------------------------------


def _every_request(reminder_id: str) -> list[tuple[str, str, Any]]:
    one = f"{URL}{reminder_id}/"
    return [
        ("get", one, None),
        ("patch", one, {"title": "Mine now"}),
        ("put", one, {"title": "Mine now", "start_date": "2030-03-05", "start_time": "10:00"}),
        ("delete", one, None),
        ("post", f"{one}complete/", {"series": True}),
        ("post", f"{one}snooze/", {"preset": "1h"}),
        ("post", f"{one}cancel/", None),
    ]


def test_signed_out_every_endpoint_asks_for_credentials(client: Client, alice: User) -> None:
    reminder = make_reminder(user=alice)
    requests = [("get", URL, None), ("post", URL, {"title": "x"}), *_every_request(str(reminder.pk))]
    for method, url, body in requests:
        response = _json(client, method, url, body)
        assert response.status_code == 401, (method, url)
        assert response.json()["error"] == "not_authenticated"
    assert Reminder.objects.get(pk=reminder.pk).title == reminder.title


def test_charlie_gets_a_404_for_alice_s_reminder_and_changes_nothing(
    client: Client, alice: User, charlie: User
) -> None:
    reminder = make_reminder(user=alice, title="Alice's")
    client.force_login(charlie)
    for method, url, body in _every_request(str(reminder.pk)):
        response = _json(client, method, url, body)
        assert response.status_code == 404, (method, url)
        assert response.json()["error"] == "not_found"
        # Even a bad body: someone else's reminder is a 404 first, saying nothing about the body.
        if body is not None:
            assert _json(client, method, url, {"lead_minutes": -1, "until": 5}).status_code == 404
    after = Reminder.objects.get(pk=reminder.pk)
    assert (after.title, after.status, after.updated_at) == ("Alice's", "pending", reminder.updated_at)
    # His list is empty, filters or not; an unknown id is the same 404.
    assert client.get(URL).json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert client.get(URL, {"status": "pending"}).json()["count"] == 0
    assert client.get(f"{URL}{uuid.uuid4()}/").status_code == 404
    assert client.get(f"{URL}not-a-uuid/").status_code == 404


def test_an_api_key_acts_as_its_owner(client: Client, alice: User, charlie: User) -> None:
    reminder = make_reminder(user=alice)
    _key, raw = create_api_key(user=charlie, name="CLI")
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get(detail_url(reminder), headers=headers).status_code == 404
    created = client.post(
        URL,
        json.dumps({"title": "Charlie's", "start_date": "2030-03-05", "start_time": "08:00"}),
        content_type="application/json",
        headers=headers,
    )
    assert created.status_code == 201
    assert Reminder.objects.get(pk=created.json()["id"]).user == charlie
    assert client.get(URL, headers=headers).json()["count"] == 1


# --- Bad input ------------------------------------------------------------------------------------

BAD_FIELDS = [
    ("time_zone", "Mars/Olympus_Mons"),
    ("time_zone", "/etc/passwd"),
    ("rule", "FREQ=SOMETIMES", {"recurrence": "rrule"}),
    ("rule", "BYDAY=XX;FREQ=WEEKLY", {"recurrence": "rrule"}),
    ("rule", "FREQ=DAILY;COUNT=abc", {"recurrence": "rrule"}),
    ("rule", "", {"recurrence": "rrule"}),
    ("rule", "61 25 * * *", {"recurrence": "cron"}),
    ("rule", "every monday", {"recurrence": "cron"}),
    ("rule", "* * * * *", {"recurrence": "cron"}),  # every minute: closer than 15 minutes
    ("lead_minutes", -1),
    ("lead_minutes", LEAD_MINUTES_MAX + 1),
    ("lead_minutes", 10**30),
    ("lead_minutes", "ten"),
    ("lead_minutes", True),
    ("lead_minutes", 1.5),
    ("title", "x" * 201),
    ("title", "x" * 1_000_000),
    ("title", "   "),
    ("title", ["a list"]),
    ("title", {"an": "object"}),
    ("title", None),
    ("description", "x" * 5_001),
    ("related_project", "x" * 201),
    ("action_url", "javascript:alert(1)"),
    ("action_url", "https://" + "x" * 2_000 + ".com"),
    ("type", "chores"),
    ("recurrence", "fortnightly"),
    ("start_date", "tomorrow"),
    ("start_date", "2030-02-30"),
    ("start_time", "09:00", {"start_date": "2020-01-01"}),  # the one occurrence has already passed
    ("start_date", 20300304),
    ("start_time", "25:00"),
    ("start_time", "9 o'clock"),
    ("start_time", "09:00+01:00"),  # a wall time: its zone is time_zone
    ("notify_email", "perhaps"),
    ("notify_in_app", None),
    ("related_integration_id", "not-a-uuid"),
    ("related_integration_id", 12345),
    ("colour", "red"),  # unknown
]


@pytest.mark.parametrize("case", BAD_FIELDS, ids=lambda case: f"{case[0]}={str(case[1])[:20]}")
def test_a_bad_field_is_a_400_naming_it_and_nothing_is_written(
    as_alice: Client, alice: User, case: tuple
) -> None:
    field, value, *extra = case
    response = _create(as_alice, **(extra[0] if extra else {}), **{field: value})
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["error"] == "invalid"
    assert field in body["fields"], body
    assert body["detail"]
    assert not Reminder.objects.exists()

    # The same value through PATCH changes nothing.
    reminder = make_reminder(user=alice)
    response = _json(as_alice, "patch", detail_url(reminder), {**(extra[0] if extra else {}), field: value})
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()["fields"]
    after = Reminder.objects.get(pk=reminder.pk)
    assert (after.updated_at, after.title, after.time_zone) == (
        reminder.updated_at,
        reminder.title,
        reminder.time_zone,
    )


def test_every_bad_field_is_named_at_once(as_alice: Client) -> None:
    response = _create(as_alice, title="", time_zone="Nowhere/Town", lead_minutes=-5)
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"title", "time_zone", "lead_minutes"}
    assert not Reminder.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        '{"title": "a\\u0000b", "start_date": "2030-03-04", "start_time": "09:00"}',
        '{"title": "\\ud800", "start_date": "2030-03-04", "start_time": "09:00"}',
        '{"title": "ok", "start_date": "2030-03-04", "start_time": "09:00", "rule": "\\udfff"}',
        "[" * 10_000 + "]" * 10_000,
        '{"title": "ok", "start_date": "2030-03-04", "start_time": "09:00", "x": '
        + "[" * 10_000
        + "]" * 10_000
        + "}",
        '{"title": ',
        '["a", "list"]',
        '"just a string"',
        '{"title": "ok", "start_date": "2030-03-04", "start_time": "09:00", "lead_minutes": 1e999}',
    ],
    ids=["nul", "lone-surrogate", "surrogate-rule", "deep", "deep-inside", "broken", "list", "string", "inf"],
)
def test_an_unreadable_or_unstorable_body_is_a_400_and_nothing_is_written(
    as_alice: Client, alice: User, raw: str
) -> None:
    response = as_alice.post(URL, raw, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"] in {"invalid_text", "parse_error", "invalid"}
    assert response.json()["detail"]
    assert not Reminder.objects.exists()
    reminder = make_reminder(user=alice)
    assert as_alice.patch(detail_url(reminder), raw, content_type="application/json").status_code == 400
    assert Reminder.objects.get(pk=reminder.pk).updated_at == reminder.updated_at


def test_a_far_future_date_in_a_zone_behind_utc_is_a_400(as_alice: Client) -> None:
    # 9999-12-31 23:30 in New York is in the year 10000 in UTC, past what a datetime holds.
    response = _create(as_alice, start_date="9999-12-31", start_time="23:30", time_zone="America/New_York")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["fields"]
    assert not Reminder.objects.exists()
    # The series simply ends where datetime does (it was an OverflowError, a 500).
    schedule = Schedule.of(
        start_date=date(9999, 12, 30),
        start_time=time(23, 30),
        time_zone="America/New_York",
        recurrence="daily",
    )
    after = datetime(9999, 12, 1, tzinfo=UTC)
    assert schedule.upcoming(after=after, count=5) == [datetime(9999, 12, 31, 4, 30, tzinfo=UTC)]


def test_errors_are_in_the_person_s_language(as_alice: Client, alice: User) -> None:
    alice.language = "es"
    alice.save(update_fields=["language"])
    response = as_alice.post(
        URL,
        json.dumps({"title": "x", "start_date": "2030-03-04", "start_time": "09:00", "colour": "red"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["colour"] == ["Campo desconocido."]
    reminder = make_reminder(user=alice)
    naive = _json(as_alice, "post", f"{detail_url(reminder)}snooze/", {"until": "2030-03-04T09:00:00"})
    assert naive.json()["fields"]["until"] == [
        "Escribe una fecha y hora con su desfase respecto a UTC, como 2026-03-01T09:00:00+01:00."
    ]
    both = _json(as_alice, "post", f"{detail_url(reminder)}snooze/", {})
    assert both.json()["fields"]["until"][0].startswith("Envía until")
    listed = as_alice.get(URL, {"due_after": "mañana"})
    assert listed.json()["fields"]["due_after"][0].startswith("Escribe una fecha y hora")
