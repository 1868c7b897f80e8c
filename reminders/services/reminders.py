"""Reminders: create, edit, complete, snooze, cancel, delete — every write to a ``Reminder``.

The life of a reminder (``reminders.models`` for the columns):

- ``due_at`` is the current occurrence: the earliest one not completed. It moves only when the
  person completes it (a recurring series moves to its next occurrence after now) or edits the
  schedule. An occurrence left undone stays overdue; later occurrences are still notified.
- ``fire_occurrence`` is the next occurrence whose notices are still to be written, and
  ``next_fire_at`` when that is due: ``fire_occurrence - lead``, or the end of a snooze if sooner.
  The dispatcher (``reminders.services.dispatch``) writes the notices and moves both on.
- A snooze moves the current occurrence's notice only: a new round of notices at the chosen
  time; the series' later occurrences keep their times.

Every service here is durable (the outermost transaction) and validates everything before it
writes; a bad field is a ``django.core.exceptions.ValidationError`` keyed by field name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from reminders.errors import InvalidRecurrence, InvalidTimeZone, NotFound, ReminderClosed
from reminders.models import (
    DESCRIPTION_MAX_CHARS,
    LEAD_MINUTES_MAX,
    PROJECT_MAX_CHARS,
    TITLE_MAX_CHARS,
    URL_MAX_CHARS,
    Recurrence,
    Reminder,
    ReminderStatus,
    ReminderType,
)
from reminders.recurrence import Schedule, to_wall, zone_named
from reminders.text import clean_text

# The fields a person sets (create_reminder's keywords; update_reminder takes any of them).
EDITABLE_FIELDS = frozenset(
    {
        "title",
        "description",
        "reminder_type",
        "start_date",
        "start_time",
        "time_zone",
        "recurrence",
        "rule",
        "lead_minutes",
        "notify_email",
        "notify_in_app",
        "related_project",
        "action_url",
        "related_integration_id",
    }
)
SCHEDULE_FIELDS = frozenset({"start_date", "start_time", "time_zone", "recurrence", "rule"})
# "Tomorrow morning": this wall time in the person's zone.
MORNING = time(9, 0)
SNOOZE_PRESETS = {"10m": timedelta(minutes=10), "1h": timedelta(hours=1)}


def defaults_for(user: User) -> dict[str, Any]:
    """A new reminder's defaults from the person's settings: zone, channels and lead time."""
    from preferences.services import get_preferences, time_zone_of

    prefs = get_preferences(user)
    return {
        "time_zone": time_zone_of(user),
        "lead_minutes": prefs.lead_minutes,
        "notify_email": prefs.notify_email,
        "notify_in_app": prefs.notify_in_app,
    }


def get_reminder(*, user: User, reminder_id: UUID | str) -> Reminder:
    """The person's reminder; ``NotFound`` for a missing id, a malformed one, or anyone else's."""
    try:
        return Reminder.objects.get(pk=reminder_id, user=user)
    except (Reminder.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise NotFound() from exc


def _locked(*, user: User, reminder_id: UUID | str) -> Reminder:
    try:
        return Reminder.objects.select_for_update().get(pk=reminder_id, user=user)
    except (Reminder.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise NotFound() from exc


# --- Validation -----------------------------------------------------------------------------------


# NUL can't be stored in Postgres text, and a lone surrogate (JSON's "\\ud800") can't be encoded:
# refused, as Django's and DRF's fields refuse them, rather than silently changed.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def _clean_text(value: Any, *, field: str, limit: int, required: bool, errors: dict[str, list]) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.setdefault(field, []).append(_("Enter text."))
        return ""
    if _UNSTORABLE.search(value):
        errors.setdefault(field, []).append(_("Remove the invisible control characters from this text."))
        return ""
    text = clean_text(value)
    text = " ".join(text.split()) if field == "title" else text.strip()
    if required and not text:
        errors.setdefault(field, []).append(_("This field is required."))
    elif len(text) > limit:
        errors.setdefault(field, []).append(
            _("Keep this to %(limit)s characters or fewer (it has %(count)s).")
            % {"limit": limit, "count": len(text)}
        )
    return text


def _validated(
    values: dict[str, Any], *, now: datetime, schedule_changed: bool
) -> tuple[dict[str, Any], Schedule]:
    """Every field checked at once; returns the cleaned values and the schedule, or raises one
    ``ValidationError`` naming each bad field."""
    errors: dict[str, list] = {}
    cleaned: dict[str, Any] = dict(values)
    cleaned["title"] = _clean_text(
        values.get("title"), field="title", limit=TITLE_MAX_CHARS, required=True, errors=errors
    )
    cleaned["description"] = _clean_text(
        values.get("description"),
        field="description",
        limit=DESCRIPTION_MAX_CHARS,
        required=False,
        errors=errors,
    )
    cleaned["related_project"] = _clean_text(
        values.get("related_project"),
        field="related_project",
        limit=PROJECT_MAX_CHARS,
        required=False,
        errors=errors,
    )
    url = values.get("action_url") or ""
    if not isinstance(url, str):
        errors.setdefault("action_url", []).append(
            _("Enter a web address starting with https:// or http://.")
        )
        url = ""
    url = url.strip()
    if url:
        if len(url) > URL_MAX_CHARS:
            errors.setdefault("action_url", []).append(_("Keep the address to 2,000 characters or fewer."))
        else:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                errors.setdefault("action_url", []).append(
                    _("Enter a web address starting with https:// or http://.")
                )
    cleaned["action_url"] = url
    integration = values.get("related_integration_id")
    if integration is not None and not isinstance(integration, UUID):
        try:
            cleaned["related_integration_id"] = UUID(integration) if isinstance(integration, str) else None
        except ValueError:
            cleaned["related_integration_id"] = None
        if cleaned["related_integration_id"] is None:
            errors.setdefault("related_integration_id", []).append(_("Choose one of your integrations."))
    if not isinstance(values.get("reminder_type"), str) or values["reminder_type"] not in ReminderType.values:
        errors.setdefault("reminder_type", []).append(_("Choose one of the reminder types."))
    lead = values.get("lead_minutes")
    if isinstance(lead, bool) or not isinstance(lead, int) or not 0 <= lead <= LEAD_MINUTES_MAX:
        errors.setdefault("lead_minutes", []).append(
            _("The notice must be between 0 minutes and 30 days before the due time.")
        )
    for flag in ("notify_email", "notify_in_app"):
        if not isinstance(values.get(flag), bool):
            errors.setdefault(flag, []).append(_("Choose yes or no."))
    start_date, start_time = values.get("start_date"), values.get("start_time")
    if not isinstance(start_date, date) or isinstance(start_date, datetime):
        errors.setdefault("start_date", []).append(_("Enter a date."))
    if not isinstance(start_time, time):
        errors.setdefault("start_time", []).append(_("Enter a time."))
    if not isinstance(values.get("recurrence"), str) or values["recurrence"] not in Recurrence.values:
        errors.setdefault("recurrence", []).append(_("Choose how the reminder repeats."))
    if not isinstance(values.get("rule") or "", str):
        errors.setdefault("rule", []).append(_("Enter a rule, for example FREQ=WEEKLY;BYDAY=MO,WE."))
    if not isinstance(values.get("time_zone") or "", str):
        errors.setdefault("time_zone", []).append(str(InvalidTimeZone()))
    schedule: Schedule | None = None
    if not errors.keys() & {"start_date", "start_time", "recurrence", "rule", "time_zone"}:
        try:
            schedule = Schedule.of(
                start_date=start_date,  # type: ignore[arg-type]
                start_time=start_time,  # type: ignore[arg-type]
                time_zone=values.get("time_zone") or "",
                recurrence=values["recurrence"],
                rule=values.get("rule") or "",
            )
            if schedule_changed:
                schedule.check_usable(now=now)
        except (InvalidRecurrence, InvalidTimeZone) as exc:
            field = exc.field
            if isinstance(exc, InvalidRecurrence) and values["recurrence"] not in (
                Recurrence.RRULE,
                Recurrence.CRON,
            ):
                field = "start_time"  # a preset's rule can't be wrong: its time is (already passed)
            errors.setdefault(field, []).append(str(exc))
            schedule = None
    if errors:
        raise ValidationError(errors)
    assert schedule is not None
    cleaned["start_time"] = schedule.start.time()
    cleaned["time_zone"] = schedule.zone.key
    cleaned["rule"] = schedule.rule
    return cleaned, schedule


def schedule_of(reminder: Reminder) -> Schedule:
    """The reminder's stored schedule (already validated when it was saved)."""
    return Schedule(
        start=datetime.combine(reminder.start_date, reminder.start_time),
        zone=zone_named(reminder.time_zone),
        recurrence=reminder.recurrence,
        rule=reminder.rule,
    )


def refresh_next_fire(reminder: Reminder) -> None:
    """Set ``next_fire_at`` from the fire occurrence, the lead time and a snooze (no save)."""
    candidates = []
    if reminder.status == ReminderStatus.SNOOZED and reminder.snoozed_until is not None:
        candidates.append(reminder.snoozed_until)
    if reminder.is_open and reminder.fire_occurrence is not None:
        candidates.append(reminder.fire_occurrence - timedelta(minutes=reminder.lead_minutes))
    reminder.next_fire_at = min(candidates) if candidates else None


def _restart(reminder: Reminder, schedule: Schedule, *, now: datetime) -> None:
    """A new or rescheduled series: its first occurrence from now on, nothing snoozed or sent."""
    first = schedule.next_after(now, inclusive=True)
    if first is None:  # check_usable ran before: only a race with the clock gets here
        first = schedule.first() or now
    reminder.due_at = first
    reminder.fire_occurrence = first
    reminder.status = ReminderStatus.PENDING
    reminder.snoozed_until = None
    reminder.snooze_round = 0
    reminder.completed_at = None
    refresh_next_fire(reminder)


# --- Writes ---------------------------------------------------------------------------------------


def create_reminder(*, user: User, now: datetime | None = None, **fields: Any) -> Reminder:
    """A new reminder (or series) for ``user``.

    ``fields`` are ``EDITABLE_FIELDS``: ``title`` (≤ 200 characters), ``start_date`` (a ``date``) and
    ``start_time`` (a ``time``, to the minute) of the first occurrence as wall time in ``time_zone``
    (an IANA name; default: the person's zone), ``recurrence`` (a ``Recurrence`` value) with ``rule``
    (an RRULE body for ``rrule``, a cron expression for ``cron``), ``lead_minutes`` (0 to 43,200),
    ``notify_email``/``notify_in_app`` (default: the person's settings), and the optional
    ``description``, ``reminder_type``, ``related_project``, ``action_url``,
    ``related_integration_id``.

    Raises ``ValidationError`` (by field) for anything bad, unknown fields included; writes nothing then.
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    now = now or timezone.now()
    values: dict[str, Any] = {
        "description": "",
        "reminder_type": ReminderType.CUSTOM,
        "recurrence": Recurrence.NONE,
        "rule": "",
        "related_project": "",
        "action_url": "",
        "related_integration_id": None,
        **defaults_for(user),
    }
    values.update(
        {
            name: value
            for name, value in fields.items()
            if value is not None or name == "related_integration_id"
        }
    )
    cleaned, schedule = _validated(values, now=now, schedule_changed=True)
    reminder = Reminder(user=user, **cleaned)
    _restart(reminder, schedule, now=now)
    with transaction.atomic(durable=True):
        reminder.save()
    return reminder


def update_reminder(
    *, user: User, reminder_id: UUID | str, now: datetime | None = None, **fields: Any
) -> Reminder:
    """Change some of a reminder's ``EDITABLE_FIELDS`` (the others keep their values).

    A change to the schedule (date, time, zone, repeat, rule) restarts the series from its first
    occurrence from now on (nothing snoozed); a change to the lead time moves the next notice.
    Raises ``NotFound`` (not the person's) or ``ValidationError`` (by field); writes nothing then.
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        reminder = _locked(user=user, reminder_id=reminder_id)
        values = {name: getattr(reminder, name) for name in EDITABLE_FIELDS}
        values.update(fields)
        changed = {name for name in fields if fields[name] != getattr(reminder, name)}
        schedule_changed = bool(changed & SCHEDULE_FIELDS)
        cleaned, schedule = _validated(values, now=now, schedule_changed=schedule_changed)
        if (
            schedule_changed
            and schedule.rule == reminder.rule
            and all(cleaned[name] == getattr(reminder, name) for name in SCHEDULE_FIELDS)
        ):
            schedule_changed = False  # e.g. a rule re-typed in lower case
        for name, value in cleaned.items():
            setattr(reminder, name, value)
        if schedule_changed:
            _restart(reminder, schedule, now=now)
        else:
            refresh_next_fire(reminder)
        reminder.save()
    return reminder


def complete_reminder(
    *, user: User, reminder_id: UUID | str, series: bool = False, now: datetime | None = None
) -> Reminder:
    """Mark the current occurrence done.

    A one-off reminder (or, with ``series=True``, a whole series) becomes completed; a recurring one
    moves to its next occurrence after now and stays pending, or is completed when its rule has no
    more. Raises ``NotFound`` or ``ReminderClosed`` (already completed or cancelled).
    """
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        reminder = _locked(user=user, reminder_id=reminder_id)
        if not reminder.is_open:
            raise ReminderClosed()
        reminder.completed_at = now
        reminder.snoozed_until = None
        reminder.snooze_round = 0
        following = None
        if reminder.repeats and not series:
            following = schedule_of(reminder).next_after(max(reminder.due_at, now))
        if following is None:
            reminder.status = ReminderStatus.COMPLETED
            reminder.fire_occurrence = None
        else:
            reminder.status = ReminderStatus.PENDING
            reminder.due_at = following
            if reminder.fire_occurrence is None or reminder.fire_occurrence < following:
                reminder.fire_occurrence = following
        refresh_next_fire(reminder)
        reminder.save()
    return reminder


def cancel_reminder(*, user: User, reminder_id: UUID | str) -> Reminder:
    """Cancel a reminder (the whole series): nothing more is sent. Raises ``NotFound``, ``ReminderClosed``."""
    with transaction.atomic(durable=True):
        reminder = _locked(user=user, reminder_id=reminder_id)
        if not reminder.is_open:
            raise ReminderClosed()
        reminder.status = ReminderStatus.CANCELLED
        reminder.snoozed_until = None
        reminder.fire_occurrence = None
        refresh_next_fire(reminder)
        reminder.save()
    return reminder


def snooze_until(*, user: User, preset: str, now: datetime | None = None) -> datetime:
    """The end of a snooze preset: ``10m``, ``1h`` or ``tomorrow`` (09:00 tomorrow in the person's
    zone). Raises ``ValidationError`` for another preset."""
    from preferences.services import time_zone_of

    now = now or timezone.now()
    if not isinstance(preset, str):
        raise ValidationError({"until": [_("Choose 10 minutes, 1 hour, tomorrow morning or a time.")]})
    if preset in SNOOZE_PRESETS:
        return now + SNOOZE_PRESETS[preset]
    if preset == "tomorrow":
        zone = zone_named(time_zone_of(user))
        tomorrow = to_wall(now, zone).date() + timedelta(days=1)
        return (
            Schedule.of(
                start_date=tomorrow, start_time=MORNING, time_zone=zone.key, recurrence=Recurrence.NONE
            )
            .start.replace(tzinfo=zone, fold=0)
            .astimezone(now.tzinfo)
        )
    raise ValidationError({"until": [_("Choose 10 minutes, 1 hour, tomorrow morning or a time.")]})


def snooze_reminder(
    *, user: User, reminder_id: UUID | str, until: datetime, now: datetime | None = None
) -> Reminder:
    """Snooze the current occurrence until ``until`` (aware, in the future, within 30 days): it is
    notified again then; later occurrences keep their times. Raises ``NotFound``,
    ``ReminderClosed`` or ``ValidationError`` (``until``)."""
    now = now or timezone.now()
    if not isinstance(until, datetime) or until.tzinfo is None:
        raise ValidationError({"until": [_("Enter a date and time.")]})
    if until <= now:
        raise ValidationError({"until": [_("Choose a time in the future.")]})
    if until - now > timedelta(days=30):
        raise ValidationError({"until": [_("Snooze for at most 30 days.")]})
    with transaction.atomic(durable=True):
        reminder = _locked(user=user, reminder_id=reminder_id)
        if not reminder.is_open:
            raise ReminderClosed()
        reminder.status = ReminderStatus.SNOOZED
        reminder.snoozed_until = until.astimezone(now.tzinfo) if now.tzinfo else until
        reminder.snooze_round += 1
        if reminder.fire_occurrence == reminder.due_at:
            # This occurrence's first notice hasn't gone yet: the snooze replaces it.
            reminder.fire_occurrence = (
                schedule_of(reminder).next_after(reminder.due_at) if reminder.repeats else None
            )
        refresh_next_fire(reminder)
        reminder.save()
    return reminder


def delete_reminder(*, user: User, reminder_id: UUID | str) -> None:
    """Delete a reminder (the whole series) and its deliveries. Raises ``NotFound``."""
    with transaction.atomic(durable=True):
        _locked(user=user, reminder_id=reminder_id).delete()


def move_reminders_to_zone(*, user: User, time_zone: str, now: datetime | None = None) -> int:
    """Move every open reminder of ``user`` to ``time_zone``, keeping its wall times (a 09:00
    reminder stays at 09:00, in the new zone); returns how many moved. Not durable: the time
    zone preference joins its transaction. Raises ``InvalidTimeZone``."""
    zone = zone_named(time_zone)
    now = now or timezone.now()
    moved = 0
    open_reminders: QuerySet[Reminder] = Reminder.objects.select_for_update().filter(
        user=user, status__in=[ReminderStatus.PENDING, ReminderStatus.SNOOZED]
    )
    for reminder in open_reminders.exclude(time_zone=zone.key):
        reminder.time_zone = zone.key
        schedule = schedule_of(reminder)
        following = schedule.next_after(now, inclusive=True)
        if following is None:
            continue  # a one-off already past keeps its instant; it is overdue either way
        snoozed = reminder.snoozed_until if reminder.status == ReminderStatus.SNOOZED else None
        snooze_round = reminder.snooze_round
        _restart(reminder, schedule, now=now)
        if snoozed is not None:
            # The snooze keeps its instant and its round (its notice is already keyed on it).
            reminder.status, reminder.snoozed_until = ReminderStatus.SNOOZED, snoozed
            reminder.snooze_round = snooze_round
            refresh_next_fire(reminder)
        reminder.save()
        moved += 1
    return moved


def bulk_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Only the editable fields of ``data`` (a form's or serializer's cleaned values)."""
    return {name: value for name, value in data.items() if name in EDITABLE_FIELDS}
