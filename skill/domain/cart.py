"""The cart: ordered lines of (item id, quantity), immutable.

Every change returns a new cart, so a store can apply a change inside its own
transaction (or retry it after a conflicting write) without side effects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from skill.domain.catalog import Catalog
from skill.domain.money import Money
from skill.errors import InvalidQuantity, ItemNotInCart, LineLimitExceeded

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
    def from_data(cls, data: Iterable[Sequence[Any]] | None) -> Cart:
        if not data:
            return cls()
        return cls(tuple(CartLine(str(item_id), int(qty)) for item_id, qty in data))

    @classmethod
    def from_lines(cls, lines: Mapping[str, int]) -> Cart:
        return cls(tuple(CartLine(k, v) for k, v in lines.items()))


def _check_quantity(quantity: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise InvalidQuantity(f"A quantity must be a whole number of at least 1, not {quantity!r}.")
