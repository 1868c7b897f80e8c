"""The events API under /api/v1/events/: the caller's own calendar events only.

List (``?start=&end=`` ISO dates in the caller's zone, paginated), create, read, replace (PUT),
change (PATCH) and delete. Every write goes through ``reminders.services.calendar``, with the
validation the pages use: a bad field is a 400 naming it, and nothing is written. Another
person's event is a 404, like a missing one.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.generics import ListCreateAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from javari.api_schema import error_responses
from reminders.calendar_serializers import EventInputSerializer, EventRangeSerializer, EventSerializer
from reminders.models import CalendarEvent
from reminders.recurrence import to_utc, zone_named
from reminders.services import calendar as services

TAGS = ["Events"]

_EVENT_EXAMPLE = {
    "id": "6f1c3c1e-8f1e-4b0e-9a55-3f1b7c2d9e10",
    "title": "Sprint review",
    "description": "Demo the calendar.",
    "event_type": "meeting",
    "all_day": False,
    "start": "2026-12-01T09:30",
    "end": "2026-12-01T10:30",
    "time_zone": "Europe/Madrid",
    "start_at": "2026-12-01T08:30:00Z",
    "end_at": "2026-12-01T09:30:00Z",
    "rule": "FREQ=WEEKLY;BYDAY=TU",
    "uid": "",
    "url": "https://javari.example/calendar/events/6f1c3c1e-8f1e-4b0e-9a55-3f1b7c2d9e10/",
    "ics_url": "https://javari.example/calendar/events/6f1c3c1e-8f1e-4b0e-9a55-3f1b7c2d9e10.ics",
    "created_at": "2026-11-30T10:00:00Z",
    "updated_at": "2026-11-30T10:00:00Z",
}
RESPONSE_EXAMPLE = OpenApiExample("An event", value=_EVENT_EXAMPLE, response_only=True)
REQUEST_EXAMPLES = [
    OpenApiExample(
        "A weekly meeting",
        value={
            "title": "Sprint review",
            "start": "2026-12-01T09:30",
            "end": "2026-12-01T10:30",
            "time_zone": "Europe/Madrid",
            "rule": "FREQ=WEEKLY;BYDAY=TU",
        },
        request_only=True,
    ),
    OpenApiExample(
        "An all-day deadline",
        value={"title": "Launch", "event_type": "deadline", "all_day": True, "start": "2026-12-15"},
        request_only=True,
    ),
]
INVALID_EXAMPLE = OpenApiExample(
    "End before start",
    value={
        "error": "invalid",
        "detail": "The end can't be before the start.",
        "fields": {"end": ["The end can't be before the start."]},
    },
    response_only=True,
    status_codes=["400"],
)


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _as_api_error(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(exc.message_dict)


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="List your events",
        description=(
            "Your events (series, not their occurrences), by start. With `start` and/or `end` "
            "(dates in your time zone, both included), only those with an occurrence in that range."
        ),
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="From this day (YYYY-MM-DD)."),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Until this day, included (YYYY-MM-DD)."),
        ],
        responses={200: EventSerializer(many=True), **error_responses(404)},
        examples=[RESPONSE_EXAMPLE],
    ),
)
class EventListView(ListCreateAPIView):
    """GET: the caller's events, paginated. POST: a new event."""

    permission_classes = [IsAuthenticated]
    serializer_class = EventSerializer

    def get_queryset(self) -> QuerySet[CalendarEvent] | list[CalendarEvent]:  # type: ignore[override]
        user = _user(self.request)
        query = EventRangeSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        first, last = query.validated_data.get("start"), query.validated_data.get("end")
        if first is None and last is None:
            return CalendarEvent.objects.filter(user=user).order_by("start_at", "id")
        from preferences.services import time_zone_of

        zone = zone_named(time_zone_of(user))
        start = to_utc(datetime.combine(first or services.EARLIEST, time()), zone)
        end = to_utc(datetime.combine((last or services.LATEST) + timedelta(days=1), time()), zone)
        return services.events_between(user=user, start=start, end=end)

    @extend_schema(
        tags=TAGS,
        summary="Create an event",
        request=EventInputSerializer,
        responses={201: EventSerializer, **error_responses(body=True)},
        examples=[*REQUEST_EXAMPLES, RESPONSE_EXAMPLE, INVALID_EXAMPLE],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = EventInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            event = services.create_event(user=_user(request), **body.validated_data)
        except DjangoValidationError as exc:
            raise _as_api_error(exc) from exc
        return Response(
            EventSerializer(event, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class EventDetailView(APIView):
    """GET, PUT, PATCH, DELETE one of the caller's events; another person's is a 404."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="One of your events",
        responses={200: EventSerializer, **error_responses(404)},
        examples=[RESPONSE_EXAMPLE],
    )
    def get(self, request: Request, event_id: UUID) -> Response:
        event = services.get_event(user=_user(request), event_id=event_id)
        return Response(EventSerializer(event, context={"request": request}).data)

    def _change(self, request: Request, event_id: UUID, *, partial: bool) -> Response:
        user = _user(request)
        services.get_event(user=user, event_id=event_id)  # another person's is a 404, whatever the body
        body = EventInputSerializer(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        if not partial:
            # A replacement: what isn't sent goes back to its default.
            fields = {
                "description": "",
                "event_type": "meeting",
                "all_day": False,
                "end": None,
                "rule": "",
                **fields,
            }
        try:
            event = services.update_event(user=user, event_id=event_id, **fields)
        except DjangoValidationError as exc:
            raise _as_api_error(exc) from exc
        return Response(EventSerializer(event, context={"request": request}).data)

    @extend_schema(
        tags=TAGS,
        summary="Replace an event",
        description="Every field as for a create; those left out go back to their defaults.",
        request=EventInputSerializer,
        responses={200: EventSerializer, **error_responses(404, body=True)},
        examples=[*REQUEST_EXAMPLES, RESPONSE_EXAMPLE, INVALID_EXAMPLE],
    )
    def put(self, request: Request, event_id: UUID) -> Response:
        return self._change(request, event_id, partial=False)

    @extend_schema(
        tags=TAGS,
        summary="Change an event",
        description="Only the fields sent change; the event is checked as a whole.",
        request=EventInputSerializer,
        responses={200: EventSerializer, **error_responses(404, body=True)},
        examples=[
            OpenApiExample(
                "Move it", value={"start": "2026-12-02T09:30", "end": "2026-12-02T10:30"}, request_only=True
            ),
            RESPONSE_EXAMPLE,
            INVALID_EXAMPLE,
        ],
    )
    def patch(self, request: Request, event_id: UUID) -> Response:
        return self._change(request, event_id, partial=True)

    @extend_schema(
        tags=TAGS,
        summary="Delete an event",
        description="The whole series.",
        request=None,
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request: Request, event_id: UUID) -> Response:
        services.delete_event(user=_user(request), event_id=event_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
