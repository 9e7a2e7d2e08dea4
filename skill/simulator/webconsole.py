"""The web simulator page's server side: one Simulator per browser conversation.

``skill.web`` calls a :class:`WebConsole` with the JSON the page posts and a
``dispatch`` function that runs an envelope through the very code ``POST /alexa``
uses after verification. So the page exercises the real endpoint path, minus only
the signature check, and only exists in development mode.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from skill.app import CornerShopSkill
from skill.errors import BadRequest
from skill.simulator.session import Simulator

Dispatch = Callable[[Mapping[str, Any]], dict[str, Any]]
MAX_CONVERSATIONS = 64
MAX_UTTERANCE = 500


class _ThroughEndpoint:
    """A SkillLike whose ``handle`` goes through the web endpoint's dispatch."""

    def __init__(self, skill: CornerShopSkill, dispatch: Dispatch) -> None:
        self.settings = skill.settings
        self.store = skill.store
        self._dispatch = dispatch

    def handle(self, envelope: Any, context: Any = None) -> dict[str, Any]:
        return self._dispatch(envelope)

    def close(self) -> None:
        return None


class WebConsole:
    """Keeps a bounded number of conversations; each has its own simulated device and user."""

    def __init__(self, skill: CornerShopSkill, *, locale: str = "en-US") -> None:
        self.skill = skill
        self.locale = locale
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
                _ThroughEndpoint(self.skill, dispatch),
                locale=self.locale,
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
                "cart": sim.cart_lines(),
                "problems": turn.problems,
            }
