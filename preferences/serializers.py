"""DRF serializers of the preferences API: the signed-in user's preferences and composed prompt."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from preferences import services
from preferences.models import (
    CUSTOM_PROMPT_MAX_CHARS,
    BehaviorPreset,
    CodePreference,
    CommunicationTone,
    ResponseStyle,
    Theme,
    UserPreferences,
)


def _at_most(limit: int) -> str:
    return gettext("At most %(limit)s characters.") % {"limit": intcomma(limit)}


def _at_most_help() -> str:
    """The prompt field's help text, worded and grouped in the language of whoever reads it."""
    return lazy(_at_most, str)(CUSTOM_PROMPT_MAX_CHARS)


class PreferencesSerializer(serializers.Serializer):
    """What a person set in Behavior & Personality and Language & Localization.

    ``preset`` is the preset's key (or null). Setting it through the API fills nothing else: send the
    fields you want with it. ``preferred_language`` is the language Javari replies in.
    """

    preset = serializers.SlugRelatedField(
        slug_field="key",
        queryset=BehaviorPreset.objects.filter(is_active=True),
        allow_null=True,
        required=False,
        error_messages={"does_not_exist": _("Unknown preset {value}: use the key of an active preset.")},
    )
    response_style = serializers.ChoiceField(choices=ResponseStyle.choices, required=False)
    code_preference = serializers.ChoiceField(choices=CodePreference.choices, required=False)
    communication_tone = serializers.ChoiceField(choices=CommunicationTone.choices, required=False)
    custom_system_prompt = serializers.CharField(allow_blank=True, required=False, help_text=_at_most_help())
    preferred_language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    theme = serializers.ChoiceField(choices=Theme.choices, required=False)
    sidebar_default_open = serializers.BooleanField(required=False)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate_custom_system_prompt(self, value: str) -> str:
        value = services.normalize_prompt(value)
        if len(value) > CUSTOM_PROMPT_MAX_CHARS:
            # The same words as the Behavior page's form, numbers grouped in the reader's language.
            raise serializers.ValidationError(
                gettext("Keep your instructions to %(limit)s characters or fewer: they have %(count)s.")
                % {"limit": intcomma(CUSTOM_PROMPT_MAX_CHARS), "count": intcomma(len(value))},
                code="max_length",
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A misspelt field would otherwise be ignored silently and the client would think it saved.
        known = set(self.fields)
        unknown = sorted(set(getattr(self, "initial_data", {}) or {}) - known)
        if unknown:
            raise serializers.ValidationError({name: [gettext("Unknown field.")] for name in unknown})
        return attrs


def preferences_data(preferences: UserPreferences, user: User) -> dict[str, Any]:
    """The serializer's input for one person's preferences."""
    return {
        "preset": preferences.preset if preferences.preset and preferences.preset.is_active else None,
        "response_style": preferences.response_style,
        "code_preference": preferences.code_preference,
        "communication_tone": preferences.communication_tone,
        "custom_system_prompt": preferences.custom_system_prompt,
        "preferred_language": services.reply_language(user),
        "theme": preferences.theme,
        "sidebar_default_open": preferences.sidebar_default_open,
        "updated_at": preferences.updated_at,
    }


class SystemPromptSerializer(serializers.Serializer):
    system_prompt = serializers.CharField(read_only=True, help_text=_("Exactly what the chat sends first."))
    language = serializers.CharField(read_only=True, help_text=_("The language the prompt is written in."))
