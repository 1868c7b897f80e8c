"""The chat pages: the conversation list and a conversation, with replies streamed over SSE.

Sending a message and regenerating a reply are async views: the ORM work runs once before the
stream (``prepare_reply``) and once after (``finish_reply``), and while the model writes, the
request holds no thread, no transaction and no database connection. Errors before the stream
(an empty message, too few credits…) answer JSON with a 4xx status and the reason; errors during
it end the stream with a ``done`` event whose status is "failed".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from chat import services
from chat.errors import ChatError, InvalidTitle, SignInToChat
from chat.events import event_stream_response, reply_events
from chat.models import Conversation
from chat.services import grounding
from javari import throttling
from javari.errors import AppError, error_response
from javari.markdown import render_with_artifacts
from javari.panel import sources_artifact
from javari.web import login_required
from preferences.services import get_preferences

CONVERSATION_LIST_LIMIT = 100


# A refusal answers through javari.errors.error_response: the page's script reads the status, a
# stable code, the reason and, when the fix is on another page (a top-up, the spending cap),
# ``fix_url`` and ``fix_label`` for its link. A conversation that isn't the person's is a
# ConversationNotFound (404) from the service, answered the same way (javari.errors middleware).


def _async_login_required(view):
    @wraps(view)
    async def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = await request.auser()
        if not user.is_authenticated:
            return await sync_to_async(error_response)(request, SignInToChat())
        return await view(request, user, *args, **kwargs)

    return wrapper


# --- Pages ----------------------------------------------------------------------------------------


def _page_context(request: HttpRequest, conversation: Conversation | None) -> dict[str, Any]:
    query = request.GET.get("q", "")
    models = services.available_models()
    try:
        current_model = services.model_for(conversation) if conversation else services.default_model()
    except ChatError:
        current_model = None
    messages = []
    if conversation is not None:
        rows = list(conversation.messages.select_related("model"))
        # The sources as stored with each reply (no new search); one query says which are still published.
        live = grounding.live_articles(rows)
        for message in rows:
            html, artifacts = render_with_artifacts(message.content) if message.content else ("", [])
            messages.append(
                {
                    "message": message,
                    "html": html,
                    "artifacts_json": json.dumps(artifacts)
                    if artifacts and message.role == "assistant"
                    else "",
                    **_sources_context(grounding.shown_sources(message.sources, live)),
                }
            )
    return {
        "conversation": conversation,
        "conversations": services.conversations_for(request.user, query=query)[:CONVERSATION_LIST_LIMIT],
        "query": query,
        "chat_messages": messages,
        "models": models,
        "current_model": current_model,
        "sidebar_open": get_preferences(request.user).sidebar_default_open,
        "message_max_chars": settings.CHAT_MESSAGE_MAX_CHARS,
    }


@require_GET
@never_cache
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The conversation list and an empty conversation to start (a message creates it)."""
    if request.htmx and request.GET.get("list"):
        return render(request, "chat/_conversation_list.html", _page_context(request, None))
    return render(request, "chat/chat.html", _page_context(request, None))


@require_GET
@never_cache
@login_required
def conversation(request: HttpRequest, conversation_id: str) -> HttpResponse:
    return render(
        request,
        "chat/chat.html",
        _page_context(request, services.get_conversation(request.user, conversation_id)),
    )


@require_POST
@login_required
def rename(request: HttpRequest, conversation_id: str) -> HttpResponse:
    """Rename; for htmx the new title, the list's entry (out of band) and the tab's title at once."""
    conversation = services.get_conversation(request.user, conversation_id)
    try:
        services.rename_conversation(conversation=conversation, title=request.POST.get("title", ""))
    except ValidationError as exc:
        if request.htmx:
            # htmx swaps no 4xx answer: the form comes back open, with the reason, nothing saved.
            conversation.refresh_from_db()
            context = {"conversation": conversation, "rename_error": " ".join(exc.messages)}
            return render(request, "chat/_title.html", context)
        return error_response(request, InvalidTitle(" ".join(exc.messages)))
    if request.htmx:
        return render(request, "chat/_renamed.html", {"conversation": conversation, "item": conversation})
    return redirect("chat:conversation", conversation.pk)


@require_POST
@login_required
def delete(request: HttpRequest, conversation_id: str) -> HttpResponse:
    """Delete; the page (htmx) goes to a new chat, where the list no longer has it."""
    conversation = services.get_conversation(request.user, conversation_id)
    services.delete_conversation(conversation=conversation)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("chat:index")
        return response
    return redirect("chat:index")


@require_POST
@login_required
def change_model(request: HttpRequest, conversation_id: str) -> HttpResponse:
    conversation = services.get_conversation(request.user, conversation_id)
    try:
        services.change_model(conversation=conversation, model_id=request.POST.get("model"))
    except ChatError as exc:
        return error_response(request, exc)
    return JsonResponse({"model": conversation.model_id})


# --- Streaming ------------------------------------------------------------------------------------


def _new_conversation_html(request: HttpRequest, prepared: services.PreparedReply) -> dict[str, str]:
    """The parts of the page a conversation started by this message brings: its title with Rename,
    its Delete button and its entry in the list, rendered here as on a page load (no query: the
    stream's start must not wait for the database)."""
    conversation = Conversation(pk=prepared.conversation_id, title=prepared.title, updated_at=timezone.now())
    context = {"conversation": conversation, "item": conversation, "csrf_token": get_token(request)}
    return {
        "url": reverse("chat:conversation", args=[conversation.pk]),
        "title_html": render_to_string("chat/_title.html", context),
        "delete_html": render_to_string("chat/_delete.html", context),
        "list_item_html": render_to_string("chat/_conversation_item.html", context),
    }


def _sources_context(sources: list[dict[str, Any]]) -> dict[str, Any]:
    """What chat/_message_sources.html needs: the sources (links on this site only) and the side
    panel's "Sources" artifact for its button."""
    # One line an article (its best passage's section): a reply often draws on several sections of one.
    firsts = grounding.one_per_article(sources)
    shown = [{**source, "url": grounding.own_url(source.get("url"))} for source in firsts]
    artifacts = json.dumps([sources_artifact(shown)]) if shown else ""
    return {"sources": shown, "sources_artifacts_json": artifacts}


def _reply_footer(prepared: services.PreparedReply) -> Callable[[services.Outcome], str]:
    """Renders a finished reply's footer for the done event, in the request's language: the stream
    runs after the view has returned, so the language is taken now."""
    language = translation.get_language()

    def render(outcome: services.Outcome) -> str:
        context = {
            "model_name": prepared.model_name,
            "credits": outcome.credits_charged,
            "status": outcome.status,
            "is_last": True,
        }
        with translation.override(language):
            return render_to_string("chat/_message_meta.html", context)

    return render


async def _stream(
    request: HttpRequest, user: Any, conversation_id: str | None, *, regenerate: bool
) -> HttpResponse:
    text = None if regenerate else request.POST.get("content", "")
    # Counted before any work: a refused message costs one Redis round trip, no query on chat.
    window = await sync_to_async(throttling.check_chat_message)(
        request=request, user=user, new_conversation=conversation_id is None
    )
    if not window.allowed:
        return throttling.refused_response(window)
    try:
        prepared = await sync_to_async(services.prepare_reply)(
            user=user,
            conversation=conversation_id,
            content=text,
            model_id=request.POST.get("model"),
            regenerate=regenerate,
        )
    except AppError as exc:  # not the person's conversation (404), a chat or credits refusal
        return await sync_to_async(error_response)(request, exc)
    user_text = None if regenerate else services.clean_message(text)
    extra = _new_conversation_html(request, prepared) if conversation_id is None else {}
    if prepared.sources:
        # Known before the model is called: the list shows under the reply as it starts.
        extra["sources_html"] = render_to_string(
            "chat/_message_sources.html", _sources_context(list(prepared.sources))
        )
    footer = _reply_footer(prepared)
    return event_stream_response(reply_events(prepared, user_text=user_text, extra=extra, footer=footer))


@require_POST
@_async_login_required
async def start(request: HttpRequest, user: Any) -> HttpResponse:
    """Start a conversation with its first message; the reply streams back as server-sent events.

    The conversation is written with the message, so a refused first message leaves none behind.
    The ``start`` event also carries the new conversation's address and its page parts."""
    return await _stream(request, user, None, regenerate=False)


@require_POST
@_async_login_required
async def send(request: HttpRequest, user: Any, conversation_id: str) -> HttpResponse:
    """Send a message; the reply streams back as server-sent events."""
    return await _stream(request, user, conversation_id, regenerate=False)


@require_POST
@_async_login_required
async def regenerate(request: HttpRequest, user: Any, conversation_id: str) -> HttpResponse:
    """Write the last reply again (also the retry after a failed reply)."""
    return await _stream(request, user, conversation_id, regenerate=True)


@require_POST
@login_required
def stop(request: HttpRequest, reply_id: str) -> HttpResponse:
    """Stop a reply mid-way: it ends as "stopped", charged for what it produced."""
    try:
        services.request_stop(user=request.user, reply_id=reply_id)
    except AppError as exc:  # not the person's reply (404), or no longer being written (409)
        return error_response(request, exc)
    return JsonResponse({"stopping": True}, status=202)
