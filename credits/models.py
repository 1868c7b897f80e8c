"""Credits: plans, each user's credit account, the append-only ledger, prices per action.

Invariants (enforced in the database where it can, by ``services`` otherwise):
- A balance never goes below zero: CheckConstraints on both buckets.
- The ledger sums to the balance: every change of ``allowance_remaining`` or
  ``purchased_remaining`` is written in the same transaction as one ``LedgerEntry`` whose
  ``allowance_delta``/``purchased_delta`` are exactly that change.
- Every ledger entry has a unique idempotency key: a replay changes nothing.
Credits and money are integers (credits; cents).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class Tier(models.TextChoices):
    FREE = "free", _("Free")
    STARTER = "starter", _("Starter")
    PRO = "pro", _("Pro")
    ENTERPRISE = "enterprise", _("Enterprise")


class BillingCycle(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    ANNUAL = "annual", _("Annual")


# A plan's rate limits per minute until staff set others (javari/throttling.py).
DEFAULT_API_REQUESTS_PER_MINUTE = 60
DEFAULT_CHAT_MESSAGES_PER_MINUTE = 10


class Plan(models.Model):
    """A subscription plan (spec: ``subscription_plans``). Name, description, features translated."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    features = models.TextField(_("features"), blank=True, help_text=_("One feature per line."))
    credits_per_month = models.PositiveIntegerField(_("credits per month"))
    price_monthly_cents = models.PositiveIntegerField(_("monthly price (cents)"), default=0)
    price_annual_cents = models.PositiveIntegerField(_("annual price (cents)"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="usd")
    is_popular = models.BooleanField(_("popular"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    # Rate limits (javari/throttling.py), per fixed one-minute window. The API limit counts every
    # request, per API key (per user for the session, per address for anonymous callers); the chat
    # limit counts messages sent and replies regenerated, per user, on the page and the API alike.
    api_requests_per_minute = models.PositiveIntegerField(
        _("API requests per minute"),
        default=DEFAULT_API_REQUESTS_PER_MINUTE,
        validators=[MinValueValidator(1)],
        help_text=_("For each API key, or each signed-in user without one."),
    )
    chat_messages_per_minute = models.PositiveIntegerField(
        _("chat messages per minute"),
        default=DEFAULT_CHAT_MESSAGES_PER_MINUTE,
        validators=[MinValueValidator(1)],
        help_text=_("For each user, on the chat page and the API together."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "price_monthly_cents"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self) -> str:
        return self.name

    @property
    def is_free(self) -> bool:
        return self.tier == Tier.FREE

    def feature_list(self) -> list[str]:
        return [line.strip() for line in self.features.splitlines() if line.strip()]

    def price_cents(self, cycle: str) -> int:
        return self.price_annual_cents if cycle == BillingCycle.ANNUAL else self.price_monthly_cents


class CreditAccount(models.Model):
    """A user's credits (spec: ``user_credits``): the plan allowance and purchased top-ups.

    The allowance resets at each renewal; purchased credits never expire and are spent after it.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="credit_account"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="accounts")
    billing_cycle = models.CharField(
        _("billing cycle"), max_length=10, choices=BillingCycle.choices, default=BillingCycle.MONTHLY
    )
    allowance_remaining = models.IntegerField(_("allowance remaining"), default=0)
    allowance_total = models.IntegerField(_("allowance at last renewal"), default=0)
    purchased_remaining = models.IntegerField(_("purchased credits remaining"), default=0)
    next_billing_date = models.DateTimeField(_("next billing date"), null=True, blank=True)
    # When the allowance next resets. Paid monthly plans renew on Stripe's invoice; Free and
    # annual plans renew monthly through the renew_allowances task.
    allowance_renews_at = models.DateTimeField(_("allowance renews at"), null=True, blank=True)
    # The user's own monthly spending cap; null means none. Spending counts per calendar month (UTC).
    monthly_cap = models.PositiveIntegerField(_("monthly spending cap"), null=True, blank=True)
    cap_month = models.DateField(_("month of the spending counter"), null=True, blank=True)
    spent_in_month = models.PositiveIntegerField(_("spent this month"), default=0)
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    cancel_at_period_end = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("credit account")
        verbose_name_plural = _("credit accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(allowance_remaining__gte=0), name="credits_allowance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(purchased_remaining__gte=0), name="credits_purchased_not_negative"
            ),
        ]
        indexes = [
            # Serves renew_allowances: accounts whose allowance is due.
            models.Index(fields=["allowance_renews_at"], name="credits_renewal_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.plan})"

    @property
    def balance(self) -> int:
        return self.allowance_remaining + self.purchased_remaining

    @property
    def total(self) -> int:
        """What the bar shows after the slash: this period's allowance plus top-ups held."""
        return self.allowance_total + self.purchased_remaining

    @property
    def is_low(self) -> bool:
        """10% or less of the total remains."""
        return self.total > 0 and self.balance * 10 <= self.total


class ActionPrice(models.Model):
    """What an action costs: a base cost plus a cost per 1,000 tokens. Staff edit these."""

    action_type = models.SlugField(_("action type"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    base_cost = models.PositiveIntegerField(_("base cost"), default=0)
    cost_per_1k_tokens = models.PositiveIntegerField(_("cost per 1,000 tokens"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["action_type"]
        verbose_name = _("action price")
        verbose_name_plural = _("action prices")

    def __str__(self) -> str:
        return self.name

    def cost(self, tokens: int = 0) -> int:
        """Credits for one action of ``tokens`` tokens: every started thousand counts whole.

        ``credits.services.ledger`` computes the same in SQL (``_PRICE_CTE``); keep them alike.
        """
        return self.base_cost + -(-tokens // 1000) * self.cost_per_1k_tokens


class TopUpPack(models.Model):
    """A pack of purchased credits sold through Stripe Checkout."""

    credits = models.PositiveIntegerField(_("credits"))
    price_cents = models.PositiveIntegerField(_("price (cents)"))
    currency = models.CharField(_("currency"), max_length=3, default="usd")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["credits"]
        verbose_name = _("top-up pack")
        verbose_name_plural = _("top-up packs")

    def __str__(self) -> str:
        return ngettext("%(credits)s credit", "%(credits)s credits", self.credits) % {
            "credits": number_format(self.credits, force_grouping=True)
        }


class EntryKind(models.TextChoices):
    GRANT = "grant", _("Grant")
    DEBIT = "debit", _("Debit")
    REFUND = "refund", _("Refund")
    ADJUSTMENT = "adjustment", _("Adjustment")
    RENEWAL = "renewal", _("Renewal")
    PURCHASE = "purchase", _("Purchase")


class LedgerEntry(models.Model):
    """One change to a user's credits. Append-only: never updated, never deleted by the app."""

    id = models.BigAutoField(primary_key=True)
    # No index of its own: credits_user_history_idx (user, -created_at) serves lookups by user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ledger_entries", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind.choices)
    amount = models.IntegerField(_("amount"), help_text=_("Signed: credits added are positive."))
    allowance_delta = models.IntegerField(default=0)
    purchased_delta = models.IntegerField(default=0)
    balance_after = models.IntegerField(_("balance after"))
    action_type = models.CharField(_("action type"), max_length=40, blank=True)
    session_id = models.UUIDField(_("session"), null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff user"),
        db_index=False,  # rarely searched; every debit would pay for its index
    )
    idempotency_key = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            # A constraint rather than unique=True, which would add a second (LIKE) index to every insert.
            models.UniqueConstraint(fields=["idempotency_key"], name="credits_entry_idempotency_key_unique"),
            models.CheckConstraint(
                condition=Q(amount=F("allowance_delta") + F("purchased_delta")),
                name="credits_entry_parts_sum",
            ),
            models.CheckConstraint(
                condition=~Q(amount=0) | Q(kind="renewal"), name="credits_entry_not_empty"
            ),
        ]
        indexes = [
            # Serves the user's history and the usage charts: a user's entries, newest first.
            models.Index(fields=["user", "-created_at"], name="credits_user_history_idx"),
            # Serves the staff usage report (all users, one month). BRIN: the table is appended in
            # time order, so a tiny index covers it and costs the hot insert path next to nothing.
            BrinIndex(fields=["created_at"], name="credits_entry_created_brin"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount:+d} → {self.balance_after}"


class ReservationStatus(models.TextChoices):
    HELD = "held", _("Held")
    SETTLED = "settled", _("Settled")


class Reservation(models.Model):
    """Credits held for an action whose real cost is known only at its end (a chat reply).

    ``reserve`` debits the estimate at once; ``settle`` charges the real amount: the rest goes
    back (a refund entry) or the shortfall is debited, as far as the balance allows.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action_type = models.CharField(max_length=40)
    idempotency_key = models.CharField(max_length=255, unique=True)
    held = models.PositiveIntegerField()
    held_from_allowance = models.PositiveIntegerField(default=0)
    held_from_purchased = models.PositiveIntegerField(default=0)
    charged = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.HELD
    )
    session_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")

    def __str__(self) -> str:
        return f"{self.action_type} {self.held} ({self.status})"


class RefusalReason(models.TextChoices):
    BAD_SIGNATURE = "bad_signature", _("Signature did not verify")
    NOT_AN_EVENT = "not_an_event", _("Not a Stripe event")


class RefusedWebhook(models.Model):
    """A delivery to the Stripe webhook that was refused: when, from where, why and how big, never
    the body (a forger could send ~2 MB each). Only the newest ``REFUSED_WEBHOOKS_KEPT`` are kept
    (credits.services.webhook_refusals), so a flood can't fill the database."""

    id = models.BigAutoField(primary_key=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    remote_ip = models.GenericIPAddressField(_("remote address"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=RefusalReason.choices)
    size = models.PositiveIntegerField(_("size (bytes)"))
    # Tells repeated deliveries of the same body apart from different ones, without keeping it.
    body_sha256 = models.CharField(_("SHA-256 of the body"), max_length=64)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("refused webhook delivery")
        verbose_name_plural = _("refused webhook deliveries")

    def __str__(self) -> str:
        return f"{self.get_reason_display()} · {self.remote_ip or '?'} · {self.received_at:%Y-%m-%d %H:%M:%S}"


class ThrottleScope(models.TextChoices):
    API = "api", _("API requests")
    CHAT_MESSAGES = "chat_messages", _("Chat messages")
    CONVERSATIONS = "conversations", _("New conversations")
    HELP_FEEDBACK = "help_feedback", _("Help article ratings")


class ThrottleRecord(models.Model):
    """Who was rate-limited, for staff: one row per caller and scope, counting the minutes in which
    the caller went over the limit (written once per such minute, so a flood costs one write a
    minute, not one per refused request)."""

    scope = models.CharField(_("limit"), max_length=20, choices=ThrottleScope.choices)
    # Who was counted: "key:<api key id>", "user:<id>" or "ip:<address>" (anonymous callers).
    identity = models.CharField(_("counted as"), max_length=80)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="throttle_records",
        verbose_name=_("user"),
    )
    # The API key's public prefix (jv_xxxxxxxx), never the key: enough for staff to tell keys apart.
    key_prefix = models.CharField(_("API key prefix"), max_length=16, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    limit = models.PositiveIntegerField(_("limit per minute"))
    times_limited = models.PositiveIntegerField(
        _("minutes limited"), default=1, help_text=_("Minutes in which the limit was reached.")
    )
    first_limited_at = models.DateTimeField(_("first limited"), default=timezone.now)
    last_limited_at = models.DateTimeField(_("last limited"), default=timezone.now)

    class Meta:
        verbose_name = _("rate-limited caller")
        verbose_name_plural = _("rate-limited callers")
        ordering = ["-last_limited_at"]
        constraints = [
            # One row per caller and limit: record_throttled() increments it.
            models.UniqueConstraint(fields=["scope", "identity"], name="credits_throttle_one_per_caller"),
        ]
        indexes = [
            # Serves the admin's list: ORDER BY -last_limited_at.
            models.Index(fields=["-last_limited_at"], name="credits_throttle_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.identity} ({self.scope})"
