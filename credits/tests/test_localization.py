"""Numbers in Spanish: localized where people read them, never where a machine reads them.

A float rendered in a Spanish template reads "291,5": SVG and CSS take that for garbage and the
usage chart's bars vanished. Attributes, SVG geometry, CSS lengths, URLs and the CSV carry plain
numbers ("291.5", "16000"); text carries the language's format ("16.000", "1.234").
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from credits import services
from credits.models import LedgerEntry

pytestmark = pytest.mark.django_db

# Attributes a person reads (announced or shown); every other attribute is for the machine.
HUMAN_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "data-announcement"}
HUMAN_DATA = re.compile(r"^data-.*text$")
ATTRIBUTE = re.compile(r'([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"]*)"')
# "291,5", "16.000", "16 000" (with a no-break or thin space): a number formatted for people.
LOCALIZED_NUMBER = re.compile(r"\d,\d|\d\.\d{3}(?!\d)|\d[\u00a0\u202f]\d")


def _machine_numbers(html: str) -> list[tuple[str, str]]:
    """Every machine-read attribute whose value holds a number formatted for people."""
    found = []
    for name, value in ATTRIBUTE.findall(html):
        name = name.lower()
        if name in HUMAN_ATTRIBUTES or HUMAN_DATA.match(name) or name.startswith("aria-"):
            continue
        if LOCALIZED_NUMBER.search(unescape(value)):
            found.append((name, value))
    return found


def _text(html: str) -> str:
    return re.sub(r"[ \t\n\r\f]+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip(" ")


@pytest.fixture
def spanish_alice(alice: User) -> User:
    """alice in Spanish with four-digit numbers everywhere: 20,000 credits bought, 16,000 used today,
    1,234 used three days ago, a reservation that gave 60 back, and a cap of 50,000."""
    alice.language = "es"
    alice.save(update_fields=["language"])
    services.grant(user=alice, amount=20_000, idempotency_key="loc:grant")
    services.debit(user=alice, action_type="chat", amount=16_000, idempotency_key="loc:big")
    old = services.debit(user=alice, action_type="chat", amount=1_234, idempotency_key="loc:old")
    LedgerEntry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    reservation = services.reserve(user=alice, action_type="chat", amount=100, idempotency_key="loc:res")
    services.settle(reservation=reservation, amount=40)
    services.set_monthly_cap(user=alice, cap=50_000)
    return alice


def test_the_usage_chart_draws_with_plain_numbers_in_spanish(client: Client, spanish_alice: User) -> None:
    client.force_login(spanish_alice)
    page = client.get(reverse("credits:usage")).text
    chart = re.search(r"<figure class=\"usage-chart\">.*?</figure>", page, re.S)
    assert chart, "no usage chart"
    svg = re.search(r"<svg.*?</svg>", chart.group(0), re.S).group(0)
    assert _machine_numbers(chart.group(0)) == []
    # Every bar's geometry is a plain number: SVG reads "1.5", never "1,5".
    bar = r'<rect class="chart-bar" x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)"'
    bars = re.findall(bar, svg)
    assert len(bars) == 2
    for values in bars:
        for value in values:
            float(value)  # raises on "291,5"
    assert re.search(r'x="\d+\.5"', svg), "the bars sit half a gap into their slot"
    for left in re.findall(r'style="left: ([^%"]+)%"', chart.group(0)):
        float(left)
    # What people read is Spanish: the total in the summary and the per-day table.
    assert "17.274 créditos en total" in _text(svg)
    assert "16.040" in _text(chart.group(0))


def test_the_usage_page_shows_spanish_numbers_and_spanish_words(client: Client, spanish_alice: User) -> None:
    client.force_login(spanish_alice)
    page = client.get(reverse("credits:usage")).text
    assert _machine_numbers(page) == []
    text = _text(page)
    assert "17.274" in text  # used in the window
    assert "\u221216.000" in text  # the history's signed amount, with a true minus sign
    assert "16,000" not in text
    assert "16000" not in text
    assert "de tu límite de 50.000 créditos" in text
    # The spending cap's label and help text, and the ledger's system reason, in Spanish.
    assert "Límite de gasto mensual (créditos)" in text
    assert "Déjalo vacío para no tener límite." in text
    assert "reserva no usada" in text
    assert "unused reservation" not in text
    assert "Monthly spending cap" not in text


def test_the_credits_bar_and_modals_show_spanish_numbers(client: Client, spanish_alice: User) -> None:
    client.force_login(spanish_alice)
    for url in (reverse("credits:bar"), reverse("credits:recent"), reverse("credits:top_up"), "/chat/"):
        page = client.get(url).text
        assert _machine_numbers(page) == [], url
    bar = client.get(reverse("credits:bar")).text
    balance = 500 + 20_000 - 16_000 - 1_234 - 40
    assert f"{balance // 1000}.{balance % 1000:03d}" in _text(bar)
    gauge = re.search(r'<span style="width: ([^"%]+)%">', bar)
    assert gauge
    assert gauge.group(1).isdigit()


def test_the_plans_page_shows_spanish_numbers(client: Client, spanish_alice: User) -> None:
    client.force_login(spanish_alice)
    for cycle in ("monthly", "annual"):
        page = client.get(reverse("credits:plans"), {"cycle": cycle}).text
        assert _machine_numbers(page) == []
        text = _text(page)
        assert "10.000 créditos al mes" in text
        assert "50.000 créditos al mes" in text


def test_the_settings_pages_keep_machine_numbers_plain(client: Client, spanish_alice: User) -> None:
    client.force_login(spanish_alice)
    for url in ("/settings/", "/settings/behavior/", "/settings/language/", "/accounts/security/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _machine_numbers(response.text) == [], url
    behavior = client.get("/settings/behavior/").text
    assert 'data-char-limit="4000"' in behavior
    assert "0 / 4.000" in _text(behavior)


def test_the_csv_has_plain_numbers_whatever_the_language(client: Client, spanish_alice: User) -> None:
    client.force_login(spanish_alice)
    response = client.get(reverse("credits:usage_csv"), HTTP_ACCEPT_LANGUAGE="es")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    amounts = [row["amount"] for row in rows]
    assert {"-16000", "-1234", "20000"} <= set(amounts)
    for row in rows:
        int(row["amount"])
        int(row["balance_after"])
        assert "," not in row["date"]
    # The CSV is data: its reason column keeps the stable key, whatever the page language.
    assert "unused reservation" in [row["reason"] for row in rows]


def test_the_cap_confirmation_groups_the_number_in_spanish(client: Client, spanish_alice: User) -> None:
    client.force_login(spanish_alice)
    response = client.post(reverse("credits:set_cap"), {"monthly_cap": "25000"}, follow=True)
    assert "25.000 créditos" in _text(response.text)


def test_english_keeps_english_grouping(client: Client, alice: User) -> None:
    services.grant(user=alice, amount=20_000, idempotency_key="loc:grant")
    services.debit(user=alice, action_type="chat", amount=16_000, idempotency_key="loc:big")
    client.force_login(alice)
    page = client.get(reverse("credits:usage")).text
    assert _machine_numbers(page) == []
    text = _text(page)
    assert "\u221216,000" in text
    assert "Monthly spending cap (credits)" in text


def test_a_top_up_pack_names_its_credits_in_the_readers_language(db: None) -> None:
    from django.utils import translation

    from credits.models import TopUpPack

    pack = TopUpPack(credits=5_000, price_cents=1_900)
    assert str(pack) == "5,000 credits"
    with translation.override("es"):
        assert str(pack) == "5.000 créditos"
