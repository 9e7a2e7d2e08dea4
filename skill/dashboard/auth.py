"""Staff sessions, CSRF tokens and login rate limits, with no web framework in sight.

A staff session is a small dict (the *claims*) that the web layer keeps in a signed
cookie (Flask's session, signed with the shop's session secret)::

    {"staff": "ada", "key": <tag of ada's password hash>, "sid": <random>, "at": <issued,
     epoch seconds>, "csrf": <random token>}

It is valid while all of this holds:

* it was issued less than :data:`SESSION_LIFETIME` ago (an absolute limit: using the
  dashboard does not extend it);
* the staff account still exists and ``key`` matches its password hash, so
  ``cornershop staff remove ada`` or a new password ends every session of hers at
  once, in every process;
* it was not logged out: logout forgets the cookie in the browser and remembers the
  session id as revoked, until the session would have expired, in this process
  (:class:`RevokedSessions`) and in the shop's store
  (:meth:`~skill.dashboard.staff.StaffDirectory.revoke_session`), so a copy of the
  cookie taken before logout is refused too, by every process of the shop (one that
  found the session good in the last
  :data:`~skill.dashboard.service.REVOCATION_CHECK_S` seconds believes that until then).

Every state change carries the session's CSRF token (a form field or the
``X-CSRF-Token`` header), compared in constant time. The login form has one too,
stored in the same cookie before anyone logs in; logging in replaces the whole
session (new id, new token), so a session fixed before login is worth nothing.

Failed logins are limited per client address and per staff name
(:class:`LoginLimiter`), in bounded memory, and checked before any password is
hashed, so a flood costs no scrypt time.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: How long a login lasts, at most.
SESSION_LIFETIME = 12 * 3600
#: Failed logins allowed per staff name, and per client address, in the window.
NAME_FAILURES = 5
ADDRESS_FAILURES = 20
FAILURE_WINDOW = 15 * 60.0
#: Keys (names, addresses) the limiter remembers at most; then the stalest go first.
LIMITER_KEYS = 10_000
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"

Clock = Callable[[], float]


# -- the Secure flag -------------------------------------------------------------
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


def is_loopback_host(host: str) -> bool:
    """Whether an HTTP ``Host`` (``127.0.0.1:5000``, ``[::1]:80``, ``localhost``) is loopback."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1 : name.find("]")] if "]" in name else name[1:]
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def cookie_secure(host: str, scheme: str) -> bool:
    """Whether the session cookie gets ``Secure``: always, except plain HTTP on loopback.

    Browsers treat ``http://127.0.0.1`` and ``http://localhost`` as secure contexts but
    would refuse to store a ``Secure`` cookie on any other plain-HTTP origin, which is
    the point: outside loopback the dashboard is meant to be reached over HTTPS (a TLS
    terminating proxy in front of ``cornershop serve``), and a browser that reached it
    over plain HTTP never holds a session cookie to leak.
    """
    return scheme.lower() == "https" or not is_loopback_host(host)


# -- sessions ---------------------------------------------------------------------
def password_tag(secret: bytes, name: str, password_hash: str) -> str:
    """Ties a session to the password it was opened with; reveals nothing of the hash."""
    message = f"{name}\0{password_hash}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def new_claims(secret: bytes, name: str, password_hash: str, now: float) -> dict[str, Any]:
    return {
        "staff": name,
        "key": password_tag(secret, name, password_hash),
        "sid": secrets.token_urlsafe(18),
        "at": int(now),
        "csrf": new_csrf_token(),
    }


@dataclass(frozen=True, slots=True)
class Claims:
    """The parts of a session cookie that matter, once their types are checked."""

    staff: str
    key: str
    sid: str
    at: int

    @classmethod
    def of(cls, session: Mapping[str, Any]) -> Claims | None:
        staff, key, sid, at = (session.get(k) for k in ("staff", "key", "sid", "at"))
        if not (isinstance(staff, str) and isinstance(key, str) and isinstance(sid, str)):
            return None
        if type(at) is not int:
            return None
        return cls(staff, key, sid, at)

    def fresh(self, now: float) -> bool:
        # 60 s of clock skew between processes of one shop is forgiven, no more.
        return self.at - 60 <= now < self.at + SESSION_LIFETIME


def csrf_matches(session: Mapping[str, Any], token: str | None) -> bool:
    expected = session.get("csrf")
    if not isinstance(expected, str) or not expected or not token:
        return False
    return hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace"))


class RevokedSessions:
    """Session ids logged out in this process, each until its session would expire anyway."""

    def __init__(self, *, capacity: int = LIMITER_KEYS, clock: Clock = time.time) -> None:
        self._lock = threading.Lock()
        self._until: OrderedDict[str, float] = OrderedDict()
        self._capacity = capacity
        self._clock = clock

    def revoke(self, claims: Claims) -> None:
        with self._lock:
            self._purge()
            self._until[claims.sid] = claims.at + SESSION_LIFETIME
            self._until.move_to_end(claims.sid)
            while len(self._until) > self._capacity:
                self._until.popitem(last=False)

    def __contains__(self, sid: object) -> bool:
        with self._lock:
            return sid in self._until and self._until[sid] > self._clock()  # type: ignore[index]

    def _purge(self) -> None:
        now = self._clock()
        for sid in [s for s, until in self._until.items() if until <= now]:
            del self._until[sid]


# -- failed logins ----------------------------------------------------------------
class FailureLimiter:
    """At most ``limit`` failures per key within a sliding ``window`` of seconds.

    Memory is bounded: at most ``max_keys`` keys, each with at most ``limit``
    timestamps; past that, the key whose last failure is oldest is forgotten first.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        max_keys: int = LIMITER_KEYS,
        clock: Clock = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        with self._lock:
            times = self._failures.get(key)
            if times is None:
                return 0.0
            now = self._clock()
            while times and times[0] <= now - self.window:
                times.popleft()
            if not times:
                del self._failures[key]
                return 0.0
            if len(times) < self.limit:
                return 0.0
            return max(times[0] + self.window - now, 0.0)

    def failed(self, key: str) -> None:
        with self._lock:
            times = self._failures.get(key)
            if times is None:
                times = self._failures[key] = deque(maxlen=self.limit)
            times.append(self._clock())
            self._failures.move_to_end(key)
            while len(self._failures) > self._max_keys:
                self._failures.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._failures)


class LoginLimiter:
    """Failed logins, limited per client address and per staff name."""

    def __init__(
        self,
        *,
        name_limit: int = NAME_FAILURES,
        address_limit: int = ADDRESS_FAILURES,
        window: float = FAILURE_WINDOW,
        max_keys: int = LIMITER_KEYS,
        clock: Clock = time.monotonic,
    ) -> None:
        self.by_name = FailureLimiter(name_limit, window, max_keys=max_keys, clock=clock)
        self.by_address = FailureLimiter(address_limit, window, max_keys=max_keys, clock=clock)

    def retry_after(self, address: str, name: str) -> float:
        return max(self.by_address.retry_after(address), self.by_name.retry_after(name))

    def failed(self, address: str, name: str) -> None:
        self.by_address.failed(address)
        self.by_name.failed(name)
