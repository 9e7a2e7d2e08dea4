"""The shop staff dashboard under /shop: login, sessions, CSRF, rate limits, live feed.

Through Flask's test client, against a skill with a memory store (and SQLite where
another process's changes matter). Orders are placed by real checkouts through the
skill (tests/events envelopes), never written past it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import FROZEN_NOW, Conversation, speech_of
from flask import Flask
from flask.testing import FlaskClient

from skill.app import CornerShopSkill
from skill.config import Settings
from skill.dashboard import Dashboard, MemoryStaffDirectory
from skill.dashboard.auth import SESSION_LIFETIME, FailureLimiter, LoginLimiter, cookie_secure
from skill.dashboard.feed import ChangeFeed
from skill.dashboard.service import LiveLink
from skill.dashboard.staff import new_member
from skill.domain.orders import OrderStatus
from skill.errors import BadRequest, InvalidStatusChange, StoreError
from skill.shop_actions import move_order, public_order
from skill.store.memory import MemoryStore
from skill.store.sqlite import SQLiteStore
from skill.web import create_app

PASSWORD = "correct horse battery"
LIVE_URL = "wss://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/live"
LIVE_SECRET = "cornershop-test-live-secret-0123456789abcdef"
CUSTOMER = "amzn1.ask.account.AEXAMPLEUSERID0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


# -- fixtures ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ada() -> Any:
    return new_member("ada", PASSWORD)  # scrypt: hashed once per module


@pytest.fixture
def staff(ada: Any) -> MemoryStaffDirectory:
    directory = MemoryStaffDirectory()
    directory.add_staff(ada)
    return directory


class Shop:
    """A skill, its store, and the web app serving /alexa and /shop."""

    def __init__(self, skill: CornerShopSkill, app: Flask, event: Callable[..., Any]) -> None:
        self.skill = skill
        self.app = app
        self.event = event
        self.dashboard: Dashboard = app.extensions["cornershop.dashboard"]

    def checkout(self) -> int:
        """A customer adds two apples and checks out, through the skill; the order number."""
        talk = Conversation(self.skill, self.event)
        talk.send("add_item")
        talk.send("checkout")
        response = talk.send("yes")
        match = re.search(r"\b(\d{4})\b", speech_of(response))
        assert match, speech_of(response)
        return int(match.group(1))

    def where_is_my_order(self) -> str:
        return speech_of(self.skill.handle(self.event("last_order")))

    def client(self) -> FlaskClient:
        return self.app.test_client()


@pytest.fixture
def make_shop(
    make_skill: Callable[..., CornerShopSkill],
    event: Callable[..., Any],
    staff: MemoryStaffDirectory,
) -> Iterator[Callable[..., Shop]]:
    built: list[Shop] = []

    def make(store: Any = None, **options: Any) -> Shop:
        skill = make_skill(store=store if store is not None else MemoryStore())
        options.setdefault("stream_seconds", 0.3)
        options.setdefault("now", lambda: FROZEN_NOW)
        proxies = options.pop("trusted_proxies", 0)
        dashboard = Dashboard(skill.store, options.pop("directory", staff), **options)
        settings = Settings(store_url="memory://", verify_requests=False, trusted_proxies=proxies)
        shop = Shop(skill, create_app(settings, skill=skill, dashboard=dashboard), event)
        built.append(shop)
        return shop

    yield make
    for shop in built:
        shop.dashboard.close()


@pytest.fixture
def shop(make_shop: Callable[..., Shop]) -> Shop:
    return make_shop()


@pytest.fixture
def logged() -> Iterator[list[str]]:
    """Every message the ``cornershop`` loggers emit during the test."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Keep(level=logging.DEBUG)
    logger = logging.getLogger("cornershop")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def log_in(client: FlaskClient, name: str = "ada", password: str = PASSWORD, **kw: Any) -> Any:
    form = client.get("/shop/login", **kw)
    return client.post(
        "/shop/login",
        data={"name": name, "password": password, "csrf_token": csrf_of(form.text)},
        **kw,
    )


def page_csrf(client: FlaskClient) -> str:
    page = client.get("/shop")
    assert page.status_code == 200
    match = re.search(r'data-csrf="([^"]+)"', page.text)
    assert match
    return match.group(1)


def is_login_answer(resp: Any, method: str = "GET", url: str = "") -> bool:
    """The login page, a redirect to it, or a 401 pointing at it: nothing else."""
    if method == "HEAD" and resp.status_code == 200:
        return url == "/shop/login"  # the login page, without its body
    if resp.status_code in (302, 303):
        return bool(resp.headers["Location"].endswith("/shop/login"))
    if resp.status_code == 401:
        return method == "HEAD" or "/shop/login" in resp.get_data(as_text=True)
    return 'action="/shop/login"' in resp.get_data(as_text=True)


def sse_events(body: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(event type, id, data) of each event in a text/event-stream body."""
    out: list[tuple[str, str, dict[str, Any] | None]] = []
    for block in body.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line.startswith(":") or ":" not in line:
                continue
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        if "data" in fields:
            data = json.loads(fields["data"])
            out.append((fields.get("event", "message"), fields.get("id", ""), data))
    return out


# -- every route needs a session ------------------------------------------------------
SAMPLES = {"number": 1001, "action": "ready", "item_id": "APPLE", "state": "out"}


def sample_url(app: Flask, rule: Any) -> str:
    """A URL that this very rule matches, with plausible values for its arguments."""
    assert set(rule.arguments) <= set(SAMPLES), f"give {rule.rule} sample arguments"
    adapter = app.url_map.bind("localhost")
    url = str(adapter.build(rule.endpoint, {a: SAMPLES[a] for a in rule.arguments}))
    matched, _ = adapter.match(url, method=sorted(rule.methods - {"OPTIONS", "HEAD"})[0])
    assert matched == rule.endpoint
    return url


@pytest.mark.parametrize("websocket", [False, True], ids=["events", "websocket"])
def test_every_shop_route_answers_only_the_login_page_without_a_session(
    make_shop: Callable[..., Shop], websocket: bool
) -> None:
    # GIVEN an order in the shop, so there is something a route could leak (and, on
    # AWS, a WebSocket API whose tokens the dashboard issues)
    shop = make_shop(live=LiveLink(LIVE_URL, LIVE_SECRET) if websocket else None)
    number = shop.checkout()
    rules = [r for r in shop.app.url_map.iter_rules() if str(r.rule).startswith("/shop")]
    assert {
        "/shop",
        "/shop/orders",
        "/shop/events",
        "/shop/live-token",
        "/shop/notifications",
        "/shop/orders/<int:number>/<action>",
        "/shop/catalog/<item_id>/<state>",
    } <= {str(r.rule) for r in rules}
    walked = 0
    for cookie in (None, "garbage", "eyJzdGFmZiI6ImFkYSJ9.forged.signature"):
        client = shop.client()
        if cookie is not None:
            client.set_cookie("cornershop_staff", cookie, domain="localhost", path="/shop")
        # WHEN every method of every /shop route is asked without a valid session,
        # plus paths and methods that match no route
        probes = [
            (m, sample_url(shop.app, r)) for r in rules for m in sorted(r.methods - {"OPTIONS"})
        ]
        probes += [("GET", "/shop/nothing-here"), ("DELETE", "/shop/orders"), ("PUT", "/shop")]
        for method, url in probes:
            resp = client.open(url, method=method, headers={"Accept": "text/html"})
            body = resp.get_data(as_text=True)
            # THEN each answer is the login page (or points at it), with no order in it
            assert is_login_answer(resp, method, url), (method, url, resp.status_code, body[:200])
            assert str(number) not in body and "apples" not in body, (method, url)
            assert LIVE_URL not in body and '"token"' not in body, (method, url)
            assert shop.skill.store.get_catalog() is None  # no switch was flipped
            walked += 1
    assert walked >= 3 * 12
    # AND nothing moved
    assert shop.skill.store.list_orders()[0].status is OrderStatus.PLACED


def test_json_and_stream_routes_answer_401_and_pages_redirect(shop: Shop) -> None:
    client = shop.client()
    assert client.get("/shop").status_code == 303
    assert client.get("/shop").headers["Location"].endswith("/shop/login")
    for url in (
        "/shop/orders",
        "/shop/events",
        "/shop/session",
        "/shop/live-token",
        "/shop/notifications?orders=1001",
    ):
        resp = client.get(url)
        assert resp.status_code == 401 and resp.get_json()["error"].startswith("Log in first")
    assert client.post("/shop/orders/1001/ready").status_code == 401


# -- logging in and out -----------------------------------------------------------------
def test_login_shows_todays_orders_and_logout_ends_the_session(shop: Shop) -> None:
    number = shop.checkout()
    client = shop.client()
    resp = log_in(client)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/shop")
    page = client.get("/shop")
    assert page.status_code == 200 and "Logged in as" in page.text and "ada" in page.text
    data = client.get("/shop/orders").get_json()
    assert [o["number"] for o in data["orders"]] == [number]
    assert data["orders"][0]["lines"] == [["APPLE", "apples", 2, 75]]
    assert data["today"] == "2026-11-27" and data["zone"] == "UTC"
    stolen = client.get_cookie("cornershop_staff", path="/shop")
    assert stolen is not None
    # WHEN ada logs out
    resp = client.post("/shop/logout", data={"csrf_token": page_csrf(client)})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/shop/login")
    # THEN her browser's session is gone, and so is a copy of the cookie taken before
    assert client.get("/shop/orders").status_code == 401
    thief = shop.client()
    thief.set_cookie("cornershop_staff", stolen.value, domain="localhost", path="/shop")
    assert thief.get("/shop/orders").status_code == 401


def test_wrong_password_and_unknown_name_get_the_same_answer(shop: Shop) -> None:
    wrong = log_in(shop.client(), password="not the password")
    nobody = log_in(shop.client(), name="zed", password=PASSWORD)
    assert wrong.status_code == nobody.status_code == 401
    message = "That name and password do not match an account."
    assert message in wrong.text and message in nobody.text
    assert shop.client().get("/shop/orders").status_code == 401


def test_login_page_escapes_what_was_typed(shop: Shop) -> None:
    resp = log_in(shop.client(), name='<script>alert("x")</script>', password="whatever!!")
    assert resp.status_code == 401
    assert "<script>alert" not in resp.text and "&lt;script&gt;" in resp.text


def test_removing_the_account_or_a_new_password_ends_its_sessions(
    shop: Shop, staff: MemoryStaffDirectory
) -> None:
    client = shop.client()
    log_in(client)
    assert client.get("/shop/orders").status_code == 200
    staff.add_staff(new_member("ada", "a brand new password"), replace=True)
    assert client.get("/shop/orders").status_code == 401
    assert log_in(client, password="a brand new password").status_code == 303
    assert client.get("/shop/orders").status_code == 200
    staff.remove_staff("ada")
    assert client.get("/shop/orders").status_code == 401


def test_sessions_expire_after_their_lifetime(make_shop: Callable[..., Shop]) -> None:
    now = [time.time()]
    shop = make_shop(clock=lambda: now[0])
    client = shop.client()
    log_in(client)
    assert client.get("/shop/orders").status_code == 200
    now[0] += SESSION_LIFETIME - 5
    assert client.get("/shop/orders").status_code == 200  # using it does not extend it
    now[0] += 10
    assert client.get("/shop/orders").status_code == 401


# -- cookie flags -------------------------------------------------------------------
def session_cookie_header(resp: Any) -> str:
    cookies = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("cornershop_staff=")]
    assert cookies, resp.headers
    return str(cookies[-1])


@pytest.mark.parametrize(
    ("base_url", "secure"),
    [
        ("http://127.0.0.1:5000", False),
        ("http://localhost:5000", False),
        ("http://[::1]:5000", False),
        ("https://127.0.0.1:5000", True),
        ("http://shop.example.com", True),
        ("https://shop.example.com", True),
        ("http://192.168.1.20:5000", True),
    ],
)
def test_session_cookie_flags(shop: Shop, base_url: str, secure: bool) -> None:
    client = shop.client()
    resp = log_in(client, base_url=base_url)
    assert resp.status_code == 303 or not secure  # a Secure cookie over http is still set here
    header = session_cookie_header(resp)
    flags = [part.strip().lower() for part in header.split(";")[1:]]
    assert "httponly" in flags
    assert "samesite=strict" in flags
    assert "path=/shop" in flags
    assert ("secure" in flags) is secure


def test_cookie_secure_rule() -> None:
    assert not cookie_secure("127.0.0.1:5000", "http")
    assert not cookie_secure("app.localhost", "http")
    assert cookie_secure("127.0.0.1", "https")
    assert cookie_secure("127.0.0.2.example.com", "http")
    assert cookie_secure("10.0.0.1:80", "http")


def test_alexa_requests_get_no_session_cookie(shop: Shop) -> None:
    resp = shop.client().get("/healthz")
    assert resp.status_code == 200 and "Set-Cookie" not in resp.headers


# -- CSRF ------------------------------------------------------------------------------
def test_state_changes_without_the_csrf_token_are_refused(shop: Shop) -> None:
    number = shop.checkout()
    client = shop.client()
    log_in(client)
    for headers in ({}, {"X-CSRF-Token": "not-the-token"}):
        resp = client.post(f"/shop/orders/{number}/ready", headers=headers)
        assert resp.status_code == 403 and "CSRF" in resp.get_json()["error"]
    assert client.post("/shop/logout").status_code == 403
    assert shop.skill.store.list_orders()[0].status is OrderStatus.PLACED
    assert client.get("/shop/orders").status_code == 200  # still logged in
    ok = client.post(f"/shop/orders/{number}/ready", headers={"X-CSRF-Token": page_csrf(client)})
    assert ok.status_code == 200 and ok.get_json()["order"]["status"] == "ready"


def test_login_without_the_forms_token_is_refused(shop: Shop) -> None:
    client = shop.client()
    resp = client.post("/shop/login", data={"name": "ada", "password": PASSWORD})
    assert resp.status_code == 403 and "did not send back" in resp.text
    assert client.get("/shop/orders").status_code == 401
    # a token from another browser's login form does not do either
    other = csrf_of(shop.client().get("/shop/login").text)
    resp = client.post(
        "/shop/login", data={"name": "ada", "password": PASSWORD, "csrf_token": other}
    )
    assert resp.status_code == 403


def test_logging_in_issues_a_new_csrf_token(shop: Shop) -> None:
    client = shop.client()
    before = csrf_of(client.get("/shop/login").text)
    log_in(client)
    assert page_csrf(client) != before


# -- rate limits ------------------------------------------------------------------------
def test_failed_logins_are_limited_per_name(shop: Shop) -> None:
    for _ in range(5):
        assert log_in(shop.client(), password="wrong password").status_code == 401
    # WHEN the right password comes after five failures, even from a fresh browser
    resp = log_in(shop.client())
    # THEN it is refused for now, and says when to come back
    assert resp.status_code == 429
    assert "Too many failed logins" in resp.text
    assert 0 < int(resp.headers["Retry-After"]) <= 15 * 60 + 1


def test_failed_logins_are_limited_per_address(make_shop: Callable[..., Shop]) -> None:
    shop = make_shop(limiter=LoginLimiter(address_limit=3, name_limit=100))
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    for name in ("zed", "yan", "xi"):
        assert log_in(shop.client(), name=name, environ_base=attacker).status_code == 401
    assert log_in(shop.client(), environ_base=attacker).status_code == 429
    assert log_in(shop.client(), environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 303


def test_the_limiter_forgets_old_failures_and_stays_bounded() -> None:
    now = [1000.0]
    limiter = FailureLimiter(2, 60.0, max_keys=3, clock=lambda: now[0])
    limiter.failed("a")
    limiter.failed("a")
    assert limiter.retry_after("a") == pytest.approx(60.0)
    now[0] += 61
    assert limiter.retry_after("a") == 0.0
    for key in "bcdef":
        limiter.failed(key)
    assert len(limiter) == 3  # the stalest keys went first


# -- actions, and what the logs say -------------------------------------------------------
def test_staff_actions_move_orders_and_the_customer_hears_it(shop: Shop, logged: list[str]) -> None:
    number = shop.checkout()
    client = shop.client()
    log_in(client)
    token = {"X-CSRF-Token": page_csrf(client)}
    resp = client.post(f"/shop/orders/{number}/ready", headers=token)
    assert resp.status_code == 200
    assert resp.get_json()["order"]["status"] == "ready"
    assert "is ready for pickup" in shop.where_is_my_order()
    # a move the order rules refuse, an unknown order, an unknown action
    resp = client.post(f"/shop/orders/{number}/ready", headers=token)
    assert resp.status_code == 409 and "already ready" in resp.get_json()["error"]
    assert client.post("/shop/orders/999/cancel", headers=token).status_code == 404
    assert client.post(f"/shop/orders/{number}/refund", headers=token).status_code == 404
    assert client.post(f"/shop/orders/{number}/collected", headers=token).status_code == 200
    # THEN the log names the staff member and the order, never the customer
    assert f"staff ada moved order {number} to ready" in logged
    assert f"staff ada moved order {number} to collected" in logged
    text = "\n".join(logged)
    assert CUSTOMER not in text and "apples" not in text and PASSWORD not in text


def test_failed_login_logs_never_hold_what_was_typed(shop: Shop, logged: list[str]) -> None:
    log_in(
        shop.client(), name=PASSWORD.replace(" ", "-"), password="x" * 12
    )  # a password typed as a name
    log_in(shop.client(), password="wrong password")
    text = "\n".join(logged)
    assert "failed login for a name with no account" in text
    assert "failed login for staff ada" in text
    assert PASSWORD.replace(" ", "-") not in text and "wrong password" not in text


def test_no_customer_id_reaches_a_staff_screen(shop: Shop) -> None:
    shop.checkout()
    client = shop.client()
    log_in(client)
    cursor = client.get("/shop/orders").get_json()["cursor"]
    shop.checkout()
    shop.dashboard.feed.poll()
    for body in (
        client.get("/shop/orders").get_data(as_text=True),
        client.get(f"/shop/events?after={cursor}").get_data(as_text=True),
        client.get("/shop").get_data(as_text=True),
    ):
        assert CUSTOMER not in body and "user_id" not in body


def test_a_failing_hook_never_undoes_or_blocks_the_change(logged: list[str]) -> None:
    store = MemoryStore()
    store.update_cart(CUSTOMER, lambda cart: cart.add("APPLE", 2))
    from skill.domain.orders import Order, OrderLine

    placed = store.place_order(
        CUSTOMER,
        "",
        lambda cart, number, *_: Order(
            number, CUSTOMER, (OrderLine("APPLE", "apples", 2, 75),), "USD", FROZEN_NOW, "en-US"
        ),
    )
    seen: list[tuple[str, str]] = []

    def broken(before: Any, after: Any) -> None:
        raise RuntimeError(f"boom for {after.user_id}")

    def works(before: Any, after: Any) -> None:
        seen.append((before.status.value, after.status.value))

    after = move_order(
        store, placed.number, OrderStatus.READY, actor="cli", on_change=[broken, works]
    )
    assert after.status is OrderStatus.READY
    assert store.list_orders()[0].status is OrderStatus.READY
    assert seen and seen[0][1] == "ready"
    assert f"staff cli moved order {placed.number} to ready" in logged
    assert any("failed: RuntimeError" in line for line in logged)
    assert CUSTOMER not in "\n".join(logged)
    with pytest.raises(InvalidStatusChange):
        move_order(store, placed.number, OrderStatus.READY, actor="cli", on_change=[works])
    assert len(seen) == 1  # a refused change calls no hook


def test_public_order_has_no_user_id(shop: Shop) -> None:
    shop.checkout()
    order = shop.skill.store.list_orders()[0]
    data = public_order(order)
    assert "user_id" not in data and data["number"] == order.number
    assert set(order.to_data()) - set(data) == {"user_id"}


# -- today's orders, in the shop's time zone ------------------------------------------------
def test_todays_orders_follow_the_shops_time_zone(make_shop: Callable[..., Shop]) -> None:
    # The order is placed at 10:15 UTC on 27 November: 23:15 that day in Auckland (UTC+13).
    # At 11:00 UTC it is already the 28th there, so the order is no longer today's.
    later = FROZEN_NOW + timedelta(minutes=45)
    auckland = make_shop(zone=ZoneInfo("Pacific/Auckland"), now=lambda: later)
    auckland.checkout()
    client = auckland.client()
    log_in(client)
    data = client.get("/shop/orders").get_json()
    assert data == {**data, "orders": [], "today": "2026-11-28", "zone": "Pacific/Auckland"}
    utc = make_shop(now=lambda: later)
    utc.checkout()
    client = utc.client()
    log_in(client)
    assert len(client.get("/shop/orders").get_json()["orders"]) == 1


# -- the live feed ---------------------------------------------------------------------------
def test_an_order_placed_by_a_checkout_appears_in_the_event_stream(shop: Shop) -> None:
    client = shop.client()
    log_in(client)
    cursor = client.get("/shop/orders").get_json()["cursor"]
    # WHEN a customer checks out through the skill
    number = shop.checkout()
    # THEN the feed's poller finds it (bounded wait), and the stream carries it
    batch = shop.dashboard.feed.wait(cursor, timeout=10)
    assert [e["order"]["number"] for e in batch.events] == [number]
    resp = client.get(f"/shop/events?after={cursor}")
    assert resp.status_code == 200 and resp.mimetype == "text/event-stream"
    body = resp.get_data(as_text=True)
    assert body.startswith("retry: ")
    events = sse_events(body)
    assert [(kind, data["order"]["number"]) for kind, _, data in events if data] == [
        ("message", number)
    ]
    _, event_id, data = events[0]
    assert data is not None and data["type"] == "order" and data["order"]["status"] == "placed"
    assert event_id == f"{shop.dashboard.feed.id}-{data['seq']}"


def test_reconnecting_with_last_event_id_gets_exactly_what_was_missed(
    tmp_path: Path, make_shop: Callable[..., Shop]
) -> None:
    # GIVEN a dashboard on a SQLite shop, and a second store on the same file: another
    # process, such as `cornershop orders ready N`
    shop = make_shop(SQLiteStore(tmp_path / "shop.db"))
    other = SQLiteStore(tmp_path / "shop.db")
    try:
        client = shop.client()
        log_in(client)
        cursor = client.get("/shop/orders").get_json()["cursor"]
        first = shop.checkout()
        shop.dashboard.feed.poll()
        seen = sse_events(client.get(f"/shop/events?after={cursor}").get_data(as_text=True))
        last_id = seen[-1][1]
        # WHEN, while the browser is away, the other process moves the order and another
        # customer checks out
        move_order(other, first, OrderStatus.READY, actor="cli")
        second = shop.checkout()
        shop.dashboard.feed.poll()
        # THEN reconnecting with Last-Event-ID brings both, and nothing seen before
        resp = client.get("/shop/events?after=ignored", headers={"Last-Event-ID": last_id})
        missed = [
            (d["order"]["number"], d["order"]["status"]) for _, _, d in sse_events(resp.text) if d
        ]
        assert sorted(missed) == [(first, "ready"), (second, "placed")]
    finally:
        other.close()


def test_a_client_too_far_behind_is_told_to_reload(make_shop: Callable[..., Shop]) -> None:
    shop = make_shop()
    feed = ChangeFeed(lambda: shop.skill.store.list_orders(limit=200), capacity=2)
    shop.dashboard.feed.close()
    shop.dashboard.feed = feed
    shop.dashboard.hooks = (feed.hook,)
    client = shop.client()
    log_in(client)
    cursor = client.get("/shop/orders").get_json()["cursor"]
    for _ in range(3):
        shop.checkout()
    feed.poll()
    assert feed.wait(cursor, timeout=0).reload
    body = client.get(f"/shop/events?after={cursor}").get_data(as_text=True)
    assert "event: reload" in body
    # a cursor of another process (or from before a restart) too
    assert "event: reload" in client.get("/shop/events?after=deadbeef-1").get_data(as_text=True)
    assert "event: reload" in client.get("/shop/events").get_data(as_text=True)
    feed.close()


def test_a_published_change_is_never_undone_by_a_stale_poll() -> None:
    store = MemoryStore()
    store.update_cart(CUSTOMER, lambda cart: cart.add("APPLE", 1))
    from skill.domain.orders import Order, OrderLine

    order = store.place_order(
        CUSTOMER,
        "",
        lambda cart, number, *_: Order(
            number, CUSTOMER, (OrderLine("APPLE", "apples", 1, 75),), "USD", FROZEN_NOW, "en-US"
        ),
    )
    stale = [order]  # what a poll read just before the change
    feed = ChangeFeed(lambda: stale)
    _, cursor = feed.snapshot()
    feed.publish(order.with_status(OrderStatus.READY))
    feed.poll()  # reads the stale "placed"
    batch = feed.wait(cursor, timeout=0)
    assert [e["order"]["status"] for e in batch.events] == ["ready"]
    feed.close()


def test_one_poller_thread_serves_every_client(shop: Shop) -> None:
    feed = shop.dashboard.feed
    cursor = feed.cursor()
    results: list[Any] = []

    def listen() -> None:
        results.append(feed.wait(cursor, timeout=10))

    listeners = [threading.Thread(target=listen) for _ in range(5)]
    for thread in listeners:
        thread.start()
    number = shop.checkout()
    for thread in listeners:
        thread.join(timeout=15)
    assert [[e["order"]["number"] for e in b.events] for b in results] == [[number]] * 5
    pollers = [t for t in threading.enumerate() if t.name == "cornershop-feed"]
    assert len([t for t in pollers if t is feed._thread]) == 1


def test_streams_beyond_the_limit_poll_instead_of_holding_a_thread(
    make_shop: Callable[..., Shop],
) -> None:
    shop = make_shop(max_streams=1, stream_seconds=30)
    client = shop.client()
    log_in(client)
    cursor = client.get("/shop/orders").get_json()["cursor"]
    held = shop.dashboard.events(cursor)
    assert next(held).startswith(b"retry: 500")  # holds the one slot
    busy = b"".join(shop.dashboard.events(cursor))  # ends at once: nothing to wait for
    assert busy.startswith(b"retry: 500") and b": busy" in busy
    held.close()
    again = shop.dashboard.events(cursor)
    assert next(again) == b"retry: 500\n\n"  # the slot came back
    shop.checkout()
    shop.dashboard.feed.poll()
    assert next(again).startswith(b"id: ")  # it stays, for events
    again.close()


def test_a_store_outage_gets_503_not_a_crash(make_shop: Callable[..., Shop]) -> None:
    class Down(MemoryStaffDirectory):
        def get_staff(self, name: str) -> Any:
            raise StoreError("The store is down.")

    shop = make_shop(directory=Down())
    resp = log_in(shop.client())
    assert resp.status_code == 503 and "cannot be reached" in resp.text


def test_the_dashboard_page_runs_only_its_own_script(shop: Shop) -> None:
    client = shop.client()
    log_in(client)
    page = client.get("/shop")
    policy = page.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce and f'<script nonce="{nonce.group(1)}">' in page.text
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert page.headers["Cache-Control"] == "no-store"
    assert client.get("/shop").headers["Content-Security-Policy"] != policy  # fresh nonce


def test_the_session_secret_comes_from_the_directory_once(staff: MemoryStaffDirectory) -> None:
    first = Dashboard(MemoryStore(), staff)
    second = Dashboard(MemoryStore(), staff)
    assert first.secret() == second.secret() == staff.session_secret()
    assert len(first.secret()) == 32
    assert Dashboard(MemoryStore(), staff, secret=b"x" * 32).secret() == b"x" * 32
    first.close()
    second.close()


def test_sessions_signed_with_another_shops_secret_are_refused(
    make_shop: Callable[..., Shop], staff: MemoryStaffDirectory
) -> None:
    ours = make_shop()
    theirs = make_shop(directory=staff, secret=b"another shop's secret, 32 bytes")
    client = theirs.client()
    log_in(client)
    cookie = client.get_cookie("cornershop_staff", path="/shop")
    assert cookie is not None
    visitor = ours.client()
    visitor.set_cookie("cornershop_staff", cookie.value, domain="localhost", path="/shop")
    assert visitor.get("/shop/orders").status_code == 401


# -- stock switches ----------------------------------------------------------------------
def test_stock_switches_change_the_shops_catalog(shop: Shop, logged: list[str]) -> None:
    client = shop.client()
    log_in(client)
    items = {i["id"]: i for i in client.get("/shop/catalog").get_json()["items"]}
    assert items["APPLE"] == {**items["APPLE"], "name": "apples", "in_stock": True}
    token = {"X-CSRF-Token": page_csrf(client)}
    # a switch without the token changes nothing
    assert client.post("/shop/catalog/APPLE/out").status_code == 403
    assert shop.skill.store.get_catalog() is None
    # WHEN ada switches apples off
    resp = client.post("/shop/catalog/APPLE/out", headers=token)
    assert resp.status_code == 200 and resp.get_json()["item"]["in_stock"] is False
    # THEN the shop's own catalog (started from the bundled one) has them out of stock
    stored = shop.skill.store.get_catalog()
    assert stored is not None
    apple = next(i for i in stored["items"] if i["id"] == "APPLE")
    assert apple["in_stock"] is False
    assert all(i["in_stock"] for i in stored["items"] if i["id"] != "APPLE")
    assert "staff ada set APPLE out of stock" in logged
    assert client.post("/shop/catalog/APPLE/in", headers=token).get_json()["item"]["in_stock"]
    assert client.post("/shop/catalog/UNICORN/out", headers=token).status_code == 404
    assert client.post("/shop/catalog/APPLE/maybe", headers=token).status_code == 404


def test_the_default_dashboard_uses_the_shops_zone_and_its_store(
    make_skill: Callable[..., CornerShopSkill], ada: Any
) -> None:
    settings = Settings(store_url="memory://", timezone="Europe/Berlin", verify_requests=False)
    store = MemoryStore()
    store.add_staff(ada)  # the store keeps the accounts
    app = create_app(settings, skill=make_skill(store=store, settings=settings))
    dashboard: Dashboard = app.extensions["cornershop.dashboard"]
    try:
        client = app.test_client()
        assert log_in(client).status_code == 303
        assert client.get("/shop/orders").get_json()["zone"] == "Europe/Berlin"
        assert dashboard.secret() == store.session_secret()
    finally:
        dashboard.close()


# -- live updates on AWS: the WebSocket API's tokens --------------------------------------
def test_a_logged_in_member_gets_a_short_lived_token_for_the_websocket_api(
    make_shop: Callable[..., Shop],
) -> None:
    from skill import live_token

    now = [1_795_774_500.0]
    shop = make_shop(live=LiveLink(LIVE_URL, LIVE_SECRET), clock=lambda: now[0])
    client = shop.client()
    log_in(client)
    # the page knows to use the WebSocket, and may connect to its origin and no other
    page = client.get("/shop")
    assert 'data-live="websocket"' in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "connect-src 'self' wss://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com;" in policy
    # WHEN the page asks for a token
    resp = client.get("/shop/live-token")
    # THEN it gets the URL and a token the live function accepts, for two minutes only
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    ticket = resp.get_json()
    assert ticket["url"] == LIVE_URL and ticket["expires_in"] == 120
    assert live_token.check(LIVE_SECRET, ticket["token"], now=now[0] + 119) == "ada"
    with pytest.raises(BadRequest, match="expired"):
        live_token.check(LIVE_SECRET, ticket["token"], now=now[0] + 120)
    # AND after logout there are no more tokens
    client.post("/shop/logout", data={"csrf_token": page_csrf(client)})
    assert client.get("/shop/live-token").status_code == 401


def test_without_a_websocket_api_the_page_keeps_the_event_stream(shop: Shop) -> None:
    client = shop.client()
    log_in(client)
    page = client.get("/shop")
    assert 'data-live="events"' in page.text
    assert "connect-src 'self';" in page.headers["Content-Security-Policy"]
    resp = client.get("/shop/live-token")
    assert resp.status_code == 404 and "CORNERSHOP_LIVE_URL" in resp.get_json()["error"]


def test_with_a_websocket_api_the_list_does_not_start_the_stores_poller(
    make_shop: Callable[..., Shop],
) -> None:
    # On AWS the stream pushes the changes; a poller would read DynamoDB twice a second.
    shop = make_shop(live=LiveLink(LIVE_URL, LIVE_SECRET))
    number = shop.checkout()
    client = shop.client()
    log_in(client)
    assert [o["number"] for o in client.get("/shop/orders").get_json()["orders"]] == [number]
    assert shop.dashboard.feed._thread is None
    events = make_shop()
    client = events.client()
    log_in(client)
    client.get("/shop/orders")
    assert events.dashboard.feed._thread is not None  # the event stream's own poller


def test_live_settings_come_from_the_environment_and_say_what_to_fix(
    make_skill: Callable[..., CornerShopSkill],
) -> None:
    from skill.errors import ConfigError

    env = {"CORNERSHOP_LIVE_URL": LIVE_URL, "CORNERSHOP_LIVE_SECRET": LIVE_SECRET}
    settings = Settings.from_env(env)
    assert (settings.live_url, settings.live_secret) == (LIVE_URL, LIVE_SECRET)
    assert LIVE_SECRET not in repr(settings)
    assert Settings.from_env({}).live_url is None
    app = create_app(
        settings.with_(store_url="memory://", verify_requests=False), skill=make_skill()
    )
    dashboard: Dashboard = app.extensions["cornershop.dashboard"]
    try:
        assert dashboard.live is not None and dashboard.live.url == LIVE_URL
    finally:
        dashboard.close()
    for bad, fix in [
        ({"CORNERSHOP_LIVE_URL": LIVE_URL}, "needs CORNERSHOP_LIVE_SECRET"),
        ({**env, "CORNERSHOP_LIVE_SECRET": "short"}, "at least 32 characters"),
        ({**env, "CORNERSHOP_LIVE_URL": "https://a1b2.execute-api.x.amazonaws.com/live"}, "wss://"),
        ({**env, "CORNERSHOP_LIVE_URL": "ws://shop.example.com/live"}, "wss://"),
        ({**env, "CORNERSHOP_LIVE_URL": LIVE_URL + "?token=x"}, "LiveUpdatesUrl"),
    ]:
        with pytest.raises(ConfigError, match=re.escape(fix)):
            Settings.from_env(bad)
    assert Settings.from_env({**env, "CORNERSHOP_LIVE_URL": "ws://127.0.0.1:9/live"}).live_url


# -- a "ready" notification that failed, on the order's row -----------------------------------
def test_a_failed_ready_notification_is_marked_through_the_feed(
    make_shop: Callable[..., Shop], logged: list[str]
) -> None:
    from test_dashboard_live import FailingAlexa

    from skill.notifications import (
        NotificationRegistry,
        NotificationSettings,
        Region,
        order_ready_hook,
    )

    with FailingAlexa() as alexa:
        # GIVEN notifications configured against Alexa's endpoints (fakes on 127.0.0.1),
        # whose events API answers 503
        registry = NotificationRegistry()
        hook = order_ready_hook(
            NotificationSettings(
                "amzn1.application-oa2-client.test",
                "a-secret",
                token_url=f"{alexa.base}/auth/o2/token",
                api_hosts=dict.fromkeys(Region, alexa.base),
                attempts=2,
                backoff=0.0,
            ),
            registry=registry,
        )
        assert hook is not None
        shop = make_shop(hooks=[hook], notifications=registry)
        number = shop.checkout()
        client = shop.client()
        log_in(client)
        cursor = client.get("/shop/orders").get_json()["cursor"]
        # WHEN ada marks the order ready: the action succeeds at once
        token = {"X-CSRF-Token": page_csrf(client)}
        resp = client.post(f"/shop/orders/{number}/ready", headers=token)
        assert resp.status_code == 200 and resp.get_json()["order"]["status"] == "ready"
        assert hook.notifier.flush(timeout=20)
        hook.close(timeout=5)
    assert alexa.events == 2  # tried twice, then gave up
    # THEN the event stream announces the failure after the status change
    events = sse_events(client.get(f"/shop/events?after={cursor}").get_data(as_text=True))
    notices = [d for _, _, d in events if d and d["type"] == "notification"]
    assert [(n["number"], n["notification"]["status"]) for n in notices] == [
        (number, "pending"),
        (number, "failed"),
    ]
    failed = notices[-1]["notification"]
    assert failed["detail"] == "HTTP 503 from the Proactive Events API after 2 attempts"
    # AND the list (a reload, a reconnection) and the notifications route say so too
    listed = client.get("/shop/orders").get_json()["notifications"]
    assert listed == {str(number): failed}
    asked = client.get(f"/shop/notifications?orders={number},999").get_json()
    assert asked == {"notifications": {str(number): failed}}
    # AND the staff screens got nothing of the customer's
    for body in (str(events), str(listed)):
        assert CUSTOMER not in body and "user_id" not in body
    # AND the order stays ready: a failure never undoes the staff action
    assert shop.skill.store.list_orders()[0].status is OrderStatus.READY
    assert f"order {number}: ready notification failed: {failed['detail']}" in logged


def test_the_notifications_route_refuses_what_is_not_a_list_of_numbers(shop: Shop) -> None:
    client = shop.client()
    log_in(client)
    assert client.get("/shop/notifications?orders=").get_json() == {"notifications": {}}
    too_many = ",".join(str(n) for n in range(1000, 1101))
    for query in ("1001,abc", "-1", too_many, "1" * 12):
        resp = client.get(f"/shop/notifications?orders={query}")
        assert resp.status_code == 400 and "order numbers" in resp.get_json()["error"]


def test_a_closed_dashboard_no_longer_listens_to_notifications() -> None:
    from skill.notifications import NotificationRegistry

    registry = NotificationRegistry()
    dashboard = Dashboard(MemoryStore(), MemoryStaffDirectory(), notifications=registry)
    cursor = dashboard.feed.cursor()
    registry.record(1001, "failed", "HTTP 503", FROZEN_NOW)
    assert [e["type"] for e in dashboard.feed.wait(cursor, timeout=0).events] == ["notification"]
    dashboard.close()
    registry.record(1002, "failed", "HTTP 503", FROZEN_NOW)
    assert registry._listeners == []


# -- behind a reverse proxy -------------------------------------------------------------------
def test_behind_a_trusted_proxy_failed_logins_are_limited_per_client_not_per_proxy(
    make_shop: Callable[..., Shop],
) -> None:
    shop = make_shop(limiter=LoginLimiter(address_limit=3, name_limit=100), trusted_proxies=1)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    def via_proxy(client_address: str, name: str = "ada", password: str = PASSWORD) -> int:
        # The attacker's own X-Forwarded-For is on the left; the proxy appends the
        # address it saw, which is the one taken.
        headers = {"X-Forwarded-For": f"198.18.0.{len(name)}, {client_address}"}
        resp = log_in(shop.client(), name, password, environ_base=proxy, headers=headers)
        return int(resp.status_code)

    for name in ("zed", "yan", "xi"):
        assert via_proxy("203.0.113.9", name, "wrong password") == 401
    # the attacker is limited, whatever they put in the header themselves
    assert via_proxy("203.0.113.9") == 429
    # while staff reaching the shop through the same proxy are not
    assert via_proxy("198.51.100.7") == 303


def test_without_the_setting_forwarded_headers_are_ignored(make_shop: Callable[..., Shop]) -> None:
    shop = make_shop(limiter=LoginLimiter(address_limit=3, name_limit=100))
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    for n, name in enumerate(("zed", "yan", "xi")):
        headers = {"X-Forwarded-For": f"192.0.2.{n}"}
        resp = log_in(shop.client(), name, "wrong password", environ_base=attacker, headers=headers)
        assert resp.status_code == 401
    headers = {"X-Forwarded-For": "192.0.2.200"}
    assert log_in(shop.client(), environ_base=attacker, headers=headers).status_code == 429


@pytest.mark.parametrize("trusted", [0, 1])
def test_the_cookie_is_secure_when_a_trusted_proxy_says_the_browser_used_https(
    make_shop: Callable[..., Shop], trusted: int
) -> None:
    # A TLS terminator on this machine, forwarding to http://127.0.0.1:5000
    shop = make_shop(trusted_proxies=trusted)
    resp = log_in(
        shop.client(), base_url="http://127.0.0.1:5000", headers={"X-Forwarded-Proto": "https"}
    )
    flags = [part.strip().lower() for part in session_cookie_header(resp).split(";")[1:]]
    assert ("secure" in flags) is bool(trusted)


def test_trusted_proxies_come_from_the_environment() -> None:
    from skill.errors import ConfigError

    assert Settings.from_env({"CORNERSHOP_TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    assert Settings.from_env({}).trusted_proxies == 0
    for bad in ("-1", "6", "one"):
        with pytest.raises(ConfigError, match="CORNERSHOP_TRUSTED_PROXIES"):
            Settings.from_env({"CORNERSHOP_TRUSTED_PROXIES": bad})
