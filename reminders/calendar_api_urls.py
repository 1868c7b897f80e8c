"""/api/v1/events/ (reminders/calendar_api.py)."""

from __future__ import annotations

from django.urls import path

from reminders.calendar_api import EventDetailView, EventListView

urlpatterns = [
    path("", EventListView.as_view(), name="api-events"),
    path("<uuid:event_id>/", EventDetailView.as_view(), name="api-event"),
]
