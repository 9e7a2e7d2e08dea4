"""Everything the user hears or reads: message catalogs per locale, plural rules, SSML.

Catalogs are JSON files in ``skill/speech/locales`` and are loaded once per
process (:func:`messages_for`), never per request.

Times and dates are data too: each catalog gives CLDR-style patterns (``time``:
``h:mm a`` says "8:20 AM", ``H:mm 'Uhr'`` says "8:20 Uhr"; ``time_on_the_hour``
drops ":00"; ``date``: ``EEEE, d. MMMM``), the day-period words (``time_am``,
``time_pm``) and the names of ``weekdays`` and ``months``. :meth:`Messages.time`
and :meth:`Messages.date` read them; the caller converts to the shop's time zone.

So are the words customers use for amounts and units (``quantity_words``,
``unit_words``: id -> ``"word|word"``, read by :meth:`Messages.word_ids`) and how an
unknown item is named in the plural (:meth:`Messages.plural`): English through the
``inflection`` library, German through the catalog's ``plural_endings`` rules, and in
both languages the catalog's ``plural_exceptions`` first.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import string
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from skill.config import DEFAULT_LOCALE
from skill.errors import ConfigError

# Package data sits beside the code (also inside function.zip), so a plain path
# is enough, and cheaper at cold start than importlib.resources.
_LOCALES = Path(__file__).parent / "locales"

__all__ = ["Messages", "available_locales", "messages_for", "placeholders", "plural_category"]

# The pattern letters the catalogs use (a subset of CLDR's), and 'quoted literals'.
_PATTERN = re.compile(r"'([^']*)'|(EEEE|MMMM|HH|H|hh|h|mm|a|dd|d)")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def plural_category(language: str, count: int) -> str:
    """The CLDR plural category for the languages we speak (en, de: one / other)."""
    return "one" if count == 1 else "other"


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Messages:
    """One locale's message catalog."""

    def __init__(self, locale: str, table: Mapping[str, Any]) -> None:
        self.locale = locale
        self.language = locale.split("-")[0]
        self._table = {k: v for k, v in table.items() if not k.startswith("_")}
        self._words: dict[str, dict[str, str]] = {}

    def keys(self) -> set[str]:
        return set(self._table)

    def raw(self, key: str) -> Any:
        return self._table[key]

    def __call__(self, key: str, /, count: int | None = None, **params: Any) -> str:
        entry = self._table[key]
        if isinstance(entry, dict):
            if count is None:
                raise TypeError(f"Message {key!r} has plural forms, so it needs count=.")
            entry = entry[plural_category(self.language, count)]
        return str(entry).format(count=count, **params)

    def time(self, moment: dt.datetime) -> str:
        """A clock time in this locale's words: "8:20 AM", "8:20", "8:20 Uhr" ("8 Uhr")."""
        key = "time_on_the_hour" if moment.minute == 0 else "time"
        return self._pattern(str(self._table[key]), moment)

    def date(self, day: dt.date) -> str:
        """A date in this locale's words: "Friday, November 27", "Freitag, 27. November"."""
        return self._pattern(str(self._table["date"]), day)

    def weekday(self, day: dt.date) -> str:
        """The day's name: "Monday", "Montag"."""
        return str(self._table["weekdays"][_WEEKDAYS[day.weekday()]])

    def _pattern(self, pattern: str, moment: dt.date) -> str:
        def field(match: re.Match[str]) -> str:
            literal, letters = match.groups()
            if literal is not None:
                return literal
            if letters == "EEEE":
                return self.weekday(moment)
            if letters == "MMMM":
                return str(self._table["months"][str(moment.month)])
            if letters in ("d", "dd"):
                return f"{moment.day:0{len(letters)}d}"
            assert isinstance(moment, dt.datetime)  # the time letters need a time
            if letters in ("H", "HH"):
                return f"{moment.hour:0{len(letters)}d}"
            if letters in ("h", "hh"):
                return f"{(moment.hour % 12) or 12:0{len(letters)}d}"
            if letters == "mm":
                return f"{moment.minute:02d}"
            return str(self._table["time_am" if moment.hour < 12 else "time_pm"])

        return _PATTERN.sub(field, pattern)

    def word_ids(self, key: str) -> dict[str, str]:
        """A word table of the catalog, inverted: ``{"GALLON": "gallon|gallons"}`` ->
        ``{"gallon": "GALLON", "gallons": "GALLON"}`` (lowercase; built once)."""
        table = self._words.get(key)
        if table is None:
            table = {
                word.strip().lower(): str(word_id)
                for word_id, words in self._table[key].items()
                for word in str(words).split("|")
                if word.strip()
            }
            self._words[key] = table
        return table

    def plural(self, noun: str) -> str:
        """What a customer called an item, in the plural this language uses: "unicorn"
        -> "unicorns", "Einhorn" -> "Einhörner"; a plural stays as it is ("unicorns").

        For naming something the shop doesn't sell, so it only has to sound right, not
        be a dictionary: the catalog's ``plural_exceptions`` (the last word, or in German
        the end of a compound: "Einhorn" ends in "horn") come first, then English asks
        the ``inflection`` library and German applies ``plural_endings`` (the longest
        ending that matches; ``""`` matches every word). The English catalogs carry
        ``plural_endings`` too, unused, as every catalog has the same keys.
        """
        words = noun.split()
        if not words:
            return noun
        *before, last = words
        exceptions: Mapping[str, str] = self._table["plural_exceptions"]
        plural = _from_exceptions(last, exceptions, compounds=self.language == "de")
        if plural is None:
            if self.language == "de":
                plural = _by_endings(last, self._table["plural_endings"])
            else:
                import inflection  # only unknown items need it: keep it off the cold start

                plural = inflection.pluralize(last)
        if self.language == "de":
            plural = plural[:1].upper() + plural[1:]  # a German noun, however Alexa wrote it
        return " ".join([*before, plural])

    def join(self, parts: Sequence[str]) -> str:
        """``a``, ``a and b``, ``a, b, and c``: the last joint is the catalog's ``list_last``
        (English keeps the serial comma, which reads better aloud; German has none)."""
        if len(parts) <= 1:
            return "".join(parts)
        if len(parts) == 2:
            return f"{parts[0]} {self('list_and')} {parts[1]}"
        return self("list_last", rest=", ".join(parts[:-1]), last=parts[-1])


#: An exception shorter than this matches only a whole word, never the end of a compound
#: (German "Ei" -> "Eier", but not "Papagei" -> "Papageier").
_MIN_COMPOUND_TAIL = 4


def _from_exceptions(word: str, exceptions: Mapping[str, str], *, compounds: bool) -> str | None:
    lower = word.lower()
    if lower in exceptions:
        return _keep_case(word, str(exceptions[lower]))
    if not compounds:
        return None
    tails = [t for t in exceptions if len(t) >= _MIN_COMPOUND_TAIL and lower.endswith(t)]
    if not tails:
        return None
    tail = max(tails, key=len)
    return word[: len(word) - len(tail)] + str(exceptions[tail])


def _by_endings(word: str, endings: Mapping[str, str]) -> str:
    lower = word.lower()
    ending = max((e for e in endings if lower.endswith(e)), key=len, default="")
    return word[: len(word) - len(ending)] + str(endings.get(ending, ""))


def _keep_case(word: str, plural: str) -> str:
    return plural[:1].upper() + plural[1:] if word[:1].isupper() else plural


@cache
def available_locales() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in _LOCALES.glob("*.json")))


@cache
def _load(locale: str) -> Messages:
    text = (_LOCALES / f"{locale}.json").read_text("utf-8")
    return Messages(locale, json.loads(text))


def messages_for(locale: str | None) -> Messages:
    """The catalog for a locale, falling back to the same language, then to en-US."""
    locales = available_locales()
    if locale in locales:
        return _load(locale)
    language = (locale or "").split("-")[0]
    for candidate in locales:
        if candidate.split("-")[0] == language:
            return _load(candidate)
    if DEFAULT_LOCALE not in locales:  # pragma: no cover - packaging error
        raise ConfigError("The en-US message catalog is missing; reinstall Corner Shop.")
    return _load(DEFAULT_LOCALE)
