"""The SQLite store: the default, for one machine.

Schema version 4 (``PRAGMA user_version``), created by the first open that may
create (``cornershop store init``, or any open with ``create=True``)::

    carts(user_id TEXT PK, lines TEXT JSON, version INT, updated_at TEXT,
          request_ids TEXT JSON)          -- the last 16 request ids applied to the cart
    orders(number INT PK, user_id TEXT, status TEXT, created_at TEXT, body TEXT JSON)
        index orders_by_user(user_id, number)
                                          -- body: Order.to_data(), with the state of
                                          -- its "ready" notification once there is one
    counters(name TEXT PK, value INT)     -- "order_number"
    checkouts(user_id TEXT, request_id TEXT, order_number INT, created_at TEXT,
              PRIMARY KEY (user_id, request_id))
    catalog(id INT PK CHECK (id = 1), version INT, body TEXT JSON, updated_at TEXT)
                                          -- the shop's one catalog document (version 2)
    staff(name TEXT PK, password_hash TEXT, created_at TEXT)
                                          -- the dashboard's accounts (version 3)
    secrets(name TEXT PK, value TEXT, created_at TEXT)
                                          -- "session": the dashboard's cookie key (version 3)
    revoked_sessions(digest TEXT PK, until REAL)
                                          -- logged-out dashboard sessions, by digest, until
                                          -- they would have expired anyway (version 4)

Older databases are migrated on open, in one transaction. Version 3 gains the empty
``revoked_sessions`` table (sessions logged out before it were revoked only in the
process that served the logout, and end with their lifetime). Version 2 gains the empty
``staff`` and ``secrets`` tables (the session secret is made on first use). Version 1
also gains the empty ``catalog`` table (the shop has no catalog of its own until ``cornershop
store init`` seeds it or one is imported; until then the skill serves the bundled
demo catalog). Version 0 (Corner Shop before ``user_version`` was set: no
``carts.request_ids``, ``checkouts`` keyed by request id alone) also gets the
column, and each checkout record gets the user of its order. Records of the old
``no-id:<user>`` fallback (checkouts that had no request id) are dropped: a
checkout without a request id records nothing now.
One database file holds one shop.

Every write runs in ``BEGIN IMMEDIATE``, which takes SQLite's write lock before
reading, so a read-modify-write can't interleave with another one: concurrent
adds all land, and two checkouts of one cart make one order. WAL mode lets
readers go on while a writer holds the lock.

The file under a running store
==============================
SQLite keeps writing to the file it opened even after that file is unlinked or
renamed away, and in WAL mode the commits go to ``PATH-wal``: a deleted database
goes on confirming orders that no restart will see, and a database *replaced* by
another file gets the old file's WAL frames replayed over it at the next open.
So the store records the file's identity (``st_dev``, ``st_ino``) when it opens,
and checks that ``PATH`` still names that file:

* before every read, and before opening a connection (a new thread never opens
  the file that replaced ours);
* inside every write transaction just before ``COMMIT``, together with the
  identity of ``PATH-wal`` and ``PATH-shm`` this connection uses, so a write never
  lands in an unlinked file: it is rolled back instead;
* in :meth:`SQLiteStore.ping`, so ``/healthz`` answers 503.

(A path that names the file has a link count of at least 1; an unlinked file,
link count 0, shows as a missing path.) On the first failed check the store
refuses everything from then on with :class:`~skill.errors.StoreError`, and folds
its WAL into the file it holds with ``PRAGMA wal_checkpoint(TRUNCATE)``. That
empties the ``-wal`` at ``PATH``, so a file put there (a restored backup) is not
overwritten by our frames at the next open; if the old file was moved rather than
deleted, it ends up complete on its own. Restart the service to use the new file.
What is not covered: a file replaced in the microseconds between the last check
and ``COMMIT``, and a file overwritten in place (``cp backup.db shop.db``, same
inode), which SQLite cannot survive either; stop the service before restoring.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from skill.domain.cart import Cart
from skill.errors import CorruptRecord, EmptyCart, OrderNotFound, StoreError, StoreNotFound
from skill.logs import get_logger
from skill.store.base import (
    RECENT_REQUEST_IDS,
    CartChange,
    CatalogChange,
    OrderFactory,
    catalog_from_store,
    catalog_json,
    catalog_to_store,
)

if TYPE_CHECKING:
    from skill.dashboard.staff import StaffMember
    from skill.domain.orders import Order, OrderNotification, OrderStatus

T = TypeVar("T")
FileId = tuple[int, int]

SCHEMA_VERSION = 4
TABLES = frozenset(
    {"carts", "orders", "counters", "checkouts", "catalog", "staff", "secrets", "revoked_sessions"}
)

_CREATE = (
    "CREATE TABLE IF NOT EXISTS carts ("
    " user_id TEXT PRIMARY KEY, lines TEXT NOT NULL, version INTEGER NOT NULL,"
    " updated_at TEXT NOT NULL, request_ids TEXT NOT NULL DEFAULT '[]')",
    "CREATE TABLE IF NOT EXISTS orders ("
    " number INTEGER PRIMARY KEY, user_id TEXT NOT NULL, status TEXT NOT NULL,"
    " created_at TEXT NOT NULL, body TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS orders_by_user ON orders(user_id, number)",
    "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS checkouts ("
    " user_id TEXT NOT NULL, request_id TEXT NOT NULL, order_number INTEGER NOT NULL,"
    " created_at TEXT NOT NULL, PRIMARY KEY (user_id, request_id))",
    # Version 2: the shop's catalog, one row.
    "CREATE TABLE IF NOT EXISTS catalog ("
    " id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL,"
    " body TEXT NOT NULL, updated_at TEXT NOT NULL)",
    # Version 3: the staff dashboard's accounts, and its session secret.
    "CREATE TABLE IF NOT EXISTS staff ("
    " name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS secrets ("
    " name TEXT PRIMARY KEY, value TEXT NOT NULL, created_at TEXT NOT NULL)",
    # Version 4: logged-out dashboard sessions, so every process refuses them.
    "CREATE TABLE IF NOT EXISTS revoked_sessions (digest TEXT PRIMARY KEY, until REAL NOT NULL)",
)
# Version 0 -> 1: checkout records gain the user of their order.
_MIGRATE_CHECKOUTS = (
    "ALTER TABLE checkouts RENAME TO checkouts_v0",
    _CREATE[4],
    "INSERT INTO checkouts(user_id, request_id, order_number, created_at)"
    " SELECT o.user_id, c.request_id, c.order_number, c.created_at"
    " FROM checkouts_v0 c JOIN orders o ON o.number = c.order_number"
    " WHERE substr(c.request_id, 1, 6) <> 'no-id:'",
    "DROP TABLE checkouts_v0",
)
_ORDER_COLUMNS = "number, user_id, status, body"

# SQLite's primary result codes (the low byte of sqlite_errorcode).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 5, 6, 8
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26

_log = get_logger("store")


class SQLiteStore:
    """The store in one SQLite file.

    ``path`` may be relative; it is made absolute once, here, so a later change of
    the working directory changes nothing. ``create=False`` (read-only commands)
    never creates a file: a missing one raises :class:`StoreNotFound`, and a database
    without Corner Shop's tables raises :class:`StoreError`. ``setting`` names where
    the path came from (``CORNERSHOP_STORE``, ``--store``) in error messages.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout_ms: int = 2000,
        create: bool = True,
        setting: str = "CORNERSHOP_STORE",
    ) -> None:
        self._in_memory = str(path) == ":memory:"
        self.path = str(path) if self._in_memory else os.path.abspath(path)
        self._setting = setting
        self._busy_ms = busy_timeout_ms
        self._local = threading.local()
        self._identity: FileId | None = None
        self._gone: str | None = None
        self._wal_settled = False
        self._gone_lock = threading.Lock()
        # The last catalog body found good (its text, and the document it parsed to):
        # a checkout reading the same text again reuses it, parsing nothing.
        self._catalog_seen: tuple[str, dict[str, Any]] | None = None
        if not self._in_memory:
            if create:
                try:
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(self._failed(exc)) from exc
            elif not os.path.exists(self.path):
                raise StoreNotFound(
                    f"There is no Corner Shop store at {self.path}. Run `cornershop store "
                    f"init` to create it, or check {setting}."
                )
        conn = self._connect("rwc" if create else "rw")
        try:
            self._prepare(conn, create=create)
        except BaseException:
            conn.close()
            raise
        self._local.conn = conn

    # -- opening -------------------------------------------------------------
    def _connect(self, mode: str) -> sqlite3.Connection:
        # A URI with mode=rw never creates the file: only the first open may.
        target = ":memory:" if self._in_memory else f"{Path(self.path).as_uri()}?mode={mode}"
        try:
            conn = sqlite3.connect(target, uri=True, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_ms)}")
        except sqlite3.Error as exc:
            conn.close()
            raise self._error(exc) from exc
        return conn

    def _prepare(self, conn: sqlite3.Connection, *, create: bool) -> None:
        """Check the file is a Corner Shop store (creating or migrating it), record its identity."""
        try:
            # The first read: "file is not a database" surfaces here, before we change anything.
            names = _tables(conn)
            if not names & TABLES and (names or not create):
                raise self._not_a_store(names)
            # WAL mode: the file certainly exists after this
            _setup_connection(conn, wait_s=self._busy_ms / 1000)
            if not self._in_memory:
                self._identity = _file_id(self.path)
                if self._identity is None:
                    raise StoreError(self._failed("the file vanished while it was being opened"))
            if _user_version(conn) == SCHEMA_VERSION and names >= TABLES:
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._upgrade(conn)
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def _upgrade(self, db: sqlite3.Connection) -> None:
        # Read again under the write lock: another process may have upgraded meanwhile.
        version = _user_version(db)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"The SQLite database at {self.path} was written by a newer Corner Shop "
                f"(schema {version}; this one knows {SCHEMA_VERSION}). Upgrade Corner Shop."
            )
        names = _tables(db)
        if "carts" in names and "request_ids" not in _columns(db, "carts"):
            db.execute("ALTER TABLE carts ADD COLUMN request_ids TEXT NOT NULL DEFAULT '[]'")
        if "checkouts" in names and "user_id" not in _columns(db, "checkouts"):
            for statement in _MIGRATE_CHECKOUTS:
                db.execute(statement)
        for statement in _CREATE:
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self._check_file()  # never open the file that replaced ours
            conn = self._connect("rw")
            try:
                _setup_connection(conn, wait_s=self._busy_ms / 1000)
            except sqlite3.Error as exc:
                conn.close()
                raise self._error(exc) from exc
            self._local.conn = conn
        return conn

    # -- the file under us ---------------------------------------------------
    def _check_file(self) -> None:
        """Raise StoreError unless PATH still names the file this store opened."""
        if self._gone is not None:
            self._refuse()
        if self._identity is None:
            return
        try:
            found = _file_id(self.path)
        except OSError as exc:
            raise StoreError(self._failed(exc)) from exc
        if found is None:
            self._lose("was deleted or moved away")
        if found != self._identity:
            self._lose("was replaced by another file")

    def _check_wal(self, conn: sqlite3.Connection) -> None:
        """Raise StoreError unless PATH-wal and PATH-shm are the ones ``conn`` uses."""
        self._check_file()
        if self._identity is None:
            return
        seen = getattr(self._local, "wal", None)
        if seen is None or seen[0] is not conn:
            # First check on this connection: learn its journal mode and WAL files.
            try:
                wal_mode = conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
            files = _wal_ids(self.path) if wal_mode else None
            if files is not None and None in files:
                self._lose("lost its -wal or -shm file")
            self._local.wal = (conn, files)
            return
        if seen[1] is not None and _wal_ids(self.path) != seen[1]:
            self._lose("had its -wal or -shm file deleted or replaced")

    def _lose(self, what: str) -> NoReturn:
        with self._gone_lock:
            if self._gone is None:
                self._gone = (
                    f"Corner Shop's SQLite database file {self.path} {what} while the service "
                    "was running, so Corner Shop no longer reads or writes it (a write now "
                    "would be lost). Restore the file if it was removed by mistake, then "
                    "restart the service."
                )
                _log.error(
                    "database file %s %s; refusing all requests until restart", self.path, what
                )
        self._refuse()

    def _refuse(self) -> NoReturn:
        self._settle_wal()
        raise StoreError(self._gone or self._failed("its file is gone"))

    def _settle_wal(self) -> None:
        """Fold our WAL into the file this thread's connection holds, and empty PATH-wal.

        Runs once, on a connection that passed the identity check when it opened
        (so it holds the old file, never the new one), outside any transaction.
        """
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.in_transaction or self._wal_settled:
            return
        try:
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.Error as exc:
            _log.warning("could not checkpoint the WAL of %s: %s", self.path, exc)
            return
        self._wal_settled = not busy

    # -- transactions --------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        if self._gone is not None:
            self._refuse()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            yield conn
            self._check_wal(conn)  # the last moment before COMMIT: roll back instead
        except BaseException:
            _rollback(conn)
            if self._gone is not None:
                self._settle_wal()
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(conn)
            raise self._error(exc) from exc

    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn()
        self._check_file()
        try:
            return fn(conn)
        except (sqlite3.Error, UnicodeEncodeError) as exc:
            raise self._error(exc) from exc

    def _guard_write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            with self._write() as db:
                return fn(db)
        except (sqlite3.Error, UnicodeEncodeError) as exc:
            raise self._error(exc) from exc

    # -- carts ---------------------------------------------------------------
    def _load_cart(self, db: sqlite3.Connection, user_id: str) -> tuple[Cart, int, list[str]]:
        row = db.execute(
            "SELECT lines, version, request_ids FROM carts WHERE user_id = ?", (user_id,)
        ).fetchone()
        if row is None:
            return Cart(), 0, []
        lines, version, ids = (self._json(row[0], "a cart"), row[1], self._json(row[2], "a cart"))
        if type(version) is not int:
            raise self._damaged("a cart", f"its version {version!r} is not a whole number.")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise self._damaged("a cart", "its request_ids are not a list of strings.")
        try:
            return Cart.from_data(lines), version, ids
        except CorruptRecord as exc:
            raise self._damaged("a cart", str(exc)) from exc

    @staticmethod
    def _save_cart(
        db: sqlite3.Connection, user_id: str, cart: Cart, version: int, ids: list[str]
    ) -> None:
        db.execute(
            "INSERT INTO carts(user_id, lines, version, updated_at, request_ids)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET lines = excluded.lines,"
            " version = excluded.version, updated_at = excluded.updated_at,"
            " request_ids = excluded.request_ids",
            (user_id, json.dumps(cart.to_data()), version + 1, _now(), json.dumps(ids)),
        )

    def get_cart(self, user_id: str) -> Cart:
        return self._read(lambda db: self._load_cart(db, user_id)[0])

    def update_cart(self, user_id: str, change: CartChange, *, request_id: str = "") -> Cart:
        def apply(db: sqlite3.Connection) -> Cart:
            cart, version, ids = self._load_cart(db, user_id)
            if request_id and request_id in ids:
                return cart  # applied already: a redelivery, or a retry after a lost reply
            new = change(cart)
            if request_id:
                ids = [*ids, request_id][-RECENT_REQUEST_IDS:]
            self._save_cart(db, user_id, new, version, ids)
            return new

        return self._guard_write(apply)

    # -- orders --------------------------------------------------------------
    def place_order(self, user_id: str, request_id: str, make_order: OrderFactory) -> Order:
        def apply(db: sqlite3.Connection) -> Order:
            if request_id:
                done = self._replay(db, user_id, request_id)
                if done is not None:
                    return done
            cart, version, ids = self._load_cart(db, user_id)
            if cart.is_empty:
                raise EmptyCart("The cart is empty, so there is nothing to check out.")
            from skill.domain.orders import FIRST_ORDER_NUMBER

            row = db.execute("SELECT value FROM counters WHERE name = 'order_number'").fetchone()
            if row is not None and type(row[0]) is not int:
                raise self._damaged("the order counter", f"its value {row[0]!r} is not a number.")
            number = row[0] + 1 if row else FIRST_ORDER_NUMBER
            # Read under the same write lock: no catalog change can commit before this
            # order does, so the factory never builds it from a stale catalog.
            order = make_order(cart, number, self._load_catalog(db, shared=True))
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
            if request_id:
                db.execute(
                    "INSERT INTO checkouts(user_id, request_id, order_number, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    (user_id, request_id, order.number, _now()),
                )
            self._save_cart(db, user_id, Cart(), version, ids)
            return order

        return self._guard_write(apply)

    def _replay(self, db: sqlite3.Connection, user_id: str, request_id: str) -> Order | None:
        """The order this user's request already placed, if it did."""
        row = db.execute(
            "SELECT c.order_number, o.number, o.user_id, o.status, o.body FROM checkouts c"
            " LEFT JOIN orders o ON o.number = c.order_number"
            " WHERE c.user_id = ? AND c.request_id = ?",
            (user_id, request_id),
        ).fetchone()
        if row is None:
            return None
        if row[1] is None:
            raise self._damaged("a checkout record", f"it names order {row[0]}, which is missing.")
        order = self._order_of(row[1:])
        if order.user_id != user_id:
            raise self._damaged(
                "a checkout record", f"it names order {order.number}, of another user."
            )
        return order

    def last_order(self, user_id: str) -> Order | None:
        def read(db: sqlite3.Connection) -> Order | None:
            row = db.execute(
                f"SELECT {_ORDER_COLUMNS} FROM orders WHERE user_id = ?"
                " ORDER BY number DESC LIMIT 1",
                (user_id,),
            ).fetchone()
            return self._order_of(row) if row else None

        return self._read(read)

    def list_orders(self, limit: int = 20) -> list[Order]:
        rows = self._read(
            lambda db: db.execute(
                f"SELECT {_ORDER_COLUMNS} FROM orders ORDER BY number DESC LIMIT ?", (limit,)
            ).fetchall()
        )
        return [self._order_of(row) for row in rows]

    def set_order_status(self, number: int, status: OrderStatus) -> Order:
        def apply(db: sqlite3.Connection) -> Order:
            row = db.execute(
                f"SELECT {_ORDER_COLUMNS} FROM orders WHERE number = ?", (number,)
            ).fetchone()
            if row is None:
                raise OrderNotFound(number)
            order = self._order_of(row).with_status(status)  # InvalidStatusChange: no write
            db.execute(
                "UPDATE orders SET status = ?, body = ? WHERE number = ?",
                (order.status.value, json.dumps(order.to_data()), number),
            )
            return order

        return self._guard_write(apply)

    def cancel_order(self, user_id: str, number: int) -> Order:
        def apply(db: sqlite3.Connection) -> Order:
            # Under BEGIN IMMEDIATE: no other write (the shop's "ready" included) can
            # land between this read and the update below.
            row = db.execute(
                f"SELECT {_ORDER_COLUMNS} FROM orders WHERE number = ? AND user_id = ?",
                (number, user_id),
            ).fetchone()
            if row is None:
                raise OrderNotFound(number, for_customer=True)
            order = self._order_of(row).cancelled_by_customer()  # OrderNotCancellable: no write
            # The WHERE restates the rule the transaction already guarantees, so the
            # statement alone could never cancel an order past "placed".
            changed = db.execute(
                "UPDATE orders SET status = ?, body = ? WHERE number = ? AND user_id = ?"
                " AND status = 'placed'",
                (order.status.value, json.dumps(order.to_data()), number, user_id),
            ).rowcount
            if changed != 1:
                raise StoreError(
                    self._failed(f"order {number} changed while it was being cancelled")
                )
            return order

        return self._guard_write(apply)

    def set_order_notification(self, number: int, notification: OrderNotification) -> None:
        def apply(db: sqlite3.Connection) -> None:
            # Under BEGIN IMMEDIATE: a status change cannot land between this read and
            # the update, so neither undoes the other.
            row = db.execute(
                f"SELECT {_ORDER_COLUMNS} FROM orders WHERE number = ?", (number,)
            ).fetchone()
            if row is None:
                raise OrderNotFound(number)
            order = self._order_of(row).with_notification(notification)
            db.execute(
                "UPDATE orders SET body = ? WHERE number = ?",
                (json.dumps(order.to_data()), number),
            )

        self._guard_write(apply)

    def _order_of(self, row: tuple[Any, ...]) -> Order:
        # Orders load lazily: most requests (and every cold start) only touch carts.
        from skill.domain.orders import Order

        number, user_id, status, body = row
        what = f"order {number}"
        try:
            order = Order.from_data(self._json(body, what))
        except CorruptRecord as exc:
            raise self._damaged(what, str(exc)) from exc
        if (order.number, order.user_id, order.status.value) != (number, user_id, status):
            raise self._damaged(what, "its columns and its body disagree.")
        return order

    # -- the catalog -----------------------------------------------------------
    def _load_catalog(
        self, db: sqlite3.Connection, *, shared: bool = False
    ) -> dict[str, Any] | None:
        """The stored catalog, checked. ``shared=True`` may return the document of the
        last read when the stored text is the same (read-only: the order factory's)."""
        row = db.execute("SELECT version, body FROM catalog WHERE id = 1").fetchone()
        if row is None:
            return None
        seen = self._catalog_seen
        if shared and seen is not None and seen[0] == row[1] and seen[1]["version"] == row[0]:
            return seen[1]
        try:
            doc = catalog_from_store(row[1], row[0], checked=seen[0] if seen is not None else None)
        except ValueError as exc:
            raise self._damaged("the catalog", str(exc)) from exc
        if shared:
            self._catalog_seen = (row[1], doc)
        elif seen is None or seen[0] != row[1]:
            self._catalog_seen = (row[1], catalog_from_store(row[1], row[0], checked=row[1]))
        return doc

    def get_catalog(self) -> dict[str, Any] | None:
        return self._read(self._load_catalog)

    def update_catalog(self, change: CatalogChange) -> dict[str, Any]:
        def apply(db: sqlite3.Connection) -> dict[str, Any]:
            current = self._load_catalog(db)
            body = catalog_to_store(change(json.loads(json.dumps(current or {}))))
            version = current.pop("version") if current is not None else 0
            if body == current:
                return {**body, "version": version}
            self._save_catalog(db, body, version + 1)
            return {**body, "version": version + 1}

        return self._guard_write(apply)

    def seed_catalog(self, doc: dict[str, Any]) -> bool:
        body = catalog_to_store(doc)

        def apply(db: sqlite3.Connection) -> bool:
            if db.execute("SELECT 1 FROM catalog WHERE id = 1").fetchone() is not None:
                return False
            self._save_catalog(db, body, 1)
            return True

        return self._guard_write(apply)

    @staticmethod
    def _save_catalog(db: sqlite3.Connection, body: dict[str, Any], version: int) -> None:
        db.execute(
            "INSERT INTO catalog(id, version, body, updated_at) VALUES (1, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET version = excluded.version, body = excluded.body,"
            " updated_at = excluded.updated_at",
            (version, catalog_json(body), _now()),
        )

    # -- staff accounts (the dashboard: skill/dashboard/staff.py) -------------------
    def add_staff(self, member: StaffMember, *, replace: bool = False) -> None:
        from skill.dashboard.staff import StaffExists

        def apply(db: sqlite3.Connection) -> None:
            taken = db.execute("SELECT 1 FROM staff WHERE name = ?", (member.name,)).fetchone()
            if taken and not replace:
                raise StaffExists(member.name)
            db.execute(
                "INSERT INTO staff(name, password_hash, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash,"
                " created_at = excluded.created_at",
                (member.name, member.password_hash, member.created_at.isoformat()),
            )

        self._guard_write(apply)

    def get_staff(self, name: str) -> StaffMember | None:
        row = self._read(
            lambda db: db.execute(
                "SELECT name, password_hash, created_at FROM staff WHERE name = ?", (name,)
            ).fetchone()
        )
        return None if row is None else self._staff_of(row)

    def list_staff(self) -> list[StaffMember]:
        rows = self._read(
            lambda db: db.execute(
                "SELECT name, password_hash, created_at FROM staff ORDER BY name"
            ).fetchall()
        )
        return [self._staff_of(row) for row in rows]

    def remove_staff(self, name: str) -> bool:
        return self._guard_write(
            lambda db: db.execute("DELETE FROM staff WHERE name = ?", (name,)).rowcount > 0
        )

    def session_secret(self) -> bytes:
        def read(db: sqlite3.Connection) -> Any:
            return db.execute("SELECT value FROM secrets WHERE name = 'session'").fetchone()

        row = self._read(read)
        if row is None:
            import secrets

            made = secrets.token_hex(32)

            def create(db: sqlite3.Connection) -> Any:
                # First writer wins: every other process then reads that one.
                db.execute(
                    "INSERT OR IGNORE INTO secrets(name, value, created_at)"
                    " VALUES ('session', ?, ?)",
                    (made, _now()),
                )
                return read(db)

            row = self._guard_write(create)
        value = row[0]
        if not (isinstance(value, str) and len(value) == 64):
            raise self._damaged("the session secret", "it is not 64 hexadecimal digits.")
        try:
            return bytes.fromhex(value)
        except ValueError as exc:
            raise self._damaged("the session secret", "it is not 64 hexadecimal digits.") from exc

    def revoke_session(self, sid: str, until: float) -> None:
        from skill.dashboard.staff import session_digest

        def apply(db: sqlite3.Connection) -> None:
            # Expired entries go as new ones come: the table holds one day's logouts at most.
            db.execute("DELETE FROM revoked_sessions WHERE until <= ?", (time.time(),))
            db.execute(
                "INSERT INTO revoked_sessions(digest, until) VALUES (?, ?)"
                " ON CONFLICT(digest) DO UPDATE SET until = max(until, excluded.until)",
                (session_digest(sid), float(until)),
            )

        self._guard_write(apply)

    def session_revoked(self, sid: str) -> bool:
        from skill.dashboard.staff import session_digest

        row = self._read(
            lambda db: db.execute(
                "SELECT 1 FROM revoked_sessions WHERE digest = ? AND until > ?",
                (session_digest(sid), time.time()),
            ).fetchone()
        )
        return row is not None

    def _staff_of(self, row: tuple[Any, ...]) -> StaffMember:
        from skill.dashboard.staff import StaffMember

        name, password_hash, created_at = row
        try:
            return StaffMember.from_data(
                {"name": name, "password_hash": password_hash, "created_at": created_at}
            )
        except CorruptRecord as exc:
            raise self._damaged("a staff account", str(exc)) from exc

    # -- health --------------------------------------------------------------
    def ping(self) -> None:
        def read(db: sqlite3.Connection) -> None:
            db.execute("SELECT 1 FROM counters LIMIT 1").fetchall()
            self._check_wal(db)

        self._read(read)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- messages ------------------------------------------------------------
    def _json(self, text: Any, what: str) -> Any:
        try:
            return json.loads(text)
        except (TypeError, ValueError, RecursionError) as exc:
            raise self._damaged(what, "it is not valid JSON.") from exc

    def _damaged(self, what: str, problem: str) -> CorruptRecord:
        return CorruptRecord(
            f"The SQLite database at {self.path} holds {what} that Corner Shop cannot use: "
            f"{problem} Corner Shop leaves it as it is; repair or delete that row, or "
            "restore the database from a backup."
        )

    def _not_a_store(self, names: set[str]) -> StoreError:
        if not names:
            return StoreNotFound(
                f"The SQLite database at {self.path} is empty: it is not a Corner Shop store. "
                f"Run `cornershop store init` to create one there, or check {self._setting}."
            )
        listed = ", ".join(sorted(names)[:5])
        return StoreError(
            f"The SQLite database at {self.path} is not a Corner Shop store: it holds other "
            f"tables ({listed}) and none of Corner Shop's. Check {self._setting}, or point it "
            "at a new file and run `cornershop store init`."
        )

    def _failed(self, reason: object) -> str:
        return (
            f"Corner Shop could not use its SQLite database at {self.path}: {reason}. "
            "Check that the file is writable and not locked by another program."
        )

    def _error(self, exc: sqlite3.Error | UnicodeEncodeError) -> StoreError:
        """A StoreError for ``exc`` that says what to do about it."""
        code = getattr(exc, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else None
        head = f"Corner Shop could not use its SQLite database at {self.path}: {exc}."
        if primary == _SQLITE_NOTADB:
            return StoreError(
                f"{self.path} is not a SQLite database (SQLite says: {exc}). Check "
                f"{self._setting}, or move the file away and run `cornershop store init`."
            )
        if primary == _SQLITE_CORRUPT:
            return StoreError(
                f"The SQLite database at {self.path} is damaged (SQLite says: {exc}). "
                "Stop the service and restore the file from a backup."
            )
        if primary == _SQLITE_READONLY:
            return StoreError(
                f"{head} The file or its directory is read-only; SQLite also writes "
                f"{self.path}-wal and -shm beside it. Check the permissions and the mount."
            )
        if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
            return StoreError(
                f"{head} Another program holds a lock on it; try again, and check that "
                "nothing keeps the file open in a long transaction."
            )
        if primary == _SQLITE_FULL:
            return StoreError(f"{head} The disk is full; free some space and try again.")
        if primary == _SQLITE_CANTOPEN:
            return StoreError(
                f"{head} Check that the file and its directory exist and that this service "
                "may read and write them."
            )
        return StoreError(self._failed(exc))


def _setup_connection(conn: sqlite3.Connection, *, wait_s: float = 2.0) -> None:
    # Switching a new file to WAL answers SQLITE_BUSY at once, without SQLite's busy
    # handler, while another connection is switching it too (several processes or
    # threads opening a new store together): so it is retried here, for a bounded time.
    give_up = time.monotonic() + wait_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            break
        except sqlite3.OperationalError as exc:
            code = getattr(exc, "sqlite_errorcode", None)
            busy = isinstance(code, int) and code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
            if not busy or time.monotonic() >= give_up:
                raise
            time.sleep(0.01)
    conn.execute("PRAGMA synchronous = NORMAL")


def _tables(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _user_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def _file_id(path: str) -> FileId | None:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):  # gone, or its directory is
        return None
    return st.st_dev, st.st_ino


def _wal_ids(path: str) -> tuple[FileId | None, FileId | None]:
    return _file_id(f"{path}-wal"), _file_id(f"{path}-shm")


def _rollback(conn: sqlite3.Connection) -> None:
    # A failed COMMIT may already have ended the transaction; that is fine.
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _now() -> str:
    return datetime.now(UTC).isoformat()
