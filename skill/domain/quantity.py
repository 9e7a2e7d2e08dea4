"""What a customer's quantity words mean for one item: rules only, no I/O.

Customers rarely say "add 12 apples". They say "a dozen apples", "a couple of
bananas", "a few lemons", "half a lemon", "a pint of milk" or "another apple". The
interaction model turns those words into ids (the ``QuantityWord`` slot type: ONE,
COUPLE, DOZEN, HALF_DOZEN, FEW, SOME, ANOTHER, HALF; the ``ShopUnit`` slot type: GALLON,
BAG, ...). This module says what a number, a quantity word and a unit, said together
about one item, mean for that item: a count, or the question to ask instead. It
never guesses silently: a vague amount either gets a default that the reply states
(SOME is 1, and every reply says the quantity) or a question, and a fraction or a
decimal is never rounded into another number.

Which unit an item is sold in comes from the catalog's ``unit`` words ("gallon",
"5 lb bag", "2,5-kg-Beutel"); :func:`unit_of` reads its head word with a per-locale
word table that is data (the speech catalogs' ``unit_words``), so no English or
German is written here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum

# -- the ids the interaction model's slot types use ---------------------------------------
ONE, COUPLE, DOZEN, HALF_DOZEN = "ONE", "COUPLE", "DOZEN", "HALF_DOZEN"
FEW, SOME, ANOTHER, HALF = "FEW", "SOME", "ANOTHER", "HALF"
AMOUNTS = frozenset({ONE, COUPLE, DOZEN, HALF_DOZEN, FEW, SOME, ANOTHER, HALF})
UNITS = frozenset(
    {
        "GALLON",
        "PINT",
        "LITRE",
        "BOTTLE",
        "CARTON",
        "BAG",
        "PACKET",
        "LOAF",
        "KILO",
        "POUND",
        "PACK",
        "BOX",
        "HEAD",
        "JAR",
        "CAN",
        "BUNCH",
        "PIECE",
    }
)
#: Not ShopUnit ids: what an item's own unit can be besides one of those.
EACH = "EACH"  # sold one by one ("each", "Stück")
BY_THE_DOZEN = "DOZEN"  # sold by the dozen (eggs in the US)

#: Units that name the same thing to a customer: "a piece of fruit" is one of them, and
#: a bag, a packet and a pack of crisps (or pasta, or coffee) are the same purchase.
_SAME_UNIT = (frozenset({EACH, "PIECE"}), frozenset({"PACK", "PACKET", "BAG"}))

_MULTIPLIERS = {COUPLE: 2, DOZEN: 12, HALF_DOZEN: 6}
_WORD_SPLIT = re.compile(r"[\s\-]+")
#: Longer digit strings are no quantity anyone means (and int() of them is wasted work).
_MAX_DIGITS = 6


# -- what the customer said, and what it comes to -----------------------------------------
class Said:
    """The quantity part of one item as heard: the Quantity slot's text (None: not
    said), the QuantityWord id and the ShopUnit id (None: not said). An amount or unit
    that was said but matched no id is ``"?"``.

    A plain class, not a dataclass: it is built at every cold start's import, and a
    dataclass costs about a millisecond to create there."""

    __slots__ = ("amount", "number", "unit")

    def __init__(
        self, number: str | None = None, amount: str | None = None, unit: str | None = None
    ) -> None:
        self.number, self.amount, self.unit = number, amount, unit

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Said):
            return NotImplemented
        return (self.number, self.amount, self.unit) == (other.number, other.amount, other.unit)

    def __hash__(self) -> int:
        return hash((self.number, self.amount, self.unit))

    def __repr__(self) -> str:
        return f"Said(number={self.number!r}, amount={self.amount!r}, unit={self.unit!r})"


class Ask(Enum):
    """A question to ask instead of changing the cart."""

    HOW_MANY = "how_many"  # a vague amount ("a few"): ask for the number
    WHOLE = "whole"  # a fraction or a decimal: ask for a whole number
    SOLD_BY = "sold_by"  # a unit the shop doesn't sell this in: say its unit, then ask
    BAD = "bad"  # zero or below: ask again for a number of at least one


#: What :func:`to_remove` returns for "all of that line" ("remove the apples").
ALL = None


def unit_of(unit_text: str, words: Mapping[str, str]) -> str | None:
    """The unit id an item is sold in, from the catalog's unit words and the locale's
    word table (word -> id, lowercase): "5 lb bag" -> BAG, "2 litre bottle" -> BOTTLE,
    "each" -> EACH, "dozen" -> DOZEN, "500-g-Packung" -> PACK. The head word of a unit
    phrase is its last known word in both English and German; None when no word is
    known ("block", "cup": units the ShopUnit type doesn't name)."""
    found: str | None = None
    for word in _WORD_SPLIT.split(unit_text.lower()):
        found = words.get(word, found)
    return found


def same_unit(said: str, sold: str | None) -> bool:
    """Whether a unit said names the unit an item is sold in."""
    if sold is None:
        return False
    return said == sold or any(said in group and sold in group for group in _SAME_UNIT)


def parse_number(text: str) -> int | Ask:
    """The Quantity slot's text as a whole number, or the question to ask: WHOLE for a
    fraction, a decimal or Alexa's "?" (a number it couldn't read), BAD for zero or
    below. Numbers above the cart's limit are returned: the cart refuses them, and
    the reply says what the limit is."""
    text = text.strip()
    digits = text.lstrip("-")
    if not digits.isdigit() or not digits.isascii():
        return Ask.WHOLE
    if len(digits) > _MAX_DIGITS:
        return Ask.BAD
    value = int(text)
    return value if value >= 1 else Ask.BAD


#: A bare count at least this big, of an item sold by the dozen ("add twelve eggs"), more
#: likely counts eggs than dozens: asked about, never taken as 12 dozen.
COUNTED_NOT_DOZENS = 12


def to_add(said: Said, sold: str | None, *, answering: bool = False) -> int | Ask:
    """How many units of an item sold in ``sold`` (:func:`unit_of`) to add, or the
    question to ask. Nothing said means one. ``answering``: the number answers our own
    "How many dozen eggs?" (Alexa's dialogState IN_PROGRESS), so it counts dozens."""
    if said.unit is not None and not same_unit(said.unit, sold):
        return Ask.SOLD_BY
    number = _number_said(said)
    if isinstance(number, Ask):
        return number
    amount = said.amount
    if (
        sold == BY_THE_DOZEN
        and amount is None
        and number is not None
        and number >= COUNTED_NOT_DOZENS
        and not answering
    ):
        return Ask.SOLD_BY  # "We sell eggs by the dozen. How many dozen eggs would you like?"
    if amount is None or amount in (ONE, SOME, ANOTHER):
        # "some apples" is one, and the reply says "Added 1 apple": never a silent guess.
        return 1 if number is None else number
    if amount == HALF:
        return Ask.WHOLE
    if amount == FEW or amount not in AMOUNTS:
        return number if number is not None else Ask.HOW_MANY
    return _dozens(amount, number, sold)


def to_remove(said: Said, sold: str | None) -> int | Ask | None:
    """How many units to take out (:data:`ALL`, None: the whole line), or the question
    to ask. Nothing said means all of it; "some" or "a few" asks how many."""
    if said.unit is not None and not same_unit(said.unit, sold):
        return Ask.SOLD_BY
    if said.number is None and said.amount is None:
        return ALL  # "remove the apples", "take out the bag of carrots"
    number = _number_said(said)
    if isinstance(number, Ask):
        return number
    amount = said.amount
    if amount is None or amount in (ONE, ANOTHER):
        return 1 if number is None else number
    if amount == HALF:
        return Ask.WHOLE
    if amount in (FEW, SOME) or amount not in AMOUNTS:
        return number if number is not None else Ask.HOW_MANY
    return _dozens(amount, number, sold)


def _number_said(said: Said) -> int | Ask | None:
    """The whole number said (None: none was said), or the question a bad one needs."""
    return None if said.number is None else parse_number(said.number)


def to_set(said: Said, sold: str | None, *, item_named: bool, answering: bool = False) -> int | Ask:
    """The new quantity of a line ("make that five"), 0 to take it out ("make that
    zero"). An item named with no number is one: "I only want a loaf", "ich will nur
    ein Brot" (the article is the number, and Alexa's NUMBER leaves it out). Without
    an item ("make it", "make it a few") a vague or missing number asks."""
    if said.number is not None and said.number.strip() == "0":
        return 0
    if said.number is None and said.amount is None and said.unit is None:
        return 1 if item_named else Ask.HOW_MANY
    if said.number is None and said.amount in (FEW, SOME):
        return Ask.HOW_MANY
    return to_add(said, sold, answering=answering)


def _dozens(amount: str, number: int | None, sold: str | None) -> int | Ask:
    """COUPLE, DOZEN and HALF_DOZEN: multiples of what is sold one by one; for an item
    sold by the dozen, a dozen is one unit (and half a dozen is half of one); for an
    item in bags or gallons, "a dozen" says nothing about how many bags."""
    times = number if number is not None else 1
    if amount == COUPLE:
        return 2 * times
    if sold == BY_THE_DOZEN:
        return times if amount == DOZEN else Ask.WHOLE
    if sold == EACH:
        return _MULTIPLIERS[amount] * times
    return Ask.SOLD_BY
