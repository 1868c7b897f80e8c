"""The GitHub adapter against the fake GitHub API: the login and the token's expiry header."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations import providers
from integrations.errors import ProviderError
from integrations.providers import Access
from integrations.providers.github.provider import parse_expiry
from integrations.providers.github.tests.fake import FakeGitHub


def test_verify_reads_the_login_and_the_expiry_header(fake_github: FakeGitHub) -> None:
    token = fake_github.new_token(login="octo", expires="2027-01-15 10:00:00 UTC")
    result = providers.get("github").verify(Access(config={}, secrets={"personal_access_token": token}))
    assert result.account == "octo"
    assert result.expires_at == datetime(2027, 1, 15, 10, 0, tzinfo=UTC)
    assert fake_github.requests[-1] == ("GET", "/user", token)


def test_a_token_without_expiry_has_none(fake_github: FakeGitHub) -> None:
    token = fake_github.new_token()
    result = providers.get("github").verify(Access(config={}, secrets={"personal_access_token": token}))
    assert result.expires_at is None


def test_bad_credentials_are_permanent(fake_github: FakeGitHub) -> None:
    with pytest.raises(ProviderError) as caught:
        providers.get("github").verify(
            Access(config={}, secrets={"personal_access_token": "github_pat_wrong"})
        )
    assert caught.value.permanent
    assert "github_pat_wrong" not in str(caught.value)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2026-12-31 23:59:59 UTC", datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("2026-12-31 23:59:59 +0100", datetime(2026, 12, 31, 22, 59, 59, tzinfo=UTC)),
        ("not a date", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_expiry(header: str | None, expected: datetime | None) -> None:
    assert parse_expiry(header) == expected


def test_github_cannot_rotate_by_api_and_says_how_to() -> None:
    github = providers.get("github")
    assert not github.rotates(Access(config={}, secrets={}))
    assert github.token_page_url.startswith("https://github.com/")
    assert len(github.rotation_steps) >= 3
