"""The Store contract (skill/store/base.py), one suite for every backend.

Each test runs on memory, SQLite (a file under tmp_path) and DynamoDB (boto3 over
HTTP to a moto server on 127.0.0.1, a fresh table per test).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from _servers import MotoDynamoDB

from skill.domain.cart import Cart
from skill.domain.orders import FIRST_ORDER_NUMBER, Order, OrderLine, OrderStatus
from skill.errors import (
    EmptyCart,
    InvalidStatusChange,
    ItemNotInCart,
    LineLimitExceeded,
    OrderNotFound,
    UnknownItem,
)
from skill.store.base import Store
from skill.store.dynamodb import DynamoDBStore
from skill.store.memory import MemoryStore
from skill.store.sqlite import SQLiteStore

T = TypeVar("T")

ADA = "amzn1.ask.account.ADA-TEST-USER"
BOB = "amzn1.ask.account.BOB-TEST-USER"
ITEMS = ["apples", "bananas", "oranges", "lemons", "avocados", "tomatoes", "milk", "eggs"]
NOW = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)


# -- fixtures ------------------------------------------------------------------
@pytest.fixture(scope="session")
def moto() -> Iterator[MotoDynamoDB]:
    with MotoDynamoDB() as server:
        yield server


class Backend:
    """Opens stores of one kind on the same data, and closes them all at the end."""

    def __init__(self, name: str, open_store: Callable[[], Store]) -> None:
        self.name = name
        self._open = open_store
        self.opened: list[Store] = []

    def open(self) -> Store:
        store = self._open()
        self.opened.append(store)
        return store


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "memory":
        shared = MemoryStore()  # a memory store's data lives in the object itself
        yield Backend("memory", lambda: shared)
    elif request.param == "sqlite":
        path = tmp_path / "shop.db"
        backend = Backend("sqlite", lambda: SQLiteStore(path))
        yield backend
        for store in backend.opened:
            store.close()
    else:
        server: MotoDynamoDB = request.getfixturevalue("moto")
        table = server.new_table()
        backend = Backend("dynamodb", lambda: DynamoDBStore(server.client(), table))
        yield backend
        for store in backend.opened:
            store.close()
        server.delete_table(table)


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.open()


def make_order(cart: Cart, number: int, *, user_id: str = ADA, request_id: str = "") -> Order:
    """A pure order factory, as the checkout handler passes one: 1.00 per item."""
    if cart.is_empty:
        raise EmptyCart("The cart is empty, so there is nothing to check out.")
    return Order(
        number=number,
        user_id=user_id,
        lines=tuple(
            OrderLine(ln.item_id, ln.item_id.title(), ln.quantity, 100) for ln in cart.lines
        ),
        currency="USD",
        created_at=NOW,
        locale="en-US",
        request_id=request_id,
        pickup_at=NOW,
    )


def factory(user_id: str, request_id: str = "") -> Callable[[Cart, int], Order]:
    return lambda cart, number: make_order(cart, number, user_id=user_id, request_id=request_id)


def fill(store: Store, user_id: str, **lines: int) -> Cart:
    cart = store.get_cart(user_id)
    for item_id, quantity in lines.items():
        cart = store.update_cart(user_id, adding(item_id, quantity))
    return cart


def adding(item_id: str, quantity: int) -> Callable[[Cart], Cart]:
    return lambda cart: cart.add(item_id, quantity)


def in_threads(count: int, work: Callable[[int], T]) -> list[T | BaseException]:
    """Run ``work(i)`` on ``count`` threads released together; results or exceptions, by i."""
    results: list[T | BaseException] = [RuntimeError("did not run")] * count
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"
    return results


# -- carts ---------------------------------------------------------------------
def test_a_new_user_has_an_empty_cart(store: Store) -> None:
    # GIVEN a store nobody has used
    # WHEN a user's cart is read
    cart = store.get_cart(ADA)
    # THEN it is empty
    assert cart == Cart()
    assert cart.is_empty


def test_update_cart_adds_and_removes_and_reads_back(store: Store) -> None:
    # GIVEN a user who adds apples and bread
    store.update_cart(ADA, lambda c: c.add("apples", 3))
    store.update_cart(ADA, lambda c: c.add("bread", 1))
    # WHEN one apple and all the bread are removed
    returned = store.update_cart(ADA, lambda c: c.remove("apples", 1).remove("bread"))
    # THEN the change's result is returned and is what a later read sees
    assert returned == Cart.from_lines({"apples": 2})
    assert store.get_cart(ADA) == returned
    # AND another user's cart is untouched
    assert store.get_cart(BOB).is_empty


def test_a_domain_error_in_a_change_leaves_the_cart_as_it_was(store: Store) -> None:
    # GIVEN a cart with 99 apples, the most one line may hold
    fill(store, ADA, apples=99)
    before = store.get_cart(ADA)
    # WHEN changes break shop rules
    with pytest.raises(LineLimitExceeded):
        store.update_cart(ADA, lambda c: c.add("bread", 1).add("apples", 1))
    with pytest.raises(ItemNotInCart):
        store.update_cart(ADA, lambda c: c.remove("cheese"))
    error = UnknownItem("unobtainium")

    def fails(cart: Cart) -> Cart:
        raise error

    with pytest.raises(UnknownItem) as raised:
        store.update_cart(ADA, fails)
    # THEN the change's own exception came through unchanged
    assert raised.value is error
    # AND the cart is exactly as it was (the bread of the first change was not kept)
    assert store.get_cart(ADA) == before


def test_eight_threads_of_25_adds_each_land_exactly_200_items(store: Store) -> None:
    # GIVEN one user and 8 threads; thread i adds ITEMS[i] one at a time, 25 times
    def add_25(i: int) -> int:
        for _ in range(25):
            store.update_cart(ADA, lambda c: c.add(ITEMS[i], 1))
        return i

    # WHEN they all run at once
    results = in_threads(8, add_25)
    # THEN no add failed and none was lost
    assert results == list(range(8))
    cart = store.get_cart(ADA)
    assert cart.count == 200
    assert {line.item_id: line.quantity for line in cart.lines} == dict.fromkeys(ITEMS, 25)


# -- checkout ------------------------------------------------------------------
def test_place_order_empties_the_cart_and_numbers_orders_from_1001(store: Store) -> None:
    # GIVEN a cart with apples and bread
    fill(store, ADA, apples=2, bread=1)
    # WHEN the user checks out
    first = store.place_order(ADA, "req-1", factory(ADA, "req-1"))
    # THEN the order holds the cart, has the first number, and the cart is empty
    assert first.number == FIRST_ORDER_NUMBER == 1001
    assert first.as_cart() == Cart.from_lines({"apples": 2, "bread": 1})
    assert first.status is OrderStatus.PLACED
    assert store.get_cart(ADA).is_empty
    assert store.list_orders() == [first]
    # AND the next checkout gets the next number
    fill(store, ADA, milk=1)
    second = store.place_order(ADA, "req-2", factory(ADA, "req-2"))
    assert second.number == 1002
    assert [o.number for o in store.list_orders()] == [1002, 1001]


def test_the_same_request_id_twice_places_one_order(store: Store) -> None:
    # GIVEN an order placed for request "req-1"
    fill(store, ADA, apples=2)
    first = store.place_order(ADA, "req-1", factory(ADA, "req-1"))
    # AND the user has since put something new in the cart
    fill(store, ADA, bread=1)
    # WHEN Alexa retries request "req-1"
    again = store.place_order(ADA, "req-1", factory(ADA, "req-1"))
    # THEN the first order comes back, nothing new is ordered, the cart is kept
    assert again == first
    assert store.list_orders() == [first]
    assert store.get_cart(ADA) == Cart.from_lines({"bread": 1})
    # AND the counter moved once: the next new order is 1002
    assert store.place_order(ADA, "req-2", factory(ADA, "req-2")).number == 1002


def test_an_empty_cart_cannot_be_checked_out_and_nothing_is_written(store: Store) -> None:
    # GIVEN a user with nothing in the cart
    # WHEN they check out
    with pytest.raises(EmptyCart):
        store.place_order(ADA, "req-1", factory(ADA, "req-1"))
    # THEN no order exists and the number 1001 is still free
    assert store.list_orders() == []
    assert store.last_order(ADA) is None
    fill(store, ADA, apples=1)
    assert store.place_order(ADA, "req-2", factory(ADA, "req-2")).number == 1001


def test_an_order_factory_that_refuses_writes_nothing(store: Store) -> None:
    # GIVEN a cart, and an order factory that finds nothing orderable in it
    # (every item has left the catalog)
    fill(store, ADA, apples=1)

    def nothing_orderable(cart: Cart, number: int) -> Order:
        raise EmptyCart("None of these items are sold any more.")

    # WHEN the user checks out
    with pytest.raises(EmptyCart):
        store.place_order(ADA, "req-1", nothing_orderable)
    # THEN the cart is kept, no order exists, and the request id is still unused
    assert store.get_cart(ADA) == Cart.from_lines({"apples": 1})
    assert store.list_orders() == []
    assert store.place_order(ADA, "req-1", factory(ADA, "req-1")).number == 1001


def test_concurrent_checkouts_of_one_cart_make_exactly_one_order(store: Store) -> None:
    # GIVEN a full cart
    fill(store, ADA, apples=3, bread=2)
    # WHEN 8 requests (different request ids) check it out at once
    results = in_threads(8, lambda i: store.place_order(ADA, f"req-{i}", factory(ADA, f"req-{i}")))
    # THEN exactly one order was placed, holding the whole cart
    orders = [r for r in results if isinstance(r, Order)]
    assert len(orders) == 1, results
    assert orders[0].number == 1001
    assert orders[0].as_cart() == Cart.from_lines({"apples": 3, "bread": 2})
    # AND the seven others found the cart empty
    assert sum(isinstance(r, EmptyCart) for r in results) == 7, results
    assert store.list_orders() == orders
    assert store.get_cart(ADA).is_empty


def test_concurrent_checkouts_with_the_same_request_id_make_one_order(store: Store) -> None:
    # GIVEN a full cart
    fill(store, ADA, apples=3)
    # WHEN 8 deliveries of the same request check it out at once
    results = in_threads(8, lambda i: store.place_order(ADA, "req-1", factory(ADA, "req-1")))
    # THEN every one of them answers with the same single order
    assert all(isinstance(r, Order) for r in results), results
    assert {r.number for r in results if isinstance(r, Order)} == {1001}
    assert len(store.list_orders()) == 1


def test_concurrent_checkouts_of_different_users_get_distinct_numbers(store: Store) -> None:
    # GIVEN 8 users, each with something in the cart
    users = [f"amzn1.ask.account.USER-{i}" for i in range(8)]
    for user in users:
        fill(store, user, apples=1)
    # WHEN they all check out at once
    results = in_threads(8, lambda i: store.place_order(users[i], f"r{i}", factory(users[i])))
    # THEN each gets an order, numbered 1001 to 1008 without gaps or repeats
    assert all(isinstance(r, Order) for r in results), results
    assert sorted(r.number for r in results if isinstance(r, Order)) == list(range(1001, 1009))
    assert len(store.list_orders()) == 8


# -- reading orders ------------------------------------------------------------
def test_last_order_is_per_user(store: Store) -> None:
    # GIVEN Ada orders twice and Bob once in between
    fill(store, ADA, apples=1)
    store.place_order(ADA, "a1", factory(ADA))
    fill(store, BOB, bread=1)
    bobs = store.place_order(BOB, "b1", factory(BOB))
    fill(store, ADA, milk=2)
    adas = store.place_order(ADA, "a2", factory(ADA))
    # WHEN each user's last order is asked for
    # THEN each sees their own latest, and a user who never ordered sees none
    assert store.last_order(ADA) == adas
    assert store.last_order(BOB) == bobs
    assert store.last_order("amzn1.ask.account.NOBODY") is None


def test_list_orders_is_most_recent_first_and_limited(store: Store) -> None:
    # GIVEN five orders
    for i in range(5):
        fill(store, ADA, apples=i + 1)
        store.place_order(ADA, f"r{i}", factory(ADA))
    # WHEN the list is read, whole and limited
    # THEN it is newest first, and the limit keeps the newest
    assert [o.number for o in store.list_orders()] == [1005, 1004, 1003, 1002, 1001]
    assert [o.number for o in store.list_orders(limit=2)] == [1005, 1004]
    assert store.list_orders(limit=2)[1].as_cart() == Cart.from_lines({"apples": 4})


# -- order status --------------------------------------------------------------
def test_set_order_status_moves_an_order_along(store: Store) -> None:
    # GIVEN a placed order
    fill(store, ADA, apples=1)
    order = store.place_order(ADA, "r1", factory(ADA))
    # WHEN the shop marks it ready, then collected
    ready = store.set_order_status(order.number, OrderStatus.READY)
    # THEN each change is returned and stored
    assert ready.status is OrderStatus.READY
    assert store.last_order(ADA) == ready
    collected = store.set_order_status(order.number, OrderStatus.COLLECTED)
    assert collected == order.with_status(OrderStatus.READY).with_status(OrderStatus.COLLECTED)
    assert store.list_orders() == [collected]
    # AND setting the status it already has is a no-op
    assert store.set_order_status(order.number, OrderStatus.COLLECTED) == collected


def test_set_order_status_of_an_unknown_order_raises_order_not_found(store: Store) -> None:
    # GIVEN no order 4242
    # WHEN the shop changes its status
    with pytest.raises(OrderNotFound) as raised:
        store.set_order_status(4242, OrderStatus.READY)
    # THEN the error names the number
    assert raised.value.number == 4242


def test_a_collected_order_cannot_become_ready_again(store: Store) -> None:
    # GIVEN a collected order
    fill(store, ADA, apples=1)
    order = store.place_order(ADA, "r1", factory(ADA))
    store.set_order_status(order.number, OrderStatus.READY)
    collected = store.set_order_status(order.number, OrderStatus.COLLECTED)
    # WHEN the shop tries to make it ready again
    with pytest.raises(InvalidStatusChange):
        store.set_order_status(order.number, OrderStatus.READY)
    # THEN it stays collected
    assert store.last_order(ADA) == collected


# -- health and durability -----------------------------------------------------
def test_ping_succeeds_on_a_working_store(store: Store) -> None:
    # GIVEN a working store / WHEN it is pinged / THEN nothing is raised
    store.ping()


@pytest.mark.parametrize("backend", ["sqlite", "dynamodb"], indirect=True)
def test_data_survives_reopening_the_store(backend: Backend) -> None:
    # GIVEN a store with a cart and an order, closed
    first = backend.open()
    fill(first, ADA, apples=2)
    order = first.place_order(ADA, "r1", factory(ADA, "r1"))
    fill(first, ADA, bread=1)
    first.close()
    # WHEN the store is opened again on the same file or table
    again = backend.open()
    # THEN everything is still there, and the counter and request ids carry on
    assert again.get_cart(ADA) == Cart.from_lines({"bread": 1})
    assert again.list_orders() == [order]
    assert again.last_order(ADA) == order
    assert again.place_order(ADA, "r1", factory(ADA, "r1")) == order
    assert again.place_order(ADA, "r2", factory(ADA, "r2")).number == 1002
