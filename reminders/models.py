"""Reminders, calendar events, notification deliveries and the in-app notification centre (spec §4).

Times (docs/DESIGN.md "Reminders and calendar"): a reminder keeps the wall date and time of its
first occurrence and its IANA zone (``start_date``, ``start_time``, ``time_zone``); every instant
stored here (``due_at``, ``next_fire_at``, a delivery's ``due_at``) is UTC, computed from those by
``reminders.recurrence``.

Dispatch: ``next_fire_at`` is when the reminder next needs telling (its occurrence minus the lead
time, or the end of a snooze). The dispatcher claims reminders whose ``next_fire_at`` has come and
writes one ``Delivery`` per channel, unique on (reminder, occurrence, snooze round, channel): that
row is the idempotency key, so an occurrence is delivered at most once per channel however often
the dispatcher runs (each snooze is a new round of the same occurrence).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from javari.fields import EncryptedCharField

TITLE_MAX_CHARS = 200
DESCRIPTION_MAX_CHARS = 5_000
RULE_MAX_CHARS = 500
PROJECT_MAX_CHARS = 200
URL_MAX_CHARS = 2_000
# The longest lead time: a notice at most 30 days before the occurrence, in minutes.
LEAD_MINUTES_MAX = 30 * 24 * 60


class ReminderType(models.TextChoices):
    """The spec's nine reminder types (``REMINDER_TYPES``)."""

    UPDATE_APP = "update_app", _("Update application")
    CHANGE_CODE = "change_code", _("Update code")
    BUILD_SITE = "build_site", _("Build new site")
    REPLACE_OLD = "replace_old", _("Replace old with new")
    ROTATE_KEYS = "rotate_keys", _("Rotate API keys")
    BACKUP = "backup", _("Backup data")
    REVIEW_COSTS = "review_costs", _("Review costs")
    CHECK_PERFORMANCE = "check_performance", _("Check performance")
    CUSTOM = "custom", _("Custom reminder")


class Recurrence(models.TextChoices):
    """How a reminder repeats. The presets are stored as their RRULE too (``FREQ=DAILY``, …)."""

    NONE = "none", _("Does not repeat")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    YEARLY = "yearly", _("Yearly")
    RRULE = "rrule", _("Custom rule (RRULE)")
    CRON = "cron", _("Cron expression")


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    SNOOZED = "snoozed", _("Snoozed")


class Reminder(models.Model):
    """One reminder, or a recurring series of them (spec's ``user_reminders``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("user")
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX_CHARS)
    description = models.TextField(
        _("description"), blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX_CHARS)]
    )
    reminder_type = models.CharField(
        _("type"), max_length=20, choices=ReminderType.choices, default=ReminderType.CUSTOM
    )

    # The series: the wall date and time of its first occurrence, in its zone, and how it repeats.
    start_date = models.DateField(_("date"))
    start_time = models.TimeField(_("time"))
    time_zone = models.CharField(_("time zone"), max_length=64)
    recurrence = models.CharField(
        _("repeats"), max_length=8, choices=Recurrence.choices, default=Recurrence.NONE
    )
    # An RRULE body (``FREQ=WEEKLY;BYDAY=MO``, no DTSTART) for the presets and custom rules, a
    # 5-field cron expression for cron, empty for none.
    rule = models.CharField(_("rule"), max_length=RULE_MAX_CHARS, blank=True)

    # The current occurrence (the spec's due_date), UTC: the one shown as upcoming or overdue.
    due_at = models.DateTimeField(_("due"))
    # The next occurrence whose notices are still to be written (UTC; the dispatcher moves it on as
    # it writes them), and when the reminder next needs telling: that occurrence minus the lead
    # time, or the end of a snooze if sooner. Both null when nothing is left to tell.
    fire_occurrence = models.DateTimeField(_("next occurrence to notify"), null=True, blank=True)
    next_fire_at = models.DateTimeField(_("next notification"), null=True, blank=True)
    # Each snooze of the current occurrence is a new round of notices (0: the first notice).
    snooze_round = models.PositiveSmallIntegerField(default=0, editable=False)

    related_integration_id = models.UUIDField(
        _("related integration"),
        null=True,
        blank=True,
        help_text=_("The integration this reminder is about, if any."),
    )
    related_project = models.CharField(_("related project"), max_length=PROJECT_MAX_CHARS, blank=True)
    action_url = models.URLField(_("action URL"), max_length=URL_MAX_CHARS, blank=True)

    status = models.CharField(
        _("status"), max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)

    notify_email = models.BooleanField(_("email"), default=True)
    notify_in_app = models.BooleanField(_("in the app"), default=True)
    lead_minutes = models.PositiveIntegerField(
        _("notify before (minutes)"),
        default=24 * 60,
        validators=[MinValueValidator(0)],
        help_text=_("How long before the due time to notify; 0 notifies at the due time."),
    )

    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["user", "status", "due_at"], name="reminders_user_status_due"),
            # The dispatcher's claim: only rows with something left to tell.
            models.Index(
                fields=["next_fire_at"],
                name="reminders_next_fire",
                condition=models.Q(next_fire_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reminder_type__in=ReminderType.values), name="reminders_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(recurrence__in=Recurrence.values), name="reminders_recurrence_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ReminderStatus.values), name="reminders_status_valid"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX_CHARS),
                name="reminders_description_max_length",
            ),
            models.CheckConstraint(
                condition=models.Q(lead_minutes__lte=LEAD_MINUTES_MAX), name="reminders_lead_max"
            ),
            models.CheckConstraint(
                condition=models.Q(recurrence=Recurrence.NONE, rule="")
                | (~models.Q(recurrence=Recurrence.NONE) & ~models.Q(rule="")),
                name="reminders_rule_matches_recurrence",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def repeats(self) -> bool:
        return self.recurrence != Recurrence.NONE

    @property
    def is_open(self) -> bool:
        """Pending or snoozed: still something to do."""
        return self.status in (ReminderStatus.PENDING, ReminderStatus.SNOOZED)


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    IN_APP = "in_app", _("In the app")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One notice of one reminder occurrence on one channel: the idempotency key of dispatch.

    Pending rows are claimed as a lease: ``available_at`` moves forward when a sender takes one
    (so a sender that dies loses nothing: the row is claimable again once the lease runs out), when
    a failed attempt waits its backoff, and when quiet hours hold an email back.
    """

    id = models.BigAutoField(primary_key=True)
    reminder = models.ForeignKey(
        Reminder, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("reminder")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    # The occurrence this notice is about (UTC), and which round of it (0, then one per snooze).
    occurrence = models.DateTimeField(_("occurrence"))
    snooze_round = models.PositiveSmallIntegerField(_("snooze round"), default=0)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    # When the notice was due (the occurrence minus the lead time, or the end of the snooze).
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    available_at = models.DateTimeField(_("claimable from"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["reminder", "occurrence", "snooze_round", "channel"],
                name="reminders_delivery_once_per_channel",
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="reminders_channel_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values), name="reminders_delivery_status_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["available_at"],
                name="reminders_delivery_claimable",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["user", "-due_at"], name="reminders_delivery_user"),
        ]

    def __str__(self) -> str:
        return f"{self.reminder_id} {self.occurrence:%Y-%m-%dT%H:%MZ} #{self.snooze_round} {self.channel}"


class NotificationKind(models.TextChoices):
    REMINDER = "reminder", _("Reminder")
    INTEGRATION = "integration", _("Integration")
    ASSET = "asset", _("Asset")
    ACCOUNT = "account", _("Account")
    SYSTEM = "system", _("System")


class Notification(models.Model):
    """One line in a person's notification centre (the bell). Created only by ``reminders.services``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=TITLE_MAX_CHARS)
    body = models.TextField(_("text"), blank=True)
    # Where the notification leads: a path on this site (its object's page).
    url = models.CharField(_("link"), max_length=URL_MAX_CHARS, blank=True)
    # A caller's key: the same key for the same user creates one notification, however often sent.
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "idempotency_key"], name="reminders_notification_once"),
            models.CheckConstraint(
                condition=models.Q(kind__in=NotificationKind.values), name="reminders_notification_kind_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["user"],
                name="reminders_notification_unread",
                condition=models.Q(read_at__isnull=True),
            ),
            models.Index(fields=["user", "-created_at"], name="reminders_notification_user"),
        ]

    def __str__(self) -> str:
        return self.title


class EventType(models.TextChoices):
    """The spec's ``event_type`` values."""

    MEETING = "meeting", _("Meeting")
    DEADLINE = "deadline", _("Deadline")
    REMINDER = "reminder", _("Reminder")
    BUILD = "build", _("Build")


class CalendarEvent(models.Model):
    """A calendar event (spec's ``user_calendar_events``), optionally repeating by an RRULE.

    Timed events keep their start as a wall time in ``time_zone`` (as reminders do) and as UTC in
    ``start_at``; all-day events use ``start_date``/``end_date`` (the end inclusive) and ignore times.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_events",
        verbose_name=_("user"),
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX_CHARS)
    description = models.TextField(
        _("description"), blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX_CHARS)]
    )
    event_type = models.CharField(
        _("type"), max_length=10, choices=EventType.choices, default=EventType.MEETING
    )
    all_day = models.BooleanField(_("all day"), default=False)
    start_date = models.DateField(_("start date"))
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    end_date = models.DateField(_("end date"))
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64)
    start_at = models.DateTimeField(_("starts"))
    end_at = models.DateTimeField(_("ends"))
    # An RRULE body, empty when the event doesn't repeat.
    rule = models.CharField(_("repeats (RRULE)"), max_length=RULE_MAX_CHARS, blank=True)
    # The iCalendar UID: kept from an import, so importing the same file twice updates, not doubles.
    uid = models.CharField(_("UID"), max_length=255, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar event")
        verbose_name_plural = _("calendar events")
        ordering = ["start_at"]
        indexes = [models.Index(fields=["user", "start_at"], name="reminders_event_user_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(event_type__in=EventType.values), name="reminders_event_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(end_at__gte=models.F("start_at")), name="reminders_event_ends_after_start"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX_CHARS),
                name="reminders_event_description_max_length",
            ),
            models.UniqueConstraint(
                fields=["user", "uid"], condition=~models.Q(uid=""), name="reminders_event_uid_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CalendarFeed(models.Model):
    """A person's private iCalendar feed: ``/calendar/feed/<token>.ics``. Revoking makes a new token.

    The token is looked up by its SHA-256 (``token_hash``) and kept encrypted so the settings page can
    show the address again; revoking replaces both, and the old address answers 404.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name=_("user"),
    )
    token_hash = models.CharField(max_length=64, unique=True)
    token = EncryptedCharField(max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)
