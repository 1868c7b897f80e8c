"""Stripe: Checkout, the customer portal, and the webhook endpoint's configuration.

Outgoing (called by ``credits.views.billing``, never inside a database transaction):
``start_subscription_checkout``, ``start_top_up_checkout``, ``open_billing_portal`` and
``checkout_outcome`` each build a ``stripe.StripeClient`` for the call, pointed at
``settings.STRIPE_API_BASE`` (Stripe, or the fake server in tests). Checkout sessions carry inline
``price_data`` from our plans and packs, so no product setup is needed in Stripe.

Incoming: ``credits.views.webhooks`` at ``/stripe/webhook/<uuid>/`` stores each request as a
dj-stripe ``WebhookEventTrigger`` and verifies its ``Stripe-Signature`` against the
``WebhookEndpoint`` row that ``ensure_webhook_endpoint`` keeps in step with
``settings.STRIPE_WEBHOOK_SECRET``; ``credits.services.stripe_events`` applies the event.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from djstripe.enums import WebhookEndpointStatus, WebhookEndpointValidation
from djstripe.models import WebhookEndpoint

from accounts.models import User
from credits.errors import CreditsError
from credits.models import BillingCycle, CreditAccount, Plan, TopUpPack
from credits.services import ledger
from javari.web import payments_configured

logger = logging.getLogger(__name__)

WEBHOOK_ENDPOINT_ID = "we_javari_local"
# What to enable on the endpoint in Stripe's dashboard; every other event is acknowledged and ignored.
HANDLED_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "invoice.paid",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "charge.refunded",
)
KIND_SUBSCRIPTION = "subscription"
KIND_TOP_UP = "top_up"
# (connect, read) seconds: a person waits on the view that makes the call.
STRIPE_TIMEOUT = (5, 30)
_CHECKOUT_SESSION_ID = re.compile(r"^cs_[A-Za-z0-9_]{1,250}$")


class StripeEventError(CreditsError):
    """A verified Stripe event we can't apply (unknown customer, user or plan): nothing is written."""

    code = "stripe_event_error"
    status = 400
    default_message = gettext_lazy("A Stripe event could not be applied.")


class PaymentsNotConfigured(CreditsError):
    code = "payments_not_configured"
    status = 503
    default_message = gettext_lazy("Payments aren't configured on this server yet.")


class CheckoutError(CreditsError):
    """A checkout or portal request we refuse (bad input) or Stripe refused; nothing was charged."""

    code = "checkout_error"
    status = 400
    default_message = gettext_lazy("The payment page could not be opened. Nothing was charged.")


# --- Configuration --------------------------------------------------------------------------------


def payments_enabled() -> bool:
    """Whether a Stripe secret key is set: without one, no Stripe call is made."""
    return payments_configured()  # the one switch, shared with the pages (javari/web.py)


def stripe_client() -> stripe.StripeClient:
    """A client for one call: per-call settings, no global ``stripe.api_key``/``api_base`` state."""
    if not payments_enabled():
        raise PaymentsNotConfigured()
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        http_client=stripe.RequestsClient(timeout=STRIPE_TIMEOUT),
    )


def webhook_url(endpoint: WebhookEndpoint) -> str:
    """The address Stripe posts this endpoint's events to."""
    path = reverse("stripe_webhook", kwargs={"uuid": endpoint.djstripe_uuid})
    return settings.SITE_URL.rstrip("/") + path


def ensure_webhook_endpoint() -> WebhookEndpoint:
    """Create (once) the local webhook endpoint row dj-stripe verifies signatures with, and keep its
    secret, URL and mode in step with the settings. Its UUID, hence its URL path, never changes."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise PaymentsNotConfigured(
            _("Set STRIPE_WEBHOOK_SECRET to the signing secret (whsec_...) of your Stripe webhook endpoint.")
        )
    with transaction.atomic(durable=True):
        endpoint = WebhookEndpoint.objects.select_for_update().filter(id=WEBHOOK_ENDPOINT_ID).first()
        if endpoint is None:
            endpoint = WebhookEndpoint(id=WEBHOOK_ENDPOINT_ID, djstripe_uuid=uuid.uuid4())
        endpoint.secret = settings.STRIPE_WEBHOOK_SECRET
        endpoint.url = webhook_url(endpoint)
        endpoint.api_version = stripe.api_version
        endpoint.enabled_events = ["*"]
        endpoint.livemode = settings.STRIPE_LIVE_MODE
        endpoint.status = WebhookEndpointStatus.enabled
        endpoint.djstripe_validation_method = WebhookEndpointValidation.verify_signature
        # What Stripe would say of the endpoint (dj-stripe keeps every object's raw data); no secret.
        endpoint.stripe_data = {
            "id": endpoint.id,
            "object": "webhook_endpoint",
            "api_version": endpoint.api_version,
            "enabled_events": endpoint.enabled_events,
            "livemode": endpoint.livemode,
            "metadata": {"djstripe_uuid": str(endpoint.djstripe_uuid)},
            "status": "enabled",
            "url": endpoint.url,
        }
        endpoint.full_clean(exclude=["djstripe_owner_account"])
        endpoint.save()
    return endpoint


# --- Checkout and the portal ----------------------------------------------------------------------


def _return_urls(return_url: str) -> dict[str, str]:
    # Stripe fills in {CHECKOUT_SESSION_ID} on success_url only.
    join = "&" if "?" in return_url else "?"
    return {
        "success_url": f"{return_url}{join}status=success&session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{return_url}{join}status=cancel",
    }


def _customer_params(account: CreditAccount, user: User) -> dict[str, str]:
    # Stripe accepts one of the two: an existing customer, or an email to prefill a new one.
    if account.stripe_customer_id:
        return {"customer": account.stripe_customer_id}
    return {"customer_email": user.email}


def _create_checkout(user: User, params: dict[str, Any]) -> str:
    try:
        session = stripe_client().v1.checkout.sessions.create(params=params)
    except stripe.StripeError as error:
        logger.warning(
            "Stripe refused a checkout session for user %s: %s (%s, request %s)",
            user.pk,
            error.user_message or str(error),
            type(error).__name__,
            error.request_id,
        )
        raise CheckoutError(
            _("Stripe couldn't open the payment page. Nothing was charged; please try again in a moment.")
        ) from error
    url = session.to_dict().get("url")
    if not url:
        raise CheckoutError()
    return url


def start_subscription_checkout(
    *, user: User, tier: str, cycle: str, return_url: str, locale: str = "auto"
) -> str:
    """Open a Stripe Checkout session to subscribe ``user`` to a paid plan; returns its URL.

    The plan, its allowance and the Stripe ids reach the account through the webhooks.
    """
    if not payments_enabled():
        raise PaymentsNotConfigured()
    plan = Plan.objects.filter(tier=tier, is_active=True).first() if tier else None
    if plan is None:
        raise CheckoutError(_("That plan isn't available."))
    if plan.is_free:
        raise CheckoutError(_("The Free plan needs no payment: it's what every account starts on."))
    if cycle not in BillingCycle.values:
        raise CheckoutError(_("Choose monthly or annual billing."))
    price = plan.price_cents(cycle)
    if price <= 0:
        raise CheckoutError(_("That plan isn't available."))
    account = ledger.get_account(user)
    if account.stripe_subscription_id and not account.plan.is_free:
        raise CheckoutError(_("You already have a subscription. Change or cancel it in the billing portal."))
    metadata = {"user_id": str(user.pk), "kind": KIND_SUBSCRIPTION, "plan": plan.tier, "cycle": cycle}
    interval = "year" if cycle == BillingCycle.ANNUAL else "month"
    params = {
        "mode": "subscription",
        "client_reference_id": str(user.pk),
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": plan.currency,
                    "unit_amount": price,
                    "recurring": {"interval": interval},
                    "product_data": {
                        "name": _("Javari %(plan)s, %(cycle)s")
                        % {"plan": plan.name, "cycle": BillingCycle(cycle).label.lower()},
                        "description": _("%(credits)s credits a month")
                        % {"credits": number_format(plan.credits_per_month, force_grouping=True)},
                    },
                },
            }
        ],
        "metadata": metadata,
        # Copied onto every invoice of the subscription: invoice.paid finds the user and plan even
        # when it arrives before checkout.session.completed (Stripe doesn't order events).
        "subscription_data": {"metadata": {"user_id": str(user.pk), "plan": plan.tier, "cycle": cycle}},
        "locale": locale,
        **_customer_params(account, user),
        **_return_urls(return_url),
    }
    return _create_checkout(user, params)


def start_top_up_checkout(*, user: User, pack_id: str | int, return_url: str, locale: str = "auto") -> str:
    """Open a Stripe Checkout session to buy a top-up pack; returns its URL.

    The credits arrive with the checkout.session.completed webhook.
    """
    if not payments_enabled():
        raise PaymentsNotConfigured()
    try:
        pack = TopUpPack.objects.filter(pk=int(pack_id), is_active=True).first()
    except (TypeError, ValueError):
        pack = None
    if pack is None or pack.price_cents <= 0:
        raise CheckoutError(_("That credit pack isn't available."))
    account = ledger.get_account(user)
    metadata = {
        "user_id": str(user.pk),
        "kind": KIND_TOP_UP,
        "pack": str(pack.pk),
        "credits": str(pack.credits),
    }
    params = {
        "mode": "payment",
        "client_reference_id": str(user.pk),
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": pack.currency,
                    "unit_amount": pack.price_cents,
                    "product_data": {
                        "name": _("%(credits)s Javari credits")
                        % {"credits": number_format(pack.credits, force_grouping=True)},
                        "description": _("Top-up credits never expire."),
                    },
                },
            }
        ],
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "locale": locale,
        **_customer_params(account, user),
        **_return_urls(return_url),
    }
    return _create_checkout(user, params)


def open_billing_portal(*, user: User, return_url: str, locale: str = "auto") -> str:
    """Open Stripe's customer portal (invoices, card, cancel) for ``user``; returns its URL."""
    if not payments_enabled():
        raise PaymentsNotConfigured()
    account = ledger.get_account(user)
    if not account.stripe_customer_id:
        raise CheckoutError(
            _("You have no billing account with Stripe yet: it opens with your first subscription.")
        )
    try:
        session = stripe_client().v1.billing_portal.sessions.create(
            params={"customer": account.stripe_customer_id, "return_url": return_url, "locale": locale}
        )
    except stripe.StripeError as error:
        logger.warning(
            "Stripe refused a portal session for user %s: %s (%s, request %s)",
            user.pk,
            error.user_message or str(error),
            type(error).__name__,
            error.request_id,
        )
        raise CheckoutError(
            _("Stripe's billing portal couldn't be opened. Please try again in a moment.")
        ) from error
    url = session.to_dict().get("url")
    if not url:
        raise CheckoutError(_("Stripe's billing portal couldn't be opened. Please try again in a moment."))
    return url


def checkout_outcome(*, user: User, session_id: str) -> str:
    """What became of ``user``'s checkout session: "paid", "processing", "open" or "unknown".

    Only for the message on return; the ledger changes through webhooks alone.
    """
    if not payments_enabled() or not _CHECKOUT_SESSION_ID.match(session_id or ""):
        return "unknown"
    try:
        session = stripe_client().v1.checkout.sessions.retrieve(session_id).to_dict()
    except stripe.StripeError as error:
        logger.info("Could not read checkout session %s back from Stripe: %s", session_id, error)
        return "unknown"
    if session.get("client_reference_id") != str(user.pk):
        return "unknown"  # someone else's session: say nothing about it
    if session.get("status") == "complete":
        return "paid" if session.get("payment_status") in ("paid", "no_payment_required") else "processing"
    return "open"
