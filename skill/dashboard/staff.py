"""Staff accounts: names, password hashes, and the shop's session secret.

Passwords are kept only as hashes made by Werkzeug's scrypt
(:func:`werkzeug.security.generate_password_hash` with ``method="scrypt"``:
n=2**15, r=8, p=1, a 16-character random salt; about 0.1 s and 32 MiB per hash on
this project's CI machine). Werkzeug comes with Flask already, is kept by the Pallets
team, and scrypt is memory-hard, which is what argon2id would add over it; so there
is no second password library to install. This module is Werkzeug's security
module's only home.

Where accounts live is a :class:`StaffDirectory`: the shop's store (SQLite, DynamoDB
and memory implement it) or, for tests, a :class:`MemoryStaffDirectory`. It also
keeps the shop's *session secret*, the key that signs staff session cookies: made
on first use, kept in the store so it survives restarts and is the same for every
process serving the shop. And it keeps the shop's *logged-out sessions*
(:meth:`StaffDirectory.revoke_session`), so a session logged out through one process
is refused by every other one too. They are kept by :func:`session_digest`, never the
session id itself, until the session would have expired anyway.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from skill.errors import CornerShopError, CorruptRecord
from skill.store.memory import MemoryStore

#: Staff names: short, lowercase, safe to log and to put in a URL or a log line.
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")
MIN_PASSWORD = 10
MAX_PASSWORD = 256
#: The only hash method accepted when read back: a record claiming "pbkdf2:sha256:1"
#: (or scrypt with absurd parameters) is refused, not used.
_HASH_PATTERN = re.compile(r"scrypt:(\d{4,6}):(\d{1,2}):(\d{1,2})\$[^$]{8,64}\$[0-9a-f]{64,256}")
#: Werkzeug's scrypt parameters today are n=2**15, r=8, p=1; a stored hash asking for far
#: more memory or time than that is refused rather than let one login use gigabytes.
_MAX_N, _MAX_R, _MAX_P = 2**17, 16, 4
SECRET_BYTES = 32


class StaffError(CornerShopError):
    """A staff account cannot be added, found or used as asked."""


class InvalidStaffName(StaffError):
    pass


class WeakPassword(StaffError):
    pass


class StaffExists(StaffError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"There is already a staff account called {name}. Pick another name, or "
            f"`cornershop staff remove {name}` first (or add it with --replace to set a "
            "new password)."
        )
        self.name = name


class UnknownStaff(StaffError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"There is no staff account called {name}. Run `cornershop staff list` to see them."
        )
        self.name = name


def check_name(raw: str) -> str:
    """The staff name ``raw`` stands for (lowercased), or :class:`InvalidStaffName`."""
    name = raw.strip().lower()
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidStaffName(
            f"{raw[:40]!r} is not a staff name: use 1 to 32 lowercase letters, digits, dots, "
            "dashes or underscores, starting with a letter or digit (for example ada)."
        )
    return name


def is_name(raw: str) -> bool:
    return bool(NAME_PATTERN.fullmatch(raw))


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(
            f"That password is too short: use at least {MIN_PASSWORD} characters "
            "(a few words strung together are easiest to remember)."
        )
    if len(password) > MAX_PASSWORD:
        raise WeakPassword(f"That password is too long: use at most {MAX_PASSWORD} characters.")
    if password != password.strip() or "\n" in password or "\r" in password:
        raise WeakPassword(
            "That password starts or ends with a space, or holds a line break: "
            "type it again without them."
        )
    return password


def hash_password(password: str) -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(check_password(password), method="scrypt")


def is_password_hash(text: str) -> bool:
    """Whether ``text`` is a scrypt hash this module made (with sane parameters)."""
    match = _HASH_PATTERN.fullmatch(text)
    if match is None:
        return False
    n, r, p = (int(group) for group in match.groups())
    return 1024 <= n <= _MAX_N and n & (n - 1) == 0 and 1 <= r <= _MAX_R and 1 <= p <= _MAX_P


def verify_password(password_hash: str, password: str) -> bool:
    from werkzeug.security import check_password_hash

    if not is_password_hash(password_hash):
        return False
    return check_password_hash(password_hash, password)


_DUMMY_HASH: str | None = None
_dummy_lock = threading.Lock()


def waste_a_check(password: str) -> None:
    """As long as a real check, for a name with no account: timing says nothing of who exists."""
    global _DUMMY_HASH
    with _dummy_lock:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
        dummy = _DUMMY_HASH
    verify_password(dummy, password[:MAX_PASSWORD] or "-")


@dataclass(frozen=True, slots=True)
class StaffMember:
    name: str
    password_hash: str
    created_at: datetime

    def to_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "password_hash": self.password_hash,
            "created_at": self.created_at.isoformat(),
        }

    @classmethod
    def from_data(cls, data: Any) -> StaffMember:
        """The record :meth:`to_data` wrote; :class:`CorruptRecord` if it is damaged."""
        if not isinstance(data, Mapping):
            raise CorruptRecord("A stored staff account is damaged: it is not a mapping.")
        name, hashed, created = data.get("name"), data.get("password_hash"), data.get("created_at")
        if not isinstance(name, str) or not is_name(name):
            raise CorruptRecord("A stored staff account is damaged: its name is not a staff name.")
        if not isinstance(hashed, str) or not is_password_hash(hashed):
            raise CorruptRecord(
                f"The stored account of staff {name} is damaged: its password hash is not a "
                f"scrypt hash. Set a new password: cornershop staff add {name} --replace."
            )
        try:
            when = datetime.fromisoformat(created) if isinstance(created, str) else None
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise CorruptRecord(
                f"The stored account of staff {name} is damaged: its created_at is not a time."
            )
        return cls(name, hashed, when)


def session_digest(sid: str) -> str:
    """How a store keeps a logged-out session id: a digest (the id itself stays a secret
    of the cookie, even from someone reading the store)."""
    import hashlib

    return hashlib.sha256(sid.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def new_member(name: str, password: str, *, now: datetime | None = None) -> StaffMember:
    """A new account: the name checked, the password checked and hashed."""
    return StaffMember(check_name(name), hash_password(password), now or datetime.now(UTC))


@runtime_checkable
class StaffDirectory(Protocol):
    """Where a shop's staff accounts and its session secret live.

    Every method may raise :class:`~skill.errors.StoreError`. Names passed in are
    already checked (:func:`check_name`).
    """

    def add_staff(self, member: StaffMember, *, replace: bool = False) -> None:
        """Add ``member``; :class:`StaffExists` if the name is taken and not ``replace``."""
        ...

    def get_staff(self, name: str) -> StaffMember | None: ...

    def list_staff(self) -> list[StaffMember]:
        """Every account, by name."""
        ...

    def remove_staff(self, name: str) -> bool:
        """Remove the account; whether there was one."""
        ...

    def session_secret(self) -> bytes:
        """The shop's cookie-signing key: made (randomly) by the first caller, then kept.

        Concurrent first calls, in any processes, all get the same key.
        """
        ...

    def revoke_session(self, sid: str, until: float) -> None:
        """Remember session ``sid`` as logged out until ``until`` (epoch seconds: when it
        would have expired anyway), for every process of the shop."""
        ...

    def session_revoked(self, sid: str) -> bool:
        """Whether session ``sid`` was logged out (by any process) and is not past ``until``."""
        ...


class MemoryStaffDirectory(MemoryStore):
    """Staff accounts in this process only (tests, ``memory://`` shops): the memory
    store's own staff records, so the two can never disagree on the rules."""


def staff_directory(store: object) -> StaffDirectory | None:
    """The store's staff directory, if the store keeps staff accounts."""
    return store if isinstance(store, StaffDirectory) else None
