"""Every page in the person's time zone: their saved zone, else the browser's guess, else UTC.

``timezone.activate`` makes every aware datetime a template shows (``{{ when }}``, ``|date``) and
every form's datetime read in that zone. The browser's guess arrives in a cookie that
``preferences/static/preferences/time_zone.js`` sets from ``Intl.DateTimeFormat().resolvedOptions()
.timeZone``; for a signed-in person without a saved zone the guess is saved once (an invalid one
is ignored), so emails, reminders and the calendar use it too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from zoneinfo import ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from preferences import services
from preferences.models import UserPreferences

# The cookie the browser's guess arrives in (an IANA name, e.g. Europe/Madrid).
TIME_ZONE_COOKIE = "javari_tz"
API_PREFIX = "/api/"


def _guessed_zone(request: HttpRequest) -> str | None:
    """The cookie's zone when it names one in the tz database, else None."""
    from reminders.errors import InvalidTimeZone
    from reminders.recurrence import zone_named

    guess = request.COOKIES.get(TIME_ZONE_COOKIE, "")
    if not guess or len(guess) > 64:
        return None
    try:
        return zone_named(guess).key
    except InvalidTimeZone:
        return None


class TimeZoneMiddleware:
    """Activates the person's zone for the request (one indexed query for a signed-in person)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.deactivate()
        if request.path.startswith(API_PREFIX):
            # The partner API answers in UTC whoever calls it (a session, a key): a program's
            # parser shouldn't see offsets change with a person's settings.
            return self.get_response(request)
        zone = self._zone_for(request)
        if zone and zone != "UTC":
            # A zone the tz database no longer has: UTC rather than a failing page.
            with contextlib.suppress(ValueError, ZoneInfoNotFoundError):
                timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def _zone_for(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        guess = _guessed_zone(request)
        if user is None or not user.is_authenticated:
            return guess
        saved = UserPreferences.objects.filter(user=user).values_list("time_zone", flat=True).first()
        if saved:
            return saved
        if guess:
            services.guess_time_zone(user=user, time_zone=guess)
        return guess
