"""Hybrid search over indexed passages (first version: full-text only; see the module docstring of
``javari.retrieval`` for the whole design, which the retrieval work completes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import F

# PostgreSQL text search configuration per interface language.
TEXT_SEARCH_CONFIG = {"en": "english", "es": "spanish"}


@dataclass(frozen=True)
class Scope:
    """Which passages a search may return: published help articles, and later a person's assets."""

    help: bool = True
    assets_of: int | None = None  # a user's id (the assets library)


HELP = Scope(help=True)


@dataclass(frozen=True)
class Hit:
    """One ranked passage and where it comes from."""

    source: str  # "help" (later "assets")
    passage_id: int
    document_id: int  # the article's id
    slug: str
    title: str  # the article's title, in the passage's language
    heading: str
    anchor: str
    url: str  # the article's page, at the passage's heading
    text: str
    language: str
    score: float  # reciprocal rank fusion score: higher is better
    ranks: dict[str, int] = field(default_factory=dict)  # 1-based rank in each list it appeared in


def search(query: str, *, language: str, scope: Scope = HELP, limit: int = 10) -> list[Hit]:
    """The ``limit`` best passages for ``query`` in ``language`` ("en" or "es") within ``scope``.

    Never raises for odd input: an empty or unsearchable query returns []. Unpublished articles
    never appear.
    """
    from helpcenter.models import Passage

    query = (query or "").strip()
    if not query or not scope.help:
        return []
    config = TEXT_SEARCH_CONFIG.get(language, "english")
    tsquery = SearchQuery(query, config=config, search_type="websearch")
    rows = (
        Passage.objects.filter(article__is_published=True, language=language, search=tsquery)
        .annotate(rank=SearchRank(F("search"), tsquery))
        .select_related("article")
        .order_by("-rank", "id")[:limit]
    )
    hits = []
    for position, row in enumerate(rows, start=1):
        article = row.article
        title = getattr(article, f"title_{row.language}", "") or article.title
        url = article.get_absolute_url() + (f"#{row.anchor}" if row.anchor else "")
        hits.append(
            Hit(
                source="help",
                passage_id=row.pk,
                document_id=article.pk,
                slug=article.slug,
                title=title,
                heading=row.heading,
                anchor=row.anchor,
                url=url,
                text=row.text,
                language=row.language,
                score=1 / (60 + position),
                ranks={"fts": position},
            )
        )
    return hits
