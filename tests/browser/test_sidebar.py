"""The side panel in Chromium, on a harness page (sidebar_harness.py) holding the real partial, CSS and
JS beside a reply rendered by javari.markdown: code opens and copies, the diff switches between side by
side and unified (remembered), JSON nodes fold, the toggle and Escape close it with focus handed back,
the JS API's autoOpen, the user's default, and on a phone the open panel covers the conversation.

Most tests emulate reduced motion, so geometry is read after the slide, not during it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from . import sidebar_harness

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def harness(
    settings: object, context: BrowserContext, page: Page, page_problems: list[str], live_server: object
) -> Iterator[Page]:
    settings.ROOT_URLCONF = sidebar_harness.__name__  # type: ignore[attr-defined]
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=str(live_server.url))  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda message: message.type == "error" and page_problems.append(f"console: {message.text}"),
    )
    page.emulate_media(reduced_motion="reduce")
    yield page
    assert page_problems == []


@pytest.fixture
def screen(page: Page, artifacts_dir: Path, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """A screenshot of the window only: on a phone the covering panel is fixed to the window, and a
    full-page shot would show it over the top of a long page."""

    def take(step: str) -> Path:
        path = artifacts_dir / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', request.node.name)}-screen-{step}.png"
        page.screenshot(path=str(path))
        return path

    return take


def _goto(page: Page, query: str = "") -> None:
    page.goto(f"/sidebar-harness/{query}")
    expect(page.locator("#sidebar[data-ready]")).to_have_count(1)


def _set_theme(page: Page, live_server: object, theme: str) -> None:
    page.context.add_cookies([{"name": "javari_theme", "value": theme, "url": str(live_server.url)}])  # type: ignore[attr-defined]


def _block(page: Page, language: str) -> Locator:
    return page.locator(f"#reply .code-block[data-language='{language}']")


def _clipboard(page: Page) -> str:
    return str(page.evaluate("navigator.clipboard.readText()"))


def _sidebar(page: Page) -> Locator:
    return page.locator("#sidebar")


def test_a_code_block_opens_beside_the_conversation_and_copies(
    harness: Page, shot: Callable[[str], Path]
) -> None:
    page = harness
    _goto(page)
    sidebar = _sidebar(page)
    toggle = page.locator("#harness-toggle")
    expect(sidebar).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    shot("closed")

    opener = _block(page, "python").get_by_role("button", name="Open in panel")
    opener.click()
    expect(sidebar).to_be_visible()
    title = page.locator("#sidebar-title")
    expect(title).to_have_text("Python · 7 lines")
    expect(title).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    # The reply's five artifacts are tabs, the one asked for selected.
    tabs = sidebar.get_by_role("tab")
    expect(tabs).to_have_text(
        ["Python · 7 lines", "Diff · 1 file", "JSON", "The Javari logo", "JavaScript · 1 line"]
    )
    expect(tabs.nth(0)).to_have_attribute("aria-selected", "true")
    expect(sidebar.locator("pre code .k").first).to_have_text("def")

    # Beside the conversation, 45% of the layout wide.
    panel = sidebar.bounding_box()
    main = page.locator(".chat-main").bounding_box()
    layout = page.locator(".chat-layout").bounding_box()
    assert panel
    assert main
    assert layout
    assert main["x"] + main["width"] <= panel["x"] + 1
    assert abs(panel["width"] - max(360, 0.45 * layout["width"])) < 2

    sidebar.locator(".sidebar__toolbar").get_by_role("button", name="Copy").click()
    expect(sidebar.locator(".sidebar__toolbar").get_by_role("button", name="Copied")).to_be_visible()
    assert _clipboard(page) == sidebar_harness.CODE
    shot("code-open")

    # The Copy button on the block in the message copies the same text, says so, then reads Copy again.
    page.evaluate("navigator.clipboard.writeText('')")
    copy = _block(page, "python").locator(".copy-button")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert _clipboard(page) == sidebar_harness.CODE
    expect(copy).to_have_text("Copy", timeout=4000)


def test_a_diff_shows_side_by_side_or_unified_and_remembers(
    harness: Page, shot: Callable[[str], Path]
) -> None:
    page = harness
    _goto(page)
    sidebar = _sidebar(page)
    _block(page, "diff").get_by_role("button", name="Open in panel").click()
    expect(page.locator("#sidebar-title")).to_have_text("Diff · 1 file")

    split = sidebar.locator("table.diff-split")
    expect(split).to_be_visible()
    expect(sidebar.get_by_role("button", name="Side by side")).to_have_attribute("aria-pressed", "true")
    expect(split.locator(".diff-file")).to_have_text("app/greet.py")
    expect(split.locator("thead th")).to_have_text(["Before", "After"])
    # The removed line and the first added line share a row; the other additions face empty cells.
    paired = split.locator("tbody tr:has(td.diff-code.diff-del)")
    expect(paired).to_have_count(1)
    expect(paired.locator("td")).to_have_text(
        ["2", re.compile(r'^-\s+return "Hello " \+ name$'), "2", re.compile(r"^\+\s+if not name:$")]
    )
    expect(split.locator("tbody tr:has(td.diff-code.diff-add)")).to_have_count(3)
    expect(split.locator("tbody tr:has(td.diff-empty)")).to_have_count(2)
    expect(split.locator(".diff-hunk")).to_have_text("@@ -1,5 +1,7 @@")
    shot("diff-side-by-side")

    sidebar.get_by_role("button", name="Unified").click()
    unified = sidebar.locator("table.diff-unified")
    expect(unified).to_be_visible()
    expect(split).to_be_hidden()  # both views come from the server; CSS shows the one picked
    expect(sidebar.get_by_role("button", name="Unified")).to_have_attribute("aria-pressed", "true")
    removed = unified.locator("tbody tr:has(td.diff-code.diff-del)")
    expect(removed.locator("td")).to_have_text(["2", "", re.compile(r'return "Hello "')])
    expect(unified.locator("tbody tr:has(td.diff-code.diff-add)")).to_have_count(3)
    expect(unified.locator("tbody tr:has(td.diff-code.diff-add)").last.locator("td")).to_have_text(
        ["", "4", re.compile(r'return f"Hello, \{name\}!"')]
    )
    shot("diff-unified")

    # Remembered across pages.
    page.reload()
    expect(page.locator("#sidebar[data-ready]")).to_have_count(1)
    _block(page, "diff").get_by_role("button", name="Open in panel").click()
    expect(sidebar.locator("table.diff-unified")).to_be_visible()
    sidebar.get_by_role("button", name="Side by side").click()
    expect(sidebar.locator("table.diff-split")).to_be_visible()
    assert page.evaluate("localStorage.getItem('javari.sidebar.diffView')") == "split"


def test_json_is_a_tree_that_folds(harness: Page, shot: Callable[[str], Path]) -> None:
    page = harness
    _goto(page)
    sidebar = _sidebar(page)
    _block(page, "json").get_by_role("button", name="Open in panel").click()
    expect(page.locator("#sidebar-title")).to_have_text("JSON")
    tree = sidebar.locator(".json-tree")
    expect(tree.locator("details")).to_have_count(4)  # the document, features, sidebar, languages
    expect(tree.locator(".json-string").first).to_have_text('"Javari"')
    expect(tree.locator(".json-null")).to_have_text("null")

    # Two levels open at first: "sidebar" (the third) is folded, saying how big it is.
    nested = tree.locator("summary").filter(has=page.locator(".json-key", has_text='"sidebar"'))
    default_open = tree.locator(".json-key", has_text='"default_open"')
    expect(nested).to_contain_text("…}")
    expect(nested.locator(".json-count")).to_have_text("2 keys")
    expect(default_open).to_be_hidden()
    nested.click()
    expect(default_open).to_be_visible()
    nested.click()
    expect(default_open).to_be_hidden()

    # By keyboard too: a summary is a button.
    nested.focus()
    page.keyboard.press("Enter")
    expect(default_open).to_be_visible()

    sidebar.get_by_role("button", name="Collapse all").click()
    expect(tree.locator(".json-key", has_text='"chat"')).to_be_hidden()
    expect(tree.locator(".json-key", has_text='"features"')).to_be_visible()
    shot("json-collapsed")
    sidebar.get_by_role("button", name="Expand all").click()
    expect(default_open).to_be_visible()
    expect(tree.locator(".json-string", has_text='"es"')).to_be_visible()
    shot("json-expanded")

    sidebar.locator(".sidebar__toolbar").get_by_role("button", name="Copy").click()
    expect(sidebar.get_by_role("button", name="Copied")).to_be_visible()
    assert json.loads(_clipboard(page)) == sidebar_harness.DOCUMENT


def test_the_toggle_escape_and_the_close_button_close_it_and_give_focus_back(harness: Page) -> None:
    page = harness
    _goto(page)
    sidebar = _sidebar(page)
    toggle = page.locator("#harness-toggle")
    title = page.locator("#sidebar-title")

    # The toggle opens it on the reply's first artifact that opens by itself, and closes it.
    toggle.click()
    expect(sidebar).to_be_visible()
    expect(title).to_have_text("Python · 7 lines")
    expect(title).to_be_focused()
    toggle.click()
    expect(sidebar).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")

    # By keyboard; Escape closes it and focus goes back to the toggle.
    toggle.focus()
    page.keyboard.press("Enter")
    expect(sidebar).to_be_visible()
    expect(title).to_be_focused()
    page.keyboard.press("Escape")
    expect(sidebar).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")

    # Tabs follow the arrow keys.
    opener = _block(page, "json").get_by_role("button", name="Open in panel")
    opener.click()
    expect(title).to_have_text("JSON")
    sidebar.get_by_role("tab", name="JSON").focus()
    page.keyboard.press("ArrowRight")
    expect(title).to_have_text("The Javari logo")
    expect(sidebar.get_by_role("tab", name="The Javari logo")).to_be_focused()
    image = sidebar.locator(".sidebar__figure img")
    expect(image).to_have_attribute("src", "/static/img/javari.svg")
    expect(image).to_have_attribute("alt", "The Javari logo")
    expect(sidebar.get_by_role("link", name="Open the image in a new tab")).to_have_attribute(
        "target", "_blank"
    )

    # The close button hands focus back to the button that opened the panel.
    sidebar.get_by_role("button", name="Close the side panel").click()
    expect(sidebar).to_be_hidden()
    expect(opener).to_be_focused()


def test_the_panel_slides_unless_motion_is_reduced(harness: Page) -> None:
    page = harness
    _goto(page)
    reduced = page.locator("#sidebar").evaluate("el => getComputedStyle(el).transitionProperty")
    page.emulate_media(reduced_motion="no-preference")
    sliding = page.locator("#sidebar").evaluate("el => getComputedStyle(el).transitionProperty")
    assert "flex-basis" in sliding
    assert "flex-basis" not in reduced


def test_auto_open_the_default_and_the_empty_state(harness: Page) -> None:
    page = harness
    # The user's default: open from the first paint, on the reply's first artifact, focus left alone.
    _goto(page, "?default=open")
    sidebar = _sidebar(page)
    expect(sidebar).to_be_visible()
    expect(page.locator("#sidebar-title")).to_have_text("Python · 7 lines")
    expect(page.locator("#harness-toggle")).to_have_attribute("aria-expanded", "true")
    assert page.evaluate("document.activeElement === document.body")

    page.evaluate("JavariSidebar.close()")
    expect(sidebar).to_be_hidden()
    artifacts = "JSON.parse(document.getElementById('reply').dataset.artifacts)"
    # Only the short JavaScript block: nothing to open by itself.
    assert page.evaluate(f"JavariSidebar.autoOpen({artifacts}.slice(4))") is False
    expect(sidebar).to_be_hidden()
    assert page.evaluate(f"JavariSidebar.autoOpen({artifacts}.slice(1))") is True
    expect(sidebar).to_be_visible()
    expect(page.locator("#sidebar-title")).to_have_text("Diff · 1 file")
    assert page.evaluate("document.activeElement === document.body")
    assert page.evaluate("JavariSidebar.isOpen()") is True

    # Files, addresses that are not allowed, JSON that does not parse (yet).
    page.evaluate("JavariSidebar.show({kind: 'file', title: 'report.pdf', content: '/media/report.pdf'})")
    expect(sidebar.get_by_role("link", name="report.pdf")).to_have_attribute("href", "/media/report.pdf")
    page.evaluate("JavariSidebar.show({kind: 'file', title: 'evil', content: 'javascript:alert(1)'})")
    expect(sidebar.locator(".sidebar__file")).to_have_text("evil")
    expect(sidebar.locator(".sidebar__file a")).to_have_count(0)
    page.evaluate("JavariSidebar.show({kind: 'image', title: 'x', content: 'javascript:alert(1)'})")
    expect(sidebar.locator("img")).to_have_count(0)
    page.evaluate("JavariSidebar.show({kind: 'json', title: 'JSON', content: '{\"a\": [1, <b>'})")
    expect(sidebar.locator(".sidebar__notice")).to_have_text("Not valid JSON (yet): shown as text.")
    expect(sidebar.locator("pre code")).to_have_text('{"a": [1, <b>')
    expect(sidebar.locator("pre b")).to_have_count(0)

    # A reply with nothing to show: the panel says what it is for.
    _goto(page, "?plain=1")
    page.locator("#harness-toggle").click()
    expect(sidebar.locator(".sidebar__empty")).to_have_text(
        "Code, diffs and JSON from Javari's replies open here."
    )
    expect(page.locator("#sidebar-title")).to_have_text("Side panel")
    expect(page.locator(".code-block .open-artifact")).to_have_count(0)


@pytest.mark.parametrize("viewport", [PHONE], indirect=True)
def test_on_a_phone_the_open_panel_covers_the_conversation(
    harness: Page, shot: Callable[[str], Path], screen: Callable[[str], Path]
) -> None:
    page = harness
    _goto(page)
    sidebar = _sidebar(page)
    opener = _block(page, "python").get_by_role("button", name="Open in panel")
    opener.click()
    expect(sidebar).to_be_visible()
    box = sidebar.bounding_box()
    assert box == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
    assert page.evaluate("document.elementFromPoint(187, 370).closest('#sidebar') !== null")
    assert page.evaluate("document.elementFromPoint(20, 700).closest('#sidebar') !== null")
    close = sidebar.get_by_role("button", name="Close the side panel")
    expect(close).to_be_in_viewport()
    assert int(page.evaluate("document.scrollingElement.scrollWidth")) <= PHONE["width"]
    screen("code")
    # On a phone a diff starts unified (nothing picked yet): two columns of code would not fit.
    sidebar.get_by_role("tab", name="Diff · 1 file").click()
    expect(sidebar.locator("table.diff-unified")).to_be_visible()
    screen("diff")

    # Tab stays inside the covering panel.
    for _ in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate("document.getElementById('sidebar').contains(document.activeElement)")

    close.click()
    expect(sidebar).to_be_hidden()
    expect(opener).to_be_focused()
    expect(page.locator(".chat-main")).to_be_visible()

    # A finished reply does not cover what was just received on a phone: the toggle is marked instead.
    artifacts = "JSON.parse(document.getElementById('reply').dataset.artifacts)"
    assert page.evaluate(f"JavariSidebar.autoOpen({artifacts})") is False
    expect(sidebar).to_be_hidden()
    toggle = page.locator("#harness-toggle")
    expect(toggle).to_have_attribute("data-sidebar-new", "")
    toggle.click()
    expect(sidebar).to_be_visible()
    expect(toggle).not_to_have_attribute("data-sidebar-new", "")
    page.keyboard.press("Escape")
    expect(sidebar).to_be_hidden()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_dark_theme(
    harness: Page,
    live_server: object,
    viewport: dict[str, int],
    shot: Callable[[str], Path],
    screen: Callable[[str], Path],
) -> None:
    page = harness
    panel_shot = screen if viewport == PHONE else shot
    _set_theme(page, live_server, "dark")
    _goto(page)
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    sidebar = _sidebar(page)
    shot("conversation")
    _block(page, "diff").get_by_role("button", name="Open in panel").click()
    expect(sidebar.locator(".diff-table:visible")).to_be_visible()  # the view picked of the two
    panel_shot("diff")
    sidebar.get_by_role("tab", name="JSON").click()
    expect(sidebar.locator(".json-tree")).to_be_visible()
    panel_shot("json")
    sidebar.get_by_role("tab", name=re.compile("^Python")).click()
    expect(sidebar.locator("pre code .k").first).to_be_visible()
    panel_shot("code")


@pytest.mark.parametrize("viewport", [PHONE], indirect=True)
def test_in_spanish_on_a_phone(
    harness: Page, live_server: object, settings: object, screen: Callable[[str], Path]
) -> None:
    page = harness
    cookie = settings.LANGUAGE_COOKIE_NAME  # type: ignore[attr-defined]
    page.context.add_cookies([{"name": cookie, "value": "es", "url": str(live_server.url)}])  # type: ignore[attr-defined]
    _goto(page)
    assert page.evaluate("document.documentElement.lang") == "es"
    sidebar = _sidebar(page)
    _block(page, "json").get_by_role("button", name="Abrir en el panel").click()
    expect(page.locator("#sidebar-title")).to_have_text("JSON")
    toolbar = sidebar.locator(".sidebar__toolbar")
    expect(toolbar.get_by_role("button")).to_have_text(["Desplegar todo", "Plegar todo", "Copiar"])
    expect(sidebar.locator(".json-count").first).to_have_text("5 claves")
    expect(sidebar.get_by_role("tab", name="JSON")).to_be_in_viewport()
    # The longer Spanish labels still fit the toolbar on one line.
    assert toolbar.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert (
        len(
            {
                round(box["y"])
                for box in toolbar.get_by_role("button").evaluate_all(
                    "els => els.map(el => el.getBoundingClientRect().toJSON())"
                )
            }
        )
        == 1
    )
    screen("json")
    sidebar.get_by_role("tab", name="Cambios · 1 archivo").click()
    expect(sidebar.get_by_role("button", name="Unificada")).to_have_attribute("aria-pressed", "true")
    expect(sidebar.get_by_role("button", name="Cerrar el panel lateral")).to_be_visible()
    screen("diff")
