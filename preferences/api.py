"""The preferences API under /api/v1/preferences/: the signed-in user's own preferences only."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from javari.api_schema import error_responses
from preferences import services
from preferences.serializers import PreferencesSerializer, SystemPromptSerializer, preferences_data

TAGS = ["Preferences"]

# The service's field names where the API names them differently.
API_FIELD_NAMES = {"language": "preferred_language"}


class PreferencesView(APIView):
    """GET and PATCH /api/v1/preferences/: behaviour, language and appearance settings."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS, summary="Your preferences", responses={200: PreferencesSerializer, **error_responses()}
    )
    def get(self, request: Request) -> Response:
        """The signed-in user's preferences (opened with the defaults the first time)."""
        preferences = services.get_preferences(request.user)
        return Response(PreferencesSerializer(preferences_data(preferences, request.user)).data)

    @extend_schema(
        tags=TAGS,
        summary="Change your preferences",
        request=PreferencesSerializer,
        responses={200: PreferencesSerializer, **error_responses(body=True)},
    )
    def patch(self, request: Request) -> Response:
        """Change some fields; one invalid field is a 400 naming it, and nothing changes."""
        serializer = PreferencesSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        if "preferred_language" in values:
            values["language"] = values.pop("preferred_language")
        try:
            preferences = services.update_preferences(user=request.user, **values)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                {API_FIELD_NAMES.get(name, name): errors for name, errors in exc.message_dict.items()}
            ) from exc
        return Response(PreferencesSerializer(preferences_data(preferences, request.user)).data)


class SystemPromptView(APIView):
    """GET /api/v1/preferences/system-prompt/: the composed system prompt and its language."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Your composed system prompt",
        responses={200: SystemPromptSerializer, **error_responses()},
    )
    def get(self, request: Request) -> Response:
        """Exactly what the chat sends first for this user, from their saved preferences."""
        data = {
            "system_prompt": services.compose_system_prompt(user=request.user),
            "language": services.reply_language(request.user),
        }
        return Response(SystemPromptSerializer(data).data)
