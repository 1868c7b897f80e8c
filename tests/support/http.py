"""The base of the local fakes of third-party HTTP services (Stripe, a remote model provider, and
next the integrations' providers): a real ``ThreadingHTTPServer`` on 127.0.0.1, on a free port the
OS picks (so parallel test workers never collide), served from a thread.

A fake subclasses ``LocalHTTPServer``, sets ``handler_class`` (a ``BaseHTTPRequestHandler`` that
reaches the fake as ``self.server.fake``) and calls ``record()`` for each request it receives, in
whatever shape its tests want to assert on. Tests then read ``requests``, or wait for a request
with ``wait_for_requests()`` instead of sleeping.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that keeps the test output quiet; ``self.server.fake`` is the fake."""

    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler_class: type[BaseHTTPRequestHandler], fake: LocalHTTPServer) -> None:
        super().__init__(("127.0.0.1", 0), handler_class)
        self.fake = fake


class LocalHTTPServer:
    """A threaded HTTP server on 127.0.0.1 with a request log. Use as a context manager."""

    handler_class: ClassVar[type[BaseHTTPRequestHandler]]

    def __init__(self) -> None:
        self.requests: list[Any] = []
        # Set when the server stops: handlers that pace or stall a response wait on it, so stopping
        # never waits for a simulated slow reply to run its course.
        self.stopping = threading.Event()
        self._changed = threading.Condition()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, f"the {type(self).__name__} server isn't running"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        self._server = _Server(self.handler_class, self)
        # A short poll interval: shutdown() waits for the loop to notice, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=type(self).__name__,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        assert self._server is not None
        assert self._thread is not None
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def record(self, entry: Any) -> None:
        """Log a request (called from the handler's thread) and wake anyone waiting for it."""
        with self._changed:
            self.requests.append(entry)
            self._changed.notify_all()

    def wait_for_requests(self, count: int = 1, *, timeout: float = 10) -> list[Any]:
        """The request log once it holds ``count`` requests; fails after ``timeout`` seconds."""
        with self._changed:
            arrived = self._changed.wait_for(lambda: len(self.requests) >= count, timeout=timeout)
            assert arrived, f"{type(self).__name__} got {len(self.requests)} of {count} requests"
            return list(self.requests)
