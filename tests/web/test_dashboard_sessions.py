"""The dashboard across processes: two web processes of one shop on one store.

Each "process" is its own store object (SQLite on one file, or DynamoDB on one moto
table on 127.0.0.1), its own Dashboard (notification registry, change feed, session
caches) and its own Flask app, as two web workers, or a worker and the service after a
restart, would be. Nothing is shared between them but the store.

* A "ready" notification that failed in one process shows on the other's dashboard
  (its list, its notifications route and its event stream).
* A logout through one process is refused by the other (within the "not logged out"
  cache, REVOCATION_CHECK_S), and by a process that never saw the session at once.
* ``cornershop staff remove`` ends the account's sessions in every process at once,
  and ends an open event stream of hers at its next heartbeat.
"""

from __future__ import annotations

import http.server
import importlib.util
import io
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import FROZEN_NOW, Conversation, speech_of
from flask.testing import FlaskClient
from test_dashboard import CUSTOMER, PASSWORD, log_in, page_csrf, sse_events

from skill.app import CornerShopSkill
from skill.cli import main
from skill.config import Settings
from skill.dashboard import Dashboard
from skill.dashboard.service import REVOCATION_CHECK_S
from skill.dashboard.staff import MemoryStaffDirectory, new_member
from skill.errors import StoreError
from skill.notifications import NotificationRegistry, NotificationSettings, Region, order_ready_hook
from skill.store.memory import MemoryStore
from skill.store.sqlite import SQLiteStore
from skill.web import create_app

TESTS = Path(__file__).parents[1]
COOKIE = "cornershop_staff"


def _suite_servers() -> Any:
    """tests/store/_servers.py, the suite's moto server (one module, whoever loads it)."""
    if "_servers" not in sys.modules:
        spec = importlib.util.spec_from_file_location("_servers", TESTS / "store" / "_servers.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["_servers"] = module
        spec.loader.exec_module(module)
    return sys.modules["_servers"]


@pytest.fixture(scope="module")
def moto() -> Iterator[Any]:
    with _suite_servers().MotoDynamoDB() as server:
        yield server


@pytest.fixture(scope="module")
def ada() -> Any:
    return new_member("ada", PASSWORD)  # scrypt: hashed once per module


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Process:
    """One web process of the shop: a store object, a skill, a dashboard, an app."""

    def __init__(
        self,
        store: Any,
        make_skill: Callable[..., CornerShopSkill],
        event: Callable[..., Any],
        **options: Any,
    ) -> None:
        self.store = store
        self.skill = make_skill(store=store)
        self.event = event
        options.setdefault("stream_seconds", 0.3)
        options.setdefault("now", lambda: FROZEN_NOW)
        options.setdefault("notifications", NotificationRegistry())  # its own, as a process
        self.dashboard = Dashboard(store, store, **options)
        settings = Settings(store_url="memory://", verify_requests=False)
        self.app = create_app(settings, skill=self.skill, dashboard=self.dashboard)

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def checkout(self) -> int:
        talk = Conversation(self.skill, self.event)
        talk.send("add_item")
        talk.send("checkout")
        spoken = speech_of(talk.send("yes"))
        numbers = [int(word) for word in spoken.replace(".", " ").split() if word.isdigit()]
        assert numbers, spoken
        return numbers[0]


@pytest.fixture(params=["sqlite", "dynamodb"])
def open_store(
    request: pytest.FixtureRequest, tmp_path: Path, ada: Any
) -> Iterator[Callable[[], Any]]:
    """Opens store objects on one shop's data, which has ada's account."""
    opened: list[Any] = []
    if request.param == "sqlite":

        def make() -> Any:
            return SQLiteStore(tmp_path / "shop.db")

    else:
        from skill.store.dynamodb import DynamoDBStore

        server = request.getfixturevalue("moto")
        table = server.new_table()

        def make() -> Any:
            return DynamoDBStore(server.client(), table)

    def open_one() -> Any:
        store = make()
        opened.append(store)
        return store

    open_one().add_staff(ada)
    yield open_one
    for store in opened:
        store.close()
    if request.param == "dynamodb":
        server.delete_table(table)


@pytest.fixture
def make_process(
    make_skill: Callable[..., CornerShopSkill], event: Callable[..., Any]
) -> Iterator[Callable[..., Process]]:
    made: list[Process] = []

    def make(store: Any, **options: Any) -> Process:
        process = Process(store, make_skill, event, **options)
        made.append(process)
        return process

    yield make
    for process in made:
        process.dashboard.close()


class HeldAlexa:
    """Login with Amazon and the events API on 127.0.0.1: tokens are given at once; each
    event is answered 503 (a notification fails), but only once ``release`` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.events = 0
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path == "/auth/o2/token":
                    body = json.dumps({"access_token": "Atc|x", "expires_in": 3600}).encode()
                    status = 200
                else:
                    fake.events += 1
                    fake.release.wait(10)
                    body, status = b'{"code": "SERVICE_UNAVAILABLE"}', 503
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HeldAlexa:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class Watcher:
    """A dashboard's event stream, read from its cursor on (each stream lasts 0.3 s)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.cursor = client.get("/shop/orders").get_json()["cursor"]
        self.orders: list[dict[str, Any]] = []

    def until(self, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first order event (from now on) that ``wanted`` accepts; bounded wait."""
        for _ in range(40):
            body = self.client.get(f"/shop/events?after={self.cursor}").get_data(as_text=True)
            for _, event_id, event in sse_events(body):
                self.cursor = event_id or self.cursor
                if event and event["type"] == "order":
                    self.orders.append(event["order"])
                    if wanted(event["order"]):
                        return event["order"]
        raise AssertionError(f"no such order event came; saw {self.orders}")


def copy_cookie(source: FlaskClient, target: FlaskClient) -> None:
    cookie = source.get_cookie(COOKIE, path="/shop")
    assert cookie is not None
    target.set_cookie(COOKIE, cookie.value, domain="localhost", path="/shop")


# -- a failed "ready" notification, on another process's dashboard -------------------------
def test_a_failed_notification_shows_on_a_dashboard_served_by_another_process(
    open_store: Callable[[], Any], make_process: Callable[..., Process]
) -> None:
    with HeldAlexa() as alexa:
        # GIVEN process A, whose notifier keeps outcomes in the store (the events API
        # will answer 503), and process B, which sends nothing and hears nothing from A
        store_a = open_store()
        hook = order_ready_hook(
            NotificationSettings(
                "amzn1.application-oa2-client.test",
                "a-secret",
                token_url=f"{alexa.base}/auth/o2/token",
                api_hosts=dict.fromkeys(Region, alexa.base),
                attempts=2,
                backoff=0.0,
            ),
            registry=NotificationRegistry(),
            store=store_a,
        )
        assert hook is not None
        a = make_process(store_a, hooks=[hook])
        b = make_process(open_store())
        number = a.checkout()
        watcher = b.client()
        log_in(watcher)
        stream = Watcher(watcher)
        # WHEN ada marks the order ready through process A
        staff = a.client()
        log_in(staff)
        token = {"X-CSRF-Token": page_csrf(staff)}
        assert staff.post(f"/shop/orders/{number}/ready", headers=token).status_code == 200
        # THEN B's stream (its poller reads the store) shows it ready, its notification
        # not failed yet: the events API has not answered
        ready = stream.until(lambda o: o["status"] == "ready")
        assert ready.get("notification", {}).get("status") in (None, "pending")
        # WHEN the notification then fails
        alexa.release.set()
        assert hook.notifier.flush(timeout=20)
        hook.close(timeout=5)
    assert alexa.events == 2
    # THEN B's stream announces the order again, carrying the failure
    announced = stream.until(lambda o: o.get("notification", {}).get("status") == "failed")
    assert announced["status"] == "ready"
    # AND B's list shows the failure on the order, with its reason
    data = watcher.get("/shop/orders").get_json()
    [order] = data["orders"]
    failed = order["notification"]
    assert failed["status"] == "failed"
    assert failed["detail"] == "HTTP 503 from the Proactive Events API after 2 attempts"
    assert data["notifications"] == {str(number): failed}
    assert announced["notification"] == failed
    # AND its notifications route (the WebSocket page's watch) says so
    asked = watcher.get(f"/shop/notifications?orders={number}").get_json()
    assert asked == {"notifications": {str(number): failed}}
    # AND nothing of the customer's reached B's screens
    shown = str(data) + str(stream.orders)
    assert CUSTOMER not in shown and "user_id" not in shown


# -- logout, across processes -------------------------------------------------------------
def test_a_logout_through_one_process_is_refused_by_the_others(
    open_store: Callable[[], Any], make_process: Callable[..., Process]
) -> None:
    # GIVEN ada's session, used through process A and, with the same cookie, process B
    clock = Clock()
    a = make_process(open_store())
    b = make_process(open_store(), clock=clock)
    browser = a.client()
    assert log_in(browser).status_code == 303
    copy = b.client()
    copy_cookie(browser, copy)
    assert browser.get("/shop/orders").status_code == 200
    assert copy.get("/shop/orders").status_code == 200
    stolen = a.client()
    copy_cookie(browser, stolen)  # a copy taken before logout
    # WHEN she logs out through process A
    resp = browser.post("/shop/logout", data={"csrf_token": page_csrf(browser)})
    assert resp.status_code == 303
    # THEN A refuses the cookie at once
    assert stolen.get("/shop/orders").status_code == 401
    # AND a process that had not seen the session refuses it at once too
    c = make_process(open_store())
    fresh = c.client()
    copy_cookie(stolen, fresh)
    assert fresh.get("/shop/orders").status_code == 401
    # AND B, which had found it good a moment ago, refuses it once its "not logged
    # out" answer is older than REVOCATION_CHECK_S
    clock.now += REVOCATION_CHECK_S
    assert copy.get("/shop/orders").status_code == 401
    assert copy.get("/shop/session").status_code == 401
    # AND logging in again through B gives a new session that works everywhere
    assert log_in(copy).status_code == 303
    again = a.client()
    copy_cookie(copy, again)
    assert again.get("/shop/orders").status_code == 200


class NoLogoutRecords(MemoryStaffDirectory):
    def revoke_session(self, sid: str, until: float) -> None:
        raise StoreError("Corner Shop could not record a logout in DynamoDB table 'x'.")


def test_a_logout_the_store_cannot_record_still_ends_the_session_here(
    make_skill: Callable[..., CornerShopSkill], ada: Any
) -> None:
    staff = NoLogoutRecords()
    staff.add_staff(ada)
    dashboard = Dashboard(MemoryStore(), staff)
    app = create_app(
        Settings(store_url="memory://", verify_requests=False),
        skill=make_skill(),
        dashboard=dashboard,
    )
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger("cornershop")
    handler = Keep(logging.WARNING)
    logger.addHandler(handler)
    try:
        browser = app.test_client()
        log_in(browser)
        stolen = app.test_client()
        copy_cookie(browser, stolen)
        resp = browser.post("/shop/logout", data={"csrf_token": page_csrf(browser)})
    finally:
        logger.removeHandler(handler)
        dashboard.close()
    assert resp.status_code == 303  # logging out never fails for the person doing it
    assert stolen.get("/shop/orders").status_code == 401  # refused in this process
    assert any(
        "staff ada logged out, but the logout could not be stored (StoreError)" in line
        for line in lines
    )


# -- removing a staff account ----------------------------------------------------------------
def test_removing_an_account_ends_its_sessions_and_streams_in_every_process(
    tmp_path: Path, ada: Any, make_process: Callable[..., Process]
) -> None:
    # GIVEN a SQLite shop with ada's account, and her session used through two processes,
    # one of them holding her event stream open (30 s streams, heartbeat every 0.1 s)
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    assert main(["store", "init", "--store", url], out=io.StringIO()) == 0
    SQLiteStore(path).add_staff(ada)
    a = make_process(SQLiteStore(path))
    b = make_process(SQLiteStore(path), stream_seconds=30.0, heartbeat=0.1)
    browser = a.client()
    log_in(browser)
    other = b.client()
    copy_cookie(browser, other)
    listed = other.get("/shop/orders")
    assert listed.status_code == 200
    stream = other.get(f"/shop/events?after={listed.get_json()['cursor']}", buffered=False)
    assert stream.status_code == 200
    chunks = iter(stream.response)
    assert next(chunks).startswith(b"retry:")
    ended = threading.Event()

    def read() -> None:
        for _ in chunks:
            pass
        ended.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    # WHEN the shop removes her account (the CLI, a third process)
    out = io.StringIO()
    assert main(["staff", "remove", "ada", "--store", url], out=out) == 0
    assert "sessions have ended" in out.getvalue()
    # THEN both processes refuse her session at once (the account is read every time)
    assert browser.get("/shop/orders").status_code == 401
    assert other.get("/shop/orders").status_code == 401
    # AND her open stream ends at its next heartbeat, not after its 30 s
    assert ended.wait(timeout=10)
    stream.close()


# -- in a real browser ------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.slow
def test_the_browser_shows_a_failure_another_process_recorded(
    tmp_path: Path, ada: Any, browser: Any, make_skill: Callable[..., CornerShopSkill]
) -> None:
    """Headless Chromium on process B's dashboard (waitress on 127.0.0.1). The failures
    are recorded in the store as process A's notifier records them; B never sent one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from skill.domain.cart import Cart
    from skill.domain.orders import Order, OrderLine, OrderNotification, OrderStatus
    from skill.server import create_server

    path = tmp_path / "shop.db"
    writer = SQLiteStore(path)  # process A's store object
    writer.add_staff(ada)
    now = datetime.now(UTC)

    def order_for(user: str) -> Order:
        writer.update_cart(user, lambda cart: Cart.from_lines({"APPLE": 2}))
        return writer.place_order(
            user,
            "",
            lambda cart, number, catalog: Order(
                number, user, (OrderLine("APPLE", "apples", 2, 75),), "USD", now, "en-US"
            ),
        )

    def failed(detail: str) -> OrderNotification:
        return OrderNotification("failed", detail, datetime.now(UTC))

    # GIVEN an order whose notification failed in process A before B's page was opened
    first = order_for(CUSTOMER).number
    writer.set_order_status(first, OrderStatus.READY)
    writer.set_order_notification(first, failed("HTTP 503 from the Proactive Events API"))
    # AND process B serving the dashboard
    store_b = SQLiteStore(path)
    dashboard = Dashboard(
        store_b, store_b, stream_seconds=1.0, notifications=NotificationRegistry()
    )
    settings = Settings(store_url="memory://", verify_requests=False)
    app = create_app(settings, skill=make_skill(store=store_b), dashboard=dashboard)
    server = create_server(app, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        driver = browser
        wait = WebDriverWait(driver, 20)
        driver.get(f"{server.url}/shop")
        wait.until(ec.presence_of_element_located((By.ID, "login")))
        driver.find_element(By.ID, "name").send_keys("ada")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "login-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "live"), "live"))
        # THEN its row shows the failure, from the list alone
        mark = (By.CSS_SELECTOR, f"#order-{first} td.status .echo")
        wait.until(ec.text_to_be_present_in_element(mark, "Echo notification failed"))
        assert "HTTP 503" in (driver.find_element(*mark).get_attribute("title") or "")
        # WHEN another order becomes ready, and then its notification fails, in process A
        second = order_for("amzn1.ask.account.ANOTHER-CUSTOMER").number
        writer.set_order_status(second, OrderStatus.READY)
        status = (By.CSS_SELECTOR, f"#order-{second} td.status")
        wait.until(ec.text_to_be_present_in_element(status, "ready"))
        assert driver.find_elements(By.CSS_SELECTOR, f"#order-{second} td.status .echo") == []
        writer.set_order_notification(second, failed("HTTP 429 from the Proactive Events API"))
        # THEN the open page marks it too, without a reload (B's poller, its event stream)
        mark = (By.CSS_SELECTOR, f"#order-{second} td.status .echo")
        wait.until(ec.text_to_be_present_in_element(mark, "Echo notification failed"))
        assert "HTTP 429" in (driver.find_element(*mark).get_attribute("title") or "")
    finally:
        dashboard.close()
        inner: Any = server._inner
        inner.task_dispatcher.shutdown(timeout=10)
        from waitress import wasyncore

        wasyncore.close_all(inner._map)
        thread.join(timeout=10)
        writer.close()
