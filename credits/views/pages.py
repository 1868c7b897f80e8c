"""The credits pages: the bar's partial, the credits and top-up modals, /plans, Usage & Analytics.

The modals are htmx partials loaded into the shell's ``<dialog id="modal">``; the same URLs render
a full page when asked without htmx, so every link works without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from credits import selectors, services
from credits.models import BillingCycle, LedgerEntry
from credits.services import ledger
from javari.web import csv_response, login_required, payments_configured

CSV_FILENAME = "javari-usage.csv"
CSV_COLUMNS = ["date", "kind", "action_type", "amount", "balance_after", "reason"]


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


View = Callable[..., HttpResponse]


def _partial_or_page(request: HtmxHttpRequest, partial: str, page: str, context: dict) -> HttpResponse:
    """The modal's content for htmx, the full page otherwise; caches keep the two apart."""
    response = render(request, partial if request.htmx else page, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _with_action_names(entries: list[LedgerEntry]) -> list[LedgerEntry]:
    names = selectors.action_names() if any(entry.action_type for entry in entries) else {}
    for entry in entries:
        entry.action_label = selectors.action_name(entry.action_type, names)  # type: ignore[attr-defined]
        entry.reason_label = ledger.reason_label(entry.reason)  # type: ignore[attr-defined]
    return entries


# --- The credits bar and its modals ---------------------------------------------------------------


@require_GET
@never_cache
def credits_bar(request: HtmxHttpRequest) -> HttpResponse:
    """The bar alone: htmx swaps it in when ``credits-changed`` reaches the body."""
    if not request.user.is_authenticated:
        # The session ended while the page was open: keep the page as it is (204: htmx swaps
        # nothing); the next navigation asks the person to sign in.
        return HttpResponse(status=204) if request.htmx else redirect_to_login(request.get_full_path())
    return render(request, "credits/bar.html", {"account": services.get_account(request.user)})


@require_GET
@never_cache
@login_required
def recent_usage(request: HtmxHttpRequest) -> HttpResponse:
    """The credits modal: balance in both kinds, plan, and the latest ledger entries."""
    context = {
        "account": services.get_account(request.user),
        "entries": _with_action_names(selectors.recent_entries(user=request.user)),
    }
    return _partial_or_page(request, "credits/recent_modal.html", "credits/recent.html", context)


@require_GET
@never_cache
@login_required
def top_up(request: HtmxHttpRequest) -> HttpResponse:
    """The top-up modal: each active pack, bought through Stripe Checkout."""
    context = {
        "packs": selectors.top_up_packs(),
        "payments_configured": payments_configured(),
    }
    return _partial_or_page(request, "credits/top_up_modal.html", "credits/top_up.html", context)


# --- Plans ----------------------------------------------------------------------------------------


@require_GET
def plans(request: HtmxHttpRequest) -> HttpResponse:
    """Plan comparison, monthly or annual (``?cycle=annual``). Open to visitors too: their
    buttons lead to sign-up, so the prices can be read before making an account."""
    account = services.get_account(request.user) if request.user.is_authenticated else None
    cycle = request.GET.get("cycle")
    if cycle not in BillingCycle.values:  # none asked: a subscriber's own cycle, else monthly
        subscribed = account is not None and not account.plan.is_free
        cycle = account.billing_cycle if subscribed else BillingCycle.MONTHLY  # type: ignore[union-attr]
    offers = selectors.plan_offers(cycle=cycle, account=account)
    context = {
        "account": account,
        "offers": offers,
        "cycle": cycle,
        "cycles": BillingCycle.choices,
        "best_annual_saving_percent": max((o.annual_saving_percent for o in offers), default=0),
        "payments_configured": payments_configured(),
    }
    # The toggle's htmx request gets the whole page too and keeps only #plans (hx-select).
    return render(request, "credits/plans.html", context)


# --- Usage & Analytics ----------------------------------------------------------------------------


class SpendingCapForm(forms.Form):
    """The user's own monthly spending cap: a whole number of credits, or empty for none."""

    # Lazy: the class is built once at import, in no one's language; the label renders in each request's.
    monthly_cap = forms.IntegerField(
        label=gettext_lazy("Monthly spending cap (credits)"),
        required=False,
        min_value=1,
        max_value=100_000_000,
        help_text=gettext_lazy(
            "Leave empty for no cap. Actions that would go past it are refused until next month."
        ),
    )


def _usage_context(request: HtmxHttpRequest, cap_form: SpendingCapForm | None = None) -> dict:
    user = request.user
    account = services.get_account(user)
    days = selectors.daily_usage(user=user)
    page = selectors.history_page(user=user, page_number=request.GET.get("page"))
    page.object_list = _with_action_names(list(page.object_list))
    used = sum(day.credits for day in days)
    this_month = timezone.now().date().replace(day=1)
    return {
        "account": account,
        "days": days,
        "used_in_window": used,
        "daily_average": round(used / len(days)) if days else 0,
        "window_days": len(days),
        "by_action": selectors.usage_by_action(user=user),
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        "spent_this_month": account.spent_in_month if account.cap_month == this_month else 0,
        "cap_form": cap_form or SpendingCapForm(initial={"monthly_cap": account.monthly_cap}),
    }


@require_GET
@login_required
def usage(request: HtmxHttpRequest) -> HttpResponse:
    """Usage & Analytics: credits used per day (30 days), per action type, and the full history."""
    return render(request, "credits/usage.html", _usage_context(request))


@require_POST
@login_required
def set_cap(request: HtmxHttpRequest) -> HttpResponse:
    """Set or clear the monthly spending cap; a bad value is a form error and changes nothing."""
    form = SpendingCapForm(request.POST)
    if not form.is_valid():
        return render(request, "credits/usage.html", _usage_context(request, cap_form=form), status=400)
    cap = form.cleaned_data["monthly_cap"]
    services.set_monthly_cap(user=request.user, cap=cap)
    if cap is None:
        messages.success(request, _("Your monthly spending cap is off."))
    else:
        messages.success(
            request,
            _("Your monthly spending cap is now %(cap)s credits.")
            % {"cap": number_format(cap, force_grouping=True)},
        )
    return redirect(f"{reverse('credits:usage')}#spending-cap")


@require_GET
@login_required
def usage_csv(request: HtmxHttpRequest) -> HttpResponse:
    """The signed-in user's whole ledger as CSV, oldest first; dates in UTC (ISO 8601)."""
    rows = (
        [created_at.isoformat(), kind, action_type, amount, balance_after, reason]
        for created_at, kind, action_type, amount, balance_after, reason in selectors.export_rows(
            user=request.user
        )
    )
    return csv_response(filename=CSV_FILENAME, header=CSV_COLUMNS, rows=rows)
