"""What only the SQLite store has to get right: its file deleted, moved or replaced under a
running service, opening without creating, files that are not Corner Shop stores, the
schema migration, and rows damaged in ways only SQLite's columns allow. Also, through the
whole skill on a real SQLite file: a redelivered request changes the cart once.

Every fault is done for real on the file system (unlink, rename over), with the store
open and in use, as an operator's ``rm`` or a restore script would; nothing is mocked.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import speech_of
from flask.testing import FlaskClient

from skill.app import CornerShopSkill, build_skill
from skill.config import Settings
from skill.domain.cart import Cart
from skill.domain.orders import Order, OrderLine
from skill.errors import ConfigError, CorruptRecord, EmptyCart, StoreError, StoreNotFound
from skill.profile import NoProfile
from skill.store import open_store
from skill.store.sqlite import SCHEMA_VERSION, SQLiteStore
from skill.web import create_app

Event = Callable[..., dict[str, Any]]
ADA = "amzn1.ask.account.ADA-TEST-USER"
BOB = "amzn1.ask.account.BOB-TEST-USER"
USER = "amzn1.ask.account.AEXAMPLEUSERID0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NOW = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)
STORE_APOLOGY = "Sorry, I couldn't reach your cart just now. Please try again."


def make_order(user_id: str, request_id: str = "") -> Callable[[Cart, int, Any], Order]:
    def build(cart: Cart, number: int, catalog: Any = None) -> Order:
        if cart.is_empty:
            raise EmptyCart("The cart is empty, so there is nothing to check out.")
        lines = tuple(OrderLine(ln.item_id, ln.item_id, ln.quantity, 100) for ln in cart.lines)
        return Order(number, user_id, lines, "USD", NOW, "en-US", request_id=request_id)

    return build


def add(store: SQLiteStore, user_id: str, item: str, quantity: int, request_id: str = "") -> Cart:
    return store.update_cart(user_id, lambda c: c.add(item, quantity), request_id=request_id)


def read_back(path: Path) -> tuple[str, dict[str, Any], list[int]]:
    """integrity_check, carts {user: lines} and order numbers, read past the store."""
    db = sqlite3.connect(path)
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        carts = {
            u: json.loads(lines) for u, lines in db.execute("SELECT user_id, lines FROM carts")
        }
        orders = [n for (n,) in db.execute("SELECT number FROM orders ORDER BY number")]
    finally:
        db.close()
    return integrity, carts, orders


def wal_size(path: Path) -> int | None:
    wal = Path(f"{path}-wal")
    return wal.stat().st_size if wal.exists() else None


@pytest.fixture
def live(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A store in use: Ada has 2 apples, Bob ordered bread (order 1001), all committed."""
    store = SQLiteStore(tmp_path / "shop.db")
    add(store, BOB, "bread", 1)
    store.place_order(BOB, "bob-yes", make_order(BOB, "bob-yes"))
    add(store, ADA, "apples", 2, "ada-add-1")
    yield store
    store.close()


def other_store(path: Path) -> None:
    """A different, complete Corner Shop database at ``path``: Bob ordered 7 eggs (1001)."""
    store = SQLiteStore(path)
    add(store, BOB, "eggs", 7)
    store.place_order(BOB, "other-yes", make_order(BOB, "other-yes"))
    add(store, ADA, "milk", 1)
    store.close()


def assert_refuses_everything(store: SQLiteStore, said: str) -> None:
    with pytest.raises(StoreError, match=said) as raised:
        add(store, ADA, "apples", 1, "ada-add-2")
    assert "restart the service" in str(raised.value)
    with pytest.raises(StoreError, match=said):
        store.place_order(ADA, "ada-yes", make_order(ADA, "ada-yes"))
    with pytest.raises(StoreError, match=said):
        store.get_cart(ADA)
    with pytest.raises(StoreError, match=said):
        store.list_orders()
    with pytest.raises(StoreError, match=said):
        store.ping()


# -- deleted -------------------------------------------------------------------
def test_a_deleted_database_refuses_writes_and_reads_and_writes_nothing(
    live: SQLiteStore, tmp_path: Path
) -> None:
    path = tmp_path / "shop.db"
    # GIVEN the database file (and its -wal and -shm) deleted under the live store;
    # a hard link keeps the deleted inode readable for this test, not for the store
    os.link(path, tmp_path / "inode.db")
    for name in ("shop.db", "shop.db-wal", "shop.db-shm"):
        os.unlink(tmp_path / name)
    # WHEN the store is used / THEN every call refuses, saying what happened
    assert_refuses_everything(live, "was deleted or moved away")
    # AND nothing was written to the deleted file: it holds what it held before
    integrity, carts, orders = read_back(tmp_path / "inode.db")
    assert integrity == "ok"
    assert carts == {ADA: [["apples", 2]], BOB: []}
    assert orders == [1001]
    # AND the store never made a new file at the path
    assert not path.exists()
    # AND a restart on the path finds no store (read-only), or a new empty one
    with pytest.raises(StoreNotFound, match="There is no Corner Shop store at"):
        SQLiteStore(path, create=False)
    fresh = SQLiteStore(path)
    assert fresh.list_orders() == [] and fresh.get_cart(ADA).is_empty
    fresh.close()


def test_a_deleted_main_file_beside_its_wal_refuses_and_leaves_no_frames_behind(
    live: SQLiteStore, tmp_path: Path
) -> None:
    path = tmp_path / "shop.db"
    # GIVEN only the main file deleted (`rm shop.db`): SQLite would commit into the -wal
    assert wal_size(path)
    os.unlink(path)
    # WHEN an add and a checkout arrive / THEN both refuse, and so does ping
    assert_refuses_everything(live, "was deleted")
    # AND the -wal left at the path holds no frames that a new file there would inherit
    assert wal_size(path) in (0, None)
    # AND a restart makes a consistent, empty store
    live.close()
    fresh = SQLiteStore(path)
    assert fresh.list_orders() == [] and fresh.get_cart(ADA).is_empty
    fresh.close()
    assert read_back(path)[0] == "ok"


# -- replaced ------------------------------------------------------------------
def test_a_replaced_database_refuses_and_the_restart_sees_the_new_file_intact(
    live: SQLiteStore, tmp_path: Path
) -> None:
    path = tmp_path / "shop.db"
    # GIVEN another complete database renamed over the live one (a restore by `mv`),
    # the live one moved aside first
    other_store(tmp_path / "restored.db")
    os.rename(path, tmp_path / "moved-aside.db")
    os.replace(tmp_path / "restored.db", path)
    # WHEN the store is used / THEN every call refuses, saying the file was replaced
    assert_refuses_everything(live, "was replaced by another file")
    live.close()
    # AND a restart on the path sees the restored database exactly, not the old WAL
    # frames replayed over it
    again = SQLiteStore(path, create=False)
    assert again.get_cart(ADA) == Cart.from_lines({"milk": 1})
    assert [(o.number, o.as_cart()) for o in again.list_orders()] == [
        (1001, Cart.from_lines({"eggs": 7}))
    ]
    again.close()
    assert read_back(path)[0] == "ok"
    # AND the file moved aside is complete on its own, with nothing written after the move
    integrity, carts, orders = read_back(tmp_path / "moved-aside.db")
    assert integrity == "ok"
    assert carts == {ADA: [["apples", 2]], BOB: []}
    assert orders == [1001]


def test_a_new_thread_never_opens_the_file_that_replaced_ours(
    live: SQLiteStore, tmp_path: Path
) -> None:
    path = tmp_path / "shop.db"
    # GIVEN the file replaced, and nothing on this thread has noticed yet
    other_store(tmp_path / "restored.db")
    os.replace(tmp_path / "restored.db", path)
    before = path.read_bytes()
    # WHEN a thread that has no connection yet uses the store
    errors: list[BaseException] = []

    def work() -> None:
        try:
            add(live, ADA, "apples", 1, "thread-add")
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=30)
    # THEN it refuses, and the new file was not opened, let alone written
    assert len(errors) == 1 and isinstance(errors[0], StoreError), errors
    assert "replaced" in str(errors[0])
    assert path.read_bytes() == before


def test_a_file_deleted_during_a_write_transaction_rolls_the_write_back(
    live: SQLiteStore, tmp_path: Path
) -> None:
    path = tmp_path / "shop.db"
    os.link(path, tmp_path / "inode.db")

    # GIVEN a cart change during which the file is deleted (after BEGIN, before COMMIT)
    def change(cart: Cart) -> Cart:
        os.unlink(path)
        return cart.add("apples", 1)

    # WHEN it is applied / THEN it is refused at the last check before COMMIT
    with pytest.raises(StoreError, match="was deleted"):
        live.update_cart(ADA, change, request_id="ada-add-2")
    # AND the write was rolled back: the file holds Ada's two apples, not three
    assert read_back(tmp_path / "inode.db")[1][ADA] == [["apples", 2]]


# -- the WAL deleted alone -----------------------------------------------------
def test_a_deleted_wal_refuses_writes_and_keeps_what_was_committed(
    live: SQLiteStore, tmp_path: Path
) -> None:
    path = tmp_path / "shop.db"
    live.ping()  # this connection has seen its WAL files
    # GIVEN the -wal and -shm deleted while the store holds them open
    os.unlink(f"{path}-wal")
    os.unlink(f"{path}-shm")
    # WHEN an add arrives / THEN it is refused (it would land in a deleted WAL)
    with pytest.raises(StoreError, match="-wal or -shm"):
        add(live, ADA, "apples", 1, "ada-add-2")
    with pytest.raises(StoreError):
        live.ping()
    live.close()
    # AND everything committed before is in the main file; the refused add is not
    integrity, carts, orders = read_back(path)
    assert integrity == "ok"
    assert carts == {ADA: [["apples", 2]], BOB: []}
    assert orders == [1001]


def test_checks_pass_on_a_healthy_store_across_threads_and_reopening(tmp_path: Path) -> None:
    # GIVEN a store used from several threads, closed and reopened on one thread
    path = tmp_path / "shop.db"
    store = SQLiteStore(path)
    add(store, ADA, "apples", 1)
    threads = [threading.Thread(target=add, args=(store, ADA, "milk", 1)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    store.close()  # the last connection of this thread: SQLite removes -wal and -shm
    # WHEN the store is used again / THEN no check mistakes a new -wal for a replaced one
    store.ping()
    assert add(store, ADA, "apples", 1).quantity_of("apples") == 2
    assert store.get_cart(ADA).quantity_of("milk") == 4
    store.close()


# -- through the web service ---------------------------------------------------
@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[FlaskClient, CornerShopSkill]]:
    settings = Settings(store_url="memory://", verify_requests=False)
    skill = build_skill(settings, store=SQLiteStore(tmp_path / "shop.db"), profile=NoProfile())
    yield create_app(settings, skill=skill).test_client(), skill
    skill.close()


def post(client: FlaskClient, envelope: dict[str, Any]) -> Any:
    return client.post("/alexa", data=json.dumps(envelope), content_type="application/json")


@pytest.mark.parametrize("replace", [False, True], ids=["deleted", "replaced"])
def test_the_web_service_apologises_and_healthz_fails_once_the_file_is_gone(
    web: tuple[FlaskClient, CornerShopSkill], event: Event, tmp_path: Path, replace: bool
) -> None:
    client, _ = web
    path = tmp_path / "shop.db"
    # GIVEN a working service: an add is confirmed, /healthz is 200
    first = post(client, event("add_item", request_id="add-1"))
    assert first.status_code == 200 and "Added 2 apples" in speech_of(first.get_json())
    assert client.get("/healthz").status_code == 200
    # WHEN the database file is deleted, or replaced by another database
    if replace:
        other_store(tmp_path / "restored.db")
        os.replace(tmp_path / "restored.db", path)
    else:
        for suffix in ("", "-wal", "-shm"):
            os.unlink(f"{path}{suffix}")
    # THEN an add gets the spoken storage apology (a valid Alexa answer, HTTP 200)
    resp = post(client, event("add_item", request_id="add-2"))
    assert resp.status_code == 200
    assert speech_of(resp.get_json()) == STORE_APOLOGY
    assert resp.get_json()["response"]["shouldEndSession"] is False
    # AND so does reading the cart, and /healthz answers 503
    assert speech_of(post(client, event("list_cart", request_id="list-1")).get_json()) == (
        STORE_APOLOGY
    )
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json() == {"status": "unavailable"}


def test_a_damaged_cart_row_gets_the_spoken_apology(
    make_skill: Callable[..., CornerShopSkill], event: Event, tmp_path: Path
) -> None:
    # GIVEN a cart row whose quantity was damaged to -5
    store = SQLiteStore(tmp_path / "shop.db")
    skill = make_skill(store=store)
    skill.handle(event("add_item", request_id="add-1"))
    db = sqlite3.connect(tmp_path / "shop.db")
    with db:
        db.execute("UPDATE carts SET lines = ?", (json.dumps([["APPLE", -5]]),))
    db.close()
    # WHEN the user adds, lists or checks out / THEN the storage apology, never a total
    for name in ("add_item", "list_cart", "checkout"):
        out = skill.handle(event(name, request_id=f"{name}-2"))
        assert speech_of(out) == STORE_APOLOGY, name
    assert store.list_orders() == []


# -- redelivered requests through the skill --------------------------------------
@pytest.fixture
def shop(make_skill: Callable[..., CornerShopSkill], tmp_path: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore(tmp_path / "shop.db")
    yield store
    store.close()


def test_a_redelivered_add_or_remove_changes_the_cart_once_and_says_the_same(
    make_skill: Callable[..., CornerShopSkill], event: Event, shop: SQLiteStore
) -> None:
    skill = make_skill(store=shop)

    def twice(name: str, request_id: str, **slots: str) -> tuple[str, str]:
        first = skill.handle(event(name, request_id=request_id, slots=slots or None))
        again = skill.handle(event(name, request_id=request_id, slots=slots or None))
        return speech_of(first), speech_of(again)

    # GIVEN / WHEN "add two apples" delivered twice / THEN added once, said alike
    first, again = twice("add_item", "add-1")
    assert first == again and first.startswith("Added 2 apples. Your cart has 2 items")
    assert shop.get_cart(USER).quantity_of("APPLE") == 2
    # WHEN "add five apples" (a new request) and "take out one" twice
    skill.handle(event("add_item", request_id="add-2", slots={"Quantity": "5"}))
    first, again = twice("remove_item", "remove-1", Quantity="1")
    # THEN one apple came out, and the redelivery says so too
    assert first.startswith("Removed 1 apple. Your cart has 6 items")
    assert again == first
    assert shop.get_cart(USER).quantity_of("APPLE") == 6
    # WHEN "remove the apples" (all) twice
    first, again = twice("remove_item", "remove-2")
    # THEN the cart is empty once; the redelivery does not say "not in your cart"
    assert first.startswith("Removed 6 apples. Your cart is now empty.")
    assert again.startswith("Removed apples. Your cart is now empty.")
    assert shop.get_cart(USER).is_empty


def test_a_redelivered_reorder_or_clear_is_applied_once(
    make_skill: Callable[..., CornerShopSkill], event: Event, shop: SQLiteStore
) -> None:
    skill = make_skill(store=shop)
    # GIVEN an order of two apples
    skill.handle(event("add_item", request_id="add-1"))
    pending = skill.handle(event("checkout", request_id="checkout-1"))["sessionAttributes"]
    skill.handle(event("yes", request_id="yes-1", attributes=pending))
    # WHEN "order the same again" is delivered twice
    first = speech_of(skill.handle(event("reorder", request_id="reorder-1")))
    again = speech_of(skill.handle(event("reorder", request_id="reorder-1")))
    # THEN the apples are back once, and both answers say two items
    assert shop.get_cart(USER).quantity_of("APPLE") == 2
    assert first == again and "I put 2 items from order 1001 back" in first
    # WHEN "yes, empty it" is delivered, more is added, and the "yes" arrives again
    pending = skill.handle(event("clear_cart", request_id="clear-1"))["sessionAttributes"]
    skill.handle(event("yes", request_id="yes-2", attributes=pending))
    skill.handle(event("add_item", request_id="add-2", slots={"Quantity": "3"}))
    skill.handle(event("yes", request_id="yes-2", attributes=pending))
    # THEN the cart was emptied once: the three apples added after it are kept
    assert shop.get_cart(USER).quantity_of("APPLE") == 3


def test_checkouts_without_a_request_id_never_replay_an_earlier_order(
    make_skill: Callable[..., CornerShopSkill], event: Event, shop: SQLiteStore
) -> None:
    skill = make_skill(store=shop)
    # GIVEN two checkouts whose envelopes carry no request id
    for i in range(2):
        skill.handle(event("add_item", request_id=f"add-{i}"))
        pending = skill.handle(event("checkout", request_id=f"co-{i}"))["sessionAttributes"]
        yes = event("yes", request_id="", attributes=pending)
        assert f"Order {1001 + i}" in speech_of(skill.handle(yes))
    # THEN each made its own order, and no checkout record was written
    assert [o.number for o in shop.list_orders()] == [1002, 1001]
    db = sqlite3.connect(shop.path)
    assert db.execute("SELECT COUNT(*) FROM checkouts").fetchone()[0] == 0
    db.close()


# -- opening ---------------------------------------------------------------------
def test_opening_without_create_never_makes_a_file(tmp_path: Path) -> None:
    path = tmp_path / "typo" / "shop.db"
    # WHEN a missing store is opened read-only, from the flag or the environment
    with pytest.raises(StoreNotFound) as raised:
        open_store(f"sqlite:///{path}", create=False, setting="--store")
    # THEN the error says there is no store, how to make one, and which setting to check
    message = str(raised.value)
    assert f"There is no Corner Shop store at {path}." in message
    assert "cornershop store init" in message and "--store" in message
    assert "CORNERSHOP_STORE" not in message
    # AND nothing was created, not even the directory
    assert not path.parent.exists()


def test_a_file_that_is_not_a_database_says_so(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("shopping list: apples, bread\n" * 200)
    for create in (False, True):
        with pytest.raises(StoreError) as raised:
            SQLiteStore(path, create=create)
        assert "is not a SQLite database" in str(raised.value)
        assert "writable" not in str(raised.value)
    assert path.read_text().startswith("shopping list")


def test_a_database_without_corner_shops_tables_is_not_a_store(tmp_path: Path) -> None:
    # GIVEN another program's SQLite database, in rollback-journal mode
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    db.close()
    before = path.read_bytes()
    # WHEN Corner Shop opens it, read-only or not
    for create in (False, True):
        with pytest.raises(StoreError, match="is not a Corner Shop store") as raised:
            SQLiteStore(path, create=create, setting="--store")
        assert "invoices" in str(raised.value) and "--store" in str(raised.value)
    # THEN the file is untouched (no tables added, not switched to WAL mode)
    assert path.read_bytes() == before


def test_an_empty_file_opened_read_only_is_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(StoreNotFound, match="not a Corner Shop store"):
        SQLiteStore(path, create=False)
    assert path.stat().st_size == 0
    # AND `store init` (create=True) makes it one
    SQLiteStore(path).close()
    assert SQLiteStore(path, create=False).list_orders() == []


@pytest.mark.parametrize("url", ["sqlite:shop.db", "sqlite://data/shop.db", "sqlite://~/shop.db"])
def test_a_relative_sqlite_path_is_refused_with_the_absolute_form(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="relative path") as raised:
        open_store(url, setting="--store")
    message = str(raised.value)
    assert message.startswith("--store=")
    assert "sqlite:///" in message and "~" not in message.split("sqlite:///")[-1]
    assert list(tmp_path.iterdir()) == []


def test_sqlite_memory_url_is_refused_for_memory_url() -> None:
    with pytest.raises(ConfigError, match="memory://"):
        open_store("sqlite://:memory:")


@pytest.mark.parametrize("url", ["nonsense", "redis://x", "sqlite://", "dynamodb://"])
def test_config_errors_name_the_setting_they_came_from(url: str) -> None:
    with pytest.raises(ConfigError, match=r"^--store"):
        open_store(url, setting="--store")


def test_a_database_from_a_newer_corner_shop_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer Corner Shop"):
        SQLiteStore(path)


# -- migration from schema 0 -----------------------------------------------------
SCHEMA_0 = """
CREATE TABLE carts (
    user_id TEXT PRIMARY KEY, lines TEXT NOT NULL, version INTEGER NOT NULL,
    updated_at TEXT NOT NULL);
CREATE TABLE orders (
    number INTEGER PRIMARY KEY, user_id TEXT NOT NULL, status TEXT NOT NULL,
    created_at TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX orders_by_user ON orders(user_id, number);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE checkouts (
    request_id TEXT PRIMARY KEY, order_number INTEGER NOT NULL, created_at TEXT NOT NULL);
"""


def schema_0_database(path: Path) -> tuple[Order, Order]:
    """A database as Corner Shop wrote it before schema versions: two orders of Ada's,
    one by request "req-1", one without a request id (the old ``no-id:`` fallback)."""
    first = make_order(ADA, "req-1")(Cart.from_lines({"apples": 2}), 1001)
    second = make_order(ADA, "")(Cart.from_lines({"milk": 1}), 1002)
    db = sqlite3.connect(path)
    with db:
        db.executescript(SCHEMA_0)
        for order in (first, second):
            body = order.to_data()
            del body["total"]  # schema 0 bodies had no total
            db.execute(
                "INSERT INTO orders VALUES (?, ?, 'placed', ?, ?)",
                (order.number, ADA, order.created_at.isoformat(), json.dumps(body)),
            )
        db.execute("INSERT INTO counters VALUES ('order_number', 1002)")
        db.execute("INSERT INTO checkouts VALUES ('req-1', 1001, 'x')")
        db.execute(f"INSERT INTO checkouts VALUES ('no-id:{ADA}', 1002, 'x')")
        db.execute("INSERT INTO carts VALUES (?, '[[\"bread\", 1]]', 3, 'x')", (ADA,))
    db.close()
    return first, second


def test_a_schema_0_database_is_migrated_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    first, second = schema_0_database(path)
    # WHEN today's store opens it, even read-only
    store = SQLiteStore(path, create=False)
    # THEN the data is all there, and the schema is the current one
    assert store.get_cart(ADA) == Cart.from_lines({"bread": 1})
    assert store.list_orders() == [second, first]
    db = sqlite3.connect(path)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    keys = db.execute("SELECT user_id, request_id, order_number FROM checkouts").fetchall()
    db.close()
    assert version == SCHEMA_VERSION
    # AND each checkout record now belongs to its order's user; the no-id one is gone
    assert keys == [(ADA, "req-1", 1001)]
    assert store.place_order(ADA, "req-1", make_order(ADA, "req-1")) == first
    # AND cart writes now remember their request ids
    add(store, ADA, "bread", 1, "add-1")
    assert add(store, ADA, "bread", 1, "add-1").quantity_of("bread") == 2
    # AND an id-less checkout places a new order, never answering with the old 1002
    third = store.place_order(ADA, "", make_order(ADA))
    assert third.number == 1003 and third.as_cart() == Cart.from_lines({"bread": 2})
    with pytest.raises(EmptyCart):
        store.place_order(ADA, "", make_order(ADA))
    store.close()
    # AND opening it again changes nothing
    again = SQLiteStore(path)
    assert again.list_orders() == [third, second, first]
    again.close()


def test_two_stores_opening_a_schema_0_database_at_once_migrate_it_once(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    first, second = schema_0_database(path)
    opened: list[SQLiteStore | BaseException] = []
    start = threading.Barrier(4)

    def open_it() -> None:
        start.wait()
        try:
            opened.append(SQLiteStore(path))
        except BaseException as exc:
            opened.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(isinstance(s, SQLiteStore) for s in opened), opened
    store = opened[0]
    assert isinstance(store, SQLiteStore)
    assert store.list_orders() == [second, first]
    assert store.place_order(ADA, "req-1", make_order(ADA, "req-1")) == first


# -- rows only SQLite can damage -----------------------------------------------
def _damage(path: Path, sql: str) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute(sql)
    db.close()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE orders SET number = 2001",  # the body still says 1001
        "UPDATE orders SET user_id = 'someone else'",
        "UPDATE orders SET status = 'ready'",  # the body still says placed
        "UPDATE carts SET version = 'three'",
        "UPDATE carts SET request_ids = '{}'",
        "UPDATE carts SET request_ids = 'not json'",
        "UPDATE carts SET lines = x'00ff'",
        "UPDATE counters SET value = 'a lot'",
        "DELETE FROM orders",  # the checkout record now names a missing order
    ],
)
def test_rows_damaged_in_sqlite_raise_corrupt_record(live: SQLiteStore, sql: str) -> None:
    # GIVEN one damaged row (Bob's order 1001 and Bob's and Ada's carts exist)
    _damage(Path(live.path), sql)
    # WHEN the store reads it / THEN CorruptRecord, whichever call reaches it first
    calls: list[Callable[[], object]] = [
        live.list_orders,
        lambda: live.last_order(BOB),
        lambda: live.get_cart(ADA),
        lambda: live.place_order(BOB, "bob-yes", make_order(BOB, "bob-yes")),
        lambda: add(live, ADA, "milk", 1),
        lambda: live.place_order(ADA, "ada-yes", make_order(ADA, "ada-yes")),
    ]
    raised = []
    for call in calls:
        try:
            call()
        except CorruptRecord as exc:
            raised.append(exc)
    assert raised, "no call noticed the damage"
    assert all("cannot use" in str(exc) for exc in raised)
