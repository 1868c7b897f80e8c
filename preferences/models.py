"""Behaviour & Personality (spec §3.1): presets, the platform prompt, each person's preferences.

The preferred language is not stored here: it is ``accounts.User.language`` (written through
``accounts.services.set_user_language``), the one value the whole interface follows.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The longest custom prompt a person can save, in characters (spec: a counter, then a form error).
CUSTOM_PROMPT_MAX_CHARS = 4_000


class ResponseStyle(models.TextChoices):
    BEGINNER = "beginner", _("Beginner")
    INTERMEDIATE = "intermediate", _("Intermediate")
    EXPERT = "expert", _("Expert")


class CodePreference(models.TextChoices):
    FULL_REPLACEABLE = "full_replaceable", _("Full, replaceable files")
    SNIPPETS = "snippets", _("Snippets")
    EXPLANATIONS = "explanations", _("Explanations")


class CommunicationTone(models.TextChoices):
    PROFESSIONAL = "professional", _("Professional")
    CASUAL = "casual", _("Casual")
    TECHNICAL = "technical", _("Technical")


class Theme(models.TextChoices):
    # The same values as the shell's theme cookie (javari.shell.THEMES).
    AUTO = "auto", _("Auto")
    LIGHT = "light", _("Light")
    DARK = "dark", _("Dark")


class WeekStart(models.IntegerChoices):
    # Python's weekday numbers (Monday is 0), as calendar.Calendar(firstweekday=…) takes them.
    # A context of their own: the project's "Lunes" (a label) must not replace Django's "lunes",
    # which sentences like "every week on Monday" use.
    MONDAY = 0, pgettext_lazy("week start", "Monday")
    SUNDAY = 6, pgettext_lazy("week start", "Sunday")


class CalendarView(models.TextChoices):
    MONTH = "month", _("Month")
    WEEK = "week", _("Week")
    AGENDA = "agenda", _("Agenda")


class BehaviorPreset(models.Model):
    """A ready-made way for Javari to behave; staff edit the texts (en/es) in the admin."""

    key = models.SlugField(
        _("key"),
        max_length=32,
        unique=True,
        help_text=_("Stable identifier used by the API, e.g. beginner. It can't change once created."),
    )
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=255)
    system_prompt = models.TextField(
        _("system prompt"),
        blank=True,
        help_text=_("Sent to the model after the platform prompt. Empty sends nothing (Custom)."),
    )
    # The values picking the preset fills in; empty leaves what the person has.
    response_style = models.CharField(
        _("response style"), max_length=16, choices=ResponseStyle.choices, blank=True
    )
    code_preference = models.CharField(
        _("code preference"), max_length=20, choices=CodePreference.choices, blank=True
    )
    communication_tone = models.CharField(
        _("communication tone"), max_length=16, choices=CommunicationTone.choices, blank=True
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive presets are not offered, and their prompt is no longer sent."),
    )

    class Meta:
        verbose_name = _("behaviour preset")
        verbose_name_plural = _("behaviour presets")
        ordering = ["order", "key"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(response_style="") | models.Q(response_style__in=ResponseStyle.values),
                name="preferences_preset_response_style_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(code_preference="") | models.Q(code_preference__in=CodePreference.values),
                name="preferences_preset_code_preference_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(communication_tone="")
                | models.Q(communication_tone__in=CommunicationTone.values),
                name="preferences_preset_communication_tone_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def fills(self) -> dict[str, str]:
        """The preference fields this preset sets when picked (the empty ones are left alone)."""
        values = {
            "response_style": self.response_style,
            "code_preference": self.code_preference,
            "communication_tone": self.communication_tone,
        }
        return {name: value for name, value in values.items() if value}


class PlatformSettings(models.Model):
    """The one row of platform-wide settings staff edit: the prompt that opens every conversation."""

    # Always 1: there is one row (the CheckConstraint below keeps it that way).
    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    platform_prompt = models.TextField(
        _("platform prompt"),
        blank=True,
        help_text=_("The first part of every system prompt, before the person's preset and instructions."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("platform settings")
        verbose_name_plural = _("platform settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="preferences_platform_singleton")
        ]

    def __str__(self) -> str:
        return str(_("Platform settings"))

    def save(self, *args: object, **kwargs: object) -> None:
        self.pk = 1
        # With a default primary key Django would INSERT a new instance outright; UPDATE-else-INSERT
        # keeps the one row instead.
        self._state.adding = False
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def load(cls) -> PlatformSettings:
        """The row, or an unsaved empty one when staff have not created it (nothing is sent then)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class UserPreferences(models.Model):
    """How one person wants Javari to work with them (spec's ``user_preferences``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="preferences",
        verbose_name=_("user"),
    )
    preset = models.ForeignKey(
        BehaviorPreset,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("preset"),
    )
    response_style = models.CharField(
        _("response style"), max_length=16, choices=ResponseStyle.choices, default=ResponseStyle.INTERMEDIATE
    )
    code_preference = models.CharField(
        _("code preference"), max_length=20, choices=CodePreference.choices, default=CodePreference.SNIPPETS
    )
    communication_tone = models.CharField(
        _("communication tone"),
        max_length=16,
        choices=CommunicationTone.choices,
        default=CommunicationTone.PROFESSIONAL,
    )
    custom_system_prompt = models.TextField(
        _("custom instructions"),
        blank=True,
        validators=[MaxLengthValidator(CUSTOM_PROMPT_MAX_CHARS)],
    )
    # "auto" (follow the system), as the shell's theme cookie defaults to; the spec's default is light.
    theme = models.CharField(_("theme"), max_length=8, choices=Theme.choices, default=Theme.AUTO)
    sidebar_default_open = models.BooleanField(_("side panel open by default"), default=False)

    # Calendar & Scheduling. An IANA zone name; empty until set or guessed from the browser
    # (UTC meanwhile): see ``preferences.services.time_zone_of``.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    week_start = models.PositiveSmallIntegerField(
        _("week starts on"), choices=WeekStart.choices, default=WeekStart.MONDAY
    )
    calendar_view = models.CharField(
        _("default calendar view"), max_length=8, choices=CalendarView.choices, default=CalendarView.MONTH
    )

    # Reminders & Notifications: the defaults of a new reminder, and quiet hours (local times in
    # ``time_zone``) during which reminder emails wait; in-app notifications are never held back.
    notify_email = models.BooleanField(_("notify by email"), default=True)
    notify_in_app = models.BooleanField(_("notify in the app"), default=True)
    lead_minutes = models.PositiveIntegerField(_("notify before (minutes)"), default=24 * 60)
    quiet_hours_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_hours_end = models.TimeField(_("quiet hours until"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("user preferences")
        verbose_name_plural = _("user preferences")
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("custom_system_prompt"), CUSTOM_PROMPT_MAX_CHARS),
                name="preferences_custom_prompt_max_length",
                violation_error_message=_("Keep your instructions to 4,000 characters or fewer."),
            ),
            models.CheckConstraint(
                condition=models.Q(response_style__in=ResponseStyle.values),
                name="preferences_response_style_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(code_preference__in=CodePreference.values),
                name="preferences_code_preference_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(communication_tone__in=CommunicationTone.values),
                name="preferences_communication_tone_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(theme__in=Theme.values), name="preferences_theme_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(week_start__in=WeekStart.values), name="preferences_week_start_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(calendar_view__in=CalendarView.values),
                name="preferences_calendar_view_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(lead_minutes__lte=30 * 24 * 60), name="preferences_lead_minutes_max"
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)
