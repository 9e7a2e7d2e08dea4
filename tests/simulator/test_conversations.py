"""The project's own conversation tests, one pytest case per YAML test, and the runner's rules."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest

from skill.simulator import conversations
from skill.simulator.conversations import (
    ConversationFileError,
    ConversationTest,
    load_file,
    load_tests,
    matches,
    run_test,
)

REPO = Path(__file__).parents[2]
CONVERSATIONS = REPO / "tests" / "conversations"
TESTS = load_tests([CONVERSATIONS])


@pytest.mark.parametrize("test", TESTS, ids=[f"{t.file.stem}: {t.name}" for t in TESTS])
def test_project_conversation(test: ConversationTest) -> None:
    result = run_test(test)
    assert result.passed, "\n".join(result.failures)


def test_the_project_has_several_conversation_files_covering_every_intent() -> None:
    from skill.simulator.nlu import nlu_for

    assert len({t.file for t in TESTS}) >= 3
    results = conversations.run_tests(TESTS)
    (report,) = conversations.coverage(results, {"en-US": nlu_for("en-US")})
    assert report.missing_intents == []


# -- matching ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("actual", "expected", "ok"),
    [
        ("Added 2 apples. Your cart", "added 2 APPLES", True),
        ("Added 2 apples.", "Added 3", False),
        ("Order 1001 is $4.99", "/order \\d+ is/i", True),
        ("Order 1001 is $4.99", "/order \\d+ is/", False),
        ("Welcome back", ["welcome to", "welcome back"], True),
        ("Goodbye", ["hello", "hi"], False),
        ("Here's your fact: space", "Here's your fact: *", True),
        (True, True, True),
        (False, True, False),
        ("2", 2, True),
        (2, "2", True),
        (None, None, True),
        (conversations._MISSING, "undefined", True),
        ("something", "undefined", False),
        (conversations._MISSING, "anything", False),
        ({"kind": "clear"}, "clear", True),
    ],
)
def test_matches(actual: object, expected: object, ok: bool) -> None:
    assert matches(actual, expected) is ok


def test_json_paths_reach_into_request_and_response() -> None:
    root = {"response": {"response": {"directives": [{"type": "Dialog.ElicitSlot"}]}}}
    assert conversations.resolve_path(root, "response.response.directives[0].type") == (
        "Dialog.ElicitSlot"
    )
    assert conversations.resolve_path(root, "response.response.directives[1].type") is (
        conversations._MISSING
    )


# -- files -----------------------------------------------------------------------------
def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(text, "utf-8")
    return path


def test_yes_and_no_are_utterances_not_booleans(tmp_path: Path) -> None:
    (test,) = load_file(write(tmp_path, "- test: t\n- yes: hi\n- no:\n- on: x\n"))
    assert [i.say for i in test.interactions] == ["yes", "no", "on"]


def test_configuration_sets_the_locale_and_names_default(tmp_path: Path) -> None:
    text = "configuration:\n  locale: en-GB\n---\n- help\n---\n- test: named\n- stop: bye\n"
    first, second = load_file(write(tmp_path, text))
    assert (first.name, first.locale, first.interactions[0].say) == ("test 1", "en-GB", "help")
    assert second.name == "named"
    assert second.interactions[0].assertions[0].key == "prompt"


def test_locales_from_the_command_line_multiply_tests(tmp_path: Path) -> None:
    write(tmp_path, "- test: t\n- help: you can\n")
    tests = load_tests([tmp_path], ["en-US", "en-GB"])
    assert [(t.name, t.locale) for t in tests] == [("t [en-US]", "en-US"), ("t [en-GB]", "en-GB")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- test: t\n- help: [\n", "not valid YAML"),
        ("just text\n", "a test is a YAML list"),
        ("- test: only a name\n", "has no interactions"),
        ("- test: t\n- [1, 2]\n", "write each interaction"),
        ("- test: t\n- help:\n  - [nested]\n", "an assertion is"),
    ],
)
def test_bad_files_are_reported_with_where_and_why(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConversationFileError, match=message):
        load_file(write(tmp_path, text))


def test_a_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConversationFileError, match="does not exist"):
        load_tests([tmp_path / "nope"])


def test_failures_name_the_interaction_and_the_assertion(tmp_path: Path) -> None:
    text = (
        "- test: broken\n"
        "- add two apples:\n"
        "  - prompt: Added 3 apples\n"
        "  - response.response.card.type: Simple\n"
        "- AddItemIntent Item=milk:\n"
        "  - intent: RemoveItemIntent\n"
    )
    (test,) = load_file(write(tmp_path, text))
    result = run_test(test)
    assert not result.passed
    assert result.failures[0].startswith('interaction 1 "add two apples": prompt: expected ')
    assert "Added 2 apples" in result.failures[0]
    assert 'response.response.card.type: expected "Simple", got undefined' in result.failures[1]
    assert 'intent: expected "RemoveItemIntent", got "AddItemIntent"' in result.failures[2]


def test_junit_xml(tmp_path: Path) -> None:
    write(tmp_path, "- test: good\n- help: you can\n---\n- test: bad\n- help: nonsense\n")
    results = conversations.run_tests(load_tests([tmp_path]))
    root = ElementTree.fromstring(conversations.junit_xml(results))
    assert (root.get("tests"), root.get("failures")) == ("2", "1")
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == ["good", "bad"]
    failure = cases[1].find("failure")
    assert failure is not None and "prompt" in (failure.get("message") or "")
    assert conversations.summary_line(results) == "1 passed, 1 failed"
