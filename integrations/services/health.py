"""The scheduled health check (the ``check_integrations`` task, hourly, and
``manage.py check_integrations``).

One pass:

1. claim up to ``limit`` live integrations whose ``next_check_at`` has come, ``SELECT … FOR UPDATE
   SKIP LOCKED`` (two passes never take the same row), pushing ``next_check_at`` on by
   ``CHECK_INTERVAL`` in the same commit so the claim holds without a transaction;
2. for each, outside any transaction: ``verify`` with the current key (``usable_access`` renews a
   short-lived one first);
3. record what it found (``connections.record_check``, under the row lock). When the connection
   goes from connected to error, tell the person once per failure episode: an in-app notification
   keyed on the integration and the last time it worked, and an email queued on commit with the
   integration's id;
4. a key whose ``key_expires_at`` falls within its provider's ``expiry_warning_days``: one "key
   expires soon" activity, notification and email per key expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from integrations import providers
from integrations.errors import ProviderError
from integrations.models import Activity, ActivityAction, Integration, IntegrationStatus
from integrations.providers import Verification
from integrations.services.activity import log
from integrations.services.connections import CHECK_INTERVAL, record_check, usable_access

# How many connections one pass checks by default (each is one provider call of at most
# INTEGRATIONS_HTTP_TIMEOUT seconds).
CHECK_BATCH = 200


def claim_checks(*, now: datetime, limit: int = CHECK_BATCH) -> list[UUID]:
    """Take up to ``limit`` live integrations whose check is due; their ``next_check_at`` moves
    on by ``CHECK_INTERVAL`` in the same commit. Durable."""
    with transaction.atomic(durable=True):
        ids = list(
            Integration.objects.select_for_update(skip_locked=True)
            .exclude(status=IntegrationStatus.DISCONNECTED)
            .filter(next_check_at__lte=now)
            .order_by("next_check_at", "pk")
            .values_list("pk", flat=True)[: max(1, int(limit))]
        )
        if ids:
            Integration.objects.filter(pk__in=ids).update(next_check_at=now + CHECK_INTERVAL)
    return ids


def _page_url(integration: Integration) -> str:
    return f"/integrations/{integration.pk}/"


def _tell_failing(integration: Integration, *, since: datetime | None) -> None:
    """The "stopped working" notification and email (joins the caller's transaction)."""
    from integrations import tasks
    from javari.tasks import enqueue_on_commit
    from reminders.models import NotificationKind
    from reminders.services.notifications import notify

    episode = since.isoformat() if since else "never"
    notify(
        user=integration.user,
        kind=NotificationKind.INTEGRATION,
        title=gettext("%(name)s stopped working") % {"name": integration.name},
        body=integration.status_detail,
        url=_page_url(integration),
        idempotency_key=f"integration:{integration.pk}:error:{episode}"[:200],
    )
    enqueue_on_commit(tasks.send_integration_email, integration.pk, "error")


def _warn_expiring(integration: Integration, *, now: datetime) -> bool:
    """One "key expires soon" activity, notification and email per key expiry. Returns whether
    this call gave the warning (joins the caller's transaction)."""
    from integrations import tasks
    from javari.tasks import enqueue_on_commit
    from reminders.models import NotificationKind
    from reminders.services.notifications import notify

    expires = integration.key_expires_at
    adapter = providers.get(integration.provider)
    if expires is None or not now < expires <= now + timedelta(days=adapter.expiry_warning_days):
        return False
    stamp = expires.isoformat()
    if Activity.objects.filter(
        integration=integration, action=ActivityAction.KEY_EXPIRING, metadata__expires_at=stamp
    ).exists():
        return False
    days = max(0, (expires - now).days)
    log(
        integration=integration,
        action=ActivityAction.KEY_EXPIRING,
        message=ngettext(
            "The key expires in %(days)s day: enter a new one before then.",
            "The key expires in %(days)s days: enter a new one before then.",
            days,
        )
        % {"days": days},
        metadata={"expires_at": stamp},
    )
    notify(
        user=integration.user,
        kind=NotificationKind.INTEGRATION,
        title=gettext("The key of %(name)s expires soon") % {"name": integration.name},
        body=gettext("Make a new key at %(provider)s and enter it in Javari before it expires.")
        % {"provider": adapter.name},
        url=_page_url(integration),
        idempotency_key=f"integration:{integration.pk}:expiring:{stamp}"[:200],
    )
    enqueue_on_commit(tasks.send_integration_email, integration.pk, "expiring")
    return True


@dataclass(frozen=True)
class CheckResult:
    """What one check found: the integration as recorded, whether the key worked, whether it just
    went from connected to error (the person was told), whether an expiry warning was given."""

    integration: Integration
    worked: bool
    newly_failing: bool
    warned_expiry: bool


def check_one(*, integration_id: UUID | str, now: datetime | None = None) -> CheckResult | None:
    """Verify one integration and record the result (the pass's steps 2 to 4). None when it is
    gone or disconnected meanwhile."""
    now = now or timezone.now()
    integration = Integration.objects.select_related("user").filter(pk=integration_id).first()
    if integration is None or not integration.is_active:
        return None
    adapter = providers.get(integration.provider)
    verification: Verification | None = None
    error: ProviderError | None = None
    try:
        verification = adapter.verify(usable_access(integration, now=now))
    except ProviderError as exc:
        error = exc
    with transaction.atomic(durable=True):
        locked = (
            Integration.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=integration_id)
            .first()
        )
        if locked is None or not locked.is_active:
            return None
        was, worked_at = locked.status, locked.last_verified_at
        record_check(integration=locked, verification=verification, error=error, now=now)
        newly_failing = was == IntegrationStatus.CONNECTED and locked.status == IntegrationStatus.ERROR
        if newly_failing:
            _tell_failing(locked, since=worked_at)
        warned = error is None and _warn_expiring(locked, now=now)
    return CheckResult(
        integration=locked, worked=error is None, newly_failing=newly_failing, warned_expiry=warned
    )


def check_due(*, now: datetime | None = None, limit: int = CHECK_BATCH) -> dict[str, int]:
    """One health-check pass (the module's steps). Returns counts: ``checked``, ``working``,
    ``failing`` (refused or unreachable this time), ``newly_failing`` (went from connected to
    error: the person was told), ``expiring`` (warned this pass)."""
    now = now or timezone.now()
    counts = dict.fromkeys(("checked", "working", "failing", "newly_failing", "expiring"), 0)
    for integration_id in claim_checks(now=now, limit=limit):
        result = check_one(integration_id=integration_id, now=now)
        if result is None:
            continue
        counts["checked"] += 1
        counts["working" if result.worked else "failing"] += 1
        counts["newly_failing"] += int(result.newly_failing)
        counts["expiring"] += int(result.warned_expiry)
    return counts
