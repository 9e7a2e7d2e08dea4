"""The simulator as Alexa: envelopes, sessions and dialog directives, against the real skill
and against a scripted skill for the directives Corner Shop itself never sends."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from skill.config import Settings
from skill.simulator.commands import corner_shop_simulator
from skill.simulator.envelopes import API_ENDPOINT, FAKE_SKILL_ID, timestamp
from skill.simulator.session import Simulator, SimulatorError, SkillCrashed
from skill.simulator.targets import Target
from skill.store.memory import MemoryStore

SETTINGS = Settings(store_url="memory://", log_level="WARNING")


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with corner_shop_simulator(SETTINGS, store=MemoryStore()) as simulator:
        yield simulator


def intent_of(turn: Any) -> dict[str, Any]:
    intent: dict[str, Any] = turn.request["request"]["intent"]
    return intent


# -- envelopes ---------------------------------------------------------------------
def test_an_envelope_looks_like_the_alexa_service(sim: Simulator) -> None:
    before = datetime.now(UTC) - timedelta(seconds=2)
    turn = sim.say("add two apples")
    envelope = turn.request
    assert envelope is not None
    assert envelope["version"] == "1.0"
    session = envelope["session"]
    assert session["new"] is True
    assert session["sessionId"].startswith("amzn1.echo-api.session.")
    assert session["application"] == {"applicationId": FAKE_SKILL_ID}
    assert session["attributes"] == {}
    assert session["user"]["userId"].startswith("amzn1.ask.account.")
    system = envelope["context"]["System"]
    assert system["application"] == {"applicationId": FAKE_SKILL_ID}
    assert system["user"] == session["user"]
    assert system["device"]["deviceId"].startswith("amzn1.ask.device.")
    assert system["device"]["supportedInterfaces"] == {}
    assert system["apiEndpoint"] == API_ENDPOINT
    assert system["apiAccessToken"]
    request = envelope["request"]
    assert request["type"] == "IntentRequest"
    assert request["requestId"].startswith("amzn1.echo-api.request.")
    assert request["locale"] == "en-US"
    assert request["dialogState"] == "STARTED"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", request["timestamp"])
    sent = datetime.strptime(request["timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before <= sent <= datetime.now(UTC)
    assert turn.problems == []


def test_custom_slots_carry_alexas_entity_resolution(sim: Simulator) -> None:
    slots = intent_of(sim.say("add peanut butter"))["slots"]
    authority = f"amzn1.er-authority.echo-sdk.{FAKE_SKILL_ID}.CatalogItem"
    resolutions = {
        "resolutionsPerAuthority": [
            {
                "authority": authority,
                "status": {"code": "ER_SUCCESS_MATCH"},
                "values": [{"value": {"name": "peanut butter", "id": "PEANUT_BUTTER"}}],
            }
        ]
    }
    assert slots["Item"] == {
        "name": "Item",
        "value": "peanut butter",
        "confirmationStatus": "NONE",
        "source": "USER",
        "resolutions": resolutions,
        "slotValue": {"type": "Simple", "value": "peanut butter", "resolutions": resolutions},
    }
    assert slots["Quantity"] == {"name": "Quantity", "confirmationStatus": "NONE"}


def test_an_unknown_value_is_heard_with_no_match(sim: Simulator) -> None:
    item = intent_of(sim.say("add a unicorn"))["slots"]["Item"]
    assert item["value"] == "unicorn"
    authority = item["resolutions"]["resolutionsPerAuthority"][0]
    assert authority["status"] == {"code": "ER_SUCCESS_NO_MATCH"}
    assert "values" not in authority
    assert item["slotValue"]["resolutions"] == item["resolutions"]


def test_numbers_are_digits_without_resolutions(sim: Simulator) -> None:
    quantity = intent_of(sim.say("add twenty one bagels"))["slots"]["Quantity"]
    assert quantity["value"] == "21"
    assert quantity["slotValue"] == {"type": "Simple", "value": "21"}
    assert "resolutions" not in quantity


def test_slotless_intents_have_no_slots_key(sim: Simulator) -> None:
    assert intent_of(sim.say("help")) == {"name": "AMAZON.HelpIntent", "confirmationStatus": "NONE"}


def test_request_ids_are_unique(sim: Simulator) -> None:
    turns = [sim.say("help") for _ in range(5)]
    ids = {turn.request["request"]["requestId"] for turn in turns if turn.request}
    assert len(ids) == 5


def test_timestamp_is_utc_to_the_second() -> None:
    naive = datetime(2026, 1, 2, 3, 4, 5, 678)
    assert timestamp(naive) == "2026-01-02T03:04:05Z"


# -- sessions ------------------------------------------------------------------------
def test_attributes_come_back_and_new_is_only_first(sim: Simulator) -> None:
    first = sim.say("open corner shop")
    assert first.request is not None and first.request["request"]["type"] == "LaunchRequest"
    second = sim.say("how much is milk")
    assert second.request is not None and first.response is not None
    assert second.request["session"]["new"] is False
    assert second.request["session"]["sessionId"] == first.request["session"]["sessionId"]
    assert second.request["session"]["attributes"] == first.response["sessionAttributes"]
    third = sim.say("yes")
    assert third.request is not None and second.response is not None
    assert third.request["session"]["attributes"]["pending"] == {"kind": "add", "item": "MILK"}
    assert third.speech.startswith("Added 1 gallon of milk")


def test_a_session_ends_and_the_next_utterance_starts_a_new_one(sim: Simulator) -> None:
    opened = sim.say("add milk")
    stopped = sim.say("stop")
    assert stopped.session_ended and not sim.in_session
    again = sim.say("what's in my cart")
    assert again.request is not None and opened.request is not None
    assert again.request["session"]["new"] is True
    assert again.request["session"]["sessionId"] != opened.request["session"]["sessionId"]
    assert again.request["session"]["attributes"] == {}
    assert "1 gallon of milk" in again.speech  # the store kept the cart


def test_launch_phrases_and_one_shots(sim: Simulator) -> None:
    assert sim.say("launch corner shop").request_type == "LaunchRequest"
    one_shot = sim.say("ask corner shop to add milk")
    assert one_shot.request is not None
    assert one_shot.request["session"]["new"] is True
    assert intent_of(one_shot)["name"] == "AddItemIntent"


def test_silence_repeats_the_reprompt_once_then_ends_the_session(sim: Simulator) -> None:
    sim.say("open corner shop")
    first = sim.say("")
    assert first.exchanges == []
    assert first.speech.startswith("What would you like to do?")
    second = sim.say("   ")
    assert second.request is not None
    assert second.request["request"]["type"] == "SessionEndedRequest"
    assert second.request["request"]["reason"] == "EXCEEDED_MAX_REPROMPTS"
    assert second.problems == [] and not sim.in_session


def test_end_session_sends_a_silent_session_ended_request(sim: Simulator) -> None:
    assert sim.end_session() is None  # nothing to end
    sim.say("add milk")
    ended = sim.end_session()
    assert ended is not None and ended.response is not None
    assert ended.request is not None
    assert ended.request["request"]["reason"] == "USER_INITIATED"
    assert "outputSpeech" not in ended.response["response"]
    assert ended.problems == []


def test_the_configured_skill_id_is_used() -> None:
    settings = SETTINGS.with_(skill_id="amzn1.ask.skill.11111111-2222-3333-4444-555555555555")
    with corner_shop_simulator(settings, store=MemoryStore()) as sim:
        turn = sim.say("help")
        assert turn.request is not None
        assert turn.request["session"]["application"]["applicationId"] == settings.skill_id


def test_a_whole_checkout_offline(sim: Simulator) -> None:
    # The autouse loopback guard in tests/conftest.py fails any real network call.
    for utterance in ["add two apples", "check out"]:
        sim.say(utterance)
    done = sim.say("yes")
    assert done.speech.startswith("You're checked out!")
    assert done.card_title.startswith("Corner Shop order")
    assert all(not t.problems for t in sim.turns)


# -- dialog with the real skill ----------------------------------------------------------
def test_elicit_slot_fills_the_same_intent_in_progress(sim: Simulator) -> None:
    asked = sim.say("add three")
    assert asked.directives[0]["type"] == "Dialog.ElicitSlot"
    assert sim.waiting_for == "Item of AddItemIntent"
    answered = sim.say("lemons")
    intent = intent_of(answered)
    assert answered.request is not None
    assert answered.request["request"]["dialogState"] == "IN_PROGRESS"
    assert intent["name"] == "AddItemIntent"
    assert intent["slots"]["Quantity"]["value"] == "3"  # kept from updatedIntent
    assert intent["slots"]["Item"]["resolutions"]["resolutionsPerAuthority"][0]["values"]
    assert answered.speech.startswith("Added 3 lemons")
    assert sim.waiting_for is None


def test_saying_another_intent_leaves_the_dialog(sim: Simulator) -> None:
    sim.say("add")
    listing = sim.say("what's in my cart")
    assert intent_of(listing)["name"] == "ListCartIntent"
    assert "dialogState" not in listing.request["request"]  # type: ignore[index]
    assert sim.say("apples").intent == "AMAZON.FallbackIntent"


# -- directives Corner Shop doesn't send: a scripted skill ------------------------------------
PIZZA_MODEL: dict[str, Any] = {
    "interactionModel": {
        "languageModel": {
            "invocationName": "pizza place",
            "intents": [
                {
                    "name": "OrderIntent",
                    "slots": [
                        {"name": "Size", "type": "SizeType"},
                        {"name": "Count", "type": "AMAZON.NUMBER"},
                    ],
                    "samples": [
                        "order a pizza",
                        "order a {Size} pizza",
                        "order {Count} {Size} pizzas",
                    ],
                },
                {
                    "name": "BookIntent",
                    "slots": [{"name": "Size", "type": "SizeType"}],
                    "samples": ["book a table", "book a {Size} table"],
                },
                {"name": "AMAZON.YesIntent", "samples": []},
                {"name": "AMAZON.NoIntent", "samples": []},
                {"name": "AMAZON.StopIntent", "samples": []},
                {"name": "AMAZON.FallbackIntent", "samples": []},
            ],
            "types": [
                {
                    "name": "SizeType",
                    "values": [
                        {"id": "L", "name": {"value": "large", "synonyms": ["big"]}},
                        {"id": "S", "name": {"value": "small", "synonyms": []}},
                    ],
                }
            ],
        },
        "dialog": {
            "delegationStrategy": "SKILL_RESPONSE",
            "intents": [
                {
                    "name": "OrderIntent",
                    "confirmationRequired": True,
                    "prompts": {"confirmation": "Confirm.Intent.Order"},
                    "slots": [
                        {
                            "name": "Size",
                            "type": "SizeType",
                            "elicitationRequired": True,
                            "confirmationRequired": True,
                            "prompts": {
                                "elicitation": "Elicit.Size",
                                "confirmation": "Confirm.Size",
                            },
                        },
                        {"name": "Count", "type": "AMAZON.NUMBER", "prompts": {}},
                    ],
                },
                {
                    "name": "BookIntent",
                    "delegationStrategy": "ALWAYS",
                    "prompts": {},
                    "slots": [
                        {
                            "name": "Size",
                            "type": "SizeType",
                            "elicitationRequired": True,
                            "prompts": {"elicitation": "Elicit.Size"},
                        }
                    ],
                },
            ],
        },
        "prompts": [
            {"id": "Elicit.Size", "variations": [{"type": "PlainText", "value": "What size?"}]},
            {
                "id": "Confirm.Size",
                "variations": [{"type": "PlainText", "value": "{Size}, right?"}],
            },
            {
                "id": "Confirm.Intent.Order",
                "variations": [{"type": "SSML", "value": "<speak>Order a {Size} pizza?</speak>"}],
            },
        ],
    }
}


class ScriptedSkill(Target):
    """A skill double: answers each envelope with ``answer(envelope)`` and records them."""

    def __init__(self, answer: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self.answer = answer
        self.envelopes: list[dict[str, Any]] = []

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        self.envelopes.append(copy.deepcopy(envelope))
        return self.answer(envelope)


def say(text: str, *, end: bool = False, directive: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"outputSpeech": {"type": "PlainText", "text": text}}
    body["shouldEndSession"] = end
    if directive is not None:
        body["directives"] = [directive]
    return {"version": "1.0", "sessionAttributes": {}, "response": body}


def pizza(answer: Callable[[dict[str, Any]], dict[str, Any]]) -> tuple[Simulator, ScriptedSkill]:
    skill = ScriptedSkill(answer)
    return Simulator(skill, model=PIZZA_MODEL), skill


@pytest.mark.parametrize(("reply", "status"), [("yes", "CONFIRMED"), ("no", "DENIED")])
def test_confirm_intent_then_yes_or_no(reply: str, status: str) -> None:
    def answer(envelope: dict[str, Any]) -> dict[str, Any]:
        intent = envelope["request"]["intent"]
        if intent["confirmationStatus"] == "NONE":
            return say("Sure?", directive={"type": "Dialog.ConfirmIntent", "updatedIntent": intent})
        return say(f"You said {intent['confirmationStatus']}", end=True)

    sim, skill = pizza(answer)
    assert sim.say("order a large pizza").speech == "Sure?"
    done = sim.say(reply)
    sent = skill.envelopes[-1]["request"]
    assert sent["dialogState"] == "IN_PROGRESS"
    assert sent["intent"]["name"] == "OrderIntent"
    assert sent["intent"]["confirmationStatus"] == status
    assert sent["intent"]["slots"]["Size"]["value"] == "large"
    assert done.speech == f"You said {status}"


def test_confirm_slot_then_yes() -> None:
    def answer(envelope: dict[str, Any]) -> dict[str, Any]:
        intent = envelope["request"]["intent"]
        if intent["slots"]["Size"]["confirmationStatus"] == "NONE":
            return say(
                "Large?",
                directive={
                    "type": "Dialog.ConfirmSlot",
                    "slotToConfirm": "Size",
                    "updatedIntent": intent,
                },
            )
        return say("ok", end=True)

    sim, skill = pizza(answer)
    sim.say("order a large pizza")
    sim.say("yeah")
    assert (
        skill.envelopes[-1]["request"]["intent"]["slots"]["Size"]["confirmationStatus"]
        == "CONFIRMED"
    )


def test_delegate_follows_the_dialog_model_to_completion() -> None:
    def answer(envelope: dict[str, Any]) -> dict[str, Any]:
        request = envelope["request"]
        if request["dialogState"] != "COMPLETED":
            return {"version": "1.0", "response": {"directives": [{"type": "Dialog.Delegate"}]}}
        size = request["intent"]["slots"]["Size"]["value"]
        return say(f"Ordered a {size} pizza.", end=True)

    sim, skill = pizza(answer)
    asked = sim.say("order a pizza")
    assert asked.speech == "What size?"
    assert sim.waiting_for == "Size of OrderIntent"
    confirm_slot = sim.say("big")
    assert skill.envelopes[-1]["request"]["dialogState"] == "IN_PROGRESS"
    assert confirm_slot.speech == "big, right?"
    confirm_intent = sim.say("yes")
    assert confirm_intent.speech == "Order a big pizza?"  # SSML prompt, read as text
    done = sim.say("yes please")
    states = [e["request"]["dialogState"] for e in skill.envelopes]
    assert states == ["STARTED", "IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS", "COMPLETED"]
    final = skill.envelopes[-1]["request"]["intent"]
    assert final["confirmationStatus"] == "CONFIRMED"
    assert final["slots"]["Size"]["confirmationStatus"] == "CONFIRMED"
    assert done.speech == "Ordered a big pizza."
    assert len(done.exchanges) == 2 and done.session_ended


def test_always_delegation_never_asks_the_skill_until_complete() -> None:
    sim, skill = pizza(lambda envelope: say("Booked.", end=True))
    asked = sim.say("book a table")
    assert asked.speech == "What size?" and asked.exchanges == []
    assert skill.envelopes == []
    done = sim.say("small")
    assert [e["request"]["dialogState"] for e in skill.envelopes] == ["COMPLETED"]
    assert skill.envelopes[0]["request"]["intent"]["slots"]["Size"]["value"] == "small"
    assert done.speech == "Booked."


def test_a_skill_that_delegates_forever_is_stopped() -> None:
    def answer(envelope: dict[str, Any]) -> dict[str, Any]:
        return {"version": "1.0", "response": {"directives": [{"type": "Dialog.Delegate"}]}}

    sim, _skill = pizza(answer)
    assert sim.say("order a large pizza").speech == "large, right?"
    assert sim.say("yes").speech == "Order a large pizza?"
    with pytest.raises(SimulatorError, match="kept the dialog going"):
        sim.say("yes")  # complete: Alexa sends COMPLETED, and the skill delegates again


def test_a_crash_is_reported_as_skill_crashed() -> None:
    def answer(envelope: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("boom")

    sim, _skill = pizza(answer)
    with pytest.raises(SkillCrashed, match="RuntimeError for a IntentRequest: boom"):
        sim.say("order a pizza")


def test_an_invalid_response_is_recorded() -> None:
    sim, _skill = pizza(lambda envelope: {"version": "2.0", "response": {"shouldEndSession": "no"}})
    turn = sim.say("order a pizza")
    assert any('"version" must be "1.0"' in p for p in turn.problems)
    assert any("shouldEndSession" in p for p in turn.problems)


def test_eliciting_a_slot_the_model_lacks_is_refused() -> None:
    def answer(envelope: dict[str, Any]) -> dict[str, Any]:
        intent = envelope["request"]["intent"]
        directive = {
            "type": "Dialog.ElicitSlot",
            "slotToElicit": "Topping",
            "updatedIntent": intent,
        }
        return say("Which topping?", directive=directive)

    sim, _skill = pizza(answer)
    with pytest.raises(SimulatorError, match="names slot 'Topping'"):
        sim.say("order a large pizza")
