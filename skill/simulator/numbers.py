"""English number words <-> integers, as AMAZON.NUMBER hears them (0 to 999,999).

The simulator's NLU needs to turn "twenty one" or "three hundred and five"
into the digits Alexa puts in a NUMBER slot, and to find where a number ends
inside an utterance ("two dozen eggs": the number is "two"; "dozen" is not a
number word, so it stays with the item). Written by hand because English is
all we need and ``text2num`` would add a dependency for a page of code.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["MAX_NUMBER", "int_to_words", "is_number_word", "parse_number", "words_to_int"]

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
    """True for a token that can be part of a spoken number (digits included)."""
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
    """The longest number starting at ``tokens[start]``: ``(value, end index)``, or None.

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
    """The number a whole phrase says ("twenty one" -> 21), or None if it is not just a number."""
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
