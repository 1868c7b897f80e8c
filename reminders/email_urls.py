from __future__ import annotations

from django.urls import path  # noqa: F401

app_name = "reminder_links"

# Filled by reminders/views/email_links.py's routes.
urlpatterns: list = []
