"""Connecting Gmail: ``start`` sends the person to Google's consent page, ``callback`` is where Google
sends them back.

1. ``start`` (POST, signed in, CSRF-checked) takes the connection's name and its auto-rotate
   choices, makes a ``state`` (RFC 6749 §10.12) and a PKCE ``code_verifier`` (RFC 7636), keeps both
   in this person's session, and redirects to Google.
2. ``callback`` (GET) takes the state out of the session (one use: a replayed or foreign state finds
   nothing), handles a refusal (``error=access_denied``), trades the code for tokens with the
   verifier, reads the mailbox's profile (the verification), and saves the connection with
   ``services.create_connected``. Tokens Google gave for a connection that then fails are revoked.

Every failure ends on the integrations page with a message saying what happened, never a 5xx; no
token reaches a message, a log line or the session.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from integrations import providers
from integrations.errors import ProviderError
from integrations.models import NAME_MAX_CHARS, RotationSchedule
from integrations.providers import Access
from integrations.providers.gmail import provider as gmail
from javari.web import login_required
from reminders.text import clean_text

SESSION_KEY = "integrations_gmail_flows"
# A consent page left open longer than this must be started again.
FLOW_SECONDS = 15 * 60
# Flows kept per session (several tabs); the oldest goes first.
FLOWS_KEPT = 5
STATE_MAX_CHARS = 200


def _integrations_page(integration_id: Any = None) -> str:
    """The integration's page, else the integrations list, else settings (pages another part builds)."""
    attempts: list[tuple[str, list[Any]]] = []
    if integration_id is not None:
        attempts.append(("integrations:detail", [integration_id]))
    attempts.append(("integrations:index", []))
    for name, args in attempts:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return "/settings/"


def _failed(request: HttpRequest, message: str) -> HttpResponse:
    messages.error(request, message)
    return HttpResponseRedirect(_integrations_page())


def _flows(request: HttpRequest, now: float) -> dict[str, dict[str, Any]]:
    """This session's flows still in time."""
    stored = request.session.get(SESSION_KEY)
    if not isinstance(stored, dict):
        return {}
    return {
        state: flow
        for state, flow in stored.items()
        if isinstance(flow, dict) and now - float(flow.get("started", 0)) < FLOW_SECONDS
    }


@never_cache
@require_POST
@login_required
def start(request: HttpRequest) -> HttpResponse:
    """Begin the OAuth flow: remember state and verifier in the session, go to Google."""
    if not gmail.configured():
        return _failed(
            request,
            _("Gmail isn't set up on this Javari: an administrator must add a Google OAuth client first."),
        )
    name = clean_text(request.POST.get("name", "")).strip() or "Gmail"
    if len(name) > NAME_MAX_CHARS:
        return _failed(
            request, _("Use at most %(limit)d characters for the name.") % {"limit": NAME_MAX_CHARS}
        )
    schedule = request.POST.get("rotation_schedule", RotationSchedule.MONTHLY)
    if schedule not in RotationSchedule.values:
        schedule = RotationSchedule.MONTHLY
    now = time.time()
    state = secrets.token_urlsafe(32)
    verifier = gmail.new_code_verifier()
    redirect_uri = request.build_absolute_uri(reverse("integrations_gmail:callback"))
    flows = _flows(request, now)
    flows[state] = {
        "verifier": verifier,
        "redirect_uri": redirect_uri,
        "name": name,
        "auto_rotate": request.POST.get("auto_rotate") in ("on", "true", "1"),
        "schedule": str(schedule),
        "started": now,
        "user": str(request.user.pk),
    }
    request.session[SESSION_KEY] = dict(
        sorted(flows.items(), key=lambda item: item[1]["started"])[-FLOWS_KEPT:]
    )
    return HttpResponseRedirect(
        gmail.authorization_url(redirect_uri=redirect_uri, state=state, code_verifier=verifier)
    )


@never_cache
@require_safe
@login_required
def callback(request: HttpRequest) -> HttpResponse:
    """Google's redirect back: check the state, trade the code, verify, save the connection."""
    from integrations import services

    now = time.time()
    state = request.GET.get("state", "")
    flows = _flows(request, now)
    flow = flows.pop(state, None) if 0 < len(state) <= STATE_MAX_CHARS else None
    request.session[SESSION_KEY] = flows  # one use, whatever happens next
    if flow is None or flow.get("user") != str(request.user.pk):
        return _failed(
            request, _("This Google sign-in has expired or was already used: connect Gmail again.")
        )
    error = request.GET.get("error", "")
    if error:
        if error == "access_denied":
            return _failed(request, _("You didn't allow Javari to use Gmail, so nothing was connected."))
        return _failed(
            request,
            _("Google didn't connect Gmail (%(error)s): try again.") % {"error": clean_text(error)[:60]},
        )
    code = request.GET.get("code", "")
    if not code or len(code) > 2_000:
        return _failed(request, _("Google sent no authorization code: connect Gmail again."))
    when = timezone.now()
    adapter = providers.get("gmail")
    try:
        tokens = gmail.exchange_code(
            code=code, code_verifier=flow["verifier"], redirect_uri=flow["redirect_uri"], now=when
        )
    except ProviderError as exc:
        return _failed(request, _("Gmail was not connected: %(reason)s") % {"reason": exc})
    access = Access(config={}, secrets=tokens.secrets)
    try:
        verification = adapter.verify(access)
    except ProviderError as exc:
        _revoke_quietly(adapter, access)
        return _failed(request, _("Gmail was not connected: %(reason)s") % {"reason": exc})
    integration = services.create_connected(
        user=request.user,  # type: ignore[arg-type]
        provider=adapter,
        name=str(flow["name"]),
        config={},
        secrets=tokens.secrets,
        verification=verification,
        auto_rotate=bool(flow["auto_rotate"]),
        rotation_schedule=str(flow["schedule"]),
        expires=tokens.expires,
        now=when,
    )
    messages.success(request, _("Gmail connected as %(account)s.") % {"account": verification.account})
    return HttpResponseRedirect(_integrations_page(integration.pk))


def _revoke_quietly(adapter: providers.Provider, access: Access) -> None:
    """Give back a grant we won't use; if Google can't be reached, the person can revoke it there."""
    with contextlib.suppress(ProviderError):
        adapter.disconnect(access)


__all__ = ["callback", "start"]
