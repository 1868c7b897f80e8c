from __future__ import annotations

from django.urls import path

from reminders.views import email_links

app_name = "reminder_links"

# /reminders/email/…: the signed links of reminder emails (reminders/links.py).
urlpatterns = [
    path("open/<str:token>/", email_links.open_link, name="open"),
    path("complete/<str:token>/", email_links.complete_link, name="complete"),
    path("snooze/<str:token>/", email_links.snooze_link, name="snooze"),
]
