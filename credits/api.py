"""The credits API under /api/v1/credits/: the signed-in user's balance and ledger, read-only."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from credits import services
from credits.models import LedgerEntry
from credits.serializers import CreditsSerializer, LedgerEntrySerializer
from javari.api_schema import error_responses

TAGS = ["Credits"]


class CreditsView(APIView):
    """GET /api/v1/credits/: balance (both kinds), plan, billing cycle, next billing date, cap."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="Your credits", responses={200: CreditsSerializer, **error_responses()})
    def get(self, request: Request) -> Response:
        """The signed-in user's credits (an account opens on Free the first time it's asked for)."""
        account = services.get_account(request.user)
        return Response(CreditsSerializer(account).data)


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Your credits ledger",
        responses={200: LedgerEntrySerializer(many=True), **error_responses(404)},
    )
)
class UsageView(ListAPIView):
    """GET /api/v1/credits/usage/?page=N: the signed-in user's ledger, newest first, 50 a page."""

    permission_classes = [IsAuthenticated]
    serializer_class = LedgerEntrySerializer

    def get_queryset(self) -> QuerySet[LedgerEntry]:
        # Only the user's own entries; the (user, -created_at) index serves this order.
        return LedgerEntry.objects.filter(user=self.request.user).order_by("-created_at", "-id")
