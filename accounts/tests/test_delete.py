"""Deleting an account: confirmed with the password, removes the user's data and only theirs."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.models import User
from accounts.tests.helpers import sign_in
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_page_asks_for_confirmation(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.get("/accounts/delete/")
    assert response.status_code == 200
    assert "Type DELETE to confirm" in response.text


def test_a_wrong_password_deletes_nothing(client: Client, alice: User) -> None:
    sign_in(client, alice.email)
    response = client.post("/accounts/delete/", {"password": "not-it", "confirm": "DELETE"})
    assert response.status_code == 200
    assert "That is not your current password." in response.text
    assert User.objects.filter(pk=alice.pk).exists()


def test_a_missing_confirmation_word_deletes_nothing(client: Client, alice: User) -> None:
    sign_in(client, alice.email)
    response = client.post("/accounts/delete/", {"password": PASSWORD, "confirm": "yes"})
    assert "Type DELETE, in capitals, to confirm." in response.text
    assert User.objects.filter(pk=alice.pk).exists()


def test_deleting_removes_the_user_and_everything_theirs(client: Client, alice: User, bob: User) -> None:
    TOTP.activate(alice, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    other_device = Client()
    other_device.force_login(alice)
    sign_in(client, alice.email)
    bobs = Client()
    sign_in(bobs, bob.email)
    client.force_login(alice)  # skip the two-factor stage; it is tested elsewhere
    sessions_before = Session.objects.count()

    response = client.post("/accounts/delete/", {"password": PASSWORD, "confirm": "DELETE"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=alice.pk).exists()
    assert not EmailAddress.objects.filter(email=alice.email).exists()
    assert not Authenticator.objects.filter(user_id=alice.pk).exists()
    assert not UserSession.objects.filter(user_id=alice.pk).exists()
    assert Session.objects.count() < sessions_before
    assert other_device.get("/accounts/security/").status_code == 302  # signed out everywhere
    # Bob is untouched.
    assert User.objects.filter(pk=bob.pk).exists()
    assert bobs.get("/accounts/security/").status_code == 200


def test_the_spanish_confirmation_word_works_for_a_spanish_user(client: Client, alice: User) -> None:
    alice.language = "es"
    alice.save()
    sign_in(client, alice.email)
    client.post("/accounts/delete/", {"password": PASSWORD, "confirm": "ELIMINAR"})
    assert not User.objects.filter(pk=alice.pk).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get("/accounts/delete/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
