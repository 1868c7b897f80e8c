"""Celery tasks of the chat app: thin callers of ``chat.services``."""

from __future__ import annotations

from celery import shared_task

from chat import services
from javari.celery import DATABASE_TASK_OPTIONS


@shared_task(**DATABASE_TASK_OPTIONS)
def fail_abandoned_replies() -> int:
    """Fail replies whose stream was lost (a web process died) and release their credits."""
    # Safe to run twice: a reply is failed only while still "streaming", settling is idempotent.
    return services.fail_abandoned_replies()
