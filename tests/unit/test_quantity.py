"""What quantity words and units mean for one item (skill.domain.quantity), and Cart.set."""

from __future__ import annotations

import pytest

from skill.domain import quantity as q
from skill.domain.cart import MAX_PER_LINE, Cart
from skill.domain.money import Money
from skill.domain.quantity import ALL, Ask, Said, to_add, to_remove, to_set, unit_of
from skill.errors import InvalidQuantity, LineLimitExceeded
from skill.speech import messages_for

EACH, DOZEN = q.EACH, q.BY_THE_DOZEN


@pytest.mark.parametrize(
    ("said", "sold", "expected"),
    [
        (Said(), EACH, 1),  # nothing said: one
        (Said(amount="ONE"), EACH, 1),
        (Said(amount="SOME"), "GALLON", 1),  # a default the reply states
        (Said(amount="ANOTHER"), EACH, 1),
        (Said(amount="COUPLE"), EACH, 2),
        (Said(amount="DOZEN"), EACH, 12),  # "a dozen apples"
        (Said(number="2", amount="DOZEN"), EACH, 24),  # "two dozen apples"
        (Said(amount="HALF_DOZEN"), EACH, 6),  # "half a dozen lemons"
        (Said(amount="DOZEN"), DOZEN, 1),  # eggs are sold by the dozen
        (Said(number="2", amount="DOZEN"), DOZEN, 2),  # "two dozen eggs" stays 2
        (Said(number="3"), DOZEN, 3),
        (Said(number="12"), DOZEN, Ask.SOLD_BY),  # "twelve eggs": eggs, or dozens? ask
        (Said(number="11"), DOZEN, 11),
        (Said(amount="HALF_DOZEN"), DOZEN, Ask.WHOLE),  # half a unit
        (Said(amount="DOZEN"), "BAG", Ask.SOLD_BY),  # "a dozen carrots" sold by the bag
        (Said(amount="FEW"), EACH, Ask.HOW_MANY),  # never a silent guess
        (Said(amount="?"), EACH, Ask.HOW_MANY),  # a word no id matched
        (Said(amount="HALF"), EACH, Ask.WHOLE),  # "half a lemon"
        (Said(number="2.5"), EACH, Ask.WHOLE),  # never rounded into another number
        (Said(number="?"), EACH, Ask.WHOLE),  # Alexa could not read the number
        (Said(number="0"), EACH, Ask.BAD),
        (Said(number="-2"), EACH, Ask.BAD),
        (Said(number="1234567"), EACH, Ask.BAD),
        (Said(number="150"), EACH, 150),  # the cart says what the limit is
        (Said(amount="ONE", unit="PINT"), "GALLON", Ask.SOLD_BY),  # "a pint of milk"
        (Said(amount="ONE", unit="BAG"), "BAG", 1),  # "a bag of carrots"
        (Said(number="2", unit="PIECE"), EACH, 2),  # "zwei Stück Äpfel"
        (Said(unit="BAG"), "PACKET", 1),  # "a bag of crisps", sold by the packet
        (Said(unit="BOTTLE"), None, Ask.SOLD_BY),  # cheddar by the block: no ShopUnit
    ],
)
def test_what_an_add_means(said: Said, sold: str | None, expected: int | Ask) -> None:
    assert to_add(said, sold) == expected


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        (Said(), ALL),  # "remove the apples": all of them
        (Said(unit="BAG"), ALL),  # "take out the bag of carrots"
        (Said(amount="ONE"), 1),  # "remove an apple", "entferne einen Apfel"
        (Said(number="1"), 1),  # "take one apple out"
        (Said(amount="COUPLE"), 2),
        (Said(amount="DOZEN"), 12),
        (Said(amount="SOME"), Ask.HOW_MANY),  # "remove some apples": how many?
        (Said(amount="FEW"), Ask.HOW_MANY),
        (Said(amount="HALF"), Ask.WHOLE),
        (Said(number="1.5"), Ask.WHOLE),
        (Said(unit="GALLON"), Ask.SOLD_BY),
    ],
)
def test_what_a_removal_means(said: Said, expected: int | Ask | None) -> None:
    assert to_remove(said, EACH if said.unit != "BAG" else "BAG") == expected


@pytest.mark.parametrize(
    ("said", "named", "expected"),
    [
        (Said(number="5"), False, 5),  # "make that five"
        (Said(number="0"), False, 0),  # "make that zero": take it out
        (Said(), True, 1),  # "I only want a loaf", "ich will nur ein Brot"
        (Said(), False, Ask.HOW_MANY),  # "change that"
        (Said(amount="FEW"), True, Ask.HOW_MANY),
        (Said(number="2.5"), True, Ask.WHOLE),
    ],
)
def test_what_a_correction_means(said: Said, named: bool, expected: int | Ask) -> None:
    assert to_set(said, EACH, item_named=named) == expected


@pytest.mark.parametrize(
    ("locale", "unit", "expected"),
    [
        ("en-US", "each", EACH),
        ("en-US", "dozen", DOZEN),
        ("en-US", "gallon", "GALLON"),
        ("en-US", "5 lb bag", "BAG"),  # the head word, not "lb"
        ("en-IN", "2 litre bottle", "BOTTLE"),
        ("en-US", "pack of six", "PACK"),
        ("en-US", "block", None),
        ("de-DE", "Stück", EACH),
        ("de-DE", "2,5-kg-Beutel", "BAG"),
        ("de-DE", "500-g-Packung", "PACK"),
        ("de-DE", "Zehnerpackung", "PACK"),
        ("de-DE", "Liter", "LITRE"),
    ],
)
def test_the_unit_an_item_is_sold_in_is_read_from_locale_data(
    locale: str, unit: str, expected: str | None
) -> None:
    assert unit_of(unit, messages_for(locale).word_ids("unit_words")) == expected


def test_every_locale_names_the_same_quantity_and_unit_ids() -> None:
    for locale in ("en-US", "en-GB", "en-CA", "en-AU", "en-IN", "de-DE"):
        msg = messages_for(locale)
        assert set(msg.raw("quantity_words")) == q.AMOUNTS, locale
        assert set(msg.raw("unit_words")) == q.UNITS | {EACH, DOZEN}, locale
    german = messages_for("de-DE").word_ids("quantity_words")
    assert german["einen"] == german["eine"] == german["ein"] == "ONE"


# -- Cart.set ------------------------------------------------------------------------------
def test_set_changes_a_line_in_place_and_remembers_the_price() -> None:
    cart = Cart().add("APPLE", 2, price=Money(75, "USD"), name="apples").add("BREAD", 1)
    changed = cart.set("APPLE", 5, price=Money(80, "USD"), name="apples")
    assert [(line.item_id, line.quantity) for line in changed.lines] == [
        ("APPLE", 5),
        ("BREAD", 1),
    ]
    assert changed.lines[0].unit_price == 80
    assert changed.set("APPLE", 1).quantity_of("APPLE") == 1  # down as well as up


def test_set_adds_a_line_the_cart_does_not_hold() -> None:
    assert Cart().set("LEMON", 4).quantity_of("LEMON") == 4


def test_set_refuses_more_than_a_line_holds_and_nothing_below_one() -> None:
    with pytest.raises(LineLimitExceeded) as refused:
        Cart().add("APPLE", 3).set("APPLE", MAX_PER_LINE + 1)
    assert refused.value.current == 0
    with pytest.raises(InvalidQuantity, match="at least 1"):
        Cart().set("APPLE", 0)


def test_a_count_that_answers_our_own_question_counts_dozens() -> None:
    # "How many dozen eggs would you like?" "Twelve." (dialogState IN_PROGRESS)
    assert to_add(Said(number="12"), DOZEN, answering=True) == 12
    assert to_set(Said(number="24"), DOZEN, item_named=True) is Ask.SOLD_BY
    assert to_set(Said(number="24"), DOZEN, item_named=True, answering=True) == 24
