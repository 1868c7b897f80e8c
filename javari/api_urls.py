"""The partner REST API, under /api/v1/: each app adds its routes here."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("credits/", include("credits.api_urls")),
    path("preferences/", include("preferences.api_urls")),
    path("api-keys/", include("accounts.api_urls")),
    path("conversations/", include("chat.api_urls")),
]
