from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from credits.views.webhooks import stripe_webhook
from javari import views
from javari.admin_site import djstripe_custom_action

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    # Before the admin's own routes: dj-stripe's action URLs, checked first (javari/admin_site.py).
    path(
        "admin/djstripe/<str:admin_model>/action/<str:action_name>/<str:model_name>/",
        admin.site.admin_view(djstripe_custom_action),
    ),
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

# Django's own error answers, as JSON under /api/ (javari/errors.py); pages keep the templates.
handler400 = "javari.errors.bad_request"
handler403 = "javari.errors.permission_denied"
handler404 = "javari.errors.page_not_found"
handler500 = "javari.errors.server_error"
