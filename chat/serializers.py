"""What the partner API says about conversations and messages."""

from __future__ import annotations

from rest_framework import serializers

from chat.models import Conversation, Message


class MessageSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model.name", default=None, read_only=True)

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
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


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
