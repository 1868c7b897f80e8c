"""The credits app's errors: each carries a message fit to show the user."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class CreditsError(Exception):
    """Base error: ``str(error)`` is a clear message for the user; ``code`` is stable for APIs."""

    code = "credits_error"
    default_message = _("The credits operation failed.")

    def __init__(self, message: object = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)


class InsufficientCredits(CreditsError):
    code = "insufficient_credits"
    default_message = _("You don't have enough credits for this. Top up or upgrade your plan to continue.")


class SpendingCapReached(CreditsError):
    code = "spending_cap_reached"
    default_message = _("This would go past the monthly spending cap you set. Raise the cap to continue.")


class InvalidAmount(CreditsError):
    code = "invalid_amount"
    default_message = _("The amount must be a whole number of credits greater than zero.")


class UnknownActionType(CreditsError):
    code = "unknown_action_type"
    default_message = _("Unknown action type.")
