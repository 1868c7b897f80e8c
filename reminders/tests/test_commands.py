"""``manage.py dispatch_reminders``: one pass by hand."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from accounts.models import User
from reminders.models import Channel, Delivery, DeliveryStatus
from reminders.tests.dispatch_helpers import due_reminder

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("dispatch_reminders", *args, stdout=out)
    return out.getvalue()


def test_one_pass_with_send_delivers_and_prints_the_counts(alice: User) -> None:
    due_reminder(alice, lead_minutes=2 * 24 * 60)
    output = _run("--send")
    assert (
        "Reminders due: 1; in-app notifications: 1; emails written: 1; emails claimed: 1; emails sent: 1."
        in output
    )
    assert len(mail.outbox) == 1
    assert Delivery.objects.get(channel=Channel.EMAIL).status == DeliveryStatus.SENT
    assert "Reminders due: 0; in-app notifications: 0; emails written: 0; emails claimed: 0" in _run("--send")
    assert len(mail.outbox) == 1


def test_without_send_the_emails_are_queued_to_the_worker(
    alice: User, django_capture_on_commit_callbacks
) -> None:
    due_reminder(alice, lead_minutes=2 * 24 * 60)
    with django_capture_on_commit_callbacks() as callbacks:
        output = _run()
    assert "(queued to the worker)" in output
    assert [c.func.__self__.name for c in callbacks] == ["reminders.tasks.send_reminder_emails"]
    assert mail.outbox == []
