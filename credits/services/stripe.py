"""Stripe: Checkout, the customer portal, and webhook events turned into ledger entries."""

from __future__ import annotations


def process_webhook_trigger(trigger: object, api_key: str | None = None) -> None:
    raise NotImplementedError("being written")
