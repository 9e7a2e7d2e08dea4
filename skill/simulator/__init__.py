"""The offline Alexa simulator: any skill's interaction model, any skill as a target.

The public names, imported on first use (``cornershop --help`` must stay light)::

    from skill.simulator import ModelSet, PythonTarget, HttpTarget, Simulator

    models = ModelSet.find("path/to/my-skill")           # an ask-cli project, a model...
    target = PythonTarget(my_lambda_handler)              # or HttpTarget(url), or any Target
    with Simulator(target, models=models, locale="en-US") as sim:
        print(sim.say("open my skill").speech)

:mod:`~skill.simulator.conversations` runs Bespoken (bst) test files,
:mod:`~skill.simulator.annotation_sets` evaluates SMAPI NLU annotation sets, and
:mod:`~skill.simulator.commands` holds the ``cornershop`` subcommands and the one
place Corner Shop plugs in as the default target.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "HttpTarget",
    "ModelSet",
    "Nlu",
    "PythonTarget",
    "Simulator",
    "Target",
    "Turn",
    "target_from_spec",
]

_HOMES = {
    "HttpTarget": "skill.simulator.targets",
    "PythonTarget": "skill.simulator.targets",
    "Target": "skill.simulator.targets",
    "target_from_spec": "skill.simulator.targets",
    "ModelSet": "skill.simulator.models",
    "Nlu": "skill.simulator.nlu",
    "Simulator": "skill.simulator.session",
    "Turn": "skill.simulator.session",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(home), name)
