"""The preferences back office: behaviour presets and the platform prompt (en/es), people's preferences."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from preferences.models import BehaviorPreset, PlatformSettings, UserPreferences


@admin.register(BehaviorPreset)
class BehaviorPresetAdmin(TranslationAdmin):
    list_display = [
        "name",
        "key",
        "response_style",
        "code_preference",
        "communication_tone",
        "order",
        "is_active",
    ]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["key", "name", "description"]
    fieldsets = [
        (None, {"fields": ["key", "name", "description", "system_prompt", "order", "is_active"]}),
        (
            _("Fields the preset fills"),
            {
                "fields": ["response_style", "code_preference", "communication_tone"],
                "description": _(
                    "Picking the preset sets these; an empty one leaves the person's own value."
                ),
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: BehaviorPreset | None = None) -> list[str]:
        # The key is how the API and people's saved choice name the preset: fixed once created.
        return ["key"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: BehaviorPreset | None = None) -> bool:
        # Retire a preset by unticking "active": people who picked it keep their own settings.
        return False


@admin.register(PlatformSettings)
class PlatformSettingsAdmin(TranslationAdmin):
    """The one row: the list goes straight to it; it can't be added twice or deleted."""

    fields = ["platform_prompt", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not PlatformSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: PlatformSettings | None = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if PlatformSettings.objects.filter(pk=1).exists():
            return HttpResponseRedirect(reverse("admin:preferences_platformsettings_change", args=[1]))
        return super().changelist_view(request, extra_context)


@admin.register(UserPreferences)
class UserPreferencesAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "preset",
        "response_style",
        "code_preference",
        "communication_tone",
        "theme",
        "updated_at",
    ]
    list_filter = ["preset", "response_style", "code_preference", "communication_tone", "theme"]
    list_select_related = ["user", "preset"]
    search_fields = ["user__email", "user__display_name"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "updated_at"]
    ordering = ["user__email"]
