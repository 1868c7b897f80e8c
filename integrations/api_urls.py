"""Routes of /api/v1/integrations/ (integrations/api.py)."""

from __future__ import annotations

from django.urls import path

from integrations import api

urlpatterns = [
    path("", api.IntegrationListView.as_view(), name="api-integrations"),
    path("providers/", api.ProviderListView.as_view(), name="api-integration-providers"),
    path("<uuid:integration_id>/", api.IntegrationDetailView.as_view(), name="api-integration-detail"),
    path(
        "<uuid:integration_id>/verify/",
        api.IntegrationVerifyView.as_view(),
        name="api-integration-verify",
    ),
    path(
        "<uuid:integration_id>/rotate/",
        api.IntegrationRotateView.as_view(),
        name="api-integration-rotate",
    ),
    path(
        "<uuid:integration_id>/activity/",
        api.IntegrationActivityView.as_view(),
        name="api-integration-activity",
    ),
]
