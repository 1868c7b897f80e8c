from __future__ import annotations

from datetime import UTC, date, datetime, time

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User


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
