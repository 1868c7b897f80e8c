"""Stripe webhook events turned into ledger entries (``credits.views.webhooks`` calls in here).

1. Read the event from ``trigger.json_body`` (we don't sync dj-stripe's mirror models).
2. Resolve the Javari user (``CreditAccount.stripe_customer_id``, else the ``user_id`` we put in the
   metadata) and the plan; anything unknown raises ``StripeEventError`` before any write.
3. Lock the user's account row, then write through the ledger services with the idempotency key
   ``stripe:<event id>``: a replayed event finds its entry and changes nothing.
4. Mark the trigger processed; the view saves it after we return.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from djstripe.models import WebhookEventTrigger

from accounts.models import User
from credits.errors import InsufficientCredits
from credits.models import BillingCycle, CreditAccount, EntryKind, LedgerEntry, Plan, Tier
from credits.services import ledger
from credits.services.stripe import KIND_SUBSCRIPTION, KIND_TOP_UP, StripeEventError

logger = logging.getLogger(__name__)

# invoice.paid with these reasons is a paid subscription period: the allowance resets.
RENEWAL_REASONS = ("subscription_create", "subscription_cycle", "subscription_update")
# A subscription in these states is paid for (past_due: Stripe is still retrying the card).
LIVE_SUBSCRIPTION_STATUSES = ("active", "trialing", "past_due")


def process_webhook_trigger(trigger: WebhookEventTrigger, api_key: str | None = None) -> None:
    """Apply one signature-verified event to the ledger (called by ``credits.views.webhooks``).

    Runs inside the view's ``transaction.atomic()``. A ``StripeEventError`` (or any other error)
    propagates on purpose: the view rolls the work back, keeps the trigger row with the message in
    ``trigger.exception`` and its traceback, and answers 500, so Stripe retries the event for up to
    three days. Stripe doesn't order events: ``invoice.paid`` can come before the
    ``checkout.session.completed`` that links the customer, so a retry often succeeds. Retrying a
    truly unknown customer writes nothing (every check comes before the first ledger write, and the
    transaction undoes the rest), and Stripe emails the account owner about an endpoint that keeps
    failing: the alert we want for a mismatch. Answering 200 instead would drop such an event for good.
    """
    outcome = handle_event(trigger.json_body)
    logger.info("Stripe event %s: %s", trigger.json_body.get("id"), outcome)
    trigger.processed = True


def handle_event(event: dict[str, Any]) -> str:
    """Apply one Stripe event (a dict as Stripe sends it); returns what was done, for the log.

    A building block: it nests in the webhook view's transaction (``process_webhook_trigger``).
    """
    handler = _HANDLERS.get(event.get("type", ""))
    if handler is None:
        return f"{event.get('type')!r}: not an event Javari acts on"
    obj = (event.get("data") or {}).get("object") or {}
    with transaction.atomic():
        return handler(event, obj)


def _event_key(event: dict[str, Any]) -> str:
    return f"stripe:{event['id']}"


def _replayed(event: dict[str, Any]) -> bool:
    return LedgerEntry.objects.filter(idempotency_key=_event_key(event)).exists()


def _id(value: Any) -> str:
    """A Stripe reference: an id string, or an expanded object carrying one."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if isinstance(value, int) and value > 0 else None


def _user_from_metadata(event: dict[str, Any], metadata: dict[str, Any]) -> User:
    user_id = metadata.get("user_id") or ""
    try:
        user = User.objects.filter(pk=user_id).first() if user_id else None
    except (ValidationError, ValueError):
        user = None
    if user is None:
        raise StripeEventError(f"Stripe event {event['id']} names user {user_id!r} that Javari doesn't have.")
    return user


def _plan(event: dict[str, Any], tier: Any) -> Plan:
    plan = Plan.objects.filter(tier=tier).first() if isinstance(tier, str) and tier else None
    if plan is None:
        raise StripeEventError(f"Stripe event {event['id']} names plan {tier!r} that Javari doesn't have.")
    return plan


def _cycle(value: Any, default: str) -> str:
    return value if value in BillingCycle.values else default


def _account_for(event: dict[str, Any], customer: str, metadata: dict[str, Any]) -> CreditAccount:
    """The account of a Stripe customer; else of the ``user_id`` in our metadata (the customer isn't
    linked yet when an event beats checkout.session.completed); else a StripeEventError."""
    account = (
        CreditAccount.objects.select_related("plan", "user").filter(stripe_customer_id=customer).first()
        if customer
        else None
    )
    if account is not None:
        return account
    if metadata.get("user_id"):
        return ledger.get_account(_user_from_metadata(event, metadata))
    raise StripeEventError(
        f"Stripe event {event['id']} names customer {customer or '(none)'} that no Javari account has."
    )


def _lock(user: User) -> CreditAccount:
    """Lock the account row for the rest of the event's transaction, so a concurrent debit can't
    interleave with ``set_plan`` (which saves the whole row) or with a refund's reckoning."""
    ledger.get_account(user)
    return CreditAccount.objects.select_for_update().select_related("plan").get(pk=user.pk)


def _on_checkout_completed(event: dict[str, Any], session: dict[str, Any]) -> str:
    metadata = session.get("metadata") or {}
    kind = metadata.get("kind")
    if kind not in (KIND_SUBSCRIPTION, KIND_TOP_UP):
        return "a checkout Javari didn't open: ignored"
    user = _user_from_metadata(event, metadata)
    if kind == KIND_TOP_UP:
        if session.get("payment_status") != "paid":
            # An async payment method: checkout.session.async_payment_succeeded follows when it clears.
            return "top-up not paid yet"
        credits = str(metadata.get("credits") or "")
        if not credits.isdigit() or int(credits) <= 0:
            raise StripeEventError(f"Stripe event {event['id']} carries no credit amount for its top-up.")
        if _replayed(event):
            return "replayed: nothing to do"
        _lock(user)
        if LedgerEntry.objects.filter(
            kind=EntryKind.PURCHASE, metadata__checkout_session=session.get("id")
        ).exists():
            # Its other event (completed, then async_payment_succeeded) already credited this session.
            return "checkout session already credited"
        ledger.purchase(
            user=user,
            amount=int(credits),
            idempotency_key=_event_key(event),
            metadata={
                "checkout_session": session.get("id"),
                "payment_intent": _id(session.get("payment_intent")),
                "amount_total": session.get("amount_total"),
                "currency": session.get("currency"),
            },
        )
        return f"{credits} credits purchased by user {user.pk}"
    plan = _plan(event, metadata.get("plan"))
    account = _lock(user)
    # No credits here: the allowance arrives with invoice.paid. Keep a billing date it may have set.
    ledger.set_plan(
        user=user,
        plan=plan,
        billing_cycle=_cycle(metadata.get("cycle"), account.billing_cycle),
        next_billing_date=account.next_billing_date,
        stripe_customer_id=_id(session.get("customer")) or None,
        stripe_subscription_id=_id(session.get("subscription")) or None,
        cancel_at_period_end=False,
    )
    return f"user {user.pk} subscribed to {plan.tier}"


def _on_invoice_paid(event: dict[str, Any], invoice: dict[str, Any]) -> str:
    if invoice.get("billing_reason") not in RENEWAL_REASONS:
        return f"invoice for {invoice.get('billing_reason')!r}: no allowance change"
    if _replayed(event):
        return "replayed: nothing to do"
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    # The subscription's metadata as it was when the invoice was finalized (we set it at checkout).
    metadata = details.get("metadata") or {}
    subscription_id = _id(details.get("subscription")) or _id(invoice.get("subscription"))
    account = _account_for(event, _id(invoice.get("customer")), metadata)
    plan = _plan(event, metadata["plan"]) if metadata.get("plan") else account.plan
    if plan.is_free:
        raise StripeEventError(
            f"Stripe event {event['id']} is a paid subscription invoice, but the account of user "
            f"{account.user_id} is on the Free plan."
        )
    cycle = _cycle(metadata.get("cycle"), account.billing_cycle)
    # The first invoice's own period_end is its creation time; the lines carry the service period.
    ends = [
        line["period"]["end"]
        for line in (invoice.get("lines") or {}).get("data") or []
        if isinstance((line.get("period") or {}).get("end"), int)
    ]
    period_end = _timestamp(max(ends)) if ends else _timestamp(invoice.get("period_end"))
    user = account.user
    account = _lock(user)
    ledger.set_plan(
        user=user,
        plan=plan,
        billing_cycle=cycle,
        next_billing_date=period_end,
        stripe_customer_id=_id(invoice.get("customer")) or None,
        stripe_subscription_id=subscription_id or None,
        cancel_at_period_end=account.cancel_at_period_end,
    )
    # A monthly plan's allowance lasts the paid period. An annual plan still gets a monthly
    # allowance: renew_allowances renews it a month from now (renews_at=None means that).
    ledger.renew_allowance(
        user=user,
        plan=plan,
        idempotency_key=_event_key(event),
        renews_at=period_end if cycle == BillingCycle.MONTHLY else None,
    )
    return f"allowance of user {user.pk} renewed on {plan.tier}"


def _subscription_period_end(subscription: dict[str, Any]) -> datetime | None:
    items = (subscription.get("items") or {}).get("data") or []
    ends = [item["current_period_end"] for item in items if isinstance(item.get("current_period_end"), int)]
    # Before API version 2025-03-31 the period lived on the subscription itself.
    return _timestamp(max(ends)) if ends else _timestamp(subscription.get("current_period_end"))


def _subscription_cycle(subscription: dict[str, Any], default: str) -> str:
    for item in (subscription.get("items") or {}).get("data") or []:
        interval = ((item.get("price") or {}).get("recurring") or {}).get("interval")
        if interval in ("month", "year"):
            return BillingCycle.ANNUAL if interval == "year" else BillingCycle.MONTHLY
    return _cycle((subscription.get("metadata") or {}).get("cycle"), default)


def _on_subscription_updated(event: dict[str, Any], subscription: dict[str, Any]) -> str:
    metadata = subscription.get("metadata") or {}
    account = _account_for(event, _id(subscription.get("customer")), metadata)
    if account.stripe_subscription_id and account.stripe_subscription_id != subscription.get("id"):
        return "not the account's current subscription: ignored"
    status = subscription.get("status")
    if status not in LIVE_SUBSCRIPTION_STATUSES:
        return f"subscription {status}: no plan change"
    plan = _plan(event, metadata["plan"]) if metadata.get("plan") else account.plan
    user = account.user
    account = _lock(user)
    account = ledger.set_plan(
        user=user,
        plan=plan,
        billing_cycle=_subscription_cycle(subscription, account.billing_cycle),
        next_billing_date=_subscription_period_end(subscription) or account.next_billing_date,
        stripe_customer_id=_id(subscription.get("customer")) or None,
        stripe_subscription_id=subscription.get("id") or None,
        # The portal cancels either at the period end or at a date (cancel_at): both end the plan.
        cancel_at_period_end=bool(subscription.get("cancel_at_period_end") or subscription.get("cancel_at")),
    )
    return f"user {user.pk} on {plan.tier}, cancel at period end: {account.cancel_at_period_end}"


def _on_subscription_deleted(event: dict[str, Any], subscription: dict[str, Any]) -> str:
    account = _account_for(event, _id(subscription.get("customer")), subscription.get("metadata") or {})
    if account.stripe_subscription_id and account.stripe_subscription_id != subscription.get("id"):
        return "an earlier subscription ended: the current one stays"
    if _replayed(event):
        return "replayed: nothing to do"
    free = Plan.objects.get(tier=Tier.FREE)
    user = account.user
    _lock(user)
    ledger.set_plan(
        user=user,
        plan=free,
        billing_cycle=BillingCycle.MONTHLY,
        next_billing_date=None,
        stripe_subscription_id="",
        cancel_at_period_end=False,
    )
    # Stripe deletes a subscription cancelled "at period end" when that period ends: the paid
    # allowance is over, so Free's starts now and renews monthly from here.
    ledger.renew_allowance(user=user, plan=free, idempotency_key=_event_key(event))
    return f"user {user.pk} back on Free"


def _on_charge_refunded(event: dict[str, Any], charge: dict[str, Any]) -> str:
    payment_intent = _id(charge.get("payment_intent"))
    bought = (
        LedgerEntry.objects.filter(kind=EntryKind.PURCHASE, metadata__payment_intent=payment_intent)
        .select_related("user")
        .order_by("id")
        .first()
        if payment_intent
        else None
    )
    if bought is None:
        return "not a top-up payment: no credits to take back"
    if _replayed(event):
        return "replayed: nothing to do"
    amount, refunded = charge.get("amount"), charge.get("amount_refunded")
    if not isinstance(amount, int) or amount <= 0 or not isinstance(refunded, int):
        raise StripeEventError(f"Stripe event {event['id']} has no charge amounts to prorate the refund by.")
    user = bought.user
    _lock(user)  # serialises two refund events of one payment: each sees the other's entry
    # amount_refunded is cumulative over partial refunds, and their events may come in any order:
    # take back the share refunded so far, less what earlier refund events already asked for.
    target = bought.amount * min(refunded, amount) // amount
    earlier = LedgerEntry.objects.filter(
        user=user, kind=EntryKind.REFUND, metadata__payment_intent=payment_intent
    ).values_list("metadata", flat=True)
    asked = sum(int(meta.get("requested", 0)) for meta in earlier)
    if target - asked <= 0:
        return "refund already accounted for"
    try:
        ledger.remove_purchased(
            user=user,
            amount=target - asked,
            idempotency_key=_event_key(event),
            reason=ledger.STRIPE_REFUND,
            metadata={
                "payment_intent": payment_intent,
                "charge": charge.get("id"),
                "amount_refunded": refunded,
            },
        )
    except InsufficientCredits:
        # All of them were spent already: purchased credits never go below zero.
        return "refund: no purchased credits left to take back"
    return f"took back up to {target - asked} purchased credits from user {user.pk}"


_HANDLERS: dict[str, Callable[[dict[str, Any], dict[str, Any]], str]] = {
    "checkout.session.completed": _on_checkout_completed,
    "checkout.session.async_payment_succeeded": _on_checkout_completed,
    "invoice.paid": _on_invoice_paid,
    "customer.subscription.updated": _on_subscription_updated,
    "customer.subscription.deleted": _on_subscription_deleted,
    "charge.refunded": _on_charge_refunded,
}
