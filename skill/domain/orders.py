"""Orders: what a checkout turns a cart into, and how an order moves along.

:func:`check_status_change` is the one rule for moving an order along; every store
applies it through :meth:`Order.with_status`. A customer's own cancel is narrower
(:meth:`Order.cancelled_by_customer`: only while the order is still placed).
:meth:`Order.from_data` checks a stored order as strictly as
:meth:`Cart.from_data <skill.domain.cart.Cart.from_data>` checks a cart, and raises
:class:`~skill.errors.CorruptRecord` for anything an order made by
:func:`order_from_cart` could not hold (a negative price, an unknown status, a total
that does not add up), so a damaged order is never spoken, listed or moved along.

Checking out is two steps, and the catalog may change between them (the shop marks
an item out of stock, changes a price). :func:`review_cart` says what the cart would
become at the question "Shall I place your order?": what can be ordered at today's
prices, what is out of stock, what the shop no longer sells, whose price changed
since it was added, and a :attr:`~CheckoutReview.quote` fingerprint of the answer.
At "yes", the store hands the catalog it read in the checkout transaction to the
order factory, which reviews the cart again: if it no longer agrees with the quote
the customer said yes to, :class:`OrderChanged` aborts the checkout (nothing is
written) so the skill can ask again, never placing an order from a stale catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, cast

from skill.domain.cart import Cart, CartLine, quantity_problem, shown
from skill.domain.catalog import Catalog, Item
from skill.domain.money import Money
from skill.errors import (
    ConfigError,
    CorruptRecord,
    DomainError,
    EmptyCart,
    InvalidQuantity,
    InvalidStatusChange,
    OrderNotCancellable,
)

if TYPE_CHECKING:
    from skill.domain.hours import OpeningHours

FIRST_ORDER_NUMBER = 1001
#: Where the customer's Alexa requests came from (North America, Europe, Far East), so a
#: notification about the order goes to their region's Alexa API; "" when unknown.
API_REGIONS = frozenset({"NA", "EU", "FE"})


#: What became of an order's "ready" notification to its customer's Echo.
NotificationStatus = Literal["pending", "sent", "failed"]
NOTIFICATION_STATUSES: frozenset[str] = frozenset({"pending", "sent", "failed"})
#: The longest reason a stored notification state may give (a few words for staff).
MAX_NOTIFICATION_DETAIL = 200


class OrderStatus(StrEnum):
    PLACED = "placed"
    READY = "ready"
    COLLECTED = "collected"
    CANCELLED = "cancelled"


# Which status may follow which: the shop can't un-collect an order. A status
# never follows itself: "cancel" on a cancelled order is a mistake worth saying.
_NEXT: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PLACED: frozenset({OrderStatus.READY, OrderStatus.CANCELLED}),
    OrderStatus.READY: frozenset({OrderStatus.COLLECTED, OrderStatus.CANCELLED}),
    OrderStatus.COLLECTED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
_ALREADY = {
    OrderStatus.PLACED: "is already placed",
    OrderStatus.READY: "is already ready",
    OrderStatus.COLLECTED: "has already been collected",
    OrderStatus.CANCELLED: "is already cancelled",
}
#: The statuses from which a customer may cancel their own order ("cancel my order").
CUSTOMER_CANCELLABLE = frozenset({OrderStatus.PLACED})
_STATUSES = {status.value: status for status in OrderStatus}
_SEE_ORDERS = "Run `cornershop orders` to see each order's status."


def check_status_change(number: int, current: OrderStatus, new: OrderStatus) -> None:
    """Raise :class:`InvalidStatusChange` unless order ``number`` may go ``current`` -> ``new``.

    An order moves placed -> ready -> collected, and may be cancelled until it is
    collected. Asking for the status it already has is refused too, with a message
    that says so ("Order 1001 is already cancelled."), so a mistyped number shows.
    """
    if new in _NEXT[current]:
        return
    if new == current:
        raise InvalidStatusChange(
            f"Order {number} {_ALREADY[current]}, so there is nothing to change. {_SEE_ORDERS}"
        )
    wanted = "be cancelled" if new == OrderStatus.CANCELLED else f"become {new.value}"
    if current in (OrderStatus.COLLECTED, OrderStatus.CANCELLED):
        reason = f"Order {number} {_ALREADY[current].replace('is already', 'was')}"
        raise InvalidStatusChange(f"{reason}, so it cannot {wanted}. {_SEE_ORDERS}")
    raise InvalidStatusChange(
        f"Order {number} is {current.value} and cannot {wanted}: an order only moves "
        f"forward, from placed to ready to collected. {_SEE_ORDERS}"
    )


@dataclass(frozen=True, slots=True)
class OrderLine:
    item_id: str
    name: str
    quantity: int
    unit_price: int  # minor units, at the time of the order

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class OrderNotification:
    """What became of an order's "ready" notification to its customer's Echo.

    Kept on the order in the store (:meth:`Store.set_order_notification
    <skill.store.base.Store.set_order_notification>`), so every dashboard, in any
    process, shows it. ``detail`` is a few words for staff ("HTTP 503 from the Proactive
    Events API after 4 attempts"), never personal data; ``at`` is when it was recorded.
    """

    status: NotificationStatus
    detail: str
    at: datetime

    @classmethod
    def of(cls, status: NotificationStatus, detail: str, at: datetime) -> OrderNotification:
        """A state to store: ``detail`` cut to :data:`MAX_NOTIFICATION_DETAIL` characters."""
        if len(detail) > MAX_NOTIFICATION_DETAIL:
            detail = detail[: MAX_NOTIFICATION_DETAIL - 1] + "…"
        return cls(status, detail, at)

    def to_data(self) -> dict[str, str]:
        return {"status": self.status, "detail": self.detail, "at": self.at.isoformat()}

    @classmethod
    def from_data(cls, data: Any) -> OrderNotification:
        """The state :meth:`to_data` wrote; ValueError saying what is wrong otherwise."""
        if not isinstance(data, Mapping):
            raise ValueError(f"{shown(data)} is not a mapping")
        status, detail, at = data.get("status"), data.get("detail"), data.get("at")
        if not isinstance(status, str) or status not in NOTIFICATION_STATUSES:
            raise ValueError(f"its status {shown(status)} is not pending, sent or failed")
        if not isinstance(detail, str) or len(detail) > MAX_NOTIFICATION_DETAIL:
            raise ValueError(
                f"its detail is not a string of at most {MAX_NOTIFICATION_DETAIL} characters"
            )
        try:
            when = datetime.fromisoformat(at) if isinstance(at, str) else None
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise ValueError(f"its time {shown(at)} is not an ISO 8601 time with a zone")
        return cls(cast("NotificationStatus", status), detail, when)


@dataclass(frozen=True, slots=True)
class Order:
    number: int
    user_id: str
    lines: tuple[OrderLine, ...]
    currency: str
    created_at: datetime
    locale: str
    status: OrderStatus = OrderStatus.PLACED
    request_id: str = ""
    pickup_at: datetime | None = None
    api_region: str = ""
    #: What became of the "ready" notification to the customer's Echo; None until one
    #: was tried (never, for orders in other locales or shops without notifications).
    notification: OrderNotification | None = None

    @property
    def total(self) -> Money:
        return Money(sum(line.line_total for line in self.lines), self.currency)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    def as_cart(self) -> Cart:
        return Cart(tuple(CartLine(line.item_id, line.quantity) for line in self.lines))

    def with_status(self, status: OrderStatus) -> Order:
        """This order with ``status``; :func:`check_status_change` decides if it may."""
        check_status_change(self.number, self.status, status)
        return replace(self, status=status)

    def with_notification(self, notification: OrderNotification) -> Order:
        """This order with the state of its "ready" notification (any status may carry one:
        the notifier records the outcome after its retries, when staff may have moved on)."""
        return replace(self, notification=notification)

    def cancelled_by_customer(self) -> Order:
        """This order cancelled by its customer: only while it is still ``placed``.

        The shop may cancel a ready order too (:meth:`with_status`), but a customer
        may not: once the shop has prepared it, they must call the shop. Raises
        :class:`OrderNotCancellable`, with the status, otherwise. Every store checks
        this inside the same atomic write as the change (see
        :meth:`Store.cancel_order <skill.store.base.Store.cancel_order>`).
        """
        if self.status not in CUSTOMER_CANCELLABLE:
            raise OrderNotCancellable(self.number, self.status)
        return self.with_status(OrderStatus.CANCELLED)

    def to_data(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "user_id": self.user_id,
            "lines": [[ln.item_id, ln.name, ln.quantity, ln.unit_price] for ln in self.lines],
            "currency": self.currency,
            "created_at": self.created_at.isoformat(),
            "locale": self.locale,
            "status": self.status.value,
            "request_id": self.request_id,
            "pickup_at": self.pickup_at.isoformat() if self.pickup_at else None,
            # Redundant on purpose: reading it back checks that the lines add up.
            "total": self.total.cents,
            # Only when known, so orders placed without it are stored as before.
            **({"api_region": self.api_region} if self.api_region else {}),
            **({"notification": self.notification.to_data()} if self.notification else {}),
        }

    @classmethod
    def from_data(cls, data: Any) -> Order:
        """The order :meth:`to_data` wrote; :class:`CorruptRecord` if it breaks an order rule.

        Nothing is coerced: stored data is untrusted. Records written before the
        ``total`` field existed are read without that check.
        """
        if not isinstance(data, Mapping):
            raise CorruptRecord(
                f"A stored order is damaged: it is a {type(data).__name__}, not a mapping."
            )
        number = data.get("number")
        if type(number) is not int or number < 1:
            raise CorruptRecord(
                f"A stored order is damaged: its number {shown(number)} is not a whole "
                "number of at least 1."
            )

        def damaged(problem: str) -> CorruptRecord:
            return CorruptRecord(f"Stored order {number} is damaged: {problem}.")

        raw_lines = data.get("lines")
        if not isinstance(raw_lines, list | tuple) or not raw_lines:
            raise damaged(f"its lines {shown(raw_lines)} are not a non-empty list")
        lines = []
        for index, raw in enumerate(raw_lines, start=1):
            problem = _order_line_problem(raw)
            if problem is not None:
                raise damaged(f"line {index}: {problem}")
            lines.append(OrderLine(*raw))
        raw_status = data.get("status")
        status = _STATUSES.get(raw_status) if isinstance(raw_status, str) else None
        if status is None:
            raise damaged(f"its status {shown(raw_status)} is not one we know")
        api_region = data.get("api_region", "")
        if not isinstance(api_region, str) or (api_region and api_region not in API_REGIONS):
            raise damaged(f"its api_region {shown(api_region)} is not NA, EU or FE")
        notification = None
        if data.get("notification") is not None:
            try:
                notification = OrderNotification.from_data(data["notification"])
            except ValueError as exc:
                raise damaged(f"its notification state: {exc}") from exc
        order = cls(
            number=number,
            user_id=_text(data, "user_id", damaged),
            lines=tuple(lines),
            currency=_text(data, "currency", damaged),
            created_at=_timestamp(data.get("created_at"), "created_at", damaged),
            locale=_text(data, "locale", damaged, default="en-US"),
            status=status,
            request_id=_text(data, "request_id", damaged, default="", empty_ok=True),
            pickup_at=(
                None
                if data.get("pickup_at") is None
                else _timestamp(data["pickup_at"], "pickup_at", damaged)
            ),
            api_region=api_region,
            notification=notification,
        )
        total = data.get("total")
        if total is not None and (type(total) is not int or total != order.total.cents):
            raise damaged(
                f"its total {shown(total)} is not the sum of its lines ({order.total.cents})"
            )
        return order


def _order_line_problem(raw: Any) -> str | None:
    if not isinstance(raw, list | tuple) or len(raw) != 4:
        return f"{shown(raw)} is not an [item id, name, quantity, unit price] line"
    item_id, name, quantity, unit_price = raw
    if not isinstance(item_id, str) or not item_id:
        return f"the item id {shown(item_id)} is not a non-empty string"
    if not isinstance(name, str):
        return f"the item name {shown(name)} is not a string"
    problem = quantity_problem(quantity)
    if problem is not None:
        return problem
    if type(unit_price) is not int or unit_price < 0:
        return f"the unit price {shown(unit_price)} is not a whole number of minor units >= 0"
    return None


def _text(
    data: Mapping[str, Any],
    key: str,
    damaged: Callable[[str], CorruptRecord],
    *,
    default: str | None = None,
    empty_ok: bool = False,
) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not (value or empty_ok):
        raise damaged(f"its {key} {shown(value)} is not a non-empty string")
    return value


def _timestamp(value: Any, key: str, damaged: Callable[[str], CorruptRecord]) -> datetime:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError as exc:
            raise damaged(f"its {key} {shown(value)} is not an ISO 8601 timestamp") from exc
    raise damaged(f"its {key} {shown(value)} is not an ISO 8601 timestamp")


# -- checking out -----------------------------------------------------------------
class OrderChanged(DomainError):
    """At "yes", the order is no longer the one the customer agreed to: an item went out
    of stock, a price changed, or the cart changed since the question. Nothing was placed;
    :attr:`catalog` (and :attr:`hours`) are what the checkout transaction read, so the
    question can be asked again from them rather than from a cached copy."""

    def __init__(self, catalog: Catalog, hours: OpeningHours | None = None) -> None:
        super().__init__(
            "The order changed since the customer agreed to it; ask them to confirm again."
        )
        self.catalog = catalog
        self.hours = hours


@dataclass(frozen=True, slots=True)
class PriceChange:
    """An item whose price today differs from the price its cart line remembers."""

    item: Item
    was: Money

    @property
    def now(self) -> Money:
        return self.item.price


@dataclass(frozen=True, slots=True)
class CheckoutReview:
    """What a cart would become if it were ordered from ``catalog`` now."""

    #: What can be ordered, at today's prices, in cart order.
    lines: tuple[OrderLine, ...]
    currency: str
    #: Items of the cart the shop sells but has none of today.
    out_of_stock: tuple[Item, ...]
    #: Cart lines whose item the catalog no longer has (``line.name`` is what it was called).
    discontinued: tuple[CartLine, ...]
    #: Lines whose price changed since they were added (same currency only).
    price_changes: tuple[PriceChange, ...]

    @property
    def unavailable_ids(self) -> tuple[str, ...]:
        return (
            *(item.id for item in self.out_of_stock),
            *(line.item_id for line in self.discontinued),
        )

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def total(self) -> Money:
        return Money(sum(line.line_total for line in self.lines), self.currency)

    @property
    def quote(self) -> str:
        """A short fingerprint of exactly what would be ordered, at which prices."""
        return quote_of(self.lines, self.currency)

    def agrees_with(self, quote: str | None) -> bool:
        """Whether ordering now gives what the customer said yes to.

        Never while the cart holds something that can't be ordered (it must be taken
        out and named first). ``quote`` None (a question asked before quotes existed):
        agreed unless a price changed since the items were added.
        """
        if self.out_of_stock or self.discontinued:
            return False
        if quote is None:
            return not self.price_changes
        return self.quote == quote


def quote_of(lines: tuple[OrderLine, ...], currency: str) -> str:
    text = repr((currency, [(ln.item_id, ln.quantity, ln.unit_price) for ln in lines]))
    import hashlib  # only at checkout: its import costs ~5 ms of every cold start

    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def review_cart(cart: Cart, catalog: Catalog) -> CheckoutReview:
    """Check every cart line against ``catalog`` (see :class:`CheckoutReview`)."""
    lines: list[OrderLine] = []
    out_of_stock: list[Item] = []
    discontinued: list[CartLine] = []
    changes: list[PriceChange] = []
    for line in cart.lines:
        item = catalog.get(line.item_id)
        if item is None:
            discontinued.append(line)
            continue
        if not item.in_stock:
            out_of_stock.append(item)
            continue
        lines.append(_order_line(line, item))
        seen = line.price_seen
        if seen is not None and seen.currency == item.price.currency and seen != item.price:
            changes.append(PriceChange(item, seen))
    return CheckoutReview(
        lines=tuple(lines),
        currency=catalog.currency,
        out_of_stock=tuple(out_of_stock),
        discontinued=tuple(discontinued),
        price_changes=tuple(changes),
    )


def _order_line(line: CartLine, item: Item) -> OrderLine:
    # Carts are checked when read back; this keeps a cart built in code honest too,
    # so nothing negative ever gets into an order.
    problem = quantity_problem(line.quantity)
    if problem is not None:
        raise InvalidQuantity(f"The cart line for {item.id} cannot be ordered: {problem}.")
    if item.price.cents < 0:
        raise ConfigError(
            f"The catalog gives {item.id} a negative price. Fix its price in the shop's catalog."
        )
    return OrderLine(item.id, item.name, line.quantity, item.price.cents)


def order_from_cart(
    cart: Cart,
    *,
    number: int,
    user_id: str,
    catalog: Catalog,
    now: datetime,
    request_id: str,
    pickup_minutes: int,
    hours: OpeningHours | None = None,
    zone: tzinfo | None = None,
    api_region: str = "",
) -> Order:
    """Price a cart at today's prices. Lines whose item left the catalog, or is out of
    stock today, are dropped (the skill names them before it asks to confirm).

    The pickup time is ``pickup_minutes`` from ``now`` or, with the shop's ``hours``
    (in time zone ``zone``), from the next time the shop is open long enough to
    prepare the order. It is stored in ``now``'s time zone (UTC); speech and receipts
    say it in the shop's.
    """
    lines = tuple(
        _order_line(line, item)
        for line in cart.lines
        if (item := catalog.get(line.item_id)) is not None and item.in_stock
    )
    if not lines:
        raise EmptyCart("The cart is empty, so there is nothing to check out.")
    if hours is None or zone is None:
        pickup_at = now + timedelta(minutes=pickup_minutes)
    else:
        pickup_at = hours.next_pickup(now, pickup_minutes, zone).ready_at.astimezone(now.tzinfo)
    return Order(
        number=number,
        user_id=user_id,
        lines=lines,
        currency=catalog.currency,
        created_at=now,
        locale=catalog.locale,
        request_id=request_id,
        pickup_at=pickup_at,
        api_region=api_region if api_region in API_REGIONS else "",
    )
