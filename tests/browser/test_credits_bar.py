"""The credits bar in Chromium: its numbers, the credits and top-up modals by keyboard, an update
without a reload, the plans page's monthly/annual toggle, and the credits pages on a phone and in dark.

The tests run on a transactional database (the live server's thread must see the data), which is
flushed after each test; the root conftest re-seeds the plans, prices and packs before each one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from conftest import PASSWORD, make_user
from credits import services
from credits.models import LedgerEntry, Plan, Tier

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


def _sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    main = page.locator("main")
    main.get_by_label(re.compile(r"^Email:?$")).fill(email)
    main.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    main.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/$"))


def _debit(user: User, amount: int, key: str, action_type: str = "chat", days_ago: int = 0) -> None:
    entry = services.debit(user=user, action_type=action_type, amount=amount, idempotency_key=key)
    if days_ago:
        # Test data only: places the entry in the past for the usage chart.
        LedgerEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(days=days_ago))


def _scroll_width(page: Page) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth"))


def test_the_bar_opens_its_modals_by_keyboard_and_updates_without_a_reload(
    page: Page, shot: Callable[[str], Path], page_problems: list[str]
) -> None:
    ada = make_user("ada@example.com", display_name="Ada Lovelace")
    _debit(ada, 250, "first-chat")
    _sign_in(page, ada.email)

    bar = page.locator("#credits-bar")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text(re.compile(r"Credits:\s*250 / 500\s*\|\s*Plan:\s*Free\s*\|\s*Learn More"))
    expect(bar.locator(".credits-low")).to_have_count(0)
    shot("bar")

    # Learn More, by keyboard: the credits modal opens with its title focused.
    learn_more = page.locator("#credits-learn-more")
    learn_more.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#modal")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Your credits")).to_be_focused()
    expect(dialog).to_contain_text("Recent usage")
    row = dialog.locator("tbody tr").first
    expect(row).to_contain_text("Chat")
    expect(row).to_contain_text("\u2212250")
    assert page.evaluate("document.getElementById('modal').matches(':modal')")
    shot("credits-modal")

    # Escape closes it and gives focus back to Learn More.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(learn_more).to_be_focused()

    # Top up from inside the modal: the same dialog shows the packs; no keys, so buttons say so.
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("heading", name="Your credits")).to_be_focused()
    dialog.get_by_role("link", name="Top up").click()
    expect(dialog.get_by_role("heading", name="Top up credits")).to_be_focused()
    buttons = dialog.get_by_role("button", name="Payments aren't configured")
    expect(buttons).to_have_count(3)
    for index in range(3):
        expect(buttons.nth(index)).to_be_disabled()
    shot("top-up-modal")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    expect(learn_more).to_be_focused()

    # Credits are spent elsewhere (server side); the event reaches <body>; the bar follows, no reload.
    page.evaluate("window.__sameDocument = true")
    _debit(ada, 200, "second-chat")
    page.evaluate("document.body.dispatchEvent(new Event('credits-changed'))")
    expect(page.locator("#credits-balance")).to_have_text("50")
    expect(bar).to_contain_text("Low balance: 10% or less of your credits remain.")
    expect(page.locator("#credits-status")).to_have_text("Credits: 50 of 500 left. Low balance.")
    assert page.evaluate("window.__sameDocument === true")
    shot("bar-low-after-update")

    # Plans: monthly first, annual in place.
    page.goto("/plans/")
    pro = page.locator("li.plan-card", has=page.get_by_role("heading", name="Pro"))
    expect(pro).to_contain_text("Most popular")
    expect(pro).to_contain_text("$29")
    expect(page.locator("li.plan-card", has=page.get_by_role("heading", name="Free"))).to_contain_text(
        "Current plan"
    )
    shot("plans-monthly")
    page.evaluate("window.__sameDocument = true")
    page.locator("#cycle-annual").click()
    expect(pro).to_contain_text("$290")
    expect(pro).to_contain_text("Save $58 a year (17%).")
    expect(page).to_have_url(re.compile(r"/plans/\?cycle=annual$"))
    expect(page.locator("#cycle-annual")).to_have_attribute("aria-current", "true")
    expect(page.locator("#cycle-annual")).to_be_focused()
    assert page.evaluate("window.__sameDocument === true")
    shot("plans-annual")

    assert page_problems == []


def _usage_data(user: User) -> None:
    """A Starter subscriber's month with a top-up: chats most days, some code generation, a few
    files, and a batch today that leaves 150 credits: under 10%, so the low-balance warning shows."""
    starter = Plan.objects.get(tier=Tier.STARTER)
    services.set_plan(user=user, plan=starter)
    services.renew_allowance(user=user, plan=starter, idempotency_key="starter-renewal")
    services.purchase(user=user, amount=1_000, idempotency_key="evt_top_up")
    for day in range(29, -1, -1):
        if day % 4 != 3:
            _debit(user, 20 + (day * 37) % 90, f"chat-{day}", "chat", days_ago=day)
        if day % 3 == 0:
            _debit(user, 40 + (day * 13) % 60, f"code-{day}", "code_generation", days_ago=day)
        if day % 9 == 1:
            _debit(user, 120, f"file-{day}", "file_analysis", days_ago=day)
    _debit(user, services.get_account(user).balance - 150, "today-batch", "code_generation")


@pytest.mark.parametrize(
    ("viewport", "theme"),
    [(PHONE, "light"), (PHONE, "dark"), (DESKTOP, "dark")],
    indirect=["viewport"],
    ids=["375px-light", "375px-dark", "1280px-dark"],
)
def test_the_credits_pages_fit_the_screen_in_both_themes(
    page: Page,
    shot: Callable[[str], Path],
    page_problems: list[str],
    live_server: object,
    viewport: dict,
    theme: str,
) -> None:
    grace = make_user("grace.brewster.murray.hopper@example.com", display_name="Grace Brewster Murray Hopper")
    _usage_data(grace)
    page.context.add_cookies([{"name": "javari_theme", "value": theme, "url": str(live_server.url)}])  # type: ignore[attr-defined]
    _sign_in(page, grace.email)
    overflows: list[str] = []

    def check(name: str) -> None:
        shot(name)
        if (width := _scroll_width(page)) > viewport["width"]:
            overflows.append(f"{name}: scrollWidth={width}")

    page.reload()  # without the "signed in" message
    expect(page.locator("#credits-bar .credits-low")).to_be_visible()
    check("home-low-balance")

    page.locator("#credits-learn-more").click()
    expect(page.locator("#modal").get_by_role("heading", name="Your credits")).to_be_visible()
    check("credits-modal")
    page.keyboard.press("Escape")

    page.goto("/credits/top-up/")  # the page a browser without JavaScript gets for the top-up modal
    expect(page.get_by_role("heading", level=1, name="Top up credits")).to_be_visible()
    check("top-up-page")

    page.goto("/plans/?cycle=annual")
    expect(page.locator("li.plan-card")).to_have_count(4)
    check("plans-annual")

    page.goto("/settings/usage/")
    expect(page.locator("svg.chart-svg")).to_be_visible()
    check("usage")
    page.get_by_text("Show the numbers as a table").click()
    expect(page.locator(".chart-table table")).to_be_visible()

    page.goto("/settings/")
    expect(page.get_by_role("link", name=re.compile("Usage & Analytics"))).to_be_visible()
    check("settings")

    assert overflows == [], f"horizontal scroll at {viewport['width']}px"
    assert page_problems == []
