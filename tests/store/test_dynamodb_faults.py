"""DynamoDB replies that are cut off, corrupted, lost or trickling, on the wire.

Every test talks to moto through tests/store/_proxies.py's FaultProxy, a real TCP
proxy on 127.0.0.1 that damages chosen replies, so botocore's own HTTP, checksum
and retry code runs as in production. What must hold: every reply that is not a
complete, successful answer ends as StoreError within the call's deadline, never
as a wrong answer; the data stays consistent (a clean store on moto directly
checks it); a write whose reply was lost is applied once, and reported as done
when a re-read can confirm it. Also here: damaged records read back (CorruptRecord)
and request records that belong to one user.

The time bounds asserted are correctness bounds (the deadline plus generous
slack), not speed figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from _orders import make_order
from _proxies import Fault, FaultProxy
from _servers import CREDENTIALS, REGION, MotoDynamoDB

from skill.deadline import request_deadline
from skill.domain.cart import Cart
from skill.errors import CorruptRecord, EmptyCart, StoreError
from skill.store.dynamodb import (
    CALL_BUDGET_S,
    CONFIRM_RESERVE_S,
    DynamoDBClient,
    DynamoDBStore,
    new_client,
)

ADA = "amzn1.ask.account.ADA-TEST-USER"
BOB = "amzn1.ask.account.BOB-TEST-USER"
NOW = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)
SEVEN_APPLES = Cart.from_lines({"APPLE": 7})
DAMAGING: list[Fault] = [
    "truncate",
    "corrupt",
    "corrupt-rehashed",
    "corrupt-binary",
    "empty",
    "drop",
]

#: The shared moto server, table and fault-proxy fixtures (tests/store/_fixtures.py).
pytest_plugins = ["_fixtures"]


# -- fixtures ------------------------------------------------------------------


def proxied_client(proxy: FaultProxy) -> DynamoDBClient:
    """A client with the store's production configuration, talking through the proxy."""
    return new_client(endpoint_url=proxy.endpoint, region_name=REGION, **CREDENTIALS)


@pytest.fixture
def store(proxy: FaultProxy, table: str) -> Iterator[DynamoDBStore]:
    """The store under test, behind the fault proxy, with the production budget."""
    clients: list[DynamoDBClient] = []

    def factory() -> DynamoDBClient:
        clients.append(proxied_client(proxy))
        return clients[-1]

    opened = DynamoDBStore(factory(), table, client_factory=factory)
    yield opened
    opened.close()
    for client in clients:
        client.close()


@pytest.fixture
def clean(moto: MotoDynamoDB, table: str) -> Iterator[DynamoDBStore]:
    """A store on moto directly: what the table really holds."""
    opened = DynamoDBStore(moto.client(), table)
    yield opened
    opened.close()


def add(item_id: str, quantity: int = 1) -> Callable[[Cart], Cart]:
    return lambda cart: cart.add(item_id, quantity)


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def raw_put(moto: MotoDynamoDB, table: str, item: dict[str, Any]) -> None:
    moto.client(patient=True).put_item(TableName=table, Item=item)


def seven_apples(clean: DynamoDBStore) -> None:
    assert clean.update_cart(ADA, add("APPLE", 7)) == SEVEN_APPLES


# -- damaged replies to reads ------------------------------------------------------
@pytest.mark.parametrize("fault", DAMAGING)
def test_a_damaged_cart_reply_is_a_store_error_never_an_empty_cart(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy, fault: Fault
) -> None:
    # GIVEN a cart holding 7 apples, and every GetItem reply damaged on the wire
    seven_apples(clean)
    proxy.inject("GetItem", fault)
    # WHEN the cart is read / THEN StoreError (the record itself is fine), no wrong answer
    with pytest.raises(StoreError) as raised:
        store.get_cart(ADA)
    assert not isinstance(raised.value, CorruptRecord)
    assert raised.value.__cause__ is not None
    assert ADA not in str(raised.value)
    # AND once the network is clean again, the same store reads the 7 apples
    proxy.clear()
    assert store.get_cart(ADA) == SEVEN_APPLES


def test_one_damaged_attempt_is_absorbed_by_botocores_checksum_retry(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy
) -> None:
    # GIVEN the first GetItem reply cut short, the retry clean
    seven_apples(clean)
    proxy.inject("GetItem", "truncate", times=1)
    # WHEN the cart is read / THEN botocore retried (its reply says MaxAttemptsReached,
    # as every reply of the last attempt does) and the store accepts the good answer
    assert store.get_cart(ADA) == SEVEN_APPLES
    assert proxy.count("GetItem") == 2


def test_a_missing_item_is_told_apart_from_an_empty_reply(
    store: DynamoDBStore, proxy: FaultProxy
) -> None:
    # GIVEN a user with no cart at all / WHEN read cleanly / THEN an empty cart
    assert store.get_cart(BOB) == Cart()
    # WHEN the reply is a well-formed, checksummed "{}" / THEN StoreError: a genuine
    # answer always carries the ConsumedCapacity the store asks for
    proxy.inject("GetItem", "empty")
    with pytest.raises(StoreError, match="ConsumedCapacity"):
        store.get_cart(BOB)


@pytest.mark.parametrize("fault", ["empty", "truncate", "corrupt-binary"])
def test_a_checkout_read_without_responses_is_a_store_error(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy, fault: Fault
) -> None:
    # GIVEN a full cart, and the checkout's TransactGetItems reply damaged
    seven_apples(clean)
    proxy.inject("TransactGetItems", fault)
    # WHEN the user checks out / THEN StoreError, not ValueError or an empty cart
    with pytest.raises(StoreError):
        store.place_order(ADA, "req-1", make_order(ADA, "req-1"))
    # AND nothing was written
    assert clean.get_cart(ADA) == SEVEN_APPLES
    assert clean.list_orders() == []
    assert proxy.count("TransactWriteItems") == 0


@pytest.mark.parametrize("fault", ["empty", "corrupt-rehashed"])
def test_damaged_replies_to_the_other_reads_are_store_errors(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy, fault: Fault
) -> None:
    # GIVEN an order placed, then Query and GetItem replies damaged
    seven_apples(clean)
    order = clean.place_order(ADA, "req-1", make_order(ADA, "req-1"))
    proxy.inject("Query", fault)
    proxy.inject("GetItem", fault)
    # WHEN the shop lists orders, or the user asks for the last one, or a health check
    # runs / THEN StoreError each time: "no orders" or "no last order" would be wrong
    with pytest.raises(StoreError):
        store.list_orders()
    with pytest.raises(StoreError):
        store.last_order(ADA)
    with pytest.raises(StoreError):
        store.ping()
    proxy.clear()
    assert store.list_orders() == [order]
    assert store.last_order(ADA) == order


def test_the_skill_apologises_instead_of_saying_the_cart_is_empty(
    store: DynamoDBStore,
    clean: DynamoDBStore,
    proxy: FaultProxy,
    make_skill: Callable[..., Any],
    event: Callable[..., dict[str, Any]],
) -> None:
    # GIVEN 7 apples, and GetItem replies cut short on the wire
    seven_apples(clean)
    proxy.inject("GetItem", "truncate")
    skill = make_skill(store=store)
    # WHEN the customer asks what is in the cart
    response = skill.handle(event("list_cart", user_id=ADA))
    # THEN they hear the storage apology, not "Your cart is empty"
    speech = response["response"]["outputSpeech"]["ssml"]
    assert "couldn't reach your cart" in speech
    assert "empty" not in speech


# -- the deadline ------------------------------------------------------------------
def test_a_trickling_endpoint_fails_the_call_within_its_deadline(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy
) -> None:
    # GIVEN 7 apples, and GetItem replies sent one byte every 0.5 s (each read
    # returns within botocore's 0.7 s read timeout, so socket timeouts never fire)
    seven_apples(clean)
    proxy.inject("GetItem", "trickle")
    # WHEN the cart is read
    started = time.monotonic()
    with pytest.raises(StoreError, match="deadline") as raised:
        store.get_cart(ADA)
    took = time.monotonic() - started
    # THEN it fails at its deadline (the correctness bound: under twice the budget;
    # without a wall-clock deadline this took minutes)
    assert took < 2 * CALL_BUDGET_S, took
    assert isinstance(raised.value.__cause__, TimeoutError)
    # AND a clean read afterwards still sees the 7 apples
    proxy.clear()
    assert store.get_cart(ADA) == SEVEN_APPLES


def test_the_request_deadline_caps_each_call(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy
) -> None:
    # GIVEN a trickling endpoint, and a request with 0.6 s left
    seven_apples(clean)
    proxy.inject("GetItem", "trickle")
    started = time.monotonic()
    # WHEN the cart is read inside it / THEN the call ends with the request, not after 2 s
    with request_deadline(0.6), pytest.raises(StoreError, match="deadline"):
        store.get_cart(ADA)
    assert time.monotonic() - started < 2 * 0.6


def test_a_write_is_not_started_without_time_to_confirm_it(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy
) -> None:
    # GIVEN a request with less time left than a write keeps for its re-read
    seven_apples(clean)
    # WHEN the user adds an apple / THEN StoreError before anything is sent
    with request_deadline(CONFIRM_RESERVE_S / 2), pytest.raises(StoreError, match="time budget"):
        store.update_cart(ADA, add("APPLE"), request_id="req-1")
    assert proxy.count("UpdateItem") == 0
    # AND the cart is as it was: this StoreError means "not applied"
    assert clean.get_cart(ADA) == SEVEN_APPLES


# -- lost replies to writes --------------------------------------------------------
@pytest.mark.parametrize("fault", ["drop", "truncate", "corrupt", "trickle"])
def test_a_cart_write_whose_replies_were_lost_is_applied_once_and_confirmed(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy, fault: Fault
) -> None:
    # GIVEN 7 apples, and every UpdateItem reply lost or damaged after moto applied it
    seven_apples(clean)
    proxy.inject("UpdateItem", fault)
    started = time.monotonic()
    # WHEN the user adds an apple
    cart = store.update_cart(ADA, add("APPLE"), request_id="req-1")
    # THEN the re-read found the write's request id: success, within the deadline
    assert time.monotonic() - started < 2 * CALL_BUDGET_S
    assert cart == Cart.from_lines({"APPLE": 8})
    # AND the apple was added exactly once
    assert clean.get_cart(ADA) == Cart.from_lines({"APPLE": 8})
    # AND Alexa redelivering the same request changes nothing more
    proxy.clear()
    assert store.update_cart(ADA, add("APPLE"), request_id="req-1") == Cart.from_lines({"APPLE": 8})
    assert clean.get_cart(ADA) == Cart.from_lines({"APPLE": 8})


def test_both_attempts_of_a_write_lose_their_replies_after_it_committed(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy
) -> None:
    # GIVEN every UpdateItem reply dropped after moto answered it
    seven_apples(clean)
    proxy.inject("UpdateItem", "drop")
    # WHEN the user adds an apple (no request id: botocore's retry is what repeats it)
    cart = store.update_cart(ADA, add("APPLE"))
    # THEN botocore sent it twice (the second failed its condition), and the store
    # confirmed the first through its token: one apple more, reported as done
    assert proxy.count("UpdateItem") == 2
    assert cart == clean.get_cart(ADA) == Cart.from_lines({"APPLE": 8})


def test_an_unconfirmable_write_says_it_may_have_been_applied(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy
) -> None:
    # GIVEN the write's replies dropped after moto applied it, and every GetItem
    # reply after the store's first read damaged (so the re-read cannot confirm)
    seven_apples(clean)
    proxy.inject("UpdateItem", "drop")
    proxy.inject("GetItem", "pass", times=1)
    proxy.inject("GetItem", "corrupt")
    # WHEN the user adds an apple / THEN StoreError that says it may have been applied
    with pytest.raises(StoreError, match="may have been applied") as raised:
        store.update_cart(ADA, add("APPLE"), request_id="req-1")
    assert type(raised.value.__cause__).__name__ == "ConnectionClosedError"
    assert proxy.count("GetItem", "corrupt") == 2  # the re-read, and botocore's retry of it
    # AND the data is consistent: applied once, and a redelivery applies nothing more
    proxy.clear()
    assert clean.get_cart(ADA) == Cart.from_lines({"APPLE": 8})
    assert store.update_cart(ADA, add("APPLE"), request_id="req-1") == Cart.from_lines({"APPLE": 8})


@pytest.mark.parametrize("request_id", ["req-1", ""])
@pytest.mark.parametrize("fault", ["drop", "truncate"])
def test_a_checkout_whose_replies_were_lost_places_one_order_and_confirms_it(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy, fault: Fault, request_id: str
) -> None:
    # GIVEN a full cart, and every TransactWriteItems reply lost after moto applied it
    seven_apples(clean)
    proxy.inject("TransactWriteItems", fault)
    # WHEN the user checks out
    order = store.place_order(ADA, request_id, make_order(ADA, request_id))
    # THEN the store confirmed its own order: one order, an empty cart
    assert order.number == 1001
    assert clean.list_orders() == [order]
    assert clean.get_cart(ADA).is_empty
    assert clean.last_order(ADA) == order


def test_a_write_abandoned_at_its_deadline_is_confirmed_by_the_re_read(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy
) -> None:
    # GIVEN the checkout's reply trickling after moto committed it
    seven_apples(clean)
    proxy.inject("TransactWriteItems", "trickle")
    started = time.monotonic()
    # WHEN the user checks out
    order = store.place_order(ADA, "req-1", make_order(ADA, "req-1"))
    # THEN the write was given up at its deadline, and the re-read (in the time kept
    # for it) found the order: success within the budget, one order
    assert time.monotonic() - started < 2 * CALL_BUDGET_S
    assert clean.list_orders() == [order]


# -- damaged records ---------------------------------------------------------------
CART_PK = f"USER#main#{ADA}"


@pytest.mark.parametrize(
    "attributes",
    [
        {"lines": {"S": "not json"}, "version": {"N": "1"}},
        {"lines": {"S": '[["APPLE", -5]]'}, "version": {"N": "1"}},
        {"lines": {"S": '{"APPLE": 7}'}, "version": {"N": "1"}},
        {"lines": {"N": "7"}, "version": {"N": "1"}},
        {"lines": {"S": "[" * 100_000}, "version": {"N": "1"}},
        {"lines": {"S": '[["APPLE", 7]]'}, "version": {"S": "one"}},
        {"lines": {"S": '[["APPLE", 7]]'}, "version": {"N": "1.5"}},
        {"lines": {"S": '[["APPLE", 7]]'}, "version": {"N": "1"}, "recent_writes": {"S": "x"}},
        {"lines": {"S": '[["APPLE", 7]]'}, "version": {"N": "1"}, "last_order": {"S": "1001"}},
    ],
    ids=[
        "bad-json",
        "negative",
        "not-a-list",
        "wrong-type",
        "deep",
        "version-type",
        "version-fraction",
        "writes-type",
        "last-order-type",
    ],
)
def test_a_damaged_cart_record_is_a_corrupt_record(
    moto: MotoDynamoDB,
    table: str,
    clean: DynamoDBStore,
    attributes: dict[str, Any],
) -> None:
    # GIVEN a cart record damaged past the store
    raw_put(moto, table, {**key(CART_PK, "CART"), **attributes})
    # WHEN it is read, changed or checked out
    uses: list[Callable[[], object]] = [
        lambda: clean.get_cart(ADA),
        lambda: clean.update_cart(ADA, add("APPLE"), request_id="req-1"),
        lambda: clean.place_order(ADA, "req-1", make_order(ADA, "req-1")),
        lambda: clean.last_order(ADA),
    ]
    # THEN CorruptRecord (a StoreError) from the parse error, never ValueError
    for use in uses:
        with pytest.raises(CorruptRecord, match="cannot read") as raised:
            use()
        assert raised.value.__cause__ is not None
    # AND the record was left as it was, for the shop to inspect
    left = moto.client(patient=True).get_item(TableName=table, Key=key(CART_PK, "CART"))
    assert {k: v for k, v in left["Item"].items() if k not in ("pk", "sk")} == attributes


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        '{"number": 1001, "user_id": "x", "lines": [["APPLE", "Apple", 2, -100]],'
        ' "currency": "USD", "created_at": "2026-11-27T10:15:00+00:00", "status": "placed"}',
        '{"number": 1001, "user_id": "x", "lines": [["APPLE", "Apple", 2, 100]],'
        ' "currency": "USD", "created_at": "2026-11-27T10:15:00+00:00", "status": "lost"}',
    ],
    ids=["bad-json", "negative-price", "unknown-status"],
)
def test_a_damaged_order_record_is_a_corrupt_record(
    moto: MotoDynamoDB, table: str, clean: DynamoDBStore, body: str
) -> None:
    # GIVEN an order whose stored body was damaged
    seven_apples(clean)
    order = clean.place_order(ADA, "req-1", make_order(ADA, "req-1"))
    moto.client(patient=True).update_item(
        TableName=table,
        Key=key("SHOP#main", f"ORDER#{order.number:010d}"),
        UpdateExpression="SET body = :body",
        ExpressionAttributeValues={":body": {"S": body}},
    )
    # WHEN it is read in any way / THEN CorruptRecord, never a negative total
    for use in (
        lambda: clean.last_order(ADA),
        lambda: clean.list_orders(),
        lambda: clean.place_order(ADA, "req-1", make_order(ADA, "req-1")),
    ):
        with pytest.raises(CorruptRecord):
            use()


@pytest.mark.parametrize(
    "item",
    [
        {**key("SHOP#main", "COUNTER"), "value": {"S": "1001"}},
        {**key(f"REQ#main#{ADA}", "CHECKOUT#req-1"), "user_id": {"S": ADA}},
        {**key(f"REQ#main#{ADA}", "CHECKOUT#req-1"), "order_number": {"N": "1001"}},
    ],
    ids=["counter", "record-without-number", "record-to-missing-order"],
)
def test_damaged_checkout_bookkeeping_is_a_corrupt_record(
    moto: MotoDynamoDB, table: str, clean: DynamoDBStore, item: dict[str, Any]
) -> None:
    # GIVEN a full cart, and a damaged counter or request record
    seven_apples(clean)
    raw_put(moto, table, item)
    # WHEN the user checks out / THEN CorruptRecord, and nothing was written
    with pytest.raises(CorruptRecord):
        clean.place_order(ADA, "req-1", make_order(ADA, "req-1"))
    assert clean.get_cart(ADA) == SEVEN_APPLES


# -- request records belong to one user ----------------------------------------
def test_another_users_request_id_never_returns_their_order(
    moto: MotoDynamoDB, table: str, clean: DynamoDBStore
) -> None:
    # GIVEN Ada's order placed by request "req-1"
    seven_apples(clean)
    adas = clean.place_order(ADA, "req-1", make_order(ADA, "req-1"))
    # WHEN Bob checks out with the same request id and an empty cart
    # THEN he does not get Ada's order (or her receipt): his cart is empty
    with pytest.raises(EmptyCart):
        clean.place_order(BOB, "req-1", make_order(BOB, "req-1"))
    # AND with a full cart he gets an order of his own
    clean.update_cart(BOB, add("BANANA", 2))
    bobs = clean.place_order(BOB, "req-1", make_order(BOB, "req-1"))
    assert bobs.user_id == BOB and bobs.number == adas.number + 1
    # AND each replay returns its own user's order
    assert clean.place_order(ADA, "req-1", make_order(ADA, "req-1")) == adas
    assert clean.place_order(BOB, "req-1", make_order(BOB, "req-1")) == bobs


def test_a_request_record_pointing_at_another_users_order_is_refused(
    moto: MotoDynamoDB, table: str, clean: DynamoDBStore
) -> None:
    # GIVEN Ada's order 1001, and a record under Bob's key that points at it
    seven_apples(clean)
    clean.place_order(ADA, "req-1", make_order(ADA, "req-1"))
    clean.update_cart(BOB, add("BANANA"))
    raw_put(
        moto,
        table,
        {**key(f"REQ#main#{BOB}", "CHECKOUT#req-9"), "order_number": {"N": "1001"}},
    )
    # WHEN Bob's request replays it / THEN CorruptRecord: Ada's order is never returned
    with pytest.raises(CorruptRecord):
        clean.place_order(BOB, "req-9", make_order(BOB, "req-9"))


def test_an_empty_request_id_writes_no_record_and_never_replays(
    moto: MotoDynamoDB, table: str, clean: DynamoDBStore
) -> None:
    # GIVEN two checkouts without a request id, the second after the cart was refilled
    seven_apples(clean)
    first = clean.place_order(ADA, "", make_order(ADA))
    # THEN a duplicate finds the cart emptied, not the earlier order
    with pytest.raises(EmptyCart):
        clean.place_order(ADA, "", make_order(ADA))
    clean.update_cart(ADA, add("APPLE"))
    second = clean.place_order(ADA, "", make_order(ADA))
    assert (first.number, second.number) == (1001, 1002)
    # AND no request record was written
    records = moto.client(patient=True).scan(
        TableName=table,
        FilterExpression="begins_with(pk, :req)",
        ExpressionAttributeValues={":req": {"S": "REQ#"}},
    )
    assert records["Items"] == []


def test_cart_request_ids_are_kept_small_and_bounded(
    moto: MotoDynamoDB, table: str, clean: DynamoDBStore
) -> None:
    # GIVEN 20 cart writes with long request ids
    for i in range(20):
        clean.update_cart(ADA, add("APPLE"), request_id=f"amzn1.echo-api.request.{i:04d}" * 30)
    # THEN the cart record keeps the last 16 as short digests (the item stays small)
    item = moto.client(patient=True).get_item(TableName=table, Key=key(CART_PK, "CART"))["Item"]
    writes = [v["S"] for v in item["recent_writes"]["L"]]
    assert len(writes) == 16
    assert all(len(w) <= 32 for w in writes)
    # AND the newest of them is still recognised
    again = clean.update_cart(ADA, add("APPLE"), request_id="amzn1.echo-api.request.0019" * 30)
    assert again == Cart.from_lines({"APPLE": 20})


# -- SnapStart -------------------------------------------------------------------------
def test_renew_connections_builds_a_new_client_that_keeps_every_check(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy
) -> None:
    # GIVEN a store that has been used
    seven_apples(clean)
    assert store.get_cart(ADA) == SEVEN_APPLES
    old = store.client
    # WHEN its connections are renewed (after a SnapStart restore)
    store.renew_connections()
    # THEN it has a new client with the same configuration, which works
    assert store.client is not old
    assert store.client.meta.config.read_timeout == old.meta.config.read_timeout
    assert store.client.meta.config.retries == old.meta.config.retries
    assert store.client.meta.endpoint_url == proxy.endpoint
    assert store.get_cart(ADA) == SEVEN_APPLES
    # AND the new client still refuses damaged replies
    proxy.inject("GetItem", "corrupt-rehashed")
    with pytest.raises(StoreError):
        store.get_cart(ADA)


def test_renew_connections_without_a_factory_uses_the_aws_environment(
    moto: MotoDynamoDB, table: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN the standard AWS environment, and a store given a client but no factory
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    given = moto.client()
    store = DynamoDBStore(given, table)
    store.update_cart(ADA, add("APPLE", 7))
    # WHEN it renews its connections
    store.renew_connections()
    # THEN the new client has the old one's region, endpoint and timeouts, and works
    assert store.client is not given
    assert store.client.meta.region_name == REGION
    assert store.client.meta.endpoint_url == moto.endpoint
    assert store.client.meta.config.connect_timeout == given.meta.config.connect_timeout
    assert store.get_cart(ADA) == SEVEN_APPLES
    store.close()
    given.close()
