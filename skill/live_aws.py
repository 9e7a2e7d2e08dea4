"""Live order updates on AWS: API Gateway's WebSocket API and the table's DynamoDB stream.

One Lambda function (``lambda/live_function.py``) serves both sides:

* **The WebSocket API's routes.** ``$connect`` checks the staff token in the query
  string (``wss://…/live?token=…``, issued by the dashboard, see
  :mod:`skill.live_token`) and records the connection; a missing, forged or expired
  token gets 401, which makes API Gateway refuse the handshake. ``$disconnect``
  deletes the record. ``$default`` (anything the browser sends, such as a keep-alive
  ping) is accepted and ignored: the browser only listens.
* **The stream.** The table's stream (``NEW_IMAGE``), filtered by the event source
  mapping to order items (``sk`` beginning ``ORDER#``, INSERT and MODIFY), brings
  every placed order, every status change and every change of an order's "ready"
  notification state (the store's ``notification`` attribute, laid over the body as
  the store reads it: :func:`skill.store.dynamodb.order_data`). Each becomes an order
  event (:func:`skill.shop_actions.order_event`, the JSON the one-machine dashboard
  gets)::

      {"type": "order", "order": Order.to_data() without user_id, "seq": N, "at": ISO}

  so a failed notification reaches every dashboard as ``order.notification``
  (``{"status": "failed", "detail", "at"}``).

  ``seq`` is the stream record's sequence number (it grows within a shard, and every
  order of a shop is in one partition, so in one shard), ``at`` the time DynamoDB
  recorded the change. The event goes to every connection of the order's shop with
  the API Gateway Management API (``post_to_connection``).

Connection records share the store's table::

    pk            sk                    attributes
    LIVE#<shop>   CONN#<connection id>  connected_at (S, ISO), expires_at (N, TTL: 2 h)

They have a partition of their own (not ``SHOP#<shop>``, where the orders are) so
that IAM can confine this function to it: its policy allows PutItem, DeleteItem and
Query only where ``dynamodb:LeadingKeys`` is ``LIVE#*``, so it can never write an
order or a cart. API Gateway closes a WebSocket connection after 2 hours at most, so
a record outlives its connection by :data:`CONNECTION_TTL_S` at most; DynamoDB's TTL
deletes it lazily (within days), and until then a query skips it.

Failures, and what they cost:

* A connection that is gone (410 ``GoneException``: the tab closed without a
  ``$disconnect``) loses its record at once; it is not posted to again in the batch.
* Any other failed post (throttled, timed out, 5xx) is logged and skipped: one bad
  connection never stops the others, and never holds up the stream.
* When the connections cannot be listed (DynamoDB failed), nobody got the event:
  the record is reported in ``batchItemFailures`` (the mapping has
  ``ReportBatchItemFailures``), and Lambda retries from it. So does every record
  left when the invocation is about to run out of time.
* A retried record reaches some connections twice. The dashboard takes an order
  event as the order's latest state, so a duplicate changes nothing.
* An order record that does not parse is logged (its number only) and skipped:
  retrying it cannot help, and it would hold up the shard.

Each post has bounded time (:data:`POST_CONNECT_TIMEOUT_S`,
:data:`POST_READ_TIMEOUT_S`, :data:`POST_ATTEMPTS` attempts). Logs name order numbers,
statuses and counts, connection ids only hashed (:func:`skill.logs.hashed`), and the
staff name on ``$connect``; never a customer's id, a token or an event.

boto3 and botocore are imported only in functions: this module is the home of the
Management API client (another AWS service than the store's); the DynamoDB client is
:func:`skill.store.dynamodb.new_client`'s.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from skill import live_token, logs
from skill.config import Settings
from skill.domain.orders import Order
from skill.errors import BadRequest, ConfigError, CorruptRecord, StoreError
from skill.shop_actions import order_event
from skill.store.dynamodb import order_data

__all__ = [
    "CONNECTION_TTL_S",
    "LiveConfig",
    "LiveUpdates",
    "management_client",
]

#: API Gateway ends every WebSocket connection after 2 h; a minute's margin for clocks.
CONNECTION_TTL_S = 2 * 60 * 60 + 60
POST_CONNECT_TIMEOUT_S = 0.5
POST_READ_TIMEOUT_S = 1.0
POST_ATTEMPTS = 2
#: Time kept back from the invocation's end: one post at worst, and the reply.
TIME_RESERVE_S = POST_ATTEMPTS * (POST_CONNECT_TIMEOUT_S + POST_READ_TIMEOUT_S) + 1.0
#: post_to_connection refuses larger messages (API Gateway's WebSocket limit).
MAX_MESSAGE_BYTES = 128 * 1024
#: Pages of connection records read per shop and batch (each page up to 1 MB).
MAX_CONNECTION_PAGES = 10

_CONNECTION_ID = re.compile(r"[A-Za-z0-9+/=_-]{1,128}")
_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
_LOOPBACK = re.compile(r"http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(/.*)?")
_log = logs.get_logger("live")

Client = Any  # a botocore client; boto3 builds their classes at run time
Clock = Callable[[], float]


# -- settings ------------------------------------------------------------------------
@dataclass(frozen=True)
class LiveConfig:
    """What the live-updates function needs, from its environment (the template sets it).

    ``CORNERSHOP_STORE`` (``dynamodb://TABLE``), ``CORNERSHOP_SHOP_ID`` and
    ``CORNERSHOP_LOG_LEVEL`` and ``CORNERSHOP_LIVE_SECRET`` (the token secret, shared
    with the dashboard) are read by :class:`~skill.config.Settings`, as for the skill;
    ``CORNERSHOP_LIVE_ENDPOINT`` (the Management API's
    ``https://<api>.execute-api.<region>.amazonaws.com/<stage>``) only here.
    """

    table: str
    shop_id: str
    secret: str
    endpoint: str
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LiveConfig:
        settings = Settings.from_env(env)
        scheme, _, rest = settings.store_url.partition("://")
        table = rest.strip("/")
        if scheme.lower() != "dynamodb" or not _TABLE_NAME.fullmatch(table):
            raise ConfigError(
                "Live updates on AWS need the orders in DynamoDB: set CORNERSHOP_STORE to "
                "dynamodb://TABLE (the template does)."
            )
        secret = settings.live_secret or ""
        live_token.check_secret(secret)
        endpoint = env.get("CORNERSHOP_LIVE_ENDPOINT", "").rstrip("/")
        if not (endpoint.startswith("https://") or _LOOPBACK.fullmatch(endpoint)):
            raise ConfigError(
                "CORNERSHOP_LIVE_ENDPOINT must be the WebSocket API's connection endpoint, "
                "https://API_ID.execute-api.REGION.amazonaws.com/STAGE (the template sets it)."
            )
        return cls(table, settings.shop_id, secret, endpoint, settings.log_level)


def management_client(endpoint: str, **client_kwargs: Any) -> Client:
    """An API Gateway Management API client for ``endpoint``, with bounded time.

    Region and credentials come from the AWS environment (Lambda sets them) unless
    ``client_kwargs`` (passed to ``Session.client``) say otherwise.
    """
    import boto3.session
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    config = Config(
        retries={"mode": "standard", "total_max_attempts": POST_ATTEMPTS},
        connect_timeout=POST_CONNECT_TIMEOUT_S,
        read_timeout=POST_READ_TIMEOUT_S,
    )
    try:
        return boto3.session.Session().client(
            "apigatewaymanagementapi", endpoint_url=endpoint, config=config, **client_kwargs
        )
    except BotoCoreError as exc:
        raise ConfigError(
            f"Corner Shop could not set up the API Gateway Management API client "
            f"({type(exc).__name__}). Set AWS_DEFAULT_REGION (Lambda sets it) and AWS "
            "credentials."
        ) from exc


# -- the function ------------------------------------------------------------------------
class LiveUpdates:
    """Build once per container (clients and all); call with every event."""

    def __init__(
        self,
        dynamodb: Client,
        management: Client,
        *,
        table: str,
        secret: str,
        shop_id: str = "main",
        clock: Clock = time.time,
    ) -> None:
        live_token.check_secret(secret)  # a ConfigError at start-up, not per connection
        if not shop_id or "#" in shop_id:
            raise ConfigError(
                f"The shop id {shop_id!r} cannot be used with DynamoDB: it must be "
                "non-empty and must not contain '#'. Choose a name such as 'main'."
            )
        self.dynamodb = dynamodb
        self.management = management
        self.table = table
        self.shop_id = shop_id
        self._secret = secret
        self._clock = clock

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> LiveUpdates:
        """Configured by ``env`` (see :class:`LiveConfig`), clients from the AWS environment."""
        from skill.store.dynamodb import new_client

        config = LiveConfig.from_env(env)
        logs.configure(config.log_level)
        return cls(
            new_client(),
            management_client(config.endpoint),
            table=config.table,
            secret=config.secret,
            shop_id=config.shop_id,
        )

    def __call__(self, event: Any, context: Any = None) -> dict[str, Any]:
        if isinstance(event, dict) and isinstance(event.get("Records"), list):
            return self.push(event["Records"], context)
        request = event.get("requestContext") if isinstance(event, dict) else None
        kind = request.get("eventType") if isinstance(request, dict) else None
        if kind == "CONNECT":
            return self.connect(event)
        if kind == "DISCONNECT":
            return self.disconnect(event)
        if kind == "MESSAGE":
            return _status(200)  # the browser only listens; a ping keeps the socket open
        _log.warning("live: ignored an event that is neither a WebSocket route nor a stream")
        return _status(400)

    # -- the WebSocket routes --------------------------------------------------------
    def connect(self, event: dict[str, Any]) -> dict[str, Any]:
        try:
            connection = _connection_id(event)
            staff = live_token.check(self._secret, _query_token(event), self._clock())
        except BadRequest as exc:
            _log.info("live: refused a connection: %s", exc)
            return _status(401)
        now = self._clock()
        try:
            self._aws(
                self.dynamodb.put_item,
                "record a connection",
                TableName=self.table,
                Item={
                    **self._connection_key(self.shop_id, connection),
                    "connected_at": {"S": datetime.fromtimestamp(now, UTC).isoformat()},
                    "expires_at": {"N": str(int(now) + CONNECTION_TTL_S)},
                },
            )
        except StoreError as exc:
            _log.error("live: %s", exc)
            return _status(500)  # the browser retries with a fresh token
        _log.info("live: staff %s connected (%s)", staff, logs.hashed(connection))
        return _status(200)

    def disconnect(self, event: dict[str, Any]) -> dict[str, Any]:
        try:
            connection = _connection_id(event)
        except BadRequest as exc:
            _log.warning("live: %s", exc)
            return _status(400)
        try:
            self._forget(self.shop_id, connection)
        except StoreError as exc:
            # Nothing to retry: the record expires with its TTL, and a post finds it gone.
            _log.error("live: %s", exc)
        else:
            _log.info("live: disconnected (%s)", logs.hashed(connection))
        return _status(200)  # API Gateway ignores what $disconnect answers

    # -- the stream ------------------------------------------------------------------
    def push(self, records: list[Any], context: Any = None) -> dict[str, Any]:
        """Send each order record's event to its shop's connections.

        Returns the partial batch response: the sequence numbers to retry.
        """
        failed: list[str] = []
        audiences: dict[str, list[str] | None] = {}
        for index, record in enumerate(records):
            if self._seconds_left(context) < TIME_RESERVE_S:
                rest = records[index:]
                failed.extend(s for s in map(_sequence_number, rest) if s is not None)
                _log.warning("live: out of time; %d stream records left for a retry", len(rest))
                break
            change = self._order_change(record)
            if change is None:
                continue
            shop, number, status, message = change
            if shop not in audiences:
                audiences[shop] = self._connections(shop)
            connections = audiences[shop]
            sequence = _sequence_number(record)
            if connections is None:
                if sequence is not None:
                    failed.append(sequence)
                continue
            sent, gone, unsent = self._send(shop, message, connections, context)
            if unsent and sequence is not None:
                failed.append(sequence)  # ran out of time part-way: retry for everyone
            _log.info(
                "live: order %s (%s) sent to %d connections, %d gone",
                number,
                status,
                sent,
                gone,
            )
        return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}

    def _order_change(self, record: Any) -> tuple[str, int, str, bytes] | None:
        """(shop, order number, status, message) for an order record; None for any other."""
        if not isinstance(record, dict) or record.get("eventSource") != "aws:dynamodb":
            return None
        if record.get("eventName") not in ("INSERT", "MODIFY"):
            return None
        change = record.get("dynamodb")
        if not isinstance(change, dict):
            return None
        pk, sk = _string(change.get("Keys"), "pk"), _string(change.get("Keys"), "sk")
        if pk is None or sk is None or not pk.startswith("SHOP#") or not sk.startswith("ORDER#"):
            return None
        try:
            image = change.get("NewImage")
            if not isinstance(image, dict) or _string(image, "body") is None:
                raise CorruptRecord("the record has no NewImage body")
            order = Order.from_data(order_data(image))
            seq = int(change["SequenceNumber"])
            at = datetime.fromtimestamp(float(change["ApproximateCreationDateTime"]), UTC)
        except (CorruptRecord, KeyError, TypeError, ValueError, OverflowError, RecursionError):
            _log.warning("live: skipped a stream record of %s that cannot be read", sk)
            return None
        message = json.dumps(
            order_event(order, seq=seq, at=at), separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
        if len(message) > MAX_MESSAGE_BYTES:
            _log.warning(
                "live: order %d is too large to send (%d bytes)", order.number, len(message)
            )
            return None
        return pk.removeprefix("SHOP#"), order.number, order.status.value, message

    def _connections(self, shop: str) -> list[str] | None:
        """The open connections of ``shop``, or None if they cannot be read."""
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "FilterExpression": "expires_at > :now",
            "ProjectionExpression": "sk",
            "ExpressionAttributeValues": {
                ":pk": {"S": f"LIVE#{shop}"},
                ":prefix": {"S": "CONN#"},
                ":now": {"N": str(int(self._clock()))},
            },
        }
        found: list[str] = []
        try:
            for _ in range(MAX_CONNECTION_PAGES):
                page = self._aws(self.dynamodb.query, "list the connections", **params)
                items = page.get("Items")
                if not isinstance(items, list):
                    raise StoreError("DynamoDB answered a query without Items.")
                found.extend(
                    sk.removeprefix("CONN#")
                    for item in items
                    if (sk := _string(item, "sk")) is not None
                )
                if "LastEvaluatedKey" not in page:
                    break
                params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except StoreError as exc:
            _log.error("live: %s", exc)
            return None
        return found

    def _send(
        self, shop: str, message: bytes, connections: list[str], context: Any
    ) -> tuple[int, int, bool]:
        """Post to each connection; forget the gone ones (also in ``connections``).

        Returns (sent, gone, whether time ran out before every connection had it).
        """
        sent = gone = 0
        for connection in list(connections):
            if self._seconds_left(context) < TIME_RESERVE_S:
                return sent, gone, True
            outcome = self._post(connection, message)
            if outcome == "sent":
                sent += 1
            elif outcome == "gone":
                gone += 1
                connections.remove(connection)
                try:
                    self._forget(shop, connection)
                except StoreError as exc:
                    _log.error("live: %s", exc)  # it expires with its TTL
        return sent, gone, False

    def _post(self, connection: str, message: bytes) -> str:
        """``sent``, ``gone`` (410) or ``failed``; never raises for AWS's answers."""
        client_error, botocore_error = _botocore_errors()
        try:
            self.management.post_to_connection(ConnectionId=connection, Data=message)
        except client_error as exc:
            code = _code(exc)
            status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "GoneException" or status == 410:
                return "gone"
            _log.warning("live: could not send to %s (%s)", logs.hashed(connection), code)
            return "failed"
        except botocore_error as exc:
            _log.warning(
                "live: could not send to %s (%s)", logs.hashed(connection), type(exc).__name__
            )
            return "failed"
        return "sent"

    # -- records ---------------------------------------------------------------------
    def _connection_key(self, shop: str, connection: str) -> dict[str, Any]:
        return {"pk": {"S": f"LIVE#{shop}"}, "sk": {"S": f"CONN#{connection}"}}

    def _forget(self, shop: str, connection: str) -> None:
        self._aws(
            self.dynamodb.delete_item,
            "delete a connection",
            TableName=self.table,
            Key=self._connection_key(shop, connection),
        )

    def _aws(self, method: Callable[..., Any], what: str, **params: Any) -> dict[str, Any]:
        """Call DynamoDB; every botocore failure becomes a StoreError naming its code only."""
        client_error, botocore_error = _botocore_errors()
        try:
            answer: dict[str, Any] = method(**params)
        except client_error as exc:
            raise StoreError(
                f"Corner Shop could not {what} in DynamoDB table {self.table!r} "
                f"({_code(exc)}). Check the table and the function's role."
            ) from exc
        except botocore_error as exc:
            raise StoreError(
                f"Corner Shop could not {what} in DynamoDB table {self.table!r} "
                f"({type(exc).__name__}). Check the network and the AWS configuration."
            ) from exc
        return answer

    @staticmethod
    def _seconds_left(context: Any) -> float:
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        return float("inf") if remaining is None else remaining() / 1000.0


# -- helpers -----------------------------------------------------------------------------
@functools.cache
def _botocore_errors() -> tuple[type[Exception], type[Exception]]:
    from botocore.exceptions import BotoCoreError, ClientError

    return ClientError, BotoCoreError


def _code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", "Unknown"))


def _status(code: int) -> dict[str, Any]:
    return {"statusCode": code}


def _connection_id(event: dict[str, Any]) -> str:
    connection = event["requestContext"].get("connectionId")
    if not isinstance(connection, str) or not _CONNECTION_ID.fullmatch(connection):
        raise BadRequest("The WebSocket event has no usable requestContext.connectionId.")
    return connection


def _query_token(event: dict[str, Any]) -> str:
    query = event.get("queryStringParameters")
    token = query.get("token") if isinstance(query, dict) else None
    if not isinstance(token, str) or not token:
        raise BadRequest("The connection has no token (wss://…?token=…).")
    return token


def _string(image: Any, name: str) -> str | None:
    """The string attribute ``name`` of a DynamoDB item image, or None."""
    value = image.get(name) if isinstance(image, dict) else None
    text = value.get("S") if isinstance(value, dict) else None
    return text if isinstance(text, str) else None


def _sequence_number(record: Any) -> str | None:
    change = record.get("dynamodb") if isinstance(record, dict) else None
    sequence = change.get("SequenceNumber") if isinstance(change, dict) else None
    return sequence if isinstance(sequence, str) else None
