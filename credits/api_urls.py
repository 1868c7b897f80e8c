from __future__ import annotations

from django.urls import path

from credits import api

urlpatterns = [
    path("", api.CreditsView.as_view(), name="api-credits"),
    path("usage/", api.UsageView.as_view(), name="api-credits-usage"),
]
