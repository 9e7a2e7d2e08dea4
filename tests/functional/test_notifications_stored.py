"""A "ready" notification's outcome, kept on the order in the store for every dashboard.

The notifier runs against the real HTTP fakes of Login with Amazon and the events API
(tests/functional/test_notifications.py's, on 127.0.0.1) and writes each state to a
SQLite store; a *second* store object on the same file (another process: a web worker,
or the service after a restart) reads it back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from test_notifications import USER, Answer, FakeApi, _token, make_order

from skill.domain.cart import Cart
from skill.domain.orders import Order, OrderNotification, OrderStatus
from skill.errors import StoreError
from skill.notifications import (
    NotificationRegistry,
    NotificationSettings,
    Notifier,
    Region,
    order_ready_hook,
)
from skill.shop_actions import move_order
from skill.store.sqlite import SQLiteStore

NOW = datetime(2026, 11, 27, 10, 15, 30, tzinfo=UTC)


@pytest.fixture
def lwa() -> Iterator[FakeApi]:
    api = FakeApi(_token)
    yield api
    api.close()


@pytest.fixture
def events() -> Iterator[FakeApi]:
    api = FakeApi(lambda n: Answer(503))  # the events API is down
    yield api
    api.close()


@pytest.fixture
def settings(lwa: FakeApi, events: FakeApi) -> NotificationSettings:
    return NotificationSettings(
        "amzn1.application-oa2-client.abc123",
        "a-secret",
        token_url=f"{lwa.url}/auth/o2/token",
        api_hosts=dict.fromkeys(Region, events.url),
        timeout=2.0,
        attempts=3,
        backoff=0.0,
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "shop.db"


@pytest.fixture
def stores(path: Path) -> Iterator[Callable[[], SQLiteStore]]:
    opened: list[SQLiteStore] = []

    def open_store() -> SQLiteStore:
        store = SQLiteStore(path)
        opened.append(store)
        return store

    yield open_store
    for store in opened:
        store.close()


@pytest.fixture
def logged() -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("cornershop")
    handler, level = Keep(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(level)


def placed(store: SQLiteStore) -> Order:
    """A real order in ``store``, placed as a checkout places it."""
    store.update_cart(USER, lambda cart: Cart.from_lines({"apple": 2}))

    def make(cart: Cart, number: int, *catalog: Any) -> Order:
        return replace(make_order(number), status=OrderStatus.PLACED)

    return store.place_order(USER, "req-checkout", make)


def test_a_failed_notification_is_stored_on_the_order_for_another_process(
    settings: NotificationSettings,
    events: FakeApi,
    stores: Callable[[], SQLiteStore],
    logged: list[logging.LogRecord],
) -> None:
    # GIVEN the shop's process, whose notifier keeps its outcomes in the shop's store
    shop = stores()
    order = placed(shop)
    hook = order_ready_hook(settings, registry=NotificationRegistry(), store=shop)
    assert hook is not None
    # WHEN staff mark the order ready and the events API keeps failing
    move_order(shop, order.number, OrderStatus.READY, actor="ada", on_change=[hook])
    assert hook.notifier.flush(timeout=20)
    hook.close(timeout=5)
    assert len(events.requests()) == 3
    # THEN another process, which sent nothing and has no registry of it, reads the
    # failure on the order: the reason, and when
    elsewhere = stores()
    [seen] = elsewhere.list_orders()
    assert seen.status is OrderStatus.READY
    assert seen.notification is not None
    assert seen.notification.status == "failed"
    assert seen.notification.detail == "HTTP 503 from the Proactive Events API after 3 attempts"
    assert seen.notification.at.tzinfo is not None
    # AND nothing of the customer's is in the state, or in any log line
    assert USER not in seen.notification.detail
    assert all(USER not in r.getMessage() for r in logged)


def test_the_state_is_pending_while_the_event_is_in_flight(
    settings: NotificationSettings, events: FakeApi, stores: Callable[[], SQLiteStore]
) -> None:
    shop = stores()
    order = placed(shop)
    release = threading.Event()
    events.script = [Answer(202, hold=release)]
    hook = order_ready_hook(settings, registry=NotificationRegistry(), store=shop)
    assert hook is not None
    elsewhere = stores()
    try:
        move_order(shop, order.number, OrderStatus.READY, actor="ada", on_change=[hook])
        for _ in range(250):  # bounded wait until the worker has sent it
            if events.requests():
                break
            threading.Event().wait(0.02)
        # the worker stored "pending" before its first attempt
        [seen] = elsewhere.list_orders()
        assert seen.notification is not None and seen.notification.status == "pending"
    finally:
        release.set()
    assert hook.notifier.flush(timeout=10)
    hook.close(timeout=5)
    [seen] = elsewhere.list_orders()
    assert seen.notification is not None and seen.notification.status == "sent"


class BrokenMarks(SQLiteStore):
    """A store whose notification writes fail (the rest works)."""

    def set_order_notification(self, number: int, notification: OrderNotification) -> None:
        raise StoreError(f"Corner Shop could not use its SQLite database at {self.path}: disk I/O.")


def test_a_store_that_cannot_keep_the_state_never_blocks_or_stops_the_notifier(
    settings: NotificationSettings, path: Path, logged: list[logging.LogRecord]
) -> None:
    store = BrokenMarks(path)
    try:
        order = placed(store)
        registry = NotificationRegistry()
        notifier = Notifier(settings, registry=registry, marks=store)
        notifier.submit(order.with_status(OrderStatus.READY))
        assert notifier.flush(timeout=20)
        # the outcome is still known in this process, and logged as usual
        record = registry.get(order.number)
        assert record is not None and record.status == "failed"
        # the store's failure is one more log line: order number and error type only
        lines = [r.getMessage() for r in logged if r.levelno >= logging.WARNING]
        stored = "the ready notification's state (failed) could not be stored: StoreError"
        assert f"order {order.number}: {stored}" in lines
        assert all(str(path) not in line and USER not in line for line in lines)
        # and the notifier keeps going: the next order is tried too
        notifier.submit(replace(order, number=order.number + 1).with_status(OrderStatus.READY))
        assert notifier.flush(timeout=20)
        assert registry.get(order.number + 1) is not None
        notifier.close(timeout=5)
    finally:
        store.close()


def test_without_a_store_nothing_is_written(
    settings: NotificationSettings, stores: Callable[[], SQLiteStore]
) -> None:
    # A store that cannot keep marks (or none given) is not used: this process only.
    shop = stores()
    order = placed(shop)
    hook = order_ready_hook(settings, registry=NotificationRegistry(), store=object())
    assert hook is not None and hook.notifier.marks is None
    move_order(shop, order.number, OrderStatus.READY, actor="ada", on_change=[hook])
    assert hook.notifier.flush(timeout=20)
    hook.close(timeout=5)
    assert stores().list_orders()[0].notification is None
