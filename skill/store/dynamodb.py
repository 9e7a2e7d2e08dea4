"""The DynamoDB store: for Lambda, and for any number of machines sharing one shop.

boto3 is imported only inside this module's functions, so ``import skill.store``
(and even ``import skill.store.dynamodb``) works without it. The boto3 client is
injected (:class:`DynamoDBStore` takes it); :meth:`DynamoDBStore.from_environment`
and :func:`new_client` build one from the standard AWS environment (region,
credentials, and ``AWS_ENDPOINT_URL_DYNAMODB``, which botocore honours itself).

Table design
============
One table, string keys ``pk`` (partition) and ``sk`` (sort), no secondary index,
TTL on ``expires_at``. ``<shop>`` is the shop id, ``<n>`` an order number padded
to ten digits so that the sort key orders like the number::

    pk                          sk                 attributes
    USER#<shop>#<user>          CART               lines (JSON string), version (N),
                                                   last_order (N), recent_writes (L), updated_at
    SHOP#<shop>                 COUNTER            value (N): the last order number issued
    SHOP#<shop>                 ORDER#<n>          number, user_id, status, created_at,
                                                   body (Order.to_data() as JSON)
    REQ#<shop>#<request id>     CHECKOUT           order_number (N), expires_at (N, TTL: 24 h)

* **Carts** use optimistic concurrency: read (consistent), apply the pure change,
  write with ``version = :read`` (``attribute_not_exists`` for a new cart), retry
  on conflict with jittered backoff. Each write also appends a random token to
  ``recent_writes`` (the last 16 are kept): if a write commits but its response is
  lost and botocore's retry then fails the condition, the next read finds the
  token and the change is not applied twice.
* **The last order of a user** is a pointer, ``last_order`` on the user's cart item,
  set by the checkout transaction. A GetItem on it is strongly consistent ("where
  is my order?" right after checkout finds it), which a GSI would not be.
* **Checkout** is one ``TransactWriteItems``: put the order (``attribute_not_exists``),
  empty the cart and set ``last_order`` (``version = :read``), bump the counter
  (``value = :read``, or ``attribute_not_exists`` for order :data:`FIRST_ORDER_NUMBER`)
  and put the request record (``attribute_not_exists``). All or nothing. Before it,
  one ``TransactGetItems`` reads the request record, the cart and the counter; a
  request record found there returns its order (the idempotent replay). When the
  transaction is cancelled by a condition or a conflict, the loop reads again: then
  the request record (same request id, another thread won) returns that order, an
  emptied cart raises :class:`EmptyCart`, and a moved counter just retries.
* **Within one process**, threads changing the same cart take turns on a lock
  (striped by user), and checkouts take turns on another (they all move the one
  counter). That keeps a busy web server from racing itself; conditional writes
  still settle every race with other processes (other Lambda containers).
* **Orders** of a shop share one partition, listed newest first by a Query on
  ``sk`` descending. A corner shop stays far below a partition's 1,000 writes/s.
* **Request records** are scoped by shop and expire after 24 hours (DynamoDB TTL
  deletes them lazily; until then a replay still returns the first order).

Time budget
===========
An Alexa request should be answered within 3 s; a request makes about two store
calls when all is well, and stops at the first call that raises StoreError. So one
failing call must fail within about 2 s. botocore's *standard* retry mode with
``total_max_attempts = 2`` (one retry), ``connect_timeout = 0.3`` s and
``read_timeout = 0.7`` s gives, per call, at worst:

* endpoint refusing connections: 2 fast attempts + a 0-25 ms backoff: well under 0.1 s;
* network black hole: 2 x 0.3 s connect timeouts + backoff: about 0.65 s;
* server hanging after connect: 2 x (0.3 + 0.7) s = 2.0 s (typically 2 x 0.7 s);
* throttling: 2 quick attempts + a backoff of rand(0, 1) s: at most about 1.05 s.

A third attempt would add 1 s (timeouts) or up to 2 s (the throttling backoff
doubles), which no longer fits. *Adaptive* mode is not used: its client-side rate
limiter adds sleeps of its own, which suits batch jobs, not a 3 s answer.

On top of that, conflicts (two processes racing on one cart or on the counter) are
retried here with jittered backoff (10 ms doubling, at most 100 ms), at most 20
attempts and never starting one after 2 s; so are cancelled transactions whose
reasons are throttling, which botocore does not retry. Other throttling, timeouts
and errors are not retried here (botocore already did). Every botocore failure
becomes :class:`~skill.errors.StoreError` (``raise ... from exc``), with a message
naming the table and the error code only, never keys or user ids. A failed write
leaves nothing half done: each write is one item or one transaction.
"""

from __future__ import annotations

import functools
import json
import random
import re
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from skill.domain.cart import Cart
from skill.domain.orders import FIRST_ORDER_NUMBER, Order, OrderStatus
from skill.errors import ConfigError, EmptyCart, OrderNotFound, StoreError
from skill.store.base import CartChange, OrderFactory

__all__ = ["DynamoDBClient", "DynamoDBStore", "create_table", "new_client"]

# A botocore DynamoDB client. Typed loosely: the project does not depend on
# the mypy-boto3 stubs, and boto3 builds client classes at run time.
DynamoDBClient = Any
Item = dict[str, Any]

CONNECT_TIMEOUT_S = 0.3
READ_TIMEOUT_S = 0.7
TOTAL_MAX_ATTEMPTS = 2
CONFLICT_ATTEMPTS = 20
CONFLICT_BUDGET_S = 2.0
_BACKOFF_BASE_S = 0.01
_BACKOFF_CAP_S = 0.1
_LOCK_STRIPES = 64
REQUEST_TTL_S = 24 * 60 * 60
_RECENT_WRITES = 16

_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
# Reasons in a cancelled transaction that another attempt can get past.
_RETRYABLE_REASONS = frozenset(
    {
        "None",
        "ConditionalCheckFailed",
        "TransactionConflict",
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
        "RequestLimitExceeded",
    }
)
_CONFLICT_CODES = frozenset({"ConditionalCheckFailedException", "TransactionConflictException"})
_THROTTLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionInProgressException",
    }
)


class _Conflict(Exception):
    """A conditional write lost a race; read again and retry. Never leaves this module."""


# -- building clients and tables ---------------------------------------------------
def new_client(**client_kwargs: Any) -> DynamoDBClient:
    """A low-level DynamoDB client with the time budget above.

    Region, credentials and endpoint come from the standard AWS environment unless
    ``client_kwargs`` (passed to ``Session.client``) say otherwise.
    """
    try:
        import boto3.session
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError
    except ImportError as exc:
        raise ConfigError(
            "CORNERSHOP_STORE=dynamodb:// needs boto3, which is not installed. "
            "Install it with `pip install 'cornershop[dynamodb]'`."
        ) from exc
    config = Config(
        retries={"mode": "standard", "total_max_attempts": TOTAL_MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
    )
    try:
        return boto3.session.Session().client("dynamodb", config=config, **client_kwargs)
    except BotoCoreError as exc:
        raise ConfigError(
            f"Corner Shop could not set up a DynamoDB client ({type(exc).__name__}). "
            "Set AWS_DEFAULT_REGION (Lambda sets it) and AWS credentials, for example "
            "through an IAM role, AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY."
        ) from exc


def create_table(client: DynamoDBClient, table: str) -> None:
    """Create the store's table (on-demand billing) and turn on TTL for ``expires_at``.

    Waits until the table is active. Safe to run again on a table it created.
    Never called on import or on open: run it once, from a deploy step or a test.
    """
    _check_table_name(table)
    with _mapped_errors(table, "create the table"):
        from botocore.exceptions import ClientError

        try:
            client.create_table(
                TableName=table,
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        except ClientError as exc:
            if _code(exc) != "ResourceInUseException":
                raise
        client.get_waiter("table_exists").wait(
            TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        ttl = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            client.update_time_to_live(
                TableName=table,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
            )


# -- the store ---------------------------------------------------------------------
class DynamoDBStore:
    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        *,
        shop_id: str = "main",
        conflict_attempts: int = CONFLICT_ATTEMPTS,
        conflict_budget_s: float = CONFLICT_BUDGET_S,
    ) -> None:
        _check_table_name(table)
        if not shop_id or "#" in shop_id:
            raise ConfigError(
                f"The shop id {shop_id!r} cannot be used with DynamoDB: it must be "
                "non-empty and must not contain '#'. Choose a name such as 'main'."
            )
        self.client = client
        self.table = table
        self.shop_id = shop_id
        self._conflict_attempts = max(1, conflict_attempts)
        self._conflict_budget_s = conflict_budget_s
        self._owns_client = False
        # Threads of this process that change one cart take turns, and so do its
        # checkouts (they all move the one counter); conditional writes settle
        # races with other processes. Without this, 8 threads hammering one item
        # spend most of their attempts losing to each other.
        self._stripes = [threading.RLock() for _ in range(_LOCK_STRIPES)]
        self._checkout_lock = threading.RLock()

    @classmethod
    def from_environment(cls, table: str, *, shop_id: str = "main") -> DynamoDBStore:
        """Open ``table`` with a client built from the standard AWS environment."""
        _check_table_name(table)
        store = cls(new_client(), table, shop_id=shop_id)
        store._owns_client = True
        return store

    # -- keys --------------------------------------------------------------------
    def _cart_key(self, user_id: str) -> Item:
        return _key(f"USER#{self.shop_id}#{user_id}", "CART")

    def _counter_key(self) -> Item:
        return _key(f"SHOP#{self.shop_id}", "COUNTER")

    def _order_key(self, number: int) -> Item:
        return _key(f"SHOP#{self.shop_id}", f"ORDER#{number:010d}")

    def _request_key(self, request_id: str) -> Item:
        return _key(f"REQ#{self.shop_id}#{request_id}", "CHECKOUT")

    # -- carts -------------------------------------------------------------------
    def get_cart(self, user_id: str) -> Cart:
        return self._cart_of(self._get(self._cart_key(user_id), "read a cart"))

    def _user_lock(self, user_id: str) -> threading.RLock:
        return self._stripes[hash(user_id) % _LOCK_STRIPES]

    def update_cart(self, user_id: str, change: CartChange) -> Cart:
        with self._user_lock(user_id):
            return self._update_cart(user_id, change)

    def _update_cart(self, user_id: str, change: CartChange) -> Cart:
        key = self._cart_key(user_id)
        tokens: set[str] = set()
        for _ in self._attempts("change a cart"):
            item = self._get(key, "read a cart")
            recent = _recent_writes(item)
            if tokens & set(recent):
                # An earlier attempt committed, but its answer was lost.
                return self._cart_of(item)
            cart = self._cart_of(item)
            new = change(cart)  # domain errors propagate; nothing is written
            if new == cart:
                return cart
            token = secrets.token_hex(6)
            tokens.add(token)
            version = _number(item, "version")
            values: Item = {
                ":lines": {"S": _lines_json(new)},
                ":next": {"N": str((version or 0) + 1)},
                ":now": {"S": _now().isoformat()},
                ":writes": {"L": [{"S": t} for t in [*recent, token][-_RECENT_WRITES:]]},
            }
            if version is None:
                condition = "attribute_not_exists(pk)"
            else:
                condition = "#version = :read"
                values[":read"] = {"N": str(version)}
            try:
                self._call(
                    "update_item",
                    "change a cart",
                    TableName=self.table,
                    Key=key,
                    UpdateExpression=(
                        "SET #lines = :lines, #version = :next, #updated = :now, #writes = :writes"
                    ),
                    ConditionExpression=condition,
                    ExpressionAttributeNames={
                        "#lines": "lines",
                        "#version": "version",
                        "#updated": "updated_at",
                        "#writes": "recent_writes",
                    },
                    ExpressionAttributeValues=values,
                )
            except _Conflict:
                continue
            return new
        raise AssertionError("unreachable: _attempts raises when it runs out")

    # -- orders ------------------------------------------------------------------
    def place_order(self, user_id: str, request_id: str, make_order: OrderFactory) -> Order:
        with self._checkout_lock:
            return self._place_order(user_id, request_id, make_order)

    def _place_order(self, user_id: str, request_id: str, make_order: OrderFactory) -> Order:
        request_key = self._request_key(request_id)
        cart_key = self._cart_key(user_id)
        counter_key = self._counter_key()
        for _ in self._attempts("check out"):
            try:
                done, cart_item, counter = self._transact_get(
                    [request_key, cart_key, counter_key], "check out"
                )
            except _Conflict:
                continue
            if done is not None:
                number = _number(done, "order_number")
                if number is None:
                    raise StoreError(self._damaged("a checkout record"))
                return self._order(number, "check out")
            cart = self._cart_of(cart_item)
            if cart.is_empty:
                raise EmptyCart("The cart is empty, so there is nothing to check out.")
            version = _number(cart_item, "version")
            last = _number(counter, "value")
            order = make_order(cart, FIRST_ORDER_NUMBER if last is None else last + 1)
            try:
                self._call(
                    "transact_write_items",
                    "check out",
                    TransactItems=self._checkout_items(
                        order, user_id, request_key, cart_key, counter_key, version, last
                    ),
                )
            except _Conflict:
                continue
            return order
        raise AssertionError("unreachable: _attempts raises when it runs out")

    def _checkout_items(
        self,
        order: Order,
        user_id: str,
        request_key: Item,
        cart_key: Item,
        counter_key: Item,
        version: int | None,
        last: int | None,
    ) -> list[Item]:
        now = _now()
        if last is None:
            counter_condition = "attribute_not_exists(pk)"
            counter_values: Item = {":number": {"N": str(order.number)}}
        else:
            counter_condition = "#value = :last"
            counter_values = {":number": {"N": str(order.number)}, ":last": {"N": str(last)}}
        return [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        **self._order_key(order.number),
                        **_order_attributes(order),
                        "user_id": {"S": user_id},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": self.table,
                    "Key": cart_key,
                    "UpdateExpression": (
                        "SET #lines = :empty, #version = :next, #last = :number, #updated = :now"
                    ),
                    "ConditionExpression": "#version = :read",
                    "ExpressionAttributeNames": {
                        "#lines": "lines",
                        "#version": "version",
                        "#last": "last_order",
                        "#updated": "updated_at",
                    },
                    "ExpressionAttributeValues": {
                        ":empty": {"S": "[]"},
                        ":next": {"N": str((version or 0) + 1)},
                        ":read": {"N": str(version or 0)},
                        ":number": {"N": str(order.number)},
                        ":now": {"S": now.isoformat()},
                    },
                }
            },
            {
                "Update": {
                    "TableName": self.table,
                    "Key": counter_key,
                    "UpdateExpression": "SET #value = :number",
                    "ConditionExpression": counter_condition,
                    "ExpressionAttributeNames": {"#value": "value"},
                    "ExpressionAttributeValues": counter_values,
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        **request_key,
                        "order_number": {"N": str(order.number)},
                        "created_at": {"S": now.isoformat()},
                        "expires_at": {"N": str(int(now.timestamp()) + REQUEST_TTL_S)},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]

    def last_order(self, user_id: str) -> Order | None:
        item = self._get(self._cart_key(user_id), "find the last order")
        number = _number(item, "last_order")
        return None if number is None else self._order(number, "find the last order")

    def list_orders(self, limit: int = 20) -> list[Order]:
        if limit <= 0:
            return []
        params: Item = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": f"SHOP#{self.shop_id}"},
                ":prefix": {"S": "ORDER#"},
            },
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        orders: list[Order] = []
        while len(orders) < limit:
            page = self._call("query", "list orders", Limit=limit - len(orders), **params)
            orders.extend(self._order_of(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return orders[:limit]

    def set_order_status(self, number: int, status: OrderStatus) -> Order:
        key = self._order_key(number)
        for _ in self._attempts("change an order"):
            item = self._get(key, "read an order")
            if item is None:
                raise OrderNotFound(number)
            order = self._order_of(item)
            new = order.with_status(status)  # InvalidStatusChange propagates
            if new == order:
                return order
            try:
                self._call(
                    "update_item",
                    "change an order",
                    TableName=self.table,
                    Key=key,
                    UpdateExpression="SET #status = :new, #body = :body",
                    ConditionExpression="#status = :old",
                    ExpressionAttributeNames={"#status": "status", "#body": "body"},
                    ExpressionAttributeValues={
                        ":new": {"S": new.status.value},
                        ":old": {"S": order.status.value},
                        ":body": {"S": json.dumps(new.to_data(), separators=(",", ":"))},
                    },
                )
            except _Conflict:
                continue
            return new
        raise AssertionError("unreachable: _attempts raises when it runs out")

    def _cart_of(self, item: Mapping[str, Any] | None) -> Cart:
        try:
            return _cart_of(item)
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(self._damaged("a cart")) from exc

    def _order(self, number: int, what: str) -> Order:
        item = self._get(self._order_key(number), what)
        if item is None:
            raise StoreError(self._damaged(f"order {number}"))
        return self._order_of(item)

    def _order_of(self, item: Item) -> Order:
        try:
            return Order.from_data(json.loads(item["body"]["S"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(self._damaged("an order")) from exc

    # -- health ------------------------------------------------------------------
    def ping(self) -> None:
        self._call(
            "get_item",
            "reach the table",
            TableName=self.table,
            Key=self._counter_key(),
            ProjectionExpression="pk",
        )

    def close(self) -> None:
        if self._owns_client:
            close = getattr(self.client, "close", None)
            if close is not None:
                close()

    # -- plumbing ----------------------------------------------------------------
    def _attempts(self, what: str) -> Iterator[int]:
        """Yield attempt numbers, sleeping a jittered, growing backoff between them."""
        deadline = time.monotonic() + self._conflict_budget_s
        for attempt in range(self._conflict_attempts):
            if attempt:
                ceiling = min(_BACKOFF_CAP_S, _BACKOFF_BASE_S * 2**attempt)
                delay = random.uniform(0, ceiling)
                if time.monotonic() + delay > deadline:
                    break
                time.sleep(delay)
            yield attempt
        raise StoreError(
            f"Corner Shop could not {what} in DynamoDB table {self.table!r} because other "
            "requests kept changing the same data at the same moment. Try again."
        )

    def _get(self, key: Item, what: str) -> Item | None:
        response = self._call("get_item", what, TableName=self.table, Key=key, ConsistentRead=True)
        item: Item | None = response.get("Item")
        return item

    def _transact_get(self, keys: list[Item], what: str) -> list[Item | None]:
        response = self._call(
            "transact_get_items",
            what,
            TransactItems=[{"Get": {"TableName": self.table, "Key": key}} for key in keys],
        )
        return [r.get("Item") for r in response.get("Responses", [])]

    def _call(self, operation: str, what: str, **params: Any) -> Item:
        """Call the client; raise _Conflict for lost races and StoreError for the rest."""
        with _mapped_errors(self.table, what):
            from botocore.exceptions import ClientError

            try:
                response: Item = getattr(self.client, operation)(**params)
            except ClientError as exc:
                code = _code(exc)
                if code in _CONFLICT_CODES:
                    raise _Conflict(code) from exc
                if code == "TransactionCanceledException":
                    reasons = {
                        str(r.get("Code", "None"))
                        for r in exc.response.get("CancellationReasons", [])
                    }
                    if reasons and reasons <= _RETRYABLE_REASONS:
                        raise _Conflict(code) from exc
                raise
            return response

    def _damaged(self, what: str) -> str:
        return (
            f"DynamoDB table {self.table!r} holds {what} that Corner Shop cannot read. "
            "Check that nothing but Corner Shop writes to this table."
        )


# -- helpers -----------------------------------------------------------------------
@functools.cache
def _botocore_errors() -> tuple[type[Exception], type[Exception]]:
    from botocore.exceptions import BotoCoreError, ClientError

    return ClientError, BotoCoreError


@contextmanager
def _mapped_errors(table: str, what: str) -> Iterator[None]:
    """Turn every botocore exception raised inside into a StoreError."""
    client_error, botocore_error = _botocore_errors()
    try:
        yield
    except client_error as exc:
        raise StoreError(_client_error_message(_code(exc), table, what)) from exc
    except botocore_error as exc:
        raise StoreError(_botocore_error_message(exc, table, what)) from exc


def _client_error_message(code: str, table: str, what: str) -> str:
    head = f"Corner Shop could not {what} in DynamoDB table {table!r} ({code})."
    if code == "ResourceNotFoundException":
        return (
            f"{head} The table does not exist in this account and region. Create it "
            "(skill.store.dynamodb.create_table shows the keys) or fix CORNERSHOP_STORE."
        )
    if code in _THROTTLE_CODES:
        return (
            f"{head} DynamoDB is throttling the table and the retries ran out. Try again shortly."
        )
    if code in ("AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException"):
        return (
            f"{head} The AWS credentials were refused. Check the role or keys, and that "
            "they allow GetItem, UpdateItem, Query and the transactional calls on the table."
        )
    if code == "TransactionCanceledException":
        return f"{head} DynamoDB cancelled the transaction; nothing was written. Try again."
    return f"{head} Try again; if it keeps failing, check the table in the AWS console."


def _botocore_error_message(exc: BaseException, table: str, what: str) -> str:
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import NoCredentialsError, NoRegionError, ReadTimeoutError

    name = type(exc).__name__
    head = f"Corner Shop could not {what} in DynamoDB table {table!r} ({name})."
    if isinstance(exc, NoCredentialsError):
        return f"{head} No AWS credentials were found: give the function a role or set AWS_PROFILE."
    if isinstance(exc, NoRegionError):
        return f"{head} No AWS region is set: set AWS_DEFAULT_REGION."
    if isinstance(exc, ReadTimeoutError):
        return f"{head} DynamoDB did not answer in time. Try again."
    if isinstance(exc, BotoConnectionError):
        return (
            f"{head} The DynamoDB endpoint could not be reached. Check the network, "
            "AWS_DEFAULT_REGION and AWS_ENDPOINT_URL_DYNAMODB."
        )
    return f"{head} Try again; if it keeps failing, check the AWS configuration."


def _code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", "Unknown"))


def _check_table_name(table: str) -> None:
    if not _TABLE_NAME.fullmatch(table):
        raise ConfigError(
            f"{table!r} is not a DynamoDB table name. Use 3 to 255 letters, digits, "
            "'_', '-' or '.', for example dynamodb://cornershop."
        )


def _key(pk: str, sk: str) -> Item:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _number(item: Mapping[str, Any] | None, name: str) -> int | None:
    if item is None or name not in item:
        return None
    return int(item[name]["N"])


def _cart_of(item: Mapping[str, Any] | None) -> Cart:
    if item is None or "lines" not in item:
        return Cart()
    return Cart.from_data(json.loads(item["lines"]["S"]))


def _recent_writes(item: Mapping[str, Any] | None) -> list[str]:
    if item is None or "recent_writes" not in item:
        return []
    return [str(v["S"]) for v in item["recent_writes"]["L"]]


def _lines_json(cart: Cart) -> str:
    return json.dumps(cart.to_data(), separators=(",", ":"))


def _order_attributes(order: Order) -> Item:
    return {
        "number": {"N": str(order.number)},
        "status": {"S": order.status.value},
        "created_at": {"S": order.created_at.isoformat()},
        "body": {"S": json.dumps(order.to_data(), separators=(",", ":"))},
    }


def _now() -> datetime:
    return datetime.now(UTC)
