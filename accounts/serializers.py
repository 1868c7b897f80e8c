"""DRF serializers of the API keys API. The hash never leaves the server; the key shows once."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import ApiKey


class ApiKeySerializer(serializers.ModelSerializer):
    """A key as listed: what identifies it and its state, never the secret or its hash."""

    status = serializers.ChoiceField(
        choices=ApiKey.Status.choices, read_only=True, help_text="active, expired or revoked."
    )

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "status", "created_at", "expires_at", "revoked_at", "last_used_at"]
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer):
    """Input of POST /api/v1/api-keys/: a name and an optional expiry (ISO 8601, in the future)."""

    name = serializers.CharField(max_length=80, trim_whitespace=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ApiKeyCreatedSerializer(ApiKeySerializer):
    """The answer to a creation: the key itself, this once."""

    key = serializers.CharField(read_only=True, help_text="The full key. It is not shown again.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields
