"""Fixtures for the integrations tests: the fake providers, started per test, their base URL set."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from integrations.providers.custom.tests.fake import FakeCustomAPI
from integrations.providers.github.tests.fake import FakeGitHub
from integrations.providers.gmail.tests.fake import AUTH_PATH, REVOKE_PATH, TOKEN_PATH, FakeGoogle
from integrations.providers.stripe.tests.fake import FakeStripe
from integrations.providers.supabase.tests.fake import FakeSupabase
from integrations.providers.vercel.tests.fake import FakeVercel


@pytest.fixture
def fake_vercel(settings: Any) -> Iterator[FakeVercel]:
    with FakeVercel() as fake:
        settings.INTEGRATIONS_VERCEL_API_BASE = fake.base_url
        yield fake


@pytest.fixture
def fake_github(settings: Any) -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        settings.INTEGRATIONS_GITHUB_API_BASE = fake.base_url
        yield fake


@pytest.fixture
def fake_stripe(settings: Any) -> Iterator[FakeStripe]:
    with FakeStripe() as fake:
        settings.INTEGRATIONS_STRIPE_API_BASE = fake.base_url
        yield fake


@pytest.fixture
def fake_custom_api() -> Iterator[FakeCustomAPI]:
    """Any API (its base URL goes in the integration's settings, not in a setting)."""
    with FakeCustomAPI() as fake:
        yield fake


@pytest.fixture
def fake_supabase(settings: Any) -> Iterator[FakeSupabase]:
    """Both the project's API (its URL goes in the integration's settings) and the Management API."""
    with FakeSupabase() as fake:
        settings.INTEGRATIONS_SUPABASE_API_BASE = fake.base_url
        yield fake


@pytest.fixture
def fake_google(settings: Any) -> Iterator[FakeGoogle]:
    """Google's OAuth endpoints and Gmail's API, with this deployment's OAuth client set to the fake's."""
    with FakeGoogle() as fake:
        settings.INTEGRATIONS_GOOGLE_AUTH_URL = fake.base_url + AUTH_PATH
        settings.INTEGRATIONS_GOOGLE_TOKEN_URL = fake.base_url + TOKEN_PATH
        settings.INTEGRATIONS_GOOGLE_REVOKE_URL = fake.base_url + REVOKE_PATH
        settings.INTEGRATIONS_GMAIL_API_BASE = fake.base_url
        settings.GOOGLE_OAUTH_CLIENT_ID = fake.client_id
        settings.GOOGLE_OAUTH_CLIENT_SECRET = fake.client_secret
        yield fake
