"""Gmail's OAuth 2.0 authorization code flow (with PKCE): start, and Google's redirect back."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "integrations_gmail"

urlpatterns: list[URLPattern | URLResolver] = []
