from __future__ import annotations

from django.urls import path  # noqa: F401

app_name = "calendar"

# Filled by reminders/views/calendar.py's routes.
urlpatterns: list = []
