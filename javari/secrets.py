"""Write-only secrets in forms: a stored key is never sent back to a browser, staff's included.

A secret (a chat model's provider key, an integration credential) is shown once, when it is typed.
After that every form shows only a mask ("•••• 4f2a") and three ways forward:

- leave the field blank: the stored secret is kept;
- type a new one: it replaces the stored one;
- tick "Clear": the stored secret is removed on purpose (blank alone never clears it).

Use :class:`SecretField` on a form (its widget is :class:`SecretInput`), or in an admin
``formfield_overrides = SECRET_FORMFIELD_OVERRIDES`` for encrypted model fields. Where a secret is
only displayed (a read-only admin page), show :func:`mask_secret` of it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from encrypted_model_fields.fields import EncryptedCharField, EncryptedTextField

MASK = "••••"
# Shorter secrets show no tail at all: four characters of a ten-character key are too many to give away.
MIN_LENGTH_FOR_TAIL = 16
TAIL_LENGTH = 4
CLEAR_SUFFIX = "__clear"


class _Contradiction:
    """A new secret typed *and* "Clear" ticked: which one was meant is not ours to guess."""


CONTRADICTION = _Contradiction()


def mask_secret(value: str | None) -> str:
    """What a person may see of a stored secret: a mask, with its last four characters if it is long."""
    if not value:
        return ""
    if len(value) < MIN_LENGTH_FOR_TAIL:
        return MASK
    return f"{MASK} {value[-TAIL_LENGTH:]}"


class SecretInput(forms.Widget):
    """An empty password box, the mask of what is stored, and a "Clear" checkbox when something is."""

    input_type = "password"

    def clear_name(self, name: str) -> str:
        return f"{name}{CLEAR_SUFFIX}"

    def value_from_datadict(self, data: Any, files: Any, name: str) -> str | _Contradiction | None:
        """The typed secret; ``""`` to clear; ``None`` to keep what is stored (a blank box)."""
        typed = data.get(name) or ""
        clear = data.get(self.clear_name(name)) not in (None, "", "0", "false", "off")
        if clear and typed:
            return CONTRADICTION
        if clear:
            return ""
        return typed or None

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and self.clear_name(name) not in data

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        # `value` is the stored plaintext (SecretBoundField.value): only its mask reaches the page.
        stored = value if isinstance(value, str) else ""
        final_attrs = self.build_attrs(self.attrs, attrs)
        input_id = final_attrs.get("id") or f"id_{name}"
        mask_id = f"{input_id}_stored"
        described_by = " ".join(
            filter(None, [final_attrs.get("aria-describedby"), mask_id if stored else ""])
        )
        box = format_html(
            '<input type="password" name="{}" id="{}" value="" autocomplete="new-password" '
            'spellcheck="false" autocapitalize="off"{}{}{}>',
            name,
            input_id,
            format_html(' class="{}"', final_attrs["class"]) if final_attrs.get("class") else "",
            format_html(' aria-describedby="{}"', described_by) if described_by else "",
            format_html(' maxlength="{}"', final_attrs["maxlength"]) if final_attrs.get("maxlength") else "",
        )
        if not stored:
            return box
        clear_id = f"{input_id}{CLEAR_SUFFIX}"
        return format_html(
            # One wrapper, so a flex row (the admin's) keeps the parts stacked; vCheckboxLabel keeps
            # the admin from giving the checkbox's label the width of a field label.
            '<div class="secret-input">{}<div class="secret-stored" id="{}">{} <code>{}</code>. {}</div>'
            '<div class="secret-clear"><input type="checkbox" name="{}" id="{}"> '
            '<label class="vCheckboxLabel" for="{}">{}</label></div></div>',
            box,
            mask_id,
            gettext("Stored:"),
            mask_secret(stored),
            gettext("Leave blank to keep it, or type a new one to replace it."),
            self.clear_name(name),
            clear_id,
            clear_id,
            gettext("Clear the stored value"),
        )


class SecretBoundField(BoundField):
    @property
    def data(self) -> Any:
        # A blank box keeps what is stored: to every check (cleaning, has_changed) the data is the initial.
        data = super().data
        return self.initial if data is None else data

    def value(self) -> Any:
        # What the widget renders from: what is stored (as a mask), never what was typed, so a form
        # answered with errors doesn't send a typed secret back either.
        return self.initial


class SecretField(forms.CharField):
    """A write-only secret: blank keeps the stored one, a typed one replaces it, "Clear" removes it."""

    widget = SecretInput
    bound_field_class = SecretBoundField
    default_error_messages = {
        "contradiction": _("Type a new value or tick “Clear the stored value”, not both."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("strip", True)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        if value is CONTRADICTION:
            raise ValidationError(self.error_messages["contradiction"], code="contradiction")
        return super().to_python(value)


# For ModelAdmin.formfield_overrides: every encrypted text field of the model is a write-only secret.
SECRET_FORMFIELD_OVERRIDES: dict[type, dict[str, Any]] = {
    EncryptedCharField: {"form_class": SecretField, "widget": SecretInput},
    EncryptedTextField: {"form_class": SecretField, "widget": SecretInput},
}
