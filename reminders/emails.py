"""A reminder's email: text and HTML, in the person's language, the due time in their zone.

The message carries signed links (``reminders.links``) to open the reminder, mark it done, and snooze
it for 10 minutes, an hour or until tomorrow morning, which work without signing in for
``REMINDER_LINK_MAX_AGE``; and the reminder's own page in the app. Every address is absolute
(``SITE_URL``): a message has no request to take a host from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.html import escape

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


def _render_parts(context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, text and HTML rendered from the templates in full (the reference ``reminder_email``'s
    cached skeletons are checked against in the tests)."""
    return (
        render_to_string("reminders/email/subject.txt", context),
        render_to_string("reminders/email/reminder.txt", context),
        render_to_string("reminders/email/reminder.html", context),
    )


# --- Skeletons: the templates rendered once per language and shape, the values filled in per message

# A slot in a skeleton: a private-use character around the value's name. Filling is one pass over the
# skeleton (``re.sub``), so a value that happens to contain a slot's text is never read as one.
_MARK = "\ue000"
_SLOT = re.compile(f"{_MARK}(\\w+){_MARK}")


def _slot(name: str) -> str:
    return f"{_MARK}{name}{_MARK}"


@dataclass(frozen=True)
class _Skeleton:
    subject: str
    text: str
    html: str


_skeletons: dict[tuple[Any, ...], _Skeleton] = {}
_SKELETONS_MAX = 256  # languages x 2 x 2 x settings seen: a handful in practice


def _skeleton(*, language: str, snoozed: bool, described: bool) -> _Skeleton:
    """The three parts with a slot for every per-message value, rendered once per (language, snoozed,
    has a description, the settings they read) in this process. The branches (``snoozed``, the
    description, the links' plural) and every translated phrase are the template's own; only the
    values differ from one message to the next."""
    max_age_hours = settings.REMINDER_LINK_MAX_AGE // 3600
    key = (language, snoozed, described, max_age_hours)
    skeleton = _skeletons.get(key)
    if skeleton is None:
        context = {
            "user": None,
            "name": _slot("name"),
            "reminder": {"description": _slot("description") if described else ""},
            "title": _slot("title"),
            "due": _slot("due"),
            "subject_prefix": _slot("subject_prefix"),
            "snoozed": snoozed,
            "open_url": _slot("open_url"),
            "complete_url": _slot("complete_url"),
            "snooze_urls": [(choice, _slot(f"snooze_{choice}")) for choice in SNOOZE_CHOICES],
            "app_url": _slot("app_url"),
            "site_url": _slot("site_url"),
            "max_age_hours": max_age_hours,
        }
        with translation.override(language):
            subject, text, html = _render_parts(context)
        skeleton = _Skeleton(subject=subject, text=text, html=html)
        if len(_skeletons) >= _SKELETONS_MAX:
            _skeletons.clear()
        _skeletons[key] = skeleton
    return skeleton


def _fill(skeleton: str, values: dict[str, str]) -> str:
    return _SLOT.sub(lambda match: values[match.group(1)], skeleton)


def _values(delivery: Delivery, *, zone_name: str) -> dict[str, str]:
    """Every slot's value for one message (call it under the person's language: ``due`` is
    localized). Three signed tokens, not five: the snooze links share one (the preset is in the
    query, as ``link_url(..., query=...)`` writes it)."""
    reminder, user = delivery.reminder, delivery.user
    occurrence = delivery.occurrence
    site = settings.SITE_URL.rstrip("/")
    snooze = link_url(action="snooze", reminder_id=reminder.pk, occurrence=occurrence)
    return {
        "name": user.get_short_name(),
        "description": reminder.description,
        "title": " ".join(reminder.title.split()),
        "due": due_text(reminder, zone_name=zone_name),
        "subject_prefix": settings.ACCOUNT_EMAIL_SUBJECT_PREFIX,
        "open_url": link_url(action="open", reminder_id=reminder.pk, occurrence=occurrence),
        "complete_url": link_url(action="complete", reminder_id=reminder.pk, occurrence=occurrence),
        **{f"snooze_{choice}": f"{snooze}?for={choice}" for choice in SNOOZE_CHOICES},
        "app_url": f"{site}/reminders/{reminder.pk}/",
        "site_url": site,
    }


def reminder_email(
    delivery: Delivery, *, connection: BaseEmailBackend | None = None, zone_name: str | None = None
) -> EmailMultiAlternatives:
    """The email of one delivery (its reminder and user loaded), ready to send.

    The same message the three templates render with ``email_context`` (the tests compare them),
    made from the cached skeletons: a message costs its three signed links, its due time and two
    string fills, not three template renders.
    """
    from preferences.services import time_zone_of

    language = language_of(delivery.user)
    with translation.override(language):
        values = _values(delivery, zone_name=zone_name or time_zone_of(delivery.user))
    skeleton = _skeleton(
        language=language, snoozed=delivery.snooze_round > 0, described=bool(delivery.reminder.description)
    )
    html_values: dict[str, str] = {name: escape(value) for name, value in values.items()}
    message = EmailMultiAlternatives(
        subject=" ".join(_fill(skeleton.subject, values).split()),  # one line: a header can't carry a newline
        body=_fill(skeleton.text, values),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.user.email],
        connection=connection,
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(_fill(skeleton.html, html_values), "text/html")
    return message
