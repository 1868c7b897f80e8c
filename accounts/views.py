"""Account pages of our own: language and theme switches, Security & Keys, API keys, deletion.

Sign-up, sign-in, email, password, two-factor and sessions are allauth's views.
"""

from __future__ import annotations

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from encrypted_model_fields.fields import decrypt_str, encrypt_str

from accounts import services
from accounts.forms import ApiKeyForm, DeleteAccountForm, LanguageForm, ThemeForm
from accounts.models import ApiKey
from accounts.redirects import safe_next_url
from integrations import selectors as integration_selectors
from javari.shell import THEME_COOKIE
from javari.web import login_required


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    return safe_next_url(request, candidate, fallback=reverse("home"))


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


def _security_context(request: HttpRequest, **extra: object) -> dict[str, object]:
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession

    authenticators = {a.type for a in Authenticator.objects.filter(user=request.user)}
    return {
        "totp_enabled": Authenticator.Type.TOTP in authenticators,
        "recovery_codes_enabled": Authenticator.Type.RECOVERY_CODES in authenticators,
        "session_count": UserSession.objects.filter(user=request.user).count(),
        # The (user, -created_at) index serves this list.
        "api_keys": ApiKey.objects.filter(user=request.user).order_by("-created_at"),
        "api_key_form": ApiKeyForm(),
        "max_api_keys": services.MAX_ACTIVE_API_KEYS,
        # The keys of the person's integrations (masked), beside their own API keys.
        "stored_credentials": integration_selectors.stored_credentials(user=request.user),
        **extra,
    }


# The key just created, kept for the one GET that follows the create POST (POST-redirect-GET):
# encrypted (the session is stored server-side, but a secret is never at rest in plaintext) and
# removed by that GET, so a reload or a later visit can't show it again.
NEW_API_KEY_SESSION_KEY = "accounts.new_api_key"


@login_required
@never_cache  # the page may carry a key just created: no cache, the back-forward one included
def security(request: HttpRequest) -> HttpResponse:
    """Security & Keys: two-factor authentication, sessions, password, API keys, account deletion."""
    return render(request, "accounts/security.html", _security_context(request, **_new_api_key(request)))


def _new_api_key(request: HttpRequest) -> dict[str, object]:
    """The key created by the POST just before, once: taken out of the session as it is read."""
    kept = request.session.pop(NEW_API_KEY_SESSION_KEY, None)
    if not isinstance(kept, dict):
        return {}
    api_key = ApiKey.objects.filter(user=request.user, pk=kept.get("id")).first()
    try:
        plaintext = decrypt_str(kept.get("key", ""))
    except (InvalidToken, TypeError, ValueError):
        return {}  # encrypted under a key since rotated away: the person creates another
    if api_key is None:
        return {}
    return {"new_api_key": api_key, "new_api_key_plaintext": plaintext}


@login_required
@require_POST
@never_cache
def create_api_key(request: HttpRequest) -> HttpResponse:
    """Create an API key, then redirect (303) to the page that shows it once. Reloading that page
    shows the list, not the key again, and creates nothing. Bad input: form errors, nothing created."""
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        try:
            api_key, plaintext = services.create_api_key(
                user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            request.session[NEW_API_KEY_SESSION_KEY] = {
                "id": str(api_key.pk),
                "key": encrypt_str(plaintext).decode("ascii"),
            }
            # The fragment names the panel's heading (tabindex="-1"): the browser focuses it on arrival,
            # so the key is announced even without JavaScript.
            response = HttpResponseRedirect(f"{reverse('accounts:security')}#new-api-key-heading")
            response.status_code = 303  # "see other": the browser GETs the page, whatever it POSTed
            return response
    return render(
        request, "accounts/security.html", _security_context(request, api_key_form=form), status=400
    )


def _add_service_errors(form: ApiKeyForm, error: ValidationError) -> None:
    fields = {"name": "name", "expires_at": "expires_on"}
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(fields.get(field), errors)
    else:
        form.add_error(None, error)


@login_required
@require_POST
def revoke_api_key(request: HttpRequest, key_id: str) -> HttpResponse:
    """Revoke one of the user's keys at once. Another user's key id is a 404, like a missing one."""
    try:
        api_key = services.revoke_api_key(user=request.user, key_id=key_id)
    except services.ApiKeyNotFound:
        raise Http404 from None
    messages.success(
        request,
        _("The API key “%(name)s” (%(prefix)s…) is revoked. Requests using it are refused from now on.")
        % {"name": api_key.name, "prefix": api_key.prefix},
    )
    return redirect(f"{reverse('accounts:security')}#api-keys")


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
