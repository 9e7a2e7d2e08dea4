"""Request envelopes shaped like the Alexa service's, built from NLU results.

Pure functions: the caller passes the clock's ``now`` and the session, so the
builders are easy to test and the :class:`~skill.simulator.session.Simulator`
owns all state. Shapes follow Alexa's "Request and Response JSON Reference"
and "Entity Resolution" pages: ``session`` and ``context.System`` carry the
application, user and device; custom slot types carry
``resolutions.resolutionsPerAuthority`` (authority
``amzn1.er-authority.echo-sdk.<skillId>.<SlotType>``) both on the slot and in
``slotValue``; an empty slot is just its name and confirmation status.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from skill.simulator.nlu import ER_MATCH, SlotFill

__all__ = [
    "API_ENDPOINT",
    "FAKE_SKILL_ID",
    "INTERFACES",
    "VERSION",
    "Identity",
    "SessionInfo",
    "build_envelope",
    "er_authority",
    "intent_json",
    "intent_request",
    "launch_request",
    "new_request_id",
    "new_session_id",
    "session_ended_request",
    "slot_json",
    "timestamp",
]

VERSION = "1.0"
FAKE_SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
DEFAULT_USER_ID = "amzn1.ask.account.SIMULATOR"
DEFAULT_DEVICE_ID = "amzn1.ask.device.SIMULATOR"
API_ENDPOINT = "https://api.amazonalexa.com"
#: Not a real token: nothing the simulator runs can spend it at Amazon.
FAKE_API_ACCESS_TOKEN = "simulator.not-a-real-token"
#: ``context.System.device.supportedInterfaces`` entries, as an Echo Show sends them.
INTERFACES: Mapping[str, Mapping[str, Any]] = {
    "AudioPlayer": {},
    "Display": {"templateVersion": "1.0", "markupVersion": "1.0"},
    "VideoApp": {},
    "Alexa.Presentation.APL": {"runtime": {"maxVersion": "2024.2"}},
    "Alexa.Presentation.APLA": {"runtime": {"maxVersion": "0.1"}},
    "Alexa.Presentation.HTML": {"runtime": {"maxVersion": "1.1"}},
}


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is talking to which skill on which device (Bespoken's ``userId``, ``deviceId``...)."""

    skill_id: str = FAKE_SKILL_ID
    user_id: str = DEFAULT_USER_ID
    device_id: str = DEFAULT_DEVICE_ID
    api_access_token: str = FAKE_API_ACCESS_TOKEN
    api_endpoint: str = API_ENDPOINT
    #: names from :data:`INTERFACES` the device supports (none: a voice-only Echo)
    interfaces: Sequence[str] = ()
    #: an account-linking token (``user.accessToken``), when the user linked an account
    access_token: str | None = None


@dataclass(slots=True)
class SessionInfo:
    """One skill session: its id, whether the next request is its first, and its attributes."""

    session_id: str
    new: bool = True
    attributes: dict[str, Any] | None = None


def new_request_id() -> str:
    return f"amzn1.echo-api.request.{uuid.uuid4()}"


def new_session_id() -> str:
    return f"amzn1.echo-api.session.{uuid.uuid4()}"


def timestamp(now: datetime) -> str:
    """ISO 8601 in UTC to the second, as Alexa sends it: ``2026-11-27T10:15:00Z``."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def er_authority(skill_id: str, slot_type: str) -> str:
    return f"amzn1.er-authority.echo-sdk.{skill_id}.{slot_type}"


def _resolutions(fill: SlotFill, skill_id: str) -> dict[str, Any]:
    authority: dict[str, Any] = {
        "authority": er_authority(skill_id, fill.type),
        "status": {"code": fill.status},
    }
    if fill.status == ER_MATCH:
        authority["values"] = [{"value": {"name": name, "id": id_}} for id_, name in fill.matches]
    return {"resolutionsPerAuthority": [authority]}


def _simple(fill: SlotFill, skill_id: str) -> dict[str, Any]:
    simple: dict[str, Any] = {"type": "Simple", "value": fill.value}
    if fill.status is not None:  # custom slot types get entity resolution
        simple["resolutions"] = _resolutions(fill, skill_id)
    return simple


def slot_json(
    name: str, fill: SlotFill | None, skill_id: str, confirmation: str = "NONE"
) -> dict[str, Any]:
    """A slot as Alexa sends it; an unfilled slot is only its name and confirmation status.

    A multiple-value slot (``multipleValues.enabled`` in the model) carries its
    values only in ``slotValue``, ``{"type": "List", "values": [Simple, ...]}``,
    with no top-level ``value`` or ``resolutions``, as Alexa sends it.
    """
    slot: dict[str, Any] = {"name": name, "confirmationStatus": confirmation}
    if fill is None:
        return slot
    slot["source"] = "USER"
    if fill.items:
        slot["slotValue"] = {"type": "List", "values": [_simple(f, skill_id) for f in fill.items]}
        return slot
    slot["value"] = fill.value
    if fill.status is not None:
        slot["resolutions"] = _resolutions(fill, skill_id)
    slot["slotValue"] = _simple(fill, skill_id)
    return slot


def intent_json(
    name: str,
    slot_names: list[str],
    fills: Mapping[str, SlotFill],
    skill_id: str,
    confirmation: str = "NONE",
) -> dict[str, Any]:
    """``request.intent``: every slot the model defines, filled or not (no ``slots`` if none)."""
    intent: dict[str, Any] = {"name": name, "confirmationStatus": confirmation}
    if slot_names:
        intent["slots"] = {n: slot_json(n, fills.get(n), skill_id) for n in slot_names}
    return intent


def _request(kind: str, locale: str, now: datetime) -> dict[str, Any]:
    return {
        "type": kind,
        "requestId": new_request_id(),
        "timestamp": timestamp(now),
        "locale": locale,
    }


def launch_request(locale: str, now: datetime) -> dict[str, Any]:
    return _request("LaunchRequest", locale, now)


def intent_request(
    intent: Mapping[str, Any], locale: str, now: datetime, dialog_state: str | None = None
) -> dict[str, Any]:
    request = _request("IntentRequest", locale, now)
    if dialog_state is not None:
        request["dialogState"] = dialog_state
    request["intent"] = dict(intent)
    return request


def session_ended_request(
    reason: str, locale: str, now: datetime, error: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``reason``: USER_INITIATED, ERROR or EXCEEDED_MAX_REPROMPTS."""
    request = _request("SessionEndedRequest", locale, now)
    request["reason"] = reason
    if error is not None:
        request["error"] = dict(error)
    return request


def build_envelope(
    request: Mapping[str, Any], identity: Identity, session: SessionInfo | None
) -> dict[str, Any]:
    """The whole envelope: ``version``, ``session`` (when in one), ``context``, ``request``."""
    application = {"applicationId": identity.skill_id}
    user: dict[str, Any] = {"userId": identity.user_id}
    if identity.access_token:
        user["accessToken"] = identity.access_token
    envelope: dict[str, Any] = {"version": VERSION}
    if session is not None:
        envelope["session"] = {
            "new": session.new,
            "sessionId": session.session_id,
            "application": dict(application),
            "attributes": dict(session.attributes or {}),
            "user": dict(user),
        }
    envelope["context"] = {
        "System": {
            "application": dict(application),
            "user": dict(user),
            "device": {
                "deviceId": identity.device_id,
                "supportedInterfaces": {
                    name: dict(INTERFACES.get(name, {})) for name in identity.interfaces
                },
            },
            "apiEndpoint": identity.api_endpoint,
            "apiAccessToken": identity.api_access_token,
        }
    }
    envelope["request"] = dict(request)
    return envelope
