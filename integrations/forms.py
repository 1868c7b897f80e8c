"""The connect and edit forms, built from a provider's ``fields`` (``integrations.providers.Field``).

The forms only read what a person typed into the shapes the services take; the rules (a secret's
length and characters, a required field, a choice, a base URL's shape) are the services' own
(``integrations.services.connect``/``update_integration``), whose ``ValidationError`` by field is put
back on the form by ``add_service_errors``. No ``maxlength`` on the inputs: a pasted key cut short by
the browser would fail verification for a reason nobody could see.

Secrets are write-only (``javari.secrets.SecretField``): a form answered with errors never sends a
typed secret back (it asks for it again), and the edit form shows only the stored key's mask.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrations.models import Integration, RotationSchedule
from integrations.providers import Field, Provider
from javari.secrets import SecretField, SecretInput


class KeptSecretInput(SecretInput):
    """A password box and the mask of the key in use; no "Clear" box (a connection's key can be
    replaced, not removed: disconnect removes them all). ``stored_mask`` is set by the form."""

    stored_mask = ""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        box_attrs = {
            key: value
            for key, value in self.build_attrs(self.attrs, attrs).items()
            if key not in ("type", "name", "value")
        }
        box_attrs.setdefault("id", f"id_{name}")
        mask_id = f"{box_attrs['id']}_stored"
        if self.stored_mask:
            box_attrs["aria-describedby"] = " ".join(
                filter(None, [box_attrs.get("aria-describedby"), mask_id])
            )
        # Its own box, not SecretInput's: that one keeps only id, class and aria-describedby, and
        # the provider's placeholder and data-depends-on/data-when (which integrations.js reads to
        # show a custom API's password only for basic auth) would be lost.
        box = format_html(
            '<input type="password" name="{}" value="" autocomplete="new-password"{}>',
            name,
            flatatt({"spellcheck": "false", "autocapitalize": "off", **box_attrs}),
        )
        if not self.stored_mask:
            return box
        return format_html(
            '<span class="secret-input">{}'
            '<span class="secret-stored" id="{}">{} <code>{}</code>. {}</span></span>',
            box,
            mask_id,
            gettext("Stored:"),
            self.stored_mask,
            gettext("Leave blank to keep it, or type a new one to replace it."),
        )


class _ProviderForm(forms.Form):
    """The fields every connection has (its name, auto-rotation and schedule) and the provider's."""

    name = forms.CharField(
        label=_("Name"),
        required=False,  # the service says "Give this connection a name." (one wording everywhere)
        help_text=_("Your name for this connection, like “Production” or “Personal”."),
    )

    # The edit form: a secret left blank keeps the stored one, so none is required there.
    editing = False

    def __init__(self, *args: Any, provider: Provider, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.provider = provider
        for spec in provider.fields:
            self.fields[spec.name] = self._field_for(spec)
        self.fields["auto_rotate"] = forms.BooleanField(
            label=_("Rotate this key automatically"), required=False, help_text=self._rotation_help()
        )
        self.fields["rotation_schedule"] = forms.ChoiceField(
            label=_("Rotation schedule"),
            choices=RotationSchedule.choices,
            initial=RotationSchedule.MONTHLY,
            error_messages={"invalid_choice": _("Choose weekly, monthly or quarterly.")},
        )

    def _rotation_help(self) -> str:
        if self.provider.rotates_by_api:
            return gettext(
                "Javari makes a new key at %(provider)s on schedule, checks it, then revokes the old one."
            ) % {"provider": self.provider.name}
        return gettext(
            "%(provider)s can't make new keys through its API: Javari reminds you on schedule, "
            "with the steps, and checks the key you enter."
        ) % {"provider": self.provider.name}

    def _field_for(self, spec: Field) -> forms.Field:
        attrs: dict[str, Any] = {}
        if spec.placeholder:
            attrs["placeholder"] = spec.placeholder
        if spec.depends_on:
            # integrations.js shows the field only for its choice; without JavaScript all are shown.
            attrs["data-depends-on"] = spec.depends_on
            attrs["data-when"] = " ".join(spec.when)
        required = spec.required and not spec.depends_on
        field: forms.Field
        if spec.secret:
            field = SecretField(required=required and not self.editing, widget=KeptSecretInput(attrs=attrs))
        elif spec.choices:
            field = forms.ChoiceField(
                choices=[(value, label) for value, label in spec.choices],
                required=required,
                initial=spec.initial,
                widget=forms.Select(attrs=attrs),
                error_messages={"invalid_choice": _("Choose one of the options.")},
            )
        else:
            input_type = "url" if spec.kind == "url" else "text"
            if spec.kind == "integer":
                attrs["inputmode"] = "numeric"
            attrs.setdefault("spellcheck", "false")
            attrs.setdefault("autocapitalize", "off")
            field = forms.CharField(
                required=required,
                initial=spec.initial,
                widget=forms.TextInput(attrs={**attrs, "type": input_type}),
            )
        field.label = str(spec.label)
        field.help_text = str(spec.help_text)
        return field

    def provider_field_names(self) -> list[str]:
        return [spec.name for spec in self.provider.fields]

    def bound_provider_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.provider_field_names()]

    def values(self) -> dict[str, Any]:
        """The provider's fields as the services take them: a secret left blank is left out (on
        connect the service asks for it; on edit the stored one is kept), a field that applies only
        to another choice (a header name for basic auth) too."""
        data = self.cleaned_data
        values: dict[str, Any] = {}
        for spec in self.provider.fields:
            if spec.depends_on and str(data.get(spec.depends_on) or "") not in spec.when:
                continue
            value = data.get(spec.name)
            if spec.secret and not value:
                continue
            if value is None:
                continue
            values[spec.name] = value
        return values


class ConnectForm(_ProviderForm):
    """Connect to a provider: its fields, a name, auto-rotation and the schedule."""

    def __init__(self, *args: Any, provider: Provider, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"name": provider.name, "rotation_schedule": RotationSchedule.MONTHLY})
        super().__init__(*args, provider=provider, **kwargs)


class EditForm(_ProviderForm):
    """Edit a connection: its name, settings, a re-entered secret, auto-rotation and the schedule."""

    editing = True

    def __init__(
        self, *args: Any, provider: Provider, integration: Integration, masks: dict[str, str], **kwargs: Any
    ) -> None:
        initial = {
            "name": integration.name,
            "auto_rotate": integration.auto_rotate,
            "rotation_schedule": integration.rotation_schedule,
            **{
                spec.name: integration.config.get(spec.name, spec.initial)
                for spec in provider.config_fields()
            },
        }
        kwargs.setdefault("initial", initial)
        super().__init__(*args, provider=provider, **kwargs)
        for spec in provider.secret_fields():
            widget = self.fields[spec.name].widget
            if isinstance(widget, KeptSecretInput):
                widget.stored_mask = masks.get(spec.name, "")


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ``ValidationError`` (by field) onto ``form``; a field the form lacks is non-field."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)
