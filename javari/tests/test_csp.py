"""The Content-Security-Policy: on every response, strict for scripts, and nothing in our pages that it
would block (inline scripts without the nonce, on* handler attributes, javascript: URLs)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from accounts.models import User
from chat.models import ChatModel, Conversation

BASE_DIR = Path(settings.BASE_DIR)
TEMPLATE_DIRS = [BASE_DIR / "templates", *sorted(BASE_DIR.glob("*/templates"))]


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


class _Scripts(HTMLParser):
    """Every <script> of a page, every on* attribute and every javascript: address in it."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[tuple[str, str]] = []
        self.script_urls: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name in ("href", "src", "action", "formaction") and re.match(
                r"\s*javascript:", value or "", re.I
            ):
                self.script_urls.append(value or "")


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def _page_urls(alice: User) -> list[str]:
    conversation = Conversation.objects.create(user=alice, title="Hello")
    return [
        "/",
        "/chat/",
        f"/chat/{conversation.pk}/",
        "/accounts/security/",
        "/accounts/email/",
        "/accounts/2fa/",
        "/accounts/sessions/",
        "/settings/",
        "/settings/behavior/",
        "/settings/language/",
        "/settings/usage/",
        "/plans/",
    ]


def test_every_page_sends_a_strict_policy(alice_client: Client, alice: User) -> None:
    for url in [*_page_urls(alice), "/api/v1/api-keys/", "/no-such-page/"]:
        response = alice_client.get(url)
        assert response.status_code in (200, 404), url
        policy = _policy(response)
        assert policy["default-src"] == ["'self'"], url
        assert policy["script-src"][0] == "'self'", url
        assert all(v == "'self'" or v.startswith("'nonce-") for v in policy["script-src"]), url
        assert policy["object-src"] == ["'none'"], url
        assert policy["base-uri"] == ["'self'"], url
        assert policy["frame-ancestors"] == ["'none'"], url
        assert policy["form-action"][0] == "'self'", url
        assert policy["img-src"] == ["'self'", "data:", "blob:"], url  # no outside image by default
        assert policy["connect-src"] == ["'self'"], url


def test_signed_out_pages_and_redirects_carry_it_too(client: Client) -> None:
    for url in ("/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/chat/"):
        assert "script-src 'self'" in client.get(url)["Content-Security-Policy"], url


def test_pages_have_no_script_the_policy_would_block(alice_client: Client, alice: User) -> None:
    for url in _page_urls(alice):
        response = alice_client.get(url)
        nonce = next((v[7:-1] for v in _policy(response)["script-src"] if v.startswith("'nonce-")), None)
        found = _Scripts(response.text)
        assert found.handlers == [], url
        assert found.script_urls == [], url
        for script in found.scripts:
            if script.get("src") or (script.get("type") or "").endswith("json"):
                continue
            assert nonce, (url, script)
            assert script.get("nonce") == nonce, (url, script)


def test_the_admin_has_no_script_the_policy_would_block(staff_client: Client) -> None:
    model = ChatModel.objects.get(is_default=True)
    for url in (
        "/admin/",
        "/admin/chat/chatmodel/",
        f"/admin/chat/chatmodel/{model.pk}/change/",
        "/admin/accounts/user/",
    ):
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert "script-src 'self'" in response["Content-Security-Policy"]
        found = _Scripts(response.text)
        assert found.handlers == [], url
        assert all(s.get("src") or (s.get("type") or "").endswith("json") for s in found.scripts), url


# Template sources: what no page may render, checked where it is written.
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(src|nonce)=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
_JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)
_HX_ON = re.compile(r"\bhx-on[:-]", re.I)


@pytest.mark.parametrize("path", [p for d in TEMPLATE_DIRS for p in sorted(d.rglob("*.html"))], ids=str)
def test_no_template_writes_what_the_policy_blocks(path: Path) -> None:
    source = path.read_text()
    assert not _INLINE_SCRIPT.search(source), "inline <script> without a nonce: move it to static/js"
    assert not _HANDLER.search(source), "on* handler attribute: use a listener in static/js"
    assert not _JS_URL.search(source), "javascript: URL"
    assert not _HX_ON.search(source), "hx-on needs eval, which the policy refuses"


def test_outside_image_hosts_are_checked_host_names() -> None:
    from javari.settings import _csp_hosts

    given = ["images.example.com", " *.cdn.example.org", "IMG.example.net:8443", ""]
    assert _csp_hosts("X", given) == ["images.example.com", "*.cdn.example.org", "img.example.net:8443"]
    assert _csp_hosts("X", []) == []
    for bad in (
        "https://images.example.com",
        "images.example.com/path",
        "'self'",
        "*",
        "a b.com",
        "localhost",
    ):
        with pytest.raises(ImproperlyConfigured, match="X: "):
            _csp_hosts("X", [bad])


def test_allowed_image_hosts_reach_img_src_over_https_only() -> None:
    # The settings are read once per process: a fresh one reads CSP_IMAGE_HOSTS from its environment.
    code = (
        "from django.conf import settings; print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "javari.settings",
        "DATABASE_URL": settings.DATABASE_URL,
        "REDIS_URL": settings.REDIS_URL,
        "CSP_IMAGE_HOSTS": "img.example.com, *.cdn.example.org",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert ast.literal_eval(result.stdout) == [
        "'self'",
        "data:",
        "blob:",
        "https://img.example.com",
        "https://*.cdn.example.org",
    ]
