"""Rotation by reminder (GitHub: no rotation API): exactly one open ``rotate_keys`` reminder per
auto-rotating connection, due at its next rotation, moved with the schedule, cancelled when
auto-rotation stops or it is disconnected, completed (and the next one planned) when a person
enters a new key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from integrations import services
from integrations.models import Activity, ActivityAction
from integrations.providers.github.tests.fake import FakeGitHub
from integrations.providers.vercel.tests.fake import FakeVercel
from integrations.tests.factories import connected_github, connected_vercel
from reminders.models import Reminder, ReminderStatus, ReminderType

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _rotation_reminders(integration: Any, *statuses: str) -> list[Reminder]:
    found = Reminder.objects.filter(
        related_integration_id=integration.pk, reminder_type=ReminderType.ROTATE_KEYS
    )
    if statuses:
        found = found.filter(status__in=statuses)
    return list(found.order_by("created_at"))


@time_machine.travel(NOW, tick=False)
def test_connecting_with_auto_rotate_sets_one_reminder(alice: Any, fake_github: FakeGitHub) -> None:
    integration = connected_github(alice, fake_github, rotation_schedule="monthly", now=NOW)

    (reminder,) = _rotation_reminders(integration)
    assert integration.next_rotation_at == datetime(2026, 4, 10, 12, 0, tzinfo=UTC)
    assert reminder.due_at == integration.next_rotation_at
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.user == alice
    assert reminder.action_url == "https://github.com/settings/personal-access-tokens"
    assert reminder.description.startswith("1. Open GitHub's personal access tokens page")
    assert "My GitHub" in reminder.title
    logged = Activity.objects.filter(integration=integration, action=ActivityAction.ROTATION_REMINDER)
    assert logged.count() == 1

    # Planning again changes nothing.
    services.plan_rotation(integration_id=integration.pk, now=NOW)
    assert len(_rotation_reminders(integration)) == 1


@time_machine.travel(NOW, tick=False)
def test_the_reminder_is_in_the_persons_language(fake_github: FakeGitHub, db: None) -> None:
    from conftest import make_user

    elena = make_user("elena@example.com", language="es")
    integration = connected_github(elena, fake_github, now=NOW)
    (reminder,) = _rotation_reminders(integration)
    assert reminder.title.startswith("Rota la clave")


@time_machine.travel(NOW, tick=False)
def test_the_reminder_moves_with_the_schedule(alice: Any, fake_github: FakeGitHub) -> None:
    integration = connected_github(alice, fake_github, rotation_schedule="monthly", now=NOW)
    services.update_integration(
        user=alice, integration_id=integration.pk, rotation_schedule="weekly", now=NOW
    )
    (reminder,) = _rotation_reminders(integration)
    assert reminder.due_at == NOW + timedelta(weeks=1)


@time_machine.travel(NOW, tick=False)
def test_turning_auto_rotate_off_cancels_it(alice: Any, fake_github: FakeGitHub) -> None:
    integration = connected_github(alice, fake_github, now=NOW)
    services.update_integration(user=alice, integration_id=integration.pk, auto_rotate=False, now=NOW)
    assert _rotation_reminders(integration, ReminderStatus.PENDING, ReminderStatus.SNOOZED) == []
    assert [r.status for r in _rotation_reminders(integration)] == [ReminderStatus.CANCELLED]

    services.update_integration(user=alice, integration_id=integration.pk, auto_rotate=True, now=NOW)
    assert len(_rotation_reminders(integration, ReminderStatus.PENDING)) == 1


@time_machine.travel(NOW, tick=False)
def test_disconnecting_cancels_it(alice: Any, fake_github: FakeGitHub) -> None:
    integration = connected_github(alice, fake_github, now=NOW)
    services.disconnect(user=alice, integration_id=integration.pk, now=NOW)
    assert [r.status for r in _rotation_reminders(integration)] == [ReminderStatus.CANCELLED]


def test_entering_a_new_key_completes_it_and_plans_the_next(alice: Any, fake_github: FakeGitHub) -> None:
    with time_machine.travel(NOW, tick=False):
        integration = connected_github(alice, fake_github, now=NOW)
    later = NOW + timedelta(days=20)
    with time_machine.travel(later, tick=False):
        services.update_integration(
            user=alice,
            integration_id=integration.pk,
            values={"personal_access_token": fake_github.new_token()},
            now=later,
        )
    first, second = _rotation_reminders(integration)
    assert first.status == ReminderStatus.COMPLETED
    assert second.status == ReminderStatus.PENDING
    integration.refresh_from_db()
    assert integration.last_rotated_at == later
    assert second.due_at == integration.next_rotation_at == datetime(2026, 4, 30, 12, 0, tzinfo=UTC)


def test_an_overdue_reminder_is_left_where_it_is(alice: Any, fake_github: FakeGitHub) -> None:
    with time_machine.travel(NOW, tick=False):
        integration = connected_github(alice, fake_github, now=NOW)
    (reminder,) = _rotation_reminders(integration)
    later = NOW + timedelta(days=40)
    with time_machine.travel(later, tick=False):
        services.plan_rotation(integration_id=integration.pk, now=later)
    (still,) = _rotation_reminders(integration)
    assert still.pk == reminder.pk
    assert still.due_at == reminder.due_at


def test_a_provider_that_rotates_by_api_gets_no_reminder(alice: Any, fake_vercel: FakeVercel) -> None:
    integration = connected_vercel(alice, fake_vercel, now=timezone.now())
    assert _rotation_reminders(integration) == []


@time_machine.travel(NOW, tick=False)
def test_a_second_open_reminder_is_cancelled(alice: Any, fake_github: FakeGitHub) -> None:
    from reminders import services as reminder_services

    integration = connected_github(alice, fake_github, now=NOW)
    reminder_services.create_reminder(
        user=alice,
        title="A copy",
        reminder_type=ReminderType.ROTATE_KEYS,
        related_integration_id=integration.pk,
        start_date=(NOW + timedelta(days=2)).date(),
        start_time=NOW.time(),
        now=NOW,
    )
    services.plan_rotation(integration_id=integration.pk, now=NOW)
    assert len(_rotation_reminders(integration, ReminderStatus.PENDING)) == 1
