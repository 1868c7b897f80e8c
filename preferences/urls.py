from __future__ import annotations

from django.urls import path

from preferences import views

app_name = "preferences"

urlpatterns = [
    path("", views.index, name="index"),
    path("behavior/", views.behavior, name="behavior"),
    path("behavior/preview/", views.behavior_preview, name="behavior_preview"),
    path("calendar/", views.scheduling, name="scheduling"),
    path("notifications/", views.notifications, name="notifications"),
    path("language/", views.language, name="language"),
]
