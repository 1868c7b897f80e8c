"""The integration pages: the list, connect, an integration's page, edit, and its actions.

- ``/integrations/``: the providers (from the registry) with their state for this person, and their
  connections with status, last use and the rotation columns; disconnected ones below, folded.
- ``/integrations/connect/<provider>/``: the provider's form; saved only once the provider accepted
  it (``services.connect``), else the reason on the form (400). OAuth providers get a button instead.
- ``/integrations/<id>/``: status, account, masked keys, rotation, "Verify now", "Rotate now" (or
  the steps to rotate by hand), disconnect, and the activity log a page at a time.
- ``/integrations/<id>/edit/``: name, settings, a new key, auto-rotation and schedule.
- ``/integrations/<id>/verify/``, ``/rotate/`` (POST only) and ``/disconnect/`` (GET asks to confirm).

Every page that shows a masked key or a form with a secret field is ``Cache-Control: no-store``.
Dates are shown in the person's zone. Anyone else's integration is a 404, through every door.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.redirects import safe_next_url
from integrations import providers, selectors, services
from integrations.errors import IntegrationsError, UnknownProvider, VerificationFailed
from integrations.forms import ConnectForm, EditForm, add_service_errors
from integrations.models import ActivityAction, Integration, IntegrationStatus
from integrations.providers import Provider
from javari.errors import AppError, error_response
from javari.web import login_required
from preferences.services import time_zone_of


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """``render`` with dates in the person's zone."""
    zone = time_zone_of(_user(request))
    with timezone.override(zone):
        response = render(request, template, {"user_zone": zone, **context}, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def provider_or_none(slug: str) -> Provider | None:
    """The registered provider of ``slug``; None for one no longer (or not yet) registered."""
    try:
        return providers.get(slug)
    except UnknownProvider:
        return None


def _provider_for_url(slug: str) -> Provider:
    try:
        return providers.get(slug)
    except UnknownProvider:
        raise Http404 from None


def oauth_start_url(provider: Provider) -> str:
    """Where a "Connect with …" button posts, or "" while that flow's view isn't installed."""
    if not provider.uses_oauth or not provider.oauth_start_url_name:
        return ""
    try:
        return reverse(provider.oauth_start_url_name)
    except NoReverseMatch:
        return ""


def field_labels(provider: Provider | None) -> dict[str, str]:
    """Each secret field's label by name (a field no longer declared shows its name)."""
    return {spec.name: str(spec.label) for spec in provider.fields} if provider else {}


# --- The list -------------------------------------------------------------------------------------

# The spec's capabilities (§3.2) in words; a provider that declares another shows its slug.
CAPABILITY_LABELS = {
    "deploy": gettext_lazy("Deployments"),
    "logs": gettext_lazy("Logs"),
    "domains": gettext_lazy("Domains"),
    "environment_variables": gettext_lazy("Environment variables"),
    "database": gettext_lazy("Database"),
    "auth": gettext_lazy("Authentication"),
    "storage": gettext_lazy("Storage"),
    "edge_functions": gettext_lazy("Edge functions"),
    "read_email": gettext_lazy("Read email"),
    "send_email": gettext_lazy("Send email"),
    "search": gettext_lazy("Search"),
    "repos": gettext_lazy("Repositories"),
    "commits": gettext_lazy("Commits"),
    "pull_requests": gettext_lazy("Pull requests"),
    "actions": gettext_lazy("Actions"),
    "payments": gettext_lazy("Payments"),
    "subscriptions": gettext_lazy("Subscriptions"),
    "customers": gettext_lazy("Customers"),
    "custom": gettext_lazy("Any API you choose"),
}


@dataclass(frozen=True)
class ProviderCard:
    provider: Provider
    connected: int
    in_error: int
    connect_url: str

    @property
    def capabilities(self) -> list[str]:
        return [
            str(CAPABILITY_LABELS.get(slug, slug.replace("_", " "))) for slug in self.provider.capabilities
        ]

    @property
    def state(self) -> str:
        """ "error" when one of its connections fails, "connected", or "none"."""
        if self.in_error:
            return "error"
        return "connected" if self.connected else "none"


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The six providers with their state, and this person's connections."""
    user = _user(request)
    every = list(selectors.integrations_for(user=user, include_disconnected=True))
    live = [integration for integration in every if integration.is_active]
    cards = [
        ProviderCard(
            provider=provider,
            connected=sum(1 for i in live if i.provider == provider.slug),
            in_error=sum(
                1 for i in live if i.provider == provider.slug and i.status == IntegrationStatus.ERROR
            ),
            connect_url=reverse("integrations:connect", kwargs={"provider": provider.slug}),
        )
        for provider in providers.all_providers()
    ]
    names = {card.provider.slug: card.provider.name for card in cards}
    for integration in every:
        integration.provider_name = names.get(integration.provider, integration.provider)  # type: ignore[attr-defined]
    context = {
        "cards": cards,
        "connections": live,
        "disconnected": [integration for integration in every if not integration.is_active],
    }
    return _render(request, "integrations/index.html", context)


# --- Connect --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@never_cache  # a form with secret fields
@login_required
def connect(request: HttpRequest, provider: str) -> HttpResponse:
    """Connect: the provider's form; on POST, verified then saved, or the reason on the form (400)."""
    adapter = _provider_for_url(provider)
    context: dict[str, Any] = {"provider": adapter, "oauth_url": oauth_start_url(adapter)}
    if adapter.uses_oauth:
        # Connected through the provider's consent screen (its own view), never a typed secret.
        if request.method == "POST":
            return HttpResponse(status=405, headers={"Allow": "GET"})
        return _render(request, "integrations/connect.html", context)
    if request.method == "POST":
        form = ConnectForm(request.POST, provider=adapter)
        if form.is_valid():
            try:
                integration = services.connect(
                    user=_user(request),
                    provider=adapter.slug,
                    name=form.cleaned_data["name"],
                    values=form.values(),
                    auto_rotate=form.cleaned_data["auto_rotate"],
                    rotation_schedule=form.cleaned_data["rotation_schedule"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except VerificationFailed as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(
                    request,
                    _("Connected to %(provider)s: “%(name)s” works.")
                    % {"provider": adapter.name, "name": integration.name},
                )
                return redirect("integrations:detail", integration_id=integration.pk)
        return _render(request, "integrations/connect.html", {**context, "form": form}, status=400)
    return _render(request, "integrations/connect.html", {**context, "form": ConnectForm(provider=adapter)})


# --- One integration ------------------------------------------------------------------------------


def _integration(request: HttpRequest, integration_id: UUID) -> Integration:
    return services.get_integration(user=_user(request), integration_id=integration_id)


def _back_to(request: HttpRequest, integration: Integration) -> str:
    """Where an action returns: ``next`` when it is a path on our site, else the integration's page."""
    fallback = reverse("integrations:detail", kwargs={"integration_id": integration.pk})
    wanted = request.POST.get("next") or ""
    # Only a path: redirect() would read any other word as a view name to reverse.
    return safe_next_url(request, wanted, fallback=fallback) if wanted.startswith("/") else fallback


def _rotates_by_api(adapter: Provider | None, integration: Integration) -> bool:
    if adapter is None or not adapter.rotates_by_api or not integration.is_active:
        return False
    return adapter.rotates(services.access_for(integration))


@require_GET
@never_cache  # shows the keys' masks
@login_required
def detail(request: HttpRequest, integration_id: UUID) -> HttpResponse:
    """An integration: status, account, masked keys, rotation, actions and its activity."""
    user = _user(request)
    integration = _integration(request, integration_id)
    adapter = provider_or_none(integration.provider)
    labels = field_labels(adapter)
    masks = [
        {"field": name, "label": labels.get(name, name), "masked": masked}
        for name, masked in services.masked_secrets(integration).items()
    ]
    page = selectors.activity_page(
        user=user, integration_id=integration.pk, page_number=request.GET.get("page")
    )
    context = {
        "integration": integration,
        "provider": adapter,
        "provider_name": adapter.name if adapter else integration.provider,
        "masks": masks,
        "rotates_by_api": _rotates_by_api(adapter, integration),
        "rotate_url": reverse("integrations:rotate", kwargs={"integration_id": integration.pk}),
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
        "account": str(integration.config.get("account") or ""),
    }
    return _render(request, "integrations/detail.html", context)


@require_http_methods(["GET", "POST"])
@never_cache  # a form with secret fields
@login_required
def edit(request: HttpRequest, integration_id: UUID) -> HttpResponse:
    """Edit: name, settings, a new key (verified before it replaces the stored one), rotation."""
    user = _user(request)
    integration = _integration(request, integration_id)
    adapter = provider_or_none(integration.provider)
    if adapter is None or not integration.is_active:
        return error_response(request, IntegrationsError(_("This integration can't be edited any more.")))
    masks = services.masked_secrets(integration)
    if request.method == "POST":
        form = EditForm(request.POST, provider=adapter, integration=integration, masks=masks)
        if form.is_valid():
            try:
                integration = services.update_integration(
                    user=user,
                    integration_id=integration.pk,
                    name=form.cleaned_data["name"],
                    values=form.values(),
                    auto_rotate=form.cleaned_data["auto_rotate"],
                    rotation_schedule=form.cleaned_data["rotation_schedule"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except VerificationFailed as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            except AppError as exc:  # NotConnected: disconnected meanwhile; NotFound stays a 404
                if exc.status == 404:
                    raise
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("“%(name)s” saved.") % {"name": integration.name})
                return redirect("integrations:detail", integration_id=integration.pk)
        status = 400
    else:
        form = EditForm(provider=adapter, integration=integration, masks=masks)
        status = 200
    context = {"integration": integration, "provider": adapter, "form": form}
    return _render(request, "integrations/edit.html", context, status=status)


@require_POST
@login_required(fallback="integrations:index")
def verify(request: HttpRequest, integration_id: UUID) -> HttpResponse:
    """ "Verify now": one call to the provider with the current key; the result is a message."""
    integration = _integration(request, integration_id)
    try:
        integration = services.verify_integration(user=_user(request), integration_id=integration.pk)
    except AppError as exc:
        if exc.status == 404:
            raise
        messages.error(request, str(exc))
        return HttpResponseRedirect(_back_to(request, integration))
    # record_check: a refusal puts the connection in error; a timeout or 5xx only notes the reason.
    if integration.status == IntegrationStatus.ERROR:
        messages.error(
            request, _("Verification failed: %(reason)s") % {"reason": integration.status_detail or "—"}
        )
    elif integration.status_detail:
        messages.warning(
            request,
            _("%(provider)s couldn't be checked just now, so the connection is unchanged. %(reason)s")
            % {"provider": _provider_name(integration), "reason": integration.status_detail},
        )
    else:
        messages.success(request, _("Verified: the connection works."))
    return HttpResponseRedirect(_back_to(request, integration))


@require_POST
@login_required(fallback="integrations:index")
def rotate(request: HttpRequest, integration_id: UUID) -> HttpResponse:
    """ "Rotate now": a new key made, tested and put in use, the old one revoked (by API only).

    Each refusal is a message on the integration's page (a rotation already running, one that
    failed with the current key untouched, a provider that can't rotate by API), never a 5xx.
    """
    user = _user(request)
    integration = _integration(request, integration_id)
    try:
        integration = services.rotate_now(user=user, integration_id=integration.pk)
    except AppError as exc:
        if exc.status == 404:
            raise
        messages.error(request, str(exc))
        return HttpResponseRedirect(_back_to(request, integration))
    latest = selectors.activity_for(user=user, integration_id=integration.pk).first()
    if latest is not None and latest.action == ActivityAction.REVOKE_FAILED:
        messages.warning(request, latest.message)
    else:
        messages.success(request, _("Key rotated: the new key works and is now in use."))
    return HttpResponseRedirect(_back_to(request, integration))


def _provider_name(integration: Integration) -> str:
    adapter = provider_or_none(integration.provider)
    return str(adapter.name) if adapter else integration.provider


@require_http_methods(["GET", "POST"])
@login_required
def disconnect(request: HttpRequest, integration_id: UUID) -> HttpResponse:
    """Disconnect: GET asks to confirm (the page without JavaScript), POST disconnects."""
    integration = _integration(request, integration_id)
    if request.method == "GET":
        return _render(
            request,
            "integrations/disconnect.html",
            {"integration": integration, "provider_name": _provider_name(integration)},
        )
    integration = services.disconnect(user=_user(request), integration_id=integration.pk)
    messages.success(
        request,
        _("“%(name)s” is disconnected and its stored keys are deleted. Its history stays here.")
        % {"name": integration.name},
    )
    return HttpResponseRedirect(_back_to(request, integration))
