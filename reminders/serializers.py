"""What the partner API says about reminders and notifications (reminders/api.py).

Serializers check the shape of a body (a date is a date, a switch is true or false); what a value
means (a known zone, a readable rule, a lead time in range, a title short enough) is checked by
``reminders.services``, the same checks the pages' forms get, so both say the same thing.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reminders.models import (
    DESCRIPTION_MAX_CHARS,
    LEAD_MINUTES_MAX,
    PROJECT_MAX_CHARS,
    TITLE_MAX_CHARS,
    URL_MAX_CHARS,
    Notification,
    NotificationKind,
    Recurrence,
    Reminder,
    ReminderStatus,
    ReminderType,
)
from reminders.recurrence import to_utc, zone_named
from reminders.services import schedule_of

# How many occurrences a reminder's detail lists.
NEXT_OCCURRENCES = 5
# The service's field names where the API names them differently.
API_FIELD_NAMES = {"reminder_type": "type"}

OFFSET_REQUIRED = _("Enter a date and time with its UTC offset, like 2026-03-01T09:00:00+01:00.")


def parse_instant(value: object) -> datetime | None:
    """An ISO 8601 date and time with its UTC offset (``Z`` or ``+01:00``), in UTC; None for
    anything else, a time without an offset included (whose zone the server would have to guess)."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = parse_datetime(value.strip())
        if parsed is None or parsed.tzinfo is None:
            return None
        return parsed.astimezone(UTC)  # an instant past what datetime holds (year 9999 - 10 h…)
    except (ValueError, OverflowError):
        return None


def parse_day_start(value: object, *, time_zone: str) -> datetime | None:
    """An ISO 8601 date as the instant its day starts in ``time_zone`` (UTC); None otherwise."""
    if not isinstance(value, str) or len(value) > 10:
        return None
    try:
        day = parse_date(value.strip())
        if day is None:
            return None
        return to_utc(datetime.combine(day, time(0, 0)), zone_named(time_zone))
    except (ValueError, OverflowError):
        return None


@extend_schema_field(OpenApiTypes.DATETIME)
class InstantField(serializers.Field):
    """A date and time with its UTC offset (``2026-03-01T09:00:00+01:00`` or ``…Z``), read as UTC.

    DRF's ``DateTimeField`` would read a time without an offset in the server's zone: a client in
    Madrid sending 09:00 would get 09:00 UTC. Here that is a 400 instead."""

    default_error_messages = {"invalid": OFFSET_REQUIRED}

    def to_internal_value(self, data: Any) -> datetime:
        instant = parse_instant(data)
        if instant is None:
            self.fail("invalid")
        assert instant is not None
        return instant

    def to_representation(self, value: datetime) -> str:
        return serializers.DateTimeField().to_representation(value)


class StrictUUIDField(serializers.UUIDField):
    """A UUID written as text: DRF's own field also takes a number (12345 as a UUID's integer)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
        "example": "09:00",
    }
)
class WallTimeField(serializers.TimeField):
    """A wall time without an offset (its zone is the reminder's ``time_zone``): ``HH:MM`` out,
    ``HH:MM`` or ``HH:MM:SS`` in (reminders are to the minute: seconds are dropped). OpenAPI's
    ``format: time`` is RFC 3339's, which requires an offset: this is not one."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S", "%H:%M:%S.%f"], **kwargs)


class KnownFieldsMixin:
    """A misspelt field is a 400 naming it, not silently ignored (the client would think it saved).
    Read-only fields are accepted and ignored, so a client can send back what it read."""

    # Fields of the answer that a client may send back and that are not this serializer's.
    also_known: frozenset[str] = frozenset()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        known = set(self.fields) | self.also_known  # type: ignore[attr-defined]
        sent = getattr(self, "initial_data", None)
        unknown = sorted(set(sent) - known) if isinstance(sent, dict) else []
        if unknown:
            raise serializers.ValidationError({str(name): [gettext("Unknown field.")] for name in unknown})
        return attrs


class ReminderSerializer(KnownFieldsMixin, serializers.Serializer):
    """A reminder, or a recurring series of them.

    The series is its first occurrence's wall date and time (``start_date``, ``start_time``) in
    ``time_zone`` (IANA) and how it repeats: ``recurrence`` with ``rule`` (an RFC 5545 RRULE body
    for ``rrule``, a 5-field cron expression for ``cron``; the presets fill it in). Every instant
    (``due_at``, ``next_fire_at``…) is UTC.
    """

    also_known = frozenset({"next_occurrences"})

    id = serializers.UUIDField(read_only=True)
    title = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text=f"At most {TITLE_MAX_CHARS} characters."
    )
    description = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"At most {DESCRIPTION_MAX_CHARS:,} characters.",
    )
    type = serializers.ChoiceField(
        source="reminder_type", choices=ReminderType.choices, required=False, help_text="Default: custom."
    )
    start_date = serializers.DateField(help_text="The first occurrence's date, in `time_zone`.")
    start_time = WallTimeField(help_text="The first occurrence's wall time, to the minute.")
    time_zone = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="An IANA zone, like Europe/Madrid. Default: your time zone setting.",
    )
    recurrence = serializers.ChoiceField(
        choices=Recurrence.choices, required=False, help_text="Default: none (a one-off)."
    )
    rule = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=(
            "For `rrule` an RRULE body without DTSTART (`FREQ=WEEKLY;BYDAY=MO,WE`), for `cron` a "
            "5-field cron expression (`0 9 * * 1-5`); ignored for the presets, which fill it in."
        ),
    )
    due_at = serializers.DateTimeField(read_only=True, help_text="The current occurrence.")
    next_fire_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the next notice goes out; null if none will."
    )
    status = serializers.ChoiceField(choices=ReminderStatus.choices, read_only=True)
    completed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    snoozed_until = serializers.DateTimeField(read_only=True, allow_null=True)
    lead_minutes = serializers.IntegerField(
        required=False,
        help_text=(
            f"Notify this many minutes before the due time, 0 to {LEAD_MINUTES_MAX:,} (30 days). "
            "Default: your notification setting."
        ),
    )
    notify_email = serializers.BooleanField(required=False, help_text="Default: your notification setting.")
    notify_in_app = serializers.BooleanField(required=False, help_text="Default: your notification setting.")
    related_project = serializers.CharField(
        required=False, allow_blank=True, help_text=f"At most {PROJECT_MAX_CHARS} characters."
    )
    action_url = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=f"An http(s) address, at most {URL_MAX_CHARS:,} characters.",
    )
    related_integration_id = StrictUUIDField(required=False, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class ReminderDetailSerializer(ReminderSerializer):
    """A reminder with its next five occurrences after now (empty once it is completed or cancelled)."""

    next_occurrences = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.DateTimeField()))
    def get_next_occurrences(self, reminder: Reminder) -> list[str]:
        if not reminder.is_open:
            return []
        instants = schedule_of(reminder).upcoming(after=timezone.now(), count=NEXT_OCCURRENCES)
        field = serializers.DateTimeField()
        return [field.to_representation(instant) for instant in instants]


class ReminderFiltersSerializer(serializers.Serializer):
    """The list's query: each filter optional. ``due_after``/``due_before`` bound the current
    occurrence (``due_at``): after is inclusive, before exclusive; a date is the start of that day
    in the caller's time zone."""

    # An empty value (``?status=``) is no filter, as a form's "any" would send it.
    status = serializers.ChoiceField(choices=ReminderStatus.choices, required=False, allow_blank=True)
    type = serializers.ChoiceField(
        source="reminder_type", choices=ReminderType.choices, required=False, allow_blank=True
    )
    due_after = serializers.CharField(required=False, allow_blank=True)
    due_before = serializers.CharField(required=False, allow_blank=True)

    def _bound(self, value: str) -> datetime:
        instant = parse_instant(value)
        if instant is None:
            time_zone = self.context.get("time_zone", "UTC")
            instant = parse_day_start(value, time_zone=time_zone)
        if instant is None:
            raise serializers.ValidationError(
                gettext(
                    "Enter a date and time with its UTC offset, like 2026-03-01T09:00:00+01:00, "
                    "or a date, like 2026-03-01."
                )
            )
        return instant

    def validate_due_after(self, value: str) -> datetime | None:
        return self._bound(value) if value.strip() else None

    def validate_due_before(self, value: str) -> datetime | None:
        return self._bound(value) if value.strip() else None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {name: value for name, value in attrs.items() if value not in ("", None)}


class CompleteSerializer(KnownFieldsMixin, serializers.Serializer):
    series = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true ends a recurring series; false (the default) moves it to its next occurrence.",
    )


SNOOZE_PRESET_CHOICES = ["10m", "1h", "tomorrow"]


class SnoozeSerializer(KnownFieldsMixin, serializers.Serializer):
    """Exactly one of ``until`` (a time with its UTC offset, within 30 days) or ``preset``
    (``tomorrow`` is 09:00 tomorrow in your time zone)."""

    until = InstantField(required=False)
    preset = serializers.ChoiceField(choices=SNOOZE_PRESET_CHOICES, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if ("until" in attrs) == ("preset" in attrs):
            raise serializers.ValidationError(
                {"until": [gettext("Send either until (a date and time) or preset (10m, 1h or tomorrow).")]}
            )
        return attrs


class NotificationSerializer(serializers.ModelSerializer):
    """One line of the notification centre. ``url`` is a path on this site (empty: no link)."""

    kind = serializers.ChoiceField(choices=NotificationKind.choices, read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at", "read"]
        read_only_fields = fields

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


# The answers below are built by reminders/api.py as dicts: these describe them in the OpenAPI schema.


class ReminderPageSerializer(serializers.Serializer):
    """One page of ``GET /api/v1/reminders/``."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ReminderSerializer(many=True)


class NotificationPageSerializer(serializers.Serializer):
    """One page of ``GET /api/v1/notifications/``, with the unread count (the bell's badge)."""

    count = serializers.IntegerField()
    unread_count = serializers.IntegerField(help_text="Unread notifications in all, whatever the filter.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = NotificationSerializer(many=True)


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were unread and are now read.")
    unread_count = serializers.IntegerField()


def drf_errors(message_dict: dict[str, list[str]]) -> dict[str, list[str]]:
    """A service's ``ValidationError.message_dict`` by API field name."""
    return {
        ("non_field_errors" if name == "__all__" else API_FIELD_NAMES.get(name, name)): messages
        for name, messages in message_dict.items()
    }
