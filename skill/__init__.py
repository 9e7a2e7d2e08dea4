"""Corner Shop: an Alexa skill for ordering from a local shop by voice.

The public surface is small: :func:`build_skill` and :class:`Settings`. They are
loaded lazily so ``import skill.verification`` (or the CLI's ``--help``) does
not pay for the ASK SDK's import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from skill import lazy_sdk

# Before anything imports the ASK SDK: its models then load on first use (see lazy_sdk).
lazy_sdk.activate()

__version__ = "0.1.0"
__all__ = ["Settings", "__version__", "build_skill"]

if TYPE_CHECKING:
    from skill.app import build_skill
    from skill.config import Settings


def __getattr__(name: str) -> Any:
    if name == "build_skill":
        from skill.app import build_skill

        return build_skill
    if name == "Settings":
        from skill.config import Settings

        return Settings
    raise AttributeError(f"module 'skill' has no attribute {name!r}")
