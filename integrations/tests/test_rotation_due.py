"""The daily pass: ``rotate_due`` claims due, API-rotatable integrations whose lease is free (and
old keys still to revoke), rotates each once, and backs off after a failure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from integrations.models import Credential, CredentialState, Integration
from integrations.providers.github.tests.fake import FakeGitHub
from integrations.providers.vercel.tests.fake import FakeVercel
from integrations.services import rotation
from integrations.tests.factories import connected_github, connected_vercel

pytestmark = pytest.mark.django_db


def _due(integration: Integration, when: Any) -> None:
    Integration.objects.filter(pk=integration.pk).update(next_rotation_at=when)


def test_only_due_api_rotatable_integrations_are_rotated(
    alice: Any, bob: Any, fake_vercel: FakeVercel, fake_github: FakeGitHub
) -> None:
    now = timezone.now()
    due = connected_vercel(alice, fake_vercel, name="Due")
    not_yet = connected_vercel(alice, fake_vercel, name="Not yet")
    off = connected_vercel(bob, fake_vercel, name="Off", auto_rotate=False)
    github = connected_github(bob, fake_github)
    _due(due, now - timedelta(minutes=1))
    _due(github, now - timedelta(minutes=1))
    before = {i.pk: i.credentials.get(state=CredentialState.CURRENT).value for i in (due, not_yet, off)}

    counts = rotation.rotate_due(now=now)

    assert counts == {
        "claimed": 1,
        "rotated": 1,
        "failed": 0,
        "revoked": 1,
        "revoke_pending": 0,
        "skipped": 0,
    }
    after = {i.pk: i.credentials.get(state=CredentialState.CURRENT).value for i in (due, not_yet, off)}
    assert after[due.pk] != before[due.pk]
    assert after[not_yet.pk] == before[not_yet.pk]
    assert after[off.pk] == before[off.pk]
    due.refresh_from_db()
    assert due.next_rotation_at is not None
    assert due.next_rotation_at > now
    assert due.rotation_lease_until is None
    # Nothing left: a second pass claims nothing.
    assert rotation.rotate_due(now=now)["claimed"] == 0


def test_a_leased_integration_is_not_claimed(alice: Any, fake_vercel: FakeVercel) -> None:
    now = timezone.now()
    integration = connected_vercel(alice, fake_vercel)
    _due(integration, now - timedelta(minutes=1))
    Integration.objects.filter(pk=integration.pk).update(rotation_lease_until=now + timedelta(minutes=5))
    assert rotation.rotate_due(now=now)["claimed"] == 0
    assert rotation.rotate_due(now=now + timedelta(minutes=5))["rotated"] == 1


def test_the_limit_caps_a_pass(alice: Any, fake_vercel: FakeVercel) -> None:
    now = timezone.now()
    for number in range(3):
        _due(connected_vercel(alice, fake_vercel, name=f"P{number}"), now - timedelta(minutes=1))
    assert rotation.rotate_due(now=now, limit=2)["rotated"] == 2
    assert rotation.rotate_due(now=now, limit=2)["rotated"] == 1


def test_a_failure_backs_off_and_the_others_go_on(alice: Any, fake_vercel: FakeVercel) -> None:
    now = timezone.now()
    first = connected_vercel(alice, fake_vercel, name="A")
    second = connected_vercel(alice, fake_vercel, name="B")
    _due(first, now - timedelta(hours=2))
    _due(second, now - timedelta(hours=1))
    fake_vercel.fail["POST /v3/user/tokens"] = 500  # the first create only

    counts = rotation.rotate_due(now=now)

    assert counts["failed"] == 1
    assert counts["rotated"] == 1
    first.refresh_from_db()
    assert first.rotation_failures == 1
    assert first.next_rotation_at == now + rotation.BACKOFF_BASE
    assert first.rotation_lease_until is None
    # Still backing off a little later; retried once the backoff has passed.
    assert rotation.rotate_due(now=now + timedelta(hours=1))["claimed"] == 0
    assert rotation.rotate_due(now=now + rotation.BACKOFF_BASE)["rotated"] == 1
    first.refresh_from_db()
    assert first.rotation_failures == 0


def test_backoff_grows_and_is_capped() -> None:
    assert rotation.backoff(0) == timedelta(0)
    assert rotation.backoff(1) == timedelta(hours=6)
    assert rotation.backoff(2) == timedelta(hours=12)
    assert rotation.backoff(30) == rotation.BACKOFF_MAX


def test_an_old_key_still_to_revoke_is_retried_without_a_new_rotation(
    alice: Any, fake_vercel: FakeVercel
) -> None:
    integration = connected_vercel(alice, fake_vercel, auto_rotate=False)
    fake_vercel.fail["DELETE /v3/user/tokens/{id}"] = 503
    rotation.rotate_now(user=alice, integration_id=integration.pk)
    assert len(fake_vercel.live_values()) == 2

    counts = rotation.rotate_due()

    assert counts["claimed"] == 1
    assert counts["rotated"] == 0
    assert counts["revoked"] == 1
    current = integration.credentials.get(state=CredentialState.CURRENT).value
    assert fake_vercel.live_values() == {current}
    assert not Credential.objects.filter(integration=integration, state=CredentialState.PREVIOUS).exists()
