"""reminders.models: the rules the database keeps whatever code writes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.db import IntegrityError, transaction

from accounts.models import User
from reminders.models import Channel, Delivery, Notification, NotificationKind, Reminder

DUE = datetime(2027, 3, 2, 9, tzinfo=UTC)


def row(user: User, **fields: object) -> Reminder:
    values: dict = {
        "user": user,
        "title": "t",
        "start_date": date(2027, 3, 2),
        "start_time": time(9),
        "time_zone": "UTC",
        "due_at": DUE,
        **fields,
    }
    return Reminder(**values)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"recurrence": "none", "rule": "FREQ=DAILY"},
        {"recurrence": "daily", "rule": ""},
        {"recurrence": "hourly", "rule": "x"},
        {"status": "asleep"},
        {"reminder_type": "nap"},
        {"lead_minutes": 30 * 24 * 60 + 1},
        {"description": "d" * 5_001},
    ],
)
def test_the_database_refuses_rows_that_break_the_rules(alice: User, fields: dict) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        row(alice, **fields).save()
    assert not Reminder.objects.exists()


@pytest.mark.django_db
def test_a_delivery_is_unique_per_occurrence_round_and_channel(alice: User) -> None:
    reminder = row(alice)
    reminder.save()
    values = {"reminder": reminder, "user": alice, "occurrence": DUE, "due_at": DUE, "available_at": DUE}
    Delivery.objects.create(channel=Channel.EMAIL, **values)
    Delivery.objects.create(channel=Channel.IN_APP, **values)
    Delivery.objects.create(channel=Channel.EMAIL, snooze_round=1, **values)
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(channel=Channel.EMAIL, **values)
    assert Delivery.objects.count() == 3


@pytest.mark.django_db
def test_a_notification_key_is_unique_per_person(alice: User, bob: User) -> None:
    values = {"kind": NotificationKind.SYSTEM, "title": "t", "idempotency_key": "k"}
    Notification.objects.create(user=alice, **values)
    Notification.objects.create(user=bob, **values)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(user=alice, **values)


@pytest.mark.django_db
def test_open_means_pending_or_snoozed(alice: User) -> None:
    assert row(alice, status="pending").is_open
    assert row(alice, status="snoozed").is_open
    assert not row(alice, status="completed").is_open
    assert not row(alice, status="cancelled").is_open
    assert row(alice, recurrence="daily").repeats
    assert not row(alice).repeats
