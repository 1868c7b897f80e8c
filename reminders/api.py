"""The reminders and notifications API under /api/v1/: the caller's own reminders and notifications.

- ``/api/v1/reminders/``: list (filters ``status``, ``type``, ``due_after``/``due_before``) and
  create; ``…/{reminder_id}/``: read, change (PATCH, or PUT to replace), delete; the actions
  ``…/complete/``, ``…/snooze/`` and ``…/cancel/``.
- ``/api/v1/notifications/``: the notification centre, newest first (``?unread=true``), with the
  unread count; ``…/{notification_id}/read/`` and ``…/read-all/``.

Every write goes through ``reminders.services``, which validates the meaning of each field as the
pages' forms do; a service's ``ValidationError`` becomes a 400 naming the API's field. Someone
else's reminder or notification is a 404, whatever the body says.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import BasePagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from preferences.services import time_zone_of
from reminders import services
from reminders.api_schema import (
    NOTIFICATION_EXAMPLE,
    REMINDER_DETAIL_EXAMPLE,
    REMINDER_EXAMPLE,
    example,
    reminder_errors,
    request_example,
)
from reminders.models import Notification, Recurrence, Reminder, ReminderStatus, ReminderType
from reminders.serializers import (
    CompleteSerializer,
    NotificationPageSerializer,
    NotificationSerializer,
    ReadAllSerializer,
    ReminderDetailSerializer,
    ReminderFiltersSerializer,
    ReminderPageSerializer,
    ReminderSerializer,
    SnoozeSerializer,
    drf_errors,
)
from reminders.services import notifications

REMINDER_TAGS = ["Reminders"]
NOTIFICATION_TAGS = ["Notifications"]

PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="Which page, from 1; one past the last is a 404."),
    OpenApiParameter("page_size", int, description="How many a page: 50 unless said, 200 at most."),
]
REMINDER_ID = OpenApiParameter("reminder_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
NOTIFICATION_ID = OpenApiParameter("notification_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


def _owner(request: Request) -> User:
    """The signed-in caller (every view here requires one)."""
    user = request.user
    assert isinstance(user, User)
    return user


def _paginator(view: GenericAPIView) -> BasePagination:
    paginator = view.paginator
    assert paginator is not None
    return paginator


def _invalid(exc: DjangoValidationError) -> ValidationError:
    """A service's refusal as the API's 400, by the API's field names."""
    if hasattr(exc, "error_dict"):
        return ValidationError(drf_errors(exc.message_dict))
    return ValidationError({"non_field_errors": exc.messages})


def _detail(reminder: Reminder, *, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(ReminderDetailSerializer(reminder).data, status=status_code)


def _reminders_for(user: User, filters: dict[str, Any]) -> QuerySet[Reminder]:
    """The caller's reminders by their current occurrence, filtered; the (user, status, due_at)
    index serves the common query (one status, a date range)."""
    reminders = Reminder.objects.filter(user=user)
    if "status" in filters:
        reminders = reminders.filter(status=filters["status"])
    if "reminder_type" in filters:
        reminders = reminders.filter(reminder_type=filters["reminder_type"])
    if "due_after" in filters:
        reminders = reminders.filter(due_at__gte=filters["due_after"])
    if "due_before" in filters:
        reminders = reminders.filter(due_at__lt=filters["due_before"])
    return reminders.order_by("due_at", "id")


class ReminderListView(GenericAPIView):
    """GET: the caller's reminders, soonest due first. POST: a new reminder (201)."""

    permission_classes = [IsAuthenticated]
    serializer_class = ReminderSerializer

    @extend_schema(
        tags=REMINDER_TAGS,
        summary="List your reminders",
        description=(
            "Soonest due first. `due_after` (inclusive) and `due_before` (exclusive) bound the current "
            "occurrence (`due_at`): a date and time with its UTC offset, or a date, read as the start of "
            "that day in your time zone."
        ),
        operation_id="reminders_list",
        parameters=[
            OpenApiParameter("status", str, enum=ReminderStatus.values, description="Only this status."),
            OpenApiParameter("type", str, enum=ReminderType.values, description="Only this type."),
            OpenApiParameter(
                "due_after",
                str,
                description="Due at or after: `2026-03-01T00:00:00+01:00` or `2026-03-01`.",
            ),
            OpenApiParameter(
                "due_before", str, description="Due before: `2026-04-01T00:00:00Z` or `2026-04-01`."
            ),
            *PAGE_PARAMETERS,
        ],
        responses={200: ReminderPageSerializer, **reminder_errors()},
        examples=[
            example(
                "A page",
                {"count": 1, "next": None, "previous": None, "results": [REMINDER_EXAMPLE]},
            )
        ],
    )
    def get(self, request: Request) -> Response:
        filters = ReminderFiltersSerializer(
            data=request.query_params, context={"time_zone": time_zone_of(_owner(request))}
        )
        filters.is_valid(raise_exception=True)
        reminders = _reminders_for(_owner(request), filters.validated_data)
        paginator = _paginator(self)
        page = paginator.paginate_queryset(reminders, request, view=self)
        return paginator.get_paginated_response(ReminderSerializer(page, many=True).data)

    @extend_schema(
        tags=REMINDER_TAGS,
        summary="Create a reminder",
        description=(
            "`title`, `start_date` and `start_time` are required; the zone, the channels and the lead "
            "time default to your settings. The first occurrence must be in the future."
        ),
        request=ReminderSerializer,
        responses={201: ReminderDetailSerializer, **reminder_errors(body=True)},
        examples=[
            request_example(
                "Every weekday at 09:00",
                {
                    "title": "Check the error dashboard",
                    "start_date": "2026-03-02",
                    "start_time": "09:00",
                    "time_zone": "Europe/Madrid",
                    "recurrence": "cron",
                    "rule": "0 9 * * 1-5",
                    "lead_minutes": 0,
                },
            ),
            request_example(
                "Monthly, a day ahead",
                {
                    "title": "Rotate the Stripe keys",
                    "type": "rotate_keys",
                    "start_date": "2026-03-02",
                    "start_time": "09:00",
                    "recurrence": "monthly",
                },
            ),
            example("Created", REMINDER_DETAIL_EXAMPLE, status=201),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = ReminderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            reminder = services.create_reminder(
                user=_owner(request), **services.bulk_values(serializer.validated_data)
            )
        except DjangoValidationError as exc:
            raise _invalid(exc) from None
        return _detail(reminder, status_code=status.HTTP_201_CREATED)


class ReminderDetailView(APIView):
    """GET, PATCH, PUT and DELETE one of the caller's reminders; anyone else's is a 404."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=REMINDER_TAGS,
        summary="One of your reminders",
        parameters=[REMINDER_ID],
        responses={200: ReminderDetailSerializer, **reminder_errors(404)},
        examples=[example("Reminder", REMINDER_DETAIL_EXAMPLE)],
    )
    def get(self, request: Request, reminder_id: str) -> Response:
        return _detail(services.get_reminder(user=_owner(request), reminder_id=reminder_id))

    @extend_schema(
        tags=REMINDER_TAGS,
        summary="Change a reminder",
        description=(
            "Only the fields sent change. A new date, time, zone, repeat or rule restarts the series from "
            "its first occurrence from now on (a snooze is dropped)."
        ),
        parameters=[REMINDER_ID],
        request=ReminderSerializer,
        responses={200: ReminderDetailSerializer, **reminder_errors(404, body=True)},
        examples=[
            request_example("Notify an hour before", {"lead_minutes": 60}),
            example("Changed", REMINDER_DETAIL_EXAMPLE),
        ],
    )
    def patch(self, request: Request, reminder_id: str) -> Response:
        return self._change(request, reminder_id, partial=True)

    @extend_schema(
        tags=REMINDER_TAGS,
        summary="Replace a reminder",
        description=(
            "As creating one: fields not sent take their defaults (your settings for the zone, the "
            "channels and the lead time)."
        ),
        parameters=[REMINDER_ID],
        request=ReminderSerializer,
        responses={200: ReminderDetailSerializer, **reminder_errors(404, body=True)},
        examples=[
            request_example(
                "Weekly on Mondays",
                {
                    "title": "Back up the database",
                    "start_date": "2026-03-02",
                    "start_time": "08:30",
                    "recurrence": "weekly",
                    "type": "backup",
                },
            ),
            example("Replaced", REMINDER_DETAIL_EXAMPLE),
        ],
    )
    def put(self, request: Request, reminder_id: str) -> Response:
        return self._change(request, reminder_id, partial=False)

    def _change(self, request: Request, reminder_id: str, *, partial: bool) -> Response:
        services.get_reminder(user=_owner(request), reminder_id=reminder_id)  # another's: 404 first
        serializer = ReminderSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        values = services.bulk_values(serializer.validated_data)
        if not partial:  # a replacement: what isn't sent goes back to its default
            values = {**_create_defaults(_owner(request)), **values}
        try:
            reminder = services.update_reminder(user=_owner(request), reminder_id=reminder_id, **values)
        except DjangoValidationError as exc:
            raise _invalid(exc) from None
        return _detail(reminder)

    @extend_schema(
        tags=REMINDER_TAGS,
        summary="Delete a reminder",
        description="Deletes the reminder (the whole series) and its notices (204).",
        parameters=[REMINDER_ID],
        responses={204: None, **reminder_errors(404)},
    )
    def delete(self, request: Request, reminder_id: str) -> Response:
        services.delete_reminder(user=_owner(request), reminder_id=reminder_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _create_defaults(user: User) -> dict[str, Any]:
    """The values a field not sent takes when a reminder is created (and replaced)."""
    return {
        "description": "",
        "reminder_type": ReminderType.CUSTOM,
        "recurrence": Recurrence.NONE,
        "rule": "",
        "related_project": "",
        "action_url": "",
        "related_integration_id": None,
        **services.defaults_for(user),
    }


class ReminderCompleteView(APIView):
    """POST: mark the current occurrence done (or, with ``series``, the whole series)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=REMINDER_TAGS,
        summary="Complete a reminder",
        description=(
            "A one-off reminder becomes completed. A recurring one moves to its next occurrence after now "
            'and stays pending (completed when its rule has no more); `{"series": true}` ends it.'
        ),
        parameters=[REMINDER_ID],
        request=CompleteSerializer,
        responses={200: ReminderDetailSerializer, **reminder_errors(404, body=True, closed=True)},
        examples=[
            request_example("This occurrence", {"series": False}),
            request_example("The whole series", {"series": True}),
            example("Completed", REMINDER_DETAIL_EXAMPLE),
        ],
    )
    def post(self, request: Request, reminder_id: str) -> Response:
        services.get_reminder(user=_owner(request), reminder_id=reminder_id)
        serializer = CompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reminder = services.complete_reminder(
            user=_owner(request), reminder_id=reminder_id, series=serializer.validated_data["series"]
        )
        return _detail(reminder)


class ReminderSnoozeView(APIView):
    """POST: notify the current occurrence again later; later occurrences keep their times."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=REMINDER_TAGS,
        summary="Snooze a reminder",
        description=(
            "`until`: a date and time with its UTC offset, in the future, within 30 days; or `preset`: "
            "`10m`, `1h` or `tomorrow` (09:00 tomorrow in your time zone). Exactly one of them."
        ),
        parameters=[REMINDER_ID],
        request=SnoozeSerializer,
        responses={200: ReminderDetailSerializer, **reminder_errors(404, body=True, closed=True)},
        examples=[
            request_example("An hour", {"preset": "1h"}),
            request_example("Until a time", {"until": "2026-03-02T16:30:00+01:00"}),
            example(
                "Snoozed",
                {
                    **REMINDER_DETAIL_EXAMPLE,
                    "status": "snoozed",
                    "snoozed_until": "2026-03-02T15:30:00Z",
                    "next_fire_at": "2026-03-02T15:30:00Z",
                },
            ),
        ],
    )
    def post(self, request: Request, reminder_id: str) -> Response:
        services.get_reminder(user=_owner(request), reminder_id=reminder_id)
        serializer = SnoozeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            until = data.get("until") or services.snooze_until(user=_owner(request), preset=data["preset"])
            reminder = services.snooze_reminder(user=_owner(request), reminder_id=reminder_id, until=until)
        except DjangoValidationError as exc:
            raise _invalid(exc) from None
        return _detail(reminder)


class ReminderCancelView(APIView):
    """POST: cancel the reminder (the whole series): nothing more is sent."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=REMINDER_TAGS,
        summary="Cancel a reminder",
        description="Cancels the whole series: nothing more is sent. It stays listed as cancelled.",
        parameters=[REMINDER_ID],
        request=None,
        responses={200: ReminderDetailSerializer, **reminder_errors(404, closed=True)},
        examples=[
            example(
                "Cancelled",
                {
                    **REMINDER_DETAIL_EXAMPLE,
                    "status": "cancelled",
                    "next_fire_at": None,
                    "next_occurrences": [],
                },
            )
        ],
    )
    def post(self, request: Request, reminder_id: str) -> Response:
        return _detail(services.cancel_reminder(user=_owner(request), reminder_id=reminder_id))


# --- Notifications --------------------------------------------------------------------------------


def _unread_only(request: Request) -> bool:
    value = request.query_params.get("unread", "").strip().lower()
    if value in ("", "false", "0"):
        return False
    if value in ("true", "1"):
        return True
    raise ValidationError({"unread": [_("Enter true or false.")]})


class NotificationListView(GenericAPIView):
    """GET: the caller's notifications, newest first, and how many are unread."""

    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer

    @extend_schema(
        tags=NOTIFICATION_TAGS,
        summary="List your notifications",
        description="Newest first; `unread_count` is the bell's badge (unread in all, whatever the filter).",
        operation_id="notifications_list",
        parameters=[
            OpenApiParameter("unread", bool, description="`true`: only the unread ones."),
            *PAGE_PARAMETERS,
        ],
        responses={200: NotificationPageSerializer, **reminder_errors()},
        examples=[
            example(
                "A page",
                {
                    "count": 1,
                    "unread_count": 1,
                    "next": None,
                    "previous": None,
                    "results": [NOTIFICATION_EXAMPLE],
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        found: QuerySet[Notification] = Notification.objects.filter(user=_owner(request))
        if _unread_only(request):
            found = found.filter(read_at__isnull=True)
        paginator = _paginator(self)
        page = paginator.paginate_queryset(found.order_by("-created_at", "-id"), request, view=self)
        response = paginator.get_paginated_response(NotificationSerializer(page, many=True).data)
        response.data = {
            "count": response.data["count"],
            "unread_count": notifications.unread_count(user=_owner(request)),
            **{key: value for key, value in response.data.items() if key != "count"},
        }
        return response


class NotificationReadView(APIView):
    """POST: mark one of the caller's notifications read (again is harmless)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=NOTIFICATION_TAGS,
        summary="Mark a notification read",
        parameters=[NOTIFICATION_ID],
        request=None,
        responses={200: NotificationSerializer, **reminder_errors(404)},
        examples=[example("Read", {**NOTIFICATION_EXAMPLE, "read_at": "2026-03-01T08:05:00Z", "read": True})],
    )
    def post(self, request: Request, notification_id: str) -> Response:
        notification = notifications.mark_read(user=_owner(request), notification_id=notification_id)
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllView(APIView):
    """POST: mark every unread notification of the caller read."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=NOTIFICATION_TAGS,
        summary="Mark all your notifications read",
        request=None,
        responses={200: ReadAllSerializer, **reminder_errors()},
        examples=[example("Done", {"marked": 3, "unread_count": 0})],
    )
    def post(self, request: Request) -> Response:
        marked = notifications.mark_all_read(user=_owner(request))
        unread = notifications.unread_count(user=_owner(request))
        return Response(ReadAllSerializer({"marked": marked, "unread_count": unread}).data)
