"""The credits API: each signed-in user reads their own credits and ledger, nobody else's."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.test import Client

from accounts.models import User
from credits import services
from credits.models import CreditAccount, LedgerEntry, Plan, Tier

pytestmark = pytest.mark.django_db
CREDITS = "/api/v1/credits/"
USAGE = "/api/v1/credits/usage/"
NOT_SIGNED_IN = {"error": "not_authenticated", "detail": "Authentication credentials were not provided."}


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def test_alice_reads_her_credits(alice_client: Client, alice: User) -> None:
    services.get_account(alice)
    services.purchase(user=alice, amount=1000, idempotency_key="evt_1")
    services.debit(user=alice, action_type="chat", amount=120, idempotency_key="m1")
    services.set_monthly_cap(user=alice, cap=5000)
    response = alice_client.get(CREDITS)
    assert response.status_code == 200
    assert response.json() == {
        "balance": 1380,
        "allowance_remaining": 380,
        "allowance_total": 500,
        "purchased_remaining": 1000,
        "total": 1500,
        "plan": {"tier": "free", "name": "Free"},
        "billing_cycle": "monthly",
        "next_billing_date": None,
        "monthly_cap": 5000,
        "low": False,
    }


def test_a_paid_plan_shows_its_cycle_and_next_billing_date(alice_client: Client, alice: User) -> None:
    renewal = datetime.fromisoformat("2031-01-15T10:00:00+00:00")
    services.set_plan(
        user=alice, plan=Plan.objects.get(tier=Tier.PRO), billing_cycle="annual", next_billing_date=renewal
    )
    data = alice_client.get(CREDITS).json()
    assert data["plan"] == {"tier": "pro", "name": "Pro"}
    assert data["billing_cycle"] == "annual"
    assert datetime.fromisoformat(data["next_billing_date"].replace("Z", "+00:00")) == renewal


def test_the_plan_name_follows_the_language(alice_client: Client, alice: User) -> None:
    response = alice_client.get(CREDITS, headers={"accept-language": "es"})
    assert response.json()["plan"]["name"] == "Gratis"


def test_low_is_true_at_ten_percent_or_less(alice_client: Client, alice: User) -> None:
    services.get_account(alice)
    services.debit(user=alice, action_type="chat", amount=449, idempotency_key="m1")
    assert alice_client.get(CREDITS).json()["low"] is False  # 51 of 500
    services.debit(user=alice, action_type="chat", amount=1, idempotency_key="m2")
    assert alice_client.get(CREDITS).json()["low"] is True  # 50 of 500


def test_the_first_read_opens_a_free_account(alice_client: Client, alice: User) -> None:
    assert not CreditAccount.objects.filter(user=alice).exists()
    assert alice_client.get(CREDITS).json()["balance"] == 500


def test_alice_reads_her_usage_newest_first(alice_client: Client, alice: User) -> None:
    services.get_account(alice)
    services.debit(
        user=alice, action_type="code_generation", tokens=1000, idempotency_key="m1", metadata={"message": 7}
    )
    services.grant(user=alice, amount=25, idempotency_key="g1", reason="Welcome back")
    data = alice_client.get(USAGE).json()
    assert (data["count"], data["next"], data["previous"]) == (3, None, None)
    newest, debit, opening = data["results"]
    assert set(newest) == {
        "id",
        "created_at",
        "kind",
        "amount",
        "balance_after",
        "action_type",
        "reason",
        "metadata",
    }
    assert (newest["kind"], newest["amount"], newest["balance_after"], newest["reason"]) == (
        "grant",
        25,
        520,
        "Welcome back",
    )
    assert (debit["kind"], debit["amount"], debit["action_type"]) == ("debit", -5, "code_generation")
    assert debit["metadata"] == {"message": 7, "tokens": 1000}
    assert (opening["kind"], opening["amount"]) == ("renewal", 500)


def test_usage_is_paginated_by_50(alice_client: Client, alice: User) -> None:
    services.get_account(alice)
    for number in range(120):
        services.debit(user=alice, action_type="chat", amount=1, idempotency_key=f"m{number}")
    first = alice_client.get(USAGE).json()
    assert first["count"] == 121
    assert len(first["results"]) == 50
    assert first["next"].endswith("/api/v1/credits/usage/?page=2")
    assert first["results"][0]["balance_after"] == 380  # the newest
    last = alice_client.get(USAGE, {"page": 3}).json()
    assert len(last["results"]) == 21
    assert last["next"] is None
    assert last["results"][-1]["kind"] == "renewal"  # the oldest: the opening allowance
    ids = {
        entry["id"]
        for page in (1, 2, 3)
        for entry in alice_client.get(USAGE, {"page": page}).json()["results"]
    }
    assert len(ids) == 121
    assert alice_client.get(USAGE, {"page": 4}).status_code == 404


def test_charlie_sees_only_his_own_credits_and_usage(client: Client, alice: User, charlie: User) -> None:
    services.get_account(alice)
    services.purchase(user=alice, amount=9999, idempotency_key="alice-buy")
    client.force_login(charlie)
    credits = client.get(CREDITS).json()
    assert (credits["balance"], credits["purchased_remaining"]) == (500, 0)
    usage = client.get(USAGE).json()
    assert usage["count"] == 1
    assert {entry["id"] for entry in usage["results"]} == set(
        LedgerEntry.objects.filter(user=charlie).values_list("id", flat=True)
    )
    assert client.get(USAGE, {"user": str(alice.pk)}).json()["count"] == 1  # no way to ask for hers


@pytest.mark.parametrize("url", [CREDITS, USAGE])
def test_anonymous_requests_are_refused(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (401, 403)
    assert response.json() == NOT_SIGNED_IN
    assert not CreditAccount.objects.exists()


@pytest.mark.parametrize("url", [CREDITS, USAGE])
def test_the_api_is_read_only(alice_client: Client, alice: User, url: str) -> None:
    services.get_account(alice)
    for method in (alice_client.post, alice_client.put, alice_client.delete):
        assert method(url, {"balance": 1_000_000}, content_type="application/json").status_code in (403, 405)
    assert CreditAccount.objects.get(user=alice).balance == 500
