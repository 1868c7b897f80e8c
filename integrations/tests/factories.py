"""Objects for the integrations tests: connections made the real way (through ``services.connect``
against a fake provider), so every test starts from what a person would have."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from integrations import services
from integrations.models import Integration
from integrations.providers.github.tests.fake import FakeGitHub
from integrations.providers.vercel.tests.fake import FakeVercel


def connected_vercel(
    user: Any,
    fake: FakeVercel,
    *,
    name: str = "Production",
    auto_rotate: bool = True,
    rotation_schedule: str = "monthly",
    team_id: str = "team_javari",
    now: datetime | None = None,
) -> Integration:
    """A Vercel connection of ``user`` with a fresh token made on ``fake`` (its value is the
    integration's current ``api_token``; ``fake.live_values()`` holds it)."""
    token = fake.new_token()
    return services.connect(
        user=user,
        provider="vercel",
        name=name,
        values={"api_token": token, "team_id": team_id},
        auto_rotate=auto_rotate,
        rotation_schedule=rotation_schedule,
        now=now,
    )


def connected_github(
    user: Any,
    fake: FakeGitHub,
    *,
    name: str = "My GitHub",
    auto_rotate: bool = True,
    rotation_schedule: str = "monthly",
    expires: str | None = None,
    now: datetime | None = None,
) -> Integration:
    """A GitHub connection of ``user`` with a token ``fake`` knows (``expires``: the expiry header's
    text, e.g. "2026-12-31 23:59:59 UTC")."""
    token = fake.new_token(expires=expires)
    return services.connect(
        user=user,
        provider="github",
        name=name,
        values={"personal_access_token": token},
        auto_rotate=auto_rotate,
        rotation_schedule=rotation_schedule,
        now=now,
    )
