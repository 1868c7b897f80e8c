"""Spending credits: prices, debits, and reserve-then-settle for actions priced at their end."""

from __future__ import annotations

from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from credits.errors import InsufficientCredits, InvalidAmount, SpendingCapReached, UnknownActionType
from credits.models import ActionPrice, EntryKind, LedgerEntry, Reservation, ReservationStatus
from credits.services.ledger.accounts import get_account
from credits.services.ledger.reasons import UNUSED_RESERVATION
from credits.services.ledger.statement import (
    _ENOUGH,
    _SPEND,
    _WITHIN_CAP,
    _check_amount,
    _check_tokens,
    _write,
    _write_or_open,
)


def price_of(action_type: str) -> ActionPrice:
    price = ActionPrice.objects.filter(action_type=action_type, is_active=True).first()
    if price is None:
        raise UnknownActionType(
            _("Unknown action type: %(action_type)s.") % {"action_type": repr(action_type)}
        )
    return price


def cost_of(*, action_type: str, tokens: int = 0) -> int:
    """Credits an action of ``tokens`` tokens costs at the staff-set price."""
    _check_tokens(tokens)
    return price_of(action_type).cost(tokens)


# --- Spending -------------------------------------------------------------------------------------


def _refuse(user: User, amount: int) -> None:
    """Raise the error that explains why spending ``amount`` changed nothing."""
    account = get_account(user)
    if account.balance < amount:
        raise InsufficientCredits()
    raise SpendingCapReached()


def debit(
    *,
    user: User,
    action_type: str,
    idempotency_key: str,
    amount: int | None = None,
    tokens: int = 0,
    session_id: UUID | None = None,
    metadata: dict | None = None,
) -> LedgerEntry:
    """Charge an action: ``amount`` credits, or its price for ``tokens`` tokens.

    One statement prices it, checks the balance and the cap, spends it and records it. Raises
    InsufficientCredits, SpendingCapReached, UnknownActionType or InvalidAmount, writing nothing.
    """
    if amount is not None:
        _check_amount(amount)
    _check_tokens(tokens)
    entry_metadata = {**(metadata or {}), "tokens": tokens} if tokens else (metadata or {})

    def write() -> LedgerEntry | None:
        return _write(
            user.pk,
            EntryKind.DEBIT,
            idempotency_key=idempotency_key,
            priced=True,
            amount_sql="COALESCE(%(amount)s::integer, price.cost)",
            condition=f"{_ENOUGH} AND {_WITHIN_CAP}",
            action_type=action_type,
            session_id=session_id,
            metadata=entry_metadata,
            amount=amount,
            tokens=tokens,
            **_SPEND,
        )

    entry = _write_or_open(user, write)
    if entry is None:  # nothing written: say why
        price = price_of(action_type)
        cost = amount if amount is not None else price.cost(tokens)
        if cost <= 0:
            raise InvalidAmount(_("This action costs nothing: there is nothing to charge."))
        _refuse(user, cost)
    assert entry is not None
    return entry


# --- Reserve and settle ---------------------------------------------------------------------------


def reserve(
    *,
    user: User,
    action_type: str,
    idempotency_key: str,
    amount: int | None = None,
    tokens: int = 0,
    session_id: UUID | None = None,
) -> Reservation:
    """Hold an estimate before an action whose cost is known only at its end (a chat reply).

    A building block: it nests in its caller's transaction (chat's ``prepare_reply``).
    """
    entry = debit(
        user=user,
        action_type=action_type,
        amount=amount,
        tokens=tokens,
        idempotency_key=f"{idempotency_key}:reserve",
        session_id=session_id,
        metadata={"reservation": True},
    )
    # Insert first (a repeat is the rare case: it costs the insert that fails, not a read each time).
    try:
        with transaction.atomic():
            return Reservation.objects.create(
                idempotency_key=idempotency_key,
                user=user,
                action_type=entry.action_type,
                held=-entry.amount,
                held_from_allowance=-entry.allowance_delta,
                held_from_purchased=-entry.purchased_delta,
                session_id=session_id,
            )
    except IntegrityError:
        return Reservation.objects.get(idempotency_key=idempotency_key)


def settle(
    *,
    reservation: Reservation | None = None,
    idempotency_key: str | None = None,
    amount: int | None = None,
    tokens: int | None = None,
) -> Reservation | None:
    """Charge the real cost of a reserved action: release the rest, or charge the shortfall as
    far as the balance goes (a reply already delivered is never taken back). Idempotent.

    Name the hold by the ``reservation`` ``reserve`` returned, or by the ``idempotency_key`` given
    to ``reserve`` (so a caller keeps no credits object across requests): with a key under which
    nothing was reserved (a free action), nothing happens and the answer is None. ``charged`` on
    the answer is what was finally charged, in credits.

    The monthly cap counts what is finally charged: a release lowers this month's spending, a
    shortfall raises it (without being refused: the action already happened).

    A building block: it nests in its caller's transaction (chat's ``finish_reply``).
    """
    if (reservation is None) == (idempotency_key is None):
        raise TypeError("settle() takes a reservation or an idempotency_key")
    if reservation is None:
        reservation = Reservation.objects.filter(idempotency_key=idempotency_key).first()
        if reservation is None:
            return None
    if amount is None:
        amount = cost_of(action_type=reservation.action_type, tokens=tokens or 0)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidAmount()
    with transaction.atomic():
        reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
        if reservation.status == ReservationStatus.SETTLED:
            return reservation
        user = reservation.user
        key = f"{reservation.idempotency_key}:settle"
        charged = amount
        if amount < reservation.held:
            back = reservation.held - amount
            # Purchased credits go back first: they don't expire, the allowance might. The
            # allowance part never lifts the allowance past this period's total (a renewal may
            # have come in between: that period's credits are gone).
            to_allowance = max(0, back - reservation.held_from_purchased)
            _write(
                user.pk,
                EntryKind.REFUND,
                idempotency_key=key,
                allowance="LEAST(old.a + %(to_allowance)s, GREATEST(acc.allowance_total, old.a))",
                purchased="old.p + %(to_purchased)s",
                extra_set="spent_in_month = GREATEST(old.spent - old.amount, 0), cap_month = %(month)s,",
                condition="LEAST(old.a + %(to_allowance)s, GREATEST(acc.allowance_total, old.a)) - old.a"
                " + %(to_purchased)s <> 0",
                to_allowance=to_allowance,
                to_purchased=back - to_allowance,
                action_type=reservation.action_type,
                reason=UNUSED_RESERVATION,
                amount=back,
            )
        elif amount > reservation.held:
            extra = amount - reservation.held
            entry = _write(
                user.pk,
                EntryKind.DEBIT,
                idempotency_key=key,
                **_SPEND,
                # As far as the balance goes: the shortfall beyond it is recorded, not charged.
                amount_sql="LEAST(%(amount)s::integer, acc.allowance_remaining + acc.purchased_remaining)",
                condition="old.amount > 0",
                action_type=reservation.action_type,
                session_id=reservation.session_id,
                metadata={"reservation": True, "requested": extra},
                # What could not be charged: requested minus charged (the entry's amount is -charged).
                metadata_sql="%(metadata)s::jsonb"
                " || jsonb_build_object('shortfall', %(amount)s::integer + (na - oa) + (np - op))",
                amount=extra,
            )
            charged = reservation.held + (-entry.amount if entry is not None else 0)
        reservation.status = ReservationStatus.SETTLED
        reservation.charged = charged
        reservation.settled_at = timezone.now()
        reservation.save(update_fields=["status", "charged", "settled_at"])
    return reservation
