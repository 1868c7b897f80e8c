"""A fake GitHub REST API on 127.0.0.1: ``GET /user`` for the tokens in ``tokens`` (value → login),
with the ``GitHub-Authentication-Token-Expiration`` header for those in ``expiry`` (value → header
text). ``fail["GET /user"] = 502`` answers the next such request with that status; ``requests``
records ``(method, path, token)``."""

from __future__ import annotations

import json
import threading
from typing import Any

from tests.support.http import LocalHTTPServer, QuietHandler


class _Handler(QuietHandler):
    def do_GET(self) -> None:
        fake: FakeGitHub = self.server.fake  # type: ignore[assignment]
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").removeprefix("token ")
        fake.record(("GET", self.path, token))
        with fake.lock:
            injected = fake.fail.pop(f"GET {self.path}", None)
            login = fake.tokens.get(token)
            expiry = fake.expiry.get(token)
        if injected == "stall":
            fake.stopping.wait(30)
            return
        if injected:
            self._answer(int(injected), {"message": "Server Error"})
        elif self.path != "/user":
            self._answer(404, {"message": "Not Found"})
        elif login is None:
            self._answer(401, {"message": "Bad credentials", "status": "401"})
        else:
            headers = {"GitHub-Authentication-Token-Expiration": expiry} if expiry else {}
            self._answer(200, {"login": login, "id": 1}, headers)

    def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeGitHub(LocalHTTPServer):
    handler_class = _Handler

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.RLock()
        self.tokens: dict[str, str] = {}
        self.expiry: dict[str, str] = {}
        self.fail: dict[str, int | str] = {}

    def new_token(self, *, login: str = "ada", expires: str | None = None) -> str:
        value = f"github_pat_{len(self.tokens):04d}_" + "x" * 40
        with self.lock:
            self.tokens[value] = login
            if expires:
                self.expiry[value] = expires
        return value
