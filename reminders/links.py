"""Signed links in reminder emails: open, complete and snooze one occurrence without signing in.

A token is ``django.core.signing.dumps({"r": reminder id, "o": occurrence})`` (a ``TimestampSigner``
under ``SECRET_KEY``) with a salt per action, so a token is single-purpose: a "snooze" token read as
a "complete" one is a bad signature. It is valid ``REMINDER_LINK_MAX_AGE`` seconds (72 hours by
default). The token names its reminder and occurrence: nothing in the address can be changed to
reach another, and no session is needed or consulted (a mail client opening the link is enough).

Opening a link never changes anything (mail scanners fetch every link in a message): the page
shows the reminder and a button that POSTs. An occurrence that is no longer the current one (the
person completed it, in the app or by another link) is "already done", and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.urls import reverse

from reminders.errors import LinkExpired, LinkInvalid, NotFound, ReminderClosed
from reminders.models import Reminder

ACTIONS = ("open", "complete", "snooze")
# A token is ~150 characters; anything much longer is not one of ours (and never reaches the signer).
TOKEN_MAX_CHARS = 400


def _salt(action: str) -> str:
    return f"reminders.links.{action}"


def make_token(*, action: str, reminder_id: UUID | str, occurrence: datetime) -> str:
    """A signed token for ``action`` on one occurrence (``occurrence``: aware, stored as ISO 8601)."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown link action {action!r}")
    return signing.dumps({"r": str(reminder_id), "o": occurrence.isoformat()}, salt=_salt(action))


def link_url(*, action: str, reminder_id: UUID | str, occurrence: datetime, query: str = "") -> str:
    """The absolute address of a signed link (``SITE_URL`` + the link page)."""
    path = reverse(
        f"reminder_links:{action}",
        args=[make_token(action=action, reminder_id=reminder_id, occurrence=occurrence)],
    )
    return settings.SITE_URL.rstrip("/") + path + (f"?{query}" if query else "")


@dataclass(frozen=True)
class LinkTarget:
    """What a valid token names: the reminder (with its owner) and the occurrence."""

    reminder: Reminder
    occurrence: datetime

    @property
    def is_current(self) -> bool:
        """The occurrence is still the one to do: the reminder is open and this is its current one."""
        return self.reminder.is_open and self.reminder.due_at == self.occurrence


def read_token(*, action: str, token: str) -> LinkTarget:
    """The reminder and occurrence ``token`` names for ``action``.

    Raises ``LinkExpired`` (410) for a token past its age, ``LinkInvalid`` (400) for a tampered,
    malformed or other-action token, ``NotFound`` when the reminder has been deleted.
    """
    if action not in ACTIONS or not isinstance(token, str) or not 0 < len(token) <= TOKEN_MAX_CHARS:
        raise LinkInvalid()
    try:
        payload: Any = signing.loads(token, salt=_salt(action), max_age=settings.REMINDER_LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise LinkExpired() from exc
    except (signing.BadSignature, ValueError, UnicodeError) as exc:
        raise LinkInvalid() from exc
    try:
        reminder_id = UUID(payload["r"])
        occurrence = datetime.fromisoformat(payload["o"])
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise LinkInvalid() from exc  # signed by us, so only an old format gets here
    if occurrence.tzinfo is None:
        raise LinkInvalid()
    reminder = Reminder.objects.select_related("user").filter(pk=reminder_id).first()
    if reminder is None:
        raise NotFound()
    return LinkTarget(reminder=reminder, occurrence=occurrence)


# --- Acting on a link (the POST of a link page) ----------------------------------------------------


def _act(target: LinkTarget, act: Callable[[Reminder], Reminder]) -> Reminder | None:
    """Run ``act`` (a service given ``occurrence=target.occurrence``) on the reminder; None when the
    occurrence is no longer current. The services check that under their row lock, so two clicks on
    the same link (or on "complete" and "snooze" at once) change the reminder once."""
    reminder = Reminder.objects.select_related("user").get(pk=target.reminder.pk)
    if not LinkTarget(reminder=reminder, occurrence=target.occurrence).is_current:
        return None
    try:
        return act(reminder)
    except ReminderClosed:
        return None


def complete_from_link(target: LinkTarget) -> Reminder | None:
    """Mark the token's occurrence done (a series moves to its next one); None if already done."""
    from reminders import services

    return _act(
        target,
        lambda reminder: services.complete_reminder(
            user=reminder.user, reminder_id=reminder.pk, occurrence=target.occurrence
        ),
    )


def snooze_from_link(target: LinkTarget, *, preset: str) -> Reminder | None:
    """Snooze the token's occurrence by ``preset`` (``10m``, ``1h``, ``tomorrow``); None if already
    done. Raises ``ValidationError`` for another preset."""
    from reminders import services

    until = services.snooze_until(user=target.reminder.user, preset=preset)
    return _act(
        target,
        lambda reminder: services.snooze_reminder(
            user=reminder.user, reminder_id=reminder.pk, until=until, occurrence=target.occurrence
        ),
    )
