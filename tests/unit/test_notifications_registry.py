"""The notification registry's listeners: how the dashboards hear of a failed "ready"."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from skill.notifications import NotificationRecord, NotificationRegistry

AT = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)


def test_listeners_hear_every_change_and_a_broken_one_is_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = NotificationRegistry()
    heard: list[tuple[int, NotificationRecord]] = []

    def broken(number: int, record: NotificationRecord) -> None:
        raise RuntimeError("a dashboard went away")

    registry.subscribe(broken)
    registry.subscribe(lambda number, record: heard.append((number, record)))
    with caplog.at_level(logging.WARNING, logger="cornershop"):
        registry.record(1001, "pending", "waiting to be sent", AT)
        registry.record(1001, "failed", "HTTP 503 after 4 attempts", AT)
    # the record is kept, the working listener heard both changes in order
    state = registry.get(1001)
    assert state is not None and state.status == "failed"
    assert [(n, r.status) for n, r in heard] == [(1001, "pending"), (1001, "failed")]
    assert "order 1001: a notification listener failed: RuntimeError" in caplog.text


def test_an_unsubscribed_listener_hears_nothing_more() -> None:
    registry = NotificationRegistry()
    heard: list[Any] = []

    def listener(number: int, record: NotificationRecord) -> None:
        heard.append(number)

    registry.subscribe(listener)
    registry.record(1001, "sent", "accepted by Alexa", AT)
    registry.unsubscribe(listener)
    registry.unsubscribe(listener)  # twice is harmless
    registry.record(1002, "sent", "accepted by Alexa", AT)
    assert heard == [1001]
