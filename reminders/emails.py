"""A reminder's email: text and HTML, in the person's language, the due time in their zone.

The message carries signed links (``reminders.links``) to open the reminder, mark it done, and snooze
it for 10 minutes, an hour or until tomorrow morning, which work without signing in for
``REMINDER_LINK_MAX_AGE``; and the reminder's own page in the app. Every address is absolute
(``SITE_URL``): a message has no request to take a host from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.utils import formats, translation

from reminders.errors import InvalidTimeZone
from reminders.links import link_url
from reminders.models import Delivery, Reminder
from reminders.recurrence import to_wall, zone_named

SNOOZE_CHOICES = ("10m", "1h", "tomorrow")


def language_of(user: Any) -> str:
    """The person's interface language, else the site's."""
    languages = {code for code, _name in settings.LANGUAGES}
    return user.language if getattr(user, "language", "") in languages else settings.LANGUAGE_CODE


def local_text(moment: datetime, *, zone_name: str) -> str:
    """An instant as the person reads it: localized (the active language), in their zone, named."""
    try:
        zone = zone_named(zone_name)
    except InvalidTimeZone:
        zone = zone_named("UTC")
    return f"{formats.date_format(to_wall(moment, zone), 'DATETIME_FORMAT')} ({zone.key})"


def due_text(reminder: Reminder, *, zone_name: str) -> str:
    """The reminder's current occurrence, as ``local_text``."""
    return local_text(reminder.due_at, zone_name=zone_name)


def email_context(delivery: Delivery, *, zone_name: str | None = None) -> dict[str, Any]:
    """What the templates show; call it under the person's language. ``zone_name``: the person's
    zone when the caller has it already (default: read from their settings)."""
    from preferences.services import time_zone_of

    reminder, user = delivery.reminder, delivery.user
    occurrence = delivery.occurrence
    site = settings.SITE_URL.rstrip("/")
    return {
        "user": user,
        "name": user.get_short_name(),
        "reminder": reminder,
        "title": " ".join(reminder.title.split()),
        "due": due_text(reminder, zone_name=zone_name or time_zone_of(user)),
        "subject_prefix": settings.ACCOUNT_EMAIL_SUBJECT_PREFIX,
        "snoozed": delivery.snooze_round > 0,
        "open_url": link_url(action="open", reminder_id=reminder.pk, occurrence=occurrence),
        "complete_url": link_url(action="complete", reminder_id=reminder.pk, occurrence=occurrence),
        "snooze_urls": [
            (
                choice,
                link_url(
                    action="snooze", reminder_id=reminder.pk, occurrence=occurrence, query=f"for={choice}"
                ),
            )
            for choice in SNOOZE_CHOICES
        ],
        "app_url": f"{site}/reminders/{reminder.pk}/",
        "site_url": site,
        "max_age_hours": settings.REMINDER_LINK_MAX_AGE // 3600,
    }


def reminder_email(
    delivery: Delivery, *, connection: BaseEmailBackend | None = None, zone_name: str | None = None
) -> EmailMultiAlternatives:
    """The email of one delivery (its reminder and user loaded), ready to send."""
    with translation.override(language_of(delivery.user)):
        context = email_context(delivery, zone_name=zone_name)
        subject = render_to_string("reminders/email/subject.txt", context)
        text = render_to_string("reminders/email/reminder.txt", context)
        html = render_to_string("reminders/email/reminder.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # one line: a header can't carry a newline
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.user.email],
        connection=connection,
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    return message
