"""AWS Lambda entry point for the Alexa Skills Kit trigger.

The skill is built once per container (at import, during Lambda's init phase,
which is not billed against the first request's latency budget the same way),
never per call.
"""

from __future__ import annotations

from typing import Any

from skill.app import build_skill
from skill.config import Settings

SKILL = build_skill(Settings.from_env())


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return SKILL.handle(event, context)
