"""The chat back office: the models people may pick (with prices), conversations and messages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.forms import Field
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from chat.models import ChatModel, Conversation, Message
from javari.secrets import SECRET_FORMFIELD_OVERRIDES, mask_secret


@admin.register(ChatModel)
class ChatModelAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "model_name",
        "endpoint",
        "prompt_price_per_1k",
        "completion_price_per_1k",
        "context_window",
        "max_output_tokens",
        "is_default",
        "is_active",
        "order",
    ]
    list_editable = ["is_active", "order"]
    list_filter = ["is_active"]
    search_fields = ["name", "model", "base_url"]
    # The provider key is write-only: the form shows its mask, never the key (javari/secrets.py).
    formfield_overrides = SECRET_FORMFIELD_OVERRIDES
    fieldsets = [
        (None, {"fields": ["name", "is_active", "is_default", "order"]}),
        (
            _("Endpoint"),
            {
                "fields": ["base_url", "api_key", "model"],
                "description": _(
                    "Any OpenAI-compatible Chat Completions API: OpenAI, Ollama, vLLM, OpenRouter, "
                    "LM Studio. A base URL, key or model left empty means the deployment's LLM_BASE_URL, "
                    "LLM_API_KEY or LLM_MODEL (a stored key is emptied with its Clear box)."
                ),
            },
        ),
        (
            _("Price and limits"),
            {
                "fields": [
                    "prompt_price_per_1k",
                    "completion_price_per_1k",
                    "context_window",
                    "max_output_tokens",
                ]
            },
        ),
    ]

    def formfield_for_dbfield(
        self, db_field: models.Field, request: HttpRequest, **kwargs: Any
    ) -> Field | None:
        if db_field.name == "api_key":
            # The model's help text says "Blank: the deployment's"; in this form blank keeps the stored key.
            kwargs["help_text"] = _(
                "Stored encrypted and never shown again. Blank keeps the stored key; with no key at all, "
                "the deployment's LLM_API_KEY is used."
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: ChatModel | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            # A read-only page would print the field's value: staff who may only look see the mask.
            fieldsets = [
                (
                    name,
                    {
                        **options,
                        "fields": [f if f != "api_key" else "stored_api_key" for f in options["fields"]],
                    },
                )
                for name, options in fieldsets
            ]
        return fieldsets

    @admin.display(description=_("API key"))
    def stored_api_key(self, obj: ChatModel) -> str:
        return mask_secret(obj.api_key)

    @admin.display(description=_("model name"))
    def model_name(self, obj: ChatModel) -> str:
        return obj.model_name

    @admin.display(description=_("endpoint"))
    def endpoint(self, obj: ChatModel) -> str:
        return obj.endpoint

    def has_delete_permission(self, request: HttpRequest, obj: ChatModel | None = None) -> bool:
        # Retire a model by unticking "people may pick it": past replies keep naming it.
        return False


class MessageInline(admin.TabularInline):
    model = Message
    fields = [
        "created_at",
        "role",
        "status",
        "content",
        "prompt_tokens",
        "completion_tokens",
        "credits_charged",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "model", "created_at", "updated_at"]
    list_select_related = ["user", "model"]
    raw_id_fields = ["user"]
    search_fields = ["title", "user__email"]
    readonly_fields = ["created_at", "updated_at"]
    show_full_result_count = False
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "conversation",
        "role",
        "status",
        "error_code",
        "prompt_tokens",
        "completion_tokens",
        "credits_charged",
        "retrieval_ms",
    ]
    list_filter = ["role", "status", "error_code"]
    list_select_related = ["conversation"]
    raw_id_fields = ["conversation"]
    readonly_fields = [
        "conversation",
        "role",
        "status",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "credits_charged",
        "error_code",
        "error",
        "sources",
        "retrieval_ms",
        "created_at",
        "finished_at",
    ]
    show_full_result_count = False  # the messages table is one of the big ones

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
