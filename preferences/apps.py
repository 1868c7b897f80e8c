from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PreferencesConfig(AppConfig):
    """Filled by its own issue; until then it has no models, pages or menu entry."""

    name = "preferences"
    verbose_name = _("Preferences")
