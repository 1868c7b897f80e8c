"""Where a ``next`` parameter may send someone: our own host only.

Every place that reads ``next`` (the admin's sign-in, the language and theme switches, and allauth's
flows through ``AccountAdapter.is_safe_url``) asks here, so an off-site URL, ``//elsewhere`` or a
``javascript:`` URL can't turn a sign-in link into a redirect to someone else's page.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def is_own_url(request: HttpRequest, url: str | None) -> bool:
    """Whether ``url`` is a path on this site or an absolute URL of the host the request came to."""
    if not url or "\x00" in url:
        return False
    return url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def safe_next_url(request: HttpRequest, url: str | None, *, fallback: str) -> str:
    """``url`` when it stays on this site, else ``fallback``."""
    return url if url is not None and is_own_url(request, url) else fallback
