"""A fake Supabase on 127.0.0.1: one project's REST root (``/rest/v1/``) and the Management API's
project and API-key routes (``/v1/projects/{ref}…``), as the provider's docstring lists them. Tests
point both the project URL and ``INTEGRATIONS_SUPABASE_API_BASE`` at it.

``FakeSupabase`` has one project (``ref``, ``project_name``), its legacy JWT keys (``legacy_anon``,
``legacy_service_role``), its new-style keys (``keys``: id → ``{"name", "type", "api_key"}``) and the
management tokens it accepts. Faults per route, as the other fakes: ``fail["POST
/v1/projects/{ref}/api-keys"] = 500`` once (``fail_always`` every time; a 200 sends a body that isn't
JSON), ``"stall"`` waits past any client timeout, ``reject`` lists key or token values answered 401
although they exist. ``requests`` records ``(method, path, apikey or bearer)``.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.support.http import LocalHTTPServer, QuietHandler

_KEY_NAME = re.compile(r"^[a-z_][a-z0-9_]+$")


def legacy_jwt(role: str, ref: str) -> str:
    """A legacy Supabase key's shape: a JWT with ``role`` and ``ref`` (its signature is not checked here)."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    signature = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    claims = {"iss": "supabase", "ref": ref, "role": role}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{signature}"


class _Handler(QuietHandler):
    def _answer(self, status: int, body: Any) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        fake: FakeSupabase = self.server.fake  # type: ignore[assignment]
        parts = urlsplit(self.path)
        path = parts.path
        reveal = parse_qs(parts.query).get("reveal") == ["true"]
        apikey = self.headers.get("apikey", "")
        auth = self.headers.get("Authorization", "")
        bearer = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else ""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fake.record((method, path, apikey or bearer))
        route = f"{method} {_route(path, fake.ref)}"
        fault = fake.fault(route)
        if fault == "stall":
            fake.stopping.wait(30)
            return
        if fault == 200:
            self._answer(200, b"<html>not json</html>")
            return
        if fault:
            self._answer(int(fault), {"message": "injected"})
            return
        with fake.lock:
            if path == "/rest/v1/":
                if (
                    method == "GET"
                    and apikey in fake.project_keys()
                    and bearer == apikey
                    and apikey not in fake.reject
                ):
                    self._answer(200, {"swagger": "2.0", "info": {"title": "PostgREST API"}, "paths": {}})
                else:
                    self._answer(
                        401, {"message": "Invalid API key", "hint": "Double check your Supabase API key."}
                    )
                return
            if not path.startswith("/v1/projects/"):
                self._answer(404, {"message": "Not found"})
                return
            if bearer not in fake.management_tokens or bearer in fake.reject:
                self._answer(401, {"message": "Unauthorized"})
                return
            rest = path.removeprefix("/v1/projects/").split("/")
            if unquote(rest[0]) != fake.ref:
                self._answer(404, {"message": "Project not found"})
                return
            if method == "GET" and len(rest) == 1:
                self._answer(200, fake.project())
            elif method == "GET" and rest[1:] == ["api-keys"]:
                self._answer(200, fake.listing(reveal=reveal))
            elif method == "GET" and len(rest) == 3 and rest[1] == "api-keys":
                key_id = unquote(rest[2])
                if key_id not in fake.keys:
                    self._answer(404, {"message": "API key not found"})
                else:
                    self._answer(200, fake.shown(key_id, reveal=reveal))
            elif method == "POST" and rest[1:] == ["api-keys"]:
                body = json.loads(raw or b"{}")
                name = str(body.get("name") or "")
                if (
                    body.get("type") not in ("secret", "publishable")
                    or not _KEY_NAME.match(name)
                    or len(name) > 64
                ):
                    self._answer(400, {"message": "Invalid request body"})
                    return
                key_id = fake.new_key(name=name, kind=str(body["type"]))
                self._answer(201, fake.shown(key_id, reveal=reveal and not fake.hide_new_values))
            elif method == "DELETE" and len(rest) == 3 and rest[1] == "api-keys":
                key_id = unquote(rest[2])
                if key_id not in fake.keys:
                    self._answer(404, {"message": "API key not found"})
                    return
                shown = fake.shown(key_id, reveal=False)
                del fake.keys[key_id]
                fake.deleted.add(key_id)
                self._answer(200, shown)
            else:
                self._answer(404, {"message": "Not found"})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


def _route(path: str, ref: str) -> str:
    path = path.replace(f"/v1/projects/{ref}", "/v1/projects/{ref}")
    if path.startswith("/v1/projects/{ref}/api-keys/"):
        return "/v1/projects/{ref}/api-keys/{id}"
    return path


class FakeSupabase(LocalHTTPServer):
    handler_class = _Handler

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.RLock()
        self.ref = "abcdefghijklmnopqrst"
        self.project_name = "Javari production"
        self.legacy_anon = legacy_jwt("anon", self.ref)
        self.legacy_service_role = legacy_jwt("service_role", self.ref)
        self.keys: dict[str, dict[str, str]] = {}
        self.deleted: set[str] = set()
        self.management_tokens: set[str] = set()
        self.reject: set[str] = set()
        # POST answers without the value, as if ``reveal`` were ignored: the adapter reads it back.
        self.hide_new_values = False
        self.fail: dict[str, int | str] = {}
        self.fail_always: dict[str, int | str] = {}

    def new_management_token(self) -> str:
        value = "sbp_" + secrets.token_hex(20)
        with self.lock:
            self.management_tokens.add(value)
        return value

    def new_key(self, *, name: str = "default", kind: str = "secret") -> str:
        """A new-style key of the project (as made in the dashboard); returns its id."""
        prefix = "sb_secret_" if kind == "secret" else "sb_publishable_"
        key_id = secrets.token_hex(8)
        with self.lock:
            self.keys[key_id] = {"name": name, "type": kind, "api_key": prefix + secrets.token_urlsafe(24)}
        return key_id

    def value(self, key_id: str) -> str:
        return self.keys[key_id]["api_key"]

    def project_keys(self) -> set[str]:
        return {self.legacy_anon, self.legacy_service_role} | {key["api_key"] for key in self.keys.values()}

    def project(self) -> dict[str, Any]:
        return {
            "id": self.ref,
            "ref": self.ref,
            "name": self.project_name,
            "organization_id": "org_javari",
            "region": "eu-west-1",
            "status": "ACTIVE_HEALTHY",
        }

    def shown(self, key_id: str, *, reveal: bool) -> dict[str, Any]:
        key = self.keys[key_id]
        value = key["api_key"]
        if key["type"] == "secret" and not reveal:
            value = value[:14] + "····"
        return {
            "id": key_id,
            "name": key["name"],
            "type": key["type"],
            "api_key": value,
            "prefix": value[:14],
        }

    def listing(self, *, reveal: bool) -> list[dict[str, Any]]:
        legacy = [
            {"id": None, "name": "anon", "type": "legacy", "api_key": self.legacy_anon},
            {"id": None, "name": "service_role", "type": "legacy", "api_key": self.legacy_service_role},
        ]
        return legacy + [self.shown(key_id, reveal=reveal) for key_id in self.keys]

    def fault(self, route: str) -> int | str | None:
        with self.lock:
            if route in self.fail:
                return self.fail.pop(route)
            return self.fail_always.get(route)
