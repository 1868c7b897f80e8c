"""A real person's path through the app, in Chromium: sign up, confirm (which signs them in, in
the same browser), land in the chat, switch to Spanish, sign out and back in."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.tests.helpers import deliver_queued_emails

pytestmark = pytest.mark.browser

NAME = "Ada Lovelace"
EMAIL = "ada@example.com"
PASSWORD = "analytical-engine-1843"
CONFIRM_LINK = re.compile(r"https?://\S+/accounts/confirm-email/[^/\s]+/")


def _field(label: str) -> re.Pattern[str]:
    """A form field's accessible name: Django's ``as_p`` ends each label with a colon."""
    return re.compile(rf"^{re.escape(label)}:?$")


def _confirmation_link() -> str:
    deliver_queued_emails()  # what the worker does after the sign-up commits
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    match = CONFIRM_LINK.search(mail.outbox[0].body)
    assert match, mail.outbox[0].body
    return match.group(0)


def _sign_in(page: Page, email: str, password: str, shot: Callable[[str], Path] | None = None) -> None:
    if not page.url.endswith("/accounts/login/"):
        page.goto("/accounts/login/")
    main = page.locator("main")
    main.get_by_label(_field("Email")).fill(email)
    main.get_by_label(_field("Password")).fill(password)
    if shot is not None:
        shot("sign-in")
    main.get_by_role("button", name="Sign In").click()
    # Signed-in people land in the chat.
    expect(page).to_have_url(re.compile(r"/chat/$"))


def _expect_spanish_shell(page: Page) -> None:
    """``<html lang="es">`` and the profile menu's labels in Spanish."""
    expect(page.locator("html")).to_have_attribute("lang", "es")
    details = page.locator("#profile-details")
    if not details.evaluate("d => d.open"):
        page.locator("#profile-button").click()
    expect(details).to_have_attribute("open", "")
    expect(details.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    expect(details.get_by_label("Idioma")).to_have_id("profile-language")
    expect(details.get_by_label("Idioma")).to_have_value("es")


def test_sign_up_confirm_land_in_the_chat_and_switch_to_spanish(
    page: Page, shot: Callable[[str], Path], page_problems: list[str]
) -> None:
    main = page.locator("main")

    # Sign up.
    page.goto("/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(main.get_by_role("heading", name="Sign Up")).to_be_visible()
    main.get_by_label(_field("Your name")).fill(NAME)
    main.get_by_label(_field("Email")).fill(EMAIL)
    main.get_by_label(_field("Password")).fill(PASSWORD)
    main.get_by_label(_field("Password (again)")).fill(PASSWORD)
    shot("signup-filled")
    main.get_by_role("button", name="Sign Up").click()

    # "Verify your email": the account exists, unverified, with the name given.
    expect(main.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    shot("verify-email")
    user = User.objects.get(email=EMAIL)
    assert user.display_name == NAME
    assert not user.emailaddress_set.get().verified

    # Open the link from the message and confirm: in the browser that signed up, that signs in,
    # with no second trip through the sign-in form, straight into the chat.
    page.goto(_confirmation_link())
    expect(main.get_by_role("heading", name="Confirm Email Address")).to_be_visible()
    expect(main).to_contain_text(EMAIL)
    shot("confirm-email")
    main.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/chat/$"))
    expect(page.locator("#chat-title")).to_be_visible()
    expect(page.locator("#profile-button")).to_be_visible()
    assert user.emailaddress_set.get().verified
    shot("signed-in-chat")

    # The profile menu works by keyboard: Enter opens it, Escape closes it and gives focus back.
    details = page.locator("#profile-details")
    summary = page.locator("#profile-button")
    summary.focus()
    expect(summary).to_be_focused()
    page.keyboard.press("Enter")
    expect(details).to_have_attribute("open", "")
    expect(page.locator("#profile-menu")).to_be_visible()
    shot("profile-menu-open")
    page.keyboard.press("Escape")
    expect(details).not_to_have_attribute("open", "")
    expect(page.locator("#profile-menu")).to_be_hidden()
    expect(summary).to_be_focused()

    # Switch the language to Spanish from the menu.
    page.keyboard.press("Enter")
    expect(details).to_have_attribute("open", "")
    language_form = details.locator("form").filter(has=page.locator("#profile-language"))
    language_form.get_by_label("Language").select_option("es")
    language_form.get_by_role("button").click()
    _expect_spanish_shell(page)
    shot("spanish-menu")
    user.refresh_from_db()
    assert user.language == "es"

    # Saved on the user: a reload is still in Spanish.
    page.reload()
    _expect_spanish_shell(page)
    shot("spanish-after-reload")

    # Sign out: the signed-out page stays in Spanish (the language cookie).
    details.get_by_role("button", name="Cerrar sesión").click()
    expect(page.locator("#profile-details")).to_have_count(0)
    expect(page.locator("body")).to_have_class(re.compile(r"\bsigned-out\b"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    header = page.locator("header")
    expect(header.get_by_label("Idioma")).to_have_value("es")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("django_language") == "es"
    shot("signed-out-spanish")

    # Signing in again also lands in the chat, in Spanish.
    page.goto("/accounts/login/")
    main.locator("input[name=login]").fill(EMAIL)
    main.locator("input[name=password]").fill(PASSWORD)
    shot("sign-in-spanish")
    main.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/chat/$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    shot("signed-in-chat-spanish")

    # The sessions list names this browser in words, in Spanish, never by its raw User-Agent.
    page.goto("/accounts/sessions/")
    sessions = page.locator("main table")
    expect(sessions).to_contain_text(re.compile(r"Chrome \d+ en Linux"))
    expect(sessions).to_contain_text("Ordenador")
    expect(sessions).not_to_contain_text("Mozilla/5.0")
    shot("sessions-spanish")

    assert page_problems == []


PHONE = {"width": 375, "height": 667}


def _scroll_width(page: Page) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth"))


@pytest.mark.parametrize("viewport", [PHONE], indirect=True, ids=["375px"])
def test_signed_in_home_fits_a_375px_phone(
    page: Page, shot: Callable[[str], Path], page_problems: list[str]
) -> None:
    # A long name and address (42 characters), the likeliest things to push a phone's layout wide.
    user = User.objects.create_user(
        "grace.brewster.murray.hopper@example.com", PASSWORD, display_name="Grace Brewster Murray Hopper"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    overflows: list[str] = []

    # Signing in lands in the chat; the home page is one click (the brand) away.
    _sign_in(page, user.email, PASSWORD)
    shot("chat-after-sign-in")
    page.goto("/")
    expect(page.locator("main").get_by_role("heading", level=1)).to_contain_text("Grace")
    expect(page.locator(".messages")).to_have_count(0)
    shot("home")
    if (width := _scroll_width(page)) > PHONE["width"]:
        overflows.append(f"home page: scrollWidth={width}")

    # The profile menu opens fully inside the viewport.
    page.locator("#profile-button").click()
    menu = page.locator("#profile-menu")
    expect(menu).to_be_visible()
    shot("profile-menu")
    box = menu.bounding_box()
    assert box is not None
    assert box["x"] >= 0, box
    assert box["y"] >= 0, box
    assert box["x"] + box["width"] <= PHONE["width"], box
    assert box["y"] + box["height"] <= PHONE["height"], box
    if (width := _scroll_width(page)) > PHONE["width"]:
        overflows.append(f"home page with the profile menu open: scrollWidth={width}")

    assert overflows == [], f"horizontal scroll at {PHONE['width']}px"
    assert page_problems == []
