"""The fake-server base: a free port per server, a request log to wait on, a prompt stop."""

from __future__ import annotations

import threading

import httpx
import pytest

from tests.support.http import LocalHTTPServer, QuietHandler


class _Echo(QuietHandler):
    def do_GET(self) -> None:
        self.server.fake.record(self.path)
        if self.path == "/stall":
            self.server.fake.stopping.wait(30)  # released by stop(), not by the 30 s
        body = self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Echo(LocalHTTPServer):
    handler_class = _Echo


def test_two_servers_get_ports_of_their_own_on_the_loopback() -> None:
    with Echo() as first, Echo() as second:
        assert first.base_url.startswith("http://127.0.0.1:")
        assert first.base_url != second.base_url
        assert httpx.get(f"{first.base_url}/hello", timeout=5).text == "/hello"
        assert first.requests == ["/hello"]
        assert second.requests == []


def test_wait_for_requests_returns_when_the_request_arrives() -> None:
    with Echo() as server:
        thread = threading.Thread(target=httpx.get, args=(f"{server.base_url}/late",))
        thread.start()
        assert server.wait_for_requests(1, timeout=10) == ["/late"]
        thread.join(timeout=10)


def test_wait_for_requests_fails_clearly_when_none_come() -> None:
    with Echo() as server, pytest.raises(AssertionError, match="got 0 of 1 requests"):
        server.wait_for_requests(1, timeout=0.05)


def test_stopping_releases_a_stalled_handler() -> None:
    server = Echo().start()
    thread = threading.Thread(
        target=httpx.get, args=(f"{server.base_url}/stall",), kwargs={"timeout": 30}, daemon=True
    )
    thread.start()
    server.wait_for_requests(1)
    server.stop()
    assert server.stopping.is_set()
    thread.join(timeout=10)
    assert not thread.is_alive()  # the stall ended with the server, not after its 30 s


def test_the_url_of_a_server_not_started_is_an_error() -> None:
    with pytest.raises(AssertionError, match="isn't running"):
        _ = Echo().base_url
