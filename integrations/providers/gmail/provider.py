"""Gmail: connected with Google's OAuth 2.0 authorization code flow (PKCE, offline access), verified
by reading the mailbox's profile; the access token renewed from the refresh token before it expires,
and the grant revoked on disconnect.

Calls (https://developers.google.com/identity/protocols/oauth2/web-server,
https://developers.google.com/gmail/api/reference/rest/v1/users/getProfile); client id and secret
are the deployment's ``GOOGLE_OAUTH_CLIENT_ID``/``GOOGLE_OAUTH_CLIENT_SECRET``:

- the browser goes to ``INTEGRATIONS_GOOGLE_AUTH_URL`` with ``response_type=code``, ``client_id``,
  ``redirect_uri``, ``scope`` (``SCOPES``), ``state``, ``code_challenge`` (S256 of the verifier,
  RFC 7636), ``code_challenge_method=S256``, ``access_type=offline`` and ``prompt=consent`` (so
  Google sends a refresh token every time); Google sends it back to ``redirect_uri`` with
  ``code`` and ``state``, or ``error=access_denied``;
- ``POST INTEGRATIONS_GOOGLE_TOKEN_URL`` (form) ``grant_type=authorization_code``, ``code``,
  ``code_verifier``, ``redirect_uri``, ``client_id``, ``client_secret`` → ``{"access_token",
  "expires_in" (seconds), "refresh_token", "scope", "token_type": "Bearer", "id_token"}``; a bad
  code, verifier or redirect URI is 400 ``{"error": "invalid_grant"}``;
- the same URL with ``grant_type=refresh_token``, ``refresh_token``, ``client_id``,
  ``client_secret`` → ``{"access_token", "expires_in", …}``; 400 ``invalid_grant`` when the grant
  was revoked or expired (the person must connect again);
- ``GET {INTEGRATIONS_GMAIL_API_BASE}/gmail/v1/users/me/profile`` with ``Authorization: Bearer
  <access token>`` → ``{"emailAddress", "messagesTotal", "threadsTotal", "historyId"}``; 401 when the
  token is wrong or expired;
- ``POST INTEGRATIONS_GOOGLE_REVOKE_URL`` (form) ``token=<refresh token>`` → 200; 400
  ``{"error": "invalid_token"}`` when it is already revoked.

The authorization URL is built by Authlib's ``OAuth2Client`` (PKCE, S256). The token calls go
through ``integrations.http.call`` instead of Authlib's ``fetch_token``/``refresh_token``: one path
for the guard, the timeout and the permanent/transient mapping of every failure, where Authlib
raises ``OAuthError``, httpx's status errors or a JSON ``ValueError`` depending on the answer.

A Google grant isn't a key to rotate: "rotation" is a reminder to reconnect, and the access token
renews itself (``refresh``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrations import http
from integrations.errors import ProviderError
from integrations.providers.base import Access, Provider, Refreshed, Verification

NAME = "Gmail"
SCOPES = (
    "openid",
    "email",
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/gmail.send",
)
# The access token is renewed when it expires within this long (Google's last one hour).
REFRESH_MARGIN = timedelta(minutes=5)
# RFC 7636 §4.1: a verifier is 43 to 128 characters.
VERIFIER_LENGTH = 64


def configured() -> bool:
    """Whether this deployment has a Google OAuth client (without one Gmail can't be connected)."""
    return bool(settings.GOOGLE_OAUTH_CLIENT_ID and settings.GOOGLE_OAUTH_CLIENT_SECRET)


def new_code_verifier() -> str:
    return generate_token(VERIFIER_LENGTH)


def authorization_url(*, redirect_uri: str, state: str, code_verifier: str) -> str:
    """Google's consent page for this deployment's client, asking for offline access with PKCE."""
    client = OAuth2Client(
        client_id=settings.GOOGLE_OAUTH_CLIENT_ID,
        scope=" ".join(SCOPES),
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    try:
        url, _state = client.create_authorization_url(
            settings.INTEGRATIONS_GOOGLE_AUTH_URL,
            state=state,
            code_verifier=code_verifier,
            access_type="offline",
            prompt="consent",
            include_granted_scopes="true",
        )
    finally:
        client.close()
    return str(url)


def _token_call(data: dict[str, str]) -> dict[str, Any]:
    """POST to Google's token endpoint; ``invalid_grant`` and the like are permanent."""
    response = http.call(
        "POST",
        settings.INTEGRATIONS_GOOGLE_TOKEN_URL,
        provider="Google",
        ok=(200, 400, 401),
        data={
            **data,
            "client_id": settings.GOOGLE_OAUTH_CLIENT_ID,
            "client_secret": settings.GOOGLE_OAUTH_CLIENT_SECRET,
        },
    )
    try:
        body = response.json()
    except ValueError as exc:
        raise ProviderError(gettext("Google sent an answer Javari could not read.")) from exc
    if not isinstance(body, dict):
        raise ProviderError(gettext("Google sent an answer Javari could not read."))
    if response.status_code != 200 or "error" in body:
        if body.get("error") == "invalid_grant":
            message = gettext("Google no longer accepts this authorization: connect Gmail again.")
        else:
            message = gettext("Google refused the authorization (%(error)s).") % {
                "error": str(body.get("error") or response.status_code)[:60]
            }
        raise ProviderError(message, permanent=True, status=response.status_code)
    if not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise ProviderError(gettext("Google sent an answer Javari could not read."))
    return body


def _expiry(body: Mapping[str, Any], now: datetime) -> datetime | None:
    seconds = body.get("expires_in")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and 0 < seconds < 10**7:
        return now + timedelta(seconds=seconds)
    return None


def exchange_code(*, code: str, code_verifier: str, redirect_uri: str, now: datetime) -> Refreshed:
    """Trade the authorization ``code`` for tokens: ``access_token`` (with its expiry) and
    ``refresh_token``. Raises ``ProviderError`` (permanent when Google refuses the code, or when it
    sends no refresh token)."""
    body = _token_call(
        {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": code_verifier,
            "redirect_uri": redirect_uri,
        }
    )
    refresh_token = body.get("refresh_token")
    if not isinstance(refresh_token, str) or not refresh_token:
        raise ProviderError(
            gettext("Google gave no offline access, so Javari couldn't stay connected: try again."),
            permanent=True,
        )
    return Refreshed(
        secrets={"access_token": body["access_token"], "refresh_token": refresh_token},
        expires={"access_token": _expiry(body, now), "refresh_token": None},
    )


class GmailProvider(Provider):
    slug = "gmail"
    name = NAME
    description = _("Read and send emails")
    capabilities = ("read_email", "send_email", "search")
    uses_oauth = True
    oauth_start_url_name = "integrations_gmail:start"
    token_page_url = "https://myaccount.google.com/permissions"  # noqa: S105 (a web page)
    rotation_steps = (
        _("Disconnect this Gmail integration in Javari (Google's grant is revoked)."),
        _("Connect Gmail again and allow access on Google's page."),
        _("Check on Google's third-party access page (the link below) that only one grant is left."),
    )

    def verify(self, access: Access) -> Verification:
        response = http.call(
            "GET",
            f"{str(settings.INTEGRATIONS_GMAIL_API_BASE).rstrip('/')}/gmail/v1/users/me/profile",
            provider=NAME,
            headers={"Authorization": f"Bearer {access.secret('access_token')}"},
        )
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderError(gettext("Gmail sent an answer Javari could not read.")) from exc
        email = body.get("emailAddress") if isinstance(body, dict) else None
        if not isinstance(email, str) or not email:
            raise ProviderError(gettext("Gmail sent an answer Javari could not read."))
        return Verification(account=email[:200])

    def refresh(
        self, access: Access, *, expires: Mapping[str, datetime | None], now: datetime
    ) -> Refreshed | None:
        """A new access token when the current one expires within ``REFRESH_MARGIN`` (or is gone)."""
        expiry = expires.get("access_token")
        if access.secret("access_token") and expiry is not None and expiry > now + REFRESH_MARGIN:
            return None
        refresh_token = access.secret("refresh_token")
        if not refresh_token:
            raise ProviderError(
                gettext("Google no longer accepts this authorization: connect Gmail again."), permanent=True
            )
        body = _token_call({"grant_type": "refresh_token", "refresh_token": refresh_token})
        secrets = {"access_token": str(body["access_token"])}
        # Google sends a new refresh token only sometimes; when it does, the old one stops working.
        if isinstance(body.get("refresh_token"), str) and body["refresh_token"]:
            secrets["refresh_token"] = body["refresh_token"]
        return Refreshed(secrets=secrets, expires={"access_token": _expiry(body, now)})

    def disconnect(self, access: Access) -> None:
        """Revoke the grant (the refresh token; the access tokens die with it)."""
        token = access.secret("refresh_token") or access.secret("access_token")
        if not token:
            return
        response = http.call(
            "POST",
            settings.INTEGRATIONS_GOOGLE_REVOKE_URL,
            provider="Google",
            ok=(200, 400),
            data={"token": token},
        )
        # 400 invalid_token: already revoked (by the person on Google's side, say): that is the goal.
        if response.status_code == 400:
            return
