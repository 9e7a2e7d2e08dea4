"""Hypothesis strategies for fuzzing Corner Shop: Alexa request envelopes, plausible and hostile.

What :func:`envelopes` generates, and why:

* **Every request type the Alexa service can send**: the ASK SDK model's list
  (``Request.discriminator_value_class_map``), plus names it has never heard of and near
  misses of real ones (``"IntentRequest "``, ``"AudioPlayer.Bogus"``), each with the fields
  its type carries (an intent, a SessionEnded reason and error, ...).
* **Real intent and slot names** from ``interaction_models/en-US.json``, plus unknown ones.
* **Slot values of every shape**: absent, empty, numbers as words and digits, negative, ``?``,
  huge integers, decimals, catalog names, unicode; entity resolution absent, ``ER_SUCCESS_MATCH``
  with real or bogus ids, ``ER_SUCCESS_NO_MATCH``, ``ER_ERROR_TIMEOUT``, ``ER_ERROR_EXCEPTION``;
  ``slotValue`` of type Simple or List.
* **Session attributes that come back from the client**: absent, empty, stale but well
  formed, and crafted (``pending`` of bad kinds and items, ``last_spoken`` of wrong types, wide
  and deeply nested dicts). Nesting stays within what ``json.loads`` itself can read (it stops
  near depth 1000), since every front door receives JSON.
* **Broken structure**: random keys removed, extra keys added, values replaced by the wrong
  JSON type at any path, strings of up to 100 KB (UTF-8).
* **Every locale the catalog serves** (prices differ per market), plus an unknown one.

Users come mostly from a small pool so carts fill up across examples and hit the 99-per-line
limit, and answers to the skill's questions (yes, no, help) usually carry the pending question
the skill would have left in the session, so checkouts really happen; the store invariants in
the tests then have something to check.

Choices are weighted with :func:`weighted`, whose first option is the plausible one: Hypothesis
leans towards the first option of a choice (it is what examples shrink to), so a rare branch
listed first would be drawn far more often than its weight says.

The verifier's strategies (header names and values, certificate URLs from pieces, bit flips,
truncations) are at the end, with :func:`production_stack`, which the skill's fuzz target and
its regression tests run the front doors in.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ask_sdk_model.request import Request
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.strategies import DrawFn

from skill.data import catalog_document, catalog_for

JSON = Any
Draw = DrawFn

ROOT = Path(__file__).resolve().parents[2]
_MODEL = json.loads((ROOT / "interaction_models" / "en-US.json").read_text("utf-8"))
INTENT_SLOTS: dict[str, list[str]] = {
    intent["name"]: [slot["name"] for slot in intent.get("slots", [])]
    for intent in _MODEL["interactionModel"]["languageModel"]["intents"]
}
SLOT_NAMES = sorted({name for names in INTENT_SLOTS.values() for name in names})
UNKNOWN_INTENTS = [
    "OrderPizzaIntent",
    "AMAZON.PauseIntent",
    "AMAZON.StartOverIntent",
    "addItemIntent",
    "AddItemIntent ",
    "",
]
LOCALES = sorted(catalog_document()["text"])
CATALOGS = {locale: catalog_for(locale) for locale in LOCALES}
ITEM_IDS = sorted({item["id"] for item in catalog_document()["items"]})
SPOKEN_ITEMS = sorted(
    {form for catalog in CATALOGS.values() for item in catalog.items for form in item.spoken_forms}
)

KNOWN_REQUEST_TYPES = sorted(Request.discriminator_value_class_map)
UNKNOWN_REQUEST_TYPES = [
    "Alexa.Future.UnheardOfRequest",
    "IntentRequest ",
    "intentrequest",
    "LaunchRequest.",
    "AudioPlayer.Bogus",
    "PlaybackController.",
    "SessionEndedRequestX",
    "",
]

USERS = [f"amzn1.ask.account.FUZZ{n}" for n in range(3)]
SKILL_ID = "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"
MAX_HUGE_BYTES = 100_000
_ER_AUTHORITY = f"amzn1.er-authority.echo-sdk.{SKILL_ID}.CatalogItem"

# Derandomized rather than random-with-database=None: CI must give the same verdict on every
# run of the same code, so a failure reproduces from the log alone and a green run cannot
# turn red later on an example nobody can find again. The price is that CI explores the same
# examples each time; breadth comes from the size of the run (2000 per target) and from the
# hostile shapes above, and a local run with ``derandomize=False`` explores afresh.
FUZZ_SETTINGS = settings(
    max_examples=2000,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ----------------------------------------------------------------------------- JSON values

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values: st.SearchStrategy[JSON] = st.recursive(
    json_scalars,
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=10,
)

#: Text that may hold lone surrogates: ``"\\ud800"`` is a legal JSON string escape. (``st.text``
#: keeps only UTF-8-encodable characters whatever its alphabet, hence the list of characters.)
any_text = st.text(max_size=40) | st.lists(
    st.characters() | st.characters(categories=["Cs"]), min_size=1, max_size=8
).map("".join)


@st.composite
def huge_text(draw: Draw) -> str:
    """A long string, up to 100 KB once UTF-8 encoded (repeating a unit keeps it cheap)."""
    unit = draw(st.text(min_size=1, max_size=6))
    budget = max(1, MAX_HUGE_BYTES // len(unit.encode("utf-8")))
    count = draw(st.one_of(st.just(budget), st.integers(min_value=1, max_value=budget)))
    return unit * count


def nested(depth: int, leaf: JSON = "x") -> JSON:
    value = leaf
    for i in range(depth):
        value = {f"k{i % 3}": value} if i % 2 else [value]
    return value


nested_huge = st.one_of(
    st.sampled_from([2, 50, 300, 480, 600, 900]).map(nested),
    st.integers(min_value=1, max_value=3000).map(lambda n: {f"key{i}": i for i in range(n)}),
    st.builds(lambda depth, text: nested(depth, text), st.integers(1, 50), huge_text()),
)


# ----------------------------------------------------------------------------- weighting


def weighted(draw: Draw, *options: tuple[int, st.SearchStrategy[Any]]) -> Any:
    """Draw from one of ``options``, chosen in proportion to its weight.

    Shrinking moves towards the first option, so list the plainest one first.
    """
    pick = draw(st.integers(0, sum(weight for weight, _ in options) - 1))
    for weight, strategy in options:
        if pick < weight:
            return draw(strategy)
        pick -= weight
    raise AssertionError("unreachable")


def choose(draw: Draw, *options: tuple[int, Any]) -> Any:
    """Like :func:`weighted`, for plain values."""
    return weighted(draw, *((weight, st.just(value)) for weight, value in options))


# ----------------------------------------------------------------------------- slots

quantity_words = st.sampled_from(
    ["one", "two", "twenty five", "a dozen", "ninety nine", "hundred", "half", "none", "zero"]
)
quantity_digits = st.one_of(
    st.integers(min_value=-5, max_value=120).map(str),
    st.sampled_from(["0", "99", "100", "-1", "007", "1e3", "2.5", "½", "٣", "?", " 3 ", "3 4"]),
    st.sampled_from([str(10**20), str(2**63), str(-(2**63)), "9" * 5000]),
)
hostile_text = st.sampled_from(
    ["apple & co", "<speak>", "milk]]>", "a\x00b", "\x1b[31m", "&amp;", "\ud800", "\ufffe"]
)
item_ids = st.one_of(
    st.sampled_from(ITEM_IDS),
    st.sampled_from(["NOT_AN_ITEM", "apple", "APPLE ", "", "../APPLE"]),
    json_scalars,
)


@st.composite
def slot_text(draw: Draw, name: str = "") -> str:
    """What Alexa heard for a slot; item names for Item, numbers for Quantity, and junk."""
    plausible = st.integers(1, 5).map(str) if name == "Quantity" else st.sampled_from(SPOKEN_ITEMS)
    return str(
        weighted(
            draw,
            (60, plausible),
            (5 if name == "Quantity" else 10, st.sampled_from(SPOKEN_ITEMS)),
            (25 if name == "Quantity" else 5, quantity_digits),
            (10, quantity_words),
            (5, st.just("")),
            (5, hostile_text),
            (10, any_text),
        )
    )


@st.composite
def resolutions(draw: Draw) -> JSON:
    authorities = []
    for _ in range(choose(draw, (4, 1), (1, 0), (1, 2))):
        code = choose(
            draw,
            (5, "ER_SUCCESS_MATCH"),
            (2, "ER_SUCCESS_NO_MATCH"),
            (1, "ER_ERROR_TIMEOUT"),
            (1, "ER_ERROR_EXCEPTION"),
            (1, "BOGUS"),
        )
        authority: dict[str, Any] = {"authority": _ER_AUTHORITY, "status": {"code": code}}
        if code == "ER_SUCCESS_MATCH" or draw(st.booleans()):
            authority["values"] = [
                {"value": {"name": draw(slot_text("Item")), "id": draw(item_ids)}}
                for _ in range(choose(draw, (4, 1), (1, 0), (1, 2), (1, 3)))
            ]
        authorities.append(authority)
    return {"resolutionsPerAuthority": authorities}


@st.composite
def slot(draw: Draw, name: str) -> JSON:
    out: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    value = weighted(draw, (5, slot_text(name)), (1, st.none()))
    if value is not None:
        out["value"] = value
        out["source"] = "USER"
    if name == "Item" and draw(st.booleans()):
        out["resolutions"] = draw(resolutions())
    shape = choose(draw, (3, "none"), (3, "simple"), (1, "list"))
    if shape == "simple":
        out["slotValue"] = {"type": "Simple", "value": value}
        if "resolutions" in out:
            out["slotValue"]["resolutions"] = out["resolutions"]
    elif shape == "list":
        out["slotValue"] = {
            "type": "List",
            "values": [
                {"type": "Simple", "value": draw(slot_text(name))}
                for _ in range(draw(st.integers(0, 3)))
            ],
        }
    return out


@st.composite
def intents(draw: Draw) -> JSON:
    name = weighted(
        draw,
        (20, st.just("AddItemIntent")),
        (25, st.just("AMAZON.YesIntent")),
        (5, st.sampled_from(["CheckoutIntent", "RemoveItemIntent", "ReorderIntent"])),
        (45, st.sampled_from(sorted(INTENT_SLOTS))),
        (15, st.sampled_from(UNKNOWN_INTENTS)),
    )
    slot_names = INTENT_SLOTS.get(name) or draw(st.lists(st.sampled_from(SLOT_NAMES), max_size=2))
    slots = {}
    for slot_name in slot_names:
        if choose(draw, (5, True), (1, False)):  # mostly present, sometimes absent
            slots[slot_name] = draw(slot(slot_name))
    intent: dict[str, Any] = {"name": name, "confirmationStatus": "NONE", "slots": slots}
    if not slots and draw(st.booleans()):
        del intent["slots"]
    return intent


# ----------------------------------------------------------------------------- attributes


@st.composite
def pending_values(draw: Draw) -> JSON:
    return weighted(
        draw,
        (
            12,
            st.fixed_dictionaries(
                {"kind": st.sampled_from(["checkout", "checkout", "clear", "checkout_offer"])}
            ),
        ),
        (4, st.fixed_dictionaries({"kind": st.just("add"), "item": item_ids})),
        (
            3,
            st.fixed_dictionaries(
                {"kind": st.sampled_from(["checkout ", "CHECKOUT", "pay", ""]) | json_scalars},
                optional={"item": item_ids | huge_text()},
            ),
        ),
        (3, json_values),
    )


last_spoken_values = st.one_of(
    st.fixed_dictionaries({"speech": slot_text(), "reprompt": slot_text()}),
    st.fixed_dictionaries({}, optional={"speech": json_values, "reprompt": json_values}),
    st.fixed_dictionaries({"speech": huge_text(), "reprompt": huge_text()}),
    json_values,
)


@st.composite
def session_attributes(draw: Draw) -> JSON:
    """What a session brings back: usually ours (maybe stale), sometimes crafted."""
    kind = choose(draw, (3, "empty"), (5, "ours"), (2, "crafted"), (1, "huge"), (1, "junk"))
    if kind == "empty":
        return {}
    if kind == "huge":
        return {"junk": draw(nested_huge)}
    if kind == "junk":
        return draw(json_values)  # maybe not even an object
    attributes: dict[str, Any] = {}
    if choose(draw, (3, True), (1, False)):
        attributes["pending"] = draw(pending_values())
    if draw(st.booleans()):
        attributes["last_spoken"] = draw(last_spoken_values)
    if choose(draw, (3, False), (1, True)):
        attributes["asked_name_permission"] = draw(json_scalars)
    if kind == "crafted":
        attributes.update(draw(st.dictionaries(st.text(max_size=10), json_values, max_size=3)))
    return attributes


# ----------------------------------------------------------------------------- requests


@st.composite
def request_body(draw: Draw, request_type: str) -> JSON:
    request: dict[str, Any] = {
        "type": request_type,
        "requestId": weighted(
            draw,
            (9, st.uuids().map(lambda u: f"amzn1.echo-api.request.{u}")),
            (1, st.sampled_from(["amzn1.echo-api.request.same", ""])),
        ),
        "timestamp": choose(
            draw, (16, "2026-11-27T10:15:00Z"), (2, "2026-11-27T10:15:00.123Z"), (1, "yesterday")
        ),
        "locale": weighted(
            draw, (12, st.just("en-US")), (6, st.sampled_from(LOCALES)), (1, st.just("xx-YY"))
        ),
    }
    if request_type in ("IntentRequest", "CanFulfillIntentRequest"):
        request["intent"] = draw(intents())
        if request_type == "IntentRequest":
            request["dialogState"] = choose(
                draw, (3, "STARTED"), (3, "IN_PROGRESS"), (3, "COMPLETED"), (1, "WHATEVER")
            )
    elif request_type == "SessionEndedRequest":
        request["reason"] = draw(
            st.sampled_from(["USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS", "NEW_REASON"])
        )
        if draw(st.booleans()):
            request["error"] = {
                "type": draw(
                    st.sampled_from(["INVALID_RESPONSE", "INTERNAL_SERVICE_ERROR", "NEW_TYPE"])
                ),
                "message": draw(st.text(max_size=30)),
            }
    elif request_type == "System.ExceptionEncountered":
        request["error"] = {"type": "INVALID_RESPONSE", "message": draw(st.text(max_size=30))}
        request["cause"] = {"requestId": "amzn1.echo-api.request.earlier"}
    elif request_type.startswith("AudioPlayer."):
        request["token"] = draw(st.text(max_size=20))
        request["offsetInMilliseconds"] = draw(st.integers(min_value=-1, max_value=10**7))
    if choose(draw, (9, False), (1, True)):
        request.update(draw(st.dictionaries(st.text(max_size=10), json_values, max_size=3)))
        request["type"] = request_type
    return request


@st.composite
def plain_envelopes(draw: Draw) -> JSON:
    """A well-formed envelope of any request type (the base the mutations start from)."""
    request_type = weighted(
        draw,
        (55, st.just("IntentRequest")),
        (8, st.just("LaunchRequest")),
        (5, st.sampled_from(["SessionEndedRequest", "CanFulfillIntentRequest"])),
        (22, st.sampled_from(KNOWN_REQUEST_TYPES)),
        (10, st.sampled_from(UNKNOWN_REQUEST_TYPES)),
    )
    user_id = weighted(draw, (17, st.sampled_from(USERS)), (3, any_text))
    application = {"applicationId": SKILL_ID}
    envelope: dict[str, Any] = {
        "version": "1.0",
        "context": {
            "System": {
                "application": application,
                "user": {"userId": user_id},
                "device": {"deviceId": "amzn1.ask.device.FUZZ", "supportedInterfaces": {}},
                "apiEndpoint": "https://api.amazonalexa.com",
            }
        },
        "request": draw(request_body(request_type)),
    }
    if choose(draw, (6, True), (1, False)):  # most requests come in a session
        envelope["session"] = {
            "new": draw(st.booleans()),
            "sessionId": "amzn1.echo-api.session.FUZZ",
            "application": application,
            "user": {"userId": user_id},
            "attributes": draw(session_attributes()),
        }
        if choose(draw, (19, False), (1, True)):
            del envelope["session"]["attributes"]
        elif _intent_name(envelope) in _ANSWERS and draw(st.integers(0, 9)) < 8:
            # An answer to a question the skill asked: the conversation state it would hold.
            envelope["session"]["attributes"] = {"pending": draw(open_questions)}
    return envelope


_ANSWERS = frozenset({"AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.HelpIntent"})
open_questions = st.sampled_from(
    [
        {"kind": "checkout"},
        {"kind": "checkout"},
        {"kind": "checkout"},
        {"kind": "checkout_offer"},
        {"kind": "clear"},
        *({"kind": "add", "item": item} for item in ITEM_IDS[:4]),
    ]
)


def _intent_name(envelope: JSON) -> Any:
    intent = envelope["request"].get("intent")
    return intent.get("name") if isinstance(intent, dict) else None


def _paths(value: JSON, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside dicts and lists (not the root)."""
    found: list[tuple[Any, ...]] = []
    stack: list[tuple[tuple[Any, ...], JSON]] = [(prefix, value)]
    while stack:
        path, node = stack.pop()
        children = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else ()
        )
        for key, child in children:
            found.append((*path, key))
            if len(found) < 400:
                stack.append(((*path, key), child))
    return found


def _parent(root: JSON, path: tuple[Any, ...]) -> JSON:
    node = root
    for key in path[:-1]:
        node = node[key]
    return node


@st.composite
def mutated(draw: Draw, base: JSON) -> JSON:
    """``base`` with one to four structural mutations: drop, retype, add, or make huge."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(sorted(paths, key=repr)))
        parent = _parent(doc, path)
        action = draw(st.sampled_from(["drop", "retype", "add", "huge"]))
        if action == "drop":
            del parent[path[-1]]
        elif action == "retype":
            parent[path[-1]] = draw(json_values)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(json_values)
        elif action == "add" and isinstance(parent, list):
            parent.append(draw(json_values))
        else:
            parent[path[-1]] = draw(huge_text())
    return doc


@st.composite
def envelopes(draw: Draw) -> JSON:
    """Mostly plausible envelopes, a quarter of them structurally broken."""
    base = draw(plain_envelopes())
    if choose(draw, (3, False), (1, True)):
        return draw(mutated(base))
    return base


def request_type_of(envelope: JSON) -> str | None:
    request = envelope.get("request") if isinstance(envelope, dict) else None
    kind = request.get("type") if isinstance(request, dict) else None
    return kind if isinstance(kind, str) else None


def user_ids_in(envelope: JSON) -> set[str]:
    """Every user id the skill could act for: the context's, the session's, or 'anonymous'."""
    found = {"anonymous", *USERS}
    for path in (("context", "System", "user", "userId"), ("session", "user", "userId")):
        node = envelope
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node:
            found.add(str(node))
    return found


# ----------------------------------------------------------------------------- raw bodies

raw_bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.integers(min_value=1, max_value=60_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=1, max_value=20_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.sampled_from([b"", b"null", b"{}", b'{"request": 5}', b'{"request": {"type": 7}}']),
    st.sampled_from([b"\xff\xfe", b'{"request": {"type": "LaunchRequest"}', b"NaN"]),
)
"""Bodies that are not Alexa envelopes at all: the web app must answer them with 400."""


# ----------------------------------------------------------------------------- running


PRODUCTION_HEADROOM = 950
"""Python frames a request has in production: the default limit of 1000, less the ~50 frames
of the Lambda runtime or of gunicorn, Werkzeug and Flask below the skill."""


@contextmanager
def production_stack() -> Iterator[None]:
    """Run a front door with the recursion headroom it has in production.

    While a test runs, Hypothesis raises the recursion limit (so its own machinery never
    overflows), which would hide exactly the RecursionError a deeply nested envelope causes in
    production. This lowers the limit to the current depth plus :data:`PRODUCTION_HEADROOM` for
    the duration of the call, and puts Hypothesis's limit back before returning to it.
    """
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back  # type: ignore[assignment]
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + PRODUCTION_HEADROOM)
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


# ----------------------------------------------------------------------------- verifier

SIGNATURE_HEADERS = ["Signature-256", "SignatureCertChainUrl", "Signature"]


@st.composite
def case_variants(draw: Draw, name: str) -> str:
    """``name`` with each letter's case chosen at random (header names are case-insensitive)."""
    flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(c.swapcase() if flip else c for c, flip in zip(name, flips, strict=True))


header_names = st.one_of(
    st.sampled_from(SIGNATURE_HEADERS),
    st.sampled_from(SIGNATURE_HEADERS).flatmap(case_variants),
    st.sampled_from(["Content-Type", "Signature-1", "Signature256", "SignatureCertChainURL "]),
    st.text(max_size=20),
)
header_values = st.one_of(
    st.text(max_size=120),
    any_text,
    huge_text().map(lambda text: text[:5000]),
    st.none(),
    st.integers(),
    st.binary(max_size=20),
)

cert_urls = st.builds(
    lambda scheme, userinfo, host, port, path, tail: f"{scheme}{userinfo}{host}{port}{path}{tail}",
    st.sampled_from(["https://", "HTTPS://", "http://", "ftp://", "https:/", "", "https:///"]),
    st.sampled_from(["", "", "", "user@", "user:pw@", "@"]),
    st.sampled_from(
        [
            "s3.amazonaws.com",
            "s3.amazonaws.com",
            "S3.AmazonAWS.com",
            "s3.amazonaws.com.",
            "s3.amazonaws.com.evil.example",
            "evil.example",
            "s3-external-1.amazonaws.com",
            "[::1]",
            "127.0.0.1",
            "",
        ]
    ),
    st.sampled_from(["", "", ":443", ":8443", ":0", ":99999", ":https", ":"]),
    st.sampled_from(
        [
            "/echo.api/echo-api-cert.pem",
            "/echo.api/echo-api-cert.pem",
            "/ECHO.API/echo-api-cert.pem",
            "/echo.api/../echo.api/echo-api-cert.pem",
            "/echo.api/../../etc/passwd",
            "/invalid_path/echo-api-cert.pem",
            "//echo.api/echo-api-cert.pem",
            "/echo.api/%2e%2e/x.pem",
            "/echo.api\\..\\x.pem",
            "/echo.api",
            "/echo.api/",
            "/./echo.api/./cert.pem",
            "",
        ]
    ),
    st.sampled_from(["", "", "?x=1", "#frag", "?", "\n", " ", "\x00"]) | st.text(max_size=10),
)
"""``SignatureCertChainUrl`` values built from pieces, most near misses of a valid one."""


@st.composite
def bit_flips(draw: Draw, data: bytes, *, min_flips: int = 1, max_flips: int = 8) -> bytes:
    """``data`` with a few bits flipped."""
    out = bytearray(data)
    for bit in draw(
        st.sets(st.integers(0, len(out) * 8 - 1), min_size=min_flips, max_size=max_flips)
    ):
        out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@st.composite
def truncations(draw: Draw, text: str) -> str:
    """A strict prefix of ``text``, sometimes with the base64 padding stripped."""
    cut = draw(st.integers(0, max(0, len(text) - 1)))
    return draw(st.sampled_from([text[:cut], text[:cut].rstrip("="), text.rstrip("=")]))
