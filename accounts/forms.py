from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time

from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base import forms as mfa_base_forms
from allauth.mfa.base.internal.flows import check_rate_limit
from allauth.mfa.models import Authenticator
from allauth.mfa.totp import forms as mfa_totp_forms
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.mfa import UnreadableSecret, claim_totp_code, decrypt_secret
from accounts.models import User

logger = logging.getLogger(__name__)


class SignupForm(forms.Form):
    """Extra fields for allauth's signup form (it adds email and password)."""

    display_name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name", "placeholder": _("How Javari greets you")}),
    )

    def signup(self, request: object, user: User) -> None:
        """Called by allauth once the user is saved: keep the name they gave."""
        user.display_name = self.cleaned_data.get("display_name", "").strip()
        user.save(update_fields=["display_name"])


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class ThemeForm(forms.Form):
    theme = forms.ChoiceField(label=_("Theme"), choices=[("auto", ""), ("light", ""), ("dark", "")])
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class DeleteAccountForm(forms.Form):
    """Deleting an account is confirmed with the current password and the word DELETE."""

    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.CharField(
        label=_("Type DELETE to confirm"),
        help_text=_("This removes your account and everything in it. It cannot be undone."),
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your current password."))
        return password

    def clean_confirm(self) -> str:
        confirm = self.cleaned_data["confirm"].strip()
        # Accept the word in the reader's language too, so the instruction can be followed as read.
        if confirm.upper() not in {"DELETE", str(_("DELETE")).upper()}:
            raise forms.ValidationError(_("Type DELETE, in capitals, to confirm."))
        return confirm


class ApiKeyForm(forms.Form):
    """Create a personal API key: a name and an optional expiry date."""

    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        error_messages={"required": _("Give the key a name.")},
        help_text=_("Where the key is used, so you can tell keys apart, e.g. “CI server”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    expires_on = forms.DateField(
        label=_("Expires on (optional)"),
        required=False,
        help_text=_("The key stops working at the start of this day (UTC). Leave empty for no expiry."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_expires_on(self) -> date | None:
        expires_on = self.cleaned_data.get("expires_on")
        if expires_on is not None and expires_on <= timezone.now().astimezone(UTC).date():
            raise forms.ValidationError(_("Choose a date after today."))
        return expires_on

    @property
    def expires_at(self) -> datetime | None:
        """The chosen day's first moment in UTC, as the help text says."""
        expires_on = self.cleaned_data.get("expires_on")
        if expires_on is None:
            return None
        return datetime.combine(expires_on, time.min, tzinfo=UTC)


# --- Two-factor (allauth's forms, through MFA_FORMS) -----------------------------------------------


def _accepts_code(authenticator: Authenticator, code: str) -> bool:
    """Whether ``authenticator`` accepts ``code``, using it up. An authenticator whose stored
    secret can't be read refuses every code (and says so in the log) so the others still work."""
    try:
        if authenticator.type == Authenticator.Type.TOTP:
            secret = decrypt_secret(authenticator.data["secret"])
            return claim_totp_code(user_id=authenticator.user_id, secret=secret, code=code)
        return authenticator.wrap().validate_code(code)
    except (UnreadableSecret, KeyError) as error:
        logger.error(
            "Two-factor authenticator %s (%s) of user %s can't be read: %s",
            authenticator.pk,
            authenticator.type,
            authenticator.user_id,
            error,
        )
        return False


class _SingleUseCodeMixin:
    """allauth's code check, except that a TOTP code is claimed for its time step (single-use
    across every form) and an unreadable authenticator is skipped rather than a 500."""

    user: User
    cleaned_data: dict

    def clean_code(self) -> str:
        clear_rate_limit = check_rate_limit(self.user)
        code = self.cleaned_data["code"]
        main: Authenticator | None = None
        # WebAuthn can't validate typed codes.
        for authenticator in Authenticator.objects.filter(user=self.user).exclude(
            type=Authenticator.Type.WEBAUTHN
        ):
            if main is None or authenticator.type == Authenticator.Type.TOTP:
                main = authenticator  # failure signals go to the main authenticator only
            if _accepts_code(authenticator, code):
                authenticator.user = self.user
                self.authenticator = authenticator
                clear_rate_limit()
                return code
        if main is not None:
            self._emit_authentication_failed(main)
        raise get_mfa_adapter().validation_error("incorrect_code")


class AuthenticateForm(_SingleUseCodeMixin, mfa_base_forms.AuthenticateForm):
    """The second step of signing in."""


class ReauthenticateForm(_SingleUseCodeMixin, mfa_base_forms.ReauthenticateForm):
    """Confirming it's you before a security change."""


class ActivateTOTPForm(mfa_totp_forms.ActivateTOTPForm):
    """Turning TOTP on: the code typed here is used up, so it can't sign in again (allauth only
    checks it)."""

    def clean_code(self) -> str:
        code = super().clean_code()
        if not claim_totp_code(user_id=self.user.pk, secret=self.secret, code=code):
            raise get_mfa_adapter().validation_error("incorrect_code")
        return code
