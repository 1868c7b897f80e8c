"""A fake Google on 127.0.0.1: the OAuth consent page (which answers at once, as if the person had
clicked Allow), the token endpoint (authorization codes with their PKCE check, refresh tokens),
the revoke endpoint and Gmail's profile endpoint, as the provider's docstring lists them.

``FakeGoogle`` knows one OAuth client (``client_id``/``client_secret``) and one mailbox (``email``).
``deny = True`` makes the consent page send ``error=access_denied``. Faults per route, as the other
fakes: ``fail["POST /token"] = 500`` once (``fail_always`` every time; a 200 sends a body that isn't
JSON), ``"stall"`` waits past any client timeout, ``reject`` lists access tokens answered 401 although
they are live. ``requests`` records ``(method, path, fields)`` (the query or form, as a dict).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.support.http import LocalHTTPServer, QuietHandler

AUTH_PATH = "/o/oauth2/v2/auth"
TOKEN_PATH = "/token"
REVOKE_PATH = "/revoke"
PROFILE_PATH = "/gmail/v1/users/me/profile"


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


class _Handler(QuietHandler):
    def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        fake: FakeGoogle = self.server.fake  # type: ignore[assignment]
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        fields = {key: values[0] for key, values in parse_qs(parts.query if method == "GET" else raw).items()}
        fake.record((method, parts.path, fields))
        fault = fake.fault(f"{method} {parts.path}")
        if fault == "stall":
            fake.stopping.wait(30)
            return
        if fault == 200:
            self._answer(200, b"<html>not json</html>")
            return
        if fault:
            self._answer(int(fault), {"error": "internal_failure"})
            return
        with fake.lock:
            if method == "GET" and parts.path == AUTH_PATH:
                self._authorize(fake, fields)
            elif method == "POST" and parts.path == TOKEN_PATH:
                self._token(fake, fields)
            elif method == "POST" and parts.path == REVOKE_PATH:
                if fake.revoke(fields.get("token", "")):
                    self._answer(200, {})
                else:
                    self._answer(
                        400, {"error": "invalid_token", "error_description": "Token expired or revoked"}
                    )
            elif method == "GET" and parts.path == PROFILE_PATH:
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ")
                if token not in fake.access_tokens or token in fake.reject:
                    self._answer(
                        401,
                        {
                            "error": {
                                "code": 401,
                                "message": "Invalid Credentials",
                                "status": "UNAUTHENTICATED",
                            }
                        },
                    )
                else:
                    self._answer(
                        200,
                        {
                            "emailAddress": fake.email,
                            "messagesTotal": 42,
                            "threadsTotal": 17,
                            "historyId": "1234",
                        },
                    )
            else:
                self._answer(404, {"error": "not_found"})

    def _authorize(self, fake: FakeGoogle, fields: dict[str, str]) -> None:
        redirect_uri = fields.get("redirect_uri", "")
        if fields.get("client_id") != fake.client_id or not redirect_uri:
            self._answer(400, {"error": "invalid_client"})
            return
        back = {"state": fields.get("state", "")}
        if fake.deny:
            back["error"] = "access_denied"
        else:
            code = "4/" + secrets.token_urlsafe(24)
            fake.codes[code] = {
                "challenge": fields.get("code_challenge", ""),
                "method": fields.get("code_challenge_method", ""),
                "redirect_uri": redirect_uri,
                "offline": fields.get("access_type") == "offline",
                "scope": fields.get("scope", ""),
            }
            back["code"] = code
        self._answer(302, {}, {"Location": f"{redirect_uri}?{urlencode(back)}"})

    def _token(self, fake: FakeGoogle, fields: dict[str, str]) -> None:
        if fields.get("client_id") != fake.client_id or fields.get("client_secret") != fake.client_secret:
            self._answer(401, {"error": "invalid_client", "error_description": "Unauthorized"})
            return
        grant = fields.get("grant_type")
        if grant == "authorization_code":
            issued = fake.codes.pop(fields.get("code", ""), None)  # a code works once
            verifier = fields.get("code_verifier", "")
            if (
                issued is None
                or issued["method"] != "S256"
                or s256(verifier) != issued["challenge"]
                or issued["redirect_uri"] != fields.get("redirect_uri")
            ):
                self._answer(400, {"error": "invalid_grant", "error_description": "Bad Request"})
                return
            refresh = fake.new_refresh_token() if issued["offline"] else ""
            body = fake.new_access_token(refresh)
            if refresh:
                body["refresh_token"] = refresh
            body["scope"] = issued["scope"]
            self._answer(200, body)
        elif grant == "refresh_token":
            refresh = fields.get("refresh_token", "")
            if refresh not in fake.refresh_tokens:
                self._answer(
                    400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
                )
                return
            self._answer(200, fake.new_access_token(refresh))
        else:
            self._answer(400, {"error": "unsupported_grant_type"})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")


class FakeGoogle(LocalHTTPServer):
    handler_class = _Handler

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.RLock()
        self.client_id = "javari-test.apps.googleusercontent.com"
        self.client_secret = "GOCSPX-" + secrets.token_urlsafe(20)
        self.email = "ada@example.com"
        self.expires_in = 3599
        self.deny = False
        self.codes: dict[str, dict[str, Any]] = {}
        # access token → the refresh token it came from ("" when none)
        self.access_tokens: dict[str, str] = {}
        self.refresh_tokens: set[str] = set()
        self.revoked: set[str] = set()
        self.reject: set[str] = set()
        self.fail: dict[str, int | str] = {}
        self.fail_always: dict[str, int | str] = {}

    def new_refresh_token(self) -> str:
        value = "1//" + secrets.token_urlsafe(32)
        with self.lock:
            self.refresh_tokens.add(value)
        return value

    def new_access_token(self, refresh: str = "") -> dict[str, Any]:
        value = "ya29." + secrets.token_urlsafe(32)
        with self.lock:
            self.access_tokens[value] = refresh
        return {"access_token": value, "expires_in": self.expires_in, "token_type": "Bearer"}

    def revoke(self, token: str) -> bool:
        """Revoke a refresh token (and every access token it made) or one access token."""
        with self.lock:
            if token in self.refresh_tokens:
                self.refresh_tokens.discard(token)
                for access, refresh in list(self.access_tokens.items()):
                    if refresh == token:
                        del self.access_tokens[access]
                self.revoked.add(token)
                return True
            if token in self.access_tokens:
                del self.access_tokens[token]
                self.revoked.add(token)
                return True
            return False

    def fault(self, route: str) -> int | str | None:
        with self.lock:
            if route in self.fail:
                return self.fail.pop(route)
            return self.fail_always.get(route)
