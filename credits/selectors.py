"""Reads for the credits pages: recent entries, credits used per day and per action type, the history;
the plans and top-up offers; and staff's cost-per-user report.

Each read is one aggregate query over a user's ledger (served by ``credits_user_history_idx``);
none loads an entry per row of the result.

"Credits used" is what debits took, less what refunds of an action gave back: ``settle`` returns
the unused part of a chat's reservation as a refund carrying the action type, so counting debits
alone would charge every reply its estimate. Grants, purchases, renewals, adjustments and
refunds of a top-up (no action type) are not usage.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import User
from credits.models import ActionPrice, CreditAccount, EntryKind, LedgerEntry, Plan, TopUpPack

RECENT_ENTRIES = 10
HISTORY_PAGE_SIZE = 25
USAGE_DAYS = 30

USAGE = Q(kind=EntryKind.DEBIT) | (Q(kind=EntryKind.REFUND) & ~Q(action_type=""))
_USED = Sum(-F("amount"))  # debits are negative amounts; a refund of an action counts against them


@dataclass(frozen=True)
class DayUsage:
    day: date
    credits: int


@dataclass(frozen=True)
class ActionUsage:
    action_type: str
    name: str
    credits: int
    share: int  # percent of all credits used in the window, rounded


def action_names() -> dict[str, str]:
    """Each action type's name in the active language (staff edit them with the prices)."""
    return {price.action_type: price.name for price in ActionPrice.objects.all()}


def action_name(action_type: str, names: dict[str, str]) -> str:
    """The name of ``action_type``; a type without a price row reads as its slug, tidied."""
    if not action_type:
        return ""
    return names.get(action_type) or action_type.replace("_", " ").capitalize()


def recent_entries(*, user: User, limit: int = RECENT_ENTRIES) -> list[LedgerEntry]:
    """The user's latest ledger entries, newest first."""
    return list(LedgerEntry.objects.filter(user=user).order_by("-created_at", "-id")[:limit])


def usage_window(*, days: int = USAGE_DAYS, today: date | None = None) -> tuple[date, date]:
    """The first and last local day of the last ``days`` days, today included."""
    today = today or timezone.localdate()
    return today - timedelta(days=days - 1), today


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def daily_usage(*, user: User, days: int = USAGE_DAYS, today: date | None = None) -> list[DayUsage]:
    """Credits used on each of the last ``days`` local days, oldest first, days without use as 0."""
    first, _last = usage_window(days=days, today=today)
    rows = (
        LedgerEntry.objects.filter(USAGE, user=user, created_at__gte=_start_of(first))
        .annotate(day=TruncDate("created_at"))  # in the current time zone
        .values("day")
        .annotate(used=_USED)
        .order_by()
    )
    used = {row["day"]: row["used"] for row in rows}
    return [
        # A refund settled just after midnight can leave a day negative: it used nothing.
        DayUsage(day, max(0, used.get(day) or 0))
        for day in (first + timedelta(days=offset) for offset in range(days))
    ]


def usage_by_action(*, user: User, days: int = USAGE_DAYS, today: date | None = None) -> list[ActionUsage]:
    """Credits used per action type over the last ``days`` days, the biggest first."""
    first, _last = usage_window(days=days, today=today)
    rows = (
        LedgerEntry.objects.filter(USAGE, user=user, created_at__gte=_start_of(first))
        .values("action_type")
        .annotate(used=_USED)
        .filter(used__gt=0)
        .order_by("-used", "action_type")
    )
    rows = list(rows)
    total = sum(row["used"] for row in rows)
    names = action_names() if rows else {}
    return [
        ActionUsage(
            action_type=row["action_type"],
            name=action_name(row["action_type"], names),
            credits=row["used"],
            share=round(100 * row["used"] / total),
        )
        for row in rows
    ]


def history(*, user: User) -> QuerySet[LedgerEntry]:
    """Every ledger entry of the user, newest first."""
    return LedgerEntry.objects.filter(user=user).order_by("-created_at", "-id")


def history_page(*, user: User, page_number: object, per_page: int = HISTORY_PAGE_SIZE) -> Page:
    """One page of the history; a missing or bad page number gives the first or last page."""
    return Paginator(history(user=user), per_page).get_page(page_number)


def export_rows(*, user: User) -> Iterator[tuple]:
    """The user's whole ledger for the CSV export, oldest first, read in chunks."""
    return (
        LedgerEntry.objects.filter(user=user)
        .order_by("created_at", "id")
        .values_list("created_at", "kind", "action_type", "amount", "balance_after", "reason")
        .iterator(chunk_size=2000)
    )


# --- Pricing: the plans and top-up offers --------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A plan as the plans page shows it for one billing cycle."""

    plan: Plan
    cycle: str
    price_cents: int
    monthly_equivalent_cents: int  # annual price spread over 12 months
    annual_saving_cents: int  # 12 monthly payments less the annual price
    annual_saving_percent: int
    is_current: bool

    @property
    def is_paid(self) -> bool:
        return not self.plan.is_free and self.price_cents > 0


def plan_offers(*, cycle: str, account: CreditAccount | None) -> list[Offer]:
    """Each active plan as offered for ``cycle`` (a ``BillingCycle`` value): its price in cents,
    the monthly equivalent and the saving of paying annually; ``account``'s own plan is current."""
    offers = []
    for plan in Plan.objects.filter(is_active=True):
        twelve_months = plan.price_monthly_cents * 12
        saving = max(0, twelve_months - plan.price_annual_cents) if plan.price_annual_cents else 0
        offers.append(
            Offer(
                plan=plan,
                cycle=cycle,
                price_cents=plan.price_cents(cycle),
                monthly_equivalent_cents=round(plan.price_annual_cents / 12),
                annual_saving_cents=saving,
                annual_saving_percent=round(100 * saving / twelve_months) if twelve_months else 0,
                is_current=account is not None and account.plan_id == plan.pk,
            )
        )
    return offers


def top_up_packs() -> QuerySet[TopUpPack]:
    """The top-up packs on sale, smallest first."""
    return TopUpPack.objects.filter(is_active=True).order_by("credits")


# --- Staff: the cost-per-user report ----------------------------------------------------------------


@dataclass(frozen=True)
class UsageRow:
    """One user's credits in one month."""

    email: str
    plan: str
    used: int
    actions: int
    granted: int
    purchased: int

    @classmethod
    def total_of(cls, rows: list[UsageRow]) -> UsageRow:
        return cls(
            email="",
            plan="",
            used=sum(row.used for row in rows),
            actions=sum(row.actions for row in rows),
            granted=sum(row.granted for row in rows),
            purchased=sum(row.purchased for row in rows),
        )


def usage_by_user(month: date) -> list[UsageRow]:
    """Each user with ledger entries in ``month`` (UTC), most credits used first.

    Used = debits less refunds of an action (``selectors.USAGE``, as the Usage page counts it);
    actions = debits, not counting a settle's shortfall charge; granted = grants and staff
    adjustments (net); purchased = top-ups bought.
    """
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end = start + relativedelta(months=1)
    per_user = (
        LedgerEntry.objects.filter(created_at__gte=start, created_at__lt=end)
        .values("user_id", "user__email", "user__credit_account__plan__tier")
        .annotate(
            used=Coalesce(Sum(-F("amount"), filter=USAGE), 0),
            actions=Count("id", filter=Q(kind=EntryKind.DEBIT) & ~Q(metadata__has_key="shortfall")),
            granted=Coalesce(Sum("amount", filter=Q(kind__in=[EntryKind.GRANT, EntryKind.ADJUSTMENT])), 0),
            purchased=Coalesce(Sum("amount", filter=Q(kind=EntryKind.PURCHASE)), 0),
        )
        .order_by()
    )
    plan_names = {plan.tier: plan.name for plan in Plan.objects.all()}
    rows = [
        UsageRow(
            email=row["user__email"],
            plan=plan_names.get(row["user__credit_account__plan__tier"], ""),
            used=row["used"],
            actions=row["actions"],
            granted=row["granted"],
            purchased=row["purchased"],
        )
        for row in per_user
    ]
    rows.sort(key=lambda row: (-row.used, row.email))
    return rows
