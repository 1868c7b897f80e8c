"""The Vercel adapter against the fake Vercel API: verify, create and revoke keys, and each failure
mapped to a permanent or transient ``ProviderError`` with a message that names no secret."""

from __future__ import annotations

from typing import Any

import pytest

from integrations import providers
from integrations.errors import ProviderError
from integrations.providers import Access
from integrations.providers.vercel.tests.fake import FakeVercel


def _access(token: str, team: str = "") -> Access:
    return Access(config={"team_id": team}, secrets={"api_token": token})


def test_verify_names_the_account_and_the_token_id(fake_vercel: FakeVercel) -> None:
    token = fake_vercel.new_token(expires_at_ms=1_893_456_000_000)
    result = providers.get("vercel").verify(_access(token, "team_javari"))
    assert result.account == "ada"
    assert result.upstream_id == fake_vercel.token_id(token)
    assert result.expires_at is not None
    assert result.expires_at.isoformat() == "2030-01-01T00:00:00+00:00"


def test_a_wrong_token_is_a_permanent_refusal_without_the_token_in_it(fake_vercel: FakeVercel) -> None:
    with pytest.raises(ProviderError) as caught:
        providers.get("vercel").verify(_access("vcp_not-a-real-token"))
    assert caught.value.permanent
    assert caught.value.status == 403
    assert "vcp_not-a-real-token" not in str(caught.value)
    assert "Vercel refused the credentials" in str(caught.value)


def test_a_team_the_token_cannot_reach_is_named(fake_vercel: FakeVercel) -> None:
    token = fake_vercel.new_token()
    with pytest.raises(ProviderError) as caught:
        providers.get("vercel").verify(_access(token, "team_other"))
    assert caught.value.permanent
    assert "team_other" in str(caught.value)


@pytest.mark.parametrize(("status", "permanent"), [(500, False), (503, False), (429, False), (400, True)])
def test_provider_errors_say_whether_to_try_again(
    fake_vercel: FakeVercel, status: int, permanent: bool
) -> None:
    token = fake_vercel.new_token()
    fake_vercel.fail["GET /v2/user"] = status
    with pytest.raises(ProviderError) as caught:
        providers.get("vercel").verify(_access(token))
    assert caught.value.permanent is permanent
    assert caught.value.status == status


def test_a_provider_that_does_not_answer_in_time_is_transient(fake_vercel: FakeVercel, settings: Any) -> None:
    settings.INTEGRATIONS_HTTP_TIMEOUT = 0.3
    token = fake_vercel.new_token()
    fake_vercel.fail["GET /v2/user"] = "stall"
    with pytest.raises(ProviderError) as caught:
        providers.get("vercel").verify(_access(token))
    assert not caught.value.permanent
    assert "did not answer in time" in str(caught.value)


def test_an_unreachable_provider_is_transient(settings: Any) -> None:
    settings.INTEGRATIONS_VERCEL_API_BASE = "http://127.0.0.1:9"
    with pytest.raises(ProviderError) as caught:
        providers.get("vercel").verify(_access("vcp_x"))
    assert not caught.value.permanent
    assert "could not be reached" in str(caught.value)


def test_create_key_makes_a_working_token_and_revoke_key_removes_it(fake_vercel: FakeVercel) -> None:
    vercel = providers.get("vercel")
    token = fake_vercel.new_token()
    new = vercel.create_key(_access(token, "team_javari"), name="javari-rotation")
    assert new.value in fake_vercel.live_values()
    assert new.value not in repr(new)
    assert vercel.verify(_access(new.value)).upstream_id == new.upstream_id

    vercel.revoke_key(_access(new.value), upstream_id=fake_vercel.token_id(token))
    assert token not in fake_vercel.live_values()
    # Revoking a key that is already gone counts as done.
    vercel.revoke_key(_access(new.value), upstream_id=fake_vercel.token_id(new.value) + "-gone")


def test_an_unreadable_answer_is_a_provider_error(fake_vercel: FakeVercel) -> None:
    token = fake_vercel.new_token()
    fake_vercel.fail["POST /v3/user/tokens"] = 200  # an empty error body where a token was due
    with pytest.raises(ProviderError, match="could not read"):
        providers.get("vercel").create_key(_access(token), name="javari-x")
