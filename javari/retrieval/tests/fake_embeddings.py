"""A local stand-in for an OpenAI-compatible embeddings endpoint (``POST /v1/embeddings``).

Point ``EMBEDDINGS_BASE_URL`` at ``fake.base_url + "/v1"``; the model name picks the behaviour:

- any other name: one vector per input from ``fake_vector`` (words hashed into 384 dimensions, so
  texts that share words are near), answered in reverse order with their ``index``, and scaled
  by 3 so a client that forgets to normalise is caught. ``dimensions`` in the request is obeyed.
- ``wide``: 768-dimension vectors (a model whose vectors don't fit the index)
- ``one-short``: one embedding fewer than the inputs
- ``repeated-index``: every embedding claims index 0
- ``no-data``: a JSON object without ``data``
- ``not-json``: 200 with an HTML body
- ``zeros``: vectors of zeros (no direction to normalise)
- ``bad-request``: 400 with OpenAI's error body, whose message quotes the request's API key
- ``bad-key``: 401 with OpenAI's error body, quoting part of the key as OpenAI does
- ``rate-limited``: 429; ``server-error``: 503 with an HTML body
- ``stall``: no answer until the client gives up (or the server stops)

It is a ``tests.support.http.LocalHTTPServer``: ``requests`` holds one dict per request
(``path``, ``authorization``, ``body``: the decoded JSON).
"""

from __future__ import annotations

import hashlib
import json
import math
import re

from tests.support.http import LocalHTTPServer, QuietHandler

DEFAULT_DIMENSIONS = 384


def fake_vector(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """A unit vector for ``text``: each lower-cased word adds ±1 at a position its hash picks."""
    vector = [0.0] * dimensions
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        vector[int.from_bytes(digest[:4], "big") % dimensions] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0:
        vector[0] = norm = 1.0  # no words: still a vector that can be compared
    return [x / norm for x in vector]


class _Handler(QuietHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        fake = self.server.fake
        assert isinstance(fake, FakeEmbeddings)
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        authorization = self.headers.get("Authorization", "")
        fake.record({"path": self.path, "authorization": authorization, "body": body})
        if self.path != "/v1/embeddings":
            self._json(404, {"error": {"message": "Not found", "type": "invalid_request_error"}})
            return
        model = body.get("model", "")
        inputs = body.get("input", [])
        key = authorization.removeprefix("Bearer ")
        if model == "stall":
            fake.stopping.wait(30)
            return
        if model == "bad-request":
            message = f"Invalid request made with key {key}: 'input' is invalid"
            self._json(400, {"error": {"message": message, "type": "invalid_request_error"}})
            return
        if model == "bad-key":
            message = f"Incorrect API key provided: {key[:6]}***{key[-4:]}"
            self._json(401, {"error": {"message": message, "type": "invalid_request_error"}})
            return
        if model == "rate-limited":
            self._json(429, {"error": {"message": "Rate limit reached", "type": "requests"}})
            return
        if model == "server-error":
            self._send(503, b"<html><body>Service Unavailable</body></html>", "text/html")
            return
        if model == "not-json":
            self._send(200, b"<html><body>Welcome to nginx!</body></html>", "text/html")
            return
        if model == "no-data":
            self._json(200, {"object": "list", "model": model})
            return
        dimensions = body.get("dimensions") or (768 if model == "wide" else DEFAULT_DIMENSIONS)
        data = [
            {
                "object": "embedding",
                "index": 0 if model == "repeated-index" else index,
                "embedding": [0.0] * dimensions
                if model == "zeros"
                else [3 * x for x in fake_vector(text, dimensions)],
            }
            for index, text in enumerate(inputs)
        ]
        if model == "one-short":
            data = data[:-1]
        data.reverse()
        self._json(200, {"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": 1}})

    def _json(self, status: int, body: object) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class FakeEmbeddings(LocalHTTPServer):
    """OpenAI's embeddings endpoint on 127.0.0.1 (see the module docstring)."""

    handler_class = _Handler

    @property
    def api_url(self) -> str:
        """The value for ``EMBEDDINGS_BASE_URL``."""
        return self.base_url + "/v1"
