from __future__ import annotations

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from credits.views.webhooks import stripe_webhook
from javari import views
from javari.admin_site import djstripe_custom_action


class FaviconView(RedirectView):
    """Browsers (and pages without an icon link, like a raw file) ask for /favicon.ico: send them
    to the site's svg. Not permanent: the static name carries a content hash that changes."""

    permanent = False

    def get_redirect_url(self, *args: object, **kwargs: object) -> str:
        # Resolved per request: the static manifest is not read at import time.
        return static("img/javari.svg")


urlpatterns = [
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
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
    path("help/", include("helpcenter.urls")),
    path("settings/", include("preferences.urls")),
    path("reminders/email/", include("reminders.email_urls")),
    path("reminders/", include("reminders.urls")),
    path("notifications/", include("reminders.notification_urls")),
    path("calendar/", include("reminders.calendar_urls")),
    path("integrations/gmail/", include("integrations.providers.gmail.urls")),
    path("integrations/", include("integrations.urls")),
    path("", include("credits.urls")),
]

# Django's own error answers, as JSON under /api/ (javari/errors.py); pages keep the templates.
handler400 = "javari.errors.bad_request"
handler403 = "javari.errors.permission_denied"
handler404 = "javari.errors.page_not_found"
handler500 = "javari.errors.server_error"
