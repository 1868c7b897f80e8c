"""The chat page at the message limit, in Chromium: the refusal shows in the person's language with
when to retry, the text stays in the box, and nothing is written.

The limit is reached by filling the person's counter in the cache, for this minute and the next, so
the test can't cross into a fresh window (and no clock is moved under the browser and the server).
"""

from __future__ import annotations

import re
import time

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from chat.models import Conversation, Message
from conftest import make_user
from credits.models import ThrottleScope
from javari import throttling
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_chat import DESKTOP, _page, _signed_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def problems() -> list[str]:
    return []


def test_past_the_message_limit_the_page_says_in_spanish_when_to_retry(browser, asgi_url, problems):
    eva = make_user("eva@example.com", display_name="Eva", language="es")
    window = int(time.time() // throttling.WINDOW_SECONDS)
    for minute in (window, window + 1):
        key = throttling.counter_key(
            scope=ThrottleScope.CHAT_MESSAGES, identity=f"user:{eva.pk}", window=minute
        )
        cache.set(key, 1000, timeout=3 * throttling.WINDOW_SECONDS)
    context = _signed_in_context(browser, asgi_url, eva, DESKTOP)
    page = _page(context, problems)
    page.goto("/chat/")
    box = page.locator("#chat-input")
    box.fill("¿Hola?")
    box.press("Enter")

    error = page.locator("#chat-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(
        re.compile(r"Estás enviando mensajes demasiado rápido\. Vuelve a intentarlo en \d+ segundos?\.")
    )
    expect(box).to_have_value("¿Hola?")
    assert not Message.objects.exists()
    assert not Conversation.objects.exists()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-throttled-es.png"), full_page=False)
    # The browser logs the 429 as a failed resource; nothing else may go wrong.
    assert [p for p in problems if "429" not in p] == []
    context.close()
