"""The partner API under /api/v1/conversations/: a person's own conversations only.

``POST …/{id}/messages/`` answers the finished reply as JSON (201), or streams it as server-sent
events (the events of chat/events.py) when the request sends ``Accept: text/event-stream`` or
``"stream": true``. Refusals use one shape, ``{"error": code, "detail": reason}``: 400 for a bad
message or model, 402 for too few credits or the spending cap, 404 for a conversation that is not
the caller's, 409 while a reply is still being written.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import services
from chat.errors import ChatError
from chat.events import encode, event_stream_response, reply_events
from chat.models import Conversation, Message
from chat.serializers import (
    ConversationDetailSerializer,
    ConversationSerializer,
    MessageSerializer,
    NewConversationSerializer,
    NewMessageSerializer,
)
from credits.errors import CreditsError


def not_found() -> Response:
    return Response(
        {"error": "not_found", "detail": _("No such conversation.")}, status=status.HTTP_404_NOT_FOUND
    )


def refusal(error: ChatError | CreditsError) -> Response:
    if isinstance(error, CreditsError):
        return Response({"error": error.code, "detail": str(error)}, status=status.HTTP_402_PAYMENT_REQUIRED)
    return Response({"error": error.code, "detail": str(error)}, status=error.status)


class EventStreamRenderer(BaseRenderer):
    """Lets a caller ask for ``Accept: text/event-stream``. The reply itself streams past DRF;
    anything DRF renders here (a refusal, an authentication error) becomes one ``error`` event."""

    media_type = "text/event-stream"
    format = "sse"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return encode("error", data).encode()


class ConversationPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


class ConversationListView(APIView):
    """GET: the caller's conversations, most recent first (``?q=`` searches titles). POST: a new one."""

    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        conversations = services.conversations_for(request.user, query=request.query_params.get("q", ""))
        paginator = ConversationPagination()
        page = paginator.paginate_queryset(conversations.select_related("model"), request, view=self)
        return paginator.get_paginated_response(ConversationSerializer(page, many=True).data)

    def post(self, request: Request) -> Response:
        serializer = NewConversationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            conversation = services.start_conversation(
                user=request.user, model_id=serializer.validated_data.get("model")
            )
        except ChatError as exc:
            return refusal(exc)
        if serializer.validated_data.get("title"):
            services.rename_conversation(conversation=conversation, title=serializer.validated_data["title"])
        return Response(ConversationSerializer(conversation).data, status=status.HTTP_201_CREATED)


class ConversationDetailView(APIView):
    """GET: one of the caller's conversations with its messages; another person's is a 404."""

    permission_classes = [IsAuthenticated]

    def get(self, request: Request, conversation_id: str) -> Response:
        conversation = (
            Conversation.objects.select_related("model")
            .prefetch_related("messages__model")
            .filter(pk=conversation_id, user=request.user)
            .first()
        )
        if conversation is None:
            return not_found()
        return Response(ConversationDetailSerializer(conversation).data)


def _wants_stream(request: Request, asked: bool) -> bool:
    return asked or "text/event-stream" in request.headers.get("Accept", "")


async def _run_to_end(prepared: services.PreparedReply) -> services.Outcome:
    outcome = None
    async for kind, value in services.stream_reply(prepared):
        if kind == "done":
            outcome = value
    assert outcome is not None
    return outcome


class MessageCreateView(APIView):
    """POST: send a message and get the reply, whole (JSON) or streamed (SSE)."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    def post(self, request: Request, conversation_id: str) -> Response | HttpResponse:
        serializer = NewMessageSerializer(data=request.data)
        if not serializer.is_valid():
            try:  # someone else's conversation is a 404 whatever the body says
                services.get_conversation(request.user, conversation_id)
            except Http404:
                return not_found()
            raise ValidationError(serializer.errors)
        data: dict[str, Any] = serializer.validated_data
        try:
            # Checks the conversation is the caller's (404) in the query that locks it.
            prepared = services.prepare_reply(
                user=request.user,
                conversation=conversation_id,
                content=data["content"],
                model_id=data.get("model"),
            )
        except Http404:
            return not_found()
        except (ChatError, CreditsError) as exc:
            return refusal(exc)
        if _wants_stream(request, data["stream"]):
            return event_stream_response(
                reply_events(prepared, user_text=services.clean_message(data["content"]))
            )
        # The whole reply: this request waits for it (the SSE form frees the worker meanwhile).
        outcome = async_to_sync(_run_to_end)(prepared)
        reply = Message.objects.select_related("model").get(pk=outcome.reply_id)
        body = {
            "conversation": prepared.conversation_id,
            "user_message": prepared.user_message_id,
            "reply": MessageSerializer(reply).data,
            "balance": outcome.balance,
        }
        return Response(body, status=status.HTTP_201_CREATED)
