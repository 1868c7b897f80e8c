"""Reasons the ledger writes on entries, and how a reader sees them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Reasons the system writes on entries. The stored text is a stable key (the API and the CSV give it
# as is); pages show it in the reader's language through ``reason_label``. A staff member's reason
# is free text and shows as typed.
UNUSED_RESERVATION = "unused reservation"
STRIPE_REFUND = "Stripe refund"
_SYSTEM_REASONS = {
    UNUSED_RESERVATION: _("unused reservation"),
    STRIPE_REFUND: _("Stripe refund"),
}


def reason_label(reason: str) -> str:
    """An entry's reason as the reader should see it: a system reason in their language."""
    label = _SYSTEM_REASONS.get(reason)
    return str(label) if label is not None else reason
