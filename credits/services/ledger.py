"""The ledger: every change to a user's credits, each written with its balance in one transaction.

Every balance change is ONE conditional UPDATE statement (DESIGN.md "Credits"):

    UPDATE credits_creditaccount AS acc SET <new buckets>
    FROM (SELECT ... FROM credits_creditaccount WHERE user_id = %s FOR UPDATE) AS old
    WHERE acc.user_id = old.user_id AND <condition, e.g. enough credits>
    RETURNING old buckets, new buckets

The sub-select locks the row and hands the statement the values it changes, so the split between
the allowance and purchased buckets is known exactly, on PostgreSQL 15 as on 18 (which could say
RETURNING old.*). No row back means the condition failed: nothing was written. The ledger entry is
inserted in the same transaction; its unique idempotency key makes a replay return the first
result and change nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from credits.errors import InsufficientCredits, InvalidAmount, SpendingCapReached, UnknownActionType
from credits.models import (
    ActionPrice,
    BillingCycle,
    CreditAccount,
    EntryKind,
    LedgerEntry,
    Plan,
    Reservation,
    ReservationStatus,
    Tier,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Change:
    old_allowance: int
    old_purchased: int
    allowance: int
    purchased: int

    @property
    def allowance_delta(self) -> int:
        return self.allowance - self.old_allowance

    @property
    def purchased_delta(self) -> int:
        return self.purchased - self.old_purchased


def _update(
    user_id: Any, *, allowance: str, purchased: str, condition: str = "TRUE", extra_set: str = "", **params: Any
) -> _Change | None:
    """Run the one conditional UPDATE; expressions read the locked row's ``old.a`` and ``old.p``."""
    sql = f"""
        UPDATE credits_creditaccount AS acc
        SET allowance_remaining = {allowance},
            purchased_remaining = {purchased},
            {extra_set}
            updated_at = now()
        FROM (
            SELECT user_id, allowance_remaining AS a, purchased_remaining AS p,
                   CASE WHEN cap_month = %(month)s THEN spent_in_month ELSE 0 END AS spent
            FROM credits_creditaccount WHERE user_id = %(user_id)s FOR UPDATE
        ) AS old
        WHERE acc.user_id = old.user_id AND ({condition})
        RETURNING old.a, old.p, acc.allowance_remaining, acc.purchased_remaining
    """  # noqa: S608 (the interpolated parts are this module's constants; values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"user_id": user_id, "month": _this_month(), **params})
        row = cursor.fetchone()
    return _Change(*row) if row else None


def _this_month() -> date:
    return timezone.now().date().replace(day=1)


def _check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidAmount()


def _record(
    user: User, kind: str, change: _Change, *, idempotency_key: str, **fields: Any
) -> LedgerEntry:
    return LedgerEntry.objects.create(
        user=user,
        kind=kind,
        amount=change.allowance_delta + change.purchased_delta,
        allowance_delta=change.allowance_delta,
        purchased_delta=change.purchased_delta,
        balance_after=change.allowance + change.purchased,
        idempotency_key=idempotency_key,
        **fields,
    )


def _idempotent(idempotency_key: str, write: Any) -> LedgerEntry:
    """Run ``write`` once per key: a replay (even a concurrent one) returns the first entry."""
    existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return write()
    except IntegrityError:
        # A concurrent call with the same key won the insert; our balance change rolled back.
        existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing


# --- Accounts -------------------------------------------------------------------------------------


def _next_month(moment: datetime) -> datetime:
    return moment + relativedelta(months=1)


def get_account(user: User) -> CreditAccount:
    """The user's credit account, opened on Free with its allowance the first time it's needed."""
    account = CreditAccount.objects.select_related("plan").filter(user=user).first()
    return account if account is not None else open_account(user=user)


def open_account(*, user: User) -> CreditAccount:
    """Open a credit account on the Free plan and grant its first allowance (idempotent)."""
    free = Plan.objects.get(tier=Tier.FREE)
    now = timezone.now()
    with transaction.atomic():
        account, created = CreditAccount.objects.get_or_create(
            user=user,
            defaults={"plan": free, "allowance_renews_at": _next_month(now), "next_billing_date": None},
        )
        if created:
            _renew(account, plan=free, idempotency_key=f"open:{user.pk}", renews_at=_next_month(now))
            account.refresh_from_db()
    return CreditAccount.objects.select_related("plan").get(pk=account.pk)


def _renew(account: CreditAccount, *, plan: Plan, idempotency_key: str, renews_at: datetime | None) -> LedgerEntry:
    credits = plan.credits_per_month

    def write() -> LedgerEntry:
        change = _update(
            account.user_id,
            allowance="%(credits)s",
            purchased="old.p",
            extra_set="allowance_total = %(credits)s, allowance_renews_at = %(renews_at)s,",
            credits=credits,
            renews_at=renews_at,
        )
        assert change is not None  # the account row exists: no condition can fail
        return _record(
            account.user,
            EntryKind.RENEWAL,
            change,
            idempotency_key=idempotency_key,
            metadata={"plan": plan.tier, "allowance": credits},
        )

    return _idempotent(idempotency_key, write)


def renew_allowance(
    *, user: User, idempotency_key: str, plan: Plan | None = None, renews_at: datetime | None = None
) -> LedgerEntry:
    """Reset the plan allowance to the plan's monthly credits; purchased credits stay as they are."""
    account = get_account(user)
    plan = plan or account.plan
    return _renew(account, plan=plan, idempotency_key=idempotency_key, renews_at=renews_at or _next_month(timezone.now()))


def set_plan(
    *,
    user: User,
    plan: Plan,
    billing_cycle: str = BillingCycle.MONTHLY,
    next_billing_date: datetime | None = None,
    stripe_customer_id: str | None = None,
    stripe_subscription_id: str | None = None,
    cancel_at_period_end: bool = False,
) -> CreditAccount:
    """Move the account to ``plan`` (the allowance changes at the next renewal, not here)."""
    account = get_account(user)
    account.plan = plan
    account.billing_cycle = billing_cycle
    account.next_billing_date = next_billing_date
    account.cancel_at_period_end = cancel_at_period_end
    if stripe_customer_id is not None:
        account.stripe_customer_id = stripe_customer_id
    if stripe_subscription_id is not None:
        account.stripe_subscription_id = stripe_subscription_id
    account.full_clean()
    account.save()
    return account


def set_monthly_cap(*, user: User, cap: int | None) -> CreditAccount:
    """Set (or clear, with None) the user's own monthly spending cap."""
    if cap is not None:
        _check_amount(cap)
    account = get_account(user)
    CreditAccount.objects.filter(pk=account.pk).update(monthly_cap=cap)
    account.refresh_from_db()
    return account


# --- Prices ---------------------------------------------------------------------------------------


def price_of(action_type: str) -> ActionPrice:
    price = ActionPrice.objects.filter(action_type=action_type, is_active=True).first()
    if price is None:
        raise UnknownActionType(f"Unknown action type: {action_type!r}.")
    return price


def cost_of(*, action_type: str, tokens: int = 0) -> int:
    """Credits an action of ``tokens`` tokens costs at the staff-set price."""
    if tokens < 0:
        raise InvalidAmount()
    return price_of(action_type).cost(tokens)


# --- Spending -------------------------------------------------------------------------------------

_SPEND = {
    # Allowance first, then purchased credits.
    "allowance": "GREATEST(old.a - %(amount)s, 0)",
    "purchased": "old.p - GREATEST(%(amount)s - old.a, 0)",
    "extra_set": "spent_in_month = old.spent + %(amount)s, cap_month = %(month)s,",
}


def _spend(user: User, amount: int) -> _Change:
    change = _update(
        user.pk,
        condition="old.a + old.p >= %(amount)s AND (acc.monthly_cap IS NULL OR old.spent + %(amount)s <= acc.monthly_cap)",
        amount=amount,
        **_SPEND,
    )
    if change is None:
        account = get_account(user)  # the statement changed nothing; read why, for the message
        if account.balance < amount:
            raise InsufficientCredits()
        raise SpendingCapReached()
    return change


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

    Raises InsufficientCredits or SpendingCapReached and writes nothing when it can't be paid.
    """
    price = price_of(action_type)
    amount = price.cost(tokens) if amount is None else amount
    _check_amount(amount)
    get_account(user)

    def write() -> LedgerEntry:
        change = _spend(user, amount)
        return _record(
            user,
            EntryKind.DEBIT,
            change,
            idempotency_key=idempotency_key,
            action_type=price.action_type,
            session_id=session_id,
            metadata={**(metadata or {}), "tokens": tokens} if tokens else (metadata or {}),
        )

    return _idempotent(idempotency_key, write)


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
    get_account(user)

    def write() -> LedgerEntry:
        change = _update(
            user.pk,
            allowance="old.a + %(to_allowance)s",
            purchased="old.p + %(to_purchased)s",
            to_allowance=to_allowance,
            to_purchased=amount - to_allowance,
        )
        assert change is not None
        return _record(user, kind, change, idempotency_key=idempotency_key, **fields)

    return _idempotent(idempotency_key, write)


def grant(
    *, user: User, amount: int, idempotency_key: str, reason: str = "", metadata: dict | None = None
) -> LedgerEntry:
    """Give credits that never expire (a goodwill grant, a promotion)."""
    return _add(user, EntryKind.GRANT, amount, idempotency_key=idempotency_key, reason=reason, metadata=metadata or {})


def purchase(*, user: User, amount: int, idempotency_key: str, metadata: dict | None = None) -> LedgerEntry:
    """Add purchased top-up credits (paid through Stripe; keyed on the Stripe event)."""
    return _add(user, EntryKind.PURCHASE, amount, idempotency_key=idempotency_key, metadata=metadata or {})


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
        metadata=metadata or {},
    )


def remove_purchased(
    *, user: User, amount: int, idempotency_key: str, reason: str = "", metadata: dict | None = None
) -> LedgerEntry:
    """Take back purchased credits (a refunded top-up): as many as remain, never below zero."""
    _check_amount(amount)
    get_account(user)

    def write() -> LedgerEntry:
        change = _update(user.pk, allowance="old.a", purchased="GREATEST(old.p - %(amount)s, 0)", amount=amount)
        assert change is not None
        if change.purchased_delta == 0:
            raise InsufficientCredits(  # nothing left to take back: say so instead of an empty entry
                "No purchased credits remain to take back."
            )
        return _record(
            user,
            EntryKind.REFUND,
            change,
            idempotency_key=idempotency_key,
            reason=reason,
            metadata={**(metadata or {}), "requested": amount},
        )

    return _idempotent(idempotency_key, write)


def adjust(
    *, user: User, amount: int, staff_user: User, reason: str, idempotency_key: str | None = None
) -> LedgerEntry:
    """A staff member's manual correction, positive or negative, with a required reason."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise InvalidAmount("The adjustment must be a whole number of credits other than zero.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidAmount("A reason is required for a manual adjustment.")
    key = idempotency_key or f"adjust:{user.pk}:{timezone.now().isoformat()}:{staff_user.pk}"
    fields = {"staff_user": staff_user, "reason": reason[:255]}
    if amount > 0:
        return _add(user, EntryKind.ADJUSTMENT, amount, idempotency_key=key, **fields)
    get_account(user)

    def write() -> LedgerEntry:
        change = _update(
            user.pk,
            allowance="GREATEST(old.a - %(amount)s, 0)",
            purchased="old.p - GREATEST(%(amount)s - old.a, 0)",
            condition="old.a + old.p >= %(amount)s",
            amount=-amount,
        )
        if change is None:
            raise InsufficientCredits("The balance is smaller than the adjustment.")
        return _record(user, EntryKind.ADJUSTMENT, change, idempotency_key=key, **fields)

    return _idempotent(key, write)


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
    """Hold an estimate before an action whose cost is known only at its end (a chat reply)."""
    entry = debit(
        user=user,
        action_type=action_type,
        amount=amount,
        tokens=tokens,
        idempotency_key=f"{idempotency_key}:reserve",
        session_id=session_id,
        metadata={"reservation": True},
    )
    reservation, _created = Reservation.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "user": user,
            "action_type": entry.action_type,
            "held": -entry.amount,
            "held_from_allowance": -entry.allowance_delta,
            "held_from_purchased": -entry.purchased_delta,
            "session_id": session_id,
        },
    )
    return reservation


def settle(*, reservation: Reservation, amount: int | None = None, tokens: int | None = None) -> Reservation:
    """Charge the real cost of a reserved action: release the rest, or charge the shortfall as
    far as the balance goes (a reply already delivered is never taken back). Idempotent."""
    if amount is None:
        amount = cost_of(action_type=reservation.action_type, tokens=tokens or 0)
    if amount < 0:
        raise InvalidAmount()
    with transaction.atomic():
        reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
        if reservation.status == ReservationStatus.SETTLED:
            return reservation
        user = reservation.user
        key = reservation.idempotency_key
        charged = amount
        if amount < reservation.held:
            back = reservation.held - amount
            # Return purchased credits first: they don't expire, the allowance might.
            to_allowance = max(0, back - reservation.held_from_purchased)
            refund(
                user=user,
                amount=back,
                to_allowance=to_allowance,
                idempotency_key=f"{key}:settle",
                reason="unused reservation",
                action_type=reservation.action_type,
            )
        elif amount > reservation.held:
            extra = amount - reservation.held
            available = get_account(user).balance
            extra = min(extra, available)
            charged = reservation.held + extra
            if extra > 0:
                change = _update(
                    user.pk,
                    allowance="GREATEST(old.a - %(amount)s, 0)",
                    purchased="old.p - GREATEST(%(amount)s - old.a, 0)",
                    condition="old.a + old.p >= %(amount)s",
                    amount=extra,
                )
                if change is not None:
                    _record(
                        user,
                        EntryKind.DEBIT,
                        change,
                        idempotency_key=f"{key}:settle",
                        action_type=reservation.action_type,
                        session_id=reservation.session_id,
                        metadata={"reservation": True, "shortfall": amount - charged},
                    )
                else:
                    charged = reservation.held
        reservation.status = ReservationStatus.SETTLED
        reservation.charged = charged
        reservation.settled_at = timezone.now()
        reservation.save(update_fields=["status", "charged", "settled_at"])
    return reservation


# --- Renewals -------------------------------------------------------------------------------------


def accounts_due_for_renewal(now: datetime | None = None):
    """Accounts the renew_allowances task renews: Free and annual plans whose allowance is due.

    Monthly paid plans renew when Stripe says their invoice was paid.
    """
    now = now or timezone.now()
    return CreditAccount.objects.filter(
        Q(plan__tier=Tier.FREE) | Q(billing_cycle=BillingCycle.ANNUAL), allowance_renews_at__lte=now
    )


def renew_due_allowances(*, now: datetime | None = None, limit: int = 500) -> int:
    """Renew every due allowance once; returns how many were renewed. Safe to run twice."""
    now = now or timezone.now()
    renewed = 0
    for account in accounts_due_for_renewal(now).select_related("plan", "user").order_by("allowance_renews_at")[:limit]:
        due = account.allowance_renews_at
        assert due is not None
        # The key names the period: a second run (or a second worker) for it changes nothing.
        renew_allowance(
            user=account.user,
            plan=account.plan,
            idempotency_key=f"renewal:{account.user_id}:{due.date().isoformat()}",
            renews_at=_next_month(max(due, now - relativedelta(months=1))),
        )
        renewed += 1
    return renewed
