"""Template helpers of the credits pages: money from cents, signed credit amounts, the usage chart."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_symbol
from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.formats import number_format
from django.utils.translation import get_language, to_locale

from credits.selectors import DayUsage

register = template.Library()

# The chart's drawing units: one slot per day, bars a little narrower than their slot.
CHART_SLOT = 10
CHART_BAR = 7
CHART_HEIGHT = 100


def _locale() -> Locale:
    try:
        return Locale.parse(to_locale(get_language() or settings.LANGUAGE_CODE))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


@register.filter
def money(cents: int | None, currency: str = "usd") -> str:
    """``2900`` → "$29" in English, "29 US$" in Spanish; cents are shown only when there are some.

    The number follows Django's format for the language, as the credit counts beside it do; Babel
    (CLDR) gives the currency's symbol and which side of the number it goes.
    """
    if cents is None or cents == "":
        return ""
    amount = Decimal(int(cents)) / 100
    whole = amount == amount.to_integral_value()
    number = number_format(amount, decimal_pos=0 if whole else 2, use_l10n=True, force_grouping=True)
    locale = _locale()
    symbol = get_currency_symbol((currency or "usd").upper(), locale=locale)
    pattern = locale.currency_formats["standard"].pattern
    if pattern.lstrip().startswith("\u00a4"):
        return f"{symbol}{number}"
    return f"{number}\xa0{symbol}"


@register.filter
def signed_credits(amount: int) -> str:
    """A ledger amount with its sign, grouped: "+500", "-1,250" with U+2212, a true minus sign."""
    amount = int(amount)
    sign = "+" if amount > 0 else "\u2212" if amount < 0 else ""
    return f"{sign}{intcomma(abs(amount))}"


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value``: the chart's top line."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # not reached: value <= 10 * magnitude by definition


def _tick(day: date, index: int, count: int) -> dict:
    """A date under the chart, centred on its bar; the first and last keep inside the chart's edges."""
    if index == 0:
        return {"day": day, "left": 0, "align": "start", "minor": False}
    if index == count - 1:
        return {"day": day, "left": 100, "align": "end", "minor": False}
    # Every other weekly date gives way on a narrow screen.
    minor = (index // 7) % 2 == 1
    return {"day": day, "left": round(100 * (index + 0.5) / count, 2), "align": "middle", "minor": minor}


@register.inclusion_tag("credits/_usage_chart.html")
def usage_chart(days: list[DayUsage]) -> dict:
    """The per-day usage as an inline SVG bar chart, its axes and the same numbers as a table."""
    count = len(days)
    top = _nice_ceiling(max((day.credits for day in days), default=0))
    bars = []
    for index, day in enumerate(days):
        height = CHART_HEIGHT * day.credits / top
        if day.credits:
            height = max(height, 1.5)  # a day with a little use still shows
        bars.append(
            {
                "day": day.day,
                "credits": day.credits,
                "slot_x": index * CHART_SLOT,
                "x": index * CHART_SLOT + (CHART_SLOT - CHART_BAR) / 2,
                "y": round(CHART_HEIGHT - height, 2),
                "height": round(height, 2),
            }
        )
    # Five dates under the chart: the first, every week, the last.
    ticks = sorted({*range(0, count, 7), count - 1}) if count else []
    if len(ticks) > 2 and ticks[-1] - ticks[-2] < 4:
        del ticks[-2]  # too close to the last date to be read apart
    busiest = max(days, key=lambda day: day.credits) if days else None
    return {
        "bars": bars,
        "width": count * CHART_SLOT,
        "height": CHART_HEIGHT,
        "slot": CHART_SLOT,
        "bar_width": CHART_BAR,
        "top": top,
        "middle": top // 2 if top % 2 == 0 else None,
        "x_ticks": [_tick(days[i].day, i, count) for i in ticks],
        "first": days[0].day if days else None,
        "last": days[-1].day if days else None,
        "total": sum(day.credits for day in days),
        "busiest": busiest,
    }
