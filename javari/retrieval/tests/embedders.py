"""Small deterministic embedders for tests: real implementations of the Embedder protocol, not mocks.

``WordHashEmbedder`` puts each word's first five letters (a crude stem: "credits" and "credit" agree)
into one of ``DIMENSIONS`` buckets by a stable hash, then L2-normalises: texts that share words are
close in cosine distance, texts that share none are orthogonal. It counts the texts it is given.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata

from javari.retrieval.embeddings import DIMENSIONS, EmbeddingError


class WordHashEmbedder:
    model_name = "test/word-hash-384"
    dimensions = DIMENSIONS

    def __init__(self) -> None:
        self.documents: list[str] = []
        self.queries: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents.extend(texts)
        return [vector(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return vector(text)


class OtherModelEmbedder(WordHashEmbedder):
    model_name = "test/other-model"


class BrokenEmbedder:
    """An embedder whose model is unreachable: every call raises EmbeddingError."""

    model_name = "test/broken"
    dimensions = DIMENSIONS

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise EmbeddingError("the model is unreachable")

    def embed_query(self, text: str) -> list[float]:
        raise EmbeddingError("the model is unreachable")


def vector(text: str) -> list[float]:
    values = [0.0] * DIMENSIONS
    plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    words = ["".join(c if c.isalnum() else " " for c in plain).split()]
    for word in words[0]:
        if len(word) < 3:
            continue
        digest = hashlib.sha256(word[:5].encode()).digest()
        values[int.from_bytes(digest[:4], "big") % DIMENSIONS] += 1.0
    norm = math.sqrt(sum(v * v for v in values))
    if not norm:
        values[0] = norm = 1.0
    return [v / norm for v in values]
