"""'Your order is ready' on the customer's Echo: Proactive Events against real HTTP fakes.

Login with Amazon and the Alexa events API are ``ThreadingHTTPServer``s on 127.0.0.1 that
record every request exactly as it arrived and answer from a script.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from conftest import Conversation

from skill.app import CornerShopSkill
from skill.config import Settings
from skill.domain.cart import Cart
from skill.domain.orders import Order, OrderLine, OrderStatus
from skill.errors import ConfigError, CorruptRecord, StoreError
from skill.notifications import (
    EVENT_NAME,
    MAX_EXPIRY,
    MIN_EXPIRY,
    ORDER_STATES,
    READY_STATE,
    NotificationRegistry,
    NotificationSettings,
    Notifier,
    OrderReadyHook,
    Region,
    Stage,
    notifications_enabled,
    notifications_granted,
    order_ready_hook,
    region_of,
)
from skill.profile import FixedProfile
from skill.shop_actions import move_order
from skill.store.memory import MemoryStore
from skill.store.sqlite import SQLiteStore

NOW = datetime(2026, 11, 27, 10, 15, 30, 250000, tzinfo=UTC)
USER = "amzn1.ask.account.AGF7EXAMPLEUSERID"
SECRET = "s3cr+t/with=&odd chars"
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
TOKEN_PATH = "/auth/o2/token"
DEV_PATH = "/v1/proactiveEvents/stages/development"


# -- fakes ----------------------------------------------------------------------------
@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("ascii"), strict_parsing=True)


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None  # answer only once this is set


class FakeApi:
    """An HTTP server that records requests and answers from ``script`` (then ``default``)."""

    def __init__(self, default: Callable[[int], Answer]) -> None:
        self.seen: list[Seen] = []
        self.script: list[Answer] = []
        self.default = default
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with api.lock:
                    api.seen.append(
                        Seen(
                            "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                        )
                    )
                    answer = api.script.pop(0) if api.script else api.default(len(api.seen))
                if answer.hold is not None:
                    answer.hold.wait(10)
                data = b"" if answer.body is None else json.dumps(answer.body).encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # A short poll interval: shutdown() waits for it, three servers per test.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def requests(self) -> list[Seen]:
        with self.lock:
            return list(self.seen)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _token(n: int) -> Answer:
    body = {"access_token": f"Atc|token-{n}", "scope": "alexa::proactive_events"}
    return Answer(200, {**body, "token_type": "bearer", "expires_in": 3600})


@pytest.fixture
def lwa() -> Iterator[FakeApi]:
    api = FakeApi(_token)
    yield api
    api.close()


@pytest.fixture
def events() -> Iterator[FakeApi]:
    api = FakeApi(lambda n: Answer(202))
    yield api
    api.close()


@pytest.fixture
def eu_events() -> Iterator[FakeApi]:
    api = FakeApi(lambda n: Answer(202))
    yield api
    api.close()


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def config(lwa: FakeApi, events: FakeApi, eu_events: FakeApi) -> NotificationSettings:
    return NotificationSettings(
        "amzn1.application-oa2-client.abc123",
        SECRET,
        seller_name="Corner Shop",
        token_url=lwa.url + TOKEN_PATH,
        api_hosts={
            Region.NORTH_AMERICA: events.url,
            Region.EUROPE: eu_events.url,
            Region.FAR_EAST: "http://127.0.0.1:9",
        },
        timeout=2.0,
        attempts=4,
        backoff=1.0,
        max_backoff=30.0,
    )


@pytest.fixture
def make_notifier(
    config: NotificationSettings, clock: Clock, sleeps: list[float]
) -> Iterator[Callable[..., Notifier]]:
    made: list[Notifier] = []

    def make(**changes: Any) -> Notifier:
        notifier = Notifier(
            replace(config, **changes),
            clock=clock,
            sleep=sleeps.append,  # records the backoff instead of waiting it out
            registry=NotificationRegistry(),
        )
        made.append(notifier)
        return notifier

    yield make
    for notifier in made:
        notifier.close(timeout=5)


@pytest.fixture
def logged() -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("cornershop.notifications")
    handler, level = Keep(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(level)


def make_order(
    number: int = 1001,
    *,
    locale: str = "en-US",
    status: OrderStatus = OrderStatus.READY,
    user_id: str = USER,
) -> Order:
    return Order(
        number=number,
        user_id=user_id,
        lines=(OrderLine("apple", "apple", 2, 75),),
        currency="USD",
        created_at=NOW - timedelta(minutes=20),
        locale=locale,
        status=status,
        request_id=f"req-{number}",
    )


def send(notifier: Notifier, order: Order) -> str | None:
    """Submit through the worker, wait for it, return the status it recorded."""
    notifier.submit(order)
    assert notifier.flush(timeout=10)
    record = notifier.registry.get(order.number)
    return record.status if record else None


# -- the exact requests ------------------------------------------------------------------
def test_event_request_is_exactly_what_alexa_expects(
    make_notifier: Callable[..., Notifier], lwa: FakeApi, events: FakeApi
) -> None:
    # GIVEN a configured notifier WHEN an en-US order becomes ready
    assert send(make_notifier(), make_order()) == "sent"
    # THEN one client-credentials token request, form-encoded (the secret escaped)
    [token] = lwa.requests()
    assert token.path == TOKEN_PATH
    assert token.headers["content-type"] == "application/x-www-form-urlencoded;charset=UTF-8"
    assert token.form() == {
        "grant_type": ["client_credentials"],
        "client_id": ["amzn1.application-oa2-client.abc123"],
        "client_secret": [SECRET],
        "scope": ["alexa::proactive_events"],
    }
    # AND one event to the development stage, with the token as a bearer
    [sent] = events.requests()
    assert sent.path == DEV_PATH
    assert sent.headers["authorization"] == "Bearer Atc|token-1"
    assert sent.headers["content-type"] == "application/json"
    body = sent.json()
    assert set(body) == {
        "timestamp",
        "referenceId",
        "expiryTime",
        "event",
        "localizedAttributes",
        "relevantAudience",
    }
    assert body["event"] == {
        "name": "AMAZON.OrderStatus.Updated",
        "payload": {
            "state": {"status": READY_STATE},
            "order": {"seller": {"name": "localizedattribute:sellerName"}},
        },
    }
    assert body["localizedAttributes"] == [{"locale": "en-US", "sellerName": "Corner Shop"}]
    assert body["relevantAudience"] == {"type": "Unicast", "payload": {"user": USER}}
    # AND the timestamps are ISO 8601 UTC with a Z, the expiry within Alexa's limits
    assert ISO_Z.fullmatch(body["timestamp"]) and ISO_Z.fullmatch(body["expiryTime"])
    assert body["timestamp"] == "2026-11-27T10:15:30.250Z"
    stamp = datetime.fromisoformat(body["timestamp"])
    expiry = datetime.fromisoformat(body["expiryTime"])
    assert MIN_EXPIRY <= expiry - stamp <= MAX_EXPIRY
    assert expiry - stamp == timedelta(hours=6)
    assert re.fullmatch(r"[A-Za-z0-9~]{1,100}", body["referenceId"])


def test_ready_state_is_one_the_schema_has() -> None:
    assert EVENT_NAME == "AMAZON.OrderStatus.Updated"
    assert READY_STATE in ORDER_STATES


def test_reference_id_is_unique_per_event(
    make_notifier: Callable[..., Notifier], events: FakeApi
) -> None:
    notifier = make_notifier()
    for number in (1001, 1002, 1003):
        assert send(notifier, make_order(number)) == "sent"
    ids = [seen.json()["referenceId"] for seen in events.requests()]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert "order1001~" in ids[0] and "order1003~" in ids[2]


def test_live_stage_uses_the_live_path(
    make_notifier: Callable[..., Notifier], events: FakeApi
) -> None:
    assert send(make_notifier(stage=Stage.LIVE), make_order()) == "sent"
    assert [seen.path for seen in events.requests()] == ["/v1/proactiveEvents"]


# -- the token --------------------------------------------------------------------------
def test_token_is_cached_across_events_and_fetched_again_after_expiry(
    make_notifier: Callable[..., Notifier], lwa: FakeApi, events: FakeApi, clock: Clock
) -> None:
    notifier = make_notifier()
    assert send(notifier, make_order(1001)) == "sent"
    # GIVEN 58 minutes later (the token lives 60, used until a minute before)
    clock.now = NOW + timedelta(minutes=58)
    assert send(notifier, make_order(1002)) == "sent"
    assert len(lwa.requests()) == 1
    # WHEN it is past that margin THEN a new token is fetched and used
    clock.now = NOW + timedelta(minutes=59, seconds=1)
    assert send(notifier, make_order(1003)) == "sent"
    assert len(lwa.requests()) == 2
    auth = [seen.headers["authorization"] for seen in events.requests()]
    assert auth == ["Bearer Atc|token-1", "Bearer Atc|token-1", "Bearer Atc|token-2"]


def test_a_refused_token_is_replaced_once(
    make_notifier: Callable[..., Notifier], lwa: FakeApi, events: FakeApi, sleeps: list[float]
) -> None:
    # GIVEN the events API refuses the first token (revoked before its expiry)
    events.script = [Answer(401, {"code": "INVALID_TOKEN"})]
    # WHEN the order is sent THEN a fresh token is fetched and the event goes through at once
    assert send(make_notifier(), make_order()) == "sent"
    assert len(lwa.requests()) == 2
    auth = [seen.headers["authorization"] for seen in events.requests()]
    assert auth == ["Bearer Atc|token-1", "Bearer Atc|token-2"]
    assert sleeps == []


def test_a_token_refused_twice_fails_without_looping(
    make_notifier: Callable[..., Notifier], lwa: FakeApi, events: FakeApi
) -> None:
    events.script = [Answer(403, {"code": "FORBIDDEN"}), Answer(403, {"code": "FORBIDDEN"})]
    notifier = make_notifier()
    assert send(notifier, make_order()) == "failed"
    assert len(events.requests()) == 2 and len(lwa.requests()) == 2
    record = notifier.registry.get(1001)
    assert record is not None and "manifest publishes AMAZON.OrderStatus.Updated" in record.detail


def test_wrong_credentials_fail_at_once_and_say_which_settings(
    make_notifier: Callable[..., Notifier], lwa: FakeApi, events: FakeApi
) -> None:
    lwa.script = [Answer(401, {"error": "invalid_client"})]
    notifier = make_notifier()
    assert send(notifier, make_order()) == "failed"
    assert len(lwa.requests()) == 1 and events.requests() == []
    record = notifier.registry.get(1001)
    assert record is not None and "CORNERSHOP_LWA_CLIENT_SECRET" in record.detail


# -- retries -----------------------------------------------------------------------------
def test_server_errors_are_retried_with_backoff_then_succeed(
    make_notifier: Callable[..., Notifier], events: FakeApi, sleeps: list[float]
) -> None:
    events.script = [Answer(500), Answer(503)]
    notifier = make_notifier()
    assert send(notifier, make_order()) == "sent"
    seen = events.requests()
    assert len(seen) == 3
    assert sleeps == [1.0, 2.0]  # exponential
    # The same event every time: a retry whose first try got through is a 409, not a second
    # notification.
    assert seen[0].body == seen[1].body == seen[2].body
    record = notifier.registry.get(1001)
    assert record is not None and record.detail.endswith("(attempt 3)")


def test_throttling_honours_retry_after_within_the_cap(
    make_notifier: Callable[..., Notifier], events: FakeApi, sleeps: list[float]
) -> None:
    events.script = [
        Answer(429, headers={"Retry-After": "7"}),
        Answer(429, headers={"Retry-After": "600"}),
    ]
    assert send(make_notifier(), make_order()) == "sent"
    assert sleeps == [7.0, 30.0]


def test_duplicate_reference_id_means_it_was_accepted_earlier(
    make_notifier: Callable[..., Notifier], events: FakeApi
) -> None:
    # GIVEN the first try got through but its answer was lost (a 500), the retry says 409
    events.script = [Answer(500), Answer(409, {"code": "DUPLICATE"})]
    notifier = make_notifier()
    assert send(notifier, make_order()) == "sent"
    assert len(events.requests()) == 2


def test_gives_up_after_n_attempts_with_one_log_line_and_no_user_id(
    make_notifier: Callable[..., Notifier],
    events: FakeApi,
    sleeps: list[float],
    logged: list[logging.LogRecord],
) -> None:
    events.default = lambda n: Answer(500)
    notifier = make_notifier(attempts=3)
    assert send(notifier, make_order()) == "failed"
    assert len(events.requests()) == 3
    assert sleeps == [1.0, 2.0]
    warnings = [r for r in logged if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    line = warnings[0].getMessage()
    assert "order 1001" in line and "HTTP 500" in line and "after 3 attempts" in line
    assert all(USER not in r.getMessage() and "AGF7" not in r.getMessage() for r in logged)
    record = notifier.registry.get(1001)
    assert record is not None and record.status == "failed"


def test_bad_request_is_not_retried(
    make_notifier: Callable[..., Notifier], events: FakeApi, logged: list[logging.LogRecord]
) -> None:
    events.script = [Answer(400, {"code": "INVALID_DATA", "message": f"user {USER} unknown"})]
    notifier = make_notifier()
    assert send(notifier, make_order()) == "failed"
    assert len(events.requests()) == 1
    record = notifier.registry.get(1001)
    assert record is not None and "HTTP 400" in record.detail and "INVALID_DATA" in record.detail
    # The API's message text could echo what was sent: only its code is kept.
    assert all(USER not in r.getMessage() for r in logged) and USER not in record.detail


def test_unreachable_api_is_retried_then_fails(
    make_notifier: Callable[..., Notifier], sleeps: list[float]
) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    notifier = make_notifier(attempts=2, api_hosts={r: dead for r in Region})
    assert send(notifier, make_order()) == "failed"
    record = notifier.registry.get(1001)
    assert record is not None and "unreachable" in record.detail
    assert sleeps == [1.0]


def test_a_silent_api_times_out_and_is_retried(
    make_notifier: Callable[..., Notifier], events: FakeApi, sleeps: list[float]
) -> None:
    release = threading.Event()
    events.script = [Answer(202, hold=release)]
    try:
        notifier = make_notifier(timeout=0.3)
        assert send(notifier, make_order()) == "sent"
    finally:
        release.set()
    assert len(events.requests()) == 2 and sleeps == [1.0]


# -- what is not sent --------------------------------------------------------------------
@pytest.mark.parametrize("locale", ["en-GB", "de-DE", "en-IN"])
def test_other_locales_send_nothing(
    make_notifier: Callable[..., Notifier], lwa: FakeApi, events: FakeApi, locale: str
) -> None:
    notifier = make_notifier()
    assert notifier.submit(make_order(locale=locale)) is False
    assert notifier.flush(timeout=5)
    assert lwa.requests() == [] and events.requests() == []
    assert notifier.registry.get(1001) is None


@pytest.mark.parametrize("status", [OrderStatus.COLLECTED, OrderStatus.CANCELLED])
def test_hook_sends_only_when_an_order_becomes_ready(
    make_notifier: Callable[..., Notifier], events: FakeApi, status: OrderStatus
) -> None:
    hook = OrderReadyHook(make_notifier())
    before = make_order(status=OrderStatus.READY)
    hook(before, make_order(status=status))
    assert hook.notifier.flush(timeout=5)
    assert events.requests() == []


# -- the staff action --------------------------------------------------------------------
def test_hook_returns_before_the_event_is_sent(
    make_notifier: Callable[..., Notifier], events: FakeApi
) -> None:
    # GIVEN an events API that answers only when told to
    release = threading.Event()
    events.script = [Answer(202, hold=release)]
    hook = OrderReadyHook(make_notifier())
    try:
        # WHEN staff mark the order ready THEN the hook returns while the event is in flight
        hook(make_order(status=OrderStatus.PLACED), make_order())
        record = hook.notifier.registry.get(1001)
        assert record is not None and record.status == "pending"
        assert not hook.notifier.flush(timeout=0.2)
    finally:
        release.set()
    assert hook.notifier.flush(timeout=10)
    record = hook.notifier.registry.get(1001)
    assert record is not None and record.status == "sent"


def test_a_full_queue_fails_the_new_event_at_once(
    make_notifier: Callable[..., Notifier], events: FakeApi
) -> None:
    release = threading.Event()
    events.default = lambda n: Answer(202, hold=release)
    notifier = make_notifier(workers=1, queue_size=1)
    try:
        notifier.submit(make_order(1001))  # taken by the worker, held by the API
        for _ in range(100):  # wait (bounded) until the worker has it
            if events.requests():
                break
            threading.Event().wait(0.02)
        notifier.submit(make_order(1002))  # waits in the queue
        notifier.submit(make_order(1003))  # no room
        record = notifier.registry.get(1003)
        assert record is not None and record.status == "failed"
        assert "too many" in record.detail
    finally:
        release.set()
    assert notifier.flush(timeout=10)
    assert [notifier.registry.get(n).status for n in (1001, 1002)] == ["sent", "sent"]  # type: ignore[union-attr]


def _placed(store: SQLiteStore, locale: str = "en-US") -> Order:
    """A real order in ``store``, placed as a checkout places it."""
    store.update_cart(USER, lambda cart: Cart.from_lines({"apple": 2}))

    def make(cart: Cart, number: int, *catalog: Any) -> Order:
        return replace(make_order(number, locale=locale), status=OrderStatus.PLACED)

    return store.place_order(USER, "req-checkout", make)


def test_move_order_returns_before_the_event_is_sent(
    make_notifier: Callable[..., Notifier], events: FakeApi, sqlite_store: SQLiteStore
) -> None:
    # GIVEN a placed order and an events API that answers only when told to
    order = _placed(sqlite_store)
    release = threading.Event()
    events.script = [Answer(202, hold=release)]
    hook = OrderReadyHook(make_notifier())
    try:
        # WHEN staff mark it ready THEN the staff action is done while the event is in flight
        moved = move_order(
            sqlite_store, order.number, OrderStatus.READY, actor="ada", on_change=[hook]
        )
        assert moved.status is OrderStatus.READY
        record = hook.notifier.registry.get(order.number)
        assert record is not None and record.status == "pending"
    finally:
        release.set()
    assert hook.notifier.flush(timeout=10)
    record = hook.notifier.registry.get(order.number)
    assert record is not None and record.status == "sent"
    [sent] = events.requests()
    assert sent.json()["relevantAudience"]["payload"]["user"] == USER


def test_a_failed_notification_never_undoes_the_staff_action(
    make_notifier: Callable[..., Notifier], events: FakeApi, sqlite_store: SQLiteStore
) -> None:
    order = _placed(sqlite_store)
    events.default = lambda n: Answer(503)
    hook = OrderReadyHook(make_notifier(attempts=2))
    move_order(sqlite_store, order.number, OrderStatus.READY, actor="ada", on_change=[hook])
    assert hook.notifier.flush(timeout=10)
    # THEN the dashboard can show the failure, and the order stays ready
    record = hook.notifier.registry.get(order.number)
    assert record is not None and record.status == "failed"
    [stored] = sqlite_store.list_orders(limit=1)
    assert stored.number == order.number and stored.status is OrderStatus.READY
    # AND it moves on as usual, sending nothing more
    move_order(sqlite_store, order.number, OrderStatus.COLLECTED, actor="ada", on_change=[hook])
    assert hook.notifier.flush(timeout=10)
    assert len(events.requests()) == 2


def test_move_order_in_another_locale_sends_nothing(
    make_notifier: Callable[..., Notifier], lwa: FakeApi, events: FakeApi, sqlite_store: SQLiteStore
) -> None:
    order = _placed(sqlite_store, locale="en-GB")
    hook = OrderReadyHook(make_notifier())
    move_order(sqlite_store, order.number, OrderStatus.READY, actor="ada", on_change=[hook])
    assert hook.notifier.flush(timeout=5)
    assert lwa.requests() == [] and events.requests() == []
    assert hook.notifier.registry.get(order.number) is None


def test_close_sends_what_it_can_in_time_and_fails_the_rest_unsent(
    make_notifier: Callable[..., Notifier], events: FakeApi
) -> None:
    release = threading.Event()
    events.default = lambda n: Answer(202, hold=release)
    notifier = make_notifier(workers=1)
    notifier.submit(make_order(1001))
    for _ in range(100):  # bounded wait until the worker has it in flight
        if events.requests():
            break
        threading.Event().wait(0.02)
    notifier.submit(make_order(1002))
    # WHEN it is closed while 1001 is in flight THEN close gives up after its timeout
    assert notifier.close(timeout=0.2) is False
    release.set()
    assert notifier.flush(timeout=10)
    # AND the event in flight completes, the queued one is failed without being sent
    assert [notifier.registry.get(n).status for n in (1001, 1002)] == ["sent", "failed"]  # type: ignore[union-attr]
    assert len(events.requests()) == 1
    notifier.submit(make_order(1003))
    assert notifier.registry.get(1003).status == "failed"  # type: ignore[union-attr]


# -- regions -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("endpoint", "region"),
    [
        ("https://api.amazonalexa.com", Region.NORTH_AMERICA),
        ("https://api.eu.amazonalexa.com", Region.EUROPE),
        ("https://api.fe.amazonalexa.com/", Region.FAR_EAST),
        ("http://127.0.0.1:8080", None),
        ("", None),
        (None, None),
    ],
)
def test_region_of_api_endpoint(endpoint: str | None, region: Region | None) -> None:
    assert region_of(endpoint) == region


def test_an_order_without_a_region_goes_to_the_default_one(
    make_notifier: Callable[..., Notifier], events: FakeApi, eu_events: FakeApi
) -> None:
    assert send(make_notifier(default_region=Region.EUROPE), make_order()) == "sent"
    assert events.requests() == [] and len(eu_events.requests()) == 1


# -- the customer's permission ---------------------------------------------------------------
def _system(event: Callable[..., dict[str, Any]], scopes: dict[str, Any] | None) -> Any:
    """``context.System`` of a real envelope, as the ASK SDK's model reads it."""
    from ask_sdk_core.serialize import DefaultSerializer

    env = event("yes")
    if scopes is not None:
        env["context"]["System"]["user"]["permissions"] = {"scopes": scopes}
    else:
        env["context"]["System"]["user"].pop("permissions", None)
    envelope = DefaultSerializer().deserialize(json.dumps(env), "ask_sdk_model.RequestEnvelope")
    return envelope.context.system


@pytest.mark.parametrize(
    ("scopes", "granted"),
    [
        ({"alexa::devices:all:notifications:write": {"status": "GRANTED"}}, True),
        ({"alexa::devices:all:notifications:write": {"status": "DENIED"}}, False),
        ({"alexa::profile:given_name:read": {"status": "GRANTED"}}, False),
        ({}, False),
        (None, False),
    ],
)
def test_notification_permission_is_read_from_the_envelope(
    event: Callable[..., dict[str, Any]], scopes: dict[str, Any] | None, granted: bool
) -> None:
    assert notifications_granted(_system(event, scopes)) is granted


# -- the checkout asks once, with the reason ----------------------------------------------------
@dataclass(frozen=True)
class NotifyingSettings(Settings):
    """Settings of a shop that sends notifications (the skill's function needs the id only)."""

    lwa_client_id: str | None = "amzn1.application-oa2-client.abc123"


Event = Callable[..., dict[str, Any]]


def _talk(
    make_skill: Callable[..., CornerShopSkill],
    event: Event,
    *,
    settings: Settings | None = None,
    scopes: dict[str, Any] | None = None,
    api_endpoint: str = "https://api.amazonalexa.com",
    **skill_kw: Any,
) -> Conversation:
    def envelope(name: str, **kw: Any) -> dict[str, Any]:
        env = event(name, **kw)
        system = env["context"]["System"]
        system["apiEndpoint"] = api_endpoint
        if scopes is not None:
            system["user"].setdefault("permissions", {})["scopes"] = scopes
        return env

    skill = make_skill(settings=settings or NotifyingSettings(store_url="memory://"), **skill_kw)
    return Conversation(skill, envelope)


def _check_out(talk: Conversation, request_id: str | None = None) -> dict[str, Any]:
    talk.send("add_item")
    talk.send("checkout")
    response: dict[str, Any] = talk.send("yes", request_id=request_id)["response"]
    return response


def test_checkout_asks_for_notifications_once_with_the_reason(
    make_skill: Callable[..., CornerShopSkill], event: Event, memory_store: MemoryStore
) -> None:
    # GIVEN a shop that sends notifications and a customer who has not allowed them
    talk = _talk(make_skill, event, store=memory_store)
    # WHEN they check out THEN the consent card asks for notifications, and the speech says why
    out = _check_out(talk)
    assert talk.speech.startswith("Ada, you're checked out!")
    assert out["card"] == {
        "type": "AskForPermissionsConsent",
        "permissions": ["alexa::devices:all:notifications:write"],
    }
    assert "tell you on your Echo when your order is ready" in talk.speech
    # AND their next order, in a new session (a checkout ends one), gets its receipt:
    # the card is asked once per customer, not at every checkout
    again = _talk(make_skill, event, store=memory_store)
    out = _check_out(again, request_id="second-yes")
    assert out["card"]["type"] == "Standard"
    assert "Echo" not in again.speech


class NoLastOrder(MemoryStore):
    def last_order(self, user_id: str) -> Order | None:
        raise StoreError("The store is unreachable.")


def test_a_failing_lookup_never_fails_the_checkout(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    talk = _talk(make_skill, event, store=NoLastOrder())
    out = _check_out(talk)
    assert talk.speech.startswith("Ada, you're checked out!")
    assert out["card"]["type"] == "Standard"


def test_one_card_asks_for_the_name_and_notifications_together(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    talk = _talk(make_skill, event, profile=FixedProfile(None, permission_missing=True))
    out = _check_out(talk)
    assert out["card"] == {
        "type": "AskForPermissionsConsent",
        "permissions": ["alexa::profile:given_name:read", "alexa::devices:all:notifications:write"],
    }
    assert "To hear your name at checkout, and so we can tell you on your Echo" in talk.speech


def test_a_customer_who_allowed_notifications_gets_the_receipt(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    scopes = {"alexa::devices:all:notifications:write": {"status": "GRANTED"}}
    out = _check_out(_talk(make_skill, event, scopes=scopes))
    assert out["card"]["type"] == "Standard"


@pytest.mark.parametrize(
    ("settings", "locale"),
    [
        (Settings(store_url="memory://"), "en-US"),
        (NotifyingSettings(store_url="memory://"), "en-GB"),
    ],
    ids=["shop sends none", "not en-US"],
)
def test_no_notification_card_where_none_would_be_sent(
    make_skill: Callable[..., CornerShopSkill], event: Event, settings: Settings, locale: str
) -> None:
    def in_locale(name: str, **kw: Any) -> dict[str, Any]:
        env = event(name, **kw)
        env["request"]["locale"] = locale
        return env

    talk = _talk(make_skill, in_locale, settings=settings)
    out = _check_out(talk)
    assert out["card"]["type"] == "Standard"
    assert "Echo" not in talk.speech


@pytest.mark.parametrize(
    ("endpoint", "region"),
    [
        ("https://api.amazonalexa.com", "NA"),
        ("https://api.eu.amazonalexa.com", "EU"),
        ("https://api.fe.amazonalexa.com", "FE"),
        ("http://127.0.0.1:9000", ""),
    ],
)
def test_the_order_remembers_the_customers_region(
    make_skill: Callable[..., CornerShopSkill],
    event: Event,
    memory_store: MemoryStore,
    endpoint: str,
    region: str,
) -> None:
    _check_out(_talk(make_skill, event, api_endpoint=endpoint, store=memory_store))
    [order] = memory_store.list_orders(limit=1)
    assert order.api_region == region
    # AND it survives the store (to_data / from_data), old records read as unknown
    assert Order.from_data(order.to_data()).api_region == region
    assert ("api_region" in order.to_data()) is bool(region)


def test_a_damaged_region_is_refused() -> None:
    data = {**make_order().to_data(), "api_region": "MOON"}
    with pytest.raises(CorruptRecord, match="api_region"):
        Order.from_data(data)
    with pytest.raises(CorruptRecord, match="api_region"):
        Order.from_data({**data, "api_region": ["EU"]})


def test_an_order_goes_to_its_own_region(
    make_notifier: Callable[..., Notifier], events: FakeApi, eu_events: FakeApi
) -> None:
    assert send(make_notifier(), replace(make_order(), api_region="EU")) == "sent"
    assert events.requests() == []
    [sent] = eu_events.requests()
    assert sent.path == DEV_PATH


# -- settings ----------------------------------------------------------------------------
@dataclass
class FakeConfig:
    lwa_client_id: str | None = "amzn1.application-oa2-client.abc123"
    lwa_client_secret: str | None = "secret"
    events_stage: str = "development"
    shop_name: str = "Corner Shop"


def test_no_credentials_means_no_hook() -> None:
    assert order_ready_hook(None) is None
    assert order_ready_hook(FakeConfig(lwa_client_id=None, lwa_client_secret=None)) is None
    assert (
        NotificationSettings.from_settings(FakeConfig(lwa_client_id="", lwa_client_secret=" "))
        is None
    )


def test_settings_are_read_and_checked() -> None:
    settings = NotificationSettings.from_settings(
        FakeConfig(events_stage="LIVE", shop_name="Ada's")
    )
    assert settings is not None and settings.stage is Stage.LIVE and settings.seller_name == "Ada's"
    assert "secret" not in repr(settings)
    with pytest.raises(ConfigError, match="CORNERSHOP_EVENTS_STAGE"):
        NotificationSettings.from_settings(FakeConfig(events_stage="prod"))
    with pytest.raises(ConfigError, match="CORNERSHOP_LWA_CLIENT_SECRET"):
        NotificationSettings.from_settings(FakeConfig(lwa_client_secret=None))
    with pytest.raises(ConfigError, match="5 minutes to 24 hours"):
        NotificationSettings("id", "secret", expiry=timedelta(hours=25))
    assert notifications_enabled(FakeConfig(lwa_client_secret=None))
    assert not notifications_enabled(FakeConfig(lwa_client_id=" "))
    hook = order_ready_hook(FakeConfig())
    assert isinstance(hook, OrderReadyHook)
    assert hook.close(timeout=1)
