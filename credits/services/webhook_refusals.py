"""A bounded record of refused Stripe webhook deliveries: enough to see an attack or a wrong secret,
never the bodies, and never more than ``REFUSED_WEBHOOKS_KEPT`` rows."""

from __future__ import annotations

import hashlib

from django.db import transaction

from credits.models import RefusedWebhook

# The newest refusals kept; older ones are deleted as new ones arrive. 1,000 rows of ~150 bytes.
REFUSED_WEBHOOKS_KEPT = 1000


def record_refused_webhook(*, body: bytes, remote_ip: str | None, reason: str) -> RefusedWebhook:
    """Record one refused delivery (its size and hash, not its body) and prune past the cap."""
    refusal = RefusedWebhook(
        remote_ip=remote_ip or None,
        reason=reason,
        size=len(body),
        body_sha256=hashlib.sha256(body).hexdigest(),
    )
    refusal.full_clean()
    with transaction.atomic(durable=True):
        refusal.save()
        prune_refused_webhooks()
    return refusal


def prune_refused_webhooks(*, keep: int | None = None) -> int:
    """Delete all but the newest ``keep`` refusals (ids grow with time); return how many went."""
    keep = REFUSED_WEBHOOKS_KEPT if keep is None else keep
    if keep < 1:
        deleted, _ = RefusedWebhook.objects.all().delete()
        return deleted
    oldest_kept = RefusedWebhook.objects.order_by("-id").values_list("id", flat=True)[keep - 1 : keep]
    cutoff = list(oldest_kept)
    if not cutoff:
        return 0
    deleted, _ = RefusedWebhook.objects.filter(id__lt=cutoff[0]).delete()
    return deleted
