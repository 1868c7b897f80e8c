"""Every URL of javari.urls, sent hostile input by anyone, answers without a server error.

The walk (issue 10):

1. List every URL pattern of ``javari.urls``, through every include (the admin's too).
2. Build each one's URLs: path converters and regex groups filled with a valid value (one of
   alice's objects, an admin object that exists) and with invalid ones (a random UUID, text that
   is not a UUID).
3. Send each URL, as anonymous, as alice (signed in) and as staff (password + TOTP), GET and POST
   requests with hostile values: NUL, lone surrogates (as a form encodes them: invalid UTF-8),
   1 MB strings, numbers past every column's range, JSON nested 10,000 deep, JSON strings with
   NUL and surrogate escapes, wrong content types, a broken multipart body.
4. Assert no answer is a 5xx, listing every one found (with its exception) if some are.

No valid message is ever sent, and the model's endpoint points at a closed port anyway: nothing
waits on the LLM. The admin's many patterns get fewer variants than the app's own (they share
ModelAdmin's code), which keeps the walk to a couple of minutes on a busy machine.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from accounts.models import ApiKey, User
from accounts.services import create_api_key
from chat import services as chat
from chat.models import ChatModel, Conversation, Message, MessageStatus, Role
from credits.models import Plan
from helpcenter.models import Article
from helpcenter.tests.factories import make_article
from integrations.models import Credential, Integration
from javari.parsers import MAX_JSON_DEPTH, loads
from reminders import services as reminders_services
from reminders.models import CalendarEvent, Notification, Reminder
from reminders.tests.factories import NotificationFactory, ReminderFactory

pytestmark = pytest.mark.django_db

MEGABYTE = "x" * 1_000_000
DEEP_JSON = "[" * 10_000 + "]" * 10_000
# Form fields the app's forms, allauth's and the admin's read; a view ignores the ones it doesn't.
FIELDS = [
    "content", "title", "name", "model", "q", "login", "password", "password1", "password2",
    "oldpassword", "email", "code", "cap", "plan", "cycle", "pack", "language", "theme", "preset",
    "response_style", "code_preference", "communication_tone", "preferred_language",
    "custom_system_prompt", "sidebar_default_open", "expires_at", "next", "stream", "key", "month",
    "amount", "reason", "display_name", "confirm", "action", "_selected_action", "index", "page",
    "user", "role", "is_active", "balance", "monthly_cap",
    "provider", "values", "api_token", "team_id", "auto_rotate", "rotation_schedule", "base_url",
    "auth_type", "verify_path", "expected_status", "personal_access_token", "state", "error",
    "vote", "comment", "image", "slug", "tags", "keywords", "category", "is_published",
]  # fmt: skip
# Query parameters the pages read (search, paging, filters, the admin's ordering and lookups).
PARAMS = [
    "q", "page", "next", "month", "format", "list", "status", "session_id", "cycle", "o", "p",
    "role__exact", "_changelist_filters", "_to_field", "_popup", "id__exact", "all",
]  # fmt: skip
BIG_NUMBER = "9" * 40  # past bigint and PostgreSQL's integer columns


@dataclass
class Walk:
    patterns: list[str] = field(default_factory=list)
    requests: int = 0
    failures: list[str] = field(default_factory=list)


def _walk_patterns(patterns: list, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk_patterns(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


# <converter:name>, (?P<name>regex), and the anchors and escapes of regex routes.
_CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<regex>[^()]*(?:\([^()]*\)[^()]*)*)\)")


def _fill(route: str, values: dict[str, str]) -> str:
    route = _GROUP.sub(lambda m: values.get(m["name"], _example(m["regex"])), route)
    route = _CONVERTER.sub(lambda m: values.get(m["name"], "x"), route)  # (?P<name> is a group's
    return "/" + route.replace("^", "").replace("$", "").replace("\\", "")


def _example(regex: str) -> str:
    alternatives = re.fullmatch(r"[\w|]+", regex)
    return regex.split("|")[0] if alternatives else "x1"


@dataclass
class World:
    alice: User
    staff: User
    objects: dict[str, str]  # converter name -> a valid value, for alice
    admin_objects: dict[str, str]  # "app/model" -> the pk of a row that exists


def _webhook_endpoint() -> Any:
    from djstripe.models import WebhookEndpoint

    endpoint, _created = WebhookEndpoint.objects.get_or_create(
        id="we_walk",
        defaults={
            "livemode": False,
            "url": "https://javari.example/stripe/webhook/",
            "secret": "whsec_walk",
            "enabled_events": ["*"],
            "api_version": "2024-06-20",
            "status": "enabled",
        },
    )
    return endpoint


def _world(alice: User, staff: User) -> World:
    conversation = Conversation.objects.filter(user=alice).first() or chat.start_conversation(user=alice)
    Message.objects.get_or_create(
        conversation=conversation,
        role=Role.USER,
        defaults={"content": "Hello", "status": MessageStatus.COMPLETE},
    )
    reply = Message.objects.filter(conversation=conversation, role=Role.ASSISTANT).first()
    if reply is None:
        reply = Message.objects.create(conversation=conversation, role=Role.ASSISTANT, content="Hi")
    key = ApiKey.objects.filter(user=alice).first() or create_api_key(user=alice, name="walk")[0]
    reminder = Reminder.objects.filter(user=alice).first() or ReminderFactory.create(user=alice)
    notification = Notification.objects.filter(user=alice).first() or NotificationFactory.create(user=alice)
    # The calendar's objects (reminders/calendar_urls.py): an event and the feed token.
    event = CalendarEvent.objects.filter(user=alice).first() or reminders_services.create_event(
        user=alice, title="Walk", start=datetime(2027, 1, 5, 9, 0)
    )
    feed_token = reminders_services.feed_token(user=alice) or reminders_services.reset_feed(user=alice)
    # An integration written directly (connecting one would call its provider, on a closed port here).
    integration = Integration.objects.filter(user=alice).first() or Integration.objects.create(
        user=alice, provider="vercel", name="Walk", config={"team_id": "", "account": "alice"}
    )
    Credential.objects.get_or_create(
        integration=integration,
        field="api_token",
        state="current",
        defaults={"value": "vcp_walk_" + "x" * 20},
    )
    # A published help article (the help center's <slug:slug> routes: an article's, and a
    # category's, which answers 404 for an article's slug).
    help_article = Article.objects.filter(is_published=True).first() or make_article(slug="walk-article")
    admin_objects = {}
    for model in admin.site._registry:
        row = model._default_manager.order_by().values_list("pk", flat=True).first()
        if row is not None:
            admin_objects[f"{model._meta.app_label}/{model._meta.model_name}"] = str(row)
    admin_objects["accounts/user"] = str(alice.pk)  # never the staff user: a POST may change it
    return World(
        alice=alice,
        staff=staff,
        objects={
            "conversation_id": str(conversation.pk),
            "reply_id": str(reply.pk),
            "key_id": str(key.pk),
            "pk": str(key.pk),
            "uuid": str(_webhook_endpoint().djstripe_uuid),
            "reminder_id": str(reminder.pk),
            "notification_id": str(notification.pk),
            "event_id": str(event.pk),
            "token": feed_token,
            "integration_id": str(integration.pk),
            "provider": "vercel",  # the connect page's form (its provider on a closed port here)
            "year": "2027",
            "month": "1",
            "day": "5",
            "slug": help_article.slug,
        },
        admin_objects=admin_objects,
    )


def _urls(route: str, world: World) -> list[str]:
    """The route filled with valid values first, then with invalid ones."""
    names = [m["name"] for m in _GROUP.finditer(route)]
    names += [m["name"] for m in _CONVERTER.finditer(_GROUP.sub("", route))]
    if not names:
        return [_fill(route, {})]
    valid = dict(world.objects)
    admin_model = re.match(r"admin/(\w+)/(\w+)/", route)
    if admin_model:
        valid["object_id"] = world.admin_objects.get(f"{admin_model[1]}/{admin_model[2]}", "1")
    random_id = {name: str(uuid.uuid4()) for name in names}
    not_an_id = dict.fromkeys(names, "not-a-uuid%27%22%3E")
    return [_fill(route, valid), _fill(route, random_id), _fill(route, not_an_id)]


def _get_variants(heavy: bool) -> list[str]:
    variants = [
        "",
        "?" + "&".join(f"{p}=%00" for p in PARAMS),
        "?q=%ED%A0%80&page=%ED%A0%80&next=%ED%A0%80",  # an encoded surrogate: not UTF-8
        "?" + "&".join(f"{p}={BIG_NUMBER}" for p in PARAMS),
    ]
    if heavy:
        variants += [
            "?" + "&".join(f"{p}=-1" for p in PARAMS),
            "?q=" + MEGABYTE,
            "?next=https://elsewhere.example/&page=last&o=-&month=2024-13&format=csv&status=success",
        ]
    return variants


def _post_variants(heavy: bool) -> list[tuple[str, Any, str]]:
    """(method, body, content type) triples."""
    form = "application/x-www-form-urlencoded"
    variants: list[tuple[str, Any, str]] = [
        ("POST", "&".join(f"{f}=%00" for f in FIELDS), form),
        ("POST", "&".join(f"{f}={BIG_NUMBER}" for f in FIELDS), form),
        ("POST", DEEP_JSON, "application/json"),
        ("POST", json.dumps(dict.fromkeys(FIELDS, "\u0000")), "application/json"),
    ]
    if heavy:
        variants += [
            ("POST", "&".join(f"{f}=%ED%A0%80" for f in FIELDS), form),
            ("POST", "&".join(f"{f}={'y' * 50_000}" for f in FIELDS), form),
            ("POST", "content=" + MEGABYTE + "&title=" + MEGABYTE[:100_000], form),
            ("POST", json.dumps(dict.fromkeys(FIELDS, "\ud800")), "application/json"),
            ("POST", json.dumps(dict.fromkeys(FIELDS, MEGABYTE[:50_000])), "application/json"),
            ("POST", json.dumps(dict.fromkeys(FIELDS, 10**30)), "application/json"),
            ("POST", json.dumps({key: {"a": [None]} for key in FIELDS}), "application/json"),
            ("POST", '"just a string"', "application/json"),
            ("POST", "<xml>no</xml>", "application/xml"),
            ("POST", "--nope\r\ngarbage", "multipart/form-data; boundary=nope"),
            ("POST", b"\xff\xfe\x00\x00", "text/plain"),
            ("PATCH", DEEP_JSON, "application/json"),
            ("PATCH", json.dumps(dict.fromkeys(FIELDS, "\ud800")), "application/json"),
            ("PUT", json.dumps(dict.fromkeys(FIELDS, BIG_NUMBER)), "application/json"),
            ("DELETE", "", form),
        ]
    return variants


def _send(
    walk: Walk, client: Client, who: str, method: str, url: str, body: Any = "", ctype: str = ""
) -> None:
    response = client.get(url) if method == "GET" else client.generic(method, url, body, content_type=ctype)
    walk.requests += 1
    if response.status_code >= 500 and not _expected_5xx(url, response.status_code):
        exc = getattr(response, "exc_info", None)
        cause = repr(exc[1])[:160] if exc else response.content[:160]
        walk.failures.append(f"{who} {method} {url[:100]} [{ctype[:20]}] -> {response.status_code}: {cause}")


def _expected_5xx(url: str, status: int) -> bool:
    # The readiness probe says 503 while a dependency (the model, here on a closed port) is down.
    return url.startswith("/readyz") and status == 503


def _keep_signed_in(client: Client, user: User) -> None:
    """A walked POST may sign out, or turn off two-factor: restore the session and the authenticator."""
    from accounts.tests.helpers import TOTP_SECRET

    if user.is_staff and not is_mfa_enabled(user):
        from allauth.mfa.totp.internal.auth import TOTP

        TOTP.activate(user, TOTP_SECRET)
    if client.session.get("_auth_user_id") != str(user.pk):
        user.refresh_from_db()
        client.force_login(user)


@pytest.fixture
def walk_settings(settings: Any) -> None:
    # Anything that reached the model would fail at once instead of waiting on it.
    settings.LLM_BASE_URL = "http://127.0.0.1:9/v1"
    ChatModel.objects.filter(base_url="").update(max_output_tokens=1)
    # Thousands of requests a minute: lift the rate limits (tested in javari/tests/test_throttling.py)
    # so that every request reaches the view behind them instead of a 429.
    Plan.objects.update(api_requests_per_minute=10**9, chat_messages_per_minute=10**9)
    settings.THROTTLE_CONVERSATIONS_PER_MINUTE = 10**9
    for name in ("django.request", "django.security"):  # thousands of expected 4xx warnings
        logging.getLogger(name).setLevel(logging.CRITICAL)


def test_walked_patterns_cover_the_site() -> None:
    routes = [route for route, _ in _walk_patterns(get_resolver().url_patterns)]
    assert len(routes) > 100
    for known in (
        "chat/<uuid:conversation_id>/messages/",
        "api/v1/conversations/",
        "api/v1/preferences/",
        "stripe/webhook/<uuid:uuid>/",
        "settings/usage/cap/",
        "accounts/login/",
        "admin/accounts/user/",
        "admin/accounts/user/<path:object_id>/change/",
    ):
        assert known in routes


def test_valid_values_resolve_to_their_own_pattern(alice: User, staff: User) -> None:
    world = _world(alice, staff)
    unresolved = []
    for route, pattern in _walk_patterns(get_resolver().url_patterns):
        url = _urls(route, world)[0].split("?")[0]
        try:
            match = resolve(url)
        except Resolver404:
            unresolved.append(route)
            continue
        if match.func is not pattern.callback and match.url_name != pattern.name:
            unresolved.append(route)
    # Only the admin's catch-all (its own route swallows every unknown admin URL) and dj-stripe's
    # action routes (checked first by javari.admin_site.djstripe_custom_action) may differ.
    assert [route for route in unresolved if "(?P<url>" not in route and "/action/<str:" not in route] == []


def test_no_hostile_input_gets_a_server_error(
    walk_settings: None, alice: User, staff: User, staff_client: Client
) -> None:
    walk = Walk()
    alice_client = Client(raise_request_exception=False)
    alice_client.force_login(alice)
    staff_client.raise_request_exception = False
    clients = [("anonymous", Client(raise_request_exception=False), None), ("alice", alice_client, alice)]
    clients.append(("staff", staff_client, staff))
    for route, _pattern in _walk_patterns(get_resolver().url_patterns):
        walk.patterns.append(route)
        world = _world(alice, staff)
        ours = not route.startswith("admin/") or bool(
            re.match(r"admin/(accounts|chat|credits|helpcenter|preferences)/", route)
        )
        for who, client, user in clients:
            # Only staff pass the admin's door, so only staff get its pages' hostile input; the app's
            # own admin pages get every variant, third-party ones (dj-stripe, allauth, beat) fewer.
            if route.startswith("admin/") and who != "staff":
                _send(walk, client, who, "GET", _urls(route, world)[0])
                _send(
                    walk,
                    client,
                    who,
                    "POST",
                    _urls(route, world)[0],
                    "content=%00",
                    "application/x-www-form-urlencoded",
                )
                continue
            if not ours:  # a third-party admin page, as staff: its forms and lookups, briefly
                valid, *invalid = _urls(route, world)
                _send(walk, client, who, "GET", valid)
                _send(walk, client, who, "GET", valid + "?" + "&".join(f"{p}={BIG_NUMBER}" for p in PARAMS))
                _send(walk, client, who, *_post_variants(False)[1][:1], valid, *_post_variants(False)[1][1:])
                for url in invalid:
                    _send(walk, client, who, "GET", url)
                _keep_signed_in(client, user)
                continue
            for index, url in enumerate(_urls(route, world)):
                first = index == 0
                for query in _get_variants(ours) if first else [""]:
                    _send(walk, client, who, "GET", url + query)
                for method, body, ctype in _post_variants(ours and first):
                    if (
                        method == "POST"
                        and route.startswith("admin/")
                        and route.endswith("/delete/")
                        and first
                    ):
                        continue  # a confirmed delete: it would remove the rows the walk uses
                    _send(walk, client, who, method, url, body, ctype)
            if user is not None:
                _keep_signed_in(client, user)
    assert len(walk.patterns) > 100
    assert walk.requests > 5 * len(walk.patterns)
    # One line per route and error: a fault found once is usually found by every variant.
    distinct = {}
    for failure in walk.failures:
        distinct.setdefault(
            re.sub(r"[0-9a-f-]{36}|x/x|not-a-uuid\S*", "…", failure.split(" [")[0].split("?")[0]), failure
        )
    assert walk.failures == [], f"{len(walk.failures)} server errors:\n" + "\n".join(distinct.values())


# Focused tests for what the walk found, each at the depth it was fixed.


def test_a_webhook_body_that_is_not_a_bounded_json_object_is_a_400_storing_nothing(client: Client) -> None:
    from djstripe.models import WebhookEventTrigger

    url = f"/stripe/webhook/{_webhook_endpoint().djstripe_uuid}/"
    headers = {"stripe-signature": "t=1,v1=x"}
    # dj-stripe's json.loads recursed on the first and assumed an object ("id" in 1) on the next.
    for body in (DEEP_JSON, "1", "[]", "null", '{"a": "\\u0000"}', b"\xff{}", '{"id": 1'):
        response = client.post(url, body, content_type="application/json", headers=headers)
        assert response.status_code == 400
    assert not WebhookEventTrigger.objects.exists()


def test_the_depth_limit_allows_what_the_api_takes() -> None:
    assert loads(json.dumps({"content": "hi", "nested": [[{"ok": True}]]}))
    assert MAX_JSON_DEPTH >= 8


def test_dj_stripes_admin_actions_refuse_unknown_models_and_actions(staff_client: Client) -> None:
    staff_client.raise_request_exception = False
    base = "/admin/djstripe/customer/action"
    assert staff_client.get(f"{base}/_resync_instances/nothing/").status_code == 404
    assert staff_client.get(f"{base}/not_an_action/customer/").status_code == 404
    assert staff_client.get(f"{base}/__init__/customer/").status_code == 404
    response = staff_client.post(f"{base}/_resync_instances/customer/", {"_selected_action": ["1", "x"]})
    assert response.status_code == 400
    assert Client().get(f"{base}/_resync_instances/customer/").status_code == 302  # the admin's door first


def test_dj_stripes_webhook_endpoint_admin_is_read_only(staff_client: Client) -> None:
    staff_client.raise_request_exception = False
    endpoint = _webhook_endpoint()
    assert (
        staff_client.post("/admin/djstripe/webhookendpoint/add/", {"url": "https://x.example/"}).status_code
        == 403
    )
    response = staff_client.post(f"/admin/djstripe/webhookendpoint/{endpoint.pk}/change/", {"url": "x"})
    assert response.status_code == 403
    assert staff_client.get(f"/admin/djstripe/webhookendpoint/{endpoint.pk}/change/").status_code == 200
