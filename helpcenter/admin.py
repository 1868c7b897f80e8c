"""The help center in the back office: categories and articles (both languages side by side in tabs,
Markdown with a live preview), what people did (read-only), and the reports page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminTextInputWidget
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget
from modeltranslation.admin import TranslationAdmin

from helpcenter import selectors
from helpcenter.models import Article, Category, Interaction

# The periods the reports page offers, in days.
REPORT_PERIODS = (7, 30, 90, 365)
DEFAULT_REPORT_DAYS = 30


class TabbedAdmin(TranslationAdmin):
    """modeltranslation's tabbed admin (each language a tab), with the tabs script served from here:
    its ``TabbedTranslationAdmin`` loads jQuery UI from a CDN, which our Content-Security-Policy blocks."""

    class Media:
        js = (
            "admin/js/jquery.init.js",
            "modeltranslation/js/force_jquery.js",
            "helpcenter/admin/tabs.js",
            "modeltranslation/js/tabbed_translation_fields.js",
        )
        css = {"all": ("modeltranslation/css/tabbed_translation_fields.css",)}


@admin.register(Category)
class CategoryAdmin(TabbedAdmin):
    list_display = ["name", "slug", "is_feature", "order"]
    list_editable = ["order"]
    search_fields = ["slug", "name_en", "name_es"]


@admin.register(Article)
class ArticleAdmin(TabbedAdmin):
    list_display = ["title", "slug", "category", "order", "is_published", "updated_at"]
    list_filter = ["category", "is_published"]
    list_select_related = ["category"]
    search_fields = ["slug", "title_en", "title_es", "search_keywords_en", "search_keywords_es"]
    ordering = ["category__order", "order", "slug"]
    readonly_fields = ["created_at", "updated_at"]
    # The translated content_en/content_es are MarkdownxFields too (modeltranslation subclasses the
    # field): the editor with its live preview on each.
    # Titles, summaries and keywords run long: the admin's 20em text box cut them off.
    formfield_overrides = {
        MarkdownxField: {"widget": AdminMarkdownxWidget},
        models.CharField: {"widget": AdminTextInputWidget(attrs={"class": "vLargeTextField"})},
    }
    actions = ["publish", "unpublish"]

    @admin.action(description=_("Publish the selected articles"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._set_published(request, queryset, published=True)

    @admin.action(description=_("Unpublish the selected articles"), permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._set_published(request, queryset, published=False)

    def _set_published(self, request: HttpRequest, queryset: QuerySet[Article], *, published: bool) -> None:
        # Saved one by one, not queryset.update(): each save re-indexes the article (its post_save).
        changed = 0
        for article in queryset.exclude(is_published=published):
            article.is_published = published
            article.save(update_fields=["is_published", "updated_at"])
            changed += 1
        message = (
            ngettext("%(count)d article published.", "%(count)d articles published.", changed)
            if published
            else ngettext("%(count)d article unpublished.", "%(count)d articles unpublished.", changed)
        )
        self.message_user(request, message % {"count": changed}, messages.SUCCESS)


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "page_slug", "query", "result_count", "language", "user"]
    list_filter = ["kind", "language", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["=page_slug", "query"]
    raw_id_fields = ["user", "article"]
    show_full_result_count = False
    date_hierarchy = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # --- The reports page -----------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        reports = path(
            "reports/", self.admin_site.admin_view(self.reports_view), name="helpcenter_interaction_reports"
        )
        return [reports, *super().get_urls()]

    def reports_view(self, request: HttpRequest) -> HttpResponse:
        """Top searches, searches with no result, least helpful articles and weekly views."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        days = _days_from(request.GET.get("days", ""))
        until = timezone.now()
        since = until - dt.timedelta(days=days)
        weeks, weekly = selectors.weekly_views(until=until)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Help center reports"),
            "opts": self.model._meta,
            "days": days,
            "periods": REPORT_PERIODS,
            "since": since,
            "top_searches": selectors.top_searches(since=since, until=until),
            "no_results": selectors.searches_without_results(since=since, until=until),
            "least_helpful": selectors.least_helpful_articles(since=since, until=until),
            "weeks": weeks,
            "weekly": weekly,
        }
        return TemplateResponse(request, "admin/helpcenter/reports.html", context)


def _days_from(value: str) -> int:
    """One of ``REPORT_PERIODS`` (a number of days), else the default: anything else is ignored."""
    return (
        int(value)
        if value.isascii() and value.isdigit() and int(value) in REPORT_PERIODS
        else DEFAULT_REPORT_DAYS
    )
