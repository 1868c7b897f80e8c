"""The reminders back office: reminders, their deliveries (failed ones with the reason), the
notification centre, calendar events and feeds.

Everything is read-only here: reminders change through ``reminders.services`` (the actions below
call them), deliveries and notifications are the dispatcher's record, and a feed's token is a
secret that never leaves the database (not even masked: it has no use to staff).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from reminders import services
from reminders.errors import ReminderClosed
from reminders.models import CalendarEvent, CalendarFeed, Delivery, Notification, Reminder


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows staff look at, not edit: no add, no change form saves, no delete."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = readonly_fields = (
        "occurrence",
        "snooze_round",
        "channel",
        "status",
        "attempts",
        "sent_at",
        "last_error",
    )
    ordering = ["-due_at"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "reminder_type", "recurrence", "status", "due_at", "next_fire_at"]
    list_select_related = ["user"]
    list_filter = ["status", "reminder_type", "recurrence"]
    search_fields = ["title", "user__email"]
    raw_id_fields = ["user"]
    ordering = ["-due_at"]
    show_full_result_count = False
    fields = readonly_fields = (
        "id",
        "user",
        "title",
        "description",
        "reminder_type",
        "start_date",
        "start_time",
        "time_zone",
        "recurrence",
        "rule",
        "due_at",
        "fire_occurrence",
        "next_fire_at",
        "status",
        "completed_at",
        "snoozed_until",
        "snooze_round",
        "notify_email",
        "notify_in_app",
        "lead_minutes",
        "related_integration_id",
        "related_project",
        "action_url",
        "created_at",
        "updated_at",
    )
    inlines = [DeliveryInline]
    actions = ["cancel_reminders"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a reminder is its owner's: created in the app, where its times are computed

    @admin.action(description=_("Cancel selected reminders"), permissions=["change"])
    def cancel_reminders(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        count = 0
        for reminder in queryset.select_related("user"):
            try:
                services.cancel_reminder(user=reminder.user, reminder_id=reminder.pk)
            except ReminderClosed:
                continue
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d reminder cancelled.", "%(count)d reminders cancelled.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["reminder", "user", "channel", "status", "due_at", "attempts", "sent_at", "last_error"]
    list_select_related = ["reminder", "user"]
    list_filter = ["status", "channel"]
    search_fields = ["user__email", "reminder__title"]
    raw_id_fields = ["reminder", "user"]
    ordering = ["-due_at"]
    show_full_result_count = False
    fields = readonly_fields = (
        "id",
        "reminder",
        "user",
        "channel",
        "occurrence",
        "snooze_round",
        "due_at",
        "status",
        "available_at",
        "attempts",
        "last_error",
        "sent_at",
        "created_at",
    )
    actions = ["retry_deliveries"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the record of what was sent: it is the idempotency key, too

    @admin.action(description=_("Retry selected failed emails"), permissions=["change"])
    def retry_deliveries(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = services.retry_deliveries(delivery_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d email will be sent again.", "%(count)d emails will be sent again.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["title", "user", "kind", "created_at", "read_at"]
    list_select_related = ["user"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "user__email"]
    raw_id_fields = ["user"]
    ordering = ["-created_at"]
    show_full_result_count = False


@admin.register(CalendarEvent)
class CalendarEventAdmin(ReadOnlyAdmin):
    list_display = ["title", "user", "event_type", "all_day", "start_at", "end_at"]
    list_select_related = ["user"]
    list_filter = ["event_type", "all_day"]
    search_fields = ["title", "user__email", "=uid"]
    raw_id_fields = ["user"]
    ordering = ["-start_at"]
    show_full_result_count = False


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    list_display = ["user", "created_at", "last_fetched_at"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
    # token and token_hash are left out on purpose: the feed's address is its owner's secret.
    fields = readonly_fields = ("user", "created_at", "last_fetched_at")
