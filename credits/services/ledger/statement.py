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
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

import psycopg
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from psycopg.types.json import Jsonb

from credits.errors import InvalidAmount
from credits.models import CreditAccount, LedgerEntry

if TYPE_CHECKING:
    from accounts.models import User

# The price of ``tokens`` tokens: the base cost plus the per-1,000 cost for every thousand started.
_PRICE_CTE = """price AS (
        SELECT action_type, base_cost + CEIL(%(tokens)s::numeric / 1000)::integer * cost_per_1k_tokens AS cost
        FROM credits_actionprice WHERE action_type = %(action_type)s AND is_active
    ),"""

# Take ``old.amount`` from the balance: the allowance first, then purchased credits.
_TAKE: dict[str, Any] = {
    "allowance": "GREATEST(old.a - old.amount, 0)",
    "purchased": "old.p - GREATEST(old.amount - old.a, 0)",
}
# Spend it: take it, and count it for the monthly cap.
_SPEND: dict[str, Any] = {
    **_TAKE,
    "extra_set": "spent_in_month = old.spent + old.amount, cap_month = %(month)s,",
}
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
        # Imported here: accounts.py opens accounts through this module's ``_write``.
        from credits.services.ledger.accounts import open_account

        open_account(user=user)
        entry = write()
    return entry
