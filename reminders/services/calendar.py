"""Calendar events, the calendar's visible range, the private iCalendar feed and ``.ics`` import.

Times (docs/DESIGN.md "Reminders and calendar"): an event keeps its start and end as wall dates and
times in an IANA zone, and as UTC in ``start_at``/``end_at`` through ``reminders.recurrence.to_utc``
(a wall time in a DST gap is read with the offset before the gap, an ambiguous one is its first
occurrence). An all-day event is its dates in its zone: ``start_at`` is the first day's midnight
there, ``end_at`` the midnight after the last day (``end_date`` is inclusive). A repeating event
carries an RRULE body, validated by ``recurrence.Schedule``; occurrences are expanded only for a
visible range (``items_between``), never stored.

The feed's token is shown once per page view from its encrypted copy and looked up by its SHA-256;
``reset_feed`` replaces both, so the old address answers 404.

Every write here is durable (the outermost transaction) and validates everything first: a bad
field is one ``ValidationError`` keyed by field (``title``, ``start``, ``end``, ``time_zone``,
``rule``…), and nothing is written.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from reminders.errors import CalendarImportError, InvalidRecurrence, InvalidTimeZone, NotFound
from reminders.models import (
    DESCRIPTION_MAX_CHARS,
    TITLE_MAX_CHARS,
    CalendarEvent,
    CalendarFeed,
    EventType,
    Recurrence,
    Reminder,
    ReminderStatus,
)
from reminders.recurrence import Schedule, to_utc, to_wall, zone_named
from reminders.text import clean_text

# The fields a person sets (create_event's keywords; update_event takes any of them).
EVENT_FIELDS = frozenset(
    {"title", "description", "event_type", "all_day", "start", "end", "time_zone", "rule"}
)
# A timed event without an end lasts this long.
DEFAULT_DURATION = timedelta(hours=1)
# The longest event: a year (a longer span is a typo, and would fill every visible range).
MAX_DURATION = timedelta(days=366)
# Dates an event may have: wide enough for any plan, narrow enough that ±1 day never overflows.
EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)
# At most this many occurrences of one series in one visible range (an hourly series in a month
# view is 744); the view says when a series was cut.
MAX_PER_SERIES = 200
# The import: at most this many bytes and this many events in one file.
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_MAX_EVENTS = 1_000


# --- Reading --------------------------------------------------------------------------------------


def get_event(*, user: User, event_id: UUID | str) -> CalendarEvent:
    """The person's event; ``NotFound`` for a missing id, a malformed one, or anyone else's."""
    try:
        return CalendarEvent.objects.get(pk=event_id, user=user)
    except (CalendarEvent.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise NotFound() from exc


def event_schedule(event: CalendarEvent) -> Schedule:
    """The event's stored schedule: its start wall time in its zone, repeating by its RRULE."""
    return Schedule(
        start=datetime.combine(event.start_date, event.start_time or time(0, 0)),
        zone=zone_named(event.time_zone),
        recurrence=Recurrence.RRULE if event.rule else Recurrence.NONE,
        rule=event.rule,
    )


def event_wall_start(event: CalendarEvent) -> datetime | date:
    """The event's start as the person entered it: a date (all day) or a naive wall time."""
    if event.all_day:
        return event.start_date
    return datetime.combine(event.start_date, event.start_time or time(0, 0))


def event_wall_end(event: CalendarEvent) -> datetime | date:
    """The event's end as the person entered it: a date (all day, inclusive) or a naive wall time."""
    if event.all_day:
        return event.end_date
    return datetime.combine(event.end_date, event.end_time or time(0, 0))


def reminder_url(reminder_id: UUID | str) -> str:
    """The reminder's page (helper "pages" builds it; the plain path until its route exists)."""
    try:
        return reverse("reminders:detail", args=[reminder_id])
    except NoReverseMatch:
        return f"/reminders/{reminder_id}/"


# Rules whose occurrences can be counted from any of their cycles: a series that started long ago is
# expanded from a start moved forward by whole cycles (dateutil walks every occurrence from DTSTART:
# an hourly series from 1990 took 3 s to reach this month).
_PERIOD = {"HOURLY": timedelta(hours=1), "DAILY": timedelta(days=1), "WEEKLY": timedelta(days=7)}
_UNITS_PER_WEEK = {"HOURLY": 24 * 7, "DAILY": 7, "WEEKLY": 1}


def anchored(schedule: Schedule, *, near: datetime) -> Schedule:
    """``schedule`` with its start moved forward by whole cycles to just before ``near`` (aware), so
    expanding a range near ``near`` doesn't walk years of occurrences. The same occurrences from
    there on: the shift is a multiple of the rule's INTERVAL and of a week (BYDAY keeps its days),
    in wall time, as dateutil counts. Rules with COUNT or BYSETPOS, monthly, yearly and cron ones
    are left as they are (COUNT counts from the real start; the others are few a year)."""
    if schedule.recurrence != Recurrence.RRULE and schedule.recurrence not in (
        Recurrence.DAILY,
        Recurrence.WEEKLY,
    ):
        return schedule
    parts = dict(piece.split("=", 1) for piece in schedule.rule.split(";") if "=" in piece)
    freq = parts.get("FREQ", "")
    if freq not in _PERIOD or "COUNT" in parts or "BYSETPOS" in parts:
        return schedule
    try:
        interval = int(parts.get("INTERVAL", "1"))
    except ValueError:
        return schedule
    step = _PERIOD[freq] * math.lcm(max(interval, 1), _UNITS_PER_WEEK[freq])
    gap = to_wall(near, schedule.zone) - schedule.start
    if gap <= 2 * step:
        return schedule
    return replace(schedule, start=schedule.start + (gap // step - 1) * step)


@dataclass(frozen=True)
class CalendarItem:
    """One occurrence shown on the calendar: an event's or a reminder's."""

    kind: str  # "event" or "reminder"
    object_id: UUID
    title: str
    start: datetime  # UTC
    end: datetime  # UTC (a reminder's is its start)
    all_day: bool
    # For an all-day event: its dates (inclusive), in its own zone; None otherwise.
    first_day: date | None
    last_day: date | None
    category: str  # the event type, or "reminder"
    url: str
    repeats: bool


@dataclass
class VisibleItems:
    """What a calendar view shows: the items in order, and the series cut at ``MAX_PER_SERIES``."""

    items: list[CalendarItem]
    truncated: list[str] = field(default_factory=list)


def _event_items(event: CalendarEvent, start: datetime, end: datetime) -> tuple[list[CalendarItem], bool]:
    duration = event.end_at - event.start_at
    url = reverse("calendar:event", args=[event.id])
    if not event.rule:
        starts = [event.start_at] if event.start_at < end and event.end_at > start else []
    else:
        # An occurrence that began before the range but is still running is visible too.
        since = start - duration
        schedule = anchored(event_schedule(event), near=since)
        starts = schedule.between(since, end, limit=MAX_PER_SERIES + 1)
    cut = len(starts) > MAX_PER_SERIES
    zone = zone_named(event.time_zone)
    days = (event.end_date - event.start_date).days
    items = []
    for instant in starts[:MAX_PER_SERIES]:
        first_day = to_wall(instant, zone).date() if event.all_day else None
        items.append(
            CalendarItem(
                kind="event",
                object_id=event.id,
                title=event.title,
                start=instant,
                end=instant + duration,
                all_day=event.all_day,
                first_day=first_day,
                last_day=first_day + timedelta(days=days) if first_day is not None else None,
                category=event.event_type,
                url=url,
                repeats=bool(event.rule),
            )
        )
    return items, cut


def _reminder_items(reminder: Reminder, start: datetime, end: datetime) -> tuple[list[CalendarItem], bool]:
    from reminders.services.reminders import schedule_of

    # An open reminder shows its current occurrence (due_at, overdue or not) and those after it;
    # occurrences before it were completed.
    since = max(start, reminder.due_at)
    starts = anchored(schedule_of(reminder), near=since).between(since, end, limit=MAX_PER_SERIES + 1)
    cut = len(starts) > MAX_PER_SERIES
    url = reminder_url(reminder.id)
    items = [
        CalendarItem(
            kind="reminder",
            object_id=reminder.id,
            title=reminder.title,
            start=instant,
            end=instant,
            all_day=False,
            first_day=None,
            last_day=None,
            category="reminder",
            url=url,
            repeats=reminder.repeats,
        )
        for instant in starts[:MAX_PER_SERIES]
    ]
    return items, cut


def items_between(*, user: User, start: datetime, end: datetime) -> VisibleItems:
    """The person's event and open-reminder occurrences in [start, end) (aware datetimes), in
    order of start; recurrences are expanded for this range only, at most ``MAX_PER_SERIES`` each.
    Completed and cancelled reminders are not shown."""
    events = CalendarEvent.objects.filter(user=user, start_at__lt=end).filter(
        ~Q(rule="") | Q(end_at__gt=start)
    )
    reminders = Reminder.objects.filter(
        user=user,
        status__in=[ReminderStatus.PENDING, ReminderStatus.SNOOZED],
        start_date__lte=(end + timedelta(days=2)).date(),
    ).filter(~Q(recurrence=Recurrence.NONE) | Q(due_at__gte=start, due_at__lt=end))
    found: list[CalendarItem] = []
    truncated: list[str] = []
    for event in events:
        items, cut = _event_items(event, start, end)
        found.extend(items)
        if cut:
            truncated.append(event.title)
    for reminder in reminders:
        items, cut = _reminder_items(reminder, start, end)
        found.extend(items)
        if cut:
            truncated.append(reminder.title)
    found.sort(key=lambda item: (item.start, not item.all_day, item.title.casefold()))
    return VisibleItems(items=found, truncated=truncated)


def events_between(*, user: User, start: datetime, end: datetime) -> list[CalendarEvent]:
    """The person's events (series, not occurrences) with an occurrence overlapping [start, end),
    by start: the API's date-range filter."""
    chosen = []
    candidates = CalendarEvent.objects.filter(user=user, start_at__lt=end).filter(
        ~Q(rule="") | Q(end_at__gt=start)
    )
    for event in candidates.order_by("start_at", "id"):
        since = start - (event.end_at - event.start_at)
        if not event.rule or anchored(event_schedule(event), near=since).between(since, end, limit=1):
            chosen.append(event)
    return chosen


# --- Validation -----------------------------------------------------------------------------------


def _text(value: Any, *, name: str, limit: int, required: bool, errors: dict[str, list]) -> str:
    if value is not None and not isinstance(value, str):
        errors.setdefault(name, []).append(_("Enter text."))
        return ""
    text = clean_text(value or "")
    text = " ".join(text.split()) if name == "title" else text.strip()
    if required and not text:
        errors.setdefault(name, []).append(_("This field is required."))
    elif len(text) > limit:
        errors.setdefault(name, []).append(
            _("Keep this to %(limit)s characters or fewer (it has %(count)s).")
            % {"limit": limit, "count": len(text)}
        )
    return text


def _moment(value: Any, *, name: str, all_day: bool, errors: dict[str, list]) -> datetime | None:
    """A start or end as a naive wall datetime (midnight for a date), or None with an error."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            errors.setdefault(name, []).append(_("Give the wall time without a UTC offset."))
            return None
        wall = value.replace(second=0, microsecond=0)
    elif isinstance(value, date):
        wall = datetime.combine(value, time(0, 0))
    else:
        errors.setdefault(name, []).append(_("Enter a date and time.") if not all_day else _("Enter a date."))
        return None
    if not EARLIEST <= wall.date() <= LATEST:
        errors.setdefault(name, []).append(
            _("Choose a date between %(first)s and %(last)s.")
            % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()}
        )
        return None
    return datetime.combine(wall.date(), time(0, 0)) if all_day else wall


def validate_event(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of an event checked at once; returns the model's column values, or raises one
    ``ValidationError`` naming each bad field (``start``/``end`` for the times)."""
    errors: dict[str, list] = {}
    cleaned: dict[str, Any] = {
        "title": _text(
            values.get("title"), name="title", limit=TITLE_MAX_CHARS, required=True, errors=errors
        ),
        "description": _text(
            values.get("description"),
            name="description",
            limit=DESCRIPTION_MAX_CHARS,
            required=False,
            errors=errors,
        ),
    }
    event_type = values.get("event_type") or EventType.MEETING
    if event_type not in EventType.values:
        errors.setdefault("event_type", []).append(_("Choose one of the event types."))
    all_day = values.get("all_day", False)
    if not isinstance(all_day, bool):
        errors.setdefault("all_day", []).append(_("Choose yes or no."))
        all_day = False
    zone = None
    try:
        zone = zone_named(values.get("time_zone") or "")
    except InvalidTimeZone as exc:
        errors.setdefault("time_zone", []).append(str(exc))
    start = _moment(values.get("start"), name="start", all_day=all_day, errors=errors)
    end_value = values.get("end")
    end = None
    if end_value is None or end_value == "":
        if start is not None:
            end = start if all_day else start + DEFAULT_DURATION
    else:
        end = _moment(end_value, name="end", all_day=all_day, errors=errors)
    rule = values.get("rule") or ""
    if not isinstance(rule, str):
        errors.setdefault("rule", []).append(_("Enter a rule, for example FREQ=WEEKLY;BYDAY=MO,WE."))
        rule = ""
    start_at = end_at = None
    if start is not None and end is not None and zone is not None:
        if end < start:
            errors.setdefault("end", []).append(_("The end can't be before the start."))
        elif end - start > MAX_DURATION:
            errors.setdefault("end", []).append(_("An event can last at most a year."))
        else:
            if all_day:
                start_at = to_utc(start, zone)
                end_at = to_utc(end + timedelta(days=1), zone)
            else:
                start_at, end_at = to_utc(start, zone), to_utc(end, zone)
                # A wall end in a DST gap or overlap can read as an instant before the start.
                end_at = max(end_at, start_at)
        if rule.strip():
            try:
                rule = Schedule.of(
                    start_date=start.date(),
                    start_time=start.time(),
                    time_zone=zone.key,
                    recurrence=Recurrence.RRULE,
                    rule=rule,
                ).rule
            except InvalidRecurrence as exc:
                errors.setdefault("rule", []).append(str(exc))
    elif rule.strip():
        try:
            Schedule.of(
                start_date=date(2000, 1, 1),
                start_time=time(0, 0),
                time_zone="UTC",
                recurrence=Recurrence.RRULE,
                rule=rule,
            )
        except InvalidRecurrence as exc:
            errors.setdefault("rule", []).append(str(exc))
    if errors:
        raise ValidationError(errors)
    assert start is not None
    assert end is not None
    assert zone is not None
    cleaned.update(
        event_type=event_type,
        all_day=all_day,
        time_zone=zone.key,
        start_date=start.date(),
        start_time=None if all_day else start.time(),
        end_date=end.date(),
        end_time=None if all_day else end.time(),
        start_at=start_at,
        end_at=end_at,
        rule=rule if rule.strip() else "",
    )
    return cleaned


def _unknown(fields: Iterable[str]) -> None:
    unknown = set(fields) - EVENT_FIELDS
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})


# --- Writes ---------------------------------------------------------------------------------------


def create_event(*, user: User, uid: str = "", **fields: Any) -> CalendarEvent:
    """A new event for ``user``.

    ``fields`` are ``EVENT_FIELDS``: ``title`` (≤ 200 characters), ``description`` (≤ 5,000),
    ``event_type`` (an ``EventType`` value, default meeting), ``all_day`` (a bool), ``start`` and
    ``end`` as wall time in ``time_zone`` (naive ``datetime``s, or ``date``s for an all-day event,
    whose end is its last day; no end: an hour, or the one day), ``time_zone`` (an IANA name;
    default: the person's) and ``rule`` (an RRULE body, '' for none). ``uid`` is an iCalendar UID
    (an import's; '' otherwise).

    Raises ``ValidationError`` (by field) for anything bad; writes nothing then.
    """
    from preferences.services import time_zone_of

    _unknown(fields)
    values = {"time_zone": time_zone_of(user), **{k: v for k, v in fields.items() if v is not None}}
    cleaned = validate_event(values)
    event = CalendarEvent(user=user, uid=uid[:255], **cleaned)
    with transaction.atomic(durable=True):
        event.save()
    return event


def update_event(*, user: User, event_id: UUID | str, **fields: Any) -> CalendarEvent:
    """Change some of an event's ``EVENT_FIELDS`` (the others keep their values).

    Raises ``NotFound`` (not the person's) or ``ValidationError`` (by field); writes nothing then.
    """
    _unknown(fields)
    with transaction.atomic(durable=True):
        try:
            event = CalendarEvent.objects.select_for_update().get(pk=event_id, user=user)
        except (CalendarEvent.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
            raise NotFound() from exc
        values = editable_values(event)
        if fields.get("all_day") is True and not event.all_day:
            # Becoming all day: the dates keep, the times go.
            values["start"], values["end"] = event.start_date, event.end_date
        values.update(fields)
        cleaned = validate_event(values)
        for name, value in cleaned.items():
            setattr(event, name, value)
        event.save()
    return event


def delete_event(*, user: User, event_id: UUID | str) -> None:
    """Delete an event (the whole series). Raises ``NotFound``."""
    with transaction.atomic(durable=True):
        deleted, _count = CalendarEvent.objects.filter(pk=_as_uuid(event_id), user=user).delete()
    if not deleted:
        raise NotFound()


def editable_values(event: CalendarEvent) -> dict[str, Any]:
    """The event's ``EVENT_FIELDS`` as ``create_event`` takes them (an edit form's initial values)."""
    return {
        "title": event.title,
        "description": event.description,
        "event_type": event.event_type,
        "all_day": event.all_day,
        "start": event_wall_start(event),
        "end": event_wall_end(event),
        "time_zone": event.time_zone,
        "rule": event.rule,
    }


def _as_uuid(value: UUID | str) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (ValueError, TypeError, AttributeError) as exc:
        raise NotFound() from exc


# --- The private feed -----------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def feed_token(*, user: User) -> str | None:
    """The person's current feed token (for the address shown on the calendar page), or None
    before they asked for one."""
    feed = CalendarFeed.objects.filter(user=user).first()
    return feed.token if feed is not None else None


def reset_feed(*, user: User) -> str:
    """A new private feed address for ``user`` (the first, or a replacement): returns the new token
    (``secrets.token_urlsafe(32)``); the old one stops working at once."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic(durable=True):
        CalendarFeed.objects.update_or_create(
            user=user,
            defaults={"token": token, "token_hash": _token_hash(token), "created_at": timezone.now()},
        )
    return token


def feed_owner(*, token: str, now: datetime | None = None) -> User:
    """Whose feed ``token`` opens (and note it was fetched); ``NotFound`` for any other token."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise NotFound()
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=_token_hash(token)).first()
    if feed is None or not secrets.compare_digest(str(feed.token), token) or not feed.user.is_active:
        raise NotFound()
    now = now or timezone.now()
    # At most one write a minute per feed, however often a calendar app polls.
    if feed.last_fetched_at is None or now - feed.last_fetched_at > timedelta(minutes=1):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now)
    return feed.user


def feed_contents(*, user: User) -> tuple[list[CalendarEvent], list[Reminder]]:
    """What the feed and a full export hold: every event and every open reminder of ``user``."""
    events = list(CalendarEvent.objects.filter(user=user).order_by("start_at", "id"))
    reminders = list(
        Reminder.objects.filter(
            user=user, status__in=[ReminderStatus.PENDING, ReminderStatus.SNOOZED]
        ).order_by("due_at", "id")
    )
    return events, reminders


# --- Import ---------------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    """What an import did: counts, and each skipped event with its reason."""

    created: int = 0
    updated: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (the event's title or UID, why)


def import_calendar(*, user: User, data: bytes, now: datetime | None = None) -> ImportSummary:
    """Import the VEVENTs of an iCalendar file (``data``: its bytes, at most 2 MB and 1,000 events).

    Per event, the choice documented in docs: each event is imported or skipped with its reason
    (a bad rule, an end before the start, a change to one occurrence of a series…); the imported
    ones are written together, all or none. An event whose UID the person already has updates it
    instead of adding a copy. A file that can't be read as iCalendar (not text, malformed, too big,
    too many events) raises ``CalendarImportError`` and writes nothing.
    """
    from preferences.services import time_zone_of
    from reminders import ical

    if len(data) > IMPORT_MAX_BYTES:
        raise CalendarImportError(_("This file is too large: import at most 2 MB at a time."))
    parsed = ical.parse_events(data, default_zone=time_zone_of(user), max_events=IMPORT_MAX_EVENTS)
    summary = ImportSummary()
    ready: dict[str, dict[str, Any]] = {}
    for item in parsed:
        label = item.label
        if item.problem:
            summary.skipped.append((label, item.problem))
            continue
        if item.uid in ready:
            summary.skipped.append((label, str(_("Another event in this file has the same UID."))))
            continue
        try:
            ready[item.uid] = validate_event(item.values)
        except ValidationError as exc:
            # The messages alone, each saying what is wrong: a field's code name ("end") means nothing.
            reasons = " ".join(str(m) for messages in exc.message_dict.values() for m in messages)
            summary.skipped.append((label, reasons))
    with transaction.atomic(durable=True):
        existing = {
            event.uid: event
            for event in CalendarEvent.objects.select_for_update().filter(user=user, uid__in=list(ready))
        }
        for uid, cleaned in ready.items():
            event = existing.get(uid)
            if event is None:
                CalendarEvent.objects.create(user=user, uid=uid, **cleaned)
                summary.created += 1
            else:
                for name, value in cleaned.items():
                    setattr(event, name, value)
                event.save()
                summary.updated += 1
    return summary


def utc_day_range(*, first: date, last: date, zone_name: str) -> tuple[datetime, datetime]:
    """[first's midnight, the midnight after last) in the zone, as UTC instants."""
    zone = zone_named(zone_name)
    start = to_utc(datetime.combine(first, time(0, 0)), zone)
    end = to_utc(datetime.combine(last + timedelta(days=1), time(0, 0)), zone)
    return start.astimezone(UTC), end.astimezone(UTC)
