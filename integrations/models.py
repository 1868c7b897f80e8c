"""Integrations: a person's connections to outside APIs, their credentials, and what happened to them.

Spec §3.2 and §3.3; docs/DESIGN.md "Integrations and key rotation".

- ``Integration`` is the spec's ``user_integrations`` row: the provider (a registry slug, see
  ``integrations.providers``), the person's name for it, the non-secret settings (``config``: a
  Vercel team id, a Supabase project URL, a custom API's base URL and auth type, …), its state and
  its rotation schedule. Disconnecting keeps the row (and its activity) with ``status=disconnected``
  and the secrets wiped.
- ``Credential`` holds one secret of an integration (``field`` names it: ``api_token``,
  ``service_role_key``, ``refresh_token``…), encrypted at rest. Rotation gives each field up to three
  live rows: ``current`` (the key in use), ``pending`` (a new key made upstream, not yet trusted)
  and ``previous`` (the key a rotation replaced, until it is revoked upstream). A revoked or wiped
  key becomes ``retired`` with its value emptied, so its history (made, revoked) stays.
- ``Activity`` is the spec's ``integration_activity``: one row per thing that happened. Its
  ``message`` and ``metadata`` never carry a secret (services write them; tests check).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from javari.fields import EncryptedTextField

NAME_MAX_CHARS = 100
# The longest secret we keep: tokens and keys are far shorter; a JWT service-role key is ~250.
SECRET_MAX_CHARS = 4_000
MESSAGE_MAX_CHARS = 500


class IntegrationStatus(models.TextChoices):
    """The spec's ``connection_status``."""

    CONNECTED = "connected", _("Connected")
    ERROR = "error", _("Error")
    DISCONNECTED = "disconnected", _("Disconnected")


class RotationSchedule(models.TextChoices):
    """How often a key is rotated (the spec's ``rotation_schedule``)."""

    # Contexts: the plain msgids are reminders' repeat options ("Cada semana") and billing periods.
    WEEKLY = "weekly", pgettext_lazy("rotation schedule", "Weekly")
    MONTHLY = "monthly", pgettext_lazy("rotation schedule", "Monthly")
    QUARTERLY = "quarterly", pgettext_lazy("rotation schedule", "Quarterly")


# Each schedule's period. Months are calendar months (dateutil's relativedelta), so a monthly
# rotation on 31 January is next due on 28 or 29 February, then 31 March.
ROTATION_PERIODS = {
    RotationSchedule.WEEKLY: {"weeks": 1},
    RotationSchedule.MONTHLY: {"months": 1},
    RotationSchedule.QUARTERLY: {"months": 3},
}


class Integration(models.Model):
    """One connection of a person to an outside API (spec's ``user_integrations``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="integrations",
        verbose_name=_("user"),
    )
    # A slug of integrations.providers.REGISTRY ("vercel", "supabase", "gmail", "github", "stripe",
    # "custom"): not a database choice list, so adding a provider is adding a folder.
    provider = models.CharField(_("provider"), max_length=30)
    name = models.CharField(_("name"), max_length=NAME_MAX_CHARS)
    # The provider's non-secret fields (``Provider.fields`` with ``secret=False``) and what
    # verification learnt (``account``: the login or e-mail address it answered for).
    config = models.JSONField(_("settings"), default=dict, blank=True)

    status = models.CharField(
        _("status"), max_length=12, choices=IntegrationStatus.choices, default=IntegrationStatus.CONNECTED
    )
    # Why the last verification failed, in words fit to show the person (never a secret).
    status_detail = models.CharField(_("status detail"), max_length=MESSAGE_MAX_CHARS, blank=True)
    last_verified_at = models.DateTimeField(_("last verified"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    # When the current key stops working by itself (GitHub sends it; OAuth access tokens have one).
    key_expires_at = models.DateTimeField(_("key expires"), null=True, blank=True)

    auto_rotate = models.BooleanField(_("rotate automatically"), default=False)
    rotation_schedule = models.CharField(
        _("rotation schedule"),
        max_length=10,
        choices=RotationSchedule.choices,
        default=RotationSchedule.MONTHLY,
    )
    last_rotated_at = models.DateTimeField(_("last rotated"), null=True, blank=True)
    # When the next rotation is due (UTC); null when auto-rotation is off or it is disconnected.
    next_rotation_at = models.DateTimeField(_("next rotation"), null=True, blank=True)
    # A rotation holds the integration until this instant (a lease, taken with a conditional
    # UPDATE): one rotation at a time, and a rotation whose process died is taken over after it.
    rotation_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Failed rotations in a row (reset by a successful one); the next try backs off by it.
    rotation_failures = models.PositiveSmallIntegerField(default=0, editable=False)
    # The next health check (UTC); the scheduled check claims rows whose time has come.
    next_check_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(_("connected at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    disconnected_at = models.DateTimeField(_("disconnected at"), null=True, blank=True)

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["provider", "name", "created_at"]
        indexes = [
            models.Index(fields=["user", "status"], name="integrations_user_status"),
            # rotate_due_keys: auto-rotating connections whose next rotation has come.
            models.Index(
                fields=["next_rotation_at"],
                name="integrations_rotation_due",
                condition=Q(auto_rotate=True) & ~Q(status="disconnected"),
            ),
            # The health check: live connections whose next check has come.
            models.Index(
                fields=["next_check_at"],
                name="integrations_check_due",
                condition=~Q(status="disconnected"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.provider})"

    @property
    def is_active(self) -> bool:
        """The spec's ``is_active``: not disconnected."""
        return self.status != IntegrationStatus.DISCONNECTED

    def rotation_period(self) -> dict[str, int]:
        return ROTATION_PERIODS[RotationSchedule(self.rotation_schedule)]


class CredentialState(models.TextChoices):
    PENDING = "pending", _("Pending")
    CURRENT = "current", _("Current")
    PREVIOUS = "previous", _("Previous (to revoke)")
    RETIRED = "retired", _("Retired")


class Credential(models.Model):
    """One secret of an integration, encrypted at rest, in one state of its life (see the module)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="credentials", verbose_name=_("integration")
    )
    # The provider's field name (``Provider.fields``, ``secret=True``): "api_token", "secret_key"…
    field = models.CharField(_("field"), max_length=40)
    state = models.CharField(_("state"), max_length=10, choices=CredentialState.choices)
    # The secret. Emptied when the credential is retired: a revoked key is not kept.
    value = EncryptedTextField(_("value"), blank=True)
    # The provider's id for this key, to revoke it (a Vercel token id, a Supabase API key id).
    upstream_id = models.CharField(_("provider's key id"), max_length=200, blank=True)
    # The rotation that made this key (its pending row's id is used as the upstream key's name).
    made_by_rotation = models.BooleanField(default=False, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    # previous → retired: when it was revoked upstream; failed tries and the last reason (no secret).
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    revoke_error = models.CharField(max_length=MESSAGE_MAX_CHARS, blank=True, editable=False)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        ordering = ["field", "created_at"]
        constraints = [
            # One key in use, and at most one being tried, per field.
            models.UniqueConstraint(
                fields=["integration", "field"],
                condition=Q(state="current"),
                name="integrations_one_current_per_field",
            ),
            models.UniqueConstraint(
                fields=["integration", "field"],
                condition=Q(state="pending"),
                name="integrations_one_pending_per_field",
            ),
        ]
        indexes = [
            models.Index(fields=["integration", "state"], name="integrations_cred_state"),
        ]

    def __str__(self) -> str:
        # Never the value.
        return f"{self.field} ({self.state})"


class ActivityAction(models.TextChoices):
    """What happened (the spec's ``action_type``, and the rest of a connection's life)."""

    CONNECTED = "connected", _("Connected")
    UPDATED = "updated", _("Settings changed")
    # A context: the plain msgid is allauth's (an email address), "Verificado" where this wants "Verificada".
    VERIFIED = "verified", pgettext_lazy("integration activity", "Verified")
    VERIFICATION_FAILED = "verification_failed", _("Verification failed")
    KEY_ROTATED = "key_rotated", _("Key rotated")
    ROTATION_FAILED = "rotation_failed", _("Rotation failed")
    REVOKE_FAILED = "revoke_failed", _("Old key not revoked yet")
    KEY_REVOKED = "key_revoked", _("Old key revoked")
    ROTATION_REMINDER = "rotation_reminder", _("Rotation reminder set")
    KEY_EXPIRING = "key_expiring", _("Key expires soon")
    DISCONNECTED = "disconnected", _("Disconnected")
    API_CALL = "api_call", _("API call")


class Activity(models.Model):
    """One thing that happened to an integration (spec's ``integration_activity``). Never a secret."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="activity", verbose_name=_("integration")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="integration_activity",
        verbose_name=_("user"),
    )
    action = models.CharField(_("action"), max_length=24, choices=ActivityAction.choices)
    success = models.BooleanField(_("success"), default=True)
    # Words fit to show the person (translated when written; no secret, no raw provider body).
    message = models.CharField(_("message"), max_length=MESSAGE_MAX_CHARS, blank=True)
    # Small facts for programs: an HTTP status, a key's masked tail, a rotation's step.
    metadata = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activity")
        ordering = ["-created_at"]
        indexes = [
            # The integration page's log: newest first.
            models.Index(fields=["integration", "-created_at"], name="integrations_activity_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.created_at:%Y-%m-%d %H:%M}"


def next_rotation_after(when: datetime, schedule: str) -> datetime:
    """``when`` plus one period of ``schedule`` (calendar months for monthly and quarterly)."""
    period = ROTATION_PERIODS[RotationSchedule(schedule)]
    if "weeks" in period:
        return when + timedelta(weeks=period["weeks"])
    return when + relativedelta(months=period["months"])
