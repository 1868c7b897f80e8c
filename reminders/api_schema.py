"""What the OpenAPI schema says about reminders and notifications (reminders/api.py): examples of
the bodies, and the 409 a closed reminder answers (javari/api_schema.py's 409 is chat's)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from javari.api_schema import ErrorSerializer, error_responses

REMINDER_ID = "3f2b8c1e-7d4a-4f6b-9e21-5a8c0d1b2e3f"

REMINDER_EXAMPLE: dict[str, Any] = {
    "id": REMINDER_ID,
    "title": "Rotate the Stripe keys",
    "description": "",
    "type": "rotate_keys",
    "start_date": "2026-03-02",
    "start_time": "09:00",
    "time_zone": "Europe/Madrid",
    "recurrence": "monthly",
    "rule": "FREQ=MONTHLY;BYMONTHDAY=2",
    "due_at": "2026-03-02T08:00:00Z",
    "next_fire_at": "2026-03-01T08:00:00Z",
    "status": "pending",
    "completed_at": None,
    "snoozed_until": None,
    "lead_minutes": 1440,
    "notify_email": True,
    "notify_in_app": True,
    "related_project": "Shop",
    "action_url": "https://dashboard.stripe.com/apikeys",
    "related_integration_id": None,
    "created_at": "2026-02-20T17:12:09Z",
    "updated_at": "2026-02-20T17:12:09Z",
}
REMINDER_DETAIL_EXAMPLE: dict[str, Any] = {
    **REMINDER_EXAMPLE,
    "next_occurrences": [
        "2026-03-02T08:00:00Z",
        "2026-04-02T07:00:00Z",
        "2026-05-02T07:00:00Z",
        "2026-06-02T07:00:00Z",
        "2026-07-02T07:00:00Z",
    ],
}
NOTIFICATION_EXAMPLE: dict[str, Any] = {
    "id": "8d0c6a1b-2e3f-4a5b-9c7d-1e2f3a4b5c6d",
    "kind": "reminder",
    "title": "Rotate the Stripe keys",
    "body": "Due tomorrow at 09:00.",
    "url": f"/reminders/{REMINDER_ID}/",
    "created_at": "2026-03-01T08:00:03Z",
    "read_at": None,
    "read": False,
}


def example(name: str, value: Any, *, status: int = 200) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[str(status)])


def request_example(name: str, value: Any) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


def reminder_errors(*statuses: int, body: bool = False, closed: bool = False) -> dict[int, OpenApiResponse]:
    """``javari.api_schema.error_responses``, plus the 409 of a completed or cancelled reminder."""
    responses = error_responses(*statuses, body=body)
    if closed:
        responses[409] = OpenApiResponse(
            response=ErrorSerializer,
            description="The reminder is already completed or cancelled.",
            examples=[
                OpenApiExample(
                    "Closed",
                    value={
                        "error": "reminder_closed",
                        "detail": "This reminder is already completed or cancelled.",
                    },
                    response_only=True,
                )
            ],
        )
    return dict(sorted(responses.items()))
