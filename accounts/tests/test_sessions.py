"""The user's active sessions, listed and endable (allauth's user sessions)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client

from accounts import middleware
from accounts.models import User
from accounts.tests.helpers import sign_in

pytestmark = pytest.mark.django_db


WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


def test_each_signed_in_browser_is_listed_in_words(alice: User) -> None:
    laptop, phone = Client(HTTP_USER_AGENT=WINDOWS_CHROME), Client(HTTP_USER_AGENT=IPHONE_SAFARI)
    sign_in(laptop, alice.email)
    sign_in(phone, alice.email)
    response = laptop.get("/accounts/sessions/")
    assert response.status_code == 200
    assert UserSession.objects.filter(user=alice).count() == 2
    assert "Chrome 126 on Windows" in response.text
    assert "Safari 17 on iOS 17" in response.text
    assert "Computer" in response.text
    assert "Phone (iPhone)" in response.text
    # Never the raw header.
    assert "Mozilla/5.0" not in response.text
    assert "AppleWebKit" not in response.text


def test_the_sessions_list_is_in_spanish_too(alice: User) -> None:
    alice.language = "es"
    alice.save(update_fields=["language"])
    phone = Client(HTTP_USER_AGENT=IPHONE_SAFARI)
    sign_in(phone, alice.email)
    response = phone.get("/accounts/sessions/")
    assert "Safari 17 en iOS 17" in response.text
    assert "Teléfono (iPhone)" in response.text
    assert "Navegador y dispositivo" in response.text


def test_a_browser_that_sends_no_user_agent_is_listed_as_unknown(alice: User) -> None:
    browser = Client()  # Django's test client sends no User-Agent
    sign_in(browser, alice.email)
    response = browser.get("/accounts/sessions/")
    assert "Unknown browser on Unknown system" in response.text
    assert "Unknown device" in response.text


def test_ending_the_other_sessions_signs_the_other_browser_out(alice: User) -> None:
    laptop, phone = Client(), Client()
    sign_in(laptop, alice.email)
    sign_in(phone, alice.email)
    laptop.post("/accounts/sessions/")
    assert UserSession.objects.filter(user=alice).count() == 1
    assert phone.get("/accounts/security/").status_code == 302  # back to the login page
    assert laptop.get("/accounts/security/").status_code == 200


def test_a_user_sees_only_their_own_sessions(alice: User, charlie: User) -> None:
    alices, charlies = Client(HTTP_USER_AGENT="AliceBrowser"), Client(HTTP_USER_AGENT="CharlieBrowser")
    sign_in(alices, alice.email)
    sign_in(charlies, charlie.email)
    response = charlies.get("/accounts/sessions/")
    assert "AliceBrowser" not in response.text
    charlies.post("/accounts/sessions/")
    assert alices.get("/accounts/security/").status_code == 200


def test_a_sessions_activity_is_written_at_most_once_a_minute(alice: User, monkeypatch) -> None:
    browser = Client(HTTP_USER_AGENT="Laptop")
    sign_in(browser, alice.email)
    assert browser.get("/settings/").status_code == 200  # the first page notes the activity
    seen = UserSession.objects.get(user=alice).last_seen_at
    for _ in range(3):
        assert browser.get("/settings/", HTTP_USER_AGENT="Laptop, updated").status_code == 200
    session = UserSession.objects.get(user=alice)
    assert (session.last_seen_at, session.user_agent) == (seen, "Laptop")

    a_minute_later = time.time() + middleware.SESSION_ACTIVITY_RESOLUTION_SECONDS
    monkeypatch.setattr(middleware, "time", SimpleNamespace(time=lambda: a_minute_later))
    assert browser.get("/settings/", HTTP_USER_AGENT="Laptop, updated").status_code == 200
    session = UserSession.objects.get(user=alice)
    assert session.last_seen_at > seen
    assert session.user_agent == "Laptop, updated"


def test_signed_out_visits_write_no_session(db) -> None:
    visitor = Client()
    assert visitor.get("/plans/").status_code == 200
    assert visitor.get("/plans/").status_code == 200
    assert not UserSession.objects.exists()
    assert "sessionid" not in visitor.cookies
