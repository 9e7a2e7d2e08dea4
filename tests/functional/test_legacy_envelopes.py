"""Envelopes in the shapes older simulators sent: no ``context``, or an epoch timestamp.

GIVEN such an envelope, WHEN the session carries the user and the skill, THEN the skill
answers for real (the cart of that user changes); WHEN it does not, THEN the web service
answers 400 with a reason. Never the generic "something went wrong".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import speech_of

from skill.app import CornerShopSkill
from skill.config import Settings
from skill.errors import BadRequest
from skill.speech import messages_for
from skill.store.memory import MemoryStore
from skill.validation import assert_valid_response
from skill.web import create_app

Event = Callable[..., dict[str, Any]]
USER = "amzn1.ask.account.AEXAMPLEUSERID0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
GENERIC = messages_for("en-US")("error_generic")


def without_context(envelope: dict[str, Any]) -> dict[str, Any]:
    envelope.pop("context")
    return envelope


def test_launch_without_context_is_answered_from_the_session(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    out = make_skill().handle(without_context(event("launch")))
    assert_valid_response(out, request_type="LaunchRequest")
    assert "Welcome to Corner Shop" in speech_of(out)


def test_add_without_context_fills_the_session_users_cart(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    store = MemoryStore()
    out = make_skill(store=store).handle(
        without_context(event("add_item", slots={"Item": "apples", "Quantity": "2"}))
    )
    assert GENERIC not in speech_of(out)
    assert store.get_cart(USER).quantity_of("APPLE") == 2


@pytest.mark.parametrize("stamp", [1_764_584_100, 1_764_584_100_000, 1_764_584_100.5])
def test_numeric_epoch_timestamps_get_a_real_answer(
    make_skill: Callable[..., CornerShopSkill], event: Event, stamp: float
) -> None:
    envelope = event("launch")
    envelope["request"]["timestamp"] = stamp
    out = make_skill().handle(envelope)
    assert "Welcome to Corner Shop" in speech_of(out)
    assert envelope["request"]["timestamp"] == stamp  # the caller's envelope is untouched


def test_a_timestamp_that_is_no_date_is_refused(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    envelope = event("launch")
    envelope["request"]["timestamp"] = 1e300
    with pytest.raises(BadRequest, match="not a date"):
        make_skill().handle(envelope)


def test_no_context_and_no_session_user_is_a_bad_request(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    envelope = without_context(event("launch"))
    del envelope["session"]["user"]
    with pytest.raises(BadRequest, match=r"context\.System"):
        make_skill().handle(envelope)


def test_silent_requests_without_context_get_an_empty_reply(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    envelope = without_context(event("session_ended"))
    envelope.pop("session", None)
    out = make_skill().handle(envelope)
    assert_valid_response(out, request_type="SessionEndedRequest")
    assert "outputSpeech" not in out["response"]


def test_over_http_an_unattributable_envelope_gets_400_with_the_reason(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    app = create_app(Settings(store_url="memory://", verify_requests=False), skill=make_skill())
    client = app.test_client()
    envelope = without_context(event("launch"))
    good = client.post("/alexa", json=envelope)
    assert good.status_code == 200
    assert "Welcome to Corner Shop" in speech_of(good.get_json())
    del envelope["session"]
    bad = client.post("/alexa", json=envelope)
    assert bad.status_code == 400
    assert "context.System" in bad.get_json()["error"]
