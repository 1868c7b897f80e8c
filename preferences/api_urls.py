"""Routes of /api/v1/preferences/."""

from __future__ import annotations

from django.urls import path

from preferences import api

urlpatterns = [
    path("", api.PreferencesView.as_view(), name="preferences"),
    path("system-prompt/", api.SystemPromptView.as_view(), name="preferences-system-prompt"),
]
