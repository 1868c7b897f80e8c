"""Behavior & Personality and Language & Localization in Chromium: preset cards (mouse and keyboard)
fill the fields, the counter and the live preview follow the custom prompt, the theme and language
switch at once and are kept after a reload; the pages on a phone.

The live server's database is flushed after each test: the presets and the platform prompt are
seeded again first, as the data migration makes them.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.apps import apps
from playwright.sync_api import Page, expect

from conftest import PASSWORD, make_user
from preferences import services
from preferences.models import UserPreferences

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}


@pytest.fixture(autouse=True)
def _seeded_presets(transactional_db: None) -> None:
    importlib.import_module("preferences.migrations.0002_seed_presets_and_platform_prompt").seed(apps, None)


def _sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    main = page.locator("main")
    main.get_by_label(re.compile(r"^Email:?$")).fill(email)
    main.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    main.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/$"))


def _scroll_width(page: Page) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth"))


def test_presets_counter_preview_theme_and_language(
    page: Page, shot: Callable[[str], Path], page_problems: list[str]
) -> None:
    ada = make_user("ada@example.com", display_name="Ada Lovelace")
    _sign_in(page, ada.email)

    # The hub leads to the page.
    page.goto("/settings/")
    page.get_by_role("link", name=re.compile("Behavior & Personality")).click()
    expect(page).to_have_url(re.compile(r"/settings/behavior/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Behavior & Personality")
    preview = page.locator("#prompt-preview-text")
    expect(preview).to_contain_text("You are Javari AI")
    expect(preview).to_contain_text("Always reply in English.")
    shot("behavior-page")

    style = page.get_by_label("Response style")
    code = page.get_by_label("Code preference")
    tone = page.get_by_label("Tone")
    expect(style).to_have_value("intermediate")

    # A preset card, by mouse: it fills the fields and the preview follows.
    page.locator("label.preset-card", has_text="Beginner Friendly").click()
    expect(page.get_by_role("radio", name="Beginner Friendly")).to_be_checked()
    expect(style).to_have_value("beginner")
    expect(code).to_have_value("explanations")
    expect(tone).to_have_value("casual")
    expect(preview).to_contain_text("You are speaking with someone new to development.")

    # By keyboard: arrows move through the cards like any radio group.
    page.get_by_role("radio", name="Beginner Friendly").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="Seasoned Professional")).to_be_checked()
    expect(style).to_have_value("expert")
    expect(preview).to_contain_text("You are speaking with an experienced developer.")
    expect(preview).not_to_contain_text("someone new to development")
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("radio", name="Beginner Friendly")).to_be_checked()
    expect(style).to_have_value("beginner")

    # Each field can still be changed after the preset filled it.
    tone.select_option("technical")
    expect(preview).to_contain_text("Keep a precise, technical tone.")

    # The custom prompt: the counter and the preview follow what is typed.
    prompt = page.get_by_label("Your instructions")
    counter = page.locator("#prompt-counter")
    expect(counter).to_have_text(re.compile(r"^\s*0 / 4,000\s*$"))
    prompt.fill("Call me Ada. Prefer Python examples.")
    expect(counter).to_have_text(re.compile(r"^\s*36 / 4,000\s*$"))
    expect(preview).to_contain_text("The user's own instructions follow")
    expect(preview).to_contain_text("Call me Ada. Prefer Python examples.")
    expect(page.locator("#prompt-counter-status")).to_have_text("36 of 4,000 characters used")
    count_colour = "e => getComputedStyle(e.querySelector('[data-count]')).color"
    normal_colour = counter.evaluate(count_colour)
    shot("preset-and-prompt")

    # Over the limit: the counter turns to an error and the preview says what to fix; nothing is cut.
    prompt.fill("x" * 4003)
    expect(counter).to_have_text(re.compile(r"4,003 / 4,000\s*· 3 over the limit"))
    expect(counter).to_have_class(re.compile(r"\bis-over\b"))
    assert counter.evaluate(count_colour) != normal_colour  # the error colour
    expect(page.locator("#prompt-preview")).to_contain_text("Nothing can be sent until these are fixed:")
    assert len(prompt.input_value()) == 4003
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("alert")).to_contain_text("Your preferences were not saved.")
    expect(page.locator("main")).to_contain_text("Keep your instructions to 4,000 characters or fewer")
    assert len(page.get_by_label("Your instructions").input_value()) == 4003
    shot("over-the-limit")
    assert UserPreferences.objects.get(user=ada).custom_system_prompt == ""  # nothing saved

    # Fix it, switch to Spanish and dark, save: the next page is already in both.
    prompt.fill("Call me Ada. Prefer Python examples.")
    page.locator("label.preset-card", has_text="Beginner Friendly").click()
    tone.select_option("technical")
    page.get_by_role("radio", name="Español").check()
    expect(preview).to_contain_text("Eres Javari AI")
    page.get_by_role("radio", name="Dark").check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.locator(".message-success")).to_be_visible()
    shot("saved-spanish-dark")

    # A reload keeps everything.
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.locator("#preset-beginner")).to_be_checked()
    expect(page.locator("#id_communication_tone")).to_have_value("technical")
    expect(page.locator("#id_custom_system_prompt")).to_have_value("Call me Ada. Prefer Python examples.")
    expect(page.locator("#id_language_1")).to_be_checked()
    expect(page.locator("#prompt-preview-text")).to_contain_text("Eres Javari AI")
    prefs = UserPreferences.objects.select_related("preset", "user").get(user=ada)
    assert (prefs.preset.key, prefs.theme, prefs.user.language) == ("beginner", "dark", "es")

    # Language & Localization: back to English, light; in effect at once and after a reload.
    page.goto("/settings/language/")
    page.locator("#id_language_0").check()
    page.locator("#id_theme_1").check()
    shot("language-page")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    expect(page.locator(".message-success")).to_have_text("Language and theme saved.")
    page.reload()
    expect(page.get_by_role("radio", name="English")).to_be_checked()
    expect(page.get_by_role("radio", name="Light")).to_be_checked()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    shot("language-saved")

    assert page_problems == []


def test_a_new_device_gets_the_saved_theme_and_language(page: Page) -> None:
    ada = make_user("ada@example.com", display_name="Ada Lovelace")
    services.update_preferences(user=ada, theme="dark", language="es")
    _sign_in(page, ada.email)
    page.goto("/settings/")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.locator("html")).to_have_attribute("lang", "es")


@pytest.mark.parametrize("viewport", [PHONE], indirect=True)
def test_the_settings_pages_on_a_phone(
    page: Page, shot: Callable[[str], Path], page_problems: list[str]
) -> None:
    ada = make_user("ada@example.com", display_name="Ada Lovelace")
    _sign_in(page, ada.email)
    page.goto("/settings/behavior/")
    page.locator("label.preset-card", has_text="Complete Code").click()
    page.get_by_label("Your instructions").fill("Short answers, please.\nAnd full files.")
    expect(page.locator("#prompt-preview-text")).to_contain_text("And full files.")
    assert _scroll_width(page) <= PHONE["width"]
    shot("behavior-phone")
    page.get_by_role("radio", name="Dark").check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert _scroll_width(page) <= PHONE["width"]
    shot("behavior-phone-dark")
    page.goto("/settings/language/")
    assert _scroll_width(page) <= PHONE["width"]
    shot("language-phone-dark")
    page.goto("/settings/")
    shot("hub-phone-dark")
    assert page_problems == []
