"""GitHub: a personal access token, verified against the user endpoint; no rotation API.

Calls (https://docs.github.com/en/rest, base ``INTEGRATIONS_GITHUB_API_BASE``):

- ``GET /user`` with ``Authorization: Bearer <token>``, ``Accept: application/vnd.github+json``
  and ``X-GitHub-Api-Version: 2022-11-28`` → ``{"login", "id", …}``; 401 for a bad or expired
  token. When the token has an expiry, the answer carries it in the
  ``GitHub-Authentication-Token-Expiration`` header, as ``2026-12-31 23:59:59 UTC`` (or with a
  numeric offset, ``2026-12-31 23:59:59 +0100``).

GitHub can't make personal access tokens through its API, so "rotation" is a reminder with these
steps and the token page's link; the health check warns before the expiry.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrations import http
from integrations.errors import ProviderError
from integrations.providers.base import Access, Field, Provider, Verification

NAME = "GitHub"
EXPIRY_HEADER = "GitHub-Authentication-Token-Expiration"


def _base() -> str:
    return str(settings.INTEGRATIONS_GITHUB_API_BASE).rstrip("/")


def parse_expiry(value: str | None) -> datetime | None:
    """The expiry header's instant (UTC), or None when it is missing or unreadable."""
    if not value:
        return None
    text = value.strip()
    for pattern in ("%Y-%m-%d %H:%M:%S %Z", "%Y-%m-%d %H:%M:%S %z"):
        try:
            parsed = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return None


class GitHubProvider(Provider):
    slug = "github"
    name = NAME
    description = _("Manage repositories and code")
    capabilities = ("repos", "commits", "pull_requests", "actions")
    fields = (
        Field(
            "personal_access_token",
            _("Personal access token"),
            _(
                "Make a fine-grained token in GitHub under Settings → Developer settings → "
                "Personal access tokens."
            ),
            secret=True,
            max_length=255,
            placeholder="github_pat_…",
        ),
    )
    token_page_url = "https://github.com/settings/personal-access-tokens"  # noqa: S105 (a web page)
    rotation_steps = (
        _("Open GitHub's personal access tokens page (the link below)."),
        _("Regenerate the token Javari uses, or make a new one with the same access."),
        _("Paste the new token into this integration in Javari and save: Javari checks it."),
        _("Delete the old token on GitHub if you made a new one."),
    )

    def verify(self, access: Access) -> Verification:
        response = http.call(
            "GET",
            f"{_base()}/user",
            provider=NAME,
            headers={
                "Authorization": f"Bearer {access.secret('personal_access_token')}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderError(gettext("GitHub sent an answer Javari could not read.")) from exc
        login = str(body.get("login") or "")[:200] if isinstance(body, dict) else ""
        return Verification(account=login, expires_at=parse_expiry(response.headers.get(EXPIRY_HEADER)))
