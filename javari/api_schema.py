"""What the OpenAPI schema (drf-spectacular, /api/v1/schema/) says that the views can't say alone.

- The error bodies: ``{"error": code, "detail": message}`` (javari/api_errors.py), ``fields`` on a
  validation error, ``fix_url``/``fix_label`` on a chat refusal fixed on another page.
- ``error_responses(...)``: each operation's error answers with an example. Every operation gets
  400 (a request with text that can't be stored is refused at the door, javari/middleware.py), 401
  (no or bad credentials) and 429 (rate limited); one that takes a body also 403 (a session without
  its CSRF token, or a refusal), 413 and 415.
- The security schemes: a Bearer API key (accounts/authentication.py) and the session cookie.

The API modules import this one, so the authentication extension is registered before the schema
is generated.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every API error."""

    error = serializers.CharField(help_text="A stable snake_case code for programs.")
    detail = serializers.CharField(help_text="A sentence for people, in their language.")


class ValidationErrorSerializer(ErrorSerializer):
    """A bad request. Invalid input (``invalid``): ``detail`` is the first message, ``fields`` every
    message by field. A body that can't be read (``parse_error``, ``invalid_text``) has no ``fields``."""

    # Declared fields leave the class body (DRF's metaclass), so this doesn't hide Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Each field (or non_field_errors) and its messages, when the input is invalid.",
    )


class RefusalSerializer(ErrorSerializer):
    """A refused chat message: with a link to the page that fixes it, when there is one."""

    fix_url = serializers.URLField(required=False, help_text="The page where the person can fix it.")
    fix_label = serializers.CharField(required=False, help_text="The link's words for that page.")


def _example(name: str, body: dict[str, Any]) -> OpenApiExample:
    return OpenApiExample(name, value=body, response_only=True)


# Status -> (description, serializer, examples). Examples are real bodies this API answers.
_ERRORS: dict[int, tuple[str, type[serializers.Serializer], list[OpenApiExample]]] = {
    400: (
        "Invalid input, a body that can't be read, or text that can't be stored (NUL, invalid Unicode).",
        ValidationErrorSerializer,
        [
            _example(
                "Invalid field",
                {
                    "error": "invalid",
                    "detail": "This field is required.",
                    "fields": {"name": ["This field is required."]},
                },
            ),
            _example("Unreadable JSON", {"error": "parse_error", "detail": "JSON parse error."}),
        ],
    ),
    401: (
        "No credentials, or an API key that is malformed, unknown, revoked or expired.",
        ErrorSerializer,
        [
            _example(
                "Not signed in",
                {"error": "not_authenticated", "detail": "Authentication credentials were not provided."},
            ),
            _example("Revoked key", {"error": "revoked", "detail": "This API key has been revoked."}),
        ],
    ),
    402: (
        "Too few credits, or the monthly spending cap is reached.",
        RefusalSerializer,
        [
            _example(
                "Too few credits",
                {
                    "error": "insufficient_credits",
                    "detail": "You don't have enough credits for this message.",
                    "fix_url": "https://javari.example/billing/",
                    "fix_label": "Top up credits",
                },
            ),
        ],
    ),
    403: (
        "Refused: a session request without its CSRF token, or an action this credential can't take.",
        ErrorSerializer,
        [
            _example(
                "Refused",
                {
                    "error": "permission_denied",
                    "detail": "You do not have permission to perform this action.",
                },
            ),
        ],
    ),
    404: (
        "Not found, or not the caller's.",
        ErrorSerializer,
        [_example("Not found", {"error": "not_found", "detail": "Not found."})],
    ),
    409: (
        "A reply is still being written in this conversation.",
        ErrorSerializer,
        [
            _example(
                "Reply in progress",
                {
                    "error": "reply_in_progress",
                    "detail": (
                        "Javari is still answering. Wait for the reply, or stop it, before sending more."
                    ),
                },
            ),
        ],
    ),
    413: (
        "The request body is too large.",
        ErrorSerializer,
        [_example("Too large", {"error": "request_too_large", "detail": "The request body is too large."})],
    ),
    415: (
        "The body's media type is not JSON, form or multipart, or its charset is not UTF-8.",
        ErrorSerializer,
        [
            _example(
                "Unsupported media type",
                {
                    "error": "unsupported_media_type",
                    "detail": 'Unsupported media type "text/xml" in request.',
                },
            ),
        ],
    ),
    429: (
        "Too many requests: wait the seconds `Retry-After` says.",
        ErrorSerializer,
        [
            _example(
                "Rate limited",
                {"error": "throttled", "detail": "Request was throttled. Expected available in 12 seconds."},
            ),
        ],
    ),
    503: (
        "No chat model is available yet.",
        RefusalSerializer,
        [
            _example(
                "No model",
                {
                    "error": "no_model_available",
                    "detail": "No chat model is available yet. Staff can add one in the admin.",
                },
            ),
        ],
    ),
}


def error_responses(*statuses: int, body: bool = False) -> dict[int, OpenApiResponse]:
    """The error answers of an operation: ``statuses`` plus 400, 401 and 429 (and, with ``body``,
    the answers to a body that isn't allowed: 403, 413, 415)."""
    wanted = {400, 401, 429, *statuses}
    if body:
        wanted |= {403, 413, 415}
    responses = {}
    for code in sorted(wanted):
        description, serializer, examples = _ERRORS[code]
        responses[code] = OpenApiResponse(response=serializer, description=description, examples=examples)
    return responses


def document_page_not_found(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every paginated list (an operation taking ``page``)
    answers 404 to a page that doesn't exist (``javari.pagination``), so each documents it."""
    description, _serializer, examples = _ERRORS[404]
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            names = {parameter.get("name") for parameter in operation.get("parameters", [])}
            if "page" in names and "404" not in operation.get("responses", {}):
                operation["responses"]["404"] = {
                    "description": description,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/Error"},
                            "examples": {"NotFound": {"value": examples[0].value, "summary": "Invalid page"}},
                        }
                    },
                }
    return result


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """``Authorization: Bearer jv_…``, as accounts.authentication.ApiKeyAuthentication reads it."""

    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "jv_…",
            "description": "A personal API key, created under Settings → Security. It acts as its owner.",
        }
