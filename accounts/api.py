"""The API keys API under /api/v1/api-keys/: the signed-in user's own keys, list, create, revoke
(``DELETE …/{id}/``, or the older ``POST …/{id}/revoke/``; both 204, another's key is a 404)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
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
from javari.api_schema import error_responses

TAGS = ["API keys"]


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="List your API keys",
        responses={200: ApiKeySerializer(many=True), **error_responses()},
    )
)
class ApiKeyListCreateView(ListAPIView):
    """GET: the user's keys, newest first. POST: a new key, its plaintext in this answer only (201)."""

    permission_classes = [IsAuthenticated]
    serializer_class = ApiKeySerializer

    def get_queryset(self) -> QuerySet[ApiKey]:
        # Only the user's own; the (user, -created_at) index serves this order.
        return ApiKey.objects.filter(user=self.request.user).order_by("-created_at")

    @extend_schema(
        tags=TAGS,
        summary="Create an API key",
        request=ApiKeyCreateSerializer,
        responses={201: ApiKeyCreatedSerializer, **error_responses(body=True)},
        examples=[
            OpenApiExample("A key for a deploy bot", value={"name": "Deploy bot"}, request_only=True),
            OpenApiExample(
                "Created",
                value={
                    "id": "0b5c6f0e-3f7a-4d59-9d1e-2b8f8c6c7a10",
                    "name": "Deploy bot",
                    "prefix": "jv_Ab3dEfGh",
                    "status": "active",
                    "created_at": "2026-11-30T09:00:00Z",
                    "expires_at": None,
                    "revoked_at": None,
                    "last_used_at": None,
                    "key": "jv_Ab3dEfGh_IjKlMnOpQrStUvWxYz0123456789abcd",
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
        description=(
            "Only with a session: an API key can't create keys (403). The key is in this answer only."
        ),
    )
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


@extend_schema_view(
    get=extend_schema(
        tags=TAGS, summary="One of your API keys", responses={200: ApiKeySerializer, **error_responses(404)}
    ),
    delete=extend_schema(
        tags=TAGS,
        summary="Revoke one of your API keys",
        description="Revokes the key at once (204), again too. It stays listed as revoked.",
        responses={204: None, **error_responses(404)},
    ),
)
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

    @extend_schema(
        tags=TAGS,
        summary="Revoke an API key",
        request=None,
        responses={204: None, **error_responses(403, 404)},
    )
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
