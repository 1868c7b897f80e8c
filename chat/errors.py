"""The chat app's errors: each carries a message fit to show the person and an HTTP status."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ChatError(Exception):
    """Base error: ``str(error)`` is the message; ``code`` is stable for APIs; ``status`` for HTTP."""

    code = "chat_error"
    status = 400
    default_message = _("The message could not be sent.")

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


class ReplyInProgress(ChatError):
    code = "reply_in_progress"
    status = 409
    default_message = _("Javari is still answering. Wait for the reply, or stop it, before sending more.")


class NothingToRegenerate(ChatError):
    code = "nothing_to_regenerate"
    status = 409
    default_message = _("There is no reply to regenerate yet.")
