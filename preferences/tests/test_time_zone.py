"""The person's time zone: the browser's guess (a cookie) saved while none is set, the middleware
activating the zone on every request, ``set_time_zone``, and the API's scheduling fields."""

from __future__ import annotations

from datetime import time

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from accounts.models import User
from preferences import services
from preferences.middleware import TIME_ZONE_COOKIE
from preferences.models import UserPreferences
from reminders.tests.factories import ReminderFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/preferences/"


def _zone(user: User) -> str:
    return UserPreferences.objects.filter(user=user).values_list("time_zone", flat=True).first() or ""


# --- The browser's guess --------------------------------------------------------------------------


def test_the_guess_is_saved_when_the_person_has_no_zone(client: Client, alice: User) -> None:
    client.force_login(alice)
    client.cookies[TIME_ZONE_COOKIE] = "Europe/Madrid"
    assert client.get("/settings/").status_code == 200
    assert _zone(alice) == "Europe/Madrid"
    assert services.time_zone_of(alice) == "Europe/Madrid"


def test_the_guess_never_overwrites_a_chosen_zone(client: Client, alice: User) -> None:
    services.update_preferences(user=alice, time_zone="Asia/Tokyo")
    client.force_login(alice)
    client.cookies[TIME_ZONE_COOKIE] = "Europe/Madrid"
    client.get("/settings/")
    assert _zone(alice) == "Asia/Tokyo"


@pytest.mark.parametrize(
    "guess", ["Mars/Olympus", "../../etc/passwd", "localtime", "Europe/Madrid\\x00", "A" * 5000, "", "UTC "]
)
def test_an_invalid_guess_is_ignored(client: Client, alice: User, guess: str) -> None:
    client.force_login(alice)
    client.cookies[TIME_ZONE_COOKIE] = guess
    assert client.get("/settings/").status_code == 200
    assert _zone(alice) == ""
    assert services.time_zone_of(alice) == "UTC"


def test_the_guess_service(alice: User) -> None:
    assert services.guess_time_zone(user=alice, time_zone="Nowhere/Atlantis") is False
    assert services.guess_time_zone(user=alice, time_zone="America/Sao_Paulo") is True
    assert services.guess_time_zone(user=alice, time_zone="Europe/Madrid") is False
    assert _zone(alice) == "America/Sao_Paulo"


# --- The middleware -------------------------------------------------------------------------------


def test_pages_render_in_the_persons_zone(client: Client, alice: User) -> None:
    from reminders.models import NotificationKind
    from reminders.services import notifications

    created = timezone.now().replace(month=7, day=1, hour=12, minute=0, second=0, microsecond=0)
    notifications.notify(
        user=alice, kind=NotificationKind.SYSTEM, title="Noon UTC", idempotency_key="k", created_at=created
    )
    services.update_preferences(user=alice, time_zone="Asia/Tokyo")
    client.force_login(alice)
    page = client.get("/notifications/").text
    assert "T21:00:00+09:00" in page  # 12:00Z is 21:00 in Tokyo
    # Nothing leaks into the next request: the zone is activated per request only.
    assert timezone.get_current_timezone_name() == "UTC"


def test_a_signed_out_visitor_gets_the_cookies_zone(client: Client) -> None:
    from django.http import HttpRequest, HttpResponse

    from preferences.middleware import TimeZoneMiddleware

    seen: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(timezone.get_current_timezone_name())
        return HttpResponse()

    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    request = RequestFactory().get("/", headers={"Cookie": f"{TIME_ZONE_COOKIE}=America/Denver"})
    request.user = AnonymousUser()
    TimeZoneMiddleware(view)(request)
    request = RequestFactory().get("/", headers={"Cookie": f"{TIME_ZONE_COOKIE}=Not/AZone"})
    request.user = AnonymousUser()
    TimeZoneMiddleware(view)(request)
    assert seen == ["America/Denver", "UTC"]
    assert timezone.get_current_timezone_name() == "UTC"


def test_every_page_loads_the_guessing_script(client: Client, alice: User) -> None:
    assert "preferences/time_zone" in client.get("/").text
    client.force_login(alice)
    assert "preferences/time_zone" in client.get("/settings/").text


# --- set_time_zone --------------------------------------------------------------------------------


def test_set_time_zone_moves_reminders_in_the_same_transaction(alice: User) -> None:
    services.update_preferences(user=alice, time_zone="UTC")
    reminder = ReminderFactory.create(user=alice, time_zone="UTC", start_time=time(9, 0))
    services.set_time_zone(user=alice, time_zone="Europe/Madrid", move_reminders=True)
    reminder.refresh_from_db()
    assert (reminder.time_zone, reminder.start_time) == ("Europe/Madrid", time(9, 0))
    assert _zone(alice) == "Europe/Madrid"


def test_set_time_zone_without_moving(alice: User) -> None:
    reminder = ReminderFactory.create(user=alice, time_zone="UTC")
    services.set_time_zone(user=alice, time_zone="Europe/Madrid", move_reminders=False)
    reminder.refresh_from_db()
    assert reminder.time_zone == "UTC"


@pytest.mark.parametrize("zone", ["", "Mars/Olympus", "Europe/Madrid\x00"])
def test_set_time_zone_refuses_a_bad_zone(alice: User, zone: str) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.set_time_zone(user=alice, time_zone=zone, move_reminders=True)
    assert "time_zone" in error.value.message_dict
    assert _zone(alice) == ""


def test_set_time_zone_is_durable(alice: User) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        services.set_time_zone(user=alice, time_zone="Europe/Madrid", move_reminders=False)


# --- The API --------------------------------------------------------------------------------------


def test_the_api_reads_and_changes_the_scheduling_fields(client: Client, alice: User) -> None:
    reminder = ReminderFactory.create(user=alice, time_zone="UTC")
    client.force_login(alice)
    response = client.patch(
        API,
        {
            "time_zone": "America/New_York",
            "move_reminders": True,
            "week_start": 6,
            "calendar_view": "agenda",
            "notify_email": False,
            "lead_minutes": 30,
            "quiet_hours_start": "22:30",
            "quiet_hours_end": "06:00",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["time_zone"] == "America/New_York"
    assert body["week_start"] == 6
    assert body["calendar_view"] == "agenda"
    assert body["notify_email"] is False
    assert body["lead_minutes"] == 30
    assert (body["quiet_hours_start"], body["quiet_hours_end"]) == ("22:30", "06:00")
    assert "move_reminders" not in body
    reminder.refresh_from_db()
    assert reminder.time_zone == "America/New_York"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"time_zone": 5}, "time_zone"),
        ({"week_start": 3}, "week_start"),
        ({"week_start": True}, "week_start"),
        ({"calendar_view": "year"}, "calendar_view"),
        ({"lead_minutes": -1}, "lead_minutes"),
        ({"lead_minutes": 10**30}, "lead_minutes"),
        ({"lead_minutes": 43_201}, "lead_minutes"),
        ({"lead_minutes": "abc"}, "lead_minutes"),
        ({"quiet_hours_start": "22:00"}, "quiet_hours_end"),
        ({"quiet_hours_start": "08:00", "quiet_hours_end": "08:00"}, "quiet_hours_end"),
        ({"quiet_hours_start": "25:00", "quiet_hours_end": "06:00"}, "quiet_hours_start"),
        ({"notify_email": "maybe"}, "notify_email"),
        ({"move_reminders": "perhaps", "time_zone": "Europe/Madrid"}, "move_reminders"),
    ],
)
def test_bad_api_values_are_a_400_naming_the_field(
    client: Client, alice: User, data: dict, field: str
) -> None:
    client.force_login(alice)
    response = client.patch(API, data, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    saved = services.get_preferences(alice)
    assert (saved.time_zone, saved.week_start, saved.lead_minutes, saved.quiet_hours_start) == (
        "",
        0,
        1440,
        None,
    )


def test_the_schema_describes_the_new_fields(client: Client) -> None:
    schema = client.get("/api/v1/schema/", {"format": "json"}).text
    for field in ("time_zone", "move_reminders", "week_start", "lead_minutes", "quiet_hours_start"):
        assert field in schema


@pytest.mark.parametrize("name", ["localtime", "posixrules", "Factory"])
def test_files_of_the_zoneinfo_folder_that_are_no_zone_are_refused(name: str) -> None:
    # A contract fix (reminders/recurrence.py): Debian's zoneinfo folder has these files, and
    # "localtime" would have been the server's own zone under a made-up name.
    from reminders.errors import InvalidTimeZone
    from reminders.recurrence import zone_choices, zone_named

    with pytest.raises(InvalidTimeZone):
        zone_named(name)
    assert name not in zone_choices()
