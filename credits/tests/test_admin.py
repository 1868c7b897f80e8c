"""The credits back office: staff (signed in with TOTP) find accounts by plan, grant or adjust
credits with a reason, read the cost-per-user report; the ledger can't be edited; nobody else
reaches any of it."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import pytest
from django.contrib.admin import site
from django.contrib.auth.models import Permission
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.models import User
from accounts.tests.helpers import signed_in_with_totp
from conftest import make_user
from credits import services
from credits.models import BillingCycle, CreditAccount, EntryKind, LedgerEntry, Plan, Tier
from credits.tests.test_services import assert_ledger_matches

pytestmark = pytest.mark.django_db
ACCOUNTS = "/admin/credits/creditaccount/"
REPORT = "/admin/credits/creditaccount/report/"
LEDGER = "/admin/credits/ledgerentry/"


@pytest.fixture
def accounts(alice: User, bob: User) -> tuple[CreditAccount, CreditAccount]:
    """Alice on Free (500 credits), Bob on Pro, annual (500 credits until his renewal)."""
    services.get_account(alice)
    services.get_account(bob)
    services.set_plan(user=bob, plan=Plan.objects.get(tier=Tier.PRO), billing_cycle=BillingCycle.ANNUAL)
    return CreditAccount.objects.get(user=alice), CreditAccount.objects.get(user=bob)


def _action(client: Client, users: list[User], **data: object):
    return client.post(
        ACCOUNTS,
        {"action": "grant_or_adjust_credits", "_selected_action": [str(user.pk) for user in users], **data},
        follow=True,
    )


# --- Finding accounts -----------------------------------------------------------------------------


def test_staff_find_accounts_by_plan(staff_client: Client, accounts: tuple, alice: User, bob: User) -> None:
    pro = Plan.objects.get(tier=Tier.PRO)
    response = staff_client.get(ACCOUNTS, {"plan__id__exact": pro.pk})
    assert response.status_code == 200
    assert bob.email in response.text
    assert alice.email not in response.text
    free = staff_client.get(ACCOUNTS, {"plan__id__exact": Plan.objects.get(tier=Tier.FREE).pk})
    assert alice.email in free.text
    assert bob.email not in free.text


def test_staff_filter_accounts_by_cycle_and_search_by_email_or_name(
    staff_client: Client, accounts: tuple, alice: User, bob: User
) -> None:
    annual = staff_client.get(ACCOUNTS, {"billing_cycle__exact": "annual"})
    assert bob.email in annual.text
    assert alice.email not in annual.text
    by_name = staff_client.get(ACCOUNTS, {"q": "Alice Exam"})
    assert alice.email in by_name.text
    assert bob.email not in by_name.text


def test_the_account_list_shows_balances_in_a_fixed_number_of_queries(
    staff_client: Client, accounts: tuple, django_assert_max_num_queries
) -> None:
    for index in range(5):
        make_user(f"user{index}@example.com")
        services.get_account(User.objects.get(email=f"user{index}@example.com"))
    with django_assert_max_num_queries(20):
        response = staff_client.get(ACCOUNTS)
    assert "user4@example.com" in response.text
    assert "500 / 500" in response.text  # allowance remaining / total


def test_the_account_page_shows_read_only_balances_and_the_latest_50_entries(
    staff_client: Client, accounts: tuple, alice: User
) -> None:
    for number in range(1, 61):
        services.grant(user=alice, amount=1, idempotency_key=f"g{number}", reason=f"r-{number:03d}")
    response = staff_client.get(f"{ACCOUNTS}{alice.pk}/change/")
    assert response.status_code == 200
    form = response.context["adminform"].form
    for name in ("allowance_remaining", "purchased_remaining", "allowance_total", "user"):
        assert name not in form.fields  # read-only: shown, not editable
    assert "<td>r-060</td>" in response.text  # a table, not escaped HTML
    assert "r-011" in response.text
    assert "r-010" not in response.text  # the 51st newest
    assert f"{LEDGER}?user__id__exact={alice.pk}" in response.text


def test_the_ledger_link_lists_only_that_users_entries(
    staff_client: Client, accounts: tuple, alice: User, bob: User
) -> None:
    services.grant(user=alice, amount=5, idempotency_key="a", reason="alice-grant")
    services.grant(user=bob, amount=5, idempotency_key="b", reason="bob-grant")
    response = staff_client.get(LEDGER, {"user__id__exact": str(alice.pk)})
    assert "alice-grant" in response.text
    assert "bob-grant" not in response.text


def test_saving_the_account_form_never_writes_back_a_stale_balance(
    staff: User, accounts: tuple, alice: User
) -> None:
    stale = CreditAccount.objects.get(user=alice)
    services.debit(user=alice, action_type="chat", amount=100, idempotency_key="meanwhile")
    model_admin = site._registry[CreditAccount]
    request = RequestFactory().post("/")
    request.user = staff
    form_class = model_admin.get_form(request, stale, change=True)
    renews = timezone.localtime(stale.allowance_renews_at)
    form = form_class(
        data={
            "plan": stale.plan_id,
            "billing_cycle": stale.billing_cycle,
            "allowance_renews_at_0": renews.strftime("%Y-%m-%d"),
            "allowance_renews_at_1": renews.strftime("%H:%M:%S"),
            "monthly_cap": "50",
        },
        instance=stale,
    )
    assert form.is_valid(), form.errors
    model_admin.save_model(request, form.save(commit=False), form, change=True)
    account = assert_ledger_matches(alice)
    assert (account.balance, account.monthly_cap) == (400, 50)


def test_staff_can_neither_add_nor_delete_accounts(
    staff_client: Client, accounts: tuple, alice: User
) -> None:
    assert staff_client.get(f"{ACCOUNTS}add/").status_code == 403
    assert staff_client.get(f"{ACCOUNTS}{alice.pk}/delete/").status_code == 403
    assert CreditAccount.objects.filter(user=alice).exists()


# --- Grant or adjust credits ----------------------------------------------------------------------


def test_the_action_asks_for_an_amount_and_a_reason(
    staff_client: Client, accounts: tuple, alice: User, bob: User
) -> None:
    response = _action(staff_client, [alice, bob])
    assert response.status_code == 200
    assert response.templates[0].name == "admin/credits/adjust_credits.html"
    assert alice.email in response.text
    assert bob.email in response.text
    assert 'name="reason"' in response.text
    assert not LedgerEntry.objects.filter(kind=EntryKind.ADJUSTMENT).exists()


def test_staff_grant_credits_with_a_reason_recorded_with_their_name(
    staff_client: Client, staff: User, accounts: tuple, alice: User, bob: User
) -> None:
    response = _action(
        staff_client, [alice, bob], apply="1", amount="100", reason="Outage on 3 May", token=str(uuid.uuid4())
    )
    assert response.redirect_chain[-1][0] == ACCOUNTS
    assert "Credits adjusted for alice@example.com: +100, balance now 600." in response.text
    assert "Credits adjusted for bob@example.com: +100, balance now 600." in response.text
    for user in (alice, bob):
        entry = LedgerEntry.objects.get(user=user, kind=EntryKind.ADJUSTMENT)
        assert (entry.amount, entry.staff_user, entry.reason) == (100, staff, "Outage on 3 May")
        assert assert_ledger_matches(user).balance == 600


def test_each_account_reports_its_own_failure(
    staff_client: Client, accounts: tuple, alice: User, bob: User
) -> None:
    services.debit(user=bob, action_type="chat", amount=450, idempotency_key="bob-spent")
    response = _action(
        staff_client,
        [alice, bob],
        apply="1",
        amount="-100",
        reason="Duplicate grant",
        token=str(uuid.uuid4()),
    )
    assert "Credits adjusted for alice@example.com: -100, balance now 400." in response.text
    assert (
        "Credits not adjusted for bob@example.com: The balance is smaller than the adjustment."
        in response.text
    )
    assert not LedgerEntry.objects.filter(user=bob, kind=EntryKind.ADJUSTMENT).exists()
    assert assert_ledger_matches(bob).balance == 50


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"amount": "100", "reason": ""}, "This field is required."),
        ({"amount": "100", "reason": "   "}, "This field is required."),
        ({"amount": "0", "reason": "x"}, "Enter a number of credits other than zero."),
        ({"amount": "1.5", "reason": "x"}, "Enter a whole number."),
        ({"amount": "", "reason": "x"}, "This field is required."),
    ],
)
def test_the_action_without_a_valid_amount_and_reason_writes_nothing(
    staff_client: Client, accounts: tuple, alice: User, data: dict, error: str
) -> None:
    before = LedgerEntry.objects.count()
    response = _action(staff_client, [alice], apply="1", token=str(uuid.uuid4()), **data)
    assert response.status_code == 200
    assert error in response.text
    assert LedgerEntry.objects.count() == before
    assert CreditAccount.objects.get(user=alice).balance == 500


def test_submitting_the_same_form_twice_adjusts_once(
    staff_client: Client, accounts: tuple, alice: User
) -> None:
    token = str(uuid.uuid4())
    for _attempt in range(2):
        _action(staff_client, [alice], apply="1", amount="25", reason="Bonus", token=token)
    assert LedgerEntry.objects.filter(user=alice, kind=EntryKind.ADJUSTMENT).count() == 1
    assert assert_ledger_matches(alice).balance == 525


def test_staff_who_may_only_view_accounts_cannot_adjust(accounts: tuple, alice: User) -> None:
    viewer = make_user("viewer@example.com", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_creditaccount"))
    client = signed_in_with_totp(viewer)
    assert client.get(ACCOUNTS).status_code == 200
    _action(client, [alice], apply="1", amount="1000", reason="Me", token=str(uuid.uuid4()))
    assert not LedgerEntry.objects.filter(kind=EntryKind.ADJUSTMENT).exists()
    assert client.get(REPORT).status_code == 200  # viewing is what the report needs


# --- The cost-per-user report ---------------------------------------------------------------------


@pytest.fixture
def usage(accounts: tuple, alice: User, bob: User) -> None:
    services.debit(user=alice, action_type="chat", amount=30, idempotency_key="a1")
    reservation = services.reserve(user=alice, action_type="chat", amount=50, idempotency_key="a2")
    services.settle(reservation=reservation, amount=20)  # 30 of the hold given back
    services.purchase(user=alice, amount=1000, idempotency_key="evt_buy")
    services.grant(user=alice, amount=200, idempotency_key="gift")
    services.debit(user=bob, action_type="code_generation", amount=100, idempotency_key="b1")


def test_the_account_list_links_to_the_report(staff_client: Client, accounts: tuple) -> None:
    response = staff_client.get(ACCOUNTS)
    assert f'href="{REPORT}"' in response.text
    assert "Cost per user" in response.text


def test_the_report_lists_usage_per_user_biggest_first(
    staff_client: Client, usage: None, alice: User, bob: User
) -> None:
    response = staff_client.get(REPORT)
    assert response.status_code == 200
    rows = [
        (row.email, row.plan, row.used, row.actions, row.granted, row.purchased)
        for row in response.context["rows"]
    ]
    assert rows == [
        (bob.email, "Pro", 100, 1, 0, 0),
        (alice.email, "Free", 50, 2, 200, 1000),
    ]
    assert response.text.index(bob.email) < response.text.index(alice.email)


def test_the_report_downloads_as_csv(staff_client: Client, usage: None, alice: User, bob: User) -> None:
    month = timezone.now().strftime("%Y-%m")
    response = staff_client.get(REPORT, {"month": month, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="credits-usage-{month}.csv"' in response["Content-Disposition"]
    assert list(csv.reader(io.StringIO(response.content.decode()))) == [
        ["email", "plan", "credits_used", "actions", "credits_granted", "credits_purchased"],
        [bob.email, "Pro", "100", "1", "0", "0"],
        [alice.email, "Free", "50", "2", "200", "1000"],
    ]


def test_the_report_shows_the_month_asked_for(staff_client: Client, usage: None, alice: User) -> None:
    LedgerEntry.objects.filter(idempotency_key="a1").update(created_at=timezone.now() - timedelta(days=62))
    old = LedgerEntry.objects.get(idempotency_key="a1").created_at
    response = staff_client.get(REPORT, {"month": old.strftime("%Y-%m")})
    rows = [(row.email, row.used, row.actions) for row in response.context["rows"]]
    assert rows == [(alice.email, 30, 1)]
    empty = staff_client.get(REPORT, {"month": "2001-01"})
    assert empty.context["rows"] == []
    assert "No credits were used" in empty.text


def test_a_bad_month_shows_this_month_with_a_message(staff_client: Client, usage: None) -> None:
    response = staff_client.get(REPORT, {"month": "May"})
    assert response.status_code == 200
    assert "is not a month (YYYY-MM)" in response.text
    assert len(response.context["rows"]) == 2


# --- The ledger and reservations are read-only ----------------------------------------------------


def test_the_ledger_is_read_only_for_staff(staff_client: Client, accounts: tuple, alice: User) -> None:
    entry = LedgerEntry.objects.get(user=alice)
    listing = staff_client.get(LEDGER, {"kind__exact": "renewal", "action_type": "chat"})
    assert listing.status_code == 200
    assert staff_client.get(f"{LEDGER}add/").status_code == 403
    assert staff_client.get(f"{LEDGER}{entry.pk}/delete/").status_code == 403
    page = staff_client.get(f"{LEDGER}{entry.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.text
    staff_client.post(f"{LEDGER}{entry.pk}/change/", {"amount": "99999", "kind": "grant"})
    entry.refresh_from_db()
    assert entry.amount == 500
    assert staff_client.get("/admin/credits/reservation/add/").status_code == 403
    assert staff_client.get("/admin/credits/reservation/").status_code == 200


def test_prices_are_editable_from_the_list_and_plans_in_both_languages(staff_client: Client) -> None:
    prices = staff_client.get("/admin/credits/actionprice/")
    assert 'name="form-0-base_cost"' in prices.text
    assert 'name="form-0-cost_per_1k_tokens"' in prices.text
    plan = Plan.objects.get(tier=Tier.FREE)
    page = staff_client.get(f"/admin/credits/plan/{plan.pk}/change/")
    assert 'name="name_es"' in page.text
    assert "Gratis" in page.text


# --- Nobody else ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [ACCOUNTS, REPORT, f"{REPORT}?format=csv", LEDGER])
def test_a_user_who_is_not_staff_is_refused(client: Client, alice: User, accounts: tuple, url: str) -> None:
    client.force_login(alice)
    response = client.get(url, follow=True)
    assert response.status_code == 403
    assert "credits_used" not in response.text


@pytest.mark.parametrize("url", [ACCOUNTS, REPORT, LEDGER])
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_user_who_is_not_staff_cannot_run_the_action(client: Client, alice: User, accounts: tuple) -> None:
    client.force_login(alice)
    _action(client, [alice], apply="1", amount="1000", reason="Free money", token=str(uuid.uuid4()))
    assert not LedgerEntry.objects.filter(kind=EntryKind.ADJUSTMENT).exists()
