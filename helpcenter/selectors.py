"""The help center's reads: what the pages list, the search results, and the admin's reports.

Only published articles reach people; staff may open an unpublished one (the page says so).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.http import Http404
from django.utils import timezone

from helpcenter.models import Article, Category, Interaction, InteractionKind
from helpcenter.services.interactions import clean_query
from javari.retrieval import Hit, search

# Popular articles: the most viewed over this many days.
POPULAR_DAYS = 30
POPULAR_LIMIT = 5
RELATED_LIMIT = 4
# Passages asked of search for one page of results: several may come from one article.
SEARCH_PASSAGES = 40
SEARCH_RESULTS = 10
SUGGEST_RESULTS = 5


def published_articles() -> QuerySet[Article]:
    return Article.objects.filter(is_published=True).select_related("category")


@dataclass(frozen=True)
class CategoryListing:
    category: Category
    articles: list[Article]


def categories_with_articles() -> list[CategoryListing]:
    """Every category in order with its published articles in order (a category may be empty)."""
    by_category: dict[int, list[Article]] = {}
    for article in published_articles().order_by("order", "slug"):
        by_category.setdefault(article.category_id, []).append(article)
    return [
        CategoryListing(category=category, articles=by_category.get(category.pk, []))
        for category in Category.objects.all()
    ]


def popular_articles(*, limit: int = POPULAR_LIMIT, days: int = POPULAR_DAYS) -> list[Article]:
    """The most viewed published articles of the last ``days`` days; articles in the help center's
    own order fill the list when too few were viewed (a new site has no views)."""
    since = timezone.now() - dt.timedelta(days=days)
    viewed: list[Article] = list(
        published_articles()
        .annotate(
            recent_views=Count(
                "interactions",
                filter=Q(interactions__kind=InteractionKind.VIEW, interactions__created_at__gte=since),
            )
        )
        .filter(recent_views__gt=0)
        .order_by("-recent_views", "category__order", "order", "slug")[:limit]
    )
    if len(viewed) < limit:
        seen = [article.pk for article in viewed]
        viewed += list(published_articles().exclude(pk__in=seen)[: limit - len(viewed)])
    return viewed


def category_by_slug(*, slug: str) -> Category:
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise Http404
    return category


def category_articles(*, category: Category) -> list[Article]:
    return list(published_articles().filter(category=category).order_by("order", "slug"))


def article_for(*, slug: str, user: Any) -> Article:
    """The article to show ``user``: a published one, or any for staff; else ``Http404``."""
    articles = Article.objects.select_related("category")
    if not (user.is_authenticated and user.is_staff):
        articles = articles.filter(is_published=True)
    article = articles.filter(slug=slug).first()
    if article is None:
        raise Http404
    return article


def related_articles(*, article: Article, limit: int = RELATED_LIMIT) -> list[Article]:
    """Published articles sharing a tag with ``article`` (in the current language) first, then others
    of its category; never the article itself."""
    tags = {tag.lower() for tag in Article.split_list(article.tags or "")}
    candidates = list(published_articles().exclude(pk=article.pk).order_by("category__order", "order"))

    def shared(other: Article) -> int:
        return len(tags & {tag.lower() for tag in Article.split_list(other.tags or "")})

    scored = [
        (shared(other), other.category_id == article.category_id, other)
        for other in candidates
        if other.category_id == article.category_id or shared(other)
    ]
    scored.sort(key=lambda row: (-row[0], not row[1]))
    return [other for _shared, _same, other in scored[:limit]]


def neighbours(*, article: Article) -> tuple[Article | None, Article | None]:
    """The published articles before and after ``article`` in its category's order."""
    siblings = category_articles(category=article.category)
    ids = [sibling.pk for sibling in siblings]
    if article.pk not in ids:  # an unpublished article (staff): no place in the order
        return None, None
    index = ids.index(article.pk)
    previous = siblings[index - 1] if index > 0 else None
    following = siblings[index + 1] if index + 1 < len(siblings) else None
    return previous, following


def user_vote(*, article: Article, user: Any) -> str:
    """``user``'s vote on ``article`` ("helpful", "not_helpful"), or "" (none, or signed out)."""
    if not user.is_authenticated:
        return ""
    row = (
        Interaction.objects.filter(
            user=user, article=article, kind__in=[InteractionKind.HELPFUL, InteractionKind.NOT_HELPFUL]
        )
        .values_list("kind", flat=True)
        .first()
    )
    return row or ""


def search_articles(*, query: str, language: str, limit: int = SEARCH_RESULTS) -> list[Hit]:
    """One hit per article (its best passage), best first, at most ``limit``."""
    query = clean_query(query)
    if not query:
        return []
    best: dict[int, Hit] = {}
    for hit in search(query, language=language, limit=SEARCH_PASSAGES):
        best.setdefault(hit.document_id, hit)
    return list(best.values())[:limit]


# --- The admin's reports ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchRow:
    query: str
    searches: int
    results: int | None = None  # the last count recorded for the query


@dataclass(frozen=True)
class HelpfulnessRow:
    slug: str
    title: str
    helpful: int
    not_helpful: int

    @property
    def votes(self) -> int:
        return self.helpful + self.not_helpful

    @property
    def not_helpful_share(self) -> float:
        return self.not_helpful / self.votes if self.votes else 0.0


@dataclass(frozen=True)
class WeeklyViews:
    slug: str
    title: str
    counts: list[int]  # one per week of ``weeks``, oldest first
    total: int


def _period(since: dt.datetime, until: dt.datetime) -> QuerySet[Interaction]:
    return Interaction.objects.filter(created_at__gte=since, created_at__lt=until)


def top_searches(*, since: dt.datetime, until: dt.datetime, limit: int = 20) -> list[SearchRow]:
    """The queries searched most in the period (case-insensitively the same query counts once)."""
    rows = (
        _period(since, until)
        .filter(kind=InteractionKind.SEARCH)
        .values("query")
        .annotate(searches=Count("id"))
        .order_by("-searches", "query")[:limit]
    )
    return [SearchRow(query=row["query"], searches=row["searches"]) for row in rows]


def searches_without_results(*, since: dt.datetime, until: dt.datetime, limit: int = 20) -> list[SearchRow]:
    """The queries that found nothing in the period, most searched first."""
    rows = (
        _period(since, until)
        .filter(kind=InteractionKind.SEARCH, result_count=0)
        .values("query")
        .annotate(searches=Count("id"))
        .order_by("-searches", "query")[:limit]
    )
    return [SearchRow(query=row["query"], searches=row["searches"], results=0) for row in rows]


def least_helpful_articles(
    *, since: dt.datetime, until: dt.datetime, limit: int = 20
) -> list[HelpfulnessRow]:
    """Articles voted on in the period, the largest share of "not helpful" first (then most votes)."""
    rows = (
        _period(since, until)
        .filter(kind__in=[InteractionKind.HELPFUL, InteractionKind.NOT_HELPFUL])
        .values("page_slug")
        .annotate(
            helpful=Count("id", filter=Q(kind=InteractionKind.HELPFUL)),
            not_helpful=Count("id", filter=Q(kind=InteractionKind.NOT_HELPFUL)),
        )
    )
    titles = _titles([row["page_slug"] for row in rows])
    result = [
        HelpfulnessRow(
            slug=row["page_slug"],
            title=titles.get(row["page_slug"], row["page_slug"]),
            helpful=row["helpful"],
            not_helpful=row["not_helpful"],
        )
        for row in rows
    ]
    result.sort(key=lambda row: (-row.not_helpful_share, -row.votes, row.slug))
    return result[:limit]


def weekly_views(
    *, until: dt.datetime, weeks: int = 8, limit: int = 30
) -> tuple[list[dt.date], list[WeeklyViews]]:
    """Views per article per week (weeks start on Monday, UTC) for the ``weeks`` weeks ending with the
    one holding ``until``; the most viewed ``limit`` articles."""
    this_week = (until - dt.timedelta(days=until.weekday())).date()
    starts = [this_week - dt.timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]
    since = dt.datetime.combine(starts[0], dt.time.min, tzinfo=dt.UTC)
    rows = (
        _period(since, until)
        .filter(kind=InteractionKind.VIEW)
        .annotate(week=TruncWeek("created_at", tzinfo=dt.UTC))
        .values("page_slug", "week")
        .annotate(views=Count("id"))
    )
    counts: dict[str, dict[dt.date, int]] = {}
    for row in rows:
        counts.setdefault(row["page_slug"], {})[row["week"].date()] = row["views"]
    titles = _titles(list(counts))
    table = [
        WeeklyViews(
            slug=slug,
            title=titles.get(slug, slug),
            counts=[by_week.get(start, 0) for start in starts],
            total=sum(by_week.values()),
        )
        for slug, by_week in counts.items()
    ]
    table.sort(key=lambda row: (-row.total, row.slug))
    return starts, table[:limit]


def _titles(slugs: list[str]) -> dict[str, str]:
    return {article.slug: article.title for article in Article.objects.filter(slug__in=slugs)}
