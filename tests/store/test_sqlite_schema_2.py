"""SQLite schema version 2: the catalog table, and the migration of version 1 databases."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from skill.data import catalog_document
from skill.domain.cart import Cart
from skill.domain.catalog import canonical
from skill.domain.orders import Order, OrderLine
from skill.store.sqlite import SCHEMA_VERSION, SQLiteStore

ADA = "amzn1.ask.account.ADA-TEST-USER"
TODAYS_TABLES = {
    "carts",
    "orders",
    "counters",
    "checkouts",
    "catalog",
    "staff",
    "secrets",
    "revoked_sessions",
}
NOW = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)

# Exactly what Corner Shop's schema version 1 created.
SCHEMA_1 = """
CREATE TABLE carts (
    user_id TEXT PRIMARY KEY, lines TEXT NOT NULL, version INTEGER NOT NULL,
    updated_at TEXT NOT NULL, request_ids TEXT NOT NULL DEFAULT '[]');
CREATE TABLE orders (
    number INTEGER PRIMARY KEY, user_id TEXT NOT NULL, status TEXT NOT NULL,
    created_at TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX orders_by_user ON orders(user_id, number);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE checkouts (
    user_id TEXT NOT NULL, request_id TEXT NOT NULL, order_number INTEGER NOT NULL,
    created_at TEXT NOT NULL, PRIMARY KEY (user_id, request_id));
PRAGMA user_version = 1;
"""


def schema_1_database(path: Path) -> Order:
    """A shop as Corner Shop wrote it at schema version 1: a cart, an order, a checkout."""
    order = Order(1001, ADA, (OrderLine("APPLE", "apples", 2, 75),), "USD", NOW, "en-US")
    db = sqlite3.connect(path)
    with db:
        db.executescript(SCHEMA_1)
        db.execute(
            "INSERT INTO orders VALUES (1001, ?, 'placed', ?, ?)",
            (ADA, NOW.isoformat(), json.dumps(order.to_data())),
        )
        db.execute("INSERT INTO counters VALUES ('order_number', 1001)")
        db.execute("INSERT INTO checkouts VALUES (?, 'yes-1', 1001, 'x')", (ADA,))
        db.execute(
            "INSERT INTO carts VALUES (?, '[[\"BREAD\", 1]]', 3, 'x', '[\"add-1\"]')", (ADA,)
        )
    db.close()
    return order


def _schema(path: Path) -> tuple[int, set[str]]:
    db = sqlite3.connect(path)
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        db.close()
    return version, tables


@pytest.mark.parametrize("create", [True, False])
def test_a_schema_1_database_gains_the_catalog_table_on_open(tmp_path: Path, create: bool) -> None:
    # GIVEN a database of schema version 1 with a cart, an order and a checkout record
    path = tmp_path / "v1.db"
    order = schema_1_database(path)
    assert _schema(path) == (1, {"carts", "orders", "counters", "checkouts"})
    # WHEN today's store opens it (read-only commands too)
    store = SQLiteStore(path, create=create)
    # THEN it is today's schema, with the catalog table, and everything else is as it was
    assert SCHEMA_VERSION == 4
    assert _schema(path) == (4, TODAYS_TABLES)
    assert store.get_cart(ADA) == Cart.from_lines({"BREAD": 1})
    assert store.list_orders() == [order]
    assert store.place_order(ADA, "yes-1", lambda c, n, d: order) == order  # the replay
    assert store.update_cart(ADA, lambda c: c.add("BREAD", 1), request_id="add-1") == (
        Cart.from_lines({"BREAD": 1})  # add-1 was applied already
    )
    # AND the shop has no catalog of its own until it is seeded
    assert store.get_catalog() is None
    assert store.seed_catalog(catalog_document()) is True
    assert store.get_catalog() == {**canonical(catalog_document()), "version": 1}
    store.close()
    # AND opening it again migrates nothing more and keeps the catalog
    again = SQLiteStore(path)
    assert again.get_catalog() is not None and again.get_catalog() == {
        **canonical(catalog_document()),
        "version": 1,
    }
    again.close()


def test_a_new_database_is_created_at_schema_2(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SQLiteStore(path).close()
    assert _schema(path) == (4, TODAYS_TABLES)
