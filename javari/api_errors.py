"""One shape for every API error: ``{"error": code, "detail": message}``, plus ``fields`` for
validation errors.

Application errors (``javari.errors.AppError``: credits, chat, API keys…) answer their own status,
code and message, plus ``fix_url``/``fix_label`` (absolute) when the fix is a page the caller may
use. ``error`` is a stable snake_case code for programs (``parse_error``, ``not_authenticated``,
``not_found``, ``invalid``…; chat's API adds its own, such as ``empty_message``); ``detail`` is a
sentence for people, in their language; ``fields`` maps each field (or ``non_field_errors``) to
its messages. ``exception_handler`` (DRF's ``EXCEPTION_HANDLER``) gives DRF's errors this shape.

No error echoes text that can't be encoded: a choice field's "“\\ud800” is not a valid choice."
once made the renderer fail (issue 10). The handler replaces unencodable characters in every
message, and ``JSONRenderer`` does the same as a last resort for any body.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import renderers
from rest_framework.exceptions import (
    APIException,
    ErrorDetail,
    NotFound,
    ParseError,
    PermissionDenied,
    ValidationError,
)
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.settings import api_settings

from javari.errors import AppError
from javari.parsers import RequestTooLarge

# Unpaired surrogates: the only characters a Python string holds that UTF-8 can't encode.
_UNENCODABLE = re.compile("[\ud800-\udfff]")


def scrub(data: Any) -> Any:
    """``data`` with every unencodable character replaced by U+FFFD (error codes kept)."""
    if isinstance(data, ErrorDetail):
        return ErrorDetail(_UNENCODABLE.sub("\ufffd", str(data)), code=data.code)
    if isinstance(data, str):
        return _UNENCODABLE.sub("\ufffd", data)
    if isinstance(data, dict):
        return {scrub(key): scrub(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [scrub(item) for item in data]
    return data


def _first_message(detail: Any) -> str:
    pending = [detail]
    while pending:
        item = pending.pop(0)
        if isinstance(item, str):
            return str(item)
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
    return ""


def _as_api_exception(exc: Exception) -> Exception:
    """Django's own errors, as DRF would have raised them."""
    if isinstance(exc, Http404):
        return NotFound(*exc.args)
    if isinstance(exc, DjangoPermissionDenied):
        return PermissionDenied(*exc.args)
    if isinstance(exc, DjangoValidationError):  # a service's full_clean() that no serializer caught
        return ValidationError(detail=get_error_detail(exc))
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge(_("The request body is too large."))
    if isinstance(exc, SuspiciousOperation):
        # Its message may quote the request: say only that it was refused.
        return ParseError(_("The request could not be read."), code="bad_request")
    return exc


def error_body(exc: APIException) -> dict[str, Any]:
    if isinstance(exc, ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {api_settings.NON_FIELD_ERRORS_KEY: detail}
        return {
            "error": "invalid",
            "detail": _first_message(detail) or _("The request is not valid."),
            "fields": fields,
        }
    detail = exc.detail
    code = getattr(detail, "code", None) or exc.default_code
    message = detail if isinstance(detail, str) else _first_message(detail)
    return {"error": str(code), "detail": str(message or exc.default_detail)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, answering in our error shape; anything else stays a server error."""
    # Imported here: rest_framework.views reads DEFAULT_RENDERER_CLASSES, which names this module.
    from rest_framework import views

    if isinstance(exc, AppError):
        request = context.get("request")
        user = getattr(request, "user", None) if request is not None else None
        build_url = request.build_absolute_uri if request is not None else None
        response = Response(scrub(exc.body(user=user, build_url=build_url)), status=exc.status)
        # An atomic view's work is undone as for DRF's own errors.
        views.set_rollback()
        return response
    exc = _as_api_exception(exc)
    response = views.exception_handler(exc, context)
    if response is None or not isinstance(exc, APIException):
        return response
    response.data = scrub(error_body(exc))
    return response


class JSONRenderer(renderers.JSONRenderer):
    """DRF's renderer, replacing what UTF-8 can't encode instead of failing with a 500."""

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return super().render(scrub(data), accepted_media_type, renderer_context)
