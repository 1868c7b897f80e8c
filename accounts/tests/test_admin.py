"""The back office: staff only, with two-factor authentication; finding and deactivating users."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_the_allauth_sign_in(client: Client) -> None:
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"


def test_a_user_who_is_not_staff_is_refused(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "Only staff can open the back office." in response.text


def test_staff_without_two_factor_are_sent_to_turn_it_on(client: Client, staff: User) -> None:
    client.force_login(staff)
    response = client.get("/admin/", follow=True)
    visited = [url for url, _status in response.redirect_chain]
    assert any(url.startswith("/accounts/2fa/totp/activate/?next=") for url in visited), visited
    assert "Staff must turn on two-factor authentication before opening the back office." in response.text


def test_staff_with_two_factor_reach_the_branded_back_office(staff_client: Client) -> None:
    response = staff_client.get("/admin/")
    assert response.status_code == 200
    assert "Javari AI administration" in response.text


def test_staff_find_users_by_email_or_name(staff_client: Client, alice: User, bob: User) -> None:
    by_email = staff_client.get("/admin/accounts/user/", {"q": "alice@"})
    assert alice.email in by_email.text
    assert bob.email not in by_email.text
    by_name = staff_client.get("/admin/accounts/user/", {"q": "Bob Exam"})
    assert bob.email in by_name.text
    assert alice.email not in by_name.text


def test_staff_filter_users_by_active_and_staff(staff_client: Client, alice: User, bob: User) -> None:
    bob.is_active = False
    bob.save()
    inactive = staff_client.get("/admin/accounts/user/", {"is_active__exact": "0"})
    assert bob.email in inactive.text
    assert alice.email not in inactive.text
    staff_only = staff_client.get("/admin/accounts/user/", {"is_staff__exact": "1"})
    assert alice.email not in staff_only.text


def test_staff_deactivate_users_but_never_themselves(staff_client: Client, staff: User, alice: User) -> None:
    response = staff_client.post(
        "/admin/accounts/user/",
        {"action": "deactivate_users", "_selected_action": [str(alice.pk), str(staff.pk)]},
        follow=True,
    )
    assert "1 user deactivated." in response.text
    alice.refresh_from_db()
    staff.refresh_from_db()
    assert not alice.is_active
    assert staff.is_active
