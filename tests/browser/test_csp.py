"""The Content-Security-Policy in Chromium: it is enforced, and the pages that had inline script work
under it (the new API key's panel, the delete confirmation, the admin's secret field). The page
fixture fails any test whose page violates the policy (tests/browser/conftest.py)."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import BrowserContext, Page, expect

from accounts.models import User
from accounts.tests.helpers import TOTP_SECRET
from chat.models import ChatModel, Conversation, Message, Role
from conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(context: BrowserContext, live_server, user: User) -> None:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    context.add_cookies([{"name": "sessionid", "value": session.session_key, "url": live_server.url}])


def test_the_policy_is_enforced(context: BrowserContext, live_server) -> None:
    # A page of its own, outside the fixture's watch: this one violates the policy on purpose.
    page = context.new_page()
    page.goto("/")
    ran = page.evaluate(
        """() => new Promise((resolve) => {
            const seen = [];
            document.addEventListener("securitypolicyviolation", (e) => seen.push(e.effectiveDirective));
            const script = document.createElement("script");
            script.textContent = "window.__injected = true";
            document.body.appendChild(script);
            const img = document.createElement("img");
            img.src = "https://elsewhere.example/pixel.png";
            document.body.appendChild(img);
            setTimeout(() => resolve({ injected: window.__injected === true, seen }), 300);
        })"""
    )
    assert ran["injected"] is False
    assert "script-src-elem" in ran["seen"]
    assert "img-src" in ran["seen"]
    page.close()


def test_a_new_api_key_shows_once_with_a_working_copy_button(
    page: Page, context: BrowserContext, live_server, shot, page_problems: list[str]
) -> None:
    ada = make_user("ada@example.com", display_name="Ada")
    _sign_in(context, live_server, ada)
    page.goto("/accounts/security/")
    page.get_by_label("Name").fill("Deploy bot")
    page.get_by_role("button", name="Create key").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/security/#new-api-key-heading")
    heading = page.locator("#new-api-key-heading")
    expect(heading).to_be_focused()  # the fragment names it: announced on arrival
    # api_keys.js, a static file the policy allows, ran: it shows the Copy button.
    expect(page.locator("#new-api-key button[data-copy]")).to_be_visible()
    key = page.locator("#new-api-key-value").input_value()
    assert key.startswith(ada.api_keys.get().prefix)
    shot("new-key")
    page.reload()
    expect(page.locator("#new-api-key-value")).to_have_count(0)
    assert ada.api_keys.count() == 1
    assert page_problems == []


def test_deleting_a_conversation_asks_first(page: Page, context: BrowserContext, live_server) -> None:
    ada = make_user("ada@example.com", display_name="Ada")
    conversation = Conversation.objects.create(user=ada, title="Keep me")
    Message.objects.create(conversation=conversation, role=Role.USER, content="Hello")
    _sign_in(context, live_server, ada)
    page.goto(f"/chat/{conversation.pk}/")
    questions: list[str] = []

    def answer(dialog, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.locator(".chat-delete button").click()
    page.wait_for_timeout(300)
    assert questions == ["Delete this conversation and all its messages?"]
    assert Conversation.objects.filter(pk=conversation.pk).exists()
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    page.locator(".chat-delete button").click()
    expect(page).to_have_url(f"{live_server.url}/chat/")
    assert not Conversation.objects.filter(pk=conversation.pk).exists()


def test_an_outside_image_in_a_reply_is_a_link(page: Page, context: BrowserContext, live_server) -> None:
    ada = make_user("ada@example.com", display_name="Ada")
    conversation = Conversation.objects.create(user=ada, title="Pictures")
    Message.objects.create(
        conversation=conversation,
        role=Role.ASSISTANT,
        content="Here: ![a cat](https://elsewhere.example/cat.png)\n\n```python\nprint('hi')\n```",
    )
    outside: list[str] = []
    page.on("request", lambda request: outside.append(request.url) if "elsewhere" in request.url else None)
    _sign_in(context, live_server, ada)
    page.goto(f"/chat/{conversation.pk}/")
    link = page.get_by_role("link", name="a cat")
    expect(link).to_have_attribute("href", "https://elsewhere.example/cat.png")
    assert outside == []
    code = page.get_by_role("region", name="Code block: Python · 1 line")
    code.focus()
    expect(code).to_be_focused()


def test_the_admin_works_under_the_policy(page: Page, context: BrowserContext, live_server, shot) -> None:
    staff = make_user("staff@example.com", is_staff=True, is_superuser=True)
    TOTP.activate(staff, TOTP_SECRET)
    model = ChatModel.objects.get(is_default=True)
    model.api_key = "sk-browser-secret-0123456789wxyz"
    model.save()
    _sign_in(context, live_server, staff)
    page.goto("/admin/chat/chatmodel/")
    expect(page.locator("#result_list")).to_be_visible()
    page.goto(f"/admin/chat/chatmodel/{model.pk}/change/")
    expect(page.get_by_text("•••• wxyz")).to_be_visible()
    assert "sk-browser-secret" not in page.content()
    shot("admin-secret-field")
    page.locator("#id_name").fill("Renamed in the browser")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_be_visible()
    shot("admin-saved")
    model.refresh_from_db()
    assert (model.name, model.api_key) == ("Renamed in the browser", "sk-browser-secret-0123456789wxyz")
