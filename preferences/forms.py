"""The forms of Behavior & Personality, Language & Localization, Calendar & Scheduling and
Reminders & Notifications."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import models
from django.utils.translation import get_language_info, pgettext_lazy
from django.utils.translation import gettext_lazy as _

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
from reminders.forms import LEAD_UNITS, lead_in_units
from reminders.models import LEAD_MINUTES_MAX

# Without JavaScript the page posts "server": a newly picked preset then fills the fields the person
# left as they were (one they changed in the same submit keeps their value). shell.js sets "client",
# because it already filled the fields on the page and what is posted is what the person saw.
PRESET_FILL_SERVER = "server"
PRESET_FILL_CLIENT = "client"


def language_choices() -> list[tuple[str, str]]:
    """Each language named in itself (English, Español), as the language switch shows them."""
    return [(code, get_language_info(code)["name_local"].capitalize()) for code, _name in settings.LANGUAGES]


class LanguageThemeForm(forms.Form):
    """Language & Localization: the interface and reply language, and the theme."""

    language = forms.ChoiceField(
        label=_("Language"),
        choices=language_choices,
        widget=forms.RadioSelect,
        help_text=_("The language of the interface, and the one Javari replies in."),
        error_messages={"invalid_choice": _("Choose English or Spanish.")},
    )
    theme = forms.ChoiceField(
        label=_("Theme"),
        choices=Theme.choices,
        widget=forms.RadioSelect,
        help_text=_("Auto follows your device's light or dark setting."),
        error_messages={"invalid_choice": _("Choose auto, light or dark.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # headings-like labels, no trailing colon
        super().__init__(*args, **kwargs)


class BehaviorForm(LanguageThemeForm):
    """Behavior & Personality: preset, style, code, tone, own instructions, and the shared settings."""

    preset = forms.ModelChoiceField(
        label=_("Preset"),
        queryset=BehaviorPreset.objects.none(),
        to_field_name="key",
        required=False,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the presets offered.")},
    )
    preset_fill = forms.CharField(widget=forms.HiddenInput, required=False, initial=PRESET_FILL_SERVER)
    response_style = forms.ChoiceField(
        label=_("Response style"),
        choices=ResponseStyle.choices,
        error_messages={"invalid_choice": _("Choose beginner, intermediate or expert.")},
    )
    code_preference = forms.ChoiceField(
        label=_("Code preference"),
        choices=CodePreference.choices,
        error_messages={"invalid_choice": _("Choose full files, snippets or explanations.")},
    )
    communication_tone = forms.ChoiceField(
        label=_("Tone"),
        choices=CommunicationTone.choices,
        error_messages={"invalid_choice": _("Choose professional, casual or technical.")},
    )
    # No max_length here: it would add the maxlength attribute, and the browser would silently cut a
    # pasted text. The limit is checked below and by the model, with the counter showing it live.
    custom_system_prompt = forms.CharField(
        label=_("Your instructions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "true"}),
    )
    sidebar_default_open = forms.BooleanField(
        label=_("Open the side panel by default"),
        required=False,
        help_text=_("Code, diffs and files show beside the conversation."),
    )

    field_order = [
        "preset",
        "preset_fill",
        "response_style",
        "code_preference",
        "communication_tone",
        "custom_system_prompt",
        "language",
        "theme",
        "sidebar_default_open",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.presets = services.active_presets()
        self.fields["preset"].queryset = BehaviorPreset.objects.filter(is_active=True).order_by(
            "order", "key"
        )

    @classmethod
    def initial_for(cls, preferences: UserPreferences, *, language: str, theme: str) -> dict[str, Any]:
        return {
            "preset": preferences.preset.key if preferences.preset and preferences.preset.is_active else None,
            "preset_fill": PRESET_FILL_SERVER,
            "response_style": preferences.response_style,
            "code_preference": preferences.code_preference,
            "communication_tone": preferences.communication_tone,
            "custom_system_prompt": preferences.custom_system_prompt,
            "language": language,
            "theme": theme,
            "sidebar_default_open": preferences.sidebar_default_open,
        }

    def clean_custom_system_prompt(self) -> str:
        text = services.normalize_prompt(self.cleaned_data.get("custom_system_prompt") or "")
        if len(text) > CUSTOM_PROMPT_MAX_CHARS:
            raise forms.ValidationError(
                _("Keep your instructions to %(limit)s characters or fewer: they have %(count)s."),
                code="max_length",
                params={"limit": intcomma(CUSTOM_PROMPT_MAX_CHARS), "count": intcomma(len(text))},
            )
        return text

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        preset = cleaned.get("preset")
        picked_now = "preset" in self.changed_data and preset is not None
        if picked_now and cleaned.get("preset_fill") != PRESET_FILL_CLIENT:
            for name, value in preset.fills.items():
                if name not in self.changed_data and name in cleaned:
                    cleaned[name] = value
        return cleaned

    def preference_values(self) -> dict[str, Any]:
        """The cleaned values, named as ``services.update_preferences`` and ``compose_from`` take them."""
        data = self.cleaned_data
        return {
            "preset": data.get("preset"),
            "response_style": data.get("response_style"),
            "code_preference": data.get("code_preference"),
            "communication_tone": data.get("communication_tone"),
            "custom_system_prompt": data.get("custom_system_prompt", ""),
            "theme": data.get("theme"),
            "sidebar_default_open": data.get("sidebar_default_open", False),
            "language": data.get("language"),
        }

    @property
    def prompt_length(self) -> int:
        """The length of the instructions as the form shows them (bound data or the saved value)."""
        value = self["custom_system_prompt"].value() or ""
        return len(services.normalize_prompt(value))

    @property
    def prompt_over(self) -> int:
        """How many characters the instructions are over the limit (0 when within it)."""
        return max(0, self.prompt_length - CUSTOM_PROMPT_MAX_CHARS)


# --- Calendar & Scheduling, Reminders & Notifications ---------------------------------------------


def zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone, as (name, name with spaces for underscores): America/New York."""
    from reminders.recurrence import zone_choices as names

    return [(name, name.replace("_", " ")) for name in names()]


class SchedulingForm(forms.Form):
    """Calendar & Scheduling: the person's time zone, the first day of the week, the calendar's view."""

    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=zone_choices,
        help_text=_("Dates and times on every page, in emails and in your reminders use this zone."),
        error_messages={
            "invalid_choice": _("Choose a time zone from the list, like Europe/Madrid or America/New_York."),
            "required": _("Choose a time zone from the list."),
        },
    )
    move_reminders = forms.BooleanField(
        label=_("Also move my reminders to the new time zone (keep their times of day)"),
        required=False,
        help_text=_("A reminder at 09:00 stays at 09:00, in the new zone. Otherwise it keeps its own zone."),
    )
    week_start = forms.TypedChoiceField(
        label=_("Week starts on"),
        choices=WeekStart.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose Monday or Sunday.")},
    )
    calendar_view = forms.ChoiceField(
        label=_("Default calendar view"),
        choices=CalendarView.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose month, week or agenda.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @classmethod
    def initial_for(cls, preferences: UserPreferences) -> dict[str, Any]:
        return {
            "time_zone": services.time_zone_of(preferences.user),
            "week_start": preferences.week_start,
            "calendar_view": preferences.calendar_view,
        }


class LeadUnit(models.TextChoices):
    # With a context: the reminder form's own lead-time units are the same words, kept apart.
    MINUTES = "minutes", pgettext_lazy("lead time unit", "minutes")
    HOURS = "hours", pgettext_lazy("lead time unit", "hours")
    DAYS = "days", pgettext_lazy("lead time unit", "days")


class NotificationSettingsForm(forms.Form):
    """Reminders & Notifications: a new reminder's channels and lead time, and quiet hours."""

    notify_email = forms.BooleanField(label=_("Email"), required=False)
    notify_in_app = forms.BooleanField(
        label=pgettext_lazy("notification channel", "In the app"), required=False
    )
    lead_amount = forms.IntegerField(
        label=_("Notify me before"),
        min_value=0,
        max_value=LEAD_MINUTES_MAX,
        error_messages={
            "invalid": _("Enter a whole number, 0 or more."),
            "required": _("Enter a whole number, 0 or more."),
            "min_value": _("Enter a whole number, 0 or more."),
            "max_value": _("The lead time can be at most 30 days."),
        },
    )
    lead_unit = forms.ChoiceField(
        label=_("Unit"),
        choices=LeadUnit.choices,
        error_messages={"invalid_choice": _("Choose minutes, hours or days.")},
    )
    quiet_hours_start = forms.TimeField(
        label=_("Quiet from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Enter a time like 22:00.")},
    )
    quiet_hours_end = forms.TimeField(
        label=_("Quiet until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Enter a time like 07:00.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @classmethod
    def initial_for(cls, preferences: UserPreferences) -> dict[str, Any]:
        amount, unit = lead_in_units(preferences.lead_minutes)
        return {
            "notify_email": preferences.notify_email,
            "notify_in_app": preferences.notify_in_app,
            "lead_amount": amount,
            "lead_unit": unit,
            "quiet_hours_start": preferences.quiet_hours_start,
            "quiet_hours_end": preferences.quiet_hours_end,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        amount, unit = cleaned.get("lead_amount"), cleaned.get("lead_unit")
        if amount is not None and unit:
            minutes = amount * LEAD_UNITS[unit]
            if minutes > LEAD_MINUTES_MAX:
                self.add_error("lead_amount", _("The lead time can be at most 30 days."))
            else:
                cleaned["lead_minutes"] = minutes
        return cleaned

    def preference_values(self) -> dict[str, Any]:
        """The cleaned values, named as ``services.update_preferences`` takes them."""
        data = self.cleaned_data
        return {
            "notify_email": data["notify_email"],
            "notify_in_app": data["notify_in_app"],
            "lead_minutes": data["lead_minutes"],
            "quiet_hours_start": data.get("quiet_hours_start"),
            "quiet_hours_end": data.get("quiet_hours_end"),
        }
