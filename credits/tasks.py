"""Celery tasks of the credits app: thin callers of ``credits.services``."""

from __future__ import annotations

from celery import shared_task

from credits import services
from javari.celery import DATABASE_TASK_OPTIONS


@shared_task(**DATABASE_TASK_OPTIONS)
def renew_allowances() -> int:
    """Renew every due Free and annual allowance; returns how many (``manage.py renew_allowances`` too)."""
    # Safe to run twice and from two workers: each renewal is keyed on its account and period.
    return services.renew_due_allowances()
