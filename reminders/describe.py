"""A schedule in words, in English or Spanish: "Every week on Monday at 09:00".

- The presets (daily, weekly, monthly, yearly) and a one-off reminder have fixed sentences.
- A custom RRULE is read with icalendar's ``vRecur`` (the parts as given), completed as RFC 5545
  completes it from the series' first wall time (a weekly rule without BYDAY repeats on the start's
  weekday, a time comes from DTSTART unless BYHOUR/BYMINUTE say otherwise), and put in words part
  by part: FREQ and INTERVAL, BYMONTH, BYDAY (``MO``, ``1MO``, ``-1FR``), BYMONTHDAY (``-1`` is the
  last day), a BYSETPOS over weekdays or month days, BYHOUR/BYMINUTE, COUNT and UNTIL. A part it
  can't put in words (BYYEARDAY, BYWEEKNO, a BYSETPOS over anything else, …) gives the rule's own text.
- Cron goes through the cron-descriptor package, which has Spanish; its day and month names come from
  the process's C locale (English), so they are swapped for Django's translated names.

Times are wall times in the series' zone, 24-hour ("09:00") in both languages.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from cron_descriptor import ExpressionDescriptor, Options
from django.conf import settings
from django.utils import formats, translation
from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, npgettext, pgettext
from icalendar import vRecur

from reminders.models import Recurrence
from reminders.recurrence import Schedule, to_wall

_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
# Parts this module puts in words; any other makes the description fall back to the rule's text.
_KNOWN_PARTS = {
    "FREQ",
    "INTERVAL",
    "BYMONTH",
    "BYDAY",
    "BYMONTHDAY",
    "BYSETPOS",
    "BYHOUR",
    "BYMINUTE",
    "COUNT",
    "UNTIL",
    "WKST",
}
# More times a day than this read better as the rule itself.
_MAX_TIMES = 8
_CRON_LOCALES = {"en": "en_US", "es": "es_ES"}


class _Unsayable(Exception):
    """A part of a rule with no words here: the description is the rule's text."""


def describe(schedule: Schedule, *, language: str) -> str:
    """``schedule`` in words in ``language`` (``en`` or ``es``; another falls back to English)."""
    if language not in dict(settings.LANGUAGES):
        language = "en"
    with translation.override(language):
        if schedule.recurrence == Recurrence.NONE:
            return _once(schedule)
        if schedule.recurrence == Recurrence.CRON:
            return _cron(schedule.rule, language=language)
        if schedule.recurrence in (
            Recurrence.DAILY,
            Recurrence.WEEKLY,
            Recurrence.MONTHLY,
            Recurrence.YEARLY,
        ):
            return _preset(schedule)
        try:
            return _rrule(schedule)
        except _Unsayable:
            return _("Custom rule: %(rule)s") % {"rule": schedule.rule}


# --- Words ----------------------------------------------------------------------------------------


def _time(hour: int, minute: int) -> str:
    return f"{hour:02d}:{minute:02d}"


def _weekday(index: int) -> str:
    return str(WEEKDAYS[index])


def _month(number: int) -> str:
    return str(MONTHS[number])


def _join(items: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C" (Spanish: "A, B y C")."""
    if len(items) == 1:
        return items[0]
    return _("%(items)s and %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def _day_and_month(day: int, month: int) -> str:
    return _("%(day)s %(month)s") % {"day": day, "month": _month(month)}


def _ordinal(number: int) -> str:
    words = {
        1: pgettext("ordinal", "first"),
        2: pgettext("ordinal", "second"),
        3: pgettext("ordinal", "third"),
        4: pgettext("ordinal", "fourth"),
        5: pgettext("ordinal", "fifth"),
        -1: pgettext("ordinal", "last"),
        -2: pgettext("ordinal", "second-to-last"),
    }
    if number not in words:
        raise _Unsayable(number)
    return words[number]


def _at(times: Iterable[tuple[int, int]]) -> str:
    listed = sorted(set(times))
    return _("at %(times)s") % {"times": _join([_time(hour, minute) for hour, minute in listed])}


# --- One-off and presets --------------------------------------------------------------------------


def _once(schedule: Schedule) -> str:
    start = schedule.start
    return _("Once, on %(date)s at %(time)s") % {
        "date": formats.date_format(start.date(), "DATE_FORMAT"),
        "time": _time(start.hour, start.minute),
    }


def _preset(schedule: Schedule) -> str:
    start = schedule.start
    at = _time(start.hour, start.minute)
    if schedule.recurrence == Recurrence.DAILY:
        return _("Every day at %(time)s") % {"time": at}
    if schedule.recurrence == Recurrence.WEEKLY:
        return _("Every week on %(weekday)s at %(time)s") % {"weekday": _weekday(start.weekday()), "time": at}
    if schedule.recurrence == Recurrence.MONTHLY:
        if start.day > 28:
            return _("Every month on day %(day)s at %(time)s (the last day in shorter months)") % {
                "day": start.day,
                "time": at,
            }
        return _("Every month on day %(day)s at %(time)s") % {"day": start.day, "time": at}
    if start.month == 2 and start.day == 29:
        return _("Every year on 29 February at %(time)s (28 February in other years)") % {"time": at}
    return _("Every year on %(date)s at %(time)s") % {
        "date": _day_and_month(start.day, start.month),
        "time": at,
    }


# --- RRULE ----------------------------------------------------------------------------------------


def _ints(parts: dict, name: str) -> list[int]:
    try:
        return [int(str(value)) for value in parts.get(name, [])]
    except ValueError as exc:  # a leap month ("5L"), which Gregorian rules don't have
        raise _Unsayable(name) from exc


def _every(freq: str, interval: int) -> str:
    if freq == "HOURLY":
        return ngettext("Every hour", "Every %(count)s hours", interval) % {"count": interval}
    if freq == "DAILY":
        return ngettext("Every day", "Every %(count)s days", interval) % {"count": interval}
    if freq == "WEEKLY":
        return ngettext("Every week", "Every %(count)s weeks", interval) % {"count": interval}
    if freq == "MONTHLY":
        return ngettext("Every month", "Every %(count)s months", interval) % {"count": interval}
    if freq == "YEARLY":
        return ngettext("Every year", "Every %(count)s years", interval) % {"count": interval}
    raise _Unsayable(freq)


def _weekdays(codes: list[str], *, setpos: list[int]) -> str:
    """BYDAY (with BYSETPOS) in words: "on Monday and Friday", "on the first Monday"."""
    plain: list[int] = []
    numbered: list[str] = []
    for code in codes:
        match = _BYDAY.match(str(code).upper())
        if match is None:
            raise _Unsayable(code)
        day = _DAY_CODES.index(match.group(2))
        if match.group(1):
            numbered.append(
                _("the %(ordinal)s %(weekday)s")
                % {"ordinal": _ordinal(int(match.group(1))), "weekday": _weekday(day)}
            )
        else:
            plain.append(day)
    if setpos:
        if numbered or len(setpos) != 1:
            raise _Unsayable("BYSETPOS")
        if sorted(plain) == [0, 1, 2, 3, 4]:
            return _("on the %(ordinal)s weekday") % {"ordinal": _ordinal(setpos[0])}
        return _("on the %(ordinal)s of %(weekdays)s") % {
            "ordinal": _ordinal(setpos[0]),
            "weekdays": _join([_weekday(day) for day in sorted(plain)]),
        }
    if not numbered:
        return _("on %(weekdays)s") % {"weekdays": _join([_weekday(day) for day in sorted(plain)])}
    # Each item carries its article ("the first Monday"): Spanish puts none before the phrase.
    items = [
        pgettext("weekday with its article", "%(weekday)s") % {"weekday": _weekday(day)}
        for day in sorted(plain)
    ]
    return _on_phrase(_join(items + numbered))


def _on_phrase(phrase: str) -> str:
    return pgettext("before a phrase with its article", "on %(phrase)s") % {"phrase": phrase}


def _monthdays(days: list[int], *, setpos: list[int]) -> str:
    """BYMONTHDAY in words: "on day 1 and 15", "on the last day"; the presets' "31,-1;BYSETPOS=1"."""
    if setpos:
        positive = [day for day in days if day > 0]
        if setpos == [1] and len(positive) == 1 and sorted(days) == [-1, positive[0]]:
            return _("on day %(day)s (the last day in shorter months)") % {"day": positive[0]}
        raise _Unsayable("BYSETPOS")
    positive = sorted(day for day in days if day > 0)
    words = []
    if positive:
        words.append(
            npgettext("month days with their article", "day %(days)s", "days %(days)s", len(positive))
            % {"days": _join([str(day) for day in positive])}
        )
    for day in sorted((day for day in days if day < 0), reverse=True):
        if day == -1:
            words.append(_("the last day"))
        elif day == -2:
            words.append(_("the second-to-last day"))
        else:
            words.append(_("%(count)s days before the end of the month") % {"count": -day - 1})
    return _on_phrase(_join(words))


def _until(value: object, schedule: Schedule) -> str:
    if isinstance(value, datetime):
        # A UTC UNTIL (…Z) is read in the series' zone; a floating one is already a wall time.
        wall = to_wall(value.astimezone(UTC), schedule.zone) if value.tzinfo is not None else value
        return _("until %(date)s at %(time)s") % {
            "date": formats.date_format(wall.date(), "DATE_FORMAT"),
            "time": _time(wall.hour, wall.minute),
        }
    if isinstance(value, date):
        return _("until %(date)s") % {"date": formats.date_format(value, "DATE_FORMAT")}
    raise _Unsayable("UNTIL")


def _rrule(schedule: Schedule) -> str:
    try:
        parts = dict(vRecur.from_ical(schedule.rule))
    except (ValueError, TypeError, KeyError) as exc:
        raise _Unsayable(schedule.rule) from exc
    if set(parts) - _KNOWN_PARTS:
        raise _Unsayable(set(parts) - _KNOWN_PARTS)
    start = schedule.start
    freq = str(parts["FREQ"][0]).upper()
    interval = (_ints(parts, "INTERVAL") or [1])[0]
    months = _ints(parts, "BYMONTH")
    monthdays = _ints(parts, "BYMONTHDAY")
    setpos = _ints(parts, "BYSETPOS")
    byday = [str(code) for code in parts.get("BYDAY", [])]
    if setpos and byday and monthdays:
        raise _Unsayable("BYSETPOS")

    # RFC 5545 §3.3.10: what a rule leaves out comes from DTSTART.
    if freq == "WEEKLY" and not byday:
        byday = [_DAY_CODES[start.weekday()]]
    if freq in ("MONTHLY", "YEARLY") and not byday and not monthdays:
        monthdays = [start.day]
    if freq == "YEARLY" and not months and not (byday and not monthdays):
        months = [start.month]
    hours = _ints(parts, "BYHOUR") or ([] if freq == "HOURLY" else [start.hour])
    minutes = _ints(parts, "BYMINUTE") or [start.minute]

    words = [_every(freq, interval)]
    if freq == "YEARLY" and len(months) == 1 and len(monthdays) == 1 and monthdays[0] > 0 and not byday:
        words.append(_("on %(date)s") % {"date": _day_and_month(monthdays[0], months[0])})
    else:
        if months:
            words.append(_("in %(months)s") % {"months": _join([_month(month) for month in sorted(months)])})
        if byday:
            words.append(_weekdays(byday, setpos=setpos if not monthdays else []))
        if monthdays:
            words.append(_monthdays(monthdays, setpos=setpos if not byday else []))
    if hours:
        times = [(hour, minute) for hour in hours for minute in minutes]
        if len(times) > _MAX_TIMES:
            raise _Unsayable("BYHOUR")
        words.append(_at(times))
    else:
        words.append(
            ngettext("at minute %(minutes)s", "at minutes %(minutes)s", len(minutes))
            % {"minutes": _join([str(minute) for minute in sorted(minutes)])}
        )
    sentence = " ".join(words)
    if "COUNT" in parts:
        count = _ints(parts, "COUNT")[0]
        sentence = ngettext("%(sentence)s, once", "%(sentence)s, %(count)s times", count) % {
            "sentence": sentence,
            "count": count,
        }
    if "UNTIL" in parts:
        sentence = _("%(sentence)s, %(until)s") % {
            "sentence": sentence,
            "until": _until(parts["UNTIL"][0], schedule),
        }
    return sentence


# --- Cron -----------------------------------------------------------------------------------------


def _cron(expression: str, *, language: str) -> str:
    options = Options()
    options.locale_code = _CRON_LOCALES.get(language, "en_US")
    options.use_24hour_time_format = True
    options.verbose = False
    try:
        text = ExpressionDescriptor(expression, options).get_description()
    except Exception:  # the package raises several types (an IndexError for a day out of range)
        return _("Cron: %(rule)s") % {"rule": expression}
    if language != "en":
        # cron-descriptor names days and months through the process's C locale (English).
        names = {calendar.day_name[index]: _weekday(index) for index in range(7)}
        names.update({date(2000, number, 1).strftime("%B"): _month(number) for number in range(1, 13)})
        text = re.sub(r"\b(" + "|".join(names) + r")\b", lambda match: names[match.group(1)].lower(), text)
    return text
