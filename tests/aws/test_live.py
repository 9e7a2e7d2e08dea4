"""Live order updates on AWS (skill/live_aws.py, lambda/live_function.py), end to end on
127.0.0.1: the events API Gateway and the DynamoDB stream send (tests/events/aws/live),
connection records in moto's DynamoDB, and posts to connections through moto's API
Gateway Management API or, for what moto cannot do (410 Gone, failures), a real HTTP
server speaking the same API.
"""

from __future__ import annotations

import copy
import http.server
import importlib.util
import json
import logging
import secrets
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from test_template import stream_filter_matches  # the template's filter, as Lambda applies it

from skill import live_token
from skill.domain.cart import Cart
from skill.domain.orders import Order, OrderLine, OrderStatus
from skill.errors import ConfigError
from skill.live_aws import CONNECTION_TTL_S, LiveConfig, LiveUpdates, management_client
from skill.store.dynamodb import DynamoDBStore

TESTS = Path(__file__).parents[1]
REPO = TESTS.parent
EVENTS = TESTS / "events" / "aws" / "live"
# The secret the tokens in tests/events/aws/live were signed with.
SECRET = "cornershop-test-live-secret-0123456789abcdef"
# requestTime of ws_connect.json; its token was issued 5 s before and lives 120 s.
CONNECTED_AT = 1795774500.0
CUSTOMER = "amzn1.ask.account.AEXAMPLEUSERID0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ACCOUNT = "123456789012"  # moto's default account


def _suite_servers() -> Any:
    """tests/store/_servers.py, the moto server the whole suite uses (one module object,
    whichever folder imports it first)."""
    if "_servers" not in sys.modules:
        spec = importlib.util.spec_from_file_location("_servers", TESTS / "store" / "_servers.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["_servers"] = module
        spec.loader.exec_module(module)
    return sys.modules["_servers"]


_servers = _suite_servers()
REGION: str = _servers.REGION
CREDENTIALS: dict[str, str] = _servers.CREDENTIALS


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text("utf-8"))
    return data


def new_connection_id() -> str:
    # API Gateway's ids are 16 characters of base64, often ending in "=".
    return secrets.token_urlsafe(12)[:15] + "="


# -- servers -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def moto() -> Iterator[Any]:
    with _servers.MotoDynamoDB() as server:
        yield server


@pytest.fixture
def table(moto: Any) -> Iterator[str]:
    name: str = moto.new_table()
    yield name
    moto.delete_table(name)


class FakeManagementApi:
    """API Gateway's Management API on 127.0.0.1: ``POST /{stage}/@connections/{id}``,
    the raw message as the body, SigV4-signed for ``execute-api``. Connections in
    ``gone`` answer 410 GoneException (as API Gateway does for a closed connection),
    those in ``failing`` 500; every other one 200 and keeps the message."""

    STAGE = "live"

    def __init__(self) -> None:
        self.gone: set[str] = set()
        self.failing: set[str] = set()
        self.received: dict[str, list[bytes]] = {}
        self.attempts: list[str] = []
        self.problems: list[str] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                prefix = f"/{FakeManagementApi.STAGE}/@connections/"
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                auth = self.headers.get("Authorization", "")
                if not self.path.startswith(prefix) or "/execute-api/aws4_request" not in auth:
                    fake.problems.append(f"{self.path} {auth[:60]}")
                    self._answer(403, {"message": "Forbidden"}, "ForbiddenException")
                    return
                connection = unquote(self.path.removeprefix(prefix))
                with fake._lock:
                    fake.attempts.append(connection)
                    if connection in fake.gone:
                        self._answer(410, {"message": None}, "GoneException")
                        return
                    if connection in fake.failing:
                        self._answer(500, {"message": "Internal server error"}, "InternalError")
                        return
                    fake.received.setdefault(connection, []).append(body)
                self._answer(200, None, None)

            def _answer(self, status: int, body: Any, error: str | None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if error:
                    self.send_header("x-amzn-ErrorType", error)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        host, port = self._server.server_address[:2]
        self.endpoint = f"http://{host!s}:{port}/{self.STAGE}"

    def __enter__(self) -> FakeManagementApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def fake_api() -> Iterator[FakeManagementApi]:
    with FakeManagementApi() as api:
        yield api
    assert not api.problems, api.problems


def moto_received(connection: str) -> bytes:
    """What moto's Management API kept for a connection (it keys by the id as sent in
    the path, percent-encoded)."""
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

    connections = apigatewaymanagementapi_backends[ACCOUNT][REGION].connections
    found = connections.get(quote(connection, safe="")) or connections.get(connection)
    return b"" if found is None else bytes(found.data)


# -- the function under test ------------------------------------------------------------------
class Clock:
    def __init__(self, now: float = CONNECTED_AT) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


MakeLive = Callable[..., LiveUpdates]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_live(moto: Any, table: str, clock: Clock) -> MakeLive:
    def make(endpoint: str | None = None, *, table_name: str | None = None) -> LiveUpdates:
        management = management_client(endpoint or moto.endpoint, region_name=REGION, **CREDENTIALS)
        return LiveUpdates(
            moto.client(), management, table=table_name or table, secret=SECRET, clock=clock
        )

    return make


def connect_event(connection: str, token: str | None = None) -> dict[str, Any]:
    event = load("ws_connect")
    event["requestContext"]["connectionId"] = connection
    if token is not None:
        event["queryStringParameters"] = {"token": token}
        event["multiValueQueryStringParameters"] = {"token": [token]}
    return event


def connect(live: LiveUpdates, connection: str, *, at: float = CONNECTED_AT) -> None:
    """Open a connection as the dashboard's browser does (``at``: the live function's clock)."""
    token = live_token.issue(SECRET, "Sam", now=at)
    assert live(connect_event(connection, token)) == {"statusCode": 200}


def connection_item(moto: Any, table: str, connection: str) -> dict[str, Any] | None:
    answer = moto.client(patient=True).get_item(
        TableName=table,
        Key={"pk": {"S": "LIVE#main"}, "sk": {"S": f"CONN#{connection}"}},
        ConsistentRead=True,
    )
    item: dict[str, Any] | None = answer.get("Item")
    return item


def expected_event(record: dict[str, Any]) -> dict[str, Any]:
    change = record["dynamodb"]
    order = json.loads(change["NewImage"]["body"]["S"])
    del order["user_id"]
    at = datetime.fromtimestamp(change["ApproximateCreationDateTime"], UTC)
    return {
        "type": "order",
        "order": order,
        "seq": int(change["SequenceNumber"]),
        "at": at.isoformat(),
    }


class Remaining:
    """A Lambda context whose remaining time the test decides."""

    def __init__(self, millis: Callable[[], int]) -> None:
        self._millis = millis

    def get_remaining_time_in_millis(self) -> int:
        return self._millis()


@pytest.fixture
def live_logs() -> Iterator[list[str]]:
    messages: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger("cornershop.live")
    handler = Keep(level=logging.DEBUG)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield messages
    logger.removeHandler(handler)
    logger.setLevel(old_level)


# -- $connect, $disconnect, $default ------------------------------------------------------------
def test_connect_with_a_valid_token_records_the_connection_with_a_ttl(
    make_live: MakeLive, moto: Any, table: str
) -> None:
    # GIVEN the $connect event API Gateway sends, with the dashboard's token
    event = load("ws_connect")
    connection = event["requestContext"]["connectionId"]
    # WHEN the function handles it, 5 s after the dashboard issued the token
    answer = make_live()(event)
    # THEN the handshake is accepted and the connection is recorded, expiring after the
    # longest a WebSocket connection can last (2 h)
    assert answer == {"statusCode": 200}
    item = connection_item(moto, table, connection)
    assert item is not None
    assert item["expires_at"] == {"N": str(int(CONNECTED_AT) + CONNECTION_TTL_S)}
    assert CONNECTION_TTL_S >= 2 * 60 * 60
    assert item["connected_at"] == {"S": "2026-11-27T10:15:00+00:00"}
    # and nothing personal is stored with it (no staff name, address or user agent)
    assert set(item) == {"pk", "sk", "connected_at", "expires_at"}


@pytest.mark.parametrize(
    ("case", "token", "now"),
    [
        ("no token", None, CONNECTED_AT),
        ("expired", "event", CONNECTED_AT + 121),
        ("another secret", live_token.issue("x" * 40, "Sam", now=CONNECTED_AT), CONNECTED_AT),
        ("tampered", "tampered", CONNECTED_AT),
        ("not a token", "hello", CONNECTED_AT),
    ],
)
def test_connect_without_a_valid_token_is_refused_with_401(
    make_live: MakeLive, moto: Any, table: str, clock: Clock, case: str, token: Any, now: float
) -> None:
    event = load("ws_connect")
    connection = event["requestContext"]["connectionId"]
    good = event["queryStringParameters"]["token"]
    if token is None:
        # API Gateway sends null when the URL has no query string
        event["queryStringParameters"] = None
        event["multiValueQueryStringParameters"] = None
    elif token == "tampered":
        signature = good.partition(".")[2]
        forged = live_token._encode(b'{"v":1,"sub":"Eve","exp":1795774615}')
        event["queryStringParameters"]["token"] = f"{forged}.{signature}"
    elif token != "event":
        event["queryStringParameters"]["token"] = token
    clock.now = now
    # WHEN the function handles the $connect
    answer = make_live()(event)
    # THEN API Gateway is told to refuse the handshake, and nothing is recorded
    assert answer == {"statusCode": 401}, case
    assert connection_item(moto, table, connection) is None


def test_a_token_is_accepted_until_it_expires(make_live: MakeLive, clock: Clock) -> None:
    event = load("ws_connect")
    clock.now = CONNECTED_AT + 114  # the token expires at CONNECTED_AT + 115
    assert make_live()(event) == {"statusCode": 200}
    clock.now = CONNECTED_AT + 115
    assert make_live()(event) == {"statusCode": 401}


def test_disconnect_deletes_the_connection(make_live: MakeLive, moto: Any, table: str) -> None:
    live = make_live()
    connection = load("ws_disconnect")["requestContext"]["connectionId"]
    connect(live, connection)
    other = new_connection_id()
    connect(live, other)
    assert connection_item(moto, table, connection) is not None
    # WHEN API Gateway reports the $disconnect
    assert live(load("ws_disconnect")) == {"statusCode": 200}
    # THEN that connection's record is gone, the other one stays
    assert connection_item(moto, table, connection) is None
    assert connection_item(moto, table, other) is not None


def test_messages_from_the_browser_are_accepted_and_ignored(
    make_live: MakeLive, moto: Any, table: str
) -> None:
    # a keep-alive ping on $default: 200, nothing written
    assert make_live()(load("ws_message")) == {"statusCode": 200}
    items = moto.client(patient=True).scan(TableName=table)["Items"]
    assert items == []


def test_an_event_of_another_kind_gets_400(make_live: MakeLive) -> None:
    assert make_live()({"hello": "world"}) == {"statusCode": 400}
    assert make_live()([]) == {"statusCode": 400}


# -- the stream -----------------------------------------------------------------------------
def test_an_order_record_is_pushed_to_every_connection_without_the_user_id(
    make_live: MakeLive,
) -> None:
    # GIVEN two dashboards connected (moto's Management API)
    live = make_live()
    connections = [new_connection_id(), new_connection_id()]
    for connection in connections:
        connect(live, connection)
    # WHEN the stream brings a placed order
    batch = load("stream_order_placed")
    answer = live(batch, Remaining(lambda: 30_000))
    # THEN both got the order event, in the contract's JSON, and no record is retried
    assert answer == {"batchItemFailures": []}
    want = expected_event(batch["Records"][0])
    assert want["order"]["number"] == 1001 and want["order"]["status"] == "placed"
    for connection in connections:
        raw = moto_received(connection)
        assert json.loads(raw) == want
        # never the customer's id
        assert CUSTOMER.encode() not in raw
        assert b"user_id" not in raw


def test_a_gone_connection_is_removed_and_not_posted_to_again(
    make_live: MakeLive, fake_api: FakeManagementApi, moto: Any, table: str
) -> None:
    # GIVEN three connections, one of them closed without a $disconnect
    live = make_live(fake_api.endpoint)
    first, gone, last = (new_connection_id() for _ in range(3))
    for connection in (first, gone, last):
        connect(live, connection)
    fake_api.gone.add(gone)
    # WHEN a batch of two order records arrives
    batch = load("stream_order_placed")
    batch["Records"] += load("stream_order_ready")["Records"]
    answer = live(batch)
    # THEN the open connections got both events in order, the gone one was tried once
    # and its record deleted, and nothing is retried
    assert answer == {"batchItemFailures": []}
    for connection in (first, last):
        statuses = [json.loads(m)["order"]["status"] for m in fake_api.received[connection]]
        assert statuses == ["placed", "ready"]
    assert fake_api.attempts.count(gone) == 1
    assert connection_item(moto, table, gone) is None
    assert connection_item(moto, table, first) is not None
    assert connection_item(moto, table, last) is not None


def test_a_failing_post_does_not_stop_the_others(
    make_live: MakeLive, fake_api: FakeManagementApi, moto: Any, table: str
) -> None:
    live = make_live(fake_api.endpoint)
    broken, fine = new_connection_id(), new_connection_id()
    connect(live, broken)
    connect(live, fine)
    fake_api.failing.add(broken)
    answer = live(load("stream_order_placed"))
    # the other connection got it; the broken one was retried once (bounded), kept
    # (only 410 means gone), and the record is not retried for everyone
    assert answer == {"batchItemFailures": []}
    assert len(fake_api.received[fine]) == 1
    assert fake_api.attempts.count(broken) == 2
    assert connection_item(moto, table, broken) is not None


def test_an_expired_connection_record_is_not_posted_to(
    make_live: MakeLive, fake_api: FakeManagementApi, clock: Clock
) -> None:
    # DynamoDB's TTL deletes expired items lazily (within days): until then the query
    # must skip them, since API Gateway closed those connections long ago.
    live = make_live(fake_api.endpoint)
    old, fresh = new_connection_id(), new_connection_id()
    connect(live, old)
    clock.now = CONNECTED_AT + CONNECTION_TTL_S - 10
    connect(live, fresh, at=clock.now)
    clock.now = CONNECTED_AT + CONNECTION_TTL_S + 1
    assert live(load("stream_order_placed")) == {"batchItemFailures": []}
    assert fake_api.attempts == [fresh]


def test_records_of_other_items_are_ignored(
    make_live: MakeLive, fake_api: FakeManagementApi
) -> None:
    live = make_live(fake_api.endpoint)
    connect(live, new_connection_id())
    cart = load("stream_cart_changed")
    removed = load("stream_order_placed")
    removed["Records"][0]["eventName"] = "REMOVE"
    for batch in (cart, removed):
        assert live(batch) == {"batchItemFailures": []}
    assert fake_api.attempts == []


def test_a_damaged_order_record_is_skipped_not_retried(
    make_live: MakeLive, fake_api: FakeManagementApi, live_logs: list[str]
) -> None:
    live = make_live(fake_api.endpoint)
    connection = new_connection_id()
    connect(live, connection)
    batch = load("stream_order_placed")
    batch["Records"] += load("stream_order_ready")["Records"]
    batch["Records"][0]["dynamodb"]["NewImage"]["body"]["S"] = '{"number": 1001, "lines": []}'
    # the damaged record cannot get better by retrying (it would hold up the shard)
    assert live(batch) == {"batchItemFailures": []}
    statuses = [json.loads(m)["order"]["status"] for m in fake_api.received[connection]]
    assert statuses == ["ready"]
    assert any("cannot be read" in m for m in live_logs)


def test_when_connections_cannot_be_listed_the_records_are_reported_for_a_retry(
    make_live: MakeLive, fake_api: FakeManagementApi
) -> None:
    # GIVEN DynamoDB refusing the query (here: no such table)
    live = make_live(fake_api.endpoint, table_name="cornershop-no-such-table")
    batch = load("stream_order_placed")
    batch["Records"] += load("stream_cart_changed")["Records"]
    # WHEN the batch arrives THEN the order record is reported (ReportBatchItemFailures)
    answer = live(batch)
    sequence = batch["Records"][0]["dynamodb"]["SequenceNumber"]
    assert answer == {"batchItemFailures": [{"itemIdentifier": sequence}]}
    assert fake_api.attempts == []


def test_records_left_when_time_runs_out_are_reported_for_a_retry(
    make_live: MakeLive, fake_api: FakeManagementApi
) -> None:
    live = make_live(fake_api.endpoint)
    first, second = new_connection_id(), new_connection_id()
    connect(live, first)
    connect(live, second)
    batch = load("stream_order_placed")
    batch["Records"] += load("stream_order_ready")["Records"]
    sequences = [r["dynamodb"]["SequenceNumber"] for r in batch["Records"]]

    # Plenty of time until the first post, then 1 s left: less than one post may need.
    context = Remaining(lambda: 1_000 if fake_api.attempts else 30_000)
    answer = live(batch, context)
    # THEN the first record (half sent) and the second (not started) are retried
    assert answer == {"batchItemFailures": [{"itemIdentifier": s} for s in sequences]}
    assert len(fake_api.attempts) == 1
    # and with no time at all, nothing is sent and everything is retried
    fake_api.attempts.clear()
    assert live(batch, Remaining(lambda: 500)) == answer
    assert fake_api.attempts == []


def test_logs_name_orders_and_staff_never_customers_tokens_or_connection_ids(
    make_live: MakeLive, fake_api: FakeManagementApi, live_logs: list[str]
) -> None:
    live = make_live(fake_api.endpoint)
    connection, gone = new_connection_id(), new_connection_id()
    token = live_token.issue(SECRET, "Sam", now=CONNECTED_AT)
    assert live(connect_event(connection, token)) == {"statusCode": 200}
    connect(live, gone)
    fake_api.gone.add(gone)
    live(load("stream_order_placed"))
    live(connect_event(new_connection_id(), token + "x"))  # refused
    text = "\n".join(live_logs)
    assert "order 1001 (placed) sent to 1 connections, 1 gone" in text
    assert "staff Sam connected" in text
    for secret in (CUSTOMER, token, connection, gone, "apples"):
        assert secret not in text


def test_a_real_checkout_and_status_change_reach_the_dashboard_through_the_stream(
    moto: Any, table: str, make_live: MakeLive
) -> None:
    """The store's own writes, as moto's stream records them, filtered as the template's
    event source mapping filters them, wrapped as Lambda delivers them."""
    admin = moto.client(patient=True)
    described = admin.update_table(
        TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    )
    stream_arn = described["TableDescription"]["LatestStreamArn"]
    live = make_live()
    connection = new_connection_id()
    connect(live, connection)
    # GIVEN a customer's checkout and the shop marking the order ready, through the store
    store = DynamoDBStore(moto.client(), table)
    now = datetime(2026, 11, 27, 10, 14, 2, tzinfo=UTC)

    def make_order(cart: Cart, number: int, *_: Any) -> Order:
        return Order(
            number=number,
            user_id=CUSTOMER,
            lines=(OrderLine("APPLE", "apples", 2, 75),),
            currency="USD",
            created_at=now,
            locale="en-US",
        )

    store.update_cart(CUSTOMER, lambda cart: Cart.from_data([["APPLE", 2]]))
    order = store.place_order(CUSTOMER, "amzn1.echo-api.request.1", make_order)
    store.set_order_status(order.number, OrderStatus.READY)
    store.close()
    # WHEN the stream's records reach the function as Lambda delivers them
    records = stream_records(moto, stream_arn)
    kinds = {r["dynamodb"]["Keys"]["sk"]["S"].split("#")[0] for r in records}
    assert {"CART", "COUNTER", "ORDER", "CONN", "CHECKOUT"} <= kinds  # what the table holds
    delivered = [r for r in records if stream_filter_matches(r)]
    assert len(delivered) == 2
    assert live({"Records": delivered}) == {"batchItemFailures": []}
    # THEN the dashboard got the order placed, then ready, never the customer's id
    raw = moto_received(connection)
    events = [json.loads(line) for line in raw.replace(b"}{", b"}\n{").splitlines()]
    assert [e["order"]["status"] for e in events] == ["placed", "ready"]
    assert [e["order"]["number"] for e in events] == [order.number] * 2
    assert events[0]["seq"] < events[1]["seq"]
    assert CUSTOMER.encode() not in raw


def stream_records(moto: Any, stream_arn: str) -> list[dict[str, Any]]:
    """The table's stream records (moto's), shaped as Lambda hands them to the function."""
    import boto3.session

    streams = boto3.session.Session().client(
        "dynamodbstreams", endpoint_url=moto.endpoint, region_name=REGION, **CREDENTIALS
    )
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = []
    for record in streams.get_records(ShardIterator=iterator, Limit=100)["Records"]:
        record = copy.deepcopy(record)
        record.pop("ResponseMetadata", None)
        change = record["dynamodb"]
        change["ApproximateCreationDateTime"] = int(
            change["ApproximateCreationDateTime"].timestamp()
        )
        record["eventSourceARN"] = stream_arn
        records.append(record)
    return records


# -- a "ready" notification's state, on the order item ------------------------------------------
FAILED = {
    "status": "failed",
    "detail": "HTTP 503 from the Proactive Events API after 4 attempts",
    "at": "2026-11-27T10:15:11.842000+00:00",
}


def test_an_order_record_carrying_a_failed_notification_reaches_the_dashboards(
    make_live: MakeLive,
) -> None:
    # GIVEN a dashboard connected
    live = make_live()
    connection = new_connection_id()
    connect(live, connection)
    # WHEN the stream brings the MODIFY the store's notification write makes (the
    # template's filter lets it through: it is an order item)
    batch = load("stream_order_notification")
    assert stream_filter_matches(batch["Records"][0])
    assert live(batch, Remaining(lambda: 30_000)) == {"batchItemFailures": []}
    # THEN the dashboard got the order with its notification state, nothing of the customer's
    raw = moto_received(connection)
    event = json.loads(raw)
    assert event["order"]["number"] == 1001 and event["order"]["status"] == "ready"
    assert event["order"]["notification"] == FAILED
    assert CUSTOMER.encode() not in raw and b"user_id" not in raw


def test_a_damaged_notification_state_is_skipped_like_any_unreadable_record(
    make_live: MakeLive, live_logs: list[str]
) -> None:
    live = make_live()
    connection = new_connection_id()
    connect(live, connection)
    batch = load("stream_order_notification")
    image = batch["Records"][0]["dynamodb"]["NewImage"]
    image["notification"] = {"S": json.dumps({**FAILED, "status": "lost"})}
    assert live(batch) == {"batchItemFailures": []}  # retrying cannot help
    assert moto_received(connection) == b""
    assert any("cannot be read" in line for line in live_logs)


def test_the_stores_notification_write_reaches_the_dashboard_through_the_stream(
    moto: Any, table: str, make_live: MakeLive
) -> None:
    """The store's own writes (checkout, ready, the notifier's "failed", collected), as
    moto's stream records them, through the template's filter, to the function."""
    from skill.domain.orders import OrderNotification

    admin = moto.client(patient=True)
    described = admin.update_table(
        TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    )
    stream_arn = described["TableDescription"]["LatestStreamArn"]
    live = make_live()
    connection = new_connection_id()
    connect(live, connection)
    store = DynamoDBStore(moto.client(), table)
    now = datetime(2026, 11, 27, 10, 14, 2, tzinfo=UTC)

    def make_order(cart: Cart, number: int, *_: Any) -> Order:
        return Order(number, CUSTOMER, (OrderLine("APPLE", "apples", 2, 75),), "USD", now, "en-US")

    store.update_cart(CUSTOMER, lambda cart: Cart.from_data([["APPLE", 2]]))
    order = store.place_order(CUSTOMER, "amzn1.echo-api.request.2", make_order)
    store.set_order_status(order.number, OrderStatus.READY)
    failed = OrderNotification.from_data(FAILED)
    store.set_order_notification(order.number, failed)
    store.set_order_status(order.number, OrderStatus.COLLECTED)
    store.close()
    delivered = [r for r in stream_records(moto, stream_arn) if stream_filter_matches(r)]
    assert len(delivered) == 4
    assert live({"Records": delivered}) == {"batchItemFailures": []}
    raw = moto_received(connection)
    events = [json.loads(line) for line in raw.replace(b"}{", b"}\n{").splitlines()]
    # the notification's write is an order event of its own, and the status change
    # after it still carries it (a status change never writes an old state back)
    assert [(e["order"]["status"], e["order"].get("notification")) for e in events] == [
        ("placed", None),
        ("ready", None),
        ("ready", FAILED),
        ("collected", FAILED),
    ]
    assert CUSTOMER.encode() not in raw


# -- the Lambda entry point and its configuration ------------------------------------------------
def test_live_function_builds_once_and_handles_route_and_stream_events(
    moto: Any, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the environment the template gives the function (endpoints on 127.0.0.1)
    for name, value in {
        "CORNERSHOP_STORE": f"dynamodb://{table}",
        "CORNERSHOP_LIVE_SECRET": SECRET,
        "CORNERSHOP_LIVE_ENDPOINT": moto.endpoint,
        "AWS_ENDPOINT_URL_DYNAMODB": moto.endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
    }.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(
        "live_function_under_test", REPO / "lambda" / "live_function.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # WHEN it gets a $connect with a fresh token, then an order record
    connection = new_connection_id()
    token = live_token.issue(SECRET, "Sam")
    assert module.lambda_handler(connect_event(connection, token), None) == {"statusCode": 200}
    batch = load("stream_order_placed")
    assert module.lambda_handler(batch, Remaining(lambda: 30_000)) == {"batchItemFailures": []}
    # THEN the connection got the order
    assert json.loads(moto_received(connection)) == expected_event(batch["Records"][0])
    assert module.LIVE.table == table


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CORNERSHOP_STORE": "sqlite:///tmp/x.db"}, "CORNERSHOP_STORE"),
        ({"CORNERSHOP_LIVE_SECRET": "short"}, "CORNERSHOP_LIVE_SECRET"),
        ({"CORNERSHOP_LIVE_ENDPOINT": "http://example.com/live"}, "CORNERSHOP_LIVE_ENDPOINT"),
        ({"CORNERSHOP_LIVE_ENDPOINT": ""}, "CORNERSHOP_LIVE_ENDPOINT"),
    ],
)
def test_the_configuration_says_what_to_fix(env: dict[str, str], message: str) -> None:
    good = {
        "CORNERSHOP_STORE": "dynamodb://cornershop",
        "CORNERSHOP_LIVE_SECRET": SECRET,
        "CORNERSHOP_LIVE_ENDPOINT": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/live",
    }
    assert LiveConfig.from_env(good) == LiveConfig(
        "cornershop", "main", SECRET, good["CORNERSHOP_LIVE_ENDPOINT"]
    )
    with pytest.raises(ConfigError, match=message):
        LiveConfig.from_env({**good, **env})


def test_the_live_function_needs_no_layer() -> None:
    # The template gives LiveFunction no layer: everything it imports is the standard
    # library, Corner Shop, or boto3/botocore (which Lambda provides).
    code = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        "import boto3.session, skill.live_aws, skill.store.dynamodb\n"
        "skill.live_aws._botocore_errors()\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before if m[:2] != '__'}\n"
        "print(json.dumps(sorted(new - set(sys.stdlib_module_names))))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    imported = set(json.loads(proc.stdout))
    assert "skill" in imported
    # what the Lambda runtime ships with boto3 (botocore uses certifi when it is there)
    runtime = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"}
    assert imported <= {"skill", "certifi", *runtime}, imported


def test_function_zip_carries_the_live_entry_point() -> None:
    # The template's LiveFunction runs live_function.lambda_handler from function.zip.
    from skill import packaging

    names = {name for name, _ in packaging.function_files(REPO)}
    assert {"live_function.py", "skill/live_aws.py", "skill/live_token.py"} <= names
