"""A local fake of Stripe: its HTTP API as the SDK speaks it, and its webhooks as Stripe signs them.

``FakeStripe`` is a real HTTP server on 127.0.0.1 (a ``tests.support.http.LocalHTTPServer``: a
``ThreadingHTTPServer`` on a free port, in a thread). Like Stripe it takes form-encoded POST
bodies with nested keys (``line_items[0][price_data][unit_amount]``), wants
``Authorization: Bearer <secret key>`` (a wrong key gets Stripe's 401 error JSON), and answers
JSON objects shaped like Stripe's. It records every request, decoded, so a test can assert what
was sent. It knows:

- ``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions/{id}``
- ``POST /v1/billing_portal/sessions``

``complete_checkout`` plays the customer paying on Stripe's page: it completes a session (and for a
subscription creates the customer and the subscription), so a test can then send the webhook
events Stripe would send, built by ``make_event`` and friends and signed by ``sign`` exactly as
Stripe signs them: ``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

from tests.support.http import LocalHTTPServer, QuietHandler

SECRET_KEY = "sk_test_fake"
WEBHOOK_SECRET = "whsec_test"
API_VERSION = stripe.api_version
MONTH = 30 * 24 * 3600
YEAR = 365 * 24 * 3600


def new_id(prefix: str) -> str:
    """An id shaped like Stripe's: ``cs_test_…``, ``evt_…``, ``cus_…``."""
    infix = "_test" if prefix in ("cs", "bps") else ""
    return f"{prefix}{infix}_{secrets.token_hex(12)}"


# --- The request format ---------------------------------------------------------------------------


def decode_form(body: str) -> dict[str, Any]:
    """Decode Stripe's form encoding: ``a[b][0][c]=1`` becomes ``{"a": {"b": [{"c": "1"}]}}``."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    """Turn dicts keyed 0, 1, 2… (how the SDK encodes lists) back into lists."""
    if not isinstance(node, dict):
        return node
    node = {key: _lists(value) for key, value in node.items()}
    if node and all(key.isdigit() for key in node):
        return [node[key] for key in sorted(node, key=int)]
    return node


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]


class _StripeError(Exception):
    def __init__(
        self, status: int, message: str, *, type: str = "invalid_request_error", **extra: str
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type, "message": message, **extra}}


def _require(params: dict[str, Any], *names: str) -> None:
    for name in names:
        node: Any = params
        for part in name.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node in (None, ""):
            raise _StripeError(400, f"Missing required param: {name}.", code="parameter_missing", param=name)


# --- The server -----------------------------------------------------------------------------------


class _Handler(QuietHandler):
    def do_GET(self) -> None:
        self.server.fake._serve(self, "GET")

    def do_POST(self) -> None:
        self.server.fake._serve(self, "POST")


class FakeStripe(LocalHTTPServer):
    """Stripe's API on 127.0.0.1, for the endpoints Javari calls. Use as a context manager.

    ``requests`` holds a ``RecordedRequest`` per request received, oldest first."""

    handler_class = _Handler

    def __init__(self, secret_key: str = SECRET_KEY) -> None:
        super().__init__()
        self.secret_key = secret_key
        self.requests: list[RecordedRequest] = []
        self.checkout_sessions: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self._failures: list[_StripeError] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.base_url

    # --- What tests use ---

    def fail_next(self, status: int = 402, message: str = "Your card was declined.", **extra: str) -> None:
        """Make the next request fail with a Stripe error (``type`` defaults to card_error for 402)."""
        extra.setdefault("type", "card_error" if status == 402 else "invalid_request_error")
        self._failures.append(_StripeError(status, message, **extra))

    def sent(self, method: str, path: str) -> list[RecordedRequest]:
        """The requests received for ``method path``, oldest first."""
        return [r for r in self.requests if r.method == method and r.path == path]

    def complete_checkout(self, session_id: str, *, payment_status: str = "paid") -> dict[str, Any]:
        """The customer pays on Stripe's page: the session completes; for a subscription, the
        customer and the subscription now exist. Returns the completed session object."""
        with self._lock:
            session = self.checkout_sessions[session_id]
            session["status"] = "complete"
            session["payment_status"] = payment_status
            session["customer"] = session["customer"] or new_id("cus")
            if session["mode"] == "subscription":
                params = session["_params"]
                price = params["line_items"][0]["price_data"]
                subscription = subscription_object(
                    customer=session["customer"],
                    metadata=params.get("subscription_data", {}).get("metadata", {}),
                    interval=price["recurring"]["interval"],
                    unit_amount=int(price["unit_amount"]),
                    currency=price["currency"],
                )
                self.subscriptions[subscription["id"]] = subscription
                session["subscription"] = subscription["id"]
            else:
                session["payment_intent"] = new_id("pi")
            return _public(session)

    # --- Serving ---

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        params = decode_form(body if method == "POST" else parts.query)
        self.record(RecordedRequest(method, parts.path, params, dict(handler.headers.items())))
        try:
            self._authenticate(handler.headers.get("Authorization", ""))
            if self._failures:
                raise self._failures.pop(0)
            status, payload = 200, self._route(method, parts.path, params)
        except _StripeError as error:
            status, payload = error.status, error.body
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Request-Id", new_id("req"))
        handler.send_header("Stripe-Version", handler.headers.get("Stripe-Version") or API_VERSION)
        handler.end_headers()
        handler.wfile.write(data)

    def _authenticate(self, authorization: str) -> None:
        if not authorization.startswith("Bearer ") or not authorization[7:]:
            raise _StripeError(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization "
                "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            )
        key = authorization[7:]
        if not hmac.compare_digest(key, self.secret_key):
            raise _StripeError(401, f"Invalid API Key provided: {key[:8]}****{key[-4:]}")

    def _route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        if (method, path) == ("POST", "/v1/checkout/sessions"):
            return self._create_checkout_session(params)
        if (match := re.fullmatch(r"/v1/checkout/sessions/([^/]+)", path)) and method == "GET":
            with self._lock:
                session = self.checkout_sessions.get(match[1])
            if session is None:
                raise _StripeError(
                    404, f"No such checkout.session: '{match[1]}'", code="resource_missing", param="session"
                )
            return _public(session)
        if (method, path) == ("POST", "/v1/billing_portal/sessions"):
            _require(params, "customer")
            if not params["customer"].startswith("cus_"):
                raise _StripeError(
                    400,
                    f"No such customer: '{params['customer']}'",
                    code="resource_missing",
                    param="customer",
                )
            session_id = new_id("bps")
            return {
                "id": session_id,
                "object": "billing_portal.session",
                "created": int(time.time()),
                "customer": params["customer"],
                "livemode": False,
                "locale": params.get("locale"),
                "return_url": params.get("return_url"),
                "url": f"{self.url}/p/session/{session_id}",
            }
        raise _StripeError(404, f"Unrecognized request URL ({method}: {path}).")

    def _create_checkout_session(self, params: dict[str, Any]) -> dict[str, Any]:
        _require(params, "mode", "success_url", "line_items")
        mode = params["mode"]
        if mode not in ("payment", "subscription", "setup"):
            raise _StripeError(400, f"Invalid mode: {mode}", param="mode")
        if params.get("customer") and params.get("customer_email"):
            raise _StripeError(400, "You may only specify one of these parameters: customer, customer_email.")
        total = 0
        for index, item in enumerate(params["line_items"]):
            prefix = f"line_items[{index}]"
            price = item.get("price_data") or {}
            _require(item, "price_data.currency", "price_data.unit_amount", "price_data.product_data.name")
            if (mode == "subscription") != bool(price.get("recurring")):
                raise _StripeError(
                    400,
                    "You must specify `recurring` for prices in subscription mode, and only there.",
                    param=f"{prefix}[price_data][recurring]",
                )
            total += int(price["unit_amount"]) * int(item.get("quantity") or 1)
        session_id = new_id("cs")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_total": total,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": int(time.time()),
            "currency": params["line_items"][0]["price_data"]["currency"],
            "customer": params.get("customer"),
            "customer_email": params.get("customer_email"),
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": params.get("metadata", {}),
            "mode": mode,
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "subscription": None,
            "success_url": params["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id),
            "url": f"{self.url}/c/pay/{session_id}",
            "_params": params,
        }
        with self._lock:
            self.checkout_sessions[session_id] = session
        return _public(session)


def _public(obj: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in obj.items() if not key.startswith("_")}


@contextmanager
def serve_fake_stripe(settings: Any) -> Iterator[FakeStripe]:
    """Run a FakeStripe and point the Stripe settings at it (``settings``: pytest-django's fixture)."""
    with FakeStripe() as fake:
        settings.STRIPE_API_BASE = fake.url
        settings.STRIPE_SECRET_KEY = fake.secret_key
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        yield fake


# --- Webhook events -------------------------------------------------------------------------------


def make_event(type: str, obj: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """A Stripe event as its webhook body carries it (a snapshot of ``obj``)."""
    return {
        "id": event_id or new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": new_id("req"), "idempotency_key": None},
        "type": type,
    }


def sign(payload: str, secret: str = WEBHOOK_SECRET, *, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe sends with ``payload``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def checkout_session_object(
    *,
    metadata: dict[str, str],
    mode: str = "payment",
    payment_status: str = "paid",
    customer: str | None = None,
    subscription: str | None = None,
    payment_intent: str | None = None,
    amount_total: int = 500,
) -> dict[str, Any]:
    """A completed Checkout Session, as in checkout.session.completed."""
    return {
        "id": new_id("cs"),
        "object": "checkout.session",
        "amount_total": amount_total,
        "client_reference_id": metadata.get("user_id"),
        "created": int(time.time()),
        "currency": "usd",
        "customer": customer,
        "livemode": False,
        "metadata": metadata,
        "mode": mode,
        "payment_intent": payment_intent if mode == "payment" else None,
        "payment_status": payment_status,
        "status": "complete",
        "subscription": subscription,
    }


def subscription_object(
    *,
    customer: str,
    metadata: dict[str, str],
    interval: str = "month",
    unit_amount: int = 2900,
    currency: str = "usd",
    status: str = "active",
    cancel_at_period_end: bool = False,
    subscription_id: str | None = None,
    period_end: int | None = None,
) -> dict[str, Any]:
    """A Subscription (API 2025-03-31 and later: the period lives on its items)."""
    now = int(time.time())
    end = period_end or now + (YEAR if interval == "year" else MONTH)
    subscription_id = subscription_id or new_id("sub")
    return {
        "id": subscription_id,
        "object": "subscription",
        "cancel_at": end if cancel_at_period_end else None,
        "cancel_at_period_end": cancel_at_period_end,
        "canceled_at": now if cancel_at_period_end else None,
        "created": now,
        "currency": currency,
        "customer": customer,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": new_id("si"),
                    "object": "subscription_item",
                    "current_period_end": end,
                    "current_period_start": now,
                    "price": {
                        "id": new_id("price"),
                        "object": "price",
                        "currency": currency,
                        "recurring": {"interval": interval, "interval_count": 1},
                        "unit_amount": unit_amount,
                    },
                    "quantity": 1,
                    "subscription": subscription_id,
                }
            ],
            "has_more": False,
        },
        "livemode": False,
        "metadata": metadata,
        "status": status,
    }


def invoice_object(
    *,
    customer: str,
    subscription: str | None,
    subscription_metadata: dict[str, str] | None = None,
    billing_reason: str = "subscription_cycle",
    period_end: int | None = None,
    amount_paid: int = 2900,
) -> dict[str, Any]:
    """A paid subscription Invoice. Like Stripe's, its own period_end is when it was created; the
    line carries the service period."""
    now = int(time.time())
    end = period_end or now + MONTH
    return {
        "id": new_id("in"),
        "object": "invoice",
        "amount_paid": amount_paid,
        "billing_reason": billing_reason,
        "created": now,
        "currency": "usd",
        "customer": customer,
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": new_id("il"),
                    "object": "line_item",
                    "amount": amount_paid,
                    "period": {"start": now, "end": end},
                }
            ],
            "has_more": False,
        },
        "livemode": False,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": subscription, "metadata": subscription_metadata or {}},
        }
        if subscription
        else None,
        "period_end": now,
        "period_start": now,
        "status": "paid",
    }


def charge_object(
    *, payment_intent: str, amount: int, amount_refunded: int, customer: str | None = None
) -> dict:
    """A Charge as in charge.refunded (``amount_refunded`` is the total refunded so far)."""
    return {
        "id": new_id("ch"),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount_refunded,
        "currency": "usd",
        "customer": customer,
        "livemode": False,
        "paid": True,
        "payment_intent": payment_intent,
        "refunded": amount_refunded >= amount,
        "status": "succeeded",
    }
