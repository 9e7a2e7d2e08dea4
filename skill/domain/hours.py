"""Opening hours: per weekday, plus closed dates, in the shop's time zone.

The catalog document keeps them under ``"hours"`` (absent: always open)::

    {"weekly": {"mon": [["08:00", "18:00"]], "tue": [["08:00", "12:30"], ["14:00", "18:00"]],
                ..., "sun": []},
     "closed": ["2026-12-25", "2026-12-26"]}

Times are wall-clock times of the shop's zone (``CORNERSHOP_TIMEZONE``, given to each
call as a ``tzinfo``; the document's own ``"timezone"``, if any, is ignored). A day
missing from ``weekly``, or given ``[]``, is a closed day. ``"24:00"`` ends a day; a
range never crosses midnight (write 22:00-24:00 on one day and 00:00-02:00 on the
next: the two are one opening). Closed dates are local calendar dates.

Nothing here reads the clock, the environment or the time zone database: callers
pass ``now`` and the zone.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from skill.errors import DomainError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
#: At most this many closed dates (a few years of holidays); it also bounds the search
#: for the next opening, which always ends within ``len(closed) + 8`` days.
MAX_CLOSED_DATES = 1000
MAX_RANGES_PER_DAY = 6
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_DAY_END = 24 * 60

Path = tuple[str | int, ...]
Range = tuple[int, int]  # minutes from local midnight: [start, end)


class InvalidHours(DomainError):
    """Opening hours that cannot work. The message says what to write instead.

    ``problems`` holds each problem as (path inside the hours data, message).
    """

    def __init__(self, problems: Sequence[tuple[Path, str]]) -> None:
        self.problems = list(problems)
        super().__init__(" ".join(message for _, message in self.problems))


@dataclass(frozen=True, slots=True)
class Pickup:
    """When an order will be ready.

    ``opens_at`` is the opening the order waits for: set when the shop is closed at
    ``now``, or closes before the order would be ready (it is then prepared from that
    opening: ``ready_at = opens_at + prep``). None when the order is ready within the
    opening under way. Both are aware datetimes in the shop's zone.
    """

    ready_at: datetime
    opens_at: datetime | None = None


def parse_time(text: str) -> int | None:
    """Minutes after midnight of ``"08:00"`` / ``"8:00"`` / ``"24:00"``; None if it is not one."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def format_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _problems_of_day(day: str, value: Any) -> tuple[list[Range], list[tuple[Path, str]]]:
    name = DAY_NAMES[day]
    example = "[['08:00', '18:00']]"
    if not isinstance(value, list):
        return [], [((day,), f"{name}'s hours must be a list of opening ranges, like {example}.")]
    ranges: list[Range] = []
    problems: list[tuple[Path, str]] = []
    if len(value) > MAX_RANGES_PER_DAY:
        problems.append(((day,), f"{name} has more than {MAX_RANGES_PER_DAY} opening ranges."))
    for index, pair in enumerate(value):
        where: Path = (day, index)
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not all(isinstance(t, str) for t in pair)
        ):
            problems.append(
                (where, f"{name}'s opening range {pair!r} is not like ['08:00', '18:00'].")
            )
            continue
        start, end = parse_time(pair[0]), parse_time(pair[1])
        if start is None or end is None:
            bad = pair[0] if start is None else pair[1]
            problems.append(
                (
                    where,
                    f"{name}: {bad!r} is not a time; write hours and minutes like 08:00 or 17:30.",
                )
            )
            continue
        if start == _DAY_END:
            problems.append((where, f"{name}: an opening cannot start at 24:00; use 00:00."))
            continue
        if end <= start:
            problems.append(
                (
                    where,
                    f"{name}: the range {pair[0]}-{pair[1]} ends before it starts. A range cannot "
                    "cross midnight: end it at 24:00 and go on from 00:00 the next day.",
                )
            )
            continue
        ranges.append((start, end))
    ordered = sorted(ranges)
    for (s1, e1), (s2, e2) in itertools.pairwise(ordered):
        if s2 < e1:
            problems.append(
                (
                    (day,),
                    f"{name}: the ranges {format_time(s1)}-{format_time(e1)} and "
                    f"{format_time(s2)}-{format_time(e2)} overlap; merge them into one.",
                )
            )
    return ordered, problems


def hours_problems(data: Any) -> list[tuple[Path, str]]:
    """Every problem of an ``"hours"`` value, each with its path inside it; [] if it is fine."""
    if data is None:
        return []
    try:
        OpeningHours.from_data(data)
    except InvalidHours as exc:
        return exc.problems
    return []


class OpeningHours:
    """A shop's opening hours; :meth:`always` for a shop that never closes.

    Built by :meth:`from_data` (which checks everything) or :meth:`always`; immutable.
    """

    __slots__ = ("_closed", "_weekly")

    def __init__(self, weekly: Mapping[str, Sequence[Range]] | None, closed: Iterable[date] = ()):
        self._weekly: dict[str, tuple[Range, ...]] | None = (
            None if weekly is None else {day: tuple(weekly.get(day, ())) for day in WEEKDAYS}
        )
        self._closed = frozenset(closed)

    @classmethod
    def always(cls) -> OpeningHours:
        return cls(None)

    @classmethod
    def from_data(cls, data: Any) -> OpeningHours:
        """The hours in a catalog document's ``"hours"`` (None: always open).

        Raises :class:`InvalidHours` listing every problem found.
        """
        if data is None:
            return cls.always()
        if not isinstance(data, Mapping):
            raise InvalidHours(
                [((), "The opening hours must be a mapping with weekly and closed.")]
            )
        problems: list[tuple[Path, str]] = []
        for key in data:
            if key not in ("weekly", "closed", "timezone"):
                problems.append(
                    (
                        (key,),
                        f"The opening hours have an unknown entry {key!r}; use weekly and closed.",
                    )
                )
        weekly_data = data.get("weekly", {})
        weekly: dict[str, list[Range]] = {}
        if not isinstance(weekly_data, Mapping):
            problems.append(
                (("weekly",), "The weekly hours must map mon ... sun to opening ranges.")
            )
            weekly_data = {}
        for day, value in weekly_data.items():
            if day not in WEEKDAYS:
                problems.append(
                    (("weekly", str(day)), f"{day!r} is not a weekday; use {', '.join(WEEKDAYS)}.")
                )
                continue
            ranges, found = _problems_of_day(day, value)
            weekly[day] = ranges
            problems.extend((("weekly", *path), message) for path, message in found)
        if not problems and not any(weekly.values()):
            problems.append(
                (
                    ("weekly",),
                    "The weekly hours have no opening on any day, so no order could ever be "
                    "collected. Give at least one day its hours, or make the shop always open.",
                )
            )
        closed_data = data.get("closed", [])
        closed: list[date] = []
        if not isinstance(closed_data, list):
            problems.append((("closed",), "The closed dates must be a list like ['2026-12-25']."))
            closed_data = []
        if len(closed_data) > MAX_CLOSED_DATES:
            problems.append((("closed",), f"Give at most {MAX_CLOSED_DATES} closed dates."))
        for index, value in enumerate(closed_data):
            day = _date(value)
            if day is None:
                problems.append(
                    (("closed", index), f"{value!r} is not a date; write it like 2026-12-25.")
                )
            elif day in closed:
                problems.append((("closed", index), f"The closed date {day} is listed twice."))
            else:
                closed.append(day)
        if problems:
            raise InvalidHours(problems)
        return cls(weekly, closed)

    def to_data(self) -> dict[str, Any] | None:
        """The document form (None for always open): all seven days, closed dates sorted."""
        if self._weekly is None:
            return None
        return {
            "weekly": {
                day: [[format_time(s), format_time(e)] for s, e in self._weekly[day]]
                for day in WEEKDAYS
            },
            "closed": [d.isoformat() for d in sorted(self._closed)],
        }

    # -- reading -------------------------------------------------------------
    @property
    def always_open(self) -> bool:
        return self._weekly is None

    def day(self, weekday: str) -> tuple[Range, ...]:
        """The opening ranges of a weekday (always open: the whole day)."""
        if self._weekly is None:
            return ((0, _DAY_END),)
        return self._weekly[weekday]

    @property
    def closed_dates(self) -> tuple[date, ...]:
        return tuple(sorted(self._closed))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OpeningHours):
            return NotImplemented
        return (self._weekly, self._closed) == (other._weekly, other._closed)

    def __hash__(self) -> int:
        weekly = None if self._weekly is None else tuple(self._weekly.items())
        return hash((weekly, self._closed))

    def __repr__(self) -> str:
        return f"OpeningHours({self.to_data()!r})"

    # -- changing ------------------------------------------------------------
    def with_day(self, weekday: str, ranges: Sequence[Range]) -> OpeningHours:
        """These hours with one weekday's ranges replaced. From always open, the other
        days stay open all day."""
        weekly = {day: list(self.day(day)) for day in WEEKDAYS}
        weekly[weekday] = list(ranges)
        return OpeningHours(weekly, self._closed)

    def with_closed(self, dates: Iterable[date], *, remove: bool = False) -> OpeningHours:
        """These hours with closed dates added (or removed). From always open, every day
        stays open all day except the closed dates."""
        weekly = {day: list(self.day(day)) for day in WEEKDAYS}
        closed = self._closed - set(dates) if remove else self._closed | set(dates)
        return OpeningHours(weekly, closed)

    # -- asking ---------------------------------------------------------------
    def is_open(self, now: datetime, tz: tzinfo) -> bool:
        local = _aware(now).astimezone(tz)
        if self._weekly is None:
            return True
        if local.date() in self._closed:
            return False
        seconds = local.hour * 3600 + local.minute * 60 + local.second
        weekday = WEEKDAYS[local.weekday()]
        return any(s * 60 <= seconds < e * 60 for s, e in self._weekly[weekday])

    def next_pickup(self, now: datetime, prep_minutes: int, tz: tzinfo) -> Pickup:
        """When an order placed at ``now`` (aware) will be ready, ``prep_minutes`` later
        and within opening hours: now + prep when the shop is open until then, else the
        first opening long enough + prep."""
        now = _aware(now)
        prep = timedelta(minutes=max(prep_minutes, 0))
        if self._weekly is None:
            return Pickup((now + prep).astimezone(tz))
        first: datetime | None = None
        for start, end in self._openings(now, tz):
            if end <= now:
                continue
            if start <= now:
                if now + prep <= end:
                    return Pickup((now + prep).astimezone(tz))
                continue  # it closes before the order would be ready
            if first is None:
                first = start
            if start + prep <= end:
                return Pickup((start + prep).astimezone(tz), start.astimezone(tz))
        if first is None:
            # Only hours built in code can get here (validated hours always open again
            # within the horizon); say "now + prep" rather than fail a checkout.
            return Pickup((now + prep).astimezone(tz))
        # No opening is long enough for the preparation: the first one is the best there is.
        return Pickup((first + prep).astimezone(tz), first.astimezone(tz))

    def _openings(self, now: datetime, tz: tzinfo) -> Iterator[tuple[datetime, datetime]]:
        """The openings from the day before ``now`` on, as (start, end) in UTC, ranges
        that touch (22:00-24:00, then 00:00-02:00) merged into one."""
        assert self._weekly is not None
        today = now.astimezone(tz).date()
        pending: tuple[datetime, datetime] | None = None
        for offset in range(-1, len(self._closed) + 9):
            day = today + timedelta(days=offset)
            if day in self._closed:
                continue
            for start_m, end_m in self._weekly[WEEKDAYS[day.weekday()]]:
                start = _local(day, start_m, tz).astimezone(UTC)
                end = _local(day, end_m, tz).astimezone(UTC)
                if pending is not None and pending[1] == start:
                    pending = (pending[0], end)
                    continue
                if pending is not None:
                    yield pending
                pending = (start, end)
        if pending is not None:
            yield pending


def _local(day: date, minutes: int, tz: tzinfo) -> datetime:
    if minutes == _DAY_END:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("Opening hours need an aware datetime for now (UTC), not a naive one.")
    return now


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()) if len(value.strip()) == 10 else None
    except ValueError:
        return None


def parse_range(text: str) -> Range | None:
    """``"08:00-18:00"`` as minutes; None if it is not one (the caller says why)."""
    start, sep, end = text.partition("-")
    if not sep:
        return None
    s, e = parse_time(start), parse_time(end)
    if s is None or e is None:
        return None
    return s, e
