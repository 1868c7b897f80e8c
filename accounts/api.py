"""The API keys API under /api/v1/api-keys/: the signed-in user's own keys, list, create, revoke
(``DELETE …/{id}/``, or the older ``POST …/{id}/revoke/``; both 204, another's key is a 404)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import ApiKey
from accounts.serializers import ApiKeyCreatedSerializer, ApiKeyCreateSerializer, ApiKeySerializer


class ApiKeyListCreateView(ListAPIView):
    """GET: the user's keys, newest first. POST: a new key, its plaintext in this answer only (201)."""

    permission_classes = [IsAuthenticated]
    serializer_class = ApiKeySerializer

    def get_queryset(self) -> QuerySet[ApiKey]:
        # Only the user's own; the (user, -created_at) index serves this order.
        return ApiKey.objects.filter(user=self.request.user).order_by("-created_at")

    def post(self, request: Request) -> Response:
        """Create a key. Not with a key: revoking a leaked key must end every access it gave."""
        if isinstance(request.auth, ApiKey):
            raise PermissionDenied(_("API keys can't create API keys. Sign in to create one."))
        serializer = ApiKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            api_key, plaintext = services.create_api_key(user=request.user, **serializer.validated_data)
        except DjangoValidationError as error:
            raise ValidationError(_drf_errors(error)) from None
        api_key.key = plaintext
        response = Response(ApiKeyCreatedSerializer(api_key).data, status=status.HTTP_201_CREATED)
        add_never_cache_headers(response)  # the only answer that carries the key: no cache may keep it
        return response


class ApiKeyDetailView(RetrieveAPIView):
    """GET /api/v1/api-keys/{id}/: one of the user's keys; anyone else's is a 404.
    DELETE: revoke it (204). The key stays listed as revoked: its uses remain on record."""

    permission_classes = [IsAuthenticated]
    serializer_class = ApiKeySerializer

    def get_queryset(self) -> QuerySet[ApiKey]:
        return ApiKey.objects.filter(user=self.request.user)

    def delete(self, request: Request, pk: str) -> Response:
        services.revoke_api_key(user=request.user, key_id=pk)  # ApiKeyNotFound: a 404
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiKeyRevokeView(APIView):
    """POST /api/v1/api-keys/{id}/revoke/: revoke one of the user's keys at once (204)."""

    permission_classes = [IsAuthenticated]

    def post(self, request: Request, pk: str) -> Response:
        services.revoke_api_key(user=request.user, key_id=pk)  # ApiKeyNotFound: a 404
        return Response(status=status.HTTP_204_NO_CONTENT)


def _drf_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ValidationError as DRF's body: errors by field, the others as non_field_errors."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}
