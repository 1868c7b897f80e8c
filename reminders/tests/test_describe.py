"""describe(): a schedule in words, English and Spanish — presets, RRULEs part by part, cron."""

from __future__ import annotations

from datetime import date, time

import pytest

from reminders.describe import describe
from reminders.recurrence import Schedule

MONDAY = date(2027, 1, 4)


def _schedule(recurrence: str, rule: str = "", *, start: date = MONDAY, at: time = time(9, 0)) -> Schedule:
    return Schedule.of(
        start_date=start, start_time=at, time_zone="Europe/Madrid", recurrence=recurrence, rule=rule
    )


@pytest.mark.parametrize(
    ("recurrence", "rule", "start", "english", "spanish"),
    [
        ("none", "", MONDAY, "Once, on Jan. 4, 2027 at 09:00", "Una vez, el 4 de enero de 2027 a las 09:00"),
        ("daily", "", MONDAY, "Every day at 09:00", "Cada día a las 09:00"),
        ("weekly", "", MONDAY, "Every week on Monday at 09:00", "Cada semana el lunes a las 09:00"),
        ("monthly", "", MONDAY, "Every month on day 4 at 09:00", "Cada mes el día 4 a las 09:00"),
        (
            "monthly",
            "",
            date(2027, 1, 31),
            "Every month on day 31 at 09:00 (the last day in shorter months)",
            "Cada mes el día 31 a las 09:00 (el último día en los meses más cortos)",
        ),
        ("yearly", "", MONDAY, "Every year on 4 January at 09:00", "Cada año el 4 de enero a las 09:00"),
        (
            "yearly",
            "",
            date(2028, 2, 29),
            "Every year on 29 February at 09:00 (28 February in other years)",
            "Cada año el 29 de febrero a las 09:00 (el 28 de febrero en los demás años)",
        ),
    ],
)
def test_presets_and_one_offs(recurrence: str, rule: str, start: date, english: str, spanish: str) -> None:
    schedule = _schedule(recurrence, rule, start=start)
    assert describe(schedule, language="en") == english
    assert describe(schedule, language="es") == spanish


@pytest.mark.parametrize(
    ("rule", "english", "spanish"),
    [
        ("FREQ=DAILY", "Every day at 09:00", "Cada día a las 09:00"),
        ("FREQ=DAILY;INTERVAL=3", "Every 3 days at 09:00", "Cada 3 días a las 09:00"),
        ("FREQ=WEEKLY", "Every week on Monday at 09:00", "Cada semana el lunes a las 09:00"),
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR",
            "Every 2 weeks on Monday, Wednesday and Friday at 09:00",
            "Cada 2 semanas el lunes, miércoles y viernes a las 09:00",
        ),
        (
            "FREQ=MONTHLY;BYDAY=1MO",
            "Every month on the first Monday at 09:00",
            "Cada mes el primer lunes a las 09:00",
        ),
        (
            "FREQ=MONTHLY;BYDAY=-1FR",
            "Every month on the last Friday at 09:00",
            "Cada mes el último viernes a las 09:00",
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            "Every month on the last day at 09:00",
            "Cada mes el último día a las 09:00",
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=1,15",
            "Every month on days 1 and 15 at 09:00",
            "Cada mes los días 1 y 15 a las 09:00",
        ),
        (
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
            "Every month on the last weekday at 09:00",
            "Cada mes el último día laborable a las 09:00",
        ),
        (
            "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15",
            "Every year on 15 March at 09:00",
            "Cada año el 15 de marzo a las 09:00",
        ),
        (
            "FREQ=YEARLY;BYMONTH=1,7;BYDAY=1MO",
            "Every year in January and July on the first Monday at 09:00",
            "Cada año en enero y julio el primer lunes a las 09:00",
        ),
        (
            "FREQ=DAILY;BYHOUR=9,17;BYMINUTE=30",
            "Every day at 09:30 and 17:30",
            "Cada día a las 09:30 y 17:30",
        ),
        (
            "FREQ=MONTHLY;BYDAY=MO,-1FR",
            "Every month on Monday and the last Friday at 09:00",
            "Cada mes el lunes y el último viernes a las 09:00",
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=10,-1,-2",
            "Every month on day 10, the last day and the second-to-last day at 09:00",
            "Cada mes el día 10, el último día y el penúltimo día a las 09:00",
        ),
        ("FREQ=HOURLY;INTERVAL=2", "Every 2 hours at minute 0", "Cada 2 horas en el minuto 0"),
        ("FREQ=DAILY;COUNT=1", "Every day at 09:00, once", "Cada día a las 09:00, una vez"),
        (
            "FREQ=WEEKLY;COUNT=10",
            "Every week on Monday at 09:00, 10 times",
            "Cada semana el lunes a las 09:00, 10 veces",
        ),
        (
            "FREQ=DAILY;UNTIL=20270131",
            "Every day at 09:00, until Jan. 31, 2027",
            "Cada día a las 09:00, hasta el 31 de enero de 2027",
        ),
        (
            # 08:00 UTC is 09:00 in Madrid in winter: UNTIL is shown in the series' zone.
            "FREQ=DAILY;UNTIL=20270131T080000Z",
            "Every day at 09:00, until Jan. 31, 2027 at 09:00",
            "Cada día a las 09:00, hasta el 31 de enero de 2027 a las 09:00",
        ),
    ],
)
def test_rrules_part_by_part(rule: str, english: str, spanish: str) -> None:
    schedule = _schedule("rrule", rule)
    assert describe(schedule, language="en") == english
    assert describe(schedule, language="es") == spanish


@pytest.mark.parametrize(
    "rule",
    ["FREQ=YEARLY;BYWEEKNO=20", "FREQ=YEARLY;BYYEARDAY=100", "FREQ=MONTHLY;BYMONTHDAY=1,15;BYSETPOS=2"],
)
def test_what_it_cant_put_in_words_is_the_rules_own_text(rule: str) -> None:
    schedule = _schedule("rrule", rule)
    assert describe(schedule, language="en") == f"Custom rule: {schedule.rule}"
    assert describe(schedule, language="es") == f"Regla personalizada: {schedule.rule}"


@pytest.mark.parametrize(
    ("rule", "english", "spanish"),
    [
        ("0 9 * * 1-5", "At 09:00, Monday through Friday", "A las 09:00, de lunes a viernes"),
        (
            "30 2 1 1,6 *",
            "At 02:30, on day 1 of the month, only in January and June",
            "A las 02:30, el día 1 del mes, sólo en enero y junio",
        ),
        ("0 9 * * 0", "At 09:00, only on Sunday", "A las 09:00, sólo el domingo"),
    ],
)
def test_cron_in_both_languages(rule: str, english: str, spanish: str) -> None:
    schedule = _schedule("cron", rule)
    assert describe(schedule, language="en") == english
    assert describe(schedule, language="es") == spanish


def test_another_language_falls_back_to_english() -> None:
    assert describe(_schedule("weekly"), language="fr") == "Every week on Monday at 09:00"
