"""The Django admin, branded Javari, reachable only by active staff who use two-factor auth."""

from __future__ import annotations

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts.redirects import safe_next_url


class JavariAdminSite(admin.AdminSite):
    site_header = _("Javari AI administration")
    site_title = _("Javari AI admin")
    index_title = _("Back office")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and is_mfa_enabled(user))

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """Sign-in goes through allauth, so its two-factor stage applies to the admin too.

        Staff who have not set up an authenticator are sent to set one up; anyone else who is
        signed in but not staff is refused.
        """
        # Only a page of this site: a signed-in staff user is redirected straight to it.
        next_url = safe_next_url(request, request.GET.get("next"), fallback=reverse("admin:index"))
        user = request.user
        if not user.is_authenticated:
            login_url = resolve_url("account_login")
            return HttpResponseRedirect(f"{login_url}?{urlencode({'next': next_url})}")
        if not (user.is_active and user.is_staff):
            raise PermissionDenied(_("Only staff can open the back office."))
        if not is_mfa_enabled(user):
            messages.warning(
                request,
                _("Staff must turn on two-factor authentication before opening the back office."),
            )
            activate_url = resolve_url("mfa_activate_totp")
            return HttpResponseRedirect(f"{activate_url}?{urlencode({'next': next_url})}")
        return HttpResponseRedirect(next_url)


# dj-stripe's custom actions (its admin's "action/<action>/<model>/" URLs) look the model up and
# call the handler by name from the URL, and parse the selected ids with int(): an unknown one was
# a 500 (issue 10). javari/urls.py routes them here first; known ones go on to dj-stripe's view.
def djstripe_custom_action(
    request: HttpRequest, admin_model: str, action_name: str, model_name: str
) -> HttpResponse:
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
    from djstripe.admin.views import ConfirmCustomAction

    known_model = any(
        model._meta.app_label == "djstripe" and model._meta.model_name == model_name == admin_model
        for model in admin.site._registry
    )
    # Its handlers are its own methods named "_resync_instances" and the like (never a dunder).
    known_action = (
        action_name.startswith("_")
        and not action_name.startswith("__")
        and callable(vars(ConfirmCustomAction).get(action_name))
    )
    if not (known_model and known_action):
        raise Http404
    if not all(pk.isdigit() for pk in request.POST.getlist(ACTION_CHECKBOX_NAME)):
        return HttpResponseBadRequest(_("Select the rows again."), content_type="text/plain")
    return ConfirmCustomAction.as_view()(request, action_name=action_name, model_name=model_name)
