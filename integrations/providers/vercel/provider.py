"""Vercel: an access token (and optionally a team), verified against the user endpoint, rotated by
Vercel's REST API.

Calls (https://vercel.com/docs/rest-api, base ``INTEGRATIONS_VERCEL_API_BASE``), each with
``Authorization: Bearer <token>`` and, when a team is set, ``?teamId=<team>``:

- ``GET /v2/user`` → ``{"user": {"id", "email", "username", …}}``: the token works;
- ``GET /v2/teams/{teamId}`` → ``{"id", "slug", "name", …}``: the token reaches the team (403 or
  404 when it doesn't);
- ``GET /v5/user/tokens/current`` → ``{"token": {"id", "name", "expiresAt" (ms, optional), …}}``:
  the id of the token in use, so a rotation can revoke it;
- ``POST /v3/user/tokens`` with ``{"name": …}`` → ``{"token": {"id", …}, "bearerToken": "…"}``
  (the new token's value is only in this answer);
- ``DELETE /v3/user/tokens/{tokenId}`` → ``{"tokenId": …}``; 404 when it is already gone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrations import http
from integrations.errors import ProviderError
from integrations.providers.base import Access, Field, NewKey, Provider, Verification

NAME = "Vercel"


def _base() -> str:
    return str(settings.INTEGRATIONS_VERCEL_API_BASE).rstrip("/")


def _expiry(token: dict[str, Any]) -> datetime | None:
    milliseconds = token.get("expiresAt")
    if not isinstance(milliseconds, int | float) or milliseconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise ProviderError(gettext("Vercel sent an answer Javari could not read.")) from exc
    if not isinstance(body, dict):
        raise ProviderError(gettext("Vercel sent an answer Javari could not read."))
    return body


class VercelProvider(Provider):
    slug = "vercel"
    name = NAME
    description = _("Deploy and manage your projects")
    capabilities = ("deploy", "logs", "domains", "environment_variables")
    fields = (
        Field(
            "api_token",
            _("Access token"),
            _("Make one in Vercel under Account Settings → Tokens. Give it the scope of your team."),
            secret=True,
            max_length=200,
        ),
        Field(
            "team_id",
            _("Team ID"),
            _(
                "Your team's ID (team_…) from the team's Settings → General. "
                "Leave blank for your personal account."
            ),
            required=False,
            max_length=100,
            placeholder="team_…",
        ),
    )
    rotates_by_api = True
    rotated_field = "api_token"
    token_page_url = "https://vercel.com/account/settings/tokens"  # noqa: S105 (a web page)

    def _headers(self, access: Access) -> dict[str, str]:
        return {"Authorization": f"Bearer {access.secret('api_token')}"}

    def _params(self, access: Access) -> dict[str, str]:
        team = str(access.config.get("team_id") or "")
        return {"teamId": team} if team else {}

    def verify(self, access: Access) -> Verification:
        headers = self._headers(access)
        params = self._params(access)
        with http.client() as session:
            user = _json(http.call("GET", f"{_base()}/v2/user", provider=NAME, http=session, headers=headers))
            account = _object(user.get("user"))
            if params:
                try:
                    http.call(
                        "GET",
                        f"{_base()}/v2/teams/{quote(params['teamId'], safe='')}",
                        provider=NAME,
                        http=session,
                        headers=headers,
                    )
                except ProviderError as exc:
                    if exc.status in (403, 404):
                        raise ProviderError(
                            gettext("This token has no access to the team %(team)s.")
                            % {"team": params["teamId"]},
                            permanent=True,
                            status=exc.status,
                            field="team_id",  # shown beside the Team ID, not above the form
                        ) from exc
                    raise
            current = _json(
                http.call(
                    "GET", f"{_base()}/v5/user/tokens/current", provider=NAME, http=session, headers=headers
                )
            )
        token = _object(current.get("token"))
        label = str(account.get("username") or account.get("email") or "")[:200]
        return Verification(
            account=label, expires_at=_expiry(token), upstream_id=str(token.get("id") or "")[:200]
        )

    def create_key(self, access: Access, *, name: str) -> NewKey:
        body = _json(
            http.call(
                "POST",
                f"{_base()}/v3/user/tokens",
                provider=NAME,
                headers=self._headers(access),
                params=self._params(access),
                json={"name": name},
            )
        )
        token = _object(body.get("token"))
        value = body.get("bearerToken")
        if not isinstance(value, str) or not value or not token.get("id"):
            raise ProviderError(gettext("Vercel sent an answer Javari could not read."))
        return NewKey(value=value, upstream_id=str(token["id"])[:200], expires_at=_expiry(token))

    def revoke_key(self, access: Access, *, upstream_id: str) -> None:
        try:
            http.call(
                "DELETE",
                f"{_base()}/v3/user/tokens/{quote(upstream_id, safe='')}",
                provider=NAME,
                headers=self._headers(access),
                params=self._params(access),
            )
        except ProviderError as exc:
            if exc.status == 404:
                return  # already gone: revoked is what we wanted
            raise
