"""Stripe: a secret (or restricted) key and a webhook signing secret, verified with a read-only call.

Calls (https://docs.stripe.com/api, base ``INTEGRATIONS_STRIPE_API_BASE``):

- ``GET /v1/balance`` with ``Authorization: Bearer <secret key>`` → ``{"object": "balance",
  "available": [{"amount", "currency", …}], "pending": […], "livemode": bool}``
  (https://docs.stripe.com/api/balance/balance_retrieve). It reads and changes nothing, and every
  secret key may call it; a restricted key needs "Balance: Read". Errors are
  ``{"error": {"type", "code", "message"}}``: 401 for an unknown or expired key ("Invalid API Key
  provided"), 403 for a restricted key without the permission, 429 when rate-limited.

Key shapes (https://docs.stripe.com/keys): secret keys are ``sk_test_…``/``sk_live_…``, restricted
keys ``rk_test_…``/``rk_live_…``; publishable keys (``pk_…``) are for browsers and can't read
anything. A webhook endpoint's signing secret is ``whsec_…`` and no API call can check it (Stripe
uses it only to sign the events it sends), so it is checked by its shape alone.

Stripe's API can't roll keys (the dashboard can), so "rotation" is a reminder with these steps.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrations import http
from integrations.errors import ProviderError
from integrations.providers.base import Access, Field, Provider, Verification

NAME = "Stripe"
SECRET_KEY_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_")
WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def _base() -> str:
    return str(settings.INTEGRATIONS_STRIPE_API_BASE).rstrip("/")


class StripeProvider(Provider):
    slug = "stripe"
    name = NAME
    description = _("Payment processing and billing")
    capabilities = ("payments", "subscriptions", "customers")
    fields = (
        Field(
            "secret_key",
            _("Secret key"),
            _(
                "From Stripe's Developers → API keys: the secret key (sk_…) or a restricted key (rk_…) "
                "with at least read access to the balance."
            ),
            secret=True,
            max_length=255,
            placeholder="sk_live_…",
        ),
        Field(
            "webhook_secret",
            _("Webhook signing secret"),
            _("From Stripe's Developers → Webhooks: your endpoint's signing secret (whsec_…)."),
            secret=True,
            max_length=255,
            placeholder="whsec_…",
        ),
    )
    token_page_url = "https://dashboard.stripe.com/apikeys"  # noqa: S105 (a web page)
    rotation_steps = (
        _("Open Stripe's API keys page (the link below)."),
        _("Roll the secret key Javari uses (or make a new restricted key) and copy the new key."),
        _("Paste the new key into this integration in Javari and save: Javari checks it."),
        _(
            "If you also roll the webhook signing secret (Developers → Webhooks → your endpoint), "
            "paste the new one too."
        ),
        _("Let the old key expire, or delete it on Stripe once nothing else uses it."),
    )

    def clean_secrets(self, secrets: Mapping[str, str]) -> dict[str, str]:
        errors: dict[str, list[str]] = {}
        key = secrets.get("secret_key")
        if key is not None and not key.startswith(SECRET_KEY_PREFIXES):
            if key.startswith(("pk_test_", "pk_live_")):
                message = gettext(
                    "This is a publishable key (pk_…), which can't read anything: "
                    "paste the secret key (sk_…) or a restricted key (rk_…)."
                )
            else:
                message = gettext("A Stripe secret key starts with sk_live_, sk_test_, rk_live_ or rk_test_.")
            errors["secret_key"] = [message]
        webhook = secrets.get("webhook_secret")
        if webhook is not None and not webhook.startswith(WEBHOOK_SECRET_PREFIX):
            errors["webhook_secret"] = [gettext("A webhook signing secret starts with whsec_.")]
        if errors:
            raise ValidationError(errors)
        return dict(secrets)

    def verify(self, access: Access) -> Verification:
        try:
            response = http.call(
                "GET",
                f"{_base()}/v1/balance",
                provider=NAME,
                headers={"Authorization": f"Bearer {access.secret('secret_key')}"},
            )
        except ProviderError as exc:
            if exc.status == 403:
                raise ProviderError(
                    gettext(
                        "Stripe accepted this restricted key but it can't read the balance: "
                        "give it “Balance: Read” on Stripe, or use the secret key."
                    ),
                    permanent=True,
                    status=403,
                    field="secret_key",
                ) from exc
            raise
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderError(gettext("Stripe sent an answer Javari could not read.")) from exc
        if not isinstance(body, dict) or body.get("object") != "balance":
            raise ProviderError(gettext("Stripe sent an answer Javari could not read."))
        # Which mode the key works in: shown beside the connection (a live key moves real money).
        return Verification(config={"livemode": body.get("livemode") is True})
