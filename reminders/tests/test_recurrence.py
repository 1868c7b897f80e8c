"""The time rule (reminders/recurrence.py, docs/DESIGN.md "Reminders and calendar"), with exact UTC
instants: gaps read with the offset before them, ambiguous times at their first occurrence, once;
presets, RRULEs and cron agreeing on the same wall time; rules that never fire refused quickly."""

from __future__ import annotations

import itertools
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reminders.errors import InvalidRecurrence, InvalidTimeZone
from reminders.recurrence import Schedule, normalize_cron, normalize_rrule, to_utc, to_wall, zone_named

NEW_YORK = "America/New_York"
MADRID = "Europe/Madrid"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def schedule(recurrence: str, rule: str = "", *, on: date, at: time, zone: str = NEW_YORK) -> Schedule:
    return Schedule.of(start_date=on, start_time=at, time_zone=zone, recurrence=recurrence, rule=rule)


def days_around(s: Schedule, day: date, *, before: int = 1, after: int = 1) -> list[datetime]:
    start = datetime.combine(day - timedelta(days=before), time(), tzinfo=UTC)
    end = datetime.combine(day + timedelta(days=after + 1), time(), tzinfo=UTC)
    return s.between(start, end)


# --- America/New_York: the March gap and the November overlap -------------------------------------


def test_daily_0230_in_new_york_fires_at_0330_edt_on_the_spring_forward_day() -> None:
    s = schedule("daily", on=date(2027, 3, 10), at=time(2, 30))
    assert days_around(s, date(2027, 3, 14)) == [
        utc(2027, 3, 13, 7, 30),  # 02:30 EST
        utc(2027, 3, 14, 7, 30),  # 02:30 doesn't exist: read as EST, 03:30 EDT
        utc(2027, 3, 15, 6, 30),  # 02:30 EDT
    ]


def test_daily_0130_in_new_york_fires_once_on_the_fall_back_day_at_its_first_occurrence() -> None:
    s = schedule("daily", on=date(2027, 11, 1), at=time(1, 30))
    assert days_around(s, date(2027, 11, 7)) == [
        utc(2027, 11, 6, 5, 30),  # EDT
        utc(2027, 11, 7, 5, 30),  # 01:30 EDT, the first of two; never also 06:30Z (EST)
        utc(2027, 11, 8, 6, 30),  # EST
    ]


def test_daily_0230_in_new_york_on_the_fall_back_day_is_not_ambiguous() -> None:
    s = schedule("daily", on=date(2027, 11, 1), at=time(2, 30))
    assert days_around(s, date(2027, 11, 7)) == [
        utc(2027, 11, 6, 6, 30),
        utc(2027, 11, 7, 7, 30),  # 02:30 EST
        utc(2027, 11, 8, 7, 30),
    ]


def test_a_one_off_in_the_gap_and_in_the_overlap() -> None:
    assert schedule("none", on=date(2027, 3, 14), at=time(2, 30)).first() == utc(2027, 3, 14, 7, 30)
    assert schedule("none", on=date(2027, 11, 7), at=time(1, 30)).first() == utc(2027, 11, 7, 5, 30)


# --- Europe/Madrid -------------------------------------------------------------------------------


def test_daily_0230_in_madrid_across_the_march_gap() -> None:
    s = schedule("daily", on=date(2027, 3, 20), at=time(2, 30), zone=MADRID)
    assert days_around(s, date(2027, 3, 28)) == [
        utc(2027, 3, 27, 1, 30),  # CET
        utc(2027, 3, 28, 1, 30),  # 02:30 doesn't exist: read as CET, 03:30 CEST
        utc(2027, 3, 29, 0, 30),  # CEST
    ]


def test_daily_0230_in_madrid_on_the_october_overlap_fires_once_first() -> None:
    s = schedule("daily", on=date(2027, 10, 20), at=time(2, 30), zone=MADRID)
    assert days_around(s, date(2027, 10, 31)) == [
        utc(2027, 10, 30, 0, 30),  # CEST
        utc(2027, 10, 31, 0, 30),  # 02:30 CEST, the first of two; never also 01:30Z (CET)
        utc(2027, 11, 1, 1, 30),  # CET
    ]


# --- Months and years without the day --------------------------------------------------------------


def test_monthly_preset_on_the_31st_keeps_to_the_last_day_of_short_months() -> None:
    s = schedule("monthly", on=date(2027, 1, 31), at=time(9), zone="UTC")
    assert [i.date() for i in itertools.islice(s.occurrences(), 6)] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
        date(2027, 6, 30),
    ]


def test_monthly_rrule_on_the_31st_skips_short_months_as_rfc_5545_says() -> None:
    s = schedule("rrule", "FREQ=MONTHLY;BYMONTHDAY=31", on=date(2027, 1, 31), at=time(9), zone="UTC")
    assert [i.date() for i in itertools.islice(s.occurrences(), 4)] == [
        date(2027, 1, 31),
        date(2027, 3, 31),
        date(2027, 5, 31),
        date(2027, 7, 31),
    ]


def test_bymonthday_minus_one_is_the_last_day_of_each_month() -> None:
    s = schedule("rrule", "FREQ=MONTHLY;BYMONTHDAY=-1", on=date(2028, 1, 1), at=time(9), zone="UTC")
    assert [i.date() for i in itertools.islice(s.occurrences(), 4)] == [
        date(2028, 1, 31),
        date(2028, 2, 29),
        date(2028, 3, 31),
        date(2028, 4, 30),
    ]


def test_a_leap_day_yearly_preset_keeps_to_28_february_in_common_years() -> None:
    s = schedule("yearly", on=date(2028, 2, 29), at=time(9), zone="UTC")
    assert list(itertools.islice(s.occurrences(), 5)) == [
        utc(2028, 2, 29, 9),
        utc(2029, 2, 28, 9),
        utc(2030, 2, 28, 9),
        utc(2031, 2, 28, 9),
        utc(2032, 2, 29, 9),
    ]


def test_a_leap_day_yearly_rrule_skips_common_years() -> None:
    s = schedule("rrule", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", on=date(2028, 2, 29), at=time(9), zone="UTC")
    assert list(itertools.islice(s.occurrences(), 3)) == [
        utc(2028, 2, 29, 9),
        utc(2032, 2, 29, 9),
        utc(2036, 2, 29, 9),
    ]


# --- Cron ---------------------------------------------------------------------------------------


def test_cron_weekdays_at_nine_stays_at_nine_local_across_the_dst_change() -> None:
    # Friday 12 March 2027 to Tuesday 16 March: the clocks change on Sunday the 14th.
    s = schedule("cron", "0 9 * * 1-5", on=date(2027, 3, 12), at=time(0), zone=NEW_YORK)
    instants = s.between(utc(2027, 3, 12), utc(2027, 3, 17))
    assert instants == [
        utc(2027, 3, 12, 14),  # Friday 09:00 EST
        utc(2027, 3, 15, 13),  # Monday 09:00 EDT
        utc(2027, 3, 16, 13),  # Tuesday
    ]
    assert {to_wall(i, ZoneInfo(NEW_YORK)).time() for i in instants} == {time(9)}


def test_cron_every_thirty_minutes_through_the_gap_fires_each_instant_once() -> None:
    s = schedule("cron", "*/30 * * * *", on=date(2027, 3, 14), at=time(0), zone=NEW_YORK)
    # 01:30 EST, 02:00 and 02:30 (read as EST), then 03:00 and 03:30 EDT are those same instants.
    assert s.between(utc(2027, 3, 14, 6, 30), utc(2027, 3, 14, 8, 31)) == [
        utc(2027, 3, 14, 6, 30),
        utc(2027, 3, 14, 7, 0),
        utc(2027, 3, 14, 7, 30),
        utc(2027, 3, 14, 8, 0),
        utc(2027, 3, 14, 8, 30),
    ]


def test_cron_every_thirty_minutes_through_the_overlap_fires_the_repeated_hour_once() -> None:
    s = schedule("cron", "*/30 * * * *", on=date(2027, 11, 7), at=time(0), zone=NEW_YORK)
    # 01:00 and 01:30 EDT; the repeated 01:00 and 01:30 EST are not fired again; 02:00 EST next.
    assert s.between(utc(2027, 11, 7, 4, 30), utc(2027, 11, 7, 7, 31)) == [
        utc(2027, 11, 7, 4, 30),
        utc(2027, 11, 7, 5, 0),
        utc(2027, 11, 7, 5, 30),
        utc(2027, 11, 7, 7, 0),
        utc(2027, 11, 7, 7, 30),
    ]


def test_hourly_rrule_through_the_gap_fires_each_instant_once() -> None:
    s = schedule("rrule", "FREQ=HOURLY", on=date(2027, 3, 14), at=time(0), zone=NEW_YORK)
    assert s.between(utc(2027, 3, 14, 5), utc(2027, 3, 14, 9)) == [
        utc(2027, 3, 14, 5),
        utc(2027, 3, 14, 6),
        utc(2027, 3, 14, 7),  # 02:00 read as EST; 03:00 EDT is the same instant
        utc(2027, 3, 14, 8),
    ]


# --- COUNT and UNTIL ----------------------------------------------------------------------------


def test_rrule_with_count() -> None:
    s = schedule("rrule", "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=3", on=date(2027, 3, 1), at=time(9), zone="UTC")
    assert list(s.occurrences()) == [utc(2027, 3, 1, 9), utc(2027, 3, 3, 9), utc(2027, 3, 8, 9)]
    assert s.next_after(utc(2027, 3, 8, 9)) is None


def test_rrule_until_in_utc_cuts_exactly_at_the_instant() -> None:
    # 09:00 in São Paulo (-03:00 all year) is 12:00Z.
    s = schedule(
        "rrule",
        "FREQ=DAILY;UNTIL=20270305T120000Z",
        on=date(2027, 3, 1),
        at=time(9),
        zone="America/Sao_Paulo",
    )
    assert list(s.occurrences())[-1] == utc(2027, 3, 5, 12)
    s = schedule(
        "rrule",
        "FREQ=DAILY;UNTIL=20270305T115959Z",
        on=date(2027, 3, 1),
        at=time(9),
        zone="America/Sao_Paulo",
    )
    assert list(s.occurrences())[-1] == utc(2027, 3, 4, 12)


def test_rrule_until_as_a_local_time_is_read_in_the_series_zone() -> None:
    s = schedule("rrule", "FREQ=DAILY;UNTIL=20270305T085959", on=date(2027, 3, 1), at=time(9), zone=MADRID)
    assert list(s.occurrences())[-1] == utc(2027, 3, 4, 8)  # 09:00 CET
    s = schedule("rrule", "FREQ=DAILY;UNTIL=20270305", on=date(2027, 3, 1), at=time(9), zone=MADRID)
    assert list(s.occurrences())[-1] == utc(2027, 3, 5, 8)


def test_rrule_with_a_malformed_until_is_refused() -> None:
    with pytest.raises(InvalidRecurrence):
        schedule("rrule", "FREQ=DAILY;UNTIL=2027", on=date(2027, 3, 1), at=time(9))


# --- Presets, RRULE and cron agree ------------------------------------------------------------------


@pytest.mark.parametrize("zone", [NEW_YORK, MADRID, "Australia/Lord_Howe", "UTC"])
def test_presets_rrule_and_cron_give_the_same_instants_for_the_same_wall_time(zone: str) -> None:
    start = date(2027, 1, 1)
    preset = schedule("daily", on=start, at=time(2, 30), zone=zone)
    rrule = schedule("rrule", "FREQ=DAILY", on=start, at=time(2, 30), zone=zone)
    cron = schedule("cron", "30 2 * * *", on=start, at=time(0), zone=zone)
    window = (utc(2027, 1, 1), utc(2028, 1, 1))
    expected = preset.between(*window)
    assert len(expected) == 365
    assert rrule.between(*window) == expected
    assert cron.between(*window) == expected


def test_weekly_preset_agrees_with_its_rrule_and_cron() -> None:
    start = date(2027, 3, 1)  # a Monday
    preset = schedule("weekly", on=start, at=time(2, 30))
    rrule = schedule("rrule", "FREQ=WEEKLY;BYDAY=MO", on=start, at=time(2, 30))
    cron = schedule("cron", "30 2 * * 1", on=start, at=time(0))
    window = (utc(2027, 3, 1), utc(2028, 3, 1))
    assert preset.between(*window) == rrule.between(*window) == cron.between(*window)


# --- Rules that never fire: refused, quickly ----------------------------------------------------------


@pytest.mark.parametrize(
    ("recurrence", "rule"),
    [
        ("rrule", "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30"),
        ("rrule", "FREQ=DAILY;BYMONTHDAY=31;BYMONTH=4"),
        ("rrule", "FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30"),
        ("rrule", "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30"),
        ("rrule", "FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=31"),
        ("rrule", "FREQ=DAILY;INTERVAL=7;BYDAY=TU"),  # from a Monday: always a Monday
        ("rrule", "FREQ=HOURLY;INTERVAL=168;BYDAY=TU"),
        ("rrule", "FREQ=MONTHLY;INTERVAL=2;BYMONTH=2"),  # from March: odd months only
        ("rrule", "FREQ=MONTHLY;BYMONTHDAY=1;BYSETPOS=2"),
        ("rrule", "FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29"),  # from 2027: odd years only
        ("cron", "0 0 30 2 *"),
        ("cron", "0 0 31 4,6,9,11 *"),
    ],
)
def test_a_rule_that_never_fires_is_refused_in_a_fraction_of_a_second(recurrence: str, rule: str) -> None:
    began = clock.perf_counter()
    with pytest.raises(InvalidRecurrence, match="never fires"):
        schedule(recurrence, rule, on=date(2027, 3, 1), at=time(9), zone="UTC")
    # Not a benchmark: dateutil alone takes 0.4 to 12 seconds on these (bench figures in DESIGN.md);
    # the bound is loose so a slow machine passes and a runaway fails.
    assert clock.perf_counter() - began < 2


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;INTERVAL=2;BYMONTHDAY=1",
        "FREQ=WEEKLY;INTERVAL=3;BYMONTH=2",
        "FREQ=HOURLY;INTERVAL=2;BYYEARDAY=1",
    ],
)
def test_an_interval_with_dates_on_an_hourly_daily_or_weekly_rule_is_refused(rule: str) -> None:
    with pytest.raises(InvalidRecurrence, match="MONTHLY or YEARLY"):
        schedule("rrule", rule, on=date(2027, 3, 1), at=time(9), zone="UTC")


def test_bysetpos_on_a_weekly_rule_is_refused() -> None:
    with pytest.raises(InvalidRecurrence, match="BYSETPOS"):
        schedule("rrule", "FREQ=WEEKLY;BYDAY=MO,WE;BYSETPOS=1", on=date(2027, 3, 1), at=time(9))


@pytest.mark.parametrize(
    ("rule", "first"),
    [
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=-1", utc(2027, 3, 29, 9)),
        ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", utc(2027, 3, 31, 9)),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE", utc(2027, 3, 1, 9)),
        ("FREQ=DAILY;INTERVAL=2;BYDAY=TU", utc(2027, 3, 9, 9)),
        ("FREQ=MONTHLY;INTERVAL=3;BYMONTH=6", utc(2027, 6, 1, 9)),
        ("FREQ=MONTHLY;INTERVAL=19;BYMONTHDAY=31", utc(2027, 3, 31, 9)),
        ("FREQ=YEARLY;INTERVAL=3;BYMONTH=2;BYMONTHDAY=29", utc(2036, 2, 29, 9)),
        ("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", utc(2044, 2, 29, 0)),  # rare, not never
    ],
)
def test_rules_that_do_fire_pass_the_probes(rule: str, first: datetime) -> None:
    assert schedule("rrule", rule, on=date(2027, 3, 1), at=time(9), zone="UTC").first() == first


def test_a_rule_whose_first_occurrence_is_beyond_ten_years_is_refused_for_a_reminder() -> None:
    s = schedule(
        "rrule", "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", on=date(2027, 3, 1), at=time(9), zone="UTC"
    )
    with pytest.raises(InvalidRecurrence, match="10 years"):
        s.check_usable(now=utc(2027, 3, 1))


def test_a_one_off_far_away_is_refused_as_too_far_not_as_passed() -> None:
    s = schedule("none", on=date(2100, 1, 1), at=time(9), zone="UTC")
    with pytest.raises(InvalidRecurrence, match="10 years"):
        s.check_usable(now=utc(2027, 3, 1))


def test_a_series_at_the_end_of_time_stops_instead_of_overflowing() -> None:
    s = schedule("daily", on=date(9999, 12, 30), at=time(23, 30), zone="Pacific/Honolulu")
    assert s.occurrences().__next__() == utc(9999, 12, 31, 9, 30)
    assert list(s.occurrences()) == [utc(9999, 12, 31, 9, 30)]  # the 31st's is in the year 10000


# --- Validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "FREQ=SECONDLY",
        "FREQ=MINUTELY",
        "FREQ=FORTNIGHTLY",
        "BYDAY=MO",
        "FREQ=DAILY;COUNT=2;UNTIL=20300101",
        "FREQ=DAILY;BYSECOND=5",
        "FREQ=DAILY;FREQ=WEEKLY",
        "FREQ=DAILY;COLOR=RED",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=DAILY;INTERVAL=1001",
        "FREQ=DAILY;INTERVAL=99999999999999999999999",
        "FREQ=DAILY\nDTSTART:20270101",
        "FREQ=DAILY;COUNT",
        "FREQ=" + "D" * 600,
    ],
)
def test_normalize_rrule_refuses_what_is_not_one_rule(text: str) -> None:
    with pytest.raises(InvalidRecurrence):
        normalize_rrule(text)


def test_normalize_rrule_keeps_a_good_rule_in_our_form() -> None:
    assert normalize_rrule(" rrule:freq=weekly;byday=mo,we ") == "FREQ=WEEKLY;BYDAY=MO,WE"


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=DAILY;COUNT=ABC",
        "FREQ=MONTHLY;BYMONTHDAY=40",
        "FREQ=HOURLY;INTERVAL=24;BYHOUR=10",
    ],
)
def test_rules_dateutil_cannot_read_are_refused(rule: str) -> None:
    with pytest.raises(InvalidRecurrence):
        schedule("rrule", rule, on=date(2027, 3, 1), at=time(9))


@pytest.mark.parametrize("text", ["", "* * * *", "61 * * * *", "0 25 * * *", "0 9 * * 1-5 2027", "a b c d e"])
def test_normalize_cron_refuses_invalid_expressions(text: str) -> None:
    with pytest.raises(InvalidRecurrence):
        normalize_cron(text)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "localtime", "/etc/localtime", "../UTC", "UTC\x00", 5])
def test_unknown_zones_are_refused(name: object) -> None:
    with pytest.raises(InvalidTimeZone):
        zone_named(name)  # type: ignore[arg-type]


def test_to_utc_reads_gaps_before_and_overlaps_first() -> None:
    zone = ZoneInfo(NEW_YORK)
    assert to_utc(datetime(2027, 3, 14, 2, 30), zone) == utc(2027, 3, 14, 7, 30)
    assert to_utc(datetime(2027, 11, 7, 1, 30), zone) == utc(2027, 11, 7, 5, 30)


# --- The property ----------------------------------------------------------------------------------

ZONES = [NEW_YORK, MADRID, "Australia/Lord_Howe", "America/Santiago", "Asia/Tehran", "Europe/London", "UTC"]


def _gap_shifted(wall: datetime, zone: ZoneInfo) -> datetime:
    """Where a wall time lands when read with the offset before a gap (itself when it exists)."""
    return to_wall(to_utc(wall, zone), zone)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
    kind=st.sampled_from(["daily", "weekly", "monthly", "rrule-daily", "cron-daily"]),
)
def test_occurrences_strictly_increase_and_keep_the_wall_time_or_its_gap_shift(
    zone: str, start: date, hour: int, minute: int, kind: str
) -> None:
    at = time(hour, minute)
    if kind == "rrule-daily":
        s = schedule("rrule", "FREQ=DAILY", on=start, at=at, zone=zone)
    elif kind == "cron-daily":
        s = schedule("cron", f"{minute} {hour} * * *", on=start, at=time(0), zone=zone)
    else:
        s = schedule(kind, on=start, at=at, zone=zone)
    tz = ZoneInfo(zone)
    instants = list(itertools.islice(s.occurrences(), 400))
    assert instants
    assert all(a < b for a, b in itertools.pairwise(instants))
    for instant in instants:
        wall = to_wall(instant, tz)
        intended = datetime.combine(wall.date(), at)
        if wall.time() != at:
            # Only a gap moves a wall time, and only to where the offset before it puts it.
            assert _gap_shifted(intended, tz) == wall
            assert to_wall(to_utc(intended, tz), tz) != intended
        else:
            # An ambiguous wall time is its first occurrence (fold=0), never the second.
            assert instant == to_utc(intended, tz)


# --- A start far in the past (dateutil walks every period from DTSTART on each search) -----------


@pytest.mark.parametrize(
    ("recurrence", "rule", "on", "zone"),
    [
        ("daily", "", date(1, 1, 1), "Pacific/Kiritimati"),
        ("daily", "", date(1, 1, 1), NEW_YORK),
        ("weekly", "", date(1, 1, 1), "Etc/GMT+12"),
        ("monthly", "", date(1, 1, 1), "UTC"),
        ("rrule", "FREQ=HOURLY", date(2000, 1, 1), "UTC"),
        ("rrule", "FREQ=HOURLY;COUNT=99999999999999999999", date(1, 1, 1), "UTC"),
    ],
)
def test_a_series_starting_too_many_periods_back_is_refused_at_once(
    recurrence: str, rule: str, on: date, zone: str
) -> None:
    s = schedule(recurrence, rule, on=on, at=time(9), zone=zone)
    started = clock.perf_counter()
    with pytest.raises(InvalidRecurrence, match="too far in the past"):
        s.check_usable(now=utc(2027, 3, 1))
    assert clock.perf_counter() - started < 0.1


@pytest.mark.parametrize(
    ("recurrence", "rule", "on"),
    [
        ("yearly", "", date(1, 1, 1)),  # a birthday from any year: a few thousand periods at most
        ("daily", "", date(1980, 1, 1)),
        ("rrule", "FREQ=YEARLY;INTERVAL=5", date(2, 3, 1)),
        ("rrule", "FREQ=HOURLY;INTERVAL=1000", date(1, 3, 1)),
        ("cron", "0 9 * * 1-5", date(1, 1, 1)),  # croniter searches from now, not from the start
    ],
)
def test_a_series_starting_a_few_periods_back_is_accepted(recurrence: str, rule: str, on: date) -> None:
    s = schedule(recurrence, rule, on=on, at=time(9), zone="UTC")
    assert s.check_usable(now=utc(2027, 3, 1)) >= utc(2027, 3, 1)
