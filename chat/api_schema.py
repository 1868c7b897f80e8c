"""What the OpenAPI schema says about chat's answers (chat/api.py): the whole reply, and the reply
streamed as server-sent events (chat/events.py), each event described with the JSON of its data.

OpenAPI 3.1 lets an event's ``data`` name its media type and schema (``contentMediaType`` and
``contentSchema``), so a client generator, and schemathesis, can check every event; a refusal in a
stream is one ``error`` event with the error body.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from chat.models import MessageStatus
from chat.serializers import MessageReplySerializer
from javari.api_schema import error_responses

# The streamed reply, as the schema describes it (the events are chat/events.py's).
STREAM_DESCRIPTION = """Server-sent events, each `event: <name>` and one line of JSON `data`, in this order:

- `start`: `{"conversation": uuid, "reply": uuid, "user_message": {"id": uuid, "html": string} | null,
  "title": string, "model": string, "sources": [source, ...]}`, `sources` being the help-center
  passages the reply is given when the message is about Javari itself (else `[]`), each
  `{"passage_id", "article_id", "slug", "anchor", "title", "heading", "url", "language"}`
- `token`: `{"t": string}`, one for each piece of text the model streams
- `done`: `{"reply": uuid, "status": "complete" | "stopped" | "failed", "content": string,
  "html": string, "artifacts": [...], "prompt_tokens": int, "completion_tokens": int,
  "credits_charged": int, "balance": int | null, "error_code": string, "error": string}`
  (a reply that failed says why in `error_code` and `error`; the stream still ends with `done`)
- `error`: the error body (`{"error": code, "detail": message}`) when the message is refused before
  the reply starts; then the answer has the error's status (400, 401, 402, 404, 409…) and no other event.
"""

STREAM_EXAMPLE = (
    "event: start\n"
    'data: {"conversation":"5f0c1b9e-8a6b-4c1e-9a53-0d2f7f3e9b11",'
    '"reply":"c2a1d3e4-5b6f-4a7b-8c9d-0e1f2a3b4c5d",'
    '"user_message":{"id":"9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d","html":"<p>Hello</p>"},'
    '"title":"Hello","model":"Gemma 3","sources":[]}\n\n'
    "event: token\n"
    'data: {"t":"Hi"}\n\n'
    "event: token\n"
    'data: {"t":" there!"}\n\n'
    "event: done\n"
    'data: {"reply":"c2a1d3e4-5b6f-4a7b-8c9d-0e1f2a3b4c5d","status":"complete","content":"Hi there!",'
    '"html":"<p>Hi there!</p>","artifacts":[],"prompt_tokens":12,"completion_tokens":3,'
    '"credits_charged":1,"balance":99,"error_code":"","error":""}\n\n'
)

REPLY_EXAMPLE = {
    "conversation": "5f0c1b9e-8a6b-4c1e-9a53-0d2f7f3e9b11",
    "user_message": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d",
    "reply": {
        "id": "c2a1d3e4-5b6f-4a7b-8c9d-0e1f2a3b4c5d",
        "role": "assistant",
        "content": "Hi there!",
        "status": "complete",
        "error_code": "",
        "error": "",
        "model": "Gemma 3",
        "prompt_tokens": 12,
        "completion_tokens": 3,
        "credits_charged": 1,
        "sources": [],
        "created_at": "2026-11-30T09:00:00Z",
        "finished_at": "2026-11-30T09:00:02Z",
    },
    "balance": 99,
}


_UUID = {"type": "string", "format": "uuid"}
_ERROR_DATA = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string"},
        "detail": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "fix_url": {"type": "string"},
        "fix_label": {"type": "string"},
    },
}
# A help-center passage a reply was given (chat.services.grounding.source_of).
_SOURCE = {
    "type": "object",
    "required": ["passage_id", "article_id", "slug", "anchor", "title", "heading", "url", "language"],
    "properties": {
        "passage_id": {"type": "integer"},
        "article_id": {"type": "integer"},
        "slug": {"type": "string"},
        "anchor": {"type": "string"},
        "title": {"type": "string"},
        "heading": {"type": "string"},
        "url": {"type": "string"},
        "language": {"type": "string"},
    },
}
# Each event's data, as chat/events.py writes it.
EVENT_DATA: dict[str, dict[str, Any]] = {
    "start": {
        "type": "object",
        "required": ["conversation", "reply", "user_message", "title", "model", "sources"],
        "properties": {
            "conversation": _UUID,
            "reply": _UUID,
            "user_message": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["id", "html"],
                        "properties": {"id": _UUID, "html": {"type": "string"}},
                    },
                    {"type": "null"},
                ]
            },
            "title": {"type": "string"},
            "model": {"type": "string"},
            "sources": {"type": "array", "items": _SOURCE},
        },
    },
    "token": {"type": "object", "required": ["t"], "properties": {"t": {"type": "string"}}},
    "done": {
        "type": "object",
        "required": [
            "reply",
            "status",
            "content",
            "html",
            "artifacts",
            "prompt_tokens",
            "completion_tokens",
            "credits_charged",
            "balance",
            "error_code",
            "error",
        ],
        "properties": {
            "reply": _UUID,
            "status": {
                "type": "string",
                "enum": [MessageStatus.COMPLETE, MessageStatus.STOPPED, MessageStatus.FAILED],
            },
            "content": {"type": "string"},
            "html": {"type": "string"},
            "artifacts": {"type": "array", "items": {"type": "object"}},
            "prompt_tokens": {"type": "integer"},
            "completion_tokens": {"type": "integer"},
            "credits_charged": {"type": "integer"},
            "balance": {"type": ["integer", "null"]},
            "error_code": {"type": "string"},
            "error": {"type": "string"},
        },
    },
    "error": _ERROR_DATA,
}


def _event(name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"const": name},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": EVENT_DATA[name],
            },
        },
    }


# One event of the stream (schemathesis checks each against this).
REPLY_EVENT = {"oneOf": [_event(name) for name in ["start", "token", "done"]]}
ERROR_EVENT = _event("error")


def reply_responses(
    *statuses: int, json_answer: Any = MessageReplySerializer, json_is: str = "The whole reply."
) -> dict[Any, Any]:
    """A message's answer: the whole reply as JSON (201), or the stream (200: it starts before the
    reply exists); a refusal as JSON, or as one error event when a stream was asked for."""
    responses: dict[Any, Any] = {
        (201, "application/json"): OpenApiResponse(
            response=json_answer,
            description=json_is,
            examples=[OpenApiExample("Reply", value=REPLY_EXAMPLE, response_only=True)],
        ),
        (200, "text/event-stream"): OpenApiResponse(
            response=REPLY_EVENT,
            description=STREAM_DESCRIPTION,
            examples=[OpenApiExample("Stream", value=STREAM_EXAMPLE, response_only=True)],
        ),
    }
    for code, error in error_responses(402, 503, *statuses, body=True).items():
        responses[(code, "application/json")] = error
        # Asked for a stream, a refusal is one error event with the error body.
        responses[(code, "text/event-stream")] = OpenApiResponse(
            response=ERROR_EVENT, description=error.description
        )
    return responses
