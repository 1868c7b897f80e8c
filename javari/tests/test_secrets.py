"""Write-only secrets in forms: blank keeps, typed replaces, Clear removes, and nothing shows the value."""

from __future__ import annotations

from django import forms

from javari.secrets import MASK, SecretField, mask_secret

STORED = "sk-live-0123456789abcdefWXYZ"


class _CredentialForm(forms.Form):
    token = SecretField(required=False, max_length=200)


def _bound(data: dict[str, str]) -> _CredentialForm:
    return _CredentialForm(data, initial={"token": STORED})


def test_the_mask_shows_a_tail_only_for_long_secrets() -> None:
    assert mask_secret(STORED) == f"{MASK} WXYZ"
    assert mask_secret("short-key") == MASK
    assert mask_secret("") == ""
    assert mask_secret(None) == ""


def test_a_blank_box_keeps_the_stored_secret_and_is_no_change() -> None:
    form = _bound({"token": ""})
    assert form.is_valid()
    assert form.cleaned_data["token"] == STORED
    assert not form.has_changed()


def test_a_typed_secret_replaces_it() -> None:
    form = _bound({"token": "  new-secret-value  "})
    assert form.is_valid()
    assert form.cleaned_data["token"] == "new-secret-value"
    assert form.changed_data == ["token"]


def test_clear_removes_it() -> None:
    form = _bound({"token": "", "token__clear": "on"})
    assert form.is_valid()
    assert form.cleaned_data["token"] == ""
    assert form.changed_data == ["token"]


def test_typing_and_clearing_at_once_is_an_error() -> None:
    form = _bound({"token": "new-secret-value", "token__clear": "on"})
    assert not form.is_valid()
    assert "not both" in str(form.errors["token"])


def test_a_required_secret_cannot_be_cleared() -> None:
    class RequiredForm(forms.Form):
        token = SecretField(max_length=200)

    assert RequiredForm({"token": ""}, initial={"token": STORED}).is_valid()
    assert not RequiredForm({"token": "", "token__clear": "on"}, initial={"token": STORED}).is_valid()
    assert not RequiredForm({"token": ""}).is_valid()


def test_no_rendering_ever_contains_the_value() -> None:
    for form in (
        _CredentialForm(initial={"token": STORED}),
        _bound({"token": ""}),
        _bound({"token": "typed-but-invalid", "token__clear": "on"}),
    ):
        html = str(form["token"])
        assert STORED not in html
        assert "typed-but-invalid" not in html
        assert 'value=""' in html
        assert f"{MASK} WXYZ" in html
        assert 'name="token__clear"' in html


def test_with_nothing_stored_there_is_no_mask_and_no_clear_box() -> None:
    html = str(_CredentialForm()["token"])
    assert MASK not in html
    assert "token__clear" not in html
    assert 'type="password"' in html
