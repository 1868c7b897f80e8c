"""reminders.services.calendar: events (validated as a whole, nothing written on error), the
calendar's visible range (events and reminder occurrences, expanded for that range only), the
private feed's token, and the import of .ics files written the way Google, Apple and Thunderbird
write them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from preferences.services import update_preferences
from reminders import services
from reminders.errors import CalendarImportError, NotFound
from reminders.models import CalendarEvent, CalendarFeed
from reminders.services import calendar as calendar_services
from reminders.tests.factories import ReminderFactory

pytestmark = pytest.mark.django_db

ICS = Path(__file__).parent / "ics"


def _event(user: User, **fields: Any) -> CalendarEvent:
    values: dict[str, Any] = {
        "title": "Standup",
        "start": datetime(2026, 12, 1, 9, 30),
        "end": datetime(2026, 12, 1, 10, 0),
        "time_zone": "Europe/Madrid",
    }
    values.update(fields)
    return services.create_event(user=user, **values)


# --- Events ---------------------------------------------------------------------------------------


def test_a_timed_event_keeps_its_wall_times_and_its_utc_instants(alice: User) -> None:
    event = _event(alice)
    assert (event.start_date, event.start_time) == (date(2026, 12, 1), time(9, 30))
    assert event.start_at == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    assert event.end_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert event.time_zone == "Europe/Madrid"


def test_the_zone_defaults_to_the_persons_and_the_end_to_an_hour(alice: User) -> None:
    update_preferences(user=alice, time_zone="America/New_York")
    event = services.create_event(user=alice, title="Call", start=datetime(2026, 7, 1, 9, 0))
    assert event.time_zone == "America/New_York"
    assert event.start_at == datetime(2026, 7, 1, 13, 0, tzinfo=UTC)
    assert event.end_at - event.start_at == timedelta(hours=1)


def test_a_wall_time_in_the_spring_gap_reads_with_the_offset_before_it(alice: User) -> None:
    event = _event(
        alice,
        start=datetime(2026, 3, 8, 2, 30),
        end=datetime(2026, 3, 8, 3, 30),
        time_zone="America/New_York",
    )
    # RFC 5545 §3.3.5, as reminders.recurrence reads it: 02:30 EST → 07:30Z.
    assert event.start_at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert event.end_at >= event.start_at


def test_an_all_day_event_covers_its_days_in_its_zone(alice: User) -> None:
    event = _event(alice, all_day=True, start=date(2026, 12, 24), end=date(2026, 12, 26))
    assert (event.start_time, event.end_time) == (None, None)
    assert event.start_at == datetime(2026, 12, 23, 23, 0, tzinfo=UTC)  # midnight in Madrid
    assert event.end_at == datetime(2026, 12, 26, 23, 0, tzinfo=UTC)  # the midnight after the 26th


def test_every_bad_field_is_named_at_once_and_nothing_is_written(alice: User) -> None:
    with pytest.raises(ValidationError) as caught:
        _event(alice, title="x" * 201, time_zone="Mars/Olympus", rule="FREQ=SOMETIMES", event_type="party")
    assert set(caught.value.message_dict) == {"title", "time_zone", "rule", "event_type"}
    assert "200 characters" in caught.value.message_dict["title"][0]
    assert "time zone" in caught.value.message_dict["time_zone"][0]
    assert CalendarEvent.objects.count() == 0


def test_an_end_before_the_start_is_an_error_on_end(alice: User) -> None:
    with pytest.raises(ValidationError) as caught:
        _event(alice, end=datetime(2026, 12, 1, 9, 0))
    assert caught.value.message_dict == {"end": ["The end can't be before the start."]}
    with pytest.raises(ValidationError) as caught:
        _event(alice, all_day=True, start=date(2026, 12, 2), end=date(2026, 12, 1))
    assert list(caught.value.message_dict) == ["end"]
    assert CalendarEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=SECONDLY", "at most hourly"),
        ("FREQ=WEEKLY;BYDAY=XX", "can't be read"),
        ("FREQ=DAILY;COUNT=2;UNTIL=20270101", "COUNT or UNTIL"),
        ("BYDAY=MO", "needs a FREQ"),
        ("FREQ=DAILY\nX-EVIL:1", "PART=VALUE"),
    ],
)
def test_an_invalid_rule_is_refused(alice: User, rule: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _event(alice, rule=rule)
    assert message in caught.value.message_dict["rule"][0]
    assert CalendarEvent.objects.count() == 0


def test_wrong_types_and_unusable_text_are_refused(alice: User) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_event(
            user=alice, title=["list"], start="tomorrow", all_day="yes", time_zone="../../etc/passwd"
        )
    assert set(caught.value.message_dict) >= {"title", "start", "all_day", "time_zone"}
    with pytest.raises(ValidationError) as caught:
        _event(alice, title="\x00\ud800")  # nothing but a NUL and a lone surrogate: empty once cleaned
    assert caught.value.message_dict["title"] == ["This field is required."]
    with pytest.raises(ValidationError) as caught:
        _event(alice, start=datetime(9999, 12, 31, 23, 0), end=None)
    assert "between" in caught.value.message_dict["start"][0]
    with pytest.raises(ValidationError) as caught:
        _event(alice, description="y" * 1_000_000)
    assert "5000" in caught.value.message_dict["description"][0].replace(",", "")
    with pytest.raises(ValidationError) as caught:
        _event(alice, location="Room 1")
    assert caught.value.message_dict == {"location": ["Unknown field."]}
    assert CalendarEvent.objects.count() == 0


def test_a_rule_is_stored_normalized(alice: User) -> None:
    event = _event(alice, rule=" rrule:freq=weekly;byday=tu ")
    assert event.rule == "FREQ=WEEKLY;BYDAY=TU"


def test_update_changes_only_what_is_sent_and_checks_the_whole(alice: User) -> None:
    event = _event(alice)
    changed = services.update_event(user=alice, event_id=event.id, title="Daily standup")
    assert changed.title == "Daily standup"
    assert changed.start_at == event.start_at
    with pytest.raises(ValidationError) as caught:
        services.update_event(user=alice, event_id=event.id, start=datetime(2026, 12, 1, 11, 0))
    assert list(caught.value.message_dict) == ["end"]
    event.refresh_from_db()
    assert event.title == "Daily standup"
    assert event.start_time == time(9, 30)
    moved = services.update_event(user=alice, event_id=event.id, all_day=True)
    assert moved.all_day
    assert moved.start_time is None


def test_charlie_can_neither_read_change_nor_delete_alices_event(alice: User, charlie: User) -> None:
    event = _event(alice)
    with pytest.raises(NotFound):
        services.get_event(user=charlie, event_id=event.id)
    with pytest.raises(NotFound):
        services.update_event(user=charlie, event_id=event.id, title="Mine")
    with pytest.raises(NotFound):
        services.delete_event(user=charlie, event_id=event.id)
    with pytest.raises(NotFound):
        services.get_event(user=alice, event_id="not-a-uuid")
    event.refresh_from_db()
    assert event.title == "Standup"
    services.delete_event(user=alice, event_id=event.id)
    assert not CalendarEvent.objects.exists()


# --- The visible range ----------------------------------------------------------------------------


def test_a_weekly_reminder_appears_once_in_each_week_of_the_month(alice: User) -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    reminder = ReminderFactory.create(
        user=alice,
        title="Rotate keys",
        start_date=date(2026, 12, 1),
        start_time=time(9, 0),
        recurrence="weekly",
        time_zone="Europe/Madrid",
        now=now,
    )
    start, end = datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    visible = services.items_between(user=alice, start=start, end=end)
    starts = [item.start for item in visible.items]
    assert starts == [datetime(2026, 12, day, 8, 0, tzinfo=UTC) for day in (1, 8, 15, 22, 29)]
    assert {item.kind for item in visible.items} == {"reminder"}
    assert visible.items[0].url == services.reminder_url(reminder.id)
    assert (
        services.items_between(user=User.objects.create(email="x@example.com"), start=start, end=end).items
        == []
    )


def test_closed_reminders_are_not_shown_and_open_ones_only_from_their_current_occurrence(alice: User) -> None:
    now = timezone.now()
    today = now.date()
    weekly = ReminderFactory.create(user=alice, start_date=today + timedelta(days=1), recurrence="weekly")
    done = ReminderFactory.create(user=alice, start_date=today + timedelta(days=2))
    services.complete_reminder(user=alice, reminder_id=done.id)
    services.complete_reminder(user=alice, reminder_id=weekly.id)  # the first occurrence is done
    weekly.refresh_from_db()
    visible = services.items_between(user=alice, start=now - timedelta(days=1), end=now + timedelta(days=30))
    assert {item.object_id for item in visible.items} == {weekly.id}
    assert visible.items[0].start == weekly.due_at  # the completed first occurrence isn't shown


def test_repeating_events_are_expanded_for_the_range_only_and_bounded(alice: User) -> None:
    _event(
        alice,
        title="Weekly",
        start=datetime(2020, 1, 7, 9, 0),
        end=datetime(2020, 1, 7, 10, 0),
        rule="FREQ=WEEKLY",
    )
    _event(
        alice,
        title="Hourly",
        start=datetime(2026, 12, 1, 0, 0),
        end=datetime(2026, 12, 1, 0, 30),
        rule="FREQ=HOURLY",
    )
    _event(alice, title="Once", start=datetime(2026, 12, 10, 9, 0), end=datetime(2026, 12, 10, 10, 0))
    _event(alice, title="Elsewhere", start=datetime(2027, 3, 10, 9, 0), end=datetime(2027, 3, 10, 10, 0))
    visible = services.items_between(
        user=alice, start=datetime(2026, 12, 1, tzinfo=UTC), end=datetime(2027, 1, 1, tzinfo=UTC)
    )
    titles = [item.title for item in visible.items]
    assert titles.count("Weekly") == 5  # Tuesdays of December 2026, not the 361 since 2020
    assert titles.count("Once") == 1
    assert "Elsewhere" not in titles
    assert titles.count("Hourly") == calendar_services.MAX_PER_SERIES
    assert visible.truncated == ["Hourly"]


def test_an_event_that_began_before_the_range_and_is_still_running_is_shown(alice: User) -> None:
    _event(alice, title="Retreat", all_day=True, start=date(2026, 11, 28), end=date(2026, 12, 2))
    visible = services.items_between(
        user=alice, start=datetime(2026, 12, 1, tzinfo=UTC), end=datetime(2026, 12, 8, tzinfo=UTC)
    )
    assert [(item.title, item.first_day, item.last_day) for item in visible.items] == [
        ("Retreat", date(2026, 11, 28), date(2026, 12, 2))
    ]


def test_events_between_selects_series_with_an_occurrence_in_range(alice: User) -> None:
    weekly = _event(alice, title="Weekly", rule="FREQ=WEEKLY;COUNT=3")
    _event(alice, title="Later", start=datetime(2027, 5, 1, 9, 0), end=datetime(2027, 5, 1, 10, 0))
    december = services.events_between(
        user=alice, start=datetime(2026, 12, 10, tzinfo=UTC), end=datetime(2026, 12, 20, tzinfo=UTC)
    )
    assert [event.id for event in december] == [weekly.id]
    january = services.events_between(
        user=alice, start=datetime(2027, 1, 1, tzinfo=UTC), end=datetime(2027, 2, 1, tzinfo=UTC)
    )
    assert january == []  # COUNT=3 ended on 15 December


# --- The feed -------------------------------------------------------------------------------------


def test_the_feed_token_is_random_hashed_and_replaced_by_a_reset(alice: User, charlie: User) -> None:
    assert services.feed_token(user=alice) is None
    first = services.reset_feed(user=alice)
    assert len(first) >= 43
    feed = CalendarFeed.objects.get(user=alice)
    assert feed.token_hash != first
    assert first not in str(CalendarFeed.objects.filter(user=alice).values_list("token_hash", flat=True)[0])
    assert services.feed_owner(token=first) == alice
    second = services.reset_feed(user=alice)
    assert second != first
    with pytest.raises(NotFound):
        services.feed_owner(token=first)
    assert services.feed_owner(token=second) == alice
    # Charlie's own reset touches nothing of alice's.
    charlies = services.reset_feed(user=charlie)
    assert services.feed_owner(token=charlies) == charlie
    assert services.feed_owner(token=second) == alice
    for bad in ("", "short", "x" * 1000, "A" * 43):
        with pytest.raises(NotFound):
            services.feed_owner(token=bad)


# --- Import ---------------------------------------------------------------------------------------


def test_a_google_export_imports_with_its_zone_rule_and_all_day_event(alice: User) -> None:
    summary = services.import_calendar(user=alice, data=(ICS / "google.ics").read_bytes())
    assert (summary.created, summary.updated) == (2, 0)
    assert [label for label, _reason in summary.skipped] == ["Team sync (longer)"]
    assert "one occurrence" in summary.skipped[0][1]
    sync = CalendarEvent.objects.get(user=alice, uid="5k3j2h1g0f9e8d7c6b5a4@google.com")
    assert (sync.title, sync.time_zone) == ("Team sync", "America/Los_Angeles")
    assert (sync.start_date, sync.start_time, sync.end_time) == (date(2026, 12, 1), time(9, 30), time(10, 0))
    assert sync.start_at == datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    assert sync.rule == "FREQ=WEEKLY;UNTIL=20270301T075959Z;BYDAY=TU;WKST=SU"
    assert sync.description == "Weekly sync, with the team."
    holidays = CalendarEvent.objects.get(user=alice, uid="0a1b2c3d4e5f@google.com")
    assert holidays.all_day
    assert (holidays.start_date, holidays.end_date) == (date(2026, 12, 24), date(2026, 12, 26))


def test_an_apple_export_imports_with_a_gap_time_and_emoji(alice: User) -> None:
    summary = services.import_calendar(user=alice, data=(ICS / "apple.ics").read_bytes())
    assert (summary.created, summary.skipped) == (2, [])
    backup = CalendarEvent.objects.get(user=alice, title="Backup check")
    # 02:30 on the day Madrid springs forward: kept as written, read with the offset before the gap.
    assert (backup.time_zone, backup.start_time) == ("Europe/Madrid", time(2, 30))
    assert backup.start_at == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert backup.rule == "FREQ=MONTHLY;COUNT=6;BYMONTHDAY=-1"
    eve = CalendarEvent.objects.get(user=alice, uid="0B9C8D7E-6F5A-4B3C-2D1E-0F9A8B7C6D5E")
    assert eve.title == "New Year\u2019s Eve 🎉"
    assert eve.all_day
    assert eve.end_date == date(2026, 12, 31)


def test_a_thunderbird_export_imports_and_says_why_it_skipped_two(alice: User) -> None:
    summary = services.import_calendar(user=alice, data=(ICS / "thunderbird.ics").read_bytes())
    assert summary.created == 1
    reasons = dict(summary.skipped)
    assert set(reasons) == {"Every second wrong", "Backwards"}
    assert "hourly" in reasons["Every second wrong"]
    assert "end" in reasons["Backwards"]
    build = CalendarEvent.objects.get(user=alice)
    assert (build.title, build.time_zone, build.rule) == (
        "Release build",
        "Europe/Berlin",
        "FREQ=DAILY;COUNT=10;INTERVAL=2",
    )
    assert build.description == "Nightly-ish build\nSecond line"


def test_importing_the_same_file_twice_updates_instead_of_doubling(alice: User, charlie: User) -> None:
    data = (ICS / "google.ics").read_bytes()
    services.import_calendar(user=alice, data=data)
    again = services.import_calendar(
        user=alice, data=data.replace(b"SUMMARY:Team sync\r\n", b"SUMMARY:Team sync v2\r\n")
    )
    assert (again.created, again.updated) == (0, 2)
    assert CalendarEvent.objects.filter(user=alice).count() == 2
    assert CalendarEvent.objects.filter(user=alice, title="Team sync v2").exists()
    # The same UIDs are charlie's own events when he imports the file: alice's are untouched.
    theirs = services.import_calendar(user=charlie, data=data)
    assert theirs.created == 2
    assert CalendarEvent.objects.filter(user=alice, title="Team sync v2").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "isn't a valid iCalendar"),
        (b"%PDF-1.7 binary \x00\x01", "isn't a valid iCalendar"),
        (b"Subject: hello\r\n\r\nnot a calendar", "isn't a valid iCalendar"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:2026\r\n", "iCalendar"),
        ("BEGIN:VCALENDAR\r\nSUMMARY:caf\u00e9\r\nEND:VCALENDAR\r\n".encode("latin-1"), "UTF-8"),
        (b"BEGIN:VCALENDAR\r\n" + b"X" * (3 * 1024 * 1024) + b"\r\nEND:VCALENDAR\r\n", "2 MB"),
    ],
)
def test_a_file_that_isnt_icalendar_is_refused_and_nothing_is_written(
    alice: User, data: bytes, message: str
) -> None:
    with pytest.raises(CalendarImportError) as caught:
        services.import_calendar(user=alice, data=data)
    assert message in str(caught.value)
    assert not CalendarEvent.objects.exists()


def test_a_file_with_too_many_events_is_refused_whole(alice: User) -> None:
    event = (
        "BEGIN:VEVENT\r\nUID:{n}\r\nDTSTAMP:20261130T000000Z\r\n"
        "DTSTART:20261201T090000Z\r\nSUMMARY:E{n}\r\nEND:VEVENT\r\n"
    )
    body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
    body += "".join(event.format(n=n) for n in range(calendar_services.IMPORT_MAX_EVENTS + 1))
    body += "END:VCALENDAR\r\n"
    with pytest.raises(CalendarImportError) as caught:
        services.import_calendar(user=alice, data=body.encode())
    assert "1001" in str(caught.value).replace(",", "")
    assert not CalendarEvent.objects.exists()


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=HOURLY",
        "FREQ=HOURLY;INTERVAL=5;BYDAY=MO,TH",
        "FREQ=DAILY;INTERVAL=3",
        "FREQ=DAILY;BYMONTHDAY=1,15,31",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU",
        "FREQ=WEEKLY;UNTIL=20261215T000000Z",
    ],
)
def test_a_series_from_long_ago_expands_to_the_same_occurrences_from_a_later_start(rule: str) -> None:
    from reminders.recurrence import Schedule

    schedule = Schedule.of(
        start_date=date(2019, 3, 31),
        start_time=time(2, 30),
        time_zone="Europe/Madrid",
        recurrence="rrule",
        rule=rule,
    )
    start, end = datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)  # across the fall-back
    moved = calendar_services.anchored(schedule, near=start)
    assert moved.start > datetime(2026, 1, 1)
    assert moved.between(start, end, limit=400) == schedule.between(start, end, limit=400)
    assert calendar_services.anchored(schedule, near=datetime(2019, 4, 1, tzinfo=UTC)) == schedule


def test_a_skipped_events_reason_is_its_message_without_the_field_code(alice: User) -> None:
    backwards = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\nUID:back@test\r\n"
        b"DTSTAMP:20261101T000000Z\r\nDTSTART:20261205T150000Z\r\nDTEND:20261205T140000Z\r\n"
        b"SUMMARY:Backwards\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    summary = services.import_calendar(user=alice, data=backwards)
    assert summary.skipped == [("Backwards", "The end can't be before the start.")]
