"""The reminder form reads what a person typed into what the services take; the snooze form reads a
chosen time in the person's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.core.exceptions import ValidationError

from reminders.forms import ReminderForm, ScheduleForm, SnoozeForm, add_service_errors, lead_in_units


def _data(**overrides: str) -> dict[str, str]:
    data = {
        "title": "Back up",
        "reminder_type": "backup",
        "start_date": "2030-01-07",
        "start_time": "09:00",
        "time_zone": "America/New_York",
        "recurrence": "rrule",
        "rule": "FREQ=WEEKLY;BYDAY=MO",
        "lead_amount": "3",
        "lead_unit": "hours",
        "notify_in_app": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (0, (0, "minutes")),
        (90, (90, "minutes")),
        (120, (2, "hours")),
        (1440, (1, "days")),
        (2880, (2, "days")),
    ],
)
def test_a_lead_time_shows_in_its_largest_whole_unit(minutes: int, expected: tuple[int, str]) -> None:
    assert lead_in_units(minutes) == expected


def test_the_form_gives_the_services_their_values() -> None:
    form = ReminderForm(_data())
    assert form.is_valid(), form.errors
    assert form.service_values() == {
        "title": "Back up",
        "description": "",
        "reminder_type": "backup",
        "start_date": date(2030, 1, 7),
        "start_time": time(9, 0),
        "time_zone": "America/New_York",
        "recurrence": "rrule",
        "rule": "FREQ=WEEKLY;BYDAY=MO",
        "lead_minutes": 180,
        "notify_email": False,
        "notify_in_app": True,
        "related_project": "",
        "action_url": "",
    }


def test_a_rule_left_in_the_field_is_dropped_for_a_preset() -> None:
    form = ReminderForm(_data(recurrence="weekly"))
    assert form.is_valid()
    assert form.service_values()["rule"] == ""


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"recurrence": "cron", "rule": ""}, "rule"),
        ({"lead_amount": "721", "lead_unit": "hours"}, "lead_amount"),
        ({"lead_amount": "-5"}, "lead_amount"),
        ({"lead_amount": "1e400"}, "lead_amount"),
        ({"time_zone": "Local/Time"}, "time_zone"),
        ({"start_date": "31/01/2030"}, "start_date"),
    ],
)
def test_the_form_refuses_what_it_can_check_itself(overrides: dict[str, str], field: str) -> None:
    form = ReminderForm(_data(**overrides))
    assert not form.is_valid()
    assert field in form.errors


def test_service_errors_land_on_their_fields() -> None:
    form = ReminderForm(_data())
    assert form.is_valid()
    add_service_errors(
        form,
        ValidationError(
            {"title": ["Too long."], "lead_minutes": ["Too far."], "related_integration_id": ["No."]}
        ),
    )
    assert form.errors["title"] == ["Too long."]
    assert form.errors["lead_amount"] == ["Too far."]
    assert form.non_field_errors() == ["No."]


def test_the_schedule_form_is_the_previews_part_of_the_form() -> None:
    assert set(ScheduleForm.base_fields) == {"start_date", "start_time", "time_zone", "recurrence", "rule"}
    assert set(ScheduleForm.base_fields) < set(ReminderForm.base_fields)


def test_a_chosen_snooze_time_is_a_wall_time_in_the_persons_zone() -> None:
    form = SnoozeForm({"until": "2030-07-01T09:30"}, zone_name="Europe/Madrid")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["until"] == datetime(2030, 7, 1, 7, 30, tzinfo=UTC)  # CEST is UTC+2


@pytest.mark.parametrize("data", [{}, {"preset": "2h"}, {"until": "soon"}, {"until": "2030-13-01T09:00"}])
def test_a_snooze_needs_a_preset_or_a_time(data: dict[str, str]) -> None:
    assert not SnoozeForm(data, zone_name="UTC").is_valid()
