"""The calendar's pages under /calendar/ (reminders/views/calendar.py)."""

from __future__ import annotations

from django.urls import path, register_converter

from reminders.views import calendar as views


class FeedToken:
    """A feed token as ``secrets.token_urlsafe`` writes it (URL-safe base64); others don't match."""

    regex = r"[A-Za-z0-9_-]{20,100}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FeedToken, "feedtoken")

app_name = "calendar"

urlpatterns = [
    path("", views.index, name="index"),
    path("month/<int:year>/<int:month>/", views.month, name="month"),
    path("week/<int:year>/<int:month>/<int:day>/", views.week, name="week"),
    path("agenda/<int:year>/<int:month>/<int:day>/", views.agenda, name="agenda"),
    path("events/new/", views.event_new, name="event_new"),
    path("events/<uuid:event_id>/", views.event_detail, name="event"),
    path("events/<uuid:event_id>/edit/", views.event_edit, name="event_edit"),
    path("events/<uuid:event_id>/delete/", views.event_delete, name="event_delete"),
    path("events/<uuid:event_id>.ics", views.event_ics, name="event_ics"),
    path("reminders/<uuid:reminder_id>.ics", views.reminder_ics, name="reminder_ics"),
    path("feed/<feedtoken:token>.ics", views.feed, name="feed"),
    path("feed/reset/", views.feed_reset, name="feed_reset"),
    path("import/", views.import_ics, name="import"),
]
