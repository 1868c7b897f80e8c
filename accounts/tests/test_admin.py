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


# --- Two-factor authenticators: that one exists, never its secrets ---------------------------------


def test_staff_see_that_an_authenticator_exists_but_never_its_secret(
    staff_client: Client, staff: User, alice: User
) -> None:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    alice_secret = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"
    totp = TOTP.activate(alice, alice_secret).instance
    recovery = RecoveryCodes.activate(alice)
    seed = recovery.instance.data["seed"]
    codes = recovery.get_unused_codes()

    listing = staff_client.get("/admin/mfa/authenticator/")
    assert listing.status_code == 200
    assert alice.email in listing.text
    change = staff_client.get(f"/admin/mfa/authenticator/{totp.pk}/change/")
    assert change.status_code == 200
    assert alice.email in change.text
    codes_page = staff_client.get(f"/admin/mfa/authenticator/{recovery.instance.pk}/change/")
    for page in (listing, change, codes_page):
        assert alice_secret not in page.text
        assert totp.data["secret"] not in page.text  # not even encrypted
        assert seed not in page.text
        assert not any(code in page.text for code in codes)
    assert 'name="data"' not in change.text


def test_staff_cannot_add_or_edit_an_authenticator(staff_client: Client, alice: User) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    totp = TOTP.activate(alice, "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U").instance
    assert staff_client.get("/admin/mfa/authenticator/add/").status_code == 403
    response = staff_client.post(
        f"/admin/mfa/authenticator/{totp.pk}/change/", {"type": "totp", "data": '{"secret": "AAAA"}'}
    )
    assert response.status_code == 403
    totp.refresh_from_db()
    assert totp.data != {"secret": "AAAA"}
    assert Authenticator.objects.filter(user=alice).count() == 1


def test_the_authenticator_pages_are_refused_to_users_who_are_not_staff(
    client: Client, charlie: User, alice: User
) -> None:
    from allauth.mfa.totp.internal.auth import TOTP

    totp = TOTP.activate(alice, "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U").instance
    client.force_login(charlie)
    for url in ("/admin/mfa/authenticator/", f"/admin/mfa/authenticator/{totp.pk}/change/"):
        response = client.get(url, follow=True)
        assert response.status_code == 403
        assert "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U" not in response.text


# --- The admin's sign-in never sends anyone off-site ------------------------------------------------


@pytest.mark.parametrize(
    "next_url",
    ["https://elsewhere.example/", "//evil.example/admin/", "/\\evil.example/", "javascript:alert(1)"],
)
def test_the_admin_sign_in_never_redirects_signed_in_staff_off_site(
    staff_client: Client, next_url: str
) -> None:
    response = staff_client.get("/admin/login/", {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_admin_sign_in_keeps_a_next_on_this_site(staff_client: Client) -> None:
    response = staff_client.get("/admin/login/", {"next": "/admin/accounts/user/"})
    assert response["Location"] == "/admin/accounts/user/"


@pytest.mark.parametrize("next_url", ["https://elsewhere.example/", "//evil.example/"])
def test_the_admin_sign_in_passes_no_off_site_next_on_to_the_sign_in_page(
    client: Client, next_url: str
) -> None:
    response = client.get("/admin/login/", {"next": next_url})
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
