"""Fault injection: a read-only database, a checkout that fails half-way, a bad certificate server.

Each fault is real, not a mock of the store's own error path:

* **Read-only SQLite.** Tests run as root, and ``chmod`` does not stop root from writing, so the
  store is reopened with SQLite's ``mode=ro`` URI: SQLite then opens the file read-only
  (``O_RDONLY``), and every write fails inside SQLite with ``SQLITE_READONLY``, exactly as on a
  read-only mount. Reads keep working, as they would there.
* **A checkout failing half-way.** An SQLite trigger raises on one statement of the checkout
  transaction (the ``checkouts`` insert, after the counter update and the order insert; or
  the final cart update), or the clock fails inside ``make_order``. The transaction must roll
  back whole.
* **A slow or broken certificate server.** A real HTTP server on 127.0.0.1 serves the chain
  slowly, drip by drip, as garbage, or too big; the verifier's real ``download_cert_chain``
  (default 2 s timeout) fetches from it through a URL rewrite, and requests go through the real
  web app served by a threaded WSGI server, so a hung worker would show.

The Customer Profile API's faults are covered in tests/functional/test_profile.py and
DynamoDB's in tests/store; they are not repeated here.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import FROZEN_NOW, Conversation, speech_of
from werkzeug.serving import make_server

from skill.app import CornerShopSkill, build_skill
from skill.config import Settings
from skill.profile import NoProfile
from skill.store.memory import MemoryStore
from skill.store.sqlite import SQLiteStore
from skill.testing.alexa_ca import ThrowawayCA, envelope
from skill.validation import assert_valid_response
from skill.verification import (
    CERT_HOST,
    CERT_PATH_PREFIX,
    DownloadPolicy,
    RequestVerifier,
    download_cert_chain,
)
from skill.web import create_app

Event = Callable[..., dict[str, Any]]
USER = "amzn1.ask.account.AEXAMPLEUSERID0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STORE_APOLOGY = "Sorry, I couldn't reach your cart just now. Please try again."
GENERIC_APOLOGY = "Sorry, something went wrong on my side. Please try that again."


def send(talk: Conversation, name: str, **kwargs: Any) -> dict[str, Any]:
    """Send one turn and check the reply is one Alexa would accept."""
    out = talk.send(name, **kwargs)
    envelope_type = talk.event(name)["request"]["type"]
    assert_valid_response(out, request_type=envelope_type)
    return out


def counter(path: Path) -> int | None:
    """The stored order counter (None before the first order), read past the store."""
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT value FROM counters WHERE name = 'order_number'").fetchone()
    db.close()
    return None if row is None else int(row[0])


def checkout_rows(path: Path) -> int:
    with sqlite3.connect(path) as db:
        count = int(db.execute("SELECT COUNT(*) FROM checkouts").fetchone()[0])
    db.close()
    return count


# ----------------------------------------------------------------------------- read-only SQLite


class SwitchableSQLiteStore(SQLiteStore):
    """A SQLiteStore whose database can be made read-only, and writable again, at will.

    Read-only means SQLite's ``mode=ro``: the file is opened ``O_RDONLY``, so writes fail in
    SQLite (``SQLITE_READONLY``) even for root, for whom ``chmod`` changes nothing.
    """

    read_only = False

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "read_only", False) == self.read_only:
            return conn
        if conn is not None:  # switching modes: drop this thread's connection
            conn.close()
            self._local.conn = None
        if not self.read_only:
            self._local.read_only = False
            return super()._conn()
        uri = f"{Path(self.path).resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 100")
        self._local.conn = conn
        self._local.read_only = True
        return conn


@pytest.fixture
def switchable(tmp_path: Path) -> Iterator[SwitchableSQLiteStore]:
    store = SwitchableSQLiteStore(tmp_path / "shop.db")
    yield store
    store.close()


def test_read_only_mode_really_refuses_writes_as_this_user(
    switchable: SwitchableSQLiteStore,
) -> None:
    # GIVEN the store switched to read-only (whoever runs the tests, root included)
    switchable.read_only = True
    # THEN SQLite itself refuses a write on the store's own connection
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        switchable._conn().execute("INSERT INTO counters(name, value) VALUES ('x', 1)")


def test_read_only_database_apologises_and_loses_nothing(
    make_skill: Callable[..., CornerShopSkill], event: Event, switchable: SwitchableSQLiteStore
) -> None:
    # GIVEN two apples in the cart and "Shall I place your order?" pending
    talk = Conversation(make_skill(store=switchable), event)
    send(talk, "add_item")
    send(talk, "checkout")
    pending = talk.attributes
    # WHEN the database turns read-only and the user says yes (and Alexa redelivers it)
    switchable.read_only = True
    for attempt in range(2):
        out = send(talk, "yes", request_id="yes-1")
        # THEN a spoken apology that keeps the question open, in a valid response
        assert speech_of(out) == STORE_APOLOGY, attempt
        assert out["response"]["shouldEndSession"] is False
        assert talk.attributes["pending"] == {"kind": "checkout"}
    # AND adding is refused the same way, while reading the cart still works
    assert speech_of(send(talk, "add_item", request_id="add-ro")) == STORE_APOLOGY
    assert "2 apples" in speech_of(send(talk, "list_cart"))
    # AND nothing was written: no order, no partial order, the cart as it was
    assert switchable.list_orders() == []
    assert switchable.get_cart(USER).count == 2
    assert counter(Path(switchable.path)) is None
    assert checkout_rows(Path(switchable.path)) == 0
    # WHEN the database is writable again and "yes" is said again
    switchable.read_only = False
    talk.attributes = pending
    out = send(talk, "yes", request_id="yes-1")
    # THEN exactly one order, number 1001; a redelivered "yes" returns it, not a second one
    assert "Order 1001" in speech_of(out)
    talk.attributes = pending
    assert "Order 1001" in speech_of(send(talk, "yes", request_id="yes-1"))
    assert [order.number for order in switchable.list_orders()] == [1001]
    assert switchable.get_cart(USER).is_empty
    assert counter(Path(switchable.path)) == 1001
    assert checkout_rows(Path(switchable.path)) == 1


# ----------------------------------------------------------------------------- half a checkout


TRIGGERS = {
    # after the counter update and the order insert: the third write of four
    "checkouts insert": "CREATE TRIGGER fault BEFORE INSERT ON checkouts "
    "BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected)'); END",
    # the order row itself, after the counter update
    "orders insert": "CREATE TRIGGER fault BEFORE INSERT ON orders "
    "BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected)'); END",
    # the last write of all: emptying the cart
    "cart emptying": "CREATE TRIGGER fault BEFORE UPDATE ON carts "
    "BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected)'); END",
}


@pytest.mark.parametrize("where", sorted(TRIGGERS))
def test_checkout_failing_mid_transaction_rolls_back_whole(
    make_skill: Callable[..., CornerShopSkill], event: Event, tmp_path: Path, where: str
) -> None:
    # GIVEN two apples in the cart and a pending checkout
    path = tmp_path / "shop.db"
    store = SQLiteStore(path)
    talk = Conversation(make_skill(store=store), event)
    send(talk, "add_item")
    send(talk, "checkout")
    pending = talk.attributes
    # WHEN one statement inside the checkout transaction fails in SQLite
    with sqlite3.connect(path) as db:
        db.execute(TRIGGERS[where])
    db.close()
    out = send(talk, "yes", request_id="yes-1")
    # THEN the user hears the storage apology and the transaction left no trace
    assert speech_of(out) == STORE_APOLOGY
    assert store.list_orders() == []
    assert store.get_cart(USER).count == 2
    assert counter(path) is None
    assert checkout_rows(path) == 0
    # WHEN the fault is gone and the same "yes" is retried
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER fault")
    db.close()
    talk.attributes = pending
    out = send(talk, "yes", request_id="yes-1")
    # THEN exactly one order, the first number there is
    assert "Order 1001" in speech_of(out)
    assert [order.number for order in store.list_orders()] == [1001]
    assert store.get_cart(USER).is_empty
    assert counter(path) == 1001
    assert checkout_rows(path) == 1


def test_make_order_failing_inside_the_transaction_rolls_back(
    make_skill: Callable[..., CornerShopSkill], event: Event, tmp_path: Path
) -> None:
    # GIVEN a clock that fails once, called by make_order inside the checkout transaction
    path = tmp_path / "shop.db"
    store = SQLiteStore(path)
    broken = {"on": False}

    def clock() -> datetime:
        if broken["on"]:
            raise OSError("clock source unavailable (injected)")
        return FROZEN_NOW

    talk = Conversation(make_skill(store=store, clock=clock), event)
    send(talk, "add_item")
    send(talk, "checkout")
    pending = talk.attributes
    broken["on"] = True
    out = send(talk, "yes", request_id="yes-1")
    # THEN a generic apology, and nothing written
    assert speech_of(out) == GENERIC_APOLOGY
    assert store.list_orders() == [] and store.get_cart(USER).count == 2
    assert counter(path) is None and checkout_rows(path) == 0
    # AND once the clock works, the retry makes order 1001, once
    broken["on"] = False
    talk.attributes = pending
    assert "Order 1001" in speech_of(send(talk, "yes", request_id="yes-1"))
    assert [order.number for order in store.list_orders()] == [1001]
    assert counter(path) == 1001


# ----------------------------------------------------------------------------- certificate server

SKILL_ID = "amzn1.ask.skill.faults"
SLOW_SECONDS = 5.0
HANG_GUARD_SECONDS = 4.0  # not a benchmark: the download gives up after its 2 s timeout


class CertServer(BaseHTTPRequestHandler):
    """/good.pem, /slow.pem (5 s), /drip.pem, /garbage.pem, /huge.pem, /huge-unsized.pem,
    /error.pem (HTTP 500) and /cut.pem (connection dropped mid-body)."""

    chain = b""
    release = threading.Event()

    def do_GET(self) -> None:
        name = urlsplit(self.path).path.rsplit("/", 1)[-1]
        try:
            if name == "good.pem":
                self._reply(200, self.chain)
            elif name == "slow.pem":
                self.release.wait(SLOW_SECONDS)
                self._reply(200, self.chain)
            elif name == "drip.pem":
                self.send_response(200)
                self.send_header("Content-Length", str(len(self.chain)))
                self.end_headers()
                for start in range(0, len(self.chain), 64):
                    if self.release.wait(0.25):
                        return
                    self.wfile.write(self.chain[start : start + 64])
                    self.wfile.flush()
            elif name == "garbage.pem":
                self._reply(200, bytes(range(256)) * 8)
            elif name == "huge.pem":
                self._reply(200, self.chain * (70_000 // len(self.chain) + 1))
            elif name == "huge-unsized.pem":
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"-----BEGIN CERTIFICATE-----\n" + b"A" * 70_000)
            elif name == "error.pem":
                self._reply(500, b"internal error")
            elif name == "cut.pem":
                self.send_response(200)
                self.send_header("Content-Length", str(len(self.chain)))
                self.end_headers()
                self.wfile.write(self.chain[:100])
            else:
                self._reply(404, b"no such key")
        except OSError:
            pass  # the client gave up on purpose (timeout, size cap)

    def _reply(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def ca() -> ThrowawayCA:
    return ThrowawayCA()


@pytest.fixture(scope="module")
def cert_server(ca: ThrowawayCA) -> Iterator[str]:
    CertServer.chain = ca.chain_pem()
    CertServer.release.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), CertServer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        CertServer.release.set()  # let slow handlers finish now
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def web(ca: ThrowawayCA, cert_server: str) -> Iterator[str]:
    """The real web app on a threaded WSGI server, verifying against the local cert server."""
    prefix = f"https://{CERT_HOST}{CERT_PATH_PREFIX}"

    def fetch(url: str) -> bytes:
        # The URL passed Alexa's rules (https://s3.amazonaws.com/echo.api/...); only its
        # host is swapped for the local server. Timeout and size cap are the defaults.
        assert url.startswith(prefix), url
        return download_cert_chain(cert_server + url[len(prefix) :])

    # This module names a dozen certificate URLs that fail on purpose. The default budget
    # (two downloads no signed request proves, then one per 30 s) would refuse most of them
    # before any download, as it should in production, and hide what each test checks.
    verifier = RequestVerifier(
        SKILL_ID,
        trust_roots=ca.root_pem,
        fetch_cert_chain=fetch,
        clock=lambda: ca.now,
        download_policy=DownloadPolicy(burst=32),
    )
    settings = Settings(store_url="memory://", skill_id=SKILL_ID, verify_requests=True)
    skill = build_skill(settings, store=MemoryStore(), profile=NoProfile())
    app = create_app(settings, skill=skill, verifier=verifier.verify)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        skill.close()


def post(web: str, ca: ThrowawayCA, chain_name: str) -> tuple[int, dict[str, Any], float]:
    """POST a correctly signed LaunchRequest whose certificate URL names ``chain_name``."""
    body = envelope("LaunchRequest", timestamp=ca.now, application_id=SKILL_ID)
    headers = ca.headers(body, f"https://{CERT_HOST}{CERT_PATH_PREFIX}{chain_name}")
    headers["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection(web, timeout=15)
    started = time.monotonic()
    try:
        connection.request("POST", "/alexa", body=body, headers=headers)
        response = connection.getresponse()
        payload = json.loads(response.read())
        return response.status, payload, time.monotonic() - started
    finally:
        connection.close()


def test_good_certificate_server_gives_a_valid_reply(web: str, ca: ThrowawayCA) -> None:
    status, payload, _ = post(web, ca, "good.pem")
    assert status == 200, payload
    assert_valid_response(payload, request_type="LaunchRequest")


@pytest.mark.parametrize(
    "chain_name",
    ["garbage.pem", "huge.pem", "huge-unsized.pem", "error.pem", "cut.pem", "missing.pem"],
)
def test_broken_certificate_server_gets_400(web: str, ca: ThrowawayCA, chain_name: str) -> None:
    status, payload, elapsed = post(web, ca, chain_name)
    assert status == 400, payload
    assert isinstance(payload.get("error"), str) and payload["error"]
    assert elapsed < HANG_GUARD_SECONDS


@pytest.mark.parametrize("chain_name", ["slow.pem", "drip.pem"])
def test_slow_certificate_server_gets_400_within_the_timeout_and_blocks_no_one(
    web: str, ca: ThrowawayCA, chain_name: str
) -> None:
    # GIVEN a request whose certificate server answers slowly (silence, or a byte trickle)
    outcome: dict[str, Any] = {}

    def slow_request() -> None:
        outcome["result"] = post(web, ca, chain_name)

    worker = threading.Thread(target=slow_request)
    worker.start()
    time.sleep(0.3)
    # WHEN a good request arrives while the slow one waits (a URL not cached yet, so its
    # chain is downloaded too; a path of its own, since URLs with a query string are refused)
    status, payload, elapsed = post(web, ca, f"while-{chain_name}/good.pem")
    # THEN the good one is served at once: the slow download holds no shared worker or lock
    assert status == 200, payload
    assert_valid_response(payload, request_type="LaunchRequest")
    assert elapsed < 1.5
    # AND the slow one fails with 400 once the download's 2 s timeout is spent, not after 5 s
    worker.join(timeout=10)
    assert not worker.is_alive()
    slow_status, slow_payload, slow_elapsed = outcome["result"]
    assert slow_status == 400, slow_payload
    assert "certificate chain" in slow_payload["error"]
    assert slow_elapsed < HANG_GUARD_SECONDS
    # AND the app keeps serving afterwards
    assert post(web, ca, "good.pem")[0] == 200
