"""Opening hours: validation, is_open and the pickup time, in the shop's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from skill.domain.hours import InvalidHours, OpeningHours, Pickup

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# Friday 2026-11-27 and the days around it.
WEEK = {
    "weekly": {
        "mon": [["08:00", "18:00"]],
        "tue": [["08:00", "18:00"]],
        "wed": [["08:00", "12:30"], ["14:00", "18:00"]],
        "thu": [["08:00", "18:00"]],
        "fri": [["08:00", "18:00"]],
        "sat": [["09:00", "13:00"]],
        "sun": [],
    },
    "closed": ["2026-12-25", "2026-12-26"],
}


def at(zone: ZoneInfo, *args: int) -> datetime:
    """A moment given in the shop's local time, as the UTC datetime the skill has."""
    return datetime(*args, tzinfo=zone).astimezone(UTC)


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


HOURS = OpeningHours.from_data(WEEK)


# -- always open -----------------------------------------------------------------
def test_no_hours_means_always_open() -> None:
    always = OpeningHours.from_data(None)
    assert always == OpeningHours.always() and always.always_open
    assert always.to_data() is None
    now = at(BERLIN, 2026, 11, 29, 3, 0)  # a Sunday night
    assert always.is_open(now, BERLIN)
    assert always.next_pickup(now, 20, BERLIN) == Pickup(local(BERLIN, 2026, 11, 29, 3, 20))


# -- the pickup time ------------------------------------------------------------------
def test_an_order_while_open_is_ready_after_the_preparation() -> None:
    pickup = HOURS.next_pickup(at(BERLIN, 2026, 11, 27, 10, 15), 20, BERLIN)
    assert pickup == Pickup(local(BERLIN, 2026, 11, 27, 10, 35), None)
    assert pickup.ready_at.tzinfo is BERLIN


def test_an_order_at_night_is_ready_after_opening_the_next_morning() -> None:
    # GIVEN Thursday 22:00, the shop closed since 18:00
    now = at(BERLIN, 2026, 11, 26, 22, 0)
    assert not HOURS.is_open(now, BERLIN)
    # WHEN an order is placed / THEN "we open at 8 tomorrow; ready from about 8:20"
    pickup = HOURS.next_pickup(now, 20, BERLIN)
    assert pickup.opens_at == local(BERLIN, 2026, 11, 27, 8, 0)
    assert pickup.ready_at == local(BERLIN, 2026, 11, 27, 8, 20)


def test_an_order_shortly_before_closing_is_ready_after_the_next_opening() -> None:
    # 17:50 on a Friday: 20 minutes would end after 18:00, so Saturday 09:00 + 20
    pickup = HOURS.next_pickup(at(BERLIN, 2026, 11, 27, 17, 50), 20, BERLIN)
    assert pickup == Pickup(local(BERLIN, 2026, 11, 28, 9, 20), local(BERLIN, 2026, 11, 28, 9, 0))
    # ... while one that is ready exactly at closing time is ready today
    pickup = HOURS.next_pickup(at(BERLIN, 2026, 11, 27, 17, 40), 20, BERLIN)
    assert pickup == Pickup(local(BERLIN, 2026, 11, 27, 18, 0), None)


def test_a_lunch_break_and_a_closed_sunday_are_waited_out() -> None:
    # Wednesday 12:20: the morning range ends at 12:30, so the afternoon one it is
    pickup = HOURS.next_pickup(at(BERLIN, 2026, 12, 2, 12, 20), 20, BERLIN)
    assert pickup.ready_at == local(BERLIN, 2026, 12, 2, 14, 20)
    # Saturday 14:00: closed until Monday 08:00
    pickup = HOURS.next_pickup(at(BERLIN, 2026, 11, 28, 14, 0), 20, BERLIN)
    assert pickup.opens_at == local(BERLIN, 2026, 11, 30, 8, 0)


def test_closed_dates_are_skipped() -> None:
    # Thursday 2026-12-24, 19:00: Friday 25th and Saturday 26th are closed dates, Sunday
    # is a closed day, so Monday the 28th
    pickup = HOURS.next_pickup(at(BERLIN, 2026, 12, 24, 19, 0), 20, BERLIN)
    assert pickup.opens_at == local(BERLIN, 2026, 12, 28, 8, 0)
    assert not HOURS.is_open(at(BERLIN, 2026, 12, 25, 10, 0), BERLIN)


def test_an_opening_too_short_for_the_preparation_is_skipped() -> None:
    hours = OpeningHours.from_data({"weekly": {"mon": [["08:00", "08:10"], ["09:00", "17:00"]]}})
    pickup = hours.next_pickup(at(BERLIN, 2026, 11, 30, 7, 0), 20, BERLIN)
    assert pickup == Pickup(local(BERLIN, 2026, 11, 30, 9, 20), local(BERLIN, 2026, 11, 30, 9, 0))


def test_ranges_that_meet_at_midnight_are_one_opening() -> None:
    # Open Friday 20:00-24:00 and Saturday 00:00-02:00: an order at 23:50 is ready at
    # 00:10, within the same night's opening
    hours = OpeningHours.from_data(
        {"weekly": {"fri": [["20:00", "24:00"]], "sat": [["00:00", "02:00"]]}}
    )
    pickup = hours.next_pickup(at(BERLIN, 2026, 11, 27, 23, 50), 20, BERLIN)
    assert pickup == Pickup(local(BERLIN, 2026, 11, 28, 0, 10), None)
    assert hours.is_open(at(BERLIN, 2026, 11, 28, 1, 0), BERLIN)


def test_the_preparation_time_is_real_time_across_a_clock_change() -> None:
    # Berlin springs forward on 2027-03-28 at 02:00 (to 03:00). An order at 01:50 with
    # 20 minutes to prepare is ready at 03:10 local time, 20 real minutes later.
    hours = OpeningHours.from_data({"weekly": {"sun": [["01:00", "04:00"]]}})
    now = at(BERLIN, 2027, 3, 28, 1, 50)
    pickup = hours.next_pickup(now, 20, BERLIN)
    assert pickup.ready_at == local(BERLIN, 2027, 3, 28, 3, 10)
    assert pickup.ready_at - now == timedelta(minutes=20)


def test_hours_are_read_in_the_shops_zone() -> None:
    # 14:30 UTC is 09:30 in New York (open) and 15:30 in Berlin (open), but 23:30 UTC
    # is 18:30 in New York (closed) and 00:30 in Berlin (closed)
    hours = OpeningHours.from_data({"weekly": {"fri": [["09:00", "18:00"]]}})
    assert hours.is_open(datetime(2026, 11, 27, 14, 30, tzinfo=UTC), NEW_YORK)
    assert hours.is_open(datetime(2026, 11, 27, 14, 30, tzinfo=UTC), BERLIN)
    assert not hours.is_open(datetime(2026, 11, 27, 23, 30, tzinfo=UTC), NEW_YORK)
    assert not hours.is_open(datetime(2026, 11, 27, 23, 30, tzinfo=UTC), BERLIN)


def test_opening_is_inclusive_and_closing_is_not() -> None:
    assert HOURS.is_open(at(BERLIN, 2026, 11, 27, 8, 0), BERLIN)
    assert HOURS.is_open(at(BERLIN, 2026, 11, 27, 17, 59, 59), BERLIN)
    assert not HOURS.is_open(at(BERLIN, 2026, 11, 27, 18, 0), BERLIN)
    assert not HOURS.is_open(at(BERLIN, 2026, 11, 27, 7, 59, 59), BERLIN)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        HOURS.is_open(datetime(2026, 11, 27, 10, 0), BERLIN)


# -- the data ----------------------------------------------------------------------
def test_to_data_is_the_normal_form_with_every_day() -> None:
    hours = OpeningHours.from_data(
        {
            "weekly": {"tue": [["14:00", "18:00"], ["8:00", "12:00"]]},
            "closed": ["2026-12-26", "2026-12-25"],
        }
    )
    data = hours.to_data()
    assert data == {
        "weekly": {
            "mon": [],
            "tue": [["08:00", "12:00"], ["14:00", "18:00"]],
            "wed": [],
            "thu": [],
            "fri": [],
            "sat": [],
            "sun": [],
        },
        "closed": ["2026-12-25", "2026-12-26"],
    }
    assert OpeningHours.from_data(data) == hours


def test_the_hours_timezone_entry_is_ignored() -> None:
    # The zone is the shop's setting, CORNERSHOP_TIMEZONE, never the data's.
    hours = OpeningHours.from_data({**WEEK, "timezone": "Asia/Tokyo"})
    assert hours == HOURS and "timezone" not in (hours.to_data() or {})


def test_changing_a_day_of_an_always_open_shop_keeps_the_others_open_all_day() -> None:
    hours = OpeningHours.always().with_day("sun", [])
    assert hours.day("sun") == () and hours.day("mon") == ((0, 24 * 60),)
    closed = hours.with_closed([datetime(2026, 12, 25).date()])
    assert closed.closed_dates == (datetime(2026, 12, 25).date(),)
    assert closed.with_closed([datetime(2026, 12, 25).date()], remove=True).closed_dates == ()


BAD_HOURS: dict[str, tuple[Any, str]] = {
    "not a mapping": ("08:00-18:00", "must be a mapping"),
    "an unknown entry": ({"weekly": {"mon": []}, "holidays": []}, "unknown entry 'holidays'"),
    "an unknown day": ({"weekly": {"funday": [["08:00", "18:00"]]}}, "'funday' is not a weekday"),
    "a day that is not a list": ({"weekly": {"mon": "08:00-18:00"}}, "must be a list"),
    "a range of one time": ({"weekly": {"mon": [["08:00"]]}}, "is not like"),
    "a time past midnight": ({"weekly": {"mon": [["08:00", "25:00"]]}}, "'25:00' is not a time"),
    "a time without minutes": ({"weekly": {"mon": [["8", "18:00"]]}}, "'8' is not a time"),
    "a range across midnight": ({"weekly": {"fri": [["22:00", "02:00"]]}}, "cannot cross midnight"),
    "overlapping ranges": (
        {"weekly": {"mon": [["08:00", "13:00"], ["12:00", "18:00"]]}},
        "overlap; merge them",
    ),
    "a start at 24:00": ({"weekly": {"mon": [["24:00", "24:00"]]}}, "cannot start at 24:00"),
    "no opening at all": ({"weekly": {"mon": [], "sun": []}}, "no opening on any day"),
    "a closed date that is not a date": (
        {"weekly": {"mon": [["08:00", "18:00"]]}, "closed": ["Christmas"]},
        "'Christmas' is not a date",
    ),
    "a closed date twice": (
        {"weekly": {"mon": [["08:00", "18:00"]]}, "closed": ["2026-12-25", "2026-12-25"]},
        "listed twice",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_HOURS))
def test_invalid_hours_are_refused_saying_what_to_write(case: str) -> None:
    data, said = BAD_HOURS[case]
    with pytest.raises(InvalidHours, match=said) as raised:
        OpeningHours.from_data(data)
    assert raised.value.problems, "each problem is listed with where it is"


def test_every_problem_is_listed_with_its_place() -> None:
    with pytest.raises(InvalidHours) as raised:
        OpeningHours.from_data(
            {"weekly": {"mon": [["18:00", "08:00"]], "tue": [["8", "9"]]}, "closed": ["x"]}
        )
    assert [path for path, _ in raised.value.problems] == [
        ("weekly", "mon", 0),
        ("weekly", "tue", 0),
        ("closed", 0),
    ]
