from __future__ import annotations

from django.urls import path  # noqa: F401

app_name = "notifications"

# Filled by reminders/views/notifications.py's routes.
urlpatterns: list = []
