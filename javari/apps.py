from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class JavariConfig(AppConfig):
    """The project itself: site-wide views (home, health), the shell, the run command."""

    name = "javari"
    verbose_name = _("Javari AI")


class JavariAdminConfig(AdminConfig):
    default_site = "javari.admin_site.JavariAdminSite"
