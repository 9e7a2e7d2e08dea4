"""The SQLite store: the default, for one machine.

Schema (created on open, never at import)::

    carts(user_id TEXT PK, lines TEXT JSON, version INT, updated_at TEXT)
    orders(number INT PK, user_id TEXT, status TEXT, created_at TEXT, body TEXT JSON)
        index orders_by_user(user_id, number)
    counters(name TEXT PK, value INT)            -- "order_number"
    checkouts(request_id TEXT PK, order_number INT, created_at TEXT)

Every write runs in ``BEGIN IMMEDIATE``, which takes SQLite's write lock before
reading, so a read-modify-write can't interleave with another one: concurrent
adds all land, and two checkouts of one cart make one order. WAL mode lets
readers go on while a writer holds the lock. One database file holds one shop.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from skill.domain.cart import Cart
from skill.errors import EmptyCart, OrderNotFound, StoreError
from skill.store.base import CartChange, OrderFactory

if TYPE_CHECKING:
    from skill.domain.orders import Order, OrderStatus


def _order(body: str) -> Order:
    # Orders load lazily: most requests (and every cold start) only touch carts.
    from skill.domain.orders import Order

    return Order.from_data(json.loads(body))


T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS carts (
    user_id TEXT PRIMARY KEY, lines TEXT NOT NULL, version INTEGER NOT NULL,
    updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    number INTEGER PRIMARY KEY, user_id TEXT NOT NULL, status TEXT NOT NULL,
    created_at TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_by_user ON orders(user_id, number);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS checkouts (
    request_id TEXT PRIMARY KEY, order_number INTEGER NOT NULL, created_at TEXT NOT NULL);
"""

_FAILED = (
    "Corner Shop could not use its SQLite database at {path}: {reason}. "
    "Check that the file is writable and not locked by another program."
)


class SQLiteStore:
    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 2000) -> None:
        self.path = str(path)
        self._busy_ms = busy_timeout_ms
        self._local = threading.local()
        if self.path != ":memory:":
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(_FAILED.format(path=self.path, reason=exc)) from exc
        try:
            self._conn().executescript(_SCHEMA)  # its own implicit transaction
        except sqlite3.Error as exc:
            raise StoreError(_FAILED.format(path=self.path, reason=exc)) from exc

    # -- connection handling -------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {int(self._busy_ms)}")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            except sqlite3.Error as exc:
                raise StoreError(_FAILED.format(path=self.path, reason=exc)) from exc
            self._local.conn = conn
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(_FAILED.format(path=self.path, reason=exc)) from exc
        try:
            yield conn
        except BaseException:
            _rollback(conn)
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(conn)
            raise StoreError(_FAILED.format(path=self.path, reason=exc)) from exc

    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return fn(self._conn())
        except (sqlite3.Error, UnicodeEncodeError) as exc:
            raise StoreError(_FAILED.format(path=self.path, reason=exc)) from exc

    def _guard_write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            with self._write() as db:
                return fn(db)
        except (sqlite3.Error, UnicodeEncodeError) as exc:
            raise StoreError(_FAILED.format(path=self.path, reason=exc)) from exc

    # -- carts ---------------------------------------------------------------
    @staticmethod
    def _load_cart(db: sqlite3.Connection, user_id: str) -> tuple[Cart, int]:
        row = db.execute(
            "SELECT lines, version FROM carts WHERE user_id = ?", (user_id,)
        ).fetchone()
        if row is None:
            return Cart(), 0
        return Cart.from_data(json.loads(row[0])), int(row[1])

    @staticmethod
    def _save_cart(db: sqlite3.Connection, user_id: str, cart: Cart, version: int) -> None:
        db.execute(
            "INSERT INTO carts(user_id, lines, version, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(user_id) DO UPDATE SET lines = excluded.lines, "
            "version = excluded.version, updated_at = excluded.updated_at",
            (user_id, json.dumps(cart.to_data()), version + 1, _now()),
        )

    def get_cart(self, user_id: str) -> Cart:
        return self._read(lambda db: self._load_cart(db, user_id)[0])

    def update_cart(self, user_id: str, change: CartChange) -> Cart:
        def apply(db: sqlite3.Connection) -> Cart:
            cart, version = self._load_cart(db, user_id)
            new = change(cart)
            self._save_cart(db, user_id, new, version)
            return new

        return self._guard_write(apply)

    # -- orders --------------------------------------------------------------
    def place_order(self, user_id: str, request_id: str, make_order: OrderFactory) -> Order:
        def apply(db: sqlite3.Connection) -> Order:
            done = db.execute(
                "SELECT o.body FROM checkouts c JOIN orders o ON o.number = c.order_number "
                "WHERE c.request_id = ?",
                (request_id,),
            ).fetchone()
            if done is not None:
                return _order(done[0])
            cart, version = self._load_cart(db, user_id)
            if cart.is_empty:
                raise EmptyCart("The cart is empty, so there is nothing to check out.")
            from skill.domain.orders import FIRST_ORDER_NUMBER

            row = db.execute("SELECT value FROM counters WHERE name = 'order_number'").fetchone()
            number = int(row[0]) + 1 if row else FIRST_ORDER_NUMBER
            order = make_order(cart, number)
            db.execute(
                "INSERT INTO counters(name, value) VALUES ('order_number', ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (number,),
            )
            db.execute(
                "INSERT INTO orders(number, user_id, status, created_at, body) VALUES (?,?,?,?,?)",
                (
                    order.number,
                    user_id,
                    order.status.value,
                    order.created_at.isoformat(),
                    json.dumps(order.to_data()),
                ),
            )
            db.execute(
                "INSERT INTO checkouts(request_id, order_number, created_at) VALUES (?, ?, ?)",
                (request_id, order.number, _now()),
            )
            self._save_cart(db, user_id, Cart(), version)
            return order

        return self._guard_write(apply)

    def last_order(self, user_id: str) -> Order | None:
        def read(db: sqlite3.Connection) -> Order | None:
            row = db.execute(
                "SELECT body FROM orders WHERE user_id = ? ORDER BY number DESC LIMIT 1",
                (user_id,),
            ).fetchone()
            return _order(row[0]) if row else None

        return self._read(read)

    def list_orders(self, limit: int = 20) -> list[Order]:
        rows = self._read(
            lambda db: db.execute(
                "SELECT body FROM orders ORDER BY number DESC LIMIT ?", (limit,)
            ).fetchall()
        )
        return [_order(r[0]) for r in rows]

    def set_order_status(self, number: int, status: OrderStatus) -> Order:
        def apply(db: sqlite3.Connection) -> Order:
            row = db.execute("SELECT body FROM orders WHERE number = ?", (number,)).fetchone()
            if row is None:
                raise OrderNotFound(number)
            order = _order(row[0]).with_status(status)
            db.execute(
                "UPDATE orders SET status = ?, body = ? WHERE number = ?",
                (order.status.value, json.dumps(order.to_data()), number),
            )
            return order

        return self._guard_write(apply)

    def ping(self) -> None:
        self._read(lambda db: db.execute("SELECT 1 FROM counters LIMIT 1").fetchall())

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _rollback(conn: sqlite3.Connection) -> None:
    # A failed COMMIT may already have ended the transaction; that is fine.
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _now() -> str:
    return datetime.now(UTC).isoformat()
