"""Password change and reset, with the wrong current password and an expired link."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from accounts.models import OutgoingEmail, User
from accounts.tests.helpers import link_in_last_email, sign_in
from conftest import PASSWORD

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-new-passphrase-42"


def test_changing_the_password_needs_the_current_one(client: Client, alice: User) -> None:
    sign_in(client, alice.email)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": "wrong-one-here", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert "Please type your current password." in response.text
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_changing_the_password_works_and_keeps_the_session(client: Client, alice: User) -> None:
    sign_in(client, alice.email)
    client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_a_weak_new_password_is_refused(client: Client, alice: User) -> None:
    sign_in(client, alice.email)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "qwerty123", "password2": "qwerty123"},
    )
    assert "This password is too common." in response.text
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def _request_reset(client: Client, email: str) -> str:
    client.post("/accounts/password/reset/", {"email": email})
    return link_in_last_email("/accounts/password/reset/key/")


def test_the_reset_link_sets_a_new_password(client: Client, alice: User) -> None:
    link = _request_reset(client, alice.email)
    form_url = client.get(link)["Location"]  # allauth moves the key out of the URL first
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_an_expired_reset_link_says_so_and_changes_nothing(client: Client, alice: User, settings) -> None:
    link = _request_reset(client, alice.email)
    settings.PASSWORD_RESET_TIMEOUT = -1  # every token is now older than the timeout
    response = client.get(link, follow=True)
    assert "The password reset link was invalid" in response.text
    form_url = link
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_reset_for_an_unknown_address_is_a_form_error_and_sends_nothing(client: Client, db: None) -> None:
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 200
    assert "The email address is not assigned to any user account." in response.text
    assert OutgoingEmail.objects.count() == 0
    assert mail.outbox == []
