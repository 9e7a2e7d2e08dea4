"""The simulator's ``cornershop`` subcommands (placeholder while they are written)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the simulator's subcommands to the ``cornershop`` parser."""
    del subparsers
    _ = argparse
