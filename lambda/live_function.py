"""AWS Lambda entry point for live order updates: the WebSocket API's routes
($connect, $disconnect, $default) and batches from the table's DynamoDB stream.

Settings and both clients are built once per container, at import (Lambda's init
phase), never per call. See skill/live_aws.py.
"""

from __future__ import annotations

import os
from typing import Any

from skill.live_aws import LiveUpdates

LIVE = LiveUpdates.from_environment(os.environ)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return LIVE(event, context)
