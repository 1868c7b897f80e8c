"""The bell in Chromium: a notification made by ``services.notify`` appears without a reload (the
badge's poll), the panel opens by keyboard and lists it, clicking it marks it read and goes to its
page, "Mark all as read" empties the badge; at 1280 and 375 px, in English and Spanish. The browser's
time zone is guessed and saved."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD, make_user
from preferences import services as preferences_services
from reminders.models import NotificationKind
from reminders.services import notifications as centre

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
WORDS = {
    "en": {
        "sign_in": "Sign In",
        "email": r"^Email:?$",
        "password": r"^Password:?$",
        "none": "Notifications, none unread",
        "one": "Notifications, 1 unread",
        "two": "Notifications, 2 unread",
        "mark_all": "Mark all as read",
        "see_all": "See all notifications",
    },
    "es": {
        # The sign-in page follows the browser (English); the account's language applies after.
        "sign_in": "Sign In",
        "email": r"^Email:?$",
        "password": r"^Password:?$",
        "none": "Notificaciones, ninguna sin leer",
        "one": "Notificaciones, 1 sin leer",
        "two": "Notificaciones, 2 sin leer",
        "mark_all": "Marcar todas como leídas",
        "see_all": "Ver todas las notificaciones",
    },
}


@pytest.fixture(autouse=True)
def _fast_poll(settings: object) -> None:
    settings.NOTIFICATIONS_POLL_SECONDS = 1  # type: ignore[attr-defined]


def _scroll_width(page: Page) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth"))


def _wait_for_panel_load_after(page: Page, action: Callable[[], None]) -> None:
    """Do ``action`` (which opens the bell) and wait until htmx has swapped the panel's new body in."""
    page.evaluate(
        """() => { window.__bellLoaded = new Promise((resolve) => {
            document.body.addEventListener("htmx:afterSwap", function done(event) {
                if (event.detail.target.id !== "bell-panel") return;
                document.body.removeEventListener("htmx:afterSwap", done);
                resolve(true);
            });
        }); }"""
    )
    action()
    assert page.evaluate("window.__bellLoaded") is True


@pytest.mark.parametrize(
    ("viewport", "language"),
    [(DESKTOP, "en"), (PHONE, "en"), (DESKTOP, "es"), (PHONE, "es")],
    indirect=["viewport"],
    ids=["1280-en", "375-en", "1280-es", "375-es"],
)
def test_a_notification_appears_in_the_bell_without_reload_and_is_marked_read(
    page: Page,
    shot: Callable[[str], Path],
    page_problems: list[str],
    viewport: dict[str, int],
    language: str,
) -> None:
    words = WORDS[language]
    ada = make_user("ada@example.com", display_name="Ada Lovelace", language=language)
    page.goto("/accounts/login/")
    main = page.locator("main")
    main.get_by_label(re.compile(words["email"])).fill(ada.email)
    main.get_by_label(re.compile(words["password"])).fill(PASSWORD)
    main.get_by_role("button", name=words["sign_in"]).click()
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/settings/")
    bell = page.locator("#bell-button")
    expect(bell).to_have_attribute("aria-label", words["none"])
    expect(page.locator(".bell-badge")).to_have_count(0)

    # Made by a service, as the dispatcher does: the open page learns of it by polling.
    page.evaluate("window.__marker = 'no reload'")
    centre.notify(
        user=ada,
        kind=NotificationKind.REMINDER,
        title="Rotate the Vercel key",
        body="Due tomorrow at 09:00",
        url="/settings/language/",
        idempotency_key="browser:1",
    )
    expect(bell).to_have_attribute("aria-label", words["one"], timeout=8_000)
    expect(page.locator(".bell-badge")).to_have_text("1")
    expect(page.locator("#bell-status")).to_contain_text("Rotate the Vercel key")
    assert page.evaluate("window.__marker") == "no reload"
    shot(f"badge-{language}")

    # The panel opens by keyboard and lists it, unread.
    bell.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#bell-panel")
    expect(panel.get_by_role("button", name=re.compile("Rotate the Vercel key"))).to_be_visible()
    expect(panel.locator(".notification-item.is-unread")).to_have_count(1)
    expect(panel.get_by_role("link", name=words["see_all"])).to_be_visible()
    box = panel.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= viewport["width"]
    assert _scroll_width(page) <= viewport["width"]
    shot(f"panel-{language}")

    # Escape closes it and gives focus back to the bell.
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(bell).to_be_focused()

    # Clicking it marks it read and goes to its page. Reopening loads the panel again: the click
    # waits for that load, or it could land on a button the load is replacing (CI saw it lost).
    _wait_for_panel_load_after(page, lambda: page.keyboard.press("Enter"))
    panel.get_by_role("button", name=re.compile("Rotate the Vercel key")).click()
    expect(page).to_have_url(re.compile(r"/settings/language/$"))
    expect(page.locator("#bell-button")).to_have_attribute("aria-label", words["none"])
    assert centre.unread_count(user=ada) == 0

    # Two more, then "Mark all as read" in the panel.
    for n in (2, 3):
        centre.notify(
            user=ada, kind=NotificationKind.SYSTEM, title=f"Notice {n}", idempotency_key=f"browser:{n}"
        )
    page.evaluate("window.dispatchEvent(new Event('focus'))")  # regaining focus asks at once
    expect(page.locator("#bell-button")).to_have_attribute("aria-label", words["two"], timeout=8_000)
    page.locator("#bell-button").click()
    expect(panel.locator(".notification-item.is-unread")).to_have_count(2)
    panel.get_by_role("button", name=words["mark_all"]).click()
    expect(panel.locator(".notification-item.is-unread")).to_have_count(0)
    expect(page.locator("#bell-button")).to_have_attribute("aria-label", words["none"])
    expect(page.locator(".bell-badge")).to_have_count(0)
    assert centre.unread_count(user=ada) == 0
    shot(f"all-read-{language}")

    # The full list.
    panel.get_by_role("link", name=words["see_all"]).click()
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    expect(page.locator(".notification-item")).to_have_count(3)
    assert _scroll_width(page) <= viewport["width"]
    shot(f"list-{language}")
    assert page_problems == []


def test_the_browsers_time_zone_is_guessed_and_the_settings_pages(
    browser: object, live_server: object, shot: Callable[[str], Path], artifacts_dir: Path
) -> None:
    ada = make_user("ada@example.com", display_name="Ada Lovelace")
    context = browser.new_context(  # type: ignore[attr-defined]
        base_url=str(live_server.url),  # type: ignore[attr-defined]
        viewport=PHONE,
        locale="en-US",
        timezone_id="America/Los_Angeles",
    )
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        main = page.locator("main")
        main.get_by_label(re.compile(r"^Email:?$")).fill(ada.email)
        main.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
        main.get_by_role("button", name="Sign In").click()
        expect(page).to_have_url(re.compile(r"/$"))
        page.goto("/settings/calendar/")
        assert preferences_services.time_zone_of(ada) == "America/Los_Angeles"
        page.reload()
        zone = page.get_by_label("Time zone", exact=True)
        expect(zone).to_have_value("America/Los_Angeles")
        move = page.get_by_label(re.compile("Also move my reminders"))
        expect(move).to_be_hidden()  # shown only once another zone is picked
        zone.select_option("Europe/Madrid")
        expect(move).to_be_visible()
        assert _scroll_width(page) <= PHONE["width"]
        page.screenshot(path=str(artifacts_dir / "notifications-scheduling-375.png"), full_page=True)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Calendar and scheduling settings saved.")).to_be_visible()
        assert preferences_services.time_zone_of(ada) == "Europe/Madrid"
        page.goto("/settings/notifications/")
        assert _scroll_width(page) <= PHONE["width"]
        page.screenshot(path=str(artifacts_dir / "notifications-settings-375.png"), full_page=True)
    finally:
        context.close()
