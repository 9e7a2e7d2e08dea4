"""The web simulator page's server side: one Simulator per browser conversation.

``skill.web`` calls a :class:`WebConsole` with the JSON the page posts and a
``dispatch`` function that runs an envelope through the very code ``POST /alexa``
uses after verification. So the page exercises the real endpoint path, minus only
the signature check, and only exists in development mode.

The console talks to the skill through a :class:`~skill.simulator.targets.Target`
whose ``send`` is that ``dispatch``. What the page shows of the stored state comes
from ``state`` (a function of the user id and locale); by default it is Corner
Shop's stored cart, read through ``skill.simulator.commands``, the one module of
the simulator that knows this project's skill.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from skill.errors import BadRequest
from skill.simulator.models import ModelSet
from skill.simulator.session import Simulator
from skill.simulator.targets import Target

Dispatch = Callable[[Mapping[str, Any]], dict[str, Any]]
State = Callable[[str, str], list[str] | None]
MAX_CONVERSATIONS = 64
MAX_UTTERANCE = 500


class _ThroughEndpoint(Target):
    """A target whose ``send`` goes through the web endpoint's dispatch."""

    label = "the web endpoint"

    def __init__(self, dispatch: Dispatch, state: State | None, skill_id: str | None) -> None:
        self._dispatch = dispatch
        self._state = state
        self.skill_id = skill_id

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        return self._dispatch(envelope)

    def stored_state(self, user_id: str, locale: str) -> list[str] | None:
        return self._state(user_id, locale) if self._state is not None else None


class WebConsole:
    """Keeps a bounded number of conversations; each has its own simulated device and user.

    ``WebConsole(skill)`` serves this project's skill with its own models; another
    skill passes ``models`` and ``state`` (or ``state=None`` for none).
    """

    def __init__(
        self,
        skill: Any,
        *,
        locale: str = "en-US",
        models: ModelSet | None = None,
        state: State | str | None = "default",
    ) -> None:
        from skill.simulator import commands

        self.skill = skill
        self.locale = locale
        self.models = models or commands.project_models()
        if state == "default":
            state = commands.CornerShopTarget(skill).stored_state
        self._state: State | None = state if not isinstance(state, str) else None
        self._skill_id = getattr(getattr(skill, "settings", None), "skill_id", None)
        self._conversations: OrderedDict[str, tuple[threading.Lock, Simulator]] = OrderedDict()
        self._lock = threading.Lock()

    def _conversation(
        self, key: str | None, dispatch: Dispatch
    ) -> tuple[str, threading.Lock, Simulator]:
        with self._lock:
            if key and key in self._conversations:
                self._conversations.move_to_end(key)
                lock, sim = self._conversations[key]
                return key, lock, sim
            key = secrets.token_hex(8)
            sim = Simulator(
                _ThroughEndpoint(dispatch, self._state, self._skill_id),
                locale=self.locale,
                models=self.models,
                user_id=f"amzn1.ask.account.WEB-SIMULATOR-{key.upper()}",
            )
            self._conversations[key] = (threading.Lock(), sim)
            while len(self._conversations) > MAX_CONVERSATIONS:
                self._conversations.popitem(last=False)
            return key, self._conversations[key][0], sim

    def __call__(self, data: Mapping[str, Any], dispatch: Dispatch) -> dict[str, Any]:
        utterance = data.get("utterance")
        if not isinstance(utterance, str) or len(utterance) > MAX_UTTERANCE:
            raise BadRequest(f"Send an utterance of at most {MAX_UTTERANCE} characters.")
        key = data.get("conversation")
        key, lock, sim = self._conversation(key if isinstance(key, str) else None, dispatch)
        with lock:
            if data.get("new"):
                sim.end_session()
            turn = sim.say(utterance)
            nlu = turn.nlu
            card = turn.card
            return {
                "conversation": key,
                "utterance": utterance,
                "intent": turn.intent,
                "slots": {
                    name: {"value": s.value, "id": s.id}
                    for name, s in (nlu.slots if nlu else {}).items()
                },
                "speech": turn.speech,
                "reprompt": turn.reprompt,
                "card": {"title": turn.card_title, "content": turn.card_content} if card else None,
                "sessionEnded": turn.session_ended,
                "request": turn.request,
                "response": turn.response,
                "sessionAttributes": sim.session_attributes,
                "cart": sim.stored_state() or [],
                "problems": turn.problems,
            }
