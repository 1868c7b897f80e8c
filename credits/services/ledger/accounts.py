"""Accounts: opening one, its plan, its monthly cap, and renewing its allowance."""

from __future__ import annotations

from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from credits.models import BillingCycle, CreditAccount, EntryKind, LedgerEntry, Plan, Tier
from credits.services.ledger.statement import _check_amount, _write


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
