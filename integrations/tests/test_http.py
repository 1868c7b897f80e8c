"""The guard every outbound integration call goes through (``integrations.http``): no loopback,
private, link-local or metadata address unless the deployment allows its network, the connection
pinned to the address that was checked (the Host header still names the host), a timeout on every
call, HTTP statuses mapped to permanent or transient errors, and no redirect followed.

Only IP literals and "localhost" (the hosts file) are looked up: no test asks a DNS server.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from integrations import http
from integrations.errors import BlockedAddress, ProviderError
from tests.support.http import LocalHTTPServer, QuietHandler

BLOCKED = "This address points to a private or local network, which integrations may not reach."


class _Handler(QuietHandler):
    """``/status/<n>`` answers n; ``/redirect`` answers 302 to ``/landing``; ``/stall`` never answers."""

    def do_GET(self) -> None:
        fake = self.server.fake
        fake.record((self.path, self.headers.get("Host")))
        if self.path == "/stall":
            fake.stopping.wait(30)
            return
        if self.path == "/redirect":
            status, extra = 302, {"Location": "/landing"}
        elif self.path.startswith("/status/"):
            status, extra = int(self.path.removeprefix("/status/")), {}
        else:
            status, extra = 200, {}
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


class _Upstream(LocalHTTPServer):
    handler_class = _Handler


class _LocalhostServer(ThreadingHTTPServer):
    """Listens on whatever address "localhost" resolves to first here (127.0.0.1 or ::1), so the
    pinned connection reaches it on any machine."""

    daemon_threads = True

    def __init__(self, fake: _Upstream, address: str, family: socket.AddressFamily) -> None:
        self.address_family = family
        super().__init__((address, 0), _Handler)
        self.fake = fake


@pytest.fixture
def upstream() -> Iterator[_Upstream]:
    with _Upstream() as fake:
        yield fake


@pytest.fixture
def localhost_upstream(settings: Any) -> Iterator[tuple[_Upstream, str, int]]:
    """A server reached as http://localhost:<port>: its fake, its address (what the guard pins to)
    and its port."""
    family, _type, _proto, _name, sockaddr = socket.getaddrinfo("localhost", 0, type=socket.SOCK_STREAM)[0]
    fake = _Upstream()
    server = _LocalhostServer(fake, str(sockaddr[0]), family)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    settings.INTEGRATIONS_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    try:
        yield fake, str(sockaddr[0]), int(server.server_address[1])
    finally:
        fake.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- Which addresses are allowed -------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # the cloud metadata service
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 (an address under test, not a bind)
        "224.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd00:ec2::254",  # AWS's IPv6 metadata service
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "2002:7f00:1::",  # 6to4 carrying 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 carrying the metadata service
        "2002:a00:1::",  # 6to4 carrying 10.0.0.1
    ],
)
def test_private_local_and_metadata_addresses_are_blocked(settings: Any, address: str) -> None:
    settings.INTEGRATIONS_ALLOWED_NETWORKS = []
    assert not http.is_allowed(ipaddress.ip_address(address))
    with pytest.raises(BlockedAddress) as caught:
        http.checked_address(address, 80)
    assert caught.value.permanent
    assert str(caught.value) == BLOCKED


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1"]
)
def test_public_addresses_are_allowed(settings: Any, address: str) -> None:
    settings.INTEGRATIONS_ALLOWED_NETWORKS = []
    assert http.is_allowed(ipaddress.ip_address(address))
    assert http.checked_address(address, 443) == ipaddress.ip_address(address)


def test_a_name_that_resolves_to_loopback_is_blocked(settings: Any) -> None:
    settings.INTEGRATIONS_ALLOWED_NETWORKS = []
    with pytest.raises(BlockedAddress):
        http.checked_address("localhost", 80)
    with pytest.raises(BlockedAddress):
        http.check_url("http://localhost:8000/admin")


def test_an_allowed_network_lets_its_addresses_through_and_no_others(settings: Any) -> None:
    settings.INTEGRATIONS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert http.checked_address("10.1.2.3", 80) == ipaddress.ip_address("10.1.2.3")
    assert http.is_allowed(ipaddress.ip_address("::ffff:10.1.2.3"))  # mapped into the allowed net
    with pytest.raises(BlockedAddress):
        http.checked_address("192.168.0.1", 80)
    with pytest.raises(BlockedAddress):
        http.checked_address("127.0.0.1", 80)
    # The test settings' own: the fakes' 127.0.0.1 and nothing else.
    settings.INTEGRATIONS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    http.check_url("http://127.0.0.1:8080/")
    http.check_url("http://[::ffff:127.0.0.1]:8080/")
    with pytest.raises(BlockedAddress):
        http.check_url("http://127.0.0.2/")
    with pytest.raises(BlockedAddress):
        http.check_url("http://[::1]/")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://127.0.0.1/", "Use a web address that starts with https:// (or http://)."),
        ("gopher://127.0.0.1/", "Use a web address that starts with https:// (or http://)."),
        ("http:///path-only", "Use a web address that starts with https:// (or http://)."),
        ("http://ada:secret@127.0.0.1/", "Put credentials in the authentication fields, not in the address."),
        ("http://127.0.0.1:70000/", "This is not a valid web address."),
        ("http://[::1/", "This is not a valid web address."),
    ],
)
def test_check_url_refuses_what_is_not_a_plain_web_address(url: str, message: str) -> None:
    with pytest.raises(BlockedAddress) as caught:
        http.check_url(url)
    assert str(caught.value) == message
    assert "secret" not in str(caught.value)


# --- Calls -----------------------------------------------------------------------------------------


def test_a_blocked_call_never_connects(upstream: _Upstream, settings: Any) -> None:
    settings.INTEGRATIONS_ALLOWED_NETWORKS = []
    with pytest.raises(BlockedAddress):
        http.call("GET", f"{upstream.base_url}/status/200", provider="Test")
    assert upstream.requests == []


def test_the_connection_is_pinned_to_the_checked_address_and_keeps_the_host_header(
    localhost_upstream: tuple[_Upstream, str, int],
) -> None:
    fake, address, port = localhost_upstream
    response = http.call("GET", f"http://localhost:{port}/status/200", provider="Test")
    assert response.status_code == 200
    # httpx connected to the address the guard checked, not to a second lookup of the name…
    assert ipaddress.ip_address(response.request.url.host) == ipaddress.ip_address(address)
    # …and the server still saw the name it was asked for.
    assert fake.requests == [("/status/200", f"localhost:{port}")]


@pytest.mark.parametrize(
    ("status", "permanent", "words"),
    [
        (401, True, "Test refused the credentials (HTTP 401)."),
        (403, True, "Test refused the credentials (HTTP 403)."),
        (404, True, "Test answered HTTP 404."),
        (400, True, "Test answered HTTP 400."),
        (429, False, "Test is limiting requests (HTTP 429). Javari will try again later."),
        (500, False, "Test had a problem (HTTP 500). Javari will try again later."),
        (503, False, "Test had a problem (HTTP 503). Javari will try again later."),
    ],
)
def test_statuses_map_to_permanent_or_transient_errors(
    upstream: _Upstream, status: int, permanent: bool, words: str
) -> None:
    with pytest.raises(ProviderError) as caught:
        http.call("GET", f"{upstream.base_url}/status/{status}", provider="Test")
    assert caught.value.permanent is permanent
    assert caught.value.status == status
    assert str(caught.value) == words


def test_ok_statuses_can_be_chosen(upstream: _Upstream) -> None:
    assert http.call("GET", f"{upstream.base_url}/status/404", provider="Test", ok=(404,)).status_code == 404


def test_a_call_that_does_not_answer_in_time_is_transient(upstream: _Upstream, settings: Any) -> None:
    settings.INTEGRATIONS_HTTP_TIMEOUT = 0.3
    with pytest.raises(ProviderError) as caught:
        http.call("GET", f"{upstream.base_url}/stall", provider="Test")
    assert not caught.value.permanent
    assert caught.value.status is None
    assert str(caught.value) == "Test did not answer in time."


def test_a_refused_connection_is_transient() -> None:
    with pytest.raises(ProviderError) as caught:
        http.call("GET", "http://127.0.0.1:9/", provider="Test")
    assert not caught.value.permanent
    assert str(caught.value) == "Test could not be reached."


def test_redirects_are_not_followed(upstream: _Upstream) -> None:
    with pytest.raises(ProviderError) as caught:
        http.call("GET", f"{upstream.base_url}/redirect", provider="Test")
    assert caught.value.status == 302
    assert caught.value.permanent
    assert [path for path, _host in upstream.requests] == ["/redirect"]
    response = http.call("GET", f"{upstream.base_url}/redirect", provider="Test", ok=(302,))
    assert response.headers["Location"] == "/landing"
    assert [path for path, _host in upstream.requests] == ["/redirect", "/redirect"]


def test_a_non_web_scheme_is_refused_by_the_transport() -> None:
    with pytest.raises(ProviderError):
        http.call("GET", "file:///etc/passwd", provider="Test")


def test_the_shared_tls_context_still_checks_certificates_and_host_names() -> None:
    import ssl

    from integrations.http import _ssl_context

    context = _ssl_context()
    assert context is _ssl_context()  # made once
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


@pytest.mark.parametrize("value", ["Bearer clé-0123456789", "Bearer key\u00a0abc", "Bearer k\u2028ey"])
def test_a_header_value_outside_ascii_is_a_permanent_error_and_nothing_is_sent(
    upstream: _Upstream, value: str
) -> None:
    # httpx sends header values as ASCII; a key with other characters raised UnicodeEncodeError
    # out of every caller (a 500 on the connect page and the API).
    with pytest.raises(ProviderError) as caught:
        http.call("GET", f"{upstream.base_url}/status/200", provider="Test", headers={"Authorization": value})
    assert caught.value.permanent
    assert caught.value.__cause__ is None
    assert value.split(" ", 1)[1] not in str(caught.value)
    assert str(caught.value).startswith("Test can't be sent these credentials")
    assert upstream.requests == []
