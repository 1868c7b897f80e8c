"""Celery tasks of the integrations app: thin callers of its services, queued with ids only."""

from __future__ import annotations

from celery import shared_task

from javari.celery import DATABASE_TASK_OPTIONS


@shared_task(**DATABASE_TASK_OPTIONS)
def rotate_due_keys() -> dict[str, int]:
    """The daily rotation pass (``rotate-due-keys`` beat entry); returns its counts. Safe to
    overlap with itself and to run twice: claims are ``SKIP LOCKED`` and each rotation holds a lease."""
    from integrations.services.rotation import rotate_due

    return rotate_due()


@shared_task(**DATABASE_TASK_OPTIONS)
def check_integrations() -> dict[str, int]:
    """The hourly health check (``check-integrations`` beat entry); returns its counts. Safe to run
    twice: each check is claimed ``SKIP LOCKED`` and every warning is keyed."""
    from integrations.services.health import check_due

    return check_due()


@shared_task(**DATABASE_TASK_OPTIONS)
def send_integration_email(integration_id: str, kind: str) -> bool:
    """Send the "stopped working" (``kind="error"``) or "expires soon" (``"expiring"``) email about
    an integration, if it is still so; returns whether one went. A missing integration sends nothing."""
    from integrations.emails import send_integration_email as send

    return send(integration_id=integration_id, kind=kind)
