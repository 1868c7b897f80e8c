"""Integrations in the settings: the hub's entry (in the spec's order) and the Security page's
Stored credentials section (masked keys with their age and rotation dates, never a key)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from integrations import services
from integrations.providers.vercel.tests.fake import FakeVercel
from javari.secrets import mask_secret

pytestmark = pytest.mark.django_db


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_settings_hub_lists_integrations_after_behavior(alice: User) -> None:
    body = _signed_in(alice).get("/settings/").content.decode()
    behavior = body.index("Behavior &amp; Personality")
    integrations = body.index("Integrations")
    security = body.index("Security &amp; API Keys")
    assert behavior < integrations < security
    assert 'href="/integrations/"' in body
    assert "Connect Gmail, Vercel, Supabase, etc." in body


def test_the_security_page_lists_stored_credentials_masked(
    alice: User, charlie: User, fake_vercel: FakeVercel
) -> None:
    token = fake_vercel.new_token()
    integration = services.connect(
        user=alice,
        provider="vercel",
        name="Production",
        values={"api_token": token, "team_id": "team_javari"},
        auto_rotate=True,
    )
    response = _signed_in(alice).get("/accounts/security/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert "Stored credentials" in body
    assert token not in body
    assert mask_secret(token) in body
    assert "Access token" in body  # the field's label
    assert f'href="/integrations/{integration.pk}/"' in body
    assert "API keys" in body  # beside the personal API keys

    other = _signed_in(charlie).get("/accounts/security/").content.decode()
    assert str(integration.pk) not in other
    assert "No keys stored yet." in other


def test_a_disconnected_integration_has_no_stored_credentials(alice: User, fake_vercel: FakeVercel) -> None:
    integration = services.connect(
        user=alice, provider="vercel", name="Gone", values={"api_token": fake_vercel.new_token()}
    )
    services.disconnect(user=alice, integration_id=integration.pk)
    body = _signed_in(alice).get("/accounts/security/").content.decode()
    assert str(integration.pk) not in body
