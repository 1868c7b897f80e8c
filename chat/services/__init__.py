"""The chat contract: ``from chat import services``.

Conversations: ``start_conversation``, ``rename_conversation``, ``change_model``,
``delete_conversation``; read with ``conversations_for``, ``get_conversation``. Models:
``available_models``, ``default_model``. Replies: ``prepare_reply`` (sync), ``stream_reply``
(async), ``finish_reply``, ``request_stop``, ``fail_abandoned_replies``. Errors: ``chat.errors``,
``chat.services.llm.ReplyFailed`` and ``credits.errors``.
"""

from chat.services.conversations import (
    available_models,
    change_model,
    conversations_for,
    default_model,
    delete_conversation,
    get_conversation,
    model_for,
    pick_model,
    rename_conversation,
    start_conversation,
    title_from,
)
from chat.services.replies import (
    Outcome,
    PreparedReply,
    clean_message,
    fail_abandoned_replies,
    finish_reply,
    prepare_reply,
    request_stop,
    stream_reply,
)

__all__ = [
    "Outcome",
    "PreparedReply",
    "available_models",
    "change_model",
    "clean_message",
    "conversations_for",
    "default_model",
    "delete_conversation",
    "fail_abandoned_replies",
    "finish_reply",
    "get_conversation",
    "model_for",
    "pick_model",
    "prepare_reply",
    "rename_conversation",
    "request_stop",
    "start_conversation",
    "stream_reply",
    "title_from",
]
