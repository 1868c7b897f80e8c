"""The chat app's errors (``javari.errors.AppError``s): a message fit to show the person, a stable
code and an HTTP status; a credits refusal during a message stays a ``credits.errors.CreditsError``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from javari.errors import AppError, Fix, NotFound


class ChatError(AppError):
    """Base error of the chat app (a refused message or reply); 400 unless a subclass says."""

    code = "chat_error"
    status = 400
    default_message = _("The message could not be sent.")
    # Most refusals are fixed where they are shown (shorten the message, pick a model from the
    # list, wait or stop the reply): only those fixed elsewhere name a page.


class ConversationNotFound(NotFound):
    default_message = _("No such conversation.")


class ReplyNotFound(NotFound):
    default_message = _("No such reply.")


class NotStreaming(ChatError):
    code = "not_streaming"
    status = 409
    default_message = _("That reply isn't being written any more.")


class SignInToChat(AppError):
    code = "not_authenticated"
    status = 401
    default_message = _("Sign in to chat.")


class InvalidTitle(ChatError):
    code = "invalid_title"


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


class ReplyFailed(ChatError):
    """The model could not give (the rest of) a reply: ``code`` is one of chat.services.llm's
    (``model_unavailable``, ``timeout``…), stable for APIs and logs; a 502, the model's fault."""

    status = 502
    default_message = _("The model could not answer. Try again in a moment.")

    def __init__(self, code: str, message: object = None) -> None:
        self.code = code
        super().__init__(message)
