"""SMAPI NLU annotation sets (JSON and CSV), evaluated offline with SMAPI's result fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _skills import TIMER, restore_sys_path  # noqa: F401 (an autouse fixture)

from skill.simulator.annotation_sets import (
    AnnotationSetError,
    evaluate,
    load,
    parse_csv,
    parse_json,
    to_csv,
    to_json,
)
from skill.simulator.models import ModelSet
from skill.simulator.nlu import nlu_for

MODELS = ModelSet.find(TIMER)
SET = {
    "data": [
        {
            "inputs": {"utterance": "set a timer for ten minutes"},
            "expected": [
                {"intent": {"name": "SetTimerIntent", "slots": {"Duration": {"value": "PT10M"}}}}
            ],
        },
        {
            "inputs": {
                "utterance": "wake me up tomorrow at seven pm",
                "referenceTimestamp": "2026-11-27T10:00:00.000Z",
            },
            "expected": [
                {
                    "intent": {
                        "name": "SetAlarmIntent",
                        "slots": {"Time": {"value": "19:00"}, "Day": {"value": "2026-11-28"}},
                    }
                }
            ],
        },
        {
            "inputs": {"utterance": "i need butter and milk"},  # a multiple-value slot
            "expected": [
                {
                    "intent": {
                        "name": "AddIngredientsIntent",
                        "slots": {"Ingredients": {"value": "butter and milk"}},
                    }
                }
            ],
        },
        {  # deliberately wrong: the NLU hears PT10M
            "inputs": {"utterance": "set a timer for ten minutes"},
            "expected": [
                {"intent": {"name": "SetTimerIntent", "slots": {"Duration": {"value": "PT11M"}}}}
            ],
        },
        {  # two acceptable outcomes; the second is right
            "inputs": {"utterance": "what time is it"},
            "expected": [
                {"intent": {"name": "AMAZON.HelpIntent"}},
                {"intent": {"name": "WhatTimeIntent"}},
            ],
        },
    ]
}


def test_a_json_set_is_evaluated_with_smapis_fields() -> None:
    report = evaluate(parse_json(json.dumps(SET)), nlu_for("en-US", MODELS))
    result = report.to_json()
    assert result["totalFailed"] == 1
    statuses = [case["status"] for case in result["testCases"]]
    assert statuses == ["PASSED", "PASSED", "PASSED", "FAILED", "PASSED"]
    alarm = result["testCases"][1]
    assert alarm["inputs"] == SET["data"][1]["inputs"]
    assert alarm["expected"] == SET["data"][1]["expected"]
    assert alarm["actual"]["intent"]["name"] == "SetAlarmIntent"
    assert alarm["actual"]["intent"]["slots"]["Day"] == {
        "name": "Day",
        "value": "2026-11-28",
        "confirmationStatus": "NONE",
    }
    assert result["summary"]["intentAccuracy"] == 1.0
    assert result["summary"]["slotAccuracy"] == 0.8


def test_the_report_deserialises_into_smapis_own_model() -> None:
    from ask_sdk_core.serialize import DefaultSerializer

    report = evaluate(parse_json(json.dumps(SET)), nlu_for("en-US", MODELS)).to_json()
    kind = (
        "ask_smapi_model.v1.skill.nlu.evaluations.get_nlu_evaluation_results_response."
        "GetNLUEvaluationResultsResponse"
    )
    parsed = DefaultSerializer().deserialize(json.dumps(report), kind)
    assert parsed.total_failed == 1
    assert parsed.test_cases[0].status.value == "PASSED"
    assert parsed.test_cases[0].actual.intent.slots["Duration"].value == "PT10M"
    assert parsed.test_cases[2].actual.intent.slots["Ingredients"].value == "butter and milk"


def test_csv_sets_read_like_smapis_csv() -> None:
    annotations = load(TIMER / "nlu" / "en-US.csv")
    assert annotations[2].utterance == "wake me up tomorrow at seven thirty pm"
    assert annotations[2].reference == "2026-11-27T10:00:00.000Z"
    assert annotations[2].expected == (("SetAlarmIntent", {"Time": "19:30", "Day": "2026-11-28"}),)
    assert annotations[3].expected == (("WhatTimeIntent", {}),)
    report = evaluate(annotations, nlu_for("en-US", MODELS))
    assert report.total_failed == 0, report.lines()


def test_csv_and_json_convert_into_each_other() -> None:
    annotations = load(TIMER / "nlu" / "en-US.csv")
    assert parse_json(json.dumps(to_json(annotations))) == annotations
    assert parse_csv(to_csv(annotations)) == annotations


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"items": []}', 'no "data" list'),
        ('{"data": [{"inputs": {}}]}', "inputs.utterance"),
        ('{"data": [{"inputs": {"utterance": "x"}, "expected": []}]}', "at least one outcome"),
        ('{"data": [{"inputs": {"utterance": "x"}, "expected": [{"intent": {}}]}]}', "intent.name"),
        (
            '{"data": [{"inputs": {"utterance": "x"}, "expected": [{"intent": {"name": "A", '
            '"slots": {"S": "v"}}}]}]}',
            '{"value": "..."}',
        ),
        ("utterance,intent,Duration\nx,A,PT1M\n", "unknown columns Duration"),
        ("words,intent\nx,A\n", "must name the columns"),
        ("utterance,intent\n,A\n", "line 2"),
    ],
)
def test_bad_sets_say_where_and_why(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / ("set.json" if text.startswith("{") else "set.csv")
    path.write_text(text, "utf-8")
    with pytest.raises(AnnotationSetError, match=message):
        load(path)


def test_a_bad_reference_timestamp_is_reported() -> None:
    text = "utterance,referenceTimestamp,intent\nalarm for today,yesterday-ish,SetAlarmIntent\n"
    with pytest.raises(AnnotationSetError, match="not ISO 8601"):
        evaluate(parse_csv(text), nlu_for("en-US", MODELS))


def test_custom_values_carry_their_entity_resolution_in_the_report() -> None:
    text = (
        "utterance,intent,slot[Ingredients]\n"
        "i need vanilla extract,AddIngredientsIntent,vanilla extract\n"
    )
    report = evaluate(parse_csv(text), nlu_for("en-US", MODELS)).to_json()
    slot = report["testCases"][0]["actual"]["intent"]["slots"]["Ingredients"]
    authority = slot["resolutions"]["resolutionsPerAuthority"][0]
    assert authority["status"]["code"] == "ER_SUCCESS_MATCH"
    assert authority["values"][0]["value"] == {"name": "vanilla", "id": "VANILLA"}
