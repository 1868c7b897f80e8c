"""Writes to accounts: the language choice, account deletion."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from accounts.models import User

logger = logging.getLogger(__name__)


def set_user_language(*, user: User, language: str) -> User:
    """Save the interface language on the user; it then follows them to every device."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"Unsupported language: {language!r}")
    user.language = language
    user.full_clean(exclude=["password"])
    user.save(update_fields=["language"])
    return user


def delete_account(*, user: User) -> None:
    """Remove the user and everything that belongs to them.

    Every model that holds a user's data points at the user with ``on_delete=CASCADE``
    (allauth's addresses, authenticators and sessions included), so one delete removes it all
    in one transaction. Django's own sessions are keyed by session id, not user: we end those too.
    """
    from allauth.usersessions.models import UserSession

    user_id = user.pk
    with transaction.atomic(durable=True):
        for session in UserSession.objects.filter(user=user):
            session.end()
        user.delete()
    logger.info("account %s deleted", user_id)
