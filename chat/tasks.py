"""Celery tasks of the chat app: thin callers of ``chat.services``."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from chat import services


@shared_task(
    ignore_result=False,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def fail_abandoned_replies() -> int:
    """Fail replies whose stream was lost (a web process died) and release their credits."""
    # Safe to run twice: a reply is failed only while still "streaming", settling is idempotent.
    return services.fail_abandoned_replies()
