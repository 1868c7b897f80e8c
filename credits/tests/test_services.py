"""The ledger contract other apps rely on, against the real database.

After every operation the ledger sums to the balance (``assert_ledger_matches``); every refused
operation raises a clear error and changes neither the ledger nor the balance (``unchanged``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from django.apps import apps as django_apps
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from credits import services
from credits.errors import (
    CreditsError,
    InsufficientCredits,
    InvalidAmount,
    SpendingCapReached,
    UnknownActionType,
)
from credits.models import (
    ActionPrice,
    BillingCycle,
    CreditAccount,
    EntryKind,
    LedgerEntry,
    Plan,
    ReservationStatus,
    Tier,
)

pytestmark = pytest.mark.django_db

FREE_ALLOWANCE = 500  # the seeded Free plan's credits per month


def assert_ledger_matches(user: User) -> CreditAccount:
    """The ledger sums to the balance, bucket by bucket, and the newest entry states it."""
    account = CreditAccount.objects.get(user=user)
    entries = LedgerEntry.objects.filter(user=user)
    sums = entries.aggregate(
        amount=Coalesce(Sum("amount"), 0),
        allowance=Coalesce(Sum("allowance_delta"), 0),
        purchased=Coalesce(Sum("purchased_delta"), 0),
    )
    assert sums["amount"] == account.balance
    assert sums["allowance"] == account.allowance_remaining
    assert sums["purchased"] == account.purchased_remaining
    assert account.allowance_remaining >= 0
    assert account.purchased_remaining >= 0
    newest = entries.order_by("-id").first()
    if newest is not None:
        assert newest.balance_after == account.balance
    return account


@pytest.fixture
def seeded_plans(transactional_db: None) -> None:
    """The seeded plans, prices and packs, for transactional tests: each of those ends by emptying
    every table, so the data migration's rows may be gone. Creates only what is missing."""
    seed_migration = importlib.import_module("credits.migrations.0002_seed_plans_prices_packs")
    seed_migration.seed(django_apps, None)


def _state(user: User) -> tuple[int, int, int, int]:
    account = CreditAccount.objects.get(user=user)
    count = LedgerEntry.objects.filter(user=user).count()
    return account.allowance_remaining, account.purchased_remaining, account.spent_in_month, count


@contextmanager
def unchanged(user: User) -> Iterator[None]:
    """The block must change neither the account nor the ledger."""
    before = _state(user)
    yield
    assert _state(user) == before
    assert_ledger_matches(user)


@pytest.fixture
def account(alice: User) -> CreditAccount:
    """Alice's account, opened on Free with its 500-credit allowance."""
    return services.get_account(alice)


def _plan(tier: str) -> Plan:
    return Plan.objects.get(tier=tier)


# --- Opening an account ---------------------------------------------------------------------------


def test_a_new_account_opens_on_free_with_its_allowance(alice: User) -> None:
    account = services.get_account(alice)
    assert account.plan.tier == Tier.FREE
    assert (account.allowance_remaining, account.allowance_total, account.purchased_remaining) == (
        500,
        500,
        0,
    )
    entry = LedgerEntry.objects.get(user=alice)
    assert (entry.kind, entry.amount, entry.balance_after) == (EntryKind.RENEWAL, 500, 500)
    assert_ledger_matches(alice)


def test_opening_twice_grants_the_first_allowance_once(alice: User) -> None:
    services.open_account(user=alice)
    services.open_account(user=alice)
    services.get_account(alice)
    assert LedgerEntry.objects.filter(user=alice).count() == 1
    assert_ledger_matches(alice)


# --- Adding credits -------------------------------------------------------------------------------


def test_a_grant_adds_purchased_credits_that_never_expire(alice: User, account: CreditAccount) -> None:
    entry = services.grant(user=alice, amount=250, idempotency_key="grant-1", reason="Sorry for the outage")
    assert (entry.kind, entry.amount, entry.purchased_delta, entry.allowance_delta) == (
        EntryKind.GRANT,
        250,
        250,
        0,
    )
    assert entry.reason == "Sorry for the outage"
    account = assert_ledger_matches(alice)
    assert (account.allowance_remaining, account.purchased_remaining) == (500, 250)


def test_a_purchase_adds_purchased_credits(alice: User, account: CreditAccount) -> None:
    entry = services.purchase(user=alice, amount=5000, idempotency_key="evt_1", metadata={"pack": 2})
    assert (entry.kind, entry.amount, entry.metadata) == (EntryKind.PURCHASE, 5000, {"pack": 2})
    assert assert_ledger_matches(alice).purchased_remaining == 5000


def test_a_refund_gives_credits_back_to_the_bucket_asked(alice: User, account: CreditAccount) -> None:
    services.debit(user=alice, action_type="chat", amount=100, idempotency_key="d")
    entry = services.refund(
        user=alice, amount=30, to_allowance=20, idempotency_key="r", reason="failed reply"
    )
    assert (entry.kind, entry.allowance_delta, entry.purchased_delta) == (EntryKind.REFUND, 20, 10)
    account = assert_ledger_matches(alice)
    assert (account.allowance_remaining, account.purchased_remaining) == (420, 10)


def test_remove_purchased_takes_back_only_what_remains(alice: User, account: CreditAccount) -> None:
    services.purchase(user=alice, amount=100, idempotency_key="buy")
    services.debit(user=alice, action_type="chat", amount=570, idempotency_key="spend")  # 500 + 70
    entry = services.remove_purchased(user=alice, amount=100, idempotency_key="charge-refunded")
    assert (entry.kind, entry.amount, entry.metadata["requested"]) == (EntryKind.REFUND, -30, 100)
    account = assert_ledger_matches(alice)
    assert (account.allowance_remaining, account.purchased_remaining) == (0, 0)


def test_remove_purchased_with_none_left_is_refused_and_writes_nothing(
    alice: User, account: CreditAccount
) -> None:
    with unchanged(alice), pytest.raises(InsufficientCredits, match="No purchased credits remain"):
        services.remove_purchased(user=alice, amount=10, idempotency_key="nothing-left")
    assert not LedgerEntry.objects.filter(idempotency_key="nothing-left").exists()


# --- Spending -------------------------------------------------------------------------------------


def test_a_debit_spends_the_allowance_before_purchased_credits(alice: User, account: CreditAccount) -> None:
    services.grant(user=alice, amount=100, idempotency_key="g")
    entry = services.debit(user=alice, action_type="chat", amount=550, idempotency_key="msg-1")
    assert (entry.kind, entry.amount, entry.allowance_delta, entry.purchased_delta) == (
        EntryKind.DEBIT,
        -550,
        -500,
        -50,
    )
    assert (entry.action_type, entry.balance_after) == ("chat", 50)
    account = assert_ledger_matches(alice)
    assert (account.allowance_remaining, account.purchased_remaining, account.spent_in_month) == (0, 50, 550)


def test_a_debit_of_the_whole_balance_leaves_zero(alice: User, account: CreditAccount) -> None:
    services.debit(user=alice, action_type="chat", amount=500, idempotency_key="all")
    assert assert_ledger_matches(alice).balance == 0


def test_a_debit_by_tokens_charges_the_price(alice: User, account: CreditAccount) -> None:
    # chat: base 1 + 2 per 1,000 tokens.
    entry = services.debit(
        user=alice, action_type="chat", tokens=2000, idempotency_key="t", metadata={"m": 1}
    )
    assert entry.amount == -(1 + 4)
    assert entry.metadata == {"m": 1, "tokens": 2000}
    assert_ledger_matches(alice)


def test_a_debit_records_the_session(alice: User, account: CreditAccount) -> None:
    import uuid

    session = uuid.uuid4()
    entry = services.debit(user=alice, action_type="chat", amount=3, idempotency_key="s", session_id=session)
    assert entry.session_id == session


@pytest.mark.parametrize(
    ("tokens", "credits"),
    [(0, 5), (1, 5 + 2), (999, 5 + 2), (1000, 5 + 2), (1001, 5 + 4), (2500, 5 + 6)],
)
def test_a_started_thousand_tokens_counts_as_a_whole_thousand(tokens: int, credits: int) -> None:
    price = ActionPrice(action_type="file_analysis", name="x", base_cost=5, cost_per_1k_tokens=2)
    assert price.cost(tokens) == credits


def test_cost_of_uses_the_staff_set_price(db: None) -> None:
    ActionPrice.objects.filter(action_type="chat").update(base_cost=3, cost_per_1k_tokens=10)
    assert services.cost_of(action_type="chat", tokens=0) == 3
    assert services.cost_of(action_type="chat", tokens=1000) == 13
    with pytest.raises(InvalidAmount):
        services.cost_of(action_type="chat", tokens=-1)
    with pytest.raises(UnknownActionType):
        services.cost_of(action_type="teleport")


# --- Bad inputs: a clear error, nothing written ---------------------------------------------------


@pytest.mark.parametrize("amount", [0, -5, 2.5, True, "10"])
def test_a_debit_of_a_bad_amount_is_refused(alice: User, account: CreditAccount, amount: object) -> None:
    with unchanged(alice), pytest.raises(InvalidAmount, match="whole number of credits greater than zero"):
        services.debit(user=alice, action_type="chat", amount=amount, idempotency_key="bad")  # type: ignore[arg-type]
    assert not LedgerEntry.objects.filter(idempotency_key="bad").exists()


def test_a_debit_of_negative_tokens_is_refused(alice: User, account: CreditAccount) -> None:
    with unchanged(alice), pytest.raises(InvalidAmount):
        services.debit(user=alice, action_type="chat", tokens=-100, idempotency_key="neg-tokens")


@pytest.mark.parametrize("operation", ["grant", "purchase", "refund", "remove_purchased"])
@pytest.mark.parametrize("amount", [0, -1, 1.5])
def test_adding_a_bad_amount_is_refused(
    alice: User, account: CreditAccount, operation: str, amount: object
) -> None:
    with unchanged(alice), pytest.raises(InvalidAmount):
        getattr(services, operation)(user=alice, amount=amount, idempotency_key="bad")


def test_an_unknown_action_type_is_refused(alice: User, account: CreditAccount) -> None:
    with unchanged(alice), pytest.raises(UnknownActionType, match="teleport"):
        services.debit(user=alice, action_type="teleport", amount=1, idempotency_key="u")


def test_an_inactive_action_type_is_refused(alice: User, account: CreditAccount) -> None:
    ActionPrice.objects.filter(action_type="chat").update(is_active=False)
    with unchanged(alice), pytest.raises(UnknownActionType):
        services.debit(user=alice, action_type="chat", amount=1, idempotency_key="u")


def test_a_debit_past_the_balance_is_refused_and_writes_nothing(alice: User, account: CreditAccount) -> None:
    services.grant(user=alice, amount=20, idempotency_key="g")
    with unchanged(alice), pytest.raises(InsufficientCredits, match="enough credits") as raised:
        services.debit(user=alice, action_type="chat", amount=521, idempotency_key="too-much")
    assert raised.value.code == "insufficient_credits"
    assert not LedgerEntry.objects.filter(idempotency_key="too-much").exists()
    # The failed key is not burned: paying later with it works.
    services.grant(user=alice, amount=1, idempotency_key="g2")
    assert (
        services.debit(user=alice, action_type="chat", amount=521, idempotency_key="too-much").amount == -521
    )


def test_a_debit_past_the_monthly_cap_is_refused_with_its_own_message(
    alice: User, account: CreditAccount
) -> None:
    services.set_monthly_cap(user=alice, cap=100)
    services.debit(user=alice, action_type="chat", amount=90, idempotency_key="a")
    with unchanged(alice), pytest.raises(SpendingCapReached, match="spending cap") as raised:
        services.debit(user=alice, action_type="chat", amount=11, idempotency_key="b")
    assert raised.value.code == "spending_cap_reached"
    assert str(raised.value) != str(InsufficientCredits())
    services.debit(user=alice, action_type="chat", amount=10, idempotency_key="c")  # exactly the cap
    account = assert_ledger_matches(alice)
    assert (account.balance, account.spent_in_month) == (400, 100)


def test_insufficient_credits_wins_over_the_cap_when_both_apply(alice: User, account: CreditAccount) -> None:
    services.set_monthly_cap(user=alice, cap=10)
    with unchanged(alice), pytest.raises(InsufficientCredits):
        services.debit(user=alice, action_type="chat", amount=501, idempotency_key="x")


def test_the_cap_counts_per_calendar_month(alice: User, account: CreditAccount) -> None:
    services.set_monthly_cap(user=alice, cap=100)
    last_month = (timezone.now().date().replace(day=1) - timedelta(days=1)).replace(day=1)
    CreditAccount.objects.filter(user=alice).update(cap_month=last_month, spent_in_month=100)
    services.debit(user=alice, action_type="chat", amount=100, idempotency_key="new-month")
    account = assert_ledger_matches(alice)
    assert account.spent_in_month == 100
    assert account.cap_month == timezone.now().date().replace(day=1)


def test_clearing_the_cap_lifts_it(alice: User, account: CreditAccount) -> None:
    services.set_monthly_cap(user=alice, cap=5)
    services.set_monthly_cap(user=alice, cap=None)
    services.debit(user=alice, action_type="chat", amount=200, idempotency_key="big")
    assert_ledger_matches(alice)


@pytest.mark.parametrize("cap", [0, -1])
def test_a_cap_must_be_positive(alice: User, account: CreditAccount, cap: int) -> None:
    with pytest.raises(InvalidAmount):
        services.set_monthly_cap(user=alice, cap=cap)
    assert CreditAccount.objects.get(user=alice).monthly_cap is None


# --- Idempotency ----------------------------------------------------------------------------------


def test_a_replayed_debit_returns_the_first_entry_and_changes_nothing(
    alice: User, account: CreditAccount
) -> None:
    first = services.debit(user=alice, action_type="chat", amount=7, idempotency_key="msg-42")
    with unchanged(alice):
        again = services.debit(user=alice, action_type="chat", amount=7, idempotency_key="msg-42")
        different = services.debit(
            user=alice, action_type="code_generation", amount=99, idempotency_key="msg-42"
        )
    assert again.pk == first.pk == different.pk
    assert different.amount == -7


@pytest.mark.parametrize("operation", ["grant", "purchase", "refund"])
def test_a_replayed_credit_returns_the_first_entry_and_changes_nothing(
    alice: User, account: CreditAccount, operation: str
) -> None:
    first = getattr(services, operation)(user=alice, amount=40, idempotency_key="evt_1")
    with unchanged(alice):
        again = getattr(services, operation)(user=alice, amount=40, idempotency_key="evt_1")
    assert again.pk == first.pk


def test_a_replayed_adjustment_changes_nothing(alice: User, staff: User, account: CreditAccount) -> None:
    first = services.adjust(user=alice, amount=-30, staff_user=staff, reason="typo", idempotency_key="adj")
    with unchanged(alice):
        again = services.adjust(
            user=alice, amount=-30, staff_user=staff, reason="typo", idempotency_key="adj"
        )
    assert again.pk == first.pk


# --- Staff adjustments ----------------------------------------------------------------------------


def test_an_adjustment_records_the_staff_user_and_reason(
    alice: User, staff: User, account: CreditAccount
) -> None:
    entry = services.adjust(user=alice, amount=75, staff_user=staff, reason="  Beta tester bonus  ")
    assert (entry.kind, entry.amount, entry.purchased_delta) == (EntryKind.ADJUSTMENT, 75, 75)
    assert (entry.staff_user, entry.reason) == (staff, "Beta tester bonus")
    minus = services.adjust(user=alice, amount=-100, staff_user=staff, reason="Duplicate grant")
    assert (minus.amount, minus.allowance_delta) == (-100, -100)
    account = assert_ledger_matches(alice)
    assert (account.allowance_remaining, account.purchased_remaining) == (400, 75)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_an_adjustment_without_a_reason_is_refused(
    alice: User, staff: User, account: CreditAccount, reason: str | None
) -> None:
    with unchanged(alice), pytest.raises(InvalidAmount, match="reason is required"):
        services.adjust(user=alice, amount=10, staff_user=staff, reason=reason)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", [0, 1.5, True])
def test_an_adjustment_of_a_bad_amount_is_refused(
    alice: User, staff: User, account: CreditAccount, amount: object
) -> None:
    with unchanged(alice), pytest.raises(InvalidAmount, match="other than zero"):
        services.adjust(user=alice, amount=amount, staff_user=staff, reason="x")  # type: ignore[arg-type]


def test_a_negative_adjustment_past_the_balance_is_refused(
    alice: User, staff: User, account: CreditAccount
) -> None:
    with unchanged(alice), pytest.raises(InsufficientCredits, match="smaller than the adjustment"):
        services.adjust(user=alice, amount=-501, staff_user=staff, reason="clawback")


# --- Reserve and settle ---------------------------------------------------------------------------


def test_reserve_holds_the_estimate(alice: User, account: CreditAccount) -> None:
    reservation = services.reserve(user=alice, action_type="chat", amount=50, idempotency_key="msg-1")
    assert (reservation.held, reservation.status, reservation.action_type) == (
        50,
        ReservationStatus.HELD,
        "chat",
    )
    assert assert_ledger_matches(alice).balance == 450


def test_a_replayed_reserve_holds_once(alice: User, account: CreditAccount) -> None:
    first = services.reserve(user=alice, action_type="chat", amount=50, idempotency_key="msg-1")
    with unchanged(alice):
        again = services.reserve(user=alice, action_type="chat", amount=50, idempotency_key="msg-1")
    assert again.pk == first.pk


def test_a_reserve_past_the_balance_is_refused(alice: User, account: CreditAccount) -> None:
    with unchanged(alice), pytest.raises(InsufficientCredits):
        services.reserve(user=alice, action_type="chat", amount=501, idempotency_key="msg-1")


def test_settle_releases_the_unused_part(alice: User, account: CreditAccount) -> None:
    reservation = services.reserve(user=alice, action_type="chat", amount=50, idempotency_key="msg-1")
    settled = services.settle(reservation=reservation, amount=20)
    assert (settled.status, settled.charged) == (ReservationStatus.SETTLED, 20)
    assert settled.settled_at is not None
    back = LedgerEntry.objects.get(idempotency_key="msg-1:settle")
    assert (back.kind, back.amount, back.action_type) == (EntryKind.REFUND, 30, "chat")
    assert assert_ledger_matches(alice).balance == 480


def test_settle_by_the_reservations_key_needs_no_credits_object(alice: User, account: CreditAccount) -> None:
    services.reserve(user=alice, action_type="chat", amount=50, idempotency_key="msg-1")
    settled = services.settle(idempotency_key="msg-1", amount=30)
    assert (settled.status, settled.charged) == ("settled", 30)
    assert services.get_account(alice).balance == 470
    # Settling again changes nothing; a key nothing was reserved under (a free action) is None.
    assert services.settle(idempotency_key="msg-1", amount=0).charged == 30
    assert services.get_account(alice).balance == 470
    assert services.settle(idempotency_key="never-reserved", amount=5) is None
    with pytest.raises(TypeError):
        services.settle(amount=5)


def test_settle_gives_purchased_credits_back_first(alice: User, account: CreditAccount) -> None:
    services.purchase(user=alice, amount=100, idempotency_key="buy")
    reservation = services.reserve(user=alice, action_type="chat", amount=550, idempotency_key="msg-1")
    assert (reservation.held_from_allowance, reservation.held_from_purchased) == (500, 50)
    services.settle(reservation=reservation, amount=480)  # 70 back: 50 purchased, 20 allowance
    account = assert_ledger_matches(alice)
    assert (account.allowance_remaining, account.purchased_remaining) == (20, 100)


def test_settle_by_tokens_charges_the_price(alice: User, account: CreditAccount) -> None:
    reservation = services.reserve(user=alice, action_type="chat", amount=20, idempotency_key="msg-1")
    settled = services.settle(reservation=reservation, tokens=3000)  # 1 + 6
    assert settled.charged == 7
    assert assert_ledger_matches(alice).balance == 493


def test_settle_charges_the_shortfall(alice: User, account: CreditAccount) -> None:
    reservation = services.reserve(user=alice, action_type="chat", amount=10, idempotency_key="msg-1")
    settled = services.settle(reservation=reservation, amount=40)
    assert settled.charged == 40
    extra = LedgerEntry.objects.get(idempotency_key="msg-1:settle")
    assert (extra.kind, extra.amount) == (EntryKind.DEBIT, -30)
    assert assert_ledger_matches(alice).balance == 460


def test_settle_charges_the_shortfall_only_as_far_as_the_balance_goes(
    alice: User, account: CreditAccount
) -> None:
    reservation = services.reserve(user=alice, action_type="chat", amount=495, idempotency_key="msg-1")
    settled = services.settle(reservation=reservation, amount=600)
    assert settled.charged == 500  # the reply was delivered: what's left is taken, never more
    extra = LedgerEntry.objects.get(idempotency_key="msg-1:settle")
    assert (extra.amount, extra.metadata["shortfall"]) == (-5, 100)
    assert assert_ledger_matches(alice).balance == 0


def test_settle_with_an_empty_balance_charges_the_hold_only(alice: User, account: CreditAccount) -> None:
    reservation = services.reserve(user=alice, action_type="chat", amount=500, idempotency_key="msg-1")
    with unchanged(alice):
        settled = services.settle(reservation=reservation, amount=800)
    assert settled.charged == 500


def test_settle_at_exactly_the_hold_writes_no_entry(alice: User, account: CreditAccount) -> None:
    reservation = services.reserve(user=alice, action_type="chat", amount=25, idempotency_key="msg-1")
    with unchanged(alice):
        settled = services.settle(reservation=reservation, amount=25)
    assert settled.charged == 25


def test_settle_is_idempotent(alice: User, account: CreditAccount) -> None:
    reservation = services.reserve(user=alice, action_type="chat", amount=50, idempotency_key="msg-1")
    services.settle(reservation=reservation, amount=20)
    with unchanged(alice):
        again = services.settle(reservation=reservation, amount=5)
        services.settle(reservation=reservation, amount=90)
    assert again.charged == 20


def test_settle_of_a_negative_amount_is_refused(alice: User, account: CreditAccount) -> None:
    reservation = services.reserve(user=alice, action_type="chat", amount=50, idempotency_key="msg-1")
    with unchanged(alice), pytest.raises(InvalidAmount):
        services.settle(reservation=reservation, amount=-1)
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.HELD


def test_a_released_reservation_does_not_count_against_the_cap(alice: User, account: CreditAccount) -> None:
    services.set_monthly_cap(user=alice, cap=100)
    reservation = services.reserve(user=alice, action_type="chat", amount=80, idempotency_key="msg-1")
    services.settle(reservation=reservation, amount=10)
    # 10 spent this month: 90 more fit under the cap of 100.
    services.debit(user=alice, action_type="chat", amount=90, idempotency_key="msg-2")
    assert assert_ledger_matches(alice).spent_in_month == 100


def test_a_settled_shortfall_counts_against_the_cap(alice: User, account: CreditAccount) -> None:
    services.set_monthly_cap(user=alice, cap=100)
    reservation = services.reserve(user=alice, action_type="chat", amount=10, idempotency_key="msg-1")
    services.settle(reservation=reservation, amount=60)
    assert CreditAccount.objects.get(user=alice).spent_in_month == 60
    with pytest.raises(SpendingCapReached):
        services.debit(user=alice, action_type="chat", amount=41, idempotency_key="msg-2")


# --- Renewals -------------------------------------------------------------------------------------


def test_renewing_resets_the_allowance_and_keeps_purchased_credits(
    alice: User, account: CreditAccount
) -> None:
    services.purchase(user=alice, amount=100, idempotency_key="buy")
    services.debit(user=alice, action_type="chat", amount=300, idempotency_key="spend")
    services.set_plan(user=alice, plan=_plan(Tier.PRO))
    entry = services.renew_allowance(user=alice, idempotency_key="in_123")
    assert (entry.kind, entry.amount, entry.allowance_delta) == (EntryKind.RENEWAL, 9800, 9800)
    account = assert_ledger_matches(alice)
    assert (account.allowance_remaining, account.allowance_total, account.purchased_remaining) == (
        10000,
        10000,
        100,
    )
    with unchanged(alice):
        assert services.renew_allowance(user=alice, idempotency_key="in_123").pk == entry.pk


def test_a_renewal_with_nothing_spent_is_recorded_as_zero(alice: User, account: CreditAccount) -> None:
    entry = services.renew_allowance(user=alice, idempotency_key="renewal-2")
    assert (entry.kind, entry.amount) == (EntryKind.RENEWAL, 0)
    assert_ledger_matches(alice)


def _make_due(user: User, when: datetime) -> None:
    CreditAccount.objects.filter(user=user).update(allowance_renews_at=when)


def test_due_free_and_annual_allowances_renew_but_not_monthly_paid_ones(
    alice: User, bob: User, charlie: User, staff: User
) -> None:
    now = timezone.now()
    for user in (alice, bob, charlie, staff):
        services.get_account(user)
        services.debit(user=user, action_type="chat", amount=100, idempotency_key=f"spend-{user.pk}")
    services.set_plan(user=bob, plan=_plan(Tier.PRO), billing_cycle=BillingCycle.ANNUAL)
    services.set_plan(user=charlie, plan=_plan(Tier.PRO), billing_cycle=BillingCycle.MONTHLY)
    for user in (alice, bob, charlie):
        _make_due(user, now - timedelta(hours=1))
    _make_due(staff, now + timedelta(days=3))  # Free, not due yet

    assert services.renew_due_allowances(now=now) == 2

    balances = {user.email: assert_ledger_matches(user) for user in (alice, bob, charlie, staff)}
    assert balances[alice.email].allowance_remaining == 500
    assert balances[bob.email].allowance_remaining == 10000  # the annual plan's monthly credits
    assert balances[charlie.email].allowance_remaining == 400  # Stripe's invoice renews it
    assert balances[staff.email].allowance_remaining == 400
    assert balances[alice.email].allowance_renews_at > now
    assert balances[bob.email].allowance_renews_at > now


def test_renewing_due_allowances_twice_renews_once(alice: User, account: CreditAccount) -> None:
    now = timezone.now()
    _make_due(alice, now - timedelta(minutes=5))
    assert services.renew_due_allowances(now=now) == 1
    services.debit(user=alice, action_type="chat", amount=100, idempotency_key="after")
    with unchanged(alice):
        assert services.renew_due_allowances(now=now) == 0
        assert services.renew_due_allowances(now=now + timedelta(minutes=15)) == 0


def test_an_allowance_overdue_by_months_renews_once(alice: User, account: CreditAccount) -> None:
    # E.g. the beat was down for six weeks: one renewal, and the next one lies in the future.
    now = timezone.now()
    _make_due(alice, now - timedelta(days=45))
    assert services.renew_due_allowances(now=now) == 1
    assert CreditAccount.objects.get(user=alice).allowance_renews_at > now
    services.debit(user=alice, action_type="chat", amount=100, idempotency_key="after")
    with unchanged(alice):
        assert services.renew_due_allowances(now=now + timedelta(minutes=15)) == 0


def test_errors_carry_a_message_and_a_stable_code() -> None:
    for error in (InsufficientCredits(), SpendingCapReached(), InvalidAmount(), UnknownActionType()):
        assert isinstance(error, CreditsError)
        assert str(error)
        assert error.code
