from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class JavariConfig(AppConfig):
    """The project itself: site-wide views (home, health), the shell, the run command."""

    name = "javari"
    verbose_name = _("Javari AI")

    def ready(self) -> None:
        # Load the Celery app whenever Django starts, so every @shared_task binds to it. Done
        # here rather than in javari/__init__.py, whose import must not set DJANGO_SETTINGS_MODULE.
        from javari import celery  # noqa: F401


class JavariAdminConfig(AdminConfig):
    default_site = "javari.admin_site.JavariAdminSite"
