from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    """Chat: conversations with any OpenAI-compatible model, streamed replies, the side panel."""

    name = "chat"
    verbose_name = _("Chat")
