"""``grant_credits`` and ``renew_allowances`` by hand, and the renew task on a real Celery worker."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from credits import services
from credits.models import CreditAccount, EntryKind, LedgerEntry, Plan, Tier
from credits.tasks import renew_allowances
from credits.tests.test_services import assert_ledger_matches, seeded_plans  # noqa: F401 (a fixture)
from javari.celery import app
from javari.tests.test_celery import worker  # noqa: F401 (a fixture: a real worker on the test Redis)


def _run(*args: str, **options: object) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def _make_due(user: User) -> None:
    CreditAccount.objects.filter(user=user).update(allowance_renews_at=timezone.now() - timedelta(hours=1))


# --- grant_credits --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_grant_credits_grants_with_the_reason(alice: User) -> None:
    out = _run("grant_credits", "ALICE@example.com", "250", reason="Conference voucher")
    entry = LedgerEntry.objects.get(user=alice, kind=EntryKind.GRANT)
    assert (entry.amount, entry.reason, entry.staff_user) == (250, "Conference voucher", None)
    assert entry.idempotency_key.startswith("cli:")
    assert (
        out.strip() == f"Granted 250 credits to alice@example.com: balance now 750 (ledger entry {entry.pk})."
    )
    assert assert_ledger_matches(alice).purchased_remaining == 250


@pytest.mark.django_db
def test_grant_credits_twice_grants_twice(alice: User) -> None:
    _run("grant_credits", "alice@example.com", "10", reason="One")
    _run("grant_credits", "alice@example.com", "10", reason="Two")
    assert LedgerEntry.objects.filter(user=alice, kind=EntryKind.GRANT).count() == 2


@pytest.mark.django_db
def test_grant_credits_by_a_staff_member_is_an_adjustment_in_their_name(alice: User, staff: User) -> None:
    _run("grant_credits", "alice@example.com", "40", reason="Support ticket 812", staff="staff@example.com")
    entry = LedgerEntry.objects.get(user=alice, kind=EntryKind.ADJUSTMENT)
    assert (entry.amount, entry.staff_user, entry.reason) == (40, staff, "Support ticket 812")
    assert_ledger_matches(alice)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (
            ["nobody@example.com", "10"],
            {"reason": "x"},
            "No user has the email address 'nobody@example.com'.",
        ),
        (["alice@example.com", "0"], {"reason": "x"}, "AMOUNT must be greater than zero, not 0."),
        (["alice@example.com", "-5"], {"reason": "x"}, "AMOUNT must be greater than zero, not -5."),
        (
            ["alice@example.com", "1.5"],
            {"reason": "x"},
            "AMOUNT must be a whole number of credits, not '1.5'.",
        ),
        (
            ["alice@example.com", "ten"],
            {"reason": "x"},
            "AMOUNT must be a whole number of credits, not 'ten'.",
        ),
        (["alice@example.com", "10"], {"reason": "   "}, "--reason must not be empty"),
        (["alice@example.com", "10"], {}, "the following arguments are required: --reason"),
        (
            ["alice@example.com", "10"],
            {"reason": "x", "staff": "bob@example.com"},
            "is not an active staff member",
        ),
        (["alice@example.com", "10"], {"reason": "x", "staff": "ghost@example.com"}, "No user has the email"),
    ],
)
def test_grant_credits_refuses_bad_input_and_writes_nothing(
    alice: User, bob: User, args: list[str], options: dict, message: str
) -> None:
    with pytest.raises(CommandError, match=message.replace(".", r"\.").replace("(", r"\(")):
        _run("grant_credits", *args, **options)
    assert not LedgerEntry.objects.exists()
    assert not CreditAccount.objects.exists()


# --- renew_allowances -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_renew_allowances_renews_what_is_due_once(alice: User, bob: User) -> None:
    for user in (alice, bob):
        services.get_account(user)
        services.debit(user=user, action_type="chat", amount=100, idempotency_key=f"spent-{user.pk}")
    services.set_plan(user=bob, plan=Plan.objects.get(tier=Tier.PRO))  # monthly paid: Stripe renews it
    _make_due(alice)
    _make_due(bob)
    assert _run("renew_allowances").strip() == "Renewed 1 allowance."
    assert _run("renew_allowances").strip() == "Renewed 0 allowances."
    assert assert_ledger_matches(alice).allowance_remaining == 500
    assert assert_ledger_matches(bob).allowance_remaining == 400


@pytest.mark.django_db
def test_renew_allowances_refuses_a_bad_limit() -> None:
    with pytest.raises(CommandError, match="--limit must be a whole number greater than zero"):
        _run("renew_allowances", limit=0)


# --- The task -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("seeded_plans")
def test_the_renew_task_runs_on_a_real_worker(worker: None, alice: User) -> None:  # noqa: F811
    services.get_account(alice)
    services.debit(user=alice, action_type="chat", amount=100, idempotency_key="spent")
    _make_due(alice)

    assert renew_allowances.delay().get(timeout=20) == 1
    assert assert_ledger_matches(alice).allowance_remaining == 500
    assert renew_allowances.delay().get(timeout=20) == 0  # safe to run twice
    assert LedgerEntry.objects.filter(user=alice, kind=EntryKind.RENEWAL).count() == 2  # opening + 1


def test_beat_runs_the_task_every_15_minutes_under_its_registered_name() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["renew-allowances"]
    assert entry["task"] == renew_allowances.name == "credits.tasks.renew_allowances"
    assert entry["task"] in app.tasks
    assert entry["schedule"] == timedelta(minutes=15)


def test_the_task_retries_only_when_the_database_is_away() -> None:
    from django.db import InterfaceError, OperationalError

    assert set(renew_allowances.autoretry_for) == {OperationalError, InterfaceError}
    assert renew_allowances.max_retries == 3
