"""The credits contract other apps use: ``from credits import services``.

Spend: ``debit``, ``reserve`` + ``settle``. Add: ``grant``, ``purchase``, ``refund``. Staff:
``adjust``. Read: ``get_account``, ``cost_of``. Errors: ``credits.errors``.
"""

from credits.services.ledger import (
    accounts_due_for_renewal,
    adjust,
    cost_of,
    debit,
    get_account,
    grant,
    open_account,
    price_of,
    purchase,
    refund,
    remove_purchased,
    renew_allowance,
    renew_due_allowances,
    reserve,
    set_monthly_cap,
    set_plan,
    settle,
)

__all__ = [
    "accounts_due_for_renewal",
    "adjust",
    "cost_of",
    "debit",
    "get_account",
    "grant",
    "open_account",
    "price_of",
    "purchase",
    "refund",
    "remove_purchased",
    "renew_allowance",
    "renew_due_allowances",
    "reserve",
    "set_monthly_cap",
    "set_plan",
    "settle",
]
