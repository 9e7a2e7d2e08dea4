"""Number words <-> integers, as AMAZON.NUMBER hears them: English by hand, German by ``text2num``.

The simulator's NLU needs to turn "twenty one" or "einundzwanzig" into the
digits Alexa puts in a NUMBER slot, and to find where a number ends inside an
utterance ("two dozen eggs": the number is "two"; "dozen" is not a number
word, so it stays with the item).

* **English** (0 to 999,999) is a page of code below, kept because it encodes
  exactly what the skill's tests rely on ("a hundred" is 100, "a" alone and
  "dozen" are not numbers, "and" only inside "hundred and five").
* **German** is the ``text2num`` package (module ``text_to_num``), which knows
  German compounds ("dreihundertfünf", "zweitausend fünfhundert"). It is
  imported lazily, the first time a German utterance has a token that looks
  like a number word, so English runs never load it. Tokens reach us folded
  (``ü`` -> ``ue``, ``ß`` -> ``ss``, see :mod:`skill.simulator.languages`);
  :func:`german_number_spelling` restores the spelling ``text2num`` expects,
  so "fuenf" and "zwoelf" count too. The articles "ein"/"eine" are not
  number words here (as "a" is not in English); the AMAZON.NUMBER grammar in
  :mod:`skill.simulator.builtins` still reads them as 1 where a sample has
  only a number slot for them ("ich will nur ein Brot").
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from skill.errors import ConfigError

__all__ = [
    "MAX_NUMBER",
    "german_number_spelling",
    "int_to_words",
    "is_german_number_word",
    "is_number_word",
    "parse_german_number",
    "parse_number",
    "words_to_int",
]

MAX_NUMBER = 999_999

# fmt: off
_UNITS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen"
]
# fmt: on
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

UNIT_VALUES: dict[str, int] = {word: value for value, word in enumerate(_UNITS)}
TENS_VALUES: dict[str, int] = {word: 20 + 10 * index for index, word in enumerate(_TENS)}
_SCALES = {"hundred": 100, "thousand": 1000}
_WORDS = frozenset({*UNIT_VALUES, *TENS_VALUES, *_SCALES})


def is_number_word(token: str) -> bool:
    """True for a token that can be part of a spoken English number (digits included)."""
    return token in _WORDS or _digits(token) is not None


def _digits(token: str) -> int | None:
    text = token.replace(",", "")
    if text.isascii() and text.isdigit() and len(text) <= 12:
        return int(text)
    return None


def _below_hundred(tokens: Sequence[str], i: int) -> tuple[int, int] | None:
    """``seven``, ``seventeen``, ``seventy``, ``seventy seven`` at ``i``: (value, next index)."""
    if i >= len(tokens):
        return None
    word = tokens[i]
    if word in TENS_VALUES:
        value = TENS_VALUES[word]
        if (
            i + 1 < len(tokens)
            and tokens[i + 1] in UNIT_VALUES
            and 0 < UNIT_VALUES[tokens[i + 1]] < 10
        ):
            return value + UNIT_VALUES[tokens[i + 1]], i + 2
        return value, i + 1
    if word in UNIT_VALUES:
        return UNIT_VALUES[word], i + 1
    return None


def _below_thousand(tokens: Sequence[str], i: int) -> tuple[int, int] | None:
    """``three hundred and five``, ``a hundred``, ``twelve hundred`` at ``i``."""
    if i >= len(tokens):
        return None
    if tokens[i] == "a" and i + 1 < len(tokens) and tokens[i + 1] == "hundred":
        lead: tuple[int, int] | None = (1, i + 1)
    else:
        lead = _below_hundred(tokens, i)
    if lead is None:
        return None
    value, j = lead
    if j < len(tokens) and tokens[j] == "hundred" and 0 < value < 100:  # "twelve hundred"
        value *= 100
        j += 1
        k = j + 1 if j < len(tokens) and tokens[j] == "and" else j
        rest = _below_hundred(tokens, k)
        if rest is not None and rest[0] > 0:
            value, j = value + rest[0], rest[1]
    return value, j


def parse_number(tokens: Sequence[str], start: int = 0) -> tuple[int, int] | None:
    """The longest English number starting at ``tokens[start]``: ``(value, end index)``, or None.

    Accepts digits ("21", "1,000") and words up to the thousands ("two thousand
    five hundred and one", "a thousand"). "a" alone and "dozen" are not numbers.
    """
    if start >= len(tokens):
        return None
    digits = _digits(tokens[start])
    if digits is not None:
        return digits, start + 1
    if tokens[start] == "a" and start + 1 < len(tokens) and tokens[start + 1] == "thousand":
        head: tuple[int, int] | None = (1, start + 1)
    else:
        head = _below_thousand(tokens, start)
    if head is None:
        return None
    value, j = head
    if j < len(tokens) and tokens[j] == "thousand" and 0 < value < 1000:
        value *= 1000
        j += 1
        k = j + 1 if j < len(tokens) and tokens[j] == "and" else j
        rest = _below_thousand(tokens, k)
        if rest is not None and rest[0] > 0:
            value, j = value + rest[0], rest[1]
    return value, j


def words_to_int(text: str) -> int | None:
    """The number a whole English phrase says ("twenty one" -> 21), or None if not just a number."""
    tokens = text.lower().replace("-", " ").split()
    parsed = parse_number(tokens)
    if parsed is None or parsed[1] != len(tokens):
        return None
    return parsed[0]


def int_to_words(value: int) -> str:
    """21 -> "twenty one", 305 -> "three hundred five" (how AMAZON.NUMBER reads digits back)."""
    if not 0 <= value <= MAX_NUMBER:
        raise ValueError(f"{value} is outside 0..{MAX_NUMBER}; spell smaller numbers only.")
    if value < 20:
        return _UNITS[value]
    if value < 100:
        tens, unit = divmod(value, 10)
        return _TENS[tens - 2] + (f" {_UNITS[unit]}" if unit else "")
    if value < 1000:
        hundreds, rest = divmod(value, 100)
        return f"{_UNITS[hundreds]} hundred" + (f" {int_to_words(rest)}" if rest else "")
    thousands, rest = divmod(value, 1000)
    return f"{int_to_words(thousands)} thousand" + (f" {int_to_words(rest)}" if rest else "")


# -- German, through text2num -----------------------------------------------------
# The pieces German number words are built from, as folded tokens spell them. A
# token made only of these may be a number; anything else is rejected without
# loading text2num. Longer pieces first, so "sechs" is tried before "sech".
# fmt: off
_GERMAN_PIECES = (
    "null", "eins", "ein", "zwei", "zwo", "drei", "vier", "fuenf", "sechs", "sech", "sieben",
    "sieb", "acht", "neun", "zehn", "elf", "zwoelf", "zwanzig", "dreissig", "zig", "und",
    "hundert", "tausend",
)
# fmt: on
_GERMAN_NUMBER = re.compile(f"(?:{'|'.join(_GERMAN_PIECES)})+")
_GERMAN_SPELLING = {"fuenf": "fünf", "zwoelf": "zwölf", "dreissig": "dreißig"}
#: Words that look like numbers but are articles or a conjunction on their own.
_GERMAN_NOT_NUMBERS = frozenset(("ein", "und"))
_GERMAN_SCALES = ("hundert", "tausend")
_GERMAN_MAX_TOKENS = 4

_Converter = Callable[[str, str], int]


@lru_cache(maxsize=1)
def _text2num() -> _Converter:
    """``text_to_num.text2num``, imported on first use (never for English)."""
    try:
        module = importlib.import_module("text_to_num")
    except ImportError as exc:
        raise ConfigError(
            "German number words need the text2num package, which is not installed. "
            "Install it with `pip install text2num` (it is a Corner Shop dependency)."
        ) from exc
    convert: _Converter = module.text2num
    return convert


@lru_cache(maxsize=4096)
def german_number_spelling(token: str) -> str | None:
    """The spelling text2num reads for a folded token that may be a number word, else None.

    "fuenfundzwanzig" -> "fünfundzwanzig"; "apfel" -> None (no import needed to say so).
    """
    if not _GERMAN_NUMBER.fullmatch(token):
        return None
    spelled = token
    for folded, proper in _GERMAN_SPELLING.items():
        spelled = spelled.replace(folded, proper)
    return spelled


@lru_cache(maxsize=4096)
def _german_value(phrase: str) -> int | None:
    try:
        value = _text2num()(phrase, "de")
    except ValueError:
        return None
    return value if 0 <= value <= MAX_NUMBER else None


def is_german_number_word(token: str) -> bool:
    """True for digits and German number words ("zwei", "einundzwanzig"), not "ein" or "und"."""
    if _digits(token) is not None:
        return True
    spelled = german_number_spelling(token)
    if spelled is None or token in _GERMAN_NOT_NUMBERS:
        return False
    return _german_value(spelled) is not None


def parse_german_number(tokens: Sequence[str], start: int = 0) -> tuple[int, int] | None:
    """The longest German number starting at ``tokens[start]``: ``(value, end index)``, or None.

    Most German numbers are one word ("einundzwanzig"); a few are spoken apart
    ("zwei tausend", "ein hundert"), so up to four number tokens are read together.
    """
    if start >= len(tokens):
        return None
    digits = _digits(tokens[start])
    if digits is not None:
        return digits, start + 1
    spelled: list[str] = []
    for token in tokens[start : start + _GERMAN_MAX_TOKENS]:
        spelling = german_number_spelling(token)
        if spelling is None or token == "und":
            break
        if spelled and not (
            spelling.startswith(_GERMAN_SCALES) or spelled[-1].endswith(_GERMAN_SCALES)
        ):
            break  # "zwei drei" is two numbers; "zwei tausend fünfhundert" is one
        spelled.append(spelling)
    for end in range(len(spelled), 0, -1):
        if end == 1 and tokens[start] in _GERMAN_NOT_NUMBERS:
            return None  # "ein Apfel": an article, as "a" is in English
        value = _german_value(" ".join(spelled[:end]))
        if value is not None:
            return value, start + end
    return None
