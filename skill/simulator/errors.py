"""The simulator's errors, as branches of the project's one tree (:mod:`skill.errors`)::

    CornerShopError
     ├── ConfigError
     │    ├── ModelError          an interaction model that cannot be found or read
     │    └── TargetSpecError     a --target that names nothing importable or reachable
     └── SimulatorError          the simulator could not carry on with this conversation
          ├── SkillCrashed        the skill raised, or answered with something that is no response
          └── TargetError         the target could not be reached or refused the request
               ├── TargetTimeout      no answer within the time Alexa waits
               └── TargetUnreachable  nothing listens at the URL

Messages are full sentences that say how to fix the problem.
"""

from __future__ import annotations

from skill.errors import ConfigError, CornerShopError

__all__ = [
    "ModelError",
    "SimulatorError",
    "SkillCrashed",
    "TargetError",
    "TargetSpecError",
    "TargetTimeout",
    "TargetUnreachable",
]


class ModelError(ConfigError):
    """An interaction model that cannot be found, read or understood."""


class TargetSpecError(ConfigError):
    """A target specification that names no importable handler or usable URL."""


class SimulatorError(CornerShopError):
    """The simulator could not carry on (a bad model, a skill that misbehaves)."""


class SkillCrashed(SimulatorError):
    """The skill raised instead of answering, or answered with something that is no response."""


class TargetError(SimulatorError):
    """The target could not be reached, or refused the request."""


class TargetTimeout(TargetError):
    """The target did not answer in time."""


class TargetUnreachable(TargetError):
    """Nothing answered at the target's address."""
