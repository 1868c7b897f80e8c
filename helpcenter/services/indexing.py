"""Indexing: an article cut into passages, each with its full-text vector and its embedding.

``index_article(article_id=…)``, for one article:

1. Read it. Gone, or unpublished: delete its passages (an unpublished article keeps none, and
   search filters on ``is_published`` too, for the moment between a save and this task).
2. For each language (en, es) whose content isn't blank, cut the Markdown into sections
   (``javari.retrieval.chunking``); what a section's embedding reads is its article's title, its
   heading and its text, and ``content_hash`` is that text's SHA-256.
3. Reuse the embedding of any current passage with the same hash made by the current model; embed
   the rest, in batches, outside any transaction (no model call holds a database transaction). If
   the embedder fails, those passages are written with no embedding: full-text search still finds
   them, and the result says how many are missing so the task retries.
4. In one transaction, with the article's row locked (two tasks for one article take turns):
   replace its passages, set their ``search`` vectors — title weight A, search keywords and tags B,
   heading and text C, in the language's configuration — and add their words to the typo
   vocabulary (``helpcenter_vocabulary``, migration 0002).

``reindex_all`` does this for every article and rebuilds the vocabulary; ``embed_missing`` embeds
passages with no embedding or one from another model (a change of model).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.db import connection, transaction

from helpcenter.models import Article, Passage
from javari.retrieval.chunking import split_sections
from javari.retrieval.embeddings import Embedder, EmbeddingError
from javari.retrieval.embeddings import embedder as configured_embedder
from javari.retrieval.search import SNIPPET_MARKERS, TEXT_SEARCH_CONFIG

logger = logging.getLogger(__name__)

# Texts per embedding call: a local model's batch, a remote endpoint's request.
EMBED_BATCH = 32
# The vocabulary keeps words of 3 to 40 characters (shorter ones make poor trigram matches).
WORD_MIN_CHARS = 3
WORD_MAX_CHARS = 40
LANGUAGES = tuple(TEXT_SEARCH_CONFIG)

# Every word of the selected passages (with their article's title and keywords), lower-cased and
# without accents, into the typo vocabulary. Completed by _ARTICLE or _PUBLISHED.
_WORDS_SQL = """
INSERT INTO helpcenter_vocabulary (language, word)
SELECT DISTINCT p.language, w.word
FROM helpcenter_passage p
JOIN helpcenter_article a ON a.id = p.article_id
CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector('simple', unaccent(
    coalesce(CASE p.language WHEN 'es' THEN a.title_es ELSE a.title_en END, '') || ' ' ||
    coalesce(CASE p.language WHEN 'es' THEN a.search_keywords_es ELSE a.search_keywords_en END, '') || ' ' ||
    p.heading || ' ' || p.text
)))) AS w(word)
WHERE char_length(w.word) BETWEEN %(shortest)s AND %(longest)s AND w.word ~ '^[[:alpha:]]'
"""
_ARTICLE = " AND p.article_id = %(article)s ON CONFLICT DO NOTHING"
_PUBLISHED = " AND a.is_published ON CONFLICT DO NOTHING"
_WORD_LENGTHS = {"shortest": WORD_MIN_CHARS, "longest": WORD_MAX_CHARS}


@dataclass(frozen=True)
class IndexResult:
    passages: int = 0
    embedded: int = 0  # embedded now
    reused: int = 0  # embedding kept from the previous index
    missing: int = 0  # left without an embedding (the embedder failed): retry

    def as_dict(self) -> dict[str, int]:
        return {
            "passages": self.passages,
            "embedded": self.embedded,
            "reused": self.reused,
            "missing": self.missing,
        }


@dataclass
class _Draft:
    language: str
    position: int
    heading: str
    anchor: str
    text: str
    embed_text: str
    content_hash: str
    embedding: list[float] | None = None


def index_article(*, article_id: int, embedder: Embedder | None = None) -> IndexResult:
    """Rewrite one article's passages (both languages) with their search vectors and embeddings."""
    article = Article.objects.filter(pk=article_id).first()
    if article is None or not article.is_published:
        Passage.objects.filter(article_id=article_id).delete()
        return IndexResult()

    drafts = _drafts(article)
    model_name, embedded, reused = _embed(article_id, drafts, embedder)

    with transaction.atomic():
        locked = Article.objects.select_for_update().filter(pk=article_id, is_published=True).first()
        Passage.objects.filter(article_id=article_id).delete()
        if locked is None:  # deleted or unpublished while it was being embedded
            return IndexResult()
        Passage.objects.bulk_create(
            Passage(
                article_id=article_id,
                language=draft.language,
                position=draft.position,
                heading=draft.heading[:200],
                anchor=draft.anchor,
                text=draft.text,
                content_hash=draft.content_hash,
                embedding=draft.embedding,
                embedding_model=model_name if draft.embedding is not None else "",
            )
            for draft in drafts
        )
        _set_search_vectors(locked)
        with connection.cursor() as cursor:
            cursor.execute(_WORDS_SQL + _ARTICLE, {**_WORD_LENGTHS, "article": article_id})
    missing = sum(1 for draft in drafts if draft.embedding is None)
    return IndexResult(passages=len(drafts), embedded=embedded, reused=reused, missing=missing)


def reindex_all(*, missing_only: bool = False, embedder: Embedder | None = None) -> dict[str, int]:
    """Index every article (or, ``missing_only``, only those with no passages), rebuild the vocabulary,
    then embed passages that have no embedding of the current model. Returns the counts."""
    articles = Article.objects.order_by("pk")
    if missing_only:
        articles = articles.filter(is_published=True, passages__isnull=True)
    totals = {"articles": 0, "passages": 0, "embedded": 0, "reused": 0, "missing": 0}
    for article_id in articles.values_list("pk", flat=True).distinct():
        result = index_article(article_id=article_id, embedder=embedder)
        totals["articles"] += 1
        for key, value in result.as_dict().items():
            totals[key] += value
    rebuild_vocabulary()
    re_embedded, missing = embed_missing(embedder=embedder)
    totals["embedded"] += re_embedded
    totals["missing"] = missing
    return totals


def embed_missing(*, embedder: Embedder | None = None) -> tuple[int, int]:
    """Embed the passages with no embedding of the current model; returns (embedded, still missing)."""
    model = embedder or _configured()
    stale = Passage.objects.select_related("article").order_by("pk")
    if model is not None:
        stale = stale.exclude(embedding__isnull=False, embedding_model=model.model_name)
    else:
        stale = stale.filter(embedding__isnull=True)
    passages = list(stale)
    if model is None or not passages:
        return 0, len(passages)
    embedded = 0
    for start in range(0, len(passages), EMBED_BATCH):
        batch = passages[start : start + EMBED_BATCH]
        texts = [_embed_text(_title(p.article, p.language), p.heading, p.text) for p in batch]
        try:
            vectors = model.embed_documents(texts)
        except EmbeddingError:
            logger.warning("help passages not embedded (%s left)", len(passages) - embedded, exc_info=True)
            break
        for passage, vector in zip(batch, vectors, strict=True):
            # Only the embedding: a passage rewritten meanwhile (another hash) keeps its own.
            embedded += Passage.objects.filter(pk=passage.pk, content_hash=passage.content_hash).update(
                embedding=vector, embedding_model=model.model_name
            )
    return embedded, len(passages) - embedded


def rebuild_vocabulary() -> None:
    """The typo vocabulary from scratch: the words of every published article's passages."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM helpcenter_vocabulary")
        cursor.execute(_WORDS_SQL + _PUBLISHED, _WORD_LENGTHS)


def _drafts(article: Article) -> list[_Draft]:
    drafts = []
    for language in LANGUAGES:
        content = getattr(article, f"content_{language}", None) or ""
        if not content.strip():
            continue
        title = _title(article, language)
        for position, section in enumerate(split_sections(_clean(content))):
            embed_text = _embed_text(title, section.heading, section.text)
            drafts.append(
                _Draft(
                    language=language,
                    position=position,
                    heading=section.heading,
                    anchor=section.anchor,
                    text=section.text,
                    embed_text=embed_text,
                    content_hash=hashlib.sha256(embed_text.encode()).hexdigest(),
                )
            )
    return drafts


def _embed(article_id: int, drafts: list[_Draft], embedder: Embedder | None) -> tuple[str, int, int]:
    """Fill the drafts' embeddings: kept from the current passages when their hash and model match,
    else from the embedder. Returns (model name, embedded, reused)."""
    model = embedder or _configured()
    if model is None or not drafts:
        return "", 0, 0
    known = dict(
        Passage.objects.filter(
            article_id=article_id, embedding_model=model.model_name, embedding__isnull=False
        ).values_list("content_hash", "embedding")
    )
    todo = []
    for draft in drafts:
        vector = known.get(draft.content_hash)
        if vector is not None:
            draft.embedding = [float(x) for x in vector]
        else:
            todo.append(draft)
    embedded = 0
    for start in range(0, len(todo), EMBED_BATCH):
        batch = todo[start : start + EMBED_BATCH]
        try:
            vectors = model.embed_documents([draft.embed_text for draft in batch])
        except EmbeddingError:
            logger.warning(
                "help article %s: %s passages not embedded", article_id, len(todo) - embedded, exc_info=True
            )
            break
        for draft, vector in zip(batch, vectors, strict=True):
            draft.embedding = vector
        embedded += len(batch)
    return model.model_name, embedded, len(drafts) - len(todo)


def _configured() -> Embedder | None:
    """The deployment's embedder, or None when it can't be built (search then works without vectors)."""
    try:
        return configured_embedder()
    except EmbeddingError:  # e.g. the model's package is missing
        logger.warning("no embedder: help passages are indexed without embeddings", exc_info=True)
        return None


def _set_search_vectors(article: Article) -> None:
    with connection.cursor() as cursor:
        for language, config in TEXT_SEARCH_CONFIG.items():
            keywords = ", ".join(
                Article.split_list(getattr(article, f"search_keywords_{language}", None) or "")
                + Article.split_list(getattr(article, f"tags_{language}", None) or "")
            )
            cursor.execute(
                """
                UPDATE helpcenter_passage SET search =
                    setweight(to_tsvector(%(config)s::regconfig, %(title)s), 'A')
                    || setweight(to_tsvector(%(config)s::regconfig, %(keywords)s), 'B')
                    || setweight(to_tsvector(%(config)s::regconfig, heading || ' ' || text), 'C')
                WHERE article_id = %(article)s AND language = %(language)s
                """,
                {
                    "config": config,
                    "title": _clean(_title(article, language)),
                    "keywords": _clean(keywords),
                    "article": article.pk,
                    "language": language,
                },
            )


def _title(article: Article, language: str) -> str:
    # modeltranslation's fields: a language without its own title shows the English one.
    return getattr(article, f"title_{language}", None) or getattr(article, "title_en", None) or article.title


def _embed_text(title: str, heading: str, text: str) -> str:
    return "\n".join(part for part in (title, heading, text) if part)


def _clean(text: str) -> str:
    """No NUL (PostgreSQL text can't hold it) and no snippet marker (they must not occur in text)."""
    for char in ("\x00", *SNIPPET_MARKERS):
        text = text.replace(char, "")
    return text
