"""Number words <-> integers, as AMAZON.NUMBER hears them."""

from __future__ import annotations

import pytest

from skill.simulator.numbers import (
    german_number_spelling,
    int_to_words,
    is_german_number_word,
    is_number_word,
    parse_german_number,
    parse_number,
    words_to_int,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("zero", 0),
        ("seven", 7),
        ("twelve", 12),
        ("twenty", 20),
        ("twenty one", 21),
        ("twenty-one", 21),
        ("ninety nine", 99),
        ("a hundred", 100),
        ("one hundred", 100),
        ("three hundred and five", 305),
        ("three hundred five", 305),
        ("twelve hundred", 1200),
        ("a thousand", 1000),
        ("two thousand five hundred and one", 2501),
        ("ninety nine thousand nine hundred ninety nine", 99999),
        ("21", 21),
        ("1,000", 1000),
    ],
)
def test_words_to_int(text: str, value: int) -> None:
    assert words_to_int(text) == value


@pytest.mark.parametrize("text", ["", "a", "dozen", "two dozen", "half", "one two", "apples"])
def test_words_that_are_not_just_a_number(text: str) -> None:
    assert words_to_int(text) is None


def test_parse_number_stops_where_the_number_ends() -> None:
    # GIVEN "two dozen eggs" WHEN parsing at the start THEN only "two" is the number
    assert parse_number(["two", "dozen", "eggs"]) == (2, 1)
    assert parse_number(["add", "twenty", "one", "bagels"], 1) == (21, 3)
    assert parse_number(["a", "dozen", "eggs"]) is None
    assert parse_number(["a", "hundred", "apples"]) == (100, 2)
    assert parse_number([], 0) is None


def test_and_is_only_part_of_a_number_after_hundred_or_thousand() -> None:
    assert parse_number(["half", "and", "half"]) is None
    assert parse_number(["two", "and", "three"]) == (2, 1)
    assert parse_number(["one", "hundred", "and", "apples"]) == (100, 2)


def test_round_trip_up_to_the_thousands() -> None:
    for value in [*range(0, 1200), 99_999, 100_000, 123_456, 999_999]:
        assert words_to_int(int_to_words(value)) == value


def test_int_to_words_refuses_what_it_cannot_say() -> None:
    assert int_to_words(21) == "twenty one"
    assert int_to_words(305) == "three hundred five"
    with pytest.raises(ValueError, match="outside"):
        int_to_words(-1)
    with pytest.raises(ValueError, match="outside"):
        int_to_words(1_000_000)


def test_is_number_word() -> None:
    assert is_number_word("seventeen")
    assert is_number_word("42")
    assert not is_number_word("dozen")
    assert not is_number_word("a")


# -- German, through text2num ------------------------------------------------------
@pytest.mark.parametrize(
    ("tokens", "parsed"),
    [
        (["zwei"], (2, 1)),
        (["eins"], (1, 1)),
        (["zwoelf"], (12, 1)),
        (["fuenf", "aepfel"], (5, 1)),
        (["einundzwanzig", "bagels"], (21, 1)),
        (["dreissig"], (30, 1)),
        (["dreihundertfuenf"], (305, 1)),
        (["zwei", "tausend", "fuenfhundert"], (2500, 3)),
        (["ein", "hundert"], (100, 2)),
        (["hundert", "fuenf"], (105, 2)),
        (["21"], (21, 1)),
        (["zwei", "drei"], (2, 1)),
    ],
)
def test_parse_german_number(tokens: list[str], parsed: tuple[int, int]) -> None:
    assert parse_german_number(tokens) == parsed


@pytest.mark.parametrize("tokens", [["ein", "apfel"], ["eine"], ["und"], ["apfel"], ["zig"], []])
def test_german_words_that_are_not_numbers(tokens: list[str]) -> None:
    assert parse_german_number(tokens) is None


def test_is_german_number_word() -> None:
    assert is_german_number_word("siebzehn")
    assert is_german_number_word("42")
    assert not is_german_number_word("ein")
    assert not is_german_number_word("elfenbein")
    assert german_number_spelling("fuenfundzwanzig") == "fünfundzwanzig"
    assert german_number_spelling("apfel") is None
