"""The chat back office: the models people may pick (with prices), conversations and messages."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from chat.models import ChatModel, Conversation, Message


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
    fieldsets = [
        (None, {"fields": ["name", "is_active", "is_default", "order"]}),
        (
            _("Endpoint"),
            {
                "fields": ["base_url", "api_key", "model"],
                "description": _(
                    "Any OpenAI-compatible Chat Completions API: OpenAI, Ollama, vLLM, OpenRouter, "
                    "LM Studio. Leave a field blank to use the deployment's LLM_BASE_URL, LLM_API_KEY "
                    "or LLM_MODEL."
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
        "created_at",
        "finished_at",
    ]
    show_full_result_count = False  # the messages table is one of the big ones

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
