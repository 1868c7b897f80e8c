"""A local stand-in for a remote LLM provider, for the failures the real local server never shows.

It speaks OpenAI's Chat Completions protocol on 127.0.0.1 (``POST /v1/chat/completions``,
streamed as ``data: {chunk}`` server-sent events ending with ``data: [DONE]``; ``GET /v1/models``),
and the model name picks the behaviour, so a test points a ChatModel at it:

- ``ok``: streams "Hello from the fake provider." in five chunks, then a usage chunk
- ``code``: streams a short answer holding an 8-line Python block, a line per chunk, 100 ms apart
- ``slow``: streams up to 200 chunks, one every 50 ms (long enough to stop mid-way)
- ``rate-limited``: 429 with OpenAI's error body
- ``server-error``: 503 with OpenAI's error body
- ``broken``: two chunks, then the connection is cut mid-stream
- ``stall``: one chunk, then nothing until the client gives up

The real streaming path is tested against the real llama.cpp server; this covers what it can't do.
It is a ``tests.support.http.LocalHTTPServer``: a free port, ``requests`` (the decoded JSON bodies),
``wait_for_requests()``. The paced and stalled streams wait on the server's ``stopping`` event, so a
test that ends mid-stream never waits for the stream to run its course.
"""

from __future__ import annotations

import json
import time

from tests.support.http import LocalHTTPServer, QuietHandler

OK_CHUNKS = ["Hello", " from", " the fake", " provider", "."]
CODE_CHUNKS = [
    "Here is a script that counts words:\n\n",
    "```python\n",
    "import sys\n",
    "from collections import Counter\n",
    "\n",
    "def count(text):\n",
    "    return Counter(text.split())\n",
    "\n",
    "for word, n in count(sys.stdin.read()).most_common(5):\n",
    "    print(word, n)\n",
    "```\n",
]


def _chunk(content: str | None = None, *, finish: str | None = None) -> bytes:
    delta = {"content": content} if content is not None else {}
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


class _Handler(QuietHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": "ok", "object": "model"}]})
        else:
            self._json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        request = json.loads(self.rfile.read(length) or b"{}")
        fake = self.server.fake
        assert isinstance(fake, FakeLLM)
        fake.record(request)
        model = request.get("model", "ok")
        if model == "rate-limited":
            self._json(429, {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}})
            return
        if model == "server-error":
            self._json(503, {"error": {"message": "The server is overloaded", "type": "server_error"}})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        if model == "broken":
            # A declared length the body never reaches: the client sees the connection cut.
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(_chunk("Half"))
            self.wfile.write(_chunk(" a reply"))
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            if model == "slow":
                for index in range(min(200, int(request.get("max_tokens", 200)))):
                    self._send(_chunk(f" w{index}"))
                    if fake.stopping.wait(0.05):  # a real server's pace, cut short when the test ends
                        return
            elif model == "code":
                for piece in CODE_CHUNKS:
                    self._send(_chunk(piece))
                    if fake.stopping.wait(0.1):
                        return
            elif model == "stall":
                self._send(_chunk("Wait"))
                fake.stopping.wait(fake.stall_seconds)
            else:
                for piece in OK_CHUNKS:
                    self._send(_chunk(piece))
                self._send(_chunk(finish="stop"))
                usage = {"prompt_tokens": 21, "completion_tokens": len(OK_CHUNKS), "total_tokens": 26}
                last = {
                    "id": "x",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": "ok",
                    "choices": [],
                }
                self._send(f"data: {json.dumps({**last, 'usage': usage})}\n\n".encode())
            self._send(b"data: [DONE]\n\n")
            self._send(b"")  # the last chunk of a chunked body
        except (BrokenPipeError, ConnectionResetError):
            fake.cut_by_client += 1

    def _send(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeLLM(LocalHTTPServer):
    handler_class = _Handler

    def __init__(self) -> None:
        super().__init__()
        self.cut_by_client = 0
        self.stall_seconds = 3.0

    @property
    def url(self) -> str:
        """The base URL a ChatModel points at (OpenAI's API lives under /v1)."""
        return f"{self.base_url}/v1"
