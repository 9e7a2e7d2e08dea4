"""The Store contract (skill/store/base.py), one suite for every backend.

Each test runs on memory, SQLite (a file under tmp_path) and DynamoDB (boto3 over
HTTP to a moto server on 127.0.0.1, a fresh table per test): carts, checkout,
orders, request ids, damaged records, and the shop's catalog document (seeding,
atomic changes, concurrent price changes, and a checkout racing a stock change).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from _servers import MotoDynamoDB

from skill.data import catalog_document
from skill.domain.cart import Cart
from skill.domain.catalog import InvalidCatalog, canonical
from skill.domain.orders import FIRST_ORDER_NUMBER, Order, OrderLine, OrderNotification, OrderStatus
from skill.errors import (
    CorruptRecord,
    DomainError,
    EmptyCart,
    InvalidStatusChange,
    ItemNotInCart,
    LineLimitExceeded,
    OrderNotFound,
    UnknownItem,
)
from skill.store.base import RECENT_REQUEST_IDS, Store
from skill.store.dynamodb import DynamoDBStore
from skill.store.memory import MemoryStore
from skill.store.sqlite import SQLiteStore

T = TypeVar("T")

ADA = "amzn1.ask.account.ADA-TEST-USER"
BOB = "amzn1.ask.account.BOB-TEST-USER"
ITEMS = ["apples", "bananas", "oranges", "lemons", "avocados", "tomatoes", "milk", "eggs"]
NOW = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)

#: The shared moto server, table and fault-proxy fixtures (tests/store/_fixtures.py).
pytest_plugins = ["_fixtures"]


# -- fixtures ------------------------------------------------------------------


class Backend:
    """Opens stores of one kind on the same data, and closes them all at the end.

    ``damage_cart``, ``damage_order`` and ``damage_catalog`` write a raw record past the
    store, as a bad disk, a bad migration or a hand edit would: the cart's stored lines
    (the JSON text ``Cart.to_data()`` becomes), an order's stored body
    (``Order.to_data()``), or the catalog's stored body (JSON) and version.
    """

    def __init__(
        self,
        name: str,
        open_store: Callable[[], Store],
        *,
        damage_cart: Callable[[str, str], None],
        damage_order: Callable[[int, str], None],
        damage_catalog: Callable[[str, int], None],
    ) -> None:
        self.name = name
        self._open = open_store
        self.opened: list[Store] = []
        self.damage_cart = damage_cart
        self.damage_order = damage_order
        self.damage_catalog = damage_catalog

    def open(self) -> Store:
        store = self._open()
        self.opened.append(store)
        return store


def _stored_form(text: str) -> Any:
    """What a memory store would hold for this JSON text (the text itself if it isn't JSON)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _memory_backend() -> Backend:
    shared = MemoryStore()  # a memory store's data lives in the object itself

    def damage_cart(user_id: str, lines: str) -> None:
        shared._carts[user_id] = (_stored_form(lines), ())

    def damage_order(number: int, body: str) -> None:
        user_id = shared._orders[number][0]  # the record's key part, like SQLite's column
        shared._orders[number] = (user_id, _stored_form(body))

    def damage_catalog(body: str, version: int) -> None:
        shared._catalog = (_stored_form(body), version)

    return Backend(
        "memory",
        lambda: shared,
        damage_cart=damage_cart,
        damage_order=damage_order,
        damage_catalog=damage_catalog,
    )


def _sqlite_backend(path: Path) -> Backend:
    def write(sql: str, params: tuple[Any, ...]) -> None:
        db = sqlite3.connect(path)
        with db:
            db.execute(sql, params)
        db.close()

    def damage_cart(user_id: str, lines: str) -> None:
        write(
            "INSERT OR REPLACE INTO carts(user_id, lines, version, updated_at, request_ids)"
            " VALUES (?, ?, 1, '2026-11-27T10:15:00+00:00', '[]')",
            (user_id, lines),
        )

    def damage_order(number: int, body: str) -> None:
        write("UPDATE orders SET body = ? WHERE number = ?", (body, number))

    def damage_catalog(body: str, version: int) -> None:
        write(
            "INSERT OR REPLACE INTO catalog(id, version, body, updated_at)"
            " VALUES (1, ?, ?, '2026-11-27T10:15:00+00:00')",
            (version, body),
        )

    return Backend(
        "sqlite",
        lambda: SQLiteStore(path),
        damage_cart=damage_cart,
        damage_order=damage_order,
        damage_catalog=damage_catalog,
    )


def _dynamodb_backend(server: MotoDynamoDB, table: str) -> Backend:
    # The item layout of skill/store/dynamodb.py's docstring, shop "main".
    def damage_cart(user_id: str, lines: str) -> None:
        server.client(patient=True).put_item(
            TableName=table,
            Item={
                "pk": {"S": f"USER#main#{user_id}"},
                "sk": {"S": "CART"},
                "lines": {"S": lines},
                "version": {"N": "1"},
            },
        )

    def damage_order(number: int, body: str) -> None:
        server.client(patient=True).update_item(
            TableName=table,
            Key={"pk": {"S": "SHOP#main"}, "sk": {"S": f"ORDER#{number:010d}"}},
            UpdateExpression="SET body = :body",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":body": {"S": body}},
        )

    def damage_catalog(body: str, version: int) -> None:
        server.client(patient=True).put_item(
            TableName=table,
            Item={
                "pk": {"S": "SHOP#main"},
                "sk": {"S": "CATALOG"},
                "body": {"S": body},
                "version": {"N": str(version)},
            },
        )

    return Backend(
        "dynamodb",
        lambda: DynamoDBStore(server.client(), table),
        damage_cart=damage_cart,
        damage_order=damage_order,
        damage_catalog=damage_catalog,
    )


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "memory":
        yield _memory_backend()
    elif request.param == "sqlite":
        backend = _sqlite_backend(tmp_path / "shop.db")
        yield backend
        for store in backend.opened:
            store.close()
    else:
        server: MotoDynamoDB = request.getfixturevalue("moto")
        table = server.new_table()
        backend = _dynamodb_backend(server, table)
        yield backend
        for store in backend.opened:
            store.close()
        server.delete_table(table)


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.open()


def make_order(
    cart: Cart,
    number: int,
    catalog: dict[str, Any] | None = None,
    *,
    user_id: str = ADA,
    request_id: str = "",
) -> Order:
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


Factory = Callable[[Cart, int, "dict[str, Any] | None"], Order]


def factory(user_id: str, request_id: str = "") -> Factory:
    return lambda cart, number, catalog: make_order(
        cart, number, catalog, user_id=user_id, request_id=request_id
    )


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

    def nothing_orderable(cart: Cart, number: int, catalog: dict[str, Any] | None) -> Order:
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


@pytest.mark.parametrize(
    ("path", "again", "said"),
    [
        ([OrderStatus.CANCELLED], OrderStatus.CANCELLED, "is already cancelled"),
        ([OrderStatus.READY], OrderStatus.READY, "is already ready"),
        ([OrderStatus.READY, OrderStatus.COLLECTED], OrderStatus.COLLECTED, "already been"),
        ([OrderStatus.READY, OrderStatus.COLLECTED], OrderStatus.CANCELLED, "cannot be cancelled"),
        ([OrderStatus.CANCELLED], OrderStatus.READY, "was cancelled, so it cannot become ready"),
        ([OrderStatus.READY], OrderStatus.PLACED, "cannot become placed"),
    ],
)
def test_a_refused_status_change_says_why_and_changes_nothing(
    store: Store, path: list[OrderStatus], again: OrderStatus, said: str
) -> None:
    # GIVEN an order moved along ``path``
    fill(store, ADA, apples=1)
    order = store.place_order(ADA, "r1", factory(ADA))
    for status in path:
        order = store.set_order_status(order.number, status)
    # WHEN the shop asks for a change the rule refuses (the same status included)
    with pytest.raises(InvalidStatusChange, match=said) as raised:
        store.set_order_status(order.number, again)
    # THEN the message names the order, and the order is exactly as it was
    assert f"Order {order.number} " in str(raised.value)
    assert store.list_orders() == [order]


# -- request ids on cart writes ------------------------------------------------
class Counting:
    """A cart change that counts how often the store applied it."""

    def __init__(self, change: Callable[[Cart], Cart]) -> None:
        self.change = change
        self.calls = 0

    def __call__(self, cart: Cart) -> Cart:
        self.calls += 1
        return self.change(cart)


def test_a_cart_write_redelivered_with_its_request_id_is_applied_once(store: Store) -> None:
    # GIVEN two apples added by request "add-1"
    first = store.update_cart(ADA, adding("apples", 2), request_id="add-1")
    # WHEN the same request arrives again (Alexa redelivered it, or a retry after a lost reply)
    again = Counting(adding("apples", 2))
    replayed = store.update_cart(ADA, again, request_id="add-1")
    # THEN the change was not applied again, and the current cart came back
    assert again.calls == 0
    assert replayed == first == Cart.from_lines({"apples": 2})
    assert store.get_cart(ADA) == first


def test_a_replayed_cart_write_returns_the_cart_as_it_is_now(store: Store) -> None:
    # GIVEN "add-1" added apples, then "add-2" added bread
    store.update_cart(ADA, adding("apples", 2), request_id="add-1")
    store.update_cart(ADA, adding("bread", 1), request_id="add-2")
    # WHEN "add-1" is redelivered
    replayed = store.update_cart(ADA, adding("apples", 2), request_id="add-1")
    # THEN nothing is added, and the cart returned holds the later bread too
    assert replayed == Cart.from_lines({"apples": 2, "bread": 1}) == store.get_cart(ADA)


def test_removals_and_clears_are_applied_once_per_request_id(store: Store) -> None:
    # GIVEN five apples
    store.update_cart(ADA, adding("apples", 5), request_id="add-1")
    # WHEN "remove two" and "clear" are each delivered twice, with other writes between
    for _ in range(2):
        store.update_cart(ADA, lambda c: c.remove("apples", 2), request_id="remove-1")
    assert store.get_cart(ADA) == Cart.from_lines({"apples": 3})
    store.update_cart(ADA, lambda _c: Cart(), request_id="clear-1")
    store.update_cart(ADA, adding("milk", 1), request_id="add-2")
    store.update_cart(ADA, lambda _c: Cart(), request_id="clear-1")
    # THEN each was applied once: the milk added after the clear is still there
    assert store.get_cart(ADA) == Cart.from_lines({"milk": 1})


def test_the_same_request_id_of_another_user_is_applied(store: Store) -> None:
    # GIVEN Ada's cart write with request id "req-1"
    store.update_cart(ADA, adding("apples", 2), request_id="req-1")
    # WHEN Bob's cart write carries the same request id
    bobs = store.update_cart(BOB, adding("bread", 1), request_id="req-1")
    # THEN Bob's change is applied: request ids are remembered per user
    assert bobs == Cart.from_lines({"bread": 1}) == store.get_cart(BOB)
    assert store.get_cart(ADA) == Cart.from_lines({"apples": 2})


def test_an_empty_request_id_is_always_applied(store: Store) -> None:
    # GIVEN / WHEN the same change twice without a request id
    store.update_cart(ADA, adding("apples", 2), request_id="")
    store.update_cart(ADA, adding("apples", 2), request_id="")
    store.update_cart(ADA, adding("apples", 2))
    # THEN it was applied every time
    assert store.get_cart(ADA) == Cart.from_lines({"apples": 6})


def test_a_cart_remembers_its_last_16_request_ids(store: Store) -> None:
    # GIVEN 17 writes to one cart, r0 ... r16
    for i in range(RECENT_REQUEST_IDS + 1):
        store.update_cart(ADA, adding(ITEMS[i % len(ITEMS)], 1), request_id=f"r{i}")
    before = store.get_cart(ADA)
    # WHEN each of the last 16 is redelivered
    for i in range(1, RECENT_REQUEST_IDS + 1):
        assert store.update_cart(ADA, adding("apples", 50), request_id=f"r{i}") == before
    # THEN none is applied again
    assert store.get_cart(ADA) == before
    # AND the 17th most recent, r0, has been forgotten (documented: not guaranteed)
    assert store.update_cart(ADA, adding("bread", 1), request_id="r0").quantity_of("bread") == 1


def test_a_change_that_raises_records_no_request_id(store: Store) -> None:
    # GIVEN a change refused by a shop rule under request id "req-1"
    with pytest.raises(ItemNotInCart):
        store.update_cart(ADA, lambda c: c.remove("cheese"), request_id="req-1")
    # WHEN the request is delivered again and now succeeds
    # (here: a different change under the same id, to show it is evaluated again)
    cart = store.update_cart(ADA, adding("apples", 1), request_id="req-1")
    # THEN it is applied
    assert cart == Cart.from_lines({"apples": 1}) == store.get_cart(ADA)


def test_concurrent_deliveries_of_one_cart_write_apply_it_once(store: Store) -> None:
    # WHEN 8 deliveries of the same "add 3 apples" arrive at once
    results = in_threads(8, lambda i: store.update_cart(ADA, adding("apples", 3), request_id="a1"))
    # THEN all answer with the cart, and the apples were added once
    assert all(isinstance(r, Cart) for r in results), results
    assert store.get_cart(ADA) == Cart.from_lines({"apples": 3})


def test_checking_out_keeps_the_cart_request_ids(store: Store) -> None:
    # GIVEN apples added by "add-1", then checked out
    store.update_cart(ADA, adding("apples", 2), request_id="add-1")
    store.place_order(ADA, "yes-1", factory(ADA, "yes-1"))
    # WHEN "add-1" is redelivered after the checkout
    cart = store.update_cart(ADA, adding("apples", 2), request_id="add-1")
    # THEN the apples are not added again to the emptied cart
    assert cart.is_empty and store.get_cart(ADA).is_empty


# -- request ids on checkout ---------------------------------------------------
def test_a_checkout_reusing_another_users_request_id_places_the_callers_order(
    store: Store,
) -> None:
    # GIVEN Ada's order placed by request "req-1"
    fill(store, ADA, apples=2)
    adas = store.place_order(ADA, "req-1", factory(ADA, "req-1"))
    # WHEN Bob checks out with the same request id
    fill(store, BOB, bread=1)
    bobs = store.place_order(BOB, "req-1", factory(BOB, "req-1"))
    # THEN Bob gets a new order of his own cart, never Ada's order
    assert bobs.user_id == BOB and bobs.number == 1002
    assert bobs.as_cart() == Cart.from_lines({"bread": 1})
    assert store.get_cart(BOB).is_empty
    # AND each user's redelivery returns their own order
    assert store.place_order(ADA, "req-1", factory(ADA, "req-1")) == adas
    assert store.place_order(BOB, "req-1", factory(BOB, "req-1")) == bobs
    assert store.list_orders() == [bobs, adas]


def test_a_checkout_without_a_request_id_never_returns_an_earlier_order(store: Store) -> None:
    # GIVEN an order placed without a request id
    fill(store, ADA, apples=1)
    first = store.place_order(ADA, "", factory(ADA))
    # WHEN the user checks out again without one, with an empty cart, then with a full one
    with pytest.raises(EmptyCart):
        store.place_order(ADA, "", factory(ADA))
    fill(store, ADA, milk=2)
    second = store.place_order(ADA, "", factory(ADA))
    # THEN the empty cart was refused (not answered with the first order), and the
    # full one made a new order
    assert second.number == first.number + 1
    assert second.as_cart() == Cart.from_lines({"milk": 2})
    assert store.list_orders() == [second, first]


# -- damaged records -----------------------------------------------------------
DAMAGED_CARTS = {
    "not JSON": '[["apples", 2',
    "a negative quantity": '[["apples", -5]]',
    "a zero quantity": '[["apples", 0]]',
    "a quantity over the line limit": '[["apples", 100]]',
    "a boolean quantity": '[["apples", true]]',
    "a fractional quantity": '[["apples", 1.5]]',
    "a quantity in quotes": '[["apples", "2"]]',
    "an empty item id": '[["", 1]]',
    "a numeric item id": "[[7, 1]]",
    "a line of three": '[["apples", 1, 2]]',
    "a mapping, not lines": '{"apples": 1}',
    "a string, not lines": '"apples"',
    "one item on two lines": '[["apples", 1], ["apples", 2]]',
}


@pytest.mark.parametrize("damage", sorted(DAMAGED_CARTS))
def test_a_damaged_cart_is_refused_and_left_as_it_is(
    backend: Backend, store: Store, damage: str
) -> None:
    # GIVEN a cart record damaged past the store
    backend.damage_cart(ADA, DAMAGED_CARTS[damage])
    # WHEN it is read, changed, or checked out
    # THEN every one raises CorruptRecord (a StoreError: the user hears the apology)
    with pytest.raises(CorruptRecord):
        store.get_cart(ADA)
    with pytest.raises(CorruptRecord):
        store.update_cart(ADA, adding("apples", 1), request_id="add-1")
    with pytest.raises(CorruptRecord):
        store.place_order(ADA, "yes-1", factory(ADA, "yes-1"))
    # AND nothing was ordered, and the record was not overwritten
    assert store.list_orders() == []
    with pytest.raises(CorruptRecord):
        store.get_cart(ADA)
    # AND another user is unaffected
    assert fill(store, BOB, bread=1) == Cart.from_lines({"bread": 1})


def _line(data: dict[str, Any], index: int, value: Any) -> dict[str, Any]:
    data["lines"][0][index] = value
    return data


DAMAGED_ORDERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "not JSON": lambda d: "{",
    "a negative quantity": lambda d: _line(d, 2, -5),
    "a boolean quantity": lambda d: _line(d, 2, True),
    "a negative price": lambda d: _line(d, 3, -100),
    "a fractional price": lambda d: _line(d, 3, 1.5),
    "an empty item id": lambda d: _line(d, 0, ""),
    "no lines": lambda d: {**d, "lines": []},
    "an unknown status": lambda d: {**d, "status": "lost"},
    "an unreadable timestamp": lambda d: {**d, "created_at": "yesterday"},
    "an unreadable pickup time": lambda d: {**d, "pickup_at": 1234},
    "a total that does not add up": lambda d: {**d, "total": d["total"] + 1},
    "a missing user": lambda d: {k: v for k, v in d.items() if k != "user_id"},
    "a list, not an order": lambda d: [d],
}


@pytest.mark.parametrize("damage", sorted(DAMAGED_ORDERS))
def test_a_damaged_order_is_refused_and_left_as_it_is(
    backend: Backend, store: Store, damage: str
) -> None:
    # GIVEN an order placed by request "yes-1", whose stored body is then damaged
    fill(store, ADA, apples=2)
    order = store.place_order(ADA, "yes-1", factory(ADA, "yes-1"))
    body = DAMAGED_ORDERS[damage](order.to_data())
    backend.damage_order(order.number, body if isinstance(body, str) else json.dumps(body))
    # WHEN it is listed, asked about, moved along, or its checkout redelivered
    # THEN each raises CorruptRecord: nothing damaged is spoken, listed or acted on
    with pytest.raises(CorruptRecord):
        store.list_orders()
    with pytest.raises(CorruptRecord):
        store.last_order(ADA)
    with pytest.raises(CorruptRecord):
        store.set_order_status(order.number, OrderStatus.READY)
    with pytest.raises(CorruptRecord):
        store.place_order(ADA, "yes-1", factory(ADA, "yes-1"))
    # AND the record is still there, as damaged as before (not rewritten)
    with pytest.raises(CorruptRecord):
        store.last_order(ADA)


def test_an_order_body_round_trips_with_its_total(store: Store) -> None:
    # GIVEN an order placed through the store
    fill(store, ADA, apples=2, bread=3)
    order = store.place_order(ADA, "r1", factory(ADA, "r1"))
    # WHEN it is read back / THEN it is the same order, and its data carries the total
    assert store.last_order(ADA) == order
    assert order.to_data()["total"] == 500


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
    first.update_cart(ADA, adding("bread", 1), request_id="add-1")
    first.close()
    # WHEN the store is opened again on the same file or table
    again = backend.open()
    # THEN everything is still there, and the counter and request ids carry on
    assert again.get_cart(ADA) == Cart.from_lines({"bread": 1})
    assert again.list_orders() == [order]
    assert again.last_order(ADA) == order
    assert again.place_order(ADA, "r1", factory(ADA, "r1")) == order
    assert again.update_cart(ADA, adding("bread", 1), request_id="add-1").quantity_of("bread") == 1
    assert again.place_order(ADA, "r2", factory(ADA, "r2")).number == 1002


# -- the catalog -------------------------------------------------------------------
DEMO = canonical(catalog_document())


def demo() -> dict[str, Any]:
    """A fresh copy of the bundled demo catalog, in canonical form."""
    copy: dict[str, Any] = json.loads(json.dumps(DEMO))
    return copy


def item_of(doc: dict[str, Any], item_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(item for item in doc["items"] if item["id"] == item_id)
    return found


def set_price(item_id: str, market: str, cents: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(doc: dict[str, Any]) -> dict[str, Any]:
        item_of(doc, item_id)["prices"][market] = cents
        return doc

    return change


def set_stock(item_id: str, in_stock: bool) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(doc: dict[str, Any]) -> dict[str, Any]:
        item_of(doc, item_id)["in_stock"] = in_stock
        return doc

    return change


def without_version(doc: dict[str, Any] | None) -> dict[str, Any]:
    assert doc is not None
    return {key: value for key, value in doc.items() if key != "version"}


def test_a_new_shop_has_no_catalog(store: Store) -> None:
    # GIVEN a store nobody has used / WHEN its catalog is read / THEN there is none
    assert store.get_catalog() is None


def test_seeding_writes_the_catalog_only_when_the_shop_has_none(store: Store) -> None:
    # GIVEN a shop without a catalog
    # WHEN it is seeded with the demo catalog (with its _comment and without in_stock)
    assert store.seed_catalog(catalog_document()) is True
    # THEN it holds the demo's canonical form as version 1
    first = store.get_catalog()
    assert first is not None and first["version"] == 1
    assert without_version(first) == DEMO
    # WHEN it is seeded again, with another catalog
    assert store.seed_catalog(set_price("APPLE", "US", 1)(demo())) is False
    # THEN nothing changed
    assert store.get_catalog() == first


def test_concurrent_seeds_write_once(backend: Backend) -> None:
    # GIVEN four processes starting a new shop at once
    stores = [backend.open() for _ in range(4)]
    # WHEN each seeds it
    results = in_threads(4, lambda i: stores[i].seed_catalog(demo()))
    # THEN exactly one wrote, and the catalog is version 1
    assert sorted(map(str, results)) == ["False", "False", "False", "True"], results
    assert stores[0].get_catalog() == {**DEMO, "version": 1}


def test_update_catalog_applies_the_change_and_bumps_the_version(store: Store) -> None:
    # GIVEN the demo catalog
    store.seed_catalog(demo())
    # WHEN the price of apples in the US changes, and oat milk sells out
    after = store.update_catalog(set_price("APPLE", "US", 99))
    after = store.update_catalog(set_stock("OAT_MILK", False))
    # THEN each change is kept, the version counts the changes, and a read agrees
    assert after["version"] == 3
    assert item_of(after, "APPLE")["prices"]["US"] == 99
    assert item_of(after, "OAT_MILK")["in_stock"] is False
    assert store.get_catalog() == after


def test_update_catalog_of_a_shop_without_one_starts_from_nothing(store: Store) -> None:
    # GIVEN a shop without a catalog
    seen: list[dict[str, Any]] = []

    def replace(doc: dict[str, Any]) -> dict[str, Any]:
        seen.append(doc)
        return demo()

    # WHEN a catalog is imported into it
    after = store.update_catalog(replace)
    # THEN the change was handed an empty document, and the catalog is version 1
    assert seen == [{}]
    assert after == {**DEMO, "version": 1} == store.get_catalog()


def test_a_change_that_changes_nothing_keeps_the_version(store: Store) -> None:
    # GIVEN version 2 of the catalog
    store.seed_catalog(demo())
    store.update_catalog(set_price("APPLE", "US", 99))
    # WHEN the same price is set again (an owner running the command twice)
    after = store.update_catalog(set_price("APPLE", "US", 99))
    # THEN nothing was written
    assert after["version"] == 2
    assert store.get_catalog() == after


def test_a_catalog_that_breaks_the_rules_is_refused_and_nothing_is_written(
    store: Store,
) -> None:
    # GIVEN the demo catalog
    store.seed_catalog(demo())
    before = store.get_catalog()

    # WHEN a change makes a price negative and takes away a locale's words
    def breaks(doc: dict[str, Any]) -> dict[str, Any]:
        item_of(doc, "APPLE")["prices"]["US"] = -5
        del doc["text"]["de-DE"]["APPLE"]["one"]
        return doc

    with pytest.raises(InvalidCatalog) as raised:
        store.update_catalog(breaks)
    # THEN both problems are named, with where they are, and nothing changed
    message = str(raised.value)
    assert "item APPLE, prices.US" in message and "item APPLE, de-DE.one" in message
    assert store.get_catalog() == before


def test_a_seed_that_breaks_the_rules_is_refused(store: Store) -> None:
    broken = demo()
    item_of(broken, "APPLE")["prices"]["US"] = 4.29
    # GIVEN a new shop / WHEN it is seeded with a price in dollars, not cents
    with pytest.raises(InvalidCatalog, match=r"write 4\.29 as 429"):
        store.seed_catalog(broken)
    # THEN it is refused, and the shop still has no catalog
    assert store.get_catalog() is None


def test_a_change_that_raises_writes_nothing_even_after_editing_its_copy(store: Store) -> None:
    # GIVEN the demo catalog
    store.seed_catalog(demo())
    before = store.get_catalog()
    error = DomainError("refused")

    def edits_then_refuses(doc: dict[str, Any]) -> dict[str, Any]:
        item_of(doc, "APPLE")["prices"]["US"] = 1  # edits the copy it was handed
        raise error

    # WHEN a change edits its document, then raises
    with pytest.raises(DomainError) as raised:
        store.update_catalog(edits_then_refuses)
    # THEN its own exception came through, and the stored catalog is untouched
    assert raised.value is error
    assert store.get_catalog() == before


def test_concurrent_price_changes_on_different_items_all_land(backend: Backend) -> None:
    # GIVEN two processes on one shop
    stores = [backend.open(), backend.open()]
    stores[0].seed_catalog(demo())
    items = [item["id"] for item in DEMO["items"] if "US" in item["prices"]][:8]

    # WHEN 8 threads each change their own item's US price 5 times
    def reprice(i: int) -> int:
        for step in range(1, 6):
            stores[i % 2].update_catalog(set_price(items[i], "US", 1000 + 10 * i + step))
        return i

    results = in_threads(8, reprice)
    # THEN every change landed: each item has its last price, the version counts 40
    assert results == list(range(8)), results
    after = stores[0].get_catalog()
    assert after is not None
    assert {i: item_of(after, i)["prices"]["US"] for i in items} == {
        item_id: 1000 + 10 * n + 5 for n, item_id in enumerate(items)
    }
    assert after["version"] == 1 + 40


def test_concurrent_price_changes_on_the_same_item_lose_no_update(backend: Backend) -> None:
    # GIVEN two processes on one shop, apples at 75 cents
    stores = [backend.open(), backend.open()]
    stores[0].seed_catalog(demo())

    def raise_by_one(doc: dict[str, Any]) -> dict[str, Any]:
        item_of(doc, "APPLE")["prices"]["US"] += 1
        return doc

    # WHEN 8 threads each raise the price by one cent, 5 times (read-modify-write)
    def bump(i: int) -> int:
        for _ in range(5):
            stores[i % 2].update_catalog(raise_by_one)
        return i

    results = in_threads(8, bump)
    # THEN all 40 raises landed
    assert results == list(range(8)), results
    after = stores[1].get_catalog()
    assert after is not None
    assert item_of(after, "APPLE")["prices"]["US"] == 75 + 40
    assert after["version"] == 41


def test_a_checkout_gets_the_catalog_as_it_is_at_checkout(backend: Backend) -> None:
    # GIVEN apples in Ada's cart, and then, from another process, apples sold out
    shop, staff = backend.open(), backend.open()
    shop.seed_catalog(demo())
    fill(shop, ADA, APPLE=2)
    staff.update_catalog(set_stock("APPLE", False))
    seen: list[dict[str, Any] | None] = []

    def recording(cart: Cart, number: int, catalog: dict[str, Any] | None) -> Order:
        seen.append(catalog)
        return make_order(cart, number, catalog)

    # WHEN Ada checks out
    shop.place_order(ADA, "yes-1", recording)
    # THEN the order factory was handed the catalog with the stock change
    assert len(seen) == 1 and seen[0] is not None
    assert seen[0]["version"] == 2
    assert item_of(seen[0], "APPLE")["in_stock"] is False


def test_a_checkout_in_a_shop_without_a_catalog_gets_none(store: Store) -> None:
    fill(store, ADA, apples=1)
    seen: list[dict[str, Any] | None] = []

    def recording(cart: Cart, number: int, catalog: dict[str, Any] | None) -> Order:
        seen.append(catalog)
        return make_order(cart, number, catalog)

    store.place_order(ADA, "yes-1", recording)
    assert seen == [None]


def test_a_checkout_racing_a_stock_change_is_placed_before_it_or_sees_it(
    backend: Backend,
) -> None:
    # GIVEN apples in Ada's cart, in two processes: the skill's and the shop owner's
    shop, staff = backend.open(), backend.open()
    shop.seed_catalog(demo())
    fill(shop, ADA, APPLE=2)
    in_factory, change_done = threading.Event(), threading.Event()
    calls: list[tuple[int, bool, bool]] = []  # (version seen, in stock, change done at return)

    def sold_out_aware(cart: Cart, number: int, catalog: dict[str, Any] | None) -> Order:
        assert catalog is not None
        if not calls:
            # The first build waits for the stock change, giving it every chance to
            # commit between the catalog read and the order's commit.
            in_factory.set()
            change_done.wait(timeout=0.5)
        in_stock = bool(item_of(catalog, "APPLE")["in_stock"])
        calls.append((catalog["version"], in_stock, change_done.is_set()))
        if not in_stock:
            raise EmptyCart("Apples are sold out.")
        return make_order(cart, number, catalog)

    def checkout(_: int) -> Order:
        return shop.place_order(ADA, "yes-1", sold_out_aware)

    def sell_out(_: int) -> dict[str, Any]:
        assert in_factory.wait(timeout=10)
        try:
            return staff.update_catalog(set_stock("APPLE", False))
        finally:
            change_done.set()

    # WHEN the checkout and the stock change run at once
    results = in_threads(2, lambda i: (checkout, sell_out)[i](i))
    # THEN the stock change landed
    assert isinstance(results[1], dict) and results[1]["version"] == 2, results
    last_version, last_in_stock, change_was_done = calls[-1]
    orders = shop.list_orders()
    if isinstance(results[0], Order):
        # EITHER the order was placed before the change: built from version 1, and
        # committed before the change could commit
        assert (last_version, last_in_stock, change_was_done) == (1, True, False), calls
        assert orders == [results[0]]
    else:
        # OR the order was built again from the changed catalog, which refused it
        assert isinstance(results[0], EmptyCart), results
        assert (last_version, last_in_stock) == (2, False), calls
        assert orders == []
        assert shop.get_cart(ADA).quantity_of("APPLE") == 2


def _demo_with(price: Any) -> str:
    doc = demo()
    item_of(doc, "APPLE")["prices"]["US"] = price
    return json.dumps(doc)


DAMAGED_CATALOGS: dict[str, tuple[str, int]] = {
    "not JSON": ('{"markets": ', 1),
    "a list, not a catalog": ("[]", 1),
    "a negative price": (_demo_with(-1), 1),
    "a fractional price": (_demo_with(1.5), 1),
    "a price in quotes": (_demo_with("99"), 1),
    "no markets": (json.dumps({k: v for k, v in DEMO.items() if k != "markets"}), 1),
    "a version inside the body": (json.dumps({**DEMO, "version": 3}), 1),
    "a version of zero": (json.dumps(DEMO), 0),
}


@pytest.mark.parametrize("damage", sorted(DAMAGED_CATALOGS))
def test_a_damaged_catalog_is_refused_and_left_as_it_is(
    backend: Backend, store: Store, damage: str
) -> None:
    # GIVEN a catalog record damaged past the store, and apples in Ada's cart
    fill(store, ADA, APPLE=1)
    backend.damage_catalog(*DAMAGED_CATALOGS[damage])
    changes: list[dict[str, Any]] = []

    def change(doc: dict[str, Any]) -> dict[str, Any]:
        changes.append(doc)
        return demo()

    # WHEN it is read, changed, or a checkout reads it
    # THEN each raises CorruptRecord, and nothing acts on the damaged record
    with pytest.raises(CorruptRecord):
        store.get_catalog()
    with pytest.raises(CorruptRecord):
        store.update_catalog(change)
    assert changes == []
    with pytest.raises(CorruptRecord):
        store.place_order(ADA, "yes-1", factory(ADA, "yes-1"))
    assert store.list_orders() == [] and store.get_cart(ADA).quantity_of("APPLE") == 1
    # AND seeding never replaces it, and it is still there, as damaged as before
    assert store.seed_catalog(demo()) is False
    with pytest.raises(CorruptRecord):
        store.get_catalog()


@pytest.mark.parametrize("backend", ["sqlite", "dynamodb"], indirect=True)
def test_the_catalog_survives_reopening_the_store(backend: Backend) -> None:
    first = backend.open()
    first.seed_catalog(demo())
    changed = first.update_catalog(set_price("APPLE", "US", 99))
    first.close()
    again = backend.open()
    assert again.get_catalog() == changed
    assert again.update_catalog(set_stock("APPLE", False))["version"] == 3


@pytest.mark.parametrize("backend", ["dynamodb"], indirect=True)
def test_a_catalog_too_big_for_one_dynamodb_item_is_refused(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a DynamoDB store whose item limit the demo catalog exceeds
    from skill.domain.catalog import CatalogError
    from skill.store import dynamodb

    store = backend.open()
    store.seed_catalog(demo())
    monkeypatch.setattr(dynamodb, "MAX_CATALOG_BYTES", 1000)
    # WHEN a change is written / THEN it is refused, saying why, and nothing is written
    with pytest.raises(CatalogError, match="more than the 1 KB one DynamoDB item"):
        store.update_catalog(set_price("APPLE", "US", 99))
    assert store.get_catalog() == {**DEMO, "version": 1}


# -- an order's "ready" notification state -------------------------------------------------
FAILED = OrderNotification("failed", "HTTP 503 from the Proactive Events API after 4 attempts", NOW)
SENT = OrderNotification("sent", "accepted by Alexa (attempt 1)", NOW)


def place(store: Store, user_id: str = ADA) -> Order:
    fill(store, user_id, APPLE=2)
    return store.place_order(user_id, "", factory(user_id))


def test_a_notification_state_is_kept_on_the_order_for_every_store_object(
    backend: Backend,
) -> None:
    # GIVEN a ready order
    store = backend.open()
    number = place(store).number
    store.set_order_status(number, OrderStatus.READY)
    # WHEN its notification is recorded as failed (by the notifier's process)
    store.set_order_notification(number, FAILED)
    # THEN another store object (another process) reads it on the order, status unchanged
    other = backend.open()
    [listed] = other.list_orders()
    assert (listed.status, listed.notification) == (OrderStatus.READY, FAILED)
    last = other.last_order(ADA)
    assert last is not None and last.notification == FAILED
    # AND a status change there keeps it, and is seen here
    assert other.set_order_status(number, OrderStatus.COLLECTED).notification == FAILED
    [seen] = store.list_orders()
    assert (seen.status, seen.notification) == (OrderStatus.COLLECTED, FAILED)
    # AND a later state replaces it, changing nothing else
    store.set_order_notification(number, SENT)
    assert other.list_orders() == [seen.with_notification(SENT)]


def test_a_notification_for_no_such_order_is_refused_and_writes_nothing(store: Store) -> None:
    with pytest.raises(OrderNotFound):
        store.set_order_notification(4242, FAILED)
    assert store.list_orders() == []


def test_a_customers_cancel_keeps_the_notification_state(store: Store) -> None:
    number = place(store).number
    store.set_order_notification(number, FAILED)  # any status may carry one
    assert store.cancel_order(ADA, number).notification == FAILED
    [order] = store.list_orders()
    assert (order.status, order.notification) == (OrderStatus.CANCELLED, FAILED)


def test_status_changes_and_notification_writes_racing_each_other_all_land(
    backend: Backend,
) -> None:
    # GIVEN six ready orders
    setup = backend.open()
    numbers = [place(setup).number for _ in range(6)]
    for number in numbers:
        setup.set_order_status(number, OrderStatus.READY)
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def run(work: Callable[[Store, int], Any]) -> None:
        store = backend.open()  # each thread its own store object, as two processes
        start.wait()
        try:
            for number in numbers:
                work(store, number)
        except BaseException as exc:  # reported below
            failures.append(exc)

    # WHEN staff collect them while the notifier records each outcome
    threads = [
        threading.Thread(
            target=run, args=(lambda s, n: s.set_order_status(n, OrderStatus.COLLECTED),)
        ),
        threading.Thread(target=run, args=(lambda s, n: s.set_order_notification(n, SENT),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # THEN neither undid the other
    assert failures == []
    assert {(o.status, o.notification) for o in backend.open().list_orders()} == {
        (OrderStatus.COLLECTED, SENT)
    }


def test_a_damaged_notification_state_is_refused(backend: Backend, store: Store) -> None:
    order = place(store)
    body = {**order.to_data(), "notification": {"status": "lost", "detail": "", "at": "x"}}
    backend.damage_order(order.number, json.dumps(body))
    with pytest.raises(CorruptRecord):
        store.list_orders()


@pytest.mark.parametrize("backend", ["dynamodb"], indirect=True)
def test_dynamodb_a_status_change_never_writes_back_an_old_notification_state(
    backend: Backend, moto: MotoDynamoDB
) -> None:
    """The notifier's write landing between a status change's read and its write (the
    race a shared body would lose): the status change's update must leave it alone."""
    other = backend.open()
    number = place(other).number
    other.set_order_status(number, OrderStatus.READY)
    table = other.table  # type: ignore[attr-defined]

    class Racing(DynamoDBStore):
        race: Callable[[], None] | None = None

        def _get(self, key: Any, what: str) -> Any:
            item = super()._get(key, what)
            if what == "read an order" and self.race is not None:
                race, self.race = self.race, None
                race()  # after the read, before the conditional update
            return item

    racing = Racing(moto.client(), table)
    try:
        racing.race = lambda: other.set_order_notification(number, FAILED)
        moved = racing.set_order_status(number, OrderStatus.COLLECTED)
    finally:
        racing.close()
    assert moved.status is OrderStatus.COLLECTED
    [order] = other.list_orders()
    assert (order.status, order.notification) == (OrderStatus.COLLECTED, FAILED)
    # and the item keeps the state in its own attribute, not in the body
    item = moto.client(patient=True).get_item(
        TableName=table, Key={"pk": {"S": "SHOP#main"}, "sk": {"S": f"ORDER#{number:010d}"}}
    )["Item"]
    assert "notification" not in json.loads(item["body"]["S"])
    assert json.loads(item["notification"]["S"]) == FAILED.to_data()
