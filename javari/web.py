"""Web helpers every app's views use: htmx-aware sign-in, safe CSV downloads, the payments switch.

One named module (not ``utils.py``) so each concern has one copy: a fix here reaches every page.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, overload

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

View = Callable[..., HttpResponse]

# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- Sign-in --------------------------------------------------------------------------------------


@overload
def login_required(view: View, *, fallback: str | None = None) -> View: ...
@overload
def login_required(view: None = None, *, fallback: str | None = None) -> Callable[[View], View]: ...
def login_required(view: View | None = None, *, fallback: str | None = None) -> View | Callable[[View], View]:
    """Django's ``login_required``, answering htmx too.

    A signed-out browser asking for a page is redirected (302) to the sign-in page, as Django does.
    A signed-out htmx request gets ``HX-Redirect`` instead, so the whole page goes to the sign-in
    form rather than the form being swapped into a modal or a partial's target. ``next`` is the
    page the person was on (htmx's ``HX-Current-URL``, kept only when it is on our host), else
    this request's path, or ``fallback`` (a URL name) for a partial that is not a page of its own.

    Use as ``@login_required`` or ``@login_required(fallback="app:page")``.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.user.is_authenticated:
                return view(request, *args, **kwargs)
            here = reverse(fallback) if fallback else request.get_full_path()
            htmx = getattr(request, "htmx", None)
            if htmx:
                # current_url_abs_path is None unless HX-Current-URL has our scheme and host.
                return HttpResponseClientRedirect(redirect_to_login(htmx.current_url_abs_path or here).url)
            return redirect_to_login(here)

        return wrapper

    return decorate(view) if view is not None else decorate


# --- CSV ------------------------------------------------------------------------------------------


def csv_safe(value: object) -> object:
    """A cell as written to a CSV: text that a spreadsheet would run as a formula gets a leading
    apostrophe; numbers (and anything not text) stay as they are, so ``-5`` is still a number."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(*, filename: str, header: Iterable[str], rows: Iterable[Iterable[object]]) -> HttpResponse:
    """A CSV download (UTF-8) of ``header`` then ``rows``, every text cell through ``csv_safe``.

    A plain response filled from the iterator, not a streaming one: under ASGI a streaming
    response of a sync iterator would be read whole into memory anyway, in another thread.
    ``filename`` is ours (ASCII, no quotes), never user input.
    """
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(list(header))
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])
    return response


# --- Payments -------------------------------------------------------------------------------------


def payments_configured() -> bool:
    """Whether Stripe is set up (a secret key is set). Without it pages still show every plan and
    pack, with their buy buttons disabled, and no Stripe call is made."""
    return bool(settings.STRIPE_SECRET_KEY)
