"""Every ``next`` stays on this site: the switches, allauth's sign-in, sign-up and sign-out, and the
two-factor step. (The admin's sign-in: test_admin.py.)"""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client, RequestFactory

from accounts.models import User
from accounts.redirects import is_own_url
from accounts.tests.conftest import TotpClock
from accounts.tests.helpers import link_in_last_email, totp_code
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

OFF_SITE = [
    "https://elsewhere.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "http://testserver.evil.example/",
]


@pytest.mark.parametrize("url", [*OFF_SITE, "/chat/\x00"])
def test_only_this_sites_urls_count_as_own(url: str) -> None:
    request = RequestFactory().get("/")
    assert not is_own_url(request, url)


@pytest.mark.parametrize("url", ["/settings/", "/chat/?q=1#end", "http://testserver/settings/"])
def test_paths_and_this_hosts_urls_count_as_own(url: str) -> None:
    assert is_own_url(RequestFactory().get("/"), url)


@pytest.mark.parametrize("switch", [("language", {"language": "en"}), ("theme", {"theme": "dark"})])
@pytest.mark.parametrize("url", OFF_SITE)
def test_the_language_and_theme_switches_never_redirect_off_site(
    client: Client, switch: tuple[str, dict], url: str
) -> None:
    name, data = switch
    response = client.post(f"/accounts/{name}/", {**data, "next": url})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_switches_return_to_the_page_they_were_used_on(client: Client) -> None:
    response = client.post("/accounts/theme/", {"theme": "dark", "next": "/plans/?cycle=annual"})
    assert response["Location"] == "/plans/?cycle=annual"


@pytest.mark.parametrize("url", ["https://elsewhere.example/", "//evil.example/"])
def test_signing_in_never_redirects_off_site(client: Client, alice: User, url: str) -> None:
    response = client.post(f"/accounts/login/?next={url}", {"login": alice.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/chat/"
    # The posted field too (allauth reads either).
    again = Client()
    response = again.post("/accounts/login/", {"login": alice.email, "password": PASSWORD, "next": url})
    assert response["Location"] == "/chat/"


def test_signing_in_follows_a_next_on_this_site(client: Client, alice: User) -> None:
    response = client.post("/accounts/login/?next=/settings/", {"login": alice.email, "password": PASSWORD})
    assert response["Location"] == "/settings/"


@pytest.mark.parametrize("url", ["https://elsewhere.example/", "//evil.example/"])
def test_the_two_factor_step_never_redirects_off_site(
    client: Client, alice: User, url: str, totp_clock: TotpClock
) -> None:
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    TOTP.activate(alice, secret)
    response = client.post(f"/accounts/login/?next={url}", {"login": alice.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response["Location"] == "/chat/"


@pytest.mark.parametrize("url", ["https://elsewhere.example/", "//evil.example/"])
def test_signing_out_never_redirects_off_site(client: Client, alice: User, url: str) -> None:
    client.force_login(alice)
    response = client.post("/accounts/logout/", {"next": url})
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("url", ["https://elsewhere.example/", "//evil.example/"])
def test_signing_up_and_confirming_never_redirects_off_site(client: Client, url: str) -> None:
    # allauth echoes ``next`` into the form's hidden field; it is checked where it is followed.
    response = client.post(
        f"/accounts/signup/?next={url}",
        {"email": "nadia@example.com", "password1": PASSWORD, "password2": PASSWORD, "next": url},
    )
    assert response["Location"] == "/accounts/confirm-email/"
    response = client.post(link_in_last_email("/accounts/confirm-email/"))
    assert response.status_code == 302
    assert response["Location"] == "/chat/"


def test_signing_up_with_a_next_on_this_site_lands_there_after_confirming(client: Client) -> None:
    client.post(
        "/accounts/signup/?next=/plans/",
        {"email": "nadia@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    response = client.post(link_in_last_email("/accounts/confirm-email/"))
    assert response["Location"] == "/plans/"
