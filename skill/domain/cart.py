"""The cart: ordered lines of (item id, quantity), immutable.

Every change returns a new cart, so a store can apply a change inside its own
transaction (or retry it after a conflicting write) without side effects.

A line also remembers what the customer saw when they added it: the unit price,
its currency and the item's name. The cart is still priced at today's prices
(:meth:`Cart.total`); what it remembers lets checkout say what changed since ("oat
milk is now $4.49, not $4.29") and name an item the shop no longer sells. Lines
stored before lines remembered anything are ``[item id, quantity]`` and remember
nothing; lines written now are ``[item id, quantity, unit price, currency, name]``.

A cart read back from storage goes through :meth:`Cart.from_data`, which checks
every rule a cart built by :meth:`Cart.add` keeps (well-formed lines, item ids that
are non-empty strings, each item once, quantities whole numbers from 1 to
:data:`MAX_PER_LINE`, prices whole minor units >= 0, three-letter currency codes)
and raises :class:`~skill.errors.CorruptRecord` otherwise, so a damaged record is
never priced, ordered or written back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from skill.domain.catalog import Catalog
from skill.domain.money import Money
from skill.errors import (
    ConfigError,
    CorruptRecord,
    InvalidQuantity,
    ItemNotInCart,
    LineLimitExceeded,
)

MAX_PER_LINE = 99
#: The longest item name a stored line may remember (catalog names are far shorter).
MAX_NAME_CHARS = 200
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True, slots=True)
class CartLine:
    item_id: str
    quantity: int
    #: What one unit cost when it was last added (minor units of ``currency``); None
    #: for lines stored before lines remembered prices.
    unit_price: int | None = None
    currency: str = ""
    #: The item's name as the customer heard it then ("" if not remembered).
    name: str = ""

    @property
    def price_seen(self) -> Money | None:
        if self.unit_price is None or not self.currency:
            return None
        return Money(self.unit_price, self.currency)

    def to_data(self) -> list[Any]:
        if self.unit_price is None:
            return [self.item_id, self.quantity]
        return [self.item_id, self.quantity, self.unit_price, self.currency, self.name]


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

    def line_for(self, item_id: str) -> CartLine | None:
        for line in self.lines:
            if line.item_id == item_id:
                return line
        return None

    def add(
        self, item_id: str, quantity: int, *, price: Money | None = None, name: str = ""
    ) -> Cart:
        """Add ``quantity`` of an item, remembering the ``price`` and ``name`` seen now.

        Adding to a line already in the cart remembers the newer price: each add is
        the customer choosing the item at today's price.
        """
        _check_quantity(quantity)
        seen = _seen(item_id, price, name)
        current = self.quantity_of(item_id)
        if current + quantity > MAX_PER_LINE:
            raise LineLimitExceeded(item_id, MAX_PER_LINE, current)
        if current:
            return Cart(
                tuple(
                    replace(line, quantity=line.quantity + quantity, **seen)
                    if line.item_id == item_id
                    else line
                    for line in self.lines
                )
            )
        return Cart((*self.lines, CartLine(item_id, quantity, **seen)))

    def set(
        self, item_id: str, quantity: int, *, price: Money | None = None, name: str = ""
    ) -> Cart:
        """Make the line of an item hold exactly ``quantity`` ("make that five"), adding
        the line at the end if the cart has none; remembers ``price`` and ``name`` as
        :meth:`add` does. More than :data:`MAX_PER_LINE` raises LineLimitExceeded with
        ``current`` 0 (the limit is the problem, not what the cart held)."""
        _check_quantity(quantity)
        if quantity > MAX_PER_LINE:
            raise LineLimitExceeded(item_id, MAX_PER_LINE, 0)
        if not self.quantity_of(item_id):
            return self.add(item_id, quantity, price=price, name=name)
        seen = _seen(item_id, price, name)
        return Cart(
            tuple(
                replace(line, quantity=quantity, **seen) if line.item_id == item_id else line
                for line in self.lines
            )
        )

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
                lines.append(replace(line, quantity=line.quantity - quantity))
        return Cart(tuple(lines))

    def without(self, item_ids: Iterable[str]) -> Cart:
        """This cart minus the lines of ``item_ids`` (ids it doesn't hold are ignored)."""
        gone = set(item_ids)
        return Cart(tuple(line for line in self.lines if line.item_id not in gone))

    def total(self, catalog: Catalog) -> Money:
        """Today's price of what can be bought today: lines whose item is out of stock or
        no longer sold are left out (checkout takes them out and says so)."""
        total = Money(0, catalog.currency)
        for line in self.lines:
            item = catalog.get(line.item_id)
            if item is not None and item.in_stock:
                total = total + item.price.times(line.quantity)
        return total

    def to_data(self) -> list[list[Any]]:
        return [line.to_data() for line in self.lines]

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
            size = len(raw) if type(raw) in (list, tuple) else 0
            if size in (2, 5):
                item_id, quantity = raw[0], raw[1]
                if (
                    type(item_id) is str
                    and item_id
                    and type(quantity) is int  # bool is an int subclass; True is no quantity
                    and 1 <= quantity <= MAX_PER_LINE
                    and item_id not in seen
                ):
                    if size == 2:
                        seen.add(item_id)
                        lines.append(CartLine(item_id, quantity))
                        continue
                    unit_price, currency, name = raw[2], raw[3], raw[4]
                    if _remembered_problem(unit_price, currency, name) is None:
                        seen.add(item_id)
                        lines.append(CartLine(item_id, quantity, unit_price, currency, name))
                        continue
            raise CorruptRecord(
                f"A stored cart is damaged: line {len(lines) + 1}: {_line_problem(raw, seen)}."
            )
        return cls(tuple(lines))

    @classmethod
    def from_lines(cls, lines: Mapping[str, int]) -> Cart:
        return cls(tuple(CartLine(k, v) for k, v in lines.items()))


def _line_problem(raw: Any, seen: set[str]) -> str:
    """What is wrong with one stored cart line (known to be wrong)."""
    if not isinstance(raw, list | tuple) or len(raw) not in (2, 5):
        return (
            f"{shown(raw)} is not an [item id, quantity] pair or an "
            "[item id, quantity, unit price, currency, name] line"
        )
    item_id, quantity = raw[0], raw[1]
    if not isinstance(item_id, str) or not item_id:
        return f"the item id {shown(item_id)} is not a non-empty string"
    if item_id in seen:
        return f"the item {shown(item_id)} is on more than one line"
    problem = quantity_problem(quantity)
    if problem is None and len(raw) == 5:
        problem = _remembered_problem(raw[2], raw[3], raw[4])
    return problem or f"the line {shown(raw)} is not valid"


def _remembered_problem(unit_price: Any, currency: Any, name: Any) -> str | None:
    """Why a line's remembered price, currency and name cannot be, or None if they can."""
    if type(unit_price) is not int or unit_price < 0:
        return f"the unit price {shown(unit_price)} is not a whole number of minor units >= 0"
    if type(currency) is not str or not _CURRENCY.fullmatch(currency):
        return f"the currency {shown(currency)} is not a three-letter code such as USD"
    if type(name) is not str or len(name) > MAX_NAME_CHARS:
        return f"the item name {shown(name)} is not a string of at most {MAX_NAME_CHARS} characters"
    return None


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


def _seen(item_id: str, price: Money | None, name: str) -> dict[str, Any]:
    """The fields a line remembers of what the customer saw when choosing it."""
    if price is None:
        return {}
    if price.cents < 0:
        # A stored cart refuses a negative price on reading; refuse it on writing too.
        raise ConfigError(
            f"The catalog gives {item_id} a negative price. Fix its price in the shop's catalog."
        )
    return {"unit_price": price.cents, "currency": price.currency, "name": name}


def _check_quantity(quantity: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise InvalidQuantity(f"A quantity must be a whole number of at least 1, not {quantity!r}.")
