"""Logging without personal data: user ids are hashed, envelopes are never logged."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

LOGGER_NAME = "cornershop"


def get_logger(name: str = "") -> logging.Logger:
    return logging.getLogger(f"{LOGGER_NAME}.{name}" if name else LOGGER_NAME)


def hashed(user_id: str | None) -> str:
    """A stable, non-reversible tag for a user id, so logs can be correlated but not traced."""
    if not user_id:
        return "-"
    import hashlib  # lazily: hashlib loads OpenSSL, a cold-start cost most requests never pay

    # surrogatepass: a forged id with a lone surrogate must still hash, not crash logging
    return hashlib.sha256(user_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is now (test runners and REPLs swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def configure(level: str = "INFO") -> None:
    """Set up the ``cornershop`` logger once; harmless to call again."""
    logger = get_logger()
    logger.setLevel(level)
    if not logger.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
