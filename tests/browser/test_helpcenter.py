"""The help center in Chromium, in English and Spanish: search on /help/ answers as you type, an
article opens with its contents, and "Was this helpful?" records a vote and a comment; the pages on a
phone (375 px) without sideways scrolling.

The live server's database is flushed after each test: the categories are seeded again first, the
real articles loaded with the loader and indexed.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.apps import apps
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import BrowserContext, Page, expect

from accounts.tests.helpers import TOTP_SECRET
from conftest import PASSWORD, make_user
from helpcenter.models import Article, Interaction, InteractionKind
from helpcenter.services import index_article, load_articles, rebuild_vocabulary
from javari.retrieval.tests.embedders import WordHashEmbedder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
SLUG = "usage-and-spending-cap"
# What each language types, and a word of the article's title it expects as you type.
JOURNEYS = {
    "en": {
        "query": "spending cap",
        "title": "spending cap",
        "menu": "Get Help",
        "yes": "Yes",
        "thanks": "Thanks! Your answer was saved.",
    },
    "es": {
        "query": "límite de gasto",
        "title": "límite de gasto",
        "menu": "Obtener ayuda",
        "yes": "Sí",
        "thanks": "¡Gracias! Hemos guardado tu respuesta.",
    },
}


@pytest.fixture(autouse=True)
def _articles(transactional_db: None) -> None:
    importlib.import_module("helpcenter.migrations.0003_categories").seed(apps, None)
    if not Article.objects.exists():
        load_articles()
    # Indexed as the task would, with a small deterministic embedder (the question-set test measures
    # the real model): the page finds passages by full text, typo-corrected full text and vectors.
    for article_id in Article.objects.values_list("pk", flat=True):
        index_article(article_id=article_id, embedder=WordHashEmbedder())
    rebuild_vocabulary()


def _sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    main = page.locator("main")
    main.get_by_label(re.compile(r"^Email:?$")).fill(email)
    main.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    main.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/$"))


@pytest.mark.parametrize("language", ["en", "es"])
def test_search_as_you_type_open_an_article_and_mark_it_helpful(
    page: Page, shot: Callable[[str], Path], page_problems: list[str], language: str
) -> None:
    journey = JOURNEYS[language]
    user = make_user(f"reader-{language}@example.com", display_name="Reader")
    _sign_in(page, user.email)
    type(user).objects.filter(pk=user.pk).update(language=language)

    # The profile menu leads to the help center.
    page.goto("/")
    page.locator("#profile-button").click()
    page.locator("#profile-menu").get_by_role(
        "link", name="Get Help" if language == "en" else "Obtener ayuda"
    ).click()
    expect(page).to_have_url(re.compile(r"/help/$"))

    # Typing answers under the box, without leaving the page.
    page.get_by_role("searchbox").press_sequentially(journey["query"], delay=20)
    suggestions = page.locator("#help-suggestions")
    expect(suggestions.get_by_role("link").first).to_contain_text(re.compile(journey["title"], re.IGNORECASE))
    expect(page).to_have_url(re.compile(r"/help/$"))
    shot(f"{language}-suggestions")
    # Escape from one of them closes the list and returns to the box; typing again brings it back.
    suggestions.get_by_role("link").first.focus()
    page.keyboard.press("Escape")
    expect(suggestions.get_by_role("link")).to_have_count(0)
    expect(page.get_by_role("searchbox")).to_be_focused()
    expect(page.get_by_role("searchbox")).to_have_value(journey["query"])
    page.get_by_role("searchbox").press("End")
    page.get_by_role("searchbox").press_sequentially(" ", delay=20)
    expect(suggestions.get_by_role("link").first).to_contain_text(re.compile(journey["title"], re.IGNORECASE))
    searches = Interaction.objects.filter(kind=InteractionKind.SEARCH, language=language)
    assert searches.filter(query=journey["query"]).exists()
    # Debounced: far fewer recorded searches than keystrokes.
    assert searches.count() < len(journey["query"])

    # The article, with its contents and anchored headings.
    suggestions.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/help/articles/{SLUG}/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(journey["title"], re.IGNORECASE))
    toc = page.locator(".help-toc")
    first_entry = toc.get_by_role("link").first
    anchor = first_entry.get_attribute("href")
    assert anchor
    assert anchor.startswith("#")
    expect(page.locator(f"h2{anchor}, h3{anchor}")).to_have_count(1)

    # Was this helpful? Yes, then a comment.
    feedback = page.locator("#feedback")
    feedback.get_by_role("button", name=journey["yes"]).click()
    expect(feedback).to_contain_text(journey["thanks"])
    expect(feedback.get_by_role("button", name=journey["yes"])).to_have_attribute("aria-pressed", "true")
    feedback.locator("textarea").fill("Clear, thanks.")
    feedback.locator("textarea").press("Tab")
    feedback.locator(".help-comment button[type=submit]").click()
    expect(feedback.get_by_role("status")).to_be_visible()
    shot(f"{language}-voted")
    article = Article.objects.get(slug=SLUG)
    assert Interaction.objects.filter(user=user, article=article, kind=InteractionKind.HELPFUL).count() == 1
    assert Interaction.objects.get(user=user, kind=InteractionKind.FEEDBACK).feedback == "Clear, thanks."
    assert page_problems == []


def test_the_results_page_works_without_a_search_as_you_type(page: Page, page_problems: list[str]) -> None:
    page.goto("/help/")
    box = page.get_by_role("searchbox")
    box.fill("zzzqqq")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/help/search/\?q=zzzqqq"))
    expect(page.locator(".help-count")).to_have_text("No results for “zzzqqq”.")
    expect(page.get_by_role("link", name="FAQ")).to_be_visible()
    assert page_problems == []


def _scroll_width(page: Page) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth"))


@pytest.mark.parametrize("viewport", [PHONE], indirect=True)
def test_the_help_pages_on_a_phone(page: Page, shot: Callable[[str], Path], page_problems: list[str]) -> None:
    page.goto("/help/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert _scroll_width(page) <= PHONE["width"]
    shot("phone-index")
    page.goto(f"/help/articles/{SLUG}/")
    expect(page.locator("#feedback")).to_contain_text("Sign in to rate this article")
    assert _scroll_width(page) <= PHONE["width"]
    shot("phone-article")
    assert page_problems == []


def test_staff_edit_an_article_in_language_tabs_with_a_live_preview(
    page: Page,
    context: BrowserContext,
    live_server: Any,
    shot: Callable[[str], Path],
    page_problems: list[str],
) -> None:
    staff = make_user("staff@example.com", is_staff=True, is_superuser=True)
    TOTP.activate(staff, TOTP_SECRET)
    session = SessionStore()
    session[SESSION_KEY] = str(staff.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = staff.get_session_auth_hash()
    session.save()
    context.add_cookies([{"name": "sessionid", "value": str(session.session_key), "url": live_server.url}])
    article = Article.objects.get(slug=SLUG)

    page.goto(f"/admin/helpcenter/article/{article.pk}/change/")
    # modeltranslation's tabs (served from here, not a CDN): English shown, Spanish a click away.
    english, spanish = page.locator("#id_content_en"), page.locator("#id_content_es")
    expect(english).to_be_visible()
    expect(spanish).to_be_hidden()
    page.locator("a[href='#tab_id_content_es']").click()
    expect(spanish).to_be_visible()
    expect(english).to_be_hidden()
    # markdownx's live preview, rendered by the staff-only view through the sanitiser.
    spanish.fill("## Vista previa\n\n<script>alert(1)</script> **negrita**")
    preview = page.locator(".markdownx-preview").filter(has_text="Vista previa")
    expect(preview.locator("strong")).to_have_text("negrita")
    expect(preview.locator("script")).to_have_count(0)
    shot("admin-tabs-preview")
    assert page_problems == []


@pytest.mark.parametrize("viewport", [PHONE], indirect=True)
def test_the_reports_page_on_a_phone(
    page: Page,
    context: BrowserContext,
    live_server: Any,
    shot: Callable[[str], Path],
    page_problems: list[str],
) -> None:
    staff = make_user("staff@example.com", is_staff=True, is_superuser=True)
    TOTP.activate(staff, TOTP_SECRET)
    session = SessionStore()
    session[SESSION_KEY] = str(staff.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = staff.get_session_auth_hash()
    session.save()
    context.add_cookies([{"name": "sessionid", "value": str(session.session_key), "url": live_server.url}])
    page.goto(f"/help/articles/{SLUG}/")  # a view, so the eight weeks' table has a row

    page.goto("/admin/helpcenter/interaction/reports/")
    weekly = page.locator("#weekly-views")
    expect(weekly).to_contain_text(re.compile("spending cap", re.IGNORECASE))
    # The eight weeks' table scrolls in its own box; the page itself doesn't scroll sideways.
    assert _scroll_width(page) <= PHONE["width"]
    assert weekly.evaluate("table => table.parentElement.scrollWidth > table.parentElement.clientWidth")
    shot("phone-reports")
    assert page_problems == []


def test_the_index_leaves_no_hole_beside_the_first_category(
    page: Page, shot: Callable[[str], Path], page_problems: list[str]
) -> None:
    # Features spans the width: the first category shares its row with the popular articles.
    page.goto("/help/")
    popular = page.locator(".help-popular").bounding_box()
    first = page.locator(".help-categories > .help-category").first.bounding_box()
    assert popular
    assert first
    assert popular["y"] == first["y"]
    assert first["x"] > popular["x"] + popular["width"]
    shot("index")
    assert page_problems == []
