"""The IO-free core: money, catalog matching, cart rules, orders."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

from skill.data import catalog_for
from skill.domain.cart import MAX_PER_LINE, Cart
from skill.domain.money import Money, format_money
from skill.domain.orders import Order, OrderStatus, order_from_cart
from skill.errors import (
    EmptyCart,
    InvalidQuantity,
    InvalidStatusChange,
    ItemNotInCart,
    LineLimitExceeded,
)

CATALOG = catalog_for("en-US")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cents", "currency", "text"),
    [
        (499, "USD", "$4.99"),
        (5, "USD", "$0.05"),
        (123456, "USD", "$1,234.56"),
        (429, "GBP", "£4.29"),
        (429, "EUR", "4,29 €"),
        (-150, "USD", "-$1.50"),
    ],
)
def test_format_money(cents: int, currency: str, text: str) -> None:
    assert format_money(cents, currency) == text


def test_money_refuses_floats_and_mixed_currencies() -> None:
    with pytest.raises(TypeError):
        Money(4.99, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Cannot add"):
        Money(1, "USD") + Money(1, "EUR")


def test_catalog_has_the_32_items_with_prices_in_cents() -> None:
    assert len(CATALOG.items) == 32
    oat = CATALOG.get("OAT_MILK")
    assert oat is not None and oat.price == Money(499, "USD") and oat.unit == "carton"
    assert all(isinstance(item.price.cents, int) for item in CATALOG.items)


@pytest.mark.parametrize(
    ("spoken", "item_id"),
    [
        ("apples", "APPLE"),
        ("an apple", "APPLE"),
        ("Gala Apples", "APPLE"),
        ("a loaf of bread", "BREAD"),
        ("loaves of bread", "BREAD"),
        ("peanut butter", "PEANUT_BUTTER"),
        ("butter", "BUTTER"),
        ("oat milk", "OAT_MILK"),
        ("milk", "MILK"),
        ("half-and-half", "HALF_AND_HALF"),
        ("orange juice", "ORANGE_JUICE"),
        ("oranges", "ORANGE"),
        ("o.j.", "ORANGE_JUICE"),
        ("tomatoes", "TOMATO"),
        ("bananna", "BANANA"),
        ("avacados", "AVOCADO"),
    ],
)
def test_catalog_find_matches_names_synonyms_plurals_and_near_misses(
    spoken: str, item_id: str
) -> None:
    item = CATALOG.find(spoken)
    assert item is not None and item.id == item_id


@pytest.mark.parametrize("spoken", ["unicorns", "car", "", "a", "the the"])
def test_catalog_find_rejects_unknown(spoken: str) -> None:
    assert CATALOG.find(spoken) is None


def test_cart_add_merges_lines_and_keeps_order() -> None:
    cart = Cart().add("APPLE", 2).add("BREAD", 1).add("APPLE", 3)
    assert cart.to_data() == [["APPLE", 5], ["BREAD", 1]]
    assert cart.count == 6
    assert cart.total(CATALOG) == Money(5 * 75 + 349, "USD")


@pytest.mark.parametrize("bad", [0, -1, True, 2.0])
def test_cart_rejects_bad_quantities(bad: object) -> None:
    with pytest.raises(InvalidQuantity):
        Cart().add("APPLE", bad)  # type: ignore[arg-type]


def test_cart_line_limit_is_99_and_leaves_cart_unchanged() -> None:
    cart = Cart().add("APPLE", MAX_PER_LINE)
    with pytest.raises(LineLimitExceeded) as info:
        cart.add("APPLE", 1)
    assert info.value.current == 99
    assert cart.quantity_of("APPLE") == 99


def test_cart_remove_some_all_and_missing() -> None:
    cart = Cart().add("APPLE", 5)
    assert cart.remove("APPLE", 2).quantity_of("APPLE") == 3
    assert cart.remove("APPLE").is_empty
    assert cart.remove("APPLE", 10).is_empty
    with pytest.raises(ItemNotInCart):
        cart.remove("BREAD")


def test_cart_round_trips_through_data() -> None:
    cart = Cart().add("EGGS", 2).add("RICE", 1)
    assert Cart.from_data(cart.to_data()) == cart


def test_order_from_cart_prices_now_and_round_trips() -> None:
    order = order_from_cart(
        Cart().add("APPLE", 2).add("COFFEE", 1),
        number=1001,
        user_id="u",
        catalog=CATALOG,
        now=NOW,
        request_id="r",
        pickup_minutes=15,
    )
    assert order.total == Money(150 + 1199, "USD")
    assert order.pickup_at == datetime(2026, 11, 27, 10, 15, tzinfo=UTC)
    assert Order.from_data(order.to_data()) == order


def test_order_from_empty_cart_is_refused() -> None:
    with pytest.raises(EmptyCart):
        order_from_cart(
            Cart(),
            number=1,
            user_id="u",
            catalog=CATALOG,
            now=NOW,
            request_id="r",
            pickup_minutes=1,
        )


def test_order_status_moves_forward_only() -> None:
    order = order_from_cart(
        Cart().add("APPLE", 1),
        number=1,
        user_id="u",
        catalog=CATALOG,
        now=NOW,
        request_id="r",
        pickup_minutes=1,
    )
    ready = order.with_status(OrderStatus.READY)
    assert ready.with_status(OrderStatus.COLLECTED).status is OrderStatus.COLLECTED
    with pytest.raises(InvalidStatusChange, match="cannot become"):
        ready.with_status(OrderStatus.COLLECTED).with_status(OrderStatus.READY)


FORBIDDEN = {"ask_sdk_core", "ask_sdk_model", "flask", "boto3", "botocore", "sqlite3"}


@pytest.mark.parametrize(
    "path", sorted((Path(__file__).parents[2] / "skill" / "domain").glob("*.py"))
)
def test_domain_imports_no_adapters(path: Path) -> None:
    tree = ast.parse(path.read_text("utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN, f"{path.name} imports {imported & FORBIDDEN}"
