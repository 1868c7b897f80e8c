"""The credits app's errors: each carries a message fit to show the user, and the fix when one applies.

A refusal a person can fix names the fix (``fix``): the page links to it and the API answers its
address as ``fix_url``. Chat's errors (chat/errors.py) use the same ``Fix``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Fix:
    """Where a person fixes a refusal: a page (URL name, optional fragment) and the link's words."""

    url_name: str
    label: Promise | str
    fragment: str = ""
    # Some fixes are for staff only (connecting a model in the admin): others get no link.
    staff_only: bool = False

    def url(self) -> str:
        return reverse(self.url_name) + (f"#{self.fragment}" if self.fragment else "")

    def applies_to(self, user: object) -> bool:
        return not self.staff_only or bool(getattr(user, "is_staff", False))


class CreditsError(Exception):
    """Base error: ``str(error)`` is a clear message for the user; ``code`` is stable for APIs."""

    code = "credits_error"
    default_message = _("The credits operation failed.")
    fix: Fix | None = None

    def __init__(self, message: object = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


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
    default_message = _("The amount must be a whole number of credits greater than zero.")


class UnknownActionType(CreditsError):
    code = "unknown_action_type"
    default_message = _("Unknown action type.")
