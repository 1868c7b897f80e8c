"""The reminders pages: the list (tabs, filter, counts, pages, quick actions by htmx and without),
the form and its live preview, a reminder's page; alice, charlie and the signed-out visitor."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from html import unescape
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from preferences import services as preference_services
from reminders import services
from reminders.models import Channel, Delivery, DeliveryStatus, Reminder, ReminderStatus
from reminders.tests.factories import ReminderFactory

pytestmark = pytest.mark.django_db


def _reminder(**fields: Any) -> Reminder:
    return cast(Reminder, ReminderFactory(**fields))


INDEX = "/reminders/"
NEW = "/reminders/new/"
PREVIEW = "/reminders/preview/"
HTMX = {"HX-Request": "true"}


def _url(reminder: Reminder, action: str = "") -> str:
    return f"/reminders/{reminder.pk}/" + (f"{action}/" if action else "")


def _text(response: Any) -> str:
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


def _form(**overrides: str) -> dict[str, str]:
    """The form as a browser posts it: a weekly reminder, tomorrow 09:00 in Madrid, a day's notice."""
    tomorrow = (timezone.now() + timedelta(days=1)).date()
    data = {
        "title": "Rotate the API keys",
        "description": "Every key of the payments project.",
        "reminder_type": "rotate_keys",
        "start_date": tomorrow.isoformat(),
        "start_time": "09:00",
        "time_zone": "Europe/Madrid",
        "recurrence": "weekly",
        "rule": "",
        "lead_amount": "1",
        "lead_unit": "days",
        "notify_email": "on",
        "notify_in_app": "on",
        "related_project": "payments",
        "action_url": "https://example.com/keys",
    }
    data.update(overrides)
    return data


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    preference_services.update_preferences(user=alice, time_zone="Europe/Madrid")
    client.force_login(alice)
    return client


@pytest.fixture
def charlie_client(charlie: User) -> Client:
    other = Client()
    other.force_login(charlie)
    return other


def _past(alice: User, *, title: str = "Overdue one", **fields: object) -> Reminder:
    """A reminder whose first occurrence has passed (created "two days ago")."""
    two_days_ago = timezone.now() - timedelta(days=2)
    # An hour after it was made (a fixed 12:00 had already passed when the test ran after noon UTC).
    start = (two_days_ago + timedelta(hours=1)).replace(second=0, microsecond=0)
    return _reminder(
        user=alice,
        title=title,
        start_date=start.date(),
        start_time=start.time(),
        now=two_days_ago,
        **fields,
    )


# --- Signed out -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [INDEX, NEW, f"/reminders/{'0' * 8}-0000-0000-0000-{'0' * 12}/"])
def test_signed_out_pages_ask_to_sign_in(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_signed_out_htmx_actions_and_preview_redirect_the_whole_page(client: Client, alice: User) -> None:
    reminder = _reminder(user=alice)
    for path in (PREVIEW, _url(reminder, "complete"), _url(reminder, "snooze"), _url(reminder, "cancel")):
        response = client.post(path, {"preset": "10m"}, headers=HTMX)
        assert response.status_code == 200
        assert response["HX-Redirect"].startswith("/accounts/login/?next=")
    assert Reminder.objects.get(pk=reminder.pk).status == ReminderStatus.PENDING


# --- The list -------------------------------------------------------------------------------------


def test_an_empty_list_invites_creating_the_first_reminder(alice_client: Client) -> None:
    response = alice_client.get(INDEX)
    assert response.status_code == 200
    page = _text(response)
    assert "No reminders yet" in page
    assert 'href="/reminders/new/"' in page
    assert "Create your first reminder" in page


def test_the_tabs_sort_and_count_upcoming_overdue_and_done(alice_client: Client, alice: User) -> None:
    later = _reminder(user=alice, title="Later", start_date=timezone.now().date() + timedelta(days=5))
    sooner = _reminder(user=alice, title="Sooner", start_date=timezone.now().date() + timedelta(days=2))
    snoozed = _reminder(user=alice, title="Snoozed", start_date=timezone.now().date() + timedelta(days=3))
    services.snooze_reminder(user=alice, reminder_id=snoozed.pk, until=timezone.now() + timedelta(hours=1))
    overdue = _past(alice)
    finished = _reminder(user=alice, title="Finished")
    services.complete_reminder(user=alice, reminder_id=finished.pk)
    dropped = _reminder(user=alice, title="Dropped")
    services.cancel_reminder(user=alice, reminder_id=dropped.pk)

    page = _text(alice_client.get(INDEX))
    assert page.index("Sooner") < page.index("Snoozed") < page.index("Later")
    assert "Overdue one" not in page
    assert "Finished" not in page
    assert "snoozed until" in page
    assert re.search(r'id="tab-upcoming"[^>]*aria-current="page"[^>]*data-count="3"', page)
    assert 'data-count="1"' in page  # overdue
    assert re.search(r'id="tab-done"[^>]*data-count="2"', page)

    page = _text(alice_client.get(INDEX, {"tab": "overdue"}))
    assert "Overdue one" in page
    assert "Sooner" not in page
    assert f'id="reminder-{overdue.pk}"' in page

    page = _text(alice_client.get(INDEX, {"tab": "done"}))
    assert page.index("Dropped") < page.index("Finished")  # newest first
    assert "Completed" in page
    assert "Cancelled" in page
    assert {later.pk, sooner.pk}.isdisjoint({finished.pk, dropped.pk})


def test_the_list_filters_by_type_and_pages(alice_client: Client, alice: User) -> None:
    for number in range(23):
        _reminder(user=alice, title=f"Backup {number:02d}", reminder_type="backup")
    _reminder(user=alice, title="Costs", reminder_type="review_costs")

    page = _text(alice_client.get(INDEX, {"type": "review_costs"}))
    assert "Costs" in page
    assert "Backup 0" not in page
    assert re.search(r'id="tab-upcoming"[^>]*data-count="1"', page)

    first = _text(alice_client.get(INDEX, {"type": "backup"}))
    assert first.count('class="reminder-row') == 20
    assert "Page 1 of 2" in first
    assert 'href="/reminders/?type=backup&amp;page=2"' in first or "type=backup&page=2" in first
    second = _text(alice_client.get(INDEX, {"type": "backup", "page": "2"}))
    assert second.count('class="reminder-row') == 3
    # A bad page or type reads as the nearest sensible one, never an error.
    assert (
        alice_client.get(INDEX, {"page": "99999999999999999999", "type": "\ufffd", "tab": "x"}).status_code
        == 200
    )


def test_charlie_sees_none_of_alices_reminders(alice: User, charlie_client: Client) -> None:
    reminder = _reminder(user=alice, title="Alice's secret")
    for tab in ("upcoming", "overdue", "done"):
        page = _text(charlie_client.get(INDEX, {"tab": tab}))
        assert "Alice's secret" not in page
        assert "No reminders yet" in page
    for path in (_url(reminder), _url(reminder, "edit"), _url(reminder, "delete")):
        assert charlie_client.get(path).status_code == 404
    for action, data in (
        ("complete", {}),
        ("complete", {"series": "1"}),
        ("snooze", {"preset": "1h"}),
        ("cancel", {}),
        ("delete", {}),
        ("edit", _form()),
    ):
        assert charlie_client.post(_url(reminder, action), data).status_code == 404
        assert charlie_client.post(_url(reminder, action), data, headers=HTMX).status_code == 404
    reminder.refresh_from_db()
    assert (reminder.status, reminder.title) == (ReminderStatus.PENDING, "Alice's secret")


# --- The form -------------------------------------------------------------------------------------


def test_the_new_form_starts_from_the_persons_defaults(alice_client: Client, alice: User) -> None:
    preference_services.update_preferences(user=alice, lead_minutes=120, notify_email=False)
    page = _text(alice_client.get(NEW))
    assert '<option value="Europe/Madrid" selected>' in page
    assert re.search(r'name="lead_amount"[^>]*value="2"', page)
    assert '<option value="hours" selected>' in page
    assert re.search(r'<input type="checkbox" name="notify_email" id="id_notify_email">', page)
    assert re.search(r'<input type="checkbox" name="notify_in_app" id="id_notify_in_app" checked>', page)
    for kind in ("none", "daily", "weekly", "monthly", "yearly", "rrule", "cron"):
        assert f'<option value="{kind}"' in page
    assert page.count('<option value="') > 300  # the IANA zones
    assert "Once, on" in page  # the preview of the initial values


def test_creating_a_reminder_saves_it_and_goes_to_the_list(alice_client: Client, alice: User) -> None:
    response = alice_client.post(NEW, _form(lead_amount="2", lead_unit="hours", notify_email=""))
    assert response.status_code == 302
    assert response["Location"] == INDEX
    reminder = Reminder.objects.get(user=alice)
    assert (reminder.title, reminder.reminder_type, reminder.recurrence) == (
        "Rotate the API keys",
        "rotate_keys",
        "weekly",
    )
    assert reminder.time_zone == "Europe/Madrid"
    assert reminder.start_time == time(9, 0)
    assert (reminder.lead_minutes, reminder.notify_email, reminder.notify_in_app) == (120, False, True)
    page = _text(alice_client.get(INDEX))
    assert "Reminder “Rotate the API keys” created." in page
    assert "Every week on" in page


def test_a_custom_rule_and_a_cron_expression_are_saved(alice_client: Client, alice: User) -> None:
    assert alice_client.post(NEW, _form(recurrence="rrule", rule="freq=monthly;byday=1mo")).status_code == 302
    assert (
        alice_client.post(NEW, _form(title="Cron", recurrence="cron", rule="0 9 * * 1-5")).status_code == 302
    )
    rules = dict(Reminder.objects.filter(user=alice).values_list("recurrence", "rule"))
    assert rules == {"rrule": "FREQ=MONTHLY;BYDAY=1MO", "cron": "0 9 * * 1-5"}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": "x" * 1_000_000}, "title", "Keep this to 200 characters or fewer"),
        ({"title": "   "}, "title", "Give the reminder a title."),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "Choose a time zone from the list"),
        ({"time_zone": "../../etc/passwd"}, "time_zone", "Choose a time zone from the list"),
        ({"recurrence": "rrule", "rule": "FREQ=SOMETIMES"}, "rule", "FREQ must be HOURLY, DAILY"),
        ({"recurrence": "rrule", "rule": "FREQ=DAILY;BYDAY=XX"}, "rule", "This rule can't be read"),
        ({"recurrence": "rrule", "rule": ""}, "rule", "Enter the rule"),
        ({"recurrence": "cron", "rule": "61 25 * * *"}, "rule", "is not a valid cron expression"),
        ({"recurrence": "cron", "rule": "* *"}, "rule", "A cron expression has 5 fields"),
        ({"lead_amount": "-1"}, "lead_amount", "between 0 minutes and 30 days"),
        ({"lead_amount": "31", "lead_unit": "days"}, "lead_amount", "between 0 minutes and 30 days"),
        ({"lead_amount": "9" * 400}, "lead_amount", "between 0 minutes and 30 days"),
        ({"lead_amount": "1.5"}, "lead_amount", "Enter a whole number."),
        ({"lead_unit": "weeks"}, "lead_unit", "Choose minutes, hours or days."),
        ({"start_date": "2027-02-30"}, "start_date", "Enter a date, like 2027-01-31."),
        ({"start_date": "1999-01-01", "recurrence": "none"}, "start_time", "That time has already passed"),
        ({"start_time": "25:00"}, "start_time", "Enter a time, like 09:30."),
        ({"reminder_type": "world_domination"}, "reminder_type", "Choose one of the reminder types."),
        ({"recurrence": "fortnightly"}, "recurrence", "Choose how the reminder repeats."),
        ({"action_url": "javascript:alert(1)"}, "action_url", "Enter a web address starting with https://"),
    ],
)
def test_a_bad_form_is_a_400_with_the_message_and_writes_nothing(
    alice_client: Client, alice: User, overrides: dict[str, str], field: str, message: str
) -> None:
    response = alice_client.post(NEW, _form(**overrides))
    assert response.status_code == 400
    page = _text(response)
    assert "The reminder was not saved." in page
    assert message in page
    assert re.search(rf'class="field field-{field}">.*?{re.escape(message[:20])}', page)
    assert not Reminder.objects.filter(user=alice).exists()


@pytest.mark.parametrize("body", [b"title=a%00b&time_zone=UTC", b"title=%ED%A0%80&time_zone=UTC"])
def test_nul_and_lone_surrogates_are_refused_before_anything_is_written(
    alice_client: Client, alice: User, body: bytes
) -> None:
    response = alice_client.generic("POST", NEW, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert not Reminder.objects.filter(user=alice).exists()


def test_the_form_rejects_wrong_methods(alice_client: Client, alice: User) -> None:
    reminder = _reminder(user=alice)
    assert alice_client.put(NEW).status_code == 405
    assert alice_client.get(_url(reminder, "complete")).status_code == 405
    assert alice_client.get(PREVIEW).status_code == 405


def test_editing_a_reminder_saves_it_and_a_bad_edit_changes_nothing(
    alice_client: Client, alice: User
) -> None:
    reminder = _reminder(user=alice, title="Before", time_zone="Europe/Madrid")
    page = _text(alice_client.get(_url(reminder, "edit")))
    assert 'value="Before"' in page
    response = alice_client.post(_url(reminder, "edit"), _form(title="After", recurrence="daily"))
    assert response.status_code == 302
    assert response["Location"] == _url(reminder)
    reminder.refresh_from_db()
    assert (reminder.title, reminder.recurrence, reminder.rule) == ("After", "daily", "FREQ=DAILY")

    response = alice_client.post(
        _url(reminder, "edit"), _form(title="Broken", recurrence="cron", rule="nope")
    )
    assert response.status_code == 400
    reminder.refresh_from_db()
    assert (reminder.title, reminder.recurrence) == ("After", "daily")


# --- The live preview -----------------------------------------------------------------------------


def _schedule(**overrides: str) -> dict[str, str]:
    data = {
        "start_date": "2030-01-07",  # a Monday
        "start_time": "09:00",
        "time_zone": "Europe/Madrid",
        "recurrence": "weekly",
        "rule": "",
    }
    data.update(overrides)
    return data


def test_the_preview_says_the_rule_in_words_and_the_next_five_times(alice_client: Client) -> None:
    response = alice_client.post(PREVIEW, _schedule(), headers=HTMX)
    assert response.status_code == 200
    page = _text(response)
    assert "Every week on Monday at 09:00" in page
    times = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', page)
    assert [iso for iso, _shown in times] == [
        "2030-01-07T09:00:00+01:00",
        "2030-01-14T09:00:00+01:00",
        "2030-01-21T09:00:00+01:00",
        "2030-01-28T09:00:00+01:00",
        "2030-02-04T09:00:00+01:00",
    ]
    assert times[0][1] == "Monday, Jan. 7, 2030, 9 a.m."
    assert "Shown in your time zone, Europe/Madrid." in page


def test_the_preview_shows_times_in_the_persons_zone(alice_client: Client) -> None:
    page = _text(alice_client.post(PREVIEW, _schedule(time_zone="America/New_York"), headers=HTMX))
    # 09:00 in New York is 15:00 in Madrid in January.
    assert '<time datetime="2030-01-07T15:00:00+01:00">' in page


def test_the_preview_in_spanish(alice_client: Client, alice: User) -> None:
    alice.language = "es"
    alice.save(update_fields=["language"])
    page = _text(alice_client.post(PREVIEW, _schedule(recurrence="cron", rule="0 9 * * 1-5"), headers=HTMX))
    assert "A las 09:00, de lunes a viernes" in page
    assert "lunes, 7 de enero de 2030 a las 09:00" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"recurrence": "rrule", "rule": "FREQ=DAILY;COUNT=abc"}, "Rule: This rule can't be read"),
        ({"recurrence": "cron", "rule": "0 9 * *"}, "Rule: A cron expression has 5 fields"),
        ({"time_zone": "Nowhere/Land"}, "Time zone: Choose a time zone from the list"),
        ({"start_date": "2001-01-01", "recurrence": "none"}, "Time: That time has already passed"),
        ({"recurrence": "rrule", "rule": "FREQ=HOURLY;BYMINUTE=0,5"}, "at least 15 minutes apart"),
        ({"start_date": "x" * 1_000_000}, "Date: Enter a date"),
    ],
)
def test_the_preview_answers_400_with_the_error_for_the_field(
    alice_client: Client, overrides: dict[str, str], message: str
) -> None:
    response = alice_client.post(PREVIEW, _schedule(**overrides), headers=HTMX)
    assert response.status_code == 400
    page = _text(response)
    assert "Fix this to see when it fires:" in page
    assert message in page


# --- A reminder's page ----------------------------------------------------------------------------


def test_the_detail_page_shows_schedule_next_occurrences_and_deliveries(
    alice_client: Client, alice: User
) -> None:
    reminder = _reminder(
        user=alice,
        title="Weekly backup",
        recurrence="weekly",
        time_zone="Europe/Madrid",
        lead_minutes=90,
        notify_email=True,
        notify_in_app=False,
        action_url="https://example.com/run",
    )
    occurrence = reminder.due_at
    Delivery.objects.create(
        reminder=reminder,
        user=alice,
        occurrence=occurrence,
        channel=Channel.EMAIL,
        due_at=occurrence - timedelta(minutes=90),
        available_at=occurrence,
        status=DeliveryStatus.FAILED,
        attempts=5,
        last_error="The mail server refused the address.",
    )
    Delivery.objects.create(
        reminder=reminder,
        user=alice,
        occurrence=occurrence,
        channel=Channel.IN_APP,
        due_at=occurrence - timedelta(minutes=90),
        available_at=occurrence,
        status=DeliveryStatus.SENT,
        sent_at=occurrence - timedelta(minutes=89),
    )
    page = _text(alice_client.get(_url(reminder)))
    assert "Weekly backup" in page
    assert re.search(r"Every week on \w+day at 09:00", page)
    assert len(re.findall(r'<li><time datetime="', page)) == 5
    assert "90 minutes before" in page
    assert "By email" in page
    assert "Failed" in page
    assert "The mail server refused the address." in page
    assert "Sent" in page
    assert "In the app" in page
    assert 'rel="noopener noreferrer nofollow"' in page


def test_the_detail_page_of_a_missing_reminder_is_a_404(alice_client: Client) -> None:
    assert alice_client.get("/reminders/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert alice_client.get("/reminders/not-a-uuid/").status_code == 404


# --- Quick actions --------------------------------------------------------------------------------


def test_completing_a_one_off_by_htmx_removes_the_row_with_a_message(
    alice_client: Client, alice: User
) -> None:
    reminder = _reminder(user=alice, title="Once")
    response = alice_client.post(_url(reminder, "complete"), {"tab": "upcoming", "next": INDEX}, headers=HTMX)
    assert response.status_code == 200
    page = _text(response)
    assert f'id="reminder-{reminder.pk}"' not in page  # the row leaves Upcoming
    assert "“Once” is done." in page
    assert 'id="reminders-status" hx-swap-oob="innerHTML"' in page
    assert re.search(r'id="reminder-tabs"[^>]*hx-swap-oob="true"', page)
    assert re.search(r'id="tab-done"[^>]*data-count="1"', page)
    assert Reminder.objects.get(pk=reminder.pk).status == ReminderStatus.COMPLETED


def test_completing_a_recurring_one_moves_it_on_and_the_row_comes_back(
    alice_client: Client, alice: User
) -> None:
    reminder = _reminder(user=alice, title="Daily", recurrence="daily")
    first_due = reminder.due_at
    page = _text(alice_client.post(_url(reminder, "complete"), {"tab": "upcoming"}, headers=HTMX))
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.due_at == first_due + timedelta(days=1)
    assert f'id="reminder-{reminder.pk}"' in page
    assert "“Daily” is done for now; next:" in page

    page = _text(
        alice_client.post(_url(reminder, "complete"), {"tab": "upcoming", "series": "1"}, headers=HTMX)
    )
    assert "“Daily”: the series is complete." in page
    assert Reminder.objects.get(pk=reminder.pk).status == ReminderStatus.COMPLETED


def test_snoozing_by_preset_and_by_a_chosen_local_time(alice_client: Client, alice: User) -> None:
    reminder = _reminder(user=alice, title="Snooze me")
    before = timezone.now()
    page = _text(
        alice_client.post(_url(reminder, "snooze"), {"tab": "upcoming", "preset": "1h"}, headers=HTMX)
    )
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SNOOZED
    assert reminder.snoozed_until is not None
    assert timedelta(minutes=59) < reminder.snoozed_until - before < timedelta(minutes=61)
    assert "“Snooze me” snoozed until" in page
    assert "snoozed until" in page
    assert f'id="reminder-{reminder.pk}"' in page

    # A chosen time is a wall time in alice's zone (Madrid): 10:30 on 2 days from now.
    day = (timezone.now() + timedelta(days=2)).date()
    alice_client.post(
        _url(reminder, "snooze"), {"tab": "upcoming", "until": f"{day.isoformat()}T10:30"}, headers=HTMX
    )
    reminder.refresh_from_db()
    assert reminder.snoozed_until is not None
    local = reminder.snoozed_until.astimezone(ZoneInfo("Europe/Madrid"))
    assert (local.date(), local.hour, local.minute) == (day, 10, 30)


def test_tomorrow_morning_is_nine_in_the_persons_zone(alice_client: Client, alice: User) -> None:
    reminder = _reminder(user=alice)
    alice_client.post(_url(reminder, "snooze"), {"preset": "tomorrow"})
    reminder.refresh_from_db()
    assert reminder.snoozed_until is not None
    local = reminder.snoozed_until.astimezone(ZoneInfo("Europe/Madrid"))
    assert (local.hour, local.minute) == (9, 0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"until": "2001-01-01T09:00"}, "Choose a time in the future."),
        ({"until": "9999-12-31T23:59"}, "Snooze for at most 30 days."),
        ({"until": "yesterday"}, "Enter a date and time"),
        ({"preset": "forever"}, "Choose 10 minutes, 1 hour, tomorrow morning or a time."),
        ({}, "Choose 10 minutes, 1 hour, tomorrow morning or a time."),
    ],
)
def test_a_bad_snooze_is_a_400_with_the_message_and_changes_nothing(
    alice_client: Client, alice: User, data: dict[str, str], message: str
) -> None:
    reminder = _reminder(user=alice)
    response = alice_client.post(_url(reminder, "snooze"), {"tab": "upcoming", **data}, headers=HTMX)
    assert response.status_code == 400
    assert response["HX-Reswap"] == "none"
    assert message in _text(response)
    plain = alice_client.post(_url(reminder, "snooze"), data, headers={"Accept": "text/html"})
    assert plain.status_code == 400
    assert message in _text(plain)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.snoozed_until) == (ReminderStatus.PENDING, None)


def test_an_action_on_a_closed_reminder_is_a_409_with_the_message(alice_client: Client, alice: User) -> None:
    reminder = _reminder(user=alice)
    services.cancel_reminder(user=alice, reminder_id=reminder.pk)
    for action in ("complete", "snooze", "cancel"):
        response = alice_client.post(_url(reminder, action), {"preset": "1h", "tab": "done"}, headers=HTMX)
        assert response.status_code == 409
        assert "This reminder is already completed or cancelled." in _text(response)
    assert Reminder.objects.get(pk=reminder.pk).status == ReminderStatus.CANCELLED


def test_cancel_and_delete_by_htmx(alice_client: Client, alice: User) -> None:
    reminder = _reminder(user=alice, title="Drop me")
    page = _text(alice_client.post(_url(reminder, "cancel"), {"tab": "upcoming"}, headers=HTMX))
    assert "“Drop me” cancelled." in page
    assert f'id="reminder-{reminder.pk}"' not in page
    assert Reminder.objects.get(pk=reminder.pk).status == ReminderStatus.CANCELLED

    # Still shown in Done after cancelling: the row comes back there.
    page = _text(alice_client.get(INDEX, {"tab": "done"}))
    assert f'hx-post="/reminders/{reminder.pk}/delete/"' in page
    assert "hx-confirm=" in page
    page = _text(alice_client.post(_url(reminder, "delete"), {"tab": "done"}, headers=HTMX))
    assert "“Drop me” deleted." in page
    assert not Reminder.objects.filter(pk=reminder.pk).exists()


def test_actions_without_javascript_redirect_back_to_our_own_pages_only(
    alice_client: Client, alice: User
) -> None:
    reminder = _reminder(user=alice, title="Plain")
    response = alice_client.post(
        _url(reminder, "snooze"), {"preset": "10m", "next": "/reminders/?tab=overdue"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/reminders/?tab=overdue"
    response = alice_client.post(_url(reminder, "complete"), {"next": "https://evil.example/"})
    assert response["Location"] == INDEX
    page = _text(alice_client.get(INDEX, {"tab": "done"}))
    assert "“Plain” is done." in page

    # Delete asks first (a page), then deletes; back from a deleted reminder's page goes to the list.
    other = _reminder(user=alice, title="Delete me")
    confirm = _text(alice_client.get(_url(other, "delete"), {"next": _url(other)}))
    assert "Delete “Delete me”? This can't be undone." in confirm
    response = alice_client.post(_url(other, "delete"), {"next": _url(other)})
    assert response["Location"] == INDEX
    assert not Reminder.objects.filter(pk=other.pk).exists()


# --- Spanish --------------------------------------------------------------------------------------


def test_the_pages_in_spanish_speak_with_tu(alice_client: Client, alice: User) -> None:
    alice.language = "es"
    alice.save(update_fields=["language"])
    page = _text(alice_client.get(INDEX))
    assert "Crea tu primer recordatorio" in page
    assert "usted" not in page.lower()
    _reminder(
        user=alice, title="Copia", recurrence="weekly", start_date=datetime(2030, 1, 7, tzinfo=UTC).date()
    )
    page = _text(alice_client.get(INDEX))
    assert "Cada semana el lunes a las 09:00" in page
    assert "Recordatorios" in page
    form = _text(alice_client.get(NEW))
    assert "Nuevo recordatorio" in form
    assert "usted" not in form.lower()


@pytest.mark.parametrize("next_url", ["9" * 40, "reminders:index", "//evil.example/", "javascript:alert(1)"])
def test_a_next_that_is_not_a_path_on_our_site_returns_to_the_list(
    alice_client: Client, alice: User, next_url: str
) -> None:
    reminder = _reminder(user=alice)
    response = alice_client.post(_url(reminder, "snooze"), {"preset": "10m", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == INDEX
    confirm = _text(alice_client.get(_url(reminder, "delete"), {"next": next_url}))
    assert f'name="next" value="{INDEX}"' in confirm
    response = alice_client.post(_url(reminder, "delete"), {"next": next_url})
    assert response["Location"] == INDEX


def test_spanish_words_of_the_list_and_form_fit_their_place(alice_client: Client, alice: User) -> None:
    """'When' is 'Fecha' as a table column elsewhere, but the form's section above its 'Fecha' field
    is 'Cuándo'; the tab of overdue reminders is plural, like 'Próximos' and 'Hechos'."""
    alice.language = "es"
    alice.save(update_fields=["language"])
    form = _text(alice_client.get("/reminders/new/"))
    assert '<span class="card-title">Cuándo</span>' in form
    assert '<span class="card-title">Fecha</span>' not in form
    _reminder(user=alice)
    tabs = _text(alice_client.get("/reminders/"))
    assert re.search(r'id="tab-overdue"[^>]*>Vencidos <span', tabs)
