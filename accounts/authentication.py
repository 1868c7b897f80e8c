"""DRF authentication by personal API key: ``Authorization: Bearer jv_…``."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from accounts import services
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
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                services.InvalidApiKey.Reason.MALFORMED.label,
                code=services.InvalidApiKey.Reason.MALFORMED.value,
            )
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(
                services.InvalidApiKey.Reason.MALFORMED.label,
                code=services.InvalidApiKey.Reason.MALFORMED.value,
            ) from None
        try:
            api_key = services.authenticate_api_key(raw)
        except services.InvalidApiKey as error:
            raise exceptions.AuthenticationFailed(error.reason.label, code=error.reason.value) from None
        services.record_api_key_use(api_key)
        return api_key.user, api_key

    def authenticate_header(self, request: Request) -> str:
        # A value here makes DRF answer 401 (with WWW-Authenticate) rather than 403.
        return 'Bearer realm="api"'
