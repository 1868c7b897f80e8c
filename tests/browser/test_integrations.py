"""Integrations in Chromium against the fake Vercel: connect (verified, the token never shown again),
see it connected with its masked key, rotate now, see the "key rotated" activity entry and the new
key's mask; at 1280 and 375 px, in English and Spanish, with nothing wider than the window."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD, make_user
from integrations.models import Credential, CredentialState, Integration
from integrations.providers.vercel.tests.fake import FakeVercel
from javari.secrets import mask_secret

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
WORDS = {
    "en": {
        "connect": "Connect Vercel",
        "submit": "Connect and verify",
        "connected": "Connected",
        "rotate": "Rotate now",
        "rotated": "Key rotated: the new key works and is now in use.",
        "rotated_entry": "Key rotated",
    },
    "es": {
        "connect": "Conectar Vercel",
        "submit": "Conectar y verificar",
        "connected": "Conectada",
        "rotate": "Rotar ahora",
        "rotated": "Clave rotada: la clave nueva funciona y ya está en uso.",
        "rotated_entry": "Clave rotada",
    },
}


@pytest.fixture
def fake_vercel(settings: Any) -> Iterator[FakeVercel]:
    # integrations/conftest.py's fixture, which tests outside that folder don't see.
    with FakeVercel() as fake:
        settings.INTEGRATIONS_VERCEL_API_BASE = fake.base_url
        yield fake


def _scroll_width(page: Page) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth"))


@pytest.mark.parametrize(
    ("viewport", "language"),
    [(DESKTOP, "en"), (PHONE, "en"), (DESKTOP, "es"), (PHONE, "es")],
    indirect=["viewport"],
    ids=["1280-en", "375-en", "1280-es", "375-es"],
)
def test_connect_vercel_then_rotate_now(
    page: Page,
    shot: Callable[[str], Path],
    page_problems: list[str],
    fake_vercel: FakeVercel,
    viewport: dict[str, int],
    language: str,
) -> None:
    words = WORDS[language]
    ada = make_user("ada@example.com", display_name="Ada Lovelace", language=language)
    page.goto("/accounts/login/")
    main = page.locator("main")
    main.get_by_label(re.compile(r"^Email:?$")).fill(ada.email)
    main.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    main.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/$"))

    page.goto("/integrations/")
    assert _scroll_width(page) <= viewport["width"]
    shot(f"list-{language}")
    page.get_by_role("link", name=words["connect"], exact=True).click()
    expect(page).to_have_url(re.compile(r"/integrations/connect/vercel/$"))

    token = fake_vercel.new_token()
    page.locator("#id_name").fill("Production")
    page.locator("#id_api_token").fill(token)
    page.locator("#id_team_id").fill("team_javari")
    page.locator("#id_auto_rotate").check()
    assert _scroll_width(page) <= viewport["width"]
    shot(f"connect-{language}")
    page.get_by_role("button", name=words["submit"]).click()

    expect(page).to_have_url(re.compile(r"/integrations/[0-9a-f-]{36}/$"))
    integration = Integration.objects.get(user=ada)
    expect(page.locator(".integration-status-line .badge")).to_have_text(words["connected"])
    expect(page.locator(".masked-key")).to_have_text(mask_secret(token))
    assert token not in page.content()
    assert _scroll_width(page) <= viewport["width"]
    shot(f"connected-{language}")

    page.get_by_role("button", name=words["rotate"]).click()
    expect(page.locator(".messages")).to_contain_text(words["rotated"])
    new = Credential.objects.get(integration=integration, state=CredentialState.CURRENT).value
    assert new != token
    expect(page.locator(".masked-key")).to_have_text(mask_secret(new))
    expect(page.locator('.activity-table tr[data-action="key_rotated"]')).to_contain_text(
        words["rotated_entry"]
    )
    assert token not in fake_vercel.live_values()  # the old key revoked at Vercel
    content = page.content()
    assert token not in content
    assert new not in content
    assert _scroll_width(page) <= viewport["width"]
    shot(f"rotated-{language}")
    assert page_problems == []
