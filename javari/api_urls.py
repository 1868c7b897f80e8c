"""The partner REST API, under /api/v1/: each app adds its routes here, plus its description."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("credits/", include("credits.api_urls")),
    path("preferences/", include("preferences.api_urls")),
    path("api-keys/", include("accounts.api_urls")),
    path("conversations/", include("chat.api_urls")),
    # The OpenAPI 3 schema (YAML, or JSON with ?format=json) and Swagger UI reading it. The split
    # view serves Swagger UI's start-up script as a file rather than inline, so our CSP allows it.
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
