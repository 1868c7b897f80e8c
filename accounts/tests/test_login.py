"""Sign-in, sign-out, and login throttling."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.helpers import sign_in

pytestmark = pytest.mark.django_db


def test_a_verified_user_signs_in_with_email_and_password(client: Client, alice: User) -> None:
    response = sign_in(client, "Alice@Example.com")
    assert response.status_code == 302
    assert response["Location"] == "/chat/"  # signed-in people land in the chat
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_a_wrong_password_is_a_form_error(client: Client, alice: User) -> None:
    response = sign_in(client, alice.email, "not-the-password")
    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in response.text
    assert "_auth_user_id" not in client.session


def test_a_deactivated_user_cannot_sign_in(client: Client, alice: User) -> None:
    alice.is_active = False
    alice.save()
    sign_in(client, alice.email)
    assert "_auth_user_id" not in client.session


def test_repeated_failures_are_throttled_even_with_the_right_password_after(
    client: Client, alice: User
) -> None:
    for _attempt in range(5):
        sign_in(client, alice.email, "wrong-password-here")
    response = sign_in(client, alice.email)
    assert "Too many failed login attempts. Try again later." in response.text
    assert "_auth_user_id" not in client.session


def test_throttling_of_one_account_leaves_another_alone(client: Client, alice: User, bob: User) -> None:
    for _attempt in range(5):
        sign_in(client, alice.email, "wrong-password-here")
    sign_in(client, bob.email)
    assert client.session["_auth_user_id"] == str(bob.pk)


def test_signing_out_takes_a_post(client: Client, alice: User) -> None:
    client.force_login(alice)
    client.get("/accounts/logout/")  # shows the confirmation; does not sign out
    assert "_auth_user_id" in client.session
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session
