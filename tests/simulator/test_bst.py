"""Bespoken test files mean here what they mean in bst: syntax, operators, configuration, flow.

Most tests run against the second skill (tests/fixtures/timer_skill) through a testing.json
that names its Python handler, as a bst user's project would.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from _skills import restore_sys_path  # noqa: F401 (an autouse fixture)

from skill.simulator import conversations
from skill.simulator.conversations import (
    ConversationFileError,
    Environment,
    TestResult,
    load_suites,
    matches,
    plan,
    run_test,
)
from skill.simulator.targets import PythonTarget

REPO = Path(__file__).parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "timer_skill"
HANDLER = f"{FIXTURE / 'lambda' / 'lambda_function.py'}:lambda_handler"
MISSING = conversations._MISSING


def run_yaml(
    tmp_path: Path,
    text: str,
    config: dict[str, Any] | None = None,
    env: Environment | None = None,
    *,
    name: str = "t.yml",
) -> tuple[list[TestResult], list[conversations.Suite]]:
    settings = {"handler": HANDLER, "interactionModel": str(FIXTURE / "skill-package")}
    (tmp_path / "testing.json").write_text(json.dumps({**settings, **(config or {})}), "utf-8")
    (tmp_path / name).write_text(text, "utf-8")
    env = env or Environment()
    suites = load_suites([tmp_path / name], env)
    return [run_test(t, env=env) for t in plan(suites, (), env)], suites


def outcomes(results: list[TestResult]) -> list[tuple[str, str]]:
    return [(r.test.name, r.verdict) for r in results]


# -- matching, as bst's Assertion.evaluate --------------------------------------------
@pytest.mark.parametrize(
    ("actual", "expected", "operator", "ok"),
    [
        ("<speak>Added 2 apples.</speak>", "Added 2 apples", "==", True),
        ("<speak>Added 2 apples.</speak>", "added 2 apples", "==", False),  # case matters
        ("Here's your fact: space", "Here's your fact: *", "==", True),  # * is a wildcard
        ("That is $1.50", "$1.50", "==", True),  # $ is literal...
        ("That is $1x50", "$1.50", "==", True),  # ...but . is a regex dot, as in bst
        ("Order 1001 is ready", "/order \\d+ is/i", "=~", True),
        ("Order 1001 is ready", "/order \\d+ is/", "=~", False),
        ("Welcome back", ["Welcome to", "Welcome back"], "==", True),
        ("Goodbye", ["Hello", "Hi"], "==", False),
        (True, True, "==", True),
        (False, True, "==", False),
        ("12", 2, "==", True),  # a search: "2" is found in "12"
        (MISSING, MISSING, "==", True),
        ("something", MISSING, "==", False),
        (MISSING, "anything", "==", False),
        ({"kind": "clear"}, "Object", "==", True),  # String({...}) is "[object Object]"
        ("Welcome back", "back", "!=", False),
        ("Welcome back", ["hello", "hi"], "!=", True),
        (MISSING, "x", "!=", True),
        ("x", MISSING, "!=", True),
        ("3", 2, ">", True),
        ("3", 3, ">", False),
        ("3", 3, ">=", True),
        ("12abc", 20, "<", False),  # not a number at all: no comparison passes
        (MISSING, 1, "<", False),
    ],
)
def test_matches_as_bst_does(actual: Any, expected: Any, operator: str, ok: bool) -> None:
    original = ":" if operator == "==" and not isinstance(expected, str) else operator
    assert matches(actual, expected, operator, original=original) is ok


def test_an_invalid_regex_in_a_plain_value_is_a_clear_failure() -> None:
    with pytest.raises(ConversationFileError, match="not a valid one"):
        matches("text", "(unclosed", "==")


# -- parsing -----------------------------------------------------------------------
def test_string_syntax_with_operators_and_bsts_hyphen_lists(tmp_path: Path) -> None:
    text = (
        "---\n- test: one-line forms\n"
        "- set a timer for ten minutes == Timer set for PT10M\n"
        "- help != Goodbye\n"
        "- what time is it:\n"
        "  - prompt =~ /It is \\d\\d/\n"
        "  - prompt == Nope - It is\n"  # bst reads "a - b" as the list [a, b]
    )
    results, suites = run_yaml(tmp_path, text)
    assert outcomes(results) == [("one-line forms", "PASS")]
    (test,) = suites[0].tests
    assert test.interactions[2].assertions[1].value == ["Nope", "It is"]


def test_metadata_only_in_the_first_two_items(tmp_path: Path) -> None:
    text = "---\n- tags: a, b\n- test: named\n- help: You can say\n- test: not metadata\n"
    _results, suites = run_yaml(tmp_path, text)
    (test,) = suites[0].tests
    assert (test.name, test.tags) == ("named", ("a", "b"))
    assert [i.say for i in test.interactions] == ["help", "test"]


def test_unnamed_and_duplicate_tests_are_named_as_bst_names_them(tmp_path: Path) -> None:
    text = "---\n- help\n---\n- test: same\n- help\n---\n- test: same\n- help\n"
    _results, suites = run_yaml(tmp_path, text)
    assert [t.name for t in suites[0].tests] == ["Test 1", "same", "same (2)"]


def test_documents_that_are_not_lists_are_skipped_with_a_note(tmp_path: Path) -> None:
    text = "---\njust a string\n---\n- test: real\n- help: You can say\n"
    results, suites = run_yaml(tmp_path, text)
    assert outcomes(results) == [("real", "PASS")]
    assert any("document 1 is str" in note and "skipped" in note for note in suites[0].notes)


def test_one_bad_file_fails_only_its_own_tests(tmp_path: Path) -> None:
    (tmp_path / "testing.json").write_text(
        json.dumps({"handler": HANDLER, "interactionModel": str(FIXTURE / "skill-package")})
    )
    (tmp_path / "bad.yml").write_text("- test: t\n- help: [\n", "utf-8")
    (tmp_path / "good.yml").write_text("- test: fine\n- help: You can say\n", "utf-8")
    env = Environment()
    results = [run_test(t, env=env) for t in plan(load_suites([tmp_path], env), (), env)]
    verdicts = {(r.test.file.name, r.verdict) for r in results}
    assert verdicts == {("bad.yml", "FAIL"), ("good.yml", "PASS")}
    bad = next(r for r in results if r.test.file.name == "bad.yml")
    assert "not valid YAML" in bad.failures[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- test: t\n- help:\n  - nospace\n", "invalid assertion"),
        ("- test: t\n- help:\n  - prompt is hello\n", "invalid operator"),
        ("- test: t\n- help:\n  - prompt > many\n", "needs a number"),
        ("- test: t\n- help:\n  - [nested]\n", "an assertion is"),
        ("- test: t\n- help: {prompt: x}\n", "maps to a mapping"),
    ],
)
def test_malformed_assertions_are_file_errors(tmp_path: Path, text: str, message: str) -> None:
    results, _suites = run_yaml(tmp_path, text)
    (result,) = results
    assert result.verdict == "FAIL" and message in result.failures[0]


# -- elements that are not assertions --------------------------------------------------
def test_intent_elements_send_that_intent_and_ignore_the_utterance(tmp_path: Path) -> None:
    text = (
        "- test: t\n"
        "- gibberish nobody would say:\n"
        "  - intent: CancelTimerIntent\n"
        "    Ordinal: 2\n"
        "  - prompt: Cancelled timer 2\n"
        "  - nlu.intent: CancelTimerIntent\n"
        "- also ignored:\n"
        "  - intent: SetTimerIntent\n"
        "  - slots: {Duration: PT3M}\n"
        "  - prompt: Timer set for PT3M\n"
    )
    results, _ = run_yaml(tmp_path, text)
    assert outcomes(results) == [("t", "PASS")], results[0].failures


def test_request_keys_set_fields_in_the_envelope(tmp_path: Path) -> None:
    text = (
        "- test: t\n"
        "- what time is it:\n"
        "  - request.request.timestamp: 2030-01-02T03:04:05Z\n"
        "  - request.context.System.device.deviceId: my-echo\n"
        "  - prompt: It is 03:04\n"
        "  - sent.context.System.device.deviceId: my-echo\n"
    )
    results, _ = run_yaml(tmp_path, text)
    assert outcomes(results) == [("t", "PASS")], results[0].failures


def test_a_request_key_is_never_an_assertion(tmp_path: Path) -> None:
    # The old project syntax asserted with this line; in bst it sets the intent's name, so
    # the skill answers its fallback, and nothing here can fail because of it.
    text = (
        "- test: t\n- set a timer for ten minutes:\n"
        "  - request.request.intent.name: NoSuchIntent\n"
        "  - sent.request.intent.name: NoSuchIntent\n"
        "  - prompt: Sorry, I can't help with that\n"
    )
    results, _ = run_yaml(tmp_path, text)
    assert outcomes(results) == [("t", "PASS")], results[0].failures


# -- only, skip, tags ---------------------------------------------------------------
THREE = (
    "- test: plain\n- tags: slow\n- help\n---\n"
    "- test.only: chosen\n- tags: fast\n- help\n---\n"
    "- test.skip: skipped\n- help\n"
)


def test_only_runs_alone_and_skip_is_skipped(tmp_path: Path) -> None:
    results, _ = run_yaml(tmp_path, THREE)
    assert outcomes(results) == [("plain", "SKIP"), ("chosen", "PASS"), ("skipped", "SKIP")]
    assert conversations.summary_line(results) == "1 passed, 0 failed, 2 skipped"


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        (["slow"], None, [("plain", "PASS"), ("chosen", "SKIP"), ("skipped", "SKIP")]),
        (None, ["fast"], [("plain", "PASS"), ("chosen", "SKIP"), ("skipped", "SKIP")]),
        (["fast", "slow"], None, [("plain", "SKIP"), ("chosen", "PASS"), ("skipped", "SKIP")]),
    ],
)
def test_include_and_exclude_tags(
    tmp_path: Path, include: list[str] | None, exclude: list[str] | None, expected: list[Any]
) -> None:
    results, _ = run_yaml(tmp_path, THREE, env=Environment(include=include, exclude=exclude))
    assert outcomes(results) == expected


def test_include_from_the_configuration(tmp_path: Path) -> None:
    results, _ = run_yaml(tmp_path, THREE, {"include": "slow"})
    assert outcomes(results)[0] == ("plain", "PASS")


# -- goto, label, exit --------------------------------------------------------------
FLOW = (
    "- test: flow\n"
    "- open kitchen timer:\n"
    "  - prompt == Welcome goto the end\n"
    "- help: this is never said\n"
    "- what time is it:\n"
    "  - label: the end\n"
    "  - prompt: It is\n"
    "  - exit\n"
    "- help: nor is this\n"
)


def test_goto_label_and_exit_with_async_mode_off(tmp_path: Path) -> None:
    results, _ = run_yaml(tmp_path, "---\nconfiguration:\n  asyncMode: false\n---\n" + FLOW)
    assert outcomes(results) == [("flow", "PASS")], results[0].failures


def test_goto_and_exit_are_ignored_in_async_mode_as_in_bst_and_a_note_says_so(
    tmp_path: Path,
) -> None:
    results, suites = run_yaml(tmp_path, FLOW)
    (result,) = results
    assert result.verdict == "FAIL"  # the skipped interactions ran, and failed
    assert any("asyncMode" in note for note in suites[0].notes)


def test_a_goto_that_does_not_match_is_no_failure(tmp_path: Path) -> None:
    text = "- test: t\n- help:\n  - prompt == Nothing like this goto x\n  - prompt: You can say\n"
    results, _ = run_yaml(tmp_path, text)
    assert outcomes(results) == [("t", "PASS")]


# -- variables, findReplace, token files -----------------------------------------------
def test_variables_resolve_through_a_python_filter(tmp_path: Path) -> None:
    (tmp_path / "filter.py").write_text(
        "def resolve(variable, interaction):\n    return {'what': 'Timer set'}.get(variable)\n",
        "utf-8",
    )
    text = "- test: t\n- set a timer for ten minutes: '{what} for PT10M'\n"
    results, _ = run_yaml(tmp_path, text, {"filter": "filter.py"})
    assert outcomes(results) == [("t", "PASS")]


def test_a_variable_without_a_filter_stays_literal_and_fails(tmp_path: Path) -> None:
    results, _ = run_yaml(tmp_path, "- test: t\n- set a timer for ten minutes: '{what}'\n")
    assert outcomes(results) == [("t", "FAIL")]


def test_find_replace_from_testing_json_rewrites_the_text_first(tmp_path: Path) -> None:
    text = "- test: t\n- SAY_IT: EXPECTED\n"
    config = {"findReplace": {"SAY_IT": "set a timer for ten minutes", "EXPECTED": "PT10M"}}
    results, _ = run_yaml(tmp_path, text, config)
    assert outcomes(results) == [("t", "PASS")]


def test_the_fixture_locale_matrix_uses_token_files() -> None:
    env = Environment()
    suites = load_suites([FIXTURE / "test" / "matrix.test.yml"], env)
    tests = plan(suites, (), env)
    assert [t.locale for t in tests] == ["en-US", "en-GB", "de-DE"]
    results = [run_test(t, env=env) for t in tests]
    assert all(r.passed for r in results), [r.failures for r in results]
    assert "Willkommen" in suites[0].token("de-DE", "WELCOME")  # type: ignore[operator]


# -- configuration that changes the request ----------------------------------------------
def test_device_and_user_settings_reach_the_envelope(tmp_path: Path) -> None:
    text = (
        "- test: t\n- help:\n"
        "  - sent.session.user.userId: amzn1.ask.account.ME\n"
        "  - sent.context.System.user.accessToken: linked-token\n"
        "  - sent.context.System.device.deviceId: amzn1.ask.device.KITCHEN\n"
        "  - sent.context.System.application.applicationId: amzn1.ask.skill.timer\n"
        "  - sent.context.System.device.supportedInterfaces.AudioPlayer != undefined\n"
        "  - sent.context.System.device.supportedInterfaces.Display == undefined\n"
    )
    config = {
        "userId": "amzn1.ask.account.ME",
        "deviceId": "amzn1.ask.device.KITCHEN",
        "applicationId": "amzn1.ask.skill.timer",
        "accessToken": "linked-token",
        "supportedInterfaces": "AudioPlayer",
    }
    results, _ = run_yaml(tmp_path, text, config)
    assert outcomes(results) == [("t", "PASS")], results[0].failures


def test_by_default_the_device_has_bsts_interfaces(tmp_path: Path) -> None:
    text = (
        "- test: t\n- help:\n"
        "  - sent.context.System.device.supportedInterfaces.Display != undefined\n"
        "  - sent.context.System.device.supportedInterfaces.VideoApp != undefined\n"
    )
    results, _ = run_yaml(tmp_path, text)
    assert outcomes(results) == [("t", "PASS")], results[0].failures


def _address_skill(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A skill that reads the device address and the user's given name from Alexa's APIs."""
    system = event["context"]["System"]
    said = []
    for path in (
        f"/v1/devices/{system['device']['deviceId']}/settings/address",
        "/v2/accounts/~current/settings/Profile.givenName",
    ):
        request = urllib.request.Request(
            system["apiEndpoint"] + path,
            headers={"Authorization": f"Bearer {system['apiAccessToken']}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as reply:
                data = json.loads(reply.read())
                said.append(data["city"] if isinstance(data, dict) else data)
        except urllib.error.HTTPError as exc:
            said.append(f"HTTP {exc.code}")
    text = " / ".join(said)
    return {
        "version": "1.0",
        "response": {"outputSpeech": {"type": "PlainText", "text": text}, "shouldEndSession": True},
    }


def test_address_and_user_profile_are_served_by_a_local_fake_of_alexas_apis(
    tmp_path: Path,
) -> None:
    env = Environment(target=lambda: PythonTarget(_address_skill))
    config = {
        "address": {"addressLine1": "1 Main St", "city": "Springfield", "countryCode": "US"},
        "userProfile": {"givenName": "Ada"},
    }
    results, _ = run_yaml(tmp_path, "- test: t\n- help: Springfield / Ada\n", config, env)
    assert outcomes(results) == [("t", "PASS")], results[0].failures
    results, _ = run_yaml(tmp_path, "- test: t\n- help: HTTP 403 / HTTP 403\n", {}, env)
    assert outcomes(results) == [("t", "PASS")], results[0].failures


def test_an_incomplete_address_is_refused(tmp_path: Path) -> None:
    env = Environment(target=lambda: PythonTarget(_address_skill))
    results, _ = run_yaml(tmp_path, "- test: t\n- help\n", {"address": {"city": "X"}}, env)
    assert "address is incomplete" in results[0].failures[0]


# -- what cannot run offline is said, never silently ignored --------------------------
def test_e2e_suites_are_skipped_with_the_reason(tmp_path: Path) -> None:
    text = "---\nconfiguration:\n  type: e2e\n  virtualDeviceToken: x\n---\n- test: t\n- help\n"
    results, suites = run_yaml(tmp_path, text)
    assert outcomes(results) == [("t", "SKIP")]
    assert "virtual devices" in str(results[0].test.skipped)
    assert any("virtualDeviceToken" in note for note in suites[0].notes)


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({"dynamo": "mock"}, "dynamo: mock"),
        ({"filter": "filter.js"}, "JavaScript filters"),
        ({"stt": "google"}, "e2e only"),
        ({"frobnicate": True}, "unsupported configuration keys"),
        ({"jest": {"silent": True}}, "runner settings"),
    ],
)
def test_unsupported_features_get_a_note(
    tmp_path: Path, config: dict[str, Any], words: str
) -> None:
    _results, suites = run_yaml(tmp_path, "- test: t\n- help\n", config)
    assert any(words in note for note in suites[0].notes), suites[0].notes


def test_audio_player_requests_fail_rather_than_pass(tmp_path: Path) -> None:
    results, _ = run_yaml(tmp_path, "- test: t\n- AudioPlayer.PlaybackStarted\n")
    assert results[0].verdict == "FAIL" and "not supported" in results[0].failures[0]


def test_ignore_properties_and_lenient_mode(tmp_path: Path) -> None:
    text = "- test: t\n- help:\n  - cardTitle: never\n  - prompt: You can say set a timer\n"
    config = {
        "ignoreProperties": {"alexa": {"type": "unit", "paths": "cardTitle"}},
        "lenientMode": True,
    }
    results, _suites = run_yaml(tmp_path, text, config)
    assert outcomes(results) == [("t", "PASS")], results[0].failures
    results, _ = run_yaml(tmp_path, text)  # without them: the card is absent, punctuation counts
    assert outcomes(results) == [("t", "FAIL")]


def test_the_project_search_for_testing_json_stops_at_the_project_root(tmp_path: Path) -> None:
    (tmp_path / "testing.json").write_text(json.dumps({"locale": "de-DE"}), "utf-8")
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text("", "utf-8")
    (project / "tests" / "t.yml").write_text("- test: t\n- help\n", "utf-8")
    (suite,) = load_suites([project / "tests" / "t.yml"])
    assert suite.locales() == ["en-US"]  # the testing.json above the project is not read


def test_the_fixture_suite_passes_and_its_filter_ran() -> None:
    env = Environment()
    suites = load_suites([FIXTURE / "test" / "timer.test.yml"], env)
    results = [run_test(t, env=env) for t in plan(suites, (), env)]
    assert [r.verdict for r in results] == ["PASS"] * 3, [r.failures for r in results]
