"""The usage chart in Spanish, in Chromium: every bar drawn where it belongs, numbers in Spanish.

In Spanish the bars' coordinates once rendered as ``x="291,5"``: Chromium drops such a rect, so the
bars vanished and the date labels piled up at the left edge.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import PASSWORD, make_user
from credits import services
from credits.models import LedgerEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_spanish_usage_chart_draws_every_bar(
    page: Page, shot: Callable[[str], Path], page_problems: list[str]
) -> None:
    ana = make_user("ana@example.com", display_name="Ana", language="es")
    services.grant(user=ana, amount=20_000, idempotency_key="grant")
    for days_ago, amount in ((0, 16_000), (3, 1_234), (9, 800), (20, 2_000), (29, 300)):
        entry = services.debit(user=ana, action_type="chat", amount=amount, idempotency_key=f"use:{days_ago}")
        LedgerEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(days=days_ago))

    page.goto("/accounts/login/")  # in the browser's English: ana's Spanish follows her sign-in
    main = page.locator("main")
    main.get_by_label(re.compile(r"^Email:?$")).fill(ana.email)
    main.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    main.get_by_role("button", name="Sign In").click()
    page.goto("/settings/usage/")
    expect(page.locator("html")).to_have_attribute("lang", "es")

    chart = page.locator("svg.chart-svg")
    expect(chart).to_be_visible()
    bars = chart.locator("rect.chart-bar")
    expect(bars).to_have_count(5)
    # Each bar has a real box: a rect whose x Chromium could not parse has none at its place.
    boxes = [bars.nth(i).bounding_box() for i in range(5)]
    lefts = [box["x"] for box in boxes if box]
    assert len(lefts) == 5
    assert lefts == sorted(lefts)
    assert len({round(left) for left in lefts}) == 5, "bars piled up at one place"
    assert all(box and box["width"] > 0 and box["height"] > 0 for box in boxes)
    # The date labels spread under the chart instead of piling up at the left.
    label_lefts = [
        box["x"]
        for box in page.locator(".chart-x span").evaluate_all(
            "els => els.map(el => el.getBoundingClientRect().toJSON())"
        )
    ]
    assert len(set(round(left) for left in label_lefts)) == len(label_lefts)

    expect(page.locator("#usage-total")).to_have_text("20.334")
    shot("usage-chart-es")
    assert page_problems == []
