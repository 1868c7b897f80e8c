"""The one application error model: every app's refusals are ``AppError`` subclasses.

An ``AppError`` carries a message fit to show a person (translated), a stable ``code`` for
programs, an HTTP ``status`` and, when the person can fix it on another page, a ``fix`` (the page
and the link's words). Services raise them; nothing else decides how they look:

- the API (``javari.api_errors.exception_handler``) answers ``{"error": code, "detail": message}``
  with the status, plus ``fix_url``/``fix_label`` (absolute) when there is a fix the caller may use;
- pages, htmx and fetch callers answer through ``error_response(request, error)``.

The same rule raises the same error everywhere: a conversation, reply or key that isn't the
caller's is ``NotFound`` whichever door the request came through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import defaults


@dataclass(frozen=True)
class Fix:
    """Where a person fixes a refusal: a page (URL name, optional fragment) and the link's words."""

    url_name: str
    label: Promise | str
    fragment: str = ""
    # Some fixes are for staff only (connecting a model in the admin): others get no link.
    staff_only: bool = False

    def url(self) -> str:
        return reverse(self.url_name) + (f"#{self.fragment}" if self.fragment else "")

    def applies_to(self, user: object) -> bool:
        return not self.staff_only or bool(getattr(user, "is_staff", False))


class AppError(Exception):
    """Base error: ``str(error)`` is the message for a person; ``code`` is stable for programs;
    ``status`` is the HTTP status; ``fix`` names the page that fixes it, if one does."""

    code = "error"
    status = 400
    default_message: Promise | str = _("The request could not be completed.")
    fix: Fix | None = None

    def __init__(self, message: object = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)

    def body(self, *, user: Any, build_url: Callable[[str], str] | None = None) -> dict[str, str]:
        """``{"error": code, "detail": message}``, plus ``fix_url`` and ``fix_label`` when ``user``
        may follow the fix (``build_url`` makes the address absolute, as the API answers it)."""
        body = {"error": self.code, "detail": str(self)}
        fix = self.fix
        if fix is not None and fix.applies_to(user):
            url = fix.url()
            body["fix_url"] = build_url(url) if build_url else url
            body["fix_label"] = str(fix.label)
        return body


class NotFound(AppError):
    """Nothing of that id among the caller's own: another person's reads the same as a missing one."""

    code = "not_found"
    status = 404
    default_message = _("Not found.")


def _wants_page(request: HttpRequest) -> bool:
    """A browser navigation or plain form post (HTML first), not a script reading JSON."""
    accept = request.headers.get("Accept", "")
    return "text/html" in accept and "application/json" not in accept


def error_response(request: HttpRequest, error: AppError) -> HttpResponse:
    """The answer to a refused request outside the API, in the form the caller reads.

    - htmx: the ``partials/error.html`` fragment with the error's status (htmx swaps no 4xx by
      default: a form that shows the refusal in place opts in with its own 200 answer, as chat's
      rename does); ``X-Error-Code`` carries the code for scripts.
    - a page (``Accept: text/html``): the ``error.html`` page with the error's status.
    - anything else (fetch callers such as the chat page, which asks for ``text/event-stream`` but
      reads a refusal as JSON before any stream starts): the API's JSON body with the status.
    """
    user = getattr(request, "user", None)
    body = error.body(user=user)
    context = {"error": error, "fix_url": body.get("fix_url", ""), "fix_label": body.get("fix_label", "")}
    if getattr(request, "htmx", False):
        response = render(request, "partials/error.html", context, status=error.status)
        response["X-Error-Code"] = error.code
        return response
    if _wants_page(request):
        return render(request, "error.html", context, status=error.status)
    return JsonResponse(body, status=error.status)


class AppErrorMiddleware(MiddlewareMixin):
    """An ``AppError`` no view caught answers through ``error_response`` (the API's own handler
    answers first under /api/): a service's refusal is never a 500, whichever page raised it."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, AppError):
            return error_response(request, exception)
        return None


# --- Django's error views: JSON under /api/ -----------------------------------------------------
# Django answers these itself (no view matched, a view crashed, a refused CSRF token…), outside
# DRF's exception handler: without them an /api/v1 caller would get an HTML page.


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _api_error(code: str, message: object, status: int) -> JsonResponse:
    return JsonResponse({"error": code, "detail": str(message)}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _api_error("bad_request", gettext("The request could not be read."), 400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _api_error("permission_denied", gettext("You do not have permission to do this."), 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _api_error("not_found", gettext("There is no such API endpoint."), 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _api_error("server_error", gettext("Something went wrong on our side. Try again."), 500)
    return defaults.server_error(request)
