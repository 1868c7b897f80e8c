"""A fake Vercel REST API on 127.0.0.1 for the calls Javari makes (see the provider's docstring).

``FakeVercel`` keeps tokens (``tokens``: value → ``{"id", "name", "expiresAt"}``), one user and the
teams the tokens reach. Faults are set per route: ``fail["POST /v3/user/tokens"] = 500`` answers
500 to the next such request (``fail_always`` for every one), ``stall`` makes a route wait longer
than any client timeout, and ``reject`` lists token values answered 401 although they exist (a
new key that fails its test). ``requests`` records ``(method, path, token)`` for each call.
"""

from __future__ import annotations

import json
import secrets
import threading
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.support.http import LocalHTTPServer, QuietHandler


class _Handler(QuietHandler):
    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        fake: FakeVercel = self.server.fake  # type: ignore[assignment]
        parts = urlsplit(self.path)
        path = parts.path
        query = parse_qs(parts.query)
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else ""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fake.record((method, path, token))
        route = f"{method} {_route(path)}"
        status = fake.fault(route)
        if status == "stall":
            fake.stopping.wait(30)
            return
        if status:
            self._answer(int(status), {"error": {"code": "internal_server_error", "message": "injected"}})
            return
        with fake.lock:
            known = fake.tokens.get(token)
            if known is None or token in fake.reject:
                self._answer(
                    403, {"error": {"code": "forbidden", "message": "Not authorized", "invalidToken": True}}
                )
                return
            team = (query.get("teamId") or [""])[0]
            if team and team not in fake.teams:
                self._answer(403, {"error": {"code": "forbidden", "message": "Not authorized"}})
                return
            if method == "GET" and path == "/v2/user":
                self._answer(200, {"user": dict(fake.user)})
            elif method == "GET" and path.startswith("/v2/teams/"):
                team_id = unquote(path.removeprefix("/v2/teams/"))
                if team_id not in fake.teams:
                    self._answer(404, {"error": {"code": "not_found", "message": "Team not found"}})
                else:
                    self._answer(200, {"id": team_id, "slug": team_id, "name": team_id})
            elif method == "GET" and path == "/v5/user/tokens/current":
                self._answer(200, {"token": {**known, "type": "oauth2-token"}})
            elif method == "POST" and path == "/v3/user/tokens":
                body = json.loads(raw or b"{}")
                value = fake.new_token(name=str(body.get("name", "")))
                self._answer(200, {"token": dict(fake.tokens[value]), "bearerToken": value})
            elif method == "DELETE" and path.startswith("/v3/user/tokens/"):
                token_id = unquote(path.removeprefix("/v3/user/tokens/"))
                gone = [value for value, meta in fake.tokens.items() if meta["id"] == token_id]
                if not gone:
                    self._answer(404, {"error": {"code": "not_found", "message": "Token not found"}})
                    return
                for value in gone:
                    del fake.tokens[value]
                    fake.revoked.add(token_id)
                self._answer(200, {"tokenId": token_id})
            else:
                self._answer(404, {"error": {"code": "not_found", "message": "Not found"}})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


def _route(path: str) -> str:
    for prefix in ("/v2/teams/", "/v3/user/tokens/"):
        if path.startswith(prefix):
            return prefix + "{id}"
    return path


class FakeVercel(LocalHTTPServer):
    handler_class = _Handler

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.RLock()
        self.tokens: dict[str, dict[str, Any]] = {}
        self.revoked: set[str] = set()
        self.reject: set[str] = set()
        self.teams: set[str] = {"team_javari"}
        self.user = {"id": "user_ada", "email": "ada@example.com", "username": "ada"}
        self.fail: dict[str, int | str] = {}
        self.fail_always: dict[str, int | str] = {}

    def new_token(self, *, name: str = "made by hand", expires_at_ms: int | None = None) -> str:
        """A token that works, as if made on Vercel's tokens page; returns its value."""
        value = "vcp_" + secrets.token_urlsafe(24)
        meta: dict[str, Any] = {"id": "tok_" + secrets.token_hex(8), "name": name}
        if expires_at_ms is not None:
            meta["expiresAt"] = expires_at_ms
        with self.lock:
            self.tokens[value] = meta
        return value

    def fault(self, route: str) -> int | str | None:
        """The injected answer for ``route`` ("POST /v3/user/tokens"), once or always, if any."""
        with self.lock:
            if route in self.fail:
                return self.fail.pop(route)
            return self.fail_always.get(route)

    def token_id(self, value: str) -> str:
        return str(self.tokens[value]["id"])

    def live_values(self) -> set[str]:
        with self.lock:
            return set(self.tokens)
