"""reminders.ical: what the feed and downloads write parses back with icalendar, as RFC 5545 wants
it (PRODID, VERSION, UID, DTSTAMP), with RRULEs rather than copies and a VTIMEZONE per zone used;
cron reminders become an RRULE or, when no RRULE can say them, RDATEs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil import rrule as dateutil_rrule

from accounts.models import User
from reminders import ical, services
from reminders.tests.factories import ReminderFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _parse(body: bytes) -> Any:
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar["PRODID"] == ical.PRODID
    assert calendar["VERSION"] == "2.0"
    for component in calendar.walk("VEVENT"):
        assert component.get("UID")
        assert component.get("DTSTAMP")
        assert component.get("DTSTART")
    return calendar


def test_the_feed_holds_events_and_open_reminders_as_rrules_with_vtimezones(alice: User) -> None:
    services.create_event(
        user=alice,
        title="Standup",
        start=datetime(2026, 12, 1, 9, 30),
        end=datetime(2026, 12, 1, 9, 45),
        time_zone="America/New_York",
        rule="FREQ=WEEKLY;BYDAY=TU;UNTIL=20270131",
    )
    services.create_event(
        user=alice,
        title="Launch",
        all_day=True,
        start=date(2026, 12, 15),
        end=date(2026, 12, 16),
        time_zone="UTC",
    )
    ReminderFactory.create(
        user=alice,
        title="Rotate keys",
        start_date=date(2026, 12, 2),
        start_time=time(8, 0),
        time_zone="Europe/Madrid",
        recurrence="monthly",
        lead_minutes=60,
        now=NOW,
    )
    closed = ReminderFactory.create(user=alice, title="Done already", now=NOW)
    services.cancel_reminder(user=alice, reminder_id=closed.id)
    events, reminders = services.feed_contents(user=alice)
    calendar = _parse(ical.build_calendar(events=events, reminders=reminders, now=NOW, name="Javari AI"))

    components: dict[str, Any] = {str(c["SUMMARY"]): c for c in calendar.walk("VEVENT")}
    assert set(components) == {"Standup", "Launch", "Rotate keys"}  # not the cancelled reminder
    zones = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    assert {"America/New_York", "Europe/Madrid"} <= zones

    standup = components["Standup"]
    assert standup["DTSTART"].params["TZID"] == "America/New_York"
    assert standup.decoded("DTSTART") == datetime(2026, 12, 1, 9, 30, tzinfo=ZoneInfo("America/New_York"))
    rule = standup["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"]
    # UNTIL beside a DTSTART with TZID is UTC (RFC 5545 §3.3.10): the end of 31 January in New York.
    assert rule["UNTIL"] == [datetime(2027, 2, 1, 4, 59, 59, tzinfo=UTC)]
    occurrences = list(
        dateutil_rrule.rrulestr(standup["RRULE"].to_ical().decode(), dtstart=standup.decoded("DTSTART"))
    )
    assert len(occurrences) == 9  # the Tuesdays from 1 December to 26 January: one VEVENT, not nine

    launch = components["Launch"]
    assert launch.decoded("DTSTART") == date(2026, 12, 15)
    assert launch.decoded("DTEND") == date(2026, 12, 17)  # exclusive

    rotate = components["Rotate keys"]
    assert rotate["DTSTART"].params["TZID"] == "Europe/Madrid"
    assert rotate["RRULE"].to_ical() == b"FREQ=MONTHLY;BYMONTHDAY=2"
    assert rotate["X-JAVARI-KIND"] == "reminder"
    (alarm,) = rotate.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(hours=1)


def test_a_weekday_cron_becomes_an_rrule_saying_the_same_thing(alice: User) -> None:
    reminder = ReminderFactory.create(
        user=alice,
        title="Standup notes",
        start_date=date(2026, 12, 1),
        start_time=time(0, 0),
        time_zone="Europe/Madrid",
        recurrence="cron",
        rule="0 9 * * 1-5",
        now=NOW,
    )
    assert ical.cron_as_rrule("0 9 * * 1-5") == "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0"
    calendar = _parse(ical.build_calendar(events=[], reminders=[reminder], now=NOW))
    (component,) = calendar.walk("VEVENT")
    start = component.decoded("DTSTART")
    assert start == datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/Madrid"))
    rule = dateutil_rrule.rrulestr(component["RRULE"].to_ical().decode(), dtstart=start.replace(tzinfo=None))
    ours = services.schedule_of(reminder).between(NOW, NOW + timedelta(days=28))
    theirs = [
        wall.replace(tzinfo=ZoneInfo("Europe/Madrid")).astimezone(UTC)
        for wall in rule.between(datetime(2026, 11, 30), datetime(2026, 12, 28, 13, 0), inc=True)
    ]
    assert theirs == ours


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("30 8 1,15 * *", "FREQ=DAILY;BYMONTHDAY=1,15;BYHOUR=8;BYMINUTE=30"),
        ("0 9 L 1,7 *", "FREQ=DAILY;BYMONTH=1,7;BYMONTHDAY=-1;BYHOUR=9;BYMINUTE=0"),
        ("0 18 * * 0,7", "FREQ=DAILY;BYDAY=SU;BYHOUR=18;BYMINUTE=0"),
        ("0 9 1 * 1", None),  # cron's "the 1st OR a Monday"
        ("0 9 * * 1#2", None),  # the second Monday
    ],
)
def test_cron_as_rrule(expression: str, expected: str | None) -> None:
    assert ical.cron_as_rrule(expression) == expected


def test_a_cron_no_rrule_can_say_is_written_as_the_next_years_rdates(alice: User) -> None:
    reminder = ReminderFactory.create(
        user=alice,
        start_date=date(2026, 12, 1),
        start_time=time(0, 0),
        time_zone="UTC",
        recurrence="cron",
        rule="0 9 1 * 1",
        now=NOW,
    )
    calendar = _parse(ical.build_calendar(events=[], reminders=[reminder], now=NOW))
    (component,) = calendar.walk("VEVENT")
    assert "RRULE" not in component
    rdates = [moment.dt for moment in component["RDATE"].dts]
    starts = [component.decoded("DTSTART"), *rdates]
    assert starts[:3] == [
        datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("UTC")),  # the 1st (a Tuesday)
        datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("UTC")),  # a Monday
        datetime(2026, 12, 14, 9, 0, tzinfo=ZoneInfo("UTC")),
    ]
    assert all(start < NOW + ical.RDATE_SPAN for start in starts)
    assert 60 <= len(starts) <= 70  # 52 Mondays and 12 firsts, a few of them the same day


def test_text_with_commas_semicolons_and_newlines_round_trips(alice: User) -> None:
    event = services.create_event(
        user=alice,
        title="Review; costs, again",
        description="Line one\nLine two, with a comma; and a semicolon",
        start=datetime(2026, 12, 3, 10, 0),
        time_zone="UTC",
    )
    body = ical.build_calendar(events=[event], reminders=[], now=NOW)
    (parsed,) = ical.parse_events(body, default_zone="UTC", max_events=10)
    assert parsed.values["title"] == "Review; costs, again"
    assert parsed.values["description"] == "Line one\nLine two, with a comma; and a semicolon"
    assert parsed.uid == f"event-{event.id}@javari"


@pytest.mark.parametrize(
    ("recurrence", "rule", "first"),
    [
        ("rrule", "FREQ=MONTHLY;BYDAY=-1FR", date(2026, 12, 25)),
        ("rrule", "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3", date(2026, 12, 31)),
        ("weekly", "", date(2026, 12, 1)),
    ],
)
def test_dtstart_is_the_first_occurrence_not_a_start_the_rule_skips(
    alice: User, recurrence: str, rule: str, first: date
) -> None:
    """A calendar app counts DTSTART as an occurrence: started on a Tuesday, "the last Friday of
    the month" must not show a reminder on that Tuesday, nor COUNT=3 one too many."""
    reminder = ReminderFactory.create(
        user=alice,
        title="Monthly report",
        start_date=date(2026, 12, 1),
        start_time=time(9, 0),
        time_zone="Europe/Madrid",
        recurrence=recurrence,
        rule=rule,
        now=NOW,
    )
    calendar = _parse(ical.build_calendar(events=[], reminders=[reminder], now=NOW))
    (component,) = calendar.walk("VEVENT")
    start = component.decoded("DTSTART")
    assert start == datetime.combine(first, time(9, 0), tzinfo=ZoneInfo("Europe/Madrid"))
    theirs = list(
        dateutil_rrule.rrulestr(component["RRULE"].to_ical().decode(), dtstart=start.replace(tzinfo=None))
    )[:3]
    ours = services.schedule_of(reminder).between(NOW, NOW + timedelta(days=400), limit=3)
    assert [wall.replace(tzinfo=ZoneInfo("Europe/Madrid")).astimezone(UTC) for wall in theirs] == ours
