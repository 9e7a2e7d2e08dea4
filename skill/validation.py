"""Would Alexa accept this response? One validator for tests, the simulator and fuzzers.

:func:`validate_response` returns every problem it finds (an empty list means valid);
:func:`assert_valid_response` raises :class:`InvalidResponse` listing them all. The rules
are Alexa's documented ones, not this skill's habits, so the validator is an independent
oracle: it keeps its own list of silent request types rather than importing the skill's.

1. **Shape.** The JSON deserialises into ``ask_sdk_model.ResponseEnvelope``, ``version`` is
   ``"1.0"``, ``response`` is an object, ``shouldEndSession`` (when present and not null) is a
   boolean, ``sessionAttributes`` (when present and not null) is an object, and the whole
   thing is JSON (no NaN, no Python-only values).
2. **Speech.** ``outputSpeech`` and ``reprompt.outputSpeech`` are ``PlainText`` with a
   ``text`` string or ``SSML`` with an ``ssml`` string that parses as XML whose root is
   ``<speak>`` (so no characters XML forbids, such as NUL, ESC or a lone surrogate, and no
   DOCTYPE: SSML has no DTD, and a DTD could make the parser expand entities); each is at
   most 8,000 characters.
3. **Cards.** ``Simple`` cards carry ``content`` (never ``text``), ``Standard`` cards carry
   ``text`` (never ``content``); title and body together are at most 8,000 characters (Alexa
   counts them combined); a Standard card's ``smallImageUrl``/``largeImageUrl`` are https.
4. **Size.** The response, serialised as the web front door sends it (``json.dumps`` with its
   defaults: ASCII-only, so bytes equal characters), is at most 24 KB (24 * 1024 bytes).
5. **Session end, when** ``request_type`` **is given.**

   * A reply to ``LaunchRequest`` or ``IntentRequest`` says ``shouldEndSession`` explicitly
     (true or false): left out, the session's fate depends on the device. Exceptions:
   * a response with a dialog directive (any ``Dialog.*`` except
     ``Dialog.UpdateDynamicEntities``, which only changes slot values and can go with any
     response) continues the dialog, so ``shouldEndSession`` must be false or absent, never
     true. ``Dialog.Delegate`` must carry no ``outputSpeech`` or ``reprompt`` (Alexa speaks
     the dialog model's prompts); ``Dialog.ElicitSlot``, ``Dialog.ConfirmSlot`` and
     ``Dialog.ConfirmIntent`` must carry the question in ``outputSpeech``;
   * a response with ``VideoApp.Launch`` must leave ``shouldEndSession`` out (the video app
     takes over the session; the ASK SDK's ``ResponseFactory`` removes it for this reason).

6. **Silence.** Replies to ``SessionEndedRequest``, ``System.ExceptionEncountered``,
   ``AudioPlayer.*`` and ``PlaybackController.*`` carry no ``outputSpeech``, ``reprompt`` or
   ``card``.

Sources: Alexa's "Request and Response JSON Reference" (response format, 24 KB and 8,000
character limits), "Include a Card in Your Skill's Response", "Dialog Interface Reference",
"AudioPlayer Interface Reference" and "System.ExceptionEncountered".

It is meant to run thousands of times in a fuzz run: the SDK serializer is built once (and
lazily, so importing this module costs nothing until the first call), and the response is
serialised once and reused for the size check and the SDK round trip.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

from skill.errors import CornerShopError

__all__ = [
    "MAX_CARD_CHARS",
    "MAX_RESPONSE_BYTES",
    "MAX_SPEECH_CHARS",
    "SILENT_REQUEST_PREFIXES",
    "InvalidResponse",
    "assert_valid_response",
    "validate_response",
]

RESPONSE_VERSION = "1.0"
MAX_SPEECH_CHARS = 8000
"""outputSpeech (and the reprompt's) text or SSML, each."""
MAX_CARD_CHARS = 8000
"""A card's title and body (``content`` or ``text``) combined."""
MAX_RESPONSE_BYTES = 24 * 1024
"""The whole response as sent."""

SILENT_REQUEST_PREFIXES = (
    "SessionEndedRequest",
    "System.ExceptionEncountered",
    "AudioPlayer.",
    "PlaybackController.",
)
"""Request types whose reply may hold no speech, reprompt or card."""

_SESSION_REQUESTS = frozenset({"LaunchRequest", "IntentRequest"})
_DIALOG_WITHOUT_TURN = frozenset({"Dialog.UpdateDynamicEntities"})
_DIALOG_NEEDS_SPEECH = frozenset(
    {"Dialog.ElicitSlot", "Dialog.ConfirmSlot", "Dialog.ConfirmIntent"}
)
_CARD_BODY = {"Simple": ("content", "text"), "Standard": ("text", "content")}


class InvalidResponse(CornerShopError):
    """A response Alexa would refuse; the message lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        listed = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"The response is not one Alexa would accept ({len(self.problems)} problem(s)):\n"
            f"{listed}\nFix the handler that built it; skill.validation lists the rules."
        )


def assert_valid_response(response: Any, *, request_type: str | None = None) -> None:
    """Raise :class:`InvalidResponse` (with every problem) unless ``response`` is valid."""
    problems = validate_response(response, request_type=request_type)
    if problems:
        raise InvalidResponse(problems)


def validate_response(response: Any, *, request_type: str | None = None) -> list[str]:
    """Every way ``response`` breaks Alexa's rules; empty when it is valid.

    ``request_type`` is the ``request.type`` being answered; without it the rules that depend
    on the request (5 and 6 in the module docs) are skipped. Never raises for any input.
    """
    if not isinstance(response, dict):
        return [f"The response must be a JSON object, not {type(response).__name__}."]
    problems: list[str] = []
    try:
        text = json.dumps(response, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        return [f"The response is not serialisable as JSON: {exc}."]

    problems.extend(_check_envelope(response, text))
    body = response.get("response")
    if isinstance(body, dict):
        problems.extend(_check_body(body, request_type))
    return problems


# --------------------------------------------------------------------------- envelope


@cache
def _serializer() -> Any:
    # Imported on first use: the ASK SDK is heavy and the simulator may never validate.
    from ask_sdk_core.serialize import DefaultSerializer

    return DefaultSerializer()


def _check_envelope(response: Mapping[str, Any], text: str) -> list[str]:
    problems: list[str] = []
    size = len(text.encode("utf-8"))
    if size > MAX_RESPONSE_BYTES:
        problems.append(
            f"The response is {size} bytes of JSON; Alexa accepts at most {MAX_RESPONSE_BYTES}."
        )
    from ask_sdk_model import ResponseEnvelope

    try:
        _serializer().deserialize(text, ResponseEnvelope)
    except Exception as exc:  # the SDK raises SerializationException, or worse, for junk
        problems.append(
            f"The response does not deserialise into ask_sdk_model.ResponseEnvelope: "
            f"{type(exc).__name__}: {exc}"
        )
    version = response.get("version")
    if version != RESPONSE_VERSION:
        problems.append(f'"version" must be "{RESPONSE_VERSION}", not {version!r}.')
    body = response.get("response")
    if not isinstance(body, dict):
        problems.append(f'"response" must be an object, not {_kind(body)}.')
    attrs = response.get("sessionAttributes")
    if attrs is not None and not isinstance(attrs, dict):
        problems.append(f'"sessionAttributes" must be an object, not {_kind(attrs)}.')
    return problems


# --------------------------------------------------------------------------- response body


def _check_body(body: Mapping[str, Any], request_type: str | None) -> list[str]:
    problems: list[str] = []
    speech = body.get("outputSpeech")
    if speech is not None:
        problems.extend(_check_speech(speech, "outputSpeech"))
    reprompt = body.get("reprompt")
    if reprompt is not None:
        if not isinstance(reprompt, dict):
            problems.append(f'"reprompt" must be an object, not {_kind(reprompt)}.')
        elif reprompt.get("outputSpeech") is not None:
            problems.extend(_check_speech(reprompt["outputSpeech"], "reprompt.outputSpeech"))
    card = body.get("card")
    if card is not None:
        problems.extend(_check_card(card))

    end = body.get("shouldEndSession")
    if end is not None and not isinstance(end, bool):
        problems.append(f'"shouldEndSession" must be true or false, not {end!r}.')
    directive_types = _directive_types(body.get("directives"), problems)
    problems.extend(_check_directives(body, directive_types))

    if request_type is not None:
        if request_type.startswith(SILENT_REQUEST_PREFIXES):
            for key in ("outputSpeech", "reprompt", "card"):
                if body.get(key) is not None:
                    problems.append(
                        f'A reply to {request_type} must not carry "{key}": Alexa plays '
                        "nothing after it."
                    )
        elif (
            request_type in _SESSION_REQUESTS
            and end is None  # absent or null
            and not _session_end_exempt(directive_types)
        ):
            problems.append(
                f'A reply to {request_type} must set "shouldEndSession" to true or false; '
                "left out, what happens next depends on the device."
            )
    return problems


def _check_speech(speech: Any, where: str) -> list[str]:
    if not isinstance(speech, dict):
        return [f'"{where}" must be an object, not {_kind(speech)}.']
    kind = speech.get("type")
    if kind == "PlainText":
        value = speech.get("text")
        if not isinstance(value, str):
            return [f'"{where}" is PlainText but its "text" is {_kind(value)}, not a string.']
        return _check_length(value, where)
    if kind == "SSML":
        value = speech.get("ssml")
        if not isinstance(value, str):
            return [f'"{where}" is SSML but its "ssml" is {_kind(value)}, not a string.']
        return _check_length(value, where) + _check_ssml(value, where)
    return [f'"{where}.type" must be "PlainText" or "SSML", not {kind!r}.']


def _check_length(value: str, where: str) -> list[str]:
    if len(value) > MAX_SPEECH_CHARS:
        return [f'"{where}" is {len(value)} characters; Alexa speaks at most {MAX_SPEECH_CHARS}.']
    return []


def _check_ssml(ssml: str, where: str) -> list[str]:
    upper = ssml.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        return [f'"{where}" SSML declares a DOCTYPE or entities, which SSML does not allow.']
    try:
        root = ElementTree.fromstring(ssml)
    except ElementTree.ParseError as exc:
        return [f'"{where}" SSML is not well-formed XML ({exc}): {_clip(ssml)!r}']
    except UnicodeError:  # a lone surrogate: not a character XML (or UTF-8) can carry
        return [f'"{where}" SSML holds a lone surrogate, which XML does not allow: {_clip(ssml)!r}']
    if root.tag != "speak":
        return [f'"{where}" SSML must have <speak> as its root element, not <{root.tag}>.']
    return []


def _check_card(card: Any) -> list[str]:
    if not isinstance(card, dict):
        return [f'"card" must be an object, not {_kind(card)}.']
    kind = card.get("type")
    problems: list[str] = []
    if kind in _CARD_BODY:
        body_key, wrong_key = _CARD_BODY[kind]
        if wrong_key in card:
            problems.append(f'A {kind} card uses "{body_key}", not "{wrong_key}".')
        chars = sum(len(v) for v in (card.get("title"), card.get(body_key)) if isinstance(v, str))
        if chars > MAX_CARD_CHARS:
            problems.append(
                f"The {kind} card's title and {body_key} are {chars} characters; Alexa shows at "
                f"most {MAX_CARD_CHARS}."
            )
        for key in ("title", body_key):
            value = card.get(key)
            if value is not None and not isinstance(value, str):
                problems.append(f'The {kind} card\'s "{key}" must be a string, not {_kind(value)}.')
    if kind == "Standard":
        problems.extend(_check_card_images(card.get("image")))
    return problems


def _check_card_images(image: Any) -> list[str]:
    if image is None:
        return []
    if not isinstance(image, dict):
        return [f'The Standard card\'s "image" must be an object, not {_kind(image)}.']
    problems: list[str] = []
    for key in ("smallImageUrl", "largeImageUrl"):
        url = image.get(key)
        if url is None:
            continue
        if not isinstance(url, str) or not _is_https(url):
            problems.append(f"The Standard card's {key} must be an https URL, not {url!r}.")
    return problems


def _is_https(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname)


def _directive_types(directives: Any, problems: list[str]) -> list[str]:
    if directives is None:
        return []
    if not isinstance(directives, list):
        problems.append(f'"directives" must be a list, not {_kind(directives)}.')
        return []
    types = []
    for directive in directives:
        kind = directive.get("type") if isinstance(directive, dict) else None
        if not isinstance(kind, str):
            problems.append(f"Every directive must be an object with a string type: {directive!r}.")
            continue
        types.append(kind)
    return types


def _dialog_turn(types: list[str]) -> list[str]:
    return [t for t in types if t.startswith("Dialog.") and t not in _DIALOG_WITHOUT_TURN]


def _session_end_exempt(types: list[str]) -> bool:
    return bool(_dialog_turn(types)) or "VideoApp.Launch" in types


def _check_directives(body: Mapping[str, Any], types: list[str]) -> list[str]:
    problems: list[str] = []
    end = body.get("shouldEndSession")
    dialog = _dialog_turn(types)
    if dialog and end is True:
        problems.append(
            f'A response with {dialog[0]} continues the dialog, so "shouldEndSession" must be '
            "false or left out, not true."
        )
    if "Dialog.Delegate" in types:
        for key in ("outputSpeech", "reprompt"):
            if body.get(key) is not None:
                problems.append(
                    f'A response with Dialog.Delegate must not carry "{key}": Alexa speaks the '
                    "dialog model's prompts."
                )
    for kind in _DIALOG_NEEDS_SPEECH.intersection(types):
        if body.get("outputSpeech") is None:
            problems.append(f'A response with {kind} must ask its question in "outputSpeech".')
    if "VideoApp.Launch" in types and "shouldEndSession" in body:
        problems.append('A response with VideoApp.Launch must leave "shouldEndSession" out.')
    return problems


# --------------------------------------------------------------------------- helpers


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number" if not isinstance(value, float) or math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else f"{text[:limit]}..."
