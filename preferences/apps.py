from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PreferencesConfig(AppConfig):
    """Settings: the hub, Behavior & Personality (presets, the system prompt), language and theme."""

    name = "preferences"
    verbose_name = _("Preferences")
