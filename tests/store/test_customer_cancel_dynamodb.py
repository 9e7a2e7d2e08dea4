"""A customer's cancel in DynamoDB: the conditional write, and lost or damaged replies.

The store cancels with one UpdateItem conditional on ``status = placed AND user_id =
:user`` (skill/store/dynamodb.py, "Status changes"). These tests put the shop's
"ready" exactly between the cancel's read and its write (a botocore
``before-parameter-build`` hook on the customer's client runs the shop's change
first), and the other way round, so the condition itself decides, not timing. Then the reply faults
of tests/store/_proxies.py, for real on the wire: a cancel whose reply is lost is
confirmed by its ``status_token``, also when botocore sent it again and the second
attempt failed its condition; one that can't be confirmed says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from _orders import make_order
from _proxies import Fault, FaultProxy
from _servers import CREDENTIALS, REGION, MotoDynamoDB

from skill.deadline import request_deadline
from skill.domain.orders import Order, OrderStatus
from skill.errors import (
    CorruptRecord,
    InvalidStatusChange,
    OrderNotCancellable,
    OrderNotFound,
    StoreError,
)
from skill.store.dynamodb import CONFIRM_RESERVE_S, DynamoDBClient, DynamoDBStore, new_client

ADA = "amzn1.ask.account.ADA-CANCEL-TEST"
BOB = "amzn1.ask.account.BOB-CANCEL-TEST"
NOW = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)

#: The shared moto server, table and fault-proxy fixtures (tests/store/_fixtures.py).
pytest_plugins = ["_fixtures"]


# -- fixtures ------------------------------------------------------------------


@pytest.fixture
def store(proxy: FaultProxy, table: str) -> Iterator[DynamoDBStore]:
    """The skill's store, behind the fault proxy, with the production budget."""
    client: DynamoDBClient = new_client(
        endpoint_url=proxy.endpoint, region_name=REGION, **CREDENTIALS
    )
    opened = DynamoDBStore(client, table)
    yield opened
    opened.close()
    client.close()


@pytest.fixture
def clean(moto: MotoDynamoDB, table: str) -> Iterator[DynamoDBStore]:
    """A store on moto directly (the shop's, say): what the table really holds."""
    opened = DynamoDBStore(moto.client(), table)
    yield opened
    opened.close()


def place(store: DynamoDBStore, user_id: str = ADA) -> Order:
    store.update_cart(user_id, lambda cart: cart.add("APPLE", 2))
    return store.place_order(user_id, "", make_order(user_id))


def just_before_update(store: DynamoDBStore, action: Callable[[], object]) -> list[dict[str, Any]]:
    """Run ``action`` once, right before ``store``'s first UpdateItem is sent (after
    its read). Returns the parameters of every UpdateItem the store sends."""
    sent: list[dict[str, Any]] = []

    def hook(params: dict[str, Any], **_: Any) -> None:
        if not sent:
            action()
        sent.append(params)

    store.client.meta.events.register("before-parameter-build.dynamodb.UpdateItem", hook)
    return sent


# -- the condition ---------------------------------------------------------------
def test_the_shops_ready_landing_between_read_and_write_refuses_the_cancel(
    store: DynamoDBStore, clean: DynamoDBStore
) -> None:
    # GIVEN Ada's placed order, and the shop marking it ready just after the
    # customer's cancel has read it as placed
    order = place(clean)
    sent = just_before_update(
        store, lambda: clean.set_order_status(order.number, OrderStatus.READY)
    )
    # WHEN she cancels it
    with pytest.raises(OrderNotCancellable) as raised:
        store.cancel_order(ADA, order.number)
    # THEN the conditional write was refused, the store read the order again and
    # found it ready: too late, and it stays ready
    assert raised.value.status is OrderStatus.READY
    assert len(sent) == 1
    assert sent[0]["ConditionExpression"] == "#status = :old AND #user = :user"
    assert sent[0]["ExpressionAttributeValues"][":user"] == {"S": ADA}
    assert clean.last_order(ADA) == order.with_status(OrderStatus.READY)


def test_a_cancel_landing_between_the_shops_read_and_write_refuses_the_ready(
    store: DynamoDBStore, clean: DynamoDBStore
) -> None:
    # GIVEN Ada's placed order, and her cancel landing just after the shop's "ready"
    # has read it as placed
    order = place(clean)
    just_before_update(clean, lambda: store.cancel_order(ADA, order.number))
    # WHEN the shop marks it ready / THEN refused: it was cancelled, and stays so
    with pytest.raises(InvalidStatusChange, match="was cancelled, so it cannot become ready"):
        clean.set_order_status(order.number, OrderStatus.READY)
    assert clean.last_order(ADA) == order.with_status(OrderStatus.CANCELLED)


def test_another_customers_order_is_refused_before_any_write(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy
) -> None:
    # GIVEN Bob's placed order / WHEN Ada cancels its number
    bobs = place(clean, BOB)
    with pytest.raises(OrderNotFound):
        store.cancel_order(ADA, bobs.number)
    # THEN nothing was sent but the read, and Bob's order is untouched
    assert proxy.count("UpdateItem") == 0
    assert clean.last_order(BOB) == bobs


def test_an_order_whose_user_attribute_disagrees_with_its_body_is_refused(
    store: DynamoDBStore, clean: DynamoDBStore, moto: MotoDynamoDB, table: str, proxy: FaultProxy
) -> None:
    # GIVEN Ada's order whose user_id attribute was changed past the store (its body,
    # which the store reads, still names Ada)
    order = place(clean)
    moto.client(patient=True).update_item(
        TableName=table,
        Key={"pk": {"S": "SHOP#main"}, "sk": {"S": f"ORDER#{order.number:010d}"}},
        UpdateExpression="SET user_id = :bob",
        ExpressionAttributeValues={":bob": {"S": BOB}},
    )
    # WHEN she cancels it / THEN CorruptRecord at once (the condition could never
    # hold, so retrying would only burn the budget), and nothing is written
    with pytest.raises(CorruptRecord):
        store.cancel_order(ADA, order.number)
    assert proxy.count("UpdateItem") == 0
    assert clean.last_order(ADA) == order


# -- lost and damaged replies --------------------------------------------------
@pytest.mark.parametrize("fault", ["drop", "truncate", "corrupt"])
def test_a_cancel_whose_replies_were_lost_is_confirmed_as_done(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy, fault: Fault
) -> None:
    # GIVEN Ada's placed order, and every UpdateItem reply lost or damaged after
    # moto applied it (botocore sends it again; that attempt fails its condition)
    order = place(clean)
    proxy.inject("UpdateItem", fault)
    # WHEN she cancels it
    cancelled = store.cancel_order(ADA, order.number)
    # THEN the store found its own status_token: success, not "already cancelled"
    assert cancelled == order.with_status(OrderStatus.CANCELLED)
    assert proxy.count("UpdateItem") == 2
    assert clean.last_order(ADA) == cancelled


def test_the_shops_change_whose_reply_was_lost_is_confirmed_too(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy
) -> None:
    # GIVEN a placed order, and the shop's UpdateItem replies dropped after moto
    # applied them (the same machinery moves the shop's orders)
    order = place(clean)
    proxy.inject("UpdateItem", "drop")
    # WHEN the shop marks it ready / THEN done (before the status_token, botocore's
    # second attempt failed its condition and the re-read said "already ready")
    assert store.set_order_status(order.number, OrderStatus.READY).status is OrderStatus.READY
    assert proxy.count("UpdateItem") == 2
    assert clean.last_order(ADA) == order.with_status(OrderStatus.READY)


def test_an_unconfirmable_cancel_says_it_may_have_been_applied(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy
) -> None:
    # GIVEN the cancel's replies dropped after moto applied it, and every GetItem
    # reply after the first damaged (so the re-read cannot confirm it)
    order = place(clean)
    proxy.inject("UpdateItem", "drop")
    proxy.inject("GetItem", "pass", times=1)
    proxy.inject("GetItem", "corrupt")
    # WHEN she cancels it / THEN StoreError that says it may have been applied
    with pytest.raises(StoreError, match="may have been applied"):
        store.cancel_order(ADA, order.number)
    # AND the data is consistent: cancelled once, and another try says so
    proxy.clear()
    assert clean.last_order(ADA) == order.with_status(OrderStatus.CANCELLED)
    with pytest.raises(OrderNotCancellable) as again:
        store.cancel_order(ADA, order.number)
    assert again.value.status is OrderStatus.CANCELLED


def test_a_cancel_is_not_sent_without_time_to_confirm_it(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy
) -> None:
    # GIVEN a request with less time left than a write keeps for its re-read
    order = place(clean)
    # WHEN she cancels / THEN StoreError before the write is sent, and nothing changed
    with request_deadline(CONFIRM_RESERVE_S / 2), pytest.raises(StoreError, match="time budget"):
        store.cancel_order(ADA, order.number)
    assert proxy.count("UpdateItem") == 0
    assert clean.last_order(ADA) == order


def test_a_damaged_read_reply_is_a_store_error_and_nothing_is_written(
    store: DynamoDBStore, clean: DynamoDBStore, proxy: FaultProxy
) -> None:
    # GIVEN the order's GetItem reply damaged (as if the order were not there)
    order = place(clean)
    proxy.inject("GetItem", "empty")
    # WHEN she cancels / THEN StoreError (never "no such order"), and nothing written
    with pytest.raises(StoreError) as raised:
        store.cancel_order(ADA, order.number)
    assert not isinstance(raised.value, OrderNotFound)
    assert proxy.count("UpdateItem") == 0
    assert clean.last_order(ADA) == order
