from __future__ import annotations

import time
from collections.abc import Callable

from allauth.usersessions.middleware import UserSessionsMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control

# A session's "last seen" (Security → sessions) is written at most this often.
SESSION_ACTIVITY_RESOLUTION_SECONDS = 60
_LAST_TRACKED = "javari_activity_tracked_at"


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the cookie and ``Accept-Language``.

    Runs after ``LocaleMiddleware`` (which handles everyone else) and ``AuthenticationMiddleware``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class SessionActivityMiddleware(UserSessionsMiddleware):
    """allauth's session tracking, at most once a minute per session instead of on every request.

    allauth's own middleware rewrites the session's ``UserSession`` row (its IP, browser and last
    seen) on every request: a write transaction for each page view and htmx poll, and all of one
    session's concurrent requests queue on that row's lock. When it last did is kept in the session,
    which the request has loaded anyway.
    """

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is None or not session.session_key or user is None or not user.is_authenticated:
            return self.get_response(request)  # nothing allauth would track
        now = int(time.time())
        last = session.get(_LAST_TRACKED)
        if isinstance(last, int) and 0 <= now - last < SESSION_ACTIVITY_RESOLUTION_SECONDS:
            return self.get_response(request)
        session[_LAST_TRACKED] = now
        return super().__call__(request)


# Pages that show a two-factor secret (the TOTP set-up page shows it as text and as a QR code) or
# recovery codes. allauth marks some of them never_cache, not the TOTP set-up page (issue 10).
NO_STORE_PATH_PREFIXES = ("/accounts/2fa/", "/accounts/reauthenticate/")


class NoStoreSecretPagesMiddleware:
    """``Cache-Control: no-store`` on every response under the two-factor pages: a secret shown
    there must never be kept by the browser's disk cache or a proxy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(NO_STORE_PATH_PREFIXES):
            patch_cache_control(response, no_store=True, no_cache=True, max_age=0, private=True)
        return response
