"""Adding credits (grants, purchases, refunds) and staff adjustments either way."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from credits.errors import InsufficientCredits, InvalidAmount
from credits.models import EntryKind, LedgerEntry
from credits.services.ledger.statement import _ENOUGH, _TAKE, _check_amount, _write, _write_or_open
from javari.text import truncate_graphemes


def _add(
    user: User,
    kind: str,
    amount: int,
    *,
    idempotency_key: str,
    to_allowance: int = 0,
    **fields: Any,
) -> LedgerEntry:
    """Add credits: ``to_allowance`` of them to the allowance, the rest to purchased credits."""
    _check_amount(amount)
    if isinstance(to_allowance, bool) or not isinstance(to_allowance, int) or not 0 <= to_allowance <= amount:
        raise InvalidAmount(_("The part returned to the allowance must be between zero and the amount."))
    entry = _write_or_open(
        user,
        lambda: _write(
            user.pk,
            kind,
            idempotency_key=idempotency_key,
            allowance="old.a + %(to_allowance)s",
            purchased="old.p + %(amount)s - %(to_allowance)s",
            amount=amount,
            to_allowance=to_allowance,
            **fields,
        ),
    )
    assert entry is not None  # adding has no condition
    return entry


def grant(
    *, user: User, amount: int, idempotency_key: str, reason: str = "", metadata: dict | None = None
) -> LedgerEntry:
    """Give credits that never expire (a goodwill grant, a promotion)."""
    return _add(
        user, EntryKind.GRANT, amount, idempotency_key=idempotency_key, reason=reason, metadata=metadata
    )


def purchase(*, user: User, amount: int, idempotency_key: str, metadata: dict | None = None) -> LedgerEntry:
    """Add purchased top-up credits (paid through Stripe; keyed on the Stripe event)."""
    return _add(user, EntryKind.PURCHASE, amount, idempotency_key=idempotency_key, metadata=metadata)


def refund(
    *,
    user: User,
    amount: int,
    idempotency_key: str,
    reason: str = "",
    to_allowance: int = 0,
    action_type: str = "",
    metadata: dict | None = None,
) -> LedgerEntry:
    """Give back credits charged for something not delivered."""
    return _add(
        user,
        EntryKind.REFUND,
        amount,
        idempotency_key=idempotency_key,
        to_allowance=to_allowance,
        reason=reason,
        action_type=action_type,
        metadata=metadata,
    )


def remove_purchased(
    *, user: User, amount: int, idempotency_key: str, reason: str = "", metadata: dict | None = None
) -> LedgerEntry:
    """Take back purchased credits (a refunded top-up): as many as remain, never below zero."""
    _check_amount(amount)
    entry = _write_or_open(
        user,
        lambda: _write(
            user.pk,
            EntryKind.REFUND,
            idempotency_key=idempotency_key,
            allowance="old.a",
            purchased="GREATEST(old.p - old.amount, 0)",
            condition="old.p > 0",
            reason=reason,
            metadata={**(metadata or {}), "requested": amount},
            amount=amount,
        ),
    )
    if entry is None:
        raise InsufficientCredits(_("No purchased credits remain to take back."))
    return entry


def adjust(
    *, user: User, amount: int, staff_user: User, reason: str, idempotency_key: str | None = None
) -> LedgerEntry:
    """A staff member's manual correction, positive or negative, with a required reason."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise InvalidAmount(_("The adjustment must be a whole number of credits other than zero."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidAmount(_("A reason is required for a manual adjustment."))
    key = idempotency_key or f"adjust:{user.pk}:{timezone.now().isoformat()}:{staff_user.pk}"
    # Cut between characters as a reader sees them (javari/text.py), within the column's 255.
    fields: dict[str, Any] = {
        "staff_user_id": staff_user.pk,
        "reason": truncate_graphemes(reason, 255, max_length=255),
    }
    if amount > 0:
        return _add(user, EntryKind.ADJUSTMENT, amount, idempotency_key=key, **fields)
    entry = _write_or_open(
        user,
        lambda: _write(
            user.pk,
            EntryKind.ADJUSTMENT,
            idempotency_key=key,
            condition=_ENOUGH,
            **_TAKE,
            amount=-amount,
            **fields,
        ),
    )
    if entry is None:
        raise InsufficientCredits(_("The balance is smaller than the adjustment."))
    return entry
