"""Fuzzing the skill through both front doors: nothing escapes, every reply is valid, data holds.

Two targets, 2000 derandomized examples each (``FUZZ_SETTINGS``). Every example runs against
two skills, one on a memory store and one on a SQLite file shared by all the target's examples
(so carts and orders pile up and meet the 99-per-line limit):

* **Lambda, direct events** (the Alexa Skills Kit trigger): ``LambdaAdapter(build_skill(...))``
  called with the event, as the Lambda runtime would after parsing JSON; a fifth of the events
  are arbitrary JSON values rather than envelopes.
* **Flask** ``POST /alexa`` through the test client, verification off; a fifth of the bodies
  are not envelopes at all (bytes, JSON of other shapes, nesting deeper than JSON parsers go).

Both run inside :func:`~fuzz.strategies.production_stack`, with the recursion headroom of
production: Hypothesis raises the recursion limit while a test runs, which would hide
RecursionErrors.

Invariants, per example:

1. *Nothing escapes*, with one documented exception. The skill id is unset, so neither
   ``ForeignSkillError`` nor any other ``BadRequest`` may come out of the Lambda adapter for an
   event it classifies as an Alexa event (``event_source(event) == "alexa"``): those must get a
   response. ``BadRequest`` is acceptable **only** for events the adapter classifies as
   ``"unknown"`` (every non-dict, and dicts with neither ``request`` plus ``context`` or
   ``session`` nor an HTTP shape): the adapter raises it on purpose so that Lambda reports a
   misconfigured trigger. Any other exception, for any event, is a failure. (An event that a
   mutation gave an HTTP shape must get an HTTP answer.)
2. *The reply is valid* (:func:`skill.validation.validate_response`, told the request type).
   In Flask: a body that is not an Alexa envelope (not JSON, not an object, no string
   ``request.type``) gets HTTP 400 with ``{"error": "..."}``; a body over 128 KB gets 413;
   everything else gets 200 and a valid reply. A 500 is a failure (the store works here).
3. *Stored data stays readable and consistent*: for every user the example could have acted
   for, the cart reads back with whole quantities from 1 to 99, one line per item, items of
   the catalog only, and in every market a total equal to the sum of price times quantity; the
   20 most recent orders (every order is among them right after it is placed) have distinct
   numbers, positive totals equal to the sum of their lines, and lines priced as their
   market's catalog prices them; in SQLite the order counter is the highest order number and
   every order has exactly one checkout record.

The eight skill bugs these targets found are fixed; each minimal example is a regression test
in test_skill_bugs.py. ``KNOWN_CRASHES``/``KNOWN_INVALID`` below are empty: a bug found later
may be listed there (with a strict-xfail regression test) while it is being fixed, so the run
stays meaningful for everything else.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from fuzz.strategies import (
    CATALOGS,
    FUZZ_SETTINGS,
    ITEM_IDS,
    envelopes,
    json_values,
    production_stack,
    raw_bodies,
    request_type_of,
    user_ids_in,
)
from hypothesis import event as note_event
from hypothesis import given, reject
from hypothesis import strategies as st

from skill.app import CornerShopSkill, build_skill
from skill.config import Settings
from skill.domain.cart import MAX_PER_LINE
from skill.errors import BadRequest
from skill.lambda_adapter import LambdaAdapter, event_source
from skill.profile import ProfileName
from skill.store.base import Store
from skill.store.memory import MemoryStore
from skill.store.sqlite import SQLiteStore
from skill.validation import InvalidResponse, assert_valid_response
from skill.web import MAX_BODY_BYTES, create_app

# A failing example can hold 100 KB strings; Hypothesis warns about printing them, and the
# warning (an error under this project's filterwarnings) would hide the failure itself.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
)

NOW = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)
BACKENDS = ["memory", "sqlite"]  # every example runs against both


class RotatingProfile:
    """Named, anonymous, and permission-missing in turn, so every checkout ending is reached."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, handler_input: Any) -> ProfileName:
        self.calls += 1
        return [ProfileName("Ada"), ProfileName(), ProfileName(permission_missing=True)][
            self.calls % 3
        ]


class Target:
    """One skill on one store, and the SQLite file behind it (if any)."""

    def __init__(self, backend: str, directory: Path) -> None:
        self.db_path: Path | None = None
        self.highest_order = 0
        store: Store
        if backend == "sqlite":
            self.db_path = directory / "shop.db"
            store = SQLiteStore(self.db_path)
        else:
            store = MemoryStore()
        self.store = store
        self.skill: CornerShopSkill = build_skill(
            Settings(store_url="memory://", verify_requests=False),
            store=store,
            profile=RotatingProfile(),
            clock=lambda: NOW,
        )


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Target]]:
    built = {name: Target(name, tmp_path_factory.mktemp(f"fuzz-{name}")) for name in BACKENDS}
    yield built
    for target in built.values():
        target.skill.close()


@pytest.fixture(scope="module")
def clients(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, tuple[Target, FlaskClient]]]:
    made = {}
    for name in BACKENDS:
        target = Target(name, tmp_path_factory.mktemp(f"fuzz-web-{name}"))
        app = create_app(Settings(store_url="memory://", verify_requests=False), skill=target.skill)
        made[name] = (target, app.test_client())
    yield made
    for target, _ in made.values():
        target.skill.close()


# ----------------------------------------------------------------------------- invariants


def check_store(target: Target, user_ids: set[str]) -> None:
    """Invariant 3: carts and recent orders read back and add up."""
    _check_carts(target, user_ids)
    highest = _check_orders(target)
    if highest > target.highest_order:
        note_event("order placed")
        target.highest_order = highest


def _check_carts(target: Target, user_ids: set[str]) -> None:
    for user_id in user_ids:
        if _SURROGATE.search(user_id):
            continue  # not UTF-8: cannot even be a key in SQLite, so nothing was stored
        cart = target.store.get_cart(user_id)
        for line in cart.lines:
            assert type(line.quantity) is int, (user_id, cart)
            assert 1 <= line.quantity <= MAX_PER_LINE, (user_id, cart)
            assert line.item_id in ITEM_IDS, (user_id, cart)
        assert len({line.item_id for line in cart.lines}) == len(cart.lines), cart
        # a cart holds items, not prices: in every market its total is the sum of its lines
        for catalog in CATALOGS.values():
            expected = sum(
                item.price.cents * line.quantity
                for line in cart.lines
                if (item := catalog.get(line.item_id)) is not None
            )
            assert cart.total(catalog).cents == expected, (user_id, cart, catalog.locale)


def _check_orders(target: Target) -> int:
    """The most recent orders add up; returns the highest order number (0 if none)."""
    orders = target.store.list_orders(limit=20)
    numbers = [order.number for order in orders]
    assert numbers == sorted(set(numbers), reverse=True), numbers
    for order in orders:
        assert order.lines, order
        assert order.total.cents > 0, order
        assert order.total.cents == sum(ln.unit_price * ln.quantity for ln in order.lines), order
        catalog = CATALOGS.get(order.locale)
        assert catalog is not None and order.currency == catalog.currency, order
        for line in order.lines:
            assert 1 <= line.quantity <= MAX_PER_LINE, order
            item = catalog.get(line.item_id)
            assert item is not None and line.unit_price == item.price.cents, order
    if target.db_path is not None:
        with sqlite3.connect(target.db_path) as db:
            counter = db.execute("SELECT value FROM counters WHERE name='order_number'").fetchone()
            highest, count = db.execute("SELECT MAX(number), COUNT(*) FROM orders").fetchone()
            checkouts = db.execute(
                "SELECT COUNT(*) FROM checkouts c JOIN orders o ON o.number = c.order_number"
            ).fetchone()[0]
            total_checkouts = db.execute("SELECT COUNT(*) FROM checkouts").fetchone()[0]
            # A checkout without a request id records nothing (so it can never replay
            # an earlier order); every other order has exactly one record.
            with_id = db.execute(
                "SELECT COUNT(*) FROM orders WHERE json_extract(body, '$.request_id') != ''"
            ).fetchone()[0]
        db.close()
        assert (counter[0] if counter else None) == highest
        assert checkouts == total_checkouts == with_id <= count
    return numbers[0] if numbers else 0


def outcome(response: Any) -> str:
    """A label for Hypothesis's statistics: what kind of reply the example got."""
    body = response.get("response") if isinstance(response, dict) else None
    if not isinstance(body, dict):
        return "no reply"
    ssml = str((body.get("outputSpeech") or {}).get("ssml", ""))
    if "went wrong" in ssml or "couldn't reach" in ssml:
        return "apology"
    directives = [d.get("type") for d in body.get("directives") or [] if isinstance(d, dict)]
    if directives:
        return f"directive {directives[0]}"
    if body.get("canFulfillIntent"):
        return "canFulfill"
    return "speech" if ssml else "silent"


def run_lambda(adapter: LambdaAdapter, event: Any) -> None:
    """Invariants 1 and 2 for one Lambda event."""
    source = event_source(event)
    try:
        with production_stack():
            out = adapter(event)
    except BadRequest:
        if source == "unknown":
            note_event("BadRequest for an unknown event")
            return  # the adapter's documented refusal of a trigger it does not know
        raise
    assert source != "unknown", "an unknown event must be refused, not answered"
    if source == "alexa":
        assert_valid_response(out, request_type=request_type_of(event))
        note_event(outcome(out))
        return
    # A mutation gave the event an HTTP shape (API Gateway / ALB): an HTTP answer, then.
    assert out["statusCode"] in (200, 400, 404, 405, 413), out
    payload = json.loads(out["body"])
    if out["statusCode"] == 200 and "version" in payload:
        assert_valid_response(payload, request_type=None)
    elif out["statusCode"] != 200:
        assert isinstance(payload.get("error"), str), out


def body_of(envelope: Any) -> bytes:
    """The bytes Alexa would send: UTF-8 JSON, escaped only where UTF-8 cannot carry a string."""
    try:
        return json.dumps(envelope, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: only a \\u escape can carry it
        return json.dumps(envelope).encode("ascii")


def expected_envelope(body: bytes) -> Any:
    """The parsed envelope if the web app must answer 200, else None (it must answer 400)."""
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):
        return None
    request = envelope.get("request") if isinstance(envelope, dict) else None
    if not isinstance(request, dict) or not isinstance(request.get("type"), str):
        return None
    if request["type"] in ("LaunchRequest", "IntentRequest") and not _attributable(envelope):
        return None  # no context.System, and no session naming the skill and user
    return envelope


def _attributable(envelope: dict[str, Any]) -> bool:
    context = envelope.get("context")
    if isinstance(context, dict) and isinstance(context.get("System"), dict):
        return True
    session = envelope.get("session")
    if not isinstance(session, dict):
        return False
    app, user = session.get("application"), session.get("user")
    return (
        isinstance(app, dict)
        and isinstance(app.get("applicationId"), str)
        and isinstance(user, dict)
        and isinstance(user.get("userId"), str)
        and bool(user["userId"])
    )


def run_flask(client: FlaskClient, body: bytes) -> None:
    """Invariant 2 for one body POSTed to /alexa."""
    with production_stack():
        response = client.post("/alexa", data=body, content_type="application/json")
    if response.status_code == 500:
        raise ServerFault(f"HTTP 500 for {body[:300]!r}")
    payload = response.get_json(silent=True)
    if len(body) > MAX_BODY_BYTES:
        assert response.status_code == 413, (response.status_code, response.data[:200])
        assert isinstance(payload, dict) and isinstance(payload.get("error"), str)
        return
    envelope = expected_envelope(body)
    if envelope is None:
        assert response.status_code == 400, (response.status_code, response.data[:200])
        assert isinstance(payload, dict) and isinstance(payload.get("error"), str), payload
        note_event("HTTP 400")
        return
    assert response.status_code == 200, (response.status_code, response.data[:300])
    assert_valid_response(payload, request_type=request_type_of(envelope))
    note_event(outcome(payload))


# ----------------------------------------------------------------------------- known bugs


# Known, not-yet-fixed skill bugs (none now), each with a strict-xfail regression test in
# test_skill_bugs.py holding its minimal envelope. A failure whose example matches one of these
# is rejected (not counted) instead of failing the run; a pass is never excused. Delete an entry
# together with the xfail mark of its regression test when the bug is fixed.
def _attributes(envelope: Any) -> Any:
    session = envelope.get("session") if isinstance(envelope, dict) else None
    return session.get("attributes") if isinstance(session, dict) else None


def _context_system(envelope: Any) -> Any:
    context = envelope.get("context") if isinstance(envelope, dict) else None
    return context.get("System") if isinstance(context, dict) else None


class ServerFault(AssertionError):
    """The web app answered 500: an exception escaped the skill."""


def crashed(error: BaseException) -> bool:
    """An exception escaped the skill (Lambda) or turned into HTTP 500 (Flask)."""
    return isinstance(error, ServerFault) or not isinstance(error, AssertionError | InvalidResponse)


def _size(value: Any) -> int:
    return len(json.dumps(value, default=repr))


def _walk(value: Any) -> Iterator[tuple[int, Any]]:
    """Every value inside ``value`` with its depth, without recursion."""
    stack = [(0, value)]
    while stack:
        depth, node = stack.pop()
        yield depth, node
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        stack.extend((depth + 1, child) for child in children)
        if isinstance(node, dict):
            stack.extend((depth + 1, key) for key in node)


def _depth(value: Any) -> int:
    return max(depth for depth, _ in _walk(value))


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_xml_illegal_text(value: Any) -> bool:
    return any(isinstance(node, str) and _XML_ILLEGAL.search(node) for _, node in _walk(value))


def _intent_name(envelope: Any) -> Any:
    return envelope["request"]["intent"]["name"]


#: Crashes (an exception out of the Lambda adapter, HTTP 500 from Flask), by the envelope
#: (or raw body) that causes them.
KNOWN_CRASHES: dict[str, Callable[[Any], bool]] = {}

#: Invalid replies, by a fragment of the validator's problem and the envelope that causes it.
KNOWN_INVALID: dict[str, tuple[tuple[str, ...], Callable[[Any], bool]]] = {}


def _holds(condition: Callable[[Any], bool], envelope: Any) -> bool:
    try:
        return bool(condition(envelope))
    except Exception:  # the envelope lacks what the condition looks at
        return False


def excused(envelope: Any, error: BaseException) -> bool:
    """Whether ``error`` is fully explained by known bugs (every problem, for an invalid reply)."""
    if isinstance(error, InvalidResponse):
        return all(
            any(
                any(fragment in problem for fragment in fragments) and _holds(cond, envelope)
                for fragments, cond in KNOWN_INVALID.values()
            )
            for problem in error.problems
        )
    if crashed(error):
        return any(_holds(cond, envelope) for cond in KNOWN_CRASHES.values())
    return False


def reject_if_known(envelope: Any, error: BaseException) -> None:
    """Reject the example (Hypothesis draws another) if known bugs explain its failure."""
    if excused(envelope, error):
        reject()


# ----------------------------------------------------------------------------- the targets


@FUZZ_SETTINGS
@given(event=st.one_of(envelopes(), envelopes(), envelopes(), json_values))
def test_fuzz_lambda_direct_events(targets: dict[str, Target], event: Any) -> None:
    # GIVEN any event the Lambda runtime could hand over; WHEN each backend's skill gets it
    for target in targets.values():
        try:
            run_lambda(LambdaAdapter(target.skill), event)
        except Exception as exc:
            reject_if_known(event, exc)
            raise
        # THEN (run_lambda checked the reply) the store still adds up
        check_store(target, user_ids_in(event))


@FUZZ_SETTINGS
@given(request=st.one_of(envelopes(), envelopes(), envelopes(), raw_bodies))
def test_fuzz_flask_alexa_endpoint(
    clients: dict[str, tuple[Target, FlaskClient]], request: Any
) -> None:
    # GIVEN an envelope or a raw body that is no envelope at all; WHEN POSTed to each app
    body = request if isinstance(request, bytes) else body_of(request)
    for target, client in clients.values():
        try:
            run_flask(client, body)
        except Exception as exc:
            reject_if_known(request, exc)
            raise
        # THEN (run_flask checked the answer) the store still adds up
        check_store(target, user_ids_in(request))
