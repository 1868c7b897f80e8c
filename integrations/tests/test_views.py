"""The integration pages against the fake Vercel (and GitHub): connect, an integration's page, edit,
verify, disconnect; access (charlie gets 404 everywhere), hostile input (form errors, nothing
saved), no secret in any page, and no-store on every page that shows a key's mask or asks for one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from integrations import providers, services
from integrations.models import (
    Activity,
    ActivityAction,
    Credential,
    CredentialState,
    Integration,
    IntegrationStatus,
)
from integrations.providers.github.tests.fake import FakeGitHub
from integrations.providers.vercel.tests.fake import FakeVercel
from javari.secrets import mask_secret

pytestmark = pytest.mark.django_db

CONNECT_URL = "/integrations/connect/vercel/"


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _connect_form(token: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Production",
        "api_token": token,
        "team_id": "team_javari",
        "rotation_schedule": "monthly",
        **extra,
    }


def _connected(user: User, fake: FakeVercel, *, auto_rotate: bool = False) -> tuple[Integration, str]:
    token = fake.new_token()
    integration = services.connect(
        user=user,
        provider="vercel",
        name="Production",
        values={"api_token": token, "team_id": "team_javari"},
        auto_rotate=auto_rotate,
    )
    return integration, token


def _no_store(response: Any) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def _text(response: Any) -> str:
    return response.content.decode()


# --- The list -------------------------------------------------------------------------------------


def test_the_list_shows_every_registered_provider_and_its_state(alice: User, fake_vercel: FakeVercel) -> None:
    client = _signed_in(alice)
    response = client.get("/integrations/")
    assert response.status_code == 200
    body = _text(response)
    every = providers.all_providers()
    for provider in every:
        assert f'data-provider="{provider.slug}"' in body
        assert str(provider.name) in body
        assert str(provider.description) in body
    assert "Environment variables" in body  # a capability, in words
    assert body.count("Not connected") == len(every)

    integration, _token = _connected(alice, fake_vercel, auto_rotate=True)
    body = _text(client.get("/integrations/"))
    assert "1 connected" in body
    assert reverse("integrations:detail", kwargs={"integration_id": integration.pk}) in body
    assert "On, monthly" in body  # the schedule in the middle of a phrase

    Integration.objects.filter(pk=integration.pk).update(status=IntegrationStatus.ERROR)
    assert "1 in error" in _text(client.get("/integrations/"))


def test_the_list_shows_disconnected_connections_apart(alice: User, fake_vercel: FakeVercel) -> None:
    integration, _token = _connected(alice, fake_vercel)
    services.disconnect(user=alice, integration_id=integration.pk)
    body = _text(_signed_in(alice).get("/integrations/"))
    assert "1 disconnected connection" in body
    assert "No connections yet" in body


def test_charlie_sees_none_of_alices_connections(alice: User, charlie: User, fake_vercel: FakeVercel) -> None:
    integration, _token = _connected(alice, fake_vercel)
    body = _text(_signed_in(charlie).get("/integrations/"))
    assert str(integration.pk) not in body
    assert "No connections yet" in body


def test_signed_out_every_page_asks_to_sign_in(alice: User, fake_vercel: FakeVercel) -> None:
    integration, _token = _connected(alice, fake_vercel)
    client = Client()
    for url in (
        "/integrations/",
        CONNECT_URL,
        f"/integrations/{integration.pk}/",
        f"/integrations/{integration.pk}/edit/",
        f"/integrations/{integration.pk}/disconnect/",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url
    for action in ("verify", "disconnect", "edit"):
        response = client.post(f"/integrations/{integration.pk}/{action}/")
        assert response.status_code == 302
    assert Integration.objects.get(pk=integration.pk).status == IntegrationStatus.CONNECTED


# --- Connect --------------------------------------------------------------------------------------


def test_the_connect_form_is_built_from_the_providers_fields(alice: User) -> None:
    response = _signed_in(alice).get(CONNECT_URL)
    assert response.status_code == 200
    assert _no_store(response)
    body = _text(response)
    assert 'type="password" name="api_token"' in body
    assert 'name="team_id"' in body
    assert 'placeholder="team_…"' in body
    assert "Account Settings → Tokens" in body  # the field's help text
    assert 'name="rotation_schedule"' in body
    assert 'name="auto_rotate"' in body


def test_a_provider_without_a_rotation_api_says_javari_reminds_instead(alice: User) -> None:
    body = _text(_signed_in(alice).get("/integrations/connect/github/"))
    assert "GitHub can&#x27;t make new keys through its API: Javari reminds you" in body


def test_fields_for_one_choice_only_are_marked_for_the_script_and_shown_without_it(alice: User) -> None:
    body = _text(_signed_in(alice).get("/integrations/connect/custom/"))
    assert 'name="auth_type"' in body
    # Every field is in the page (all visible without JavaScript); integrations.js hides the others.
    assert 'data-depends-on="auth_type" data-when="header"' in body
    assert 'data-depends-on="auth_type" data-when="basic"' in body
    assert "integrations/integrations.js" in body


def test_the_gmail_page_posts_to_its_oauth_flow_and_asks_for_no_key(alice: User) -> None:
    client = _signed_in(alice)
    body = _text(client.get("/integrations/connect/gmail/"))
    assert f'action="{reverse("integrations_gmail:start")}"' in body
    assert "Connect with Google" in body
    assert 'type="password"' not in body
    assert client.post("/integrations/connect/gmail/", {"name": "x"}).status_code == 405


def test_an_unknown_provider_is_a_404(alice: User) -> None:
    client = _signed_in(alice)
    assert client.get("/integrations/connect/nope/").status_code == 404
    assert client.post("/integrations/connect/nope/", {"name": "x"}).status_code == 404


def test_connect_verifies_saves_and_never_shows_the_token(alice: User, fake_vercel: FakeVercel) -> None:
    token = fake_vercel.new_token()
    client = _signed_in(alice)
    response = client.post(CONNECT_URL, _connect_form(token, auto_rotate="on"))
    integration = Integration.objects.get(user=alice)
    assert response.status_code == 302
    assert response["Location"] == reverse("integrations:detail", kwargs={"integration_id": integration.pk})
    assert integration.status == IntegrationStatus.CONNECTED
    assert integration.auto_rotate is True
    assert integration.next_rotation_at is not None
    assert integration.config["account"] == "ada"

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert _no_store(page)
    body = _text(page)
    assert token not in body
    assert token[-4:] in body  # the mask's tail
    assert mask_secret(token) in body
    assert "Connected to Vercel: “Production” works." in body
    assert "Connected" in body
    assert "as ada" in body
    assert "Rotating makes a new key at Vercel" in body


def test_a_wrong_token_is_a_clear_error_on_its_field_and_saves_nothing(
    alice: User, fake_vercel: FakeVercel
) -> None:
    response = _signed_in(alice).post(CONNECT_URL, _connect_form("vcp_not_a_real_token_at_all"))
    assert response.status_code == 400
    assert _no_store(response)
    body = _text(response)
    assert "vcp_not_a_real_token_at_all" not in body
    assert "type them again" in body
    assert response.context["form"].errors["api_token"]
    assert not Integration.objects.exists()
    assert not Activity.objects.exists()


def test_a_team_the_token_cant_reach_is_named_in_the_error(alice: User, fake_vercel: FakeVercel) -> None:
    token = fake_vercel.new_token()
    response = _signed_in(alice).post(CONNECT_URL, _connect_form(token, team_id="team_elsewhere"))
    assert response.status_code == 400
    body = _text(response)
    assert "team_elsewhere" in body
    assert token not in body
    # Beside the Team ID (the field to correct), not above the form.
    errors = response.context["form"].errors
    assert "team_elsewhere" in " ".join(errors["team_id"])
    assert "__all__" not in errors
    assert "api_token" not in errors
    assert not Integration.objects.exists()


@pytest.mark.parametrize("fault", [500, "stall"], ids=["500", "timeout"])
def test_a_provider_that_is_down_is_a_clear_error_and_saves_nothing(
    alice: User, fake_vercel: FakeVercel, settings: Any, fault: int | str
) -> None:
    settings.INTEGRATIONS_HTTP_TIMEOUT = 0.5
    token = fake_vercel.new_token()
    fake_vercel.fail_always["GET /v2/user"] = fault
    response = _signed_in(alice).post(CONNECT_URL, _connect_form(token))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.non_field_errors()  # not the token's fault: a message for the whole form
    assert "Vercel" in " ".join(form.non_field_errors())
    assert token not in _text(response)
    assert not Integration.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Prod\x00uction"),
        ("api_token", "vcp_\x00abc"),
        ("team_id", "team\x00"),
        ("name", "x" * 1_000_000),
        ("api_token", "v" * 1_000_000),
        ("team_id", "t" * 1_000_000),
        ("rotation_schedule", "hourly"),
        ("api_token", "vcp abc def"),
    ],
    ids=["nul-name", "nul-token", "nul-team", "mb-name", "mb-token", "mb-team", "schedule", "spaces"],
)
def test_hostile_values_are_form_errors_and_reach_no_provider(
    alice: User, fake_vercel: FakeVercel, field: str, value: str
) -> None:
    data = _connect_form(fake_vercel.new_token())
    data[field] = value
    response = _signed_in(alice).post(CONNECT_URL, data)
    # A form error (400); NUL is refused before any view (javari/middleware.py), 1 MB by Django (413).
    assert response.status_code in (400, 413)
    if response.status_code == 400 and "\x00" not in value:
        assert response.context["form"].errors
    assert fake_vercel.requests == []
    assert not Integration.objects.exists()


def test_a_token_with_characters_a_header_cant_carry_is_a_form_error(
    alice: User, fake_vercel: FakeVercel
) -> None:
    # "é" and a no-break space pass the token check, but httpx sends headers as ASCII: this was a 500.
    for token in ("vcp_clé0123456789", "vcp_0123\u00a0456789"):
        response = _signed_in(alice).post(CONNECT_URL, _connect_form(token))
        assert response.status_code == 400
        errors = response.context["form"].non_field_errors()
        assert any("can't be sent these credentials" in error for error in errors)
        assert token not in response.content.decode()
    assert fake_vercel.requests == []
    assert not Integration.objects.exists()


def test_lone_surrogates_in_the_body_are_form_errors(alice: User, fake_vercel: FakeVercel) -> None:
    # A form encodes a lone surrogate as bytes that are not UTF-8 (what a browser would send).
    body = "name=%ED%A0%80&api_token=%ED%A0%80&team_id=%ED%A0%80&rotation_schedule=monthly"
    response = _signed_in(alice).post(CONNECT_URL, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert fake_vercel.requests == []
    assert not Integration.objects.exists()


# --- One integration ------------------------------------------------------------------------------


def test_charlie_gets_a_404_on_every_page_and_action_of_alices(
    alice: User, charlie: User, fake_vercel: FakeVercel
) -> None:
    integration, _token = _connected(alice, fake_vercel)
    client = _signed_in(charlie)
    base = f"/integrations/{integration.pk}"
    for url in (f"{base}/", f"{base}/edit/", f"{base}/disconnect/"):
        assert client.get(url).status_code == 404, url
    for url in (f"{base}/edit/", f"{base}/verify/", f"{base}/disconnect/"):
        response = client.post(url, {"name": "Mine now", "api_token": "vcp_x" * 5, "next": "/"})
        assert response.status_code == 404, url
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert integration.name == "Production"
    assert Activity.objects.filter(integration=integration).count() == 1  # only "connected"
    assert len(fake_vercel.requests) == 3  # the connect's three calls, nothing for charlie


def test_a_missing_integration_is_a_404(alice: User) -> None:
    client = _signed_in(alice)
    assert client.get("/integrations/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_post_only_actions_refuse_get(alice: User, fake_vercel: FakeVercel) -> None:
    integration, _token = _connected(alice, fake_vercel)
    response = _signed_in(alice).get(f"/integrations/{integration.pk}/verify/")
    assert response.status_code == 405


def test_verify_now_records_success_and_refusal(alice: User, fake_vercel: FakeVercel) -> None:
    integration, token = _connected(alice, fake_vercel)
    client = _signed_in(alice)
    url = f"/integrations/{integration.pk}/verify/"
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == f"/integrations/{integration.pk}/"
    assert "Verified: the connection works." in _text(response)

    fake_vercel.reject.add(token)
    response = client.post(url, follow=True)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.ERROR
    body = _text(response)
    assert "Verification failed" in body
    assert "This connection doesn't work:" in body  # the status detail on the page
    assert token not in body


def test_verify_when_the_provider_is_down_leaves_the_status(alice: User, fake_vercel: FakeVercel) -> None:
    integration, _token = _connected(alice, fake_vercel)
    fake_vercel.fail_always["GET /v2/user"] = 503
    body = _text(_signed_in(alice).post(f"/integrations/{integration.pk}/verify/", follow=True))
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.CONNECTED
    assert "couldn&#x27;t be checked just now" in body


def test_an_action_returns_only_to_our_own_pages(alice: User, fake_vercel: FakeVercel) -> None:
    integration, _token = _connected(alice, fake_vercel)
    client = _signed_in(alice)
    here = f"/integrations/{integration.pk}/"
    for wanted in ("https://elsewhere.example/", "//elsewhere.example/", "javascript:alert(1)", "/\\evil"):
        response = client.post(f"{here}verify/", {"next": wanted})
        assert response["Location"] == here
    response = client.post(f"{here}verify/", {"next": "/integrations/"})
    assert response["Location"] == "/integrations/"


def test_edit_replaces_the_key_once_verified_and_shows_only_its_mask(
    alice: User, fake_vercel: FakeVercel
) -> None:
    integration, old = _connected(alice, fake_vercel)
    client = _signed_in(alice)
    url = f"/integrations/{integration.pk}/edit/"
    page = client.get(url)
    assert page.status_code == 200
    assert _no_store(page)
    assert old not in _text(page)
    assert mask_secret(old) in _text(page)

    new = fake_vercel.new_token()
    response = client.post(
        url, {"name": "Prod", "api_token": new, "team_id": "team_javari", "rotation_schedule": "weekly"}
    )
    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.name == "Prod"
    assert integration.rotation_schedule == "weekly"
    current = Credential.objects.get(integration=integration, state=CredentialState.CURRENT)
    assert current.value == new
    body = _text(client.get(response["Location"]))
    assert new not in body
    assert old not in body
    assert mask_secret(new) in body


def test_edit_with_a_blank_key_keeps_the_stored_one(alice: User, fake_vercel: FakeVercel) -> None:
    integration, token = _connected(alice, fake_vercel)
    response = _signed_in(alice).post(
        f"/integrations/{integration.pk}/edit/",
        {"name": "Renamed", "api_token": "", "team_id": "team_javari", "rotation_schedule": "monthly"},
    )
    assert response.status_code == 302
    assert Credential.objects.get(integration=integration, state=CredentialState.CURRENT).value == token
    integration.refresh_from_db()
    assert integration.name == "Renamed"


def test_edit_with_a_refused_key_changes_nothing(alice: User, fake_vercel: FakeVercel) -> None:
    integration, token = _connected(alice, fake_vercel)
    response = _signed_in(alice).post(
        f"/integrations/{integration.pk}/edit/",
        {
            "name": "Prod",
            "api_token": "vcp_refused_by_vercel_xx",
            "team_id": "team_javari",
            "rotation_schedule": "monthly",
        },
    )
    assert response.status_code == 400
    assert _no_store(response)
    assert "vcp_refused_by_vercel_xx" not in _text(response)
    assert response.context["form"].errors["api_token"]
    integration.refresh_from_db()
    assert integration.name == "Production"
    assert Credential.objects.get(integration=integration, state=CredentialState.CURRENT).value == token


@pytest.mark.parametrize("value", ["x\x00", "y" * 1_000_000])
def test_edit_refuses_hostile_values(alice: User, fake_vercel: FakeVercel, value: str) -> None:
    integration, _token = _connected(alice, fake_vercel)
    calls = len(fake_vercel.requests)
    response = _signed_in(alice).post(
        f"/integrations/{integration.pk}/edit/",
        {"name": value, "api_token": value, "team_id": value, "rotation_schedule": "monthly"},
    )
    assert response.status_code in (400, 413)
    assert len(fake_vercel.requests) == calls
    integration.refresh_from_db()
    assert integration.name == "Production"


def test_disconnect_asks_then_keeps_the_history(alice: User, fake_vercel: FakeVercel) -> None:
    integration, token = _connected(alice, fake_vercel)
    client = _signed_in(alice)
    url = f"/integrations/{integration.pk}/disconnect/"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Disconnect “Production”?" in _text(confirm)

    response = client.post(url, follow=True)
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.DISCONNECTED
    body = _text(response)
    assert response.redirect_chain[-1][0] == f"/integrations/{integration.pk}/"
    assert "is disconnected" in body
    assert "Verify now" not in body
    assert "Connect Vercel again" in body
    assert str(ActivityAction.DISCONNECTED.label) in body
    assert str(ActivityAction.CONNECTED.label) in body
    assert token not in body
    # Editing a disconnected integration is refused, not a server error.
    assert client.get(f"/integrations/{integration.pk}/edit/").status_code == 400
    assert client.post(f"/integrations/{integration.pk}/verify/").status_code == 302


def test_the_activity_log_is_paginated_newest_first(alice: User, fake_vercel: FakeVercel) -> None:
    integration, _token = _connected(alice, fake_vercel)
    start = timezone.now()
    for index in range(30):
        Activity.objects.create(
            integration=integration,
            user=alice,
            action=ActivityAction.API_CALL,
            message=f"call number {index}",
            created_at=start + timedelta(minutes=index + 1),
        )
    client = _signed_in(alice)
    first = _text(client.get(f"/integrations/{integration.pk}/"))
    assert "call number 29" in first
    assert "call number 5" in first
    assert "call number 4" not in first
    assert "Page 1 of 2" in first
    second = _text(client.get(f"/integrations/{integration.pk}/?page=2"))
    assert "call number 4" in second
    assert "call number 29" not in second
    assert "Connected to Vercel and verified." in second
    # A page number that isn't one shows the last page, not an error.
    assert client.get(f"/integrations/{integration.pk}/?page=abc").status_code == 200


def test_the_page_in_spanish_shows_localized_dates(alice: User, fake_vercel: FakeVercel) -> None:
    integration, _token = _connected(alice, fake_vercel)
    Integration.objects.filter(pk=integration.pk).update(
        last_rotated_at=timezone.now().replace(year=2026, month=1, day=31, hour=12)
    )
    client = _signed_in(alice)
    response = client.get(f"/integrations/{integration.pk}/", headers={"accept-language": "es"})
    body = _text(response)
    assert "Rotación de claves" in body
    assert "31/01/2026" in body


def test_a_provider_without_a_rotation_api_shows_its_steps(alice: User, fake_github: FakeGitHub) -> None:
    token = fake_github.new_token()
    integration = services.connect(
        user=alice, provider="github", name="Code", values={"personal_access_token": token}
    )
    body = _text(_signed_in(alice).get(f"/integrations/{integration.pk}/"))
    assert "Regenerate the token Javari uses" in body
    assert "https://github.com/settings/personal-access-tokens" in body
    assert "Enter a new key" in body
    assert "Rotate now" not in body
    assert token not in body


# --- Rotate now -----------------------------------------------------------------------------------


def test_rotate_now_puts_a_new_key_in_use_and_shows_only_its_mask(
    alice: User, fake_vercel: FakeVercel
) -> None:
    integration, old = _connected(alice, fake_vercel)
    client = _signed_in(alice)
    page = _text(client.get(f"/integrations/{integration.pk}/"))
    assert f'action="/integrations/{integration.pk}/rotate/"' in page

    response = client.post(f"/integrations/{integration.pk}/rotate/", follow=True)
    assert response.redirect_chain[-1][0] == f"/integrations/{integration.pk}/"
    new = Credential.objects.get(integration=integration, state=CredentialState.CURRENT).value
    assert new != old
    assert old not in fake_vercel.live_values()  # revoked upstream
    body = _text(response)
    assert "Key rotated: the new key works and is now in use." in body
    assert mask_secret(new) in body
    assert new not in body
    assert old not in body
    assert str(ActivityAction.KEY_ROTATED.label) in body
    integration.refresh_from_db()
    assert integration.last_rotated_at is not None


def test_a_failed_rotation_is_a_message_and_the_key_stays(alice: User, fake_vercel: FakeVercel) -> None:
    integration, old = _connected(alice, fake_vercel)
    fake_vercel.fail_always["POST /v3/user/tokens"] = 500
    response = _signed_in(alice).post(f"/integrations/{integration.pk}/rotate/", follow=True)
    assert response.status_code == 200
    body = _text(response)
    assert "The current key still works." in body
    assert Credential.objects.get(integration=integration, state=CredentialState.CURRENT).value == old
    assert old not in body


def test_a_rotation_already_running_is_a_message(alice: User, fake_vercel: FakeVercel) -> None:
    integration, _old = _connected(alice, fake_vercel)
    Integration.objects.filter(pk=integration.pk).update(
        rotation_lease_until=timezone.now() + timedelta(minutes=5)
    )
    response = _signed_in(alice).post(f"/integrations/{integration.pk}/rotate/", follow=True)
    assert response.status_code == 200
    assert "already running" in _text(response)
    assert not fake_vercel.requests[3:]  # nothing asked of Vercel after the connect's calls


def test_rotate_now_is_refused_for_a_provider_without_a_rotation_api(
    alice: User, fake_github: FakeGitHub
) -> None:
    integration = services.connect(
        user=alice, provider="github", name="Code", values={"personal_access_token": fake_github.new_token()}
    )
    response = _signed_in(alice).post(f"/integrations/{integration.pk}/rotate/", follow=True)
    assert response.status_code == 200
    assert "reminds you to rotate it instead" in _text(response)


def test_rotate_now_access(alice: User, charlie: User, fake_vercel: FakeVercel) -> None:
    integration, old = _connected(alice, fake_vercel)
    url = f"/integrations/{integration.pk}/rotate/"
    assert _signed_in(alice).get(url).status_code == 405
    assert _signed_in(charlie).post(url).status_code == 404
    assert Client().post(url).status_code == 302
    assert Credential.objects.get(integration=integration, state=CredentialState.CURRENT).value == old
