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
    SHOP#<shop>                 CATALOG            body (the catalog document as JSON, without
                                                   its version), version (N), updated_at,
                                                   write_token (the writing attempt's)
    SHOP#<shop>                 ORDER#<n>          number, user_id, status, created_at,
                                                   body (Order.to_data() as JSON, without
                                                   its notification),
                                                   write_token (the checkout attempt's),
                                                   status_token (the last status change's),
                                                   notification (OrderNotification.to_data()
                                                   as JSON: the "ready" notification's state)
    REQ#<shop>#<user>           CHECKOUT#<req id>  order_number (N), user_id, created_at,
                                                   expires_at (N, TTL: 24 h)
    SHOP#<shop>                 STAFF#<name>       body (StaffMember.to_data() as JSON: the
                                                   dashboard account, its scrypt hash)
    SHOP#<shop>                 SECRET#session     value (64 hex digits: the dashboard's
                                                   cookie-signing key), created_at
    SHOP#<shop>                 REVOKED#<digest>   until (N), expires_at (N, TTL: when the
                                                   logged-out session would have expired)

* **Carts** use optimistic concurrency: read (consistent), apply the pure change,
  write with ``version = :read`` (``attribute_not_exists`` for a new cart), retry
  on conflict with jittered backoff. Each write also puts a write token in
  ``recent_writes``, in the same conditional write (the last
  :data:`~skill.store.base.RECENT_REQUEST_IDS` are kept): a digest of the Alexa
  request id when there is one, else a random token. A write whose token is
  already there has been applied and is not applied again (see Guarantees).
* **The last order of a user** is a pointer, ``last_order`` on the user's cart item,
  set by the checkout transaction. A GetItem on it is strongly consistent ("where
  is my order?" right after checkout finds it), which a GSI would not be.
* **The catalog** is one item, changed like a cart: read (consistent), apply the
  pure change, put with ``version = :read`` (``attribute_not_exists`` for the first),
  retry on conflict; the put carries a random ``write_token``, which the re-read
  after a lost reply looks for. A document is at most :data:`MAX_CATALOG_BYTES` of
  JSON (an item holds 400 KB).
* **Checkout** is one ``TransactWriteItems``: put the order (``attribute_not_exists``),
  empty the cart and set ``last_order`` (``version = :read``), bump the counter
  (``value = :read``, or ``attribute_not_exists`` for order :data:`FIRST_ORDER_NUMBER`),
  check that the catalog is still the one the order was built from (a
  ``ConditionCheck``: ``version = :read``, or ``attribute_not_exists``) and, when
  there is a request id, put the request record (``attribute_not_exists``).
  All or nothing. Before it, one ``TransactGetItems`` reads the cart, the counter,
  the catalog and the request record; a request record found there returns its
  order (the idempotent replay). The order factory gets that catalog, so a price
  or stock change that commits meanwhile cancels the transaction and the order is
  built again from the new catalog. When the transaction is cancelled by a condition or a
  conflict, the loop reads again: then the request record (same request id,
  another thread won) returns that order, an order carrying this call's own
  random ``write_token`` (botocore's retry of a transaction that had committed)
  is returned as placed, an emptied cart raises :class:`EmptyCart`, and a moved
  counter just retries.
* **Request records belong to one user.** The key holds shop, user and request
  id, so a request id reused by another user (or forged) finds nothing of
  anyone else's; on replay the order's ``user_id`` must also be the caller's (else
  :class:`~skill.errors.CorruptRecord`). An empty request id writes no record and
  never returns an earlier order: a duplicate finds the cart already emptied.
* **Within one process**, threads changing the same cart take turns on a lock
  (striped by user), and checkouts take turns on another (they all move the one
  counter). That keeps a busy web server from racing itself; conditional writes
  still settle every race with other processes (other Lambda containers).
* **Orders** of a shop share one partition, listed newest first by a Query on
  ``sk`` descending. A corner shop stays far below a partition's 1,000 writes/s.
* **Status changes** (the shop's, and a customer's cancel) are one UpdateItem
  conditional on the status read (``status = :old``; a customer's cancel:
  ``status = placed AND user_id = :user``), retried on conflict by reading again and
  deciding again, so a cancel racing the shop's "ready" ends in exactly one of the
  two. The update puts a random ``status_token``, by which a re-read recognises a
  change of its own that committed although its reply was lost, or that botocore
  sent again (the retry then fails its condition).
* **Request records** expire after 24 hours (DynamoDB TTL deletes them lazily;
  until then a replay still returns the first order).
* **An order's notification state** is an attribute of its own, ``notification``, set
  by one UpdateItem (``attribute_exists(pk)``) that touches nothing else: a status
  change (which rewrites ``body``) and the notifier's write never undo each other.
  Reading an order lays it over the body. The table's stream carries the change
  like any other order change (MODIFY), so the WebSocket push forwards it.
* **Logged-out dashboard sessions** are items keyed by a digest of the session id
  (:func:`skill.dashboard.staff.session_digest`), with a TTL; until DynamoDB deletes
  one, reads compare its ``until`` with the clock.

Every stored value is parsed defensively: a missing or mistyped attribute, JSON
that does not parse, or data that breaks a domain rule (``Cart.from_data`` and
``Order.from_data`` check them) raises :class:`~skill.errors.CorruptRecord`, never
``KeyError``/``ValueError``, and the record is left as it is.

Replies
=======
Only a complete, successful answer is acted on; everything else is a
:class:`~skill.errors.StoreError`, never a wrong answer. What botocore 1.44 does
with damaged replies, found with the fault proxy in tests/store/_proxies.py:

* It reads bodies with ``enforce_content_length=False``, so a body cut short is
  not an error in urllib3. DynamoDB's ``x-amz-crc32`` then fails botocore's check,
  botocore retries, and after the last attempt it *returns* the damaged reply
  parsed as best it could: the JSON parser turns text it cannot parse into
  ``{}``, so a GetItem of a cart holding 7 apples came back as "no item".
* ``MaxAttemptsReached`` is no sign of damage: botocore sets it on *every* reply
  of the last attempt, good ones included (one throttle, then success).
* A body that is not UTF-8 escapes botocore as a bare ``UnicodeDecodeError``.
* A body damaged *before* the checksum was computed (or a well-formed ``{}``)
  passes every botocore check.

So every reply is checked twice here. A botocore ``after-call`` hook checks the
final reply on the wire: its ``Content-Length`` and ``x-amz-crc32`` (when sent:
DynamoDB and moto always send it) must match the body, and a 2xx body must be a
JSON object. Then its shape: HTTP status 200, and every request asks for
``ReturnConsumedCapacity=TOTAL``, because DynamoDB then always answers with
``ConsumedCapacity``, item or no item. That is what tells "no such item" (``{}``
plus ConsumedCapacity) from a damaged reply that parsed as ``{}``.
TransactGetItems must answer with ``Responses``, one per key; Query with
``Items``. A damaged reply whose checksum still matches and whose JSON still has
the right shape (a deliberate forgery) is not caught; TLS to DynamoDB is what
rules that out.

Time budget
===========
An Alexa request should be answered within 3 s. Each store call (``get_cart``,
``update_cart``, ...) has a wall-clock deadline as a whole: :data:`CALL_BUDGET_S`,
and never past the request's own deadline (:func:`skill.deadline.request_deadline`,
set by the skill around each request). Socket timeouts cannot do that alone:
urllib3's read timeout bounds each read, so an endpoint sending one byte every
0.5 s kept ``get_cart`` for minutes (urllib3's Timeout docstring says as much).
So each botocore call runs on a worker thread of the store (at most
:data:`WORKER_THREADS`), and the calling thread waits for it at most until the
deadline, then raises StoreError. Inside the worker, a ``before-send`` hook
refuses to start an attempt after the deadline, and lowers botocore's
per-request ``read_timeout`` to the time left, so a silent endpoint ends the
worker on time too.

Limits of this mechanism, on purpose: Python cannot interrupt a blocking socket
read in another thread, so a call abandoned at its deadline keeps its worker and
its pooled connection until the read ends by itself (a stalled endpoint: at the
deadline; a trickling one: when its reply is complete, which botocore then checks
like any other). When all workers are busy, calls queue and fail at their own
deadline without being sent. DNS lookups and credential fetches, which no socket
timeout bounds, are covered the same way (the caller leaves on time; the worker
finishes later). A write abandoned at its deadline may still commit afterwards;
see Guarantees.

Below the deadline, botocore's *standard* retry mode with
``total_max_attempts = 2`` (one retry), ``connect_timeout = 0.3`` s and
``read_timeout = 0.7`` s gives, per botocore call, at worst:

* endpoint refusing connections: 2 fast attempts + a 0-25 ms backoff: well under 0.1 s;
* network black hole: 2 x 0.3 s connect timeouts + backoff: about 0.65 s;
* server hanging after connect: 2 x (0.3 + 0.7) s = 2.0 s (typically 2 x 0.7 s);
* throttling: 2 quick attempts + a backoff of rand(0, 1) s: at most about 1.05 s.

*Adaptive* mode is not used: its client-side rate limiter adds sleeps of its own,
which suits batch jobs, not a 3 s answer. Conflicts (two processes racing on one
cart or on the counter) are retried here with jittered backoff (10 ms doubling, at
most 100 ms), at most 20 attempts, within the deadline; so are cancelled
transactions whose reasons are throttling, which botocore does not retry. A write
gets the call's deadline minus :data:`CONFIRM_RESERVE_S`, kept for the re-read
that confirms a lost reply; with less than that left it is not sent at all. Every
botocore failure becomes
:class:`~skill.errors.StoreError` (``raise ... from exc``), with a message naming
the table and the error code only, never keys or user ids.

Guarantees
==========
What holds, and is tested in tests/store/test_dynamodb_faults.py against a proxy
that loses, cuts, corrupts and trickles moto's replies:

* **Only whole, successful replies are acted on.** Anything else (see Replies) is
  a StoreError: a cart holding 7 apples is never read as empty, and a damaged
  record is a CorruptRecord, never a wrong total.
* **Each store call ends by its deadline** (2 s, or the request's remaining time
  if less) plus thread scheduling, whatever the endpoint does.
* **A cart change is applied at most once per request id.** The request id's
  digest is part of the same conditional write as the change, and every write is
  conditional on the version it read. So a redelivery of the request, botocore's
  retry of a write that had committed, and a write that commits late (after its
  caller gave up) cannot apply the change twice, whichever lands first. Without a
  request id, a random token per call gives the same guarantee for botocore's own
  retries, not for a redelivery.
* **A checkout places at most one order per (user, request id)**, and at most one
  per cart emptied: a duplicate without a request id finds the cart empty.
* **A checkout never commits against a catalog it did not read.** The catalog's
  version is a ConditionCheck of the checkout transaction; a price or stock change
  that lands meanwhile cancels it, and the order is built again from the new catalog.
  A catalog change is conditional on the version it read, so concurrent changes
  never overwrite each other.
* **A lost reply to a write is confirmed, not guessed.** When a write's reply is
  lost (timeout, connection closed, damaged reply, deadline), or its failure came
  after botocore had retried it, the store re-reads once, consistently, in the
  time it kept for that: the cart's ``recent_writes`` holding the write's token,
  the order carrying the attempt's ``write_token``, or the status change's
  ``status_token``, means the write committed, and the call returns success.
* **StoreError means "nothing was written"** when the write was never sent (no
  time left for it and its re-read), when the first read failed, or when DynamoDB
  refused it on the only attempt (throttling, a missing table, credentials).

What is **not** guaranteed:

* After a lost reply that the re-read could not confirm, StoreError means
  *unknown*: the write may have committed, or may still commit (it can be in
  flight when the caller gives up). The customer hears the apology although the
  cart (or the order) may have changed. A redelivery of the same request then
  finds it and applies nothing more; a *new* request (saying "add apples" again)
  has a new request id and is applied again.
* Request ids older than the cart's last 16 writes are forgotten, and checkout
  records expire after 24 h; a redelivery later than that is applied again.
* A call abandoned at its deadline keeps a worker thread and a connection until
  its read ends (see Time budget).
* A reply forged to match its checksum and shape is accepted; TLS prevents it.
"""

from __future__ import annotations

import binascii
import contextvars
import functools
import hashlib
import json
import random
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from skill import deadline
from skill.domain.cart import Cart
from skill.domain.orders import FIRST_ORDER_NUMBER, Order, OrderNotification, OrderStatus
from skill.errors import (
    ConfigError,
    CorruptRecord,
    DomainError,
    EmptyCart,
    OrderNotFound,
    StoreError,
)
from skill.store.base import (
    RECENT_REQUEST_IDS,
    CartChange,
    CatalogChange,
    OrderFactory,
    catalog_from_store,
    catalog_json,
    catalog_to_store,
)

if TYPE_CHECKING:
    from skill.dashboard.staff import StaffMember

__all__ = ["DynamoDBClient", "DynamoDBStore", "create_table", "new_client", "order_data"]

# A botocore DynamoDB client. Typed loosely: the project does not depend on
# the mypy-boto3 stubs, and boto3 builds client classes at run time.
DynamoDBClient = Any
Item = dict[str, Any]

CONNECT_TIMEOUT_S = 0.3
READ_TIMEOUT_S = 0.7
TOTAL_MAX_ATTEMPTS = 2
#: The wall-clock budget of one store call as a whole (capped by the request's).
CALL_BUDGET_S = 2.0
#: Kept back from a write's budget for the re-read that confirms a lost reply.
CONFIRM_RESERVE_S = 0.4
#: Threads that run botocore calls for one store (botocore's connection pool size).
WORKER_THREADS = 10
CONFLICT_ATTEMPTS = 20
CONFLICT_BUDGET_S = 2.0
_BACKOFF_BASE_S = 0.01
_BACKOFF_CAP_S = 0.1
_LOCK_STRIPES = 64
REQUEST_TTL_S = 24 * 60 * 60
#: The largest catalog document (JSON, UTF-8) the store writes; a DynamoDB item holds
#: 400 KB with its keys and attributes.
MAX_CATALOG_BYTES = 350_000
_HOOK_ID = "cornershop-dynamodb"

_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
# The closing "Try again ..." sentence of a message, replaced when a write may have landed.
_TRY_AGAIN = re.compile(r"\s*Try again[^.]*\.$")
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


class _Unconfirmed(Exception):
    """A write whose outcome is unknown: it may have committed. Never leaves this module.

    ``error`` is the StoreError to raise if a re-read cannot confirm the write.
    """

    def __init__(self, error: StoreError) -> None:
        super().__init__(str(error))
        self.error = error


class _DeadlineExceeded(Exception):
    """Raised by the before-send hook: the call's deadline passed before an attempt.

    Messages of this and _DamagedReply are phrases for "could not ... (...): <here>."
    """


class _DamagedReply(Exception):
    """Raised by the after-call hook, or for a reply of the wrong shape."""


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
        max_pool_connections=WORKER_THREADS,
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
        call_budget_s: float = CALL_BUDGET_S,
        client_factory: Callable[[], DynamoDBClient] | None = None,
    ) -> None:
        """``client_factory`` builds a client like ``client`` for
        :meth:`renew_connections`; without it one is built from ``client.meta`` and
        the AWS environment."""
        _check_table_name(table)
        if not shop_id or "#" in shop_id:
            raise ConfigError(
                f"The shop id {shop_id!r} cannot be used with DynamoDB: it must be "
                "non-empty and must not contain '#'. Choose a name such as 'main'."
            )
        self.table = table
        self.shop_id = shop_id
        self._conflict_attempts = max(1, conflict_attempts)
        self._conflict_budget_s = conflict_budget_s
        self._call_budget_s = call_budget_s
        self._client_factory = client_factory
        self._owns_client = False
        self._random = random.Random()
        # Threads of this process that change one cart take turns, and so do its
        # checkouts (they all move the one counter); conditional writes settle
        # races with other processes. Without this, 8 threads hammering one item
        # spend most of their attempts losing to each other.
        self._stripes = [threading.RLock() for _ in range(_LOCK_STRIPES)]
        self._checkout_lock = threading.RLock()
        self._catalog_lock = threading.RLock()
        # The last catalog body found good (its text, and the document it parsed to):
        # a checkout reading the same text again reuses it, parsing nothing.
        self._catalog_seen: tuple[str, dict[str, Any]] | None = None
        self._pool_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        _install_hooks(client)
        self.client = client

    @classmethod
    def from_environment(cls, table: str, *, shop_id: str = "main") -> DynamoDBStore:
        """Open ``table`` with a client built from the standard AWS environment."""
        _check_table_name(table)
        store = cls(new_client(), table, shop_id=shop_id, client_factory=new_client)
        store._owns_client = True
        return store

    def renew_connections(self) -> None:
        """Replace the client (its pooled connections and cached credentials) by a new
        one with the same configuration.

        For a Lambda SnapStart restore: connections in the snapshot are dead or
        shared by every copy restored from it, and its credentials may have expired.
        Also reseeds the backoff jitter, which every copy would otherwise repeat.
        """
        old = self.client
        new = self._client_factory() if self._client_factory is not None else _client_like(old)
        _install_hooks(new)
        self.client = new
        self._random.seed()
        if self._owns_client:
            _close_client(old)
        self._owns_client = True

    # -- keys --------------------------------------------------------------------
    def _cart_key(self, user_id: str) -> Item:
        return _key(f"USER#{self.shop_id}#{user_id}", "CART")

    def _counter_key(self) -> Item:
        return _key(f"SHOP#{self.shop_id}", "COUNTER")

    def _catalog_key(self) -> Item:
        return _key(f"SHOP#{self.shop_id}", "CATALOG")

    def _order_key(self, number: int) -> Item:
        return _key(f"SHOP#{self.shop_id}", f"ORDER#{number:010d}")

    def _request_key(self, user_id: str, request_id: str) -> Item:
        # One variable part in each key attribute, so no two (user, request id)
        # pairs can spell the same key, whatever characters they hold.
        return _key(f"REQ#{self.shop_id}#{user_id}", f"CHECKOUT#{request_id}")

    # -- carts -------------------------------------------------------------------
    def get_cart(self, user_id: str) -> Cart:
        with self._budget():
            return self._cart_of(self._get(self._cart_key(user_id), "read a cart"))

    def _user_lock(self, user_id: str) -> threading.RLock:
        return self._stripes[hash(user_id) % _LOCK_STRIPES]

    def update_cart(self, user_id: str, change: CartChange, *, request_id: str = "") -> Cart:
        with self._budget(), self._locked(self._user_lock(user_id), "change a cart"):
            return self._update_cart(user_id, change, request_id)

    def _update_cart(self, user_id: str, change: CartChange, request_id: str) -> Cart:
        key = self._cart_key(user_id)
        token = _write_token(request_id)
        for _ in self._attempts("change a cart"):
            item = self._get(key, "read a cart")
            recent = self._recent_writes(item)
            if token in recent:
                # Applied already: a redelivered request, or an earlier attempt
                # of this call that committed although its answer was lost.
                return self._cart_of(item)
            cart = self._cart_of(item)
            new = change(cart)  # domain errors propagate; nothing is written
            if new == cart:
                return cart
            version = self._number(item, "version", "a cart")
            values: Item = {
                ":lines": {"S": _lines_json(new)},
                ":next": {"N": str((version or 0) + 1)},
                ":now": {"S": _now().isoformat()},
                ":writes": {"L": [{"S": t} for t in [*recent, token][-RECENT_REQUEST_IDS:]]},
            }
            if version is None:
                condition = "attribute_not_exists(pk)"
            else:
                condition = "#version = :read"
                values[":read"] = {"N": str(version)}
            try:
                self._write(
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
            except _Unconfirmed as lost:
                return self._confirm_cart(key, token, lost)
            return new
        raise AssertionError("unreachable: _attempts raises when it runs out")

    def _confirm_cart(self, key: Item, token: str, lost: _Unconfirmed) -> Cart:
        item = self._confirming_read(key, "confirm a cart change", lost)
        if token in self._recent_writes(item):
            return self._cart_of(item)
        raise lost.error from lost.error.__cause__

    # -- orders ------------------------------------------------------------------
    def place_order(self, user_id: str, request_id: str, make_order: OrderFactory) -> Order:
        with self._budget(), self._locked(self._checkout_lock, "check out"):
            return self._place_order(user_id, request_id, make_order)

    def _place_order(self, user_id: str, request_id: str, make_order: OrderFactory) -> Order:
        cart_key = self._cart_key(user_id)
        counter_key = self._counter_key()
        catalog_key = self._catalog_key()
        request_key = self._request_key(user_id, request_id) if request_id else None
        keys = [cart_key, counter_key, catalog_key] + ([request_key] if request_key else [])
        # Attempts that may have committed: order number -> (order, its write token).
        sent: dict[int, tuple[Order, str]] = {}
        for _ in self._attempts("check out"):
            try:
                items = self._transact_get(keys, "check out")
            except _Conflict:
                continue
            cart_item, counter, catalog_item = items[0], items[1], items[2]
            done = items[3] if request_key else None
            if done is not None:
                return self._replay(done, user_id)
            last_order = self._number(cart_item, "last_order", "a cart")
            if last_order in sent:
                # botocore retried a transaction of ours that had committed (its
                # retry was cancelled): that order is ours if it carries our token.
                order, token = sent[last_order]
                if _written_by(self._get(self._order_key(order.number), "check out"), token):
                    return order
            cart = self._cart_of(cart_item)
            if cart.is_empty:
                raise EmptyCart("The cart is empty, so there is nothing to check out.")
            version = self._number(cart_item, "version", "a cart")
            last = self._number(counter, "value", "the order counter")
            catalog = self._catalog_of(catalog_item, shared=True)
            order = make_order(cart, FIRST_ORDER_NUMBER if last is None else last + 1, catalog)
            token = secrets.token_hex(8)
            sent[order.number] = (order, token)
            writes = self._checkout_items(
                order, token, user_id, request_key, cart_key, counter_key, version, last
            )
            # The catalog the order was built from must still be the stored one.
            writes.insert(3, self._catalog_unchanged(catalog))
            try:
                self._write("transact_write_items", "check out", TransactItems=writes)
            except _Conflict:
                continue
            except _Unconfirmed as lost:
                key = self._order_key(order.number)
                if _written_by(self._confirming_read(key, "confirm a checkout", lost), token):
                    return order
                raise lost.error from lost.error.__cause__
            return order
        raise AssertionError("unreachable: _attempts raises when it runs out")

    def _catalog_unchanged(self, catalog: dict[str, Any] | None) -> Item:
        check: Item = {"TableName": self.table, "Key": self._catalog_key()}
        if catalog is None:
            check["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            check["ConditionExpression"] = "#version = :read"
            check["ExpressionAttributeNames"] = {"#version": "version"}
            check["ExpressionAttributeValues"] = {":read": {"N": str(catalog["version"])}}
        return {"ConditionCheck": check}

    def _replay(self, done: Item, user_id: str) -> Order:
        number = self._number(done, "order_number", "a checkout record")
        if number is None:
            raise CorruptRecord(self._damaged("a checkout record"))
        order = self._order(number, "check out")
        if order.user_id != user_id:
            raise CorruptRecord(self._damaged(f"a checkout record pointing at order {number}"))
        return order

    def _checkout_items(
        self,
        order: Order,
        token: str,
        user_id: str,
        request_key: Item | None,
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
        items: list[Item] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        **self._order_key(order.number),
                        **_order_attributes(order),
                        "user_id": {"S": user_id},
                        "write_token": {"S": token},
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
        ]
        if request_key is not None:
            items.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": {
                            **request_key,
                            "order_number": {"N": str(order.number)},
                            "user_id": {"S": user_id},
                            "created_at": {"S": now.isoformat()},
                            "expires_at": {"N": str(int(now.timestamp()) + REQUEST_TTL_S)},
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        return items

    def last_order(self, user_id: str) -> Order | None:
        with self._budget():
            item = self._get(self._cart_key(user_id), "find the last order")
            self._cart_of(item)  # the whole record is checked, as every read does
            number = self._number(item, "last_order", "a cart")
            if number is None:
                return None
            order = self._order(number, "find the last order")
            if order.user_id != user_id:
                raise CorruptRecord(self._damaged(f"a cart pointing at order {number}"))
            return order

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
        with self._budget():
            while len(orders) < limit:
                page = self._call("query", "list orders", Limit=limit - len(orders), **params)
                orders.extend(self._order_of(item) for item in page["Items"])
                if "LastEvaluatedKey" not in page:
                    break
                params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return orders[:limit]

    def set_order_status(self, number: int, status: OrderStatus) -> Order:
        with self._budget():
            return self._change_order(number, lambda order: order.with_status(status))

    def cancel_order(self, user_id: str, number: int) -> Order:
        with self._budget():
            return self._change_order(
                number, lambda order: order.cancelled_by_customer(), customer=user_id
            )

    def _change_order(
        self, number: int, change: Callable[[Order], Order], *, customer: str | None = None
    ) -> Order:
        """Apply ``change`` (a status rule: it raises to refuse) to order ``number``.

        The update is conditional on the status it read (and, for a ``customer``'s
        cancel, on the order's ``user_id`` being theirs), so a change racing another
        (the shop's "ready" against the customer's cancel) either lands on the status
        it was decided on or is read again and decided anew. Each call puts a random
        ``status_token`` in the same update: finding it, after a conflict (botocore
        retried an update that had committed) or a lost reply, means this call's
        change is the one stored.
        """
        key = self._order_key(number)
        token = secrets.token_hex(8)
        for _ in self._attempts("change an order"):
            item = self._get(key, "read an order")
            if item is None:
                raise OrderNotFound(number, for_customer=customer is not None)
            if _status_written_by(item, token):
                return self._order_of(item)
            order = self._order_of(item)
            if customer is not None:
                if order.user_id != customer:
                    raise OrderNotFound(number, for_customer=True)
                if item.get("user_id") != {"S": customer}:
                    # The condition below could never hold: refuse, don't retry.
                    raise CorruptRecord(self._damaged(f"order {number} with two different users"))
            new = change(order)  # InvalidStatusChange, OrderNotCancellable: nothing written
            condition = "#status = :old"
            names = {"#status": "status", "#body": "body", "#token": "status_token"}
            values: Item = {
                ":new": {"S": new.status.value},
                ":old": {"S": order.status.value},
                ":body": {"S": _order_body(new)},
                ":token": {"S": token},
            }
            if customer is not None:
                condition += " AND #user = :user"
                names["#user"] = "user_id"
                values[":user"] = {"S": customer}
            try:
                self._write(
                    "update_item",
                    "change an order",
                    TableName=self.table,
                    Key=key,
                    UpdateExpression="SET #status = :new, #body = :body, #token = :token",
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                )
            except _Conflict:
                continue
            except _Unconfirmed as lost:
                seen = self._confirming_read(key, "confirm an order change", lost)
                if seen is not None and _status_written_by(seen, token):
                    return self._order_of(seen)
                raise lost.error from lost.error.__cause__
            return new
        raise AssertionError("unreachable: _attempts raises when it runs out")

    def set_order_notification(self, number: int, notification: OrderNotification) -> None:
        key = self._order_key(number)
        text = json.dumps(notification.to_data(), separators=(",", ":"))
        with self._budget():
            for _ in self._attempts("record a notification"):
                try:
                    self._write(
                        "update_item",
                        "record a notification",
                        TableName=self.table,
                        Key=key,
                        UpdateExpression="SET #notification = :notification",
                        ConditionExpression="attribute_exists(pk)",
                        ExpressionAttributeNames={"#notification": "notification"},
                        ExpressionAttributeValues={":notification": {"S": text}},
                    )
                except _Conflict:
                    # No such order, or a transaction on it was in flight: look, then decide.
                    if self._get(key, "read an order") is None:
                        raise OrderNotFound(number) from None
                    continue
                except _Unconfirmed as lost:
                    seen = self._confirming_read(key, "confirm a notification", lost)
                    if seen is None or seen.get("notification") != {"S": text}:
                        raise lost.error from lost.error.__cause__
                return
        raise AssertionError("unreachable: _attempts raises when it runs out")

    # -- the catalog -------------------------------------------------------------
    def get_catalog(self) -> dict[str, Any] | None:
        with self._budget():
            return self._catalog_of(self._get(self._catalog_key(), "read the catalog"))

    def update_catalog(self, change: CatalogChange) -> dict[str, Any]:
        with self._budget(), self._locked(self._catalog_lock, "change the catalog"):
            return self._update_catalog(change)

    def _update_catalog(self, change: CatalogChange) -> dict[str, Any]:
        key = self._catalog_key()
        for _ in self._attempts("change the catalog"):
            current = self._catalog_of(self._get(key, "read the catalog"))
            body = catalog_to_store(change(json.loads(json.dumps(current or {}))))
            version = current.pop("version") if current is not None else None
            if body == current:
                return {**body, "version": version}
            token = secrets.token_hex(8)
            try:
                self._put_catalog(body, (version or 0) + 1, token, read=version)
            except _Conflict:
                continue
            except _Unconfirmed as lost:
                seen = self._confirming_read(key, "confirm a catalog change", lost)
                if not _written_by(seen, token):
                    raise lost.error from lost.error.__cause__
            return {**body, "version": (version or 0) + 1}
        raise AssertionError("unreachable: _attempts raises when it runs out")

    def seed_catalog(self, doc: dict[str, Any]) -> bool:
        body = catalog_to_store(doc)
        with self._budget(), self._locked(self._catalog_lock, "seed the catalog"):
            token = secrets.token_hex(8)
            try:
                self._put_catalog(body, 1, token, read=None)
            except _Conflict:
                return False  # the shop has a catalog already
            except _Unconfirmed as lost:
                seen = self._confirming_read(self._catalog_key(), "confirm the catalog", lost)
                if seen is None:
                    raise lost.error from lost.error.__cause__
                return _written_by(seen, token)
            return True

    def _put_catalog(
        self, body: dict[str, Any], version: int, token: str, *, read: int | None
    ) -> None:
        text = catalog_json(body)
        size = len(text.encode("utf-8"))
        if size > MAX_CATALOG_BYTES:
            from skill.domain.catalog import CatalogError

            raise CatalogError(
                f"The catalog is {size // 1000} KB as JSON, more than the "
                f"{MAX_CATALOG_BYTES // 1000} KB one DynamoDB item can hold here. Remove "
                "items, synonyms or locales the shop does not use."
            )
        values: Item = {
            ":body": {"S": text},
            ":next": {"N": str(version)},
            ":now": {"S": _now().isoformat()},
            ":token": {"S": token},
        }
        if read is None:
            condition = "attribute_not_exists(pk)"
        else:
            condition = "#version = :read"
            values[":read"] = {"N": str(read)}
        self._write(
            "update_item",
            "change the catalog",
            TableName=self.table,
            Key=self._catalog_key(),
            UpdateExpression=(
                "SET #body = :body, #version = :next, #updated = :now, #token = :token"
            ),
            ConditionExpression=condition,
            ExpressionAttributeNames={
                "#body": "body",
                "#version": "version",
                "#updated": "updated_at",
                "#token": "write_token",
            },
            ExpressionAttributeValues=values,
        )

    def _catalog_of(
        self, item: Mapping[str, Any] | None, *, shared: bool = False
    ) -> dict[str, Any] | None:
        """The catalog document in a catalog item, checked; None for no item.
        ``shared=True`` may return the document of the last read when the stored text
        is the same (read-only: the order factory's)."""
        if item is None:
            return None
        seen = self._catalog_seen
        try:
            text = item["body"]["S"]
            version = int(item["version"]["N"])
            if shared and seen is not None and seen[0] == text and seen[1]["version"] == version:
                return seen[1]
            doc = catalog_from_store(text, version, checked=seen[0] if seen else None)
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptRecord(self._damaged("the catalog")) from exc
        if shared:
            self._catalog_seen = (text, doc)
        elif seen is None or seen[0] != text:
            self._catalog_seen = (text, catalog_from_store(text, version, checked=text))
        return doc

    # -- reading stored records ----------------------------------------------------
    def _cart_of(self, item: Mapping[str, Any] | None) -> Cart:
        """The cart in a cart item; the whole item is checked, its bookkeeping too, so
        a damaged record is refused by every call that reads it, not just some."""
        if item is None:
            return Cart()
        self._number(item, "version", "a cart")
        self._number(item, "last_order", "a cart")
        self._recent_writes(item)
        if "lines" not in item:
            return Cart()
        try:
            return Cart.from_data(json.loads(item["lines"]["S"]))
        except (KeyError, TypeError, ValueError, RecursionError, DomainError, StoreError) as exc:
            raise CorruptRecord(self._damaged("a cart")) from exc

    def _order(self, number: int, what: str) -> Order:
        order = self._stored_order(number, what)
        if order is None:
            raise CorruptRecord(self._damaged(f"a pointer to order {number}, which is missing"))
        return order

    def _stored_order(self, number: int, what: str) -> Order | None:
        item = self._get(self._order_key(number), what)
        if item is None:
            return None
        order = self._order_of(item)
        if order.number != number:
            raise CorruptRecord(self._damaged(f"order {number} under another number"))
        return order

    def _order_of(self, item: Mapping[str, Any]) -> Order:
        try:
            return Order.from_data(order_data(item))
        except (KeyError, TypeError, ValueError, RecursionError, DomainError, StoreError) as exc:
            raise CorruptRecord(self._damaged("an order")) from exc

    def _number(self, item: Mapping[str, Any] | None, name: str, what: str) -> int | None:
        if item is None or name not in item:
            return None
        try:
            return int(item[name]["N"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptRecord(self._damaged(what)) from exc

    def _recent_writes(self, item: Mapping[str, Any] | None) -> list[str]:
        if item is None or "recent_writes" not in item:
            return []
        try:
            return [str(v["S"]) for v in item["recent_writes"]["L"]]
        except (KeyError, TypeError) as exc:
            raise CorruptRecord(self._damaged("a cart")) from exc

    # -- staff accounts (the dashboard: skill/dashboard/staff.py) -------------------
    def _staff_key(self, name: str) -> Item:
        return _key(f"SHOP#{self.shop_id}", f"STAFF#{name}")

    def _secret_key(self) -> Item:
        return _key(f"SHOP#{self.shop_id}", "SECRET#session")

    def add_staff(self, member: StaffMember, *, replace: bool = False) -> None:
        from skill.dashboard.staff import StaffExists

        key = self._staff_key(member.name)
        # The hash's random salt makes the body unique: finding it means this write landed.
        body = json.dumps(member.to_data(), separators=(",", ":"))
        params: Item = {"TableName": self.table, "Item": {**key, "body": {"S": body}}}
        if not replace:
            params["ConditionExpression"] = "attribute_not_exists(pk)"
        with self._budget():
            try:
                self._write("put_item", "add a staff account", **params)
            except _Conflict:
                seen = self._get(key, "read a staff account")
                if seen is None or seen.get("body", {}).get("S") != body:
                    raise StaffExists(member.name) from None
            except _Unconfirmed as lost:
                seen = self._confirming_read(key, "confirm a staff account", lost)
                if seen is None or seen.get("body", {}).get("S") != body:
                    raise lost.error from lost.error.__cause__

    def get_staff(self, name: str) -> StaffMember | None:
        with self._budget():
            item = self._get(self._staff_key(name), "read a staff account")
        return None if item is None else self._staff_of(item, name)

    def list_staff(self) -> list[StaffMember]:
        params: Item = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": f"SHOP#{self.shop_id}"},
                ":prefix": {"S": "STAFF#"},
            },
            "ConsistentRead": True,
        }
        items: list[Item] = []
        with self._budget():
            while True:
                page = self._call("query", "list staff accounts", **params)
                items.extend(page["Items"])
                if "LastEvaluatedKey" not in page:
                    break
                params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        members = [self._staff_of(item, None) for item in items]
        return sorted(members, key=lambda m: m.name)

    def remove_staff(self, name: str) -> bool:
        key = self._staff_key(name)
        with self._budget():
            if self._get(key, "read a staff account") is None:
                return False
            try:
                self._write("delete_item", "remove a staff account", TableName=self.table, Key=key)
            except _Unconfirmed as lost:
                if self._confirming_read(key, "confirm a staff removal", lost) is not None:
                    raise lost.error from lost.error.__cause__
            return True

    def session_secret(self) -> bytes:
        key = self._secret_key()
        with self._budget():
            item = self._get(key, "read the session secret")
            if item is None:
                made = secrets.token_hex(32)
                # A lost race (another process made it first) or a lost reply (ours may
                # have landed): either way, the secret is whatever is stored now.
                with suppress(_Conflict, _Unconfirmed):
                    self._write(
                        "put_item",
                        "make the session secret",
                        TableName=self.table,
                        Item={
                            **key,
                            "value": {"S": made},
                            "created_at": {"S": _now().isoformat()},
                        },
                        ConditionExpression="attribute_not_exists(pk)",
                    )
                item = self._get(key, "read the session secret")
                if item is None:
                    raise StoreError(
                        f"Corner Shop could not make the dashboard's session secret in "
                        f"DynamoDB table {self.table!r}. Try again."
                    )
        try:
            value = item["value"]["S"] if item is not None else None
            if not isinstance(value, str) or len(value) != 64:
                raise ValueError(value)
            return bytes.fromhex(value)
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptRecord(self._damaged("the session secret")) from exc

    def _revoked_key(self, sid: str) -> Item:
        from skill.dashboard.staff import session_digest

        # The staff partition: the shop's own, never a customer's.
        return _key(f"SHOP#{self.shop_id}", f"REVOKED#{session_digest(sid)}")

    def revoke_session(self, sid: str, until: float) -> None:
        key = self._revoked_key(sid)
        end = int(until) + 1  # whole seconds, never before the session's own end
        with self._budget():
            for _ in self._attempts("record a logout"):
                try:
                    self._write(
                        "put_item",
                        "record a logout",
                        TableName=self.table,
                        Item={**key, "until": {"N": str(end)}, "expires_at": {"N": str(end)}},
                    )
                except _Conflict:
                    continue
                except _Unconfirmed as lost:
                    if self._confirming_read(key, "confirm a logout", lost) is None:
                        raise lost.error from lost.error.__cause__
                return
        raise AssertionError("unreachable: _attempts raises when it runs out")

    def session_revoked(self, sid: str) -> bool:
        with self._budget():
            item = self._get(self._revoked_key(sid), "read a logout")
        if item is None:
            return False
        # DynamoDB's TTL deletes lazily (within days): an expired item is no longer a logout.
        until = self._number(item, "until", "a logout")
        if until is None:
            raise CorruptRecord(self._damaged("a logout"))
        return until > time.time()

    def _staff_of(self, item: Mapping[str, Any], name: str | None) -> StaffMember:
        from skill.dashboard.staff import StaffMember

        try:
            member = StaffMember.from_data(json.loads(item["body"]["S"]))
            if item["sk"]["S"] != f"STAFF#{member.name}" or name not in (None, member.name):
                raise ValueError("the account is kept under another name")
        except (KeyError, TypeError, ValueError, RecursionError, CorruptRecord) as exc:
            raise CorruptRecord(self._damaged("a staff account")) from exc
        return member

    # -- health ------------------------------------------------------------------
    def ping(self) -> None:
        with self._budget():
            self._call(
                "get_item",
                "reach the table",
                TableName=self.table,
                Key=self._counter_key(),
                ProjectionExpression="pk",
            )

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            # Abandoned calls finish on their own; nothing waits for them.
            pool.shutdown(wait=False, cancel_futures=True)
        if self._owns_client:
            _close_client(self.client)

    # -- plumbing ----------------------------------------------------------------
    @contextmanager
    def _budget(self) -> Iterator[None]:
        """The deadline of one store call: CALL_BUDGET_S, within the request's."""
        with deadline.request_deadline(self._call_budget_s):
            yield

    @contextmanager
    def _locked(self, lock: threading.RLock, what: str) -> Iterator[None]:
        if not lock.acquire(timeout=deadline.remaining(self._call_budget_s)):
            raise StoreError(
                f"Corner Shop could not {what} in DynamoDB table {self.table!r} in time: "
                "other requests of this process held it the whole time. Try again."
            )
        try:
            yield
        finally:
            lock.release()

    def _attempts(self, what: str) -> Iterator[int]:
        """Yield attempt numbers, sleeping a jittered, growing backoff between them."""
        budget_end = time.monotonic() + self._conflict_budget_s
        for attempt in range(self._conflict_attempts):
            if attempt:
                ceiling = min(_BACKOFF_CAP_S, _BACKOFF_BASE_S * 2**attempt)
                delay = self._random.uniform(0, ceiling)
                if time.monotonic() + delay > budget_end or delay >= deadline.remaining(
                    self._call_budget_s
                ):
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

    def _confirming_read(self, key: Item, what: str, lost: _Unconfirmed) -> Item | None:
        """The one consistent re-read after a lost write reply, in the time kept for it."""
        try:
            return self._get(key, what)
        except StoreError:
            # The lost reply stays the cause; the failed re-read is kept as __context__.
            raise lost.error from lost.error.__cause__

    def _transact_get(self, keys: list[Item], what: str) -> list[Item | None]:
        response = self._call(
            "transact_get_items",
            what,
            TransactItems=[{"Get": {"TableName": self.table, "Key": key}} for key in keys],
        )
        return [r.get("Item") for r in response["Responses"]]

    def _write(self, operation: str, what: str, **params: Any) -> Item:
        """A write, started only with CONFIRM_RESERVE_S of the deadline to spare."""
        left = deadline.remaining(self._call_budget_s)
        with deadline.request_deadline(left - CONFIRM_RESERVE_S):
            return self._call(operation, what, write=True, **params)

    def _call(self, operation: str, what: str, *, write: bool = False, **params: Any) -> Item:
        """Call the client within the deadline, and check the reply.

        Raises _Conflict for lost races; for a write whose outcome is unknown,
        _Unconfirmed; StoreError for everything else.
        """
        params["ReturnConsumedCapacity"] = "TOTAL"
        left = deadline.remaining(self._call_budget_s)
        if left <= 0:
            raise StoreError(
                f"Corner Shop could not {what} in DynamoDB table {self.table!r}: the time "
                "budget of the request ran out before the call could start. Try again."
            )
        method = getattr(self.client, operation)
        # The worker sees this call's deadline (the before-send hook reads it).
        context = contextvars.copy_context()
        try:
            future = self._executor().submit(lambda: context.run(method, **params))
        except RuntimeError as exc:  # the interpreter is shutting down
            raise StoreError(
                f"Corner Shop could not {what} in DynamoDB table {self.table!r}: the "
                "process is shutting down."
            ) from exc
        done, _ = wait_for([future], timeout=left)
        if not done:
            future.cancel()  # if it never started; a running call is abandoned
            timeout = TimeoutError(f"no answer within {left:.2f} s")
            raise self._failure(
                timeout,
                f"Corner Shop could not {what} in DynamoDB table {self.table!r} (deadline). "
                "DynamoDB did not answer within the time budget. Try again.",
                unknown=write,
            )
        try:
            response: Item = future.result()
        except Exception as exc:
            raise self._translated(exc, what, write) from exc
        problem = _reply_problem(operation, params, response)
        if problem is not None:
            raise self._failure(
                _DamagedReply(problem),
                f"Corner Shop could not {what} in DynamoDB table {self.table!r} "
                f"(DamagedReply): {problem}. Try again.",
                unknown=write,
            )
        return response

    def _translated(self, exc: Exception, what: str, write: bool) -> Exception:
        """The exception a failed botocore call becomes (the caller chains ``exc``)."""
        client_error, botocore_error = _botocore_errors()
        from botocore.exceptions import ConnectionError as BotoConnectionError
        from botocore.exceptions import HTTPClientError

        if isinstance(exc, client_error):
            code = _code(exc)
            answer: Item = getattr(exc, "response", None) or {}
            if code in _CONFLICT_CODES:
                return _Conflict(code)
            if code == "TransactionCanceledException":
                reasons = {
                    str(r.get("Code", "None")) for r in answer.get("CancellationReasons", [])
                }
                if reasons and reasons <= _RETRYABLE_REASONS:
                    return _Conflict(code)
            # An answer to a retry says nothing about the attempt before it.
            retried = bool(answer.get("ResponseMetadata", {}).get("RetryAttempts", 0))
            message = _client_error_message(code, self.table, what)
            return self._failure(exc, message, unknown=write and retried)
        if isinstance(exc, botocore_error):
            message = _botocore_error_message(exc, self.table, what)
            sent = isinstance(exc, BotoConnectionError | HTTPClientError)
            return self._failure(exc, message, unknown=write and sent)
        if isinstance(exc, _DeadlineExceeded):
            message = (
                f"Corner Shop could not {what} in DynamoDB table {self.table!r} (deadline). "
                "DynamoDB did not answer within the time budget. Try again."
            )
            return self._failure(exc, message, unknown=write)
        # _DamagedReply from the after-call hook, or what botocore let through
        # from a reply it could not parse (a body that is not UTF-8, ...).
        message = (
            f"Corner Shop could not {what} in DynamoDB table {self.table!r} "
            f"(DamagedReply): {_describe(exc)}. Try again."
        )
        return self._failure(exc, message, unknown=write)

    def _failure(self, cause: BaseException, message: str, *, unknown: bool) -> Exception:
        """A StoreError caused by ``cause``, wrapped in _Unconfirmed if it may have committed."""
        if unknown:
            message = (
                f"{_TRY_AGAIN.sub('', message)} The change may have been applied: its "
                "answer was lost and a re-read could not confirm it either way. Check "
                "before trying again."
            )
        error = StoreError(message)
        # What `raise error from cause` would set; the error is raised later.
        error.__cause__ = cause
        error.__suppress_context__ = True
        return _Unconfirmed(error) if unknown else error

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=WORKER_THREADS, thread_name_prefix="cornershop-dynamodb"
                )
            return self._pool

    def _damaged(self, what: str) -> str:
        return (
            f"DynamoDB table {self.table!r} holds {what} that Corner Shop cannot read. "
            "It was left as it is: inspect it in the AWS console, and check that nothing "
            "but Corner Shop writes to this table."
        )


# -- botocore hooks ----------------------------------------------------------------
def _install_hooks(client: DynamoDBClient) -> None:
    """Register the deadline and reply checks on ``client`` (once, whoever calls)."""
    events = client.meta.events
    events.register("before-send.dynamodb", _before_send, unique_id=f"{_HOOK_ID}-send")
    events.register("after-call.dynamodb", _after_call, unique_id=f"{_HOOK_ID}-reply")


def _before_send(request: Any, **_: Any) -> None:
    """Before each attempt: refuse it after the deadline, and read no longer than it."""
    at = deadline.deadline_at()
    if at is None:
        return None  # not a store call (table creation, a test's own client use)
    left = at - time.monotonic()
    if left <= 0:
        raise _DeadlineExceeded("the call's deadline passed before this attempt")
    context = getattr(request, "context", None)
    if isinstance(context, dict):
        # botocore's per-request read timeout (URLLib3Session._get_request_timeout).
        context["read_timeout"] = min(READ_TIMEOUT_S, left)
    return None


def _after_call(http_response: Any, **_: Any) -> None:
    """After botocore's last attempt: the reply must be whole and uncorrupted."""
    if getattr(http_response, "raw", None) is None:
        return  # a Stubber answer: nothing came over the wire
    body: bytes = http_response.content
    headers = http_response.headers
    length = headers.get("content-length")
    if length is not None and length.strip().isdigit() and int(length) != len(body):
        raise _DamagedReply(f"the reply body has {len(body)} of its {int(length)} bytes")
    crc = headers.get("x-amz-crc32")
    if crc is not None and (not crc.strip().isdigit() or int(crc) != binascii.crc32(body)):
        raise _DamagedReply("the reply body does not match its x-amz-crc32 checksum")
    if 200 <= http_response.status_code < 300:
        try:
            parsed = json.loads(body) if body else None
        except (ValueError, RecursionError):
            parsed = None
        if not isinstance(parsed, dict):
            raise _DamagedReply("the reply body is not a JSON object")


def _reply_problem(operation: str, params: Mapping[str, Any], response: Any) -> str | None:
    """What is wrong with the shape of a successful reply, or None."""
    if not isinstance(response, dict):
        return "the reply is not a mapping"
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if status != 200:
        return f"the reply has HTTP status {status!r}, not 200"
    consumed = response.get("ConsumedCapacity")
    if operation.startswith("transact_"):
        if not isinstance(consumed, list):
            return "the reply has no ConsumedCapacity list"
    elif not isinstance(consumed, dict) or consumed.get("TableName") != params.get("TableName"):
        return "the reply has no ConsumedCapacity for the table"
    if operation == "get_item" and not isinstance(response.get("Item", {}), dict):
        return "the reply's Item is not a mapping"
    if operation == "transact_get_items":
        answers = response.get("Responses")
        wanted = len(params["TransactItems"])
        if not isinstance(answers, list) or len(answers) != wanted:
            return f"the reply does not have {wanted} Responses"
        if not all(isinstance(a, dict) and isinstance(a.get("Item", {}), dict) for a in answers):
            return "the reply has a Response that is not a mapping"
    if operation == "query":
        found = response.get("Items")
        if not isinstance(found, list) or not all(isinstance(i, dict) for i in found):
            return "the reply has no Items list"
    return None


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
    except (_DamagedReply, _DeadlineExceeded) as exc:  # the hooks on a store's client
        raise StoreError(
            f"Corner Shop could not {what} in DynamoDB table {table!r} "
            f"({type(exc).__name__.lstrip('_')}): {_describe(exc)}. Try again."
        ) from exc


def _client_like(old: DynamoDBClient) -> DynamoDBClient:
    """A new client with ``old``'s region, endpoint and configuration; credentials
    from the AWS environment."""
    import boto3.session

    return boto3.session.Session().client(
        "dynamodb",
        region_name=old.meta.region_name,
        endpoint_url=old.meta.endpoint_url,
        config=old.meta.config,
    )


def _close_client(client: DynamoDBClient) -> None:
    close = getattr(client, "close", None)
    if close is not None:
        close()


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


def _describe(exc: BaseException) -> str:
    """A damaged reply's problem for a message: our own words, or the exception's type."""
    if isinstance(exc, _DamagedReply | _DeadlineExceeded):
        return str(exc)
    return f"the reply could not be parsed ({type(exc).__name__})"


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


def _write_token(request_id: str) -> str:
    """What a cart write records in recent_writes: a digest of the request id (short
    and fixed-size, so 16 of them keep the item small), or a random token."""
    if not request_id:
        return secrets.token_hex(8)
    data = request_id.encode("utf-8", "surrogatepass")
    return "r" + hashlib.sha256(data).hexdigest()[:24]


def _written_by(item: Mapping[str, Any] | None, token: str) -> bool:
    """Whether a stored order item is the one the checkout attempt with ``token`` wrote."""
    return item is not None and item.get("write_token") == {"S": token}


def _status_written_by(item: Mapping[str, Any], token: str) -> bool:
    """Whether an order's status is the one the status change with ``token`` wrote."""
    return item.get("status_token") == {"S": token}


def _lines_json(cart: Cart) -> str:
    return json.dumps(cart.to_data(), separators=(",", ":"))


def _order_body(order: Order) -> str:
    """An order item's ``body``: the order without its notification state, which has an
    attribute of its own (so a status change never writes an old one back)."""
    data = order.to_data()
    data.pop("notification", None)
    return json.dumps(data, separators=(",", ":"))


def order_data(item: Mapping[str, Any]) -> Any:
    """What ``Order.from_data`` reads for an order item (or a stream record's image of
    one): its ``body`` with its ``notification`` laid over it.

    Raises KeyError, TypeError, ValueError or RecursionError for an item that is not
    one (callers turn them into a CorruptRecord, or skip the record).
    """
    data = json.loads(item["body"]["S"])
    if "notification" in item:
        if not isinstance(data, dict):
            raise ValueError("the order body is not an object")
        data["notification"] = json.loads(item["notification"]["S"])
    return data


def _order_attributes(order: Order) -> Item:
    return {
        "number": {"N": str(order.number)},
        "status": {"S": order.status.value},
        "created_at": {"S": order.created_at.isoformat()},
        "body": {"S": _order_body(order)},
    }


def _now() -> datetime:
    return datetime.now(UTC)
