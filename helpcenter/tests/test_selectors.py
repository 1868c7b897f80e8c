"""The help center's reads: listings, popular and related articles, and the admin's reports."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import User
from helpcenter import selectors
from helpcenter.models import Category, Interaction
from helpcenter.services import record_search, record_view, vote
from helpcenter.tests.factories import make_article

pytestmark = pytest.mark.django_db


def at(when: dt.datetime, row: Interaction | None) -> None:
    assert row is not None
    Interaction.objects.filter(pk=row.pk).update(created_at=when)


def test_the_spec_categories_exist_in_order_with_four_features() -> None:
    categories = list(Category.objects.all())
    assert [category.slug for category in categories] == [
        "getting-started",
        "chat",
        "code-generation",
        "integrations",
        "reminders",
        "settings",
        "credits-billing",
        "faq",
    ]
    assert [c.slug for c in categories if c.is_feature] == [
        "chat",
        "code-generation",
        "integrations",
        "reminders",
    ]
    faq = Category.objects.get(slug="faq")
    assert (getattr(faq, "name_en"), getattr(faq, "name_es")) == ("FAQ", "Preguntas frecuentes")  # noqa: B009


def test_categories_list_only_published_articles_in_order() -> None:
    settings_category = Category.objects.get(slug="settings")
    second = make_article(category=settings_category, order=2)
    first = make_article(category=settings_category, order=1)
    make_article(category=settings_category, order=0, is_published=False)
    listing = next(
        item for item in selectors.categories_with_articles() if item.category == settings_category
    )
    assert listing.articles == [first, second]


def test_popular_counts_only_the_last_30_days_and_fills_up_in_order() -> None:
    old_favourite = make_article(order=1)
    recent = make_article(order=5)
    filler = make_article(order=2)
    for _ in range(5):
        at(
            timezone.now() - dt.timedelta(days=40),
            record_view(article=old_favourite, user=None, language="en"),
        )
    record_view(article=recent, user=None, language="en")
    popular = selectors.popular_articles(limit=3)
    assert popular[0] == recent
    assert set(popular[1:]) == {old_favourite, filler}


def test_popular_never_lists_unpublished_articles() -> None:
    hidden = make_article(is_published=False)
    record_view(article=hidden, user=None, language="en")
    assert hidden not in selectors.popular_articles()


def test_neighbours_skip_unpublished_articles() -> None:
    category = Category.objects.get(slug="faq")
    first = make_article(category=category, order=1)
    make_article(category=category, order=2, is_published=False)
    third = make_article(category=category, order=3)
    assert selectors.neighbours(article=first) == (None, third)
    assert selectors.neighbours(article=third) == (first, None)


def test_top_searches_and_searches_without_results(alice: User) -> None:
    now = timezone.now()
    for query, count in [
        ("billing", 2),
        ("billing", 2),
        ("zebra", 0),
        ("zebra", 0),
        ("zebra", 0),
        ("2fa", 1),
    ]:
        record_search(query=query, result_count=count, user=alice, language="en")
    at(now - dt.timedelta(days=60), record_search(query="ancient", result_count=0, user=None, language="en"))
    since = now - dt.timedelta(days=30)
    until = now + dt.timedelta(seconds=1)
    top = selectors.top_searches(since=since, until=until)
    assert [(row.query, row.searches) for row in top] == [("zebra", 3), ("billing", 2), ("2fa", 1)]
    empty = selectors.searches_without_results(since=since, until=until)
    assert [(row.query, row.searches) for row in empty] == [("zebra", 3)]


def test_least_helpful_articles_by_share_with_counts(alice: User, bob: User, charlie: User) -> None:
    bad = make_article(title_en="Confusing")
    good = make_article(title_en="Clear")
    vote(article=bad, user=alice, helpful=False, language="en")
    vote(article=bad, user=bob, helpful=True, language="en")
    vote(article=good, user=charlie, helpful=True, language="en")
    now = timezone.now()
    rows = selectors.least_helpful_articles(
        since=now - dt.timedelta(days=1), until=now + dt.timedelta(seconds=1)
    )
    assert [(row.title, row.not_helpful, row.helpful, row.not_helpful_share) for row in rows] == [
        ("Confusing", 1, 1, 0.5),
        ("Clear", 0, 1, 0.0),
    ]


def test_weekly_views_count_each_of_the_last_8_weeks() -> None:
    article = make_article(title_en="Read often")
    until = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)  # a Thursday
    for days_back in (0.5, 1, 7, 7, 49, 60):
        at(until - dt.timedelta(days=days_back), record_view(article=article, user=None, language="en"))
    weeks, rows = selectors.weekly_views(until=until)
    assert weeks[0] == dt.date(2026, 10, 5)
    assert weeks[-1] == dt.date(2026, 11, 23)
    assert len(weeks) == 8
    assert [(row.title, row.counts, row.total) for row in rows] == [
        ("Read often", [1, 0, 0, 0, 0, 0, 2, 2], 5)
    ]
