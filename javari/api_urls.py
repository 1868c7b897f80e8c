"""The partner REST API, under /api/v1/: each app adds its routes here, plus its description."""

from __future__ import annotations

from typing import Any

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView


class NoSuchEndpoint(APIView):
    """Any other address under /api/v1/ (an id that isn't a UUID, a misspelt path): a 404 in the
    API's error shape, whatever the method, rather than the site's HTML page."""

    permission_classes = [AllowAny]
    schema = None  # not an operation

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # a bad API key is still a 401 first
        raise NotFound()


urlpatterns = [
    path("credits/", include("credits.api_urls")),
    path("preferences/", include("preferences.api_urls")),
    path("api-keys/", include("accounts.api_urls")),
    path("conversations/", include("chat.api_urls")),
    path("", include("reminders.api_urls")),  # reminders/, notifications/
    path("events/", include("reminders.calendar_api_urls")),
    path("integrations/", include("integrations.api_urls")),
    # The OpenAPI 3 schema (YAML, or JSON with ?format=json) and Swagger UI reading it. The split
    # view serves Swagger UI's start-up script as a file rather than inline, so our CSP allows it.
    path("schema/", SpectacularAPIView.as_view(throttle_classes=[]), name="api-schema"),
    path(
        "docs/",
        # The documentation is not the API: reading it never counts against a limit.
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", throttle_classes=[]),
        name="api-docs",
    ),
    # Last. Ending in a slash, so an address without its slash still redirects to the real route.
    re_path(r"^.+/$", NoSuchEndpoint.as_view()),
]
