"""What the partner API says about integrations (integrations/api.py).

Serializers check the shape of a body (a name is text, ``values`` is an object of short texts, a
switch is true or false); what the values mean (the provider's fields, a token's characters, a
custom API's URL) is checked by ``integrations.services``, the same checks the connect form gets.

Secrets are write-only: ``values`` takes them in plain text, the representation never carries
them, only their masks (``secrets``: ``{"api_token": "•••• 4f2a"}``).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from integrations import providers, services
from integrations.errors import UnknownProvider
from integrations.models import (
    NAME_MAX_CHARS,
    SECRET_MAX_CHARS,
    Activity,
    ActivityAction,
    Integration,
    IntegrationStatus,
    RotationSchedule,
)
from reminders.serializers import KnownFieldsMixin

# A provider has a handful of fields; an object with more names is not a connect form.
VALUES_MAX_FIELDS = 20
FIELD_NAME_MAX_CHARS = 40


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "string", "nullable": True, "maxLength": SECRET_MAX_CHARS},
        "maxProperties": VALUES_MAX_FIELDS,
        "example": {"api_token": "vcp_…", "team_id": "team_javari"},
    }
)
class ValuesField(serializers.Field):
    """The provider's fields by name (``GET /api/v1/integrations/providers/`` lists them): secrets
    in plain text, settings. Text (or a whole number); null or a field left out keeps what is stored
    when editing. Checked for shape only: the service checks each field against its provider."""

    default_error_messages = {
        "not_object": _("Send an object: each of the provider's fields by its name."),
        "too_many": _("Send at most {limit} fields."),
        "bad_value": _("Each field's value is text of at most {limit} characters."),
    }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail("not_object")
        if len(data) > VALUES_MAX_FIELDS:
            self.fail("too_many", limit=VALUES_MAX_FIELDS)
        values: dict[str, Any] = {}
        for name, value in data.items():
            if not isinstance(name, str) or not name or len(name) > FIELD_NAME_MAX_CHARS:
                self.fail("not_object")
            text = isinstance(value, str) and len(value) <= SECRET_MAX_CHARS
            number = isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**18
            if not (value is None or text or number):
                self.fail("bad_value", limit=SECRET_MAX_CHARS)
            values[name] = value
        return values

    def to_representation(self, value: Any) -> Any:  # write-only; never called
        return {}


class IntegrationCreateSerializer(KnownFieldsMixin, serializers.Serializer):
    """A new connection: verified with the provider before anything is saved."""

    provider = serializers.CharField(
        max_length=30, help_text="The provider's slug: `vercel`, `github`… (see the providers list)."
    )
    # Blank and spaces reach the service, which names them with the rest (the form's message).
    name = serializers.CharField(
        max_length=NAME_MAX_CHARS,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Your name for this connection (“Production”).",
    )
    values = ValuesField(help_text="The provider's fields by name, secrets included (write-only).")
    auto_rotate = serializers.BooleanField(
        required=False, default=False, help_text="Rotate the key on its schedule."
    )
    rotation_schedule = serializers.ChoiceField(
        choices=RotationSchedule.choices, required=False, default=RotationSchedule.MONTHLY
    )


class IntegrationUpdateSerializer(KnownFieldsMixin, serializers.Serializer):
    """A change: only the fields sent change. A new secret or setting is verified first."""

    # What a client read and may send back unchanged (ignored here).
    also_known = frozenset(
        {
            "id",
            "provider",
            "provider_name",
            "status",
            "status_detail",
            "account",
            "settings",
            "secrets",
            "last_verified_at",
            "last_used_at",
            "key_expires_at",
            "last_rotated_at",
            "next_rotation_at",
            "created_at",
            "updated_at",
            "disconnected_at",
        }
    )

    name = serializers.CharField(
        max_length=NAME_MAX_CHARS, required=False, allow_blank=True, trim_whitespace=False
    )
    values = ValuesField(
        required=False,
        help_text="Only the fields to change: a secret sent replaces the stored one once verified.",
    )
    auto_rotate = serializers.BooleanField(required=False)
    rotation_schedule = serializers.ChoiceField(choices=RotationSchedule.choices, required=False)


class IntegrationSerializer(serializers.ModelSerializer):
    """A connection as the API shows it: its settings, and only the masks of its secrets."""

    provider_name = serializers.SerializerMethodField(help_text="The provider's name for people.")
    status = serializers.ChoiceField(choices=IntegrationStatus.choices, read_only=True)
    rotation_schedule = serializers.ChoiceField(choices=RotationSchedule.choices, read_only=True)
    account = serializers.SerializerMethodField(
        help_text="The account the provider answered for when verified (a login, an e-mail)."
    )
    settings = serializers.SerializerMethodField(help_text="The provider's non-secret fields by name.")
    secrets = serializers.SerializerMethodField(
        help_text="Each stored secret's mask by field (`•••• 4f2a`): never the secret itself."
    )

    class Meta:
        model = Integration
        fields = [
            "id",
            "provider",
            "provider_name",
            "name",
            "status",
            "status_detail",
            "account",
            "settings",
            "secrets",
            "auto_rotate",
            "rotation_schedule",
            "last_verified_at",
            "last_used_at",
            "key_expires_at",
            "last_rotated_at",
            "next_rotation_at",
            "created_at",
            "updated_at",
            "disconnected_at",
        ]
        read_only_fields = fields

    def get_provider_name(self, integration: Integration) -> str:
        try:
            return str(providers.get(integration.provider).name)
        except UnknownProvider:
            return integration.provider

    def get_account(self, integration: Integration) -> str:
        return str((integration.config or {}).get("account") or "")

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_settings(self, integration: Integration) -> dict[str, str]:
        try:
            names = {f.name for f in providers.get(integration.provider).config_fields()}
        except UnknownProvider:
            names = set()
        return {key: str(value) for key, value in (integration.config or {}).items() if key in names}

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
    def get_secrets(self, integration: Integration) -> dict[str, str]:
        return services.masked_secrets(integration)


class ActivitySerializer(serializers.ModelSerializer):
    """One thing that happened to a connection. Never a secret (a key's mask at most)."""

    action = serializers.ChoiceField(choices=ActivityAction.choices, read_only=True)
    metadata = serializers.DictField(
        read_only=True, help_text="Small facts for programs: an HTTP status, a masked key, a step."
    )

    class Meta:
        model = Activity
        fields = ["id", "action", "success", "message", "metadata", "created_at"]
        read_only_fields = fields


class ActivityPageSerializer(serializers.Serializer):
    """One page of ``GET /api/v1/integrations/{id}/activity/``."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ActivitySerializer(many=True)


class IntegrationPageSerializer(serializers.Serializer):
    """One page of ``GET /api/v1/integrations/``."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = IntegrationSerializer(many=True)


class ProviderFieldSerializer(serializers.Serializer):
    """One field of a provider's connect form (a key of ``values``)."""

    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    help = serializers.CharField(allow_blank=True)
    secret = serializers.BooleanField(help_text="Write-only: never sent back, only its mask.")
    required = serializers.BooleanField()  # type: ignore[assignment]
    kind = serializers.ChoiceField(choices=["text", "url", "secret", "choice", "integer", "multiline"])
    choices = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        help_text='For a choice: `[{"value": "bearer", "label": "Bearer token"}]`.',
    )


class ProviderSerializer(serializers.Serializer):
    """A provider one can connect."""

    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    capabilities = serializers.ListField(child=serializers.CharField())
    fields = ProviderFieldSerializer(many=True)  # type: ignore[assignment]
    rotates_by_api = serializers.BooleanField(
        help_text="Javari makes and revokes keys itself; otherwise it reminds you to rotate."
    )
    uses_oauth = serializers.BooleanField(
        help_text="Connected in the browser (Settings → Integrations), not through this API."
    )


def provider_data(provider: providers.Provider) -> dict[str, Any]:
    """``ProviderSerializer``'s input for ``provider`` (labels translated now)."""
    return {
        "slug": provider.slug,
        "name": str(provider.name),
        "description": str(provider.description),
        "capabilities": list(provider.capabilities),
        "fields": [
            {
                "name": spec.name,
                "label": str(spec.label),
                "help": str(spec.help_text),
                "secret": spec.secret,
                "required": spec.required,
                "kind": "secret" if spec.secret and spec.kind == "text" else spec.kind,
                "choices": [{"value": value, "label": str(label)} for value, label in spec.choices],
            }
            for spec in provider.fields
        ],
        "rotates_by_api": provider.rotates_by_api,
        "uses_oauth": provider.uses_oauth,
    }


def drf_errors(message_dict: dict[str, list[str]], *, provider_fields: set[str]) -> dict[str, list[str]]:
    """A service's ``ValidationError.message_dict`` by the API's names: a provider's field is
    ``values.<field>`` (an unknown one too), the rest keep their names."""
    top_level = {"name", "auto_rotate", "rotation_schedule", "provider"}
    named: dict[str, list[str]] = {}
    for name, messages in message_dict.items():
        if name == "__all__":
            key = "non_field_errors"
        elif name in top_level and name not in provider_fields:
            key = name
        else:
            key = f"values.{name}"
        named.setdefault(key, []).extend(str(m) for m in messages)
    return named


def oauth_refusal(provider: providers.Provider) -> str:
    """Why ``provider`` (Gmail: OAuth) can't be connected through the API."""
    return gettext(
        "%(provider)s is connected in the browser, where you sign in to it and allow access: open "
        "Settings → Integrations and choose Connect."
    ) % {"provider": provider.name}
