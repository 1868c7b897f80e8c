"""The Gmail adapter against the fake Google: the profile read as verification, the access token
renewed only when it is about to expire, the grant revoked on disconnect, and every failure
permanent or transient with a message that names no token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integrations import providers
from integrations.errors import ProviderError
from integrations.providers import Access
from integrations.providers.gmail import provider as gmail
from integrations.providers.gmail.tests.fake import FakeGoogle, s256

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _connected(fake: FakeGoogle) -> Access:
    refresh = fake.new_refresh_token()
    access = fake.new_access_token(refresh)["access_token"]
    return Access(config={}, secrets={"access_token": access, "refresh_token": refresh})


def test_verify_reads_the_mailbox_address(fake_google: FakeGoogle) -> None:
    assert providers.get("gmail").verify(_connected(fake_google)).account == "ada@example.com"


def test_a_wrong_token_is_a_permanent_refusal_without_the_token_in_it(fake_google: FakeGoogle) -> None:
    with pytest.raises(ProviderError) as caught:
        providers.get("gmail").verify(Access(config={}, secrets={"access_token": "ya29.wrong-token"}))
    assert caught.value.permanent
    assert str(caught.value) == "Gmail refused the credentials (HTTP 401)."


@pytest.mark.parametrize(("status", "permanent"), [(500, False), (429, False), (404, True)])
def test_provider_errors_say_whether_to_try_again(
    fake_google: FakeGoogle, status: int, permanent: bool
) -> None:
    access = _connected(fake_google)
    fake_google.fail["GET /gmail/v1/users/me/profile"] = status
    with pytest.raises(ProviderError) as caught:
        providers.get("gmail").verify(access)
    assert caught.value.permanent is permanent


def test_a_google_that_does_not_answer_in_time_is_transient(fake_google: FakeGoogle, settings: Any) -> None:
    settings.INTEGRATIONS_HTTP_TIMEOUT = 0.3
    access = _connected(fake_google)
    fake_google.fail["GET /gmail/v1/users/me/profile"] = "stall"
    with pytest.raises(ProviderError) as caught:
        providers.get("gmail").verify(access)
    assert not caught.value.permanent


def test_an_unreadable_answer_is_a_provider_error(fake_google: FakeGoogle) -> None:
    access = _connected(fake_google)
    fake_google.fail["GET /gmail/v1/users/me/profile"] = 200
    with pytest.raises(ProviderError, match="could not read"):
        providers.get("gmail").verify(access)
    fake_google.fail["POST /token"] = 200
    with pytest.raises(ProviderError, match="could not read"):
        providers.get("gmail").refresh(access, expires={"access_token": NOW}, now=NOW)


def test_the_access_token_is_not_renewed_when_far_from_expiry(fake_google: FakeGoogle) -> None:
    access = _connected(fake_google)
    assert (
        providers.get("gmail").refresh(access, expires={"access_token": NOW + timedelta(minutes=6)}, now=NOW)
        is None
    )
    assert fake_google.requests == []


def test_the_access_token_is_renewed_within_five_minutes_of_expiry(fake_google: FakeGoogle) -> None:
    access = _connected(fake_google)
    refreshed = providers.get("gmail").refresh(
        access, expires={"access_token": NOW + timedelta(minutes=4)}, now=NOW
    )
    assert refreshed is not None
    new = refreshed.secrets["access_token"]
    assert new != access.secret("access_token")
    assert new in fake_google.access_tokens
    assert refreshed.expires["access_token"] == NOW + timedelta(seconds=3599)
    assert "refresh_token" not in refreshed.secrets  # Google keeps the same one
    assert fake_google.requests[-1][2]["grant_type"] == "refresh_token"
    # And an access token with no known expiry is renewed too.
    assert providers.get("gmail").refresh(access, expires={}, now=NOW) is not None


def test_a_revoked_grant_asks_to_connect_again(fake_google: FakeGoogle) -> None:
    access = _connected(fake_google)
    fake_google.revoke(access.secret("refresh_token"))
    with pytest.raises(ProviderError) as caught:
        providers.get("gmail").refresh(access, expires={"access_token": NOW}, now=NOW)
    assert caught.value.permanent
    assert str(caught.value) == "Google no longer accepts this authorization: connect Gmail again."


def test_a_refresh_that_fails_upstream_is_transient(fake_google: FakeGoogle) -> None:
    fake_google.fail["POST /token"] = 503
    with pytest.raises(ProviderError) as caught:
        providers.get("gmail").refresh(_connected(fake_google), expires={"access_token": NOW}, now=NOW)
    assert not caught.value.permanent


def test_disconnect_revokes_the_grant_and_a_revoked_one_counts_as_done(fake_google: FakeGoogle) -> None:
    gmail_provider = providers.get("gmail")
    access = _connected(fake_google)
    gmail_provider.disconnect(access)
    assert access.secret("refresh_token") in fake_google.revoked
    with pytest.raises(ProviderError):
        gmail_provider.verify(access)  # its access token died with the grant
    gmail_provider.disconnect(access)  # already revoked: no error
    fake_google.fail["POST /revoke"] = 500
    with pytest.raises(ProviderError) as caught:
        gmail_provider.disconnect(access)
    assert not caught.value.permanent


def test_the_authorization_url_asks_for_offline_access_with_pkce(fake_google: FakeGoogle) -> None:
    verifier = gmail.new_code_verifier()
    assert 43 <= len(verifier) <= 128
    url = gmail.authorization_url(redirect_uri="http://testserver/cb", state="st4te", code_verifier=verifier)
    from urllib.parse import parse_qs, urlsplit

    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(fake_google.base_url + "/o/oauth2/v2/auth?")
    assert query["client_id"] == fake_google.client_id
    assert query["code_challenge"] == s256(verifier)
    assert query["code_challenge_method"] == "S256"
    assert (query["access_type"], query["prompt"], query["state"]) == ("offline", "consent", "st4te")
    assert set(query["scope"].split()) == {
        "openid",
        "email",
        "https://www.googleapis.com/auth/gmail.readonly",
        "https://www.googleapis.com/auth/gmail.send",
    }
    assert "code_verifier" not in query


def test_a_code_with_the_wrong_verifier_is_refused(fake_google: FakeGoogle) -> None:
    verifier = gmail.new_code_verifier()
    fake_google.codes["4/code"] = {
        "challenge": s256(verifier),
        "method": "S256",
        "redirect_uri": "http://testserver/cb",
        "offline": True,
        "scope": "",
    }
    with pytest.raises(ProviderError) as caught:
        gmail.exchange_code(
            code="4/code",
            code_verifier=gmail.new_code_verifier(),
            redirect_uri="http://testserver/cb",
            now=NOW,
        )
    assert caught.value.permanent
    assert "connect Gmail again" in str(caught.value)
