"""Routes of /api/v1/api-keys/."""

from __future__ import annotations

from django.urls import path

from accounts import api

urlpatterns = [
    path("", api.ApiKeyListCreateView.as_view(), name="api-keys"),
    path("<uuid:pk>/", api.ApiKeyDetailView.as_view(), name="api-key-detail"),
    path("<uuid:pk>/revoke/", api.ApiKeyRevokeView.as_view(), name="api-key-revoke"),
]
