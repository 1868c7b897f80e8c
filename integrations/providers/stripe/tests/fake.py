"""A fake Stripe API on 127.0.0.1 for the one call the Stripe integration makes: ``GET /v1/balance``.

Separate from ``credits/tests/fake_stripe.py`` (payments: checkout, customers, webhooks).
``FakeStripe`` keeps the keys it knows (``keys``: value → ``{"livemode", "balance_read"}``; a
restricted key without "Balance: Read" answers 403). Faults per route, as the other fakes:
``fail["GET /v1/balance"] = 500`` answers the next such request with 500 (``fail_always`` for every
one; a 200 there sends a body that isn't JSON), ``"stall"`` waits past any client timeout, and
``reject`` lists keys answered 401 although they exist (a rolled key). ``requests`` records
``(method, path, key)``.
"""

from __future__ import annotations

import json
import secrets
import threading
from typing import Any
from urllib.parse import urlsplit

from tests.support.http import LocalHTTPServer, QuietHandler


class _Handler(QuietHandler):
    def _answer(self, status: int, body: dict[str, Any] | bytes) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, kind: str, message: str, code: str = "") -> None:
        self._answer(status, {"error": {"type": kind, "code": code, "message": message}})

    def do_GET(self) -> None:
        fake: FakeStripe = self.server.fake  # type: ignore[assignment]
        path = urlsplit(self.path).path
        auth = self.headers.get("Authorization", "")
        key = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else ""
        fake.record(("GET", path, key))
        status = fake.fault(f"GET {path}")
        if status == "stall":
            fake.stopping.wait(30)
            return
        if status == 200:
            self._answer(200, b"<html>not json</html>")
            return
        if status:
            self._error(int(status), "api_error", "injected")
            return
        with fake.lock:
            known = fake.keys.get(key)
            if known is None or key in fake.reject:
                # Stripe masks the key in its own message; the adapter never shows this body anyway.
                self._error(401, "invalid_request_error", f"Invalid API Key provided: {key[:8]}****")
                return
            if path != "/v1/balance":
                self._error(404, "invalid_request_error", "Unrecognized request URL", "resource_missing")
                return
            if not known["balance_read"]:
                self._error(
                    403,
                    "invalid_request_error",
                    "The provided key does not have the required permissions for this endpoint.",
                    "secret_key_required",
                )
                return
            self._answer(
                200,
                {
                    "object": "balance",
                    "available": [{"amount": 1234, "currency": "usd", "source_types": {"card": 1234}}],
                    "pending": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}],
                    "livemode": known["livemode"],
                },
            )


class FakeStripe(LocalHTTPServer):
    handler_class = _Handler

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.RLock()
        self.keys: dict[str, dict[str, Any]] = {}
        self.reject: set[str] = set()
        self.fail: dict[str, int | str] = {}
        self.fail_always: dict[str, int | str] = {}

    def new_key(self, *, prefix: str = "sk_test_", livemode: bool = False, balance_read: bool = True) -> str:
        """A key Stripe accepts, as if copied from the dashboard; returns its value."""
        value = prefix + secrets.token_urlsafe(32)
        with self.lock:
            self.keys[value] = {"livemode": livemode, "balance_read": balance_read}
        return value

    def fault(self, route: str) -> int | str | None:
        with self.lock:
            if route in self.fail:
                return self.fail.pop(route)
            return self.fail_always.get(route)
