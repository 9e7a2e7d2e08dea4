"""The skill bugs the fuzzers found, each as its minimal example: regression tests.

Each test states what *should* happen; all eight bugs are fixed, so all of them pass. A new
bug found by the fuzzers gets its minimal example here (strict xfail while it is open, with an
entry in ``KNOWN_CRASHES``/``KNOWN_INVALID`` in test_fuzz_skill.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from fuzz.strategies import production_stack

from skill.app import CornerShopSkill
from skill.config import Settings
from skill.lambda_adapter import LambdaAdapter
from skill.store.sqlite import SQLiteStore
from skill.validation import assert_valid_response
from skill.web import create_app

Event = Callable[..., dict[str, Any]]


def lambda_reply(skill: CornerShopSkill, envelope: dict[str, Any]) -> dict[str, Any]:
    """Through the Lambda front door (direct event), checked by the validator."""
    with production_stack():
        out = LambdaAdapter(skill)(envelope)
    assert_valid_response(out, request_type=envelope["request"]["type"])
    return out


@pytest.fixture
def client(make_skill: Callable[..., CornerShopSkill]) -> Iterator[FlaskClient]:
    app = create_app(Settings(store_url="memory://", verify_requests=False), skill=make_skill())
    yield app.test_client()


def nested_dicts(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def test_envelope_without_context_system_gets_a_reply(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    envelope = event("launch")
    envelope["context"] = {}
    lambda_reply(make_skill(), envelope)


def test_user_id_with_a_lone_surrogate_gets_a_reply(
    make_skill: Callable[..., CornerShopSkill], event: Event, tmp_path: Path
) -> None:
    # "\ud800" is what the JSON escape "\\ud800" decodes to: legal JSON, not encodable UTF-8
    store = SQLiteStore(tmp_path / "shop.db")
    lambda_reply(make_skill(store=store), event("launch", user_id="\ud800"))


def test_deeply_nested_session_attributes_get_a_reply(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    # 500 levels: json.loads reads it (its limit is near 1000), deepcopy does not. (Set after
    # event(), which deep-copies the attributes it is given.)
    envelope = event("help")
    envelope["session"]["attributes"] = {"notes": nested_dicts(500)}
    lambda_reply(make_skill(), envelope)


def test_body_nested_too_deep_for_json_gets_400(client: FlaskClient) -> None:
    body = b"[" * 60_000 + b"]" * 60_000  # 120 KB: under the 128 KB limit
    with production_stack():
        response = client.post("/alexa", data=body, content_type="application/json")
    assert response.status_code == 400, response.status_code
    assert isinstance(response.get_json()["error"], str)


def test_big_unknown_session_attributes_are_not_echoed_past_24_kb(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    lambda_reply(make_skill(), event("help", attributes={"notes": "x" * 30_000}))


def test_elicit_does_not_echo_a_huge_slot_past_24_kb(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    # Item missing, so the skill elicits it, carrying Quantity's 30 KB value along
    envelope = event("add_item", slots={"Item": None, "Quantity": "1" * 30_000})
    lambda_reply(make_skill(), envelope)


def test_repeat_never_speaks_more_than_8000_characters(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    attributes = {"last_spoken": {"speech": "a" * 8001, "reprompt": "Say it again?"}}
    lambda_reply(make_skill(), event("repeat", attributes=attributes))


@pytest.mark.parametrize("spoken", ["a\x00b", "\x1b[31m", "\ud800", "\ufffe"])
def test_characters_xml_forbids_are_not_echoed_into_ssml(
    make_skill: Callable[..., CornerShopSkill], event: Event, spoken: str
) -> None:
    lambda_reply(make_skill(), event("price", slots={"Item": spoken}))
