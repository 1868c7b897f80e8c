"""Rate limits: per-plan API requests, chat messages and new conversations, per minute.

Counting: a fixed one-minute window (aligned on the clock's minutes) per caller and scope, one
Redis counter each (``cache.add`` then ``cache.incr``, atomic across processes). Refused requests
count too, so hammering doesn't reopen the window early. The limits:

- ``api``: every API request (``PlanRateThrottle``, DRF's DEFAULT_THROTTLE_CLASSES), at the plan's
  ``api_requests_per_minute``, counted per API key when the request carries one (two keys, two
  counters), per user for a session, per address (``THROTTLE_ANON_REQUESTS_PER_MINUTE``) anonymous.
- ``chat_messages``: messages sent and replies regenerated, per user, at the plan's
  ``chat_messages_per_minute``, on the page (``check_chat_message``) and the API alike: one counter.
- ``conversations``: new conversations, per user (``THROTTLE_CONVERSATIONS_PER_MINUTE``), with or
  without a first message; ``POST /api/v1/conversations/`` with ``{}`` was unlimited.

Headers: the IETF draft's ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``
(seconds until the window ends) plus ``RateLimit-Policy`` (``60;w=60``), on every counted response,
successful or not (``RateLimitHeadersMiddleware``); a refusal is a 429 with ``Retry-After`` (the
same seconds) and ``{"error": "throttled", "detail": …}``. When a request passes several limits,
the headers describe the one with the fewest requests left.

Staff see who was limited in the admin (``credits.ThrottleRecord``): the first refusal of each
caller's window writes one row update, the rest of that minute's refusals write nothing.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import ngettext
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from accounts.models import ApiKey
from credits.models import (
    DEFAULT_API_REQUESTS_PER_MINUTE,
    DEFAULT_CHAT_MESSAGES_PER_MINUTE,
    CreditAccount,
    Plan,
    ThrottleRecord,
    ThrottleScope,
    Tier,
)

WINDOW_SECONDS = 60
# The attribute of the Django request that carries the tightest window for the response headers.
_REQUEST_ATTR = "rate_limit_window"


@dataclass(frozen=True)
class Window:
    """One caller's count in the current window: ``limit`` per window, ``remaining`` after this
    request (0 when refused), ``reset`` whole seconds (at least 1) until the window ends."""

    scope: str
    limit: int
    remaining: int
    reset: int
    allowed: bool


@dataclass(frozen=True)
class Caller:
    """Who a request is counted as, and what staff see of it."""

    identity: str
    user_id: Any = None  # the user's primary key (a UUID)
    key_prefix: str = ""
    ip: str | None = None


def count_in_window(*, scope: str, identity: str) -> tuple[int, int]:
    """Count one more event of ``identity`` in ``scope`` this minute: (the count, this one included;
    whole seconds, at least 1, until the window ends). Nothing is refused or recorded here."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    reset = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
    key = counter_key(scope=scope, identity=identity, window=window)
    # The key outlives its window by a little, so a slow request near the end still finds it.
    cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this request starts the count
        cache.set(key, 1, timeout=WINDOW_SECONDS + 5)
        count = 1
    return count, reset


def hit(*, scope: str, caller: Caller, limit: int) -> Window:
    """Count one request of ``caller`` in ``scope``; record the first refusal of each window."""
    count, reset = count_in_window(scope=scope, identity=caller.identity)
    if count == limit + 1:
        record_throttled(scope=scope, caller=caller, limit=limit)
    return Window(
        scope=scope, limit=limit, remaining=max(0, limit - count), reset=reset, allowed=count <= limit
    )


def counter_key(*, scope: str, identity: str, window: int) -> str:
    """The cache key counting ``identity`` in ``scope`` during minute number ``window`` (Unix time
    divided by 60)."""
    return f"throttle:{scope}:{identity}:{window}"


def record_throttled(*, scope: str, caller: Caller, limit: int) -> None:
    """Note for staff that ``caller`` reached ``limit`` in ``scope`` (one row per caller and scope)."""
    now = timezone.now()
    changes = {
        "times_limited": F("times_limited") + 1,
        "last_limited_at": now,
        "limit": limit,
        "user_id": caller.user_id,
        "key_prefix": caller.key_prefix,
        "ip": caller.ip,
    }
    rows = ThrottleRecord.objects.filter(scope=scope, identity=caller.identity)
    if rows.update(**changes):
        return
    try:
        with transaction.atomic():  # a savepoint when nested: a lost race must not spoil the caller's
            ThrottleRecord.objects.create(
                scope=scope,
                identity=caller.identity,
                user_id=caller.user_id,
                key_prefix=caller.key_prefix,
                ip=caller.ip,
                limit=limit,
                first_limited_at=now,
                last_limited_at=now,
            )
    except IntegrityError:  # another process created it first
        rows.update(**changes)


def _plan_limits(user_id: Any) -> tuple[int, int]:
    """(API requests, chat messages) per minute for the user's plan; Free's before the user has an
    account (the account opens on Free when first needed)."""
    fields = ("api_requests_per_minute", "chat_messages_per_minute")
    limits = (
        CreditAccount.objects.filter(user_id=user_id)
        .values_list(*(f"plan__{name}" for name in fields))
        .first()
    )
    if limits is None:
        limits = Plan.objects.filter(tier=Tier.FREE).values_list(*fields).first()
    if limits is None:  # no Free plan: the fields' defaults
        return DEFAULT_API_REQUESTS_PER_MINUTE, DEFAULT_CHAT_MESSAGES_PER_MINUTE
    return limits


def _remember(request: HttpRequest, window: Window) -> None:
    """Keep the window with the fewest requests left (a refusal's own) for the response headers."""
    current: Window | None = getattr(request, _REQUEST_ATTR, None)
    if current is None or not window.allowed or (current.allowed and window.remaining < current.remaining):
        setattr(request, _REQUEST_ATTR, window)


def _django_request(request: HttpRequest | Request) -> HttpRequest:
    return request._request if isinstance(request, Request) else request


def retry_message(scope: str, seconds: int) -> str:
    if scope == ThrottleScope.CHAT_MESSAGES:
        return ngettext(
            "You're sending messages too fast. Try again in %(seconds)d second.",
            "You're sending messages too fast. Try again in %(seconds)d seconds.",
            seconds,
        ) % {"seconds": seconds}
    if scope == ThrottleScope.CONVERSATIONS:
        return ngettext(
            "You're starting conversations too fast. Try again in %(seconds)d second.",
            "You're starting conversations too fast. Try again in %(seconds)d seconds.",
            seconds,
        ) % {"seconds": seconds}
    return ngettext(
        "Too many requests. Try again in %(seconds)d second.",
        "Too many requests. Try again in %(seconds)d seconds.",
        seconds,
    ) % {"seconds": seconds}


# --- The chat limits, for the page's views and the API's ------------------------------------------


def check_chat_message(
    *, request: HttpRequest | Request, user: Any, new_conversation: bool = False
) -> Window:
    """Count a message (and a new conversation, when it starts one) for ``user``; the refused
    window when a limit is reached, else the one with the fewest left."""
    caller = Caller(identity=f"user:{user.pk}", user_id=user.pk)
    windows = [hit(scope=ThrottleScope.CHAT_MESSAGES, caller=caller, limit=_plan_limits(user.pk)[1])]
    if new_conversation:
        windows.append(_conversation_window(caller))
    return _settle(request, windows)


def check_new_conversation(*, request: HttpRequest | Request, user: Any) -> Window:
    """Count a new conversation for ``user``."""
    caller = Caller(identity=f"user:{user.pk}", user_id=user.pk)
    return _settle(request, [_conversation_window(caller)])


def _conversation_window(caller: Caller) -> Window:
    return hit(
        scope=ThrottleScope.CONVERSATIONS, caller=caller, limit=settings.THROTTLE_CONVERSATIONS_PER_MINUTE
    )


def _settle(request: HttpRequest | Request, windows: list[Window]) -> Window:
    django_request = _django_request(request)
    for window in windows:
        _remember(django_request, window)
    refused = [window for window in windows if not window.allowed]
    if refused:
        return max(refused, key=lambda window: window.reset)
    return min(windows, key=lambda window: window.remaining)


class RateLimited(Throttled):
    """DRF's 429 with our sentence: given ``wait``, DRF's constructor would append its own."""

    def __init__(self, window: Window) -> None:
        super().__init__(detail=retry_message(window.scope, window.reset))
        self.wait: float | None = window.reset  # DRF's handler sends it as Retry-After


def raise_if_refused(window: Window) -> None:
    """For DRF views: a refused window as DRF's 429 (``Retry-After`` from ``wait``)."""
    if not window.allowed:
        raise RateLimited(window)


def refused_response(window: Window) -> JsonResponse:
    """For the page's views: a refused window as the chat's JSON refusal, a 429."""
    body = {"error": "throttled", "detail": retry_message(window.scope, window.reset)}
    return JsonResponse(body, status=429, headers={"Retry-After": str(window.reset)})


# --- The API limit ---------------------------------------------------------------------------------


class PlanRateThrottle(BaseThrottle):
    """Every API request, at the caller's plan's ``api_requests_per_minute`` (see the module)."""

    scope = ThrottleScope.API

    def allow_request(self, request: Request, view: Any) -> bool:
        caller, limit = self._caller(request)
        window = hit(scope=self.scope, caller=caller, limit=limit)
        _remember(request._request, window)
        # Raised here rather than returning False: DRF's own message would not say it our way.
        raise_if_refused(window)
        return True

    def _caller(self, request: Request) -> tuple[Caller, int]:
        user = request.user
        if user is None or not user.is_authenticated:
            # DRF's get_ident trusts X-Forwarded-For only for NUM_PROXIES proxies (0 by default:
            # REMOTE_ADDR), so a made-up header neither dodges the limit nor reaches the IP column.
            ident = self.get_ident(request)
            try:
                ip: str | None = str(ipaddress.ip_address(ident.strip()))
            except ValueError:
                ip = None
            identity = f"ip:{ip}" if ip else f"ident:{hashlib.sha256(ident.encode()).hexdigest()[:32]}"
            return Caller(identity=identity, ip=ip), settings.THROTTLE_ANON_REQUESTS_PER_MINUTE
        limit = _plan_limits(user.pk)[0]
        if isinstance(request.auth, ApiKey):
            key = request.auth
            return Caller(identity=f"key:{key.pk}", user_id=user.pk, key_prefix=key.prefix), limit
        return Caller(identity=f"user:{user.pk}", user_id=user.pk), limit


class RateLimitHeadersMiddleware(MiddlewareMixin):
    """The limit headers on every response a limit counted, the 429s included."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        window: Window | None = getattr(request, _REQUEST_ATTR, None)
        if window is not None:
            response.headers["RateLimit-Limit"] = str(window.limit)
            response.headers["RateLimit-Remaining"] = str(window.remaining)
            response.headers["RateLimit-Reset"] = str(window.reset)
            response.headers["RateLimit-Policy"] = f"{window.limit};w={WINDOW_SECONDS}"
            if not window.allowed:
                response.headers.setdefault("Retry-After", str(window.reset))
        return response
