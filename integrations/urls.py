"""Integration pages under /integrations/ (the list, connect, an integration's page and its actions)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from integrations import views

app_name = "integrations"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("connect/<slug:provider>/", views.connect, name="connect"),
    path("<uuid:integration_id>/", views.detail, name="detail"),
    path("<uuid:integration_id>/edit/", views.edit, name="edit"),
    path("<uuid:integration_id>/verify/", views.verify, name="verify"),
    path("<uuid:integration_id>/rotate/", views.rotate, name="rotate"),
    path("<uuid:integration_id>/disconnect/", views.disconnect, name="disconnect"),
]
