"""API bodies of /api/v1/events/: an event as the API shows it, and what a create or change sends.

``start`` and ``end`` are wall times in ``time_zone``, as a person enters them: ``2026-12-01T09:30``
for a timed event, ``2026-12-01`` for an all-day one (whose ``end`` is its last day). ``start_at``
and ``end_at`` are the same instants in UTC, computed by the server.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reminders.models import CalendarEvent, EventType
from reminders.services import calendar as services

WALL_HELP = _(
    "Wall time in time_zone: 2026-12-01T09:30 for a timed event, 2026-12-01 for an all-day one "
    "(its last day, for the end)."
)


_WALL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?")
_OFFSET = re.compile(r"(?:Z|[+-][0-9]{2}:?[0-9]{2})$")


def parse_wall(value: str) -> date | datetime:
    """``YYYY-MM-DD`` as a date, ``YYYY-MM-DDTHH:MM[:SS]`` as a naive datetime; ``ValidationError``
    for anything else (an offset included: the zone goes in ``time_zone``)."""
    text = value.strip()
    if _WALL.fullmatch(text):
        try:
            return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            pass
    elif _WALL.fullmatch(_OFFSET.sub("", text)):
        raise serializers.ValidationError(
            _("Give the wall time without a UTC offset, like 2026-12-01T09:30; the zone goes in time_zone.")
        )
    raise serializers.ValidationError(_("Enter a date (2026-12-01) or a date and time (2026-12-01T09:30)."))


class TextField(serializers.CharField):
    """A CharField that takes only JSON strings (DRF's turns numbers into text)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class EventInputSerializer(serializers.Serializer):
    """What a create (POST, PUT) or a change (PATCH) sends; the service checks the event as a whole."""

    title = TextField(max_length=10_000, help_text=_("At most 200 characters."))
    description = TextField(
        allow_blank=True, required=False, max_length=100_000, help_text=_("At most 5,000 characters.")
    )
    event_type = serializers.ChoiceField(choices=EventType.choices, required=False)
    all_day = serializers.BooleanField(required=False)
    start = TextField(max_length=40, help_text=WALL_HELP)
    end = TextField(
        max_length=40,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text=_("As start. Empty: an hour after the start, or the one day of an all-day event."),
    )
    time_zone = TextField(
        max_length=64, required=False, help_text=_("An IANA zone, like Europe/Madrid. Default: yours.")
    )
    rule = TextField(
        max_length=600,
        required=False,
        allow_blank=True,
        help_text=_("An RFC 5545 RRULE, like FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10. Empty: it doesn't repeat."),
    )

    def validate_start(self, value: str) -> date | datetime:
        return parse_wall(value)

    def validate_end(self, value: str | None) -> date | datetime | None:
        return parse_wall(value) if value else None

    def validate_time_zone(self, value: str) -> str:
        return value.strip()


class EventSerializer(serializers.ModelSerializer):
    """One of the caller's events."""

    start = serializers.SerializerMethodField(help_text=WALL_HELP)
    end = serializers.SerializerMethodField(help_text=WALL_HELP)
    url = serializers.SerializerMethodField(help_text=_("The event's page."))
    ics_url = serializers.SerializerMethodField(help_text=_("The event as an .ics file."))

    class Meta:
        model = CalendarEvent
        fields = [
            "id",
            "title",
            "description",
            "event_type",
            "all_day",
            "start",
            "end",
            "time_zone",
            "start_at",
            "end_at",
            "rule",
            "uid",
            "url",
            "ics_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_start(self, event: CalendarEvent) -> str:
        return _iso(services.event_wall_start(event))

    @extend_schema_field(OpenApiTypes.STR)
    def get_end(self, event: CalendarEvent) -> str:
        return _iso(services.event_wall_end(event))

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, event: CalendarEvent) -> str:
        return self._absolute(reverse("calendar:event", args=[event.id]))

    @extend_schema_field(OpenApiTypes.URI)
    def get_ics_url(self, event: CalendarEvent) -> str:
        return self._absolute(reverse("calendar:event_ics", args=[event.id]))

    def _absolute(self, path: str) -> str:
        request: Any = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


def _iso(moment: date | datetime) -> str:
    if isinstance(moment, datetime):
        return moment.isoformat(timespec="minutes")
    return moment.isoformat()


class EventRangeSerializer(serializers.Serializer):
    """The list's date range: ISO dates in the caller's zone, both days included."""

    start = serializers.DateField(required=False, help_text=_("Events from this day on (YYYY-MM-DD)."))
    end = serializers.DateField(required=False, help_text=_("Events until this day, included (YYYY-MM-DD)."))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("start", "end"):
            value = attrs.get(name)
            if value is not None and not services.EARLIEST <= value <= services.LATEST:
                raise serializers.ValidationError(
                    {name: [_("Choose a date between 1900-01-01 and 2200-12-31.")]}
                )
        if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("The end can't be before the start.")]})
        return attrs
