"""Celery tasks of the reminders app: thin callers of ``reminders.services.dispatch``."""

from __future__ import annotations

from celery import shared_task

from javari.celery import DATABASE_TASK_OPTIONS
from reminders.services.dispatch import dispatch, send_emails


@shared_task(**DATABASE_TASK_OPTIONS)
def dispatch_reminders() -> dict[str, int]:
    """One dispatch pass (the ``dispatch-reminders`` beat entry, every 5 s); returns its counts.

    Safe to overlap with itself and to run twice: every claim is ``SKIP LOCKED`` and every notice is
    keyed on (reminder, occurrence, round, channel).
    """
    return dispatch().as_dict()


@shared_task(**DATABASE_TASK_OPTIONS)
def send_reminder_emails(*delivery_ids: int) -> int:
    """Send claimed reminder emails by delivery id; returns how many went. A failed send is retried
    by the delivery's own backoff (the next claim), not by Celery."""
    return send_emails([int(value) for value in delivery_ids])
