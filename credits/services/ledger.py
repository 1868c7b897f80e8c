"""The ledger: every change to a user's credits, written with its balance in ONE SQL statement.

Each change (DESIGN.md "Credits") is a single statement, so it costs one round trip and is atomic
on its own, with no transaction around it:

    WITH [price AS (SELECT ... FROM credits_actionprice ...),]
         old AS (SELECT <buckets, this month's spending, the amount> FROM credits_creditaccount
                 WHERE user_id = %s FOR UPDATE OF acc),
         upd AS (UPDATE credits_creditaccount SET <new buckets> FROM old
                 WHERE <condition, e.g. enough credits> RETURNING <old and new buckets>)
    INSERT INTO credits_ledgerentry (...) SELECT <the exact deltas> FROM upd RETURNING ...

- ``old`` locks the row and hands the statement the values it changes, so the split between the
  allowance and the purchased bucket is exact on PostgreSQL 15 as on 18.
- The condition failing leaves ``upd`` empty: no row is inserted, nothing is written, and a read
  afterwards (the failure path only) says why: not enough credits, the cap, an unknown action.
- The ledger entry's idempotency key is unique: a replay fails the insert, which undoes the whole
  statement, balance change included; we then return the first entry. So the ledger always sums
  to the balance. Inside a caller's transaction the statement runs in a savepoint, so a replay
  does not abort the caller's transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg
from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from psycopg.types.json import Jsonb

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
from javari.text import truncate_graphemes

logger = logging.getLogger(__name__)

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


# The price of ``tokens`` tokens: the base cost plus the per-1,000 cost for every thousand started.
_PRICE_CTE = """price AS (
        SELECT action_type, base_cost + CEIL(%(tokens)s::numeric / 1000)::integer * cost_per_1k_tokens AS cost
        FROM credits_actionprice WHERE action_type = %(action_type)s AND is_active
    ),"""

# Take ``old.amount`` from the balance: the allowance first, then purchased credits.
_TAKE = {
    "allowance": "GREATEST(old.a - old.amount, 0)",
    "purchased": "old.p - GREATEST(old.amount - old.a, 0)",
}
# Spend it: take it, and count it for the monthly cap.
_SPEND = {**_TAKE, "extra_set": "spent_in_month = old.spent + old.amount, cap_month = %(month)s,"}
_ENOUGH = "old.amount > 0 AND old.a + old.p >= old.amount"
_WITHIN_CAP = "(acc.monthly_cap IS NULL OR old.spent + old.amount <= acc.monthly_cap)"


def _this_month() -> date:
    return timezone.now().date().replace(day=1)


def _check_amount(amount: object) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidAmount()


def _check_tokens(tokens: object) -> None:
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0:
        raise InvalidAmount(_("The token count must be a whole number, zero or more."))


def _write(
    user_id: Any,
    kind: str,
    *,
    idempotency_key: str,
    allowance: str,
    purchased: str,
    condition: str = "TRUE",
    extra_set: str = "",
    amount_sql: str = "%(amount)s::integer",
    metadata_sql: str = "%(metadata)s::jsonb",
    priced: bool = False,
    action_type: str = "",
    session_id: UUID | None = None,
    metadata: dict | None = None,
    reason: str = "",
    staff_user_id: Any = None,
    **params: Any,
) -> LedgerEntry | None:
    """The one statement: change the buckets when ``condition`` holds, and record the entry.

    ``allowance``, ``purchased``, ``condition`` and ``extra_set`` are SQL over the locked row's
    ``old.a``, ``old.p``, ``old.spent`` and ``old.amount`` (``amount_sql``, by default the
    ``amount`` parameter); they are this module's constants only: every value is a parameter.
    Returns the new entry, the first entry of a replayed key, or None when the condition (or the
    account, or the price) was missing: nothing was written then.
    """
    sql = f"""
        WITH {_PRICE_CTE if priced else ""}
        old AS (
            SELECT acc.user_id, acc.allowance_remaining AS a, acc.purchased_remaining AS p,
                   CASE WHEN acc.cap_month = %(month)s THEN acc.spent_in_month ELSE 0 END AS spent,
                   {amount_sql} AS amount
            FROM credits_creditaccount AS acc {", price" if priced else ""}
            WHERE acc.user_id = %(user_id)s
            FOR UPDATE OF acc
        ),
        upd AS (
            UPDATE credits_creditaccount AS acc
            SET allowance_remaining = {allowance},
                purchased_remaining = {purchased},
                {extra_set}
                updated_at = now()
            FROM old
            WHERE acc.user_id = old.user_id AND ({condition})
            RETURNING old.a AS oa, old.p AS op, acc.allowance_remaining AS na, acc.purchased_remaining AS np
        )
        INSERT INTO credits_ledgerentry (
            user_id, kind, amount, allowance_delta, purchased_delta, balance_after,
            action_type, session_id, metadata, reason, staff_user_id, idempotency_key, created_at
        )
        SELECT %(user_id)s::uuid, %(kind)s::varchar, (na - oa) + (np - op), na - oa, np - op, na + np,
               %(action_type)s::varchar, %(session_id)s::uuid, {metadata_sql}, %(reason)s::varchar,
               %(staff_user_id)s::uuid, %(key)s::varchar, now()
        FROM upd
        RETURNING id, amount, allowance_delta, purchased_delta, balance_after, created_at, metadata
    """  # noqa: S608 (interpolated parts are this module's constants; every value is a parameter)
    metadata = metadata or {}
    values = {
        "user_id": user_id,
        "kind": kind,
        "key": idempotency_key,
        "month": _this_month(),
        "action_type": action_type,
        "session_id": session_id,
        "metadata": Jsonb(metadata),
        "reason": reason,
        "staff_user_id": staff_user_id,
        "amount": None,
        "tokens": 0,
        **params,
    }

    def run() -> tuple | None:
        # psycopg's own server-side-binding cursor, so the statement is prepared once per
        # connection and only executed after (Django's cursors bind client-side, re-planning
        # this CTE on every call: most of a debit's time in `make bench`).
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, values, prepare=True)
            return cursor.fetchone()

    try:
        if connection.in_atomic_block:
            with transaction.atomic():  # a savepoint: a failed statement leaves the caller's work alone
                row = run()
        else:
            row = run()  # autocommit: the single statement is its own transaction
    except (IntegrityError, psycopg.IntegrityError):
        existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing  # a replay: the insert failed, so the whole statement changed nothing
    if row is None:
        return LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
    entry_id, entry_amount, allowance_delta, purchased_delta, balance_after, created_at, metadata = row
    if isinstance(metadata, str):  # Django leaves jsonb undecoded for JSONField to parse
        metadata = json.loads(metadata)
    entry = LedgerEntry(
        id=entry_id,
        user_id=user_id,
        kind=kind,
        amount=entry_amount,
        allowance_delta=allowance_delta,
        purchased_delta=purchased_delta,
        balance_after=balance_after,
        action_type=action_type,
        session_id=session_id,
        metadata=metadata,
        reason=reason,
        staff_user_id=staff_user_id,
        idempotency_key=idempotency_key,
        created_at=created_at,
    )
    entry._state.adding = False
    entry._state.db = "default"
    return entry


def _write_or_open(user: User, write: Callable[[], LedgerEntry | None]) -> LedgerEntry | None:
    """Run ``write``; if the user has no account yet, open it (with its allowance) and run again."""
    entry = write()
    if entry is None and not CreditAccount.objects.filter(user_id=user.pk).exists():
        open_account(user=user)
        entry = write()
    return entry


# --- Accounts -------------------------------------------------------------------------------------


def _next_month(moment: datetime) -> datetime:
    return moment + relativedelta(months=1)


def get_account(user: User) -> CreditAccount:
    """The user's credit account, opened on Free with its allowance the first time it's needed."""
    account = CreditAccount.objects.select_related("plan").filter(user=user).first()
    return account if account is not None else open_account(user=user)


def open_account(*, user: User) -> CreditAccount:
    """Open a credit account on the Free plan and grant its first allowance (idempotent).

    A building block: it nests in its caller's transaction (``get_account`` and every write).
    """
    free = Plan.objects.get(tier=Tier.FREE)
    renews_at = _next_month(timezone.now())
    with transaction.atomic():
        _account, created = CreditAccount.objects.get_or_create(
            user=user, defaults={"plan": free, "allowance_renews_at": renews_at}
        )
        if created:
            _renew(user, plan=free, idempotency_key=f"open:{user.pk}", renews_at=renews_at)
    return CreditAccount.objects.select_related("plan").get(user=user)


def _renew(user: User, *, plan: Plan, idempotency_key: str, renews_at: datetime | None) -> LedgerEntry | None:
    return _write(
        user.pk,
        EntryKind.RENEWAL,
        idempotency_key=idempotency_key,
        allowance="%(credits)s",
        purchased="old.p",
        extra_set="allowance_total = %(credits)s, allowance_renews_at = %(renews_at)s,",
        amount_sql="0",
        credits=plan.credits_per_month,
        renews_at=renews_at,
        metadata={"plan": plan.tier, "allowance": plan.credits_per_month},
    )


def renew_allowance(
    *, user: User, idempotency_key: str, plan: Plan | None = None, renews_at: datetime | None = None
) -> LedgerEntry:
    """Reset the plan allowance to the plan's monthly credits; purchased credits stay as they are."""
    account = get_account(user)
    entry = _renew(
        user,
        plan=plan or account.plan,
        idempotency_key=idempotency_key,
        renews_at=renews_at or _next_month(timezone.now()),
    )
    assert entry is not None  # the account exists and a renewal has no condition
    return entry


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
    """Move the account to ``plan`` (the allowance changes at the next renewal, not here).

    Saves only the plan and billing fields: the balances belong to ``_write`` alone, and a save
    of a stale copy would undo a debit committed since it was read.
    """
    account = get_account(user)
    fields = {
        "plan": plan,
        "billing_cycle": billing_cycle,
        "next_billing_date": next_billing_date,
        "cancel_at_period_end": cancel_at_period_end,
    }
    if stripe_customer_id is not None:
        fields["stripe_customer_id"] = stripe_customer_id
    if stripe_subscription_id is not None:
        fields["stripe_subscription_id"] = stripe_subscription_id
    for name, value in fields.items():
        setattr(account, name, value)
    account.full_clean()
    account.save(update_fields=[*fields, "updated_at"])
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
    fields = {"staff_user_id": staff_user.pk, "reason": truncate_graphemes(reason, 255, max_length=255)}
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


def settle(*, reservation: Reservation, amount: int | None = None, tokens: int | None = None) -> Reservation:
    """Charge the real cost of a reserved action: release the rest, or charge the shortfall as
    far as the balance goes (a reply already delivered is never taken back). Idempotent.

    The monthly cap counts what is finally charged: a release lowers this month's spending, a
    shortfall raises it (without being refused: the action already happened).

    A building block: it nests in its caller's transaction (chat's ``finish_reply``).
    """
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


# --- Renewals -------------------------------------------------------------------------------------


def accounts_due_for_renewal(now: datetime | None = None):
    """Accounts the renew_allowances task renews: Free and annual plans whose allowance is due.

    Monthly paid plans renew when Stripe says their invoice was paid.
    """
    now = now or timezone.now()
    return CreditAccount.objects.filter(
        Q(plan__tier=Tier.FREE) | Q(billing_cycle=BillingCycle.ANNUAL), allowance_renews_at__lte=now
    )


def _next_renewal_after(due: datetime, now: datetime) -> datetime:
    """The first monthly date after ``now`` in the series that started at ``due``."""
    months = 1
    while due + relativedelta(months=months) <= now:
        months += 1
    return due + relativedelta(months=months)


def renew_due_allowances(*, now: datetime | None = None, limit: int = 500) -> int:
    """Renew every due allowance once; returns how many were renewed. Safe to run twice."""
    now = now or timezone.now()
    renewed = 0
    due_accounts = (
        accounts_due_for_renewal(now).select_related("plan", "user").order_by("allowance_renews_at")
    )
    for account in due_accounts[:limit]:
        due = account.allowance_renews_at
        assert due is not None
        # The key names the period: a second run (or a second worker) for it changes nothing, and
        # the next date is after now, however long the account was overdue: it renews once.
        renew_allowance(
            user=account.user,
            plan=account.plan,
            idempotency_key=f"renewal:{account.user_id}:{due.date().isoformat()}",
            renews_at=_next_renewal_after(due, now),
        )
        renewed += 1
    return renewed
