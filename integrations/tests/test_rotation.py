"""Rotation by API against the fake Vercel: the happy path, one rotation at a time, and a fault
at every step. After each fault the person still has a working current key, no secret is written
anywhere it shouldn't be, and the next run finishes or cleans up (the fake ends with exactly one
live key, the current one)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from integrations import services
from integrations.errors import (
    NotConnected,
    NotFound,
    RotationFailed,
    RotationInProgress,
    RotationNotSupported,
)
from integrations.models import Activity, ActivityAction, Credential, CredentialState, Integration
from integrations.providers.github.tests.fake import FakeGitHub
from integrations.providers.vercel.tests.fake import FakeVercel
from integrations.services import rotation
from integrations.tests.factories import connected_github, connected_vercel
from reminders.models import Notification

pytestmark = pytest.mark.django_db


class ProcessDied(BaseException):
    """The process killed at a step: no ``except Exception`` clean-up runs, as in a real death."""


def _die_at(step: str) -> Any:
    def hook(name: str) -> None:
        if name == step:
            raise ProcessDied(step)

    return hook


def _fail_at(step: str) -> Any:
    def hook(name: str) -> None:
        if name == step:
            raise RuntimeError("the database went away")

    return hook


def _current_value(integration: Integration) -> str:
    return Credential.objects.get(integration=integration, state=CredentialState.CURRENT).value


def _assert_current_key_works(integration: Integration, fake: FakeVercel) -> str:
    value = _current_value(integration)
    assert value in fake.live_values()
    assert value not in fake.reject
    return value


def _written_text() -> str:
    """Every activity row and notification as the database holds them, and credentials' clear
    columns (the value column is ciphertext)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(string_agg(a::text, '|'), '') FROM integrations_activity a "
            "UNION ALL SELECT coalesce(string_agg(n::text, '|'), '') FROM reminders_notification n "
            "UNION ALL SELECT coalesce(string_agg("
            "concat_ws(',', c.upstream_id, c.revoke_error, c.value), '|'), '') FROM integrations_credential c"
        )
        return "\n".join(row[0] for row in cursor.fetchall())


def _assert_no_leak(fake: FakeVercel, caplog: Any, *extra: str) -> None:
    written = _written_text()
    for value in [*fake.live_values(), *fake.made_ever, *extra]:  # type: ignore[attr-defined]
        assert value not in written
        assert value not in caplog.text


@pytest.fixture
def vercel(fake_vercel: FakeVercel) -> FakeVercel:
    # Every token value the fake ever made, so the leak check covers revoked ones too.
    fake_vercel.made_ever = set()  # type: ignore[attr-defined]
    original = fake_vercel.new_token

    def remembering(**kwargs: Any) -> str:
        value = original(**kwargs)
        fake_vercel.made_ever.add(value)  # type: ignore[attr-defined]
        return value

    fake_vercel.new_token = remembering  # type: ignore[method-assign]
    return fake_vercel


def _javari_tokens(fake: FakeVercel) -> list[str]:
    return [meta["name"] for meta in fake.tokens.values() if meta["name"].startswith("javari-")]


# --- The happy path ---------------------------------------------------------------------------------


def test_rotate_now_replaces_the_key_and_revokes_the_old_one(
    alice: Any, vercel: FakeVercel, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    integration = connected_vercel(alice, vercel)
    old = _current_value(integration)
    old_id = vercel.token_id(old)
    now = timezone.now()

    rotated = services.rotate_now(user=alice, integration_id=integration.pk, now=now)

    new = _assert_current_key_works(rotated, vercel)
    assert new != old
    assert vercel.live_values() == {new}
    assert old_id in vercel.revoked
    current = Credential.objects.get(integration=integration, state=CredentialState.CURRENT)
    assert current.made_by_rotation
    assert current.upstream_id == vercel.token_id(new)
    assert vercel.tokens[new]["name"] == f"javari-{current.pk}"
    retired = Credential.objects.get(integration=integration, state=CredentialState.RETIRED)
    assert retired.value == ""
    assert retired.revoked_at == now
    assert rotated.last_rotated_at == now
    assert rotated.rotation_lease_until is None
    assert rotated.rotation_failures == 0
    assert rotated.next_rotation_at is not None
    assert timedelta(days=28) <= rotated.next_rotation_at - now <= timedelta(days=31)
    actions = list(Activity.objects.filter(integration=integration).values_list("action", flat=True))
    assert ActivityAction.KEY_ROTATED in actions
    assert ActivityAction.KEY_REVOKED in actions
    logged = Activity.objects.get(integration=integration, action=ActivityAction.KEY_ROTATED)
    assert logged.metadata["masked"] == f"•••• {new[-4:]}"
    # The new key was tested (GET /v2/user with it) before anything was revoked.
    calls = [(method, path, token) for method, path, token in vercel.requests]
    assert calls.index(("GET", "/v2/user", new)) < calls.index(("DELETE", f"/v3/user/tokens/{old_id}", new))
    _assert_no_leak(vercel, caplog, old, new)


def test_the_old_key_is_revoked_with_the_new_one(alice: Any, vercel: FakeVercel) -> None:
    integration = connected_vercel(alice, vercel)
    services.rotate_now(user=alice, integration_id=integration.pk)
    new = _current_value(integration)
    deletes = [token for method, _path, token in vercel.requests if method == "DELETE"]
    assert deletes == [new]


def test_rotating_twice_leaves_one_live_key(alice: Any, vercel: FakeVercel) -> None:
    integration = connected_vercel(alice, vercel)
    services.rotate_now(user=alice, integration_id=integration.pk)
    services.rotate_now(user=alice, integration_id=integration.pk)
    value = _assert_current_key_works(integration, vercel)
    assert vercel.live_values() == {value}
    live = Credential.objects.filter(integration=integration).exclude(state=CredentialState.RETIRED)
    assert live.count() == 1
    assert Activity.objects.filter(integration=integration, action=ActivityAction.KEY_ROTATED).count() == 2


# --- Refusals ---------------------------------------------------------------------------------------


def test_another_persons_integration_is_not_found(alice: Any, charlie: Any, vercel: FakeVercel) -> None:
    integration = connected_vercel(alice, vercel)
    with pytest.raises(NotFound):
        services.rotate_now(user=charlie, integration_id=integration.pk)
    with pytest.raises(NotFound):
        services.rotate_now(user=alice, integration_id="not-a-uuid")
    assert len(vercel.live_values()) == 1


def test_a_disconnected_integration_is_not_rotated(alice: Any, vercel: FakeVercel) -> None:
    integration = connected_vercel(alice, vercel)
    services.disconnect(user=alice, integration_id=integration.pk)
    with pytest.raises(NotConnected):
        services.rotate_now(user=alice, integration_id=integration.pk)


def test_a_provider_without_a_rotation_api_says_so(alice: Any, fake_github: FakeGitHub) -> None:
    integration = connected_github(alice, fake_github)
    with pytest.raises(RotationNotSupported):
        services.rotate_now(user=alice, integration_id=integration.pk)


def test_one_rotation_at_a_time(alice: Any, vercel: FakeVercel) -> None:
    integration = connected_vercel(alice, vercel)
    now = timezone.now()
    second: list[BaseException] = []

    def meanwhile(step: str) -> None:
        if step == "stored_pending":
            with pytest.raises(RotationInProgress) as caught:
                services.rotate_now(user=alice, integration_id=integration.pk, now=now)
            second.append(caught.value)

    services.rotate_now(user=alice, integration_id=integration.pk, now=now, step_hook=meanwhile)
    assert len(second) == 1
    value = _assert_current_key_works(integration, vercel)
    assert vercel.live_values() == {value}


def test_a_dead_runs_lease_is_taken_over_once_it_runs_out(alice: Any, vercel: FakeVercel) -> None:
    integration = connected_vercel(alice, vercel)
    now = timezone.now()
    with pytest.raises(ProcessDied):
        services.rotate_now(user=alice, integration_id=integration.pk, now=now, step_hook=_die_at("creating"))
    with pytest.raises(RotationInProgress):
        services.rotate_now(user=alice, integration_id=integration.pk, now=now + timedelta(minutes=9))
    services.rotate_now(user=alice, integration_id=integration.pk, now=now + rotation.LEASE)
    assert vercel.live_values() == {_current_value(integration)}


# --- Faults at each step ----------------------------------------------------------------------------


def test_create_fails(alice: Any, vercel: FakeVercel, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    integration = connected_vercel(alice, vercel)
    old = _current_value(integration)
    now = timezone.now()
    vercel.fail["POST /v3/user/tokens"] = 500

    with pytest.raises(RotationFailed) as caught:
        services.rotate_now(user=alice, integration_id=integration.pk, now=now)

    assert "making the new key" in str(caught.value)
    assert _assert_current_key_works(integration, vercel) == old
    assert vercel.live_values() == {old}
    integration.refresh_from_db()
    assert integration.rotation_failures == 1
    assert integration.rotation_lease_until is None
    assert integration.next_rotation_at == now + rotation.BACKOFF_BASE
    failed = Activity.objects.get(integration=integration, action=ActivityAction.ROTATION_FAILED)
    assert failed.metadata["failures"] == 1
    assert Notification.objects.filter(user=alice, url=f"/integrations/{integration.pk}/").count() == 1
    _assert_no_leak(vercel, caplog, old)
    assert old not in str(caught.value)

    services.rotate_now(user=alice, integration_id=integration.pk, now=now + timedelta(minutes=1))
    assert vercel.live_values() == {_assert_current_key_works(integration, vercel)}
    integration.refresh_from_db()
    assert integration.rotation_failures == 0


def test_the_new_key_fails_its_test(alice: Any, vercel: FakeVercel, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    integration = connected_vercel(alice, vercel)
    old = _current_value(integration)
    made: list[str] = []

    def reject_the_new_key(step: str) -> None:
        if step == "creating":
            return
        if step == "stored_pending":
            pending = Credential.objects.get(integration=integration, state=CredentialState.PENDING)
            vercel.reject.add(pending.value)
            made.append(pending.value)

    with pytest.raises(RotationFailed) as caught:
        services.rotate_now(user=alice, integration_id=integration.pk, step_hook=reject_the_new_key)

    assert "testing the new key" in str(caught.value)
    assert _assert_current_key_works(integration, vercel) == old
    assert vercel.live_values() == {old}  # the rejected new key was revoked upstream
    assert not Credential.objects.filter(integration=integration, state=CredentialState.PENDING).exists()
    _assert_no_leak(vercel, caplog, old, *made)

    vercel.reject.clear()
    services.rotate_now(user=alice, integration_id=integration.pk)
    assert vercel.live_values() == {_assert_current_key_works(integration, vercel)}
    assert len(_javari_tokens(vercel)) == 1


def test_the_process_dies_after_storing_pending(alice: Any, vercel: FakeVercel, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    integration = connected_vercel(alice, vercel)
    old = _current_value(integration)
    now = timezone.now()

    with pytest.raises(ProcessDied):
        services.rotate_now(
            user=alice, integration_id=integration.pk, now=now, step_hook=_die_at("stored_pending")
        )

    assert _assert_current_key_works(integration, vercel) == old
    pending = Credential.objects.get(integration=integration, state=CredentialState.PENDING)
    assert len(vercel.live_values()) == 2
    _assert_no_leak(vercel, caplog)

    # The next run (after the lease) finds the pending key, tests it and finishes the rotation.
    later = now + rotation.LEASE
    services.rotate_now(user=alice, integration_id=integration.pk, now=later)
    assert _current_value(integration) == pending.value
    assert vercel.live_values() == {pending.value}
    assert len(_javari_tokens(vercel)) == 1
    integration.refresh_from_db()
    assert integration.last_rotated_at == later
    assert integration.rotation_lease_until is None
    _assert_no_leak(vercel, caplog)


def test_a_leftover_pending_key_that_fails_is_revoked_and_the_rotation_goes_on(
    alice: Any, vercel: FakeVercel
) -> None:
    integration = connected_vercel(alice, vercel)
    now = timezone.now()
    with pytest.raises(ProcessDied):
        services.rotate_now(
            user=alice, integration_id=integration.pk, now=now, step_hook=_die_at("stored_pending")
        )
    pending = Credential.objects.get(integration=integration, state=CredentialState.PENDING)
    vercel.reject.add(pending.value)

    services.rotate_now(user=alice, integration_id=integration.pk, now=now + rotation.LEASE)

    value = _assert_current_key_works(integration, vercel)
    assert value != pending.value
    assert vercel.live_values() == {value}
    assert not Credential.objects.filter(pk=pending.pk).exists()


def test_promotion_fails(alice: Any, vercel: FakeVercel, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    integration = connected_vercel(alice, vercel)
    old = _current_value(integration)

    with pytest.raises(RotationFailed) as caught:
        services.rotate_now(user=alice, integration_id=integration.pk, step_hook=_fail_at("promoting"))

    assert "putting the new key in use" in str(caught.value)
    assert "database went away" not in str(caught.value)
    assert _assert_current_key_works(integration, vercel) == old
    assert vercel.live_values() == {old}
    assert not Credential.objects.filter(integration=integration, state=CredentialState.PENDING).exists()
    assert Credential.objects.filter(integration=integration).count() == 1
    integration.refresh_from_db()
    assert integration.last_rotated_at is None
    _assert_no_leak(vercel, caplog, old)

    services.rotate_now(user=alice, integration_id=integration.pk)
    assert vercel.live_values() == {_assert_current_key_works(integration, vercel)}


def test_revocation_fails(alice: Any, vercel: FakeVercel, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    integration = connected_vercel(alice, vercel)
    old = _current_value(integration)
    vercel.fail["DELETE /v3/user/tokens/{id}"] = 503

    rotated = services.rotate_now(user=alice, integration_id=integration.pk)

    new = _assert_current_key_works(rotated, vercel)
    assert new != old
    previous = Credential.objects.get(integration=integration, state=CredentialState.PREVIOUS)
    assert previous.revoke_attempts == 1
    assert previous.revoke_error
    assert vercel.live_values() == {old, new}
    assert Activity.objects.filter(integration=integration, action=ActivityAction.REVOKE_FAILED).exists()
    told = Notification.objects.get(user=alice, idempotency_key__contains="revoke-failed")
    assert told.url == f"/integrations/{integration.pk}/"
    _assert_no_leak(vercel, caplog, old, new)

    # The next run retries the revoke first.
    services.rotate_now(user=alice, integration_id=integration.pk)
    assert vercel.live_values() == {_assert_current_key_works(integration, vercel)}
    assert not Credential.objects.filter(integration=integration, state=CredentialState.PREVIOUS).exists()
    retired = Credential.objects.filter(integration=integration, state=CredentialState.RETIRED)
    assert [credential.value for credential in retired] == ["", ""]


def test_the_process_dies_between_promote_and_revoke(alice: Any, vercel: FakeVercel, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    integration = connected_vercel(alice, vercel)
    old = _current_value(integration)
    now = timezone.now()

    with pytest.raises(ProcessDied):
        services.rotate_now(user=alice, integration_id=integration.pk, now=now, step_hook=_die_at("promoted"))

    new = _assert_current_key_works(integration, vercel)
    assert new != old
    assert Credential.objects.filter(integration=integration, state=CredentialState.PREVIOUS).count() == 1
    integration.refresh_from_db()
    assert integration.last_rotated_at == now
    assert Activity.objects.filter(integration=integration, action=ActivityAction.KEY_ROTATED).count() == 1
    _assert_no_leak(vercel, caplog, old, new)

    # rotate_due (the daily pass) retries the revoke without rotating again: the rotation is done.
    counts = rotation.rotate_due(now=now + rotation.LEASE)
    assert counts["revoked"] == 1
    assert counts["rotated"] == 0
    assert vercel.live_values() == {new}
    assert len(_javari_tokens(vercel)) == 1
