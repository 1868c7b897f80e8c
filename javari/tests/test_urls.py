"""Site-wide routes and the shell's <title>: the favicon browsers ask for, the tab's wording."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from accounts.models import User


def _title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found, "the page has no <title>"
    return " ".join(found.group(1).split())


def test_favicon_ico_leads_to_the_sites_icon(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    location = response["Location"]
    assert re.fullmatch(r"/static/img/javari(\.[0-9a-f]+)?\.svg", location)
    icon = client.get(location)
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")


@pytest.mark.django_db
def test_favicon_ico_is_the_same_for_a_person_who_owns_nothing(client: Client, charlie: User) -> None:
    client.force_login(charlie)
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith(".svg")


@pytest.mark.django_db
def test_admin_pages_link_the_icon(staff_client: Client) -> None:
    # Without a link the browser asks for /favicon.ico on every admin page.
    for url in ("/admin/", "/admin/chat/chatmodel/"):
        response = staff_client.get(url)
        assert response.status_code == 200, url
        page = response.text
        assert re.search(r'<link rel="icon" href="/static/img/javari[^"]*\.svg"', page), url
        assert "Javari AI administration" in page


@pytest.mark.django_db
def test_every_tab_title_names_the_page_then_the_site(client: Client, alice: User) -> None:
    assert _title(client.get("/").text) == "Your AI assistant · Javari AI"
    assert _title(client.get("/no-such-page/").text) == "Page not found · Javari AI"
    assert _title(client.get("/accounts/login/").text) == "Sign In · Javari AI"
    client.force_login(alice)
    assert _title(client.get("/").text) == "Home · Javari AI"
    assert _title(client.get("/chat/").text) == "Chat · Javari AI"
    alice.language = "es"
    alice.save(update_fields=["language"])
    with translation.override("es"):
        assert _title(client.get("/").text) == "Inicio · Javari AI"
