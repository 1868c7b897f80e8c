"""Billing: send a person to Stripe Checkout or the customer portal, and welcome them back.

Thin callers of ``credits.services.stripe``: no transaction is held while Stripe is called, and
nothing is written here; plans and credits change when Stripe's webhooks arrive.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from credits.errors import CreditsError
from credits.services import stripe as billing
from credits.services.stripe import PaymentsNotConfigured
from javari.web import login_required

# Stripe Checkout and the portal speak both of our languages.
_STRIPE_LOCALES = {"en", "es"}


def _locale() -> str:
    language = (translation.get_language() or "").split("-")[0]
    return language if language in _STRIPE_LOCALES else "auto"


def _to_stripe(request: HttpRequest, url: str) -> HttpResponse:
    """Send the browser to a Stripe page: 303 after a POST, or a full-page redirect for htmx."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _refused(request: HttpRequest, error: CreditsError) -> HttpResponse:
    if isinstance(error, PaymentsNotConfigured):
        messages.warning(request, str(error))
    else:
        messages.error(request, str(error))
    return redirect("credits:plans")


def _return_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("credits:checkout_return"))


@login_required
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    """Subscribe to a paid plan (POST ``plan`` tier and ``cycle``) through Stripe Checkout."""
    try:
        url = billing.start_subscription_checkout(
            user=request.user,
            tier=request.POST.get("plan", ""),
            cycle=request.POST.get("cycle", ""),
            return_url=_return_url(request),
            locale=_locale(),
        )
    except CreditsError as error:
        return _refused(request, error)
    return _to_stripe(request, url)


@login_required
@require_POST
def buy_top_up(request: HttpRequest) -> HttpResponse:
    """Buy a top-up pack (POST ``pack`` id) through Stripe Checkout."""
    try:
        url = billing.start_top_up_checkout(
            user=request.user,
            pack_id=request.POST.get("pack", ""),
            return_url=_return_url(request),
            locale=_locale(),
        )
    except CreditsError as error:
        return _refused(request, error)
    return _to_stripe(request, url)


@login_required
@require_POST
def portal(request: HttpRequest) -> HttpResponse:
    """Open Stripe's customer portal to change the card, see invoices, or cancel."""
    try:
        url = billing.open_billing_portal(
            user=request.user,
            return_url=request.build_absolute_uri(reverse("credits:plans")),
            locale=_locale(),
        )
    except CreditsError as error:
        return _refused(request, error)
    return _to_stripe(request, url)


@login_required
@require_GET
def checkout_return(request: HttpRequest) -> HttpResponse:
    """Where Stripe Checkout sends the person back (``?status=success|cancel&session_id=…``)."""
    status = request.GET.get("status")
    if status == "cancel":
        messages.info(request, _("Checkout cancelled. Nothing was charged."))
    elif status == "success":
        outcome = billing.checkout_outcome(user=request.user, session_id=request.GET.get("session_id", ""))
        if outcome == "processing":
            messages.info(
                request,
                _("Your payment is being processed. Your credits arrive as soon as Stripe confirms it."),
            )
        elif outcome == "open":
            messages.info(request, _("The checkout wasn't completed. Nothing was charged."))
        elif outcome == "paid":
            messages.success(
                request,
                _(
                    "Thank you! Your payment went through. Your credits and plan update as soon as Stripe "
                    "confirms it to us, usually within a few seconds."
                ),
            )
        else:
            messages.info(
                request,
                _(
                    "Your credits and plan update as soon as Stripe confirms the payment to us, "
                    "usually within a few seconds."
                ),
            )
    return redirect("credits:plans")
