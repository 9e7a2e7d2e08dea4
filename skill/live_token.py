"""Short-lived signed tokens for the live-updates WebSocket on AWS.

The staff dashboard knows who is logged in (a session cookie on the dashboard's own
origin); API Gateway's WebSocket API, on another origin, sees neither that cookie nor
the session. So the dashboard issues a token for the logged-in staff member, the
browser opens ``wss://…/live?token=<token>``, and the ``$connect`` handler
(:mod:`skill.live_aws`) checks it before it records the connection.

A token is ``<payload>.<signature>``, both base64url without padding: the payload is
the JSON ``{"v": 1, "sub": <staff name>, "exp": <unix seconds>}``, and the signature
is HMAC-SHA256 over a fixed context string and the encoded payload, with the shop's
secret (``CORNERSHOP_LIVE_SECRET``). Only the standard library, so the Lambda that
checks tokens needs no dependency.

Why not a session or a JWT library: the check must run in a Lambda without the web
service's session store, and a token with one fixed algorithm and three fields has no
``alg`` header to confuse. Tokens are short-lived (:data:`DEFAULT_TTL_S`) because they
travel in a URL: the browser asks the dashboard for a fresh one for every connection.
A token can open several connections until it expires; it grants nothing but
receiving order events. The staff name is readable by whoever holds the token (it is
signed, not encrypted), which is why nothing else goes in it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time

from skill.errors import BadRequest, ConfigError

__all__ = ["DEFAULT_TTL_S", "MAX_TTL_S", "MIN_SECRET_LENGTH", "check", "check_secret", "issue"]

#: Long enough for the page to open the connection, short enough for a URL.
DEFAULT_TTL_S = 120.0
MAX_TTL_S = 3600.0
#: 32 characters: what ``openssl rand -hex 16`` prints, 128 bits.
MIN_SECRET_LENGTH = 32
MAX_STAFF_NAME = 100
# A token longer than this is not one of ours; refused before any decoding.
_MAX_TOKEN_LENGTH = 512
_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_VERSION = 1
# Domain separation: a signature made for anything else never verifies here.
_CONTEXT = b"cornershop-live-token.v1."


def check_secret(secret: str, setting: str = "CORNERSHOP_LIVE_SECRET") -> bytes:
    """The secret as key bytes; ConfigError if it is too short to be one."""
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"{setting} must be at least {MIN_SECRET_LENGTH} characters long (it is "
            f"{len(secret)}). Generate one with `openssl rand -hex 32` and give the same "
            "value to the dashboard and to the live-updates function."
        )
    return secret.encode("utf-8")


def issue(
    secret: str, staff_name: str, ttl: float = DEFAULT_TTL_S, *, now: float | None = None
) -> str:
    """A token for ``staff_name``, valid for ``ttl`` seconds from ``now`` (default: the clock)."""
    key = check_secret(secret)
    if not isinstance(staff_name, str) or not staff_name.strip():
        raise ValueError("A live-updates token needs the staff member's name; it was empty.")
    if len(staff_name) > MAX_STAFF_NAME:
        raise ValueError(
            f"A staff name for a live-updates token has at most {MAX_STAFF_NAME} characters."
        )
    if not 0 < ttl <= MAX_TTL_S:
        raise ValueError(f"A live-updates token lives from 1 to {MAX_TTL_S:.0f} seconds.")
    issued = time.time() if now is None else now
    payload = {"v": _VERSION, "sub": staff_name, "exp": int(issued + ttl)}
    body = _encode(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{body}.{_encode(_sign(key, body))}"


def check(secret: str, token: str, now: float | None = None) -> str:
    """The staff name a valid, unexpired token was issued for.

    Raises :class:`~skill.errors.BadRequest` for anything else (malformed, signed with
    another secret, expired); the message never repeats the token.
    """
    key = check_secret(secret)
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_LENGTH:
        raise BadRequest("The live-updates token is missing or too long.")
    # The alphabet is checked first: base64 decoding would skip stray characters, so
    # one token could be spelled many ways.
    if not _SHAPE.fullmatch(token):
        raise BadRequest("The live-updates token is not <payload>.<signature> in base64url.")
    body, _, signature = token.partition(".")
    given = _decode(signature)
    # Checked before the payload is parsed: nothing unsigned is ever interpreted.
    if not hmac.compare_digest(given, _sign(key, body)):
        raise BadRequest("The live-updates token was not signed with this shop's secret.")
    try:
        payload = json.loads(_decode(body))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise BadRequest("The live-updates token's payload is not JSON.") from exc
    if not isinstance(payload, dict) or payload.get("v") != _VERSION:
        raise BadRequest("The live-updates token has an unknown version.")
    staff, expires = payload.get("sub"), payload.get("exp")
    if not isinstance(staff, str) or not staff or type(expires) is not int:
        raise BadRequest("The live-updates token lacks a staff name or an expiry time.")
    if (time.time() if now is None else now) >= expires:
        raise BadRequest("The live-updates token has expired; the dashboard issues a new one.")
    return staff


def _sign(key: bytes, body: str) -> bytes:
    return hmac.new(key, _CONTEXT + body.encode("ascii"), hashlib.sha256).digest()


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    """base64url without padding; ``text`` matched :data:`_SHAPE` (a length of 1 mod 4
    is not base64: it decodes to nothing useful, and the signature check fails)."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        return b""
