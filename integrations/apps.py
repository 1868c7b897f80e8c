from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """Connections to outside APIs (Vercel, Supabase, Gmail, GitHub, Stripe, any API), their encrypted
    credentials, verification, the activity log and key rotation (spec §3.2, §3.3)."""

    name = "integrations"
    verbose_name = _("Integrations")
