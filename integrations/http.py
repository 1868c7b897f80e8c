"""Every outbound call an integration makes: a timeout on each, and no private addresses.

A custom integration's base URL is typed by a person, and every provider's base URL is a setting:
either could point the server at itself, at the local network or at a cloud metadata service
(169.254.169.254). ``client()`` returns an ``httpx.Client`` whose transport resolves the host,
refuses the call (``BlockedAddress``) when any address it resolves to is loopback, private,
link-local, multicast, reserved or unspecified (IPv4-mapped and 6to4 IPv6 included) and not inside
``INTEGRATIONS_ALLOWED_NETWORKS``, and then connects to the address it checked, not to a second
lookup (so a DNS answer that changes between check and connect — DNS rebinding — can't slip a
private address in). For https the certificate is still checked against the host name (SNI).
Redirects are never followed.

``call()`` wraps one request: it maps timeouts and connection failures to a transient
``ProviderError`` and, through ``raise_for_status``, HTTP errors to permanent (4xx but 429) or
transient (429, 5xx) ones, with a message naming the provider and never the body or a secret.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from integrations.errors import BlockedAddress, ProviderError

# httpx logs each request's full URL at INFO ("HTTP Request: GET https://…?api_key=…"): a custom API
# that takes its key as a query parameter would put the key in the logs. Warnings still show.
logging.getLogger("httpx").setLevel(logging.WARNING)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _allowed_networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def allowed_networks() -> tuple[Network, ...]:
    """``INTEGRATIONS_ALLOWED_NETWORKS`` (CIDRs a deployment lets integrations reach although private)."""
    return _allowed_networks(tuple(getattr(settings, "INTEGRATIONS_ALLOWED_NETWORKS", ())))


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is on the public internet (not loopback, private, link-local, …)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped)
    # 6to4 (2002::/16) carries an IPv4 address that a 6to4 router delivers to: judge that one
    # (Python counts 2002:7f00:1:: — 127.0.0.1 — as global).
    if isinstance(address, ipaddress.IPv6Address) and address.sixtofour is not None:
        return is_public(address.sixtofour)
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def is_allowed(address: IPAddress) -> bool:
    """Public, or inside a network the deployment allows."""
    if is_public(address):
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in allowed_networks())


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ProviderError(_("The host name %(host)s could not be found.") % {"host": host}) from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def checked_address(host: str, port: int) -> IPAddress:
    """The address to connect to for ``host``: raises ``BlockedAddress`` if any it resolves to is
    not allowed (one bad answer is enough: which one a client picks is not ours to guess)."""
    addresses = _resolve(host, port)
    if not addresses or not all(is_allowed(address) for address in addresses):
        raise BlockedAddress()
    return addresses[0]


def check_url(url: str) -> None:
    """Refuse (``BlockedAddress``) a URL that isn't http(s), has credentials in it, or whose host
    resolves to an address integrations may not reach. Resolves the host (a DNS lookup)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BlockedAddress(_("This is not a valid web address.")) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedAddress(_("Use a web address that starts with https:// (or http://)."))
    if parts.username or parts.password:
        raise BlockedAddress(_("Put credentials in the authentication fields, not in the address."))
    checked_address(parts.hostname, port or (443 if parts.scheme == "https" else 80))


class GuardedTransport(httpx.HTTPTransport):
    """An ``httpx.HTTPTransport`` that connects only to allowed addresses, pinned to the one checked."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise BlockedAddress(_("Use a web address that starts with https:// (or http://)."))
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        address = checked_address(host, port)
        # The Host header already names the host (httpx set it when the request was built).
        request.url = url.copy_with(host=str(address))
        if url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": host}
        return super().handle_request(request)


def timeout() -> httpx.Timeout:
    """``INTEGRATIONS_HTTP_TIMEOUT`` seconds for each of connect, read, write and the pool."""
    return httpx.Timeout(float(getattr(settings, "INTEGRATIONS_HTTP_TIMEOUT", 10.0)))


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi's CA bundle, certificates and host names checked), made
    once: building it loads the CA bundle, ~50 ms a time, and a rotation makes several clients."""
    return httpx.create_ssl_context()


def client(**kwargs: Any) -> httpx.Client:
    """A guarded ``httpx.Client`` with the integrations timeout, no redirects and no env proxies."""
    kwargs.setdefault("timeout", timeout())
    return httpx.Client(
        transport=GuardedTransport(retries=0, verify=_ssl_context()),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": "JavariAI-Integrations/1.0"},
        **kwargs,
    )


def raise_for_status(
    response: httpx.Response, *, provider: str, ok: Iterable[int] = (200, 201, 202, 204)
) -> httpx.Response:
    """``response`` if its status is in ``ok``; else a ``ProviderError``: 401/403 permanent
    ("refused the credentials"), other 4xx permanent, 429 and 5xx transient."""
    status = response.status_code
    if status in ok:
        return response
    if status in (401, 403):
        message = _("%(provider)s refused the credentials (HTTP %(status)s).")
        raise ProviderError(message % {"provider": provider, "status": status}, permanent=True, status=status)
    if status == 429:
        message = _("%(provider)s is limiting requests (HTTP 429). Javari will try again later.")
        raise ProviderError(message % {"provider": provider}, permanent=False, status=status)
    if status >= 500:
        message = _("%(provider)s had a problem (HTTP %(status)s). Javari will try again later.")
        raise ProviderError(
            message % {"provider": provider, "status": status}, permanent=False, status=status
        )
    message = _("%(provider)s answered HTTP %(status)s.")
    raise ProviderError(message % {"provider": provider, "status": status}, permanent=True, status=status)


def call(
    method: str,
    url: str,
    *,
    provider: str,
    ok: Iterable[int] = (200, 201, 202, 204),
    http: httpx.Client | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """One guarded request: the response if its status is in ``ok``, else ``ProviderError``.

    ``provider`` is the name shown in messages ("Vercel"); ``kwargs`` go to ``httpx.Client.request``
    (``headers``, ``json``, ``data``, ``params``, ``auth``). Raises ``BlockedAddress`` (permanent)
    for a disallowed address, ``ProviderError`` (transient) for a timeout or no connection.
    """
    owned = http is None
    session = http or client()
    try:
        response = session.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        message = _("%(provider)s did not answer in time.")
        raise ProviderError(message % {"provider": provider}, permanent=False) from exc
    except httpx.InvalidURL as exc:
        raise BlockedAddress(_("This is not a valid web address.")) from exc
    except UnicodeEncodeError:
        # httpx sends header values as ASCII: a key with "é" or a no-break space in it can't go in a
        # header (Authorization, X-API-Key) and raised out of every caller as a 500. Nothing was sent.
        message = _(
            "%(provider)s can't be sent these credentials: a key sent in a header can hold only "
            "ASCII letters, digits and punctuation."
        )
        raise ProviderError(message % {"provider": provider}, permanent=True) from None
    except httpx.HTTPError as exc:
        message = _("%(provider)s could not be reached.")
        raise ProviderError(message % {"provider": provider}, permanent=False) from exc
    finally:
        if owned:
            session.close()
    return raise_for_status(response, provider=provider, ok=ok)
