from __future__ import annotations

from django.urls import path

from reminders.views import notifications as views

app_name = "notifications"

urlpatterns = [
    path("", views.index, name="index"),
    path("badge/", views.badge, name="badge"),
    path("panel/", views.panel, name="panel"),
    path("read-all/", views.read_all, name="read_all"),
    path("<uuid:notification_id>/read/", views.read, name="read"),
]
