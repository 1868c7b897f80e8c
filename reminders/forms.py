"""The reminder form (create and edit), its schedule part (the live preview's), and the snooze form.

The forms read what a person typed into the shapes the services take; the rules (a title's length,
a rule that fires, a time not yet passed, a lead time within 30 days) are the services' own
(``reminders.services.create_reminder``/``update_reminder``), whose ``ValidationError`` by field is
put back on the form by ``add_service_errors``. No ``max_length`` on the text fields: the browser
would silently cut a pasted text instead of the person seeing why it is too long.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reminders.models import LEAD_MINUTES_MAX, Recurrence, Reminder, ReminderType
from reminders.recurrence import to_utc, to_wall, zone_choices, zone_named

# How the lead time is typed: a number and a unit, stored as minutes.
LEAD_UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}
LEAD_UNIT_CHOICES = [("minutes", _("minutes")), ("hours", _("hours")), ("days", _("days"))]
DEFAULT_TIME = time(9, 0)
# Custom kinds whose rule the person types.
RULE_KINDS = (Recurrence.RRULE, Recurrence.CRON)
# Service field → form field, where they differ.
_FIELD_OF = {"lead_minutes": "lead_amount"}


def lead_in_units(minutes: int) -> tuple[int, str]:
    """``minutes`` as the largest whole unit: 1440 → (1, "days"), 90 → (90, "minutes")."""
    for unit in ("days", "hours"):
        size = LEAD_UNITS[unit]
        if minutes and minutes % size == 0:
            return minutes // size, unit
    return minutes, "minutes"


def _zone_choice_list() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in zone_choices()]


class ScheduleForm(forms.Form):
    """When: the date and time of the first occurrence, its zone, and how it repeats."""

    start_date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Enter a date."), "invalid": _("Enter a date, like 2027-01-31.")},
    )
    start_time = forms.TimeField(
        label=_("Time"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": _("Enter a time."), "invalid": _("Enter a time, like 09:30.")},
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=_zone_choice_list,
        error_messages={
            "required": _("Choose a time zone from the list, like Europe/Madrid or America/New_York."),
            "invalid_choice": _("Choose a time zone from the list, like Europe/Madrid or America/New_York."),
        },
    )
    recurrence = forms.ChoiceField(
        label=_("Repeats"),
        choices=Recurrence.choices,
        error_messages={"invalid_choice": _("Choose how the reminder repeats.")},
    )
    rule = forms.CharField(
        label=_("Rule"),
        required=False,
        strip=True,
        help_text=_("An RRULE such as FREQ=MONTHLY;BYDAY=1MO, or a cron expression such as 0 9 * * 1-5."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("recurrence") in RULE_KINDS and not cleaned.get("rule"):
            self.add_error(
                "rule",
                _("Enter the rule, for example FREQ=WEEKLY;BYDAY=MO,WE or 0 9 * * 1-5."),
            )
        return cleaned

    def schedule_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        recurrence = data["recurrence"]
        return {
            "start_date": data["start_date"],
            "start_time": data["start_time"],
            "time_zone": data["time_zone"],
            "recurrence": recurrence,
            "rule": data.get("rule", "") if recurrence in RULE_KINDS else "",
        }


class ReminderForm(ScheduleForm):
    """A reminder: what, when, how it repeats, when and how to be told, and what it is about."""

    title = forms.CharField(label=_("Title"), error_messages={"required": _("Give the reminder a title.")})
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    reminder_type = forms.ChoiceField(
        label=_("Type"),
        choices=ReminderType.choices,
        error_messages={"invalid_choice": _("Choose one of the reminder types.")},
    )
    lead_amount = forms.IntegerField(
        label=_("Notify me"),
        min_value=0,
        max_value=LEAD_MINUTES_MAX,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": _("Enter how long before to notify you (0 notifies at the due time)."),
            "invalid": _("Enter a whole number."),
            "min_value": _("The notice must be between 0 minutes and 30 days before the due time."),
            "max_value": _("The notice must be between 0 minutes and 30 days before the due time."),
        },
    )
    lead_unit = forms.ChoiceField(
        label=_("Unit"),
        choices=LEAD_UNIT_CHOICES,
        error_messages={"invalid_choice": _("Choose minutes, hours or days.")},
    )
    notify_email = forms.BooleanField(label=_("By email"), required=False)
    notify_in_app = forms.BooleanField(label=_("In the app"), required=False)
    related_project = forms.CharField(label=_("Related project"), required=False)
    action_url = forms.CharField(
        label=_("Action URL"),
        required=False,
        help_text=_("A page to open when it is time, starting with https://."),
        widget=forms.URLInput(attrs={"inputmode": "url", "placeholder": "https://"}),
    )

    field_order = [
        "title",
        "description",
        "reminder_type",
        "start_date",
        "start_time",
        "time_zone",
        "recurrence",
        "rule",
        "lead_amount",
        "lead_unit",
        "notify_email",
        "notify_in_app",
        "related_project",
        "action_url",
    ]

    @classmethod
    def initial_for_new(cls, defaults: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
        """A new reminder's starting values: tomorrow at 09:00 in the person's zone, their defaults."""
        zone = zone_named(defaults["time_zone"])
        today = to_wall(now or timezone.now(), zone).date()
        amount, unit = lead_in_units(defaults["lead_minutes"])
        return {
            "start_date": today + timedelta(days=1),
            "start_time": DEFAULT_TIME,
            "time_zone": zone.key,
            "recurrence": Recurrence.NONE,
            "reminder_type": ReminderType.CUSTOM,
            "lead_amount": amount,
            "lead_unit": unit,
            "notify_email": defaults["notify_email"],
            "notify_in_app": defaults["notify_in_app"],
        }

    @classmethod
    def initial_for(cls, reminder: Reminder) -> dict[str, Any]:
        """An existing reminder's values, as the form shows them."""
        amount, unit = lead_in_units(reminder.lead_minutes)
        return {
            "title": reminder.title,
            "description": reminder.description,
            "reminder_type": reminder.reminder_type,
            "start_date": reminder.start_date,
            "start_time": reminder.start_time,
            "time_zone": reminder.time_zone,
            "recurrence": reminder.recurrence,
            "rule": reminder.rule if reminder.recurrence in RULE_KINDS else "",
            "lead_amount": amount,
            "lead_unit": unit,
            "notify_email": reminder.notify_email,
            "notify_in_app": reminder.notify_in_app,
            "related_project": reminder.related_project,
            "action_url": reminder.action_url,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        amount, unit = cleaned.get("lead_amount"), cleaned.get("lead_unit")
        if amount is not None and unit in LEAD_UNITS and amount * LEAD_UNITS[unit] > LEAD_MINUTES_MAX:
            self.add_error(
                "lead_amount", _("The notice must be between 0 minutes and 30 days before the due time.")
            )
        return cleaned

    def service_values(self) -> dict[str, Any]:
        """The cleaned values, named as ``services.create_reminder``/``update_reminder`` take them."""
        data = self.cleaned_data
        return {
            **self.schedule_values(),
            "title": data["title"],
            "description": data.get("description", ""),
            "reminder_type": data["reminder_type"],
            "lead_minutes": data["lead_amount"] * LEAD_UNITS[data["lead_unit"]],
            "notify_email": bool(data.get("notify_email")),
            "notify_in_app": bool(data.get("notify_in_app")),
            "related_project": data.get("related_project", ""),
            "action_url": data.get("action_url", ""),
        }


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ``ValidationError`` (by field) onto ``form``; a field the form lacks is non-field."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        field = _FIELD_OF.get(name, name)
        form.add_error(field if field in form.fields else None, errors)


class SnoozeForm(forms.Form):
    """Snooze: a preset (10 minutes, 1 hour, tomorrow morning) or a chosen local time."""

    PRESETS = ("10m", "1h", "tomorrow")

    preset = forms.ChoiceField(
        required=False,
        choices=[
            ("10m", _("10 minutes")),
            ("1h", _("1 hour")),
            ("tomorrow", _("Tomorrow morning")),
        ],
        error_messages={"invalid_choice": _("Choose 10 minutes, 1 hour, tomorrow morning or a time.")},
    )
    until = forms.DateTimeField(
        label=_("Until"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("Enter a date and time, like 2027-01-31 09:30.")},
    )

    def __init__(self, *args: Any, zone_name: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone_name = zone_name

    def clean_until(self) -> datetime | None:
        # Read as a wall time in the person's zone (not the server's), by the same rule as reminders.
        value = self.data.get(self.add_prefix("until"))
        if not value:
            return None
        parsed = self.cleaned_data.get("until")
        if parsed is None:
            return None
        wall = timezone.make_naive(parsed) if timezone.is_aware(parsed) else parsed
        return to_utc(wall.replace(second=0, microsecond=0), zone_named(self.zone_name))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not cleaned.get("preset") and not cleaned.get("until"):
            raise ValidationError(_("Choose 10 minutes, 1 hour, tomorrow morning or a time."))
        return cleaned


def local_date_default(zone_name: str, *, now: datetime | None = None) -> date:
    """Today in ``zone_name``: the snooze picker's starting day."""
    return to_wall(now or timezone.now(), zone_named(zone_name)).date()
