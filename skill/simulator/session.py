"""A conversation with a skill, with Alexa's session and dialog rules.

:class:`Simulator` plays the Alexa service for any skill: it turns each
utterance into a request envelope (through :mod:`skill.simulator.nlu` and the
skill's own interaction model), hands it to a :class:`~skill.simulator.targets.Target`
(a Python handler in process, an HTTP endpoint, or a project's own skill), and
carries state forward as Alexa does:

* **Sessions.** The first request of a session has ``session.new`` true;
  ``sessionAttributes`` from each response come back in the next request; a
  response with ``shouldEndSession: true`` ends the session and the next
  utterance starts a new one. "open <invocation name>" (or launch/start + the
  invocation name) is a ``LaunchRequest``; "ask <invocation name> to ..." and any
  utterance outside a session are one-shot ``IntentRequest``\\ s in a new session.
  Silence replays the reprompt once, then ends the session
  (``SessionEndedRequest`` with ``EXCEEDED_MAX_REPROMPTS``).
* **Dialogs.** After ``Dialog.ElicitSlot`` the next utterance fills that slot of
  the same intent (the ``updatedIntent``'s other slots kept) with ``dialogState``
  ``IN_PROGRESS``; after ``Dialog.ConfirmIntent``/``ConfirmSlot`` a yes or no
  sets ``confirmationStatus`` to ``CONFIRMED``/``DENIED``; ``Dialog.Delegate``
  is followed with the model's ``dialog`` and ``prompts`` sections: Alexa asks
  for the next required slot or confirmation itself, and once nothing is
  missing sends the intent again with ``dialogState`` ``COMPLETED``. Intents
  whose ``delegationStrategy`` is ``ALWAYS`` get that without asking the skill.
  Saying something that is clearly another intent leaves the dialog, as on a device.

Each :meth:`Simulator.say` returns a :class:`Turn` with the envelopes exchanged,
what Alexa said, and any way the response breaks Alexa's rules
(:func:`skill.validation.validate_response`). ``before_send`` lets a caller
change each envelope just before it goes out (Bespoken's ``request.*`` keys).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from html import unescape
from typing import Any

from skill.errors import ConfigError, CornerShopError
from skill.simulator.envelopes import (
    FAKE_SKILL_ID,
    Identity,
    SessionInfo,
    build_envelope,
    intent_json,
    intent_request,
    launch_request,
    new_session_id,
    session_ended_request,
    slot_json,
)
from skill.simulator.errors import SimulatorError, SkillCrashed
from skill.simulator.models import ModelSet
from skill.simulator.nlu import Nlu, NluResult, SlotFill, nlu_for, split_invocation
from skill.simulator.targets import Target
from skill.validation import validate_response

__all__ = ["Exchange", "Simulator", "SimulatorError", "SkillCrashed", "Turn", "speech_text"]

YES = "AMAZON.YesIntent"
NO = "AMAZON.NoIntent"
_MAX_EXCHANGES = 6  # per turn: a skill that keeps delegating must not loop forever
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class Exchange:
    request: dict[str, Any]
    response: dict[str, Any]
    problems: tuple[str, ...] = ()
    #: the target said this response is its generic apology
    apology: bool = False


@dataclass
class Turn:
    """One thing the user said (or didn't), and everything that followed."""

    utterance: str
    nlu: NluResult | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    #: What Alexa itself said: a dialog model prompt, or the reprompt after silence.
    alexa_speech: str | None = None
    session_ended: bool = False
    locale: str = "en-US"

    @property
    def request(self) -> dict[str, Any] | None:
        return self.exchanges[-1].request if self.exchanges else None

    @property
    def response(self) -> dict[str, Any] | None:
        return self.exchanges[-1].response if self.exchanges else None

    @property
    def problems(self) -> list[str]:
        return [p for exchange in self.exchanges for p in exchange.problems]

    @property
    def request_type(self) -> str | None:
        request = self.request
        return str(request["request"]["type"]) if request else None

    @property
    def intent(self) -> str | None:
        """The NLU's intent, or the request type for launches and session ends."""
        if self.nlu is not None:
            return self.nlu.intent
        return self.request_type

    def _body(self) -> dict[str, Any]:
        response = self.response or {}
        body = response.get("response")
        return body if isinstance(body, dict) else {}

    @property
    def speech(self) -> str:
        """What the user hears, SSML stripped."""
        if self.alexa_speech is not None:
            return self.alexa_speech
        return _speech_text(self._body().get("outputSpeech"))

    @property
    def reprompt(self) -> str:
        return _reprompt_of(self.response or {})

    @property
    def card(self) -> dict[str, Any] | None:
        card = self._body().get("card")
        return card if isinstance(card, dict) else None

    @property
    def card_title(self) -> str:
        return str((self.card or {}).get("title") or "")

    @property
    def card_content(self) -> str:
        card = self.card or {}
        return str(card.get("content") or card.get("text") or "")

    @property
    def directives(self) -> list[dict[str, Any]]:
        directives = self._body().get("directives")
        return [d for d in directives or [] if isinstance(d, dict)]

    @property
    def is_apology(self) -> bool:
        """True when the target recognised its own generic apology in the answer."""
        return any(exchange.apology for exchange in self.exchanges)

    def to_json(self) -> dict[str, Any]:
        """``{"utterance", "request", "response"}``, as ``cornershop simulate --json`` prints."""
        return {"utterance": self.utterance, "request": self.request, "response": self.response}

    def transcript(self, *, echo: bool = True) -> list[str]:
        """Readable lines: what was said, what was understood, what Alexa said and showed."""
        lines: list[str] = []
        if echo:
            lines.append(f"you> {self.utterance}" if self.utterance.strip() else "you> (silence)")
        kind = self.request_type
        if self.nlu is not None:
            lines.append(f"      [{self.nlu.describe()}]")
        elif kind == "LaunchRequest":
            lines.append("      [LaunchRequest]")
        if kind == "SessionEndedRequest":
            reason = str((self.request or {}).get("request", {}).get("reason", ""))
            lines.append(f"      (session ended: {reason.lower().replace('_', ' ')})")
            return lines
        if self.speech:
            lines.append(f"alexa> {self.speech}")
        if self.reprompt and self.alexa_speech is None:
            lines.append(f"      reprompt: {self.reprompt}")
        if self.card is not None:
            body = " / ".join(line for line in self.card_content.splitlines() if line.strip())
            kind_text = str(self.card.get("type") or "card")
            shown = f"{self.card_title}: {body}" if self.card_title else body or kind_text
            lines.append(f"      card ({kind_text}): {shown}")
        for problem in self.problems:
            lines.append(f"      !! invalid response: {problem}")
        if self.exchanges and self.session_ended:
            lines.append("      (session ended)")
        return lines


def _reprompt_of(response: Mapping[str, Any]) -> str:
    body = response.get("response")
    reprompt = body.get("reprompt") if isinstance(body, dict) else None
    return _speech_text(reprompt.get("outputSpeech") if isinstance(reprompt, dict) else None)


def speech_text(ssml: str) -> str:
    """What a person hears, as text: SSML tags dropped, entities unescaped, spaces collapsed."""
    return " ".join(unescape(_TAG.sub(" ", ssml)).split())


def _speech_text(speech: Any) -> str:
    if not isinstance(speech, dict):
        return ""
    if speech.get("type") == "PlainText":
        return str(speech.get("text") or "")
    return speech_text(str(speech.get("ssml") or ""))


@dataclass
class _Dialog:
    """What Alexa is waiting for: a slot value, or a yes/no to a confirmation."""

    kind: str  # "elicit" | "confirm_intent" | "confirm_slot"
    intent: dict[str, Any]
    slot: str | None = None
    auto: bool = False  # Alexa runs this dialog itself (delegationStrategy ALWAYS)


@dataclass
class _Session:
    info: SessionInfo
    dialog: _Dialog | None = None
    last_reprompt: str | None = None
    silences: int = 0


class Simulator:
    """Alexa in a box for one user on one device. Not thread-safe; one per conversation."""

    def __init__(
        self,
        target: Target,
        *,
        locale: str = "en-US",
        nlu: Nlu | None = None,
        model: Mapping[str, Any] | None = None,
        models: ModelSet | None = None,
        identity: Identity | None = None,
        user_id: str | None = None,
        skill_id: str | None = None,
        clock: Callable[[], datetime] | None = None,
        owns_target: bool = False,
    ) -> None:
        """The model comes from ``nlu``, ``model`` (one model dict) or ``models`` (a ModelSet)."""
        self.target = target
        self.locale = locale
        if nlu is None:
            if model is not None:
                nlu = Nlu(model, locale)
            elif models is not None:
                nlu = nlu_for(locale, models)
            else:
                raise ConfigError(
                    "The simulator needs the skill's interaction model: pass nlu=, model= or "
                    "models= (ModelSet.find(path))."
                )
        self.nlu: Nlu = nlu
        self.model: Mapping[str, Any] = nlu.model
        identity = identity or Identity()
        chosen = (
            skill_id
            or (identity.skill_id if identity.skill_id != FAKE_SKILL_ID else None)
            or target.skill_id
            or FAKE_SKILL_ID
        )
        identity = replace(identity, skill_id=chosen)
        if user_id:
            identity = replace(identity, user_id=user_id)
        self.identity = identity
        self.clock = clock or (lambda: datetime.now(UTC))
        #: called with each envelope just before it is sent; may change it in place
        self.before_send: Callable[[dict[str, Any]], None] | None = None
        self.turns: list[Turn] = []
        self._session: _Session | None = None
        self._owns_target = owns_target
        dialog = self.model.get("interactionModel", {}).get("dialog") or {}
        self._dialog_intents = {str(d["name"]): d for d in dialog.get("intents") or []}
        self._default_strategy = str(dialog.get("delegationStrategy") or "SKILL_RESPONSE")
        prompts = self.model.get("interactionModel", {}).get("prompts") or []
        self._prompts = {str(p["id"]): list(p.get("variations") or []) for p in prompts}

    @property
    def skill(self) -> Target:
        """The target (the name older callers know it by)."""
        return self.target

    def close(self) -> None:
        if self._owns_target:
            self.target.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- state ---------------------------------------------------------------
    @property
    def in_session(self) -> bool:
        return self._session is not None

    @property
    def session_id(self) -> str | None:
        return self._session.info.session_id if self._session else None

    @property
    def session_attributes(self) -> dict[str, Any]:
        if self._session is None:
            return {}
        return copy.deepcopy(self._session.info.attributes or {})

    @property
    def waiting_for(self) -> str | None:
        """What Alexa expects next, for humans: "Item of AddItemIntent", "yes or no"."""
        dialog = self._session.dialog if self._session else None
        if dialog is None:
            return None
        if dialog.kind == "elicit":
            return f"{dialog.slot} of {dialog.intent.get('name')}"
        return f"yes or no ({dialog.kind.replace('_', ' ')})"

    def stored_state(self) -> list[str] | None:
        """What the skill keeps for this user beyond the session, if the target can say."""
        return self.target.stored_state(self.identity.user_id, self.locale)

    def cart_lines(self) -> list[str]:
        """:meth:`stored_state`, or no lines (Corner Shop's stored cart, for the web page)."""
        return self.stored_state() or []

    # -- talking -------------------------------------------------------------
    def say(self, utterance: str) -> Turn:
        """One utterance, through NLU and the skill. An empty one is silence."""
        text = " ".join(utterance.split())
        if not text:
            return self._silence(utterance)
        invocation = split_invocation(text, self.nlu.invocation_name, self.locale)
        if invocation.kind == "launch":
            return self.launch(utterance)
        if invocation.kind == "one-shot":
            self._start()
            text = invocation.rest
        elif self._session is None:
            self._start()
        result = self._understand(text)
        turn = self._turn(utterance, result)
        self._user_intent(turn, result)
        return self._finish(turn)

    def launch(self, utterance: str = "LaunchRequest") -> Turn:
        """A LaunchRequest in a new session, as for "open corner shop"."""
        self._start()
        turn = self._turn(utterance, None)
        self._exchange(turn, launch_request(self.locale, self.clock()))
        return self._finish(turn)

    def send_intent(
        self, name: str, slots: Mapping[str, str] | None = None, utterance: str | None = None
    ) -> Turn:
        """An intent given directly (``AddItemIntent Item=apples``), as a test tool would."""
        if name not in self.nlu.intent_slots:
            raise ConfigError(
                f"The {self.locale} model has no intent {name!r}. "
                f"Known intents: {', '.join(self.nlu.intent_names)}."
            )
        fills = {slot: self.nlu.resolve(name, slot, value) for slot, value in (slots or {}).items()}
        if self._session is None:
            self._start()
        shown = utterance or " ".join([name, *(f"{k}={v}" for k, v in (slots or {}).items())])
        result = NluResult(shown, name, fills, 1.0)
        turn = self._turn(shown, result)
        self._user_intent(turn, result)
        return self._finish(turn)

    def end_session(self, reason: str = "USER_INITIATED") -> Turn | None:
        """Send SessionEndedRequest (when in a session) and forget the session."""
        if self._session is None:
            return None
        turn = self._turn(f"({reason.lower().replace('_', ' ')})", None)
        self._exchange(turn, session_ended_request(reason, self.locale, self.clock()))
        self._session = None
        turn.session_ended = True
        self.turns.append(turn)
        return turn

    # -- internals -------------------------------------------------------------
    def _start(self) -> None:
        self._session = _Session(SessionInfo(new_session_id(), new=True, attributes={}))

    def _turn(self, utterance: str, result: NluResult | None) -> Turn:
        return Turn(utterance, result, locale=self.locale)

    def _finish(self, turn: Turn) -> Turn:
        turn.session_ended = self._session is None
        self.turns.append(turn)
        return turn

    def _silence(self, utterance: str) -> Turn:
        turn = self._turn(utterance, None)
        session = self._session
        if session is None:
            return self._finish(turn)
        if session.silences == 0 and session.last_reprompt:
            session.silences = 1
            turn.alexa_speech = session.last_reprompt
            return self._finish(turn)
        self._exchange(
            turn, session_ended_request("EXCEEDED_MAX_REPROMPTS", self.locale, self.clock())
        )
        self._session = None
        return self._finish(turn)

    def _understand(self, text: str) -> NluResult:
        dialog = self._session.dialog if self._session else None
        if dialog is not None and dialog.kind == "elicit" and dialog.slot:
            return self.nlu.parse(
                text, expecting=(str(dialog.intent["name"]), dialog.slot), now=self.clock()
            )
        return self.nlu.parse(text, now=self.clock())

    def _user_intent(self, turn: Turn, result: NluResult) -> None:
        """What Alexa does with an understood utterance, given the dialog in progress."""
        assert self._session is not None
        dialog = self._session.dialog
        self._session.dialog = None
        if dialog is not None:
            intent = self._continue_dialog(dialog, result)
            if intent is not None:
                if dialog.auto:
                    self._delegate(turn, intent, auto=True)
                else:
                    self._send(turn, intent, "IN_PROGRESS")
                return
        intent = intent_json(
            result.intent,
            self.nlu.intent_slot_names(result.intent),
            result.slots,
            self.identity.skill_id,
        )
        dialog_model = self._dialog_intents.get(result.intent)
        if dialog_model is not None and self._strategy(dialog_model) == "ALWAYS":
            self._delegate(turn, intent, auto=True)
            return
        self._send(turn, intent, "STARTED" if dialog_model is not None else None)

    def _continue_dialog(self, dialog: _Dialog, result: NluResult) -> dict[str, Any] | None:
        """The dialog's intent updated by this answer, or None if the user left the dialog."""
        intent = copy.deepcopy(dialog.intent)
        if dialog.kind == "elicit":
            if result.intent != intent.get("name"):
                return None
            slots = intent.setdefault("slots", {})
            for name in self.nlu.intent_slot_names(str(intent["name"])):
                slots.setdefault(name, {"name": name, "confirmationStatus": "NONE"})
            for name, fill in result.slots.items():
                slots[name] = self._slot(name, fill, slots.get(name, {}))
            return intent
        if result.intent not in (YES, NO):
            return None
        status = "CONFIRMED" if result.intent == YES else "DENIED"
        if dialog.kind == "confirm_intent":
            intent["confirmationStatus"] = status
        elif dialog.slot:
            slot = intent.setdefault("slots", {}).setdefault(dialog.slot, {"name": dialog.slot})
            slot["confirmationStatus"] = status
        return intent

    def _slot(self, name: str, fill: SlotFill, old: Mapping[str, Any]) -> dict[str, Any]:
        confirmation = str(old.get("confirmationStatus") or "NONE")
        return slot_json(name, fill, self.identity.skill_id, confirmation)

    def _send(self, turn: Turn, intent: Mapping[str, Any], state: str | None) -> None:
        request = intent_request(intent, self.locale, self.clock(), state)
        response = self._exchange(turn, request)
        if response is not None:
            self._follow(turn, request, response)

    def _exchange(self, turn: Turn, request: dict[str, Any]) -> dict[str, Any] | None:
        session = self._session
        envelope = build_envelope(request, self.identity, session.info if session else None)
        if self.before_send is not None:
            self.before_send(envelope)
        if session is not None:
            session.info.new = False
            session.silences = 0
        if len(turn.exchanges) >= _MAX_EXCHANGES:
            raise SimulatorError(
                f"The skill kept the dialog going for {_MAX_EXCHANGES} requests in one turn "
                "(Dialog.Delegate with nothing left to ask?). Return a response that speaks."
            )
        try:
            response = self.target.send(envelope)
        except CornerShopError:
            raise
        except Exception as exc:  # a target that does not translate its own failures
            raise SkillCrashed(
                f"{self.target.label} raised {type(exc).__name__} for a {request['type']}: {exc}"
            ) from exc
        problems = tuple(validate_response(response, request_type=str(request["type"])))
        apology = self.target.is_apology(response, self.locale)
        turn.exchanges.append(Exchange(envelope, response, problems, apology))
        if session is not None:
            attributes = response.get("sessionAttributes")
            session.info.attributes = dict(attributes) if isinstance(attributes, dict) else {}
            session.last_reprompt = _reprompt_of(response) or None
        return response

    def _follow(self, turn: Turn, request: Mapping[str, Any], response: Mapping[str, Any]) -> None:
        """Apply the response: end the session, or wait for what a dialog directive asks."""
        body = response.get("response")
        body = body if isinstance(body, dict) else {}
        if body.get("shouldEndSession") is True:
            self._session = None
            return
        assert self._session is not None
        current = request.get("intent")
        for directive in body.get("directives") or []:
            kind = directive.get("type") if isinstance(directive, dict) else None
            if not isinstance(kind, str) or not kind.startswith("Dialog."):
                continue
            updated = directive.get("updatedIntent") or current
            if not isinstance(updated, dict):
                continue
            intent = copy.deepcopy(updated)  # the recorded response stays as the skill sent it
            if kind in ("Dialog.ElicitSlot", "Dialog.ConfirmSlot"):
                slot = directive.get(
                    "slotToElicit" if kind.endswith("ElicitSlot") else "slotToConfirm"
                )
                if slot not in self.nlu.intent_slot_names(str(intent.get("name"))):
                    raise SimulatorError(
                        f"{kind} names slot {slot!r}, which {intent.get('name')} doesn't have in "
                        f"the {self.locale} model, so Alexa would reject the response. Use one of "
                        f"{self.nlu.intent_slot_names(str(intent.get('name')))}."
                    )
                mode = "elicit" if kind.endswith("ElicitSlot") else "confirm_slot"
                self._session.dialog = _Dialog(mode, intent, str(slot))
            elif kind == "Dialog.ConfirmIntent":
                self._session.dialog = _Dialog("confirm_intent", intent)
            elif kind == "Dialog.Delegate":
                self._delegate(turn, intent, auto=False)
            return

    def _strategy(self, dialog_model: Mapping[str, Any]) -> str:
        return str(dialog_model.get("delegationStrategy") or self._default_strategy)

    def _delegate(self, turn: Turn, intent: dict[str, Any], *, auto: bool) -> None:
        """Alexa runs the dialog model: ask for what is missing, or send it COMPLETED."""
        assert self._session is not None
        name = str(intent.get("name"))
        dialog_model = self._dialog_intents.get(name)
        if dialog_model is None:
            raise SimulatorError(
                f"The skill delegated {name} to Alexa, but the {self.locale} model's dialog "
                "section has no such intent. Add it to interactionModel.dialog.intents."
            )
        slots = intent.setdefault("slots", {})
        for spec in dialog_model.get("slots") or []:
            slot_name = str(spec["name"])
            slot = slots.setdefault(slot_name, {"name": slot_name, "confirmationStatus": "NONE"})
            prompts = spec.get("prompts") or {}
            if slot.get("confirmationStatus") == "DENIED":  # Alexa asks again
                slots[slot_name] = {"name": slot_name, "confirmationStatus": "NONE"}
                slot = slots[slot_name]
            if spec.get("elicitationRequired") and not slot.get("value"):
                self._ask(turn, prompts.get("elicitation"), intent)
                self._session.dialog = _Dialog("elicit", intent, slot_name, auto)
                return
            unconfirmed = slot.get("confirmationStatus", "NONE") == "NONE"
            if spec.get("confirmationRequired") and slot.get("value") and unconfirmed:
                self._ask(turn, prompts.get("confirmation"), intent)
                self._session.dialog = _Dialog("confirm_slot", intent, slot_name, auto)
                return
        if (
            dialog_model.get("confirmationRequired")
            and intent.get("confirmationStatus", "NONE") == "NONE"
        ):
            self._ask(turn, (dialog_model.get("prompts") or {}).get("confirmation"), intent)
            self._session.dialog = _Dialog("confirm_intent", intent, None, auto)
            return
        self._send(turn, intent, "COMPLETED")

    def _ask(self, turn: Turn, prompt_id: Any, intent: Mapping[str, Any]) -> None:
        variations = self._prompts.get(str(prompt_id)) if prompt_id else None
        if not variations:
            raise SimulatorError(
                f"The {self.locale} model's dialog needs prompt {prompt_id!r} for "
                f"{intent.get('name')}, but interactionModel.prompts has no such id."
            )
        first = variations[0]
        text = str(first.get("value") or "")
        if first.get("type") == "SSML":
            text = speech_text(text)
        for name, slot in (intent.get("slots") or {}).items():
            text = text.replace(f"{{{name}}}", str(slot.get("value") or ""))
        turn.alexa_speech = text
        if self._session is not None:
            self._session.last_reprompt = text
