"""The calendar pages (reminders/views/calendar.py): month/week/agenda with alice's events and
reminder occurrences, event forms, .ics downloads, the private feed and the import — and charlie,
who sees none of alice's through any of them."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from html import unescape
from pathlib import Path
from typing import Any

import icalendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from preferences.services import update_preferences
from reminders import services
from reminders.models import CalendarEvent, CalendarFeed, Reminder
from reminders.tests.factories import ReminderFactory

pytestmark = pytest.mark.django_db

ICS = Path(__file__).parent / "ics"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _client(user: User) -> Client:
    client = Client(HTTP_ACCEPT="text/html")
    client.force_login(user)
    return client


@pytest.fixture
def weekly(alice: User) -> Reminder:
    """Alice's weekly reminder, Tuesdays at 09:00 in Madrid from 2 March 2027."""
    return ReminderFactory.create(
        user=alice,
        title="Rotate keys",
        start_date=date(2027, 3, 2),
        start_time=time(9, 0),
        time_zone="Europe/Madrid",
        recurrence="weekly",
    )


@pytest.fixture
def standup(alice: User) -> CalendarEvent:
    return services.create_event(
        user=alice,
        title="Sprint review",
        start=datetime(2027, 3, 10, 15, 0),
        end=datetime(2027, 3, 10, 16, 0),
        time_zone="Europe/Madrid",
    )


def _rows_with(html: str, title: str) -> int:
    rows = re.findall(r"<tr>.*?</tr>", html, re.S)
    return sum(1 for row in rows if title in row)


# --- The views ------------------------------------------------------------------------------------


def test_the_month_shows_alices_events_and_her_weekly_reminder_in_each_week(
    alice: User, weekly: Reminder, standup: CalendarEvent
) -> None:
    update_preferences(user=alice, time_zone="Europe/Madrid")
    response = _client(alice).get("/calendar/month/2027/3/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("Rotate keys") == 5  # Tuesdays 2, 9, 16, 23 and 30 March
    assert _rows_with(html, "Rotate keys") == 5  # one in each week's row
    assert html.count("Sprint review") == 1
    assert f'href="/calendar/events/{standup.id}/"' in html
    assert services.reminder_url(weekly.id) in html
    text = _text(html)
    assert "March 2027" in text
    assert "Times in Europe/Madrid." in text
    assert 'rel="prev" href' not in html  # real links, in order
    assert 'href="/calendar/month/2027/2/"' in html
    assert 'href="/calendar/month/2027/4/"' in html
    # A table with column headers, Monday first by default.
    headers = re.findall(r'<th scope="col"><abbr title="([^"]+)">', html)
    assert headers[0] == "Monday"
    assert len(headers) == 7


def test_the_week_starts_on_the_persons_week_start_and_shows_times(
    alice: User, weekly: Reminder, standup: CalendarEvent
) -> None:
    update_preferences(user=alice, time_zone="Europe/Madrid", week_start=6)
    response = _client(alice).get("/calendar/week/2027/3/10/")
    html = response.content.decode()
    assert response.status_code == 200
    days = re.findall(r'data-day="([0-9-]+)"', html)
    assert days == [f"2027-03-{day:02d}" for day in range(7, 14)]  # Sunday 7 to Saturday 13
    text = _text(html)
    assert "Rotate keys" in text
    assert "Sprint review" in text
    assert "9 a.m." in text  # the reminder's hour row, localized
    assert "3 p.m." in text


def test_the_agenda_lists_the_next_days_in_the_persons_zone(alice: User, weekly: Reminder) -> None:
    update_preferences(user=alice, time_zone="America/New_York")
    response = _client(alice).get("/calendar/agenda/2027/3/1/")
    text = _text(response.content.decode())
    assert response.status_code == 200
    assert text.count("Rotate keys") == 2  # 2 and 9 March
    assert "3 a.m. Rotate keys" in text  # 09:00 in Madrid is 03:00 in New York


def test_the_default_view_follows_the_preference(alice: User) -> None:
    client = _client(alice)
    assert "cal-month" in client.get("/calendar/").content.decode()
    update_preferences(user=alice, calendar_view="agenda")
    assert "cal-agenda" in client.get("/calendar/").content.decode() or "Nothing in these" in _text(
        client.get("/calendar/").content.decode()
    )
    update_preferences(user=alice, calendar_view="week")
    assert "cal-week" in client.get("/calendar/").content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/calendar/month/2027/13/",
        "/calendar/month/99999/1/",
        "/calendar/week/2027/2/30/",
        "/calendar/agenda/0/1/1/",
    ],
)
def test_a_date_that_doesnt_exist_is_a_404(alice: User, path: str) -> None:
    assert _client(alice).get(path).status_code == 404


# --- Access ---------------------------------------------------------------------------------------

SIGNED_IN_PAGES = [
    "/calendar/",
    "/calendar/month/2027/3/",
    "/calendar/week/2027/3/1/",
    "/calendar/agenda/2027/3/1/",
    "/calendar/events/new/",
    "/calendar/import/",
]


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_signed_out_pages_ask_to_sign_in(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_charlie_sees_none_of_alices_calendar(
    alice: User, charlie: User, weekly: Reminder, standup: CalendarEvent
) -> None:
    alices_token = services.reset_feed(user=alice)
    client = _client(charlie)
    for path in SIGNED_IN_PAGES[:4]:
        html = client.get(path).content.decode()
        assert "Rotate keys" not in html
        assert "Sprint review" not in html
        assert alices_token not in html
    html = client.get("/calendar/month/2027/3/").content.decode()
    assert "Rotate keys" not in html
    for path in (
        f"/calendar/events/{standup.id}/",
        f"/calendar/events/{standup.id}/edit/",
        f"/calendar/events/{standup.id}/delete/",
        f"/calendar/events/{standup.id}.ics",
        f"/calendar/reminders/{weekly.id}.ics",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/calendar/events/{standup.id}/delete/").status_code == 404
    assert client.post(f"/calendar/events/{standup.id}/edit/", {"title": "Mine"}).status_code == 404
    assert CalendarEvent.objects.filter(pk=standup.pk, title="Sprint review").exists()
    # Signed out, the same addresses ask to sign in.
    anonymous = Client()
    for path in (f"/calendar/events/{standup.id}/", f"/calendar/events/{standup.id}.ics"):
        assert anonymous.get(path).status_code == 302


# --- Event pages ----------------------------------------------------------------------------------


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "title": "Planning",
        "event_type": "meeting",
        "start_date": "2027-04-05",
        "start_time": "10:00",
        "end_date": "2027-04-05",
        "end_time": "11:30",
        "time_zone": "Europe/Madrid",
        "repeats": "weekly",
        "rule": "",
        "description": "Plan the sprint.",
    }
    data.update(overrides)
    return data


def test_create_show_edit_and_delete_an_event(alice: User) -> None:
    client = _client(alice)
    form = client.get("/calendar/events/new/?date=2027-04-05").content.decode()
    assert 'value="2027-04-05"' in form
    response = client.post("/calendar/events/new/", _form())
    assert response.status_code == 302
    event = CalendarEvent.objects.get(user=alice)
    assert response["Location"] == f"/calendar/events/{event.id}/"
    assert event.rule == "FREQ=WEEKLY;BYDAY=MO"
    page = _text(client.get(response["Location"]).content.decode())
    assert "Planning" in page
    assert "Repeats Weekly" in page
    edit = client.get(f"/calendar/events/{event.id}/edit/").content.decode()
    assert 'value="weekly" selected' in edit
    response = client.post(f"/calendar/events/{event.id}/edit/", _form(title="Planning v2", repeats="none"))
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.title, event.rule) == ("Planning v2", "")
    assert client.post(f"/calendar/events/{event.id}/delete/").status_code == 302
    assert not CalendarEvent.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end_time": "09:00"}, "The end can&#x27;t be before the start."),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice."),
        ({"repeats": "rrule", "rule": "FREQ=SECONDLY"}, "at most hourly"),
        ({"repeats": "rrule", "rule": ""}, "Enter a rule"),
        ({"title": "x" * 201}, "at most 200 characters"),
        ({"title": "   "}, "This field is required."),
        ({"start_time": ""}, "Enter a start time"),
        ({"start_date": "2027-02-30"}, "Enter a valid date."),
    ],
)
def test_a_bad_event_form_is_a_400_naming_the_problem_and_writes_nothing(
    alice: User, overrides: dict[str, str], message: str
) -> None:
    response = _client(alice).post("/calendar/events/new/", _form(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CalendarEvent.objects.exists()


def test_the_form_writes_dates_as_date_inputs_read_them_in_spanish_too(alice: User) -> None:
    update_preferences(user=alice, language="es")
    event = services.create_event(user=alice, title="Reunión", start=datetime(2027, 4, 5, 10, 0))
    client = _client(alice)
    for path in ("/calendar/events/new/?date=2027-04-05", f"/calendar/events/{event.id}/edit/"):
        html = client.get(path, HTTP_ACCEPT_LANGUAGE="es").content.decode()
        assert 'type="date" name="start_date" value="2027-04-05"' in html, path
        assert 'value="10:00"' in html


def test_a_nul_in_the_form_is_refused_before_the_view(alice: User) -> None:
    response = _client(alice).post("/calendar/events/new/", _form(title="a\x00b"))
    assert response.status_code == 400
    assert not CalendarEvent.objects.exists()


# --- .ics downloads and the feed ------------------------------------------------------------------


def test_an_event_and_a_reminder_download_as_ics(
    alice: User, weekly: Reminder, standup: CalendarEvent
) -> None:
    client = _client(alice)
    response = client.get(f"/calendar/events/{standup.id}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    (event,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Sprint review"
    response = client.get(f"/calendar/reminders/{weekly.id}.ics")
    calendar = icalendar.Calendar.from_ical(response.content)
    (reminder,) = calendar.walk("VEVENT")
    assert reminder["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=TU"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Madrid"]


def test_the_feed_needs_no_sign_in_and_a_reset_address_is_a_404(
    alice: User, charlie: User, weekly: Reminder, standup: CalendarEvent
) -> None:
    client = _client(alice)
    page = client.get("/calendar/").content.decode()
    assert "Create the address" in page
    assert client.post("/calendar/feed/reset/").status_code == 302
    token = services.feed_token(user=alice)
    assert token is not None
    page = client.get("/calendar/").content.decode()
    assert f"/calendar/feed/{token}.ics" in page
    assert "Reset the address" in page

    anonymous = Client()
    response = anonymous.get(f"/calendar/feed/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    calendar = icalendar.Calendar.from_ical(response.content)
    assert {str(c["SUMMARY"]) for c in calendar.walk("VEVENT")} == {"Rotate keys", "Sprint review"}
    assert calendar.walk("VTIMEZONE")
    assert CalendarFeed.objects.get(user=alice).last_fetched_at is not None
    assert anonymous.head(f"/calendar/feed/{token}.ics").status_code == 200  # calendar apps probe
    assert anonymous.post(f"/calendar/feed/{token}.ics").status_code == 405

    # Charlie's own feed holds nothing of alice's; his reset leaves her address working.
    charlies_client = _client(charlie)
    charlies_client.post("/calendar/feed/reset/")
    charlies_token = services.feed_token(user=charlie)
    assert charlies_token is not None
    assert charlies_token != token
    theirs = icalendar.Calendar.from_ical(anonymous.get(f"/calendar/feed/{charlies_token}.ics").content)
    assert theirs.walk("VEVENT") == []
    charlies_client.post("/calendar/feed/reset/")
    assert anonymous.get(f"/calendar/feed/{token}.ics").status_code == 200

    # Alice resets: the old address is a 404, the new one works.
    client.post("/calendar/feed/reset/")
    assert anonymous.get(f"/calendar/feed/{token}.ics").status_code == 404
    assert anonymous.get(f"/calendar/feed/{services.feed_token(user=alice)}.ics").status_code == 200
    assert anonymous.get("/calendar/feed/" + "A" * 43 + ".ics").status_code == 404
    assert anonymous.get("/calendar/feed/short.ics").status_code == 404


def test_signed_out_reset_asks_to_sign_in_and_changes_nothing(client: Client, alice: User) -> None:
    token = services.reset_feed(user=alice)
    response = client.post("/calendar/feed/reset/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert services.feed_token(user=alice) == token


# --- Import ---------------------------------------------------------------------------------------


def _upload(client: Client, name: str, data: bytes) -> Any:
    return client.post("/calendar/import/", {"file": SimpleUploadedFile(name, data, "text/calendar")})


def test_import_says_what_it_imported_updated_and_skipped(alice: User) -> None:
    client = _client(alice)
    data = (ICS / "google.ics").read_bytes()
    response = _upload(client, "google.ics", data)
    assert response.status_code == 302
    text = _text(client.get(response["Location"]).content.decode())
    assert "Imported 2 events, updated 0, skipped 1." in text
    assert "Skipped “Team sync (longer)”: It changes one occurrence of a repeating event" in text
    response = _upload(client, "google.ics", data)
    text = _text(client.get(response["Location"]).content.decode())
    assert "Imported 0 events, updated 2, skipped 1." in text
    assert CalendarEvent.objects.filter(user=alice).count() == 2


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.txt", b"just some notes", "isn&#x27;t a valid iCalendar (.ics) file"),
        ("broken.ics", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n\xff\xfe", "UTF-8"),
        ("big.ics", b"BEGIN:VCALENDAR\r\n" + b"X" * (2 * 1024 * 1024 + 10), "at most 2 MB"),
    ],
)
def test_a_file_that_cant_be_imported_is_a_form_error_and_writes_nothing(
    alice: User, name: str, data: bytes, message: str
) -> None:
    response = _upload(_client(alice), name, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CalendarEvent.objects.exists()


def test_a_10_mb_file_is_refused_before_it_is_read(alice: User) -> None:
    response = _upload(_client(alice), "huge.ics", b"BEGIN:VCALENDAR\r\n" + b"X" * (10 * 1024 * 1024))
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert not CalendarEvent.objects.exists()


def test_an_import_without_a_file_is_a_form_error(alice: User) -> None:
    response = _client(alice).post("/calendar/import/", {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
