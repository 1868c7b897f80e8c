"""The demo account `make run` seeds has reminders to show, made once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.management.commands.seed_demo import DEMO_EMAIL
from accounts.models import User
from reminders.models import Recurrence, Reminder, ReminderStatus

pytestmark = pytest.mark.django_db


def test_seeding_gives_the_demo_account_upcoming_reminders_of_each_kind_once() -> None:
    call_command("seed_demo", stdout=StringIO())
    demo = User.objects.get(email=DEMO_EMAIL)
    reminders = list(Reminder.objects.filter(user=demo))
    assert {reminder.recurrence for reminder in reminders} == {
        Recurrence.WEEKLY,
        Recurrence.MONTHLY,
        Recurrence.RRULE,
        Recurrence.CRON,
    }
    now = timezone.now()
    for reminder in reminders:
        assert reminder.status == ReminderStatus.PENDING
        assert reminder.due_at > now
        assert reminder.next_fire_at is not None
        assert reminder.time_zone == "Europe/Madrid"

    call_command("seed_demo", stdout=StringIO())
    assert Reminder.objects.filter(user=demo).count() == len(reminders)


def test_a_demo_account_with_reminders_of_its_own_gets_no_demo_ones() -> None:
    call_command("seed_demo", stdout=StringIO())
    demo = User.objects.get(email=DEMO_EMAIL)
    Reminder.objects.filter(user=demo).exclude(recurrence=Recurrence.CRON).delete()
    call_command("seed_demo", stdout=StringIO())
    assert Reminder.objects.filter(user=demo).count() == 1
