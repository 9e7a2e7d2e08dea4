"""The change feed behind live dashboards: new orders and status changes, numbered.

One :class:`ChangeFeed` per process, shared by every open dashboard. Changes reach
it two ways:

* **Polling the store**, by one thread for the whole process (never one per
  client), every :data:`POLL_INTERVAL` seconds while any dashboard is listening
  and not at all when none has been for :data:`IDLE_AFTER` seconds. It reads the
  shop's latest :data:`WINDOW` orders and compares them with what it saw last: so
  it sees checkouts made by the skill, and orders moved by ``cornershop orders``
  in another process, within about half a second.
* **Publishing** (:meth:`ChangeFeed.hook`, an ``on_change`` hook of
  :func:`skill.shop_actions.move_order`): a change made by this process's
  dashboards is announced at once, without waiting for the next poll.

Each change becomes an event, :func:`skill.shop_actions.order_event` (the order
without its customer id), with the next sequence number (and so does each change of
a "ready" notification's state, :meth:`ChangeFeed.notification`), kept in a ring buffer of
the last :data:`CAPACITY` events. A client holds a *cursor*, ``<feed id>-<seq>``
(the id is random per process, so a cursor from before a restart, or from another
process, is recognised as foreign): asking for events after its cursor returns what
it missed, or ``reload`` when the ring no longer holds them all (or the cursor is
foreign), and the client then fetches the full list again.

An order's status only moves forward (placed, ready, then collected or cancelled),
so the feed only announces a status later than the one it knows. That keeps a poll
that read the store just before a published change from announcing the old status
again. The state of its "ready" notification, kept on the order in the store by
whichever process sent it, moves forward too (none, pending, then sent or failed):
an order whose notification state moved on is announced again, so a failure
recorded by another process reaches this process's dashboards with the next poll.
Announcing the same state twice is harmless: clients replace the order's row with
whatever the event says.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from skill.logs import get_logger
from skill.shop_actions import order_event

if TYPE_CHECKING:
    from skill.domain.orders import Order

POLL_INTERVAL = 0.5
IDLE_AFTER = 30.0
CAPACITY = 1000
#: How many of the latest orders each poll reads (and "today's orders" come from).
WINDOW = 200
#: An event stream lasts this long, then the browser reconnects (``retry``) with its
#: Last-Event-ID: a stream holds one of the web server's few worker threads.
STREAM_SECONDS = 25.0
#: A comment line this often keeps proxies from timing the stream out, and makes a
#: stream whose client has gone end within that time (the write fails).
HEARTBEAT_SECONDS = 5.0
RETRY_MS = 500
#: Streams beyond the limit get what they missed and are closed at once: the browser
#: comes back after this long, so they poll instead of holding a thread. With the
#: poll interval, a change reaches them within about a second
#: (bench/bench_dashboard.py).
BUSY_RETRY_MS = 500

_RANK = {"placed": 0, "ready": 1, "collected": 2, "cancelled": 2}
_NOTIFICATION_RANK = {"pending": 1, "sent": 2, "failed": 2}

_log = get_logger("dashboard")


@dataclass(frozen=True, slots=True)
class Batch:
    """What a client gets for its cursor: the events after it and its new cursor."""

    events: tuple[dict[str, Any], ...]
    cursor: str
    #: The client missed more than the feed remembers (or its cursor is foreign):
    #: it must fetch the full list again.
    reload: bool = False


class ChangeFeed:
    """See the module docstring. ``read`` returns the latest orders, newest first."""

    def __init__(
        self,
        read: Callable[[], Sequence[Order]],
        *,
        interval: float = POLL_INTERVAL,
        capacity: int = CAPACITY,
        idle_after: float = IDLE_AFTER,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.id = secrets.token_hex(4)
        self._read = read
        self._interval = interval
        self._idle_after = idle_after
        self._clock = clock
        self._now = now
        self._cond = threading.Condition()
        self._poll_lock = threading.Lock()  # one store read at a time, poller or snapshot
        self._events: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._seq = 0
        # order number -> (status, notification status); None: no read yet
        self._known: dict[int, tuple[str, str]] | None = None
        self._listening_until = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._failing = False

    # -- what clients call ---------------------------------------------------------
    def cursor(self) -> str:
        with self._cond:
            return self._cursor()

    def snapshot(self) -> tuple[list[Order], str]:
        """The latest orders, read now, and the cursor to follow changes from.

        The cursor is taken *before* the read, so a change that lands during it is
        announced after the cursor too: a client may see it twice, never miss it.
        """
        self._listen()
        with self._poll_lock:
            cursor = self.cursor()
            orders = list(self._read())
            self._absorb(orders)
        return orders, cursor

    def wait(self, cursor: str | None, timeout: float) -> Batch:
        """The events after ``cursor``, waiting up to ``timeout`` s for the first one."""
        self._listen()
        deadline = self._clock() + timeout
        with self._cond:
            while True:
                batch = self._after(cursor)
                if batch.events or batch.reload or self._closed:
                    return batch
                left = deadline - self._clock()
                if left <= 0:
                    return batch
                self._cond.wait(left)

    def publish(self, order: Order) -> None:
        """Announce ``order`` as it is now (a change this process made)."""
        with self._cond:
            if self._known is None:
                self._known = {}
            self._note(order)

    def hook(self, before: Order, after: Order) -> None:
        """An ``on_change`` hook for :func:`skill.shop_actions.move_order`."""
        self.publish(after)

    def notification(self, number: int, state: Mapping[str, str]) -> None:
        """Announce what became of order ``number``'s "ready" notification to its
        customer's Echo: ``{"type": "notification", "number": N, "notification":
        {"status", "detail", "at"}, "seq", "at"}`` (no customer data in ``detail``)."""
        with self._cond:
            self._seq += 1
            self._events.append(
                {
                    "type": "notification",
                    "number": number,
                    "notification": dict(state),
                    "seq": self._seq,
                    "at": self._now().isoformat(),
                }
            )
            self._cond.notify_all()

    def close(self) -> None:
        """Stop polling and end every waiting client at once."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    @property
    def closed(self) -> bool:
        return self._closed

    # -- the ring ------------------------------------------------------------------
    def _cursor(self) -> str:
        return f"{self.id}-{self._seq}"

    def _after(self, cursor: str | None) -> Batch:
        here = self._cursor()
        feed, _, raw = (cursor or "").partition("-")
        seq = int(raw) if raw.isdigit() and len(raw) < 19 else -1
        if feed != self.id or not 0 <= seq <= self._seq:
            return Batch((), here, reload=True)
        if seq == self._seq:
            return Batch((), here)
        oldest = self._events[0]["seq"] if self._events else self._seq + 1
        if seq < oldest - 1:
            return Batch((), here, reload=True)
        return Batch(tuple(e for e in self._events if e["seq"] > seq), here)

    def _note(self, order: Order) -> None:
        """Record ``order``'s state and announce it, if it is new or moved forward."""
        assert self._known is not None
        state = _state(order)
        known = self._known.get(order.number)
        if known is not None and _rank(state) <= _rank(known):
            return
        self._known[order.number] = state
        self._seq += 1
        self._events.append(order_event(order, self._seq, self._now()))
        self._cond.notify_all()

    def _absorb(self, orders: Sequence[Order]) -> None:
        with self._cond:
            if self._known is None:  # the first read is the baseline: nothing to compare
                self._known = {o.number: _state(o) for o in orders}
                return
            for order in reversed(orders):  # oldest first, so numbers rise with seq
                self._note(order)
            if len(orders) >= WINDOW:
                # Forget orders that have left the window, so memory stays bounded.
                lowest = min(o.number for o in orders)
                for number in [n for n in self._known if n < lowest]:
                    del self._known[number]

    # -- the poller ------------------------------------------------------------------
    def _listen(self) -> None:
        self._listening_until = self._clock() + self._idle_after
        if self._thread is None and not self._closed:
            with self._cond:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="cornershop-feed", daemon=True
                    )
                    self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while not self._closed:
            if self._clock() >= self._listening_until:
                self._wake.clear()
                if self._clock() >= self._listening_until:
                    self._wake.wait()  # nobody is listening: no store reads
                continue
            self.poll()
            self._stop.wait(self._interval)

    def poll(self) -> None:
        """Read the store once and announce what changed (the poller calls this)."""
        try:
            with self._poll_lock:
                self._absorb(list(self._read()))
        except Exception as exc:  # a failing store must not end the poller
            if not self._failing:
                _log.warning("the dashboard feed cannot read orders: %s", type(exc).__name__)
            self._failing = True
            return
        if self._failing:
            _log.info("the dashboard feed reads orders again")
        self._failing = False


def _state(order: Order) -> tuple[str, str]:
    notification = order.notification
    return order.status.value, notification.status if notification is not None else ""


def _rank(state: tuple[str, str]) -> tuple[int, int]:
    """Status first: a later status is news whatever the notification says."""
    return _RANK.get(state[0], 0), _NOTIFICATION_RANK.get(state[1], 0)


def sse_stream(
    feed: ChangeFeed,
    cursor: str | None,
    slots: threading.BoundedSemaphore,
    *,
    seconds: float = STREAM_SECONDS,
    heartbeat: float = HEARTBEAT_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    still_valid: Callable[[], bool] | None = None,
) -> Generator[bytes, None, None]:
    """A server-sent event stream of ``feed`` after ``cursor``, for ``seconds`` at most.

    Each event's ``id`` is its cursor, so the browser's automatic reconnection (after
    ``retry`` ms) sends it back as ``Last-Event-ID`` and gets exactly what it missed.
    ``reload`` is sent as ``event: reload``. Only as many streams as ``slots`` allows
    stay open; any other gets its events and ends at once (a poll). ``still_valid``
    (the session's check) is asked at every heartbeat: once it says no, the stream
    ends, and the browser's reconnection meets the login check.
    """
    held = slots.acquire(blocking=False)
    try:
        yield f"retry: {RETRY_MS if held else BUSY_RETRY_MS}\n\n".encode()
        if not held:
            yield b": busy: every stream is taken, so this one polls\n\n"
        end = clock() + (seconds if held else 0.0)
        next_check = clock() + heartbeat
        while True:
            batch = feed.wait(cursor, timeout=max(min(heartbeat, end - clock()), 0.0))
            if batch.reload:
                yield b"event: reload\ndata: {}\n\n"
                return
            for event in batch.events:
                data = json.dumps(event, separators=(",", ":"))
                yield f"id: {feed.id}-{event['seq']}\ndata: {data}\n\n".encode()
            cursor = batch.cursor
            if feed.closed or clock() >= end:
                return
            if still_valid is not None and clock() >= next_check:
                if not still_valid():
                    return
                next_check = clock() + heartbeat
            if not batch.events:
                yield b": still here\n\n"
    finally:
        if held:
            slots.release()
