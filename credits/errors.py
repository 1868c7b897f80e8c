"""The credits app's errors: each carries a message fit to show the user, and the fix when one applies.

A refusal a person can fix names the fix (``fix``): the page links to it and the API answers its
address as ``fix_url``. All are ``javari.errors.AppError``s (``Fix`` lives there too).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from javari.errors import AppError, Fix

__all__ = [
    "CreditsError",
    "Fix",
    "InsufficientCredits",
    "InvalidAmount",
    "SpendingCapReached",
    "UnknownActionType",
]


class CreditsError(AppError):
    """Base error of the credits app. A credits refusal is a 402 wherever it is raised: the person
    has to pay (or raise their cap) before it can go through."""

    code = "credits_error"
    status = 402
    default_message = _("The credits operation failed.")


class InsufficientCredits(CreditsError):
    code = "insufficient_credits"
    default_message = _("You don't have enough credits for this. Top up or upgrade your plan to continue.")
    fix = Fix("credits:top_up", _("Top up credits"))


class SpendingCapReached(CreditsError):
    code = "spending_cap_reached"
    default_message = _("This would go past the monthly spending cap you set. Raise the cap to continue.")
    # The cap's own form on the usage page, not a top-up: more credits would not get past the cap.
    fix = Fix("credits:usage", _("Raise the cap"), fragment="spending-cap")


class InvalidAmount(CreditsError):
    code = "invalid_amount"
    status = 400  # a programming or input mistake, not something paying fixes
    default_message = _("The amount must be a whole number of credits greater than zero.")


class UnknownActionType(CreditsError):
    code = "unknown_action_type"
    status = 400
    default_message = _("Unknown action type.")
