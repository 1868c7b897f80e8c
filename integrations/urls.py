"""Integration pages under /integrations/ (the list, connect, an integration's page and its actions)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "integrations"

urlpatterns: list[URLPattern | URLResolver] = []
