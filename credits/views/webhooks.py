"""Stripe's webhooks: received, verified and stored with dj-stripe's models, applied by us.

dj-stripe's own view would also *process* each event, syncing its mirror models from Stripe's API
(and its hook to replace that, DJSTRIPE_WEBHOOK_EVENT_CALLBACK, is deprecated). This view is its
``WebhookEventTrigger.from_request`` without that step:

1. No ``Stripe-Signature`` header: 400, nothing stored.
2. Store the request as a ``WebhookEventTrigger`` of its ``WebhookEndpoint`` (404 for an unknown
   endpoint), then verify the signature with dj-stripe against the endpoint's secret; a bad one
   is recorded as invalid and answered 400, with no ledger change.
3. Apply the event with ``credits.services.stripe.process_webhook_trigger`` in a transaction. An
   error rolls that back, is kept on the trigger (exception and traceback) and answered 500, so
   Stripe retries; otherwise the trigger is marked processed and answered 200.
"""

from __future__ import annotations

import logging
from traceback import format_exc
from uuid import UUID

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseServerError
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from djstripe.models import WebhookEndpoint, WebhookEventTrigger
from djstripe.models.webhooks import get_remote_ip

from credits.services.stripe_events import process_webhook_trigger
from javari.parsers import InvalidJSON, loads

logger = logging.getLogger(__name__)


@csrf_exempt  # Stripe signs its requests instead; the signature is verified below
@require_POST
def stripe_webhook(request: HttpRequest, uuid: UUID) -> HttpResponse:
    if "stripe-signature" not in request.headers:
        return HttpResponseBadRequest("Missing Stripe-Signature header.", content_type="text/plain")
    endpoint = get_object_or_404(WebhookEndpoint, djstripe_uuid=uuid)
    try:  # dj-stripe's json.loads would recurse on deep nesting and assumes an object: a 500 either way
        event = loads(request.body)
    except InvalidJSON:
        event = None
    if not isinstance(event, dict):
        return HttpResponseBadRequest("The body is not a Stripe event.", content_type="text/plain")
    trigger = WebhookEventTrigger.objects.create(
        headers=dict(request.headers),
        body=request.body.decode(request.encoding or "utf-8", errors="replace"),
        remote_ip=get_remote_ip(request),
        webhook_endpoint=endpoint,
    )
    trigger.valid = trigger.validate(secret=endpoint.secret, api_key="")
    if not trigger.valid:
        trigger.save()
        logger.warning("Stripe webhook %s: signature did not verify", trigger.pk)
        return HttpResponseBadRequest("The Stripe-Signature did not verify.", content_type="text/plain")
    try:
        with transaction.atomic():
            process_webhook_trigger(trigger)
    except Exception as exc:  # kept on the trigger for staff, answered 500 so Stripe retries
        max_length = WebhookEventTrigger._meta.get_field("exception").max_length
        trigger.exception = str(exc)[:max_length]
        trigger.traceback = format_exc()
        trigger.save()
        logger.exception("Stripe webhook %s failed", trigger.pk)
        return HttpResponseServerError(str(exc), content_type="text/plain")
    trigger.save()
    return HttpResponse(str(trigger.pk), content_type="text/plain")
