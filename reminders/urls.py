from __future__ import annotations

from django.urls import path

from reminders.views import pages

app_name = "reminders"

urlpatterns = [
    path("", pages.index, name="index"),
    path("new/", pages.create, name="new"),
    path("preview/", pages.preview, name="preview"),
    path("<uuid:reminder_id>/", pages.detail, name="detail"),
    path("<uuid:reminder_id>/edit/", pages.edit, name="edit"),
    path("<uuid:reminder_id>/complete/", pages.complete, name="complete"),
    path("<uuid:reminder_id>/snooze/", pages.snooze, name="snooze"),
    path("<uuid:reminder_id>/cancel/", pages.cancel, name="cancel"),
    path("<uuid:reminder_id>/delete/", pages.delete, name="delete"),
]
