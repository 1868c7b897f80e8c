"""DRF serializers of the credits API: the signed-in user's account and ledger, read-only."""

from __future__ import annotations

from rest_framework import serializers

from credits.models import CreditAccount, LedgerEntry, Plan


class PlanSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = ["tier", "name"]
        read_only_fields = fields


class CreditsSerializer(serializers.ModelSerializer):
    """What the credits bar shows, plus the plan, the cycle and the cap."""

    balance = serializers.IntegerField(read_only=True, help_text="Allowance plus purchased credits.")
    total = serializers.IntegerField(
        read_only=True, help_text="This period's allowance plus purchased credits."
    )
    plan = PlanSummarySerializer(read_only=True)
    low = serializers.BooleanField(source="is_low", read_only=True, help_text="10% or less remains.")

    class Meta:
        model = CreditAccount
        fields = [
            "balance",
            "allowance_remaining",
            "allowance_total",
            "purchased_remaining",
            "total",
            "plan",
            "billing_cycle",
            "next_billing_date",
            "monthly_cap",
            "low",
        ]
        read_only_fields = fields


class LedgerEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = LedgerEntry
        fields = ["id", "created_at", "kind", "amount", "balance_after", "action_type", "reason", "metadata"]
        read_only_fields = fields
