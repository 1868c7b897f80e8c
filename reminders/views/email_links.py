"""The pages behind a reminder email's signed links (``reminders.links``): no sign-in needed.

GET shows the reminder and a button; only the button's POST changes anything (mail scanners and
link previews fetch every link in a message). Pages speak the reminder owner's language (the
email's), whoever opens them. An expired link answers 410, a changed or other-action one 400, a
deleted reminder 404, each as a page that says so; an occurrence already done says that, and
nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from javari.errors import AppError
from reminders.emails import SNOOZE_CHOICES, due_text, language_of, local_text
from reminders.errors import LinkInvalid
from reminders.links import LinkTarget, complete_from_link, read_token, snooze_from_link


def _context(target: LinkTarget, **extra: Any) -> dict[str, Any]:
    from preferences.services import time_zone_of

    reminder = target.reminder
    zone = time_zone_of(reminder.user)
    return {
        "reminder": reminder,
        "due": due_text(reminder, zone_name=zone),
        "is_current": target.is_current,
        "app_url": f"/reminders/{reminder.pk}/",
        **extra,
    }


def _error(request: HttpRequest, error: AppError) -> HttpResponse:
    return render(request, "reminders/links/error.html", {"error": error}, status=error.status)


def _private(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Every answer of a link page (its errors and 405s too) is kept out of caches, search engines
    and the Referer of the next page: the token is in the address.

    No CSRF check: the unguessable token in the address is what a forged form would lack (a page
    that knows it could post it itself), and a refusal would only stop a mail app's browser that
    keeps no cookie, with the token in the 403's log line.
    """

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex"
        return response

    return wrapped


def _page(request: HttpRequest, action: str, token: str, handle: Any) -> HttpResponse:
    try:
        target = read_token(action=action, token=token)
    except AppError as error:
        return _error(request, error)
    with translation.override(language_of(target.reminder.user)):
        response: HttpResponse = handle(target)  # rendered here, in the owner's language
    return response


@_private
@require_http_methods(["GET", "HEAD"])
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """The reminder, read-only, with a way into the app."""
    return _page(
        request,
        "open",
        token,
        lambda target: render(request, "reminders/links/open.html", _context(target)),
    )


@_private
@require_http_methods(["GET", "HEAD", "POST"])
def complete_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the reminder and a "Mark as done" button; POST: mark the token's occurrence done."""

    def handle(target: LinkTarget) -> HttpResponse:
        if request.method != "POST":
            return render(request, "reminders/links/complete.html", _context(target))
        reminder = complete_from_link(target)
        if reminder is None:
            return render(
                request, "reminders/links/done.html", _context(target, outcome="already"), status=409
            )
        target = LinkTarget(reminder=reminder, occurrence=target.occurrence)
        return render(request, "reminders/links/done.html", _context(target, outcome="completed"))

    return _page(request, "complete", token, handle)


@_private
@require_http_methods(["GET", "HEAD", "POST"])
def snooze_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the reminder and the snooze choices (``?for=`` preselects one); POST ``for``: snooze it."""

    def handle(target: LinkTarget) -> HttpResponse:
        if request.method != "POST":
            chosen = request.GET.get("for", "")
            return render(
                request,
                "reminders/links/snooze.html",
                _context(target, choices=SNOOZE_CHOICES, chosen=chosen if chosen in SNOOZE_CHOICES else ""),
            )
        preset = request.POST.get("for", "")
        if preset not in SNOOZE_CHOICES:
            return render(
                request,
                "reminders/links/snooze.html",
                _context(target, choices=SNOOZE_CHOICES, chosen="", invalid=True),
                status=400,
            )
        try:
            reminder = snooze_from_link(target, preset=preset)
        except ValidationError:
            return _error(request, LinkInvalid())
        if reminder is None:
            return render(
                request, "reminders/links/done.html", _context(target, outcome="already"), status=409
            )
        from preferences.services import time_zone_of

        assert reminder.snoozed_until is not None
        until = local_text(reminder.snoozed_until, zone_name=time_zone_of(reminder.user))
        target = LinkTarget(reminder=reminder, occurrence=target.occurrence)
        return render(request, "reminders/links/done.html", _context(target, outcome="snoozed", until=until))

    return _page(request, "snooze", token, handle)
