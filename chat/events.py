"""Server-sent events for a streamed reply, shared by the chat page and the partner API.

Events, each ``event: <name>`` with one line of JSON ``data``:

- ``start``: ``{"conversation": id, "reply": id, "user_message": {"id", "html"} | null, "title",
  "model", "sources": [...]}``, ``sources`` being the help-center passages the reply is given
  (known before it starts: chat.services.grounding); for the chat page also ``sources_html`` (the
  list under the reply) when there are sources, and for a conversation the page started with this
  message ``url``, ``title_html``, ``delete_html`` and ``list_item_html`` (the page's parts for it)
- ``token``: ``{"t": "<text>"}``, one per piece the model streams
- ``done``: ``{"reply": id, "status": "complete"|"stopped"|"failed", "content", "html",
  "artifacts", "prompt_tokens", "completion_tokens", "credits_charged", "balance",
  "error_code", "error"}``; for the chat page also ``footer_html`` (the reply's footer: model, cost,
  Regenerate), so the page shows the cost without a reload
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from django.http import StreamingHttpResponse

from chat import services
from javari.markdown import render_markdown, render_with_artifacts


def encode(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'), default=str)}\n\n"


def message_html(content: str) -> str:
    return render_markdown(content) if content else ""


def outcome_data(outcome: services.Outcome) -> dict[str, Any]:
    html, artifacts = render_with_artifacts(outcome.content) if outcome.content else ("", [])
    return {
        "reply": outcome.reply_id,
        "status": outcome.status,
        "content": outcome.content,
        "html": html,
        "artifacts": artifacts,
        "prompt_tokens": outcome.prompt_tokens,
        "completion_tokens": outcome.completion_tokens,
        "credits_charged": outcome.credits_charged,
        "balance": outcome.balance,
        "error_code": outcome.error_code,
        "error": outcome.error,
    }


async def reply_events(
    prepared: services.PreparedReply,
    *,
    user_text: str | None,
    extra: dict[str, Any] | None = None,
    footer: Callable[[services.Outcome], str] | None = None,
) -> AsyncIterator[str]:
    """The reply's events; ``extra`` joins the ``start`` event (the page's parts for a new conversation),
    ``footer`` renders the ``done`` event's ``footer_html`` (the chat page's footer of the reply)."""
    yield encode(
        "start",
        {
            **(extra or {}),
            "conversation": prepared.conversation_id,
            "reply": prepared.reply_id,
            "user_message": (
                {"id": prepared.user_message_id, "html": message_html(user_text)}
                if prepared.user_message_id and user_text
                else None
            ),
            "title": prepared.title,
            "model": prepared.model_name,
            "sources": list(prepared.sources),
        },
    )
    async for kind, value in services.stream_reply(prepared):
        if kind == "token":
            yield encode("token", {"t": value})
        else:
            done = outcome_data(value)
            if footer is not None:
                done["footer_html"] = footer(value)
            yield encode("done", done)


def event_stream_response(events: AsyncIterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(events, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    # nginx and similar proxies buffer responses unless told not to: tokens must arrive as made.
    response["X-Accel-Buffering"] = "no"
    return response
