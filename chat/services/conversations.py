"""Conversations and the models people may pick: create, rename, delete; list and search."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from chat.errors import ConversationNotFound, ModelNotAllowed, NoModelAvailable
from chat.models import ChatModel, Conversation
from javari.text import plain_text, truncate_graphemes

# A title made from a first message: at most this many characters as a reader counts them
# (grapheme clusters), and never more code points than the column holds.
TITLE_MAX_CHARS = 60


def available_models() -> list[ChatModel]:
    """The models people may pick, in the order staff set."""
    return list(ChatModel.objects.filter(is_active=True))


def default_model() -> ChatModel:
    """The staff default, else the first active model; NoModelAvailable when there is none."""
    model = ChatModel.objects.filter(is_active=True).order_by("-is_default", "order", "name").first()
    if model is None:
        raise NoModelAvailable()
    return model


def pick_model(model_id: object) -> ChatModel:
    """The active model with this id (a form or API value): ModelNotAllowed for anything else."""
    try:
        pk = int(str(model_id))
    except (TypeError, ValueError):
        raise ModelNotAllowed() from None
    model = ChatModel.objects.filter(pk=pk, is_active=True).first()
    if model is None:
        raise ModelNotAllowed()
    return model


def model_for(conversation: Conversation) -> ChatModel:
    """The model a conversation answers with: its own while staff still offer it, else the default.

    No query for the conversation's model when it was loaded with it (``select_related``)."""
    model = conversation.model
    if model is not None and model.is_active:
        return model
    return default_model()


def conversations_for(user: User, *, query: str = "") -> QuerySet[Conversation]:
    """The person's conversations, most recent first; ``query`` searches the titles."""
    conversations = Conversation.objects.filter(user=user)
    query = query.strip()
    if query:
        conversations = conversations.filter(title__icontains=query)
    return conversations


def get_conversation(user: User, conversation_id: UUID | str) -> Conversation:
    """The person's conversation. Raises ``ConversationNotFound`` (404) for any other id: another
    person's conversation does not exist for them, and neither does an id that isn't a UUID."""
    conversation = owned(Conversation.objects.filter(user=user), conversation_id)
    if conversation is None:
        raise ConversationNotFound()
    return conversation


def owned(queryset: QuerySet, pk: object) -> Any:
    """The row of ``queryset`` (already narrowed to the person's own) with this primary key, or
    None; an id that isn't one (not a UUID) finds nothing rather than raising."""
    try:
        return queryset.filter(pk=pk).first()
    except (ValidationError, ValueError):
        return None


def title_from(text: str) -> str:
    """A title from a first message: the first line of what it reads as (its Markdown's text, not
    its syntax), spaces collapsed, cut between words and never inside a character."""
    first_line = next((line for line in plain_text(text).splitlines() if line.strip()), "")
    return truncate_graphemes(
        re.sub(r"\s+", " ", first_line).strip(),
        TITLE_MAX_CHARS,
        max_length=Conversation._meta.get_field("title").max_length,
        at_word=True,
    )


def start_conversation(*, user: User, model_id: object = None) -> Conversation:
    """A new, empty conversation (titled by its first message), on the picked model or the default.

    For the API's explicit create. A conversation started by its first message is made by
    ``prepare_reply`` in the message's transaction, so a refused first message leaves none behind."""
    model = pick_model(model_id) if model_id not in (None, "") else default_model()
    conversation = Conversation(user=user, model=model)
    conversation.full_clean()
    conversation.save()
    return conversation


def rename_conversation(*, conversation: Conversation, title: str) -> Conversation:
    """Give a conversation a title of the person's own: ValidationError if empty or too long."""
    title = re.sub(r"\s+", " ", title).strip()
    if not title:
        raise ValidationError({"title": _("Give the conversation a title.")})
    conversation.title = title
    conversation.full_clean()
    conversation.save(update_fields=["title", "updated_at"])
    return conversation


def change_model(*, conversation: Conversation, model_id: object) -> Conversation:
    """Answer the rest of this conversation with another model people may pick."""
    conversation.model = pick_model(model_id)
    conversation.save(update_fields=["model", "updated_at"])
    return conversation


@transaction.atomic(durable=True)
def delete_conversation(*, conversation: Conversation) -> None:
    """Delete a conversation and its messages. Its credits stay spent: the ledger keeps them."""
    conversation.delete()
