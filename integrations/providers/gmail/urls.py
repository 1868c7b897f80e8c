"""Gmail's OAuth 2.0 authorization code flow (with PKCE): start, and Google's redirect back."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from integrations.providers.gmail import views

app_name = "integrations_gmail"

urlpatterns: list[URLPattern | URLResolver] = [
    path("start/", views.start, name="start"),
    path("callback/", views.callback, name="callback"),
]
