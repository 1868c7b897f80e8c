"""A reply, in three steps: prepare it, stream it, finish it.

1. ``prepare_reply`` (sync, one transaction): check the message and the model, record the
   person's message and an empty reply marked "streaming", build the prompt, and reserve an
   estimate of the credits (the prompt plus a full-length reply at the model's prices). Too few
   credits: the transaction rolls back, nothing is written and the model is never called. The
   help center is searched for the message meanwhile, in a worker thread started just before the
   transaction (``chat.services.grounding``): passages that answer it join the prompt, and the
   reply keeps them as its ``sources``.
2. ``stream_reply`` (async, no transaction, no database connection held): stream the model's
   text, watching for a stop request (a Redis key any web process can set).
3. ``finish_reply`` (sync, one transaction): record the text and tokens and settle the
   reservation at the real cost: the rest goes back to the person. The reply's row is updated
   only while it is still "streaming", so of two finishers (the stream and the sweeper for
   abandoned replies) only the first counts; settling is idempotent on the reply's id.

What a reply is charged (``charge_for``): nothing when no text was produced; a failed reply only
its completion tokens (the text that reached the person, not the prompt); a complete or stopped
reply its prompt and completion tokens, each at the model's price per 1,000, rounded up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import redis.asyncio
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.models import User
from chat.errors import (
    ChatError,
    ConversationNotFound,
    EmptyMessage,
    MessageTooLong,
    NothingToRegenerate,
    NotStreaming,
    ReplyInProgress,
    ReplyNotFound,
)
from chat.models import ChatModel, Conversation, Message, MessageStatus, Role
from chat.services import grounding, llm
from chat.services.conversations import default_model, model_for, owned, pick_model, title_from
from chat.services.prompt import build_prompt
from credits import services as credits
from preferences.services import compose_system_prompt, reply_language

logger = logging.getLogger(__name__)

ACTION_TYPE = "chat"
STOP_POLL_SECONDS = 0.2
STOP_KEY_SECONDS = 600
# A reply still "streaming" after this long lost its stream (a web process died): it is failed.
ABANDONED_AFTER = timedelta(minutes=15)


def _release_connection() -> None:
    """Close this thread's database connection before a long stream, so none sits idle.

    Inside an atomic block (a test's transaction) closing would roll it back: leave it open.
    """
    if not connection.in_atomic_block:
        connection.close()


def _stop_key(reply_id: UUID | str) -> str:
    return f"javari:chat:stop:{reply_id}"


@dataclass(frozen=True)
class PreparedReply:
    """Everything the stream needs, so it touches no model instance and no database."""

    user_id: Any
    conversation_id: UUID
    reply_id: UUID
    user_message_id: UUID | None
    endpoint: llm.Endpoint
    messages: list[dict[str, str]]
    max_tokens: int
    prompt_estimate: int
    prompt_price_per_1k: int
    completion_price_per_1k: int
    reserved: int
    model_name: str
    is_local_demo: bool
    title: str
    # The help-center passages the reply was given, as stored on it (chat.services.grounding).
    sources: tuple[dict[str, Any], ...] = ()
    retrieval_ms: int | None = None

    def cost(self, *, prompt_tokens: int, completion_tokens: int) -> int:
        return ChatModel(
            prompt_price_per_1k=self.prompt_price_per_1k, completion_price_per_1k=self.completion_price_per_1k
        ).cost(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)


@dataclass
class Outcome:
    """How a reply ended."""

    reply_id: UUID
    status: str
    content: str
    prompt_tokens: int
    completion_tokens: int
    credits_charged: int
    error_code: str = ""
    error: str = ""
    balance: int | None = None


def clean_message(content: object) -> str:
    """The message as sent, minus surrounding blank space: EmptyMessage, MessageTooLong."""
    text = str(content or "").replace("\r\n", "\n").strip()
    if not text:
        raise EmptyMessage()
    limit = settings.CHAT_MESSAGE_MAX_CHARS
    if len(text) > limit:
        raise MessageTooLong(
            _("Keep messages to %(limit)s characters or fewer (this one has %(count)s).")
            % {
                "limit": number_format(limit, force_grouping=True),
                "count": number_format(len(text), force_grouping=True),
            }
        )
    return text


def _history(messages: list[Message]) -> list[tuple[str, str]]:
    """What the model has seen, oldest first: failed replies left out, same-role turns joined."""
    turns: list[tuple[str, str]] = []
    for message in messages:
        if message.status == MessageStatus.FAILED or not message.content:
            continue
        if turns and turns[-1][0] == message.role:
            turns[-1] = (message.role, f"{turns[-1][1]}\n\n{message.content}")
        else:
            turns.append((message.role, message.content))
    return turns


def prepare_reply(
    *,
    user: User,
    conversation: Conversation | UUID | str | None,
    content: object = None,
    model_id: object = None,
    regenerate: bool = False,
) -> PreparedReply:
    """Record the person's message (or drop the last reply to regenerate it) and reserve credits.

    ``conversation`` is one of the person's conversations or its id: ConversationNotFound for any
    other (checked first, so a bad message to someone else's conversation is still a 404).
    ``None`` starts a new conversation with this first message, in the same transaction. Raises a
    ChatError or a credits error, having written nothing: a refused first message leaves no empty
    conversation behind.
    """
    conversation_id = conversation.pk if isinstance(conversation, Conversation) else conversation
    system_prompt = compose_system_prompt(user=user)
    language = reply_language(user)
    # Searched while the transaction below runs; its errors (an empty message…) are raised there.
    pending = grounding.start_search(
        query=_message_to_answer(user, conversation_id, content, regenerate), language=language
    )
    try:
        with transaction.atomic(durable=True):
            if conversation_id is None:
                if regenerate:
                    raise NothingToRegenerate()
                text = clean_message(content)
                model = pick_model(model_id) if model_id not in (None, "") else default_model()
                conversation = Conversation(user=user, model=model)
                conversation.full_clean()
                conversation.save()
                messages: list[Message] = []
            else:
                # The conversation and its model in one query (this is on the way to the first
                # token); only the conversation's row is locked.
                conversation = owned(
                    Conversation.objects.select_related("model")
                    .select_for_update(of=("self",))
                    .filter(user=user),
                    conversation_id,
                )
                if conversation is None:
                    raise ConversationNotFound()
                text = None if regenerate else clean_message(content)
                model = pick_model(model_id) if model_id not in (None, "") else model_for(conversation)
                # The whole history in one query: the last message decides what may happen next.
                messages = list(conversation.messages.order_by("created_at"))
            last = messages[-1] if messages else None
            if last is not None and last.status == MessageStatus.STREAMING:
                if last.created_at > timezone.now() - ABANDONED_AFTER:
                    raise ReplyInProgress()
                _abandon(last)
                last.status = MessageStatus.FAILED
            user_message = None
            if regenerate:
                if last is None:
                    raise NothingToRegenerate()
                if last.role == Role.ASSISTANT:
                    last.delete()
                    messages.pop()
            else:
                user_message = Message.objects.create(conversation=conversation, role=Role.USER, content=text)
                messages.append(user_message)
            found = pending.result() if pending is not None else grounding.NOTHING
            with translation.override(language):
                context = found.context()
            prompt = build_prompt(
                system_prompt=system_prompt,
                history=_history(messages),
                context_window=model.context_window,
                max_output_tokens=model.max_output_tokens,
                context=context,
            )
            sources = found.sources if prompt.context_used else []
            reply = Message.objects.create(
                conversation=conversation,
                role=Role.ASSISTANT,
                status=MessageStatus.STREAMING,
                model=model,
                sources=sources,
                retrieval_ms=found.elapsed_ms,
            )
            if not conversation.title:
                first = next((m for m in messages if m.role == Role.USER), None)
                conversation.title = title_from(first.content if first else "")
            conversation.model = model
            conversation.save(update_fields=["title", "model", "updated_at"])
            estimate = model.cost(
                prompt_tokens=prompt.estimated_tokens, completion_tokens=model.max_output_tokens
            )
            if estimate > 0:
                credits.reserve(
                    user=user,
                    action_type=ACTION_TYPE,
                    amount=estimate,
                    idempotency_key=_hold_key(reply.pk),
                    session_id=conversation.pk,
                )
            return PreparedReply(
                user_id=user.pk,
                conversation_id=conversation.pk,
                reply_id=reply.pk,
                user_message_id=user_message.pk if user_message else None,
                endpoint=llm.Endpoint(base_url=model.endpoint, api_key=model.key, model=model.model_name),
                messages=prompt.messages,
                max_tokens=model.max_output_tokens,
                prompt_estimate=prompt.estimated_tokens,
                prompt_price_per_1k=model.prompt_price_per_1k,
                completion_price_per_1k=model.completion_price_per_1k,
                reserved=estimate,
                model_name=model.name,
                is_local_demo=model.is_local_demo,
                title=conversation.title,
                sources=tuple(sources),
                retrieval_ms=found.elapsed_ms,
            )
    finally:
        _release_connection()


def _message_to_answer(
    user: User, conversation_id: UUID | str | None, content: object, regenerate: bool
) -> str | None:
    """The text the reply answers, read before the reply's transaction so the help center can be
    searched meanwhile: the new message, or to regenerate the conversation's last message from the
    person. None when there is none (or the message will be refused: the transaction says why)."""
    if not regenerate:
        try:
            return clean_message(content)
        except ChatError:
            return None
    if conversation_id is None:
        return None
    try:
        return (
            Message.objects.filter(conversation_id=conversation_id, conversation__user=user, role=Role.USER)
            .order_by("-created_at")
            .values_list("content", flat=True)
            .first()
        )
    except (ValueError, ValidationError):  # not a conversation id: the transaction answers 404
        return None


def _hold_key(reply_id: UUID | str) -> str:
    """The key chat holds a reply's credits under (``credits.reserve``), and settles them by."""
    return f"chat:{reply_id}"


def charge_for(prepared: PreparedReply, *, status: str, prompt_tokens: int, completion_tokens: int) -> int:
    """Credits for a reply that ended this way (see the module docstring)."""
    if completion_tokens <= 0:
        return 0
    if status == MessageStatus.FAILED:
        prompt_tokens = 0
    return prepared.cost(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)


def finish_reply(
    prepared: PreparedReply,
    *,
    content: str,
    status: str,
    prompt_tokens: int,
    completion_tokens: int,
    error_code: str = "",
    error: str = "",
) -> Outcome:
    """Record how the reply ended and settle its credits. Safe to call twice: the first call counts."""
    charge = charge_for(
        prepared, status=status, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
    )
    now = timezone.now()
    try:
        with transaction.atomic(durable=True):
            settled = credits.settle(idempotency_key=_hold_key(prepared.reply_id), amount=charge)
            # None: a free model, nothing was reserved, nothing is charged.
            charge = (settled.charged or 0) if settled is not None else 0
            updated = Message.objects.filter(pk=prepared.reply_id, status=MessageStatus.STREAMING).update(
                content=content,
                status=status,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                credits_charged=charge,
                error_code=error_code,
                error=error,
                finished_at=now,
            )
            Conversation.objects.filter(pk=prepared.conversation_id).update(updated_at=now)
            message = Message.objects.filter(pk=prepared.reply_id).first()
            if not updated and message is not None:
                # Someone else finished it first (the sweeper): theirs is the record.
                return _outcome(message)
            balance = credits.get_account(User.objects.get(pk=prepared.user_id)).balance
        return Outcome(
            reply_id=prepared.reply_id,
            status=status,
            content=content,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            credits_charged=charge,
            error_code=error_code,
            error=error,
            balance=balance,
        )
    finally:
        _release_connection()


def _outcome(message: Message) -> Outcome:
    return Outcome(
        reply_id=message.pk,
        status=message.status,
        content=message.content,
        prompt_tokens=message.prompt_tokens,
        completion_tokens=message.completion_tokens,
        credits_charged=message.credits_charged,
        error_code=message.error_code,
        error=message.error,
    )


def _abandon(message: Message) -> None:
    """Fail a reply whose stream was lost; settle its reservation at nothing (no text was kept)."""
    now = timezone.now()
    updated = Message.objects.filter(pk=message.pk, status=MessageStatus.STREAMING).update(
        status=MessageStatus.FAILED,
        error_code="interrupted",
        error=_("The reply was interrupted. Try again."),
        finished_at=now,
    )
    if updated:
        credits.settle(idempotency_key=_hold_key(message.pk), amount=0)


def fail_abandoned_replies(*, now: Any = None) -> int:
    """Fail every reply still "streaming" long after it started; return how many."""
    cutoff = (now or timezone.now()) - ABANDONED_AFTER
    count = 0
    for message in Message.objects.filter(status=MessageStatus.STREAMING, created_at__lt=cutoff).iterator():
        with transaction.atomic(durable=True):  # one reply at a time: a failure keeps the others
            _abandon(message)
        count += 1
    return count


# --- Stopping -------------------------------------------------------------------------------------


def request_stop(*, user: User, reply_id: UUID | str) -> None:
    """Ask the stream writing this reply (in whichever web process) to stop.

    Raises ``ReplyNotFound`` (404) for a reply that isn't one of the person's, ``NotStreaming``
    (409) when it is no longer being written."""
    reply = owned(Message.objects.filter(conversation__user=user, role=Role.ASSISTANT), reply_id)
    if reply is None:
        raise ReplyNotFound()
    if reply.status != MessageStatus.STREAMING:
        raise NotStreaming()
    import redis as sync_redis

    client = sync_redis.Redis.from_url(settings.REDIS_URL)
    try:
        client.set(_stop_key(reply_id), b"1", ex=STOP_KEY_SECONDS)
    finally:
        client.close()


# One asyncio Redis client per event loop (its connections belong to that loop).
_redis_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, redis.asyncio.Redis]
_redis_clients = weakref.WeakKeyDictionary()


def _async_redis() -> redis.asyncio.Redis:
    loop = asyncio.get_running_loop()
    if loop not in _redis_clients:
        _redis_clients[loop] = redis.asyncio.Redis.from_url(settings.REDIS_URL)
    return _redis_clients[loop]


async def _watch_for_stop(reply_id: UUID, stop: asyncio.Event) -> None:
    client = _async_redis()
    while not stop.is_set():
        if await client.exists(_stop_key(reply_id)):
            stop.set()
            return
        await asyncio.sleep(STOP_POLL_SECONDS)


async def _until_stopped(chunks: AsyncIterator[llm.Chunk], stop: asyncio.Event) -> AsyncIterator[llm.Chunk]:
    """The chunks, until the stream ends or ``stop`` is set (then the model call is cancelled)."""
    stopped = asyncio.ensure_future(stop.wait())
    following: asyncio.Future | None = None
    try:
        while True:
            following = asyncio.ensure_future(anext(chunks))
            await asyncio.wait({following, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not following.done():
                return
            try:
                chunk = following.result()
            except StopAsyncIteration:
                return
            yield chunk
    finally:
        stopped.cancel()
        # A chunk still awaited (a stop, or this task cancelled) is cancelled before the stream is
        # closed: an async generator can't be closed while it runs.
        if following is not None and not following.done():
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration, llm.ReplyFailed):
                await following
        await chunks.aclose()  # type: ignore[attr-defined]


# --- Streaming ------------------------------------------------------------------------------------


async def stream_reply(prepared: PreparedReply) -> AsyncIterator[tuple[str, Any]]:
    """Stream a prepared reply as ("token", text) events, then one ("done", Outcome).

    A failure ends it as failed, with its message; a stop request ends it as stopped; the
    consumer going away (a closed tab) also counts as a stop. In every case the reply is finished
    and settled for what was produced.
    """
    parts: list[str] = []
    pieces = 0
    usage: llm.Chunk | None = None
    status = MessageStatus.COMPLETE
    failure: llm.ReplyFailed | None = None
    stop = asyncio.Event()
    watcher = asyncio.ensure_future(_watch_for_stop(prepared.reply_id, stop))
    chunks = llm.stream_chat(prepared.endpoint, messages=prepared.messages, max_tokens=prepared.max_tokens)
    try:
        async with contextlib.aclosing(_until_stopped(chunks, stop)) as pieces_of_reply:
            async for chunk in pieces_of_reply:
                if chunk.text:
                    parts.append(chunk.text)
                    pieces += 1
                    yield "token", chunk.text
                elif chunk.completion_tokens is not None:
                    usage = chunk
        if stop.is_set():
            status = MessageStatus.STOPPED
    except llm.ReplyFailed as exc:
        status, failure = MessageStatus.FAILED, exc
    except (asyncio.CancelledError, GeneratorExit):
        # The person went away mid-reply: keep what was written, charged as a stopped reply.
        await asyncio.shield(_finish(prepared, parts, pieces, usage, MessageStatus.STOPPED, None))
        raise
    finally:
        watcher.cancel()
    outcome = await _finish(prepared, parts, pieces, usage, status, failure)
    yield "done", outcome


async def _finish(
    prepared: PreparedReply,
    parts: list[str],
    pieces: int,
    usage: llm.Chunk | None,
    status: str,
    failure: llm.ReplyFailed | None,
) -> Outcome:
    # The provider's usage when it sent one (a complete reply); else our counts: the estimate for
    # the prompt and one token per streamed piece (llama.cpp and OpenAI send a token per chunk).
    prompt_tokens = (
        usage.prompt_tokens if usage and usage.prompt_tokens is not None else prepared.prompt_estimate
    )
    completion_tokens = usage.completion_tokens if usage and usage.completion_tokens is not None else pieces
    outcome = await sync_to_async(finish_reply)(
        prepared,
        content="".join(parts),
        status=status,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        error_code=failure.code if failure else "",
        error=str(failure) if failure else "",
    )
    with contextlib.suppress(Exception):  # the flag expires by itself if Redis is unreachable
        await _async_redis().delete(_stop_key(prepared.reply_id))
    return outcome
