from __future__ import annotations

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task(ignore_result=False)
def clear_expired_sessions() -> int:
    """Delete sessions past their expiry; returns how many went (``manage.py clearsessions`` too)."""
    deleted, _by_model = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
