"""The integrations' tasks are thin: each calls its service and returns its counts; the beat
schedule has one entry for each pass, never one per integration."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from integrations import tasks
from integrations.models import Integration
from integrations.providers.github.tests.fake import FakeGitHub
from integrations.providers.vercel.tests.fake import FakeVercel
from integrations.services import health
from integrations.tests.factories import connected_github, connected_vercel

pytestmark = pytest.mark.django_db


def test_the_beat_runs_each_pass_once_for_every_integration() -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["rotate-due-keys"]["task"] == "integrations.tasks.rotate_due_keys"
    assert schedule["rotate-due-keys"]["schedule"] == timedelta(days=1)
    assert schedule["check-integrations"]["task"] == "integrations.tasks.check_integrations"
    assert schedule["check-integrations"]["schedule"] == timedelta(hours=1)
    for name in ("rotate-due-keys", "check-integrations"):
        entry: Any = schedule[name]
        assert 0 < entry["options"]["expire_seconds"] < entry["schedule"].total_seconds()


def test_rotate_due_keys_rotates_what_is_due_and_twice_is_harmless(
    alice: Any, fake_vercel: FakeVercel
) -> None:
    integration = connected_vercel(alice, fake_vercel)
    Integration.objects.filter(pk=integration.pk).update(
        next_rotation_at=timezone.now() - timedelta(minutes=1)
    )

    assert tasks.rotate_due_keys()["rotated"] == 1
    assert tasks.rotate_due_keys()["claimed"] == 0
    assert len(fake_vercel.live_values()) == 1


def test_check_integrations_checks_what_is_due(alice: Any, fake_github: FakeGitHub) -> None:
    integration = connected_github(alice, fake_github, auto_rotate=False)
    Integration.objects.filter(pk=integration.pk).update(next_check_at=timezone.now() - timedelta(minutes=1))
    assert tasks.check_integrations()["working"] == 1
    assert tasks.check_integrations()["checked"] == 0


def test_the_email_task_takes_an_id_and_a_gone_integration_sends_nothing(
    alice: Any, fake_github: FakeGitHub
) -> None:
    assert tasks.send_integration_email("00000000-0000-0000-0000-000000000000", "error") is False
    integration = connected_github(alice, fake_github, auto_rotate=False)
    del fake_github.tokens[integration.credentials.get().value]
    health.check_one(integration_id=integration.pk)
    assert tasks.send_integration_email(str(integration.pk), "error") is True
    assert len(mail.outbox) == 1
