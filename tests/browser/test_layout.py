"""The app shell's layout in Chromium, on every signed-in page at phone, tablet and desktop widths:

- nothing fixed or sticky (the profile button, a sticky panel, the composer) covers page content,
  at the top of the page and scrolled to the bottom;
- no page scrolls sideways, and every cell of every table (API keys, usage, recent usage, sessions)
  is on screen without scrolling a table sideways;
- on a phone the behaviour preview is one tap away from the preset cards, above Save, and follows
  the form.

The checks run in the page (``page.evaluate``) on the boxes the browser laid out. The live server's
database is flushed after each test; the root conftest re-seeds the plans and the chat model.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts import services as account_services
from accounts.models import User
from chat import services as chat_services
from chat.models import Message, MessageStatus, Role
from conftest import PASSWORD, make_user
from credits import services as credit_services
from credits.models import LedgerEntry
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = [
    {"width": 320, "height": 640},
    {"width": 375, "height": 740},
    {"width": 768, "height": 1024},
    {"width": 1024, "height": 768},
    {"width": 1440, "height": 900},
]
PHONE = {"width": 375, "height": 740}
# Screenshots at these widths are the ones looked at (a phone and a wide desktop).
SHOT_WIDTHS = {375, 1440}

# Shared by the checks below: is an element rendered, and the part of a box that is really on screen
# (inside the viewport and every ancestor that clips its overflow).
HELPERS = """
const vw = document.documentElement.clientWidth;
const vh = document.documentElement.clientHeight;
const shown = (el) => el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
const classes = (el) => (typeof el.className === "string" ? el.className.trim().split(/\\s+/) : [])
  .filter(Boolean).map((name) => "." + name).join("");
const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + classes(el);
const onScreen = (el, rect, clipByAncestors = true) => {
  let box = {left: Math.max(rect.left, 0), top: Math.max(rect.top, 0),
             right: Math.min(rect.right, vw), bottom: Math.min(rect.bottom, vh)};
  if (!clipByAncestors) return box;
  const root = document.documentElement;
  for (let a = el.parentElement; a && a !== document.body && a !== root; a = a.parentElement) {
    const style = getComputedStyle(a);
    if (style.overflowX === "visible" && style.overflowY === "visible") continue;
    const r = a.getBoundingClientRect();
    box = {left: Math.max(box.left, r.left), top: Math.max(box.top, r.top),
           right: Math.min(box.right, r.right), bottom: Math.min(box.bottom, r.bottom)};
  }
  return box;
};
const area = (box) => Math.max(0, box.right - box.left) * Math.max(0, box.bottom - box.top);
"""

# The chat's composer is a sticky bar that a long conversation scrolls beneath by design, as in any chat
# (the page opens at the latest message): it is checked with the page scrolled to its end, where it
# rests. Everything else fixed or sticky is checked at both ends.
SCROLLS_BENEATH = "#chat-composer"

# Every fixed or sticky element that is rendered, against every piece of content that isn't inside
# it: each line of text, each control, image and table cell. Overlaps of more than a pixel each way.
COVERED = (
    "([scrollsBeneath, atEnd]) => {"
    + HELPERS
    + """
  if (document.querySelector("dialog:modal")) return [];  // the top layer: nothing on the page shows over it
  const fixed = [];
  for (const el of document.body.querySelectorAll("*")) {
    const position = getComputedStyle(el).position;
    if ((position !== "fixed" && position !== "sticky") || !shown(el)) continue;
    if (!atEnd && el.matches(scrollsBeneath)) continue;
    const box = onScreen(el, el.getBoundingClientRect(), position === "sticky");
    if (area(box) > 0) fixed.push({el, box});
  }
  const content = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!node.data.trim() || !parent || !shown(parent)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const rect of range.getClientRects()) {
      content.push({node, el: parent, rect, label: JSON.stringify(node.data.trim().slice(0, 50))});
    }
  }
  const controls = "input:not([type=hidden]), select, textarea, button, summary, a[href], img, svg, td, th";
  for (const el of document.body.querySelectorAll(controls)) {
    if (shown(el)) content.push({node: el, el, rect: el.getBoundingClientRect(), label: describe(el)});
  }
  const problems = new Set();
  for (const f of fixed) {
    for (const c of content) {
      if (f.el.contains(c.node) || c.node.contains(f.el)) continue;
      const box = onScreen(c.el, c.rect);
      const w = Math.min(box.right, f.box.right) - Math.max(box.left, f.box.left);
      const h = Math.min(box.bottom, f.box.bottom) - Math.max(box.top, f.box.top);
      if (w > 1 && h > 1) problems.add(describe(f.el) + " covers " + c.label);
    }
  }
  return [...problems];
}"""
)

# The page doesn't scroll sideways, an open modal fits the window, and every cell of every rendered
# table lies wholly on screen, inside whatever scroll box holds the table.
SIDEWAYS = (
    "() => {"
    + HELPERS
    + """
  const problems = [];
  const width = document.scrollingElement.scrollWidth;
  if (width > vw) {
    // Name the innermost elements that stick out, so a failure says where to look.
    const sticksOut = (el) => el.getBoundingClientRect().right > vw + 1;
    const out = [...document.body.querySelectorAll("*")]
      .filter((el) => shown(el) && sticksOut(el) && ![...el.children].some(sticksOut));
    const where = out.slice(0, 4).map(describe).join(", ");
    problems.push("the page is " + width + "px wide in a " + vw + "px window: " + where);
  }
  const modal = document.querySelector("dialog:modal");
  if (modal) {
    const r = modal.getBoundingClientRect();
    if (r.left < 0 || r.right > vw) problems.push("the modal is off screen: " + r.left + " to " + r.right);
    for (const el of modal.querySelectorAll("*")) {
      const scrolls = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible";
      if (scrolls && !el.closest("table") && !el.matches("pre, code, textarea, select, input")) {
        problems.push(describe(el) + " in the modal scrolls sideways");
      }
    }
  }
  // Inside a box clipped to a pixel: visually hidden (a header row kept for screen readers).
  const clippedAway = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const r = a.getBoundingClientRect();
      if (getComputedStyle(a).overflowX !== "visible" && (r.width <= 1 || r.height <= 1)) return true;
    }
    return false;
  };
  for (const table of document.querySelectorAll("table")) {
    if (!shown(table)) continue;
    for (const cell of table.querySelectorAll("th, td")) {
      if (!shown(cell) || clippedAway(cell)) continue;
      const rect = cell.getBoundingClientRect();
      const box = onScreen(cell, {left: rect.left, right: rect.right, top: -1e9, bottom: 1e9});
      if (rect.left < box.left - 1 || rect.right > box.right + 1) {
        problems.push(describe(table) + ": " + JSON.stringify(cell.innerText.trim().slice(0, 30))
          + " is off screen (" + Math.round(rect.left) + " to " + Math.round(rect.right) + ")");
      }
    }
  }
  return problems;
}"""
)


@pytest.fixture(autouse=True)
def _seeded_presets(transactional_db: None) -> None:
    importlib.import_module("preferences.migrations.0002_seed_presets_and_platform_prompt").seed(apps, None)


def _sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    main = page.locator("main")
    main.get_by_label(re.compile(r"^Email:?$")).fill(email)
    main.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    main.get_by_role("button", name="Sign In").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def _person_with_data() -> tuple[User, str]:
    """A person with a week of usage, three API keys (one revoked) and a conversation; its id."""
    ada = make_user("ada.lovelace.analytical.engine@example.com", display_name="Ada Augusta Lovelace-Byron")
    for day in range(8):
        for action_type, amount in (("chat", 10 + day * 3), ("code_generation", 8 + day * 2)):
            entry = credit_services.debit(
                user=ada, action_type=action_type, amount=amount, idempotency_key=f"{action_type}-{day}"
            )
            # Test data only: spread over the past week for the chart and the history.
            LedgerEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(days=day))
    account_services.create_api_key(user=ada, name="Deploy script on the build server")
    account_services.create_api_key(user=ada, name="Laptop", expires_at=timezone.now() + timedelta(days=90))
    old, _ = account_services.create_api_key(user=ada, name="Old notebook")
    account_services.revoke_api_key(user=ada, key_id=old.pk)
    conversation = chat_services.start_conversation(user=ada)
    chat_services.rename_conversation(conversation=conversation, title="Sorting a list in Python")
    for role, content in (
        (Role.USER, "How do I sort a list of dictionaries by a key in Python?"),
        (Role.ASSISTANT, "Use `sorted(items, key=lambda item: item['name'])`."),
    ):
        Message.objects.create(
            conversation=conversation, role=role, content=content, status=MessageStatus.COMPLETE
        )
    return ada, str(conversation.pk)


def _signed_in_pages(conversation_id: str) -> list[tuple[str, str]]:
    return [
        ("home", reverse("home")),
        ("chat", reverse("chat:index")),
        ("conversation", reverse("chat:conversation", args=[conversation_id])),
        ("settings", reverse("preferences:index")),
        ("behavior", reverse("preferences:behavior")),
        ("language", reverse("preferences:language")),
        ("usage", reverse("credits:usage")),
        ("plans", reverse("credits:plans")),
        ("plans-annual", reverse("credits:plans") + "?cycle=annual"),
        ("credits", reverse("credits:recent")),
        ("top-up", reverse("credits:top_up")),
        ("security", reverse("accounts:security")),
        ("sessions", reverse("usersessions_list")),
        ("email", reverse("account_email")),
        ("password", reverse("account_change_password")),
        ("two-factor", reverse("mfa_index")),
        ("two-factor-activate", reverse("mfa_activate_totp")),
        ("delete-account", reverse("accounts:delete")),
    ]


def _layout_problems(page: Page, where: str) -> list[str]:
    """What covers content or spills sideways, at the top of the page and scrolled to its bottom."""
    problems = []
    for position in ("top", "bottom"):
        if position == "bottom":
            page.evaluate("window.scrollTo(0, document.scrollingElement.scrollHeight)")
            page.wait_for_timeout(50)  # a frame, for sticky boxes to settle
        covered = page.evaluate(COVERED, [SCROLLS_BENEATH, position == "bottom"])
        problems += [f"{where} ({position}): {p}" for p in covered]
        problems += [f"{where} ({position}): {p}" for p in page.evaluate(SIDEWAYS)]
    return problems


@pytest.mark.parametrize("viewport", VIEWPORTS, indirect=True, ids=lambda v: f"{v['width']}px")
def test_nothing_fixed_covers_content_and_nothing_scrolls_sideways(
    page: Page, viewport: dict[str, int], shot: Callable[[str], Path], page_problems: list[str]
) -> None:
    ada, conversation_id = _person_with_data()
    _sign_in(page, ada.email)
    screenshots = viewport["width"] in SHOT_WIDTHS

    problems: list[str] = []
    for name, url in _signed_in_pages(conversation_id):
        page.goto(url)
        expect(page.locator("#profile-button")).to_be_visible()
        if name == "usage":
            page.get_by_text("Show the numbers as a table").click()  # the chart's table, open too
        if name == "security":
            page.locator("#api-keys summary").first.click()  # a Revoke confirmation, open
        problems += _layout_problems(page, name)
        if screenshots:
            page.evaluate("window.scrollTo(0, 0)")
            shot(name)

    # The profile menu, open, stays on screen and is reachable.
    page.goto(reverse("preferences:index"))
    page.locator("#profile-button").click()
    menu = page.locator("#profile-menu")
    expect(menu).to_be_visible()
    box = menu.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= viewport["width"]
    assert box["y"] >= 0
    assert box["y"] + box["height"] <= viewport["height"]
    if screenshots:
        shot("profile-menu")
    page.keyboard.press("Escape")

    # The credits modals, from the credits bar: they fit the window, their tables too.
    page.locator("#credits-learn-more").click()
    dialog = page.locator("#modal")
    expect(dialog.get_by_role("heading", name="Your credits")).to_be_visible()
    problems += _layout_problems(page, "credits modal")
    if screenshots:
        shot("credits-modal")
    dialog.get_by_role("link", name="Top up").click()
    expect(dialog.get_by_role("heading", name="Top up credits")).to_be_visible()
    problems += _layout_problems(page, "top-up modal")
    if screenshots:
        shot("top-up-modal")

    assert not problems, "\n".join(problems)
    assert page_problems == []


@pytest.mark.parametrize("viewport", [PHONE], indirect=True)
def test_the_behavior_preview_is_one_tap_from_the_presets_on_a_phone(
    page: Page, shot: Callable[[str], Path], page_problems: list[str]
) -> None:
    ada = make_user("ada@example.com", display_name="Ada Lovelace")
    _sign_in(page, ada.email)
    page.goto(reverse("preferences:behavior"))

    # Wherever a preset card is picked, the way to the preview is on screen with it.
    jump = page.get_by_role("link", name="See what Javari receives")
    page.locator("label.preset-card", has_text="Seasoned Professional").click()
    expect(page.get_by_label("Response style")).to_have_value("expert")
    expect(jump).to_be_in_viewport()
    page.locator("label.preset-card", has_text="Beginner Friendly").click()
    expect(page.get_by_label("Response style")).to_have_value("beginner")
    expect(jump).to_be_in_viewport()
    shot("preset-picked")
    jump.click()

    preview = page.locator("#prompt-preview-text")
    expect(preview).to_contain_text("You are speaking with someone new to development.")
    expect(page.get_by_role("heading", name="What Javari receives")).to_be_in_viewport()
    expect(preview).to_be_in_viewport()
    # It is above Save: reaching it never means scrolling past the button.
    save = page.get_by_role("button", name="Save preferences")
    preview_box, save_box = preview.bounding_box(), save.bounding_box()
    assert preview_box is not None
    assert save_box is not None
    assert preview_box["y"] + preview_box["height"] <= save_box["y"]
    shot("preview-in-view")

    # It keeps following the form: a field changed further down shows at once.
    page.get_by_label("Tone").select_option("technical")
    expect(preview).to_contain_text("Keep a precise, technical tone.")
    assert page.evaluate(COVERED, [SCROLLS_BENEATH, False]) == []
    assert page.evaluate(SIDEWAYS) == []
    assert page_problems == []


# Every word of a table header, of a stacked table's cells, of a heading and of a form label is drawn
# on one line: a word split across two lines ("Acció/n", "127./0.0./1") is broken mid-word. A Range
# over each word has one client rect per line it is drawn on. (Cells of tables that keep their columns
# on a phone may break a long token as a last resort: the page must not scroll sideways.)
WORDS_BROKEN = (
    "() => {"
    + HELPERS
    + """
  const problems = new Set();
  for (const el of document.body.querySelectorAll("th, .table-stack td, h1, h2, h3, label")) {
    if (!shown(el)) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.parentElement || !shown(node.parentElement)) continue;
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0);
        if (new Set(rects.map((r) => Math.round(r.top))).size < 2) continue;
        // A word longer than its box's whole line (a long email on a phone) has to break somewhere.
        const style = getComputedStyle(el);
        const line = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        const width = rects.reduce((sum, r) => sum + r.width, 0);
        if (width <= line) problems.add(describe(el) + ": " + JSON.stringify(match[0]) + " split mid-word");
      }
    }
  }
  return [...problems];
}"""
)


@pytest.mark.parametrize(
    "viewport", [{"width": 320, "height": 640}, PHONE], indirect=True, ids=lambda v: f"{v['width']}px"
)
def test_in_spanish_on_a_phone_no_word_breaks_mid_word_and_headings_are_capitalised(
    page: Page, viewport: dict[str, int], shot: Callable[[str], Path], page_problems: list[str]
) -> None:
    ada, conversation_id = _person_with_data()
    ada.language = "es"
    ada.save(update_fields=["language"])
    _sign_in(page, ada.email)

    problems: list[str] = []
    for name, url in _signed_in_pages(conversation_id):
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", "es")
        if name == "usage":
            page.locator("details.chart-table summary").click()  # the chart's table, open too
        problems += [f"{name}: {p}" for p in page.evaluate(WORDS_BROKEN)]
        problems += [f"{name}: {p}" for p in page.evaluate(SIDEWAYS)]  # and the cells still fit the screen
        # Headings start with a capital, as every other one does ("Claves de API", not "claves de API").
        for heading in page.locator("main h1, main h2").all_inner_texts():
            text = heading.strip()
            if text and text[0].isalpha() and not text[0].isupper():
                problems.append(f"{name}: the heading {text!r} is not capitalised")
        # The tab names the page, then the site: "Inicio · Javari AI".
        title = page.title()
        if not re.fullmatch(r"\S.* · Javari AI", title):
            problems.append(f"{name}: the title {title!r} lacks its ' · ' separator")
        if name in {"usage", "sessions", "security"} and viewport["width"] == PHONE["width"]:
            shot(name)
        if name == "usage":  # the table whose headers broke ("Acció/n"), up close
            by_action = page.locator("table.by-action")
            by_action.screenshot(path=str(ARTIFACTS / f"usage-by-action-es-{viewport['width']}.png"))

    assert not problems, "\n".join(problems)
    assert page_problems == []


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}], indirect=True)
def test_in_spanish_the_behavior_fields_line_up_whatever_their_labels_length(
    page: Page, shot: Callable[[str], Path], page_problems: list[str]
) -> None:
    ana = make_user("ana@example.com", display_name="Ana", language="es")
    _sign_in(page, ana.email)
    page.goto(reverse("preferences:behavior"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    names = ("response_style", "code_preference", "communication_tone")
    fields = [page.locator(f"#id_{name}") for name in names]
    for width in range(640, 1921, 40):  # wherever "Preferencia de código" wraps and "Tono" does not
        page.set_viewport_size({"width": width, "height": 800})
        # Fields whose cells start on one row (a narrower window wraps them) end at the same line.
        rows: dict[int, list[float]] = {}
        for field in fields:
            cell, box = field.locator("xpath=..").bounding_box(), field.bounding_box()
            assert cell
            assert box
            rows.setdefault(round(cell["y"]), []).append(box["y"] + box["height"])
        on_one_row = [bottoms for bottoms in rows.values() if len(bottoms) > 1]
        assert on_one_row, f"{width}px: the fields never share a row"
        for bottoms in on_one_row:
            assert max(bottoms) - min(bottoms) <= 1, f"{width}px: the fields don't line up: {bottoms}"
    page.set_viewport_size({"width": 1280, "height": 800})
    shot("behavior-fields-es")
    assert page_problems == []
