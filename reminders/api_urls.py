"""Routes of /api/v1/reminders/ and /api/v1/notifications/ (reminders/api.py)."""

from __future__ import annotations

from django.urls import path

from reminders import api

urlpatterns = [
    path("reminders/", api.ReminderListView.as_view(), name="api-reminders"),
    path("reminders/<uuid:reminder_id>/", api.ReminderDetailView.as_view(), name="api-reminder-detail"),
    path(
        "reminders/<uuid:reminder_id>/complete/",
        api.ReminderCompleteView.as_view(),
        name="api-reminder-complete",
    ),
    path(
        "reminders/<uuid:reminder_id>/snooze/", api.ReminderSnoozeView.as_view(), name="api-reminder-snooze"
    ),
    path(
        "reminders/<uuid:reminder_id>/cancel/", api.ReminderCancelView.as_view(), name="api-reminder-cancel"
    ),
    path("notifications/", api.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/read-all/", api.NotificationReadAllView.as_view(), name="api-notifications-read-all"),
    path(
        "notifications/<uuid:notification_id>/read/",
        api.NotificationReadView.as_view(),
        name="api-notification-read",
    ),
]
