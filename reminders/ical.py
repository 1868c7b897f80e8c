"""iCalendar (RFC 5545) in and out, with the icalendar package: the feed, one item's ``.ics``, import.

Out: a VCALENDAR with PRODID, VERSION and CALSCALE; each item a VEVENT with UID, DTSTAMP, SUMMARY
and DTSTART. A timed item's times are wall times with ``TZID`` (its IANA zone), and the calendar
carries a VTIMEZONE for each zone used (``Calendar.add_missing_timezones``), so Google, Apple and
Thunderbird show them at the same instants ``reminders.recurrence`` computes. A repeating item is
one VEVENT with its RRULE, never expanded copies. UNTIL is written as RFC 5545 wants it beside
such a DTSTART: a UTC time (``…Z``), or a date for an all-day event.

Reminders: a VEVENT at the series' first wall time with a VALARM at the lead time, marked
``X-JAVARI-KIND:reminder`` (an import of our own feed skips them: they are not events). A cron
reminder becomes an RRULE when cron's day-of-month or day-of-week is ``*`` (then cron's days are
one condition, not cron's "either one" rule, and FREQ=DAILY with BYMONTH/BYMONTHDAY/BYDAY
limiting and BYHOUR/BYMINUTE expanding says the same thing); otherwise (both restricted, or an
``L``/``#`` form) it is written as RDATEs: its occurrences over the next year, at most
``MAX_RDATES``, which the feed renews as calendar apps poll it.

In: ``parse_events`` reads a file's VEVENTs into ``create_event`` values, each with the reason it
can't be imported when it can't; a file that isn't iCalendar at all raises ``CalendarImportError``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from croniter import CroniterError, croniter
from django.utils.translation import gettext as _

from reminders.errors import CalendarImportError, InvalidTimeZone
from reminders.models import CalendarEvent, EventType, Recurrence, Reminder
from reminders.recurrence import to_utc, to_wall, zone_named
from reminders.text import clean_text

PRODID = "-//Javari AI//Calendar 1.0//EN"
# A cron reminder that no RRULE can say: its occurrences over this span, at most this many.
RDATE_SPAN = timedelta(days=365)
MAX_RDATES = 500
# What the VTIMEZONEs cover: the zone's rules from this year to this one.
TZ_FIRST = date(1970, 1, 1)
TZ_LAST = date(2038, 1, 1)
_WEEKDAY_OF_CRON = {0: "SU", 1: "MO", 2: "TU", 3: "WE", 4: "TH", 5: "FR", 6: "SA", 7: "SU"}
_UNTIL = re.compile(r"UNTIL=([0-9TZ]+)")


# --- Out ------------------------------------------------------------------------------------------


def _calendar(name: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def _aware(wall: datetime, zone: ZoneInfo) -> datetime:
    # fold=0: the wall time as reminders.recurrence reads it (first of an ambiguous pair).
    return wall.replace(tzinfo=zone, fold=0)


def _until_for_export(rule: str, *, zone: ZoneInfo, all_day: bool) -> str:
    """The rule with UNTIL as RFC 5545 wants it beside our DTSTART (our rules may hold a local one)."""

    def convert(match: re.Match[str]) -> str:
        value = match.group(1)
        if value.endswith("Z"):
            instant = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        elif len(value) == 8:
            if all_day:
                return f"UNTIL={value}"
            wall = datetime.combine(datetime.strptime(value, "%Y%m%d").date(), time(23, 59, 59))
            instant = to_utc(wall, zone)
        else:
            instant = to_utc(datetime.strptime(value, "%Y%m%dT%H%M%S"), zone)
        if all_day:
            return f"UNTIL={to_wall(instant, zone):%Y%m%d}"
        return f"UNTIL={instant.astimezone(UTC):%Y%m%dT%H%M%SZ}"

    return _UNTIL.sub(convert, rule)


def _recur(rule: str) -> icalendar.vRecur:
    return icalendar.vRecur.from_ical(rule)


def event_component(event: CalendarEvent, *, now: datetime, base_url: str = "") -> icalendar.Event:
    """One event as a VEVENT (its RRULE, not its occurrences)."""
    component = icalendar.Event()
    component.add("uid", event.uid or f"event-{event.id}@javari")
    component.add("dtstamp", now.astimezone(UTC))
    component.add("created", event.created_at.astimezone(UTC))
    component.add("last-modified", event.updated_at.astimezone(UTC))
    component.add("summary", event.title)
    if event.description:
        component.add("description", event.description)
    zone = zone_named(event.time_zone)
    if event.all_day:
        component.add("dtstart", event.start_date)
        # DTEND of an all-day event is exclusive: the day after the last one.
        component.add("dtend", event.end_date + timedelta(days=1))
    else:
        component.add("dtstart", _aware(datetime.combine(event.start_date, event.start_time or time()), zone))
        component.add("dtend", _aware(datetime.combine(event.end_date, event.end_time or time()), zone))
    if event.rule:
        component.add("rrule", _recur(_until_for_export(event.rule, zone=zone, all_day=event.all_day)))
    component.add("categories", [str(EventType(event.event_type).label)])
    component.add("x-javari-type", event.event_type)
    if base_url:
        component.add("url", f"{base_url}/calendar/events/{event.id}/")
    return component


def cron_as_rrule(expression: str) -> str | None:
    """The RRULE body saying what a 5-field cron expression says, or None when none can (see the
    module's docstring): ``0 9 * * 1-5`` is ``FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0``."""
    try:
        (minutes, hours, days, months, weekdays), nth = croniter.expand(expression)
    except (CroniterError, ValueError, TypeError):
        return None
    if nth or (days != ["*"] and weekdays != ["*"]):
        return None  # cron's "day of month OR day of week", or "the 2nd Monday": no single RRULE
    parts = ["FREQ=DAILY"]
    if months != ["*"]:
        parts.append("BYMONTH=" + ",".join(str(m) for m in months))
    if days != ["*"]:
        if any(not isinstance(d, int) and str(d).lower() != "l" for d in days):
            return None
        parts.append("BYMONTHDAY=" + ",".join("-1" if str(d).lower() == "l" else str(d) for d in days))
    if weekdays != ["*"]:
        if any(not isinstance(d, int) or d not in _WEEKDAY_OF_CRON for d in weekdays):
            return None
        names = dict.fromkeys(_WEEKDAY_OF_CRON[d] for d in weekdays)  # 0 and 7 are both Sunday
        parts.append("BYDAY=" + ",".join(names))
    parts.append("BYHOUR=" + ",".join(str(h) for h in (range(24) if hours == ["*"] else hours)))
    parts.append("BYMINUTE=" + ",".join(str(m) for m in (range(60) if minutes == ["*"] else minutes)))
    return ";".join(parts)


def reminder_component(
    reminder: Reminder, *, now: datetime, base_url: str = "", reminder_url: str = ""
) -> icalendar.Event | None:
    """One reminder as a VEVENT with an alarm at its lead time; None when it has nothing ahead."""
    from reminders.services.reminders import schedule_of

    schedule = schedule_of(reminder)
    zone = schedule.zone
    component = icalendar.Event()
    component.add("uid", f"reminder-{reminder.id}@javari")
    component.add("dtstamp", now.astimezone(UTC))
    component.add("created", reminder.created_at.astimezone(UTC))
    component.add("last-modified", reminder.updated_at.astimezone(UTC))
    component.add("summary", reminder.title)
    if reminder.description:
        component.add("description", reminder.description)
    if reminder.recurrence == Recurrence.CRON:
        rule = cron_as_rrule(reminder.rule)
        if rule is not None:
            first_wall = croniter(reminder.rule, schedule.start - timedelta(minutes=1)).get_next(datetime)
            component.add("dtstart", _aware(first_wall, zone))
            component.add("rrule", _recur(rule))
        else:
            # Both day fields restricted (cron's OR) or an L/# form: the next year's occurrences.
            upcoming = schedule.between(max(now, reminder.due_at), now + RDATE_SPAN, limit=MAX_RDATES)
            if not upcoming:
                return None
            walls = [_aware(to_wall(instant, zone), zone) for instant in upcoming]
            component.add("dtstart", walls[0])
            if len(walls) > 1:
                component.add("rdate", walls[1:])
    else:
        # DTSTART is the first occurrence: RFC 5545 counts DTSTART as one, so a start the rule
        # doesn't match (a Tuesday for "the last Friday") would show up as an extra occurrence.
        first_wall = schedule.first_wall()
        if first_wall is None:
            return None
        component.add("dtstart", _aware(first_wall, zone))
        if reminder.rule:
            component.add("rrule", _recur(_until_for_export(reminder.rule, zone=zone, all_day=False)))
    component.add("transp", "TRANSPARENT")  # a reminder doesn't make the person busy
    component.add("x-javari-kind", "reminder")
    if base_url and reminder_url:
        component.add("url", f"{base_url}{reminder_url}")
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", reminder.title)
    alarm.add("trigger", -timedelta(minutes=reminder.lead_minutes))
    component.add_component(alarm)
    return component


def build_calendar(
    *,
    events: Iterable[CalendarEvent],
    reminders: Iterable[Reminder],
    name: str = "",
    now: datetime,
    base_url: str = "",
    reminder_url: Any = None,
) -> bytes:
    """A whole VCALENDAR (the feed, or one item's download) as bytes, with a VTIMEZONE per zone used.

    ``reminder_url`` maps a reminder's id to its page's path (for the URL property)."""
    calendar = _calendar(name)
    for event in events:
        calendar.add_component(event_component(event, now=now, base_url=base_url))
    for reminder in reminders:
        path = reminder_url(reminder.id) if reminder_url else ""
        component = reminder_component(reminder, now=now, base_url=base_url, reminder_url=path)
        if component is not None:
            calendar.add_component(component)
    calendar.add_missing_timezones(first_date=TZ_FIRST, last_date=TZ_LAST)
    return calendar.to_ical()


# --- In -------------------------------------------------------------------------------------------


@dataclass
class ParsedEvent:
    """One VEVENT of an imported file: its UID, ``create_event`` values, or why it can't be imported."""

    uid: str
    label: str
    values: dict[str, Any] = field(default_factory=dict)
    problem: str = ""


def _text_of(component: icalendar.Component, name: str) -> str:
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return clean_text(str(value))


def _zone_name(value: tzinfo | None) -> str | None:
    """The IANA name of a parsed time's zone, when it has one we know."""
    if value is None:
        return None
    if value is UTC or (value.utcoffset(None) == timedelta(0) and str(value) in {"UTC", "Z"}):
        return "UTC"
    name = getattr(value, "key", None) or getattr(value, "zone", None) or str(value)
    try:
        return zone_named(str(name)).key
    except InvalidTimeZone:
        return None


def _wall_in(moment: datetime, zone_name: str) -> datetime:
    """The wall time in ``zone_name``: as written when it was written in that zone (so a time in a
    DST gap keeps its wall time, read by our rule), else the same instant there."""
    if moment.tzinfo is None or _zone_name(moment.tzinfo) == zone_name:
        return moment.replace(tzinfo=None)
    return to_wall(moment, ZoneInfo(zone_name))


def _read_event(component: icalendar.Component, *, default_zone: str) -> ParsedEvent:
    title = " ".join(_text_of(component, "SUMMARY").split())
    uid = " ".join(_text_of(component, "UID").split())
    start_prop = component.get("DTSTART")
    if not uid:
        raw = f"{title}|{start_prop.to_ical().decode() if start_prop is not None else ''}"
        uid = "import-" + hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()[:32]
    label = title or uid
    parsed = ParsedEvent(uid=uid, label=label[:120])
    if len(uid) > 255:
        parsed.problem = _("Its UID is longer than 255 characters.")
        return parsed
    if component.get("RECURRENCE-ID") is not None:
        parsed.problem = _("It changes one occurrence of a repeating event; only whole series are imported.")
        return parsed
    if str(component.get("X-JAVARI-KIND", "")).lower() == "reminder":
        parsed.problem = _("It is a Javari reminder, not an event: reminders stay on the reminders page.")
        return parsed
    if start_prop is None:
        parsed.problem = _("It has no start (DTSTART).")
        return parsed
    start = component.decoded("DTSTART")
    all_day = isinstance(start, date) and not isinstance(start, datetime)
    if "DTEND" in component:
        end: date | datetime | None = component.decoded("DTEND")
    elif "DURATION" in component:
        duration = component.decoded("DURATION")
        end = start + duration if isinstance(duration, timedelta) else None
    else:
        end = None
    values: dict[str, Any] = {"title": title, "description": _text_of(component, "DESCRIPTION")}
    event_type = str(component.get("X-JAVARI-TYPE", "")).lower()
    values["event_type"] = event_type if event_type in EventType.values else EventType.MEETING
    if all_day:
        if isinstance(end, datetime):
            end = end.date()
        # DTEND of an all-day event is exclusive; our end date is the last day.
        last = end - timedelta(days=1) if isinstance(end, date) and end > start else start
        values.update(all_day=True, start=start, end=last, time_zone=default_zone)
    else:
        assert isinstance(start, datetime)
        zone = _zone_name(start.tzinfo) if start.tzinfo is not None else default_zone
        if zone is None:
            # A zone by a name that isn't IANA's (Outlook's "W. Europe Standard Time" without a
            # mapping): keep the instant, in the person's zone.
            zone = default_zone
        values.update(all_day=False, time_zone=zone, start=_wall_in(start, zone))
        if isinstance(end, datetime):
            values["end"] = _wall_in(end, zone) if (end.tzinfo is None) == (start.tzinfo is None) else None
        elif isinstance(end, date):
            values["end"] = None
    rules = component.get("RRULE")
    if isinstance(rules, list):
        if len(rules) > 1:
            parsed.problem = _("It has more than one RRULE.")
            return parsed
        rules = rules[0] if rules else None
    if rules is not None:
        values["rule"] = rules.to_ical().decode("utf-8", "replace")
    parsed.values = values
    return parsed


def parse_events(data: bytes, *, default_zone: str, max_events: int) -> list[ParsedEvent]:
    """The VEVENTs of an iCalendar file. Raises ``CalendarImportError`` (nothing to import) for a
    file that isn't UTF-8 iCalendar text, can't be parsed, or holds more than ``max_events``."""
    if not data or b"\x00" in data:
        raise CalendarImportError()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CalendarImportError(_("This file isn't UTF-8 text: export it again as an .ics file.")) from exc
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise CalendarImportError()
    text = clean_text(text).replace("\n", "\r\n")
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise CalendarImportError(
            _("This file can't be read as iCalendar: %(reason)s") % {"reason": str(exc)[:200]}
        ) from exc
    components = [event for calendar in calendars for event in calendar.walk("VEVENT")]
    if not calendars or not any(cal.name == "VCALENDAR" for cal in calendars):
        raise CalendarImportError()
    if len(components) > max_events:
        raise CalendarImportError(
            _("This file has %(count)s events; import at most %(limit)s at a time.")
            % {"count": len(components), "limit": max_events}
        )
    parsed = []
    for component in components:
        try:
            parsed.append(_read_event(component, default_zone=default_zone))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
            label = _text_of(component, "SUMMARY") or _text_of(component, "UID") or "?"
            parsed.append(
                ParsedEvent(
                    uid="",
                    label=label[:120],
                    problem=_("It can't be read: %(reason)s") % {"reason": str(exc)[:200]},
                )
            )
    return parsed
