"""Set up the Stripe webhook endpoint and print what to paste into Stripe's dashboard.

1. Read STRIPE_WEBHOOK_SECRET (the endpoint's signing secret, whsec_...) from the settings.
2. Create the local dj-stripe WebhookEndpoint row once, or bring its secret, URL and mode up to
   date; its UUID (the URL's last part) never changes, so the URL stays the one Stripe knows.
3. Print the URL and the events to enable.

Safe to run again at every deploy.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from credits.services import stripe as billing


class Command(BaseCommand):
    help = "Create or update the Stripe webhook endpoint; print its URL and the events to enable."

    def handle(self, *args: object, **options: object) -> None:
        try:
            endpoint = billing.ensure_webhook_endpoint()
        except billing.PaymentsNotConfigured as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            "\n".join(
                [
                    "Stripe webhook endpoint is ready.",
                    "",
                    "In Stripe's dashboard (Developers > Webhooks > Add endpoint), use this URL:",
                    f"  {billing.webhook_url(endpoint)}",
                    "",
                    "and enable these events:",
                    *(f"  {event}" for event in billing.HANDLED_EVENTS),
                    "",
                    "Its signing secret must be the STRIPE_WEBHOOK_SECRET this server runs with.",
                ]
            )
        )
