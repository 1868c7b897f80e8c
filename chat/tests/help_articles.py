"""Real help articles (helpcenter/content/) in the test database, cut into indexed passages.

Chat's grounding is judged against the articles people will read, so its tests load a few of them.
They are indexed by ``helpcenter.services.indexing.index_article`` (with a quick test embedder)
when the help center has it; until then by ``index_like_the_help_center`` below: one passage per
``##`` heading and language, weighted as the help center weighs them (title A, keywords and tags
B, heading and text C).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db.models import Value
from django.utils.text import slugify

from helpcenter.models import Article, Passage
from helpcenter.tests.factories import ArticleFactory

CONTENT = Path(settings.BASE_DIR) / "helpcenter" / "content"
CONFIG = {"en": "english", "es": "spanish"}


def _read(language: str, slug: str) -> tuple[dict, str]:
    _, front, body = (CONTENT / language / f"{slug}.md").read_text().split("---", 2)
    return yaml.safe_load(front), body


def load_article(slug: str) -> Article:
    """The article ``slug`` from helpcenter/content/, in English and Spanish, indexed."""
    (en, body_en), (es, body_es) = _read("en", slug), _read("es", slug)
    article = ArticleFactory.create(
        slug=slug,
        title_en=en["title"],
        title_es=es["title"],
        content_en=body_en,
        content_es=body_es,
        search_keywords_en=", ".join(en.get("keywords", [])),
        search_keywords_es=", ".join(es.get("keywords", [])),
        tags_en=", ".join(en.get("tags", [])),
        tags_es=", ".join(es.get("tags", [])),
    )
    try:
        from helpcenter.services.indexing import index_article
        from javari.retrieval.tests.embedders import WordHashEmbedder
    except ImportError:
        index_like_the_help_center(article)
    else:
        # The embedded model embeds ~12 passages a second: a test's few articles would take seconds.
        # A word-hash embedder is quick and deterministic (its vectors are never compared with the
        # real model's queries: search compares only vectors of the current model).
        index_article(article_id=article.pk, embedder=WordHashEmbedder())
    return article


def index_like_the_help_center(article: Article) -> None:
    for language, config in CONFIG.items():
        title = getattr(article, f"title_{language}")
        keywords = (
            f"{getattr(article, f'search_keywords_{language}')}, {getattr(article, f'tags_{language}')}"
        )
        sections = re.split(r"^## ", getattr(article, f"content_{language}"), flags=re.MULTILINE)
        for position, section in enumerate(sections):
            heading, _, text = section.partition("\n") if position else ("", "", section)
            passage = Passage.objects.create(
                article=article,
                language=language,
                position=position,
                heading=heading.strip(),
                anchor=slugify(heading.strip()),
                text=text.strip(),
                content_hash=str(position),
            )
            Passage.objects.filter(pk=passage.pk).update(
                search=SearchVector(Value(title), config=config, weight="A")
                + SearchVector(Value(keywords), config=config, weight="B")
                + SearchVector(Value(f"{heading} {text}"), config=config, weight="C")
            )
