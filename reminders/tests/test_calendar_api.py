"""/api/v1/events/: list (date range, paginated), create, read, PUT, PATCH, delete — one's own only,
with the pages' validation, and hostile input refused with nothing written."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from reminders import services
from reminders.models import CalendarEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, body: object) -> Any:
    return client.post(URL, body, content_type="application/json")


def _event(user: User, title: str = "Review", **fields: Any) -> CalendarEvent:
    values: dict[str, Any] = {
        "start": datetime(2026, 12, 1, 9, 30),
        "end": datetime(2026, 12, 1, 10, 30),
        "time_zone": "Europe/Madrid",
    }
    values.update(fields)
    return services.create_event(user=user, title=title, **values)


def test_create_read_patch_put_and_delete(alice: User) -> None:
    client = _client(alice)
    response = _post(
        client,
        {
            "title": "Sprint review",
            "start": "2026-12-01T09:30",
            "end": "2026-12-01T10:30",
            "time_zone": "Europe/Madrid",
            "rule": "freq=weekly;byday=tu",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["start"] == "2026-12-01T09:30"
    assert body["start_at"] == "2026-12-01T08:30:00Z"
    assert body["rule"] == "FREQ=WEEKLY;BYDAY=TU"
    assert body["url"] == f"http://testserver/calendar/events/{body['id']}/"
    detail = f"{URL}{body['id']}/"
    assert client.get(detail).json()["title"] == "Sprint review"

    response = client.patch(detail, {"title": "Review"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["title"] == "Review"
    assert response.json()["rule"] == "FREQ=WEEKLY;BYDAY=TU"

    response = client.put(
        detail, {"title": "Launch", "all_day": True, "start": "2026-12-15"}, content_type="application/json"
    )
    assert response.status_code == 200
    replaced = response.json()
    assert (replaced["all_day"], replaced["start"], replaced["end"], replaced["rule"]) == (
        True,
        "2026-12-15",
        "2026-12-15",
        "",
    )
    assert replaced["time_zone"] == "Europe/Madrid"

    assert client.delete(detail).status_code == 204
    assert client.get(detail).status_code == 404
    assert not CalendarEvent.objects.exists()


def test_the_list_filters_by_date_range_and_pages(alice: User) -> None:
    _event(alice, "December")
    _event(
        alice,
        "Weekly",
        start=datetime(2026, 10, 6, 9, 0),
        end=datetime(2026, 10, 6, 9, 30),
        rule="FREQ=WEEKLY",
    )
    _event(alice, "March", start=datetime(2027, 3, 1, 9, 0), end=datetime(2027, 3, 1, 10, 0))
    client = _client(alice)
    body = client.get(URL).json()
    assert body["count"] == 3
    assert [event["title"] for event in body["results"]] == ["Weekly", "December", "March"]
    december = client.get(URL, {"start": "2026-12-01", "end": "2026-12-31"}).json()
    assert [event["title"] for event in december["results"]] == ["Weekly", "December"]
    later = client.get(URL, {"start": "2027-02-01"}).json()
    assert [event["title"] for event in later["results"]] == ["Weekly", "March"]
    paged = client.get(URL, {"page_size": 1, "page": 2}).json()
    assert [event["title"] for event in paged["results"]] == ["December"]
    assert paged["next"]
    assert paged["previous"]
    assert client.get(URL, {"page": 9}).status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "yesterday"}, "start"),
        ({"end": "2026-02-30"}, "end"),
        ({"start": "2026-12-10", "end": "2026-12-01"}, "end"),
        ({"start": "0001-01-01"}, "start"),
        ({"start": "9" * 40}, "start"),
    ],
)
def test_a_bad_range_is_a_400_naming_the_field(alice: User, query: dict[str, str], field: str) -> None:
    response = _client(alice).get(URL, query)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert field in response.json()["fields"]


def test_charlie_sees_and_changes_nothing_of_alices(alice: User, charlie: User) -> None:
    event = _event(alice)
    client = _client(charlie)
    assert client.get(URL).json()["count"] == 0
    assert client.get(URL, {"start": "2026-12-01", "end": "2026-12-31"}).json()["results"] == []
    detail = f"{URL}{event.id}/"
    assert client.get(detail).status_code == 404
    assert client.patch(detail, {"title": "Mine"}, content_type="application/json").status_code == 404
    # Another person's event is a 404 even with a bad body: the body isn't read for it.
    assert client.patch(detail, {"title": ""}, content_type="application/json").status_code == 404
    assert (
        client.put(
            detail, {"title": "Mine", "start": "2026-12-01"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.delete(detail).status_code == 404
    assert client.get(f"{URL}not-a-uuid/").status_code == 404
    event.refresh_from_db()
    assert event.title == "Review"


def test_signed_out_is_a_401(client: Client, alice: User) -> None:
    event = _event(alice)
    assert client.get(URL).status_code == 401
    assert _post(client, {"title": "x", "start": "2026-12-01"}).status_code == 401
    assert client.get(f"{URL}{event.id}/").status_code == 401
    assert client.delete(f"{URL}{event.id}/").status_code == 401
    assert CalendarEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x", "start": "2026-12-01T10:00", "end": "2026-12-01T09:00"}, "end"),
        ({"title": "x", "start": "2026-12-01T10:00", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"title": "x", "start": "2026-12-01T10:00", "rule": "FREQ=NEVER"}, "rule"),
        ({"title": "x" * 201, "start": "2026-12-01T10:00"}, "title"),
        ({"title": "x" * 1_000_000, "start": "2026-12-01T10:00"}, "title"),
        ({"title": "x", "start": "2026-12-01T10:00+02:00"}, "start"),
        ({"title": "x", "start": "tomorrow"}, "start"),
        ({"title": "x", "start": 20261201}, "start"),
        ({"title": ["x"], "start": "2026-12-01"}, "title"),
        ({"title": "x", "start": "2026-12-01", "all_day": "maybe"}, "all_day"),
        ({"title": "x", "start": "2026-12-01", "event_type": "party"}, "event_type"),
        ({"title": "x", "start": "99999-12-01"}, "start"),
        ({"title": "x", "start": "2026-12-01", "description": "d" * 5_001}, "description"),
        ({"start": "2026-12-01"}, "title"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(alice: User, body: dict, field: str) -> None:
    response = _post(_client(alice), body)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid"
    assert field in response.json()["fields"]
    assert not CalendarEvent.objects.exists()


@pytest.mark.parametrize(
    "raw", ['{"title": "a\\u0000b", "start": "2026-12-01"}', '{"title": "\\ud800", "start": "2026-12-01"}']
)
def test_nul_and_lone_surrogates_are_refused(alice: User, raw: str) -> None:
    response = _client(alice).post(URL, raw, content_type="application/json")
    assert response.status_code == 400
    assert not CalendarEvent.objects.exists()


def test_a_patch_is_checked_as_a_whole_and_writes_nothing_when_bad(alice: User) -> None:
    event = _event(alice)
    response = _client(alice).patch(
        f"{URL}{event.id}/", {"start": "2026-12-01T12:00", "title": "Moved"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"end": ["The end can't be before the start."]}
    event.refresh_from_db()
    assert (event.title, event.start_time) == ("Review", time(9, 30))
