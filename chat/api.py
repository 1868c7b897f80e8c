"""The partner API under /api/v1/conversations/: a person's own conversations only.

``POST …/{id}/messages/`` answers the finished reply as JSON (201), or streams it as server-sent
events (the events of chat/events.py) when the request sends ``Accept: text/event-stream`` or
``"stream": true``. ``POST /api/v1/conversations/`` with a ``content`` starts a conversation with
that first message and answers the same way; the conversation is written with the message, so a
refused first message leaves no conversation behind. Refusals use one shape, ``{"error": code,
"detail": reason}``, plus ``fix_url`` and ``fix_label`` when the fix is on a page of the site (a
top-up, the spending cap): 400 for a bad message or model, 402 for too few credits or the
spending cap, 404 for a conversation that is not the caller's, 409 while a reply is still being
written.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from django.http import HttpResponse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import services
from chat.api_schema import reply_responses
from chat.errors import ConversationNotFound
from chat.events import encode, event_stream_response, reply_events
from chat.models import Conversation, Message
from chat.serializers import (
    ConversationDetailSerializer,
    ConversationPageSerializer,
    ConversationSerializer,
    MessageReplySerializer,
    MessageSerializer,
    NewConversationSerializer,
    NewMessageSerializer,
)
from chat.services import grounding
from javari import throttling
from javari.api_schema import error_responses

TAGS = ["Conversations"]


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


class ConversationListView(GenericAPIView):
    """GET: the caller's conversations, most recent first (``?q=`` searches titles). POST: a new one,
    empty, or with its first message (``content``) and the reply, as ``…/{id}/messages/`` answers."""

    permission_classes = [IsAuthenticated]
    serializer_class = ConversationSerializer  # what DRF asks for when it renders an error
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    def get_renderers(self) -> list[BaseRenderer]:
        # Only a reply streams: the list is JSON (it was once a 200 "error" event under ?format=sse).
        renderers = super().get_renderers()
        if self.request.method == "GET":
            return [renderer for renderer in renderers if not isinstance(renderer, EventStreamRenderer)]
        return renderers

    @extend_schema(
        tags=TAGS,
        summary="List your conversations",
        operation_id="conversations_list",
        parameters=[
            OpenApiParameter("q", str, description="Only those whose title contains this."),
            OpenApiParameter("page", int, description="Which page, from 1; one past the last is a 404."),
            OpenApiParameter("page_size", int, description="How many a page: 50 unless said, 200 at most."),
        ],
        responses={200: ConversationPageSerializer, **error_responses()},
    )
    def get(self, request: Request) -> Response:
        conversations = services.conversations_for(request.user, query=request.query_params.get("q", ""))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(conversations.select_related("model"), request, view=self)
        return paginator.get_paginated_response(ConversationSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Start a conversation",
        description=(
            "Empty (201 with the conversation), or with its first message in `content`: then the "
            "answer is the reply, as `POST /api/v1/conversations/{id}/messages/` answers it, and a "
            "refused first message leaves no conversation behind."
        ),
        request=NewConversationSerializer,
        responses=reply_responses(
            404,  # an unknown ?format=
            json_answer=PolymorphicProxySerializer(
                component_name="NewConversationAnswer",
                serializers=[ConversationSerializer, MessageReplySerializer],
                resource_type_field_name=None,
            ),
            json_is="The new conversation (without `content`), or the whole reply to its first message.",
        ),
        examples=[
            OpenApiExample("Empty", value={"title": "Trip plans"}, request_only=True),
            OpenApiExample("With a first message", value={"content": "Hello"}, request_only=True),
        ],
    )
    def post(self, request: Request) -> Response | HttpResponse:
        serializer = NewConversationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        if "content" in data:
            throttling.raise_if_refused(
                throttling.check_chat_message(request=request, user=request.user, new_conversation=True)
            )
            # The conversation is written with its first message, or not at all.
            return _reply(request, None, data)
        throttling.raise_if_refused(throttling.check_new_conversation(request=request, user=request.user))
        conversation = services.start_conversation(user=request.user, model_id=data.get("model"))
        if data.get("title"):
            services.rename_conversation(conversation=conversation, title=data["title"])
        # No reply to stream: the new conversation is JSON even to a caller that asked for events
        # (it once came back as a 201 "error" event).
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return Response(ConversationSerializer(conversation).data, status=status.HTTP_201_CREATED)


class ConversationDetailView(APIView):
    """GET: one of the caller's conversations with its messages; another person's is a 404."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="One of your conversations, with its messages",
        responses={200: ConversationDetailSerializer, **error_responses(404)},
    )
    def get(self, request: Request, conversation_id: str) -> Response:
        conversation = (
            Conversation.objects.select_related("model")
            .prefetch_related("messages__model")
            .filter(pk=conversation_id, user=request.user)
            .first()
        )
        if conversation is None:
            raise ConversationNotFound()
        live = grounding.live_articles(conversation.messages.all())
        return Response(ConversationDetailSerializer(conversation, context={"live_articles": live}).data)


def _wants_stream(request: Request, asked: bool) -> bool:
    # The negotiated renderer too: ``?format=sse`` picks it without an Accept header, and a reply
    # it renders must be the stream, not the JSON answer wrapped in an error event.
    chosen = getattr(request, "accepted_renderer", None)
    return (
        asked
        or isinstance(chosen, EventStreamRenderer)
        or "text/event-stream" in request.headers.get("Accept", "")
    )


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

    @extend_schema(
        tags=TAGS,
        summary="Send a message",
        description=(
            "The reply, whole as JSON (201), or streamed as server-sent events (200) when the request sends "
            '`Accept: text/event-stream` or `"stream": true`.'
        ),
        request=NewMessageSerializer,
        responses=reply_responses(404, 409),
        examples=[
            OpenApiExample("Whole reply", value={"content": "Hello"}, request_only=True),
            OpenApiExample("Streamed", value={"content": "Hello", "stream": True}, request_only=True),
        ],
    )
    def post(self, request: Request, conversation_id: str) -> Response | HttpResponse:
        serializer = NewMessageSerializer(data=request.data)
        if not serializer.is_valid():
            # Someone else's conversation is a 404 whatever the body says.
            services.get_conversation(request.user, conversation_id)
            raise ValidationError(serializer.errors)
        throttling.raise_if_refused(throttling.check_chat_message(request=request, user=request.user))
        return _reply(request, conversation_id, serializer.validated_data)


def _reply(request: Request, conversation_id: str | None, data: dict[str, Any]) -> Response | HttpResponse:
    """Send ``data["content"]`` to the conversation (None: a new one) and answer the reply."""
    # Checks the conversation is the caller's (404) in the query that locks it; its refusals
    # (ChatError, CreditsError) answer through javari.api_errors.
    prepared = services.prepare_reply(
        user=request.user,
        conversation=conversation_id,
        content=data.get("content"),
        model_id=data.get("model"),
    )
    if conversation_id is None and data.get("title"):
        conversation = services.get_conversation(request.user, prepared.conversation_id)
        services.rename_conversation(conversation=conversation, title=data["title"])
    if _wants_stream(request, data.get("stream", False)):
        user_text = services.clean_message(data["content"])
        return event_stream_response(reply_events(prepared, user_text=user_text))
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
