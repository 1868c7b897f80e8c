"""``manage.py rotate_due_keys`` and ``manage.py check_integrations``: one pass each, counts printed."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from integrations.models import Integration
from integrations.providers.github.tests.fake import FakeGitHub
from integrations.providers.vercel.tests.fake import FakeVercel
from integrations.tests.factories import connected_github, connected_vercel

pytestmark = pytest.mark.django_db


def _run(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_rotate_due_keys_prints_its_counts_and_honours_the_limit(alice: Any, fake_vercel: FakeVercel) -> None:
    for number in range(2):
        integration = connected_vercel(alice, fake_vercel, name=f"P{number}")
        Integration.objects.filter(pk=integration.pk).update(
            next_rotation_at=timezone.now() - timedelta(minutes=1)
        )

    assert "Integrations claimed: 1; rotated: 1; failed: 0" in _run("rotate_due_keys", "--limit", "1")
    assert "Integrations claimed: 1; rotated: 1;" in _run("rotate_due_keys")
    assert "Integrations claimed: 0; rotated: 0;" in _run("rotate_due_keys")
    assert len(fake_vercel.live_values()) == 2


def test_check_integrations_prints_its_counts(alice: Any, fake_github: FakeGitHub) -> None:
    integration = connected_github(alice, fake_github, auto_rotate=False)
    Integration.objects.filter(pk=integration.pk).update(next_check_at=timezone.now() - timedelta(minutes=1))
    assert "Integrations checked: 1; working: 1; failing: 0" in _run("check_integrations", "--limit", "5")
    assert "Integrations checked: 0;" in _run("check_integrations")
