"""skill/deadline.py: a wall-clock deadline per request, narrowed by nested calls."""

from __future__ import annotations

import contextvars
import threading

from skill.deadline import deadline_at, expired, remaining, request_deadline


def test_without_a_deadline_the_default_is_the_budget() -> None:
    # GIVEN no deadline / THEN remaining() is the default, and nothing has expired
    assert deadline_at() is None
    assert remaining(2.0) == 2.0
    assert remaining(-1.0) == 0.0
    assert not expired()


def test_a_deadline_caps_the_budget_and_is_gone_after_the_block() -> None:
    # GIVEN a request with a 10 s deadline
    with request_deadline(10.0) as at:
        # THEN a call asking for 2 s gets 2 s, one asking for 60 s gets at most 10 s
        assert deadline_at() == at
        assert remaining(2.0) == 2.0
        assert 9.0 < remaining(60.0) <= 10.0
        assert not expired()
    # AND after the block there is no deadline again
    assert deadline_at() is None


def test_nested_deadlines_narrow_but_never_widen() -> None:
    # GIVEN a request with 5 s
    with request_deadline(5.0) as outer:
        # WHEN a call inside allows itself 60 s / THEN it keeps the request's deadline
        with request_deadline(60.0) as inner:
            assert inner == outer
        # WHEN a call allows itself 1 s / THEN its deadline is earlier
        with request_deadline(1.0) as inner:
            assert inner < outer
            assert remaining(60.0) <= 1.0
        # AND the request's deadline is back after the inner block
        assert deadline_at() == outer


def test_a_spent_deadline_has_expired() -> None:
    # GIVEN a deadline of zero (or less) / THEN nothing remains
    with request_deadline(0.0):
        assert expired()
        assert remaining(2.0) == 0.0
    with request_deadline(-5.0):
        assert expired()


def test_each_thread_has_its_own_deadline_unless_the_context_is_copied() -> None:
    seen: dict[str, float | None] = {}

    def look(name: str) -> None:
        seen[name] = deadline_at()

    with request_deadline(10.0) as at:
        # WHEN another thread looks / THEN it has no deadline of ours
        plain = threading.Thread(target=look, args=("plain",))
        plain.start()
        plain.join(timeout=10)
        # WHEN work is run in a copy of our context / THEN it sees our deadline
        context = contextvars.copy_context()
        copied = threading.Thread(target=context.run, args=(look, "copied"))
        copied.start()
        copied.join(timeout=10)
    assert seen == {"plain": None, "copied": at}
