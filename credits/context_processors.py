"""The credits bar's data on every signed-in page (templates/base.html includes the bar)."""

from __future__ import annotations

import logging

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import User
from credits import services
from credits.models import CreditAccount, Plan

logger = logging.getLogger(__name__)


def _account_or_none(user: User) -> CreditAccount | None:
    try:
        return services.get_account(user)
    except Plan.DoesNotExist:
        # No Free plan to open the account on (the seed migration's plans were deleted): every
        # page still renders, without the bar, and the log says why.
        logger.error("No Free plan to open a credit account on: the credits bar is left out.")
        return None


def credits_bar(request: HttpRequest) -> dict:
    """``credits_account``: the signed-in user's account, read only when a template uses it (an htmx
    partial that doesn't extend the layout costs no query). The first read opens the account."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"credits_account": SimpleLazyObject(lambda: _account_or_none(user))}
