"""Wall-clock deadlines for a request and the work done inside it.

A request to the skill has a time budget as a whole (Alexa gives up after 8 s and
wants an answer far sooner). Socket timeouts cannot enforce that: they limit each
read, so an endpoint that sends one byte every half second never trips them. So
the front door sets a deadline for the whole request, and code that waits on the
network (the stores) asks how much of it is left::

    with request_deadline(2.5):
        ...                        # anywhere below, in this thread or context:
        budget = remaining(2.0)    # at most 2.0 s, never past the request's end

Nested uses narrow the deadline, never widen it: a store call that allows itself
2 s inside a request with 0.5 s left gets 0.5 s. The deadline lives in a
:class:`contextvars.ContextVar`, so each thread (and each asyncio task) has its
own; work handed to another thread sees it if run with
:func:`contextvars.copy_context`. This module does no I/O and raises nothing of its
own: what to do when time is up is the caller's business.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["deadline_at", "expired", "remaining", "request_deadline"]

# The deadline as a time.monotonic() value, or None outside any deadline.
_DEADLINE: ContextVar[float | None] = ContextVar("cornershop_deadline", default=None)


@contextmanager
def request_deadline(seconds: float) -> Iterator[float]:
    """Run the block with a deadline ``seconds`` from now (or the enclosing one, if
    that is earlier). Yields the deadline as a :func:`time.monotonic` value."""
    at = time.monotonic() + max(0.0, seconds)
    outer = _DEADLINE.get()
    if outer is not None:
        at = min(at, outer)
    token = _DEADLINE.set(at)
    try:
        yield at
    finally:
        _DEADLINE.reset(token)


def remaining(default: float) -> float:
    """Seconds left before the current deadline, at most ``default``, never below 0.

    Outside any deadline this is ``default``.
    """
    at = _DEADLINE.get()
    if at is None:
        return max(0.0, default)
    return max(0.0, min(default, at - time.monotonic()))


def deadline_at() -> float | None:
    """The current deadline as a :func:`time.monotonic` value, or None if there is none."""
    return _DEADLINE.get()


def expired() -> bool:
    """True when there is a deadline and it has passed."""
    at = _DEADLINE.get()
    return at is not None and time.monotonic() >= at
