"""The calendar pages: month, week and agenda views, event pages, ``.ics`` downloads, the private
feed and the import.

Views are rendered on the server and work without JavaScript: every day, item and switch is a real
link, the month and week are tables with column headers. Times are shown in the person's zone
(``preferences.services.time_zone_of``); all-day events keep their own dates. Occurrences are
expanded for the visible range only (``services.items_between``).
"""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from accounts.models import User
from javari.web import login_required
from reminders import ical
from reminders import services as reminder_services
from reminders.calendar_forms import EventForm, ImportForm
from reminders.errors import CalendarImportError
from reminders.models import EventType
from reminders.recurrence import to_wall, zone_named
from reminders.services import calendar as services

# The agenda shows this many days from its first.
AGENDA_DAYS = 14
# The years a view can show (a link past them is a 404).
FIRST_YEAR, LAST_YEAR = services.EARLIEST.year + 1, services.LATEST.year - 1
# At most this many skipped events are listed, one message each, after an import.
MAX_SKIPPED_SHOWN = 20


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@dataclass(frozen=True)
class Shown:
    """An item as a view shows it: its start's wall time in the person's zone."""

    item: services.CalendarItem
    wall: datetime  # naive, the person's zone
    continues: bool = False  # an all-day event's later day

    @property
    def css(self) -> str:
        return f"cal-item cal-{self.item.category}"


def _prefs(user: User) -> tuple[str, int, str]:
    from preferences.services import get_preferences, time_zone_of

    prefs = get_preferences(user)
    return time_zone_of(user), int(prefs.week_start), prefs.calendar_view


def _today(zone_name: str) -> date:
    return to_wall(timezone.now(), zone_named(zone_name)).date()


def _checked(year: int, month: int = 1, day: int = 1) -> date:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404()
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise Http404() from exc


def _by_day(
    items: list[services.CalendarItem], zone_name: str, first: date, last: date
) -> dict[date, list[Shown]]:
    """Each day in [first, last] with its items: all-day events on each of their days, timed ones
    on their start's day in the person's zone."""
    zone = zone_named(zone_name)
    days: dict[date, list[Shown]] = {}
    for item in items:
        wall = to_wall(item.start, zone)
        if item.all_day and item.first_day is not None and item.last_day is not None:
            day = max(item.first_day, first)
            while day <= min(item.last_day, last):
                shown = Shown(item, datetime.combine(day, time()), continues=day != item.first_day)
                days.setdefault(day, []).append(shown)
                day += timedelta(days=1)
        elif first <= wall.date() <= last:
            days.setdefault(wall.date(), []).append(Shown(item, wall))
    for day_items in days.values():
        day_items.sort(key=lambda s: (not s.item.all_day, s.wall, s.item.title.casefold()))
    return days


def _visible(
    user: User, zone_name: str, first: date, last: date
) -> tuple[dict[date, list[Shown]], list[str]]:
    start, end = services.utc_day_range(first=first, last=last, zone_name=zone_name)
    # All-day events keep their own zone's dates: a day's margin either side catches those whose
    # zone is ahead of or behind the person's.
    visible = services.items_between(user=user, start=start - timedelta(days=1), end=end + timedelta(days=1))
    return _by_day(visible.items, zone_name, first, last), visible.truncated


def _feed_context(request: HttpRequest, user: User) -> dict[str, Any]:
    token = services.feed_token(user=user)
    if token is None:
        return {"feed_url": "", "webcal_url": ""}
    url = request.build_absolute_uri(reverse("calendar:feed", args=[token]))
    return {"feed_url": url, "webcal_url": "webcal://" + url.split("://", 1)[1]}


def _base_context(request: HttpRequest, *, view: str, anchor: date, zone_name: str) -> dict[str, Any]:
    today = _today(zone_name)
    return {
        "view": view,
        "anchor": anchor,
        "today": today,
        "zone_name": zone_name,
        "views": [
            ("month", _("Month"), reverse("calendar:month", args=[anchor.year, anchor.month])),
            ("week", _("Week"), reverse("calendar:week", args=[anchor.year, anchor.month, anchor.day])),
            ("agenda", _("Agenda"), reverse("calendar:agenda", args=[anchor.year, anchor.month, anchor.day])),
        ],
        "new_event_url": reverse("calendar:event_new") + f"?date={anchor.isoformat()}",
        **_feed_context(request, _user(request)),
    }


def _day_url(day: date) -> str:
    return reverse("calendar:agenda", args=[day.year, day.month, day.day])


def _shift_month(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The calendar in the person's default view (Settings → Calendar & Scheduling), at today."""
    user = _user(request)
    zone_name, week_start, default_view = _prefs(user)
    today = _today(zone_name)
    if default_view == "week":
        return _week(request, today, zone_name, week_start)
    if default_view == "agenda":
        return _agenda(request, today, zone_name)
    return _month(request, today, zone_name, week_start)


@require_GET
@login_required
def month(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """A month: a table of weeks starting on the person's week start."""
    zone_name, week_start, _view = _prefs(_user(request))
    return _month(request, _checked(year, month), zone_name, week_start)


def _month(request: HttpRequest, anchor: date, zone_name: str, week_start: int) -> HttpResponse:
    first_of_month = anchor.replace(day=1)
    weeks = pycalendar.Calendar(firstweekday=week_start).monthdatescalendar(anchor.year, anchor.month)
    days, truncated = _visible(_user(request), zone_name, weeks[0][0], weeks[-1][-1])
    rows = [
        [
            {
                "date": day,
                "in_month": day.month == anchor.month,
                "items": days.get(day, []),
                "url": _day_url(day),
                "new_url": reverse("calendar:event_new") + f"?date={day.isoformat()}",
            }
            for day in week
        ]
        for week in weeks
    ]
    previous, following = _shift_month(first_of_month, -1), _shift_month(first_of_month, 1)
    context = _base_context(request, view="month", anchor=first_of_month, zone_name=zone_name)
    context.update(
        weekdays=weeks[0],
        weeks=rows,
        truncated=truncated,
        prev_url=reverse("calendar:month", args=[previous.year, previous.month]),
        next_url=reverse("calendar:month", args=[following.year, following.month]),
        today_url=reverse("calendar:month", args=[context["today"].year, context["today"].month]),
    )
    _check_nav(previous, following)
    return render(request, "reminders/calendar/month.html", context)


def _check_nav(previous: date, following: date) -> None:
    # The prev/next links never lead past the years a view shows.
    if previous.year < FIRST_YEAR or following.year > LAST_YEAR:
        raise Http404()


@require_GET
@login_required
def week(request: HttpRequest, year: int, month: int, day: int) -> HttpResponse:
    """A week: seven columns from the person's week start, an all-day row, then the hours with items."""
    zone_name, week_start, _view = _prefs(_user(request))
    return _week(request, _checked(year, month, day), zone_name, week_start)


def _week(request: HttpRequest, anchor: date, zone_name: str, week_start: int) -> HttpResponse:
    first = anchor - timedelta(days=(anchor.weekday() - week_start) % 7)
    week_days = [first + timedelta(days=n) for n in range(7)]
    days, truncated = _visible(_user(request), zone_name, week_days[0], week_days[-1])
    all_day_row = [[s for s in days.get(day, []) if s.item.all_day] for day in week_days]
    hours = sorted({s.wall.hour for items in days.values() for s in items if not s.item.all_day})
    hour_rows = [
        {
            "label": time(hour, 0),
            "cells": [
                [s for s in days.get(day, []) if not s.item.all_day and s.wall.hour == hour]
                for day in week_days
            ],
        }
        for hour in hours
    ]
    previous, following = first - timedelta(days=7), first + timedelta(days=7)
    _check_nav(previous, following)
    context = _base_context(request, view="week", anchor=anchor, zone_name=zone_name)
    today = context["today"]
    context.update(
        week_days=[{"date": day, "url": _day_url(day)} for day in week_days],
        all_day_row=all_day_row,
        has_all_day=any(all_day_row),
        hour_rows=hour_rows,
        first=week_days[0],
        last=week_days[-1],
        truncated=truncated,
        prev_url=reverse("calendar:week", args=[previous.year, previous.month, previous.day]),
        next_url=reverse("calendar:week", args=[following.year, following.month, following.day]),
        today_url=reverse("calendar:week", args=[today.year, today.month, today.day]),
    )
    return render(request, "reminders/calendar/week.html", context)


@require_GET
@login_required
def agenda(request: HttpRequest, year: int, month: int, day: int) -> HttpResponse:
    """The agenda: the next 14 days from a day, as a list grouped by day."""
    zone_name, _start, _view = _prefs(_user(request))
    return _agenda(request, _checked(year, month, day), zone_name)


def _agenda(request: HttpRequest, anchor: date, zone_name: str) -> HttpResponse:
    last = anchor + timedelta(days=AGENDA_DAYS - 1)
    days, truncated = _visible(_user(request), zone_name, anchor, last)
    previous, following = anchor - timedelta(days=AGENDA_DAYS), anchor + timedelta(days=AGENDA_DAYS)
    _check_nav(previous, following)
    context = _base_context(request, view="agenda", anchor=anchor, zone_name=zone_name)
    today = context["today"]
    context.update(
        agenda_days=[{"date": day, "items": days[day]} for day in sorted(days)],
        first=anchor,
        last=last,
        days_count=AGENDA_DAYS,
        truncated=truncated,
        prev_url=reverse("calendar:agenda", args=[previous.year, previous.month, previous.day]),
        next_url=reverse("calendar:agenda", args=[following.year, following.month, following.day]),
        today_url=reverse("calendar:agenda", args=[today.year, today.month, today.day]),
    )
    return render(request, "reminders/calendar/agenda.html", context)


# --- Events ---------------------------------------------------------------------------------------


def _event_context(event: Any, zone_name: str) -> dict[str, Any]:
    viewer_zone = zone_named(zone_name)
    context: dict[str, Any] = {
        "event": event,
        "type_label": EventType(event.event_type).label,
        "wall_start": services.event_wall_start(event),
        "wall_end": services.event_wall_end(event),
        "viewer_zone": zone_name,
        "repeats_label": EventForm.preset_label(event.rule, event.start_date),
    }
    if not event.all_day and event.time_zone != zone_name:
        context["local_start"] = to_wall(event.start_at, viewer_zone)
        context["local_end"] = to_wall(event.end_at, viewer_zone)
    return context


@require_GET
@login_required
def event_detail(request: HttpRequest, event_id: UUID) -> HttpResponse:
    """One event: when, how it repeats, its description, and what can be done with it."""
    user = _user(request)
    event = services.get_event(user=user, event_id=event_id)
    zone_name, _start, _view = _prefs(user)
    return render(request, "reminders/calendar/event_detail.html", _event_context(event, zone_name))


def _new_initial(request: HttpRequest, zone_name: str) -> dict[str, Any]:
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = _today(zone_name)
    if not services.EARLIEST <= day <= services.LATEST:
        day = _today(zone_name)
    return EventForm.initial_for(
        {
            "start": datetime.combine(day, time(9, 0)),
            "end": datetime.combine(day, time(10, 0)),
            "time_zone": zone_name,
        }
    )


@require_http_methods(["GET", "POST"])
@login_required
def event_new(request: HttpRequest) -> HttpResponse:
    """Create an event (``?date=YYYY-MM-DD`` fills in the day)."""
    user = _user(request)
    zone_name, _start, _view = _prefs(user)
    initial = _new_initial(request, zone_name)
    if request.method == "POST":
        form = EventForm(request.POST, initial=initial)
        if form.is_valid():
            try:
                event = services.create_event(user=user, **form.event_values())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Event “%(title)s” added.") % {"title": event.title})
                return redirect("calendar:event", event_id=event.id)
        return render(
            request, "reminders/calendar/event_form.html", {"form": form, "event": None}, status=400
        )
    form = EventForm(initial=initial)
    return render(request, "reminders/calendar/event_form.html", {"form": form, "event": None})


@require_http_methods(["GET", "POST"])
@login_required
def event_edit(request: HttpRequest, event_id: UUID) -> HttpResponse:
    """Edit an event; a change of repeat rule applies to the whole series."""
    user = _user(request)
    event = services.get_event(user=user, event_id=event_id)
    initial = EventForm.initial_for(services.editable_values(event))
    if request.method == "POST":
        form = EventForm(request.POST, initial=initial)
        if form.is_valid():
            try:
                event = services.update_event(user=user, event_id=event.id, **form.event_values())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Event “%(title)s” saved.") % {"title": event.title})
                return redirect("calendar:event", event_id=event.id)
        return render(
            request, "reminders/calendar/event_form.html", {"form": form, "event": event}, status=400
        )
    form = EventForm(initial=initial)
    return render(request, "reminders/calendar/event_form.html", {"form": form, "event": event})


@require_http_methods(["GET", "POST"])
@login_required
def event_delete(request: HttpRequest, event_id: UUID) -> HttpResponse:
    """Ask, then delete an event (the whole series)."""
    user = _user(request)
    event = services.get_event(user=user, event_id=event_id)
    if request.method == "POST":
        services.delete_event(user=user, event_id=event.id)
        messages.success(request, _("Event “%(title)s” deleted.") % {"title": event.title})
        return redirect("calendar:index")
    return render(request, "reminders/calendar/event_delete.html", {"event": event})


# --- iCalendar ------------------------------------------------------------------------------------


def _ics_response(body: bytes, *, filename: str | None = None) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_safe
@login_required
def event_ics(request: HttpRequest, event_id: UUID) -> HttpResponse:
    """One event as an ``.ics`` file."""
    event = services.get_event(user=_user(request), event_id=event_id)
    body = ical.build_calendar(events=[event], reminders=[], now=timezone.now(), base_url=_base_url(request))
    return _ics_response(body, filename=f"event-{event.id}.ics")


@require_safe
@login_required
def reminder_ics(request: HttpRequest, reminder_id: UUID) -> HttpResponse:
    """One reminder as an ``.ics`` file (its series as an RRULE, its notice as an alarm)."""
    reminder = reminder_services.get_reminder(user=_user(request), reminder_id=reminder_id)
    body = ical.build_calendar(
        events=[],
        reminders=[reminder],
        now=timezone.now(),
        base_url=_base_url(request),
        reminder_url=services.reminder_url,
    )
    return _ics_response(body, filename=f"reminder-{reminder.id}.ics")


@require_safe
@never_cache
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private feed calendar apps subscribe to: no sign-in, the token is the key (404 otherwise)."""
    owner = services.feed_owner(token=token)
    events, reminders = services.feed_contents(user=owner)
    body = ical.build_calendar(
        events=events,
        reminders=reminders,
        name="Javari AI",
        now=timezone.now(),
        base_url=_base_url(request),
        reminder_url=services.reminder_url,
    )
    response = _ics_response(body)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required(fallback="calendar:index")
def feed_reset(request: HttpRequest) -> HttpResponse:
    """Make the feed's address (the first, or a new one: the old one stops working)."""
    had_one = services.feed_token(user=_user(request)) is not None
    services.reset_feed(user=_user(request))
    if had_one:
        messages.success(request, _("Your calendar has a new address. The old one no longer works."))
    else:
        messages.success(request, _("Your calendar's private address is ready."))
    return redirect(reverse("calendar:index") + "#subscribe")


@require_http_methods(["GET", "POST"])
@login_required
def import_ics(request: HttpRequest) -> HttpResponse:
    """Import an ``.ics`` file's events; a summary says what was imported and why any were skipped."""
    if request.method != "POST":
        return render(request, "reminders/calendar/import.html", _import_context(ImportForm()))
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(services.IMPORT_MAX_BYTES + 1)
        try:
            summary = services.import_calendar(user=_user(request), data=data)
        except CalendarImportError as exc:
            form.add_error("file", str(exc))
        else:
            _summary_messages(request, summary)
            return redirect("calendar:import")
    return render(request, "reminders/calendar/import.html", _import_context(form), status=400)


def _import_context(form: ImportForm) -> dict[str, Any]:
    return {"form": form, "max_bytes": services.IMPORT_MAX_BYTES}


def _summary_messages(request: HttpRequest, summary: services.ImportSummary) -> None:
    skipped = len(summary.skipped)
    text = " ".join(
        [
            ngettext("Imported %(count)s event,", "Imported %(count)s events,", summary.created)
            % {"count": number_format(summary.created, force_grouping=True)},
            ngettext("updated %(count)s,", "updated %(count)s,", summary.updated)
            % {"count": number_format(summary.updated, force_grouping=True)},
            ngettext("skipped %(count)s.", "skipped %(count)s.", skipped)
            % {"count": number_format(skipped, force_grouping=True)},
        ]
    )
    (messages.warning if skipped else messages.success)(request, text)
    for label, reason in summary.skipped[:MAX_SKIPPED_SHOWN]:
        messages.warning(request, _("Skipped “%(event)s”: %(reason)s") % {"event": label, "reason": reason})
    if skipped > MAX_SKIPPED_SHOWN:
        more = skipped - MAX_SKIPPED_SHOWN
        messages.warning(
            request,
            ngettext("…and %(count)s more skipped.", "…and %(count)s more skipped.", more)
            % {"count": number_format(more, force_grouping=True)},
        )
