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
    CalendarView,
    CodePreference,
    CommunicationTone,
    ResponseStyle,
    Theme,
    UserPreferences,
    WeekStart,
)
from reminders.models import LEAD_MINUTES_MAX


def _at_most(limit: int) -> str:
    return gettext("At most %(limit)s characters.") % {"limit": intcomma(limit)}


def _at_most_help() -> str:
    """The prompt field's help text, worded and grouped in the language of whoever reads it."""
    return lazy(_at_most, str)(CUSTOM_PROMPT_MAX_CHARS)


class PreferencesSerializer(serializers.Serializer):
    """What a person set in Behavior & Personality, Calendar & Scheduling, Reminders & Notifications
    and Language & Localization.

    ``preset`` is the preset's key (or null). Setting it through the API fills nothing else: send the
    fields you want with it. ``preferred_language`` is the language Javari replies in. ``time_zone``
    is an IANA name; send ``move_reminders: true`` with it to move your open reminders too.
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
    # Calendar & Scheduling.
    time_zone = serializers.CharField(
        required=False,
        max_length=64,
        help_text=_(
            "Your IANA time zone, like Europe/Madrid: dates, reminders and emails use it. UTC until "
            "set or guessed from your browser."
        ),
    )
    move_reminders = serializers.BooleanField(
        required=False,
        write_only=True,
        help_text=_("With a new time_zone: also move your open reminders to it, keeping their times of day."),
    )
    week_start = serializers.ChoiceField(
        choices=WeekStart.choices, required=False, help_text=_("0 is Monday, 6 is Sunday.")
    )
    calendar_view = serializers.ChoiceField(choices=CalendarView.choices, required=False)
    # Reminders & Notifications: a new reminder's defaults, and quiet hours for email.
    notify_email = serializers.BooleanField(required=False)
    notify_in_app = serializers.BooleanField(required=False)
    lead_minutes = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=LEAD_MINUTES_MAX,
        help_text=_("How long before a reminder is due to notify, in minutes (0 to 43200, 30 days)."),
    )
    quiet_hours_start = serializers.TimeField(
        required=False,
        allow_null=True,
        format="%H:%M",
        help_text=_(
            "Reminder emails due between quiet_hours_start and quiet_hours_end (your time zone) wait "
            "until the end; in-app notifications are never held back. Both set, or both null."
        ),
    )
    quiet_hours_end = serializers.TimeField(required=False, allow_null=True, format="%H:%M")
    updated_at = serializers.DateTimeField(read_only=True)

    def validate_time_zone(self, value: str) -> str:
        from reminders.errors import InvalidTimeZone
        from reminders.recurrence import zone_named

        try:
            return zone_named(value).key
        except InvalidTimeZone as exc:
            raise serializers.ValidationError(str(exc), code="invalid_time_zone") from exc

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
        "time_zone": preferences.time_zone or "UTC",
        "week_start": preferences.week_start,
        "calendar_view": preferences.calendar_view,
        "notify_email": preferences.notify_email,
        "notify_in_app": preferences.notify_in_app,
        "lead_minutes": preferences.lead_minutes,
        "quiet_hours_start": preferences.quiet_hours_start,
        "quiet_hours_end": preferences.quiet_hours_end,
        "updated_at": preferences.updated_at,
    }


class SystemPromptSerializer(serializers.Serializer):
    system_prompt = serializers.CharField(read_only=True, help_text=_("Exactly what the chat sends first."))
    language = serializers.CharField(read_only=True, help_text=_("The language the prompt is written in."))
