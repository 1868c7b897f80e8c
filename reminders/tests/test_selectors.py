"""The reminders selectors: the three lists, the type filter, the counts, pages, deliveries; each
reads only its own user's rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import pytest
from django.utils import timezone

from accounts.models import User
from reminders import selectors, services
from reminders.models import Channel, Delivery, DeliveryStatus, Reminder
from reminders.tests.factories import ReminderFactory

pytestmark = pytest.mark.django_db


def _reminder(**fields: Any) -> Reminder:
    return cast(Reminder, ReminderFactory(**fields))


def _overdue(user: User, title: str, *, days_ago: int = 2, **fields: object) -> Reminder:
    created = timezone.now() - timedelta(days=days_ago)
    # An hour after it was made (a fixed 12:00 had already passed when the test ran after noon UTC).
    start = (created + timedelta(hours=1)).replace(second=0, microsecond=0)
    return _reminder(
        user=user, title=title, start_date=start.date(), start_time=start.time(), now=created, **fields
    )


def _delivery(reminder: Reminder, channel: str, status: str, *, hours_ago: int = 1) -> Delivery:
    when = timezone.now() - timedelta(hours=hours_ago)
    return Delivery.objects.create(
        reminder=reminder,
        user=reminder.user,
        occurrence=reminder.due_at,
        channel=channel,
        due_at=when,
        available_at=when,
        status=status,
        last_error="Refused." if status == DeliveryStatus.FAILED else "",
    )


def _titles(queryset: Any) -> list[str]:
    return [reminder.title for reminder in queryset]


def test_the_lists_split_open_overdue_and_done_reminders(alice: User) -> None:
    today = timezone.now().date()
    later = _reminder(user=alice, title="later", start_date=today + timedelta(days=9))
    soon = _reminder(user=alice, title="soon", start_date=today + timedelta(days=2))
    snoozed = _overdue(alice, "snoozed past", days_ago=1)
    services.snooze_reminder(user=alice, reminder_id=snoozed.pk, until=timezone.now() + timedelta(hours=2))
    _overdue(alice, "older overdue", days_ago=5)
    _overdue(alice, "newer overdue", days_ago=2)
    first_done = _reminder(user=alice, title="first done")
    services.complete_reminder(user=alice, reminder_id=first_done.pk, now=timezone.now() - timedelta(hours=3))
    second_done = _reminder(user=alice, title="second done")
    services.cancel_reminder(user=alice, reminder_id=second_done.pk)

    # A snoozed occurrence that has passed is still "upcoming": the person chose to be told later.
    assert _titles(selectors.upcoming(user=alice)) == ["snoozed past", "soon", "later"]
    assert _titles(selectors.overdue(user=alice)) == ["older overdue", "newer overdue"]
    assert _titles(selectors.done(user=alice)) == ["second done", "first done"]
    assert selectors.counts(user=alice) == selectors.Counts(upcoming=3, overdue=2, done=2)
    assert {later.pk, soon.pk} <= set(selectors.tab(user=alice, name="anything").values_list("pk", flat=True))


def test_the_type_filter_and_the_counts_follow_it(alice: User) -> None:
    _reminder(user=alice, title="backup", reminder_type="backup")
    _reminder(user=alice, title="costs", reminder_type="review_costs")
    _overdue(alice, "old backup", reminder_type="backup")
    assert _titles(selectors.upcoming(user=alice, reminder_type="backup")) == ["backup"]
    assert selectors.counts(user=alice, reminder_type="backup") == selectors.Counts(
        upcoming=1, overdue=1, done=0
    )
    # An unknown type filters nothing out rather than failing.
    assert len(selectors.upcoming(user=alice, reminder_type="nonsense")) == 2


def test_pages_hold_twenty_and_a_bad_page_number_gives_the_nearest_page(alice: User) -> None:
    for number in range(25):
        _reminder(user=alice, title=f"r{number}")
    assert len(selectors.tab_page(user=alice, name="upcoming", page_number=1).object_list) == 20
    assert selectors.tab_page(user=alice, name="upcoming", page_number="2").number == 2
    assert selectors.tab_page(user=alice, name="upcoming", page_number="999").number == 2
    assert selectors.tab_page(user=alice, name="upcoming", page_number="x").number == 1


def test_deliveries_newest_first_and_only_the_failed_ones(alice: User) -> None:
    reminder = _reminder(user=alice)
    old = _delivery(reminder, Channel.EMAIL, DeliveryStatus.FAILED, hours_ago=5)
    new = _delivery(reminder, Channel.IN_APP, DeliveryStatus.SENT, hours_ago=1)
    assert selectors.deliveries_for(user=alice, reminder=reminder) == [new, old]
    assert list(selectors.failed_deliveries(user=alice)) == [old]


def test_charlie_reads_none_of_alices_rows(alice: User, charlie: User) -> None:
    reminder = _reminder(user=alice)
    _overdue(alice, "overdue")
    _delivery(reminder, Channel.EMAIL, DeliveryStatus.FAILED)
    for name in selectors.TABS:
        assert not selectors.tab(user=charlie, name=name).exists()
    assert selectors.counts(user=charlie) == selectors.Counts(upcoming=0, overdue=0, done=0)
    assert selectors.deliveries_for(user=charlie, reminder=reminder) == []
    assert list(selectors.failed_deliveries(user=charlie)) == []
