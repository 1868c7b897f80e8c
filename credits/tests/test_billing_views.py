"""Checkout, the customer portal and the return page, against the local fake Stripe server."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import User
from credits import services
from credits.models import LedgerEntry, Plan, Tier, TopUpPack
from credits.tests.fake_stripe import FakeStripe, serve_fake_stripe

SUBSCRIBE = reverse("credits:subscribe")
TOP_UP = reverse("credits:buy_top_up")
PORTAL = reverse("credits:portal")
RETURN = reverse("credits:checkout_return")
PLANS = reverse("credits:plans")


@pytest.fixture
def fake_stripe(settings, db: None) -> Iterator[FakeStripe]:
    with serve_fake_stripe(settings) as fake:
        yield fake


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def shown(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def pro() -> Plan:
    return Plan.objects.get(tier=Tier.PRO)


def a_pack() -> TopUpPack:
    return TopUpPack.objects.filter(is_active=True).order_by("credits").first()


def nothing_written(user: User) -> bool:
    account = services.get_account(user)
    return (
        list(LedgerEntry.objects.filter(user=user).values_list("kind", flat=True)) == ["renewal"]
        and account.plan.is_free
        and not account.stripe_customer_id
    )


# --- Subscribing ---


def test_subscribe_opens_a_checkout_session_for_the_plan_and_redirects_to_it(
    alice_client, alice, fake_stripe
):
    plan = pro()

    response = alice_client.post(SUBSCRIBE, {"plan": plan.tier, "cycle": "monthly"})

    [sent] = fake_stripe.sent("POST", "/v1/checkout/sessions")
    session = fake_stripe.checkout_sessions[next(iter(fake_stripe.checkout_sessions))]
    assert response.status_code == 303
    assert response["Location"] == session["url"]
    assert sent.headers["Authorization"] == f"Bearer {fake_stripe.secret_key}"
    params = sent.params
    assert params["mode"] == "subscription"
    assert params["client_reference_id"] == str(alice.pk)
    assert params["customer_email"] == alice.email
    assert "customer" not in params
    [item] = params["line_items"]
    assert item["price_data"]["unit_amount"] == str(plan.price_monthly_cents)
    assert item["price_data"]["currency"] == plan.currency
    assert item["price_data"]["recurring"] == {"interval": "month"}
    assert plan.name in item["price_data"]["product_data"]["name"]
    assert params["metadata"] == {
        "user_id": str(alice.pk),
        "kind": "subscription",
        "plan": plan.tier,
        "cycle": "monthly",
    }
    assert params["subscription_data"]["metadata"] == {
        "user_id": str(alice.pk),
        "plan": plan.tier,
        "cycle": "monthly",
    }
    success, cancel = urlsplit(params["success_url"]), urlsplit(params["cancel_url"])
    assert success.path == RETURN
    assert parse_qs(success.query) == {"status": ["success"], "session_id": ["{CHECKOUT_SESSION_ID}"]}
    assert cancel.path == RETURN
    assert parse_qs(cancel.query) == {"status": ["cancel"]}
    assert nothing_written(alice)  # the plan changes when Stripe's webhooks arrive


def test_annual_subscription_charges_the_annual_price_yearly(alice_client, fake_stripe):
    plan = pro()

    alice_client.post(SUBSCRIBE, {"plan": plan.tier, "cycle": "annual"})

    [sent] = fake_stripe.sent("POST", "/v1/checkout/sessions")
    price = sent.params["line_items"][0]["price_data"]
    assert price["unit_amount"] == str(plan.price_annual_cents)
    assert price["recurring"] == {"interval": "year"}
    assert sent.params["metadata"]["cycle"] == "annual"


def test_a_known_stripe_customer_is_reused(alice_client, alice, fake_stripe):
    services.set_plan(user=alice, plan=Plan.objects.get(tier=Tier.FREE), stripe_customer_id="cus_alice")

    alice_client.post(SUBSCRIBE, {"plan": "starter", "cycle": "monthly"})

    [sent] = fake_stripe.sent("POST", "/v1/checkout/sessions")
    assert sent.params["customer"] == "cus_alice"
    assert "customer_email" not in sent.params


def test_htmx_requests_get_a_full_page_redirect_to_stripe(alice_client, fake_stripe):
    response = alice_client.post(SUBSCRIBE, {"plan": "pro", "cycle": "monthly"}, HTTP_HX_REQUEST="true")

    session = next(iter(fake_stripe.checkout_sessions.values()))
    assert response["HX-Redirect"] == session["url"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"plan": "platinum", "cycle": "monthly"}, "That plan isn't available."),
        ({"plan": "", "cycle": "monthly"}, "That plan isn't available."),
        ({"plan": "free", "cycle": "monthly"}, "The Free plan needs no payment"),
        ({"plan": "pro", "cycle": "weekly"}, "Choose monthly or annual billing."),
        ({"plan": "pro"}, "Choose monthly or annual billing."),
    ],
)
def test_bad_subscription_input_is_refused_without_calling_stripe(
    alice_client, alice, fake_stripe, data, expected
):
    response = alice_client.post(SUBSCRIBE, data)

    assert response.status_code == 302
    assert response["Location"] == PLANS
    assert any(expected in message for message in shown(response))
    assert fake_stripe.requests == []
    assert nothing_written(alice)


def test_an_inactive_plan_cannot_be_bought(alice_client, fake_stripe):
    Plan.objects.filter(tier=Tier.STARTER).update(is_active=False)

    response = alice_client.post(SUBSCRIBE, {"plan": "starter", "cycle": "monthly"})

    assert shown(response) == ["That plan isn't available."]
    assert fake_stripe.requests == []


def test_a_second_subscription_is_refused_while_one_runs(alice_client, alice, fake_stripe):
    services.set_plan(
        user=alice, plan=pro(), stripe_customer_id="cus_alice", stripe_subscription_id="sub_alice"
    )

    response = alice_client.post(SUBSCRIBE, {"plan": "enterprise", "cycle": "monthly"})

    assert any("already have a subscription" in message for message in shown(response))
    assert fake_stripe.requests == []


# --- Top-ups ---


def test_buy_top_up_opens_a_payment_checkout_for_the_pack(alice_client, alice, fake_stripe):
    pack = a_pack()

    response = alice_client.post(TOP_UP, {"pack": pack.pk})

    [sent] = fake_stripe.sent("POST", "/v1/checkout/sessions")
    session = next(iter(fake_stripe.checkout_sessions.values()))
    assert response.status_code == 303
    assert response["Location"] == session["url"]
    assert sent.params["mode"] == "payment"
    [item] = sent.params["line_items"]
    assert item["price_data"]["unit_amount"] == str(pack.price_cents)
    assert "recurring" not in item["price_data"]
    expected = {
        "user_id": str(alice.pk),
        "kind": "top_up",
        "pack": str(pack.pk),
        "credits": str(pack.credits),
    }
    assert sent.params["metadata"] == expected
    assert sent.params["payment_intent_data"]["metadata"] == expected
    assert session["amount_total"] == pack.price_cents
    assert nothing_written(alice)  # the credits come with the webhook


@pytest.mark.parametrize("pack", ["999999", "", "ten", "-1"])
def test_an_unknown_pack_is_refused_without_calling_stripe(alice_client, alice, fake_stripe, pack):
    response = alice_client.post(TOP_UP, {"pack": pack})

    assert response["Location"] == PLANS
    assert shown(response) == ["That credit pack isn't available."]
    assert fake_stripe.requests == []
    assert nothing_written(alice)


def test_an_inactive_pack_is_refused(alice_client, fake_stripe):
    pack = a_pack()
    TopUpPack.objects.filter(pk=pack.pk).update(is_active=False)

    response = alice_client.post(TOP_UP, {"pack": pack.pk})

    assert shown(response) == ["That credit pack isn't available."]
    assert fake_stripe.requests == []


# --- Without Stripe, and access ---


@pytest.mark.parametrize(
    ("url", "data"), [(SUBSCRIBE, {"plan": "pro", "cycle": "monthly"}), (TOP_UP, None), (PORTAL, {})]
)
def test_without_stripe_keys_nothing_is_sent_and_the_page_says_so(
    alice_client, alice, fake_stripe, settings, url, data
):
    settings.STRIPE_SECRET_KEY = ""
    data = data if data is not None else {"pack": a_pack().pk}

    response = alice_client.post(url, data)

    assert response["Location"] == PLANS
    assert shown(response) == ["Payments aren't configured on this server yet."]
    assert fake_stripe.requests == []
    assert nothing_written(alice)


@pytest.mark.parametrize("url", [SUBSCRIBE, TOP_UP, PORTAL])
def test_billing_actions_refuse_get(alice_client, fake_stripe, url):
    assert alice_client.get(url).status_code == 405
    assert fake_stripe.requests == []


@pytest.mark.parametrize("url", [SUBSCRIBE, TOP_UP, PORTAL, RETURN])
def test_anonymous_visitors_are_sent_to_sign_in(client, fake_stripe, url):
    response = client.post(url, {"plan": "pro", "cycle": "monthly"}) if url != RETURN else client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert fake_stripe.requests == []


def test_billing_actions_need_the_csrf_token(alice, fake_stripe):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(SUBSCRIBE, {"plan": "pro", "cycle": "monthly"})

    assert response.status_code == 403
    assert fake_stripe.requests == []


def test_a_stripe_error_shows_a_message_logs_it_and_writes_nothing(alice_client, alice, fake_stripe, caplog):
    fake_stripe.fail_next(
        400, "Amount must be no more than $999,999.99", param="line_items[0][price_data][unit_amount]"
    )

    with caplog.at_level(logging.WARNING, logger="credits.services.stripe"):
        response = alice_client.post(SUBSCRIBE, {"plan": "pro", "cycle": "monthly"})

    assert response["Location"] == PLANS
    assert any("Stripe couldn't open the payment page" in message for message in shown(response))
    assert "Amount must be no more than" in caplog.text
    assert len(fake_stripe.requests) == 1
    assert nothing_written(alice)


def test_a_wrong_secret_key_gets_stripes_401_and_a_clear_message(
    alice_client, alice, fake_stripe, settings, caplog
):
    settings.STRIPE_SECRET_KEY = "sk_test_wrong_key"

    with caplog.at_level(logging.WARNING, logger="credits.services.stripe"):
        response = alice_client.post(TOP_UP, {"pack": a_pack().pk})

    [sent] = fake_stripe.requests
    assert sent.headers["Authorization"] == "Bearer sk_test_wrong_key"
    assert any("Stripe couldn't open the payment page" in message for message in shown(response))
    assert "AuthenticationError" in caplog.text
    assert "sk_test_wrong_key" not in caplog.text  # Stripe masks the key; so do we
    assert nothing_written(alice)


# --- The portal ---


def test_portal_opens_stripes_billing_portal_for_the_customer(alice_client, alice, fake_stripe):
    services.set_plan(
        user=alice, plan=pro(), stripe_customer_id="cus_alice", stripe_subscription_id="sub_alice"
    )

    response = alice_client.post(PORTAL)

    [sent] = fake_stripe.sent("POST", "/v1/billing_portal/sessions")
    assert sent.params["customer"] == "cus_alice"
    assert urlsplit(sent.params["return_url"]).path == PLANS
    assert response.status_code == 303
    assert response["Location"].startswith(fake_stripe.url + "/p/session/bps_test_")


def test_portal_without_a_stripe_customer_says_why(client, alice, bob, fake_stripe):
    services.set_plan(
        user=alice, plan=pro(), stripe_customer_id="cus_alice", stripe_subscription_id="sub_alice"
    )
    client.force_login(bob)  # alice has a customer; bob doesn't, and never gets hers

    response = client.post(PORTAL)

    assert response["Location"] == PLANS
    assert any("no billing account with Stripe" in message for message in shown(response))
    assert fake_stripe.requests == []


# --- Coming back from Checkout ---


def test_return_after_paying_says_the_credits_arrive_by_webhook(alice_client, alice, fake_stripe):
    alice_client.post(TOP_UP, {"pack": a_pack().pk})
    session_id = next(iter(fake_stripe.checkout_sessions))
    fake_stripe.complete_checkout(session_id)

    response = alice_client.get(RETURN, {"status": "success", "session_id": session_id})

    assert response["Location"] == PLANS
    [message] = shown(response)
    assert message.startswith("Thank you! Your payment went through.")
    assert "as soon as Stripe confirms" in message
    assert fake_stripe.sent("GET", f"/v1/checkout/sessions/{session_id}")
    assert nothing_written(alice)  # only the webhook writes


def test_return_while_the_payment_is_processing_says_so(alice_client, fake_stripe):
    alice_client.post(TOP_UP, {"pack": a_pack().pk})
    session_id = next(iter(fake_stripe.checkout_sessions))
    fake_stripe.complete_checkout(session_id, payment_status="unpaid")

    response = alice_client.get(RETURN, {"status": "success", "session_id": session_id})

    assert shown(response) == [
        "Your payment is being processed. Your credits arrive as soon as Stripe confirms it."
    ]


def test_return_from_a_cancelled_checkout_says_nothing_was_charged(alice_client, fake_stripe):
    response = alice_client.get(RETURN, {"status": "cancel"})

    assert response["Location"] == PLANS
    assert shown(response) == ["Checkout cancelled. Nothing was charged."]
    assert fake_stripe.requests == []


def test_return_with_someone_elses_session_reveals_nothing_about_it(client, alice, charlie, fake_stripe):
    client.force_login(alice)
    client.post(TOP_UP, {"pack": a_pack().pk})
    session_id = next(iter(fake_stripe.checkout_sessions))  # alice's, still open
    client.force_login(charlie)

    response = client.get(RETURN, {"status": "success", "session_id": session_id})

    # Neither "went through" nor "wasn't completed": charlie learns nothing of alice's session.
    [message] = shown(response)
    assert "Thank you" not in message
    assert "wasn't completed" not in message
    assert "as soon as Stripe confirms" in message


@pytest.mark.parametrize("session_id", ["", "../../v1/customers", "cs_test_unknown"])
def test_return_with_a_bad_session_id_still_lands_on_plans(alice_client, fake_stripe, session_id):
    response = alice_client.get(RETURN, {"status": "success", "session_id": session_id})

    assert response["Location"] == PLANS
    assert len(shown(response)) == 1
    assert all(r.path.startswith("/v1/checkout/sessions/cs_") for r in fake_stripe.requests)
