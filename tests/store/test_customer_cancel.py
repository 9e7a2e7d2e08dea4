"""A customer's "cancel my order" in every store: ``Store.cancel_order(user_id, number)``.

Each test runs on memory, SQLite (a file under tmp_path; every ``open()`` is another
store object, with its own connection, on the same file) and DynamoDB (boto3 over
HTTP to a moto server on 127.0.0.1 that serves one request at a time, a fresh table
per test). The rule (skill/store/base.py): only the order's own customer, only while
it is placed, checked in the same atomic write as the cancel; the shop's own path
(``set_order_status``) keeps its rules. A cancel racing the shop's "ready" ends in
exactly one of the two; ``cornershop orders`` and the dashboards' feed show it.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

import pytest
from _orders import make_order as _make_order
from _servers import MotoDynamoDB

from skill.domain.cart import Cart
from skill.domain.orders import Order, OrderStatus
from skill.errors import (
    CorruptRecord,
    DomainError,
    InvalidStatusChange,
    OrderNotCancellable,
    OrderNotFound,
    StoreError,
)
from skill.store.base import Store
from skill.store.dynamodb import DynamoDBStore
from skill.store.memory import MemoryStore
from skill.store.sqlite import SQLiteStore

T = TypeVar("T")

ADA = "amzn1.ask.account.ADA-CANCEL-TEST"
BOB = "amzn1.ask.account.BOB-CANCEL-TEST"
NOW = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)
#: Orders here carry a pickup time, as the checkout's do.
make_order = partial(_make_order, pickup_at=NOW)
#: Rounds of the threaded race per backend: enough to interleave, bounded in time.
RACE_ROUNDS = {"memory": 40, "sqlite": 25, "dynamodb": 12}

#: The shared moto server, table and fault-proxy fixtures (tests/store/_fixtures.py).
pytest_plugins = ["_fixtures"]


# -- fixtures ------------------------------------------------------------------


class Backend:
    """Opens stores of one kind on the same data (each open: another store object)."""

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
        return
    if request.param == "sqlite":
        path = tmp_path / "shop.db"
        backend = Backend("sqlite", lambda: SQLiteStore(path))
        yield backend
        for store in backend.opened:
            store.close()
        return
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


def adding(item_id: str, quantity: int) -> Callable[[Cart], Cart]:
    return lambda cart: cart.add(item_id, quantity)


def place(store: Store, user_id: str = ADA, **lines: int) -> Order:
    for item_id, quantity in (lines or {"APPLE": 2}).items():
        store.update_cart(user_id, adding(item_id, quantity))
    return store.place_order(user_id, "", make_order(user_id))


def in_threads(count: int, work: Callable[[int], T]) -> list[T | BaseException]:
    """Run ``work(i)`` on ``count`` threads released together; results or exceptions, by i."""
    results: list[T | BaseException] = [RuntimeError("did not run")] * count
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait(timeout=30)
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


# -- the rule --------------------------------------------------------------------
def test_a_customer_cancels_their_placed_order(store: Store) -> None:
    # GIVEN Ada's placed order
    order = place(store, APPLE=2, MILK=1)
    # WHEN she cancels it
    cancelled = store.cancel_order(ADA, order.number)
    # THEN it is the same order, cancelled, and that is what the store holds
    assert cancelled == order.with_status(OrderStatus.CANCELLED)
    assert store.last_order(ADA) == cancelled
    assert store.list_orders() == [cancelled]


def test_another_customers_order_cannot_be_cancelled_and_is_not_revealed(store: Store) -> None:
    # GIVEN Bob's placed order
    bobs = place(store, BOB)
    # WHEN Ada tries to cancel it (a forged number in her session, say)
    with pytest.raises(OrderNotFound) as raised:
        store.cancel_order(ADA, bobs.number)
    # THEN she is told there is no such order of hers, exactly as for a number nobody
    # has, and Bob's order is untouched
    assert raised.value.number == bobs.number
    assert "belongs to another customer" in str(raised.value)
    assert store.last_order(BOB) == bobs
    with pytest.raises(OrderNotFound) as unknown:
        store.cancel_order(ADA, 4242)
    assert str(unknown.value) == str(raised.value).replace(str(bobs.number), "4242")


def test_an_unknown_order_number_is_order_not_found(store: Store) -> None:
    # GIVEN a shop with one order of Ada's
    order = place(store)
    # WHEN she cancels a number that does not exist / THEN OrderNotFound, nothing changed
    with pytest.raises(OrderNotFound) as raised:
        store.cancel_order(ADA, order.number + 1)
    assert raised.value.number == order.number + 1
    assert isinstance(raised.value, StoreError)  # the hierarchy the boundaries know
    assert store.list_orders() == [order]


@pytest.mark.parametrize(
    ("path", "status", "said"),
    [
        ([OrderStatus.READY], OrderStatus.READY, "is ready, so the customer can no longer"),
        (
            [OrderStatus.READY, OrderStatus.COLLECTED],
            OrderStatus.COLLECTED,
            "was collected, so it can no longer be cancelled",
        ),
        ([OrderStatus.CANCELLED], OrderStatus.CANCELLED, "is already cancelled"),
    ],
)
def test_an_order_past_placed_is_not_cancellable_and_says_its_status(
    store: Store, path: list[OrderStatus], status: OrderStatus, said: str
) -> None:
    # GIVEN Ada's order moved along ``path`` by the shop
    order = place(store)
    for step in path:
        order = store.set_order_status(order.number, step)
    # WHEN she cancels it
    with pytest.raises(OrderNotCancellable, match=said) as raised:
        store.cancel_order(ADA, order.number)
    # THEN the error carries the number and the status, and the order is as it was
    assert (raised.value.number, raised.value.status) == (order.number, status)
    assert isinstance(raised.value, DomainError)
    assert f"Order {order.number} " in str(raised.value)
    assert store.list_orders() == [order]


def test_the_shop_may_still_cancel_a_ready_order(store: Store) -> None:
    # GIVEN a ready order, which its customer can no longer cancel
    order = store.set_order_status(place(store).number, OrderStatus.READY)
    with pytest.raises(OrderNotCancellable):
        store.cancel_order(ADA, order.number)
    # WHEN the shop cancels it (its own path keeps its rules) / THEN it is cancelled
    cancelled = store.set_order_status(order.number, OrderStatus.CANCELLED)
    assert cancelled.status is OrderStatus.CANCELLED
    assert store.last_order(ADA) == cancelled


def test_after_a_customer_cancel_the_shop_cannot_make_it_ready(store: Store) -> None:
    # GIVEN Ada cancelled her order
    cancelled = store.cancel_order(ADA, place(store).number)
    # WHEN the shop marks it ready / THEN refused, and it stays cancelled
    with pytest.raises(InvalidStatusChange, match="was cancelled, so it cannot become ready"):
        store.set_order_status(cancelled.number, OrderStatus.READY)
    assert store.list_orders() == [cancelled]


def test_only_the_named_order_is_cancelled(store: Store) -> None:
    # GIVEN two orders of Ada's and one of Bob's
    first, second = place(store, APPLE=1), place(store, MILK=1)
    bobs = place(store, BOB, EGGS=1)
    # WHEN Ada cancels her first
    store.cancel_order(ADA, first.number)
    # THEN only that one is cancelled
    statuses = {o.number: o.status for o in store.list_orders()}
    assert statuses == {
        first.number: OrderStatus.CANCELLED,
        second.number: OrderStatus.PLACED,
        bobs.number: OrderStatus.PLACED,
    }


def test_a_damaged_order_is_refused_and_left_as_it_is(backend: Backend, tmp_path: Path) -> None:
    # GIVEN Ada's order whose stored total no longer adds up (a bad hand edit)
    store = backend.open()
    order = place(store)
    damaged = {**order.to_data(), "total": 1}
    _damage_order(store, order.number, json.dumps(damaged), tmp_path)
    # WHEN she cancels it / THEN CorruptRecord, and the record is exactly as it was
    with pytest.raises(CorruptRecord):
        store.cancel_order(ADA, order.number)
    with pytest.raises(CorruptRecord):
        store.list_orders()
    assert _stored_status(store, order.number, tmp_path) == "placed"


def _damage_order(store: Store, number: int, body: str, tmp_path: Path) -> None:
    if isinstance(store, MemoryStore):
        store._orders[number] = (store._orders[number][0], json.loads(body))
    elif isinstance(store, SQLiteStore):
        db = sqlite3.connect(tmp_path / "shop.db")
        with db:
            db.execute("UPDATE orders SET body = ? WHERE number = ?", (body, number))
        db.close()
    else:
        assert isinstance(store, DynamoDBStore)
        store.client.update_item(
            TableName=store.table,
            Key={"pk": {"S": "SHOP#main"}, "sk": {"S": f"ORDER#{number:010d}"}},
            UpdateExpression="SET body = :body",
            ExpressionAttributeValues={":body": {"S": body}},
        )


def _stored_status(store: Store, number: int, tmp_path: Path) -> str:
    if isinstance(store, MemoryStore):
        return str(store._orders[number][1]["status"])
    if isinstance(store, SQLiteStore):
        db = sqlite3.connect(tmp_path / "shop.db")
        row = db.execute("SELECT status, body FROM orders WHERE number = ?", (number,)).fetchone()
        db.close()
        assert json.loads(row[1])["status"] == row[0]
        return str(row[0])
    assert isinstance(store, DynamoDBStore)
    item = store.client.get_item(
        TableName=store.table,
        Key={"pk": {"S": "SHOP#main"}, "sk": {"S": f"ORDER#{number:010d}"}},
        ConsistentRead=True,
    )["Item"]
    assert json.loads(item["body"]["S"])["status"] == item["status"]["S"]
    return str(item["status"]["S"])


# -- the race ----------------------------------------------------------------------
def test_a_cancel_racing_the_shops_ready_ends_in_exactly_one_of_the_two(
    backend: Backend,
) -> None:
    # GIVEN the skill and the shop, each with its own store object (SQLite: its own
    # connection; DynamoDB: its own client) on the same data
    skill, shop = backend.open(), backend.open()
    outcomes: dict[str, int] = {"cancelled": 0, "ready": 0}
    jitter = random.Random(11)
    for _ in range(RACE_ROUNDS[backend.name]):
        order = place(skill)

        # WHEN the customer's cancel and the shop's "ready" are released together
        # (each after a random pause of up to 2 ms, so either may go first)
        def race(i: int, n: int = order.number) -> Order:
            time.sleep(jitter.uniform(0, 0.002))
            if i == 0:
                return skill.cancel_order(ADA, n)
            return shop.set_order_status(n, OrderStatus.READY)

        cancel, ready = in_threads(2, race)
        stored = shop.last_order(ADA)
        assert stored is not None and stored.number == order.number
        # THEN exactly one of them happened, the other was refused with its own error,
        # and the store holds the winner's status
        if isinstance(cancel, Order):
            assert isinstance(ready, InvalidStatusChange), ready
            assert "was cancelled, so it cannot become ready" in str(ready)
            assert cancel == stored == order.with_status(OrderStatus.CANCELLED)
        else:
            assert isinstance(cancel, OrderNotCancellable), cancel
            assert cancel.status is OrderStatus.READY
            assert ready == stored == order.with_status(OrderStatus.READY)
        outcomes[stored.status.value] += 1
    print(f"{backend.name}: race outcomes {outcomes}")  # both happen; which is up to timing
    assert sum(outcomes.values()) == RACE_ROUNDS[backend.name]


def test_a_cancel_that_waited_for_the_shops_transaction_sees_its_result(tmp_path: Path) -> None:
    # GIVEN the shop's write transaction open on another connection, marking the
    # order ready, and committing 0.3 s later (the skill's store waits up to 30 s
    # for the write lock, so only the commit can let it go on)
    skill = SQLiteStore(tmp_path / "shop.db", busy_timeout_ms=30_000)
    order = place(skill)
    ready = order.with_status(OrderStatus.READY)
    shop = sqlite3.connect(tmp_path / "shop.db", isolation_level=None, check_same_thread=False)
    shop.execute("BEGIN IMMEDIATE")
    shop.execute(
        "UPDATE orders SET status = 'ready', body = ? WHERE number = ?",
        (json.dumps(ready.to_data()), order.number),
    )
    result: list[Order | BaseException] = []

    def cancel() -> None:
        try:
            result.append(skill.cancel_order(ADA, order.number))
        except BaseException as exc:
            result.append(exc)

    # WHEN the customer cancels meanwhile
    worker = threading.Thread(target=cancel)
    worker.start()
    time.sleep(0.3)
    assert not result, "the cancel must wait for the shop's write lock"
    shop.execute("COMMIT")
    shop.close()
    worker.join(timeout=10)
    assert not worker.is_alive()
    # THEN it read the order after the shop's commit: too late, and it stays ready
    assert len(result) == 1 and isinstance(result[0], OrderNotCancellable), result
    assert result[0].status is OrderStatus.READY
    assert skill.last_order(ADA) == ready
    skill.close()


# -- what the shop sees ------------------------------------------------------------
def test_cornershop_orders_shows_the_customers_cancel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from skill.cli import main

    # GIVEN a shop on SQLite with Ada's order, which she cancelled through the store
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert main(["store", "init", "--store", url]) == 0
    skill = SQLiteStore(tmp_path / "shop.db")
    order = place(skill, APPLE=2)
    skill.cancel_order(ADA, order.number)
    skill.close()
    capsys.readouterr()
    # WHEN the shop lists its orders
    assert main(["orders", "--store", url]) == 0
    table = capsys.readouterr().out
    assert main(["orders", "--json", "--store", url]) == 0
    listed = json.loads(capsys.readouterr().out)
    # THEN the order's row says cancelled, in both forms
    row = next(line for line in table.splitlines() if line.split()[0] == str(order.number))
    assert row.split()[1] == "cancelled"
    assert (listed["number"], listed["status"]) == (order.number, "cancelled")
    # AND the shop cannot move it along any more: the CLI says why, exit 2
    assert main(["orders", "ready", str(order.number), "--store", url]) == 2
    assert "was cancelled, so it cannot become ready" in capsys.readouterr().err


def test_the_dashboards_feed_announces_a_customers_cancel(store: Store) -> None:
    from skill.dashboard.feed import ChangeFeed

    # GIVEN a dashboard's feed that has read the shop's orders once (its baseline)
    order = place(store)
    feed = ChangeFeed(lambda: store.list_orders(limit=200), idle_after=0.0)
    try:
        feed.poll()
        cursor = feed.cursor()
        # WHEN the customer cancels, and the feed polls the store again (as its
        # poller does every half second while a dashboard listens)
        store.cancel_order(ADA, order.number)
        feed.poll()
        batch = feed.wait(cursor, timeout=0.0)
    finally:
        feed.close()
    # THEN the dashboards get the order, cancelled, without the customer's id
    assert [e["order"]["status"] for e in batch.events] == ["cancelled"]
    assert batch.events[0]["order"]["number"] == order.number
    assert "user_id" not in batch.events[0]["order"]
    assert ADA not in json.dumps(batch.events[0])
