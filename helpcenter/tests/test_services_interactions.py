"""Recording what people do in the help center."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from helpcenter.models import FEEDBACK_MAX_CHARS, QUERY_MAX_CHARS, Article, Interaction, InteractionKind
from helpcenter.services import clean_query, leave_feedback, record_search, record_view, vote
from helpcenter.tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def article() -> Article:
    return make_article(slug="api-keys")


def test_a_view_is_one_row_with_the_slug_kept(article: Article, alice: User) -> None:
    row = record_view(article=article, user=alice, language="es")
    assert (row.kind, row.page_slug, row.user, row.language) == (
        InteractionKind.VIEW,
        "api-keys",
        alice,
        "es",
    )
    article.delete()
    row.refresh_from_db()
    assert (row.article, row.page_slug) == (None, "api-keys")


def test_a_signed_out_view_has_no_user(article: Article) -> None:
    assert record_view(article=article, user=AnonymousUser(), language="en").user is None


def test_a_search_records_the_cleaned_query_and_its_count(alice: User) -> None:
    row = record_search(query="  two\x00  factor\n", result_count=3, user=alice, language="en")
    assert row is not None
    assert (row.kind, row.query, row.result_count) == (InteractionKind.SEARCH, "two factor", 3)


def test_an_empty_search_records_nothing(db: None) -> None:
    assert record_search(query=" \x00 ", result_count=0, user=None, language="en") is None
    assert not Interaction.objects.exists()


def test_queries_are_capped_and_lose_lone_surrogates() -> None:
    assert len(clean_query("x" * 10_000)) == QUERY_MAX_CHARS
    assert clean_query("a\ud800b") == "ab"
    # Never half a character: seven family emoji are 49 code points.
    family = "👨‍👩‍👧" * 100
    assert len(clean_query(family)) <= QUERY_MAX_CHARS
    assert len(clean_query(family)) % len("👨‍👩‍👧") == 0


def test_a_person_has_one_vote_per_article_and_can_change_it(
    article: Article, alice: User, bob: User
) -> None:
    vote(article=article, user=alice, helpful=True, language="en")
    vote(article=article, user=alice, helpful=False, language="es")
    vote(article=article, user=bob, helpful=True, language="en")
    votes = Interaction.objects.filter(article=article).order_by("user__email")
    assert [(row.user, row.kind, row.language) for row in votes] == [
        (alice, InteractionKind.NOT_HELPFUL, "es"),
        (bob, InteractionKind.HELPFUL, "en"),
    ]


def test_feedback_is_kept_trimmed(article: Article, alice: User) -> None:
    row = leave_feedback(article=article, user=alice, text="  Add a picture.  ", language="en")
    assert (row.kind, row.feedback) == (InteractionKind.FEEDBACK, "Add a picture.")


@pytest.mark.parametrize("text", ["", "   ", "x" * (FEEDBACK_MAX_CHARS + 1)])
def test_empty_or_too_long_feedback_is_refused(article: Article, alice: User, text: str) -> None:
    with pytest.raises(ValueError, match="feedback"):
        leave_feedback(article=article, user=alice, text=text, language="en")
    assert not Interaction.objects.exists()
