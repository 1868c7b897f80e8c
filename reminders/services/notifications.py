"""The notification centre: the one way any app tells a person something in the app (the bell).

``notify`` is idempotent by ``idempotency_key``: the same key for the same person makes one
notification however often it is called (a retried task, the dispatcher running twice).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from javari.text import truncate_graphemes
from reminders.errors import NotFound
from reminders.models import TITLE_MAX_CHARS, URL_MAX_CHARS, Notification, NotificationKind
from reminders.text import clean_text

BODY_MAX_CHARS = 1_000


def _safe_url(url: str) -> str:
    """Only a path on this site: a notification never links elsewhere (``/reminders/…``)."""
    url = (url or "").strip()
    if not url.startswith("/") or url.startswith("//") or "\\" in url or len(url) > URL_MAX_CHARS:
        return ""
    return url


def notify(
    *,
    user: User,
    kind: str,
    title: str,
    idempotency_key: str,
    body: str = "",
    url: str = "",
    created_at: datetime | None = None,
) -> Notification:
    """Add a notification to ``user``'s centre and return it (the first one, on a repeated key).

    ``kind`` is a ``NotificationKind`` value; ``title`` is cut to 200 characters and ``body`` to
    1,000 (at grapheme boundaries); ``url`` is a path on this site ('' otherwise: no link);
    ``idempotency_key`` (≤ 200 characters) names the event, e.g. ``reminder:<id>:<occurrence>``.
    Not durable: it joins the caller's transaction (the dispatcher writes a delivery and its
    notification together). Raises ``ValidationError`` for an unknown kind or an empty key.
    """
    if kind not in NotificationKind.values:
        raise ValidationError({"kind": [_("Unknown notification kind.")]})
    if not idempotency_key or len(idempotency_key) > 200:
        raise ValidationError(
            {"idempotency_key": [_("An idempotency key of 1 to 200 characters is required.")]}
        )
    notification, _created = Notification.objects.get_or_create(
        user=user,
        idempotency_key=idempotency_key,
        defaults={
            "kind": kind,
            "title": truncate_graphemes(clean_text(title), TITLE_MAX_CHARS),
            "body": truncate_graphemes(clean_text(body), BODY_MAX_CHARS),
            "url": _safe_url(url),
            "created_at": created_at or timezone.now(),
        },
    )
    return notification


def unread_count(*, user: User) -> int:
    """How many of the person's notifications are unread (the bell's badge)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def recent(*, user: User, limit: int = 20) -> QuerySet[Notification]:
    """The person's latest notifications, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at")[:limit]


def mark_read(*, user: User, notification_id: UUID | str) -> Notification:
    """Mark one of the person's notifications read (again is harmless). Raises ``NotFound``."""
    with transaction.atomic(durable=True):
        try:
            notification = Notification.objects.select_for_update().get(pk=notification_id, user=user)
        except (Notification.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
            raise NotFound() from exc
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the person read; returns how many changed."""
    with transaction.atomic(durable=True):
        return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
