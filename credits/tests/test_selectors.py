"""credits/selectors.py: the pricing offers and staff's cost-per-user report (moved from the views and
the admin); the usage reads are covered through the pages in test_pages.py."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import User
from credits import selectors, services
from credits.models import BillingCycle, Plan, TopUpPack

pytestmark = pytest.mark.django_db


def test_plan_offers_price_each_active_plan_for_the_cycle(alice: User) -> None:
    account = services.get_account(alice)
    offers = selectors.plan_offers(cycle=BillingCycle.ANNUAL, account=account)
    assert [offer.plan for offer in offers] == list(Plan.objects.filter(is_active=True))
    assert [offer.plan.pk for offer in offers if offer.is_current] == [account.plan_id]
    for offer in offers:
        assert offer.price_cents == offer.plan.price_cents(BillingCycle.ANNUAL)
        assert 0 <= offer.annual_saving_percent < 100
    # A visitor has no current plan.
    assert not any(offer.is_current for offer in selectors.plan_offers(cycle="monthly", account=None))


def test_top_up_packs_are_the_active_ones_smallest_first() -> None:
    packs = list(selectors.top_up_packs())
    assert packs == sorted(packs, key=lambda pack: pack.credits)
    assert all(pack.is_active for pack in packs)
    assert len(packs) == TopUpPack.objects.filter(is_active=True).count()


def test_usage_by_user_counts_each_users_month(alice: User, charlie: User) -> None:
    services.get_account(alice)
    services.debit(user=alice, action_type="chat", amount=7, idempotency_key="report-1")
    services.grant(user=alice, amount=20, idempotency_key="report-2")
    rows = selectors.usage_by_user(timezone.now().date().replace(day=1))
    mine = next(row for row in rows if row.email == alice.email)
    assert (mine.used, mine.actions, mine.granted) == (7, 1, 20)
    assert charlie.email not in [row.email for row in rows if row.used]
    assert selectors.UsageRow.total_of(rows).used == sum(row.used for row in rows)
