"""The credits pages: the bar on every signed-in page, its modals, /plans, Usage & Analytics, the CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.html import Element, parse_html
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertInHTML

from accounts.models import User
from credits import selectors, services
from credits.errors import SpendingCapReached
from credits.models import LedgerEntry, Plan, Tier, TopUpPack
from credits.templatetags.credits_tags import money

pytestmark = pytest.mark.django_db

MINUS = "\u2212"  # how the pages write a negative amount

SIGNED_IN_PAGES = [
    "/",
    "/accounts/security/",
    "/plans/",
    "/settings/",
    "/settings/usage/",
    "/credits/recent/",
    "/credits/top-up/",
]


# --- Helpers --------------------------------------------------------------------------------------


def _text(html: str) -> str:
    """What a person reads: tags dropped, entities decoded, white space collapsed."""
    # ASCII white space only: a non-breaking space is part of a Spanish number.
    return re.sub(r"[ \t\n\r\f]+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip(" ")


def _bar(html: str) -> str:
    match = re.search(r'<section id="credits-bar".*?</section>', html, re.S)
    assert match, "no credits bar on the page"
    return match.group(0)


def _elements(html: str, tag: str, cls: str | None = None, **attributes: str) -> list[Element]:
    """The elements named ``tag`` (with class ``cls`` and ``attributes``) in ``html``, in order."""
    found: list[Element] = []

    def walk(node: object) -> None:
        if not isinstance(node, Element):
            return
        attrs = dict(node.attributes)
        if (
            node.name == tag
            and (cls is None or cls in (attrs.get("class") or "").split())
            and all(attrs.get(name) == value for name, value in attributes.items())
        ):
            found.append(node)
        for child in node.children:
            walk(child)

    walk(parse_html(html))
    return found


def _plan_cards(html: str) -> dict[str, str]:
    """Each plan card's HTML, by tier, in the page's order."""
    return {
        dict(card.attributes)["aria-labelledby"].removeprefix("plan-"): str(card)
        for card in _elements(html, "li", "plan-card")
    }


def _debit(user: User, amount: int, key: str, action_type: str = "chat") -> LedgerEntry:
    return services.debit(user=user, action_type=action_type, amount=amount, idempotency_key=key)


def _backdate(entry: LedgerEntry, *, days: int) -> None:
    # Test data only: the app never rewrites a ledger entry; this places one in the past.
    LedgerEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(days=days))


def _on_pro_with(user: User, balance: int) -> None:
    """Pro's 10,000-credit allowance, spent down to ``balance``."""
    pro = Plan.objects.get(tier=Tier.PRO)
    services.set_plan(user=user, plan=pro)
    services.renew_allowance(user=user, plan=pro, idempotency_key=f"test-renewal:{user.pk}")
    _debit(user, 10_000 - balance, f"spend:{user.pk}")


def _htmx(client: Client, path: str, current: str = "http://testserver/") -> object:
    return client.get(path, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=current)


# --- The credits bar ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_the_bar_is_on_every_signed_in_page_with_the_users_numbers(
    client: Client, alice: User, path: str
) -> None:
    _on_pro_with(alice, 1_250)
    client.force_login(alice)
    response = client.get(path)
    assert response.status_code == 200
    bar = _bar(response.text)
    assert _text(bar) == "Credits: 1,250 / 10,000 | Plan: Pro | Learn More"
    assert 'hx-get="/credits/bar/"' in bar
    assert 'hx-trigger="credits-changed from:body"' in bar
    assert 'hx-swap="outerHTML"' in bar
    assert 'id="credits-status"' in response.text  # the polite live region that announces changes


def test_a_new_user_gets_a_free_account_with_its_allowance_on_first_page(client: Client, bob: User) -> None:
    client.force_login(bob)
    bar = _bar(client.get("/").text)
    assert _text(bar) == "Credits: 500 / 500 | Plan: Free | Learn More"
    assert services.get_account(bob).plan.tier == Tier.FREE


def test_the_bar_counts_top_up_credits_in_both_numbers(client: Client, alice: User) -> None:
    services.purchase(user=alice, amount=5_000, idempotency_key="evt_1")
    client.force_login(alice)
    assert "Credits: 5,500 / 5,500" in _text(_bar(client.get("/").text))


def test_signed_out_pages_have_no_bar(client: Client) -> None:
    for path in ("/", "/plans/", "/accounts/login/"):
        page = client.get(path).text
        assert 'id="credits-bar"' not in page
        assert 'id="credits-status"' not in page


def test_the_low_balance_warning_shows_at_ten_percent(client: Client, alice: User) -> None:
    _debit(alice, 450, "k1")  # 50 of 500 left: exactly 10%
    client.force_login(alice)
    bar = _bar(client.get("/").text)
    assert "credits-bar-low" in bar
    assert "Low balance: 10% or less of your credits remain." in _text(bar)  # words, not colour alone
    assert 'href="/credits/top-up/"' in bar


def test_no_low_balance_warning_above_ten_percent(client: Client, alice: User) -> None:
    _debit(alice, 449, "k1")  # 51 of 500 left
    client.force_login(alice)
    bar = _bar(client.get("/").text)
    assert "credits-bar-low" not in bar
    assert "Low balance" not in bar


def test_an_empty_balance_says_so(client: Client, alice: User) -> None:
    _debit(alice, 500, "k1")
    client.force_login(alice)
    bar = _bar(client.get("/").text)
    assert "Credits: 0 / 500" in _text(bar)
    assert "You're out of credits." in _text(bar)


def test_without_a_free_plan_pages_still_render_without_the_bar(client: Client, alice: User) -> None:
    # The Free plan opens accounts; if staff removed it, pages must not fail for it.
    Plan.objects.filter(tier=Tier.FREE).delete()
    client.force_login(alice)
    response = client.get("/accounts/security/")
    assert response.status_code == 200
    assert 'id="credits-bar"' not in response.text


def test_the_bar_partial_is_the_bar_alone_and_never_cached(client: Client, alice: User) -> None:
    client.force_login(alice)
    _debit(alice, 125, "k1")
    response = _htmx(client, "/credits/bar/")
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.strip().startswith('<section id="credits-bar"')
    assert "Credits: 375 / 500" in _text(response.text)
    assert "no-store" in response["Cache-Control"]


def test_the_bar_partial_swaps_nothing_when_the_session_has_ended(client: Client, db: None) -> None:
    assert _htmx(client, "/credits/bar/").status_code == 204
    response = client.get("/credits/bar/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_bar_in_spanish_uses_spanish_number_format_and_plan_name(client: Client, alice: User) -> None:
    _on_pro_with(alice, 1_250)
    client.force_login(alice)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="es").text
    assert '<html lang="es"' in page
    bar = _text(_bar(page))
    assert "1.250 / 10.000" in bar  # grouped with a point, as the browser groups the counters
    assert "1,250" not in bar

    services.set_plan(user=alice, plan=Plan.objects.get(tier=Tier.FREE))
    assert "Gratis" in _text(_bar(client.get("/", HTTP_ACCEPT_LANGUAGE="es").text))


# --- The credits modal and the top-up modal -------------------------------------------------------


def test_the_credits_modal_is_a_partial_for_htmx_and_a_full_page_otherwise(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    partial = _htmx(client, "/credits/recent/")
    assert partial.status_code == 200
    assert "<html" not in partial.text
    assert 'id="modal-title"' in partial.text
    assert "HX-Request" in partial["Vary"]

    page = client.get("/credits/recent/")
    assert "<html" in page.text
    assert 'id="credits-bar"' in page.text
    assert "<h1>Your credits</h1>" in page.text
    assert "HX-Request" in page["Vary"]


def test_the_credits_modal_lists_the_last_ten_entries_of_the_user_only(
    client: Client, alice: User, charlie: User
) -> None:
    for number in range(1, 13):
        _debit(alice, number, f"alice:{number}", action_type="code_generation")
    _debit(charlie, 77, "charlie:1")
    client.force_login(alice)
    body = _htmx(client, "/credits/recent/").text
    rows = re.findall(r"<tr>\s*<td><time.*?</tr>", body, re.S)
    assert len(rows) == 10
    assert f"{MINUS}12" in _text(rows[0])  # newest first, with a true minus sign
    assert "Code generation" in _text(rows[0])
    assert "Debit" in _text(rows[0])
    assert _text(rows[0]).endswith(f"{500 - sum(range(1, 13))}")
    assert f"{MINUS}2" not in _text(body)  # the 11th and 12th newest are left out
    assert f"{MINUS}77" not in body
    for link in ('href="/credits/top-up/"', 'href="/plans/"', 'href="/settings/usage/"'):
        assert link in body


def test_the_top_up_modal_lists_active_packs_with_prices(client: Client, alice: User) -> None:
    TopUpPack.objects.create(credits=999, price_cents=100, is_active=False)
    client.force_login(alice)
    body = _htmx(client, "/credits/top-up/").text
    for pack in TopUpPack.objects.filter(is_active=True):
        assertInHTML(f'<input type="hidden" name="pack" value="{pack.pk}">', body)
    assert "1,000 credits" in _text(body)
    assert "$5" in _text(body)
    assert "999 credits" not in _text(body)
    assert body.count('action="/billing/top-up/"') == TopUpPack.objects.filter(is_active=True).count()
    assert body.count('name="csrfmiddlewaretoken"') == TopUpPack.objects.filter(is_active=True).count()


def test_without_stripe_keys_the_top_up_buttons_are_disabled_and_say_why(
    client: Client, alice: User, settings
) -> None:
    settings.STRIPE_SECRET_KEY = ""
    client.force_login(alice)
    body = _htmx(client, "/credits/top-up/").text
    forms = _elements(body, "form", action="/billing/top-up/")
    assert len(forms) == TopUpPack.objects.filter(is_active=True).count()
    for form in forms:
        (button,) = _elements(str(form), "button")
        assert ("disabled", None) in button.attributes
        assert _text(str(button)) == "Payments aren't configured"


def test_with_stripe_keys_the_top_up_buttons_buy(client: Client, alice: User, settings) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    client.force_login(alice)
    body = _htmx(client, "/credits/top-up/").text
    assert "disabled" not in body
    assert "Buy for $5" in _text(body)
    assert "Payments aren&#x27;t configured" not in body


def test_a_signed_out_htmx_request_for_a_modal_sends_the_page_to_sign_in(client: Client, db: None) -> None:
    response = _htmx(client, "/credits/recent/", current="http://testserver/plans/?cycle=annual")
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/plans/%3Fcycle%3Dannual"


@pytest.mark.parametrize(
    "path", ["/credits/recent/", "/credits/top-up/", "/settings/usage/", "/settings/usage.csv"]
)
def test_signed_out_visitors_are_sent_to_sign_in(client: Client, db: None, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


# --- Plans ----------------------------------------------------------------------------------------


def test_plans_shows_every_active_plan_with_the_popular_and_current_ones_marked(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    cards = _plan_cards(client.get("/plans/").text)
    assert list(cards) == ["free", "starter", "pro", "enterprise"]
    assert "Most popular" in cards["pro"]
    assert all("Most popular" not in cards[tier] for tier in ("free", "starter", "enterprise"))
    assert "Current plan" in cards["free"]
    assert all("Current plan" not in cards[tier] for tier in ("starter", "pro", "enterprise"))
    assert "10,000 credits a month" in _text(cards["pro"])
    assert "Integrations and key rotation" in cards["pro"]  # the features list


def test_an_inactive_plan_is_not_offered(client: Client, alice: User) -> None:
    Plan.objects.filter(tier=Tier.ENTERPRISE).update(is_active=False)
    client.force_login(alice)
    assert "enterprise" not in _plan_cards(client.get("/plans/").text)


def test_plans_shows_monthly_prices_by_default_and_annual_ones_with_the_saving(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    monthly = _plan_cards(client.get("/plans/").text)
    assert "$29 / month" in _text(monthly["pro"])
    assert "$9 / month" in _text(monthly["starter"])
    annual_page = client.get("/plans/?cycle=annual").text
    annual = _plan_cards(annual_page)
    assert "$290 / year" in _text(annual["pro"])
    assert "$24.17 a month, billed yearly." in _text(annual["pro"])
    assert "Save $58 a year (17%)." in _text(annual["pro"])
    assert "$0 forever" in _text(annual["free"])
    assertInHTML(
        '<a id="cycle-annual" aria-current="true" href="/plans/?cycle=annual" hx-get="/plans/?cycle=annual"'
        ' hx-select="#plans" hx-target="#plans" hx-swap="outerHTML" hx-push-url="true">'
        'Annual <span class="badge badge-success">save up to 17%</span></a>',
        annual_page,
    )
    # A cycle that doesn't exist is the monthly one.
    assert "$29 / month" in _text(_plan_cards(client.get("/plans/?cycle=weekly").text)["pro"])


def test_without_stripe_keys_every_plan_shows_and_buttons_say_payments_arent_configured(
    client: Client, alice: User, settings
) -> None:
    settings.STRIPE_SECRET_KEY = ""
    client.force_login(alice)
    page = client.get("/plans/").text
    cards = _plan_cards(page)
    assert len(cards) == 4
    assert "Payments aren't configured on this server yet" in unescape(page)
    for tier in ("starter", "pro", "enterprise"):
        assert "disabled" in cards[tier]
        assert "Payments aren't configured" in unescape(cards[tier])
    assert "<form" not in cards["free"]  # Free: no buy button at all


def test_with_stripe_keys_each_paid_plan_posts_to_subscribe_with_its_tier_and_cycle(
    client: Client, alice: User, settings
) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    client.force_login(alice)
    cards = _plan_cards(client.get("/plans/?cycle=annual").text)
    for tier in ("starter", "pro", "enterprise"):
        card = cards[tier]
        assert 'action="/billing/subscribe/"' in card
        assert 'name="csrfmiddlewaretoken"' in card
        assertInHTML(f'<input type="hidden" name="plan" value="{tier}">', card)
        assertInHTML('<input type="hidden" name="cycle" value="annual">', card)
        assert "disabled" not in card
    assert "<form" not in cards["free"]


def test_a_subscriber_sees_their_plan_marked_and_can_manage_the_subscription(
    client: Client, alice: User, settings
) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    services.set_plan(
        user=alice, plan=Plan.objects.get(tier=Tier.PRO), billing_cycle="annual", stripe_customer_id="cus_123"
    )
    client.force_login(alice)
    page = client.get("/plans/").text  # no cycle asked: the subscriber's own
    cards = _plan_cards(page)
    assert "Current plan" in cards["pro"]
    assert "$290 / year" in _text(cards["pro"])
    assert "/billing/subscribe/" not in cards["pro"]
    assert 'action="/billing/portal/"' in page
    assert "Manage subscription" in page


def test_without_a_stripe_customer_there_is_no_manage_button(client: Client, alice: User) -> None:
    client.force_login(alice)
    page = client.get("/plans/").text
    assert "/billing/portal/" not in page


def test_visitors_see_the_plans_with_sign_up_links_instead_of_buy_buttons(client: Client, settings) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    page = client.get("/plans/?cycle=annual").text
    cards = _plan_cards(page)
    assert len(cards) == 4
    assert "/billing/subscribe/" not in page
    assert "Current plan" not in page
    assert 'href="/accounts/signup/?next=/plans/%3Fcycle%3Dannual"' in cards["pro"]
    assert "Sign up for Pro" in _text(cards["pro"])
    assert "Sign up free" in _text(cards["free"])


# --- Usage & Analytics ----------------------------------------------------------------------------


def _usage_history(alice: User, charlie: User) -> None:
    """Two days ago: chat 30, code 20. Today: chat 5, and a chat reserved at 40 settled at 25.
    Forty days ago (outside the window): chat 100. Charlie spends too."""
    _backdate(_debit(alice, 100, "old", "chat"), days=40)
    _backdate(_debit(alice, 30, "a1", "chat"), days=2)
    _backdate(_debit(alice, 20, "a2", "code_generation"), days=2)
    _debit(alice, 5, "a3", "chat")
    reservation = services.reserve(user=alice, action_type="chat", amount=40, idempotency_key="msg-1")
    services.settle(reservation=reservation, amount=25)
    _debit(charlie, 300, "c1", "file_analysis")


def test_daily_usage_counts_debits_net_of_refunded_reservations_per_day(alice: User, charlie: User) -> None:
    _usage_history(alice, charlie)
    days = selectors.daily_usage(user=alice)
    assert len(days) == 30
    assert days[-1].day == timezone.localdate()
    by_day = {day.day: day.credits for day in days}
    today = timezone.localdate()
    assert by_day[today] == 5 + 25
    assert by_day[today - timedelta(days=2)] == 50
    assert sum(by_day.values()) == 80  # forty days ago is outside; charlie's isn't alice's


def test_usage_by_action_type_biggest_first_with_shares(alice: User, charlie: User) -> None:
    _usage_history(alice, charlie)
    rows = selectors.usage_by_action(user=alice)
    assert [(row.action_type, row.name, row.credits, row.share) for row in rows] == [
        ("chat", "Chat", 60, 75),
        ("code_generation", "Code generation", 20, 25),
    ]


def test_the_usage_page_shows_the_chart_the_table_by_action_and_the_history(
    client: Client, alice: User, charlie: User
) -> None:
    _usage_history(alice, charlie)
    client.force_login(alice)
    response = client.get("/settings/usage/")
    assert response.status_code == 200
    page = response.text
    assert '<strong id="usage-total">80</strong>' in page
    assert 'role="img"' in page
    assert 'aria-labelledby="usage-chart-title usage-chart-desc"' in page
    assert page.count('class="chart-bar"') == 2  # two days with use
    assert "Show the numbers as a table" in page
    assert "80 credits in all" in page
    by_action = re.search(r'<table class="by-action"[^>]*>.*?</table>', page, re.S).group(0)
    assert re.findall(r'data-action-type="(\w+)"', by_action) == ["chat", "code_generation"]
    assert "75%" in by_action
    assert "25%" in by_action
    assert "file_analysis" not in page  # charlie's
    assert 'href="/settings/usage.csv"' in page
    assert f"{MINUS}300" not in page


def test_the_usage_page_reads_with_the_same_queries_however_long_the_history(
    client: Client, alice: User
) -> None:
    client.force_login(alice)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/settings/usage/").status_code == 200
        return len(captured)

    _debit(alice, 1, "first", "chat")
    queries()  # the first request of a session records it (allauth's user sessions)
    few = queries()
    for number in range(30):
        _debit(alice, 1, f"more:{number}", "code_generation" if number % 2 else "file_analysis")
    assert queries() == few


def test_the_history_is_paginated_by_25(client: Client, alice: User) -> None:
    for number in range(30):
        _debit(alice, 1, f"k{number}")
    client.force_login(alice)  # 31 entries: the opening allowance and 30 debits
    first = client.get("/settings/usage/").text
    assert len(re.findall(r"<tr[^>]*>\s*<td[^>]*><time", first)) == 25
    assert "Page 1 of 2" in first
    assert 'href="?page=2#history" rel="next"' in first
    second = client.get("/settings/usage/?page=2").text
    assert len(re.findall(r"<tr[^>]*>\s*<td[^>]*><time", second)) == 6
    assert "Renewal" in second  # the oldest: the Free allowance opened the account
    assert 'rel="prev"' in second
    assert "Page 2 of 2" in client.get("/settings/usage/?page=999").text


def test_usage_has_an_empty_state(client: Client, alice: User) -> None:
    client.force_login(alice)
    page = client.get("/settings/usage/").text
    assert "No credits used in the last 30 days." in page
    assert "usage-chart" not in page  # no chart (the shell's own icons are svg too)


# --- CSV export -----------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_csv_has_the_users_whole_ledger_in_its_columns(
    client: Client, alice: User, charlie: User
) -> None:
    _usage_history(alice, charlie)
    services.grant(user=alice, amount=10, idempotency_key="g1", reason='=HYPERLINK("http://x")')
    client.force_login(alice)
    response = client.get("/settings/usage.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="javari-usage.csv"'
    rows = _csv(response)
    assert rows[0] == ["date", "kind", "action_type", "amount", "balance_after", "reason"]
    body = rows[1:]
    assert len(body) == LedgerEntry.objects.filter(user=alice).count() == 8
    assert body[0][1:5] == ["debit", "chat", "-100", "400"]  # oldest first: forty days ago
    assert ["renewal", "", "500", "500"] in [row[1:5] for row in body]
    assert ["debit", "code_generation", "-20"] in [row[1:4] for row in body]
    assert body[-1][1:] == [
        "grant",
        "",
        "10",
        str(services.get_account(alice).balance),
        '\'=HYPERLINK("http://x")',
    ]
    assert all(row[0].endswith("+00:00") for row in body)  # ISO 8601, UTC


def test_the_csv_never_holds_another_users_entries(client: Client, alice: User, charlie: User) -> None:
    _usage_history(alice, charlie)
    client.force_login(charlie)
    rows = _csv(client.get("/settings/usage.csv"))[1:]
    assert [row[1:4] for row in rows] == [["renewal", "", "500"], ["debit", "file_analysis", "-300"]]


# --- Money ----------------------------------------------------------------------------------------


def test_money_is_shown_in_the_languages_format_with_cents_only_when_there_are_some() -> None:
    from django.utils import translation

    assert money(2900) == "$29"
    assert money(2417) == "$24.17"
    assert money(99000) == "$990"
    assert money(123456789) == "$1,234,567.89"
    with translation.override("es"):
        assert money(2900) == "29\xa0US$"
        assert money(2417) == "24,17\xa0US$"
        assert money(123456) == "1.234,56\xa0US$"  # grouped as the credit counts are


# --- Monthly spending cap -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_user_sets_a_monthly_cap_that_debits_then_respect(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(reverse("credits:set_cap"), {"monthly_cap": "5"})
    assert response.status_code == 302
    assert services.get_account(alice).monthly_cap == 5
    services.debit(user=alice, action_type="chat", amount=5, idempotency_key="cap-1")
    with pytest.raises(SpendingCapReached):
        services.debit(user=alice, action_type="chat", amount=1, idempotency_key="cap-2")
    page = client.get(reverse("credits:usage")).text
    assert "5 of your 5-credit cap used this month." in page


@pytest.mark.django_db
def test_an_empty_cap_turns_it_off(client: Client, alice: User) -> None:
    services.set_monthly_cap(user=alice, cap=10)
    client.force_login(alice)
    client.post(reverse("credits:set_cap"), {"monthly_cap": ""})
    assert services.get_account(alice).monthly_cap is None


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0", "-3", "ten", "2.5"])
def test_a_bad_cap_is_a_form_error_and_changes_nothing(client: Client, alice: User, value: str) -> None:
    services.set_monthly_cap(user=alice, cap=10)
    client.force_login(alice)
    response = client.post(reverse("credits:set_cap"), {"monthly_cap": value})
    assert response.status_code == 400
    assert 'class="errorlist' in response.text
    assert services.get_account(alice).monthly_cap == 10


@pytest.mark.django_db
def test_setting_a_cap_needs_a_signed_in_post(client: Client, alice: User) -> None:
    assert client.post(reverse("credits:set_cap"), {"monthly_cap": "5"}).status_code == 302
    client.force_login(alice)
    assert client.get(reverse("credits:set_cap")).status_code == 405
