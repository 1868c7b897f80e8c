from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpcenterConfig(AppConfig):
    """Help articles, their search index and the help pages (issue 14)."""

    name = "helpcenter"
    verbose_name = _("Help center")

    def ready(self) -> None:
        # An article saved or deleted is queued for indexing after commit.
        from helpcenter import signals  # noqa: F401
