"""Sign-up, email verification, and each bad input: a clear message, nothing created."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.tests.helpers import deliver_queued_emails, link_in_last_email
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _signup(client: Client, **overrides: str):
    data = {
        "display_name": "Nadia",
        "email": "nadia@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return client.post("/accounts/signup/", data)


def test_signing_up_creates_an_unverified_user_and_sends_a_verification_email(client: Client) -> None:
    response = _signup(client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="nadia@example.com")
    assert user.display_name == "Nadia"
    assert not EmailAddress.objects.get(user=user).verified
    assert mail.outbox == []  # the worker sends it after commit, not the request
    assert deliver_queued_emails() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nadia@example.com"]
    assert mail.outbox[0].subject.startswith("[Javari AI]")
    assert "Hello from Javari AI!" in mail.outbox[0].body


def test_the_link_in_the_email_verifies_the_address(client: Client) -> None:
    _signup(client)
    link = link_in_last_email("/accounts/confirm-email/")
    assert client.get(link).status_code == 200  # the confirmation page asks to confirm
    client.post(link)
    assert EmailAddress.objects.get(email="nadia@example.com").verified


def test_confirming_in_the_browser_that_signed_up_signs_in_and_lands_in_the_chat(client: Client) -> None:
    _signup(client)
    response = client.post(link_in_last_email("/accounts/confirm-email/"))
    assert response.status_code == 302
    assert response["Location"] == "/chat/"
    user = User.objects.get(email="nadia@example.com")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/chat/").status_code == 200


def test_confirming_in_another_browser_verifies_but_asks_for_the_password(client: Client) -> None:
    # The link alone must not sign anyone in: whoever holds it may not be the person who signed up.
    _signup(client)
    other = Client()
    response = other.post(link_in_last_email("/accounts/confirm-email/"))
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in other.session
    assert EmailAddress.objects.get(email="nadia@example.com").verified


def test_an_unverified_user_cannot_sign_in_until_they_verify(client: Client) -> None:
    _signup(client)
    fresh = Client()
    response = fresh.post("/accounts/login/", {"login": "nadia@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in fresh.session


def test_a_duplicate_email_is_refused_whatever_its_case(client: Client, alice: User) -> None:
    response = _signup(client, email="ALICE@Example.com")
    assert response.status_code == 200
    assert "A user is already registered with this email address." in response.text
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "This password is too short."),
        ("password1234", "This password is too common."),
        ("8294756103", "This password is entirely numeric."),
    ],
    ids=["too-short", "breached-looking", "numeric"],
)
def test_a_weak_password_is_refused_with_a_reason(client: Client, password: str, message: str) -> None:
    response = _signup(client, password1=password, password2=password)
    assert response.status_code == 200
    assert message in response.text
    assert not User.objects.exists()
    assert deliver_queued_emails() == 0
    assert mail.outbox == []


def test_mismatched_passwords_are_refused(client: Client) -> None:
    response = _signup(client, password2=PASSWORD + "x")
    assert "You must type the same password each time." in response.text
    assert not User.objects.exists()


def test_an_invalid_email_is_refused(client: Client) -> None:
    response = _signup(client, email="not-an-email")
    assert "Enter a valid email address." in response.text
    assert not User.objects.exists()


def test_the_signup_form_is_in_spanish_for_a_spanish_browser(client: Client) -> None:
    response = client.get("/accounts/signup/", HTTP_ACCEPT_LANGUAGE="es")
    assert "Tu nombre" in response.text
    assert "Registrarse" in response.text
