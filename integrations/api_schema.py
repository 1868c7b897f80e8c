"""What the OpenAPI schema says about integrations (integrations/api.py): examples of the bodies,
and the answers particular to them (a provider that refused the credentials, a disconnected
integration, a rotation that is running or failed)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from javari.api_schema import ErrorSerializer, ValidationErrorSerializer, error_responses

INTEGRATION_ID = "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"

INTEGRATION_EXAMPLE: dict[str, Any] = {
    "id": INTEGRATION_ID,
    "provider": "vercel",
    "provider_name": "Vercel",
    "name": "Production",
    "status": "connected",
    "status_detail": "",
    "account": "ada",
    "settings": {"team_id": "team_javari"},
    "secrets": {"api_token": "•••• 4f2a"},
    "auto_rotate": True,
    "rotation_schedule": "monthly",
    "last_verified_at": "2026-03-01T08:00:00Z",
    "last_used_at": None,
    "key_expires_at": None,
    "last_rotated_at": None,
    "next_rotation_at": "2026-04-01T08:00:00Z",
    "created_at": "2026-03-01T08:00:00Z",
    "updated_at": "2026-03-01T08:00:00Z",
    "disconnected_at": None,
}
DISCONNECTED_EXAMPLE: dict[str, Any] = {
    **INTEGRATION_EXAMPLE,
    "status": "disconnected",
    "secrets": {},
    "auto_rotate": False,
    "next_rotation_at": None,
    "disconnected_at": "2026-03-02T10:00:00Z",
}
ACTIVITY_EXAMPLE: dict[str, Any] = {
    "id": "0b9e8d7c-6a5f-4e3d-9c2b-1a0f9e8d7c6b",
    "action": "connected",
    "success": True,
    "message": "Connected to Vercel and verified.",
    "metadata": {"account": "ada"},
    "created_at": "2026-03-01T08:00:00Z",
}
PROVIDER_EXAMPLE: dict[str, Any] = {
    "slug": "vercel",
    "name": "Vercel",
    "description": "Deploy and manage your projects",
    "capabilities": ["deploy", "logs", "domains", "environment_variables"],
    "fields": [
        {
            "name": "api_token",
            "label": "Access token",
            "help": "Make one in Vercel under Account Settings → Tokens.",
            "secret": True,
            "required": True,
            "kind": "secret",
            "choices": [],
        },
        {
            "name": "team_id",
            "label": "Team ID",
            "help": "Your team's ID (team_…). Leave blank for your personal account.",
            "secret": False,
            "required": False,
            "kind": "text",
            "choices": [],
        },
    ],
    "rotates_by_api": True,
    "uses_oauth": False,
}


def example(name: str, value: Any, *, status: int = 200) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[str(status)])


def request_example(name: str, value: Any) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


def _error(name: str, code: str, detail: str) -> OpenApiExample:
    return OpenApiExample(name, value={"error": code, "detail": detail}, response_only=True)


def integration_errors(
    *statuses: int, body: bool = False, verifies: bool = False, rotates: bool = False
) -> dict[int, OpenApiResponse]:
    """``javari.api_schema.error_responses``, plus what an integration answers: with ``verifies``,
    the provider's refusal (400 ``verification_failed``) and a disconnected integration (409); with
    ``rotates``, a rotation running, not possible by API, or failed (409, 502)."""
    responses = error_responses(*statuses, body=body)
    if verifies or rotates:
        responses[400] = OpenApiResponse(
            response=ValidationErrorSerializer,
            description=(
                "Invalid input (by field: a provider's field is `values.<name>`), or the provider "
                "refused the credentials or could not be reached (`verification_failed`: nothing saved)."
            ),
            examples=[
                OpenApiExample(
                    "Invalid field",
                    value={
                        "error": "invalid",
                        "detail": "This field is required.",
                        "fields": {"values.api_token": ["This field is required."]},
                    },
                    response_only=True,
                ),
                OpenApiExample(
                    "Refused",
                    value={
                        "error": "verification_failed",
                        "detail": "Vercel refused the credentials. Check the token and try again.",
                        "fields": {"values.api_token": ["Vercel refused the credentials."]},
                    },
                    response_only=True,
                ),
            ],
        )
        conflicts = [
            _error(
                "Disconnected",
                "not_connected",
                "This integration is disconnected. Connect it again to use it.",
            )
        ]
        if rotates:
            conflicts += [
                _error(
                    "Rotation running",
                    "rotation_in_progress",
                    "A rotation of this key is already running. Try again in a few minutes.",
                ),
                _error(
                    "Not by API",
                    "rotation_not_supported",
                    "This provider can't make new keys through its API: Javari reminds you to rotate it "
                    "instead.",
                ),
            ]
        responses[409] = OpenApiResponse(
            response=ErrorSerializer,
            description="The integration is disconnected"
            + (", a rotation is running, or it can't be rotated by API." if rotates else "."),
            examples=conflicts,
        )
    if rotates:
        responses[502] = OpenApiResponse(
            response=ErrorSerializer,
            description="The rotation failed at the provider: the current key is untouched and works.",
            examples=[
                _error(
                    "Failed",
                    "rotation_failed",
                    "The key could not be rotated. The current key still works.",
                )
            ],
        )
    return dict(sorted(responses.items()))
