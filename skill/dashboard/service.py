"""The staff dashboard's behaviour, for any web layer: logins, today's orders, actions.

:class:`Dashboard` is what ``skill/web.py`` calls from its ``/shop`` routes; it knows
nothing of Flask. Sessions are plain dicts (the web layer keeps them in a signed
cookie), see :mod:`skill.dashboard.auth`.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from skill.dashboard import auth
from skill.dashboard.feed import HEARTBEAT_SECONDS, STREAM_SECONDS, ChangeFeed, sse_stream
from skill.dashboard.staff import (
    MAX_PASSWORD,
    StaffDirectory,
    check_name,
    is_name,
    verify_password,
    waste_a_check,
)
from skill.errors import CornerShopError
from skill.logs import get_logger, hashed
from skill.shop_actions import OrderHook, move_order, public_order

if TYPE_CHECKING:
    from skill.domain.orders import Order
    from skill.notifications import NotificationRecord, NotificationRegistry
    from skill.store import Store

#: Dashboard actions and the status each one moves an order to.
ACTIONS = {"ready": "ready", "collected": "collected", "cancel": "cancelled"}
#: Event streams held open at once per process (each holds a web server thread).
MAX_STREAMS = 4
#: Password checks at once (each is ~0.1 s of CPU and 32 MiB); more wait their turn.
PASSWORD_CHECKS = 2
PASSWORD_WAIT_S = 3.0

_log = get_logger("dashboard")


def zone_name(zone: tzinfo) -> str:
    key = getattr(zone, "key", None)
    return key if isinstance(key, str) else "UTC"


@dataclass(frozen=True, slots=True)
class LoginResult:
    """``staff`` is set on success; otherwise ``status`` (401, 429, 503) and ``message``."""

    staff: str | None
    status: int = 200
    message: str = ""
    retry_after: int = 0


class DashboardUnavailable(CornerShopError):
    """The dashboard cannot work right now (no staff accounts in this store, store down)."""


#: Order numbers one ``/shop/notifications`` request may ask about.
MAX_NOTIFICATION_QUERY = 100
#: How long a session found *not* logged out in the store is believed so, per process:
#: a logout through another process is honoured here within this many seconds.
REVOCATION_CHECK_S = 5.0
#: Sessions whose "not logged out" answer is remembered at once (then the oldest go).
REVOCATION_CACHE = 10_000


@dataclass(frozen=True)
class LiveLink:
    """Where browsers take live updates from on AWS: API Gateway's WebSocket API.

    ``url`` is the stack's ``LiveUpdatesUrl`` (``wss://…/live``); ``secret`` signs the
    short-lived tokens its ``$connect`` checks (:mod:`skill.live_token`), one per
    connection, issued to a logged-in member of staff.
    """

    url: str
    secret: str = field(repr=False)
    token_ttl: float = 120.0

    def __post_init__(self) -> None:
        from skill.config import check_live_url
        from skill.live_token import check_secret

        check_live_url(self.url)
        check_secret(self.secret)

    @property
    def origin(self) -> str:
        """``wss://host[:port]``, for the page's Content-Security-Policy."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    def ticket(self, staff: str, now: float) -> dict[str, Any]:
        """What ``GET /shop/live-token`` answers: the URL, a token and when it expires."""
        from skill.live_token import issue

        return {
            "url": self.url,
            "token": issue(self.secret, staff, self.token_ttl, now=now),
            "expires_in": int(self.token_ttl),
        }


def notification_json(record: NotificationRecord) -> dict[str, str]:
    """A "ready" notification's state as staff screens get it (no customer data)."""
    return record.to_data()


def _latest(*records: NotificationRecord | None) -> NotificationRecord | None:
    """The most recent of some states of one notification (the store's and this process's)."""
    found = [r for r in records if r is not None]
    return max(found, key=lambda r: r.at) if found else None


class Dashboard:
    """One shop's staff dashboard in one process. Build once; :meth:`close` at the end."""

    def __init__(
        self,
        store: Store,
        staff: StaffDirectory | None,
        *,
        zone: tzinfo = UTC,
        secret: bytes | None = None,
        hooks: Sequence[OrderHook] = (),
        limiter: auth.LoginLimiter | None = None,
        feed: ChangeFeed | None = None,
        live: LiveLink | None = None,
        notifications: NotificationRegistry | None = None,
        max_streams: int = MAX_STREAMS,
        stream_seconds: float = STREAM_SECONDS,
        heartbeat: float = HEARTBEAT_SECONDS,
        clock: Callable[[], float] = time.time,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        from skill.dashboard.feed import WINDOW

        self.store = store
        self.staff = staff
        self.zone = zone
        self.limiter = limiter or auth.LoginLimiter()
        #: Sessions logged out, as this process knows (its own logouts, and the store's
        #: it has seen); the store's list is the one every process shares.
        self.revoked = auth.RevokedSessions(clock=clock)
        self._not_revoked: OrderedDict[str, float] = OrderedDict()
        self._not_revoked_lock = threading.Lock()
        self.feed = feed or ChangeFeed(lambda: store.list_orders(limit=WINDOW))
        self.hooks: tuple[OrderHook, ...] = (self.feed.hook, *hooks)
        self.live = live
        if notifications is None:
            from skill.notifications import DEFAULT_REGISTRY

            notifications = DEFAULT_REGISTRY
        #: What became of each "ready" notification this process sent; its changes
        #: reach the feed, so every open dashboard shows a failure on the order's row.
        self.notifications = notifications
        notifications.subscribe(self._notified)
        self._secret = secret
        self._secret_lock = threading.Lock()
        self._streams = threading.BoundedSemaphore(max_streams)
        self._stream_seconds = stream_seconds
        self._heartbeat = heartbeat
        self._checks = threading.BoundedSemaphore(PASSWORD_CHECKS)
        self._clock = clock
        self._now = now

    # -- the session secret ------------------------------------------------------
    def secret(self) -> bytes:
        """The key that signs session cookies (``StoreError`` if the store can't give it)."""
        if self._secret is None:
            with self._secret_lock:
                if self._secret is None:
                    self._secret = self._directory().session_secret()
        return self._secret

    def _directory(self) -> StaffDirectory:
        if self.staff is None:
            raise DashboardUnavailable(
                "This store keeps no staff accounts, so nobody can log in to the dashboard. "
                "Use a SQLite, DynamoDB or memory store."
            )
        return self.staff

    # -- logging in and out --------------------------------------------------------
    def login(self, raw_name: str, password: str, address: str) -> LoginResult:
        """Check a login; on success the caller starts a session with :meth:`claims`."""
        name = raw_name.strip().lower()[:64]
        wait = self.limiter.retry_after(address, name)
        if wait > 0:
            minutes = max(1, round(wait / 60))
            _log.warning("login refused (too many failures) from %s", hashed(address))
            return LoginResult(
                None,
                429,
                f"Too many failed logins. Try again in about {minutes} minute"
                f"{'s' if minutes != 1 else ''}.",
                int(wait) + 1,
            )
        if not self._checks.acquire(timeout=PASSWORD_WAIT_S):
            return LoginResult(None, 503, "The shop is busy. Try again in a moment.")
        try:
            member = self._directory().get_staff(name) if is_name(name) else None
            if member is None:
                waste_a_check(password)
                ok = False
            else:
                ok = len(password) <= MAX_PASSWORD and verify_password(
                    member.password_hash, password
                )
        finally:
            self._checks.release()
        if not ok:
            self.limiter.failed(address, name)
            # A name with no account is not logged: people type their password there.
            who = f"staff {name}" if member is not None else "a name with no account"
            _log.warning("failed login for %s from %s", who, hashed(address))
            return LoginResult(None, 401, "That name and password do not match an account.")
        _log.info("staff %s logged in", name)
        return LoginResult(name)

    def claims(self, name: str) -> dict[str, Any]:
        """A new session for ``name`` (who just logged in)."""
        member = self._directory().get_staff(check_name(name))
        if member is None:
            raise DashboardUnavailable(f"The staff account {name} was removed just now.")
        return auth.new_claims(self.secret(), member.name, member.password_hash, self._clock())

    def staff_for(self, session: Mapping[str, Any]) -> str | None:
        """The staff name of a valid session, else None (StoreError if the store is down).

        Valid: signed by the shop (the web layer checked), fresh, not logged out (in this
        process, or in the store by any process: :meth:`_logged_out_elsewhere`), and its
        account still exists with the password it was opened with, read from the store
        on every call, so removing an account ends its sessions everywhere at once.
        """
        claims = auth.Claims.of(session)
        if claims is None or not claims.fresh(self._clock()) or claims.sid in self.revoked:
            return None
        directory = self._directory()
        member = directory.get_staff(claims.staff) if is_name(claims.staff) else None
        if member is None:
            return None
        expected = auth.password_tag(self.secret(), member.name, member.password_hash)
        if not hmac.compare_digest(expected, claims.key):
            return None
        if self._logged_out_elsewhere(directory, claims):
            return None
        return member.name

    def _logged_out_elsewhere(self, directory: StaffDirectory, claims: auth.Claims) -> bool:
        """Whether the store says ``claims`` was logged out (by any process).

        A "no" is believed for :data:`REVOCATION_CHECK_S` seconds, so an open dashboard
        costs the store one read per session every few seconds, not one per request. A
        "yes" is remembered in :attr:`revoked` for the rest of the session's life.
        """
        now = self._clock()
        with self._not_revoked_lock:
            checked = self._not_revoked.get(claims.sid)
            if checked is not None and checked <= now < checked + REVOCATION_CHECK_S:
                return False
        if directory.session_revoked(claims.sid):
            self.revoked.revoke(claims)
            with self._not_revoked_lock:
                self._not_revoked.pop(claims.sid, None)
            return True
        with self._not_revoked_lock:
            self._not_revoked[claims.sid] = now
            self._not_revoked.move_to_end(claims.sid)
            while len(self._not_revoked) > REVOCATION_CACHE:
                self._not_revoked.popitem(last=False)
        return False

    def logout(self, session: MutableMapping[str, Any]) -> None:
        """End the session: here at once, and in every process through the store.

        If the store cannot record it, the session still ends in this process and in
        the browser (its cookie is cleared); the failure is logged, and other processes
        would accept a copy of the cookie until it expires.
        """
        claims = auth.Claims.of(session)
        if claims is not None:
            self.revoked.revoke(claims)
            with self._not_revoked_lock:
                self._not_revoked.pop(claims.sid, None)
            try:
                self._directory().revoke_session(claims.sid, claims.at + auth.SESSION_LIFETIME)
            except CornerShopError as exc:
                _log.warning(
                    "staff %s logged out, but the logout could not be stored (%s): other "
                    "processes accept that session until it expires",
                    claims.staff,
                    type(exc).__name__,
                )
            else:
                _log.info("staff %s logged out", claims.staff)
        session.clear()

    @staticmethod
    def csrf_token(session: MutableMapping[str, Any]) -> str:
        """The session's CSRF token, made now if it has none (the login form's)."""
        token = session.get("csrf")
        if not isinstance(token, str) or not token:
            token = session["csrf"] = auth.new_csrf_token()
        return token

    # -- orders -----------------------------------------------------------------------
    def today(self) -> dict[str, Any]:
        """Today's orders (in the shop's time zone), newest first, and the feed cursor."""
        if self.live is None:
            orders, cursor = self.feed.snapshot()
        else:
            # The WebSocket API pushes the changes: reading the list must not start the
            # feed's poller, which would read the store twice a second for nobody.
            from skill.dashboard.feed import WINDOW

            cursor = self.feed.cursor()
            orders = list(self.store.list_orders(limit=WINDOW))
        day = self._now().astimezone(self.zone).date()
        todays = [o for o in orders if o.created_at.astimezone(self.zone).date() == day]
        return {
            "orders": [public_order(o) for o in todays],
            "cursor": cursor,
            "today": day.isoformat(),
            "zone": zone_name(self.zone),
            "notifications": self._states(todays, (o.number for o in todays)),
        }

    def notification_states(self, numbers: Iterable[int]) -> dict[str, dict[str, str]]:
        """``{"1001": {"status", "detail", "at"}}`` for the orders among ``numbers``
        whose "ready" notification was sent or tried: as kept on the order in the store
        (by whichever process sent it), or as this process knows it if that is newer."""
        from skill.dashboard.feed import WINDOW

        wanted = list(numbers)
        orders = self.store.list_orders(limit=WINDOW) if wanted else []
        return self._states(orders, wanted)

    def _states(self, orders: Iterable[Order], numbers: Iterable[int]) -> dict[str, dict[str, str]]:
        stored = {o.number: o.notification for o in orders}
        states: dict[str, dict[str, str]] = {}
        for number in numbers:
            record = _latest(stored.get(number), self.notifications.get(number))
            if record is not None:
                states[str(number)] = notification_json(record)
        return states

    def _notified(self, number: int, record: NotificationRecord) -> None:
        self.feed.notification(number, notification_json(record))

    def live_ticket(self, staff: str) -> dict[str, Any] | None:
        """A WebSocket URL and a fresh token for ``staff``; None without :attr:`live`."""
        return None if self.live is None else self.live.ticket(staff, self._clock())

    def move(self, staff: str, number: int, action: str) -> Order:
        """Apply a dashboard action; the errors of :func:`move_order`, or ``KeyError``."""
        from skill.domain.orders import OrderStatus

        status = OrderStatus(ACTIONS[action])
        return move_order(self.store, number, status, actor=staff, on_change=self.hooks)

    def events(
        self, cursor: str | None, session: Mapping[str, Any] | None = None
    ) -> Generator[bytes, None, None]:
        """The live event stream (server-sent events) after ``cursor``.

        With ``session`` (a copy of the request's), the stream checks it again at every
        heartbeat and ends once it is no longer valid (logged out anywhere, its account
        removed): the browser's reconnection then gets 401.
        """
        still_valid = None
        if session is not None:
            claims = dict(session)

            def still_valid() -> bool:
                try:
                    return self.staff_for(claims) is not None
                except CornerShopError:
                    return False  # the store is down: the reconnection says so (503)

        return sse_stream(
            self.feed,
            cursor,
            self._streams,
            seconds=self._stream_seconds,
            heartbeat=self._heartbeat,
            still_valid=still_valid,
        )

    def close(self) -> None:
        self.notifications.unsubscribe(self._notified)
        self.feed.close()
