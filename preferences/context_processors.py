"""The theme a signed-in person saved, for a device that has no theme choice of its own yet."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from javari.shell import THEME_COOKIE, theme_for
from preferences.models import UserPreferences


def saved_theme(request: HttpRequest) -> str:
    """The theme to render for this request.

    This device's own choice (the shell's theme cookie, set by the profile menu or the settings
    pages) is the latest one made here, so it wins; without it a signed-in person gets the theme
    they saved, so a new device starts right; everyone else gets the shell's default.
    """
    user = getattr(request, "user", None)
    if THEME_COOKIE in request.COOKIES or user is None or not user.is_authenticated:
        return theme_for(request)
    saved = UserPreferences.objects.filter(user=user).values_list("theme", flat=True).first()
    return saved or theme_for(request)


def theme(request: HttpRequest) -> dict:
    """Overrides the shell's ``theme``; read only when a template uses it (partials cost no query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or THEME_COOKIE in request.COOKIES:
        return {}
    return {"theme": SimpleLazyObject(lambda: saved_theme(request))}
