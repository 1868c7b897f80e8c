"""The Stripe adapter against the fake Stripe API: verify with the read-only balance call, key shapes
checked before any call, and each failure mapped to a permanent or transient ``ProviderError`` whose
message names no secret."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from integrations import providers, services
from integrations.errors import ProviderError, VerificationFailed
from integrations.models import Integration
from integrations.providers import Access
from integrations.providers.stripe.tests.fake import FakeStripe

WEBHOOK = "whsec_" + "a1b2c3d4" * 4


def _access(key: str) -> Access:
    return Access(config={}, secrets={"secret_key": key, "webhook_secret": WEBHOOK})


def test_verify_reads_the_balance_and_says_which_mode(fake_stripe: FakeStripe) -> None:
    stripe = providers.get("stripe")
    assert stripe.verify(_access(fake_stripe.new_key())).config == {"livemode": False}
    live = fake_stripe.new_key(prefix="sk_live_", livemode=True)
    assert stripe.verify(_access(live)).config == {"livemode": True}
    assert fake_stripe.requests[-1] == ("GET", "/v1/balance", live)


def test_a_wrong_key_is_a_permanent_refusal_without_the_key_in_it(fake_stripe: FakeStripe) -> None:
    key = "sk_test_" + "not-a-real-key" * 3
    with pytest.raises(ProviderError) as caught:
        providers.get("stripe").verify(_access(key))
    assert caught.value.permanent
    assert caught.value.status == 401
    assert "Stripe refused the credentials" in str(caught.value)
    assert "not-a-real-key" not in str(caught.value)


def test_a_restricted_key_without_balance_read_says_what_to_grant(fake_stripe: FakeStripe) -> None:
    key = fake_stripe.new_key(prefix="rk_test_", balance_read=False)
    with pytest.raises(ProviderError) as caught:
        providers.get("stripe").verify(_access(key))
    assert caught.value.permanent
    assert caught.value.field == "secret_key"
    assert "Balance: Read" in str(caught.value)


@pytest.mark.parametrize(("status", "permanent"), [(500, False), (502, False), (429, False), (400, True)])
def test_provider_errors_say_whether_to_try_again(
    fake_stripe: FakeStripe, status: int, permanent: bool
) -> None:
    key = fake_stripe.new_key()
    fake_stripe.fail["GET /v1/balance"] = status
    with pytest.raises(ProviderError) as caught:
        providers.get("stripe").verify(_access(key))
    assert caught.value.permanent is permanent
    assert caught.value.status == status


def test_a_stripe_that_does_not_answer_in_time_is_transient(fake_stripe: FakeStripe, settings: Any) -> None:
    settings.INTEGRATIONS_HTTP_TIMEOUT = 0.3
    key = fake_stripe.new_key()
    fake_stripe.fail["GET /v1/balance"] = "stall"
    with pytest.raises(ProviderError) as caught:
        providers.get("stripe").verify(_access(key))
    assert not caught.value.permanent
    assert "did not answer in time" in str(caught.value)


def test_an_unreadable_answer_is_a_transient_provider_error(fake_stripe: FakeStripe) -> None:
    key = fake_stripe.new_key()
    fake_stripe.fail["GET /v1/balance"] = 200  # a 200 whose body isn't JSON
    with pytest.raises(ProviderError, match="could not read") as caught:
        providers.get("stripe").verify(_access(key))
    assert not caught.value.permanent


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"secret_key": "pk_test_" + "x" * 24, "webhook_secret": WEBHOOK}, "secret_key", "publishable key"),
        ({"secret_key": "sk_" + "x" * 24, "webhook_secret": WEBHOOK}, "secret_key", "starts with sk_live_"),
        (
            {"secret_key": "sk_test_" + "x" * 24, "webhook_secret": "wh_" + "x" * 20},
            "webhook_secret",
            "whsec_",
        ),
    ],
)
def test_key_shapes_are_checked_before_any_call(
    fake_stripe: FakeStripe, values: dict[str, str], field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.clean_values(provider=providers.get("stripe"), values=values)
    messages = " ".join(caught.value.message_dict[field])
    assert words in messages
    assert values[field] not in messages
    assert fake_stripe.requests == []


def test_the_webhook_secret_is_required(fake_stripe: FakeStripe) -> None:
    with pytest.raises(ValidationError) as caught:
        services.clean_values(provider=providers.get("stripe"), values={"secret_key": fake_stripe.new_key()})
    assert list(caught.value.message_dict) == ["webhook_secret"]


@pytest.mark.django_db
def test_connecting_stores_both_secrets_encrypted_and_logs_neither(
    alice: Any, fake_stripe: FakeStripe, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    key = fake_stripe.new_key(prefix="rk_live_", livemode=True)
    integration = services.connect(
        user=alice, provider="stripe", name="Shop", values={"secret_key": key, "webhook_secret": WEBHOOK}
    )
    assert integration.config == {"livemode": True, "account": ""}
    stored = {c.field: c.value for c in integration.credentials.all()}
    assert stored == {"secret_key": key, "webhook_secret": WEBHOOK}
    assert key not in caplog.text
    assert WEBHOOK not in caplog.text
    assert not integration.activity.filter(message__contains=key[-8:]).exists()


@pytest.mark.django_db
def test_a_refused_key_saves_nothing_and_blames_the_secret_key(alice: Any, fake_stripe: FakeStripe) -> None:
    with pytest.raises(VerificationFailed) as caught:
        services.connect(
            user=alice,
            provider="stripe",
            name="Shop",
            values={"secret_key": "sk_live_" + "z" * 30, "webhook_secret": WEBHOOK},
        )
    assert caught.value.field == "secret_key"
    assert not Integration.objects.exists()


def test_stripe_rotates_by_reminder_with_steps_and_the_keys_page() -> None:
    stripe = providers.get("stripe")
    assert not stripe.rotates(_access("sk_test_x"))
    assert stripe.token_page_url == "https://dashboard.stripe.com/apikeys"
    assert len(stripe.rotation_steps) >= 3
