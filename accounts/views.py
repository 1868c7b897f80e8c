"""Account pages of our own: language and theme switches, Security & Keys, account deletion.

Sign-up, sign-in, email, password, two-factor and sessions are allauth's views.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import DeleteAccountForm, LanguageForm, ThemeForm
from javari.shell import THEME_COOKIE


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language: saved on the user when signed in, and in the cookie."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Choose English or Spanish."), status=400, content_type="text/plain")
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        services.set_user_language(user=request.user, language=language)
    translation.activate(language)
    response = HttpResponseRedirect(_safe_next(request, form.cleaned_data["next"]))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


@require_POST
def set_theme(request: HttpRequest) -> HttpResponse:
    """Switch light, dark or auto. Kept in a cookie so the server renders the right one at once."""
    form = ThemeForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Choose auto, light or dark."), status=400, content_type="text/plain")
    response = HttpResponseRedirect(_safe_next(request, form.cleaned_data["next"]))
    response.set_cookie(
        THEME_COOKIE,
        form.cleaned_data["theme"],
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """Security & Keys: two-factor authentication, sessions, password, account deletion."""
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession

    authenticators = {a.type for a in Authenticator.objects.filter(user=request.user)}
    context = {
        "totp_enabled": Authenticator.Type.TOTP in authenticators,
        "recovery_codes_enabled": Authenticator.Type.RECOVERY_CODES in authenticators,
        "session_count": UserSession.objects.filter(user=request.user).count(),
    }
    return render(request, "accounts/security.html", context)


@login_required
def delete_account(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        services.delete_account(user=user)
        messages.success(request, _("Your account and all its data have been deleted."))
        return redirect("home")
    return render(request, "accounts/delete.html", {"form": form})
