"""The help center under attack: headings that take the page's own ids, and search-as-you-type
filling the interaction log."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import User
from helpcenter import services
from helpcenter.models import Category, Interaction, InteractionKind
from helpcenter.tests.factories import make_article
from helpcenter.views import SEARCHES_RECORDED_PER_MINUTE, VIEWS_RECORDED_PER_MINUTE
from javari.retrieval.chunking import split_sections

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_minute() -> Iterator[None]:
    """The clock stopped mid-minute: the search log's count never crosses into a new window."""
    with time_machine.travel(dt.datetime(2026, 11, 30, 11, 0, 30, tzinfo=dt.UTC), tick=False):
        yield


def _ids(client: Client, slug: str) -> list[str]:
    body = client.get(reverse("helpcenter:article", kwargs={"slug": slug})).content.decode()
    return re.findall(r'\bid="([^"]+)"', body)


def test_headings_named_like_the_pages_own_ids_never_repeat_an_id(client: Client) -> None:
    category = Category.objects.get(slug="settings")
    make_article(slug="plain", category=category, content_en="Intro.\n\n## First\nText.\n")
    page_ids = [anchor for anchor in _ids(client, "plain") if anchor != "first"]
    content = "Intro.\n\n" + "".join(f"## {anchor.replace('-', ' ')}\nText.\n\n" for anchor in page_ids)
    make_article(slug="clashing", category=category, content_en=content)

    ids = _ids(client, "clashing")

    assert sorted({anchor for anchor in ids if ids.count(anchor) > 1}) == []
    # Search's passages link to the same anchors the page gives the headings.
    anchors = [section.anchor for section in split_sections(content) if section.anchor]
    assert anchors
    assert set(anchors) <= set(ids)
    assert "feedback" in page_ids
    assert "feedback-2" in anchors


def test_a_vote_returns_to_the_feedback_box_past_a_feedback_heading(client: Client, charlie: User) -> None:
    category = Category.objects.get(slug="settings")
    article = make_article(slug="fb", category=category, content_en="## Feedback\nTell us.\n")
    client.force_login(charlie)
    response = client.post(reverse("helpcenter:vote", kwargs={"slug": article.slug}), {"vote": "yes"})
    assert response["Location"].endswith("#feedback")
    ids = _ids(client, "fb")
    assert ids.count("feedback") == 1
    assert "feedback-2" in ids


@pytest.mark.parametrize("name", ["helpcenter:search", "helpcenter:suggest"])
@pytest.mark.usefixtures("one_minute")
def test_anonymous_search_as_you_type_records_a_bounded_number_of_searches(client: Client, name: str) -> None:
    for number in range(SEARCHES_RECORDED_PER_MINUTE + 20):
        response = client.get(reverse(name), {"q": f"credits {number}"})
        assert response.status_code == 200  # the results still come

    assert Interaction.objects.filter(kind=InteractionKind.SEARCH).count() == SEARCHES_RECORDED_PER_MINUTE


@pytest.mark.usefixtures("one_minute")
def test_the_search_log_limit_is_per_person(client: Client, alice: User, bob: User) -> None:
    client.force_login(alice)
    for number in range(SEARCHES_RECORDED_PER_MINUTE + 5):
        client.get(reverse("helpcenter:suggest"), {"q": f"plans {number}"})
    client.force_login(bob)
    client.get(reverse("helpcenter:suggest"), {"q": "plans"})

    searches = Interaction.objects.filter(kind=InteractionKind.SEARCH)
    assert searches.filter(user=alice).count() == SEARCHES_RECORDED_PER_MINUTE
    assert searches.filter(user=bob).count() == 1


@pytest.mark.parametrize(
    "query",
    [
        "a:* & b:*",
        "!credits | plans <-> keys",
        "credits:A",
        "'' \\ :* <2> !!",
        "((((",
        " ".join(["word"] * 400),
    ],
)
def test_tsquery_syntax_in_a_query_is_just_words(client: Client, query: str) -> None:
    category = Category.objects.get(slug="settings")
    article = make_article(slug="keys", category=category, content_en="## Keys\nCreate API keys and plans.\n")
    services.index_article(article_id=article.pk)
    for name in ("helpcenter:search", "helpcenter:suggest"):
        assert client.get(reverse(name), {"q": query[:200]}).status_code == 200


@pytest.mark.usefixtures("one_minute")
def test_the_search_log_limit_counts_addresses_behind_a_trusted_proxy(client: Client, settings: Any) -> None:
    # DRF reloads its settings when the setting changes (and again when the test restores it).
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for address in ("203.0.113.1", "203.0.113.2"):
        for number in range(SEARCHES_RECORDED_PER_MINUTE):
            query = {"q": f"keys {number}"}
            client.get(reverse("helpcenter:suggest"), query, HTTP_X_FORWARDED_FOR=address)

    assert Interaction.objects.filter(kind=InteractionKind.SEARCH).count() == 2 * SEARCHES_RECORDED_PER_MINUTE


def test_staff_neither_vote_nor_comment_on_a_draft(staff_client: Client, staff: User) -> None:
    draft = make_article(slug="draft", category=Category.objects.get(slug="settings"), is_published=False)
    page = staff_client.get(reverse("helpcenter:article", kwargs={"slug": draft.slug}))
    assert page.status_code == 200
    assert 'id="feedback"' not in page.content.decode()
    vote = staff_client.post(reverse("helpcenter:vote", kwargs={"slug": draft.slug}), {"vote": "yes"})
    comment = staff_client.post(
        reverse("helpcenter:feedback", kwargs={"slug": draft.slug}), {"comment": "Hi"}
    )
    assert (vote.status_code, comment.status_code) == (404, 404)
    assert not Interaction.objects.filter(article=draft).exists()


def test_a_one_megabyte_comment_is_a_form_error_and_writes_nothing(client: Client, charlie: User) -> None:
    article = make_article(slug="long", category=Category.objects.get(slug="settings"))
    client.force_login(charlie)
    url = reverse("helpcenter:feedback", kwargs={"slug": article.slug})
    # 1 MB, a NUL alone, a lone surrogate (as a form encodes it: invalid UTF-8).
    for body in ["comment=" + "x" * 1_000_000, "comment=%00", "comment=%ED%A0%80"]:
        response = client.post(url, body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 400
    assert not Interaction.objects.filter(kind=InteractionKind.FEEDBACK).exists()


def test_comments_need_a_csrf_token(charlie: User) -> None:
    article = make_article(slug="csrf", category=Category.objects.get(slug="settings"))
    client = Client(enforce_csrf_checks=True)
    client.force_login(charlie)
    response = client.post(reverse("helpcenter:feedback", kwargs={"slug": article.slug}), {"comment": "Hi"})
    assert response.status_code == 403
    assert not Interaction.objects.filter(kind=InteractionKind.FEEDBACK).exists()


@pytest.mark.usefixtures("one_minute")
def test_reloading_an_article_records_a_bounded_number_of_views(client: Client) -> None:
    article = make_article(slug="reloaded", category=Category.objects.get(slug="settings"))
    for _ in range(VIEWS_RECORDED_PER_MINUTE + 20):
        assert client.get(reverse("helpcenter:article", kwargs={"slug": article.slug})).status_code == 200

    assert Interaction.objects.filter(kind=InteractionKind.VIEW).count() == VIEWS_RECORDED_PER_MINUTE
