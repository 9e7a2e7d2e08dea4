"""AWS Lambda entry point: the Alexa Skills Kit trigger, API Gateway (REST and HTTP APIs) and ALB.

The skill is built once per container, at import (Lambda's init phase), never per call.
"""

from __future__ import annotations

from typing import Any

from skill.app import build_skill
from skill.config import Settings
from skill.lambda_adapter import LambdaAdapter

SKILL = build_skill(Settings.from_env())
HANDLER = LambdaAdapter(SKILL)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return HANDLER(event, context)
