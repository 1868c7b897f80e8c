"""Grounding a reply in the help center: which passages a message is about, and how they are cited.

A message is "about Javari itself" when the help center holds a passage that answers it. The rule,
in three steps (``find_sources``):

1. ``javari.retrieval.search`` ranks passages for the message in the reply language (hybrid: full
   text, trigrams for typos, vectors; fused by reciprocal rank). A rank says which passage is best,
   never whether any is good: the vector list always returns its nearest rows, and the full-text
   list matches a passage on one shared word ("list", "write").
2. So each of the best ``CANDIDATES`` is judged on its own, in one query: which of the message's
   content words (its lexemes in the language's text search configuration, stop words dropped)
   the passage holds, and which its article's title or search keywords hold (weights A and B:
   what staff say the article is about). A word matches a lexeme of the passage that is that word
   or within a trigram similarity of ``TYPO_SIMILARITY`` of it (a misspelt "credts" still counts).
   A passage answers the message when it holds at least half of its words, two of them in the
   title or keywords; or at least two thirds, one in the title or keywords.
3. The passages that answer, best first, at most ``MAX_SOURCES`` and ``CONTEXT_MAX_CHARS`` of text
   in all, are the sources; none means the reply is written without the help center.

Measured on the 27 articles in both languages (2026-11-30). Every passage judged: of the 172
questions in helpcenter/content/questions/ (written to be answered by an article, a third
misspelt), 164 find a passage that answers (80 of 85 English, 84 of 87 Spanish); of 30 requests
unrelated to Javari in both languages ("write a python function that sorts a list", "¿cómo centro
un div con CSS?", a haiku, a recipe, an email to a boss…), one does ("escribe un script de bash
que haga copia de mi carpeta": four of its six words, two in the code-blocks article's keywords).
Half the words alone let 9 of the 30 through (one word of "write a python function…" is in the
code-blocks article's keywords, "list" and "function" in its text); two title or keyword words
alone ground only 153 questions; a typo similarity of 0.4 grounds two more questions and two more
unrelated requests. End to end (the hybrid search's best 8, real embeddings, help-retrieval's
indexing): 163 of 172 questions get sources (80 English, 83 Spanish), the expected article among
them for 149 (74, 75), and the same one of 30 unrelated requests. Judging takes 1.3 ms (p50, 6 ms
p95) beside the search's ~47 ms (p50, of which ~23 ms embed the query) on this 2-core VM.

The search runs in a worker thread while ``prepare_reply`` locks the conversation and records the
message (``start_search``), so its time mostly overlaps the preparation's; ``prepare_reply`` waits
at most ``WAIT_SECONDS`` for it, and a search that fails or is late leaves the reply ungrounded,
never failed. Inside a caller's transaction (a test's) the search runs in the caller's thread:
another connection would not see what that transaction wrote.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from javari.retrieval import Hit, search
from javari.retrieval.search import TEXT_SEARCH_CONFIG

if TYPE_CHECKING:
    from chat.models import Message

logger = logging.getLogger(__name__)

# How many ranked passages are judged, and how many may be cited.
CANDIDATES = 8
MAX_SOURCES = 4
# The passages' text given to the model, all together, in characters (about 500 tokens).
CONTEXT_MAX_CHARS = 1_500
# A passage cut shorter than this is left out rather than given as a fragment.
MIN_PASSAGE_CHARS = 200
# The share of the message's content words a passage must hold, and how many of them its article's
# title or search keywords must hold with it (see the module docstring).
MIN_COVERAGE, MIN_TITLE_WORDS = 0.5, 2
STRONG_COVERAGE, STRONG_TITLE_WORDS = 2 / 3, 1
# pg_trgm similarity at which a word of the message matches a word of the passage (a typo).
TYPO_SIMILARITY = 0.5
# The longest the reply waits for the search, in seconds: past it, the reply goes ungrounded.
WAIT_SECONDS = 2.0
# The message text searched, in characters (help search keeps its queries as short).
QUERY_MAX_CHARS = 200

_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="chat-retrieval")


@dataclass(frozen=True)
class Grounding:
    """What the help center gives a reply: its sources (stored with it) and the passages' text."""

    sources: list[dict[str, Any]] = field(default_factory=list)
    passages: list[str] = field(default_factory=list)  # each passage's text, in the sources' order
    elapsed_ms: int | None = None  # None: no search ran

    def context(self) -> str:
        """The block that follows the system prompt, or "" when there are no sources."""
        return context_block(self.sources, self.passages)


NOTHING = Grounding()


def source_of(hit: Hit) -> dict[str, Any]:
    """What a reply keeps of a passage it was given (JSON)."""
    return {
        "passage_id": hit.passage_id,
        "article_id": hit.document_id,
        "slug": hit.slug,
        "anchor": hit.anchor,
        "title": hit.title,
        "heading": hit.heading,
        "url": hit.url,
        "language": hit.language,
    }


def _clean(text: str) -> str:
    # PostgreSQL text can't hold NUL, and a lone surrogate can't be encoded for it.
    return text.replace("\x00", " ").encode("utf-8", "replace").decode("utf-8")


def answers(*, words: int, matched: int, in_title: int) -> bool:
    """Whether a passage holding ``matched`` of a message's ``words`` content words (``in_title`` of
    them in its article's title or keywords) answers it."""
    if not words:
        return False
    coverage = matched / words
    return (coverage >= MIN_COVERAGE and in_title >= MIN_TITLE_WORDS) or (
        coverage >= STRONG_COVERAGE and in_title >= STRONG_TITLE_WORDS
    )


def judge(hits: list[Hit], *, query: str, language: str) -> list[Hit]:
    """The hits that answer ``query`` (see the module docstring), best first, at most MAX_SOURCES."""
    candidates = [hit for hit in hits[:CANDIDATES] if hit.source == "help"]
    if not candidates:
        return []
    config = TEXT_SEARCH_CONFIG.get(language, TEXT_SEARCH_CONFIG["en"])  # the passages' own configuration
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.id, cardinality(q.words),
                   (SELECT count(*) FROM unnest(q.words) w WHERE EXISTS (
                       SELECT 1 FROM unnest(tsvector_to_array(p.search)) l
                       WHERE l = w OR similarity(l, w) >= %(typo)s)),
                   (SELECT count(*) FROM unnest(q.words) w WHERE EXISTS (
                       SELECT 1 FROM unnest(tsvector_to_array(ts_filter(p.search, '{a,b}'))) l
                       WHERE l = w OR similarity(l, w) >= %(typo)s))
            FROM helpcenter_passage p,
                 (SELECT tsvector_to_array(to_tsvector(%(config)s::regconfig, %(query)s)) AS words) q
            WHERE p.id = ANY(%(ids)s) AND p.search IS NOT NULL
            """,
            {
                "typo": TYPO_SIMILARITY,
                "config": config,
                "query": _clean(query),
                "ids": [hit.passage_id for hit in candidates],
            },
        )
        measures = {row[0]: row[1:] for row in cursor.fetchall()}
    kept = []
    for hit in candidates:
        words, matched, in_title = measures.get(hit.passage_id, (0, 0, 0))
        if answers(words=words, matched=matched, in_title=in_title):
            kept.append(hit)
    return kept[:MAX_SOURCES]


def find_sources(*, query: str, language: str) -> Grounding:
    """Search the help center for ``query`` and keep the passages that answer it, timed."""
    started = time.perf_counter()
    query = _clean(query)[:QUERY_MAX_CHARS]
    hits = search(query, language=language, limit=CANDIDATES)
    kept = _fit(judge(hits, query=query, language=language)) if hits else []
    elapsed = round((time.perf_counter() - started) * 1000)
    return Grounding(
        sources=[source_of(hit) for hit, _text in kept],
        passages=[text for _hit, text in kept],
        elapsed_ms=elapsed,
    )


def _fit(hits: list[Hit]) -> list[tuple[Hit, str]]:
    """The hits whose text fits CONTEXT_MAX_CHARS in all, the last one cut if need be: a passage the
    model is not given is not cited."""
    fitted = []
    room = CONTEXT_MAX_CHARS
    for hit in hits:
        text = " ".join(hit.text.split())
        if len(text) > room:
            if room < MIN_PASSAGE_CHARS:
                break
            text = text[: room - 1].rstrip() + "…"
        room -= len(text)
        fitted.append((hit, text))
    return fitted


class PendingSearch:
    """A search started before the reply's transaction; ``result()`` is its Grounding."""

    def __init__(self, *, query: str, language: str) -> None:
        self.query, self.language = query, language
        self.future: Future[Grounding] | None = None
        self.started = time.perf_counter()
        if not connection.in_atomic_block:
            self.future = _pool.submit(_search_in_worker, query=query, language=language)

    def result(self) -> Grounding:
        """The grounding, or NOTHING if the search failed or took longer than WAIT_SECONDS."""
        if self.future is None:
            try:
                with transaction.atomic():  # a failed query rolls back to here, not the caller's work
                    return find_sources(query=self.query, language=self.language)
            except Exception:
                logger.warning("Help-center search failed; the reply goes without sources", exc_info=True)
                return Grounding(elapsed_ms=self._waited())
        try:
            return self.future.result(timeout=max(0.0, WAIT_SECONDS - (time.perf_counter() - self.started)))
        except FutureTimeout:
            logger.warning("Help-center search took over %ss; the reply goes without sources", WAIT_SECONDS)
        except Exception:
            logger.warning("Help-center search failed; the reply goes without sources", exc_info=True)
        return Grounding(elapsed_ms=self._waited())

    def _waited(self) -> int:
        return round((time.perf_counter() - self.started) * 1000)


def _search_in_worker(*, query: str, language: str) -> Grounding:
    try:
        return find_sources(query=query, language=language)
    finally:
        # This thread's connection goes back (to the pool) at once: none sits idle between replies.
        connections.close_all()


def start_search(*, query: str | None, language: str) -> PendingSearch | None:
    """Start searching the help center for ``query`` (None or blank: nothing to search)."""
    if not query or not query.strip():
        return None
    return PendingSearch(query=query, language=language)


def context_block(sources: list[dict[str, Any]], passages: list[str]) -> str:
    """The passages for the prompt, each numbered with its title, heading and address, between
    markers, so the model can tell them from the instructions above and the conversation below.
    In the active language (the reply's)."""
    if not sources:
        return ""
    parts = []
    for number, (source, text) in enumerate(zip(sources, passages, strict=True), start=1):
        title = source["title"] + (f" — {source['heading']}" if source["heading"] else "")
        parts.append(f"[{number}] {title}\n{source['url']}\n{text}")
    intro = _(
        "Passages from Javari's help center follow, between the markers. The user's last message is "
        "about Javari itself: answer it from these passages, and cite each one you use by its number "
        "and address, as a Markdown link. If they don't answer it, say so instead of guessing."
    )
    return f"{intro}\n\n<<<help>>>\n" + "\n\n".join(parts) + "\n<<<end help>>>"


# --- Showing a reply's sources --------------------------------------------------------------------


def live_articles(messages: Iterable[Message]) -> dict[int, str]:
    """The articles these replies cite that are still published, id → current slug (one query,
    through helpcenter.selectors: chat reads another app's data only through its selectors)."""
    from helpcenter import selectors

    ids = {source["article_id"] for message in messages for source in _stored(message.sources)}
    if not ids:
        return {}
    return dict(selectors.published_articles().filter(pk__in=ids).values_list("pk", "slug"))


def shown_sources(stored: object, live: dict[int, str]) -> list[dict[str, Any]]:
    """A reply's stored sources as people see them: each with the article's current address, or
    ``url`` None when the article is no longer published (still named, from the stored title, but
    not linked). ``live`` is ``live_articles(...)``."""
    shown = []
    for source in _stored(stored):
        slug = live.get(source["article_id"])
        url = None
        if slug is not None:
            url = reverse("helpcenter:article", kwargs={"slug": slug})
            if source.get("anchor"):
                url += f"#{quote(str(source['anchor']), safe='-_.~')}"
        shown.append({**source, "url": url})
    return shown


def _stored(value: object) -> list[dict[str, Any]]:
    """The well-formed entries of a stored sources list (it is ours, but JSON is JSON)."""
    if not isinstance(value, list):
        return []
    return [
        source
        for source in value
        if isinstance(source, dict) and isinstance(source.get("article_id"), int) and source.get("title")
    ]


def one_per_article(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first (best) source of each article, in order."""
    seen: set[object] = set()
    firsts = []
    for source in sources:
        if source.get("article_id") not in seen:
            seen.add(source.get("article_id"))
            firsts.append(source)
    return firsts


def own_url(url: object) -> str | None:
    """``url`` if it is an address on this site ("/help/…"), else None: sources link nowhere else."""
    if isinstance(url, str) and url.startswith("/") and not url.startswith(("//", "/\\")):
        return url
    return None
