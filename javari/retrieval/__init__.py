"""Retrieval shared by the help center, chat and (later) the assets library.

``search(query, language=…, scope=…, limit=…)`` returns ranked :class:`Hit` passages with their
source. Hybrid: PostgreSQL full-text search in the language's configuration, pg_trgm for typos and
pgvector HNSW over passage embeddings, fused by reciprocal rank (``javari.retrieval.search``).
Embeddings come from one interface (``javari.retrieval.embeddings``).
"""

from __future__ import annotations

from javari.retrieval.search import HELP, Hit, Scope, search

__all__ = ["HELP", "Hit", "Scope", "search"]
