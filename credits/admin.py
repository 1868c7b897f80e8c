"""The credits back office: plans, prices, packs, each user's account with its ledger, and reports.

Balances change only through ``credits.services``: every balance field is read-only here, the
ledger and reservations can't be added, changed or deleted, and staff grant or take credits with
the "Grant or adjust credits" action, which calls ``services.adjust`` with a required reason.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import uuid4

from dateutil.relativedelta import relativedelta
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from djstripe.admin.admin import WebhookEndpointAdmin as DjStripeWebhookEndpointAdmin
from djstripe.models import WebhookEndpoint
from modeltranslation.admin import TranslationAdmin

from credits import services
from credits.errors import CreditsError
from credits.models import (
    ActionPrice,
    CreditAccount,
    LedgerEntry,
    Plan,
    RefusedWebhook,
    Reservation,
    ThrottleRecord,
    TopUpPack,
)
from credits.selectors import UsageRow, usage_by_user
from javari.web import csv_response

# The account page shows this many of the newest entries; the full history is the ledger list.
RECENT_ENTRIES = 50
# The report page shows this many users; the CSV download has them all.
REPORT_ROWS_ON_PAGE = 500


def _signed(amount: int) -> str:
    """A ledger amount with its sign, grouped in the staff member's language: "+1,500", "-100"."""
    return ("+" if amount > 0 else "") + number_format(amount, force_grouping=True)


@admin.register(Plan)
class PlanAdmin(TranslationAdmin):
    list_display = [
        "name",
        "tier",
        "credits_per_month",
        "price_monthly_cents",
        "price_annual_cents",
        "currency",
        "is_popular",
        "is_active",
        "order",
        "api_requests_per_minute",
        "chat_messages_per_minute",
    ]
    list_filter = ["is_active", "is_popular"]
    search_fields = ["name", "tier"]


@admin.register(ActionPrice)
class ActionPriceAdmin(TranslationAdmin):
    list_display = ["action_type", "name", "base_cost", "cost_per_1k_tokens", "is_active"]
    list_editable = ["base_cost", "cost_per_1k_tokens"]
    list_filter = ["is_active"]
    search_fields = ["action_type", "name"]


@admin.register(TopUpPack)
class TopUpPackAdmin(admin.ModelAdmin):
    list_display = ["credits", "price_cents", "currency", "is_active"]
    list_filter = ["is_active"]


# --- Credit accounts ------------------------------------------------------------------------------


class AdjustCreditsForm(forms.Form):
    """The intermediate page of the "Grant or adjust credits" action."""

    amount = forms.IntegerField(
        label=_("Credits"),
        help_text=_("Positive to add credits, negative to take them away."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        help_text=_("Required: recorded on each ledger entry with your name."),
    )
    # One token per rendered form: a second submit of the same page adjusts nothing twice.
    token = forms.UUIDField(widget=forms.HiddenInput)

    def clean_amount(self) -> int:
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError(_("Enter a number of credits other than zero."))
        return amount


@admin.register(CreditAccount)
class CreditAccountAdmin(admin.ModelAdmin):
    list_display = [
        "user_email",
        "plan",
        "billing_cycle",
        "balance",
        "allowance",
        "purchased_remaining",
        "monthly_cap",
        "next_billing_date",
    ]
    list_filter = ["plan", "billing_cycle"]
    search_fields = ["user__email", "user__display_name"]
    list_select_related = ["user", "plan"]
    # No raw_id_fields/autocomplete for the user: it is read-only (an account can't change hands)
    # and accounts can't be added here, so no select of every user is ever rendered.
    ordering = ["user__email"]
    actions = ["grant_or_adjust_credits"]
    readonly_fields = [
        "user",
        "balance",
        "allowance_remaining",
        "allowance_total",
        "purchased_remaining",
        "cap_month",
        "spent_in_month",
        "stripe_customer_id",
        "stripe_subscription_id",
        "created_at",
        "updated_at",
        "recent_ledger",
    ]
    fieldsets = [
        (None, {"fields": ["user", "plan", "billing_cycle"]}),
        (
            _("Balance"),
            {
                "fields": ["balance", "allowance_remaining", "allowance_total", "purchased_remaining"],
                "description": _("Balances change only through the ledger: use “Grant or adjust credits”."),
            },
        ),
        (_("Renewal"), {"fields": ["next_billing_date", "allowance_renews_at", "cancel_at_period_end"]}),
        (_("Spending cap"), {"fields": ["monthly_cap", "cap_month", "spent_in_month"]}),
        (_("Stripe"), {"fields": ["stripe_customer_id", "stripe_subscription_id"]}),
        (_("Ledger"), {"fields": ["recent_ledger"]}),
        (_("Dates"), {"fields": ["created_at", "updated_at"]}),
    ]

    # Accounts open themselves through services on first use (with their first allowance), and a
    # deleted account would leave a ledger that no longer sums to a balance.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: CreditAccount | None = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: CreditAccount, form: forms.ModelForm, change: bool
    ) -> None:
        # Write only what the form changed: a full save() would write back the balances read at
        # the start of this request and undo any debit made meanwhile (read-modify-write).
        fields = [name for name in form.changed_data if name not in self.get_readonly_fields(request, obj)]
        if fields:
            obj.save(update_fields=[*fields, "updated_at"])

    @admin.display(description=_("user"), ordering="user__email")
    def user_email(self, account: CreditAccount) -> str:
        return account.user.email

    @admin.display(description=_("balance"))
    def balance(self, account: CreditAccount) -> str:
        return number_format(account.balance, force_grouping=True)

    @admin.display(description=_("allowance"), ordering="allowance_remaining")
    def allowance(self, account: CreditAccount) -> str:
        remaining = number_format(account.allowance_remaining, force_grouping=True)
        return f"{remaining} / {number_format(account.allowance_total, force_grouping=True)}"

    @admin.display(description=_("latest ledger entries"))
    def recent_ledger(self, account: CreditAccount) -> str:
        """The newest entries only (not an inline, which would load the whole history)."""
        entries = (
            LedgerEntry.objects.filter(user_id=account.user_id)
            .select_related("staff_user")
            .order_by("-created_at", "-id")[:RECENT_ENTRIES]
        )
        all_url = reverse("admin:credits_ledgerentry_changelist") + f"?user__id__exact={account.user_id}"
        link = format_html('<p><a href="{}">{}</a></p>', all_url, gettext("All ledger entries of this user"))
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                    entry.get_kind_display(),
                    _signed(entry.amount),
                    number_format(entry.balance_after, force_grouping=True),
                    entry.action_type,
                    entry.reason,
                    entry.staff_user.email if entry.staff_user else "",
                )
                for entry in entries
            ),
        )
        if not rows:
            return format_html("{}<p>{}</p>", link, gettext("No ledger entries yet."))
        headers = [
            _("When"),
            _("Kind"),
            _("Amount"),
            _("Balance after"),
            _("Action"),
            _("Reason"),
            _("Staff"),
        ]
        head = format_html_join("", "<th>{}</th>", ((header,) for header in headers))
        return format_html("{}<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", link, head, rows)

    # --- The "Grant or adjust credits" action -------------------------------------------------

    @admin.action(description=_("Grant or adjust credits"), permissions=["change"])
    def grant_or_adjust_credits(
        self, request: HttpRequest, queryset: QuerySet[CreditAccount]
    ) -> TemplateResponse | None:
        """Ask for an amount and a reason, then ``services.adjust`` each selected account."""
        if "apply" in request.POST:
            form = AdjustCreditsForm(request.POST)
            if form.is_valid():
                self._adjust_each(request, queryset, form.cleaned_data)
                return None  # back to the list, where the messages say what happened
        else:
            form = AdjustCreditsForm(initial={"token": uuid4()})
        context = {
            **self.admin_site.each_context(request),
            "title": _("Grant or adjust credits"),
            "opts": self.model._meta,
            "form": form,
            "accounts": queryset.select_related("user", "plan"),
            "action": "grant_or_adjust_credits",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/credits/adjust_credits.html", context)

    def _adjust_each(
        self, request: HttpRequest, queryset: QuerySet[CreditAccount], data: dict[str, Any]
    ) -> None:
        amount: int = data["amount"]
        for account in queryset.select_related("user"):
            email = account.user.email
            try:
                entry = services.adjust(
                    user=account.user,
                    amount=amount,
                    staff_user=request.user,
                    reason=data["reason"],
                    idempotency_key=f"admin-adjust:{data['token']}:{account.user_id}",
                )
            except CreditsError as error:
                self.message_user(
                    request,
                    gettext("Credits not adjusted for %(email)s: %(error)s")
                    % {"email": email, "error": error},
                    messages.ERROR,
                )
                continue
            self.message_user(
                request,
                gettext("Credits adjusted for %(email)s: %(amount)s, balance now %(balance)s.")
                % {
                    "email": email,
                    "amount": _signed(entry.amount),
                    "balance": number_format(entry.balance_after, force_grouping=True),
                },
                messages.SUCCESS,
            )

    # --- The cost-per-user report --------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        report = path(
            "report/",
            self.admin_site.admin_view(self.usage_report_view),
            name="credits_creditaccount_report",
        )
        return [report, *super().get_urls()]

    def usage_report_view(self, request: HttpRequest) -> HttpResponse:
        """Per user, for one month: plan, credits used, actions, granted and purchased; or its CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        month, month_error = _month_from(request.GET.get("month", ""))
        rows = usage_by_user(month)
        if request.GET.get("format") == "csv":
            return _report_csv(month, rows)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Credits used per user"),
            "opts": self.model._meta,
            "month": month,
            "month_value": month.strftime("%Y-%m"),
            "previous_month": (month - relativedelta(months=1)).strftime("%Y-%m"),
            "next_month": (month + relativedelta(months=1)).strftime("%Y-%m"),
            "month_error": month_error,
            "rows": rows[:REPORT_ROWS_ON_PAGE],
            "row_count": len(rows),
            "rows_cut": len(rows) > REPORT_ROWS_ON_PAGE,
            "rows_on_page": REPORT_ROWS_ON_PAGE,
            "totals": UsageRow.total_of(rows),
        }
        return TemplateResponse(request, "admin/credits/usage_report.html", context)


def _month_from(value: str) -> tuple[date, str]:
    """The first day of the month named ``YYYY-MM``, or of this month (with an error if it was bad)."""
    this_month = timezone.now().date().replace(day=1)
    if not value:
        return this_month, ""
    try:
        return datetime.strptime(value, "%Y-%m").date(), ""
    except ValueError:
        return this_month, gettext("“%(value)s” is not a month (YYYY-MM): showing this month.") % {
            "value": value
        }


def _report_csv(month: date, rows: list[UsageRow]) -> HttpResponse:
    return csv_response(
        filename=f"credits-usage-{month:%Y-%m}.csv",
        header=["email", "plan", "credits_used", "actions", "credits_granted", "credits_purchased"],
        rows=([row.email, row.plan, row.used, row.actions, row.granted, row.purchased] for row in rows),
    )


# --- The ledger and reservations: read-only -------------------------------------------------------


class ActionTypeFilter(admin.SimpleListFilter):
    """Action types from the price list: no DISTINCT over the whole ledger to build the choices."""

    title = _("action type")
    parameter_name = "action_type"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(price.action_type, price.name) for price in ActionPrice.objects.order_by("action_type")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(action_type=value) if value else queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    """Visible to staff who may view it; nobody adds, changes or deletes through the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "user_email",
        "kind",
        "amount",
        "balance_after",
        "action_type",
        "reason",
        "staff_user",
    ]
    list_filter = ["kind", ActionTypeFilter, ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["user", "staff_user"]
    # Prefix and exact matches only: a "contains" search would scan the whole ledger.
    search_fields = ["^user__email", "=idempotency_key"]
    show_full_result_count = False
    raw_id_fields = ["user", "staff_user"]

    @admin.display(description=_("user"), ordering="user__email")
    def user_email(self, entry: LedgerEntry) -> str:
        return entry.user.email


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user_email", "action_type", "held", "charged", "status", "settled_at"]
    list_filter = ["status", ActionTypeFilter]
    list_select_related = ["user"]
    search_fields = ["^user__email", "=idempotency_key"]
    show_full_result_count = False
    raw_id_fields = ["user"]

    @admin.display(description=_("user"), ordering="user__email")
    def user_email(self, reservation: Reservation) -> str:
        return reservation.user.email


# --- Refused Stripe webhooks ------------------------------------------------------------------------


@admin.register(RefusedWebhook)
class RefusedWebhookAdmin(admin.ModelAdmin):
    """Deliveries refused for their signature: read-only, bounded, no bodies (credits.views.webhooks)."""

    list_display = ["received_at", "reason", "remote_ip", "size", "body_sha256"]
    list_filter = ["reason"]
    search_fields = ["remote_ip", "body_sha256"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: RefusedWebhook | None = None) -> bool:
        return False


# dj-stripe's webhook endpoint admin writes to Stripe from its forms: its add form reverses
# dj-stripe's own webhook URL, which we don't serve (credits.views.webhooks does), and a save
# calls Stripe's API; either was a 500 (issue 10). The endpoint is kept by ensure_webhook_endpoint
# (``manage.py stripe_webhook``), so staff see it here and change it there.
admin.site.unregister(WebhookEndpoint)


@admin.register(WebhookEndpoint)
class ReadOnlyWebhookEndpointAdmin(DjStripeWebhookEndpointAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ThrottleRecord)
class ThrottleRecordAdmin(admin.ModelAdmin):
    """Who reached a rate limit (javari/throttling.py), most recent first. Written by the throttle
    only: staff read it, or delete rows they have dealt with. Keys show by prefix, never whole."""

    list_display = [
        "last_limited_at",
        "scope",
        "user",
        "key_prefix",
        "ip",
        "limit",
        "times_limited",
        "first_limited_at",
    ]
    list_filter = ["scope"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    search_fields = ["user__email", "key_prefix", "ip"]
    date_hierarchy = "last_limited_at"
    readonly_fields = [
        "scope",
        "identity",
        "user",
        "key_prefix",
        "ip",
        "limit",
        "times_limited",
        "first_limited_at",
        "last_limited_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ThrottleRecord | None = None) -> bool:
        return False
