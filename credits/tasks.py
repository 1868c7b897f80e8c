"""Celery tasks of the credits app: thin callers of ``credits.services``."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from credits import services


@shared_task(
    ignore_result=False,
    # A database that is briefly away (failover, restart) is worth retrying; anything else is a bug.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def renew_allowances() -> int:
    """Renew every due Free and annual allowance; returns how many (``manage.py renew_allowances`` too)."""
    # Safe to run twice and from two workers: each renewal is keyed on its account and period.
    return services.renew_due_allowances()
