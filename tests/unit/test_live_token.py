"""skill/live_token.py: the dashboard's short-lived tokens for the live-updates WebSocket."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill import live_token
from skill.errors import BadRequest, ConfigError

SECRET = "0123456789abcdef0123456789abcdef"
NOW = 1795774500.0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed(payload: dict[str, object], secret: str = SECRET) -> str:
    """A token built independently of the module, from the documented format."""
    body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    mac = hmac.new(
        secret.encode(), b"cornershop-live-token.v1." + body.encode(), hashlib.sha256
    ).digest()
    return f"{body}.{_b64(mac)}"


@pytest.mark.parametrize("name", ["Sam", "Zoë 李", "O'Brien & Sons <shop>"])
def test_a_token_carries_the_staff_name_until_it_expires(name: str) -> None:
    token = live_token.issue(SECRET, name, ttl=60, now=NOW)
    assert live_token.check(SECRET, token, NOW) == name
    assert live_token.check(SECRET, token, NOW + 59) == name
    with pytest.raises(BadRequest, match="expired"):
        live_token.check(SECRET, token, NOW + 60)
    # the documented format: base64url JSON payload, dot, base64url HMAC-SHA256
    assert token == _signed({"v": 1, "sub": name, "exp": int(NOW + 60)})


def test_a_token_built_from_the_documented_format_is_accepted() -> None:
    token = _signed({"v": 1, "sub": "Sam", "exp": int(NOW) + 10})
    assert live_token.check(SECRET, token, NOW) == "Sam"


def test_messages_never_repeat_the_token() -> None:
    token = live_token.issue(SECRET, "Sam", now=NOW)
    for bad in (token, token + "!", token[:-3]):
        with pytest.raises(BadRequest) as caught:
            live_token.check(SECRET, bad, NOW + 10**6)
        assert token.partition(".")[0] not in str(caught.value)


def test_the_default_lifetime_is_short() -> None:
    token = live_token.issue(SECRET, "Sam", now=NOW)
    assert live_token.check(SECRET, token, NOW + live_token.DEFAULT_TTL_S - 1) == "Sam"
    with pytest.raises(BadRequest):
        live_token.check(SECRET, token, NOW + live_token.DEFAULT_TTL_S)
    assert live_token.DEFAULT_TTL_S <= 300


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = live_token.issue("another-secret-of-the-right-length-0123", "Sam", now=NOW)
    with pytest.raises(BadRequest, match="not signed with this shop's secret"):
        live_token.check(SECRET, token, NOW)


@pytest.mark.parametrize(
    "payload",
    [
        {"v": 2, "sub": "Sam", "exp": int(NOW) + 60},
        {"v": 1, "sub": "", "exp": int(NOW) + 60},
        {"v": 1, "sub": "Sam", "exp": str(int(NOW) + 60)},
        {"v": 1, "sub": "Sam"},
        ["v", 1],
    ],
)
def test_a_signed_payload_of_the_wrong_shape_is_refused(payload: object) -> None:
    with pytest.raises(BadRequest):
        live_token.check(SECRET, _signed(payload), NOW)  # type: ignore[arg-type]


def test_a_changed_payload_or_signature_is_refused() -> None:
    token = live_token.issue(SECRET, "Sam", now=NOW)
    body, _, signature = token.partition(".")
    forged = _b64(json.dumps({"v": 1, "sub": "Sam", "exp": int(NOW) + 10**6}).encode())
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    for bad in (f"{forged}.{signature}", f"{body}.{flipped}", f"{body}.", f".{signature}"):
        with pytest.raises(BadRequest):
            live_token.check(SECRET, bad, NOW)


def test_one_token_has_one_spelling() -> None:
    # base64 decoders skip stray characters; the token's alphabet is checked first
    token = live_token.issue(SECRET, "Sam", now=NOW)
    body, _, signature = token.partition(".")
    for variant in (token + "=", f"{body}.{signature[:5]}!{signature[5:]}", f" {token}"):
        with pytest.raises(BadRequest):
            live_token.check(SECRET, variant, NOW)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_any_text_is_a_name_or_a_bad_request(text: str) -> None:
    try:
        name = live_token.check(SECRET, text, NOW)
    except BadRequest:
        return
    assert isinstance(name, str)  # never reached by chance: it would need the secret


def test_a_short_secret_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match=r"CORNERSHOP_LIVE_SECRET.*openssl rand"):
        live_token.issue("short", "Sam", now=NOW)
    with pytest.raises(ConfigError, match="at least 32"):
        live_token.check("x" * 31, "a.b", NOW)


@pytest.mark.parametrize(
    ("name", "ttl"), [("", 60), ("   ", 60), ("x" * 101, 60), ("Sam", 0), ("Sam", 3601)]
)
def test_issue_refuses_what_would_make_a_useless_token(name: str, ttl: float) -> None:
    with pytest.raises(ValueError):
        live_token.issue(SECRET, name, ttl=ttl, now=NOW)
