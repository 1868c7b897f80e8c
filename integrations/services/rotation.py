"""Key rotation (spec §3.3; docs/DESIGN.md "Integrations and key rotation").

``rotate_now`` rotates one integration's key through the provider's API (AWS Secrets Manager's and
Infisical's order), in steps, each one committed before the next so a process that dies anywhere
leaves something the next run can finish or undo:

1. take the integration's rotation lease: a conditional ``UPDATE`` of ``rotation_lease_until``
   whose row count decides (one rotation at a time; a dead run's lease runs out after ``LEASE``);
2. clean up what a dead run left: a ``pending`` key is tested and promoted if it works (that
   finishes the dead run's rotation) or revoked upstream and deleted if it doesn't; ``previous``
   keys get their revoke retried;
3. ``create_key`` upstream, named ``javari-<pending row id>`` so a person can tell it on the
   provider's page;
4. store it as ``pending`` (commit);
5. test it: ``verify`` with the new key in place of the current one;
6. promote, in one transaction: current → previous, pending → current, ``last_rotated_at``, the
   next rotation, the failures reset and the "key rotated" activity (masked tail only);
7. revoke the previous key upstream with the new one: success retires it (value wiped); a failure
   leaves it ``previous`` with ``revoke_attempts``/``revoke_error``, logs "old key not revoked
   yet" and tells the person; the next run (or ``rotate_due``) retries;
8. release the lease.

A failure before promotion (create, test, promote) revokes the new key upstream, deletes the
pending row, leaves the current key untouched, logs "rotation failed", counts the failure (the next
automatic try backs off) and tells the person; ``RotationFailed`` says which step and why. If the
new key can't be revoked either, its pending row stays so the next run cleans it up. Only
``Exception`` is handled: a ``BaseException`` (the process being killed, which tests simulate
through ``step_hook``) skips every clean-up, as a real death would, and leaves the lease to run
out.

A window no run can clean up: the process dying between the provider making the key (3) and its
row being committed (4). The key exists upstream, named ``javari-<id>``, with no row pointing to
it; the base class has no "list keys" call to find it by name, so it is left for the person (it is
named so they can tell it). Every other death is finished or undone by the next run.

``plan_rotation`` keeps ``next_rotation_at`` (and, for providers without a rotation API, the
``rotate_keys`` reminder) in step with the schedule; ``secret_replaced`` is called when a person
enters a new key by hand; ``rotate_due`` is the daily pass that claims due integrations.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from integrations import providers
from integrations.errors import (
    NotConnected,
    ProviderError,
    RotationFailed,
    RotationInProgress,
    RotationNotSupported,
)
from integrations.models import (
    ActivityAction,
    Credential,
    CredentialState,
    Integration,
    IntegrationStatus,
    next_rotation_after,
)
from integrations.providers import Access, Provider
from integrations.services.activity import log
from javari.secrets import mask_secret

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

# How long a rotation holds its integration: longer than the handful of provider calls it makes
# (each bounded by INTEGRATIONS_HTTP_TIMEOUT, 10 s by default), short enough that a dead run's
# lease runs out before the next daily pass.
LEASE = timedelta(minutes=10)
# After a failed automatic rotation the next try waits 6 h, 12 h, 24 h… up to a week.
BACKOFF_BASE = timedelta(hours=6)
BACKOFF_MAX = timedelta(days=7)
# The name a new key gets upstream: this prefix and its pending row's id.
KEY_NAME_PREFIX = "javari-"

StepHook = Callable[[str], None]


def _step(hook: StepHook | None, name: str) -> None:
    if hook is not None:
        hook(name)


def _page_url(integration: Integration) -> str:
    return f"/integrations/{integration.pk}/"


def backoff(failures: int) -> timedelta:
    """How long the next automatic rotation waits after ``failures`` failed ones in a row."""
    if failures <= 0:
        return timedelta(0)
    return min(BACKOFF_BASE * (2 ** min(failures - 1, 10)), BACKOFF_MAX)


# --- The lease --------------------------------------------------------------------------------------


def _take_lease(integration_id: UUID | str, *, now: datetime) -> datetime | None:
    """Hold the integration for one rotation: the lease's end, or None when another run holds it
    (or it is disconnected). Durable: the lease is committed before any provider call."""
    until = now + LEASE
    with transaction.atomic(durable=True):
        taken = (
            Integration.objects.filter(pk=integration_id)
            .exclude(status=IntegrationStatus.DISCONNECTED)
            .filter(Q(rotation_lease_until__isnull=True) | Q(rotation_lease_until__lte=now))
            .update(rotation_lease_until=until)
        )
    return until if taken else None


def _release_lease(integration_id: UUID | str, *, lease: datetime) -> None:
    """Give the integration back, unless the lease ran out and another run took it meanwhile."""
    with transaction.atomic(durable=True):
        Integration.objects.filter(pk=integration_id, rotation_lease_until=lease).update(
            rotation_lease_until=None
        )


# --- Steps ------------------------------------------------------------------------------------------


def _current(integration: Integration, field: str) -> Credential | None:
    return integration.credentials.filter(field=field, state=CredentialState.CURRENT).first()


def _revoke_new_key(adapter: Provider, access: Access, pending: Credential) -> bool:
    """Revoke a pending key upstream (with the current key); delete its row when that worked.
    Returns whether it is gone. A failure keeps the row, so the next run tries again."""
    try:
        if pending.upstream_id:
            adapter.revoke_key(access, upstream_id=pending.upstream_id)
    except ProviderError as exc:
        logger.warning(
            "Could not revoke the unused new key of integration %s: %s", pending.integration_id, exc
        )
        return False
    with transaction.atomic(durable=True):
        Credential.objects.filter(pk=pending.pk, state=CredentialState.PENDING).delete()
    return True


def _revoke_previous(
    integration: Integration, adapter: Provider, access: Access, *, now: datetime
) -> tuple[int, int]:
    """Revoke every ``previous`` key of the rotated field upstream with ``access`` (the current
    key). Returns (revoked, still to revoke). Each outcome is committed on its own."""
    field = adapter.rotated_field
    revoked = failed = 0
    for old in integration.credentials.filter(field=field, state=CredentialState.PREVIOUS):
        upstream_id = old.upstream_id
        error: ProviderError | None = None
        try:
            if not upstream_id and old.value:
                # Connected before the provider told us the key's id: ask it, with the old key.
                upstream_id = adapter.verify(access.with_secret(field, old.value)).upstream_id
            if upstream_id:
                adapter.revoke_key(access, upstream_id=upstream_id)
            else:
                error = ProviderError(
                    gettext("The provider didn't say which key this is: delete it on its page yourself.")
                )
        except ProviderError as exc:
            # An old key whose id we had to ask for and that no longer works: nothing to revoke.
            gone = exc.permanent and exc.status in (401, 403) and not old.upstream_id
            error = None if gone else exc
        with transaction.atomic(durable=True):
            if error is None:
                Credential.objects.filter(pk=old.pk).update(
                    state=CredentialState.RETIRED,
                    value="",
                    revoked_at=now,
                    retired_at=now,
                    revoke_error="",
                )
                log(
                    integration=integration,
                    action=ActivityAction.KEY_REVOKED,
                    message=gettext("The old key was revoked at %(provider)s.") % {"provider": adapter.name},
                    metadata={"credential": str(old.pk), "attempts": old.revoke_attempts + 1},
                )
                revoked += 1
                continue
            failed += 1
            attempts = old.revoke_attempts + 1
            reason = str(error)[:500]
            Credential.objects.filter(pk=old.pk).update(revoke_attempts=attempts, revoke_error=reason)
            log(
                integration=integration,
                action=ActivityAction.REVOKE_FAILED,
                success=False,
                message=gettext(
                    "The new key works, but the old one could not be revoked yet: %(reason)s "
                    "Javari tries again."
                )
                % {"reason": reason},
                metadata={"credential": str(old.pk), "attempts": attempts, "permanent": error.permanent},
            )
            _notify(
                integration,
                key=f"integration:{integration.pk}:revoke-failed:{old.pk}",
                title=gettext("The old key of %(name)s is not revoked yet") % {"name": integration.name},
                body=gettext(
                    "Javari rotated the key and the new one works, but %(provider)s didn't revoke the old "
                    "one: %(reason)s Javari tries again; you can also delete it on %(provider)s's page."
                )
                % {"provider": adapter.name, "reason": reason},
            )
    return revoked, failed


def _notify(integration: Integration, *, key: str, title: str, body: str) -> None:
    """An in-app notification about ``integration`` (joins the caller's transaction)."""
    from reminders.models import NotificationKind
    from reminders.services.notifications import notify

    notify(
        user=integration.user,
        kind=NotificationKind.INTEGRATION,
        title=title,
        body=body,
        url=_page_url(integration),
        idempotency_key=key[:200],
    )


def _promote(
    integration_id: UUID | str,
    *,
    pending_id: UUID,
    field: str,
    lease: datetime,
    expires_at: datetime | None,
    now: datetime,
    step_hook: StepHook | None,
) -> Integration:
    """current → previous, pending → current, and the rotation recorded, in one transaction.
    Raises ``RotationInProgress`` when the lease was lost meanwhile (nothing changes then)."""
    with transaction.atomic(durable=True):
        integration = Integration.objects.select_for_update().get(pk=integration_id)
        if integration.rotation_lease_until != lease or not integration.is_active:
            raise RotationInProgress()
        _step(step_hook, "promoting")
        integration.credentials.filter(field=field, state=CredentialState.CURRENT).update(
            state=CredentialState.PREVIOUS
        )
        promoted = Credential.objects.get(pk=pending_id, state=CredentialState.PENDING)
        promoted.state = CredentialState.CURRENT
        promoted.save(update_fields=["state"])
        integration.last_rotated_at = now
        integration.rotation_failures = 0
        integration.key_expires_at = expires_at
        integration.next_rotation_at = (
            next_rotation_after(now, integration.rotation_schedule) if integration.auto_rotate else None
        )
        integration.save(
            update_fields=[
                "last_rotated_at",
                "rotation_failures",
                "key_expires_at",
                "next_rotation_at",
                "updated_at",
            ]
        )
        log(
            integration=integration,
            action=ActivityAction.KEY_ROTATED,
            message=gettext("Key rotated: the new key works and is now in use."),
            metadata={"masked": mask_secret(promoted.value), "credential": str(promoted.pk)},
        )
    return integration


def _record_failure(
    integration: Integration, *, step: str, reason: str, lease: datetime, now: datetime
) -> RotationFailed:
    """Log a failed rotation, count it (the next automatic try backs off), tell the person and
    release the lease. Returns the error to raise."""
    message = gettext("The key was not rotated (%(step)s): %(reason)s The current key still works.") % {
        "step": step,
        "reason": reason,
    }
    with transaction.atomic(durable=True):
        locked = Integration.objects.select_for_update().get(pk=integration.pk)
        locked.rotation_failures = min(locked.rotation_failures + 1, 32_000)
        if locked.auto_rotate and locked.is_active:
            locked.next_rotation_at = now + backoff(locked.rotation_failures)
        if locked.rotation_lease_until == lease:
            locked.rotation_lease_until = None
        locked.save(
            update_fields=["rotation_failures", "next_rotation_at", "rotation_lease_until", "updated_at"]
        )
        log(
            integration=locked,
            action=ActivityAction.ROTATION_FAILED,
            success=False,
            message=message,
            metadata={"step": step, "failures": locked.rotation_failures},
        )
        _notify(
            locked,
            key=f"integration:{locked.pk}:rotation-failed:{now.isoformat()}",
            title=gettext("The key of %(name)s could not be rotated") % {"name": locked.name},
            body=message,
        )
    logger.warning("Rotation of integration %s failed at %s", integration.pk, step)
    return RotationFailed(message)


@dataclass
class _Outcome:
    """What one run did: whether it put a new key in use, and the old keys revoked or not yet."""

    rotated: bool = False
    revoked: int = 0
    revoke_pending: int = 0


def _recover(
    integration: Integration,
    adapter: Provider,
    access: Access,
    *,
    lease: datetime,
    now: datetime,
    step_hook: StepHook | None,
) -> tuple[_Outcome, Access]:
    """Finish or undo what a dead run left. Returns what it did and the access to go on with (the
    promoted key's when it finished a rotation). Raises ``RotationFailed`` (recorded) when a
    leftover new key can neither be checked nor revoked now."""
    field = adapter.rotated_field
    outcome = _Outcome()
    pending = integration.credentials.filter(field=field, state=CredentialState.PENDING).first()
    if pending is not None:
        if not pending.value:
            with transaction.atomic(durable=True):
                Credential.objects.filter(pk=pending.pk).delete()
        else:
            try:
                verification = adapter.verify(access.with_secret(field, pending.value))
            except ProviderError as exc:
                if not exc.permanent:
                    raise _record_failure(
                        integration,
                        step=gettext("checking a new key an interrupted rotation left"),
                        reason=str(exc),
                        lease=lease,
                        now=now,
                    ) from None
                _revoke_new_key(adapter, access, pending)
            else:
                _promote(
                    integration.pk,
                    pending_id=pending.pk,
                    field=field,
                    lease=lease,
                    expires_at=pending.expires_at or verification.expires_at,
                    now=now,
                    step_hook=step_hook,
                )
                access = access.with_secret(field, pending.value)
                outcome.rotated = True
    outcome.revoked, outcome.revoke_pending = _revoke_previous(integration, adapter, access, now=now)
    return outcome, access


def _run(
    integration: Integration,
    *,
    lease: datetime,
    now: datetime,
    create: bool,
    step_hook: StepHook | None,
) -> _Outcome:
    """One rotation of a leased integration (the module's steps 2 to 7). The caller releases the
    lease (the failure path releases it itself). Raises ``RotationFailed``."""
    from integrations.services.connections import usable_access

    adapter = providers.get(integration.provider)
    field = adapter.rotated_field
    try:
        access = usable_access(integration, now=now)
    except ProviderError as exc:
        raise _record_failure(
            integration, step=gettext("reading the current key"), reason=str(exc), lease=lease, now=now
        ) from None
    outcome, access = _recover(integration, adapter, access, lease=lease, now=now, step_hook=step_hook)
    if outcome.rotated or not create:
        return outcome

    pending_id = uuid.uuid4()
    _step(step_hook, "creating")
    try:
        new = adapter.create_key(access, name=f"{KEY_NAME_PREFIX}{pending_id}")
    except ProviderError as exc:
        raise _record_failure(
            integration, step=gettext("making the new key"), reason=str(exc), lease=lease, now=now
        ) from None
    with transaction.atomic(durable=True):
        pending = Credential.objects.create(
            id=pending_id,
            integration=integration,
            field=field,
            state=CredentialState.PENDING,
            value=new.value,
            upstream_id=new.upstream_id,
            made_by_rotation=True,
            expires_at=new.expires_at,
            created_at=now,
        )
    _step(step_hook, "stored_pending")

    try:
        verification = adapter.verify(access.with_secret(field, new.value))
    except ProviderError as exc:
        _revoke_new_key(adapter, access, pending)
        raise _record_failure(
            integration, step=gettext("testing the new key"), reason=str(exc), lease=lease, now=now
        ) from None
    _step(step_hook, "tested")

    try:
        _promote(
            integration.pk,
            pending_id=pending_id,
            field=field,
            lease=lease,
            expires_at=new.expires_at or verification.expires_at,
            now=now,
            step_hook=step_hook,
        )
    except Exception as exc:
        # Rolled back: the current key is still current. Undo the new one.
        _revoke_new_key(adapter, access, pending)
        reason = (
            str(exc)
            if isinstance(exc, RotationInProgress)
            else gettext("Javari could not save the new key. Nothing changed.")
        )
        logger.exception("Promotion failed for integration %s", integration.pk)
        raise _record_failure(
            integration, step=gettext("putting the new key in use"), reason=reason, lease=lease, now=now
        ) from None
    outcome.rotated = True
    _step(step_hook, "promoted")

    revoked, still = _revoke_previous(integration, adapter, access.with_secret(field, new.value), now=now)
    outcome.revoked += revoked
    outcome.revoke_pending = still
    _step(step_hook, "revoked")
    return outcome


def rotate_now(
    *,
    user: User,
    integration_id: UUID | str,
    now: datetime | None = None,
    step_hook: StepHook | None = None,
) -> Integration:
    """ "Rotate now": make a new key upstream, test it, put it in use and revoke the old one (the
    module's steps). ``step_hook`` is for tests: called with each step's name ("creating",
    "stored_pending", "tested", "promoting" (inside the promotion's transaction), "promoted",
    "revoked") so a test can raise there.

    Returns the integration, refreshed. Raises ``NotFound`` (not ``user``'s), ``NotConnected``,
    ``RotationNotSupported`` (the provider can't make keys by API: a reminder does it),
    ``RotationInProgress`` (another run holds it), ``RotationFailed`` (the current key is untouched
    and still works; the message says which step failed and why). A revoke that fails is not a
    failed rotation: the new key is in use, the old one stays marked for the next run.
    """
    from integrations.services.connections import access_for, get_integration

    now = now or timezone.now()
    integration = get_integration(user=user, integration_id=integration_id)
    if not integration.is_active:
        raise NotConnected()
    adapter = providers.get(integration.provider)
    if not adapter.rotates(access_for(integration)):
        raise RotationNotSupported()
    lease = _take_lease(integration.pk, now=now)
    if lease is None:
        integration.refresh_from_db()
        if not integration.is_active:
            raise NotConnected()
        raise RotationInProgress()
    _run(integration, lease=lease, now=now, create=True, step_hook=step_hook)
    _release_lease(integration.pk, lease=lease)
    integration.refresh_from_db()
    return integration


# --- The daily pass ---------------------------------------------------------------------------------

# How many integrations one pass takes by default (the beat runs daily; the command takes --limit).
DUE_BATCH = 500


def _api_providers() -> list[str]:
    return [slug for slug in providers.REGISTRY if providers.get(slug).rotates_by_api]


def claim_due(*, now: datetime, limit: int = DUE_BATCH) -> list[UUID]:
    """Lease up to ``limit`` integrations with work to do: auto-rotating ones of a provider that
    rotates by API whose ``next_rotation_at`` has come, and any with an old key still to revoke.

    ``SELECT … FOR UPDATE SKIP LOCKED``: two passes never take the same row nor wait for each
    other; the lease (committed here) keeps ``rotate_now`` off them until they are done. Durable.
    """
    previous = Credential.objects.filter(integration=OuterRef("pk"), state=CredentialState.PREVIOUS)
    due = Q(auto_rotate=True, next_rotation_at__lte=now, provider__in=_api_providers())
    with transaction.atomic(durable=True):
        ids = list(
            Integration.objects.select_for_update(skip_locked=True)
            .exclude(status=IntegrationStatus.DISCONNECTED)
            .filter(Q(rotation_lease_until__isnull=True) | Q(rotation_lease_until__lte=now))
            .filter(due | Q(Exists(previous)))
            .order_by(F("next_rotation_at").asc(nulls_first=True), "pk")
            .values_list("pk", flat=True)[: max(1, int(limit))]
        )
        if ids:
            Integration.objects.filter(pk__in=ids).update(rotation_lease_until=now + LEASE)
    return ids


def rotate_due(*, now: datetime | None = None, limit: int = DUE_BATCH) -> dict[str, int]:
    """The daily pass (``rotate_due_keys``): claim due work (``claim_due``) and, for each, finish
    what a dead run left, retry old keys' revokes and, when its rotation is due, rotate it.

    Returns counts: ``claimed``, ``rotated``, ``failed`` (rotations that failed, each recorded and
    backed off), ``revoked`` (old keys revoked), ``revoke_pending`` (old keys still to revoke),
    ``skipped`` (due but the connection can't rotate by API: moved to its next date).
    """
    from integrations.services.connections import access_for

    now = now or timezone.now()
    counts = dict.fromkeys(("claimed", "rotated", "failed", "revoked", "revoke_pending", "skipped"), 0)
    ids = claim_due(now=now, limit=limit)
    counts["claimed"] = len(ids)
    for integration_id in ids:
        lease = now + LEASE
        integration = Integration.objects.filter(pk=integration_id).first()
        if integration is None:
            continue
        adapter = providers.get(integration.provider)
        due = bool(
            integration.auto_rotate
            and integration.next_rotation_at is not None
            and integration.next_rotation_at <= now
        )
        rotatable = adapter.rotates_by_api and adapter.rotates(access_for(integration))
        if due and not rotatable:
            counts["skipped"] += 1
            with transaction.atomic(durable=True):
                Integration.objects.filter(pk=integration_id).update(
                    next_rotation_at=next_rotation_after(now, integration.rotation_schedule)
                )
            due = False
        try:
            if rotatable:
                outcome = _run(integration, lease=lease, now=now, create=due, step_hook=None)
                counts["rotated"] += int(outcome.rotated)
                counts["revoked"] += outcome.revoked
                counts["revoke_pending"] += outcome.revoke_pending
        except RotationFailed:
            counts["failed"] += 1
            continue
        except Exception:
            # One broken integration must not stop the pass: logged (no secret: ids only), its
            # lease released, the others go on.
            logger.exception("Rotating integration %s failed unexpectedly", integration_id)
            counts["failed"] += 1
        _release_lease(integration_id, lease=lease)
    return counts


def plan_rotation(*, integration_id: UUID | str, now: datetime | None = None) -> Integration | None:
    """Set ``next_rotation_at`` from the schedule: one period after the last rotation (or the
    connection), null when auto-rotation is off or the integration is disconnected; a date a failed
    rotation backed off to is kept. Durable. Then, for a connection that can't rotate by API, keep
    its ``rotate_keys`` reminder in step (``_sync_reminder``).

    Returns the integration (None if it is gone).
    """
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
        backed_off = (
            wanted is not None
            and integration.rotation_failures > 0
            and integration.next_rotation_at is not None
            and integration.next_rotation_at > wanted
        )
        if integration.next_rotation_at != wanted and not backed_off:
            integration.next_rotation_at = wanted
            integration.save(update_fields=["next_rotation_at", "updated_at"])
    # Reminders' services are durable: called after our transaction, never inside it.
    _sync_reminder(integration, now=now)
    return integration


def _by_reminder(integration: Integration) -> bool:
    """Whether this connection rotates by reminder: auto-rotating, live, and its provider (with
    these credentials) can't make keys by API."""
    from integrations.services.connections import access_for

    if not (integration.auto_rotate and integration.is_active and integration.next_rotation_at):
        return False
    adapter = providers.get(integration.provider)
    return not (adapter.rotates_by_api and adapter.rotates(access_for(integration)))


def _reminder_due(integration: Integration, *, zone_name: str) -> tuple[date, time]:
    """The reminder's wall date and time (to the minute) in the person's zone: the next rotation
    date, or the next minute when that date has already passed."""
    from reminders.recurrence import to_wall, zone_named

    assert integration.next_rotation_at is not None
    due = integration.next_rotation_at
    soonest = (timezone.now() + timedelta(minutes=1)).replace(second=0, microsecond=0)
    due = max(due.replace(second=0, microsecond=0), soonest)
    wall = to_wall(due, zone_named(zone_name))
    return wall.date(), wall.time()


def _reminder_fields(integration: Integration, *, zone_name: str) -> dict[str, Any]:
    """What the ``rotate_keys`` reminder says, in the person's language."""
    from reminders.emails import language_of
    from reminders.models import ReminderType

    adapter = providers.get(integration.provider)
    start_date, start_time = _reminder_due(integration, zone_name=zone_name)
    with translation.override(language_of(integration.user)):
        title = gettext("Rotate the key of %(name)s (%(provider)s)") % {
            "name": integration.name,
            "provider": adapter.name,
        }
        steps = "\n".join(f"{number}. {step}" for number, step in enumerate(adapter.rotation_steps, 1))
    return {
        "title": " ".join(title.split())[:200],
        "description": steps,
        "reminder_type": ReminderType.ROTATE_KEYS,
        "action_url": adapter.token_page_url,
        "related_integration_id": integration.pk,
        "start_date": start_date,
        "start_time": start_time,
        "time_zone": zone_name,
    }


def _sync_reminder(integration: Integration, *, now: datetime) -> None:
    """Exactly one open ``rotate_keys`` reminder for a connection that rotates by reminder, due at
    ``next_rotation_at`` (moved when that moves); none for the others (cancelled). Each reminder
    write is its own durable service call."""
    from preferences.services import time_zone_of
    from reminders import selectors as reminder_selectors
    from reminders import services as reminder_services
    from reminders.errors import ReminderClosed
    from reminders.models import ReminderType

    user = integration.user
    open_ones = list(
        reminder_selectors.open_for_integration(user=user, integration_id=integration.pk).filter(
            reminder_type=ReminderType.ROTATE_KEYS
        )
    )
    keep = open_ones[0] if open_ones and _by_reminder(integration) else None
    for extra in open_ones:
        if extra is not keep:
            with contextlib.suppress(ReminderClosed):
                reminder_services.cancel_reminder(user=user, reminder_id=extra.pk)
    if not _by_reminder(integration):
        return
    zone_name = time_zone_of(user)
    fields = _reminder_fields(integration, zone_name=zone_name)
    if keep is None:
        reminder = reminder_services.create_reminder(user=user, now=now, **fields)
        with transaction.atomic(durable=True):
            log(
                integration=integration,
                action=ActivityAction.ROTATION_REMINDER,
                message=gettext("Rotation reminder set: %(provider)s can't make keys by API.")
                % {"provider": providers.get(integration.provider).name},
                metadata={"reminder": str(reminder.pk), "due": reminder.due_at.isoformat()},
            )
        return
    assert integration.next_rotation_at is not None
    if keep.due_at < now and integration.next_rotation_at <= now:
        return  # overdue and still due: leave it as the person sees it
    changed = {name: value for name, value in fields.items() if getattr(keep, name) != value}
    if changed:
        reminder_services.update_reminder(user=user, reminder_id=keep.pk, now=now, **changed)


def secret_replaced(*, integration_id: UUID | str, now: datetime | None = None) -> None:
    """A person entered a new key by hand: it counts as a rotation (``last_rotated_at``, failures
    reset) and completes the open ``rotate_keys`` reminder. Durable. The caller plans the next one
    (``plan_rotation``)."""
    from reminders import selectors as reminder_selectors
    from reminders import services as reminder_services
    from reminders.errors import ReminderClosed
    from reminders.models import ReminderType

    now = now or timezone.now()
    with transaction.atomic(durable=True):
        Integration.objects.filter(pk=integration_id).update(last_rotated_at=now, rotation_failures=0)
    integration = Integration.objects.select_related("user").filter(pk=integration_id).first()
    if integration is None:
        return
    for reminder in reminder_selectors.open_for_integration(
        user=integration.user, integration_id=integration.pk
    ).filter(reminder_type=ReminderType.ROTATE_KEYS):
        with contextlib.suppress(ReminderClosed):
            reminder_services.complete_reminder(
                user=integration.user, reminder_id=reminder.pk, series=True, now=now
            )
