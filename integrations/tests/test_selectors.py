"""The integrations' reads: always for one user, secrets only as masks."""

from __future__ import annotations

import pytest
from django.utils import translation

from accounts.models import User
from integrations import selectors, services
from integrations.models import Activity, ActivityAction, Credential, Integration
from integrations.providers.vercel.tests.fake import FakeVercel
from javari.secrets import mask_secret

pytestmark = pytest.mark.django_db


def test_stored_credentials_are_masked_labelled_and_the_users_own(
    alice: User, charlie: User, fake_vercel: FakeVercel
) -> None:
    token = fake_vercel.new_token()
    integration = services.connect(
        user=alice, provider="vercel", name="Production", values={"api_token": token}, auto_rotate=True
    )
    [stored] = selectors.stored_credentials(user=alice)
    assert stored.integration == integration
    assert stored.field == "api_token"
    assert stored.masked == mask_secret(token)
    assert token not in repr(stored)
    assert stored.provider_name == "Vercel"
    assert stored.label == "Access token"
    assert stored.next_rotation_at == integration.next_rotation_at
    with translation.override("es"):
        assert selectors.stored_credentials(user=alice)[0].label == "Token de acceso"
    assert selectors.stored_credentials(user=charlie) == []


def test_a_provider_no_longer_registered_shows_its_slug_and_field(alice: User) -> None:
    integration = Integration.objects.create(user=alice, provider="retired", name="Old")
    Credential.objects.create(integration=integration, field="secret_key", state="current", value="k" * 20)
    [stored] = selectors.stored_credentials(user=alice)
    assert (stored.provider_name, stored.label) == ("retired", "secret_key")


def test_activity_pages_are_the_users_own(alice: User, charlie: User) -> None:
    integration = Integration.objects.create(user=alice, provider="vercel", name="Walk")
    for _ in range(30):
        Activity.objects.create(integration=integration, user=alice, action=ActivityAction.API_CALL)
    page = selectors.activity_page(user=alice, integration_id=integration.pk, page_number="99")
    assert page.number == 2
    assert len(page.object_list) == 5
    assert list(selectors.activity_page(user=charlie, integration_id=integration.pk).object_list) == []
