"""The cart: ordered lines of (item id, quantity), immutable.

Every change returns a new cart, so a store can apply a change inside its own
transaction (or retry it after a conflicting write) without side effects.

A cart read back from storage goes through :meth:`Cart.from_data`, which checks
every rule a cart built by :meth:`Cart.add` keeps (well-formed lines, item ids that
are non-empty strings, each item once, quantities whole numbers from 1 to
:data:`MAX_PER_LINE`) and raises :class:`~skill.errors.CorruptRecord` otherwise, so a
damaged record is never priced, ordered or written back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from skill.domain.catalog import Catalog
from skill.domain.money import Money
from skill.errors import CorruptRecord, InvalidQuantity, ItemNotInCart, LineLimitExceeded

MAX_PER_LINE = 99


@dataclass(frozen=True, slots=True)
class CartLine:
    item_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Cart:
    lines: tuple[CartLine, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def count(self) -> int:
        """How many things are in the cart (the sum of quantities)."""
        return sum(line.quantity for line in self.lines)

    def quantity_of(self, item_id: str) -> int:
        for line in self.lines:
            if line.item_id == item_id:
                return line.quantity
        return 0

    def add(self, item_id: str, quantity: int) -> Cart:
        _check_quantity(quantity)
        current = self.quantity_of(item_id)
        if current + quantity > MAX_PER_LINE:
            raise LineLimitExceeded(item_id, MAX_PER_LINE, current)
        if current:
            return Cart(
                tuple(
                    CartLine(line.item_id, line.quantity + quantity)
                    if line.item_id == item_id
                    else line
                    for line in self.lines
                )
            )
        return Cart((*self.lines, CartLine(item_id, quantity)))

    def remove(self, item_id: str, quantity: int | None = None) -> Cart:
        """Remove ``quantity`` of an item, or all of it when ``quantity`` is None.

        Removing more than the cart holds removes the whole line. Removing an
        item the cart doesn't hold raises :class:`ItemNotInCart`.
        """
        if not self.quantity_of(item_id):
            raise ItemNotInCart(item_id)
        if quantity is not None:
            _check_quantity(quantity)
        lines = []
        for line in self.lines:
            if line.item_id != item_id:
                lines.append(line)
            elif quantity is not None and quantity < line.quantity:
                lines.append(CartLine(item_id, line.quantity - quantity))
        return Cart(tuple(lines))

    def total(self, catalog: Catalog) -> Money:
        total = Money(0, catalog.currency)
        for line in self.lines:
            item = catalog.get(line.item_id)
            if item is not None:
                total = total + item.price.times(line.quantity)
        return total

    def to_data(self) -> list[list[Any]]:
        return [[line.item_id, line.quantity] for line in self.lines]

    @classmethod
    def from_data(cls, data: Any) -> Cart:
        """The cart :meth:`to_data` wrote (None: no cart yet).

        Raises :class:`CorruptRecord` if the data breaks a cart rule; stored data is
        untrusted, so nothing is coerced (``"2"`` or ``2.0`` is not a quantity).
        """
        if data is None:
            return cls()
        if not isinstance(data, list | tuple):
            raise CorruptRecord(
                f"A stored cart is damaged: its lines are a {type(data).__name__}, not a list."
            )
        lines = []
        seen: set[str] = set()
        for raw in data:
            # The common case in one test, inline: this runs for every line of every
            # cart read, so it costs about what the old str()/int() coercion did.
            if type(raw) in (list, tuple) and len(raw) == 2:
                item_id, quantity = raw
                if (
                    type(item_id) is str
                    and item_id
                    and type(quantity) is int  # bool is an int subclass; True is no quantity
                    and 1 <= quantity <= MAX_PER_LINE
                    and item_id not in seen
                ):
                    seen.add(item_id)
                    lines.append(CartLine(item_id, quantity))
                    continue
            raise CorruptRecord(
                f"A stored cart is damaged: line {len(lines) + 1}: {_line_problem(raw, seen)}."
            )
        return cls(tuple(lines))

    @classmethod
    def from_lines(cls, lines: Mapping[str, int]) -> Cart:
        return cls(tuple(CartLine(k, v) for k, v in lines.items()))


def _line_problem(raw: Any, seen: set[str]) -> str:
    """What is wrong with one stored ``[item_id, quantity]`` line (known to be wrong)."""
    if not isinstance(raw, list | tuple) or len(raw) != 2:
        return f"{shown(raw)} is not an [item id, quantity] pair"
    item_id, quantity = raw
    if not isinstance(item_id, str) or not item_id:
        return f"the item id {shown(item_id)} is not a non-empty string"
    if item_id in seen:
        return f"the item {shown(item_id)} is on more than one line"
    return quantity_problem(quantity) or f"the line {shown(raw)} is not valid"


def quantity_problem(quantity: Any) -> str | None:
    """Why ``quantity`` cannot be on a cart or order line, or None if it can."""
    # bool is an int subclass; True is not a quantity.
    if type(quantity) is not int or not 1 <= quantity <= MAX_PER_LINE:
        return f"the quantity {shown(quantity)} is not a whole number from 1 to {MAX_PER_LINE}"
    return None


def shown(value: Any, limit: int = 40) -> str:
    """A damaged value for an error message: its repr, cut short (records can be huge)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _check_quantity(quantity: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise InvalidQuantity(f"A quantity must be a whole number of at least 1, not {quantity!r}.")
