"""The StaffDirectory contract (skill/dashboard/staff.py) on every store.

Staff accounts and the session secret, on memory, SQLite (a file under tmp_path) and
DynamoDB (boto3 over HTTP to a moto server on 127.0.0.1, a fresh table per test),
plus the dashboard's own MemoryStaffDirectory. Each backend can also write a damaged
account past the store, as a bad disk or a hand edit would.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from _servers import MotoDynamoDB

from skill.dashboard.staff import (
    MemoryStaffDirectory,
    StaffDirectory,
    StaffExists,
    StaffMember,
    hash_password,
    session_digest,
    staff_directory,
)
from skill.errors import CorruptRecord
from skill.store.dynamodb import DynamoDBStore
from skill.store.memory import MemoryStore
from skill.store.sqlite import SCHEMA_VERSION, SQLiteStore

WHEN = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

#: The shared moto server, table and fault-proxy fixtures (tests/store/_fixtures.py).
pytest_plugins = ["_fixtures"]


@pytest.fixture(scope="module")
def hashes() -> dict[str, str]:
    """Real scrypt hashes, made once for the module (each costs about 0.1 s)."""
    return {name: hash_password(f"the password of {name}") for name in ("ada", "bob", "cy")}


class Backend:
    """Opens directories on the same data; ``damage(name, field, value)`` writes past them."""

    def __init__(
        self,
        name: str,
        open_directory: Callable[[], Any],
        damage: Callable[[str, str, str], None],
    ) -> None:
        self.name = name
        self._open = open_directory
        self.damage = damage
        self.opened: list[Any] = []

    def open(self) -> StaffDirectory:
        thing = self._open()
        self.opened.append(thing)
        directory = staff_directory(thing)
        assert directory is not None, f"{type(thing).__name__} keeps no staff accounts"
        return directory


@pytest.fixture(params=["dashboard-memory", "memory", "sqlite", "dynamodb"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "dashboard-memory":
        directory = MemoryStaffDirectory()

        def damage_directory(name: str, field: str, value: str) -> None:
            directory._staff[name] = {**directory._staff.get(name, {}), field: value}

        yield Backend(request.param, lambda: directory, damage_directory)
    elif request.param == "memory":
        store = MemoryStore()

        def damage_memory(name: str, field: str, value: str) -> None:
            record = dict(store._staff.get(name, {"name": name}))  # type: ignore[attr-defined]
            record[field] = value
            store._staff[name] = record  # type: ignore[attr-defined]

        yield Backend(request.param, lambda: store, damage_memory)
    elif request.param == "sqlite":
        path = tmp_path / "shop.db"

        def damage_sqlite(name: str, field: str, value: str) -> None:
            db = sqlite3.connect(path)
            with db:
                db.execute(f"UPDATE staff SET {field} = ? WHERE name = ?", (value, name))
            db.close()

        backend = Backend(request.param, lambda: SQLiteStore(path), damage_sqlite)
        yield backend
        for store in backend.opened:
            store.close()
    else:
        server: MotoDynamoDB = request.getfixturevalue("moto")
        table = server.new_table()

        def damage_dynamodb(name: str, field: str, value: str) -> None:
            key = {"pk": {"S": "SHOP#main"}, "sk": {"S": f"STAFF#{name}"}}
            item = server.client(patient=True).get_item(TableName=table, Key=key)["Item"]
            body = json.loads(item["body"]["S"])
            body[field] = value
            server.client(patient=True).put_item(
                TableName=table, Item={**item, "body": {"S": json.dumps(body)}}
            )

        backend = Backend(
            request.param, lambda: DynamoDBStore(server.client(), table), damage_dynamodb
        )
        yield backend
        for store in backend.opened:
            store.close()
        server.delete_table(table)


@pytest.fixture
def directory(backend: Backend) -> StaffDirectory:
    return backend.open()


def member(name: str, hashes: dict[str, str]) -> StaffMember:
    return StaffMember(name, hashes[name], WHEN)


# -- accounts --------------------------------------------------------------------------
def test_a_new_shop_has_no_staff(directory: StaffDirectory) -> None:
    assert directory.list_staff() == []
    assert directory.get_staff("ada") is None
    assert directory.remove_staff("ada") is False


def test_accounts_round_trip(directory: StaffDirectory, hashes: dict[str, str]) -> None:
    for name in ("cy", "ada", "bob"):
        directory.add_staff(member(name, hashes))
    assert directory.get_staff("ada") == member("ada", hashes)
    assert [m.name for m in directory.list_staff()] == ["ada", "bob", "cy"]
    assert directory.remove_staff("bob") is True
    assert directory.get_staff("bob") is None
    assert [m.name for m in directory.list_staff()] == ["ada", "cy"]


def test_a_taken_name_is_refused_unless_replaced(
    directory: StaffDirectory, hashes: dict[str, str]
) -> None:
    directory.add_staff(member("ada", hashes))
    with pytest.raises(StaffExists):
        directory.add_staff(StaffMember("ada", hashes["bob"], WHEN))
    assert directory.get_staff("ada") == member("ada", hashes)  # nothing written
    directory.add_staff(StaffMember("ada", hashes["bob"], WHEN), replace=True)
    found = directory.get_staff("ada")
    assert found is not None and found.password_hash == hashes["bob"]
    assert len(directory.list_staff()) == 1


def test_concurrent_adds_of_one_name_make_one_account(
    backend: Backend, hashes: dict[str, str]
) -> None:
    results: list[str] = []
    start = threading.Barrier(4)

    def add(index: int) -> None:
        directory = backend.open()
        start.wait()
        try:
            # Each attempt is a different account (as each has its own salt in real use).
            when = WHEN + timedelta(seconds=index)
            directory.add_staff(StaffMember("ada", list(hashes.values())[index % 3], when))
            results.append("added")
        except StaffExists:
            results.append("exists")

    threads = [threading.Thread(target=add, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["added", "exists", "exists", "exists"]
    assert len(backend.open().list_staff()) == 1


def test_accounts_survive_reopening_the_store(backend: Backend, hashes: dict[str, str]) -> None:
    backend.open().add_staff(member("ada", hashes))
    assert backend.open().get_staff("ada") == member("ada", hashes)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("password_hash", "pbkdf2:sha256:1$salt$0123"),  # a weak method is never used
        ("password_hash", "scrypt:524288:8:1$abcdefgh$" + "0" * 128),  # 512 MiB per login
        ("created_at", "yesterday"),
    ],
)
def test_a_damaged_account_is_refused(
    backend: Backend, hashes: dict[str, str], field: str, value: str
) -> None:
    directory = backend.open()
    directory.add_staff(member("ada", hashes))
    backend.damage("ada", field, value)
    with pytest.raises(CorruptRecord):
        directory.get_staff("ada")
    with pytest.raises(CorruptRecord):
        directory.list_staff()


# -- the session secret ----------------------------------------------------------------
def test_the_session_secret_is_made_once_and_kept(backend: Backend) -> None:
    first = backend.open().session_secret()
    assert isinstance(first, bytes) and len(first) == 32
    assert backend.open().session_secret() == first  # another process, or after a restart


def test_concurrent_first_calls_agree_on_one_secret(backend: Backend) -> None:
    secrets: list[bytes] = []
    start = threading.Barrier(4)

    def read() -> None:
        directory = backend.open()
        start.wait()
        secrets.append(directory.session_secret())

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(secrets) == 4 and len(set(secrets)) == 1


def test_shops_in_one_table_have_their_own_staff_and_secret(
    moto: MotoDynamoDB, hashes: dict[str, str]
) -> None:
    table = moto.new_table()
    main = DynamoDBStore(moto.client(), table, shop_id="main")
    other = DynamoDBStore(moto.client(), table, shop_id="other")
    try:
        main.add_staff(member("ada", hashes))
        assert other.get_staff("ada") is None and other.list_staff() == []
        assert main.session_secret() != other.session_secret()
    finally:
        main.close()
        other.close()
        moto.delete_table(table)


# -- SQLite: schema version 3 ------------------------------------------------------------
def _as_schema_2(path: Path) -> None:
    """Make a database what Corner Shop's schema version 2 left: no staff, no secrets."""
    db = sqlite3.connect(path)
    with db:
        db.execute("DROP TABLE staff")
        db.execute("DROP TABLE secrets")
        db.execute("PRAGMA user_version = 2")
    db.close()


@pytest.mark.parametrize("create", [True, False])
def test_a_schema_2_database_gains_the_staff_tables_on_open(
    tmp_path: Path, hashes: dict[str, str], create: bool
) -> None:
    # GIVEN a schema 2 shop with a cart in it
    path = tmp_path / "v2.db"
    store = SQLiteStore(path)
    store.update_cart("amzn1.ask.account.ADA", lambda cart: cart.add("APPLE", 2))
    store.close()
    _as_schema_2(path)
    # WHEN today's store opens it (read-only commands, such as `staff list`, too)
    store = SQLiteStore(path, create=create)
    try:
        # THEN it is today's schema, the cart is still there, and staff accounts work
        db = sqlite3.connect(path)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        db.close()
        assert version == SCHEMA_VERSION and {"staff", "secrets", "carts", "catalog"} <= tables
        assert store.get_cart("amzn1.ask.account.ADA").lines[0].quantity == 2
        assert store.list_staff() == []
        store.add_staff(member("ada", hashes))
        assert store.get_staff("ada") == member("ada", hashes)
    finally:
        store.close()


# -- logged-out sessions -----------------------------------------------------------------
def test_a_logout_is_seen_by_every_directory_on_the_same_data(backend: Backend) -> None:
    # GIVEN two directories on one shop's data (two processes)
    here, there = backend.open(), backend.open()
    until = time.time() + 3600
    assert there.session_revoked("sid-ada") is False
    # WHEN one records a logout
    here.revoke_session("sid-ada", until)
    # THEN the other refuses that session, and only that one
    assert there.session_revoked("sid-ada") is True
    assert there.session_revoked("sid-bob") is False
    # AND recording it again changes nothing
    here.revoke_session("sid-ada", until)
    assert backend.open().session_revoked("sid-ada") is True


def test_a_logout_is_forgotten_once_the_session_would_have_expired(backend: Backend) -> None:
    directory = backend.open()
    directory.revoke_session("sid-old", time.time() - 1)  # expired already
    assert directory.session_revoked("sid-old") is False
    directory.revoke_session("sid-new", time.time() + 3600)
    assert directory.session_revoked("sid-new") is True


def test_sqlite_keeps_only_a_digest_of_the_session_and_purges_old_ones(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    store = SQLiteStore(path)
    try:
        store.revoke_session("sid-expired", time.time() - 10)
        store.revoke_session("sid-secret-value", time.time() + 3600)
    finally:
        store.close()
    db = sqlite3.connect(path)
    rows = db.execute("SELECT digest FROM revoked_sessions").fetchall()
    db.close()
    # the expired one went when the next was written; the id itself is never stored
    assert rows == [(session_digest("sid-secret-value"),)]
    assert "sid-secret-value" not in rows[0][0]


def test_dynamodb_keeps_a_logout_under_the_shops_partition_with_a_ttl(moto: MotoDynamoDB) -> None:
    table = moto.new_table()
    store = DynamoDBStore(moto.client(), table, shop_id="main")
    other = DynamoDBStore(moto.client(), table, shop_id="other")
    try:
        until = time.time() + 3600
        store.revoke_session("sid-secret-value", until)
        items = moto.client(patient=True).scan(TableName=table)["Items"]
        [item] = items
        assert item["pk"] == {"S": "SHOP#main"}
        assert item["sk"] == {"S": f"REVOKED#{session_digest('sid-secret-value')}"}
        assert int(item["expires_at"]["N"]) >= until  # DynamoDB's TTL deletes it later
        assert "sid-secret-value" not in json.dumps(items)
        # another shop in the same table knows nothing of it
        assert other.session_revoked("sid-secret-value") is False
    finally:
        store.close()
        other.close()
        moto.delete_table(table)


def test_a_schema_3_database_gains_the_logout_table_on_open(tmp_path: Path) -> None:
    # GIVEN a shop as schema version 3 left it
    path = tmp_path / "v3.db"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    with db:
        db.execute("DROP TABLE revoked_sessions")
        db.execute("PRAGMA user_version = 3")
    db.close()
    # WHEN today's store opens it read-only (a command such as `staff remove`)
    store = SQLiteStore(path, create=False)
    try:
        # THEN logouts work, and the file is at today's schema
        store.revoke_session("sid-ada", time.time() + 60)
        assert store.session_revoked("sid-ada") is True
    finally:
        store.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    db.close()
