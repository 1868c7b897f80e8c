"""The scheduled health check against the fake GitHub: due connections are verified, one that
stops working is marked in error and its owner told once per episode (in the app and by email,
queued on commit), and a key about to expire is warned about once per expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail

from integrations.emails import integration_email, send_integration_email
from integrations.models import Activity, ActivityAction, Integration, IntegrationStatus
from integrations.providers.github.tests.fake import FakeGitHub
from integrations.services import health
from integrations.services.connections import CHECK_INTERVAL
from integrations.tests.factories import connected_github
from reminders.models import Notification

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def _connected(user: Any, fake: FakeGitHub, **extra: Any) -> tuple[Integration, str]:
    integration = connected_github(user, fake, auto_rotate=False, now=NOW - CHECK_INTERVAL, **extra)
    token = integration.credentials.get().value
    return integration, token


def test_a_working_connection_is_verified_and_checked_again_later(
    alice: Any, fake_github: FakeGitHub
) -> None:
    integration, _token = _connected(alice, fake_github)

    counts = health.check_due(now=NOW)

    assert counts == {"checked": 1, "working": 1, "failing": 0, "newly_failing": 0, "expiring": 0}
    integration.refresh_from_db()
    assert integration.last_verified_at == NOW
    assert integration.next_check_at == NOW + CHECK_INTERVAL
    assert health.check_due(now=NOW)["checked"] == 0


def test_a_connection_not_due_or_disconnected_is_not_checked(alice: Any, fake_github: FakeGitHub) -> None:
    from integrations import services

    later, _ = _connected(alice, fake_github)
    Integration.objects.filter(pk=later.pk).update(next_check_at=NOW + timedelta(minutes=1))
    gone, _ = _connected(alice, fake_github)
    services.disconnect(user=alice, integration_id=gone.pk)
    before = len(fake_github.requests)
    assert health.check_due(now=NOW)["checked"] == 0
    assert len(fake_github.requests) == before


def test_a_connection_that_stops_working_is_told_once(
    alice: Any, fake_github: FakeGitHub, django_capture_on_commit_callbacks: Any
) -> None:
    integration, token = _connected(alice, fake_github)
    del fake_github.tokens[token]  # revoked on GitHub's side

    with django_capture_on_commit_callbacks() as queued:
        counts = health.check_due(now=NOW)

    assert counts["newly_failing"] == 1
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.ERROR
    assert integration.status_detail
    told = Notification.objects.get(user=alice)
    assert told.url == f"/integrations/{integration.pk}/"
    assert told.kind == "integration"
    (task,) = queued
    assert task.func.__self__.name == "integrations.tasks.send_integration_email"
    assert task.args == (str(integration.pk), "error")
    assert token not in told.title + told.body

    # Still broken at the next check: no second notification, no second email.
    with django_capture_on_commit_callbacks() as queued:
        counts = health.check_due(now=NOW + CHECK_INTERVAL)
    assert counts == {"checked": 1, "working": 0, "failing": 1, "newly_failing": 0, "expiring": 0}
    assert queued == []
    assert Notification.objects.filter(user=alice).count() == 1

    # Fixed, then broken again: a new episode, told again.
    fake_github.tokens[token] = "ada"
    health.check_due(now=NOW + 2 * CHECK_INTERVAL)
    del fake_github.tokens[token]
    health.check_due(now=NOW + 3 * CHECK_INTERVAL)
    assert Notification.objects.filter(user=alice).count() == 2


def test_a_provider_that_is_down_is_not_an_error(alice: Any, fake_github: FakeGitHub) -> None:
    integration, _token = _connected(alice, fake_github)
    fake_github.fail["GET /user"] = 502

    counts = health.check_due(now=NOW)

    assert counts["failing"] == 1
    assert counts["newly_failing"] == 0
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert not Notification.objects.exists()
    assert Activity.objects.filter(
        integration=integration, action=ActivityAction.VERIFICATION_FAILED
    ).exists()


def test_a_key_about_to_expire_is_warned_about_once(
    alice: Any, fake_github: FakeGitHub, django_capture_on_commit_callbacks: Any
) -> None:
    integration, _token = _connected(alice, fake_github, expires="2026-05-09 09:00:00 UTC")

    with django_capture_on_commit_callbacks() as queued:
        counts = health.check_due(now=NOW)

    assert counts["expiring"] == 1
    warning = Activity.objects.get(integration=integration, action=ActivityAction.KEY_EXPIRING)
    assert warning.metadata == {"expires_at": "2026-05-09T09:00:00+00:00"}
    assert "5 days" in warning.message
    assert Notification.objects.filter(user=alice, url=f"/integrations/{integration.pk}/").count() == 1
    assert [callback.args for callback in queued] == [(str(integration.pk), "expiring")]

    assert health.check_due(now=NOW + CHECK_INTERVAL)["expiring"] == 0
    assert Activity.objects.filter(integration=integration, action=ActivityAction.KEY_EXPIRING).count() == 1


def test_a_key_far_from_expiry_is_not_warned_about(alice: Any, fake_github: FakeGitHub) -> None:
    _connected(alice, fake_github, expires="2026-06-30 09:00:00 UTC")
    assert health.check_due(now=NOW)["expiring"] == 0


def test_the_limit_caps_a_pass(alice: Any, fake_github: FakeGitHub) -> None:
    for _ in range(3):
        _connected(alice, fake_github)
    assert health.check_due(now=NOW, limit=2)["checked"] == 2
    assert health.check_due(now=NOW, limit=2)["checked"] == 1


# --- The emails -------------------------------------------------------------------------------------


def test_the_error_email_says_what_and_where_in_the_persons_language(
    alice: Any, fake_github: FakeGitHub
) -> None:
    integration, token = _connected(alice, fake_github)
    del fake_github.tokens[token]
    health.check_due(now=NOW)
    integration.refresh_from_db()

    assert send_integration_email(integration_id=integration.pk, kind="error")
    outbox: list[Any] = mail.outbox
    (message,) = outbox
    assert message.to == [alice.email]
    assert "My GitHub" in message.subject
    assert f"/integrations/{integration.pk}/" in message.body
    assert token not in message.body
    assert token not in message.alternatives[0][0]

    alice.language = "es"
    alice.save()
    integration.refresh_from_db()
    spanish = integration_email(integration, kind="error")
    assert "dejó de funcionar" in spanish.subject


def test_no_email_when_it_is_fixed_gone_or_unverified(alice: Any, fake_github: FakeGitHub, db: None) -> None:
    from conftest import make_user

    integration, _token = _connected(alice, fake_github)
    assert not send_integration_email(integration_id=integration.pk, kind="error")  # it works
    assert not send_integration_email(integration_id="00000000-0000-0000-0000-000000000000", kind="error")
    assert not send_integration_email(integration_id=integration.pk, kind="surprise")
    unverified = make_user("unverified@example.com", verified=False)
    other, token = _connected(unverified, fake_github)
    del fake_github.tokens[token]
    health.check_due(now=NOW)
    assert not send_integration_email(integration_id=other.pk, kind="error")
    assert mail.outbox == []
