"""AWS Lambda entry point: the Alexa Skills Kit trigger, API Gateway (REST and HTTP APIs) and ALB.

The skill, its store and the store's client are built once per container, at import
(Lambda's init phase, which SnapStart snapshots), never per call.
"""

from __future__ import annotations

from typing import Any

from skill import snapstart
from skill.app import build_skill
from skill.config import Settings
from skill.lambda_adapter import LambdaAdapter

SKILL = build_skill(Settings.from_env())
HANDLER = LambdaAdapter(SKILL)
snapstart.register(HANDLER)  # SnapStart's runtime hooks; nothing happens without SnapStart


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return HANDLER(event, context)
