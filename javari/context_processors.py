"""What every page of the shell needs: theme, languages, the profile menu's entries."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language_info

from javari.shell import THEMES, profile_menu, theme_for


def shell(request: HttpRequest) -> dict:
    return {
        "theme": theme_for(request),
        "themes": THEMES,
        "language_choices": [
            (code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES
        ],
        "profile_menu": profile_menu(request),
    }
