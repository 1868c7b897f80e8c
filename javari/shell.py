"""The app shell's moving parts: the theme choice and the profile menu's entries.

The profile menu lists one entry per feature that exists. A later app adds its entry to
``PROFILE_MENU`` below (kept in the spec's order), with the URL name it serves.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

THEME_COOKIE = "javari_theme"
THEMES = [("auto", _("Auto")), ("light", _("Light")), ("dark", _("Dark"))]


def theme_for(request: HttpRequest) -> str:
    """The theme to render the page with, chosen server-side so no wrong theme ever flashes."""
    theme = request.COOKIES.get(THEME_COOKIE, "auto")
    return theme if theme in dict(THEMES) else "auto"


@dataclass(frozen=True)
class MenuEntry:
    label: str | Promise
    url_name: str
    icon: str


# The spec's order (§1): Get Help, View Plans & Credits, Settings, Assets & Documents, Security & Keys.
PROFILE_MENU = [
    MenuEntry(_("Get Help"), "helpcenter:index", "help"),
    MenuEntry(_("View Plans & Credits"), "credits:plans", "credits"),
    MenuEntry(_("Settings"), "preferences:index", "settings"),
    MenuEntry(_("Assets & Documents"), "assets:index", "assets"),
    MenuEntry(_("Security & Keys"), "accounts:security", "security"),
]


def profile_menu(request: HttpRequest) -> list[dict]:
    """The entries whose feature is installed: an entry whose URL doesn't resolve is left out."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return []
    entries = []
    for entry in PROFILE_MENU:
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        entries.append({"label": entry.label, "url": url, "icon": entry.icon})
    return entries
