"""The calendar in Chromium: the month view with a weekly reminder on every week, walked by keyboard
(Tab to a day, arrow keys between days, Enter opens it), on a desktop and on a phone, in English and
in Spanish; the feed address copied; screenshots for a person to look at."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from conftest import PASSWORD, make_user
from preferences.services import update_preferences
from reminders import services
from reminders.tests.factories import ReminderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}


def _sign_in(page: Page, email: str, *, button: str = "Sign In") -> None:
    page.goto("/accounts/login/")
    main = page.locator("main")
    main.locator("input[name=login]").fill(email)
    main.locator("input[name=password]").fill(PASSWORD)
    main.get_by_role("button", name=button).click()
    expect(page).to_have_url(re.compile(r"/$"))


def _month_ahead() -> date:
    """The first of the month after next: wholly in the future, whatever today is."""
    today = timezone.now().date()
    index = today.year * 12 + today.month - 1 + 2
    return date(index // 12, index % 12 + 1, 1)


def _setup(email: str, **user: Any) -> tuple[User, date]:
    person = make_user(email, display_name="Ada Lovelace", **user)
    update_preferences(user=person, time_zone="Europe/Madrid")
    first = _month_ahead()
    ReminderFactory.create(
        user=person,
        title="Rotate keys",
        start_date=first - timedelta(days=10),
        start_time=time(9, 0),
        time_zone="Europe/Madrid",
        recurrence="weekly",
    )
    services.create_event(
        user=person,
        title="Sprint review",
        start=_at(first.replace(day=12), 15),
        end=_at(first.replace(day=12), 16),
        time_zone="Europe/Madrid",
    )
    return person, first


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0))


def _weeks_with(page: Page, title: str) -> tuple[int, int]:
    rows = page.locator("table.cal-month tbody tr")
    with_item = sum(1 for index in range(rows.count()) if rows.nth(index).get_by_text(title).count() == 1)
    return with_item, rows.count()


def _scroll_width(page: Page) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth"))


def test_the_month_with_a_weekly_reminder_by_keyboard(
    page: Page, shot: Callable[[str], Path], page_problems: list[str]
) -> None:
    ada, first = _setup("ada@example.com")
    _sign_in(page, ada.email)
    page.goto("/calendar/")
    expect(page.get_by_role("heading", level=1)).to_have_text(timezone.now().strftime("%B %Y"))
    page.goto(f"/calendar/month/{first.year}/{first.month}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(first.strftime("%B %Y"))
    grid = page.get_by_role("table", name=first.strftime("%B %Y"))
    expect(grid.get_by_role("columnheader")).to_have_count(7)
    expect(grid.get_by_role("columnheader").first).to_have_text("Mon")
    # The weekly reminder is on every week of the grid, once; the event on its day.
    with_item, weeks = _weeks_with(page, "Rotate keys")
    assert with_item == weeks >= 4
    expect(grid.get_by_role("link", name=re.compile("Sprint review"))).to_have_count(1)
    shot("month-desktop")

    # Keyboard: Tab reaches the first day of the grid; the arrows move by day and by week; every
    # focused link shows the focus ring; Enter opens the day in the agenda.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('cal-day-link')"):
            break
    else:
        pytest.fail("Tab never reached a day of the month")
    first_day = page.evaluate("document.activeElement.dataset.day")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    moved = page.evaluate("document.activeElement.dataset.day")
    assert date.fromisoformat(moved) - date.fromisoformat(first_day) == timedelta(days=8)
    # Tab then goes into that day's items, real links to their pages.
    shot("month-keyboard-focus")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/calendar/agenda/{moved.replace('-0', '-').replace('-', '/')}/$"))
    expect(page.get_by_role("link", name="Agenda")).to_have_attribute("aria-current", "page")

    # Previous/next are links; the week view shows the reminder with its time.
    page.get_by_role("link", name="Week").click()
    expect(page.locator("table.cal-week")).to_be_visible()
    expect(page.locator("table.cal-week").get_by_role("link", name=re.compile("Rotate keys"))).to_have_count(
        1
    )
    expect(page.locator("table.cal-week")).to_contain_text("9 a.m.")
    shot("week-desktop")

    # The private address: created, shown and copyable.
    page.goto(f"/calendar/month/{first.year}/{first.month}/")
    page.get_by_role("button", name="Create the address").click()
    expect(page.locator("#feed-url")).to_have_value(
        re.compile(r"^http://.*/calendar/feed/[A-Za-z0-9_-]{43}\.ics$")
    )
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    feed_url = page.locator("#feed-url").input_value()
    response = page.request.get(feed_url)
    assert response.status == 200
    assert "RRULE:FREQ=WEEKLY" in response.text()
    assert "BEGIN:VTIMEZONE" in response.text()
    page.get_by_role("button", name="Reset the address").click()
    expect(page.locator("#feed-url")).not_to_have_value(feed_url)
    assert page.request.get(feed_url).status == 404
    shot("subscribe")
    page_problems[:] = [problem for problem in page_problems if "/calendar/feed/" not in problem]
    assert page_problems == []


@pytest.mark.parametrize("viewport", [PHONE], indirect=True)
def test_the_month_and_agenda_on_a_phone(
    page: Page, shot: Callable[[str], Path], page_problems: list[str]
) -> None:
    ada, first = _setup("ada@example.com")
    ReminderFactory.create(  # a long title, cut short in the cell, on the rightmost days too
        user=ada,
        title="Check the performance of every site we run",
        start_date=first - timedelta(days=10),
        start_time=time(8, 0),
        time_zone="Europe/Madrid",
        recurrence="daily",
    )
    _sign_in(page, ada.email)
    page.goto(f"/calendar/month/{first.year}/{first.month}/")
    with_item, weeks = _weeks_with(page, "Rotate keys")
    assert with_item == weeks
    assert _scroll_width(page) <= PHONE["width"]
    shot("month-phone")
    page.goto(f"/calendar/agenda/{first.year}/{first.month}/1/")
    expect(page.get_by_role("heading", level=2).first).to_be_visible()
    assert _scroll_width(page) <= PHONE["width"]
    shot("agenda-phone")
    page.goto(f"/calendar/week/{first.year}/{first.month}/12/")
    assert _scroll_width(page) <= PHONE["width"]  # the week scrolls inside its own box
    shot("week-phone")
    assert page_problems == []


def test_the_month_in_spanish_starting_on_sunday(
    page: Page, shot: Callable[[str], Path], page_problems: list[str]
) -> None:
    ana, first = _setup("ana@example.com", language="es")
    update_preferences(user=ana, week_start=6)
    _sign_in(page, ana.email)  # the sign-in page is in the browser's English; ana's Spanish follows
    page.goto(f"/calendar/month/{first.year}/{first.month}/")
    months = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ]
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{months[first.month - 1]} de {first.year}")
    expect(page.locator("table.cal-month thead th").first).to_have_text("dom")
    expect(page.get_by_role("link", name="Hoy")).to_be_visible()
    expect(page.get_by_role("link", name="Nuevo evento")).to_be_visible()
    with_item, weeks = _weeks_with(page, "Rotate keys")
    assert with_item == weeks
    shot("month-spanish")
    page.get_by_role("link", name="Agenda").click()
    expect(page.locator("main")).to_contain_text("Horas en Europe/Madrid.")
    expect(page.locator("main")).to_contain_text("9:00 Rotate keys")
    shot("agenda-spanish")

    # A new event through the form, by keyboard where it matters; its page, then the import page.
    page.get_by_role("link", name="Nuevo evento").click()
    page.get_by_label("Título").fill("Revisión de costes")
    page.get_by_label("Hora de inicio").fill("11:00")
    page.get_by_label("Hora de fin").fill("10:00")
    page.get_by_role("button", name="Añadir evento").click()
    expect(page.get_by_role("alert")).to_contain_text("El evento no se ha guardado")
    expect(page.locator("main")).to_contain_text("El final no puede ser anterior al inicio.")
    shot("event-form-error-spanish")
    page.get_by_label("Hora de fin").fill("12:00")
    page.get_by_label("Se repite").select_option("weekly")
    page.get_by_role("button", name="Añadir evento").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revisión de costes")
    expect(page.locator("main")).to_contain_text("Cada semana")
    shot("event-page-spanish")
    page.goto("/calendar/import/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Importar eventos")
    shot("import-spanish")
    assert page_problems == [
        problem for problem in page_problems if "/calendar/events/new/" in problem
    ]  # only the refused form's 400
