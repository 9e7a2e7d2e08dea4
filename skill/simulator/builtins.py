"""Alexa's built-in slot types, recognised in English (en-US, en-GB, ...) and German (de-DE).

:func:`find` returns, for every word position of an utterance, the values of a
built-in type that start there: ``(end, value)`` pairs in the formats Alexa
puts in the slot. Words arrive as :mod:`skill.simulator.languages` folds them
(lowercase, contractions expanded, "5:30" as "5 30", German umlauts written
out), so these grammars read folded words. Numbers come from the language's
own parser (German through ``text2num``); month and year arithmetic from
``dateutil.relativedelta``.

======================  =====================================================
type                    values
======================  =====================================================
AMAZON.NUMBER           "21" for "twenty one" / "einundzwanzig"; decimals with a
                        point, as Alexa gives them: "2.5" for "2.5", "two point
                        five", "two and a half", "2,5", "zweieinhalb"
AMAZON.Ordinal          "3" for "third", "3rd", "dritte" (AMAZON.ORDINAL too)
AMAZON.FOUR_DIGIT_NUMBER  "2026" for "twenty twenty six"; "0123" for "zero one two three"
AMAZON.DATE             ISO 8601 as Alexa sends it: "2026-12-25"; "2026-W49" (a week);
                        "2026-W49-WE" (its weekend); "2026-12" (a month); "2026" (a
                        year); "202X" (a decade); "2026-WI" (a season: WI SP SU FA);
                        "XXXX-12-25" for a yearly day named without a year
                        ("christmas"). A day and month without a year is the next
                        such date on or after today, as Alexa resolves it.
AMAZON.TIME             "17:00", "05:30"; "MO", "AF", "EV", "NI" for morning,
                        afternoon, evening and night
AMAZON.DURATION         ISO 8601 durations: "PT10M", "PT1H30M", "P3D", "P2W", "P1Y"
AMAZON.FirstName        a first name from a list of common ones (others are heard
                        with less confidence, as for any unknown value)
AMAZON.SearchQuery      any words where the sample puts the slot (full credit)
======================  =====================================================

``now`` (the request's reference time: the simulator's clock, or an
annotation's ``referenceTimestamp``) anchors relative dates and times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache

from skill.simulator.languages import Language

__all__ = [
    "FIRST_NAME",
    "KNOWN",
    "SEARCH_QUERY",
    "Matches",
    "canonical",
    "find",
    "whole_value",
]

NUMBER = "AMAZON.NUMBER"
ORDINAL = "AMAZON.Ordinal"
FOUR_DIGIT = "AMAZON.FOUR_DIGIT_NUMBER"
DATE = "AMAZON.DATE"
TIME = "AMAZON.TIME"
DURATION = "AMAZON.DURATION"
FIRST_NAME = "AMAZON.FirstName"
SEARCH_QUERY = "AMAZON.SearchQuery"
_ALIASES = {"AMAZON.ORDINAL": ORDINAL, "AMAZON.Ordinal": ORDINAL, "AMAZON.FIRSTNAME": FIRST_NAME}
#: The built-in types this module understands.
KNOWN = frozenset({NUMBER, ORDINAL, FOUR_DIGIT, DATE, TIME, DURATION, FIRST_NAME, SEARCH_QUERY})

#: For each start position, the (end, value) pairs found there.
Matches = list[list[tuple[int, str]]]
_Found = list[tuple[int, str]]
_Tokens = Sequence[str]


def canonical(type_name: str) -> str:
    """The type's name as this module knows it (Alexa spells Ordinal in two ways)."""
    return _ALIASES.get(type_name, type_name)


def find(type_name: str, tokens: _Tokens, language: Language, now: datetime) -> Matches | None:
    """Every value of a built-in type in ``tokens``, by start; None for a type not known here."""
    recognise = _RECOGNISERS.get(canonical(type_name))
    if recognise is None:
        return None
    tokens = list(tokens)  # the grammars compare slices with lists
    german = language.code == "de"
    found: Matches = []
    for i in range(len(tokens)):
        at = recognise(tokens, i, language, german, now)
        found.append(sorted(set(at), reverse=True) if len(at) > 1 else at)
    return found


def whole_value(type_name: str, text: str, language: Language, now: datetime) -> str | None:
    """The value of ``text`` as a whole ("ten minutes" -> "PT10M"), or None if it is not one."""
    tokens = language.words(text)
    found = find(type_name, tokens, language, now)
    if not found or not tokens:
        return None
    for end, value in found[0]:
        if end == len(tokens):
            return value
    return None


# -- numbers --------------------------------------------------------------------
_EN_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50,
    "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90, "hundredth": 100,
    "thousandth": 1000,
}  # fmt: skip
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
            "eighty": 80, "ninety": 90}  # fmt: skip
_DE_ORDINAL_IRREGULAR = {"erst": 1, "dritt": 3, "siebt": 7, "siebent": 7, "acht": 8}
_DE_ORDINAL_ENDINGS = ("en", "er", "es", "em", "e")


def _number(tokens: _Tokens, i: int, language: Language) -> tuple[int, int] | None:
    return language.parse_number(tokens, i)


def _ordinal_suffix(token: str) -> int | None:
    """ "21st", "3rd", "25th" -> the number."""
    for suffix in ("st", "nd", "rd", "th"):
        if token.endswith(suffix) and token[: -len(suffix)].isdigit():
            return int(token[: -len(suffix)])
    return None


@lru_cache(maxsize=2048)
def _german_ordinal(token: str) -> int | None:
    """ "dritte", "zwanzigsten", "einundzwanzigster", "neunte" -> the number; else None."""
    from skill.simulator.numbers import parse_german_number

    for ending in _DE_ORDINAL_ENDINGS:
        if token.endswith(ending) and len(token) > len(ending) + 2:
            base = token[: -len(ending)]
            break
    else:
        return None
    if base in _DE_ORDINAL_IRREGULAR:
        return _DE_ORDINAL_IRREGULAR[base]
    if base.endswith("st"):  # 20 and up: "zwanzigst", "hundertst"
        parsed = parse_german_number([base[:-2]], 0)
        return parsed[0] if parsed and parsed[0] >= 20 else None
    if base.endswith("t"):  # below 20: "zweit", "viert", "neunzehnt"
        parsed = parse_german_number([base[:-1]], 0)
        return parsed[0] if parsed and 2 <= parsed[0] < 20 else None
    return None


def _ordinal_at(tokens: _Tokens, i: int, german: bool) -> tuple[int, int] | None:
    """An ordinal starting at ``i``: (value, end)."""
    token = tokens[i]
    if german:
        value = _german_ordinal(token)
        return (value, i + 1) if value is not None else None
    suffixed = _ordinal_suffix(token)
    if suffixed is not None:
        return suffixed, i + 1
    if token in _EN_TENS and i + 1 < len(tokens):  # "twenty first"
        unit = _EN_ORDINALS.get(tokens[i + 1])
        if unit is not None and unit < 10:
            return _EN_TENS[token] + unit, i + 2
    if token in _EN_ORDINALS:
        return _EN_ORDINALS[token], i + 1
    return None


#: German articles that also mean one: in a NUMBER slot "nur eine Avocado" is 1.
_DE_ARTICLE_ONE = frozenset(("ein", "eine", "einen", "einem", "einer", "eines"))
#: "zweieinhalb", "anderthalb": a whole number and a half, said as one word.
_DE_HALF_SUFFIX = "einhalb"


def _numbers(tokens: _Tokens, i: int, language: Language, german: bool, now: datetime) -> _Found:
    """A number, "minus five" ("-5"), decimals ("two point five", "zwei Komma fünf": "2.5")
    and halves ("two and a half", "zweieinhalb": "2.5"), as AMAZON.NUMBER gives decimals.

    German articles are also 1 here; the NLU counts a filler word read as a value
    as weaker evidence, so a QuantityWord slot ("einen" = ONE) wins where a sample
    has one.
    """
    sign = ""
    if tokens[i] in ("minus", "negative", "negativ") and i + 1 < len(tokens):
        sign, i = "-", i + 1
    if german and not sign:
        half = _german_half(tokens[i], language)
        if half is not None:
            return [(i + 1, half)]
        if tokens[i] in _DE_ARTICLE_ONE:
            return [(i + 1, "1")]
    parsed = _number(tokens, i, language)
    if parsed is None:
        return []
    value, end = parsed
    found = [(end, f"{sign}{value}")]
    point = ("komma",) if german else ("point", "dot")
    if end < len(tokens) and tokens[end] in point:
        decimals = []
        j = end + 1
        while (digit := _digit(tokens, j, language)) is not None:
            decimals.append(str(digit))
            j += 1
        if decimals:
            found.append((j, f"{sign}{value}.{''.join(decimals)}"))
    if not german and tokens[end : end + 3] == ["and", "a", "half"]:
        found.append((end + 3, f"{sign}{value}.5"))
    return found


def _german_half(token: str, language: Language) -> str | None:
    if token == "anderthalb":
        return "1.5"
    if not token.endswith(_DE_HALF_SUFFIX) or token == _DE_HALF_SUFFIX:
        return None
    head = token[: -len(_DE_HALF_SUFFIX)]
    if head == "ein":  # "eineinhalb"
        return "1.5"
    whole = language.parse_number([head], 0)
    return f"{whole[0]}.5" if whole is not None and whole[1] == 1 else None


def _ordinals(tokens: _Tokens, i: int, language: Language, german: bool, now: datetime) -> _Found:
    found = _ordinal_at(tokens, i, german)
    if found is not None:
        return [(found[1], str(found[0]))]
    if german and tokens[i].isdigit():  # "der 3." reaches us as "3": the dot is not a word
        return [(i + 1, tokens[i])]
    return []


_DIGIT_WORDS = {"oh": 0, "o": 0, "zero": 0, "null": 0}


def _digit(tokens: _Tokens, i: int, language: Language) -> int | None:
    if i >= len(tokens):
        return None
    if tokens[i] in _DIGIT_WORDS:
        return 0
    parsed = _number(tokens, i, language)
    if parsed is not None and parsed[1] == i + 1 and 0 <= parsed[0] <= 9:
        return parsed[0]
    return None


def _four_digits(
    tokens: _Tokens, i: int, language: Language, german: bool, now: datetime
) -> _Found:
    found = []
    token = tokens[i]
    if token.isdigit() and len(token) == 4:
        found.append((i + 1, token))
    parsed = _number(tokens, i, language)
    if parsed is not None and 1000 <= parsed[0] <= 9999 and not token.isdigit():
        found.append((parsed[1], str(parsed[0])))
    digits: list[str] = []  # "one two three four"
    j = i
    while len(digits) < 4 and (d := _digit(tokens, j, language)) is not None:
        digits.append(str(d))
        j += 1
    if len(digits) == 4:
        found.append((j, "".join(digits)))
    pair = _year_pair(tokens, i, language)
    if pair is not None:
        found.append(pair)
    return found


def _year_pair(tokens: _Tokens, i: int, language: Language) -> tuple[int, str] | None:
    """ "nineteen eighty four", "twenty oh five", "twenty twenty six": two two-digit halves."""
    head = _number(tokens, i, language)
    if head is None or not 10 <= head[0] <= 99:
        return None
    first, j = head
    if j < len(tokens) and tokens[j] in ("oh", "o"):
        unit = _digit(tokens, j + 1, language)
        return (j + 2, f"{first}0{unit}") if unit is not None else None
    tail = _number(tokens, j, language)
    if tail is None or not 10 <= tail[0] <= 99:
        return None
    return tail[1], f"{first}{tail[0]:02d}"


# -- durations --------------------------------------------------------------------
_EN_UNITS = {
    "second": "S", "seconds": "S", "sec": "S", "secs": "S", "minute": "TM", "minutes": "TM",
    "min": "TM", "mins": "TM", "hour": "H", "hours": "H", "hr": "H", "hrs": "H", "day": "D",
    "days": "D", "week": "W", "weeks": "W", "fortnight": "2W", "fortnights": "2W",
    "month": "M", "months": "M", "year": "Y", "years": "Y", "decade": "10Y", "decades": "10Y",
}  # fmt: skip
_DE_UNITS = {
    "sekunde": "S", "sekunden": "S", "minute": "TM", "minuten": "TM", "stunde": "H",
    "stunden": "H", "tag": "D", "tage": "D", "tagen": "D", "tages": "D", "woche": "W",
    "wochen": "W", "monat": "M", "monate": "M", "monaten": "M", "monats": "M", "jahr": "Y",
    "jahre": "Y", "jahren": "Y", "jahres": "Y", "jahrzehnt": "10Y", "jahrzehnte": "10Y",
}  # fmt: skip
#: each unit in the next smaller one, to write fractions as Alexa does (PT1H30M, not PT1.5H)
_SMALLER = {"Y": (12, "M"), "M": (30, "D"), "W": (7, "D"), "D": (24, "H"), "H": (60, "TM"),
            "TM": (60, "S")}  # fmt: skip
_EN_ONE = ("a", "an", "one")
_DE_ONE = ("ein", "eine", "einen", "einer", "einem", "eins")
_DE_AND_A_HALF = ("anderthalb", "eineinhalb", "einundhalb")


def _units(german: bool) -> dict[str, str]:
    return _DE_UNITS if german else _EN_UNITS


def _amount(tokens: _Tokens, i: int, language: Language, german: bool) -> tuple[float, int] | None:
    """How many of a unit: a number, "a"/"ein", "half a", "a quarter of an", "anderthalb"."""
    n = len(tokens)
    if i >= n:
        return None
    token = tokens[i]
    if german:
        if token in _DE_AND_A_HALF:
            return 1.5, i + 1
        if token in ("halbe", "halben", "halb") or (
            token in _DE_ONE and i + 1 < n and tokens[i + 1] in ("halbe", "halben")
        ):
            return 0.5, i + (1 if token.startswith("halb") else 2)
        if token in ("viertel",) or (token in _DE_ONE and i + 1 < n and tokens[i + 1] == "viertel"):
            return 0.25, i + (1 if token == "viertel" else 2)
        if token in _DE_ONE:
            return 1.0, i + 1
    else:
        if token == "half" and i + 1 < n and tokens[i + 1] in ("a", "an"):
            return 0.5, i + 2
        if token in ("a", "an") and i + 1 < n and tokens[i + 1] == "half":
            return 0.5, i + 2
        if (
            token in ("a", "an", "one")
            and i + 2 < n
            and tokens[i + 1] == "quarter"
            and (tokens[i + 2] == "of")
        ):
            j = i + 3
            if j < n and tokens[j] in ("a", "an"):
                j += 1
            return 0.25, j
        if token in _EN_ONE and not (i + 1 < n and _number(tokens, i + 1, language)):
            parsed = _number(tokens, i, language)
            if parsed is None or token != "one":
                return 1.0, i + 1
    parsed = _number(tokens, i, language)
    if parsed is None:
        return None
    value, end = float(parsed[0]), parsed[1]
    if not german and tuple(tokens[end : end + 3]) in (
        ("and", "a", "half"),
        ("and", "one", "half"),
    ):
        return value + 0.5, end + 3  # "two and a half hours"
    if german and end < n and tokens[end] == "einhalb":
        return value + 0.5, end + 1
    return value, end


def _duration_parts(
    tokens: _Tokens, i: int, language: Language, german: bool
) -> list[tuple[int, dict[str, float]]]:
    """Each way to read ``amount unit [and amount unit]...`` from ``i``: (end, {unit: amount})."""
    units = _units(german)
    readings: list[tuple[int, dict[str, float]]] = []
    parts: dict[str, float] = {}
    j = i
    while True:
        amount = _amount(tokens, j, language, german)
        if amount is None or amount[1] >= len(tokens) or tokens[amount[1]] not in units:
            break
        value, k = amount
        unit = units[tokens[k]]
        if unit[0].isdigit():  # "fortnight", "decade": a multiple of another unit
            value, unit = value * int(unit[:-1]), unit[-1]
        k += 1
        if not german and k + 2 < len(tokens) and tokens[k : k + 3] == ["and", "a", "half"]:
            value, k = value + 0.5, k + 3
        if unit in parts:
            break
        parts[unit] = value
        readings.append((k, dict(parts)))
        j = k
        if j < len(tokens) and tokens[j] in ("and", "und"):
            j += 1
    return readings


def _iso_duration(parts: dict[str, float]) -> str:
    whole: dict[str, float] = {}
    for unit, value in parts.items():
        while True:
            count = int(value)
            if count:
                whole[unit] = whole.get(unit, 0) + count
            fraction = value - count
            if not fraction or unit not in _SMALLER:
                if fraction:
                    whole[unit] = whole.get(unit, 0) + fraction  # "half a second"
                break
            size, unit = _SMALLER[unit]
            value = fraction * size
    if "W" in whole and any(u in whole for u in ("Y", "M", "D")):
        whole["D"] = whole.get("D", 0) + whole.pop("W") * 7  # ISO keeps weeks alone
    date_part = "".join(f"{_num(whole[u])}{u}" for u in ("Y", "M", "W", "D") if u in whole)
    time_part = "".join(f"{_num(whole[u])}{u[-1]}" for u in ("H", "TM", "S") if u in whole)
    return "P" + date_part + ("T" + time_part if time_part else "")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _durations(tokens: _Tokens, i: int, language: Language, german: bool, now: datetime) -> _Found:
    return [
        (end, _iso_duration(parts)) for end, parts in _duration_parts(tokens, i, language, german)
    ]


# -- times -------------------------------------------------------------------------
_EN_PERIODS = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI",
               "tonight": "NI"}  # fmt: skip
_DE_PERIODS = {"morgen": "MO", "morgens": "MO", "vormittag": "MO", "vormittags": "MO",
               "nachmittag": "AF", "nachmittags": "AF", "abend": "EV", "abends": "EV",
               "nacht": "NI", "nachts": "NI"}  # fmt: skip
_EN_NAMED_TIMES = {"noon": "12:00", "midday": "12:00", "midnight": "00:00"}
_DE_NAMED_TIMES = {"mittag": "12:00", "mittags": "12:00", "mitternacht": "00:00"}


def _clock(hour: int, minute: int) -> str:
    return f"{hour:02d}:{minute:02d}"


def _hour_minute(tokens: _Tokens, i: int, language: Language) -> tuple[int, int | None, int] | None:
    """``five``, ``five thirty``, ``5 30`` ("5:30"), ``five oh five``: (hour, minute, end)."""
    parsed = _number(tokens, i, language)
    if parsed is None:
        return None
    hour, j = parsed
    if hour > 24:
        # "1730" said as digits (not the start of "2026 12 31"), or "seventeen hundred thirty"
        digits = tokens[i].isdigit() and len(tokens[i]) in (3, 4)
        followed = j < len(tokens) and tokens[j].isdigit()
        if (digits and not followed) or "hundred" in tokens[i:j]:
            hour, minute = divmod(hour, 100)
            return (hour, minute, j) if hour <= 24 and minute < 60 else None
        return None
    if j < len(tokens) and tokens[j] in ("oh", "o"):
        unit = _digit(tokens, j + 1, language)
        if unit is not None:
            return hour, unit, j + 2
    if j < len(tokens) and tokens[j] == "hundred" and hour <= 24:  # "seventeen hundred"
        return hour, 0, j + 1
    minutes = _number(tokens, j, language)
    if (
        minutes is not None
        and 0 <= minutes[0] < 60
        and not (tokens[j] in ("a", "an") or tokens[j] in _DE_ONE)
    ):
        return hour, minutes[0], minutes[1]
    return hour, None, j


def _times(tokens: _Tokens, i: int, language: Language, german: bool, now: datetime) -> _Found:
    return (
        _german_times(tokens, i, language, now)
        if german
        else _english_times(tokens, i, language, now)
    )


def _english_times(tokens: _Tokens, i: int, language: Language, now: datetime) -> _Found:
    n, token = len(tokens), tokens[i]
    found: list[tuple[int, str]] = []
    if token in _EN_NAMED_TIMES:
        found.append((i + 1, _EN_NAMED_TIMES[token]))
    if token == "now":
        found.append((i + 1, _clock(now.hour, now.minute)))
    if token in _EN_PERIODS:
        found.append((i + 1, _EN_PERIODS[token]))
    if token in ("this", "in", "at", "tomorrow") and i + 1 < n:
        after = tokens[i + 2] if tokens[i + 1] == "the" and i + 2 < n else tokens[i + 1]
        end = i + (3 if tokens[i + 1] == "the" else 2)
        if after in _EN_PERIODS and (token != "at" or after == "night"):
            found.append((end, _EN_PERIODS[after]))
    # "half past five", "quarter to six", "ten past five", "twenty five to six"
    offset: tuple[int, int] | None = None
    if token == "half" and i + 1 < n and tokens[i + 1] == "past":
        offset = (30, i + 2)
    elif token == "quarter" or (token in ("a",) and i + 1 < n and tokens[i + 1] == "quarter"):
        j = i + (1 if token == "quarter" else 2)
        if j < n and tokens[j] in ("past", "after", "to", "before", "of"):
            offset = (15 if tokens[j] in ("past", "after") else -15, j + 1)
    else:
        minutes = _number(tokens, i, language)
        if minutes is not None and 0 < minutes[0] < 60:
            j = minutes[1]
            if j < n and tokens[j] in ("minute", "minutes"):
                j += 1
            if j < n and tokens[j] in ("past", "after", "to", "before", "of"):
                offset = (minutes[0] if tokens[j] in ("past", "after") else -minutes[0], j + 1)
    if offset is not None:
        said = _number(tokens, offset[1], language)
        if said is not None and 1 <= said[0] <= 12:
            h, m = (said[0] if offset[0] > 0 else said[0] - 1) % 24, offset[0] % 60
            found += _meridiem(tokens, said[1], h, m)
        return found
    read = _hour_minute(tokens, i, language)
    if read is None:
        return found
    hour, minute, j = read
    if j < n and tokens[j] == "oclock":
        found += _meridiem(tokens, j + 1, hour % 24, 0)
        return found
    if minute is None and not (j < n and tokens[j] in ("am", "pm", "a", "p", "in", "at")):
        if i > 0 and tokens[i - 1] in ("at", "for", "by", "until", "till", "um"):
            found.append((j, _clock(hour % 24, 0)))  # "at five": the hour alone
        return found
    found += _meridiem(tokens, j, hour % 24, minute or 0)
    return found


def _meridiem(tokens: _Tokens, j: int, hour: int, minute: int) -> list[tuple[int, str]]:
    """The time, and the time read with "am"/"pm"/"in the evening" after it."""
    n = len(tokens)
    found = [(j, _clock(hour, minute))]
    later: int | None = None
    if j < n and tokens[j] in ("am", "pm"):
        later, end = tokens[j] == "pm", j + 1
    elif j + 1 < n and tokens[j] in ("a", "p") and tokens[j + 1] == "m":
        later, end = tokens[j] == "p", j + 2
    elif j + 2 < n and tokens[j] == "in" and tokens[j + 1] == "the" and tokens[j + 2] in (
        "morning", "afternoon", "evening",
    ):  # fmt: skip
        later, end = tokens[j + 2] != "morning", j + 3
    elif j + 1 < n and tokens[j] == "at" and tokens[j + 1] == "night":
        later, end = hour >= 6, j + 2
    elif j < n and tokens[j] == "tonight":
        later, end = True, j + 1
    if later is not None and 0 < hour <= 12:
        h = (hour % 12) + (12 if later else 0)
        found.append((end, _clock(h, minute)))
    return found


def _german_times(tokens: _Tokens, i: int, language: Language, now: datetime) -> _Found:
    n, token = len(tokens), tokens[i]
    found: list[tuple[int, str]] = []
    if token in _DE_NAMED_TIMES:
        found.append((i + 1, _DE_NAMED_TIMES[token]))
    if token == "jetzt":
        found.append((i + 1, _clock(now.hour, now.minute)))
    if token in _DE_PERIODS:
        found.append((i + 1, _DE_PERIODS[token]))
    if token in ("am", "heute", "in") and i + 1 < n:
        after, end = tokens[i + 1], i + 2
        if token == "in" and after == "der" and i + 2 < n:
            after, end = tokens[i + 2], i + 3
        if after in _DE_PERIODS and (token != "heute" or after != "morgen"):
            found.append((end, _DE_PERIODS[after]))
    offset: tuple[int, int] | None = None  # "halb sechs", "viertel nach fünf", "zehn vor sechs"
    if token == "halb" and i + 1 < n:
        said = _number(tokens, i + 1, language)
        if said is not None and 1 <= said[0] <= 24:
            found += _tageszeit(tokens, said[1], (said[0] - 1) % 24, 30)
        return found
    if token == "viertel" and i + 1 < n and tokens[i + 1] in ("nach", "vor"):
        offset = (15 if tokens[i + 1] == "nach" else -15, i + 2)
    else:
        minutes = _number(tokens, i, language)
        if minutes is not None and 0 < minutes[0] < 60 and minutes[1] < n:
            j = minutes[1]
            if tokens[j] in ("minute", "minuten"):
                j += 1
            if j < n and tokens[j] in ("nach", "vor"):
                offset = (minutes[0] if tokens[j] == "nach" else -minutes[0], j + 1)
    if offset is not None:
        said = _number(tokens, offset[1], language)
        if said is not None and 0 <= said[0] <= 24:
            h = said[0] if offset[0] > 0 else said[0] - 1
            found += _tageszeit(tokens, said[1], h % 24, offset[0] % 60)
        return found
    read = _hour_minute(tokens, i, language)
    if read is None:
        return found
    hour, minute, j = read
    if j < n and tokens[j] == "uhr":  # "siebzehn Uhr dreißig"
        j += 1
        spoken = _number(tokens, j, language) if j < n else None
        if minute is None and spoken is not None and 0 <= spoken[0] < 60:
            found += _tageszeit(tokens, spoken[1], hour % 24, spoken[0])
        found += _tageszeit(tokens, j, hour % 24, minute or 0)
        return found
    if minute is not None:
        found += _tageszeit(tokens, j, hour % 24, minute)
    elif i > 0 and tokens[i - 1] in ("um", "gegen", "bis", "ab"):
        found.append((j, _clock(hour % 24, 0)))
    return found


def _tageszeit(tokens: _Tokens, j: int, hour: int, minute: int) -> list[tuple[int, str]]:
    """The time, and with "nachmittags"/"abends"/"am Abend" after it, the later reading."""
    n = len(tokens)
    found = [(j, _clock(hour, minute))]
    period, end = None, j
    if j < n and tokens[j] in _DE_PERIODS:
        period, end = _DE_PERIODS[tokens[j]], j + 1
    elif j + 1 < n and tokens[j] in ("am", "in") and tokens[j + 1] in _DE_PERIODS:
        period, end = _DE_PERIODS[tokens[j + 1]], j + 2
    elif (
        j + 2 < n and tokens[j] == "in" and tokens[j + 1] == "der" and tokens[j + 2] in _DE_PERIODS
    ):
        period, end = _DE_PERIODS[tokens[j + 2]], j + 3
    if period is not None and 0 < hour <= 12:
        later = period in ("AF", "EV") or (period == "NI" and hour >= 6)
        found.append((end, _clock((hour % 12) + (12 if later else 0), minute)))
    return found


# -- dates -------------------------------------------------------------------------
_EN_MONTHS = {name: n for n, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"), 1)}  # fmt: skip
_EN_MONTHS.update({"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
                   "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12})  # fmt: skip
_DE_MONTHS = {name: n for n, name in enumerate(
    ("januar", "februar", "maerz", "april", "mai", "juni", "juli", "august", "september",
     "oktober", "november", "dezember"), 1)}  # fmt: skip
_DE_MONTHS.update({"jaenner": 1, "feber": 2})
_EN_DAYS = {name: n for n, name in enumerate(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}  # fmt: skip
_DE_DAYS = {name: n for n, name in enumerate(
    ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"))}  # fmt: skip
_DE_DAYS["sonnabend"] = 5
_EN_SEASONS = {"winter": "WI", "spring": "SP", "summer": "SU", "fall": "FA", "autumn": "FA"}
_DE_SEASONS = {"winter": "WI", "fruehling": "SP", "fruehjahr": "SP", "sommer": "SU",
               "herbst": "FA"}  # fmt: skip
_SEASON_START = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}
#: yearly days named without a year: Alexa leaves the year open
_EN_HOLIDAYS: dict[tuple[str, ...], str] = {
    ("christmas",): "12-25", ("christmas", "day"): "12-25", ("xmas",): "12-25",
    ("christmas", "eve"): "12-24", ("new", "year", "day"): "01-01",
    ("new", "years", "day"): "01-01", ("new", "year", "eve"): "12-31",
    ("new", "years", "eve"): "12-31", ("halloween",): "10-31",
    ("valentine", "day"): "02-14", ("valentines", "day"): "02-14",
    ("independence", "day"): "07-04", ("boxing", "day"): "12-26",
    ("st", "patrick", "day"): "03-17", ("saint", "patrick", "day"): "03-17",
}  # fmt: skip
_DE_HOLIDAYS: dict[tuple[str, ...], str] = {
    ("weihnachten",): "12-25", ("erster", "weihnachtstag"): "12-25",
    ("zweiter", "weihnachtstag"): "12-26", ("heiligabend",): "12-24",
    ("heiliger", "abend"): "12-24", ("silvester",): "12-31", ("neujahr",): "01-01",
    ("valentinstag",): "02-14", ("tag", "der", "deutschen", "einheit"): "10-03",
    ("halloween",): "10-31",
}  # fmt: skip
_EN_DECADES = {"twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6,
               "seventies": 7, "eighties": 8, "nineties": 9}  # fmt: skip
_DE_DECADES = {"zwanziger": 2, "dreissiger": 3, "vierziger": 4, "fuenfziger": 5,
               "sechziger": 6, "siebziger": 7, "achtziger": 8, "neunziger": 9}  # fmt: skip


class _Words:
    """The words a date grammar looks for, in one language."""

    this: tuple[str, ...]
    next: tuple[str, ...]
    last: tuple[str, ...]

    def __init__(self, german: bool) -> None:
        self.german = german
        self.months = _DE_MONTHS if german else _EN_MONTHS
        self.days = _DE_DAYS if german else _EN_DAYS
        self.seasons = _DE_SEASONS if german else _EN_SEASONS
        self.holidays = _DE_HOLIDAYS if german else _EN_HOLIDAYS
        self.decades = _DE_DECADES if german else _EN_DECADES
        if german:
            self.this = ("diese", "diesen", "dieses", "dieser", "diesem")
            self.next = ("naechste", "naechsten", "naechstes", "naechster", "kommende",
                         "kommenden", "kommendes")  # fmt: skip
            self.last = ("letzte", "letzten", "letztes", "letzter", "vergangene", "vergangenen",
                         "vergangenes", "vorige", "vorigen", "voriges")  # fmt: skip
            self.week, self.weekend = ("woche",), ("wochenende",)
            self.month, self.year = ("monat",), ("jahr",)
            self.decade = ("jahrzehnt",)
            self.relative = {"heute": 0, "morgen": 1, "uebermorgen": 2, "gestern": -1,
                             "vorgestern": -2}  # fmt: skip
        else:
            self.this = ("this", "the")
            self.next = ("next", "coming", "following")
            self.last = ("last", "past", "previous")
            self.week, self.weekend = ("week",), ("weekend",)
            self.month, self.year = ("month",), ("year",)
            self.decade = ("decade",)
            self.relative = {"today": 0, "tonight": 0, "now": 0, "tomorrow": 1,
                             "yesterday": -1}  # fmt: skip


_EN_WORDS, _DE_WORDS = _Words(False), _Words(True)


def _months_later(day: date, months: int) -> date:
    """``day`` moved by whole months, kept within the month ("jan 31" + 1 is "feb 28")."""
    # Imported here: dateutil is only needed for a few date phrasings, and the simulator's
    # import time counts for every command.
    from dateutil.relativedelta import relativedelta

    moved: date = day + relativedelta(months=months)
    return moved


def _iso_week(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _day_of_month(
    tokens: _Tokens, i: int, language: Language, german: bool
) -> tuple[int, int] | None:
    """ "twenty fifth", "25th", "25" (and German "fünfundzwanzigste", "25."): (day, end)."""
    if i >= len(tokens):
        return None
    ordinal = _ordinal_at(tokens, i, german)
    if ordinal is not None and 1 <= ordinal[0] <= 31:
        return ordinal
    parsed = _number(tokens, i, language)
    if parsed is not None and 1 <= parsed[0] <= 31:
        return parsed
    return None


def _year_at(tokens: _Tokens, i: int, language: Language) -> tuple[int, int] | None:
    if i >= len(tokens):
        return None
    if tokens[i].isdigit() and len(tokens[i]) == 4:
        return int(tokens[i]), i + 1
    pair = _year_pair(tokens, i, language)
    if pair is not None:
        return int(pair[1]), pair[0]
    parsed = _number(tokens, i, language)
    if parsed is not None and 1000 <= parsed[0] <= 2999:
        return parsed
    return None


def _next_date(today: date, month: int, day: int) -> date | None:
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _dates(tokens: _Tokens, i: int, language: Language, german: bool, now: datetime) -> _Found:
    words = _DE_WORDS if german else _EN_WORDS
    today = now.date()
    n, token = len(tokens), tokens[i]
    found: list[tuple[int, str]] = []

    def add(end: int, value: date | str) -> None:
        found.append((end, value.isoformat() if isinstance(value, date) else value))

    if token in words.relative:
        add(i + 1, today + timedelta(days=words.relative[token]))
    if not german and tokens[i : i + 4] == ["the", "day", "after", "tomorrow"]:
        add(i + 4, today + timedelta(days=2))
    if not german and tokens[i : i + 4] == ["the", "day", "before", "yesterday"]:
        add(i + 4, today - timedelta(days=2))
    if not german and tokens[i : i + 3] == ["day", "after", "tomorrow"]:
        add(i + 3, today + timedelta(days=2))
    for holiday, month_day in words.holidays.items():
        if tuple(tokens[i : i + len(holiday)]) == holiday:
            add(i + len(holiday), f"XXXX-{month_day}")
    _relative_days(tokens, i, language, german, today, add)
    modifier, j = None, i
    if token in words.this or token in words.next or token in words.last:
        modifier = "this" if token in words.this else "next" if token in words.next else "last"
        j = i + 1
    if j < n and tokens[j] in words.days:
        weekday = words.days[tokens[j]]
        start_of_week = today - timedelta(days=today.weekday())
        if modifier == "next":
            day = start_of_week + timedelta(days=7 + weekday)
        elif modifier == "last":
            day = today - timedelta(days=(today.weekday() - weekday) % 7 or 7)
        elif modifier == "this":
            day = start_of_week + timedelta(days=weekday)
        else:
            day = today + timedelta(days=(weekday - today.weekday()) % 7)
        add(j + 1, day)
    shift = {"this": 0, "next": 1, "last": -1, None: 0}[modifier]
    if modifier is not None and j < n:
        unit = tokens[j]
        if unit in words.week:
            add(j + 1, _iso_week(today + timedelta(weeks=shift)))
        elif unit in words.weekend:
            add(j + 1, _iso_week(today + timedelta(weeks=shift)) + "-WE")
        elif unit in words.month:
            add(j + 1, _months_later(today, shift).strftime("%Y-%m"))
        elif unit in words.year:
            add(j + 1, str(today.year + shift))
        elif unit in words.decade:
            add(j + 1, f"{(today.year // 10 + shift)}X")
        elif unit in words.seasons:
            season = words.seasons[unit]
            add(j + 1, f"{today.year + shift}-{season}")
    if (
        german
        and token in ("am", "dieses", "diesem")
        and j == i
        and i + 1 < n
        and (
            tokens[i + 1] in words.weekend  # "am Wochenende"
        )
    ):
        add(i + 2, _iso_week(today) + "-WE")
    if token in words.seasons and modifier is None:
        season = words.seasons[token]
        year = today.year if today.month <= _SEASON_START[season] + 2 else today.year + 1
        add(i + 1, f"{year}-{season}")
    if token in words.decades or (
        token in ("the", "die") and i + 1 < n and tokens[i + 1] in words.decades
    ):
        k = i if token in words.decades else i + 1
        add(k + 1, f"19{words.decades[tokens[k]]}X")
    _calendar_dates(tokens, i, language, german, today, words, add)
    return found


def _relative_days(
    tokens: _Tokens,
    i: int,
    language: Language,
    german: bool,
    today: date,
    add: Callable[[int, date | str], None],
) -> None:
    """Days from today: "in three days", "three days from now", "two days ago", "in drei Tagen"."""
    n = len(tokens)
    day_words = ("tag", "tage", "tagen") if german else ("day", "days")
    if tokens[i] == "in" or (german and tokens[i] == "vor"):
        amount = _amount(tokens, i + 1, language, german)
        if amount is not None and amount[1] < n and tokens[amount[1]] in day_words:
            sign = -1 if tokens[i] == "vor" else 1
            add(amount[1] + 1, today + timedelta(days=sign * int(amount[0])))
    if not german:
        amount = _amount(tokens, i, language, german)
        if amount is not None and amount[1] < n and tokens[amount[1]] in day_words:
            k = amount[1] + 1
            if tokens[k : k + 2] == ["from", "now"]:
                add(k + 2, today + timedelta(days=int(amount[0])))
            elif k < n and tokens[k] == "ago":
                add(k + 1, today - timedelta(days=int(amount[0])))


def _calendar_dates(
    tokens: _Tokens,
    i: int,
    language: Language,
    german: bool,
    today: date,
    words: _Words,
    add: Callable[[int, date | str], None],
) -> None:
    """Day and month ("december twenty fifth", "the 25th of december", "25. Dezember"),
    with or without a year; a month alone ("december", "december 2026"); numeric dates."""
    n = len(tokens)
    j = i + 1 if tokens[i] in ("the", "der", "den", "dem", "am", "on") else i

    def exact(end: int, year: int, month: int, day: int) -> None:
        try:
            add(end, date(year, month, day))
        except ValueError:
            return  # "february thirtieth" is no date

    def with_year(end: int, month: int, day: int) -> None:
        """The day of that month in the year said after it, or else the next such day."""
        year = _year_at(tokens, end, language)
        if year is None and end < n and tokens[end] in ("of", "in"):
            year = _year_at(tokens, end + 1, language)
        if year is not None:
            exact(year[1], year[0], month, day)
        nearest = _next_date(today, month, day)
        if nearest is not None:
            add(end, nearest)

    if j < n and tokens[j] in words.months:  # "december", "december twenty fifth"
        month = words.months[tokens[j]]
        after = j + 2 if j + 1 < n and tokens[j + 1] in ("the", "den") else j + 1
        day = _day_of_month(tokens, after, language, german)  # "december (the) twenty fourth"
        if day is not None:
            with_year(day[1], month, day[0])
        year = _year_at(tokens, j + 1, language)
        if year is not None and (day is None or year[0] > 31):
            add(year[1], f"{year[0]}-{month:02d}")  # "december 2026"
        target_year = today.year if month >= today.month else today.year + 1
        add(j + 1, f"{target_year}-{month:02d}")  # "december": the next one
    day = _day_of_month(tokens, j, language, german) if j < n else None
    if day is not None:
        k = day[1] + 1 if day[1] < n and tokens[day[1]] == "of" else day[1]
        if k < n and tokens[k] in words.months:  # "the 25th of december", "25. Dezember"
            with_year(k + 1, words.months[tokens[k]], day[0])
        elif j > i or _ordinal_at(tokens, j, german) is not None:
            # "the 25th" alone: the next 25th (a German bare "25" is just a number)
            this_month = today.replace(day=1)
            for month_start in (this_month, _months_later(this_month, 1)):
                try:
                    candidate = month_start.replace(day=day[0])
                except ValueError:
                    continue
                if candidate >= today:
                    add(day[1], candidate)
                    break
    _numeric_dates(tokens, i, language, german, today, add)


def _numeric_dates(
    tokens: _Tokens,
    i: int,
    language: Language,
    german: bool,
    today: date,
    add: Callable[[int, date | str], None],
) -> None:
    """ "2026-12-25" (ISO), "12/25/2026" (en-US), "25/12/2026" (en-GB), "25.12.2026" (de)."""
    if i + 2 >= len(tokens) or not all(t.isdigit() for t in tokens[i : i + 3]):
        if i + 1 < len(tokens) and tokens[i].isdigit() and tokens[i + 1].isdigit():
            first, second = int(tokens[i]), int(tokens[i + 1])
            month, day = (second, first) if german else (first, second)
            if 1 <= month <= 12 and 1 <= day <= 31 and len(tokens[i]) <= 2:
                nearest = _next_date(today, month, day)
                if nearest is not None:
                    add(i + 2, nearest)
        return
    a, b, c = (int(t) for t in tokens[i : i + 3])
    if len(tokens[i]) == 4:
        year, month, day = a, b, c
    elif german:
        day, month, year = a, b, c
    else:
        month, day, year = a, b, c  # the US order; en-GB writes day first, handled below
        if month > 12 >= day:
            month, day = day, month
    if year < 100:
        year += 2000
    try:
        add(i + 3, date(year, month, day))
    except ValueError:
        return


# -- names -----------------------------------------------------------------------------
# Common first names (a sample, as Alexa's own list is not published); others are
# heard as unknown values with less confidence.
# fmt: off
_EN_NAMES_TEXT = """
aaron abigail adam adrian aiden alan albert alex alexander alexandra alice alicia allison
amanda amber amelia amy andrea andrew angela anna anne anthony arthur ashley aubrey audrey
austin ava barbara ben benjamin beth betty bill billy bob bobby brandon brenda brian brittany
bruce bryan caleb cameron carl carlos carol caroline carter catherine charles charlie
charlotte chloe chris christian christina christine christopher cindy claire colin connor
daniel danielle david deborah debra dennis diana diane donald donna dorothy douglas dylan
edward elijah elizabeth ella ellie emily emma eric erica ethan eugene evelyn frank gabriel
gary george gerald grace gregory hannah harold harper harry heather helen henry isaac
isabella jack jackson jacob jacqueline james jane janet jason jean jeffrey jennifer jeremy
jerry jessica jill joan joe john johnny jonathan jordan jose joseph joshua joyce juan judith
judy julia julie justin karen katherine kathleen kathryn kayla keith kelly kenneth kevin
kimberly kyle laura lauren lawrence leah leo liam lily linda lisa logan louis lucas lucy
luke madison margaret maria marie marilyn mark martha mary mason matthew megan melissa
mia michael michelle mike nancy natalie nathan nicholas nicole noah nora olivia oliver
pamela patricia patrick paul peter philip rachel ralph randy raymond rebecca richard robert
roger ronald rose russell ruth ryan samantha samuel sandra sara sarah scott sean sharon
shirley sophia sophie stephanie stephen steven susan teresa terry thomas timothy tom tony
tyler victoria vincent virginia walter wayne william zachary zoe
"""
_DE_NAMES_TEXT = """
alexander andrea andreas anja anna annika anton ben birgit brigitte bernd christian
christina claudia daniel david dieter elias elke emil emilia emma erik eva felix finn frank
franz friedrich gabriele greta hannah hans heike heinz helga helmut jan jana jens johanna
jonas josef julia julian juergen karin karl katharina klaus lara lea leon lena leni lina
lisa louis luca lukas luisa maja manfred marie mario markus martin maria matthias max
maximilian mia michael michaela monika noah nicole niklas olaf oskar paul peter petra
ralf renate sabine sandra sarah sebastian sophia sophie stefan susanne sven thomas tim
tobias torsten ursula uwe werner wolfgang
"""
# fmt: on
_EN_NAMES = frozenset(_EN_NAMES_TEXT.split())
_DE_NAMES = frozenset(_DE_NAMES_TEXT.split())


def _first_names(
    tokens: _Tokens, i: int, language: Language, german: bool, now: datetime
) -> _Found:
    names = _DE_NAMES if german else _EN_NAMES
    return [(i + 1, tokens[i])] if tokens[i] in names else []


_Recogniser = Callable[[_Tokens, int, Language, bool, datetime], _Found]
_RECOGNISERS: dict[str, _Recogniser] = {
    NUMBER: _numbers,
    ORDINAL: _ordinals,
    FOUR_DIGIT: _four_digits,
    DURATION: _durations,
    TIME: _times,
    DATE: _dates,
    FIRST_NAME: _first_names,
}
