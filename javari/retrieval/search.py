"""Hybrid search over indexed passages: full text, typo-corrected full text and vectors, fused.

``search(query, language=…, scope=…, limit=…)``:

1. Clean the query: NUL and unencodable characters (lone surrogates) dropped, cut to
   ``helpcenter.models.QUERY_MAX_CHARS``. A query with no letter or digit returns [].
2. Embed it (before any database work: no model call inside a transaction). If the embedder fails
   or isn't configured, search goes on without the vector list and logs a warning.
3. Three ranked lists of at most ``LIST_SIZE`` passages, each only of ``language``, of published
   articles, within ``scope``:
   - **fts**: the query's lexemes in the language's configuration (``javari_english`` /
     ``javari_spanish``: stemmed, accents ignored, stop words dropped) OR-ed into one tsquery — a
     question is many words, and AND-ing them finds nothing — ranked by ``ts_rank_cd`` over the
     weighted vector (title A, keywords B, heading and text C);
   - **typo**: the PostgreSQL documentation's way (F.35 pg_trgm, "Text Search Integration"): each
     query word missing from the corpus's vocabulary (``helpcenter_vocabulary``) is replaced by its
     nearest vocabulary words by trigram similarity (> ``TYPO_SIMILARITY``), and that corrected
     query is ranked as above. No word corrected, no list;
   - **vector**: ``embedding <=> query`` through the HNSW index, with pgvector 0.8's iterative
     index scan (``hnsw.iterative_scan = relaxed_order``) so the filters never leave the list
     short, only embeddings of the current model, closer than ``VECTOR_MAX_DISTANCE``.
4. Fuse by reciprocal rank: ``score(p) = Σ over lists containing p of 1 / (RRF_K + rank(p))``,
   ranks from 1, ``RRF_K = 60`` (Cormack, Clarke & Büttcher, "Reciprocal Rank Fusion outperforms
   Condorcet and individual rank learning methods", SIGIR 2009). Ties go to the lower passage id.
5. The best ``limit`` become :class:`Hit` s with a snippet: ``ts_headline`` with marker characters
   text never holds (indexing removes them), HTML-escaped, then the markers made ``<mark>`` — so no
   article HTML reaches a page through a snippet.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils.safestring import SafeString, mark_safe

from javari.retrieval.embeddings import Embedder

logger = logging.getLogger(__name__)

# PostgreSQL text search configuration per language (migration helpcenter 0002: unaccent + stemmer).
TEXT_SEARCH_CONFIG = {"en": "javari_english", "es": "javari_spanish"}
# Passages each ranked list contributes to the fusion.
LIST_SIZE = 50
# Reciprocal rank fusion's constant (Cormack et al. 2009: 60, "fixed during a pilot investigation").
RRF_K = 60
# pg_trgm similarity a vocabulary word needs to stand for a misspelled query word, and how many
# words may stand for one (pg_trgm's default threshold is 0.3). At 0.4 a dropped or doubled letter
# is caught ("biling" → "billing" 0.67, "remnder" → "reminder" 0.55) but a swap in a short word is
# not ("langauge" → "language" 0.38, "kyes" → "keys" 0.11: the vector list may still find those),
# and a real word the articles lack may be misread ("lisa" → "list" 0.43).
TYPO_SIMILARITY = 0.4
TYPO_CANDIDATES = 2
# hnsw.ef_search: candidates the HNSW graph search keeps (pgvector's default 40). Measured by
# bench/bench_helpcenter.py at 100,000 passages, filtered to one language, against an exact scan:
# recall@10 0.984 at 40, 0.995 at 100, 0.997 at 200; p95 3.6, 4.9 and 5.9 ms (the exact scan: 316).
HNSW_EF_SEARCH = 100
# Vector hits farther than this cosine distance are dropped: without it, a query about nothing in
# the help center would still get the 50 nearest passages and "no result" could never be said.
VECTOR_MAX_DISTANCE = 0.75
# Snippets: characters that never occur in indexed text (private use; indexing strips them).
SNIPPET_MARKERS = ("\ue000", "\ue001")
SNIPPET_OPTIONS = (
    f'StartSel="{SNIPPET_MARKERS[0]}", StopSel="{SNIPPET_MARKERS[1]}", '
    'MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'
)
SNIPPET_FALLBACK_CHARS = 200


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
    ranks: dict[str, int] = field(default_factory=dict)  # 1-based rank in each list: fts, typo, vector
    snippet: SafeString = field(default_factory=lambda: mark_safe(""))  # safe HTML, matches in <mark>


def search(
    query: str, *, language: str, scope: Scope = HELP, limit: int = 10, embedder: Embedder | None = None
) -> list[Hit]:
    """The ``limit`` best passages for ``query`` in ``language`` ("en" or "es") within ``scope``.

    Never raises for odd input: an empty or unsearchable query returns []. Unpublished articles
    never appear. ``embedder`` defaults to the deployment's (``javari.retrieval.embeddings``).
    """
    query = clean_query(query)
    limit = max(0, min(int(limit), LIST_SIZE))
    if not limit or not scope.help or not any(char.isalnum() for char in query):
        return []
    if language not in TEXT_SEARCH_CONFIG:
        language = "en"
    config = TEXT_SEARCH_CONFIG[language]
    vector, model_name = _embed_query(query, embedder)

    lists: dict[str, list[int]] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        lexemes = _lexemes(cursor, config, query)
        if lexemes:
            lists["fts"] = _full_text(cursor, language, _or_query(lexemes))
        corrected = _corrected_lexemes(cursor, config, language, query)
        if corrected:
            lists["typo"] = _full_text(cursor, language, _or_query(corrected))
        if vector is not None:
            lists["vector"] = _nearest(cursor, language, vector, model_name)

    ranks: dict[int, dict[str, int]] = {}
    for name, ids in lists.items():
        for rank, passage_id in enumerate(ids, start=1):
            ranks.setdefault(passage_id, {})[name] = rank
    scores = {passage_id: sum(1 / (RRF_K + rank) for rank in r.values()) for passage_id, r in ranks.items()}
    best = sorted(scores, key=lambda passage_id: (-scores[passage_id], passage_id))[:limit]
    if not best:
        return []
    highlight = _or_query(sorted(set(lexemes) | set(corrected)))
    return _hits(best, scores, ranks, config, highlight)


def clean_query(query: str | None) -> str:
    """The query as search reads it: no NUL or lone surrogate, at most QUERY_MAX_CHARS, trimmed."""
    from helpcenter.models import QUERY_MAX_CHARS

    text = str(query or "")[: QUERY_MAX_CHARS * 2]
    text = text.encode("utf-8", "ignore").decode("utf-8").replace("\x00", "")
    for marker in SNIPPET_MARKERS:
        text = text.replace(marker, "")
    return " ".join(text.split())[:QUERY_MAX_CHARS].strip()


def _embed_query(query: str, embedder: Embedder | None) -> tuple[str | None, str]:
    """The query's vector as pgvector text, and the model's name; (None, "") when it can't be had."""
    try:
        if embedder is None:
            from javari.retrieval.embeddings import embedder as configured

            embedder = configured()
        values = embedder.embed_query(query)
    except Exception:  # any failure of the model costs the vector list only, never the search
        logger.warning("search without vectors: the query could not be embedded", exc_info=True)
        return None, ""
    return "[" + ",".join(repr(float(value)) for value in values) + "]", embedder.model_name


def _lexemes(cursor, config: str, text: str) -> list[str]:
    cursor.execute("SELECT tsvector_to_array(to_tsvector(%s::regconfig, %s))", [config, text])
    return list(cursor.fetchone()[0] or [])


def _or_query(lexemes: list[str]) -> str:
    """``'a' | 'b'`` in tsquery syntax, the lexemes quoted as they are (already normalised)."""
    return " | ".join("'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" for lexeme in lexemes)


def _corrected_lexemes(cursor, config: str, language: str, query: str) -> list[str]:
    """The query's lexemes with each word the vocabulary lacks replaced by its nearest words; [] when
    no word was replaced (the typo list would repeat the full-text one)."""
    cursor.execute("SELECT tsvector_to_array(to_tsvector('simple', unaccent(%s)))", [query])
    words = [word for word in cursor.fetchone()[0] or [] if len(word) >= 3 and word[0].isalpha()]
    if not words:
        return []
    cursor.execute(f"SET LOCAL pg_trgm.similarity_threshold = {TYPO_SIMILARITY}")
    cursor.execute(
        """
        SELECT w.word, v.word
        FROM unnest(%(words)s::text[]) AS w(word)
        CROSS JOIN LATERAL (
            SELECT word FROM helpcenter_vocabulary
            WHERE language = %(language)s AND word %% w.word
            ORDER BY similarity(word, w.word) DESC, word
            LIMIT %(candidates)s
        ) AS v
        WHERE NOT EXISTS (
            SELECT 1 FROM helpcenter_vocabulary known
            WHERE known.language = %(language)s AND known.word = w.word
        )
        """,
        {"words": words, "language": language, "candidates": TYPO_CANDIDATES},
    )
    replacements: dict[str, list[str]] = {}
    for word, replacement in cursor.fetchall():
        replacements.setdefault(word, []).append(replacement)
    if not replacements:
        return []
    corrected = " ".join(" ".join(replacements.get(word, [word])) for word in words)
    return _lexemes(cursor, config, corrected)


def _full_text(cursor, language: str, tsquery: str) -> list[int]:
    cursor.execute(
        """
        SELECT p.id FROM helpcenter_passage p
        JOIN helpcenter_article a ON a.id = p.article_id AND a.is_published
        WHERE p.language = %(language)s AND p.search @@ %(query)s::tsquery
        ORDER BY ts_rank_cd(p.search, %(query)s::tsquery, 1) DESC, p.id
        LIMIT %(size)s
        """,
        {"language": language, "query": tsquery, "size": LIST_SIZE},
    )
    return [row[0] for row in cursor.fetchall()]


def _nearest(cursor, language: str, vector: str, model_name: str) -> list[int]:
    """The nearest passages by cosine distance through the HNSW index. relaxed_order lets the index
    scan go on past ef_search candidates while the filters reject rows, so the list is only short
    when the matching rows run out; its results may be slightly out of order, hence the re-sort.

    The filters in the scan are the passage's own columns: a join with the article there lets the
    planner start from the (small) article table and sort every passage instead of using the
    index. Unpublished articles are dropped after it; they keep no passages once indexed, so this
    can only shorten the list in the moment between an unpublish and its index task."""
    cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
    cursor.execute(f"SET LOCAL hnsw.ef_search = {HNSW_EF_SEARCH}")
    cursor.execute(
        """
        WITH nearest AS MATERIALIZED (
            SELECT p.id, p.article_id, p.embedding <=> %(vector)s::vector AS distance
            FROM helpcenter_passage p
            WHERE p.language = %(language)s AND p.embedding_model = %(model)s
            ORDER BY distance
            LIMIT %(size)s
        )
        SELECT nearest.id FROM nearest
        JOIN helpcenter_article a ON a.id = nearest.article_id AND a.is_published
        WHERE distance < %(max_distance)s
        ORDER BY distance, nearest.id
        """,
        {
            "vector": vector,
            "language": language,
            "model": model_name,
            "size": LIST_SIZE,
            "max_distance": VECTOR_MAX_DISTANCE,
        },
    )
    return [row[0] for row in cursor.fetchall()]


def _hits(
    best: list[int], scores: dict[int, float], ranks: dict[int, dict[str, int]], config: str, highlight: str
) -> list[Hit]:
    from helpcenter.models import Passage

    passages = Passage.objects.select_related("article").in_bulk(best)
    snippets = _snippets(best, config, highlight)
    hits = []
    for passage_id in best:
        passage = passages.get(passage_id)
        if passage is None:  # deleted since it was ranked (a re-index)
            continue
        article = passage.article
        title = getattr(article, f"title_{passage.language}", None) or article.title
        url = article.get_absolute_url() + (f"#{passage.anchor}" if passage.anchor else "")
        hits.append(
            Hit(
                source="help",
                passage_id=passage.pk,
                document_id=article.pk,
                slug=article.slug,
                title=title,
                heading=passage.heading,
                anchor=passage.anchor,
                url=url,
                text=passage.text,
                language=passage.language,
                score=scores[passage_id],
                ranks=ranks[passage_id],
                snippet=snippets.get(passage_id) or _plain_snippet(passage.text),
            )
        )
    return hits


def _snippets(ids: list[int], config: str, highlight: str) -> dict[int, SafeString]:
    if not highlight:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, ts_headline(%s::regconfig, text, %s::tsquery, %s) "
            "FROM helpcenter_passage WHERE id = ANY(%s)",
            [config, highlight, SNIPPET_OPTIONS, ids],
        )
        return {passage_id: _marked(headline) for passage_id, headline in cursor.fetchall()}


def _marked(headline: str) -> SafeString:
    escaped = html.escape(headline.strip(), quote=True)
    start, stop = SNIPPET_MARKERS
    return mark_safe(escaped.replace(start, "<mark>").replace(stop, "</mark>"))  # noqa: S308 (escaped above)


def _plain_snippet(text: str) -> SafeString:
    cut = (
        text
        if len(text) <= SNIPPET_FALLBACK_CHARS
        else text[:SNIPPET_FALLBACK_CHARS].rsplit(" ", 1)[0] + " …"
    )
    return mark_safe(html.escape(" ".join(cut.split()), quote=True))  # noqa: S308 (escaped)
