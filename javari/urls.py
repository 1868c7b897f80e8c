from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from credits.views.webhooks import stripe_webhook
from javari import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("javari.api_urls")),
    path("stripe/webhook/<uuid:uuid>/", stripe_webhook, name="stripe_webhook"),
    # Before credits: its Usage & Analytics page lives under settings/ too (settings/usage/).
    path("chat/", include("chat.urls")),
    path("settings/", include("preferences.urls")),
    path("", include("credits.urls")),
]
