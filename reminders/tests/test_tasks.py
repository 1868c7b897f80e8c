"""A real Celery worker and beat: a due reminder becomes exactly one email and one notification."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from celery.beat import EmbeddedService
from django.core import mail
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from accounts.models import User
from conftest import make_user
from javari.celery import app
from javari.tests.test_celery import worker  # noqa: F401 (a fixture: a real worker)
from reminders.models import Channel, Delivery, DeliveryStatus, Notification
from reminders.tasks import dispatch_reminders, send_reminder_emails
from reminders.tests.dispatch_helpers import due_reminder


@pytest.fixture
def beat(worker: None) -> Iterator[None]:  # noqa: F811
    """celery beat with the project's DatabaseScheduler, in a thread of this process (test database)."""
    service = EmbeddedService(app, thread=True, scheduler_cls=DatabaseScheduler, max_interval=1)
    service.start()
    try:
        yield
    finally:
        service.stop()


def _wait_for(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_beat_and_a_worker_deliver_a_due_reminder_once(beat: None) -> None:
    alice = make_user("alice@example.com")
    reminder, _due = due_reminder(alice, lead_minutes=2 * 24 * 60)  # due already

    assert _wait_for(
        lambda: Delivery.objects.filter(channel=Channel.EMAIL, status=DeliveryStatus.SENT).exists()
    )
    time.sleep(6)  # at least one more beat tick: it must find nothing new
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert Notification.objects.filter(user=alice).count() == 1
    assert Delivery.objects.filter(reminder=reminder).count() == 2


def test_the_tasks_run_in_a_worker_and_twice_is_harmless(worker: None) -> None:  # noqa: F811
    alice: User = make_user("alice@example.com")
    due_reminder(alice, lead_minutes=2 * 24 * 60)
    first = dispatch_reminders.delay().get(timeout=20)
    assert first == {"reminders": 1, "in_app": 1, "emails_written": 1, "emails_claimed": 1}
    email = Delivery.objects.get(channel=Channel.EMAIL)
    assert _wait_for(lambda: Delivery.objects.filter(pk=email.pk, status=DeliveryStatus.SENT).exists())
    assert dispatch_reminders.delay().get(timeout=20)["emails_claimed"] == 0
    assert send_reminder_emails.delay(email.pk).get(timeout=20) == 0
    assert len(mail.outbox) == 1


def test_the_beat_entry_runs_every_5_seconds_and_expires_before_the_next(transactional_db: None) -> None:
    DatabaseScheduler(app=app)
    task = PeriodicTask.objects.get(name="dispatch-reminders")
    assert task.task == "reminders.tasks.dispatch_reminders"
    assert (task.interval.every, task.interval.period) == (5, "seconds")
    assert 0 < task.expire_seconds < 5


def test_send_task_arguments_are_ids(db: None, django_capture_on_commit_callbacks) -> None:
    alice = make_user("alice@example.com")
    _reminder, due = due_reminder(alice)
    from reminders.services import dispatch

    with django_capture_on_commit_callbacks() as callbacks:
        result = dispatch(now=due + timedelta(seconds=1))
    assert [c.args for c in callbacks] == [tuple(result.claimed_ids)]
    assert all(isinstance(value, int) for value in result.claimed_ids)
    assert timezone.now() < due + timedelta(days=2)
