"""Calendar & Scheduling and Reminders & Notifications: the pages, their validation (400, nothing
written), moving reminders with the time zone, access, and Spanish."""

from __future__ import annotations

from datetime import time

import pytest
from django.test import Client

from accounts.models import User
from preferences import services
from preferences.models import UserPreferences
from reminders.tests.factories import ReminderFactory

pytestmark = pytest.mark.django_db

SCHEDULING = "/settings/calendar/"
NOTIFICATIONS = "/settings/notifications/"


def _scheduling(**overrides: str) -> dict[str, str]:
    data = {"time_zone": "Europe/Madrid", "week_start": "0", "calendar_view": "month"}
    data.update(overrides)
    return data


def _notifications(**overrides: str | None) -> dict[str, str]:
    data: dict[str, str | None] = {
        "notify_email": "on",
        "notify_in_app": "on",
        "lead_amount": "1",
        "lead_unit": "days",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def _saved(user: User) -> UserPreferences:
    return services.get_preferences(user)


# --- Calendar & Scheduling ------------------------------------------------------------------------


def test_the_page_shows_the_persons_choices(client: Client, alice: User) -> None:
    services.update_preferences(user=alice, time_zone="Asia/Tokyo", week_start=6, calendar_view="agenda")
    client.force_login(alice)
    response = client.get(SCHEDULING)
    assert response.status_code == 200
    page = response.text
    assert "<h1>Calendar & Scheduling</h1>" in page
    assert '<option value="Asia/Tokyo" selected>Asia/Tokyo</option>' in page
    assert '<option value="America/New_York">America/New York</option>' in page
    assert 'value="6" id="id_week_start_1" checked' in page or "checked" in page.split('value="6"')[1][:80]
    assert "Also move my reminders to the new time zone (keep their times of day)" in page


def test_a_person_without_a_zone_sees_utc(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert '<option value="UTC" selected>UTC</option>' in client.get(SCHEDULING).text


def test_saving_changes_the_settings_and_redirects(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(SCHEDULING, _scheduling(week_start="6", calendar_view="week"), follow=True)
    assert response.redirect_chain == [(SCHEDULING, 302)]
    assert "Calendar and scheduling settings saved." in response.text
    saved = _saved(alice)
    assert (saved.time_zone, saved.week_start, saved.calendar_view) == ("Europe/Madrid", 6, "week")


def test_changing_the_zone_keeps_reminders_where_they_were_unless_asked(client: Client, alice: User) -> None:
    services.update_preferences(user=alice, time_zone="UTC")
    reminder = ReminderFactory.create(user=alice, time_zone="UTC", start_time=time(9, 0))
    client.force_login(alice)
    client.post(SCHEDULING, _scheduling(time_zone="America/New_York"))
    reminder.refresh_from_db()
    assert reminder.time_zone == "UTC"


def test_moving_reminders_with_the_zone_keeps_their_times_of_day(
    client: Client, alice: User, charlie: User
) -> None:
    services.update_preferences(user=alice, time_zone="UTC")
    reminder = ReminderFactory.create(user=alice, time_zone="UTC", start_time=time(9, 0))
    others = ReminderFactory.create(user=charlie, time_zone="UTC", start_time=time(9, 0))
    before = reminder.due_at
    client.force_login(alice)
    response = client.post(SCHEDULING, _scheduling(time_zone="America/New_York", move_reminders="on"))
    assert response.status_code == 302
    reminder.refresh_from_db()
    assert reminder.time_zone == "America/New_York"
    assert reminder.start_time == time(9, 0)
    assert reminder.due_at != before  # 09:00 in New York is a later instant than 09:00 UTC
    others.refresh_from_db()
    assert others.time_zone == "UTC"
    assert _saved(alice).time_zone == "America/New_York"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Mars/Olympus", "Choose a time zone from the list"),
        ("time_zone", "../../etc/passwd", "Choose a time zone from the list"),
        ("time_zone", "localtime", "Choose a time zone from the list"),
        ("time_zone", "", "Choose a time zone from the list."),
        ("time_zone", "x" * 1_000_000, "Choose a time zone from the list"),
        ("week_start", "3", "Choose Monday or Sunday."),
        ("week_start", "99999999999999999999999", "Choose Monday or Sunday."),
        ("calendar_view", "year", "Choose month, week or agenda."),
    ],
)
def test_bad_input_is_a_400_and_writes_nothing(
    client: Client, alice: User, field: str, value: str, message: str | None
) -> None:
    services.update_preferences(user=alice, time_zone="Asia/Tokyo")
    client.force_login(alice)
    response = client.post(SCHEDULING, _scheduling(**{field: value}, move_reminders="on"))
    assert response.status_code == 400
    if message:
        assert message in response.text
        assert "Nothing was saved" in response.text
    saved = _saved(alice)
    assert (saved.time_zone, saved.week_start, saved.calendar_view) == ("Asia/Tokyo", 0, "month")


def test_a_nul_byte_is_refused_before_anything(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(SCHEDULING, _scheduling(time_zone="Europe/Madrid\x00"))
    assert response.status_code == 400
    assert _saved(alice).time_zone == ""


def test_a_lone_surrogate_is_refused(client: Client, alice: User) -> None:
    client.force_login(alice)
    body = "time_zone=Europe%2FMadrid%ED%A0%80&week_start=0&calendar_view=month"
    response = client.post(SCHEDULING, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert _saved(alice).time_zone == ""


# --- Reminders & Notifications --------------------------------------------------------------------


def test_the_notifications_page_shows_the_defaults(client: Client, alice: User) -> None:
    client.force_login(alice)
    page = client.get(NOTIFICATIONS).text
    assert "<h1>Reminders & Notifications</h1>" in page
    assert 'name="lead_amount" id="id_lead_amount" value="1"' in page
    assert '<option value="days" selected>days</option>' in page
    assert "In-app notifications are never held back." in page


def test_saving_notification_settings(client: Client, alice: User) -> None:
    client.force_login(alice)
    data = _notifications(
        notify_email=None,
        lead_amount="90",
        lead_unit="minutes",
        quiet_hours_start="22:00",
        quiet_hours_end="07:00",
    )
    response = client.post(NOTIFICATIONS, data, follow=True)
    assert response.redirect_chain == [(NOTIFICATIONS, 302)]
    assert "Reminder and notification settings saved." in response.text
    saved = _saved(alice)
    assert saved.notify_email is False
    assert saved.notify_in_app is True
    assert saved.lead_minutes == 90
    assert (saved.quiet_hours_start, saved.quiet_hours_end) == (time(22, 0), time(7, 0))
    page = client.get(NOTIFICATIONS).text
    assert 'value="22:00"' in page
    assert 'value="07:00"' in page
    assert '<option value="minutes" selected>minutes</option>' in page


def test_lead_time_in_hours_and_clearing_quiet_hours(client: Client, alice: User) -> None:
    services.update_preferences(user=alice, quiet_hours_start=time(22), quiet_hours_end=time(7))
    client.force_login(alice)
    client.post(NOTIFICATIONS, _notifications(lead_amount="2", lead_unit="hours"))
    saved = _saved(alice)
    assert saved.lead_minutes == 120
    assert saved.quiet_hours_start is None
    assert saved.quiet_hours_end is None
    assert '<option value="hours" selected>hours</option>' in client.get(NOTIFICATIONS).text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"lead_amount": "-5"}, "Enter a whole number, 0 or more."),
        ({"lead_amount": "31", "lead_unit": "days"}, "The lead time can be at most 30 days."),
        ({"lead_amount": "9" * 40}, "The lead time can be at most 30 days."),
        ({"lead_amount": "1.5"}, "Enter a whole number, 0 or more."),
        ({"lead_amount": "1", "lead_unit": "weeks"}, "Choose minutes, hours or days."),
        ({"quiet_hours_start": "22:00"}, "Set both times of your quiet hours"),
        ({"quiet_hours_end": "07:00"}, "Set both times of your quiet hours"),
        ({"quiet_hours_start": "08:00", "quiet_hours_end": "08:00"}, "end at a different time"),
        ({"quiet_hours_start": "25:99", "quiet_hours_end": "07:00"}, "Enter a time like 22:00."),
        ({"quiet_hours_start": "x" * 1_000_000, "quiet_hours_end": "07:00"}, "Enter a time like 22:00."),
    ],
)
def test_bad_notification_settings_are_a_400_and_write_nothing(
    client: Client, alice: User, overrides: dict[str, str], message: str
) -> None:
    client.force_login(alice)
    response = client.post(NOTIFICATIONS, _notifications(**overrides))
    assert response.status_code == 400
    assert message in response.text
    saved = _saved(alice)
    assert (saved.lead_minutes, saved.quiet_hours_start, saved.quiet_hours_end) == (24 * 60, None, None)


# --- Access and language --------------------------------------------------------------------------


@pytest.mark.parametrize("url", [SCHEDULING, NOTIFICATIONS])
def test_signed_out_people_are_asked_to_sign_in(client: Client, url: str) -> None:
    response = client.get(url)
    assert response["Location"] == f"/accounts/login/?next={url}"
    response = client.post(url, _scheduling())
    assert response.status_code == 302
    response = client.get(url, headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == f"/accounts/login/?next={url}"


def test_each_person_changes_only_their_own(client: Client, alice: User, charlie: User) -> None:
    services.update_preferences(user=alice, time_zone="Asia/Tokyo", lead_minutes=30)
    client.force_login(charlie)
    client.post(SCHEDULING, _scheduling(time_zone="Europe/Madrid"))
    client.post(NOTIFICATIONS, _notifications(lead_amount="5", lead_unit="minutes"))
    assert _saved(charlie).time_zone == "Europe/Madrid"
    assert (_saved(alice).time_zone, _saved(alice).lead_minutes) == ("Asia/Tokyo", 30)
    assert '<option value="Asia/Tokyo" selected>' not in client.get(SCHEDULING).text


def test_the_pages_in_spanish(client: Client, alice: User) -> None:
    alice.language = "es"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    page = client.get(SCHEDULING).text
    assert "<h1>Calendario y programación</h1>" in page
    assert "Mueve también mis recordatorios a la nueva zona horaria (mantén su hora del día)" in page
    page = client.get(NOTIFICATIONS).text
    assert "<h1>Recordatorios y notificaciones</h1>" in page
    assert "Las notificaciones en la aplicación nunca se retienen." in page
    response = client.post(NOTIFICATIONS, _notifications(lead_amount="-1"))
    assert "Escribe un número entero, 0 o más." in response.text
    hub = client.get("/settings/").text
    assert "Calendario y programación" in hub
    assert "Recordatorios y notificaciones" in hub


@pytest.mark.parametrize("path", [SCHEDULING, NOTIFICATIONS])
@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_other_methods_are_not_allowed_and_change_nothing(
    client: Client, alice: User, path: str, method: str
) -> None:
    client.force_login(alice)
    before = _saved(alice).time_zone
    response = getattr(client, method)(path, "time_zone=Asia/Tokyo")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert _saved(alice).time_zone == before
