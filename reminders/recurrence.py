"""When a series' occurrences fall: UTC instants from a wall time, a zone and a rule.

The rule, the same for presets, RRULEs and cron (docs/DESIGN.md "Reminders and calendar"):

1. The engine — python-dateutil's ``rrule`` for RRULEs (the presets are RRULEs), croniter for
   5-field cron — produces *wall times*: naive local datetimes in the series' zone, from the
   series' first wall time (its DTSTART). Nothing here counts days or months itself.
2. Each wall time becomes a UTC instant through ``zoneinfo`` with ``fold=0`` (PEP 495):
   - a wall time that exists once is that instant;
   - a wall time in a gap (spring forward) is read with the UTC offset in force *before* the gap,
     as RFC 5545 §3.3.5 reads a DATE-TIME, instead of being dropped as §3.3.10 drops such RRULE
     instances: 02:30 on 2026-03-08 in America/New_York is 07:30Z (03:30 EDT);
   - an ambiguous wall time (fall back) is its first occurrence: 01:30 on 2026-11-01 in New York
     is 05:30Z (EDT), and never also 06:30Z (EST).
3. Instants only move forward: one that is not later than the one before it is dropped, so a rule
   firing every 30 minutes through the gap (02:00, 02:30 → 07:00Z, 07:30Z; then 03:00 EDT, which
   is 07:00Z again) fires each instant once.

Neither dateutil with an aware DTSTART (which drops the gap's instances) nor croniter with an aware
start (which fires twice in the repeated hour) does this by itself; feeding both naive wall times
and converting here does.

Runaway rules. dateutil yields nothing until a period matches, and loops to the year 9999 inside
one ``next()`` when none ever does: FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30 took 11.7 s there,
FREQ=DAILY;BYMONTHDAY=31;BYMONTH=4 6.4 s, FREQ=DAILY;INTERVAL=7;BYDAY=TU (from a Monday) 1.5 s,
FREQ=MONTHLY;INTERVAL=2;BYMONTH=2 (from March) 0.4 s (docs/DESIGN.md has the figures). No count
of yielded wall times, and no UNTIL, stops that loop, so a custom rule is refused when it is built
(``Schedule.of``) unless probes that stop by themselves find an occurrence:

- the date parts (BYMONTH, BYMONTHDAY, BYYEARDAY, BYWEEKNO, BYDAY) as a YEARLY rule starting in
  9600: dateutil stops at the year 9999, so the probe walks one 400-year Gregorian cycle (after
  which dates and weekdays repeat) in about 15 ms, and finds a match if any year ever has one;
- with INTERVAL > 1 or BYSETPOS (which can skip every period), the rule itself moved forward by a
  whole number of cycles of both the calendar and the interval, to start less than two such
  cycles before the year 9999, so it sees every phase once; HOURLY, DAILY and WEEKLY rules may
  combine INTERVAL only with BYDAY and times (their calendar cycle is then one week: a few
  iterations), and BYSETPOS only with MONTHLY and YEARLY.

croniter gives up by itself (``CroniterBadDateError`` in about 3 ms for ``0 0 30 2 *``), and a
cron rule that never fires is refused the same way.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import CroniterBadCronError, CroniterBadDateError, CroniterError, croniter
from dateutil import rrule as dateutil_rrule
from django.utils.translation import gettext_lazy as _

from reminders.errors import InvalidRecurrence, InvalidTimeZone
from reminders.models import RULE_MAX_CHARS, Recurrence

# Occurrences closer together than this are refused: a reminder is not an alarm clock.
MIN_SPACING = timedelta(minutes=15)
# How far a gap or an overlap can shift a wall time (the largest DST change in the tz database is
# 2 hours): a search for "the next occurrence after t" starts this far before t's wall time.
SHIFT_MARGIN = timedelta(hours=3)
# How many wall times one search yields before it stops: a backstop for callers that walk far
# (a calendar range is limited by its own ``limit``). It does not stop dateutil's search *between*
# two yields; the probes in ``_check_fires`` do that, when a rule is built.
MAX_SCAN = 200_000
# The largest INTERVAL taken (every 1,000 hours, days, weeks, months or years).
INTERVAL_MAX = 1_000
# A rule must fire at least once within this horizon from now to be accepted.
HORIZON = timedelta(days=366 * 10)
# dateutil walks every period from DTSTART on each search ("the next after now"): a daily series
# from 0001-01-01 took 10 s a request, an hourly one from 2000 2 s. A new or edited RRULE series may
# start at most this many of its periods before now (daily: ~55 years back; hourly: ~2 years;
# yearly: any date). Cron is searched from "now", not from its start, and needs no such bound.
MAX_PERIODS_BEHIND = 20_000
_PERIOD = {
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
    "MONTHLY": timedelta(days=28),
    "YEARLY": timedelta(days=365),
}

# The preset RRULEs. Monthly and yearly ones on a day some months (or years) don't have keep to the
# last day instead of skipping (day 31 → 30 April; 29 February → 28 February in common years):
# BYMONTHDAY=31,-1;BYSETPOS=1 takes the 31st where it exists, else the month's last day.
_FREQ_OF_PRESET = {
    Recurrence.DAILY: "DAILY",
    Recurrence.WEEKLY: "WEEKLY",
    Recurrence.MONTHLY: "MONTHLY",
    Recurrence.YEARLY: "YEARLY",
}
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_ALLOWED_FREQS = {"HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_RRULE_PARTS = {
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
}
_UNTIL = re.compile(r"(?i)(?<![A-Z])UNTIL=([0-9TZ]+)")
# The parts that choose dates (rather than times of day), and an ordinal's prefix in BYDAY (``-1FR``).
_DATE_PARTS = ("BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYDAY")
_ORDINAL = re.compile(r"^[+-]?[0-9]+")
# Dates and weekdays repeat every 400 years (146,097 days, exactly 20,871 weeks): that cycle in each
# frequency's unit, and one week in the units of the rules that can only narrow by weekday.
_CYCLE = {"HOURLY": 146_097 * 24, "DAILY": 146_097, "WEEKLY": 20_871, "MONTHLY": 4_800, "YEARLY": 400}
_WEEK = {"HOURLY": 7 * 24, "DAILY": 7}
# A probe starting here stops at dateutil's year 9999: one 400-year cycle, whatever it looks for.
_PROBE_START = datetime(9600, 1, 1)
# The last moment a probe may reach (dateutil stops after the year 9999).
_END = datetime(9999, 1, 1)


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone called ``name`` (``Europe/Madrid``); raises ``InvalidTimeZone`` for anything else.

    Only names in the tz database are taken (not file paths, not ``localtime``).
    """
    if not isinstance(name, str) or name not in _zone_names():
        raise InvalidTimeZone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - the set says it exists
        raise InvalidTimeZone() from exc


_ZONE_NAMES: frozenset[str] | None = None


def _zone_names() -> frozenset[str]:
    global _ZONE_NAMES
    if _ZONE_NAMES is None:
        # Some systems' zoneinfo holds "localtime" (a link to the machine's own zone) and "Factory"
        # (no zone at all): neither names a place a person lives.
        _ZONE_NAMES = frozenset(available_timezones()) - {"localtime", "Factory", "posixrules"}
    return _ZONE_NAMES


def zone_choices() -> list[str]:
    """Every IANA zone name, sorted (``UTC`` first), for a form's list."""
    names = sorted(
        name for name in _zone_names() if "/" in name and not name.startswith(("Etc/", "SystemV/"))
    )
    return ["UTC", *names]


def to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall time in ``zone`` as a UTC instant, by the rule above (fold=0)."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def to_wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """A UTC (or any aware) instant as a naive wall time in ``zone``."""
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def preset_rule(recurrence: str, start: date) -> str:
    """The RRULE body of a preset for a series starting on ``start`` ('' for none).

    Raises ``InvalidRecurrence`` for the custom kinds (they carry their own rule).
    """
    if recurrence == Recurrence.NONE:
        return ""
    if recurrence not in _FREQ_OF_PRESET:
        raise InvalidRecurrence(_("Only the presets have a rule of their own."))
    freq = _FREQ_OF_PRESET[Recurrence(recurrence)]
    if recurrence == Recurrence.WEEKLY:
        return f"FREQ=WEEKLY;BYDAY={_WEEKDAYS[start.weekday()]}"
    if recurrence == Recurrence.MONTHLY:
        if start.day > 28:
            return f"FREQ=MONTHLY;BYMONTHDAY={start.day},-1;BYSETPOS=1"
        return f"FREQ=MONTHLY;BYMONTHDAY={start.day}"
    if recurrence == Recurrence.YEARLY:
        if start.month == 2 and start.day == 29:
            return "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29,-1;BYSETPOS=1"
        return f"FREQ=YEARLY;BYMONTH={start.month};BYMONTHDAY={start.day}"
    return f"FREQ={freq}"


def normalize_rrule(text: str) -> str:
    """An RRULE body as we store it: upper case, no ``RRULE:`` prefix, no spaces, parts in order given.

    Raises ``InvalidRecurrence`` for text that is not a single RRULE value.
    """
    body = (text or "").strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    body = body.strip().upper()
    if not body:
        raise InvalidRecurrence(_("Enter a rule, for example FREQ=WEEKLY;BYDAY=MO,WE."))
    if len(body) > RULE_MAX_CHARS:
        raise InvalidRecurrence(_("Keep the rule to 500 characters or fewer."))
    if re.search(r"[^A-Z0-9=;,+\-]", body):
        raise InvalidRecurrence(
            _("A rule is one line of PART=VALUE pairs separated by semicolons, like FREQ=DAILY;COUNT=5.")
        )
    parts: dict[str, str] = {}
    for piece in body.split(";"):
        if not piece:
            continue
        name, sep, value = piece.partition("=")
        if not sep or not value:
            raise InvalidRecurrence(_("“%(part)s” needs a value, like FREQ=DAILY.") % {"part": name})
        if name not in _RRULE_PARTS:
            raise InvalidRecurrence(_("“%(part)s” is not a part of an RRULE.") % {"part": name})
        if name in parts:
            raise InvalidRecurrence(_("“%(part)s” appears twice.") % {"part": name})
        parts[name] = value
    if "FREQ" not in parts:
        raise InvalidRecurrence(_("A rule needs a FREQ, for example FREQ=WEEKLY."))
    if parts["FREQ"] in {"SECONDLY", "MINUTELY"}:
        raise InvalidRecurrence(_("Reminders repeat at most hourly: use FREQ=HOURLY or slower."))
    if parts["FREQ"] not in _ALLOWED_FREQS:
        raise InvalidRecurrence(_("FREQ must be HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY."))
    if "COUNT" in parts and "UNTIL" in parts:
        raise InvalidRecurrence(_("Use COUNT or UNTIL, not both."))
    if "BYSECOND" in parts:
        raise InvalidRecurrence(_("Reminders are set to the minute: leave out BYSECOND."))
    if "INTERVAL" in parts and not (
        parts["INTERVAL"].isdigit() and 1 <= int(parts["INTERVAL"]) <= INTERVAL_MAX
    ):
        raise InvalidRecurrence(_("INTERVAL must be a whole number from 1 to 1,000."))
    return ";".join(f"{name}={value}" for name, value in parts.items())


def normalize_cron(text: str) -> str:
    """A 5-field cron expression with single spaces; raises ``InvalidRecurrence`` otherwise."""
    fields = (text or "").split()
    if len(fields) != 5:
        raise InvalidRecurrence(
            _("A cron expression has 5 fields: minute, hour, day of month, month and day of week.")
        )
    expression = " ".join(fields)
    if len(expression) > RULE_MAX_CHARS:
        raise InvalidRecurrence(_("Keep the rule to 500 characters or fewer."))
    try:
        valid = croniter.is_valid(expression)
    except (CroniterError, ValueError, TypeError, OverflowError):
        valid = False
    if not valid:
        raise InvalidRecurrence(_("“%(rule)s” is not a valid cron expression.") % {"rule": expression})
    return expression


@dataclass(frozen=True)
class Schedule:
    """A series: its first wall time (naive, in ``zone``), how it repeats and its rule.

    ``rule`` is an RRULE body for the presets and ``rrule``, a cron expression for ``cron``, and
    empty for ``none``. Build one with ``Schedule.of(...)``, which validates.
    """

    start: datetime
    zone: ZoneInfo
    recurrence: str
    rule: str

    @classmethod
    def of(
        cls, *, start_date: date, start_time: time, time_zone: str, recurrence: str, rule: str = ""
    ) -> Schedule:
        """A validated schedule. For a preset, ``rule`` is ignored and the preset's RRULE is used.

        Raises ``InvalidTimeZone`` or ``InvalidRecurrence`` (with a message for a person).
        """
        zone = zone_named(time_zone)
        start = datetime.combine(start_date, start_time.replace(second=0, microsecond=0, tzinfo=None))
        if recurrence not in Recurrence.values:
            raise InvalidRecurrence(_("Choose how the reminder repeats."))
        if recurrence in _FREQ_OF_PRESET or recurrence == Recurrence.NONE:
            rule = preset_rule(recurrence, start_date)
        elif recurrence == Recurrence.RRULE:
            rule = normalize_rrule(rule)
        else:
            rule = normalize_cron(rule)
        schedule = cls(start=start, zone=zone, recurrence=recurrence, rule=rule)
        if recurrence == Recurrence.RRULE:
            schedule._rrule()  # dateutil's own checks (BYDAY=XX, COUNT=abc, …)
            schedule._check_rrule_fires()
        elif recurrence == Recurrence.CRON:
            schedule._check_cron_fires()
        return schedule

    @property
    def repeats(self) -> bool:
        return self.recurrence != Recurrence.NONE

    # --- The engines, producing wall times ---------------------------------------------------------

    def _rrule(self) -> dateutil_rrule.rrule:
        body = _UNTIL.sub(lambda match: "UNTIL=" + self._local_until(match.group(1)), self.rule)
        try:
            rule = dateutil_rrule.rrulestr(body, dtstart=self.start)
        except (ValueError, TypeError, OverflowError, IndexError, KeyError) as exc:
            raise InvalidRecurrence(
                _("This rule can't be read: %(reason)s") % {"reason": _reason(exc)}
            ) from exc
        if not isinstance(rule, dateutil_rrule.rrule):  # pragma: no cover - a body is one rule
            raise InvalidRecurrence(_("Enter one rule."))
        return rule

    # --- The runaway guard (the module's docstring) -------------------------------------------------

    def _parts(self) -> dict[str, str]:
        return dict(piece.split("=", 1) for piece in self.rule.split(";") if piece)

    def _probe(self, body: str, dtstart: datetime) -> bool:
        """Whether ``body`` from ``dtstart`` ever yields before dateutil's year 9999."""
        try:
            return next(iter(dateutil_rrule.rrulestr(body, dtstart=dtstart)), None) is not None
        except (ValueError, TypeError, OverflowError, IndexError, KeyError) as exc:
            raise InvalidRecurrence(
                _("This rule can't be read: %(reason)s") % {"reason": _reason(exc)}
            ) from exc

    def _check_rrule_fires(self) -> None:
        """Refuse a custom rule that never fires, before dateutil can spend seconds proving it."""
        parts = self._parts()
        freq = parts["FREQ"]
        interval = int(parts.get("INTERVAL", "1"))
        date_parts = {name: parts[name] for name in _DATE_PARTS if name in parts}
        if date_parts:
            probe = dict(date_parts)
            if "BYDAY" in probe:  # an ordinal (the 5th Monday) narrows further; a weekday is necessary
                probe["BYDAY"] = ",".join(
                    dict.fromkeys(_ORDINAL.sub("", day) for day in probe["BYDAY"].split(","))
                )
            if "WKST" in parts:
                probe["WKST"] = parts["WKST"]
            body = ";".join(["FREQ=YEARLY", *(f"{name}={value}" for name, value in probe.items())])
            if not self._probe(body, _PROBE_START):
                raise InvalidRecurrence(_("This rule never fires: no date matches all of its parts."))
        if interval == 1 and "BYSETPOS" not in parts:
            return
        fine = freq in _WEEK or freq == "WEEKLY"
        if fine and "BYSETPOS" in parts:
            raise InvalidRecurrence(_("BYSETPOS works with MONTHLY and YEARLY rules only."))
        if fine and date_parts.keys() - {"BYDAY"}:
            raise InvalidRecurrence(
                _(
                    "With an INTERVAL, an HOURLY, DAILY or WEEKLY rule can narrow only by BYDAY, BYHOUR "
                    "and BYMINUTE: use a MONTHLY or YEARLY rule to pick dates."
                )
            )
        if fine and (freq == "WEEKLY" or not date_parts):
            return  # every period (or every week of them) holds every weekday: nothing to skip
        if not date_parts and "BYSETPOS" not in parts and self.start.day <= 28:
            return  # a monthly or yearly rule on a day every month has
        # The rule itself, moved on by whole cycles of the calendar and of the interval (so both
        # look the same), to start less than two such cycles before dateutil's end.
        cycle = math.lcm(_WEEK[freq] if freq in _WEEK else _CYCLE[freq], interval)
        if freq == "MONTHLY":
            available = (_END.year - self.start.year - 1) * 12
        elif freq == "YEARLY":
            available = _END.year - self.start.year - 1
        else:
            unit = timedelta(hours=1) if freq == "HOURLY" else timedelta(days=1)
            available = (_END - self.start) // unit
        shifts = available // cycle - 1
        if shifts < 0:
            raise InvalidRecurrence(_("This INTERVAL is too large for this rule: choose a smaller one."))
        if freq == "MONTHLY":
            anchor = self.start.replace(year=self.start.year + shifts * cycle // 12)
        elif freq == "YEARLY":
            anchor = self.start.replace(year=self.start.year + shifts * cycle)
        else:
            anchor = self.start + shifts * cycle * unit
        body = ";".join(f"{name}={value}" for name, value in parts.items() if name not in {"COUNT", "UNTIL"})
        if not self._probe(body, anchor):
            raise InvalidRecurrence(_("This rule never fires: no date matches all of its parts."))

    def _check_cron_fires(self) -> None:
        """Refuse a cron expression that never fires (croniter gives up within milliseconds)."""
        try:
            croniter(self.rule, self.start - timedelta(minutes=1)).get_next(datetime)
        except (CroniterBadDateError, CroniterBadCronError, OverflowError, ValueError) as exc:
            raise InvalidRecurrence(_("This rule never fires: no date matches all of its parts.")) from exc

    def _local_until(self, value: str) -> str:
        """UNTIL as a naive wall time in the series' zone (dateutil wants it naive beside a naive
        DTSTART); a UTC UNTIL (``…Z``) is converted, a date is the end of that day."""
        try:
            if len(value) == 8:
                return value + "T235959"
            if value.endswith("Z"):
                instant = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
                return to_wall(instant, self.zone).strftime("%Y%m%dT%H%M%S")
            datetime.strptime(value, "%Y%m%dT%H%M%S")
            return value
        except (ValueError, OverflowError) as exc:
            raise InvalidRecurrence(
                _("UNTIL must be a date (20270131) or a time (20270131T090000Z).")
            ) from exc

    def _walls_from(self, wall: datetime) -> Iterator[datetime]:
        """Wall times at or after ``wall`` (and never before the series' start), in order."""
        begin = max(wall, self.start)
        if self.recurrence == Recurrence.NONE:
            if self.start >= begin:
                yield self.start
            return
        if self.recurrence == Recurrence.CRON:
            iterator = croniter(self.rule, begin - timedelta(minutes=1))
            for _count in range(MAX_SCAN):
                try:
                    found = iterator.get_next(datetime)
                except (CroniterBadDateError, CroniterBadCronError, OverflowError, ValueError):
                    return
                yield found
            return
        rule = self._rrule()
        try:
            iterator = rule.xafter(begin, inc=True)
            for _count in range(MAX_SCAN):
                found = next(iterator, None)
                if found is None:
                    return
                yield found
        except (ValueError, OverflowError):  # the year 9999, or a date past what datetime holds
            return

    # --- Instants ---------------------------------------------------------------------------------

    def occurrences(self, *, after: datetime | None = None, inclusive: bool = False) -> Iterator[datetime]:
        """UTC instants of the series, in order: all of them, or those after ``after`` (an aware
        datetime; with ``inclusive``, at or after it). Bounded by ``MAX_SCAN`` wall times."""
        if after is None:
            walls = self._walls_from(self.start)
            floor = None
        else:
            walls = self._walls_from(to_wall(after, self.zone) - SHIFT_MARGIN)
            floor = after.astimezone(UTC)
        latest: datetime | None = None
        for wall in walls:
            try:
                instant = to_utc(wall, self.zone)
            except OverflowError:  # past the year 9999 in UTC
                return
            if latest is not None and instant <= latest:
                continue  # step 3: a gap's repeat of an instant already given
            latest = instant
            if floor is not None and (instant < floor or (instant == floor and not inclusive)):
                continue
            yield instant

    def first_wall(self) -> datetime | None:
        """The series' first wall time (naive, in ``zone``), None when the rule never fires. Not
        always ``start``: FREQ=MONTHLY;BYDAY=-1FR from a Tuesday first fires on a Friday."""
        return next(self._walls_from(self.start), None)

    def first(self) -> datetime | None:
        """The series' first occurrence (UTC), None when the rule never fires."""
        return next(self.occurrences(), None)

    def next_after(self, when: datetime, *, inclusive: bool = False) -> datetime | None:
        """The first occurrence after ``when`` (aware), or at it with ``inclusive``; None if none."""
        return next(self.occurrences(after=when, inclusive=inclusive), None)

    def upcoming(self, *, after: datetime, count: int) -> list[datetime]:
        """At most ``count`` occurrences after ``after``: the form's "next five"."""
        found: list[datetime] = []
        for instant in self.occurrences(after=after):
            found.append(instant)
            if len(found) >= count:
                break
        return found

    def between(self, start: datetime, end: datetime, *, limit: int = 1_000) -> list[datetime]:
        """Occurrences in [start, end), at most ``limit``: a calendar's visible range."""
        found: list[datetime] = []
        for instant in self.occurrences(after=start, inclusive=True):
            if instant >= end or len(found) >= limit:
                break
            found.append(instant)
        return found

    def check_usable(self, *, now: datetime) -> datetime:
        """The first occurrence at or after ``now``, for a new or edited series; raises
        ``InvalidRecurrence`` when there is none within ``HORIZON`` or occurrences come closer than
        ``MIN_SPACING``, or when the series starts too many periods back (``MAX_PERIODS_BEHIND``)."""
        self._check_not_too_far_back(now)
        sample = []
        beyond = False
        for instant in self.occurrences(after=now, inclusive=True):
            if instant - now > HORIZON:
                beyond = True
                break
            sample.append(instant)
            if len(sample) >= 50:
                break
        if not sample:
            if beyond and self.repeats:
                raise InvalidRecurrence(_("This rule doesn't fire in the next 10 years."))
            if beyond:
                raise InvalidRecurrence(_("Choose a time within the next 10 years."))
            if self.repeats:
                raise InvalidRecurrence(
                    _("This rule has no occurrence from now on: check COUNT, UNTIL and the date.")
                )
            raise InvalidRecurrence(_("That time has already passed: choose a time in the future."))
        for earlier, later in itertools.pairwise(sample):
            if later - earlier < MIN_SPACING:
                raise InvalidRecurrence(_("Occurrences must be at least 15 minutes apart."))
        return sample[0]

    def _check_not_too_far_back(self, now: datetime) -> None:
        """Refuse an RRULE series (a preset or custom) whose start lies so many periods before ``now``
        that every search from it would take seconds (``MAX_PERIODS_BEHIND``)."""
        if self.recurrence in (Recurrence.NONE, Recurrence.CRON) or not self.rule:
            return
        parts = self._parts()
        period = _PERIOD.get(parts.get("FREQ", ""))
        if period is None:
            return
        behind = to_wall(now, self.zone) - self.start
        if behind / period / int(parts.get("INTERVAL", "1")) > MAX_PERIODS_BEHIND:
            raise InvalidRecurrence(
                _("This start date is too far in the past for how often it repeats: choose a later one.")
            )


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:200]
