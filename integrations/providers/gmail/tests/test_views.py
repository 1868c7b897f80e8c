"""Connecting Gmail through its two views with the Django test client and the fake Google: the whole
authorization code flow, a state that is replayed, foreign or made up, a refused consent, a failed
token exchange, a deployment without a Google client, and what a connection does afterwards
(renew its access token, revoke its grant on disconnect)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from integrations import services
from integrations.models import CredentialState, Integration
from integrations.providers.gmail.tests.fake import FakeGoogle

pytestmark = pytest.mark.django_db

START = "/integrations/gmail/start/"
CALLBACK = "/integrations/gmail/callback/"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _start(client: Client, **data: str) -> str:
    """POST start; return Google's consent page URL it redirects to."""
    response = client.post(START, {"name": "Work mail", **data})
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    return str(response["Location"])


def _consent(url: str) -> str:
    """Visit the (fake) consent page as a browser would; return where Google sends the person back."""
    response = httpx.get(url, follow_redirects=False)
    assert response.status_code == 302
    back = urlsplit(response.headers["Location"])
    assert back.path == CALLBACK
    return f"{back.path}?{back.query}"


def _messages(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_whole_flow_connects_gmail(alice: Any, fake_google: FakeGoogle, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    client = _client(alice)
    url = _start(client, auto_rotate="on", rotation_schedule="quarterly")
    assert url.startswith(fake_google.base_url)
    query = parse_qs(urlsplit(url).query)
    assert query["redirect_uri"] == ["http://testserver/integrations/gmail/callback/"]

    response = client.get(_consent(url))

    assert response.status_code == 302
    integration = Integration.objects.get(user=alice)
    assert response["Location"] in ("/settings/", f"/integrations/{integration.pk}/", "/integrations/")
    assert "no-store" in response["Cache-Control"]
    assert _messages(response) == ["Gmail connected as ada@example.com."]
    assert (integration.provider, integration.name, integration.config["account"]) == (
        "gmail",
        "Work mail",
        "ada@example.com",
    )
    assert (integration.auto_rotate, integration.rotation_schedule) == (True, "quarterly")
    tokens = {c.field: c for c in integration.credentials.filter(state=CredentialState.CURRENT)}
    assert set(tokens) == {"access_token", "refresh_token"}
    assert tokens["access_token"].value in fake_google.access_tokens
    assert tokens["refresh_token"].value in fake_google.refresh_tokens
    assert tokens["access_token"].expires_at is not None
    assert tokens["refresh_token"].expires_at is None
    # The token exchange sent the verifier whose challenge the consent page got (the fake checks it).
    exchange = next(fields for method, path, fields in fake_google.requests if path == "/token")
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["code_verifier"]
    for token in (tokens["access_token"].value, tokens["refresh_token"].value, exchange["code_verifier"]):
        assert token not in caplog.text
        assert token not in str(client.session.items())


def test_a_replayed_callback_connects_nothing_more(alice: Any, fake_google: FakeGoogle) -> None:
    client = _client(alice)
    back = _consent(_start(client))
    client.get(back)
    response = client.get(back)
    assert response.status_code == 302
    assert (
        _messages(response)[-1] == "This Google sign-in has expired or was already used: connect Gmail again."
    )
    assert Integration.objects.filter(user=alice).count() == 1


def test_a_made_up_state_connects_nothing(alice: Any, fake_google: FakeGoogle) -> None:
    client = _client(alice)
    back = _consent(_start(client))
    code = parse_qs(urlsplit(back).query)["code"][0]
    for state in ("forged", "", "x" * 100_000):
        response = client.get(CALLBACK, {"code": code, "state": state})
        assert response.status_code == 302
        assert "expired or was already used" in _messages(response)[0]
    assert not Integration.objects.exists()
    assert not [r for r in fake_google.requests if r[1] == "/token"]


def test_charlie_cannot_use_alices_callback(alice: Any, charlie: Any, fake_google: FakeGoogle) -> None:
    alices = _client(alice)
    back = _consent(_start(alices))
    response = _client(charlie).get(back)
    assert response.status_code == 302
    assert "expired or was already used" in _messages(response)[0]
    assert not Integration.objects.exists()
    # Alice's own flow is untouched by charlie's try.
    alices.get(back)
    assert Integration.objects.get().user == alice


def test_a_signed_out_visitor_is_sent_to_sign_in(alice: Any, fake_google: FakeGoogle) -> None:
    back = _consent(_start(_client(alice)))
    for response in (Client().post(START, {"name": "x"}), Client().get(back)):
        assert response.status_code == 302
        assert "/accounts/" in response["Location"] or "login" in response["Location"]
    assert not Integration.objects.exists()


def test_start_takes_only_a_post_with_a_csrf_token(alice: Any, fake_google: FakeGoogle) -> None:
    assert _client(alice).get(START).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(START, {"name": "x"}).status_code == 403
    assert _client(alice).post(CALLBACK).status_code == 405


def test_a_refused_consent_says_so(alice: Any, fake_google: FakeGoogle) -> None:
    fake_google.deny = True
    client = _client(alice)
    response = client.get(_consent(_start(client)))
    assert _messages(response) == ["You didn't allow Javari to use Gmail, so nothing was connected."]
    assert not Integration.objects.exists()


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (500, "Gmail was not connected: Google had a problem (HTTP 500). Javari will try again later."),
        ("stall", "Gmail was not connected: Google did not answer in time."),
        (200, "Gmail was not connected: Google sent an answer Javari could not read."),
    ],
)
def test_a_failed_token_exchange_connects_nothing(
    alice: Any, fake_google: FakeGoogle, settings: Any, status: int | str, words: str
) -> None:
    settings.INTEGRATIONS_HTTP_TIMEOUT = 0.3
    client = _client(alice)
    back = _consent(_start(client))
    fake_google.fail["POST /token"] = status
    response = client.get(back)
    assert response.status_code == 302
    assert _messages(response) == [words]
    assert not Integration.objects.exists()


def test_tokens_whose_profile_cannot_be_read_are_given_back(alice: Any, fake_google: FakeGoogle) -> None:
    client = _client(alice)
    back = _consent(_start(client))
    fake_google.fail["GET /gmail/v1/users/me/profile"] = 500
    response = client.get(back)
    assert "Gmail was not connected" in _messages(response)[0]
    assert not Integration.objects.exists()
    assert len(fake_google.revoked) == 1
    assert not fake_google.refresh_tokens


def test_without_a_google_client_the_start_says_gmail_is_not_set_up(alice: Any, settings: Any) -> None:
    settings.GOOGLE_OAUTH_CLIENT_ID = ""
    response = _client(alice).post(START, {"name": "Work"})
    assert response.status_code == 302
    assert _messages(response) == [
        "Gmail isn't set up on this Javari: an administrator must add a Google OAuth client first."
    ]


@pytest.mark.parametrize(
    "body",
    [
        "name=" + "x" * 1_000_000,
        "name=bad%00name&rotation_schedule=%ED%A0%80",  # a NUL byte, a lone surrogate's UTF-8
        "rotation_schedule=hourly&auto_rotate=maybe&name=%FF%FE",
    ],
)
def test_bad_start_input_never_fails_the_server(alice: Any, fake_google: FakeGoogle, body: str) -> None:
    response = _client(alice).post(START, body, content_type="application/x-www-form-urlencoded")
    # A body that isn't UTF-8 is refused before the view (400); the rest end on a message.
    assert response.status_code in (302, 400)
    assert not Integration.objects.exists()


def test_a_connection_renews_its_token_before_expiry_and_revokes_its_grant_on_disconnect(
    alice: Any, fake_google: FakeGoogle
) -> None:
    client = _client(alice)
    client.get(_consent(_start(client)))
    integration = Integration.objects.get()
    current = integration.credentials.get(field="access_token", state=CredentialState.CURRENT)
    assert current.expires_at is not None

    # Far from expiry: the stored token is used as is.
    far = current.expires_at - timedelta(minutes=30)
    assert services.usable_access(integration, now=far).secret("access_token") == current.value
    assert len([r for r in fake_google.requests if r[1] == "/token"]) == 1  # only the exchange

    # Within five minutes of expiry: renewed and stored (encrypted) over the old one.
    near = current.expires_at - timedelta(minutes=2)
    renewed = services.usable_access(integration, now=near).secret("access_token")
    assert renewed != current.value
    current.refresh_from_db()
    assert current.value == renewed
    assert current.expires_at == near + timedelta(seconds=fake_google.expires_in)
    verified = services.verify_integration(user=alice, integration_id=integration.pk, now=near)
    assert verified.status == "connected"

    refresh_token = integration.credentials.get(field="refresh_token").value
    services.disconnect(user=alice, integration_id=integration.pk)
    assert refresh_token in fake_google.revoked
    assert [c.value for c in integration.credentials.all()] == ["", ""]


def test_the_urls_are_named() -> None:
    assert reverse("integrations_gmail:start") == START
    assert reverse("integrations_gmail:callback") == CALLBACK
