"""The integrations API under /api/v1/integrations/: the caller's own connections to outside APIs.

- ``/api/v1/integrations/``: list (``?include_disconnected=true`` adds the disconnected ones) and
  create (= connect: verified with the provider before anything is saved);
- ``…/{integration_id}/``: read, change (PATCH: a new secret or setting is verified first),
  disconnect (DELETE: 200 with the disconnected row, which stays with its history);
- ``…/{integration_id}/verify/``: call the provider now and record what it said;
- ``…/{integration_id}/rotate/``: "Rotate now" (providers that make keys by API: Vercel, Supabase);
- ``…/{integration_id}/activity/``: what happened to it, newest first, by pages;
- ``/api/v1/integrations/providers/``: the providers one can connect and their fields.

Secrets are write-only: accepted in ``values``, never answered (``secrets`` holds their masks).
Every answer about an integration is ``Cache-Control: no-store``: it carries masks, and the
requests that reach it carry secrets. Another person's integration is a 404 through every route.
Every write goes through ``integrations.services``; its ``ValidationError`` becomes a 400 by field
(a provider's field named ``values.<field>``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import BasePagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from integrations import providers, selectors, services
from integrations.api_schema import (
    ACTIVITY_EXAMPLE,
    DISCONNECTED_EXAMPLE,
    INTEGRATION_EXAMPLE,
    PROVIDER_EXAMPLE,
    example,
    integration_errors,
    request_example,
)
from integrations.errors import VerificationFailed
from integrations.models import Integration
from integrations.serializers import (
    ActivityPageSerializer,
    ActivitySerializer,
    IntegrationCreateSerializer,
    IntegrationPageSerializer,
    IntegrationSerializer,
    IntegrationUpdateSerializer,
    ProviderSerializer,
    drf_errors,
    oauth_refusal,
    provider_data,
)
from javari.api_errors import scrub

TAGS = ["Integrations"]

PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="Which page, from 1; one past the last is a 404."),
    OpenApiParameter("page_size", int, description="How many a page: 50 unless said, 200 at most."),
]
INTEGRATION_ID = OpenApiParameter("integration_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


def _owner(request: Request) -> User:
    """The signed-in caller (every view here requires one)."""
    user = request.user
    assert isinstance(user, User)
    return user


def _paginator(view: GenericAPIView) -> BasePagination:
    paginator = view.paginator
    assert paginator is not None
    return paginator


def _provider_fields(slug: str) -> set[str]:
    return {spec.name for spec in providers.get(slug).fields}


def _invalid(exc: DjangoValidationError, *, provider: str) -> ValidationError:
    """A service's refusal as the API's 400, by the API's field names."""
    if hasattr(exc, "error_dict"):
        return ValidationError(drf_errors(exc.message_dict, provider_fields=_provider_fields(provider)))
    return ValidationError({"non_field_errors": exc.messages})


def _refused(request: Request, exc: VerificationFailed) -> Response:
    """The provider refused (or couldn't be reached): its reason, beside the field to blame."""
    body: dict[str, Any] = exc.body(user=request.user)
    if exc.field:
        body["fields"] = {f"values.{exc.field}": [str(exc)]}
    return Response(scrub(body), status=exc.status)


def _detail(integration: Integration, *, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(IntegrationSerializer(integration).data, status=status_code)


class NoStoreMixin:
    """Every answer ``Cache-Control: no-store`` (and private): it carries masks of secrets, or
    answers a request that carried one; no cache, the browser's back-forward one included, keeps it."""

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        add_never_cache_headers(response)
        return response


def _include_disconnected(request: Request) -> bool:
    value = request.query_params.get("include_disconnected", "").strip().lower()
    if value in ("", "false", "0"):
        return False
    if value in ("true", "1"):
        return True
    raise ValidationError({"include_disconnected": [_("Enter true or false.")]})


class IntegrationListView(NoStoreMixin, GenericAPIView):
    """GET: the caller's integrations by provider and name. POST: connect a new one (201)."""

    permission_classes = [IsAuthenticated]
    serializer_class = IntegrationSerializer

    @extend_schema(
        tags=TAGS,
        summary="List your integrations",
        description="By provider and name. Disconnected ones only with `include_disconnected=true`.",
        operation_id="integrations_list",
        parameters=[
            OpenApiParameter("include_disconnected", bool, description="`true`: the disconnected ones too."),
            *PAGE_PARAMETERS,
        ],
        responses={200: IntegrationPageSerializer, **integration_errors()},
        examples=[
            example("A page", {"count": 1, "next": None, "previous": None, "results": [INTEGRATION_EXAMPLE]})
        ],
    )
    def get(self, request: Request) -> Response:
        found = selectors.integrations_for(
            user=_owner(request), include_disconnected=_include_disconnected(request)
        )
        paginator = _paginator(self)
        page = paginator.paginate_queryset(found.prefetch_related("credentials"), request, view=self)
        return paginator.get_paginated_response(IntegrationSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Connect an integration",
        description=(
            "`provider`, `name` and `values` (the provider's fields by name, from "
            "`GET /api/v1/integrations/providers/`) are required. The provider is called first: "
            "nothing is saved unless it accepts the credentials (`verification_failed` says why). "
            "Secrets are never answered, only their masks. A provider that connects through OAuth "
            "(Gmail) is connected in the browser, not here (400)."
        ),
        request=IntegrationCreateSerializer,
        responses={201: IntegrationSerializer, **integration_errors(body=True, verifies=True)},
        examples=[
            request_example(
                "Vercel",
                {
                    "provider": "vercel",
                    "name": "Production",
                    "values": {"api_token": "vcp_…", "team_id": "team_javari"},
                    "auto_rotate": True,
                    "rotation_schedule": "monthly",
                },
            ),
            request_example(
                "GitHub", {"provider": "github", "name": "My repos", "values": {"api_token": "github_pat_…"}}
            ),
            example("Connected", INTEGRATION_EXAMPLE, status=201),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = IntegrationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        adapter = providers.get(data["provider"])  # UnknownProvider: a 400
        if adapter.uses_oauth:
            raise ValidationError({"provider": [oauth_refusal(adapter)]})
        try:
            integration = services.connect(
                user=_owner(request),
                provider=adapter.slug,
                name=data["name"],
                values=data["values"],
                auto_rotate=data["auto_rotate"],
                rotation_schedule=data["rotation_schedule"],
            )
        except DjangoValidationError as exc:
            raise _invalid(exc, provider=adapter.slug) from None
        except VerificationFailed as exc:
            return _refused(request, exc)
        return _detail(integration, status_code=status.HTTP_201_CREATED)


class IntegrationDetailView(NoStoreMixin, APIView):
    """GET, PATCH and DELETE (disconnect) one of the caller's integrations; anyone else's is a 404."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="One of your integrations",
        parameters=[INTEGRATION_ID],
        responses={200: IntegrationSerializer, **integration_errors(404)},
        examples=[example("Integration", INTEGRATION_EXAMPLE)],
    )
    def get(self, request: Request, integration_id: str) -> Response:
        return _detail(services.get_integration(user=_owner(request), integration_id=integration_id))

    @extend_schema(
        tags=TAGS,
        summary="Change an integration",
        description=(
            "Only the fields sent change; in `values`, only the provider's fields sent (a secret sent "
            "replaces the stored one). A new secret or setting is verified with the provider first: "
            "if it refuses, nothing changes (`verification_failed`). A disconnected integration is a 409."
        ),
        parameters=[INTEGRATION_ID],
        request=IntegrationUpdateSerializer,
        responses={200: IntegrationSerializer, **integration_errors(404, body=True, verifies=True)},
        examples=[
            request_example("A new token", {"values": {"api_token": "vcp_…"}}),
            request_example("Rotate weekly", {"auto_rotate": True, "rotation_schedule": "weekly"}),
            example("Changed", INTEGRATION_EXAMPLE),
        ],
    )
    def patch(self, request: Request, integration_id: str) -> Response:
        integration = services.get_integration(user=_owner(request), integration_id=integration_id)
        serializer = IntegrationUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            integration = services.update_integration(
                user=_owner(request),
                integration_id=integration.pk,
                name=data.get("name"),
                values=data.get("values"),
                auto_rotate=data.get("auto_rotate"),
                rotation_schedule=data.get("rotation_schedule"),
            )
        except DjangoValidationError as exc:
            raise _invalid(exc, provider=integration.provider) from None
        except VerificationFailed as exc:
            return _refused(request, exc)
        return _detail(integration)

    @extend_schema(
        tags=TAGS,
        summary="Disconnect an integration",
        description=(
            "The stored keys are deleted and auto-rotation stops; the integration stays, with its "
            "activity, as `disconnected` (200, with it). Again is harmless."
        ),
        parameters=[INTEGRATION_ID],
        request=None,
        responses={200: IntegrationSerializer, **integration_errors(404)},
        examples=[example("Disconnected", DISCONNECTED_EXAMPLE)],
    )
    def delete(self, request: Request, integration_id: str) -> Response:
        return _detail(services.disconnect(user=_owner(request), integration_id=integration_id))


class IntegrationVerifyView(NoStoreMixin, APIView):
    """POST: call the provider with the current key now, and record what it said."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Verify an integration now",
        description=(
            "Calls the provider with the stored key. A refusal marks the integration `error` with the "
            "reason in `status_detail`; a timeout or a provider's 5xx is logged in its activity and "
            "leaves the status as it was. Either way the answer is the integration (200)."
        ),
        parameters=[INTEGRATION_ID],
        request=None,
        responses={200: IntegrationSerializer, **integration_errors(404, verifies=True)},
        examples=[example("Verified", INTEGRATION_EXAMPLE)],
    )
    def post(self, request: Request, integration_id: str) -> Response:
        return _detail(services.verify_integration(user=_owner(request), integration_id=integration_id))


class IntegrationRotateView(NoStoreMixin, APIView):
    """POST: rotate the key now (a new key made upstream, tested, put in use, the old one revoked)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Rotate an integration's key now",
        description=(
            "For a provider that makes keys by API (`rotates_by_api`): a new key is made at the "
            "provider, tested, put in use, and the old one revoked. The answer is the integration, with "
            "the new key's mask in `secrets`. A failure before the new key is in use leaves the current "
            "key untouched and working (502 `rotation_failed`: try again later); an old key the provider "
            "didn't revoke yet is retried by the next run (and logged). 409: disconnected, a rotation "
            "already running, or a provider that can't rotate by API (Javari reminds you instead)."
        ),
        parameters=[INTEGRATION_ID],
        request=None,
        responses={200: IntegrationSerializer, **integration_errors(404, rotates=True)},
        examples=[
            example(
                "Rotated",
                {
                    **INTEGRATION_EXAMPLE,
                    "secrets": {"api_token": "•••• 9c1d"},
                    "last_rotated_at": "2026-03-02T10:00:00Z",
                    "next_rotation_at": "2026-04-02T10:00:00Z",
                },
            )
        ],
    )
    def post(self, request: Request, integration_id: str) -> Response:
        return _detail(services.rotate_now(user=_owner(request), integration_id=integration_id))


class IntegrationActivityView(NoStoreMixin, GenericAPIView):
    """GET: what happened to one of the caller's integrations, newest first."""

    permission_classes = [IsAuthenticated]
    serializer_class = ActivitySerializer

    @extend_schema(
        tags=TAGS,
        summary="An integration's activity",
        description="Connected, verified, key rotated, disconnected…, newest first. Never a secret.",
        operation_id="integrations_activity_list",
        parameters=[INTEGRATION_ID, *PAGE_PARAMETERS],
        responses={200: ActivityPageSerializer, **integration_errors(404)},
        examples=[
            example("A page", {"count": 1, "next": None, "previous": None, "results": [ACTIVITY_EXAMPLE]})
        ],
    )
    def get(self, request: Request, integration_id: str) -> Response:
        integration = services.get_integration(user=_owner(request), integration_id=integration_id)
        found = selectors.activity_for(user=_owner(request), integration_id=integration.pk)
        paginator = _paginator(self)
        page = paginator.paginate_queryset(found, request, view=self)
        return paginator.get_paginated_response(ActivitySerializer(page, many=True).data)


class ProviderListView(APIView):
    """GET: every provider one can connect, with its fields."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="The providers you can connect",
        description=(
            "Each provider's fields are the keys of `values` when connecting. A `secret` field is "
            "write-only. A provider that `uses_oauth` is connected in the browser, not through the API."
        ),
        operation_id="integrations_providers_list",
        responses={200: ProviderSerializer(many=True), **integration_errors()},
        examples=[example("Providers", [PROVIDER_EXAMPLE])],
    )
    def get(self, request: Request) -> Response:
        data = [provider_data(provider) for provider in providers.all_providers()]
        return Response(ProviderSerializer(data, many=True).data)
