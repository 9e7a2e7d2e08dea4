"""Rules every interaction model obeys so that real Alexa builds it and hears it as meant.

Each rule is a function from a model document to the problems it finds (empty when
the model obeys it). Every model in ``interaction_models/`` and ``skill-package/``
must obey every rule, and every rule must catch a deliberately broken copy, so a
rule that has stopped looking fails too.

Alexa's limits used here: a sample utterance at most 200 characters (slot names in
braces included), each slot at most once in a sample, no digits or punctuation
other than apostrophes, periods and hyphens in samples (numbers are spelled out),
at most 250 intents.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_smapi_model.v1.skill.interaction_model.interaction_model_data import (
    InteractionModelData,
)

REPO = Path(__file__).parents[2]
MODELS = sorted((REPO / "interaction_models").glob("*.json")) + sorted(
    (REPO / "skill-package" / "interactionModels" / "custom").glob("*.json")
)
MAX_SAMPLE_CHARS = 200
MAX_INTENTS = 250
SLOT = re.compile(r"\{(\w+)\}")
#: What a sample may hold besides slots: letters (any script), spaces, ' . -
SAMPLE_TEXT = re.compile(r"[^\W\d_]+|[ '.\-]")

Doc = dict[str, Any]
Rule = Callable[[Doc], list[str]]


def language(doc: Doc) -> Doc:
    result: Doc = doc["interactionModel"]["languageModel"]
    return result


def custom_intents(doc: Doc) -> Iterator[Doc]:
    yield from (i for i in language(doc)["intents"] if i.get("samples") or i.get("slots"))


def normalised(sample: str) -> str:
    return " ".join(sample.lower().split())


def slot_types(intent: Doc) -> dict[str, str]:
    return {str(s["name"]): str(s["type"]) for s in intent.get("slots") or []}


def typed(sample: str, types: dict[str, str]) -> str:
    """The sample with each slot written as its type: what Alexa can tell apart."""
    written = SLOT.sub(lambda m: "{" + types.get(m.group(1), "?" + m.group(1)) + "}", sample)
    return normalised(written)


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        return [
            found
            for key in sorted(expected.keys() | actual.keys())
            for found in (
                [f"{path}/{key}: dropped"]
                if key not in actual
                else [f"{path}/{key}: added"]
                if key not in expected
                else differences(expected[key], actual[key], f"{path}/{key}")
            )
        ]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(expected)} items became {len(actual)}"]
        return [
            d
            for i, pair in enumerate(zip(expected, actual, strict=True))
            for d in differences(*pair, f"{path}[{i}]")
        ]
    return [] if expected == actual else [f"{path}: {expected!r} became {actual!r}"]


# -- the rules ---------------------------------------------------------------------------
def smapi_reads_it_whole(doc: Doc) -> list[str]:
    """Amazon's SMAPI classes read the model and write back exactly the same document."""
    serializer = DefaultSerializer()
    try:
        data = serializer.deserialize(json.dumps(doc), InteractionModelData)
    except Exception as exc:  # any failure to read is the problem found
        return [f"SMAPI cannot read the model: {exc}"]
    if not isinstance(data, InteractionModelData):
        return ["SMAPI read something that is not InteractionModelData"]
    return differences(doc, serializer.serialize(data))


def no_sample_under_two_intents(doc: Doc) -> list[str]:
    """A sample (lowercase, spaces folded; slots as their types) belongs to one intent."""
    seen: dict[str, str] = {}
    problems = []
    for intent in custom_intents(doc):
        types = slot_types(intent)
        for sample in intent.get("samples") or []:
            for key in {normalised(sample), typed(sample, types)}:
                other = seen.setdefault(key, intent["name"])
                if other != intent["name"]:
                    problems.append(f"{sample!r} is a sample of {other} and {intent['name']}")
    return problems


def no_samples_differing_only_in_slot_names(doc: Doc) -> list[str]:
    """Within an intent, two samples that read the same once slots are types are one sample
    with its slots swapped ("add {Item} and {Item2}" / "add {Item2} and {Item}")."""
    problems = []
    for intent in custom_intents(doc):
        types = slot_types(intent)
        seen: dict[str, str] = {}
        for sample in intent.get("samples") or []:
            key = typed(sample, types)
            first = seen.setdefault(key, sample)
            if first != sample:
                problems.append(f"{intent['name']}: {first!r} and {sample!r} differ only in slots")
    return problems


def every_slot_type_exists(doc: Doc) -> list[str]:
    defined = {t["name"] for t in language(doc).get("types") or []}
    return [
        f"{intent['name']}.{name}: type {kind} is neither built in nor defined"
        for intent in custom_intents(doc)
        for name, kind in slot_types(intent).items()
        if not kind.startswith("AMAZON.") and kind not in defined
    ]


def every_sample_slot_is_declared(doc: Doc) -> list[str]:
    """Every {Slot} of an intent's samples and slot samples is a slot of that intent."""
    problems = []
    for intent in custom_intents(doc):
        names = slot_types(intent)
        texts = list(intent.get("samples") or [])
        texts += [t for s in intent.get("slots") or [] for t in s.get("samples") or []]
        for text in texts:
            problems += [
                f"{intent['name']}: {text!r} names {{{slot}}}, not a slot of the intent"
                for slot in SLOT.findall(text)
                if slot not in names
            ]
    return problems


def slot_values_are_unique(doc: Doc) -> list[str]:
    """No word list says one thing twice: a name or synonym belongs to one value, once."""
    problems = []
    for slot_type in language(doc).get("types") or []:
        seen: dict[str, str] = {}
        ids: set[str] = set()
        for value in slot_type["values"]:
            ident = value.get("id") or value["name"]["value"]
            if ident in ids:
                problems.append(f"{slot_type['name']}: the id {ident} twice")
            ids.add(ident)
            for word in [value["name"]["value"], *value["name"].get("synonyms", [])]:
                key = normalised(word)
                if key in seen:
                    problems.append(f"{slot_type['name']}: {word!r} is {seen[key]} and {ident}")
                seen[key] = ident
    return problems


def samples_are_within_alexas_limits(doc: Doc) -> list[str]:
    problems = []
    if len(language(doc)["intents"]) > MAX_INTENTS:
        problems.append(f"more than {MAX_INTENTS} intents")
    for intent in custom_intents(doc):
        texts = list(intent.get("samples") or [])
        texts += [t for s in intent.get("slots") or [] for t in s.get("samples") or []]
        for text in texts:
            if len(text) > MAX_SAMPLE_CHARS:
                problems.append(f"{intent['name']}: {text[:40]!r}... is over {MAX_SAMPLE_CHARS}")
            slots = SLOT.findall(text)
            if len(slots) != len(set(slots)):
                problems.append(f"{intent['name']}: {text!r} uses a slot twice")
            rest = SAMPLE_TEXT.sub("", SLOT.sub(" ", text))
            if rest:
                problems.append(f"{intent['name']}: {text!r} holds {rest!r}")
    return problems


def the_dialog_model_fits(doc: Doc) -> list[str]:
    """Dialog intents exist, list exactly their intent's slots, and elicit with real prompts."""
    problems = []
    intents = {i["name"]: i for i in language(doc)["intents"]}
    prompt_ids = {p["id"] for p in doc["interactionModel"].get("prompts") or []}
    for dialog in (doc["interactionModel"].get("dialog") or {}).get("intents") or []:
        name = dialog["name"]
        if name not in intents:
            problems.append(f"dialog intent {name} is not in the language model")
            continue
        declared = slot_types(intents[name])
        listed = {s["name"]: s["type"] for s in dialog.get("slots") or []}
        if listed != declared:
            problems.append(
                f"dialog {name} lists {sorted(listed)}, the intent has {sorted(declared)}"
            )
        for slot in dialog.get("slots") or []:
            prompt = (slot.get("prompts") or {}).get("elicitation")
            if slot.get("elicitationRequired") and not prompt:
                problems.append(f"dialog {name}.{slot['name']} is elicited with no prompt")
            if prompt and prompt not in prompt_ids:
                problems.append(f"dialog {name}.{slot['name']}: no prompt {prompt}")
    return problems


RULES: dict[str, Rule] = {
    rule.__name__: rule
    for rule in (
        smapi_reads_it_whole,
        no_sample_under_two_intents,
        no_samples_differing_only_in_slot_names,
        every_slot_type_exists,
        every_sample_slot_is_declared,
        slot_values_are_unique,
        samples_are_within_alexas_limits,
        the_dialog_model_fits,
    )
}


def load(path: Path) -> Doc:
    result: Doc = json.loads(path.read_text("utf-8"))
    return result


@pytest.mark.parametrize("path", MODELS, ids=lambda p: str(p.relative_to(REPO)))
@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_model_obeys_the_rule(rule: str, path: Path) -> None:
    assert RULES[rule](load(path)) == []


# -- each rule catches a broken copy -------------------------------------------------------
def intent(doc: Doc, name: str) -> Doc:
    return next(i for i in language(doc)["intents"] if i["name"] == name)


def misspell_a_key(doc: Doc) -> None:
    intent(doc, "AddItemIntent")["sampels"] = intent(doc, "AddItemIntent").pop("samples")


def share_a_sample(doc: Doc) -> None:
    intent(doc, "RemoveItemIntent")["samples"].append("Add  {Item}")


def swap_slot_names(doc: Doc) -> None:
    intent(doc, "AddItemIntent")["samples"].append("add {Item2} and {Item}")


def drop_a_slot_type(doc: Doc) -> None:
    types = language(doc)["types"]
    types[:] = [t for t in types if t["name"] != "ShopUnit"]


def name_an_undeclared_slot(doc: Doc) -> None:
    intent(doc, "PriceIntent")["samples"].append("how much is {Quantity} {Item}")


def repeat_a_slot_value(doc: Doc) -> None:
    words = next(t for t in language(doc)["types"] if t["name"] == "QuantityWord")
    words["values"][1]["name"]["synonyms"].append("A")  # "a" is already ONE


def exceed_the_limits(doc: Doc) -> None:
    intent(doc, "AddItemIntent")["samples"].append("add 2 {Item}, please")


def break_the_dialog(doc: Doc) -> None:
    dialog = doc["interactionModel"]["dialog"]["intents"][0]
    dialog["slots"] = [s for s in dialog["slots"] if s["name"] != "Amount"]


BREAKERS: dict[str, Callable[[Doc], None]] = {
    "smapi_reads_it_whole": misspell_a_key,
    "no_sample_under_two_intents": share_a_sample,
    "no_samples_differing_only_in_slot_names": swap_slot_names,
    "every_slot_type_exists": drop_a_slot_type,
    "every_sample_slot_is_declared": name_an_undeclared_slot,
    "slot_values_are_unique": repeat_a_slot_value,
    "samples_are_within_alexas_limits": exceed_the_limits,
    "the_dialog_model_fits": break_the_dialog,
}


def test_every_rule_has_a_broken_model() -> None:
    assert BREAKERS.keys() == RULES.keys()


@pytest.mark.parametrize("rule", sorted(RULES))
def test_the_rule_catches_a_broken_copy(rule: str) -> None:
    # GIVEN the en-US model, which obeys the rule
    doc = load(REPO / "interaction_models" / "en-US.json")
    assert RULES[rule](doc) == []
    # WHEN a copy is broken the way this rule forbids THEN the rule reports it
    broken = copy.deepcopy(doc)
    BREAKERS[rule](broken)
    assert RULES[rule](broken), f"{rule} missed the broken copy"


def test_a_long_sample_is_over_the_limit() -> None:
    doc = load(REPO / "interaction_models" / "en-US.json")
    intent(doc, "AddItemIntent")["samples"].append("add " + "very " * 40 + "{Item}")
    assert any("over 200" in p for p in samples_are_within_alexas_limits(doc))
