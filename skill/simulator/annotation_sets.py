"""Alexa NLU annotation sets, evaluated offline and reported as SMAPI's NLU evaluation reports.

An annotation set is a list of utterances with the intent and slot values
Alexa should find. SMAPI (``POST /v1/skills/{skillId}/nluAnnotationSets``)
takes it in two formats, and :func:`load` reads both:

* **JSON**, the body of "Update annotations"::

      {"data": [{"inputs": {"utterance": "set a timer for ten minutes",
                            "referenceTimestamp": "2026-11-27T10:00:00.000Z"},
                 "expected": [{"intent": {"name": "SetTimerIntent",
                                          "slots": {"Duration": {"value": "PT10M"}}}}]}]}

  ``expected`` may hold several acceptable outcomes; ``referenceTimestamp`` (optional)
  is the moment relative dates and times are resolved against.
* **CSV** with a header ``utterance,referenceTimestamp,intent,slot[Name],...``:
  one annotation per row, an empty ``slot[...]`` cell meaning "no value".

:func:`evaluate` runs each utterance through the offline NLU (after the
invocation, as ``cornershop nlu`` does) and returns a :class:`Report` whose
:meth:`~Report.to_json` has the fields of SMAPI's "Get NLU evaluation
results": ``totalFailed`` and ``testCases``, each with ``status`` (``PASSED``
or ``FAILED``), ``inputs``, ``expected`` and ``actual`` (the intent with its
slots and their entity resolutions), plus a ``summary`` SMAPI does not have.
A case passes when the intent is an expected one and every slot value matches
that expectation exactly (no slot more, none missing), comparing values
without regard to case or spacing, as the words the NLU heard.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from skill.errors import ConfigError
from skill.simulator.envelopes import FAKE_SKILL_ID, slot_json
from skill.simulator.nlu import Nlu, NluResult

__all__ = [
    "Annotation",
    "AnnotationSetError",
    "Report",
    "evaluate",
    "load",
    "parse_csv",
    "parse_json",
    "to_csv",
    "to_json",
]

_SLOT_COLUMN = re.compile(r"^slot\[(\w+)\]$")
_FORMATS = (
    'SMAPI JSON ({"data": [{"inputs": {"utterance": ...}, "expected": [{"intent": '
    '{"name": ...}}]}]}) or CSV with the header utterance,referenceTimestamp,intent,slot[Name]'
)


class AnnotationSetError(ConfigError):
    """An annotation set that cannot be read; the message says where and why."""


@dataclass(frozen=True)
class Annotation:
    """One utterance and the outcomes that count as right: (intent, {slot: value}) each."""

    utterance: str
    expected: tuple[tuple[str, Mapping[str, str]], ...]
    reference: str | None = None

    def inputs(self) -> dict[str, Any]:
        inputs: dict[str, Any] = {"utterance": self.utterance}
        if self.reference:
            inputs["referenceTimestamp"] = self.reference
        return inputs


def load(path: Path) -> list[Annotation]:
    """An annotation set from a ``.json`` or ``.csv`` file (decided by content, then suffix)."""
    try:
        text = path.read_text("utf-8-sig")
    except OSError as exc:
        raise AnnotationSetError(f"{path} cannot be read ({exc.strerror or exc}).") from exc
    except UnicodeDecodeError as exc:
        raise AnnotationSetError(f"{path} is not UTF-8 text: {exc}.") from exc
    if text.lstrip().startswith(("{", "[")) or path.suffix.lower() == ".json":
        return parse_json(text, str(path))
    return parse_csv(text, str(path))


def parse_json(text: str, where: str = "the annotation set") -> list[Annotation]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise AnnotationSetError(
            f"{where} is not valid JSON ({exc}). Expected {_FORMATS}."
        ) from exc
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise AnnotationSetError(f'{where} has no "data" list. Expected {_FORMATS}.')
    annotations = []
    for number, entry in enumerate(entries, 1):
        here = f"{where}, entry {number}"
        inputs = entry.get("inputs") if isinstance(entry, dict) else None
        if not isinstance(inputs, dict):
            raise AnnotationSetError(f'{here}: "inputs" must hold the utterance.')
        utterance = inputs.get("utterance")
        if not isinstance(utterance, str) or not utterance.strip():
            raise AnnotationSetError(f'{here}: "inputs.utterance" must be the words said.')
        expected = entry.get("expected") if isinstance(entry, dict) else None
        if not isinstance(expected, list) or not expected:
            raise AnnotationSetError(f'{here}: "expected" must list at least one outcome.')
        outcomes = []
        for outcome in expected:
            intent = outcome.get("intent") if isinstance(outcome, dict) else None
            if not isinstance(intent, dict) or not isinstance(intent.get("name"), str):
                raise AnnotationSetError(f'{here}: each expected outcome needs "intent.name".')
            name = str(intent["name"])
            if not name:
                raise AnnotationSetError(f'{here}: each expected outcome needs "intent.name".')
            slots = intent.get("slots") or {}
            if not isinstance(slots, dict):
                raise AnnotationSetError(f"{here}: intent.slots must map slot names to values.")
            values = {}
            for slot, value in slots.items():
                shown = value.get("value") if isinstance(value, dict) else None
                if not isinstance(shown, str):
                    raise AnnotationSetError(
                        f'{here}: slot {slot} must be {{"value": "..."}}, not {value!r}.'
                    )
                values[str(slot)] = shown
            outcomes.append((name, values))
        reference = inputs.get("referenceTimestamp")
        annotations.append(
            Annotation(utterance, tuple(outcomes), str(reference) if reference else None)
        )
    return annotations


def parse_csv(text: str, where: str = "the annotation set") -> list[Annotation]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise AnnotationSetError(f"{where} is empty. Expected {_FORMATS}.") from None
    if "utterance" not in header or "intent" not in header:
        raise AnnotationSetError(
            f"{where}: the first row must name the columns utterance, intent and optionally "
            f"referenceTimestamp and slot[Name]; it is {','.join(header)!r}."
        )
    slots = {i: m.group(1) for i, h in enumerate(header) if (m := _SLOT_COLUMN.match(h))}
    unknown = [
        h
        for i, h in enumerate(header)
        if i not in slots and h not in ("utterance", "intent", "referenceTimestamp")
    ]
    if unknown:
        raise AnnotationSetError(
            f"{where}: unknown columns {', '.join(unknown)}; slot columns are written slot[Name]."
        )
    at = {
        name: header.index(name)
        for name in ("utterance", "intent", "referenceTimestamp")
        if name in header
    }
    annotations = []
    for number, row in enumerate(reader, 2):
        if not any(cell.strip() for cell in row):
            continue
        row = row + [""] * (len(header) - len(row))
        utterance, intent = row[at["utterance"]].strip(), row[at["intent"]].strip()
        if not utterance or not intent:
            raise AnnotationSetError(
                f"{where}, line {number}: an utterance and an intent are needed."
            )
        values = {name: row[i].strip() for i, name in slots.items() if row[i].strip()}
        reference = row[at["referenceTimestamp"]].strip() if "referenceTimestamp" in at else ""
        annotations.append(Annotation(utterance, ((intent, values),), reference or None))
    return annotations


def to_json(annotations: Sequence[Annotation]) -> dict[str, Any]:
    """The SMAPI JSON body for an annotation set."""
    return {
        "data": [
            {
                "inputs": a.inputs(),
                "expected": [_expected_json(name, slots) for name, slots in a.expected],
            }
            for a in annotations
        ]
    }


def to_csv(annotations: Sequence[Annotation]) -> str:
    """The SMAPI CSV for an annotation set (the first expected outcome of each)."""
    names = sorted({slot for a in annotations for _i, slots in a.expected for slot in slots})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["utterance", "referenceTimestamp", "intent", *(f"slot[{n}]" for n in names)])
    for a in annotations:
        intent, slots = a.expected[0]
        writer.writerow(
            [a.utterance, a.reference or "", intent, *(slots.get(n, "") for n in names)]
        )
    return out.getvalue()


def _expected_json(name: str, slots: Mapping[str, str]) -> dict[str, Any]:
    intent: dict[str, Any] = {"name": name}
    if slots:
        intent["slots"] = {slot: {"value": value} for slot, value in slots.items()}
    return {"intent": intent}


# -- evaluation -------------------------------------------------------------------------
def _reference_time(text: str | None, where: str) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise AnnotationSetError(
            f"{where}: referenceTimestamp {text!r} is not ISO 8601 (2026-11-27T10:00:00.000Z)."
        ) from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _same(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


@dataclass
class Case:
    annotation: Annotation
    result: NluResult
    passed: bool
    intent_right: bool
    slots_right: bool

    def to_json(self, skill_id: str) -> dict[str, Any]:
        actual_intent: dict[str, Any] = {"name": self.result.intent, "confirmationStatus": "NONE"}
        if self.result.slots:
            actual_intent["slots"] = {
                name: _actual_slot(slot_json(name, fill, skill_id), fill.value)
                for name, fill in self.result.slots.items()
            }
        return {
            "status": "PASSED" if self.passed else "FAILED",
            "inputs": self.annotation.inputs(),
            "expected": [_expected_json(n, s) for n, s in self.annotation.expected],
            "actual": {"intent": actual_intent},
        }


def _actual_slot(slot: dict[str, Any], heard: str) -> dict[str, Any]:
    """A slot as the NLU evaluation reports it: name, value, confirmationStatus, resolutions.

    The evaluation's slot has one value; a multiple-value slot shows the words heard.
    """
    shown: dict[str, Any] = {"name": slot["name"], "confirmationStatus": slot["confirmationStatus"]}
    shown["value"] = slot.get("value", heard)
    if "resolutions" in slot:
        shown["resolutions"] = slot["resolutions"]
    return shown


@dataclass
class Report:
    """The outcome of an evaluation, per case and in sum."""

    locale: str
    cases: list[Case] = field(default_factory=list)
    skill_id: str = FAKE_SKILL_ID

    @property
    def total_failed(self) -> int:
        return sum(1 for case in self.cases if not case.passed)

    @property
    def summary(self) -> dict[str, Any]:
        n = len(self.cases) or 1
        return {
            "locale": self.locale,
            "total": len(self.cases),
            "passed": len(self.cases) - self.total_failed,
            "failed": self.total_failed,
            "intentAccuracy": round(sum(c.intent_right for c in self.cases) / n, 4),
            "slotAccuracy": round(sum(c.slots_right for c in self.cases) / n, 4),
        }

    def to_json(self) -> dict[str, Any]:
        """SMAPI's NLU evaluation results, and a summary."""
        return {
            "paginationContext": {"totalCount": len(self.cases)},
            "totalFailed": self.total_failed,
            "testCases": [case.to_json(self.skill_id) for case in self.cases],
            "summary": self.summary,
        }

    def lines(self) -> list[str]:
        out = []
        for case in self.cases:
            a = case.annotation
            got = case.result.describe()
            if case.passed:
                out.append(f"PASSED  {a.utterance}  ->  {got}")
                continue
            wanted = " | ".join(
                "  ".join([name, *(f"{k}={v}" for k, v in slots.items())])
                for name, slots in a.expected
            )
            out.append(f"FAILED  {a.utterance}  ->  {got}  (expected {wanted})")
        s = self.summary
        out.append(
            f"{s['total']} test cases ({self.locale}): {s['passed']} passed, {s['failed']} "
            f"failed; intent accuracy {s['intentAccuracy']:.1%}, slot accuracy "
            f"{s['slotAccuracy']:.1%}"
        )
        return out


def evaluate(annotations: Sequence[Annotation], nlu: Nlu, *, now: datetime | None = None) -> Report:
    """Run every annotation through ``nlu`` (see the module docs for what passes)."""
    report = Report(nlu.locale)
    for number, annotation in enumerate(annotations, 1):
        when = _reference_time(annotation.reference, f"annotation {number}") or now
        result = nlu.interpret(annotation.utterance, now=when)
        heard = {name: _heard(fill) for name, fill in result.slots.items()}
        intent_right = any(result.intent == name for name, _slots in annotation.expected)
        slots_right = any(
            result.intent == name
            and set(heard) == set(slots)
            and all(any(_same(h, v) for h in heard[k]) for k, v in slots.items())
            for name, slots in annotation.expected
        )
        report.cases.append(Case(annotation, result, slots_right, intent_right, slots_right))
    return report


def _heard(fill: Any) -> tuple[str, ...]:
    """The values a slot can be written as: what was heard, and a list's values joined."""
    if fill.items:
        return (str(fill.value), " ".join(item.value for item in fill.items))
    return (str(fill.value),)
