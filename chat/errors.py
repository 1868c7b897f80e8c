"""The chat app's errors: each carries a message fit to show the person and an HTTP status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from credits.errors import CreditsError, Fix


class ChatError(Exception):
    """Base error: ``str(error)`` is the message; ``code`` is stable for APIs; ``status`` for HTTP."""

    code = "chat_error"
    status = 400
    default_message = _("The message could not be sent.")
    # Most refusals are fixed where they are shown (shorten the message, pick a model from the
    # list, wait or stop the reply): only those fixed elsewhere name a page.
    fix: Fix | None = None

    def __init__(self, message: object = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


class EmptyMessage(ChatError):
    code = "empty_message"
    default_message = _("Write a message first.")


class MessageTooLong(ChatError):
    code = "message_too_long"


class TooLongForModel(ChatError):
    code = "too_long_for_model"


class ModelNotAllowed(ChatError):
    code = "model_not_allowed"
    default_message = _("That model isn't available. Pick one from the list.")


class NoModelAvailable(ChatError):
    code = "no_model_available"
    status = 503
    default_message = _("No chat model is available yet. Staff can add one in the admin.")
    fix = Fix("admin:chat_chatmodel_changelist", _("Connect a model"), staff_only=True)


class ReplyInProgress(ChatError):
    code = "reply_in_progress"
    status = 409
    default_message = _("Javari is still answering. Wait for the reply, or stop it, before sending more.")


class NothingToRegenerate(ChatError):
    code = "nothing_to_regenerate"
    status = 409
    default_message = _("There is no reply to regenerate yet.")


def refusal_status(error: ChatError | CreditsError) -> int:
    """The HTTP status of a refusal: 402 for any credits reason, else the chat error's own."""
    return 402 if isinstance(error, CreditsError) else error.status


def refusal_body(
    error: ChatError | CreditsError, *, user: Any, build_url: Callable[[str], str] | None = None
) -> dict[str, str]:
    """``{"error": code, "detail": reason}``, plus ``fix_url`` and ``fix_label`` when the person can
    fix it on another page (the API passes ``build_url`` to make the address absolute)."""
    body = {"error": error.code, "detail": str(error)}
    fix = error.fix
    if fix is not None and fix.applies_to(user):
        url = fix.url()
        body["fix_url"] = build_url(url) if build_url else url
        body["fix_label"] = str(fix.label)
    return body
