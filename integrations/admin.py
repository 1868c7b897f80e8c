"""The integrations back office: people's connections, their credentials (masks only) and activity.

Everything is read-only here: a connection changes through ``integrations.services`` (the actions
"Verify now" and "Disconnect" call them), never by editing a row, which would skip the provider's
check. No page shows a secret: a credential appears as its mask (``javari.secrets.mask_secret``),
its ``value`` field is on no form, list or inline. Admin pages are ``never_cache`` already
(``AdminSite.admin_view``): ``Cache-Control: no-store``, so no cache keeps even the masks.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from integrations import services
from integrations.errors import NotConnected
from integrations.models import Activity, Credential, Integration, IntegrationStatus
from javari.secrets import mask_secret

# How many activity rows an integration's page shows (the rest: the activity list, filtered).
RECENT_ACTIVITY = 20


class CredentialInline(admin.TabularInline):
    """An integration's secrets, each as its mask and its life (made, expires, revoked)."""

    model = Credential
    # ``value`` is left out on purpose: only its mask is shown.
    fields = readonly_fields = (
        "field",
        "state",
        "masked_value",
        "upstream_id",
        "created_at",
        "expires_at",
        "revoked_at",
        "revoke_attempts",
        "revoke_error",
        "retired_at",
    )
    ordering = ["field", "-created_at"]
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=pgettext_lazy("credential", "value"))
    def masked_value(self, credential: Credential) -> str:
        return mask_secret(credential.value) or "—"


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "provider",
        "status",
        "auto_rotate",
        "next_rotation_at",
        "last_verified_at",
    ]
    list_select_related = ["user"]
    list_filter = ["provider", "status", "auto_rotate", "rotation_schedule"]
    search_fields = ["user__email", "user__display_name", "name"]
    raw_id_fields = ["user"]
    ordering = ["-created_at"]
    show_full_result_count = False
    fields = readonly_fields = (
        "id",
        "user",
        "provider",
        "name",
        "config",
        "status",
        "status_detail",
        "last_verified_at",
        "last_used_at",
        "key_expires_at",
        "auto_rotate",
        "rotation_schedule",
        "last_rotated_at",
        "next_rotation_at",
        "rotation_failures",
        "rotation_lease_until",
        "next_check_at",
        "created_at",
        "updated_at",
        "disconnected_at",
        "recent_activity",
    )
    inlines = [CredentialInline]
    actions = ["verify_now", "disconnect"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a connection is its owner's, made in the app where the provider checks it

    def has_change_permission(self, request: HttpRequest, obj: Integration | None = None) -> bool:
        # The list's actions need "change"; a row's page is read-only (an edit would skip the
        # provider's check and the activity log).
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Integration | None = None) -> bool:
        return False  # "Disconnect" keeps the row and its history

    @admin.display(description=_("recent activity"))
    def recent_activity(self, integration: Integration) -> SafeString:
        rows = integration.activity.order_by("-created_at")[:RECENT_ACTIVITY]
        table = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{row.created_at:%Y-%m-%d %H:%M}",
                    row.get_action_display(),
                    "✓" if row.success else "✗",
                    row.message,
                )
                for row in rows
            ),
        )
        changelist = reverse("admin:integrations_activity_changelist")
        everything = f"{changelist}?integration__id__exact={integration.pk}"
        return format_html(
            '<table><tbody>{}</tbody></table><p><a href="{}">{}</a></p>',
            table,
            everything,
            _("All of this integration's activity"),
        )

    @admin.action(description=pgettext_lazy("admin action", "Verify now"), permissions=["change"])
    def verify_now(self, request: HttpRequest, queryset: QuerySet[Integration]) -> None:
        working = failing = skipped = 0
        for integration in queryset.select_related("user"):
            try:
                checked = services.verify_integration(user=integration.user, integration_id=integration.pk)
            except NotConnected:
                skipped += 1
                continue
            if checked.status == IntegrationStatus.CONNECTED and not checked.status_detail:
                working += 1
            else:
                failing += 1
        self.message_user(
            request,
            ngettext("%(count)d integration works.", "%(count)d integrations work.", working)
            % {"count": working},
            messages.SUCCESS,
        )
        if failing:
            self.message_user(
                request,
                ngettext(
                    "%(count)d integration failed its check: see its activity.",
                    "%(count)d integrations failed their check: see their activity.",
                    failing,
                )
                % {"count": failing},
                messages.WARNING,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d disconnected integration skipped.",
                    "%(count)d disconnected integrations skipped.",
                    skipped,
                )
                % {"count": skipped},
                messages.INFO,
            )

    @admin.action(description=pgettext_lazy("admin action", "Disconnect"), permissions=["change"])
    def disconnect(self, request: HttpRequest, queryset: QuerySet[Integration]) -> None:
        count = 0
        for integration in queryset.select_related("user"):
            if integration.is_active:
                services.disconnect(user=integration.user, integration_id=integration.pk)
                count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d integration disconnected: its keys were deleted.",
                "%(count)d integrations disconnected: their keys were deleted.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["created_at", "integration", "user", "action", "success", "message"]
    list_select_related = ["integration", "user"]
    list_filter = ["action", "success"]
    search_fields = ["user__email", "integration__name", "message"]
    raw_id_fields = ["integration", "user"]
    ordering = ["-created_at"]
    show_full_result_count = False
    fields = readonly_fields = (
        "id",
        "integration",
        "user",
        "action",
        "success",
        "message",
        "metadata",
        "created_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
