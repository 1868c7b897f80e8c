"""The reminders pages: the list with its tabs and quick actions, the form with its live preview, a
reminder's own page.

- ``/reminders/``: Upcoming, Overdue, Done (``?tab=``), a filter by type (``?type=``), pages
  (``?page=``). Each row's actions are forms: with htmx they post in place (the row comes back
  re-rendered, or empty when it left the tab, with a message and the tab counts out of band);
  without JavaScript they post and redirect back to ``next`` (our own host only).
- ``/reminders/new/`` and ``/<id>/edit/``: the form; ``/reminders/preview/`` (POST, htmx) answers the
  schedule in words and its next five times, or the error for the field.
- ``/reminders/<id>/``: the reminder, its schedule, next occurrences and recent deliveries.

Dates are shown in the person's zone (``preferences.services.time_zone_of``): each response is
rendered under ``timezone.override`` of it. Anyone else's reminder is a 404, through every door.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format, number_format
from django.utils.http import urlencode
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.redirects import safe_next_url
from javari.errors import AppError, error_response
from javari.web import login_required
from preferences.services import time_zone_of
from reminders import selectors, services
from reminders.describe import describe
from reminders.errors import InvalidRecurrence, InvalidTimeZone, RemindersError
from reminders.forms import (
    RULE_KINDS,
    ReminderForm,
    ScheduleForm,
    SnoozeForm,
    add_service_errors,
    lead_in_units,
)
from reminders.models import Reminder, ReminderStatus, ReminderType
from reminders.recurrence import Schedule, zone_named

PREVIEW_COUNT = 5
NEXT_SHOWN = 5


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _zone(request: HttpRequest) -> str:
    return time_zone_of(_user(request))


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """``render`` with dates in the person's zone."""
    zone = _zone(request)
    with timezone.override(zone):
        response = render(request, template, {"user_zone": zone, **context}, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _local(request: HttpRequest, instant: datetime) -> str:
    """``instant`` as a person reads it: localized, in their zone."""
    return date_format(timezone.localtime(instant, zone_named(_zone(request))), "DATETIME_FORMAT")


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _tab_of(value: object) -> str:
    return value if isinstance(value, str) and value in selectors.TABS else "upcoming"


def _type_of(value: object) -> str:
    return value if isinstance(value, str) and value in ReminderType.values else ""


def _index_url(*, tab: str = "upcoming", reminder_type: str = "", page: int | None = None) -> str:
    query: dict[str, Any] = {}
    if tab != "upcoming":
        query["tab"] = tab
    if reminder_type:
        query["type"] = reminder_type
    if page and page > 1:
        query["page"] = page
    url = reverse("reminders:index")
    return f"{url}?{urlencode(query)}" if query else url


def _back(request: HttpRequest) -> str:
    """Where a plain POST returns: ``next`` when it is a path on our site, else the list."""
    wanted = request.POST.get("next") or ""
    fallback = reverse("reminders:index")
    # Only a path: redirect() would read any other word as a view name to reverse.
    return safe_next_url(request, wanted, fallback=fallback) if wanted.startswith("/") else fallback


# --- Rows -----------------------------------------------------------------------------------------


def _action_vals(*, tab: str, reminder_type: str, here: str) -> str:
    """What a row's htmx Delete link posts along (a link has no form fields): JSON for hx-vals."""
    values = {"tab": tab, "next": here}
    if reminder_type:
        values["type"] = reminder_type
    return json.dumps(values)


def lead_words(minutes: int) -> str:
    """A lead time as a person reads it: "1 day before", "90 minutes before", "At the due time"."""
    if not minutes:
        return _("At the due time")
    amount, unit = lead_in_units(minutes)
    count = number_format(amount, force_grouping=True)
    if unit == "days":
        return ngettext("%(count)s day before", "%(count)s days before", amount) % {"count": count}
    if unit == "hours":
        return ngettext("%(count)s hour before", "%(count)s hours before", amount) % {"count": count}
    return ngettext("%(count)s minute before", "%(count)s minutes before", amount) % {"count": count}


def channel_words(reminder: Reminder) -> str:
    if reminder.notify_email and reminder.notify_in_app:
        return _("By email and in the app")
    if reminder.notify_email:
        return _("By email")
    if reminder.notify_in_app:
        return _("In the app")
    return _("None: it only shows on your reminders pages")


def annotate(reminder: Reminder, *, language: str) -> Reminder:
    """Add what a row or the detail page shows: the schedule in words."""
    reminder.schedule_words = describe(services.schedule_of(reminder), language=language)  # type: ignore[attr-defined]
    return reminder


def _tab_links(counts: selectors.Counts, *, tab: str, reminder_type: str) -> list[dict[str, Any]]:
    labels = {"upcoming": _("Upcoming"), "overdue": pgettext("reminder list", "Overdue"), "done": _("Done")}
    return [
        {
            "name": name,
            "label": labels[name],
            "count": getattr(counts, name),
            "url": _index_url(tab=name, reminder_type=reminder_type),
            "current": name == tab,
        }
        for name in selectors.TABS
    ]


# --- The list -------------------------------------------------------------------------------------


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Upcoming, Overdue and Done, filtered by type, a page at a time."""
    user = _user(request)
    tab = _tab_of(request.GET.get("tab"))
    reminder_type = _type_of(request.GET.get("type"))
    now = timezone.now()
    page = selectors.tab_page(
        user=user, name=tab, reminder_type=reminder_type, page_number=request.GET.get("page"), now=now
    )
    language = get_language()
    page.object_list = [annotate(reminder, language=language) for reminder in page.object_list]
    counts = selectors.counts(user=user, reminder_type=reminder_type, now=now)
    context = {
        "tab": tab,
        "reminder_type": reminder_type,
        "types": ReminderType.choices,
        "tabs": _tab_links(counts, tab=tab, reminder_type=reminder_type),
        "counts": counts,
        "any_reminders": bool(counts.upcoming or counts.overdue or counts.done) or reminder_type,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        "page_url_base": _index_url(tab=tab, reminder_type=reminder_type),
        "here": request.get_full_path(),
        "action_vals": _action_vals(tab=tab, reminder_type=reminder_type, here=request.get_full_path()),
    }
    return _render(request, "reminders/index.html", context)


# --- The form -------------------------------------------------------------------------------------


def _form_context(form: ReminderForm, *, reminder: Reminder | None, request: HttpRequest) -> dict[str, Any]:
    preview = _preview_context(form, request=request) if form.is_bound else _initial_preview(form, request)
    return {"form": form, "reminder": reminder, "rule_kinds": [str(kind) for kind in RULE_KINDS], **preview}


def _initial_preview(form: ReminderForm, request: HttpRequest) -> dict[str, Any]:
    """The preview of an unbound form: its initial schedule, as if it had been posted."""
    initial = form.initial
    data = {
        "start_date": initial["start_date"].isoformat(),
        "start_time": initial["start_time"].strftime("%H:%M"),
        "time_zone": initial["time_zone"],
        "recurrence": initial["recurrence"],
        "rule": initial.get("rule", ""),
    }
    return _preview_context(ScheduleForm(data), request=request)


@require_http_methods(["GET", "POST"])
@login_required
def create(request: HttpRequest) -> HttpResponse:
    """A new reminder: the form, and on POST the service's answer (400 with the errors, nothing saved)."""
    user = _user(request)
    if request.method == "POST":
        form = ReminderForm(request.POST)
        if form.is_valid():
            try:
                reminder = services.create_reminder(user=user, **form.service_values())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Reminder “%(title)s” created.") % {"title": reminder.title})
                return redirect("reminders:index")
        return _render(
            request, "reminders/form.html", _form_context(form, reminder=None, request=request), status=400
        )
    form = ReminderForm(initial=ReminderForm.initial_for_new(services.defaults_for(user)))
    return _render(request, "reminders/form.html", _form_context(form, reminder=None, request=request))


@require_http_methods(["GET", "POST"])
@login_required
def edit(request: HttpRequest, reminder_id: UUID) -> HttpResponse:
    """Edit a reminder; a change of schedule restarts it from its next occurrence."""
    user = _user(request)
    reminder = services.get_reminder(user=user, reminder_id=reminder_id)
    if request.method == "POST":
        form = ReminderForm(request.POST, initial=ReminderForm.initial_for(reminder))
        if form.is_valid():
            try:
                reminder = services.update_reminder(
                    user=user, reminder_id=reminder.pk, **form.service_values()
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Reminder “%(title)s” saved.") % {"title": reminder.title})
                return redirect("reminders:detail", reminder_id=reminder.pk)
        return _render(
            request,
            "reminders/form.html",
            _form_context(form, reminder=reminder, request=request),
            status=400,
        )
    form = ReminderForm(initial=ReminderForm.initial_for(reminder))
    return _render(request, "reminders/form.html", _form_context(form, reminder=reminder, request=request))


def _preview_context(form: ScheduleForm, *, request: HttpRequest) -> dict[str, Any]:
    """The preview's context: the rule in words and the next five times, or the errors to fix."""
    schedule_fields = list(ScheduleForm.base_fields)
    form.is_valid()
    errors = {name: form.errors[name] for name in schedule_fields if name in form.errors}
    if errors:
        return {"preview_errors": _labelled(form, errors), "preview_times": [], "preview_words": ""}
    values = form.schedule_values()
    now = timezone.now()
    try:
        schedule = Schedule.of(**values)
        schedule.check_usable(now=now)
    except (InvalidRecurrence, InvalidTimeZone) as exc:
        field = (
            exc.field
            if values["recurrence"] in RULE_KINDS or isinstance(exc, InvalidTimeZone)
            else "start_time"
        )
        return {
            "preview_errors": [(str(form.fields[field].label), [str(exc)])],
            "preview_times": [],
            "preview_words": "",
        }
    return {
        "preview_errors": [],
        "preview_words": describe(schedule, language=get_language()),
        "preview_times": schedule.upcoming(after=now, count=PREVIEW_COUNT)
        if schedule.repeats
        else [schedule.first()],
        "preview_zone": schedule.zone.key,
        "preview_repeats": schedule.repeats,
    }


def _labelled(form: ScheduleForm, errors: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [
        (str(form.fields[name].label), [str(error) for error in field_errors])
        for name, field_errors in errors.items()
    ]


@require_POST
@never_cache
@login_required(fallback="reminders:new")
def preview(request: HttpRequest) -> HttpResponse:
    """The live preview (htmx): the schedule in words and its next five times in the person's zone.

    A schedule that can't be used is a 400 with the error for its field (the page swaps it in).
    """
    form = ScheduleForm(request.POST)
    context = _preview_context(form, request=request)
    return _render(
        request, "reminders/_preview.html", context, status=400 if context["preview_errors"] else 200
    )


# --- One reminder ---------------------------------------------------------------------------------


@require_GET
@login_required
def detail(request: HttpRequest, reminder_id: UUID) -> HttpResponse:
    """A reminder: its schedule in words, next occurrences, and its recent deliveries."""
    user = _user(request)
    reminder = annotate(services.get_reminder(user=user, reminder_id=reminder_id), language=get_language())
    upcoming: list[datetime] = []
    if reminder.is_open:
        schedule = services.schedule_of(reminder)
        upcoming = [reminder.due_at]
        if schedule.repeats:
            upcoming += schedule.upcoming(after=reminder.due_at, count=NEXT_SHOWN - 1)
    context = {
        "reminder": reminder,
        "upcoming": upcoming,
        "deliveries": selectors.deliveries_for(user=user, reminder=reminder),
        "here": request.get_full_path(),
        "overdue": reminder.status == ReminderStatus.PENDING and reminder.due_at < timezone.now(),
        "lead_text": lead_words(reminder.lead_minutes),
        "channels_text": channel_words(reminder),
    }
    return _render(request, "reminders/detail.html", context)


# --- Quick actions --------------------------------------------------------------------------------


def _after_action(request: HttpRequest, reminder_id: UUID, message: str) -> HttpResponse:
    """htmx: the row again (or nothing, when it left the tab), the message and the counts out of
    band; otherwise a redirect back to ``next`` with the message."""
    if not _is_htmx(request):
        messages.success(request, message)
        return HttpResponseRedirect(_back(request))
    user = _user(request)
    tab = _tab_of(request.POST.get("tab"))
    reminder_type = _type_of(request.POST.get("type"))
    now = timezone.now()
    row = (
        selectors.tab(user=user, name=tab, reminder_type=reminder_type, now=now)
        .filter(pk=reminder_id)
        .first()
        if request.POST.get("tab")
        else None
    )
    counts = selectors.counts(user=user, reminder_type=reminder_type, now=now)
    context = {
        "reminder": annotate(row, language=get_language()) if row else None,
        "message": message,
        "tab": tab,
        "reminder_type": reminder_type,
        "tabs": _tab_links(counts, tab=tab, reminder_type=reminder_type),
        "here": _back(request),
        "action_vals": _action_vals(tab=tab, reminder_type=reminder_type, here=_back(request)),
    }
    return _render(request, "reminders/_action_result.html", context)


def _refused(request: HttpRequest, error: AppError | ValidationError) -> HttpResponse:
    """A refused action, with its status: htmx gets the message in the page's status region (the
    row stays as it is); a plain POST gets the error page."""
    if isinstance(error, ValidationError):
        error = RemindersError(" ".join(str(message) for message in error.messages))
    if not _is_htmx(request):
        return error_response(request, error)
    response = _render(
        request, "reminders/_action_result.html", {"message": str(error), "error": True}, status=error.status
    )
    response["HX-Reswap"] = "none"
    response["X-Error-Code"] = error.code
    return response


def _refused_unless_missing(request: HttpRequest, error: AppError | ValidationError) -> HttpResponse:
    """A refusal answered in place; a missing reminder (or anyone else's) stays a 404 page."""
    if isinstance(error, AppError) and error.status == 404:
        raise error
    return _refused(request, error)


@require_POST
@login_required(fallback="reminders:index")
def complete(request: HttpRequest, reminder_id: UUID) -> HttpResponse:
    """Complete this occurrence (a recurring one moves on), or with ``series=1`` the whole series."""
    user = _user(request)
    series = request.POST.get("series") == "1"
    try:
        reminder = services.complete_reminder(user=user, reminder_id=reminder_id, series=series)
    except AppError as error:
        return _refused_unless_missing(request, error)
    if reminder.status != ReminderStatus.COMPLETED:
        message = _("“%(title)s” is done for now; next: %(when)s") % {
            "title": reminder.title,
            "when": _local(request, reminder.due_at),
        }
    elif series and reminder.repeats:
        message = _("“%(title)s”: the series is complete.") % {"title": reminder.title}
    else:
        message = _("“%(title)s” is done.") % {"title": reminder.title}
    return _after_action(request, reminder_id, message)


@require_POST
@login_required(fallback="reminders:index")
def snooze(request: HttpRequest, reminder_id: UUID) -> HttpResponse:
    """Snooze this occurrence: 10 minutes, 1 hour, tomorrow morning (09:00 in the person's zone),
    or until a chosen time (a wall time in the person's zone)."""
    user = _user(request)
    services.get_reminder(user=user, reminder_id=reminder_id)  # charlie: a 404 before any form error
    form = SnoozeForm(request.POST, zone_name=_zone(request))
    if not form.is_valid():
        errors = [str(error) for field_errors in form.errors.values() for error in field_errors]
        return _refused(request, ValidationError(errors))
    try:
        until = form.cleaned_data.get("until") or services.snooze_until(
            user=user, preset=form.cleaned_data.get("preset") or ""
        )
        reminder = services.snooze_reminder(user=user, reminder_id=reminder_id, until=until)
    except (AppError, ValidationError) as error:
        return _refused_unless_missing(request, error)
    when = _local(request, until)
    return _after_action(
        request,
        reminder_id,
        _("“%(title)s” snoozed until %(when)s") % {"title": reminder.title, "when": when},
    )


@require_POST
@login_required(fallback="reminders:index")
def cancel(request: HttpRequest, reminder_id: UUID) -> HttpResponse:
    """Cancel the reminder (the whole series): nothing more is sent."""
    try:
        reminder = services.cancel_reminder(user=_user(request), reminder_id=reminder_id)
    except AppError as error:
        return _refused_unless_missing(request, error)
    return _after_action(request, reminder_id, _("“%(title)s” cancelled.") % {"title": reminder.title})


@require_http_methods(["GET", "POST"])
@login_required
def delete(request: HttpRequest, reminder_id: UUID) -> HttpResponse:
    """Delete: GET asks to confirm (the page without JavaScript), POST deletes."""
    user = _user(request)
    reminder = services.get_reminder(user=user, reminder_id=reminder_id)
    if request.method == "GET":
        wanted = request.GET.get("next") or ""
        fallback = reverse("reminders:index")
        next_url = safe_next_url(request, wanted, fallback=fallback) if wanted.startswith("/") else fallback
        return _render(request, "reminders/delete.html", {"reminder": reminder, "next": next_url})
    title = reminder.title
    services.delete_reminder(user=user, reminder_id=reminder_id)
    message = _("“%(title)s” deleted.") % {"title": title}
    if not _is_htmx(request):
        messages.success(request, message)
        back = _back(request)
        detail_url = reverse("reminders:detail", kwargs={"reminder_id": reminder_id})
        return HttpResponseRedirect(reverse("reminders:index") if back.startswith(detail_url) else back)
    return _after_action(request, reminder_id, message)
