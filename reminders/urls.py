from __future__ import annotations

from django.urls import path  # noqa: F401

app_name = "reminders"

# Filled by reminders/views/pages.py's routes.
urlpatterns: list = []
