"""reminders.services.reminders: the life of a reminder (due_at, fire_occurrence, next_fire_at,
snooze rounds), every refusal with nothing written, and charlie kept out of alice's reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import uuid4

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from preferences.services import update_preferences
from reminders import services
from reminders.errors import NotFound, ReminderClosed
from reminders.models import Reminder, ReminderStatus

# A fixed "now" (Monday 1 March 2027, 12:00Z): every instant below follows from it.
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def make(user: User, *, now: datetime = NOW, **fields: Any) -> Reminder:
    values: dict[str, Any] = {
        "title": "Rotate the API keys",
        "start_date": date(2027, 3, 2),
        "start_time": time(9, 0),
        "time_zone": "UTC",
        "lead_minutes": 60,
        **fields,
    }
    return services.create_reminder(user=user, now=now, **values)


# --- Create ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_one_off_reminder_is_due_at_its_time_and_notified_its_lead_before(alice: User) -> None:
    reminder = make(alice, time_zone="Europe/Madrid")
    assert reminder.due_at == utc(2027, 3, 2, 8)  # 09:00 CET
    assert reminder.fire_occurrence == reminder.due_at
    assert reminder.next_fire_at == utc(2027, 3, 2, 7)
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.rule == ""
    assert Reminder.objects.get(pk=reminder.pk).due_at == reminder.due_at


@pytest.mark.django_db
def test_a_new_reminder_takes_the_persons_zone_channels_and_lead_time(alice: User) -> None:
    update_preferences(
        user=alice, time_zone="America/New_York", lead_minutes=15, notify_email=False, notify_in_app=True
    )
    reminder = services.create_reminder(
        user=alice, now=NOW, title="Backup", start_date=date(2027, 3, 2), start_time=time(9)
    )
    assert reminder.time_zone == "America/New_York"
    assert reminder.due_at == utc(2027, 3, 2, 14)
    assert reminder.lead_minutes == 15
    assert (reminder.notify_email, reminder.notify_in_app) == (False, True)


@pytest.mark.django_db
def test_a_recurring_reminder_starting_in_the_past_is_due_at_its_next_occurrence(alice: User) -> None:
    reminder = make(alice, start_date=date(2027, 1, 1), recurrence="daily")
    assert reminder.rule == "FREQ=DAILY"
    assert reminder.due_at == utc(2027, 3, 2, 9)
    assert reminder.next_fire_at == utc(2027, 3, 2, 8)


@pytest.mark.django_db
def test_a_custom_rule_is_stored_normalized(alice: User) -> None:
    reminder = make(alice, recurrence="rrule", rule="rrule: freq=weekly;byday=mo,we")
    assert reminder.rule == "FREQ=WEEKLY;BYDAY=MO,WE"
    assert reminder.due_at == utc(2027, 3, 3, 9)  # Tuesday the 2nd is not a Monday or Wednesday


# --- Bad input: a ValidationError naming the field, nothing written --------------------------------

BAD_FIELDS: list[tuple[str, dict[str, Any]]] = [
    ("time_zone", {"time_zone": "Mars/Olympus"}),
    ("time_zone", {"time_zone": "x" * 1_000_000}),
    ("time_zone", {"time_zone": 42}),
    ("rule", {"recurrence": "rrule", "rule": "FREQ=FORTNIGHTLY"}),
    ("rule", {"recurrence": "rrule", "rule": "FREQ=DAILY;BYMONTHDAY=31;BYMONTH=4"}),
    ("rule", {"recurrence": "rrule", "rule": "R" * 1_000_000}),
    ("rule", {"recurrence": "rrule", "rule": 5}),
    ("rule", {"recurrence": "cron", "rule": "61 * * * *"}),
    ("rule", {"recurrence": "cron", "rule": "0 0 30 2 *"}),
    ("rule", {"recurrence": "cron", "rule": "*/5 * * * *"}),  # closer than 15 minutes
    ("lead_minutes", {"lead_minutes": -1}),
    ("lead_minutes", {"lead_minutes": 10**30}),
    ("lead_minutes", {"lead_minutes": "60"}),
    ("lead_minutes", {"lead_minutes": True}),
    ("title", {"title": "x" * 201}),
    ("title", {"title": "x" * 1_000_000}),
    ("title", {"title": ""}),
    ("title", {"title": "a\x00b"}),
    ("title", {"title": "lone \ud800 surrogate"}),
    ("title", {"title": ["a list"]}),
    ("title", {"title": 123}),
    ("description", {"description": "d" * 1_000_000}),
    ("description", {"description": "nul\x00"}),
    ("related_project", {"related_project": "p" * 201}),
    ("action_url", {"action_url": "javascript:alert(1)"}),
    ("action_url", {"action_url": 7}),
    ("related_integration_id", {"related_integration_id": "not-a-uuid"}),
    ("related_integration_id", {"related_integration_id": 12}),
    ("reminder_type", {"reminder_type": "nap"}),
    ("reminder_type", {"reminder_type": ["custom"]}),
    ("recurrence", {"recurrence": "fortnightly"}),
    ("recurrence", {"recurrence": {"daily": 1}}),
    ("start_date", {"start_date": "2027-03-02"}),
    ("start_date", {"start_date": datetime(2027, 3, 2, 9)}),
    ("start_time", {"start_time": "09:00"}),
    ("start_time", {"start_time": 900}),
    ("start_time", {"start_date": date(2027, 2, 28)}),  # a one-off already passed
    ("start_time", {"start_date": date(2040, 1, 1)}),  # beyond the 10-year horizon
    ("notify_email", {"notify_email": "yes"}),
    ("notify_in_app", {"notify_in_app": 1}),
    ("colour", {"colour": "red"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "bad"), BAD_FIELDS, ids=[f"{f}-{i}" for i, (f, _b) in enumerate(BAD_FIELDS)]
)
def test_bad_input_is_a_validation_error_naming_the_field_and_writes_nothing(
    alice: User, field: str, bad: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as caught:
        make(alice, **bad)
    assert field in caught.value.message_dict
    assert all(message for message in caught.value.message_dict[field])
    assert not Reminder.objects.exists()


@pytest.mark.django_db
def test_every_bad_field_is_named_at_once(alice: User) -> None:
    with pytest.raises(ValidationError) as caught:
        make(alice, title="", lead_minutes=-5, time_zone="Nowhere/Land")
    assert {"title", "lead_minutes", "time_zone"} <= caught.value.message_dict.keys()


@pytest.mark.django_db
def test_bad_input_to_an_update_changes_nothing(alice: User) -> None:
    reminder = make(alice)
    for bad in (
        {"title": "x" * 201},
        {"time_zone": "Mars/Olympus"},
        {"rule": "FREQ=NEVER", "recurrence": "rrule"},
    ):
        with pytest.raises(ValidationError):
            services.update_reminder(user=alice, reminder_id=reminder.pk, now=NOW, **bad)
    stored = Reminder.objects.get(pk=reminder.pk)
    assert (stored.title, stored.time_zone, stored.recurrence) == (reminder.title, "UTC", "none")
    assert stored.due_at == reminder.due_at


# --- Update -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_editing_the_title_keeps_the_schedule_and_a_snooze(alice: User) -> None:
    reminder = make(alice, recurrence="daily")
    services.snooze_reminder(user=alice, reminder_id=reminder.pk, until=NOW + timedelta(hours=1), now=NOW)
    updated = services.update_reminder(user=alice, reminder_id=reminder.pk, now=NOW, title="  New   title ")
    assert updated.title == "New title"
    assert updated.status == ReminderStatus.SNOOZED
    assert updated.due_at == utc(2027, 3, 2, 9)


@pytest.mark.django_db
def test_editing_the_schedule_restarts_the_series_from_now(alice: User) -> None:
    reminder = make(alice, recurrence="daily")
    services.snooze_reminder(user=alice, reminder_id=reminder.pk, until=NOW + timedelta(hours=1), now=NOW)
    updated = services.update_reminder(
        user=alice, reminder_id=reminder.pk, now=NOW, start_time=time(18, 0), time_zone="Europe/Madrid"
    )
    assert updated.due_at == utc(2027, 3, 2, 17)  # 18:00 CET on its start date
    assert updated.status == ReminderStatus.PENDING
    assert updated.snoozed_until is None
    assert updated.snooze_round == 0


@pytest.mark.django_db
def test_a_rule_retyped_in_lower_case_is_not_a_schedule_change(alice: User) -> None:
    reminder = make(alice, recurrence="rrule", rule="FREQ=DAILY")
    services.snooze_reminder(user=alice, reminder_id=reminder.pk, until=NOW + timedelta(hours=1), now=NOW)
    updated = services.update_reminder(user=alice, reminder_id=reminder.pk, now=NOW, rule="freq=daily")
    assert updated.status == ReminderStatus.SNOOZED


@pytest.mark.django_db
def test_changing_the_lead_time_moves_the_next_notice(alice: User) -> None:
    reminder = make(alice)
    updated = services.update_reminder(user=alice, reminder_id=reminder.pk, now=NOW, lead_minutes=0)
    assert updated.next_fire_at == updated.due_at == utc(2027, 3, 2, 9)


@pytest.mark.django_db
def test_update_refuses_unknown_fields(alice: User) -> None:
    reminder = make(alice)
    with pytest.raises(ValidationError) as caught:
        services.update_reminder(user=alice, reminder_id=reminder.pk, now=NOW, user_id=1)
    assert "user_id" in caught.value.message_dict


# --- Complete ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_completing_a_one_off_closes_it(alice: User) -> None:
    reminder = make(alice)
    done = services.complete_reminder(user=alice, reminder_id=reminder.pk, now=NOW)
    assert done.status == ReminderStatus.COMPLETED
    assert done.completed_at == NOW
    assert (done.fire_occurrence, done.next_fire_at) == (None, None)
    with pytest.raises(ReminderClosed):
        services.complete_reminder(user=alice, reminder_id=reminder.pk, now=NOW)


@pytest.mark.django_db
def test_completing_an_overdue_occurrence_moves_to_the_next_after_now(alice: User) -> None:
    reminder = make(alice, recurrence="daily", start_date=date(2027, 2, 20), now=utc(2027, 2, 20))
    assert reminder.due_at == utc(2027, 2, 20, 9)
    later = utc(2027, 2, 25, 12)  # five occurrences left undone
    done = services.complete_reminder(user=alice, reminder_id=reminder.pk, now=later)
    assert done.status == ReminderStatus.PENDING
    assert done.due_at == utc(2027, 2, 26, 9)
    assert done.fire_occurrence is not None
    assert done.fire_occurrence >= done.due_at
    assert done.completed_at == later


@pytest.mark.django_db
def test_completing_a_future_occurrence_early_moves_to_the_one_after_it(alice: User) -> None:
    reminder = make(alice, recurrence="weekly")  # Tuesdays 09:00
    done = services.complete_reminder(user=alice, reminder_id=reminder.pk, now=NOW)
    assert done.due_at == utc(2027, 3, 9, 9)
    assert done.next_fire_at == utc(2027, 3, 9, 8)


@pytest.mark.django_db
def test_completing_the_series_ends_it(alice: User) -> None:
    reminder = make(alice, recurrence="daily")
    done = services.complete_reminder(user=alice, reminder_id=reminder.pk, series=True, now=NOW)
    assert done.status == ReminderStatus.COMPLETED
    assert done.next_fire_at is None


@pytest.mark.django_db
def test_completing_the_last_occurrence_of_a_counted_rule_completes_it(alice: User) -> None:
    reminder = make(alice, recurrence="rrule", rule="FREQ=DAILY;COUNT=2")
    first = services.complete_reminder(user=alice, reminder_id=reminder.pk, now=NOW)
    assert first.status == ReminderStatus.PENDING
    assert first.due_at == utc(2027, 3, 3, 9)
    last = services.complete_reminder(user=alice, reminder_id=reminder.pk, now=NOW)
    assert last.status == ReminderStatus.COMPLETED


# --- Cancel and delete ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cancel_stops_every_notice(alice: User) -> None:
    reminder = make(alice, recurrence="daily")
    cancelled = services.cancel_reminder(user=alice, reminder_id=reminder.pk)
    assert cancelled.status == ReminderStatus.CANCELLED
    assert (cancelled.fire_occurrence, cancelled.next_fire_at) == (None, None)
    with pytest.raises(ReminderClosed):
        services.cancel_reminder(user=alice, reminder_id=reminder.pk)
    with pytest.raises(ReminderClosed):
        services.snooze_reminder(user=alice, reminder_id=reminder.pk, until=NOW + timedelta(hours=1), now=NOW)


@pytest.mark.django_db
def test_delete_removes_the_reminder(alice: User) -> None:
    reminder = make(alice)
    services.delete_reminder(user=alice, reminder_id=reminder.pk)
    assert not Reminder.objects.filter(pk=reminder.pk).exists()
    with pytest.raises(NotFound):
        services.delete_reminder(user=alice, reminder_id=reminder.pk)


# --- Snooze -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_snooze_presets(alice: User) -> None:
    update_preferences(user=alice, time_zone="Europe/Madrid")
    assert services.snooze_until(user=alice, preset="10m", now=NOW) == NOW + timedelta(minutes=10)
    assert services.snooze_until(user=alice, preset="1h", now=NOW) == NOW + timedelta(hours=1)
    # Tomorrow 09:00 in Madrid (CET, +01:00).
    assert services.snooze_until(user=alice, preset="tomorrow", now=NOW) == utc(2027, 3, 2, 8)
    # Late in the evening in UTC is already tomorrow in Madrid: 09:00 of the day after.
    assert services.snooze_until(user=alice, preset="tomorrow", now=utc(2027, 3, 1, 23, 30)) == utc(
        2027, 3, 3, 8
    )


@pytest.mark.django_db
def test_snooze_tomorrow_on_the_day_clocks_change_is_nine_local(alice: User) -> None:
    update_preferences(user=alice, time_zone="America/New_York")
    assert services.snooze_until(user=alice, preset="tomorrow", now=utc(2027, 3, 13, 18)) == utc(
        2027, 3, 14, 13
    )


@pytest.mark.django_db
@pytest.mark.parametrize("preset", ["2h", "", "TOMORROW", None, ["10m"], 10])
def test_an_unknown_snooze_preset_is_refused(alice: User, preset: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        services.snooze_until(user=alice, preset=preset, now=NOW)
    assert "until" in caught.value.message_dict


@pytest.mark.django_db
def test_a_snooze_moves_this_occurrence_only_in_a_new_round(alice: User) -> None:
    reminder = make(alice, recurrence="daily", lead_minutes=0)
    until = utc(2027, 3, 2, 9, 10)
    snoozed = services.snooze_reminder(user=alice, reminder_id=reminder.pk, until=until, now=NOW)
    assert snoozed.status == ReminderStatus.SNOOZED
    assert snoozed.snoozed_until == until
    assert snoozed.snooze_round == 1
    assert snoozed.due_at == utc(2027, 3, 2, 9)  # still the current occurrence
    # Its first notice is replaced by the snooze's; the next occurrence keeps its time.
    assert snoozed.fire_occurrence == utc(2027, 3, 3, 9)
    assert snoozed.next_fire_at == until
    again = services.snooze_reminder(
        user=alice, reminder_id=reminder.pk, until=until + timedelta(hours=1), now=NOW
    )
    assert again.snooze_round == 2
    assert again.fire_occurrence == utc(2027, 3, 3, 9)


@pytest.mark.django_db
def test_a_snoozed_one_off_has_nothing_after_the_snooze(alice: User) -> None:
    reminder = make(alice)
    snoozed = services.snooze_reminder(
        user=alice, reminder_id=reminder.pk, until=NOW + timedelta(hours=2), now=NOW
    )
    assert snoozed.fire_occurrence is None
    assert snoozed.next_fire_at == NOW + timedelta(hours=2)
    done = services.complete_reminder(user=alice, reminder_id=reminder.pk, now=NOW)
    assert done.status == ReminderStatus.COMPLETED
    assert done.snoozed_until is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "until",
    [
        NOW - timedelta(minutes=1),
        NOW,
        NOW + timedelta(days=30, seconds=1),
        datetime(2027, 3, 1, 13, 0),  # naive
        "2027-03-01T13:00:00Z",
        None,
        1_000_000_000,
    ],
)
def test_snooze_bounds(alice: User, until: Any) -> None:
    reminder = make(alice)
    with pytest.raises(ValidationError) as caught:
        services.snooze_reminder(user=alice, reminder_id=reminder.pk, until=until, now=NOW)
    assert "until" in caught.value.message_dict
    stored = Reminder.objects.get(pk=reminder.pk)
    assert (stored.status, stored.snooze_round) == (ReminderStatus.PENDING, 0)


@pytest.mark.django_db
def test_a_snooze_of_exactly_30_days_is_taken(alice: User) -> None:
    reminder = make(alice)
    snoozed = services.snooze_reminder(
        user=alice, reminder_id=reminder.pk, until=NOW + timedelta(days=30), now=NOW
    )
    assert snoozed.snoozed_until == NOW + timedelta(days=30)


# --- A person who changes time zone -------------------------------------------------------------------


@pytest.mark.django_db
def test_moving_to_a_new_zone_keeps_the_wall_time(alice: User) -> None:
    update_preferences(user=alice, time_zone="America/New_York")
    reminder = make(alice, time_zone="America/New_York", recurrence="daily")
    assert reminder.due_at == utc(2027, 3, 2, 14)  # 09:00 EST
    update_preferences(user=alice, time_zone="Europe/Madrid")
    assert services.move_reminders_to_zone(user=alice, time_zone="Europe/Madrid", now=NOW) == 1
    moved = Reminder.objects.get(pk=reminder.pk)
    assert moved.time_zone == "Europe/Madrid"
    assert moved.start_time == time(9)
    assert moved.due_at == utc(2027, 3, 2, 8)  # 09:00 CET
    assert moved.next_fire_at == utc(2027, 3, 2, 7)


@pytest.mark.django_db
def test_without_the_move_a_reminder_keeps_its_instants(alice: User) -> None:
    update_preferences(user=alice, time_zone="America/New_York")
    reminder = make(alice, time_zone="America/New_York", recurrence="daily")
    update_preferences(user=alice, time_zone="Europe/Madrid")
    kept = Reminder.objects.get(pk=reminder.pk)
    assert (kept.time_zone, kept.due_at) == ("America/New_York", utc(2027, 3, 2, 14))
    assert services.schedule_of(kept).next_after(kept.due_at) == utc(2027, 3, 3, 14)


@pytest.mark.django_db
def test_the_move_leaves_closed_and_same_zone_reminders_and_keeps_a_snooze(alice: User) -> None:
    snoozed = make(alice, time_zone="America/New_York", recurrence="daily")
    services.snooze_reminder(user=alice, reminder_id=snoozed.pk, until=NOW + timedelta(hours=3), now=NOW)
    done = make(alice, time_zone="America/New_York")
    services.complete_reminder(user=alice, reminder_id=done.pk, now=NOW)
    already = make(alice, time_zone="Europe/Madrid")
    assert services.move_reminders_to_zone(user=alice, time_zone="Europe/Madrid", now=NOW) == 1
    moved = Reminder.objects.get(pk=snoozed.pk)
    assert moved.status == ReminderStatus.SNOOZED
    assert moved.snoozed_until == NOW + timedelta(hours=3)
    assert moved.snooze_round == 1
    assert moved.next_fire_at == NOW + timedelta(hours=3)
    assert Reminder.objects.get(pk=done.pk).time_zone == "America/New_York"
    assert Reminder.objects.get(pk=already.pk).due_at == already.due_at


@pytest.mark.django_db
def test_the_move_refuses_an_unknown_zone(alice: User) -> None:
    from reminders.errors import InvalidTimeZone

    make(alice)
    with pytest.raises(InvalidTimeZone):
        services.move_reminders_to_zone(user=alice, time_zone="Mars/Olympus", now=NOW)


# --- Charlie -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_charlie_finds_none_of_alices_reminders_through_any_service(alice: User, charlie: User) -> None:
    reminder = make(alice)
    pk = reminder.pk
    calls = [
        lambda: services.get_reminder(user=charlie, reminder_id=pk),
        lambda: services.update_reminder(user=charlie, reminder_id=pk, title="Mine now"),
        lambda: services.complete_reminder(user=charlie, reminder_id=pk),
        lambda: services.complete_reminder(user=charlie, reminder_id=pk, series=True),
        lambda: services.cancel_reminder(user=charlie, reminder_id=pk),
        lambda: services.snooze_reminder(
            user=charlie, reminder_id=pk, until=NOW + timedelta(hours=1), now=NOW
        ),
        lambda: services.delete_reminder(user=charlie, reminder_id=pk),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert services.move_reminders_to_zone(user=charlie, time_zone="Asia/Tokyo", now=NOW) == 0
    stored = Reminder.objects.get(pk=pk)
    assert (stored.title, stored.status, stored.time_zone) == (reminder.title, ReminderStatus.PENDING, "UTC")


@pytest.mark.django_db
@pytest.mark.parametrize("reminder_id", ["not-a-uuid", "", None, 12, str(uuid4()), "\x00", ["x"]])
def test_a_missing_or_malformed_id_is_not_found(alice: User, reminder_id: Any) -> None:
    with pytest.raises(NotFound):
        services.get_reminder(user=alice, reminder_id=reminder_id)
    with pytest.raises(NotFound):
        services.cancel_reminder(user=alice, reminder_id=reminder_id)
