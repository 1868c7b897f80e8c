"""Stripe webhooks through dj-stripe's real endpoint: signed as Stripe signs them, each event
applied to the ledger once, anything unverifiable or unknown writing nothing."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from djstripe.models import WebhookEndpoint, WebhookEventTrigger

from accounts.models import User
from credits import services
from credits.models import (
    BillingCycle,
    CreditAccount,
    EntryKind,
    LedgerEntry,
    Plan,
    RefusalReason,
    RefusedWebhook,
    Tier,
)
from credits.services import stripe as billing
from credits.services import webhook_refusals
from credits.tests.fake_stripe import (
    WEBHOOK_SECRET,
    FakeStripe,
    charge_object,
    checkout_session_object,
    invoice_object,
    make_event,
    new_id,
    serve_fake_stripe,
    sign,
    subscription_object,
)


@pytest.fixture
def fake_stripe(settings, db: None) -> Iterator[FakeStripe]:
    with serve_fake_stripe(settings) as fake:
        yield fake


@pytest.fixture
def endpoint(fake_stripe: FakeStripe) -> WebhookEndpoint:
    return billing.ensure_webhook_endpoint()


@pytest.fixture
def stripe_client() -> Client:
    # dj-stripe answers 500 when processing raises; see it as Stripe would instead of as an exception.
    return Client(raise_request_exception=False)


def post(client: Client, endpoint: WebhookEndpoint, event: dict, *, secret: str = WEBHOOK_SECRET, **headers):
    payload = json.dumps(event, indent=2)  # Stripe pretty-prints its webhook bodies
    headers.setdefault("HTTP_STRIPE_SIGNATURE", sign(payload, secret))
    url = reverse("stripe_webhook", kwargs={"uuid": endpoint.djstripe_uuid})
    return client.post(url, payload, content_type="application/json", **headers)


def assert_ledger_matches_balance(user: User) -> None:
    account = CreditAccount.objects.get(pk=user.pk)
    sums = LedgerEntry.objects.filter(user=user).aggregate(
        total=Sum("amount"), allowance=Sum("allowance_delta"), purchased=Sum("purchased_delta")
    )
    assert sums == {
        "total": account.balance,
        "allowance": account.allowance_remaining,
        "purchased": account.purchased_remaining,
    }


def snapshot(user: User) -> tuple:
    account = services.get_account(user)  # opened on Free the first time
    entries = list(LedgerEntry.objects.filter(user=user).order_by("id").values_list("id", flat=True))
    return (
        entries,
        account.allowance_remaining,
        account.purchased_remaining,
        account.plan_id,
        account.stripe_customer_id,
        account.stripe_subscription_id,
        account.cancel_at_period_end,
        account.next_billing_date,
    )


def top_up_metadata(user: User, credits: int = 5000) -> dict[str, str]:
    return {"user_id": str(user.pk), "kind": "top_up", "pack": "2", "credits": str(credits)}


def sub_metadata(user: User, tier: str = Tier.PRO, cycle: str = "monthly") -> dict[str, str]:
    return {"user_id": str(user.pk), "plan": tier, "cycle": cycle}


def subscribed(user: User, tier: str = Tier.PRO, cycle: str = BillingCycle.MONTHLY) -> CreditAccount:
    """``user`` as after a completed subscription checkout: on ``tier`` with a customer and subscription."""
    return services.set_plan(
        user=user,
        plan=Plan.objects.get(tier=tier),
        billing_cycle=cycle,
        stripe_customer_id=f"cus_{user.pk.hex[:12]}",
        stripe_subscription_id=f"sub_{user.pk.hex[:12]}",
    )


def bought_top_up(client, endpoint, user: User, *, credits: int = 5000, cents: int = 2000) -> str:
    """``user`` bought ``credits`` through Checkout; returns the payment intent."""
    payment_intent = new_id("pi")
    session = checkout_session_object(
        metadata=top_up_metadata(user, credits), payment_intent=payment_intent, amount_total=cents
    )
    assert post(client, endpoint, make_event("checkout.session.completed", session)).status_code == 200
    return payment_intent


def ago(seconds: float, moment: datetime | None) -> bool:
    return moment is not None and abs((datetime.now(UTC) - moment).total_seconds() - seconds) < 120


# --- The endpoint ---


def test_ensure_webhook_endpoint_creates_one_row_and_follows_the_secret(fake_stripe, settings):
    first = billing.ensure_webhook_endpoint()
    settings.STRIPE_WEBHOOK_SECRET = "whsec_rotated"
    second = billing.ensure_webhook_endpoint()

    assert WebhookEndpoint.objects.count() == 1
    assert second.djstripe_uuid == first.djstripe_uuid  # the URL Stripe knows stays valid
    assert WebhookEndpoint.objects.get().secret == "whsec_rotated"
    assert second.url == billing.webhook_url(second)
    assert second.url.startswith(settings.SITE_URL)


def test_a_rotated_secret_is_what_signatures_are_checked_against(fake_stripe, settings, stripe_client, alice):
    endpoint = billing.ensure_webhook_endpoint()
    settings.STRIPE_WEBHOOK_SECRET = "whsec_rotated"
    billing.ensure_webhook_endpoint()
    event = make_event("checkout.session.completed", checkout_session_object(metadata=top_up_metadata(alice)))

    assert post(stripe_client, endpoint, event, secret=WEBHOOK_SECRET).status_code == 400
    assert post(stripe_client, endpoint, event, secret="whsec_rotated").status_code == 200


def test_stripe_webhook_command_prints_the_url_and_the_events(fake_stripe, capsys):
    call_command("stripe_webhook")

    out = capsys.readouterr().out
    endpoint = WebhookEndpoint.objects.get()
    assert billing.webhook_url(endpoint) in out
    assert all(event in out for event in billing.HANDLED_EVENTS)


def test_stripe_webhook_command_without_a_secret_says_what_to_set(fake_stripe, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""

    with pytest.raises(CommandError, match="STRIPE_WEBHOOK_SECRET"):
        call_command("stripe_webhook")
    assert not WebhookEndpoint.objects.exists()


# --- Top-ups ---


def test_a_paid_top_up_checkout_adds_purchased_credits(stripe_client, endpoint, alice):
    before = services.get_account(alice)
    payment_intent = new_id("pi")
    session = checkout_session_object(metadata=top_up_metadata(alice, 5000), payment_intent=payment_intent)
    event = make_event("checkout.session.completed", session)

    response = post(stripe_client, endpoint, event)

    assert response.status_code == 200
    account = services.get_account(alice)
    assert account.purchased_remaining == before.purchased_remaining + 5000
    assert account.allowance_remaining == before.allowance_remaining
    entry = LedgerEntry.objects.get(idempotency_key=f"stripe:{event['id']}")
    assert (entry.kind, entry.amount, entry.user) == (EntryKind.PURCHASE, 5000, alice)
    assert entry.metadata["payment_intent"] == payment_intent
    assert entry.metadata["checkout_session"] == session["id"]
    assert WebhookEventTrigger.objects.get(pk=int(response.content)).processed
    assert_ledger_matches_balance(alice)


def test_checkout_through_the_fake_server_then_its_webhook_credits_the_buyer(
    client, stripe_client, endpoint, fake_stripe, alice
):
    client.force_login(alice)
    client.post(reverse("credits:buy_top_up"), {"pack": "2"})
    [session_id] = fake_stripe.checkout_sessions
    session = fake_stripe.complete_checkout(session_id)
    before = services.get_account(alice).purchased_remaining

    post(stripe_client, endpoint, make_event("checkout.session.completed", session))

    assert services.get_account(alice).purchased_remaining == before + int(session["metadata"]["credits"])
    assert_ledger_matches_balance(alice)


def test_an_unpaid_top_up_waits_for_the_async_payment(stripe_client, endpoint, alice):
    before = snapshot(alice)
    session = checkout_session_object(metadata=top_up_metadata(alice, 1000), payment_status="unpaid")

    post(stripe_client, endpoint, make_event("checkout.session.completed", session))
    assert snapshot(alice) == before

    paid = {**session, "payment_status": "paid"}
    post(stripe_client, endpoint, make_event("checkout.session.async_payment_succeeded", paid))
    assert services.get_account(alice).purchased_remaining == before[2] + 1000
    assert_ledger_matches_balance(alice)


def test_one_checkout_session_is_credited_once_whatever_events_name_it(stripe_client, endpoint, alice):
    session = checkout_session_object(metadata=top_up_metadata(alice, 1000))
    before = services.get_account(alice).purchased_remaining

    post(stripe_client, endpoint, make_event("checkout.session.completed", session))
    post(stripe_client, endpoint, make_event("checkout.session.async_payment_succeeded", session))

    assert services.get_account(alice).purchased_remaining == before + 1000
    assert LedgerEntry.objects.filter(user=alice, kind=EntryKind.PURCHASE).count() == 1


def test_a_replayed_event_writes_one_entry(stripe_client, endpoint, alice):
    event = make_event("checkout.session.completed", checkout_session_object(metadata=top_up_metadata(alice)))

    first = post(stripe_client, endpoint, event)
    after_first = snapshot(alice)
    second = post(stripe_client, endpoint, event)

    assert (first.status_code, second.status_code) == (200, 200)
    assert snapshot(alice) == after_first
    assert LedgerEntry.objects.filter(idempotency_key=f"stripe:{event['id']}").count() == 1
    assert WebhookEventTrigger.objects.filter(processed=True).count() == 2
    assert_ledger_matches_balance(alice)


def test_a_checkout_javari_did_not_open_is_acknowledged_and_ignored(stripe_client, endpoint, alice):
    before = snapshot(alice)
    session = checkout_session_object(metadata={})  # e.g. a payment link made in Stripe's dashboard

    response = post(stripe_client, endpoint, make_event("checkout.session.completed", session))

    assert response.status_code == 200
    assert snapshot(alice) == before
    assert WebhookEventTrigger.objects.get().processed


# --- Subscriptions ---


def test_subscription_checkout_records_plan_customer_and_subscription_without_credits(
    stripe_client, endpoint, alice
):
    before = services.get_account(alice)
    session = checkout_session_object(
        metadata={"user_id": str(alice.pk), "kind": "subscription", "plan": Tier.PRO, "cycle": "annual"},
        mode="subscription",
        customer="cus_alice",
        subscription="sub_alice",
    )

    post(stripe_client, endpoint, make_event("checkout.session.completed", session))

    account = services.get_account(alice)
    assert (account.plan.tier, account.billing_cycle) == (Tier.PRO, BillingCycle.ANNUAL)
    assert (account.stripe_customer_id, account.stripe_subscription_id) == ("cus_alice", "sub_alice")
    assert (account.allowance_remaining, account.purchased_remaining) == (
        before.allowance_remaining,
        before.purchased_remaining,
    )
    assert LedgerEntry.objects.filter(user=alice).count() == 1  # still only the opening allowance


def test_invoice_paid_renews_the_allowance_to_the_plan(stripe_client, endpoint, alice):
    account = subscribed(alice, Tier.PRO)
    services.debit(user=alice, action_type="chat", amount=123, idempotency_key="spent")
    services.grant(user=alice, amount=77, idempotency_key="gift")
    period_end = int(time.time()) + 31 * 24 * 3600
    invoice = invoice_object(
        customer=account.stripe_customer_id,
        subscription=account.stripe_subscription_id,
        subscription_metadata=sub_metadata(alice),
        period_end=period_end,
    )

    post(stripe_client, endpoint, make_event("invoice.paid", invoice))

    account = services.get_account(alice)
    pro = Plan.objects.get(tier=Tier.PRO)
    assert account.allowance_remaining == account.allowance_total == pro.credits_per_month
    assert account.purchased_remaining == 77  # top-ups don't reset
    expected_end = datetime.fromtimestamp(period_end, tz=UTC)
    assert account.allowance_renews_at == account.next_billing_date == expected_end
    assert LedgerEntry.objects.filter(user=alice, kind=EntryKind.RENEWAL).count() == 2
    assert_ledger_matches_balance(alice)


def test_the_full_subscription_flow_from_checkout_to_first_invoice(
    client, stripe_client, endpoint, fake_stripe, alice
):
    client.force_login(alice)
    client.post(reverse("credits:subscribe"), {"plan": "starter", "cycle": "monthly"})
    [session_id] = fake_stripe.checkout_sessions
    session = fake_stripe.complete_checkout(session_id)
    subscription = fake_stripe.subscriptions[session["subscription"]]
    invoice = invoice_object(
        customer=session["customer"],
        subscription=subscription["id"],
        subscription_metadata=subscription["metadata"],
        billing_reason="subscription_create",
        period_end=subscription["items"]["data"][0]["current_period_end"],
    )

    # Stripe doesn't order events: the invoice may well come first.
    post(stripe_client, endpoint, make_event("invoice.paid", invoice))
    post(stripe_client, endpoint, make_event("checkout.session.completed", session))

    account = services.get_account(alice)
    starter = Plan.objects.get(tier=Tier.STARTER)
    assert account.plan == starter
    assert account.allowance_remaining == starter.credits_per_month
    assert account.stripe_customer_id == session["customer"]
    assert account.stripe_subscription_id == subscription["id"]
    assert account.next_billing_date is not None
    assert_ledger_matches_balance(alice)


def test_annual_plans_get_a_monthly_allowance_and_a_yearly_bill(stripe_client, endpoint, alice):
    account = subscribed(alice, Tier.PRO, BillingCycle.ANNUAL)
    year_end = int(time.time()) + 365 * 24 * 3600
    invoice = invoice_object(
        customer=account.stripe_customer_id,
        subscription=account.stripe_subscription_id,
        subscription_metadata=sub_metadata(alice, cycle="annual"),
        billing_reason="subscription_create",
        period_end=year_end,
    )

    post(stripe_client, endpoint, make_event("invoice.paid", invoice))

    account = services.get_account(alice)
    assert account.next_billing_date == datetime.fromtimestamp(year_end, tz=UTC)
    month = (datetime.now(UTC) + relativedelta(months=1) - datetime.now(UTC)).total_seconds()
    assert ago(-month, account.allowance_renews_at)  # renew_allowances renews it monthly
    assert account.allowance_remaining == Plan.objects.get(tier=Tier.PRO).credits_per_month


def test_an_invoice_for_something_else_changes_nothing(stripe_client, endpoint, alice):
    account = subscribed(alice)
    before = snapshot(alice)
    invoice = invoice_object(customer=account.stripe_customer_id, subscription=None, billing_reason="manual")

    response = post(stripe_client, endpoint, make_event("invoice.paid", invoice))

    assert response.status_code == 200
    assert snapshot(alice) == before


def test_subscription_updated_changes_the_plan_and_records_cancellation(stripe_client, endpoint, alice):
    account = subscribed(alice, Tier.PRO)
    allowance = account.allowance_remaining
    subscription = subscription_object(
        customer=account.stripe_customer_id,
        subscription_id=account.stripe_subscription_id,
        metadata=sub_metadata(alice, Tier.ENTERPRISE),
        cancel_at_period_end=True,
    )

    post(stripe_client, endpoint, make_event("customer.subscription.updated", subscription))

    account = services.get_account(alice)
    assert account.plan.tier == Tier.ENTERPRISE
    assert account.cancel_at_period_end is True
    period_end = subscription["items"]["data"][0]["current_period_end"]
    assert account.next_billing_date == datetime.fromtimestamp(period_end, tz=UTC)
    assert account.allowance_remaining == allowance  # the new allowance comes with the next invoice
    assert_ledger_matches_balance(alice)


def test_an_incomplete_subscription_does_not_change_the_plan(stripe_client, endpoint, alice):
    before = snapshot(alice)
    subscription = subscription_object(customer="cus_new", metadata=sub_metadata(alice), status="incomplete")

    response = post(stripe_client, endpoint, make_event("customer.subscription.updated", subscription))

    assert response.status_code == 200
    assert snapshot(alice) == before


def test_subscription_deleted_downgrades_to_free(stripe_client, endpoint, alice):
    account = subscribed(alice, Tier.PRO)
    services.grant(user=alice, amount=300, idempotency_key="gift")
    subscription = subscription_object(
        customer=account.stripe_customer_id,
        subscription_id=account.stripe_subscription_id,
        metadata=sub_metadata(alice),
        status="canceled",
    )
    event = make_event("customer.subscription.deleted", subscription)

    post(stripe_client, endpoint, event)

    account = services.get_account(alice)
    free = Plan.objects.get(tier=Tier.FREE)
    assert account.plan == free
    assert account.stripe_subscription_id == ""
    assert account.stripe_customer_id  # kept: the portal still shows past invoices
    assert account.next_billing_date is None
    assert account.allowance_remaining == free.credits_per_month
    assert account.purchased_remaining == 300
    assert LedgerEntry.objects.filter(idempotency_key=f"stripe:{event['id']}").count() == 1
    assert_ledger_matches_balance(alice)

    post(stripe_client, endpoint, event)  # replayed
    assert LedgerEntry.objects.filter(user=alice).count() == 3


def test_an_earlier_subscription_ending_leaves_the_current_one(stripe_client, endpoint, alice):
    account = subscribed(alice, Tier.PRO)
    before = snapshot(alice)
    old = subscription_object(
        customer=account.stripe_customer_id, metadata=sub_metadata(alice), status="canceled"
    )

    post(stripe_client, endpoint, make_event("customer.subscription.deleted", old))

    assert snapshot(alice) == before


# --- Refunds ---


def test_a_refund_takes_back_the_refunded_share_of_the_credits(stripe_client, endpoint, alice):
    payment_intent = bought_top_up(stripe_client, endpoint, alice, credits=5000, cents=2000)
    before = services.get_account(alice)

    charge = charge_object(payment_intent=payment_intent, amount=2000, amount_refunded=1000)
    post(stripe_client, endpoint, make_event("charge.refunded", charge))

    account = services.get_account(alice)
    assert account.purchased_remaining == before.purchased_remaining - 2500
    assert account.allowance_remaining == before.allowance_remaining
    assert_ledger_matches_balance(alice)


def test_partial_refunds_take_back_only_what_each_adds_in_any_order(stripe_client, endpoint, alice):
    payment_intent = bought_top_up(stripe_client, endpoint, alice, credits=5000, cents=2000)
    before = services.get_account(alice).purchased_remaining
    second = charge_object(payment_intent=payment_intent, amount=2000, amount_refunded=1500)
    first = charge_object(payment_intent=payment_intent, amount=2000, amount_refunded=500)

    post(stripe_client, endpoint, make_event("charge.refunded", second))  # the later one arrives first
    post(stripe_client, endpoint, make_event("charge.refunded", first))

    assert services.get_account(alice).purchased_remaining == before - 3750
    assert_ledger_matches_balance(alice)


def test_a_refund_after_spending_takes_back_at_most_what_remains(stripe_client, endpoint, alice):
    payment_intent = bought_top_up(stripe_client, endpoint, alice, credits=1000, cents=500)
    account = services.get_account(alice)
    # Spend the whole allowance and most of the purchase: 200 purchased credits remain.
    services.debit(user=alice, action_type="chat", amount=account.balance - 200, idempotency_key="spree")

    charge = charge_object(payment_intent=payment_intent, amount=500, amount_refunded=500)
    response = post(stripe_client, endpoint, make_event("charge.refunded", charge))

    assert response.status_code == 200
    account = services.get_account(alice)
    assert (account.purchased_remaining, account.allowance_remaining) == (0, 0)
    assert_ledger_matches_balance(alice)


def test_a_refund_when_nothing_remains_writes_nothing(stripe_client, endpoint, alice):
    payment_intent = bought_top_up(stripe_client, endpoint, alice, credits=1000, cents=500)
    services.debit(
        user=alice, action_type="chat", amount=services.get_account(alice).balance, idempotency_key="all"
    )
    before = snapshot(alice)

    charge = charge_object(payment_intent=payment_intent, amount=500, amount_refunded=500)
    response = post(stripe_client, endpoint, make_event("charge.refunded", charge))

    assert response.status_code == 200
    assert snapshot(alice) == before


def test_a_refund_of_something_other_than_a_top_up_changes_nothing(stripe_client, endpoint, alice):
    bought_top_up(stripe_client, endpoint, alice)
    before = snapshot(alice)

    charge = charge_object(payment_intent=new_id("pi"), amount=2900, amount_refunded=2900)
    response = post(stripe_client, endpoint, make_event("charge.refunded", charge))

    assert response.status_code == 200
    assert snapshot(alice) == before


# --- What is refused ---


def test_an_unsigned_webhook_gets_400_and_nothing_is_stored(stripe_client, endpoint, alice):
    before = snapshot(alice)
    event = make_event("checkout.session.completed", checkout_session_object(metadata=top_up_metadata(alice)))
    url = reverse("stripe_webhook", kwargs={"uuid": endpoint.djstripe_uuid})

    response = stripe_client.post(url, json.dumps(event), content_type="application/json")

    assert response.status_code == 400
    assert snapshot(alice) == before
    assert not WebhookEventTrigger.objects.exists()


@pytest.mark.parametrize("forgery", ["wrong_secret", "tampered_body", "stale_timestamp", "garbage_header"])
def test_a_badly_signed_webhook_gets_400_and_no_ledger_change(stripe_client, endpoint, alice, forgery):
    before = snapshot(alice)
    event = make_event("checkout.session.completed", checkout_session_object(metadata=top_up_metadata(alice)))
    payload = json.dumps(event)
    header = {
        "wrong_secret": sign(payload, "whsec_not_ours"),
        "tampered_body": sign(payload.replace('"5000"', '"500000"')),
        "stale_timestamp": sign(payload, timestamp=int(time.time()) - 3600),
        "garbage_header": "t=now,v1=deadbeef",
    }[forgery]
    url = reverse("stripe_webhook", kwargs={"uuid": endpoint.djstripe_uuid})

    response = stripe_client.post(url, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)

    assert response.status_code == 400
    assert snapshot(alice) == before
    assert LedgerEntry.objects.filter(idempotency_key=f"stripe:{event['id']}").count() == 0
    # Refused: recorded without its body (nor its headers), as its size and hash.
    assert not WebhookEventTrigger.objects.exists()
    refusal = RefusedWebhook.objects.get()
    body = payload.encode()
    assert (refusal.reason, refusal.size, refusal.remote_ip) == (
        RefusalReason.BAD_SIGNATURE,
        len(body),
        "127.0.0.1",
    )
    assert refusal.body_sha256 == hashlib.sha256(body).hexdigest()


@pytest.mark.parametrize("body", ["not json at all", "[1, 2]", "5", '{"type": "checkout.session.completed"}'])
def test_a_body_that_is_no_stripe_event_is_refused_and_recorded_without_it(stripe_client, endpoint, body):
    url = reverse("stripe_webhook", kwargs={"uuid": endpoint.djstripe_uuid})

    response = stripe_client.post(
        url, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body)
    )

    assert response.status_code == 400
    assert not WebhookEventTrigger.objects.exists()
    refusal = RefusedWebhook.objects.get()
    assert (refusal.reason, refusal.size) == (RefusalReason.NOT_AN_EVENT, len(body.encode()))


def test_a_large_forged_body_is_not_stored(stripe_client, endpoint):
    event = make_event("checkout.session.completed", checkout_session_object(metadata={}))
    event["padding"] = "x" * 2_000_000
    payload = json.dumps(event)
    url = reverse("stripe_webhook", kwargs={"uuid": endpoint.djstripe_uuid})

    response = stripe_client.post(
        url, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload, "whsec_not_ours")
    )

    assert response.status_code == 400
    refusal = RefusedWebhook.objects.get()
    assert refusal.size == len(payload)
    assert not WebhookEventTrigger.objects.exists()


def test_the_record_of_refusals_stays_bounded(stripe_client, endpoint, monkeypatch):
    monkeypatch.setattr(webhook_refusals, "REFUSED_WEBHOOKS_KEPT", 3)
    url = reverse("stripe_webhook", kwargs={"uuid": endpoint.djstripe_uuid})
    for n in range(5):
        payload = json.dumps(make_event("charge.refunded", {"n": n}))
        response = stripe_client.post(
            url, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload, "whsec_no")
        )
        assert response.status_code == 400
    kept = list(RefusedWebhook.objects.order_by("id"))
    assert len(kept) == 3
    sizes = [len(json.dumps(make_event("charge.refunded", {"n": n}))) for n in range(2, 5)]
    assert [r.size for r in kept] == sizes  # the newest three


def test_pruning_keeps_the_newest(db):
    for n in range(4):
        webhook_refusals.record_refused_webhook(body=b"x" * n, remote_ip="10.0.0.1", reason="bad_signature")
    assert webhook_refusals.prune_refused_webhooks(keep=2) == 2
    assert sorted(RefusedWebhook.objects.values_list("size", flat=True)) == [2, 3]
    assert webhook_refusals.prune_refused_webhooks(keep=0) == 2
    assert not RefusedWebhook.objects.exists()


@pytest.mark.parametrize("forwarded", ["not an address", "10.0.0.7:443", "::1, 10.0.0.1"])
def test_a_forged_forwarded_for_header_is_no_server_error(stripe_client, endpoint, alice, forwarded):
    payload = json.dumps(
        make_event("charge.refunded", charge_object(payment_intent="pi_x", amount=100, amount_refunded=100))
    )
    url = reverse("stripe_webhook", kwargs={"uuid": endpoint.djstripe_uuid})
    for signature in (sign(payload, "whsec_no"), sign(payload)):
        response = stripe_client.post(
            url,
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
            HTTP_X_FORWARDED_FOR=forwarded,
        )
        assert response.status_code < 500
    assert RefusedWebhook.objects.count() == 1
    assert WebhookEventTrigger.objects.filter(valid=True).count() == 1


def test_a_nul_in_a_header_is_refused_at_the_door_storing_nothing(stripe_client, endpoint):
    # javari.middleware answers 400 before the view: nothing a NUL could break is written.
    payload = json.dumps(
        make_event("charge.refunded", charge_object(payment_intent="pi_x", amount=1, amount_refunded=1))
    )
    url = reverse("stripe_webhook", kwargs={"uuid": endpoint.djstripe_uuid})
    response = stripe_client.post(
        url,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload),
        HTTP_X_FORWARDED_FOR="a\x00b",
    )
    assert response.status_code == 400
    assert not RefusedWebhook.objects.exists()
    assert not WebhookEventTrigger.objects.exists()


def test_staff_read_refusals_but_cannot_change_them(staff_client, db):
    refusal = webhook_refusals.record_refused_webhook(
        body=b"{}", remote_ip="10.0.0.1", reason="bad_signature"
    )
    page = staff_client.get("/admin/credits/refusedwebhook/")
    assert page.status_code == 200
    assert "10.0.0.1" in page.text
    assert staff_client.get("/admin/credits/refusedwebhook/add/").status_code == 403
    change = staff_client.post(f"/admin/credits/refusedwebhook/{refusal.pk}/change/", {"size": 1})
    assert change.status_code in (200, 403)
    refusal.refresh_from_db()
    assert refusal.size == 2


def test_a_webhook_for_an_unknown_customer_writes_nothing_and_says_why(
    stripe_client, endpoint, alice, caplog
):
    subscribed(alice)
    before = snapshot(alice)
    invoice = invoice_object(customer="cus_nobody", subscription="sub_nobody")
    event = make_event("invoice.paid", invoice)

    response = post(stripe_client, endpoint, event)

    # 500 on purpose: Stripe retries, in case the event beat the one that links the customer.
    assert response.status_code == 500
    assert snapshot(alice) == before
    assert not LedgerEntry.objects.filter(idempotency_key=f"stripe:{event['id']}").exists()
    trigger = WebhookEventTrigger.objects.get()
    assert (trigger.valid, trigger.processed) == (True, False)
    message = f"Stripe event {event['id']} names customer cus_nobody that no Javari account has."
    assert trigger.exception == message
    assert message in caplog.text


def test_the_retry_of_an_early_event_succeeds_once_the_customer_is_known(stripe_client, endpoint, alice):
    event = make_event("invoice.paid", invoice_object(customer="cus_later", subscription="sub_later"))
    assert post(stripe_client, endpoint, event).status_code == 500

    services.set_plan(
        user=alice,
        plan=Plan.objects.get(tier=Tier.PRO),
        stripe_customer_id="cus_later",
        stripe_subscription_id="sub_later",
    )
    assert post(stripe_client, endpoint, event).status_code == 200

    assert (
        services.get_account(alice).allowance_remaining == Plan.objects.get(tier=Tier.PRO).credits_per_month
    )
    assert_ledger_matches_balance(alice)


@pytest.mark.parametrize(
    ("event_type", "build", "expected"),
    [
        (
            "checkout.session.completed",
            lambda user: checkout_session_object(metadata={**top_up_metadata(user), "user_id": "not-a-user"}),
            "names user 'not-a-user' that Javari doesn't have",
        ),
        (
            "checkout.session.completed",
            lambda user: checkout_session_object(
                metadata={
                    "user_id": "00000000-0000-0000-0000-000000000000",
                    "kind": "top_up",
                    "credits": "10",
                }
            ),
            "names user '00000000-0000-0000-0000-000000000000' that Javari doesn't have",
        ),
        (
            "checkout.session.completed",
            lambda user: checkout_session_object(
                metadata={"user_id": str(user.pk), "kind": "subscription", "plan": "platinum"},
                mode="subscription",
                customer="cus_x",
                subscription="sub_x",
            ),
            "names plan 'platinum' that Javari doesn't have",
        ),
        (
            "customer.subscription.updated",
            lambda user: subscription_object(customer="cus_unknown", metadata={}),
            "names customer cus_unknown that no Javari account has",
        ),
        (
            "customer.subscription.deleted",
            lambda user: subscription_object(customer="cus_unknown", metadata={}, status="canceled"),
            "names customer cus_unknown that no Javari account has",
        ),
    ],
)
def test_events_naming_what_javari_does_not_have_write_nothing(
    stripe_client, endpoint, alice, event_type, build, expected
):
    before = snapshot(alice)
    event = make_event(event_type, build(alice))

    response = post(stripe_client, endpoint, event)

    assert response.status_code == 500
    assert snapshot(alice) == before
    assert expected in WebhookEventTrigger.objects.get().exception


def test_other_event_types_are_acknowledged_without_a_ledger_change(stripe_client, endpoint, alice):
    account = subscribed(alice)
    before = snapshot(alice)
    event = make_event("customer.updated", {"id": account.stripe_customer_id, "object": "customer"})

    response = post(stripe_client, endpoint, event)

    assert response.status_code == 200
    assert WebhookEventTrigger.objects.get().processed
    assert snapshot(alice) == before


def test_ledger_matches_balance_after_a_run_of_mixed_events(stripe_client, endpoint, alice, bob):
    account = subscribed(alice)
    payment_intent = bought_top_up(stripe_client, endpoint, alice, credits=1000, cents=500)
    bought_top_up(stripe_client, endpoint, bob, credits=5000, cents=2000)
    services.debit(user=alice, action_type="chat", amount=700, idempotency_key="a")
    invoice = invoice_object(customer=account.stripe_customer_id, subscription=account.stripe_subscription_id)
    for event in [
        make_event("invoice.paid", invoice),
        make_event(
            "charge.refunded", charge_object(payment_intent=payment_intent, amount=500, amount_refunded=250)
        ),
        make_event(
            "customer.subscription.deleted",
            subscription_object(
                customer=account.stripe_customer_id,
                subscription_id=account.stripe_subscription_id,
                metadata={},
                status="canceled",
            ),
        ),
    ]:
        assert post(stripe_client, endpoint, event).status_code == 200
        assert_ledger_matches_balance(alice)
    assert_ledger_matches_balance(bob)
    assert services.get_account(bob).purchased_remaining == 5000
    account = services.get_account(alice)
    assert account.plan.tier == Tier.FREE
    assert account.allowance_renews_at - datetime.now(UTC) > timedelta(days=27)


def test_the_migration_forgets_the_bodies_refused_before_it(endpoint):
    import importlib

    from django.apps import apps

    forged = "x" * 10_000
    WebhookEventTrigger.objects.create(
        headers={}, body=forged, remote_ip="10.0.0.9", webhook_endpoint=endpoint, valid=False
    )
    kept = WebhookEventTrigger.objects.create(
        headers={}, body="{}", remote_ip="10.0.0.8", webhook_endpoint=endpoint, valid=True
    )
    migration = importlib.import_module("credits.migrations.0003_refused_webhooks")
    migration.forget_refused_bodies(apps, None)
    assert list(WebhookEventTrigger.objects.all()) == [kept]
    refusal = RefusedWebhook.objects.get()
    assert (refusal.remote_ip, refusal.size, refusal.reason) == ("10.0.0.9", 10_000, "bad_signature")
    assert refusal.body_sha256 == hashlib.sha256(forged.encode()).hexdigest()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (
            "multipart/form-data; boundary=x",
            '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n',
        ),
        ("text/plain", "{}"),
        ("application/x-www-form-urlencoded", "a=b"),
    ],
)
def test_a_body_that_is_not_json_is_a_415_storing_nothing(stripe_client, endpoint, content_type, body):
    # A multipart body was a 500: the middleware had read its stream before the view read request.body.
    url = reverse("stripe_webhook", kwargs={"uuid": endpoint.djstripe_uuid})
    response = stripe_client.generic("POST", url, body, content_type=content_type, HTTP_STRIPE_SIGNATURE="x")
    assert response.status_code == 415
    assert not RefusedWebhook.objects.exists()
    assert not WebhookEventTrigger.objects.exists()
