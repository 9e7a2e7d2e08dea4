"""What only the DynamoDB store has to get right: the AWS environment, an endpoint
that is down or throttling, answers lost after a write, races with other
processes, the table design, and not importing boto3 until it is used.

The shared contract lives in test_contract.py; these tests talk to the same kind
of moto server on 127.0.0.1, and force failures with botocore's Stubber or with
``before-send`` event hooks (which run inside botocore's retry loop).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from _orders import make_order
from _servers import CREDENTIALS, REGION, MotoDynamoDB
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber

from skill.domain.cart import Cart
from skill.domain.orders import Order
from skill.errors import ConfigError, EmptyCart, StoreError
from skill.store import open_store
from skill.store.dynamodb import (
    CONNECT_TIMEOUT_S,
    READ_TIMEOUT_S,
    TOTAL_MAX_ATTEMPTS,
    DynamoDBClient,
    DynamoDBStore,
    create_table,
    new_client,
)

ADA = "amzn1.ask.account.ADA-TEST-USER"
BOB = "amzn1.ask.account.BOB-TEST-USER"
NOW = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)

#: The shared moto server, table and fault-proxy fixtures (tests/store/_fixtures.py).
pytest_plugins = ["_fixtures"]


# -- fixtures ------------------------------------------------------------------


@pytest.fixture
def store(moto: MotoDynamoDB, table: str) -> Iterator[DynamoDBStore]:
    opened = DynamoDBStore(moto.client(), table)
    yield opened
    opened.close()


@pytest.fixture
def other(moto: MotoDynamoDB, table: str) -> Iterator[DynamoDBStore]:
    """A second store on the same table with its own client: another Lambda container."""
    opened = DynamoDBStore(moto.client(), table)
    yield opened
    opened.close()


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def checkout_reads(client: DynamoDBClient, table: str, user_id: str, request_id: str) -> Any:
    """What the store's checkout reads first, read for real (to feed a Stubber): the
    cart, the counter and the request record, with the reply's metadata."""
    keys = [
        key(f"USER#main#{user_id}", "CART"),
        key("SHOP#main", "COUNTER"),
        key("SHOP#main", "CATALOG"),
        key(f"REQ#main#{user_id}", f"CHECKOUT#{request_id}"),
    ]
    return client.transact_get_items(
        TransactItems=[{"Get": {"TableName": table, "Key": k}} for k in keys],
        ReturnConsumedCapacity="TOTAL",
    )


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def dynamodb_error(request: AWSPreparedRequest, code: str, status: int = 400) -> AWSResponse:
    """An HTTP answer from DynamoDB carrying error ``code``, as botocore would receive it."""
    body = f'{{"__type":"com.amazonaws.dynamodb.v20120810#{code}","message":"test"}}'
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "test"}
    return AWSResponse(request.url, status, headers, _Body(body.encode()))


def deliver(request: AWSPreparedRequest) -> None:
    """Send a signed botocore request to the moto server ourselves (no proxies)."""
    body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
    headers = {
        k: v.decode() if isinstance(v, bytes) else str(v) for k, v in request.headers.items()
    }
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    forwarded = urllib.request.Request(request.url, data=body, headers=headers, method="POST")
    with opener.open(forwarded, timeout=10) as answer:
        assert answer.status == 200


def on_send(client: DynamoDBClient, operation: str, handler: Callable[..., Any]) -> None:
    client.meta.events.register(f"before-send.dynamodb.{operation}", handler)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def add(item_id: str, quantity: int = 1) -> Callable[[Cart], Cart]:
    return lambda cart: cart.add(item_id, quantity)


# -- importing and opening ---------------------------------------------------------
def test_importing_the_store_package_does_not_import_boto3() -> None:
    # GIVEN a fresh interpreter
    code = (
        "import sys, skill.store, skill.store.dynamodb; "
        "loaded = {'boto3', 'botocore'} & set(sys.modules); "
        "assert not loaded, loaded"
    )
    # WHEN it imports skill.store and even the DynamoDB module
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    # THEN neither boto3 nor botocore was loaded
    assert done.returncode == 0, done.stderr


def aws_environment(monkeypatch: pytest.MonkeyPatch, moto: MotoDynamoDB, tmp_path: Path) -> None:
    """The standard AWS environment pointing DynamoDB at the moto server, set through
    monkeypatch (the environment is the interface under test where this is used)."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto.endpoint)


def test_open_store_finds_the_endpoint_in_the_aws_environment(
    moto: MotoDynamoDB, table: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN the standard AWS environment pointing DynamoDB at the moto server (the
    # environment is the interface under test here, so it is set, through monkeypatch)
    aws_environment(monkeypatch, moto, tmp_path)
    # WHEN the store is opened by URL and used
    store = open_store(f"dynamodb://{table}", shop_id="main")
    try:
        store.ping()
        store.update_cart(ADA, add("apples", 2))
        order = store.place_order(ADA, "req-1", make_order(ADA))
    finally:
        store.close()
    # THEN the data is in the moto table, as a separately built client sees it
    seen = DynamoDBStore(moto.client(), table)
    assert seen.list_orders() == [order]
    assert order.as_cart() == Cart.from_lines({"apples": 2})


def test_bad_names_are_refused_with_a_config_error(moto: MotoDynamoDB) -> None:
    # GIVEN names DynamoDB or the key design cannot take
    # WHEN a store is made with them / THEN ConfigError says what to use
    with pytest.raises(ConfigError, match="table name"):
        DynamoDBStore(moto.client(), "x")
    with pytest.raises(ConfigError, match="shop id"):
        DynamoDBStore(moto.client(), "cornershop", shop_id="north#1")
    with pytest.raises(ConfigError, match="table name"):
        open_store("dynamodb://not a table")


def test_new_client_budget_fits_a_failing_call_in_about_two_seconds() -> None:
    # GIVEN the client the store builds
    client = new_client(endpoint_url="http://127.0.0.1:9", region_name=REGION, **CREDENTIALS)
    config = client.meta.config
    # THEN it uses botocore's standard retry mode with the documented budget
    assert config.retries == {"mode": "standard", "total_max_attempts": TOTAL_MAX_ATTEMPTS}
    assert (config.connect_timeout, config.read_timeout) == (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)
    # AND the worst cases of one failing call stay within about 2 s:
    hanging_server = TOTAL_MAX_ATTEMPTS * (CONNECT_TIMEOUT_S + READ_TIMEOUT_S)
    throttled = sum(min(2**i, 20) for i in range(TOTAL_MAX_ATTEMPTS - 1))  # backoff ceilings
    assert hanging_server <= 2.0
    assert throttled <= 1.0
    client.close()


def test_create_table_is_repeatable_and_turns_on_ttl(moto: MotoDynamoDB, table: str) -> None:
    # GIVEN a table made by create_table / WHEN it is run again
    admin = moto.client(patient=True)
    create_table(admin, table)
    # THEN nothing fails, and TTL is on for expires_at
    ttl = admin.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    keys = admin.describe_table(TableName=table)["Table"]["KeySchema"]
    assert keys == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]


def test_a_checkout_record_expires_after_a_day(
    moto: MotoDynamoDB, table: str, store: DynamoDBStore
) -> None:
    # GIVEN an order placed for request "req-1"
    store.update_cart(ADA, add("apples"))
    order = store.place_order(ADA, "req-1", make_order(ADA))
    # WHEN its request record is read straight from the table
    item = moto.client(patient=True).get_item(
        TableName=table, Key=key(f"REQ#main#{ADA}", "CHECKOUT#req-1"), ConsistentRead=True
    )["Item"]
    # THEN it points at the order and expires (TTL) about 24 h from now
    assert int(item["order_number"]["N"]) == order.number
    assert abs(int(item["expires_at"]["N"]) - (time.time() + 24 * 3600)) < 300


def test_shops_sharing_a_table_are_kept_apart(moto: MotoDynamoDB, table: str) -> None:
    # GIVEN two shops in one table
    north = DynamoDBStore(moto.client(), table, shop_id="north")
    south = DynamoDBStore(moto.client(), table, shop_id="south")
    # WHEN the same user and request id check out at both
    north.update_cart(ADA, add("apples"))
    south.update_cart(ADA, add("bread"))
    at_north = north.place_order(ADA, "req-1", make_order(ADA))
    at_south = south.place_order(ADA, "req-1", make_order(ADA))
    # THEN each shop has its own cart, counter, orders and request records
    assert (at_north.number, at_south.number) == (1001, 1001)
    assert at_north.as_cart() == Cart.from_lines({"apples": 1})
    assert at_south.as_cart() == Cart.from_lines({"bread": 1})
    assert north.list_orders() == [at_north]
    assert south.last_order(ADA) == at_south


# -- the endpoint failing ----------------------------------------------------------
def test_an_unreachable_endpoint_raises_store_error_quickly() -> None:
    # GIVEN a store whose endpoint refuses connections
    client = new_client(
        endpoint_url=f"http://127.0.0.1:{closed_port()}", region_name=REGION, **CREDENTIALS
    )
    store = DynamoDBStore(client, "cornershop")
    calls: list[Callable[[DynamoDBStore], object]] = [
        lambda s: s.ping(),
        lambda s: s.get_cart(ADA),
        lambda s: s.update_cart(ADA, add("apples")),
        lambda s: s.place_order(ADA, "req-1", make_order(ADA)),
        lambda s: s.last_order(ADA),
        lambda s: s.list_orders(),
    ]
    for call in calls:
        started = time.monotonic()
        # WHEN it is used
        with pytest.raises(StoreError) as raised:
            call(store)
        # THEN it fails with StoreError soon (< 10 s is only a guard against hanging)
        assert time.monotonic() - started < 10
        assert isinstance(raised.value.__cause__, EndpointConnectionError)
        message = str(raised.value)
        assert "'cornershop'" in message and "could not be reached" in message
        assert ADA not in message and "req-1" not in message
    client.close()


def test_a_missing_table_raises_store_error_that_says_so(moto: MotoDynamoDB) -> None:
    # GIVEN a store on a table that was never created
    store = DynamoDBStore(moto.client(), "never-created")
    # WHEN it is pinged / THEN StoreError says the table does not exist
    with pytest.raises(StoreError, match="does not exist") as raised:
        store.ping()
    assert isinstance(raised.value.__cause__, ClientError)


def test_missing_credentials_raise_store_error(
    moto: MotoDynamoDB, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN an environment without any AWS credentials
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client = new_client(endpoint_url=moto.endpoint, region_name=REGION)
    store = DynamoDBStore(client, "cornershop")
    # WHEN it is used / THEN StoreError says credentials are missing
    with pytest.raises(StoreError, match="credentials") as raised:
        store.get_cart(ADA)
    assert type(raised.value.__cause__).__name__ == "NoCredentialsError"
    client.close()


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException"])
def test_a_throttled_checkout_raises_store_error_and_writes_nothing(
    moto: MotoDynamoDB, table: str, code: str
) -> None:
    # GIVEN a full cart, and a client on which DynamoDB throttles the checkout write
    # (Stubber answers instead of the server, after botocore's retries would have run)
    client = moto.client()
    store = DynamoDBStore(client, table)
    store.update_cart(ADA, add("apples", 3))
    stubber = Stubber(client)
    stubber.add_response("transact_get_items", checkout_reads(client, table, ADA, "req-1"))
    stubber.add_client_error("transact_write_items", code, "Rate of requests exceeds capacity.")
    # WHEN the user checks out
    with stubber, pytest.raises(StoreError, match="throttling") as raised:
        store.place_order(ADA, "req-1", make_order(ADA))
    stubber.assert_no_pending_responses()
    # THEN the failure is a StoreError from the ClientError, and nothing was written
    assert isinstance(raised.value.__cause__, ClientError)
    seen = DynamoDBStore(moto.client(), table)
    assert seen.get_cart(ADA) == Cart.from_lines({"apples": 3})
    assert seen.list_orders() == []
    assert seen.last_order(ADA) is None


def test_throttling_is_retried_by_botocore_until_the_budget_runs_out(
    moto: MotoDynamoDB, table: str, store: DynamoDBStore, other: DynamoDBStore
) -> None:
    # GIVEN a full cart, and DynamoDB answering every checkout write with throttling
    other.update_cart(ADA, add("apples", 3))
    attempts: list[str] = []

    def throttle(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        attempts.append("throttled")
        return dynamodb_error(request, "ProvisionedThroughputExceededException")

    on_send(store.client, "TransactWriteItems", throttle)
    # WHEN the user checks out
    with pytest.raises(StoreError, match="throttling"):
        store.place_order(ADA, "req-1", make_order(ADA))
    # THEN botocore tried as often as the budget allows, and nothing was written
    assert len(attempts) == TOTAL_MAX_ATTEMPTS
    assert other.get_cart(ADA) == Cart.from_lines({"apples": 3})
    assert other.list_orders() == []


def test_one_throttled_attempt_is_absorbed_by_botocore(
    store: DynamoDBStore, other: DynamoDBStore
) -> None:
    # GIVEN DynamoDB throttles the first checkout write only
    store.update_cart(ADA, add("apples", 3))
    attempts: list[str] = []

    def throttle_once(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        attempts.append("sent")
        return dynamodb_error(request, "ThrottlingException") if len(attempts) == 1 else None

    on_send(store.client, "TransactWriteItems", throttle_once)
    # WHEN the user checks out
    order = store.place_order(ADA, "req-1", make_order(ADA))
    # THEN the retry went through and placed exactly one order
    assert len(attempts) == 2
    assert other.list_orders() == [order]
    assert other.get_cart(ADA).is_empty


def test_a_checkout_failing_midway_keeps_the_cart_and_a_retry_orders_once(
    moto: MotoDynamoDB, table: str
) -> None:
    # GIVEN a full cart, and DynamoDB failing the checkout transaction once
    client = moto.client()
    store = DynamoDBStore(client, table)
    store.update_cart(ADA, add("apples", 2))
    stubber = Stubber(client)
    stubber.add_response("transact_get_items", checkout_reads(client, table, ADA, "req-1"))
    stubber.add_client_error(
        "transact_write_items", "InternalServerError", "Internal server error", 500
    )
    with stubber, pytest.raises(StoreError):
        store.place_order(ADA, "req-1", make_order(ADA))
    # THEN the cart is intact and there is no order
    assert store.get_cart(ADA) == Cart.from_lines({"apples": 2})
    assert store.list_orders() == []
    # WHEN Alexa retries the request once DynamoDB is back, and then once more
    first = store.place_order(ADA, "req-1", make_order(ADA))
    again = store.place_order(ADA, "req-1", make_order(ADA))
    # THEN exactly one order was placed
    assert first == again
    assert first.number == 1001
    assert store.list_orders() == [first]
    assert store.get_cart(ADA).is_empty


# -- answers lost after a write ----------------------------------------------------
def lose_first_answer(client: DynamoDBClient, operation: str) -> list[str]:
    """The first ``operation`` reaches DynamoDB and commits, but its answer times out.

    botocore then retries the very same request, as it would in production.
    """
    sent: list[str] = []

    def handler(request: AWSPreparedRequest, **_: Any) -> None:
        sent.append(operation)
        if len(sent) == 1:
            deliver(request)
            raise ReadTimeoutError(endpoint_url=request.url)

    on_send(client, operation, handler)
    return sent


def test_a_cart_change_whose_answer_was_lost_is_not_applied_twice(
    store: DynamoDBStore, other: DynamoDBStore
) -> None:
    # GIVEN a cart with one apple, and the answer to the next cart write lost
    store.update_cart(ADA, add("apples"))
    sent = lose_first_answer(store.client, "UpdateItem")
    # WHEN the user adds one apple
    cart = store.update_cart(ADA, add("apples"))
    # THEN botocore's retry found the write already done, and there are 2 apples, not 3
    assert len(sent) == 2
    assert cart == other.get_cart(ADA) == Cart.from_lines({"apples": 2})


def test_a_checkout_whose_answer_was_lost_places_one_order(
    store: DynamoDBStore, other: DynamoDBStore
) -> None:
    # GIVEN a full cart, and the answer to the checkout transaction lost
    store.update_cart(ADA, add("apples", 2))
    sent = lose_first_answer(store.client, "TransactWriteItems")
    # WHEN the user checks out
    order = store.place_order(ADA, "req-1", make_order(ADA))
    # THEN the store saw its own order through the request record: one order, empty cart
    assert len(sent) == 2
    assert order.number == 1001
    assert other.list_orders() == [order]
    assert other.get_cart(ADA).is_empty


# -- races with other processes ----------------------------------------------------
def test_a_conflicting_cart_write_is_retried_and_both_changes_land(
    store: DynamoDBStore, other: DynamoDBStore
) -> None:
    # GIVEN a change that, the first time it runs, lets another container add bread
    # between this store's read and its conditional write
    calls: list[Cart] = []

    def add_apples(cart: Cart) -> Cart:
        calls.append(cart)
        if len(calls) == 1:
            other.update_cart(ADA, add("bread"))
        return cart.add("apples", 1)

    # WHEN it is applied
    result = store.update_cart(ADA, add_apples)
    # THEN the write conflicted, the change ran again on the fresh cart, and both landed
    assert calls == [Cart(), Cart.from_lines({"bread": 1})]
    assert result == store.get_cart(ADA) == Cart.from_lines({"bread": 1, "apples": 1})


def test_a_checkout_racing_another_users_checkout_takes_the_next_number(
    store: DynamoDBStore, other: DynamoDBStore
) -> None:
    # GIVEN Ada and Bob with full carts; while Ada's order is being built,
    # Bob's checkout (another container) takes number 1001
    store.update_cart(ADA, add("apples"))
    other.update_cart(BOB, add("bread"))
    numbers: list[int] = []

    def build(cart: Cart, number: int, catalog: Any = None) -> Order:
        numbers.append(number)
        if len(numbers) == 1:
            other.place_order(BOB, "bob-1", make_order(BOB))
        return make_order(ADA)(cart, number, catalog)

    # WHEN Ada's checkout writes
    ada = store.place_order(ADA, "ada-1", build)
    # THEN the transaction was cancelled on the counter, retried, and got 1002
    assert numbers == [1001, 1002]
    assert ada.number == 1002
    assert [o.number for o in store.list_orders()] == [1002, 1001]
    bobs = store.last_order(BOB)
    assert bobs is not None and bobs.number == 1001


def in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` on ``count`` threads released together; results or exceptions, by i."""
    results: list[Any] = [RuntimeError("did not run")] * count
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"
    return results


def test_two_containers_adding_to_one_cart_lose_nothing(
    store: DynamoDBStore, other: DynamoDBStore
) -> None:
    # GIVEN two stores (two Lambda containers) with 4 threads each, one item per thread
    stores = [store, other]
    items = [f"item-{i}" for i in range(8)]

    def add_10(i: int) -> int:
        for _ in range(10):
            stores[i % 2].update_cart(ADA, add(items[i]))
        return i

    # WHEN they all add at once, racing through conditional writes
    results = in_threads(8, add_10)
    # THEN every add landed
    assert results == list(range(8))
    cart = store.get_cart(ADA)
    assert {line.item_id: line.quantity for line in cart.lines} == dict.fromkeys(items, 10)


def test_two_containers_checking_out_one_cart_make_one_order(
    store: DynamoDBStore, other: DynamoDBStore
) -> None:
    # GIVEN a full cart
    store.update_cart(ADA, add("apples", 2))
    stores = [store, other]
    # WHEN 8 requests on two containers check it out at once
    results = in_threads(8, lambda i: stores[i % 2].place_order(ADA, f"r{i}", make_order(ADA)))
    # THEN one order was placed and the others found the cart empty
    orders = [r for r in results if isinstance(r, Order)]
    assert len(orders) == 1, results
    assert sum(isinstance(r, EmptyCart) for r in results) == 7, results
    assert store.list_orders() == orders


def test_two_containers_checking_out_at_once_number_orders_without_gaps(
    store: DynamoDBStore, other: DynamoDBStore
) -> None:
    # GIVEN 8 users with full carts
    users = [f"amzn1.ask.account.USER-{i}" for i in range(8)]
    for user in users:
        store.update_cart(user, add("apples"))
    stores = [store, other]
    # WHEN they check out at once on two containers, racing for the counter
    results = in_threads(
        8, lambda i: stores[i % 2].place_order(users[i], f"r{i}", make_order(users[i]))
    )
    # THEN the orders are numbered 1001 to 1008, each number once
    assert all(isinstance(r, Order) for r in results), results
    assert sorted(r.number for r in results) == list(range(1001, 1009))


def test_cli_store_init_creates_the_dynamodb_table(
    moto: MotoDynamoDB, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import io

    from skill.cli import main

    # GIVEN the AWS environment pointing at the moto server, and a table that doesn't exist
    aws_environment(monkeypatch, moto, tmp_path)
    name = f"cli-init-{uuid.uuid4().hex[:8]}"
    # WHEN `cornershop store init` runs, then `store ping`
    out = io.StringIO()
    assert main(["store", "init", "--store", f"dynamodb://{name}"], out=out) == 0
    assert main(["store", "ping", "--store", f"dynamodb://{name}"], out=out) == 0
    # THEN the table exists with TTL on expires_at
    client = moto.client()
    assert client.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"
    assert f"DynamoDB table {name} is ready" in out.getvalue()
