"""The ledger: every change to a user's credits, written with its balance in ONE SQL statement.

Split by sub-domain (the statement itself is explained in ``statement.py``):

- ``statement``: the one SQL statement every change goes through (``_write``) and its SQL parts.
- ``accounts``: opening an account, its plan and cap, renewing allowances.
- ``spending``: prices, ``debit``, ``reserve`` + ``settle``.
- ``adding``: ``grant``, ``purchase``, ``refund``, ``remove_purchased``, ``adjust``.
- ``reasons``: the reasons the system writes on entries.

Every public name stays importable from here (``from credits.services import ledger``) and from
``credits.services``.
"""

from __future__ import annotations

from credits.services.ledger.accounts import (
    accounts_due_for_renewal,
    get_account,
    open_account,
    renew_allowance,
    renew_due_allowances,
    set_monthly_cap,
    set_plan,
)
from credits.services.ledger.adding import adjust, grant, purchase, refund, remove_purchased
from credits.services.ledger.reasons import STRIPE_REFUND, UNUSED_RESERVATION, reason_label
from credits.services.ledger.spending import cost_of, debit, price_of, reserve, settle

__all__ = [
    "STRIPE_REFUND",
    "UNUSED_RESERVATION",
    "accounts_due_for_renewal",
    "adjust",
    "cost_of",
    "debit",
    "get_account",
    "grant",
    "open_account",
    "price_of",
    "purchase",
    "reason_label",
    "refund",
    "remove_purchased",
    "renew_allowance",
    "renew_due_allowances",
    "reserve",
    "set_monthly_cap",
    "set_plan",
    "settle",
]
