"""Tell a customer's Echo that their order is ready, through Alexa Proactive Events.

When staff move an order to ready (:func:`skill.shop_actions.move_order`, from the CLI
or the dashboard), the hook made by :func:`order_ready_hook` hands the order to a
:class:`Notifier`. Its small pool of worker threads sends one ``AMAZON.OrderStatus.Updated``
event to that one customer (a ``Unicast``), so the staff action returns at once and a
failure can never block or undo it.

What is sent, and where:

- A Login with Amazon token from the skill's client id and secret (client-credentials
  grant, scope ``alexa::proactive_events``), cached until a minute before it expires and
  fetched again once if the events API says it is no longer good (HTTP 401 or 403).
- The events endpoint of the customer's region, North America, Europe or Far East, read
  from the ``apiEndpoint`` their checkout came through (:func:`region_of`); the
  development or the live stage by configuration.
- The schema is en-US only (Amazon's), so an order placed in any other locale sends
  nothing: the customer hears it through "where is my order".
- The schema has no "ready for pickup" state. Its states are ``PREORDER_RECEIVED``,
  ``ORDER_RECEIVED``, ``ORDER_PREPARING``, ``ORDER_SHIPPED``, ``ORDER_OUT_FOR_DELIVERY`` and
  ``ORDER_DELIVERED``; a ready order is sent as :data:`READY_STATE` (see there why).

A failure: HTTP 5xx, 429 and network errors or timeouts are retried with exponential
backoff (``Retry-After`` honoured, both capped), at most ``attempts`` times; other 4xx
answers are final. Then one log line names the order number and the reason (never a
user id), and the order carries ``"failed"`` for the dashboards.

Where the outcome is kept: on the order itself, in the store
(:meth:`Store.set_order_notification <skill.store.base.Store.set_order_notification>`,
an :class:`~skill.domain.orders.OrderNotification`), so every dashboard sees it, in any
process, after a restart, and on AWS (the table's stream pushes it). A worker writes
``pending`` when it takes the order up and ``sent`` or ``failed`` when its retries end;
a write that fails is logged (order number and error type) and changes nothing else.
In this process, a :class:`NotificationRegistry` also keeps each state and tells the
dashboards' live feed at once.

The HTTP is plain urllib with timeouts (as :mod:`skill.profile` does). The ASK SDK's
``ProactiveEventsServiceClient`` and ``LwaClient`` were not used: the LWA client puts
the client secret into the form body without URL-encoding it, caches tokens on the wall
clock with no way to inject one or to drop a token the API has rejected, and the
service client raises on 409, which here means "already accepted".
"""

from __future__ import annotations

import json
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable
from urllib.parse import urlsplit

from skill.domain.orders import NotificationStatus, OrderNotification
from skill.errors import ConfigError
from skill.logs import get_logger

if TYPE_CHECKING:
    from skill.domain.orders import Order

EVENT_NAME = "AMAZON.OrderStatus.Updated"
#: What the skill manifest declares and the checkout's consent card asks for.
NOTIFICATIONS_PERMISSION = "alexa::devices:all:notifications:write"
#: Amazon supports ``AMAZON.OrderStatus.Updated`` in en-US only.
SUPPORTED_LOCALES = frozenset({"en-US"})
LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
LWA_SCOPE = "alexa::proactive_events"
ORDER_STATES = frozenset(
    {
        "PREORDER_RECEIVED",
        "ORDER_RECEIVED",
        "ORDER_PREPARING",
        "ORDER_SHIPPED",
        "ORDER_OUT_FOR_DELIVERY",
        "ORDER_DELIVERED",
    }
)
#: The state a ready order is sent in. The schema has no "ready for pickup"; "delivered"
#: ("Your order from Corner Shop has been delivered") is the one that says the shop's
#: part is done, handed over to the pickup counter. "Out for delivery" and "shipped"
#: would promise a courier, and "being prepared" would say it is not ready yet.
READY_STATE = "ORDER_DELIVERED"
#: Amazon refuses an expiry less than five minutes or more than a day away.
MIN_EXPIRY = timedelta(minutes=5)
MAX_EXPIRY = timedelta(hours=24)
#: A token is used until this long before it expires, so it never expires in flight.
TOKEN_MARGIN = timedelta(seconds=60)
_MAX_BODY = 65536
_log = get_logger("notifications")


class Region(StrEnum):
    NORTH_AMERICA = "NA"
    EUROPE = "EU"
    FAR_EAST = "FE"


class Stage(StrEnum):
    DEVELOPMENT = "development"
    LIVE = "live"


#: The Alexa API host of each region: the ``apiEndpoint`` Alexa sends in requests from
#: customers there, and where their proactive events go.
API_HOSTS: Mapping[Region, str] = MappingProxyType(
    {
        Region.NORTH_AMERICA: "https://api.amazonalexa.com",
        Region.EUROPE: "https://api.eu.amazonalexa.com",
        Region.FAR_EAST: "https://api.fe.amazonalexa.com",
    }
)
_REGION_OF_HOST = {urlsplit(url).hostname: region for region, url in API_HOSTS.items()}


def region_of(api_endpoint: str | None) -> Region | None:
    """The region of an envelope's ``context.System.apiEndpoint``; None if it is not one
    of Alexa's (the offline simulator's, say)."""
    if not api_endpoint:
        return None
    try:
        host = urlsplit(api_endpoint.strip()).hostname
    except ValueError:
        return None
    return _REGION_OF_HOST.get(host)


def notifications_granted(system: Any) -> bool:
    """Whether an envelope's ``context.System`` (the SDK's model) says the customer
    allowed notifications: ``user.permissions.scopes[NOTIFICATIONS_PERMISSION].status``
    is ``GRANTED``. Anything missing means not granted."""
    permissions = getattr(getattr(system, "user", None), "permissions", None)
    scopes = getattr(permissions, "scopes", None)
    scope = scopes.get(NOTIFICATIONS_PERMISSION) if isinstance(scopes, Mapping) else None
    status = getattr(scope, "status", None)
    return getattr(status, "value", status) == "GRANTED"


def notifications_enabled(settings: object) -> bool:
    """Whether this shop sends notifications, so the checkout should ask for them. Only
    the client id is looked at (the skill's own function needs no secret), and settings
    without the field have notifications off."""
    return bool(str(getattr(settings, "lwa_client_id", None) or "").strip())


def events_path(stage: Stage) -> str:
    if stage is Stage.DEVELOPMENT:
        return "/v1/proactiveEvents/stages/development"
    return "/v1/proactiveEvents"


class _NotificationConfig(Protocol):
    """The fields of :class:`skill.config.Settings` that configure notifications."""

    @property
    def lwa_client_id(self) -> str | None: ...
    @property
    def lwa_client_secret(self) -> str | None: ...
    @property
    def events_stage(self) -> str: ...
    @property
    def shop_name(self) -> str: ...


@dataclass(frozen=True)
class NotificationSettings:
    """How to reach Alexa. Build it from ``Settings`` with :meth:`from_settings`; the URL
    fields exist so tests can point everything at fakes on 127.0.0.1."""

    client_id: str
    client_secret: str = field(repr=False)
    stage: Stage = Stage.DEVELOPMENT
    #: The seller's name in "Your order from <name> ...", for en-US.
    seller_name: str = "Corner Shop"
    #: Where an order that does not say its region goes (one placed before orders
    #: recorded it, or through the simulator).
    default_region: Region = Region.NORTH_AMERICA
    token_url: str = LWA_TOKEN_URL
    api_hosts: Mapping[Region, str] = field(default_factory=lambda: API_HOSTS)
    #: How long Alexa keeps the notification while the customer has not heard it: long
    #: enough for a day's pickup, short enough not to announce an order collected hours ago.
    expiry: timedelta = timedelta(hours=6)
    #: Seconds per HTTP call.
    timeout: float = 5.0
    #: Tries of one event in all (the first and the retries).
    attempts: int = 4
    #: Seconds before the first retry; doubled each time, at most ``max_backoff``.
    backoff: float = 1.0
    max_backoff: float = 30.0
    workers: int = 2
    #: Events waiting at most; past that a new one fails at once instead of piling up.
    queue_size: int = 1000

    def __post_init__(self) -> None:
        if not self.client_id.strip() or not self.client_secret.strip():
            raise ConfigError(
                "Notifications need the skill's Login with Amazon client id and secret. "
                "Set CORNERSHOP_LWA_CLIENT_ID and CORNERSHOP_LWA_CLIENT_SECRET (Alexa "
                "developer console, Build > Permissions), or set neither to send none."
            )
        if not self.seller_name.strip():
            raise ConfigError("CORNERSHOP_SHOP_NAME is empty. Set the shop's name.")
        if not MIN_EXPIRY <= self.expiry <= MAX_EXPIRY:
            raise ConfigError(
                f"A notification's expiry of {self.expiry} is outside what Alexa accepts. "
                "Use a value from 5 minutes to 24 hours."
            )
        missing = [region.value for region in Region if region not in self.api_hosts]
        if missing:
            raise ConfigError(f"No Alexa API host is given for region(s) {', '.join(missing)}.")
        if self.attempts < 1 or self.workers < 1 or self.queue_size < 1:
            raise ConfigError("attempts, workers and queue_size must each be at least 1.")
        if self.timeout <= 0 or self.backoff < 0 or self.max_backoff < self.backoff:
            raise ConfigError(
                "timeout must be positive and 0 <= backoff <= max_backoff, in seconds."
            )

    @classmethod
    def from_settings(cls, settings: _NotificationConfig) -> NotificationSettings | None:
        """The notification settings of ``settings``; None when the client id and
        secret are both unset (notifications off)."""
        client_id = (settings.lwa_client_id or "").strip()
        secret = (settings.lwa_client_secret or "").strip()
        if not client_id and not secret:
            return None
        try:
            stage = Stage(settings.events_stage.strip().lower())
        except ValueError as exc:
            raise ConfigError(
                f"CORNERSHOP_EVENTS_STAGE={settings.events_stage!r} is not a stage. Use "
                "development (until Amazon certifies the skill) or live."
            ) from exc
        return cls(client_id, secret, stage=stage, seller_name=settings.shop_name.strip())

    def events_url(self, region: Region) -> str:
        return self.api_hosts[region].rstrip("/") + events_path(self.stage)


# -- what is sent ----------------------------------------------------------------------
def iso_utc(moment: datetime) -> str:
    """``2026-11-27T10:15:00.000Z``: ISO 8601 in UTC with milliseconds, as Amazon's examples."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def new_reference_id(number: int) -> str:
    """Unique per event; only letters, digits and ``~``, which is what Amazon allows."""
    import uuid  # only where an event is made: it costs a skill process's import 2 ms

    return f"cornershop~order{number}~{uuid.uuid4().hex}"


def order_ready_event(
    order: Order, *, seller_name: str, now: datetime, expiry: timedelta, reference_id: str
) -> dict[str, Any]:
    """The Proactive Events request body telling ``order``'s customer it is ready."""
    return {
        "timestamp": iso_utc(now),
        "referenceId": reference_id,
        "expiryTime": iso_utc(now + expiry),
        "event": {
            "name": EVENT_NAME,
            "payload": {
                "state": {"status": READY_STATE},
                "order": {"seller": {"name": "localizedattribute:sellerName"}},
            },
        },
        "localizedAttributes": [{"locale": "en-US", "sellerName": seller_name}],
        "relevantAudience": {"type": "Unicast", "payload": {"user": order.user_id}},
    }


# -- the dashboard's view ------------------------------------------------------------------
Status = NotificationStatus
#: One state of a notification: ``status``, ``detail`` (why, in a few words for staff,
#: "HTTP 503 after 4 attempts"; no personal data) and ``at``. The same type the order
#: keeps in the store.
NotificationRecord = OrderNotification


@runtime_checkable
class NotificationMarks(Protocol):
    """Where the notifier keeps each order's notification state: the shop's store."""

    def set_order_notification(self, number: int, notification: OrderNotification) -> None: ...


#: Told of every change of a notification's state: ``listener(order number, record)``.
NotificationListener = Callable[[int, NotificationRecord], None]


class NotificationRegistry:
    """The notification state of the most recent orders, in this process (bounded).

    Listeners (the dashboard's live feed) hear of each change as it is recorded, on the
    thread that records it (a notifier worker); one that raises is logged and skipped.
    """

    def __init__(self, limit: int = 5000) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._records: OrderedDict[int, NotificationRecord] = OrderedDict()
        self._listeners: list[NotificationListener] = []

    def record(self, number: int, status: Status, detail: str, at: datetime) -> None:
        entry = NotificationRecord.of(status, detail, at)
        with self._lock:
            self._records[number] = entry
            self._records.move_to_end(number)
            while len(self._records) > self._limit:
                self._records.popitem(last=False)
            listeners = tuple(self._listeners)
        for listener in listeners:  # outside the lock: a listener may read the registry
            try:
                listener(number, entry)
            except Exception as exc:  # a dashboard's trouble never stops a notifier
                _log.warning(
                    "order %s: a notification listener failed: %s", number, type(exc).__name__
                )

    def subscribe(self, listener: NotificationListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: NotificationListener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def get(self, number: int) -> NotificationRecord | None:
        with self._lock:
            return self._records.get(number)


DEFAULT_REGISTRY = NotificationRegistry()


def notification_state(number: int) -> NotificationRecord | None:
    """What happened to order ``number``'s "ready" notification in this process."""
    return DEFAULT_REGISTRY.get(number)


def notification_status(number: int) -> Status | None:
    """``"pending"``, ``"sent"`` or ``"failed"``; None when nothing was sent for order
    ``number`` (not ready yet, not en-US, notifications off, or another process)."""
    record = DEFAULT_REGISTRY.get(number)
    return record.status if record else None


# -- HTTP ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Reply:
    status: int  # 0: no HTTP answer (timeout, refused, TLS)
    body: bytes = b""
    retry_after: float | None = None
    failure: str = ""


_ssl_context: Any = None


def _post(url: str, data: bytes, headers: Mapping[str, str], timeout: float) -> _Reply:
    # Imported here: urllib.request pulls in http.client, email and ssl, which a skill
    # request never needs.
    import urllib.error
    import urllib.request

    global _ssl_context
    parts = urlsplit(url)
    loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        return _Reply(0, failure="the URL is not https")
    context = None
    if parts.scheme == "https":
        if _ssl_context is None:
            import ssl

            _ssl_context = ssl.create_default_context()
        context = _ssl_context
    request = urllib.request.Request(url, data=data, method="POST", headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as resp:
            return _Reply(resp.status, resp.read(_MAX_BODY))
    except urllib.error.HTTPError as exc:
        with exc:
            body = exc.read(_MAX_BODY)
            return _Reply(exc.code, body, _retry_after(exc.headers.get("Retry-After")))
    except (OSError, ValueError) as exc:  # URLError, timeouts, resets, bad status lines
        reason = getattr(exc, "reason", exc)
        return _Reply(0, failure=type(reason).__name__)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: use our own backoff


# -- tokens ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Problem:
    """Why an attempt failed, and whether trying again may help."""

    reason: str
    retry: bool
    retry_after: float | None = None
    #: The API refused the token: fetch a new one and try again, once.
    new_token: bool = False


class TokenCache:
    """One Login with Amazon token for ``alexa::proactive_events``, shared by the workers."""

    def __init__(self, settings: NotificationSettings, clock: Callable[[], datetime]) -> None:
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._good_until = datetime.min.replace(tzinfo=UTC)

    def get(self) -> str | _Problem:
        with self._lock:  # one fetch at a time: the other workers wait for its token
            if self._token is not None and self._clock() < self._good_until:
                return self._token
            return self._fetch()

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (the API refused it), unless another worker already replaced it."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self) -> str | _Problem:
        from urllib.parse import urlencode

        settings = self._settings
        form = urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": settings.client_id,
                "client_secret": settings.client_secret,
                "scope": LWA_SCOPE,
            }
        ).encode("ascii")
        asked_at = self._clock()
        reply = _post(
            settings.token_url,
            form,
            {
                "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
                "Accept": "application/json",
            },
            settings.timeout,
        )
        if reply.status == 0:
            return _Problem(f"Login with Amazon unreachable ({reply.failure})", retry=True)
        if reply.status in (400, 401, 403):
            return _Problem(
                f"Login with Amazon refused the skill's credentials (HTTP {reply.status}); "
                "check CORNERSHOP_LWA_CLIENT_ID and CORNERSHOP_LWA_CLIENT_SECRET",
                retry=False,
            )
        if reply.status != 200:
            return _Problem(
                f"HTTP {reply.status} from Login with Amazon",
                retry=reply.status == 429 or reply.status >= 500,
                retry_after=reply.retry_after,
            )
        try:
            data = json.loads(reply.body)
            token, lifetime = data["access_token"], data["expires_in"]
        except (ValueError, TypeError, KeyError):
            return _Problem("Login with Amazon sent an unreadable token", retry=True)
        if not isinstance(token, str) or not token or type(lifetime) not in (int, float):
            return _Problem("Login with Amazon sent an unreadable token", retry=True)
        lifetime = timedelta(seconds=max(0.0, lifetime))
        self._token = token
        # Timed from when it was asked for: the token's clock started no later than that.
        self._good_until = asked_at + max(lifetime - TOKEN_MARGIN, lifetime / 2)
        return token


# -- sending ---------------------------------------------------------------------------
_STOP = object()


class Notifier:
    """Sends "ready" events from ``settings.workers`` threads, started on first use."""

    def __init__(
        self,
        settings: NotificationSettings,
        *,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], object] | None = None,
        registry: NotificationRegistry | None = None,
        marks: NotificationMarks | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry if registry is not None else DEFAULT_REGISTRY
        #: The store each order's state is written to (None: this process only).
        self.marks = marks
        self._clock = clock or (lambda: datetime.now(UTC))
        self._stopping = threading.Event()
        # The default sleep wakes up when the notifier closes, so shutdown is not held
        # up by a backoff.
        self._sleep = sleep or self._stopping.wait
        self.tokens = TokenCache(settings, self._clock)
        self._queue: queue.Queue[Order | object] = queue.Queue(maxsize=settings.queue_size)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._unfinished = 0  # queued or being sent
        self._threads: list[threading.Thread] = []
        self._closed = False

    # -- the staff side: never blocks, never raises
    def submit(self, order: Order) -> bool:
        """Queue ``order``'s "ready" event. False (and nothing queued) for a locale the
        schema does not support; a full queue or a closed notifier records a failure."""
        if order.locale not in SUPPORTED_LOCALES:
            _log.info(
                "order %s: no ready notification (Alexa's order status events are en-US "
                "only; the order is %s)",
                order.number,
                order.locale,
            )
            return False
        now = self._clock()
        refused = ""
        with self._lock:
            if self._closed:
                refused = "not sent: the notifier was closed"
            else:
                self._start_workers()
                self.registry.record(order.number, "pending", "waiting to be sent", now)
                try:
                    self._queue.put_nowait(order)
                except queue.Full:
                    refused = "not sent: too many notifications waiting"
                else:
                    self._unfinished += 1
        if refused:
            # Outside the lock: storing the mark (on this, the staff action's thread, as
            # no worker will) never holds up other submits or a flush.
            self._fail(order.number, refused, now)
        return True

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for every queued event to be sent or given up;
        whether they all were. (The CLI calls it before it exits; so must a Lambda.)"""
        with self._idle:
            return self._idle.wait_for(lambda: self._unfinished == 0, timeout)

    def close(self, timeout: float = 10.0) -> bool:
        """Send what is queued (for up to ``timeout`` seconds), then stop the workers.
        What is still queued then is recorded as failed, unsent; an event in flight gets
        no more retries."""
        with self._lock:
            self._closed = True
        finished = self.flush(timeout)
        self._stopping.set()
        for _ in self._threads:
            self._queue.put(_STOP)
        return finished

    def _start_workers(self) -> None:
        while len(self._threads) < self.settings.workers:
            thread = threading.Thread(
                target=self._work, name=f"notify-{len(self._threads)}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            order = cast("Order", item)
            try:
                if self._stopping.is_set():
                    self._fail(order.number, "not sent: the notifier was closed", self._clock())
                else:
                    # Stored here, not in submit(): the staff action never waits for it.
                    self._store(order.number, "pending", "waiting to be sent", self._clock())
                    self._deliver_logged(order)
            finally:
                with self._idle:
                    self._unfinished -= 1
                    self._idle.notify_all()

    def _deliver_logged(self, order: Order) -> None:
        number = order.number
        try:
            status, detail = self.deliver(order)
        except Exception as exc:  # a bug here must not kill the worker or leave "pending"
            status, detail = "failed", f"not sent: {type(exc).__name__}"
        if status == "failed":
            self._fail(number, detail, self._clock())
        else:
            now = self._clock()
            self.registry.record(number, status, detail, now)
            _log.info("order %s: ready notification %s", number, detail)
            self._store(number, status, detail, now)

    def _fail(self, number: int, detail: str, now: datetime) -> None:
        self.registry.record(number, "failed", detail, now)
        # The one line a failed notification leaves: the order number and the reason.
        _log.warning("order %s: ready notification failed: %s", number, detail)
        self._store(number, "failed", detail, now)

    def _store(self, number: int, status: Status, detail: str, now: datetime) -> None:
        """Keep the state on the order in the store; a failure is logged, never raised."""
        if self.marks is None:
            return
        try:
            self.marks.set_order_notification(number, OrderNotification.of(status, detail, now))
        except Exception as exc:  # the store's trouble never stops a notifier
            # The error's type only: a store's message may name paths or keys.
            _log.warning(
                "order %s: the ready notification's state (%s) could not be stored: %s",
                number,
                status,
                type(exc).__name__,
            )

    # -- one event, on a worker thread
    def deliver(self, order: Order) -> tuple[Status, str]:
        """Send ``order``'s event now, with the retries; ``(status, detail)``."""
        settings = self.settings
        region = self._region(order)
        body = json.dumps(
            order_ready_event(
                order,
                seller_name=settings.seller_name,
                now=self._clock(),
                expiry=settings.expiry,
                reference_id=new_reference_id(order.number),
            ),
            ensure_ascii=False,
        ).encode("utf-8")
        url = settings.events_url(region)
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            outcome = self._attempt(url, body)
            if isinstance(outcome, str):
                return "sent", f"{outcome} (attempt {attempt})"
            if outcome.new_token and not refreshed:
                refreshed = True  # once, and it does not count as a try
                attempt -= 1
                continue
            if not outcome.retry:
                return "failed", outcome.reason
            if attempt >= settings.attempts:
                return "failed", f"{outcome.reason} after {attempt} attempts"
            if self._stopping.is_set():
                return "failed", f"{outcome.reason}; gave up at shutdown"
            self._sleep(self._delay(attempt, outcome.retry_after))

    def _attempt(self, url: str, body: bytes) -> str | _Problem:
        token = self.tokens.get()
        if isinstance(token, _Problem):
            return token
        reply = _post(
            url,
            body,
            {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            self.settings.timeout,
        )
        if 200 <= reply.status < 300:
            return "accepted by Alexa"
        if reply.status == 409:
            # This referenceId was accepted before: an earlier try got through although
            # its answer was lost. Sending again would notify twice.
            return "accepted by Alexa earlier"
        if reply.status in (401, 403):
            # 401 is an expired or revoked token; the SDK documents 403 for an invalid
            # one too. After a fresh token, a refusal means the skill may not send this
            # event (not declared in the manifest, or another skill's client id).
            self.tokens.invalidate(token)
            return _Problem(
                f"HTTP {reply.status} from the Proactive Events API: check that the client "
                f"id is this skill's and that its manifest publishes {EVENT_NAME}",
                retry=False,
                new_token=True,
            )
        if reply.status == 0:
            return _Problem(f"events API unreachable ({reply.failure})", retry=True)
        retry = reply.status == 429 or reply.status >= 500
        reason = f"HTTP {reply.status} from the Proactive Events API"
        if reply.status == 400:
            reason += f" ({_api_code(reply.body)})"
        return _Problem(reason, retry=retry, retry_after=reply.retry_after)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        settings = self.settings
        delay = settings.backoff * (1 << (attempt - 1))
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, settings.max_backoff)

    def _region(self, order: Order) -> Region:
        # The region the customer's checkout came through (Order.api_region); orders
        # placed before orders recorded it, or through the simulator, have none.
        try:
            return Region(order.api_region)
        except ValueError:
            return self.settings.default_region


def _api_code(body: bytes) -> str:
    """The error code of an API answer ("INVALID_DATA"), never its message text, which
    could echo what was sent."""
    try:
        code = json.loads(body).get("code")
    except (ValueError, AttributeError):
        return "no error code"
    return code if isinstance(code, str) and code.replace("_", "").isalnum() else "no error code"


# -- the hook ----------------------------------------------------------------------------
class OrderReadyHook:
    """``hook(before, after)`` for :func:`skill.shop_actions.move_order`."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier

    def __call__(self, before: Order, after: Order) -> None:
        from skill.domain.orders import OrderStatus

        # Only ``after`` is looked at: a status never follows itself, so an order
        # becomes ready once, and move_order may pass the same order as both.
        if after.status is OrderStatus.READY:
            self.notifier.submit(after)

    def close(self, timeout: float = 10.0) -> bool:
        return self.notifier.close(timeout)


def order_ready_hook(
    settings: NotificationSettings | _NotificationConfig | None,
    *,
    clock: Callable[[], datetime] | None = None,
    registry: NotificationRegistry | None = None,
    store: object = None,
) -> OrderReadyHook | None:
    """The hook that tells customers their order is ready; None when notifications are
    not configured (no client id and secret). With ``store`` (the shop's), each order's
    notification state is kept on the order there, for every dashboard."""
    if settings is not None and not isinstance(settings, NotificationSettings):
        settings = NotificationSettings.from_settings(settings)
    if settings is None:
        return None
    marks = store if isinstance(store, NotificationMarks) else None
    return OrderReadyHook(Notifier(settings, clock=clock, registry=registry, marks=marks))
