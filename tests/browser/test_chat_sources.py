"""A product question in Chromium: the reply shows the help-center articles it answered from.

Served by uvicorn (ASGI) as in production (see test_chat.py), with real help articles loaded and
indexed (chat/tests/help_articles.py) and the fake provider writing the reply.

- Ask how to buy more credits: a "Sources" list with one link to the top-ups article shows under
  the reply, above its footer; "Open in panel" shows the same list in the side panel.
- Reload: the same sources, from what the reply stored.
- An unrelated request gets no sources.
- The list shows as the reply starts streaming (it comes with the start event), once.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from chat.models import ChatModel, Message
from chat.tests.fake_llm import FakeLLM
from chat.tests.help_articles import load_article
from conftest import make_user
from tests.browser.test_chat import DESKTOP, _page, _shot, _signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def problems() -> list[str]:
    return []


def test_a_product_question_shows_its_sources_under_the_reply_and_in_the_panel(
    browser, asgi_url, problems, settings
):
    settings.ROOT_URLCONF = "chat.tests.help_urls"
    for slug in ("buying-top-ups", "two-factor-authentication", "code-blocks"):
        load_article(slug)
    ada = make_user("ada@example.com", display_name="Ada")
    with FakeLLM() as provider:
        ChatModel.objects.filter(is_default=True).update(is_default=False)
        ChatModel.objects.create(name="Remote", base_url=provider.url, model="ok", is_default=True)
        context = _signed_in_context(browser, asgi_url, ada, DESKTOP)
        page = _page(context, problems)
        page.goto("/chat/")

        page.get_by_label("Message Javari").fill("How do I buy more credits?")
        page.get_by_role("button", name="Send").click()
        reply = page.locator(".chat-message-assistant").last
        expect(reply).to_have_attribute("data-status", "complete", timeout=15_000)

        sources = reply.locator(".chat-sources")
        expect(sources).to_be_visible()
        expect(sources).to_contain_text("Sources")
        link = sources.get_by_role("link", name=re.compile(r"^Buying more credits with a top-up"))
        expect(link).to_have_count(1)  # one line an article, however many of its sections were given
        assert link.get_attribute("href").startswith("/help/articles/buying-top-ups/")
        # Under the reply's text, above its footer (model, cost, Regenerate).
        order = reply.evaluate("node => [...node.children].map(child => child.className.split(' ')[0])")
        assert order.index("chat-message-body") < order.index("chat-sources")
        assert order.index("chat-sources") < order.index("chat-message-meta")
        _shot(page, "sources")

        sources.get_by_role("button", name="Open in panel").click()
        sidebar = page.locator("#sidebar")
        expect(sidebar).to_have_attribute("data-state", "open")
        expect(page.locator("#sidebar-title")).to_have_text("Sources")
        panel_link = sidebar.get_by_role("link", name=re.compile(r"^Buying more credits with a top-up"))
        expect(panel_link.first).to_be_visible()
        assert panel_link.first.get_attribute("href").startswith("/help/articles/buying-top-ups/")
        page.wait_for_timeout(400)  # the panel slides open
        _shot(page, "sources-panel")

        # A reload shows what the reply stored.
        stored = Message.objects.get(role="assistant")
        page.reload()
        reply = page.locator(f"#message-{stored.pk}")
        articles = {source["article_id"] for source in stored.sources}
        expect(reply.locator(".chat-sources a")).to_have_count(len(articles))
        expect(reply.locator(".chat-sources a").first).to_have_attribute("href", stored.sources[0]["url"])

        # Something unrelated to Javari: no sources.
        page.get_by_label("Message Javari").fill("Write a python function that sorts a list")
        page.get_by_role("button", name="Send").click()
        expect(page.locator(".chat-message-assistant")).to_have_count(2)
        last = page.locator(".chat-message-assistant").last
        expect(last).to_have_attribute("data-status", "complete", timeout=15_000)
        expect(last.locator(".chat-sources")).to_have_count(0)
        _shot(page, "no-sources")
        assert problems == []
        context.close()


def test_the_sources_show_while_the_reply_is_still_streaming(browser, asgi_url, problems, settings):
    settings.ROOT_URLCONF = "chat.tests.help_urls"
    load_article("buying-top-ups")
    ada = make_user("ada@example.com", display_name="Ada")
    with FakeLLM() as provider:
        ChatModel.objects.filter(is_default=True).update(is_default=False)
        ChatModel.objects.create(
            name="Slow", base_url=provider.url, model="slow", is_default=True, max_output_tokens=200
        )
        context = _signed_in_context(browser, asgi_url, ada, DESKTOP)
        page = _page(context, problems)
        page.goto("/chat/")
        page.get_by_label("Message Javari").fill("How do I buy more credits?")
        page.get_by_label("Message Javari").press("Enter")
        reply = page.locator(".chat-message-assistant").last
        expect(reply.locator(".chat-message-body")).to_contain_text("w3")
        assert reply.get_attribute("data-status") == "streaming"
        expect(reply.locator(".chat-sources a")).to_have_count(1)
        _shot(page, "sources-streaming")
        page.locator("#chat-stop").click()
        expect(reply).to_have_attribute("data-status", "stopped")
        expect(reply.locator(".chat-sources")).to_have_count(1)  # not added twice when it ends
        assert problems == []
        context.close()


def test_a_spanish_question_on_a_phone_shows_spanish_sources(browser, asgi_url, problems, settings):
    load_article("two-factor-authentication")
    load_article("buying-top-ups")
    ana = make_user("ana@example.com", display_name="Ana", language="es")
    with FakeLLM() as provider:
        ChatModel.objects.filter(is_default=True).update(is_default=False)
        ChatModel.objects.create(name="Remote", base_url=provider.url, model="ok", is_default=True)
        context = _signed_in_context(browser, asgi_url, ana, {"width": 375, "height": 740})
        page = _page(context, problems)
        page.goto("/chat/")
        page.get_by_label("Mensaje para Javari").fill("¿Cómo activo la verificación en dos pasos?")
        page.get_by_role("button", name="Enviar").click()
        reply = page.locator(".chat-message-assistant").last
        expect(reply).to_have_attribute("data-status", "complete", timeout=15_000)

        sources = reply.locator(".chat-sources")
        expect(sources).to_contain_text("Fuentes")
        link = sources.get_by_role("link", name=re.compile(r"^Autenticación en dos pasos"))
        expect(link).to_have_count(1)
        assert link.get_attribute("href").startswith("/help/articles/two-factor-authentication/")
        # The sources fit the phone's width.
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 375
        _shot(page, "sources-es-phone")

        sources.get_by_role("button", name="Abrir en el panel").click()
        expect(page.locator("#sidebar-title")).to_have_text("Fuentes")
        expect(page.locator("#sidebar")).to_contain_text("Javari respondió a partir de estos artículos")
        page.wait_for_timeout(400)  # the panel slides open
        _shot(page, "sources-es-phone-panel")
        assert problems == []
        context.close()
