"""An integration's emails: "this connection stopped working" and "this key expires soon".

Text and HTML, in the person's language, times in their zone, every address absolute
(``SITE_URL``). No secret is ever in one: the reason is the verification's words (which never
carry a secret) and the link goes to the integration's page. Sent by the
``send_integration_email`` task, queued on commit with the integration's id.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from integrations import providers
from integrations.models import Integration, IntegrationStatus

logger = logging.getLogger(__name__)

# What an email is about: the connection went from connected to error; the key expires soon.
KINDS = ("error", "expiring")


def _recipient(integration: Integration) -> str:
    """The person's address when they may be written to (active, primary address verified), or ''."""
    from allauth.account.models import EmailAddress

    user = integration.user
    if not user.is_active or not user.email:
        return ""
    verified = EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
    return user.email if verified else ""


def _still_true(integration: Integration, kind: str) -> bool:
    """Whether what the email says is still so when it leaves (a fixed connection gets no email)."""
    if not integration.is_active:
        return False
    if kind == "error":
        return integration.status == IntegrationStatus.ERROR
    return integration.key_expires_at is not None and integration.key_expires_at > timezone.now()


def integration_email(integration: Integration, *, kind: str) -> EmailMultiAlternatives:
    """The email ``kind`` ("error" or "expiring") about ``integration`` (its user loaded)."""
    from preferences.services import time_zone_of
    from reminders.emails import language_of, local_text

    user = integration.user
    site = settings.SITE_URL.rstrip("/")
    with translation.override(language_of(user)):
        context: dict[str, Any] = {
            "kind": kind,
            "name": user.get_short_name(),
            "integration": " ".join(integration.name.split()),
            "provider": providers.get(integration.provider).name,
            "reason": integration.status_detail,
            "expires": (
                local_text(integration.key_expires_at, zone_name=time_zone_of(user))
                if integration.key_expires_at
                else ""
            ),
            "page_url": f"{site}/integrations/{integration.pk}/",
            "site_url": site,
            "subject_prefix": settings.ACCOUNT_EMAIL_SUBJECT_PREFIX,
        }
        subject = render_to_string("integrations/emails/subject.txt", context)
        text = render_to_string("integrations/emails/notice.txt", context)
        html = render_to_string("integrations/emails/notice.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # one line: a header can't carry a newline
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    return message


def send_integration_email(*, integration_id: UUID | str, kind: str) -> bool:
    """Send the email ``kind`` about the integration if it is still so and the person can get
    email; returns whether one went. A missing integration or an unknown kind sends nothing."""
    if kind not in KINDS:
        return False
    integration = Integration.objects.select_related("user").filter(pk=integration_id).first()
    if integration is None or not _still_true(integration, kind):
        return False
    if not _recipient(integration):
        logger.info("No email about integration %s: no verified address", integration.pk)
        return False
    integration_email(integration, kind=kind).send()
    return True
