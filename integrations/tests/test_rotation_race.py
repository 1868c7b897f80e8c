"""Two "Rotate now" at the same moment, from two threads with a database connection each (as two web
workers would): one rotates, the other is told a rotation is running (``RotationInProgress``), and
the fake Vercel ends with exactly one live token, the one Javari stores as current.

The winner's run is held at its "creating" step until the loser has answered, so the two overlap
whichever thread takes the lease first; no sleeps.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from integrations import services
from integrations.errors import RotationInProgress
from integrations.models import Credential, CredentialState
from integrations.providers.vercel.tests.fake import FakeVercel
from integrations.tests.factories import connected_vercel

# The rows must be committed for the other connection to see them.
pytestmark = pytest.mark.django_db(transaction=True)


def test_two_rotate_now_at_once_one_rotates_and_one_is_told_it_is_running(
    alice: Any, fake_vercel: FakeVercel
) -> None:
    integration = connected_vercel(alice, fake_vercel)
    old = Credential.objects.get(integration=integration, state=CredentialState.CURRENT).value
    start = threading.Barrier(2, timeout=10)
    answered = [threading.Event(), threading.Event()]
    outcomes: list[Any] = [None, None]

    def rotate(me: int) -> None:
        other = answered[1 - me]

        def hold(step: str) -> None:
            # Only the run that took the lease gets here: keep it going until the other answered.
            if step == "creating":
                assert other.wait(timeout=10), "the other rotate_now never answered"

        try:
            start.wait()
            outcomes[me] = services.rotate_now(user=alice, integration_id=integration.pk, step_hook=hold)
        except BaseException as exc:
            outcomes[me] = exc
        finally:
            answered[me].set()
            connection.close()

    threads = [threading.Thread(target=rotate, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)

    refused = [outcome for outcome in outcomes if isinstance(outcome, RotationInProgress)]
    rotated = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
    assert len(refused) == 1, outcomes
    assert len(rotated) == 1, outcomes
    current = Credential.objects.get(integration=integration, state=CredentialState.CURRENT).value
    assert current != old
    assert fake_vercel.live_values() == {current}
    # No pending key left, no old key waiting to be revoked.
    assert not Credential.objects.filter(
        integration=integration, state__in=(CredentialState.PENDING, CredentialState.PREVIOUS)
    )
    integration.refresh_from_db()
    assert integration.rotation_lease_until is None
