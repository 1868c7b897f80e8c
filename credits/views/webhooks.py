"""Stripe's webhooks: received, verified and stored with dj-stripe's models, applied by us.

dj-stripe's own view would also *process* each event, syncing its mirror models from Stripe's API
(and its hook to replace that, DJSTRIPE_WEBHOOK_EVENT_CALLBACK, is deprecated). This view is its
``WebhookEventTrigger.from_request`` without that step:

1. No ``Stripe-Signature`` header: 400, nothing stored.
2. Build the request as a ``WebhookEventTrigger`` of its ``WebhookEndpoint`` (404 for an unknown
   endpoint), not yet saved, and verify the signature with dj-stripe against the endpoint's
   secret. A body that isn't a Stripe event or a bad signature is answered 400 with no ledger
   change; only a ``RefusedWebhook`` row is written (time, address, reason, size, body hash: never
   the body, which a forger could make ~2 MB each), and only the newest 1,000 of those are kept.
   A verified delivery is saved as the trigger, headers and body included.
3. Apply the event with ``credits.services.stripe.process_webhook_trigger`` in a transaction. An
   error rolls that back, is kept on the trigger (exception and traceback) and answered 500, so
   Stripe retries; otherwise the trigger is marked processed and answered 200.
"""

from __future__ import annotations

import ipaddress
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

from credits.models import RefusalReason
from credits.services.stripe_events import process_webhook_trigger
from credits.services.webhook_refusals import record_refused_webhook
from javari.parsers import InvalidJSON, loads

logger = logging.getLogger(__name__)


@csrf_exempt  # Stripe signs its requests instead; the signature is verified below
@require_POST
def stripe_webhook(request: HttpRequest, uuid: UUID) -> HttpResponse:
    if "stripe-signature" not in request.headers:
        return HttpResponseBadRequest("Missing Stripe-Signature header.", content_type="text/plain")
    if request.content_type != "application/json":
        # Stripe posts JSON. Anything else is refused before the body is read: the middleware may
        # already have consumed a multipart stream, and request.body would then raise (issue 10).
        return HttpResponse("Stripe events are JSON.", status=415, content_type="text/plain")
    endpoint = get_object_or_404(WebhookEndpoint, djstripe_uuid=uuid)
    remote_ip = _remote_ip(request)
    trigger = WebhookEventTrigger(
        headers={name: _storable(value) for name, value in request.headers.items()},
        body=_storable(request.body.decode("utf-8", errors="replace")),
        remote_ip=remote_ip or "0.0.0.0",  # noqa: S104 (dj-stripe's own "unknown", not a bind address)
        webhook_endpoint=endpoint,
    )
    refusal = _refusal(trigger, endpoint)
    if refusal is not None:
        record_refused_webhook(body=request.body, remote_ip=remote_ip, reason=refusal)
        logger.warning("Stripe webhook refused from %s: %s", remote_ip or "unknown address", refusal)
        message = (
            "Not a Stripe event."
            if refusal == RefusalReason.NOT_AN_EVENT
            else "The signature did not verify."
        )
        return HttpResponseBadRequest(message, content_type="text/plain")
    trigger.valid = True
    trigger.save()
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


def _refusal(trigger: WebhookEventTrigger, endpoint: WebhookEndpoint) -> str | None:
    """Why this delivery is refused (a ``RefusalReason``), or None when it is a verified event."""
    # Parsed with our bounded parser first: dj-stripe's json.loads (``json_body``) recurses on deep
    # nesting, a 500 (issue 10). Past this check the body is at most MAX_JSON_DEPTH deep.
    try:
        event = loads(trigger.body)
    except InvalidJSON:
        event = None
    if not isinstance(event, dict) or not {"id", "livemode"} <= event.keys():
        return RefusalReason.NOT_AN_EVENT
    try:
        valid = trigger.validate(secret=endpoint.secret, api_key="")
    except ValueError:  # the endpoint has no secret yet: nothing can verify
        valid = False
    return None if valid else RefusalReason.BAD_SIGNATURE


def _remote_ip(request: HttpRequest) -> str | None:
    """The sender's address as dj-stripe reads it (X-Forwarded-For first), or None if that isn't an
    IP address: the header is the sender's to write, and the column only takes addresses."""
    try:
        return str(ipaddress.ip_address(get_remote_ip(request).strip()))
    except ValueError:
        return None


def _storable(text: str) -> str:
    """PostgreSQL's text and jsonb can't hold NUL: a header or body with one is kept with U+FFFD, so
    it is still stored for staff to see (and its signature fails), never a 500."""
    return text.replace("\x00", "\ufffd")
