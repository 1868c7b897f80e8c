"""The calendar's page forms: an event (create and edit) and an ``.ics`` import.

The forms read what a person typed; ``reminders.services.calendar`` validates the event as a whole
(zone, rule, end after start) and its errors come back onto these fields.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from reminders.models import DESCRIPTION_MAX_CHARS, TITLE_MAX_CHARS, EventType, Recurrence
from reminders.recurrence import preset_rule, zone_choices
from reminders.services.calendar import IMPORT_MAX_BYTES

# How an event repeats: none, a preset (stored as its RRULE), or a custom RRULE.
REPEAT_CHOICES = [
    (Recurrence.NONE.value, Recurrence.NONE.label),
    (Recurrence.DAILY.value, Recurrence.DAILY.label),
    (Recurrence.WEEKLY.value, Recurrence.WEEKLY.label),
    (Recurrence.MONTHLY.value, Recurrence.MONTHLY.label),
    (Recurrence.YEARLY.value, Recurrence.YEARLY.label),
    (Recurrence.RRULE.value, Recurrence.RRULE.label),
]
_PRESETS = (Recurrence.DAILY, Recurrence.WEEKLY, Recurrence.MONTHLY, Recurrence.YEARLY)
# Where a service error on a field lands on the form.
_FIELD_OF = {"start": "start_date", "end": "end_date"}


class EventForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_CHARS)
    event_type = forms.ChoiceField(label=_("Type"), choices=EventType.choices, initial=EventType.MEETING)
    all_day = forms.BooleanField(label=_("All day"), required=False)
    start_date = forms.DateField(
        label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    start_time = forms.TimeField(
        label=_("Start time"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end_date = forms.DateField(
        label=_("Ends on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty for one hour, or the one day of an all-day event."),
    )
    end_time = forms.TimeField(
        label=_("End time"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    time_zone = forms.ChoiceField(label=_("Time zone"))
    repeats = forms.ChoiceField(label=_("Repeats"), choices=REPEAT_CHOICES, initial=Recurrence.NONE)
    rule = forms.CharField(
        label=_("Custom rule (RRULE)"),
        required=False,
        max_length=600,
        help_text=_("Only for a custom rule, for example FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(name, name) for name in zone_choices()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("all_day"):
            if "start_time" in data and data.get("start_time") is None:
                self.add_error("start_time", _("Enter a start time, or tick All day."))
            if data.get("end_date") and data.get("end_time") is None and "end_time" in data:
                self.add_error("end_time", _("Enter an end time, or leave the end empty."))
        if data.get("repeats") == Recurrence.RRULE and not (data.get("rule") or "").strip():
            self.add_error("rule", _("Enter a rule, for example FREQ=WEEKLY;BYDAY=MO,WE."))
        return data

    def event_values(self) -> dict[str, Any]:
        """The cleaned form as ``create_event``/``update_event`` keywords."""
        data = self.cleaned_data
        all_day = bool(data.get("all_day"))
        start_date: date = data["start_date"]
        end_date: date | None = data.get("end_date")
        if all_day:
            start: date | datetime = start_date
            end: date | datetime | None = end_date
        else:
            start = datetime.combine(start_date, data["start_time"])
            end_time = data.get("end_time")
            end = datetime.combine(end_date or start_date, end_time) if end_time is not None else None
        repeats = data.get("repeats") or Recurrence.NONE
        rule = (data.get("rule") or "") if repeats == Recurrence.RRULE else preset_rule(repeats, start_date)
        return {
            "title": data.get("title", ""),
            "description": data.get("description", ""),
            "event_type": data.get("event_type"),
            "all_day": all_day,
            "start": start,
            "end": end,
            "time_zone": data.get("time_zone"),
            "rule": rule,
        }

    def add_service_errors(self, exc: ValidationError) -> None:
        """A service's field errors onto the form's fields."""
        for name, messages in exc.message_dict.items():
            target = _FIELD_OF.get(name, name)
            if target == "rule" and self.cleaned_data.get("repeats") != Recurrence.RRULE:
                target = "repeats"
            self.add_error(target if target in self.fields else None, messages)

    @staticmethod
    def preset_label(rule: str, start_date: date) -> str:
        """The preset's name ("Weekly") when ``rule`` is the preset's RRULE for that start, else ''."""
        for preset in _PRESETS:
            if rule and preset_rule(preset, start_date) == rule:
                return str(preset.label)
        return ""

    @staticmethod
    def initial_for(values: dict[str, Any]) -> dict[str, Any]:
        """Initial values from ``services.editable_values`` (or defaults for a new event)."""
        start, end = values.get("start"), values.get("end")
        initial: dict[str, Any] = {
            "title": values.get("title", ""),
            "description": values.get("description", ""),
            "event_type": values.get("event_type", EventType.MEETING),
            "all_day": values.get("all_day", False),
            "time_zone": values.get("time_zone", "UTC"),
            "rule": values.get("rule", ""),
        }
        for prefix, moment in (("start", start), ("end", end)):
            if isinstance(moment, datetime):
                initial[f"{prefix}_date"], initial[f"{prefix}_time"] = moment.date(), moment.time()
            elif isinstance(moment, date):
                initial[f"{prefix}_date"] = moment
        rule = initial["rule"]
        initial["repeats"] = Recurrence.RRULE if rule else Recurrence.NONE
        start_date = initial.get("start_date")
        if rule and isinstance(start_date, date):
            for preset in _PRESETS:
                if preset_rule(preset, start_date) == rule:
                    initial["repeats"], initial["rule"] = preset, ""
                    break
        return initial


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("iCalendar file (.ics)"),
        help_text=_(
            "Up to 2 MB and 1,000 events, exported from Google Calendar, Apple Calendar, Thunderbird…"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".ics,text/calendar"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError(_("This file is too large: import at most 2 MB at a time."))
        return upload
