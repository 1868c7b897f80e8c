"""Rate limits in the back office: each plan's limits are edited on the plan; staff read who was
limited (key by prefix only) and can't forge records; nobody else reaches any of it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.services import create_api_key
from conftest import make_user
from credits.models import Plan, ThrottleRecord, ThrottleScope, Tier

pytestmark = pytest.mark.django_db
RECORDS = "/admin/credits/throttlerecord/"


@pytest.fixture
def records(alice: User, bob: User) -> list[ThrottleRecord]:
    key, _secret = create_api_key(user=alice, name="Script")
    return [
        ThrottleRecord.objects.create(
            scope=ThrottleScope.API, identity=f"key:{key.pk}", user=alice, key_prefix=key.prefix, limit=60
        ),
        ThrottleRecord.objects.create(
            scope=ThrottleScope.CHAT_MESSAGES, identity=f"user:{bob.pk}", user=bob, limit=10, times_limited=4
        ),
        ThrottleRecord.objects.create(
            scope=ThrottleScope.API, identity="ip:203.0.113.9", ip="203.0.113.9", limit=30
        ),
    ]


def test_the_seeded_plans_give_paying_plans_more_room(db: None) -> None:
    limits = {
        plan.tier: (plan.api_requests_per_minute, plan.chat_messages_per_minute)
        for plan in Plan.objects.all()
    }

    assert limits == {
        Tier.FREE: (60, 10),
        Tier.STARTER: (120, 20),
        Tier.PRO: (300, 40),
        Tier.ENTERPRISE: (1000, 100),
    }


def test_a_plan_limit_is_at_least_one(db: None) -> None:
    plan = Plan.objects.get(tier=Tier.FREE)
    plan.chat_messages_per_minute = 0

    with pytest.raises(ValidationError) as error:
        plan.full_clean()

    assert "chat_messages_per_minute" in error.value.message_dict


def test_staff_edit_a_plans_limits_on_the_plan(staff_client: Client) -> None:
    plan = Plan.objects.get(tier=Tier.FREE)

    page = staff_client.get(f"/admin/credits/plan/{plan.pk}/change/").content.decode()
    listing = staff_client.get("/admin/credits/plan/").content.decode()

    assert 'name="api_requests_per_minute"' in page
    assert 'name="chat_messages_per_minute"' in page
    assert "API requests per minute" in listing


def test_staff_see_who_was_limited_with_keys_by_prefix_only(
    staff_client: Client, records: list[ThrottleRecord], alice: User
) -> None:
    response = staff_client.get(RECORDS)

    page = response.content.decode()
    assert response.status_code == 200
    assert "alice@example.com" in page
    assert "bob@example.com" in page
    assert records[0].key_prefix in page
    assert "203.0.113.9" in page
    assert alice.api_keys.get().key_hash not in page


def test_the_list_costs_the_same_queries_for_more_people(
    staff_client: Client, records: list[ThrottleRecord], charlie: User
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(RECORDS).status_code == 200
        return len(captured.captured_queries)

    queries()  # the first request of a session reads and writes more (session activity…)
    before = queries()
    for number in range(3):
        user = make_user(f"caller{number}@example.com")
        ThrottleRecord.objects.create(
            scope=ThrottleScope.API, identity=f"user:{user.pk}", user=user, limit=60
        )

    assert queries() == before


def test_staff_filter_by_limit(staff_client: Client, records: list[ThrottleRecord]) -> None:
    page = staff_client.get(RECORDS, {"scope": ThrottleScope.CHAT_MESSAGES}).content.decode()

    assert "bob@example.com" in page
    assert "alice@example.com" not in page


def test_records_are_written_by_the_throttle_only(
    staff_client: Client, records: list[ThrottleRecord]
) -> None:
    assert staff_client.get(f"{RECORDS}add/").status_code == 403
    response = staff_client.post(
        f"{RECORDS}{records[0].pk}/change/", {"limit": 1_000_000, "times_limited": 0}
    )
    records[0].refresh_from_db()
    assert response.status_code == 403
    assert (records[0].limit, records[0].times_limited) == (60, 1)


def test_charlie_reaches_none_of_it(client: Client, charlie: User, records: list[ThrottleRecord]) -> None:
    client.force_login(charlie)

    for url in (RECORDS, f"{RECORDS}{records[0].pk}/change/", "/admin/credits/plan/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response.headers["Location"]
