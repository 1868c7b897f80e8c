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


def test_each_signed_in_browser_is_listed(alice: User) -> None:
    laptop, phone = Client(HTTP_USER_AGENT="Laptop"), Client(HTTP_USER_AGENT="Phone")
    sign_in(laptop, alice.email)
    sign_in(phone, alice.email)
    response = laptop.get("/accounts/sessions/")
    assert response.status_code == 200
    assert UserSession.objects.filter(user=alice).count() == 2
    assert "Laptop" in response.text
    assert "Phone" in response.text


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
