"""Key rotation (spec §3.3; docs/DESIGN.md "Integrations and key rotation").

``plan_rotation`` keeps ``next_rotation_at`` in step with an integration's schedule (and, for a
provider that can't rotate by API, its ``rotate_keys`` reminder); ``secret_replaced`` is called when
a person enters a new secret by hand.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from integrations.models import Integration, next_rotation_after


def plan_rotation(*, integration_id: UUID | str, now: datetime | None = None) -> Integration | None:
    """Set ``next_rotation_at`` from the schedule: one period after the last rotation (or the
    connection), null when auto-rotation is off or the integration is disconnected. Durable.
    Returns the integration (None if it is gone)."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        integration = Integration.objects.select_for_update().filter(pk=integration_id).first()
        if integration is None:
            return None
        if integration.auto_rotate and integration.is_active:
            base = integration.last_rotated_at or integration.created_at
            wanted = next_rotation_after(base, integration.rotation_schedule)
        else:
            wanted = None
        if integration.next_rotation_at != wanted:
            integration.next_rotation_at = wanted
            integration.save(update_fields=["next_rotation_at", "updated_at"])
    return integration


def secret_replaced(*, integration_id: UUID | str, now: datetime | None = None) -> None:
    """A person entered a new key by hand: it counts as a rotation (``last_rotated_at``). Durable."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        Integration.objects.filter(pk=integration_id).update(last_rotated_at=now, rotation_failures=0)
