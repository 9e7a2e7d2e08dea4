"""The domain's rules checked on data read back from storage, and the order status rule.

Stored data is untrusted: ``Cart.from_data`` and ``Order.from_data`` accept exactly
what ``to_data`` writes and raise ``CorruptRecord`` (a StoreError, so the user hears
the storage apology) for anything else, coercing nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from skill.data import catalog_for
from skill.domain.cart import MAX_PER_LINE, Cart, CartLine
from skill.domain.orders import (
    Order,
    OrderLine,
    OrderStatus,
    check_status_change,
    order_from_cart,
)
from skill.errors import CorruptRecord, InvalidQuantity, InvalidStatusChange, StoreError

CATALOG = catalog_for("en-US")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def an_order(**changes: Any) -> Order:
    fields: dict[str, Any] = {
        "number": 1001,
        "user_id": "amzn1.ask.account.ADA",
        "lines": (OrderLine("APPLE", "apples", 2, 75), OrderLine("COFFEE", "coffee", 1, 1199)),
        "currency": "USD",
        "created_at": NOW,
        "locale": "en-US",
        "request_id": "req-1",
        "pickup_at": NOW,
    }
    fields.update(changes)
    return Order(**fields)


# -- carts -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [None, [], [["APPLE", 1]], [["APPLE", MAX_PER_LINE], ["BREAD", 3]], (("EGGS", 2),)],
)
def test_good_cart_data_reads_back(data: Any) -> None:
    cart = Cart.from_data(data)
    assert Cart.from_data(cart.to_data()) == cart
    assert all(isinstance(line, CartLine) for line in cart.lines)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ([["APPLE", -5]], "the quantity -5 is not a whole number from 1 to 99"),
        ([["APPLE", 0]], "quantity 0"),
        ([["APPLE", MAX_PER_LINE + 1]], "quantity 100"),
        ([["APPLE", True]], "quantity True"),
        ([["APPLE", 2.0]], "quantity 2.0"),
        ([["APPLE", "2"]], "quantity '2'"),
        ([["APPLE", None]], "quantity None"),
        ([["", 1]], "item id '' is not a non-empty string"),
        ([[None, 1]], "item id None"),
        ([[["APPLE"], 1]], "item id ['APPLE']"),
        ([["APPLE"]], "is not an [item id, quantity] pair"),
        ([["APPLE", 1, 1]], "is not an [item id, quantity] pair"),
        (["AP"], "is not an [item id, quantity] pair"),
        ([{"APPLE": 1}], "is not an [item id, quantity] pair"),
        ([["APPLE", 1], ["APPLE", 2]], "the item 'APPLE' is on more than one line"),
        ({"APPLE": 1}, "its lines are a dict, not a list"),
        ("APPLE", "its lines are a str, not a list"),
        (7, "its lines are a int"),
    ],
)
def test_damaged_cart_data_is_a_corrupt_record(data: Any, said: str) -> None:
    with pytest.raises(CorruptRecord) as raised:
        Cart.from_data(data)
    assert said in str(raised.value)
    assert str(raised.value).startswith("A stored cart is damaged")
    # A StoreError: every front door already answers it with the storage apology.
    assert isinstance(raised.value, StoreError)


def test_the_line_number_is_named_and_a_huge_value_is_cut_short() -> None:
    with pytest.raises(CorruptRecord) as raised:
        Cart.from_data([["APPLE", 1], ["x" * 10_000, -1]])
    message = str(raised.value)
    assert "line 2" in message and len(message) < 200


# -- orders ----------------------------------------------------------------------
def test_an_order_round_trips_with_a_total_that_matches() -> None:
    order = an_order()
    data = order.to_data()
    assert data["total"] == 2 * 75 + 1199
    assert Order.from_data(data) == order
    assert Order.from_data(an_order(pickup_at=None, request_id="").to_data()).pickup_at is None


def test_an_order_written_before_totals_were_stored_still_reads() -> None:
    data = an_order().to_data()
    del data["total"], data["locale"], data["request_id"]
    order = Order.from_data(data)
    assert order.locale == "en-US" and order.request_id == ""


def _line(index: int, value: Any) -> Callable[[dict[str, Any]], Any]:
    def change(data: dict[str, Any]) -> Any:
        data["lines"][0][index] = value
        return data

    return change


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda data: {**data, key: value}


def _drop(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda data: {k: v for k, v in data.items() if k != key}


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (_line(2, -5), "line 1: the quantity -5"),
        (_line(2, True), "line 1: the quantity True"),
        (_line(2, 100), "line 1: the quantity 100"),
        (_line(3, -1), "line 1: the unit price -1 is not a whole number"),
        (_line(3, 0.75), "the unit price 0.75"),
        (_line(3, "75"), "the unit price '75'"),
        (_line(0, ""), "line 1: the item id ''"),
        (_line(1, None), "the item name None is not a string"),
        (lambda d: {**d, "lines": [["APPLE", "apples", 2]]}, "is not an [item id, name"),
        (_set("lines", []), "its lines [] are not a non-empty list"),
        (_set("lines", "APPLE"), "its lines 'APPLE'"),
        (_drop("lines"), "its lines None"),
        (_set("status", "lost"), "its status 'lost' is not one we know"),
        (_set("status", None), "its status None"),
        (_set("created_at", "yesterday"), "its created_at 'yesterday' is not an ISO 8601"),
        (_set("created_at", 1764237600), "its created_at 1764237600"),
        (_set("pickup_at", "soon"), "its pickup_at 'soon'"),
        (_set("total", 1348), "its total 1348 is not the sum of its lines (1349)"),
        (_set("total", -1349), "its total -1349"),
        (_set("total", 1349.0), "its total 1349.0"),
        (_drop("user_id"), "its user_id None is not a non-empty string"),
        (_set("user_id", ""), "its user_id ''"),
        (_set("currency", 840), "its currency 840"),
        (_set("locale", None), "its locale None"),
        (_set("request_id", 5), "its request_id 5"),
    ],
)
def test_damaged_order_data_is_a_corrupt_record_naming_the_order(
    damage: Callable[[dict[str, Any]], Any], said: str
) -> None:
    data = damage(copy.deepcopy(an_order().to_data()))
    with pytest.raises(CorruptRecord) as raised:
        Order.from_data(data)
    assert str(raised.value).startswith("Stored order 1001 is damaged: ")
    assert said in str(raised.value)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ([], "it is a list, not a mapping"),
        ("{}", "it is a str"),
        ({"number": "1001"}, "its number '1001' is not a whole number"),
        ({"number": 0}, "its number 0"),
        ({"number": True}, "its number True"),
        ({}, "its number None"),
    ],
)
def test_an_order_without_a_usable_number_is_a_corrupt_record(data: Any, said: str) -> None:
    with pytest.raises(CorruptRecord, match="A stored order is damaged") as raised:
        Order.from_data(data)
    assert said in str(raised.value)


def test_an_unparseable_timestamp_is_chained_to_its_cause() -> None:
    with pytest.raises(CorruptRecord) as raised:
        Order.from_data({**an_order().to_data(), "created_at": "2026-13-45"})
    assert isinstance(raised.value.__cause__, ValueError)


# -- making orders ---------------------------------------------------------------
@pytest.mark.parametrize("quantity", [-5, 0, MAX_PER_LINE + 1])
def test_a_cart_built_in_code_with_a_bad_quantity_cannot_be_ordered(quantity: int) -> None:
    cart = Cart((CartLine("APPLE", quantity),))  # bypasses Cart.add's rules on purpose
    with pytest.raises(InvalidQuantity, match="cannot be ordered"):
        order_from_cart(
            cart,
            number=1001,
            user_id="u",
            catalog=CATALOG,
            now=NOW,
            request_id="r",
            pickup_minutes=5,
        )


# -- the status rule ---------------------------------------------------------------
ALLOWED = {
    (OrderStatus.PLACED, OrderStatus.READY),
    (OrderStatus.PLACED, OrderStatus.CANCELLED),
    (OrderStatus.READY, OrderStatus.COLLECTED),
    (OrderStatus.READY, OrderStatus.CANCELLED),
}


@pytest.mark.parametrize("current", list(OrderStatus))
@pytest.mark.parametrize("new", list(OrderStatus))
def test_the_status_rule_allows_exactly_the_forward_moves(
    current: OrderStatus, new: OrderStatus
) -> None:
    if (current, new) in ALLOWED:
        check_status_change(1001, current, new)
        assert an_order(status=current).with_status(new).status is new
        return
    with pytest.raises(InvalidStatusChange) as raised:
        check_status_change(1001, current, new)
    message = str(raised.value)
    assert message.startswith("Order 1001 ") and "cornershop orders" in message
    with pytest.raises(InvalidStatusChange):
        an_order(status=current).with_status(new)


@pytest.mark.parametrize(
    ("current", "new", "message"),
    [
        (
            OrderStatus.CANCELLED,
            OrderStatus.CANCELLED,
            "Order 1001 is already cancelled, so there is nothing to change.",
        ),
        (
            OrderStatus.COLLECTED,
            OrderStatus.COLLECTED,
            "Order 1001 has already been collected, so there is nothing to change.",
        ),
        (OrderStatus.READY, OrderStatus.READY, "Order 1001 is already ready, so there"),
        (
            OrderStatus.COLLECTED,
            OrderStatus.READY,
            "Order 1001 has already been collected, so it cannot become ready.",
        ),
        (
            OrderStatus.COLLECTED,
            OrderStatus.CANCELLED,
            "Order 1001 has already been collected, so it cannot be cancelled.",
        ),
        (
            OrderStatus.CANCELLED,
            OrderStatus.READY,
            "Order 1001 was cancelled, so it cannot become ready.",
        ),
        (OrderStatus.READY, OrderStatus.PLACED, "Order 1001 is ready and cannot become placed"),
    ],
)
def test_a_refused_status_change_says_why(
    current: OrderStatus, new: OrderStatus, message: str
) -> None:
    with pytest.raises(InvalidStatusChange) as raised:
        check_status_change(1001, current, new)
    assert str(raised.value).startswith(message)
