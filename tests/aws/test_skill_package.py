"""The ask-cli project: skill-package/ in step with interaction_models/, valid for SMAPI.

Validity is checked with Amazon's own SMAPI model classes (ask-smapi-model). Their
deserialiser silently drops keys it does not know, so every document is also
serialised back and compared with the file: a misspelt key fails the comparison.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_smapi_model.v1.skill.interaction_model.interaction_model_data import (
    InteractionModelData,
)
from ask_smapi_model.v1.skill.manifest.interface import Interface
from ask_smapi_model.v1.skill.manifest.interface_type import InterfaceType
from ask_smapi_model.v1.skill.manifest.skill_manifest_envelope import SkillManifestEnvelope

from skill.notifications import EVENT_NAME, NOTIFICATIONS_PERMISSION
from skill.packaging import export_skill_package, skill_package_drift

REPO = Path(__file__).parents[2]
PACKAGE = REPO / "skill-package"
MANIFEST = PACKAGE / "skill.json"
MODELS = sorted((REPO / "interaction_models").glob("*.json"))
PACKAGED_MODELS = sorted((PACKAGE / "interactionModels" / "custom").glob("*.json"))
LAMBDA_ARN = re.compile(r"arn:aws:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:[\w-]+(:[\w-]+)?")


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where two JSON documents differ, as paths (empty when they are equal)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in sorted(expected.keys() | actual.keys()):
            where = f"{path}/{key}"
            if key not in actual:
                found.append(f"{where}: dropped")
            elif key not in expected:
                found.append(f"{where}: added")
            else:
                found += differences(expected[key], actual[key], where)
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(expected)} items became {len(actual)}"]
        return [
            d
            for i, pair in enumerate(zip(expected, actual, strict=True))
            for d in differences(*pair, f"{path}[{i}]")
        ]
    return [] if expected == actual else [f"{path}: {expected!r} became {actual!r}"]


def round_trip(document: dict[str, Any], kind: type) -> tuple[Any, dict[str, Any]]:
    serializer = DefaultSerializer()
    obj = serializer.deserialize(json.dumps(document), kind)
    assert isinstance(obj, kind)
    back: dict[str, Any] = serializer.serialize(obj)
    return obj, back


# -- drift -------------------------------------------------------------------------------
def test_skill_package_is_in_step_with_the_interaction_models() -> None:
    problems = skill_package_drift(REPO)
    assert not problems, "\n".join(problems)
    assert [p.name for p in PACKAGED_MODELS] == [p.name for p in MODELS]


def _copy_project(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "interaction_models", tmp_path / "interaction_models")
    shutil.copytree(PACKAGE, tmp_path / "skill-package")
    return tmp_path


def test_drift_is_reported_and_export_repairs_it(tmp_path: Path) -> None:
    # GIVEN a copy where en-US was edited and an es-ES model was added on one side only
    root = _copy_project(tmp_path)
    en = root / "interaction_models" / "en-US.json"
    model = json.loads(en.read_text("utf-8"))
    model["interactionModel"]["languageModel"]["intents"][0]["samples"].append("bitte {Item}")
    en.write_text(json.dumps(model, indent=2) + "\n", "utf-8")
    model["interactionModel"]["languageModel"]["invocationName"] = "tienda de la esquina"
    (root / "interaction_models" / "es-ES.json").write_text(json.dumps(model), "utf-8")
    # WHEN drift is checked THEN each difference is named
    problems = "\n".join(skill_package_drift(root))
    assert "en-US: the skill package's interaction model differs" in problems
    assert "es-ES: the skill package has no interaction model" in problems
    assert "es-ES: skill.json publishingInformation lacks this locale" in problems
    assert "es-ES: skill.json privacyAndCompliance lacks this locale" in problems
    assert "distributionCountries" in problems
    # WHEN exported THEN everything is in step, and a second export changes nothing
    changed = export_skill_package(root)
    custom = root / "skill-package" / "interactionModels" / "custom"
    assert set(changed) == {
        custom / "en-US.json",
        custom / "es-ES.json",
        root / "skill-package" / "skill.json",
    }
    assert skill_package_drift(root) == []
    assert export_skill_package(root) == []
    manifest = json.loads((root / "skill-package" / "skill.json").read_text("utf-8"))["manifest"]
    spanish = manifest["publishingInformation"]["locales"]["es-ES"]
    assert spanish["examplePhrases"][0] == "Alexa, open tienda de la esquina"
    assert "es-ES" in manifest["privacyAndCompliance"]["locales"]
    assert "ES" in manifest["publishingInformation"]["distributionCountries"]
    # WHEN a model is removed THEN drift names it, and export removes it from the package
    (root / "interaction_models" / "es-ES.json").unlink()
    problems = "\n".join(skill_package_drift(root))
    assert "es-ES: the skill package has a model that interaction_models/ lacks" in problems
    assert "es-ES: skill.json publishingInformation lists a locale with no" in problems
    export_skill_package(root)
    assert not (custom / "es-ES.json").exists()
    assert skill_package_drift(root) == []


def test_example_phrases_must_use_the_invocation_name(tmp_path: Path) -> None:
    root = _copy_project(tmp_path)
    path = root / "skill-package" / "skill.json"
    doc = json.loads(path.read_text("utf-8"))
    doc["manifest"]["publishingInformation"]["locales"]["en-US"]["examplePhrases"] = [
        "Alexa, open the shop"
    ]
    path.write_text(json.dumps(doc), "utf-8")
    assert any("first example phrase" in p for p in skill_package_drift(root))


# -- SMAPI validation -------------------------------------------------------------------------
@pytest.mark.parametrize("path", MODELS + PACKAGED_MODELS, ids=lambda p: str(p.relative_to(REPO)))
def test_interaction_model_is_valid_for_smapi(path: Path) -> None:
    # GIVEN a model file WHEN Amazon's SMAPI classes read it and write it back
    document = json.loads(path.read_text("utf-8"))
    data, back = round_trip(document, InteractionModelData)
    # THEN nothing was dropped or changed
    assert differences(document, back) == []
    # AND the key fields arrived as typed objects
    language = data.interaction_model.language_model
    raw = document["interactionModel"]["languageModel"]
    expected = "tante emma" if path.stem == "de-DE" else "corner shop"
    assert language.invocation_name == raw["invocationName"] == expected
    assert [i.name for i in language.intents] == [i["name"] for i in raw["intents"]]
    intents = {i.name: i for i in language.intents}
    assert {"AddItemIntent", "CheckoutIntent", "AMAZON.StopIntent"} <= intents.keys()
    assert [s.object_type for s in intents["AddItemIntent"].slots] == [
        s["type"] for s in next(i for i in raw["intents"] if i["name"] == "AddItemIntent")["slots"]
    ]
    types = {t.name: t for t in language.types}
    assert "CatalogItem" in types
    assert len(types["CatalogItem"].values) == len(
        next(t for t in raw["types"] if t["name"] == "CatalogItem")["values"]
    )
    assert all(v.name.value for v in types["CatalogItem"].values)


def test_manifest_is_valid_for_smapi() -> None:
    document = json.loads(MANIFEST.read_text("utf-8"))
    custom = document["manifest"]["apis"]["custom"]
    # ask-smapi-model's Interface has no class for CAN_FULFILL_INTENT_REQUEST (its
    # InterfaceType enum lists it, its discriminator map does not), so interfaces are
    # checked against the enum, and through the classes when they have one.
    interfaces = custom.get("interfaces", [])
    known = {t.value for t in InterfaceType}
    for interface in interfaces:
        assert interface["type"] in known, interface
        if interface["type"] in Interface.discriminator_value_class_map:
            _, back = round_trip(interface, Interface)
            assert differences(interface, back) == []
        else:
            assert interface == {"type": interface["type"]}, "unchecked fields in an interface"
    assert {"type": "CAN_FULFILL_INTENT_REQUEST"} in interfaces
    rest = json.loads(json.dumps(document))
    rest["manifest"]["apis"]["custom"].pop("interfaces", None)
    # WHEN the rest is read and written back by SMAPI's classes THEN nothing is lost
    envelope, back = round_trip(rest, SkillManifestEnvelope)
    assert differences(rest, back) == []
    manifest = envelope.manifest
    # The placeholder, or a real function ARN (the FunctionArn output of the SAM stack).
    assert LAMBDA_ARN.fullmatch(manifest.apis.custom.endpoint.uri)
    assert [p.name.value for p in manifest.permissions] == [
        "alexa::profile:given_name:read",
        "alexa::devices:all:notifications:write",
    ]
    locales = set(manifest.publishing_information.locales)
    assert locales == {p.stem for p in MODELS}
    assert set(manifest.privacy_and_compliance.locales) == locales
    for locale in locales:
        info = manifest.publishing_information.locales[locale]
        assert info.name and info.summary and info.description and info.example_phrases
        privacy = manifest.privacy_and_compliance.locales[locale]
        assert privacy.privacy_policy_url.startswith("https://")
    assert manifest.privacy_and_compliance.uses_personal_info is True


def test_manifest_publishes_the_order_ready_event() -> None:
    # GIVEN the manifest as SMAPI's classes read it
    document = json.loads(MANIFEST.read_text("utf-8"))
    document["manifest"]["apis"]["custom"].pop("interfaces", None)
    manifest = round_trip(document, SkillManifestEnvelope)[0].manifest
    # THEN it publishes exactly the event the notifier sends, and asks for the permission
    # the checkout's consent card names
    assert [p.event_name for p in manifest.events.publications] == [EVENT_NAME]
    assert NOTIFICATIONS_PERMISSION in [p.name.value for p in manifest.permissions]
    # AND skill events go to the skill's own function (deploy replaces both placeholders)
    assert manifest.events.endpoint.uri == manifest.apis.custom.endpoint.uri
    assert LAMBDA_ARN.fullmatch(manifest.events.endpoint.uri)
    # AND the certification reviewer is told how notifications behave, and that they are
    # en-US only
    instructions = manifest.publishing_information.testing_instructions
    assert EVENT_NAME in instructions and "en-US" in instructions
    # AND how a tester, who can't reach the shop's dashboard, gets an order marked ready
    assert re.search(r"[\w.-]+@[\w.-]+\.\w+", instructions), "no contact for certification"
    assert "mark it ready" in instructions
    # AND the limits Amazon's console enforces on the field (4000 characters)
    assert len(instructions) <= 4000


def test_ask_cli_project_deploys_the_skill_package() -> None:
    resources = json.loads((REPO / "ask-resources.json").read_text("utf-8"))
    assert resources["askcliResourcesVersion"] == "2020-03-31"
    profile = resources["profiles"]["default"]
    assert (REPO / profile["skillMetadata"]["src"]).resolve() == PACKAGE
    # Code and infrastructure are deployed by SAM (lambda/template.yaml), not by ask-cli.
    assert "code" not in profile and "skillInfrastructure" not in profile
