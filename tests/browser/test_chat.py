"""Chat in Chromium, served by uvicorn (ASGI) as in production, so tokens really stream.

Django's live server is WSGI: it would gather a streamed reply whole before sending it. These tests
start uvicorn on ``javari.asgi`` in a thread of the test process instead, on the test database.

- Send a message to the local llama.cpp model and watch the reply grow token by token; the credits
  bar changes when it ends.
- Ask a provider for code (the fake provider streams a Python block: the local model's words are
  not ours to choose) and see the side panel open by itself with it, highlighted and copyable.
- Stop a long reply mid-way: it ends marked stopped with a Regenerate button.
- Too few credits: the model is not called, the reason and a top-up link show, the text stays.
- At 375 px the panel covers the conversation and closes with its button.
- A long conversation opens at its latest message; sending keeps the newest in view while the reply
  streams; scrolling up leaves the view there and shows "Jump to latest", which goes back down.
- A conversation started in this page view can be renamed (heading, list and tab title follow) and
  deleted without a reload.
- Past the spending cap: the refusal links to the cap's setting, and no conversation is left.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import User
from chat.models import ChatModel, Conversation, Message, MessageStatus, Role
from chat.tests.fake_llm import FakeLLM
from conftest import PASSWORD, make_user
from credits import services as credits
from tests.browser.conftest import ARTIFACTS, TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


def _signed_in_context(browser: Browser, url: str, user: User, viewport: dict[str, int]) -> BrowserContext:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    context = browser.new_context(base_url=url, viewport=viewport, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies([{"name": "sessionid", "value": session.session_key, "url": url}])
    return context


@pytest.fixture
def problems() -> list[str]:
    return []


def _page(context: BrowserContext, problems: list[str]) -> Page:
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
    return page


def _shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"chat-{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def _balance_shown(page: Page) -> int:
    return int(page.locator("#credits-balance").inner_text().replace(",", ""))


def test_a_reply_streams_in_and_the_credits_bar_changes(browser, asgi_url, problems, settings):
    ada = make_user("ada@example.com", display_name="Ada")
    model = ChatModel.objects.get(is_default=True)
    model.max_output_tokens = 48
    model.save()
    context = _signed_in_context(browser, asgi_url, ada, DESKTOP)
    page = _page(context, problems)
    page.goto("/chat/")
    expect(page.locator("#chat-demo-notice")).to_contain_text("small local demo model")
    before = _balance_shown(page)

    # Count how many distinct lengths the reply's text goes through while it streams.
    page.evaluate(
        """() => {
        window.__lengths = [];
        const list = document.getElementById('chat-messages');
        new MutationObserver(() => {
          const body = list.querySelector('.chat-message-assistant .chat-message-body');
          if (body) window.__lengths.push(body.textContent.length);
        }).observe(list, {subtree: true, childList: true, characterData: true});
      }"""
    )
    page.get_by_label("Message Javari").fill("Tell me a short story about a lighthouse.")
    page.get_by_label("Message Javari").press("Enter")

    reply = page.locator(".chat-message-assistant").last
    expect(reply).to_have_attribute("data-status", "streaming")
    expect(page.locator("#chat-stop")).to_be_visible()
    _shot(page, "streaming")
    expect(reply).to_have_attribute("data-status", "complete", timeout=30_000)
    lengths = page.evaluate("window.__lengths")
    assert len(set(lengths)) >= 3, f"the reply arrived in one piece: {lengths}"

    # The URL became the new conversation's; the title is the first message.
    expect(page).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}/$"))
    expect(page.locator("#chat-title")).to_have_text("Tell me a short story about a lighthouse.")
    stored = Message.objects.get(role="assistant")
    assert stored.status == MessageStatus.COMPLETE
    assert stored.credits_charged > 0
    expect(page.locator("#credits-balance")).to_have_text(f"{before - stored.credits_charged:,}")
    expect(reply.get_by_role("button", name="Regenerate")).to_be_visible()
    expect(page.locator("#chat-stop")).to_be_hidden()
    expect(page.locator("#chat-send")).to_be_visible()
    # The new conversation joins the list, marked as the current one.
    current = page.locator("#chat-conversation-list a[aria-current=page]")
    expect(current).to_contain_text("Tell me a short story about a lighthouse.")
    _shot(page, "done")
    assert problems == []
    context.close()


def test_code_in_a_reply_opens_the_side_panel(browser, asgi_url, problems):
    ada = make_user("ada@example.com", display_name="Ada")
    with FakeLLM() as provider:
        ChatModel.objects.filter(is_default=True).update(is_default=False)
        ChatModel.objects.create(
            name="Remote coder", base_url=provider.url, model="code", api_key="sk-test", is_default=True
        )
        context = _signed_in_context(browser, asgi_url, ada, DESKTOP)
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        page = _page(context, problems)
        page.goto("/chat/")
        expect(page.locator("#chat-demo-notice")).to_have_count(0)
        sidebar = page.locator("#sidebar")
        expect(sidebar).to_have_attribute("data-state", "closed")

        page.get_by_label("Message Javari").fill("Write a Python script that counts words.")
        page.get_by_role("button", name="Send").click()
        reply = page.locator(".chat-message-assistant").last
        expect(reply).to_have_attribute("data-status", "complete", timeout=15_000)

        expect(sidebar).to_have_attribute("data-state", "open")
        expect(sidebar).to_contain_text("from collections import Counter")
        expect(sidebar.locator(".highlight .k, .highlight .kn").first).to_be_visible()
        # The code block in the message is highlighted too, with its own copy button.
        expect(reply.locator(".code-block .copy-button")).to_be_visible()
        reply.locator(".code-block .copy-button").click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "return Counter(text.split())" in copied
        _shot(page, "side-panel")

        # The manual toggle closes and reopens it.
        toggle = page.locator(".chat-header [data-sidebar-toggle]")
        toggle.click()
        expect(sidebar).to_have_attribute("data-state", "closed")
        toggle.click()
        expect(sidebar).to_have_attribute("data-state", "open")
        assert problems == []
        context.close()


def test_a_long_reply_can_be_stopped(browser, asgi_url, problems):
    ada = make_user("ada@example.com", display_name="Ada")
    with FakeLLM() as provider:
        ChatModel.objects.filter(is_default=True).update(is_default=False)
        ChatModel.objects.create(
            name="Slow", base_url=provider.url, model="slow", is_default=True, max_output_tokens=200
        )
        context = _signed_in_context(browser, asgi_url, ada, DESKTOP)
        page = _page(context, problems)
        page.goto("/chat/")
        page.get_by_label("Message Javari").fill("Write forever.")
        page.get_by_label("Message Javari").press("Enter")
        reply = page.locator(".chat-message-assistant").last
        expect(reply.locator(".chat-message-body")).to_contain_text("w3")
        page.locator("#chat-stop").click()
        expect(reply).to_have_attribute("data-status", "stopped")
        expect(reply).to_contain_text("Stopped")
        expect(page.locator("#chat-send")).to_be_visible()
        stored = Message.objects.get(role="assistant")
        assert stored.status == MessageStatus.STOPPED
        assert 4 <= stored.completion_tokens < 200
        _shot(page, "stopped")
        assert problems == []
        context.close()


def test_with_no_credits_the_reason_and_a_top_up_link_show(browser, asgi_url, problems):
    ada = make_user("ada@example.com", display_name="Ada")
    credits.debit(
        user=ada, action_type="chat", amount=credits.get_account(ada).balance, idempotency_key="all"
    )
    context = _signed_in_context(browser, asgi_url, ada, DESKTOP)
    page = _page(context, problems)
    page.goto("/chat/")
    box = page.get_by_label("Message Javari")
    box.fill("Hello?")
    box.press("Enter")
    error = page.locator("#chat-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("enough credits")
    top_up = error.get_by_role("link", name="Top up credits")
    expect(top_up).to_be_visible()
    expect(box).to_have_value("Hello?")
    assert not Message.objects.exists()
    assert not Conversation.objects.exists()
    _shot(page, "no-credits")
    # The top-up opens over the conversation, whose unsent text stays.
    top_up.click()
    expect(page.locator("#modal")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/chat/$"))
    _shot(page, "no-credits-top-up")
    # The browser logs the 402 as a failed resource; nothing else may go wrong.
    assert [p for p in problems if "402" not in p] == []
    context.close()


def test_on_a_phone_the_panel_covers_the_conversation(browser, asgi_url, problems):
    ada = make_user("ada@example.com", display_name="Ada")
    with FakeLLM() as provider:
        ChatModel.objects.filter(is_default=True).update(is_default=False)
        ChatModel.objects.create(name="Coder", base_url=provider.url, model="code", is_default=True)
        context = _signed_in_context(browser, asgi_url, ada, PHONE)
        page = _page(context, problems)
        page.goto("/chat/")
        page.get_by_label("Message Javari").fill("Code please")
        page.get_by_role("button", name="Send").click()
        reply = page.locator(".chat-message-assistant").last
        expect(reply).to_have_attribute("data-status", "complete", timeout=15_000)
        _shot(page, "phone-reply")
        reply.locator("[data-open-artifact]").first.click()
        sidebar = page.locator("#sidebar")
        expect(sidebar).to_have_attribute("data-state", "open")
        box = sidebar.bounding_box()
        assert box is not None
        assert box["width"] >= PHONE["width"] - 1
        page.wait_for_timeout(400)  # the slide-in, for the screenshot
        _shot(page, "phone-panel")
        sidebar.locator("[data-sidebar-close]").click()
        expect(sidebar).to_have_attribute("data-state", "closed")
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"]
        assert problems == []
        context.close()


# The newest message's box against the composer (which stays at the bottom, over the page).
LATEST_IN_VIEW = """() => {
  const items = document.querySelectorAll('#chat-messages .chat-message');
  const last = items[items.length - 1].getBoundingClientRect();
  const composer = document.getElementById('chat-composer').getBoundingClientRect();
  const root = document.scrollingElement;
  return {bottom: last.bottom, top: last.top, composerTop: composer.top,
          fromEnd: root.scrollHeight - root.scrollTop - window.innerHeight};
}"""


def _long_conversation(user: User, model: ChatModel | None = None, pairs: int = 25) -> Conversation:
    conversation = Conversation.objects.create(user=user, title="A long talk", model=model)
    paragraph = "Lighthouses guide ships along dangerous coasts at night. " * 4
    for index in range(pairs):
        Message.objects.create(conversation=conversation, role=Role.USER, content=f"Question {index}?")
        answer = f"Answer {index}.\n\n{paragraph}\n\n{paragraph}"
        Message.objects.create(conversation=conversation, role=Role.ASSISTANT, content=answer)
    return conversation


def _assert_latest_in_view(page: Page) -> None:
    box = page.evaluate(LATEST_IN_VIEW)
    # Its end is above the composer (not hidden under it) and on screen.
    assert box["bottom"] <= box["composerTop"] + 2, box
    assert box["bottom"] > 0, box


def test_a_long_conversation_opens_at_its_latest_message(browser, asgi_url, problems):
    ada = make_user("ada@example.com", display_name="Ada")
    conversation = _long_conversation(ada)
    context = _signed_in_context(browser, asgi_url, ada, DESKTOP)
    page = _page(context, problems)
    page.goto(f"/chat/{conversation.pk}/")
    expect(page.locator(".chat-message").last).to_contain_text("Answer 24.")
    page.wait_for_load_state("load")
    _assert_latest_in_view(page)
    assert page.evaluate("window.scrollY") > 1000
    expect(page.locator("#chat-jump")).to_be_hidden()
    _shot(page, "long-opens-at-end")
    assert problems == []
    context.close()


def test_sending_keeps_the_newest_in_view_until_the_person_scrolls_up(browser, asgi_url, problems):
    ada = make_user("ada@example.com", display_name="Ada")
    with FakeLLM() as provider:
        slow = ChatModel.objects.create(
            name="Slow", base_url=provider.url, model="slow", max_output_tokens=200
        )
        conversation = _long_conversation(ada, model=slow)
        context = _signed_in_context(browser, asgi_url, ada, DESKTOP)
        page = _page(context, problems)
        page.goto(f"/chat/{conversation.pk}/")
        page.wait_for_load_state("load")
        # Scrolled up to read an old answer, then sending: the view goes to what is sent.
        page.evaluate("window.scrollTo(0, 0)")
        expect(page.locator("#chat-jump")).to_be_visible()
        page.get_by_label("Message Javari").fill("Write forever.")
        page.get_by_label("Message Javari").press("Enter")
        reply = page.locator(".chat-message-assistant").last
        expect(reply).to_have_attribute("data-status", "streaming")
        expect(reply.locator(".chat-message-body")).to_contain_text("w30")
        # The reply has grown by dozens of words: its end is still in view.
        _assert_latest_in_view(page)
        expect(page.locator("#chat-jump")).to_be_hidden()
        _shot(page, "streaming-follows")

        # Scrolling up leaves the view where the person put it, and offers the way back.
        page.mouse.move(640, 300)
        page.mouse.wheel(0, -1500)
        jump = page.get_by_role("button", name="Jump to latest")
        expect(jump).to_be_visible()
        where = page.evaluate("window.scrollY")
        expect(reply.locator(".chat-message-body")).to_contain_text("w60")
        assert abs(page.evaluate("window.scrollY") - where) < 2
        _shot(page, "scrolled-up-jump")
        jump.click()
        _assert_latest_in_view(page)
        expect(jump).to_be_hidden()
        expect(page.get_by_label("Message Javari")).to_be_focused()
        # Back at the end, it follows again.
        expect(reply.locator(".chat-message-body")).to_contain_text("w90")
        _assert_latest_in_view(page)
        _shot(page, "jumped-to-latest")
        page.locator("#chat-stop").click()
        expect(reply).to_have_attribute("data-status", "stopped")
        assert problems == []
        context.close()


def test_a_new_conversation_can_be_renamed_and_deleted_without_a_reload(browser, asgi_url, problems):
    ada = make_user("ada@example.com", display_name="Ada")
    with FakeLLM() as provider:
        ChatModel.objects.filter(is_default=True).update(is_default=False)
        ChatModel.objects.create(name="Fake", base_url=provider.url, model="ok", is_default=True)
        context = _signed_in_context(browser, asgi_url, ada, DESKTOP)
        page = _page(context, problems)
        page.goto("/chat/")
        page.evaluate("window.__samePage = true")
        page.get_by_label("Message Javari").fill("Plan a **trip** to Lisbon 🇵🇹")
        page.get_by_label("Message Javari").press("Enter")
        expect(page.locator(".chat-message-assistant").last).to_have_attribute("data-status", "complete")
        expect(page.locator("#chat-title")).to_have_text("Plan a trip to Lisbon 🇵🇹")
        conversation = Conversation.objects.get(user=ada)
        entry = page.locator(f"#conversation-{conversation.pk}")
        expect(entry).to_contain_text("Plan a trip to Lisbon")

        page.get_by_text("Rename", exact=True).click()
        field = page.get_by_label("Title", exact=True)
        field.fill("Lisbon in May")
        _shot(page, "renaming")
        field.press("Enter")
        expect(page.locator("#chat-title")).to_have_text("Lisbon in May")
        expect(entry).to_contain_text("Lisbon in May")
        expect(entry.locator("a")).to_have_attribute("aria-current", "page")
        expect(page).to_have_title("Lisbon in May · Javari AI")
        conversation.refresh_from_db()
        assert conversation.title == "Lisbon in May"
        assert page.evaluate("window.__samePage") is True  # no reload happened
        _shot(page, "renamed")

        page.once("dialog", lambda dialog: dialog.accept())
        page.locator("#chat-delete").get_by_role("button", name="Delete").click()
        expect(page).to_have_url(re.compile(r"/chat/$"))
        expect(page.locator("#chat-conversation-list")).not_to_contain_text("Lisbon in May")
        assert not Conversation.objects.exists()
        _shot(page, "deleted")
        assert problems == []
        context.close()


def test_the_spending_cap_refusal_links_to_the_cap_setting(browser, asgi_url, problems):
    ada = make_user("ada@example.com", display_name="Ada")
    credits.debit(user=ada, action_type="chat", amount=1, idempotency_key="spent")
    credits.set_monthly_cap(user=ada, cap=1)
    context = _signed_in_context(browser, asgi_url, ada, DESKTOP)
    page = _page(context, problems)
    page.goto("/chat/")
    box = page.get_by_label("Message Javari")
    box.fill("Hello?")
    box.press("Enter")
    error = page.locator("#chat-error")
    expect(error).to_contain_text("spending cap")
    link = error.get_by_role("link", name="Raise the cap")
    expect(link).to_be_visible()
    expect(error.get_by_role("link", name="Top up credits")).to_have_count(0)
    expect(box).to_have_value("Hello?")
    # The refused first message left nothing: no conversation in the list or the database.
    expect(page.locator("#chat-conversation-list")).to_contain_text("No conversations yet.")
    assert not Conversation.objects.exists()
    _shot(page, "cap-refusal")
    link.click()
    expect(page).to_have_url(re.compile(r"/settings/usage/#spending-cap$"))
    expect(page.get_by_label("Monthly spending cap (credits)")).to_be_visible()
    _shot(page, "cap-setting")
    assert [p for p in problems if "402" not in p] == []
    context.close()


def test_a_finished_reply_shows_its_model_and_cost_without_a_reload(browser, asgi_url, problems):
    ada = make_user("ada@example.com", display_name="Ada")
    with FakeLLM() as provider:
        ChatModel.objects.filter(is_default=True).update(is_default=False)
        ChatModel.objects.create(name="Coder", base_url=provider.url, model="code", is_default=True)
        context = _signed_in_context(browser, asgi_url, ada, DESKTOP)
        page = _page(context, problems)
        page.goto("/chat/")
        page.get_by_label("Message Javari").fill("Code please")
        page.get_by_role("button", name="Send").click()
        reply = page.locator(".chat-message-assistant").last
        expect(reply).to_have_attribute("data-status", "complete", timeout=15_000)

        stored = Message.objects.get(role=Role.ASSISTANT)
        assert stored.credits_charged > 0
        cost = "1 credit" if stored.credits_charged == 1 else f"{stored.credits_charged:,} credits"
        footer = reply.locator(".chat-message-meta")
        expect(footer.locator(".chat-message-model")).to_have_text("Coder")
        expect(footer.locator(".chat-message-cost")).to_have_text(cost)
        expect(footer.get_by_role("button", name="Regenerate")).to_be_visible()
        _shot(page, "footer-after-stream")
        streamed = footer.inner_text()

        # The same footer as the page renders it on a load.
        page.reload()
        reloaded = page.locator(".chat-message-assistant").last.locator(".chat-message-meta")
        expect(reloaded).to_have_text(streamed)
        # And the regenerated reply gets its own footer, the old one gone with it.
        reloaded.get_by_role("button", name="Regenerate").click()
        expect(page.locator(".chat-message-assistant")).to_have_count(1)
        again = page.locator(".chat-message-assistant").last
        expect(again).to_have_attribute("data-status", "complete", timeout=15_000)
        expect(again.locator(".chat-message-meta .chat-message-cost")).to_contain_text("credit")
        expect(page.locator(".chat-message-meta")).to_have_count(1)
        assert problems == []
        context.close()


# The chat header's controls: none overlaps another or leaves the header, and the title keeps a
# readable width (the whole title, or at least 8rem of it, cut with an ellipsis).
HEADER_PROBLEMS = """() => {
  const header = document.querySelector('.chat-header');
  const hb = header.getBoundingClientRect();
  const parts = [...header.querySelectorAll(
    '#chat-title, .chat-rename > summary, .chat-model-name, #chat-model, [data-sidebar-toggle], '
    + '#chat-delete button, .chat-conversations-toggle')].filter((el) => el.checkVisibility());
  const name = (el) => el.id || el.className || el.tagName;
  const problems = [];
  const boxes = parts.map((el) => [el, el.getBoundingClientRect()]);
  for (const [el, box] of boxes) {
    if (box.left < hb.left - 1 || box.right > hb.right + 1) problems.push(name(el) + ' leaves the header');
  }
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, ra] = boxes[i], [b, rb] = boxes[j];
      const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (w > 1 && h > 1) problems.push(name(a) + ' overlaps ' + name(b));
    }
  }
  const title = document.getElementById('chat-title');
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
  const width = title.getBoundingClientRect().width;
  if (width + 1 < Math.min(title.scrollWidth, 8 * rem)) problems.push('the title is ' + width + 'px wide');
  if (getComputedStyle(title).textOverflow !== 'ellipsis') problems.push('the title has no ellipsis');
  return problems;
}"""


def test_the_chat_header_keeps_its_title_readable_at_every_width(browser, asgi_url, problems):
    ada = make_user("ada@example.com", display_name="Ada")
    conversation = Conversation.objects.create(
        user=ada, title="Planning the lighthouse restoration budget for the coming winter season"
    )
    Message.objects.create(conversation=conversation, role=Role.USER, content="Where do we start?")
    context = _signed_in_context(browser, asgi_url, ada, DESKTOP)
    page = _page(context, problems)
    page.goto(f"/chat/{conversation.pk}/")
    sidebar = page.locator("#sidebar")
    toggle = page.locator(".chat-header [data-sidebar-toggle]")
    found = []
    for width in (375, 768, 1024, 1280, 1440, 1920):
        page.set_viewport_size({"width": width, "height": 800})
        # Below 900px the open panel covers the conversation, header and all: only closed is checked.
        states = ("closed", "open") if width > 900 else ("closed",)
        for state in states:
            if sidebar.get_attribute("data-state") != state:
                toggle.click()
                expect(sidebar).to_have_attribute("data-state", state)
                page.wait_for_timeout(400)  # the panel's slide
            found += [f"{width}px, panel {state}: {p}" for p in page.evaluate(HEADER_PROBLEMS)]
            if (width in (1280, 1440) and state == "open") or width == 375:
                _shot(page, f"header-{width}-{state}")
        if sidebar.get_attribute("data-state") == "open":
            toggle.click()
            expect(sidebar).to_have_attribute("data-state", "closed")
    assert not found, "\n".join(found)
    assert problems == []
    context.close()


def test_after_sign_in_the_chat_opens_with_the_page_header_in_view(browser, asgi_url, problems):
    ada = make_user("ada@example.com", display_name="Ada")
    conversation = Conversation.objects.create(user=ada, title="A short talk")
    Message.objects.create(conversation=conversation, role=Role.USER, content="Hello?")
    Message.objects.create(conversation=conversation, role=Role.ASSISTANT, content="Hello, Ada.")
    for viewport in (DESKTOP, PHONE):
        context = browser.new_context(base_url=asgi_url, viewport=viewport, locale="en-US")
        context.set_default_timeout(TIMEOUT_MS)
        page = _page(context, problems)
        page.goto(f"/accounts/login/?next=/chat/{conversation.pk}/")
        main = page.locator("main")
        main.get_by_label(re.compile(r"^Email:?$")).fill(ada.email)
        main.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
        main.get_by_role("button", name="Sign In").click()
        expect(page).to_have_url(re.compile(rf"/chat/{conversation.pk}/$"))
        expect(page.locator(".messages")).to_contain_text("signed in")  # the flash message is there
        page.wait_for_load_state("load")
        page.wait_for_timeout(200)  # late layout: the ResizeObserver's follow-up
        assert page.evaluate("window.scrollY") == 0
        for part in (".site-header .brand", ".header-nav", "#credits-balance"):
            expect(page.locator(part).first).to_be_in_viewport(ratio=1)
        _assert_latest_in_view(page)
        expect(page.locator("#chat-jump")).to_be_hidden()
        _shot(page, f"after-sign-in-{viewport['width']}")
        context.close()
    assert problems == []
