"""What the partner API says about conversations and messages."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chat.models import Conversation, Message
from chat.services import grounding


class SourceSerializer(serializers.Serializer):
    """A help-center passage a reply was given, as stored with it."""

    passage_id = serializers.IntegerField()
    article_id = serializers.IntegerField()
    slug = serializers.CharField()
    anchor = serializers.CharField(help_text="The heading's id on the article page; blank for its start.")
    title = serializers.CharField(help_text="The article's title, as it was when the reply was written.")
    heading = serializers.CharField(help_text="The section's heading; blank for the article's start.")
    url = serializers.CharField(
        allow_null=True,
        help_text="The article's address on this site, at the section; null once it is no longer published.",
    )
    language = serializers.CharField()


class MessageSerializer(serializers.ModelSerializer):
    """A message. ``context["live_articles"]`` (grounding.live_articles of all the messages being
    serialized) saves a query per message."""

    model = serializers.CharField(source="model.name", default=None, read_only=True)
    sources = serializers.SerializerMethodField(
        help_text="The help-center passages the reply answered from (empty when it was not about Javari)."
    )

    class Meta:
        model = Message
        fields = [
            "id",
            "role",
            "content",
            "status",
            "error_code",
            "error",
            "model",
            "prompt_tokens",
            "completion_tokens",
            "credits_charged",
            "sources",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SourceSerializer(many=True))
    def get_sources(self, message: Message) -> list[dict[str, Any]]:
        live = self.context.get("live_articles")
        if live is None:
            live = grounding.live_articles([message])
        return grounding.shown_sources(message.sources, live)


class ConversationSerializer(serializers.ModelSerializer):
    model = serializers.PrimaryKeyRelatedField(read_only=True)
    model_name = serializers.CharField(source="model.name", default=None, read_only=True)

    class Meta:
        model = Conversation
        fields = ["id", "title", "model", "model_name", "created_at", "updated_at"]
        read_only_fields = fields


class ConversationDetailSerializer(ConversationSerializer):
    messages = MessageSerializer(many=True, read_only=True)

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "messages"]
        read_only_fields = fields


class NewConversationSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120, required=False, allow_blank=True)
    model = serializers.IntegerField(required=False, allow_null=True)
    # With a first message the conversation starts with it (and its reply), or is not written.
    content = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    stream = serializers.BooleanField(required=False, default=False)


class NewMessageSerializer(serializers.Serializer):
    # Checked by chat.services (empty, too long) so the API and the page say the same thing.
    content = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")
    model = serializers.IntegerField(required=False, allow_null=True)
    stream = serializers.BooleanField(required=False, default=False)


# The answers below are built by chat/api.py as dicts: these describe them in the OpenAPI schema.


class ConversationPageSerializer(serializers.Serializer):
    """One page of ``GET /api/v1/conversations/`` (``?page=``, ``?page_size=`` up to 200)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ConversationSerializer(many=True)


class MessageReplySerializer(serializers.Serializer):
    """The whole reply to a message (without ``stream``)."""

    conversation = serializers.UUIDField()
    user_message = serializers.UUIDField(allow_null=True)
    reply = MessageSerializer()
    balance = serializers.IntegerField(allow_null=True, help_text="The credits left after this reply.")
