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
from integrations.providers.custom.tests.fake import FakeCustomAPI
from integrations.providers.github.tests.fake import FakeGitHub
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


@pytest.fixture
def fake_github(settings: Any) -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        settings.INTEGRATIONS_GITHUB_API_BASE = fake.base_url
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


def _sign_in(page: Page, language: str) -> Any:
    user = make_user("ada@example.com", display_name="Ada Lovelace", language=language)
    page.goto("/accounts/login/")
    main = page.locator("main")
    main.get_by_label(re.compile(r"^Email:?$")).fill(user.email)
    main.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    main.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/$"))
    return user


CUSTOM_WORDS = {
    "en": {"api_key": "API key", "submit": "Connect and verify", "connected": "Connected"},
    "es": {"api_key": "Clave de API", "submit": "Conectar y verificar", "connected": "Conectada"},
}


@pytest.mark.parametrize(
    ("viewport", "language"),
    [(DESKTOP, "en"), (PHONE, "es")],
    indirect=["viewport"],
    ids=["1280-en", "375-es"],
)
def test_a_custom_api_form_shows_only_the_fields_of_its_authentication(
    page: Page,
    shot: Callable[[str], Path],
    page_problems: list[str],
    viewport: dict[str, int],
    language: str,
) -> None:
    """The secret boxes (API key, password) follow the chosen authentication like the other fields:
    they lost their data-depends-on once, so a bearer form asked for a password too."""
    words = CUSTOM_WORDS[language]
    _sign_in(page, language)
    page.goto("/integrations/connect/custom/")
    form = page.locator("form[data-integration-form]")

    def shown() -> set[str]:
        return {
            name
            for name in ("api_key", "header_name", "query_param", "username", "password")
            if form.locator(f".field-{name}").is_visible()
        }

    assert shown() == {"api_key"}  # bearer, the default
    expect(form.get_by_label(re.compile(f"^{words['api_key']}:?$"))).to_be_visible()  # capitalized
    shot(f"custom-bearer-{language}")
    form.locator("#id_auth_type").select_option("basic")
    assert shown() == {"username", "password"}
    form.locator("#id_auth_type").select_option("header")
    assert shown() == {"api_key", "header_name"}
    form.locator("#id_auth_type").select_option("basic")
    assert _scroll_width(page) <= viewport["width"]

    with FakeCustomAPI(auth="basic") as fake:
        form.locator("#id_base_url").fill(fake.base_url)
        form.locator("#id_username").fill(fake.username)
        form.locator("#id_password").fill(fake.key)
        form.locator("#id_verify_path").fill(fake.path)
        shot(f"custom-basic-{language}")
        expect(form.get_by_role("button", name=words["submit"])).to_be_visible()
        form.locator("#id_verify_path").press("Enter")  # the keyboard submits it
        expect(page).to_have_url(re.compile(r"/integrations/[0-9a-f-]{36}/$"))
    expect(page.locator(".integration-status-line .badge")).to_have_text(words["connected"])
    expect(page.locator('.masked-key[data-field="password"]')).to_have_text(mask_secret(fake.key))
    assert fake.key not in page.content()
    assert page_problems == []


@pytest.mark.parametrize("viewport", [PHONE], indirect=True, ids=["375"])
def test_github_auto_rotation_in_spanish_makes_a_reminder_and_disconnect_cancels_it(
    page: Page,
    shot: Callable[[str], Path],
    page_problems: list[str],
    fake_github: FakeGitHub,
    viewport: dict[str, int],
) -> None:
    """GitHub can't make keys by API: auto-rotation is a reminder in /reminders/, in Spanish, with
    the schedule in words that match (Semanal, Mensual, Trimestral; "Activada, mensual") and the
    activity in the connection's gender ("Verificada")."""
    _sign_in(page, "es")
    page.goto("/settings/")
    page.locator("main").get_by_role("link", name="Integraciones").click()
    expect(page).to_have_url(re.compile(r"/integrations/$"))
    page.get_by_role("link", name="Conectar GitHub", exact=True).click()

    schedule = page.locator("#id_rotation_schedule option")
    expect(schedule).to_have_text(["Semanal", "Mensual", "Trimestral"])
    token_box = page.locator("#id_personal_access_token")
    expect(token_box).to_have_attribute("placeholder", "github_pat_…")
    page.locator("#id_name").fill("Mi GitHub")
    token_box.fill(fake_github.new_token())
    page.get_by_label(re.compile("^Rotar esta clave automáticamente")).check()
    page.get_by_role("button", name="Conectar y verificar").click()
    expect(page).to_have_url(re.compile(r"/integrations/[0-9a-f-]{36}/$"))
    detail = page.url
    rotation = page.locator("#rotation")
    expect(rotation).to_contain_text("Activada, mensual")
    page.get_by_role("button", name="Verificar ahora").click()
    expect(page.locator('.activity-table tr[data-action="verified"]')).to_contain_text("Verificada")
    assert _scroll_width(page) <= viewport["width"]
    shot("github-es")

    page.goto("/reminders/")
    expect(page.locator("main")).to_contain_text("Rota la clave de Mi GitHub (GitHub)")
    shot("reminder-es")

    page.goto(detail + "disconnect/")
    page.get_by_role("button", name="Desconectar").click()
    expect(page.locator(".integration-status-line .badge")).to_have_text("Desconectada")
    page.goto("/reminders/")
    expect(page.locator("main")).not_to_contain_text("Rota la clave de Mi GitHub")
    page.goto("/accounts/security/")
    expect(page.locator("#stored-credentials")).to_contain_text("Aún no hay claves guardadas")
    assert page_problems == []
