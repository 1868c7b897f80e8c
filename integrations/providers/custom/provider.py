"""Custom: any HTTP API a person names, with one of four ways to authenticate, verified by one GET.

The call: ``GET <base_url><verify_path>`` with the key where ``auth_type`` puts it, and the answer's
status must equal ``expected_status`` (200 unless set; a 3xx is never followed, so a redirect can be
what a person expects):

- ``bearer``: ``Authorization: Bearer <api_key>`` (RFC 6750 §2.1);
- ``header``: ``<header_name>: <api_key>`` (``X-API-Key`` and the like);
- ``basic``: ``Authorization: Basic base64(username:password)`` (RFC 7617);
- ``query``: ``?<query_param>=<api_key>`` (RFC 6750 §2.3's shape, any parameter name).

A wrong status is permanent (the API answered, just not as expected) except 429 and 5xx (transient);
401/403 say the credentials were refused.

The base URL is typed by a person, so it is the server-side request forgery hole the guard in
``integrations.http`` closes: ``clean_config`` refuses a malformed URL, one with credentials in it, or
one whose host resolves to a loopback, private, link-local or metadata address (unless
``INTEGRATIONS_ALLOWED_NETWORKS`` allows it), and every call is checked again at connect time and
pinned to the checked address (DNS rebinding). Custom APIs have no rotation API: generic steps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from integrations import http
from integrations.errors import ProviderError
from integrations.providers.base import Access, Field, Provider, Verification

AUTH_TYPES = (
    ("bearer", _("Bearer token (Authorization: Bearer …)")),
    ("header", _("API key in a header")),
    ("basic", _("User name and password (HTTP Basic)")),
    ("query", _("API key in a query parameter")),
)
DEFAULT_VERIFY_PATH = "/"
DEFAULT_EXPECTED_STATUS = 200
# RFC 9110 §5.1: a field name is a token (RFC 9110 §5.6.2 tchar).
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Headers the HTTP client sets itself or that change how the message is framed or routed:
# a key can't travel in one of them.
_RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "expect",
        "proxy-authorization",
        "proxy-connection",
        "user-agent",
        "accept-encoding",
        "cookie",
    }
)
_QUERY_PARAM = re.compile(r"^[A-Za-z0-9_.\-~\[\]]+$")
# A path (and optional query) on the base URL: visible ASCII, no fragment.
_PATH = re.compile(r"^/[\x21-\x22\x24-\x7e]*$")


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _clean_base_url(value: Any) -> str:
    url = str(value or "").strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (reading it checks it: a port past 65535 raises ValueError)
    except ValueError as exc:
        raise _invalid("base_url", gettext("This is not a valid web address.")) from exc
    if parts.query or parts.fragment:
        raise _invalid("base_url", gettext("Leave the query out of the base URL: put it in the verify path."))
    try:
        http.check_url(url)
    except ProviderError as exc:  # BlockedAddress, or a host name that can't be found
        raise _invalid("base_url", str(exc)) from exc
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path.rstrip("/"), "", ""))


def _clean_header_name(value: Any) -> str:
    name = str(value or "").strip()
    if not _HEADER_NAME.fullmatch(name) or len(name) > 100:
        raise _invalid(
            "header_name",
            gettext("Use a header name made of letters, digits and - (like X-API-Key)."),
        )
    if name.lower() in _RESERVED_HEADERS or name.lower().startswith("proxy-"):
        raise _invalid(
            "header_name",
            gettext("The header %(name)s can't carry a key: use another name.") % {"name": name},
        )
    return name


class CustomProvider(Provider):
    slug = "custom"
    name = pgettext_lazy("integration provider", "Custom API")
    description = _("Add any API you want Javari to access")
    capabilities = ("custom",)
    fields = (
        Field(
            "base_url",
            _("Base URL"),
            _("The address every call starts with, like https://api.example.com/v1."),
            kind="url",
            max_length=2_000,
            placeholder="https://api.example.com",
        ),
        Field(
            "auth_type",
            _("Authentication"),
            _("How the API expects its key."),
            kind="choice",
            choices=AUTH_TYPES,
            initial="bearer",
            max_length=10,
        ),
        Field(
            "api_key",
            # A label: the plain msgid is Spanish "clave de API", lowercase for the middle of a sentence.
            pgettext_lazy("integration field", "API key"),
            _("The key or token the API gave you."),
            secret=True,
            max_length=2_000,
            depends_on="auth_type",
            when=("bearer", "header", "query"),
        ),
        Field(
            "header_name",
            _("Header name"),
            _("The header the key goes in, like X-API-Key."),
            max_length=100,
            placeholder="X-API-Key",
            depends_on="auth_type",
            when=("header",),
        ),
        Field(
            "query_param",
            _("Query parameter"),
            _("The parameter the key goes in, like api_key."),
            max_length=100,
            placeholder="api_key",
            depends_on="auth_type",
            when=("query",),
        ),
        Field(
            "username",
            _("User name"),
            max_length=200,
            depends_on="auth_type",
            when=("basic",),
        ),
        Field(
            "password",
            _("Password"),
            secret=True,
            max_length=1_000,
            depends_on="auth_type",
            when=("basic",),
        ),
        Field(
            "verify_path",
            _("Verify path"),
            _("A path Javari reads to check the key, like /me or /health. Starts with /."),
            required=False,
            max_length=500,
            initial=DEFAULT_VERIFY_PATH,
            placeholder="/",
        ),
        Field(
            "expected_status",
            _("Expected status"),
            _("The HTTP status that path answers when the key works (usually 200)."),
            required=False,
            kind="integer",
            max_length=3,
            initial=DEFAULT_EXPECTED_STATUS,
        ),
    )
    rotation_steps = (
        _("Make a new key where this API's provider issues them."),
        _("Paste the new key into this integration in Javari and save: Javari checks it."),
        _("Revoke the old key with the API's provider once nothing else uses it."),
    )

    def clean_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Check each setting present (an edit sends only the changed ones) and the base URL's
        address; fill the verify path and expected status when left blank."""
        cleaned = dict(config)
        errors: dict[str, list[str]] = {}
        checks = {
            "base_url": _clean_base_url,
            "header_name": _clean_header_name,
            "query_param": self._clean_query_param,
            "username": self._clean_username,
            "verify_path": self._clean_verify_path,
            "expected_status": self._clean_expected_status,
        }
        for name, check in checks.items():
            if name not in cleaned:
                continue
            if cleaned[name] in ("", None) and name in ("header_name", "query_param", "username"):
                continue  # not shown for this auth type (clean_values requires it where it is)
            try:
                cleaned[name] = check(cleaned[name])
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    errors.setdefault(field, []).extend(messages)
        if errors:
            raise ValidationError(errors)
        return cleaned

    @staticmethod
    def _clean_query_param(value: Any) -> str:
        name = str(value or "").strip()
        if not _QUERY_PARAM.fullmatch(name):
            raise _invalid("query_param", gettext("Use letters, digits, _ . - or ~ (like api_key)."))
        return name

    @staticmethod
    def _clean_username(value: Any) -> str:
        name = str(value or "")
        if ":" in name:  # RFC 7617 §2: the user-id can't hold a colon
            raise _invalid("username", gettext("A user name for HTTP Basic can't contain a colon."))
        return name

    @staticmethod
    def _clean_verify_path(value: Any) -> str:
        path = str(value or "").strip() or DEFAULT_VERIFY_PATH
        if not _PATH.fullmatch(path):
            raise _invalid(
                "verify_path",
                gettext("Start the path with / and use no spaces or # (like /me or /health)."),
            )
        return path

    @staticmethod
    def _clean_expected_status(value: Any) -> int:
        if value in ("", None):
            return DEFAULT_EXPECTED_STATUS
        if not isinstance(value, int) or not 100 <= value <= 599:
            raise _invalid("expected_status", gettext("Enter an HTTP status from 100 to 599."))
        return value

    def verify(self, access: Access) -> Verification:
        config = access.config
        base = str(config.get("base_url") or "").rstrip("/")
        host = urlsplit(base).hostname or base
        path = str(config.get("verify_path") or DEFAULT_VERIFY_PATH)
        expected = config.get("expected_status") or DEFAULT_EXPECTED_STATUS
        auth_type = config.get("auth_type")
        key = access.secret("api_key")
        headers: dict[str, str] = {}
        params: dict[str, str] = {}
        auth: httpx.BasicAuth | None = None
        if auth_type == "bearer":
            headers["Authorization"] = f"Bearer {key}"
        elif auth_type == "header" and config.get("header_name"):
            headers[str(config["header_name"])] = key
        elif auth_type == "query" and config.get("query_param"):
            params[str(config["query_param"])] = key
        elif auth_type == "basic":
            auth = httpx.BasicAuth(str(config.get("username") or ""), access.secret("password"))
        else:
            raise ProviderError(
                gettext("This connection's authentication settings are incomplete: edit them."),
                permanent=True,
            )
        # Any status comes back here; raise_for_status maps the ones that aren't expected.
        response = http.call(
            "GET",
            base + path,
            provider=host,
            ok=range(100, 600),
            headers=headers,
            params=params,
            auth=auth,
        )
        status = response.status_code
        if status == expected:
            return Verification(account=host)
        if status in (401, 403, 429) or status >= 500:
            http.raise_for_status(response, provider=host, ok=(expected,))
        raise ProviderError(
            gettext("%(host)s answered HTTP %(status)s at %(path)s, not the expected %(expected)s.")
            % {"host": host, "status": status, "path": path.split("?", 1)[0], "expected": expected},
            permanent=True,
            status=status,
        )
