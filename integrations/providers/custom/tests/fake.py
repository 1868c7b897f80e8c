"""A fake "any API" on 127.0.0.1 for the custom integration: it checks a key the way it is told to
(``auth``: "bearer", "header", "basic" or "query", with ``header_name``/``query_param``/``username``)
and answers ``status`` at ``path`` (other paths 404; a wrong or missing key 401).

Faults, as the other fakes: ``fail["GET /health"] = 500`` once (``fail_always`` for every one),
``"stall"`` waits past any client timeout. ``requests`` records ``(method, path, headers, query)``
so tests can see where the key travelled.
"""

from __future__ import annotations

import base64
import json
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.http import LocalHTTPServer, QuietHandler


class _Handler(QuietHandler):
    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if 300 <= status < 400:
            self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        fake: FakeCustomAPI = self.server.fake  # type: ignore[assignment]
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        fake.record(("GET", parts.path, dict(self.headers.items()), query))
        fault = fake.fault(f"GET {parts.path}")
        if fault == "stall":
            fake.stopping.wait(30)
            return
        if fault:
            self._answer(int(fault), {"error": "injected"})
            return
        if not fake.authorised(self.headers, query):
            self._answer(401, {"error": "unauthorized"})
            return
        if parts.path != fake.path:
            self._answer(404, {"error": "not found"})
            return
        self._answer(fake.status, {"ok": True})


class FakeCustomAPI(LocalHTTPServer):
    handler_class = _Handler

    def __init__(self, *, auth: str = "bearer", key: str = "custom-key-0123456789abcdef") -> None:
        super().__init__()
        self.lock = threading.RLock()
        self.auth = auth
        self.key = key
        self.header_name = "X-Api-Key"
        self.query_param = "api_key"
        self.username = "ada"
        self.path = "/health"
        self.status = 200
        self.fail: dict[str, int | str] = {}
        self.fail_always: dict[str, int | str] = {}

    def authorised(self, headers: Any, query: dict[str, list[str]]) -> bool:
        if self.auth == "bearer":
            return bool(headers.get("Authorization") == f"Bearer {self.key}")
        if self.auth == "header":
            return bool(headers.get(self.header_name) == self.key)
        if self.auth == "query":
            return query.get(self.query_param) == [self.key]
        expected = base64.b64encode(f"{self.username}:{self.key}".encode()).decode()
        return bool(headers.get("Authorization") == f"Basic {expected}")

    def fault(self, route: str) -> int | str | None:
        with self.lock:
            if route in self.fail:
                return self.fail.pop(route)
            return self.fail_always.get(route)
