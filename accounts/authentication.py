"""DRF authentication by personal API key: ``Authorization: Bearer jv_…``."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from accounts import services
from accounts.errors import InvalidApiKey
from accounts.models import ApiKey, User


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticate a request that carries ``Authorization: Bearer <api key>``.

    No Bearer header: return None, so other authentication (the session) may apply. A Bearer
    header whose key is malformed, unknown, revoked or expired: 401 saying which.
    """

    keyword = "bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.encode():
            return None
        try:
            if len(parts) != 2:
                raise InvalidApiKey(InvalidApiKey.Reason.MALFORMED)
            try:
                raw = parts[1].decode("ascii")
            except UnicodeDecodeError:
                raise InvalidApiKey(InvalidApiKey.Reason.MALFORMED) from None
            api_key = services.authenticate_api_key(raw)
        except InvalidApiKey as error:
            # DRF's own 401 (with WWW-Authenticate), with the application error's code and words.
            raise exceptions.AuthenticationFailed(str(error.message), code=error.code) from None
        services.record_api_key_use(api_key)
        # DRF wraps the HttpRequest; called on a plain one (as in tests), use it as it is.
        activate_api_language(getattr(request, "_request", request), api_key.user)
        return api_key.user, api_key

    def authenticate_header(self, request: Request) -> str:
        # A value here makes DRF answer 401 (with WWW-Authenticate) rather than 403.
        return 'Bearer realm="api"'


def _asked_language(request: HttpRequest) -> str | None:
    """The first language of ``Accept-Language`` that the site offers, best quality first."""
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code == "*":
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


def activate_api_language(request: HttpRequest, user: User) -> None:
    """Answer an API-key request in the key owner's saved language, or in the one the client asks for.

    DRF authenticates lazily, when the view first reads ``request.user`` (after every middleware has
    run), so ``UserLanguageMiddleware`` never sees a key's owner: the language is set here instead,
    before any message is rendered. An explicit ``Accept-Language`` naming a language we offer wins
    (a client may serve someone else); otherwise the owner's language. ``LocaleMiddleware`` then
    sends it back as ``Content-Language``.
    """
    language = _asked_language(request) or getattr(user, "language", "")
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = language
