from __future__ import annotations

import smtplib

from celery import shared_task
from django.contrib.sessions.models import Session
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from accounts.models import OutgoingEmail


@shared_task(ignore_result=False)
def clear_expired_sessions() -> int:
    """Delete sessions past their expiry; returns how many went (``manage.py clearsessions`` too)."""
    deleted, _by_model = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task(
    ignore_result=False,
    # A mail server that is briefly away: retried with backoff, the row kept until it is sent.
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def send_account_email(email_id: str) -> bool:
    """Send one stored account email and delete it; False when it was already sent (a retry)."""
    with transaction.atomic(durable=True):
        # Locked: two deliveries of the same task message never send it twice.
        email = OutgoingEmail.objects.select_for_update(skip_locked=True).filter(pk=email_id).first()
        if email is None:
            return False
        message = EmailMultiAlternatives(
            email.subject, email.body, email.from_email, email.to, headers=email.headers or None
        )
        if email.html:
            message.attach_alternative(email.html, "text/html")
        message.send()
        email.delete()
    return True
