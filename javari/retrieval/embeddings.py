"""Text embeddings behind one interface.

``embedder()`` returns the deployment's :class:`Embedder`: an OpenAI-compatible ``/v1/embeddings``
endpoint when ``EMBEDDINGS_BASE_URL`` is set, else the embedded local model (no network at run time).
Vectors are lists of ``DIMENSIONS`` floats, L2-normalised, so cosine distance ranks them.
A change of model or dimension is a migration plus ``manage.py reindex_help``: passages remember
the ``model_name`` that embedded them, and only vectors of the current model are compared.
"""

from __future__ import annotations

from typing import Protocol

# The vector columns' dimension (helpcenter.Passage.embedding): all-MiniLM-L6-v2's, 384.
DIMENSIONS = 384


class Embedder(Protocol):
    model_name: str
    dimensions: int

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order. Raises EmbeddingError."""

    def embed_query(self, text: str) -> list[float]:
        """The vector of a search query. Raises EmbeddingError."""


class EmbeddingError(Exception):
    """The embedding model could not be reached or gave an unusable answer."""


def embedder() -> Embedder:
    """The configured embedder (built once per process)."""
    raise NotImplementedError("javari.retrieval.embeddings.embedder is being written (issue 14)")
