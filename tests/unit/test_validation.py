"""The response validator: each rule caught by a hand-made bad response; real replies pass."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import EVENTS, Conversation, load_event
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.app import CornerShopSkill
from skill.errors import CornerShopError
from skill.handlers.system import SILENT_PREFIXES
from skill.profile import FixedProfile
from skill.validation import (
    MAX_CARD_CHARS,
    MAX_RESPONSE_BYTES,
    MAX_SPEECH_CHARS,
    SILENT_REQUEST_PREFIXES,
    InvalidResponse,
    assert_valid_response,
    validate_response,
)

Event = Callable[..., dict[str, Any]]
EVENT_NAMES = sorted(p.stem for p in EVENTS.glob("*.json"))
SILENT_TYPES = [
    "SessionEndedRequest",
    "System.ExceptionEncountered",
    "AudioPlayer.PlaybackStarted",
    "AudioPlayer.PlaybackFailed",
    "PlaybackController.PlayCommandIssued",
]


def ssml(text: str) -> dict[str, Any]:
    return {"type": "SSML", "ssml": f"<speak>{text}</speak>"}


def good(**response: Any) -> dict[str, Any]:
    """A valid reply that asks a question; keyword arguments replace parts of ``response``."""
    body: dict[str, Any] = {
        "outputSpeech": ssml("What would you like?"),
        "reprompt": {"outputSpeech": ssml("Say an item.")},
        "shouldEndSession": False,
    }
    body.update(response)
    return {"version": "1.0", "sessionAttributes": {}, "response": body}


def problems_of(response: Any, request_type: str | None = "IntentRequest") -> str:
    return "\n".join(validate_response(response, request_type=request_type))


# ----------------------------------------------------------------------------- the good ones


@pytest.mark.parametrize("request_type", [None, "LaunchRequest", "IntentRequest"])
def test_a_plain_question_is_valid(request_type: str | None) -> None:
    assert validate_response(good(), request_type=request_type) == []


@pytest.mark.parametrize("request_type", [*SILENT_TYPES, "CanFulfillIntentRequest", "Other.X"])
def test_an_empty_reply_is_valid_for_requests_that_need_no_session_answer(
    request_type: str,
) -> None:
    assert validate_response({"version": "1.0", "response": {}}, request_type=request_type) == []


def test_cards_of_every_kind_in_their_right_shape_are_valid() -> None:
    for card in (
        {"type": "Simple", "title": "Cart", "content": "2 apples"},
        {
            "type": "Standard",
            "title": "Order",
            "text": "Done",
            "image": {
                "smallImageUrl": "https://example.com/s.png",
                "largeImageUrl": "https://example.com/l.png",
            },
        },
        {"type": "LinkAccount"},
        {"type": "AskForPermissionsConsent", "permissions": ["alexa::profile:given_name:read"]},
    ):
        assert validate_response(good(card=card)) == [], card


def test_validator_keeps_its_own_list_of_silent_requests_in_step_with_the_skill() -> None:
    # GIVEN two lists written separately (the validator is an oracle, so it doesn't import)
    # THEN they agree: a difference means one of them misread Alexa's docs
    assert tuple(SILENT_REQUEST_PREFIXES) == tuple(SILENT_PREFIXES)


# ----------------------------------------------------------------------------- shape


@pytest.mark.parametrize("junk", [None, [], "response", 7])
def test_not_an_object_is_refused(junk: Any) -> None:
    assert "must be a JSON object" in problems_of(junk)


def test_values_json_cannot_carry_are_refused() -> None:
    assert "not serialisable as JSON" in problems_of(good(shouldEndSession={1, 2}))
    assert "not serialisable as JSON" in problems_of({**good(), "sessionAttributes": {"x": 1e999}})


def test_what_the_sdk_cannot_deserialise_is_refused() -> None:
    response = good(directives=[{"type": "No.Such.Directive"}])
    assert "does not deserialise into ask_sdk_model.ResponseEnvelope" in problems_of(response)


@pytest.mark.parametrize("version", [None, "2.0", 1.0, "1"])
def test_version_must_be_1_0(version: Any) -> None:
    response = good()
    if version is None:
        del response["version"]
    else:
        response["version"] = version
    assert '"version" must be "1.0"' in problems_of(response)


@pytest.mark.parametrize("body", [None, [], "x"])
def test_response_must_be_an_object(body: Any) -> None:
    response = {"version": "1.0", "response": body}
    if body is None:
        del response["response"]
    assert '"response" must be an object' in problems_of(response)


@pytest.mark.parametrize("attributes", [[], "x", 3, True])
def test_session_attributes_must_be_an_object(attributes: Any) -> None:
    response = {**good(), "sessionAttributes": attributes}
    assert '"sessionAttributes" must be an object' in problems_of(response)


# ----------------------------------------------------------------------------- speech


@pytest.mark.parametrize(
    ("speech", "message"),
    [
        ({"type": "SSML", "ssml": "<speak>Tom & Jerry</speak>"}, "not well-formed XML"),
        ({"type": "SSML", "ssml": "<speak>unclosed"}, "not well-formed XML"),
        ({"type": "SSML", "ssml": "Hello"}, "not well-formed XML"),
        ({"type": "SSML", "ssml": "<p>Hello</p>"}, "<speak> as its root element"),
        (
            {"type": "SSML", "ssml": '<!DOCTYPE speak [<!ENTITY a "b">]><speak>&a;</speak>'},
            "DOCTYPE",
        ),
        ({"type": "SSML", "text": "<speak>Hi</speak>"}, 'its "ssml" is null'),
        ({"type": "PlainText", "ssml": "<speak>Hi</speak>"}, 'its "text" is null'),
        ({"type": "PlainText", "text": 5}, 'its "text" is a number'),
        ({"text": "Hi"}, 'must be "PlainText" or "SSML"'),
        ("Hello", "must be an object"),
    ],
)
def test_broken_speech_is_refused_in_output_speech_and_in_the_reprompt(
    speech: Any, message: str
) -> None:
    assert message in problems_of(good(outputSpeech=speech))
    found = problems_of(good(reprompt={"outputSpeech": speech}))
    assert message in found and "reprompt.outputSpeech" in found


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\ufffe", "\ud800"])
def test_ssml_with_characters_xml_forbids_is_refused(char: str) -> None:
    found = problems_of(good(outputSpeech=ssml(f"Sorry, we don't sell a{char}b.")))
    assert "not well-formed XML" in found or "lone surrogate" in found


def test_plain_text_speech_is_valid() -> None:
    assert validate_response(good(outputSpeech={"type": "PlainText", "text": "Tom & Jerry"})) == []


def test_reprompt_must_be_an_object() -> None:
    assert '"reprompt" must be an object' in problems_of(good(reprompt="Say something"))


def test_speech_longer_than_8000_characters_is_refused() -> None:
    at_limit = "a" * (MAX_SPEECH_CHARS - len("<speak></speak>"))
    assert validate_response(good(outputSpeech=ssml(at_limit))) == []
    over = ssml(at_limit + "a")
    assert "at most 8000" in problems_of(good(outputSpeech=over))
    assert "reprompt.outputSpeech" in problems_of(good(reprompt={"outputSpeech": over}))
    plain = {"type": "PlainText", "text": "a" * (MAX_SPEECH_CHARS + 1)}
    assert "at most 8000" in problems_of(good(outputSpeech=plain))


# ----------------------------------------------------------------------------- cards


def test_standard_card_with_content_is_refused() -> None:
    card = {"type": "Standard", "title": "Receipt", "content": "2 apples"}
    assert 'A Standard card uses "text", not "content"' in problems_of(good(card=card))


def test_simple_card_with_text_is_refused() -> None:
    card = {"type": "Simple", "title": "Cart", "text": "2 apples"}
    assert 'A Simple card uses "content", not "text"' in problems_of(good(card=card))


@pytest.mark.parametrize(
    "url", ["http://example.com/a.png", "ftp://example.com/a.png", "//example.com/a.png", "x", 5]
)
@pytest.mark.parametrize("key", ["smallImageUrl", "largeImageUrl"])
def test_standard_card_images_must_be_https(key: str, url: Any) -> None:
    card = {"type": "Standard", "title": "T", "text": "x", "image": {key: url}}
    assert f"{key} must be an https URL" in problems_of(good(card=card))


@pytest.mark.parametrize(("kind", "body_key"), [("Simple", "content"), ("Standard", "text")])
def test_card_title_and_body_over_8000_characters_are_refused(kind: str, body_key: str) -> None:
    card = {"type": kind, "title": "Title", body_key: "x" * (MAX_CARD_CHARS - 5)}
    assert validate_response(good(card=card)) == []
    card[body_key] += "x"
    assert f"at most {MAX_CARD_CHARS}" in problems_of(good(card=card))


def test_card_must_be_an_object_with_string_parts() -> None:
    assert '"card" must be an object' in problems_of(good(card="Cart"))
    card = {"type": "Simple", "title": 7, "content": "x"}
    assert 'card\'s "title" must be a string' in problems_of(good(card=card))


# ----------------------------------------------------------------------------- size


def test_whole_response_over_24_kb_is_refused() -> None:
    # GIVEN a response whose size is exactly the limit, then one byte more
    response = good()
    response["sessionAttributes"] = {"pad": ""}
    base = len(json.dumps(response).encode("utf-8"))
    response["sessionAttributes"]["pad"] = "x" * (MAX_RESPONSE_BYTES - base)
    assert len(json.dumps(response).encode("utf-8")) == MAX_RESPONSE_BYTES
    assert validate_response(response) == []
    response["sessionAttributes"]["pad"] += "x"
    assert f"Alexa accepts at most {MAX_RESPONSE_BYTES}" in problems_of(response)


def test_size_counts_non_ascii_as_the_web_app_sends_it() -> None:
    # json.dumps escapes "é" as \\u00e9: six bytes on the wire, not two
    response = good()
    response["sessionAttributes"] = {"pad": "é" * (MAX_RESPONSE_BYTES // 6)}
    assert f"at most {MAX_RESPONSE_BYTES}" in problems_of(response)


# ----------------------------------------------------------------------------- session end


@pytest.mark.parametrize("request_type", ["LaunchRequest", "IntentRequest"])
@pytest.mark.parametrize("value", ["absent", None])
def test_launch_and_intent_replies_must_say_should_end_session(
    request_type: str, value: Any
) -> None:
    response = good()
    if value == "absent":
        del response["response"]["shouldEndSession"]
    else:
        response["response"]["shouldEndSession"] = value
    assert 'must set "shouldEndSession"' in problems_of(response, request_type)
    # without the request type, the rule cannot apply
    assert validate_response(response) == []


@pytest.mark.parametrize("request_type", ["CanFulfillIntentRequest", "Alexa.Presentation.APL.X"])
def test_other_requests_may_leave_should_end_session_out(request_type: str) -> None:
    assert validate_response({"version": "1.0", "response": {}}, request_type=request_type) == []


@pytest.mark.parametrize("value", ["yes", 0, 1, "false"])
def test_should_end_session_must_be_a_boolean(value: Any) -> None:
    assert '"shouldEndSession" must be true or false' in problems_of(good(shouldEndSession=value))


def _elicit(end: Any = "absent", *, speech: bool = True, kind: str = "Dialog.ElicitSlot") -> Any:
    directive: dict[str, Any] = {
        "type": kind,
        "updatedIntent": {"name": "AddItemIntent", "confirmationStatus": "NONE", "slots": {}},
    }
    if kind in ("Dialog.ElicitSlot", "Dialog.ConfirmSlot"):
        directive["slotToElicit" if kind == "Dialog.ElicitSlot" else "slotToConfirm"] = "Item"
    response = good(directives=[directive])
    body = response["response"]
    if end == "absent":
        del body["shouldEndSession"]
    else:
        body["shouldEndSession"] = end
    if not speech:
        body.pop("outputSpeech")
        body.pop("reprompt")
    return response


@pytest.mark.parametrize(
    "kind", ["Dialog.ElicitSlot", "Dialog.ConfirmSlot", "Dialog.ConfirmIntent"]
)
def test_dialog_directive_may_leave_should_end_session_out_or_false(kind: str) -> None:
    assert validate_response(_elicit("absent", kind=kind), request_type="IntentRequest") == []
    assert validate_response(_elicit(False, kind=kind), request_type="IntentRequest") == []


@pytest.mark.parametrize("kind", ["Dialog.ElicitSlot", "Dialog.ConfirmIntent", "Dialog.Delegate"])
def test_dialog_directive_with_should_end_session_true_is_refused(kind: str) -> None:
    response = _elicit(True, kind=kind, speech=kind != "Dialog.Delegate")
    assert f"A response with {kind} continues the dialog" in problems_of(response)


@pytest.mark.parametrize(
    "kind", ["Dialog.ElicitSlot", "Dialog.ConfirmSlot", "Dialog.ConfirmIntent"]
)
def test_elicit_and_confirm_must_ask_in_output_speech(kind: str) -> None:
    found = problems_of(_elicit(False, kind=kind, speech=False))
    assert f'A response with {kind} must ask its question in "outputSpeech"' in found


def test_delegate_must_not_speak() -> None:
    assert validate_response(_elicit(kind="Dialog.Delegate", speech=False)) == []
    found = problems_of(_elicit(kind="Dialog.Delegate"))
    assert 'Dialog.Delegate must not carry "outputSpeech"' in found
    assert 'Dialog.Delegate must not carry "reprompt"' in found


def test_update_dynamic_entities_does_not_excuse_a_missing_should_end_session() -> None:
    response = good(
        directives=[{"type": "Dialog.UpdateDynamicEntities", "updateBehavior": "CLEAR"}]
    )
    assert validate_response(response, request_type="IntentRequest") == []
    del response["response"]["shouldEndSession"]
    assert 'must set "shouldEndSession"' in problems_of(response)


def test_video_app_launch_must_leave_should_end_session_out() -> None:
    directive = {"type": "VideoApp.Launch", "videoItem": {"source": "https://example.com/v.mp4"}}
    response = good(directives=[directive])
    assert "VideoApp.Launch must leave" in problems_of(response)
    del response["response"]["shouldEndSession"]
    assert validate_response(response, request_type="IntentRequest") == []


def test_directives_must_be_a_list_of_typed_objects() -> None:
    assert '"directives" must be a list' in problems_of(
        good(directives={"type": "Dialog.Delegate"})
    )
    assert "Every directive must be an object" in problems_of(good(directives=["Dialog.Delegate"]))


# ----------------------------------------------------------------------------- silence


@pytest.mark.parametrize("request_type", SILENT_TYPES)
@pytest.mark.parametrize("key", ["outputSpeech", "reprompt", "card"])
def test_silent_requests_get_no_speech_reprompt_or_card(request_type: str, key: str) -> None:
    parts = {
        "outputSpeech": ssml("Bye"),
        "reprompt": {"outputSpeech": ssml("Hello?")},
        "card": {"type": "Simple", "title": "T", "content": "c"},
    }
    response = {"version": "1.0", "response": {key: parts[key]}}
    assert f'A reply to {request_type} must not carry "{key}"' in problems_of(
        response, request_type
    )


# ----------------------------------------------------------------------------- reporting


def test_assert_valid_response_raises_with_every_problem() -> None:
    # GIVEN a response with three separate faults
    response = good(outputSpeech=ssml("a & b"), card={"type": "Simple", "text": "x"})
    response["version"] = "2"
    # THEN all three are in one error, which is part of the project's error tree
    with pytest.raises(InvalidResponse) as caught:
        assert_valid_response(response, request_type="IntentRequest")
    assert isinstance(caught.value, CornerShopError)
    assert len(caught.value.problems) == 3
    message = str(caught.value)
    assert "3 problem(s)" in message
    for problem in caught.value.problems:
        assert problem in message


def test_assert_valid_response_is_quiet_for_a_good_response() -> None:
    assert_valid_response(good(), request_type="LaunchRequest")


def test_validator_does_not_change_its_input() -> None:
    response = _elicit(True)
    before = copy.deepcopy(response)
    validate_response(response, request_type="IntentRequest")
    assert response == before


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3)
    ),
    max_leaves=8,
)
_response_keys = st.sampled_from(
    ["outputSpeech", "reprompt", "card", "directives", "shouldEndSession", "canFulfillIntent"]
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    top=st.dictionaries(st.sampled_from(["version", "response", "sessionAttributes"]), _json),
    body=st.dictionaries(_response_keys, _json),
    request_type=st.none() | st.sampled_from(["LaunchRequest", "IntentRequest", *SILENT_TYPES]),
)
def test_validator_never_raises(
    top: dict[str, Any], body: dict[str, Any], request_type: str | None
) -> None:
    # GIVEN junk in the shape of a response; THEN a list of problems, never an exception
    for response in (top, {**top, "response": body}):
        problems = validate_response(response, request_type=request_type)
        assert isinstance(problems, list)
        assert all(isinstance(problem, str) for problem in problems)


# ----------------------------------------------------------------------------- real replies


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_every_real_event_gets_a_valid_reply_with_an_empty_cart(
    make_skill: Callable[..., CornerShopSkill], event: Event, name: str
) -> None:
    envelope = event(name)
    out = make_skill().handle(envelope)
    assert_valid_response(out, request_type=envelope["request"]["type"])


@pytest.mark.parametrize("name", EVENT_NAMES)
@pytest.mark.parametrize("permission_missing", [False, True])
def test_every_real_event_gets_a_valid_reply_mid_conversation(
    make_skill: Callable[..., CornerShopSkill], event: Event, name: str, permission_missing: bool
) -> None:
    # GIVEN a user with a full cart, a past order and a pending checkout question
    skill = make_skill(profile=FixedProfile("Ada", permission_missing=permission_missing))
    talk = Conversation(skill, event)
    for step in ("add_item", "add_item_spoken_only", "checkout", "yes", "reorder", "checkout"):
        talk.send(step, request_id=f"setup-{step}")
        assert_valid_response(talk.last, request_type="IntentRequest")
    # WHEN any real event arrives with that session
    envelope = event(name, attributes=talk.attributes)
    out = skill.handle(envelope)
    # THEN the reply (a receipt card, a permissions card, a cart list...) is valid
    assert_valid_response(out, request_type=envelope["request"]["type"])


def test_the_real_events_cover_every_request_family() -> None:
    types = {load_event(name)["request"]["type"] for name in EVENT_NAMES}
    assert {"LaunchRequest", "IntentRequest", "SessionEndedRequest"} <= types
    assert any(t.startswith(SILENT_REQUEST_PREFIXES[1:]) for t in types)
