"""The integrations back office: staff (signed in with TOTP) find connections by person, read them with
their credentials as masks only and their activity, verify or disconnect them through the services;
no admin page ever carries a secret value, and nobody else reaches any of it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.helpers import signed_in_with_totp
from conftest import make_user
from integrations import services
from integrations.models import ActivityAction, CredentialState, Integration, IntegrationStatus
from integrations.providers.vercel.tests.fake import FakeVercel

pytestmark = pytest.mark.django_db

INTEGRATIONS = "/admin/integrations/integration/"
ACTIVITY = "/admin/integrations/activity/"


def _connect(user: User, fake: FakeVercel, name: str = "Production") -> tuple[Integration, str]:
    token = fake.new_token()
    integration = services.connect(
        user=user, provider="vercel", name=name, values={"api_token": token, "team_id": "team_javari"}
    )
    return integration, token


def _action(client: Client, action: str, integrations: list[Integration]) -> Any:
    return client.post(
        INTEGRATIONS,
        {"action": action, "_selected_action": [str(i.pk) for i in integrations]},
        follow=True,
    )


def test_no_admin_page_shows_a_secret(staff_client: Client, alice: User, fake_vercel: FakeVercel) -> None:
    integration, token = _connect(alice, fake_vercel)
    # A rotation's leftovers too: a previous key still to revoke, a pending one.
    previous = fake_vercel.new_token()
    pending = fake_vercel.new_token()
    integration.credentials.create(field="api_token", state=CredentialState.PREVIOUS, value=previous)
    integration.credentials.create(field="api_token", state=CredentialState.PENDING, value=pending)
    activity = integration.activity.first()
    assert activity is not None
    pages = [
        INTEGRATIONS,
        f"{INTEGRATIONS}?q=alice",
        f"{INTEGRATIONS}{integration.pk}/change/",
        f"{INTEGRATIONS}{integration.pk}/history/",
        ACTIVITY,
        f"{ACTIVITY}?integration__id__exact={integration.pk}",
        f"{ACTIVITY}{activity.pk}/change/",
        "/admin/",
        "/admin/integrations/",
    ]
    for page in pages:
        response = staff_client.get(page)
        assert response.status_code == 200, page
        assert "no-store" in response["Cache-Control"], page
        html = response.content.decode()
        for secret in (token, previous, pending):
            assert secret not in html, page
            assert secret[4:-4] not in html, page  # not even most of it
    change = staff_client.get(f"{INTEGRATIONS}{integration.pk}/change/").content.decode()
    for secret in (token, previous, pending):
        assert f"•••• {secret[-4:]}" in change
    assert 'name="value"' not in change
    assert "credentials-0-value" not in change
    # The credential has no admin page of its own.
    assert staff_client.get("/admin/integrations/credential/").status_code == 404


def test_the_list_shows_the_columns_and_finds_by_person(
    staff_client: Client, alice: User, bob: User, fake_vercel: FakeVercel
) -> None:
    _connect(alice, fake_vercel, name="Alice's site")
    _connect(bob, fake_vercel, name="Bob's site")
    response = staff_client.get(INTEGRATIONS)
    assert response.status_code == 200
    for heading in ("User", "Provider", "Status", "Rotate automatically", "Next rotation", "Last verified"):
        assert heading in response.text
    found = staff_client.get(INTEGRATIONS, {"q": "alice@example.com"}).text
    assert "Alice&#x27;s site" in found
    assert "Bob&#x27;s site" not in found
    by_name = staff_client.get(INTEGRATIONS, {"q": "Bob Example"}).text
    assert "Bob&#x27;s site" in by_name
    assert "Alice&#x27;s site" not in by_name
    filtered = staff_client.get(INTEGRATIONS, {"status__exact": "disconnected"}).text
    assert "Alice&#x27;s site" not in filtered


def test_the_page_is_read_only_and_shows_the_activity(
    staff_client: Client, alice: User, fake_vercel: FakeVercel
) -> None:
    integration, _token = _connect(alice, fake_vercel)
    page = staff_client.get(f"{INTEGRATIONS}{integration.pk}/change/")
    assert page.status_code == 200
    assert "Connected to Vercel and verified." in page.text
    assert f"{ACTIVITY}?integration__id__exact={integration.pk}" in page.text
    assert 'name="_save"' not in page.text
    # A POST to the page changes nothing; there is no add or delete.
    response = staff_client.post(f"{INTEGRATIONS}{integration.pk}/change/", {"name": "Hacked"})
    assert response.status_code == 403
    assert Integration.objects.get(pk=integration.pk).name == "Production"
    assert staff_client.get(f"{INTEGRATIONS}add/").status_code == 403
    assert staff_client.get(f"{INTEGRATIONS}{integration.pk}/delete/").status_code == 403
    activity = integration.activity.get()
    assert staff_client.post(f"{ACTIVITY}{activity.pk}/change/", {"message": "x"}).status_code == 403
    assert staff_client.get(f"{ACTIVITY}{activity.pk}/delete/").status_code == 403


def test_verify_now_calls_the_provider_and_records_the_result(
    staff_client: Client, alice: User, fake_vercel: FakeVercel
) -> None:
    working, _token = _connect(alice, fake_vercel, name="Works")
    broken, broken_token = _connect(alice, fake_vercel, name="Broken")
    del fake_vercel.tokens[broken_token]
    response = _action(staff_client, "verify_now", [working, broken])
    assert response.status_code == 200
    assert "1 integration works." in response.text
    assert "1 integration failed its check" in response.text
    assert Integration.objects.get(pk=working.pk).status == IntegrationStatus.CONNECTED
    assert Integration.objects.get(pk=broken.pk).status == IntegrationStatus.ERROR
    assert working.activity.filter(action=ActivityAction.VERIFIED).exists()
    assert broken.activity.filter(action=ActivityAction.VERIFICATION_FAILED).exists()


def test_disconnect_calls_the_service_and_keeps_the_history(
    staff_client: Client, alice: User, fake_vercel: FakeVercel
) -> None:
    integration, _token = _connect(alice, fake_vercel)
    response = _action(staff_client, "disconnect", [integration])
    assert "1 integration disconnected" in response.text
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.DISCONNECTED
    assert not integration.credentials.exclude(state=CredentialState.RETIRED).exists()
    assert integration.activity.filter(action=ActivityAction.DISCONNECTED).exists()
    # Again: nothing to do, nothing fails; verifying it is skipped.
    assert "0 integrations disconnected" in _action(staff_client, "disconnect", [integration]).text
    assert "1 disconnected integration skipped." in _action(staff_client, "verify_now", [integration]).text


def test_people_who_are_not_staff_reach_none_of_it(
    client: Client, alice: User, charlie: User, fake_vercel: FakeVercel
) -> None:
    integration, _token = _connect(alice, fake_vercel)
    pages = [INTEGRATIONS, f"{INTEGRATIONS}{integration.pk}/change/", ACTIVITY]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302, page
        assert "/admin/login/" in response["Location"] or "/accounts/" in response["Location"]
    client.force_login(charlie)
    for page in pages:
        assert client.get(page).status_code in (302, 403), page
    # Staff without a second factor are sent to set one up, not shown the page.
    unsafe = make_user("nomfa@example.com", is_staff=True, is_superuser=True)
    client.force_login(unsafe)
    assert client.get(INTEGRATIONS).status_code == 302
    assert _action(client, "disconnect", [integration]).status_code == 200
    assert Integration.objects.get(pk=integration.pk).status == IntegrationStatus.CONNECTED
    # A staff member who may only look can't act.
    viewer = make_user("viewer@example.com", is_staff=True)
    viewer_client = signed_in_with_totp(viewer)
    assert viewer_client.get(INTEGRATIONS).status_code == 403
