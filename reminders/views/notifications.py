"""The notification centre's pages: the bell in the app shell (its badge, polled by htmx, and its
panel), the full list at /notifications/, and marking one or all read.

The badge is the one part every page polls (every ``NOTIFICATIONS_POLL_SECONDS``, 30 by default,
and when the window regains focus), so it costs one count on the partial unread index
(``reminders_notification_unread``). The panel is loaded only when the bell is opened.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from javari.web import login_required
from reminders.models import Notification
from reminders.services import notifications as centre

# How many notifications the bell's panel lists (the full list pages through them all).
PANEL_SIZE = 8
PAGE_SIZE = 25
BADGE_MAX = 9


def poll_seconds() -> int:
    """How often an open page asks for the badge (a setting, so a test can make it short)."""
    return max(1, int(getattr(settings, "NOTIFICATIONS_POLL_SECONDS", 30)))


def bell_context(user: User) -> dict[str, Any]:
    """What the bell's button shows: the unread count, its badge text ("9+" past 9) and its label."""
    count = centre.unread_count(user=user)
    if count:
        label = _("Notifications, %(count)s unread") % {"count": intcomma(count)}
    else:
        label = _("Notifications, none unread")
    return {
        "count": count,
        "badge": f"{BADGE_MAX}+" if count > BADGE_MAX else str(count),
        "label": label,
        "poll_seconds": poll_seconds(),
    }


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _shown_count(request: HttpRequest) -> int | None:
    """The count the page showed when it polled (hx-vals), to announce what is new; None if absent."""
    value = request.GET.get("shown", "")
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        return None
    return int(value)


@require_GET
@never_cache
@login_required(fallback="notifications:index")
def badge(request: HttpRequest) -> HttpResponse:
    """The bell's button (polled): the count and its label, and a polite announcement when it grew."""
    bell = bell_context(_user(request))
    shown = _shown_count(request)
    newest = None
    if shown is not None and bell["count"] > shown:
        newest = centre.recent(user=_user(request), limit=1).first()
    return render(request, "reminders/notifications/_badge.html", {"bell": bell, "newest": newest})


@require_GET
@never_cache
@login_required(fallback="notifications:index")
def panel(request: HttpRequest) -> HttpResponse:
    """The bell's panel: the newest notifications, with "Mark all as read" and the full list's link."""
    items = list(centre.recent(user=_user(request), limit=PANEL_SIZE))
    return render(request, "reminders/notifications/_panel.html", {"items": items})


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Every notification of the person, newest first, a page at a time."""
    notifications = Notification.objects.filter(user=_user(request)).order_by("-created_at", "-id")
    paginator = Paginator(notifications, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "reminders/notifications/index.html",
        {"page": page, "unread": centre.unread_count(user=_user(request))},
    )


def _next_url(request: HttpRequest, fallback: str) -> str:
    """Where to go after a form: its ``next`` when that is a path on this site, else ``fallback``."""
    candidate = request.POST.get("next", "")
    is_path = candidate.startswith("/") and not candidate.startswith("//")
    if is_path and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


@require_POST
@login_required(fallback="notifications:index")
def read(request: HttpRequest, notification_id: str) -> HttpResponse:
    """Mark one notification read and go where it leads (the list when it leads nowhere)."""
    notification = centre.mark_read(user=_user(request), notification_id=notification_id)
    target = notification.url or reverse("notifications:index")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ) or not target.startswith("/"):
        target = reverse("notifications:index")
    return redirect(target)


@require_POST
@login_required(fallback="notifications:index")
def read_all(request: HttpRequest) -> HttpResponse:
    """Mark every notification read: htmx gets the panel again (and the bell, out of band)."""
    centre.mark_all_read(user=_user(request))
    if getattr(request, "htmx", False):
        items = list(centre.recent(user=_user(request), limit=PANEL_SIZE))
        context = {
            "items": items,
            "bell": bell_context(_user(request)),
            "oob": True,
            "announce_all_read": True,
        }
        return render(request, "reminders/notifications/_panel.html", context)
    return redirect(_next_url(request, reverse("notifications:index")))
