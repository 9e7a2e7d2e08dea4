"""The project's own conversation tests, one pytest case per YAML test, and the runner's rules."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest

from skill.simulator import conversations
from skill.simulator.commands import project_models
from skill.simulator.conversations import (
    ConversationFileError,
    ConversationTest,
    load_file,
    load_tests,
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
    (report,) = conversations.coverage(results, {"en-US": nlu_for("en-US", project_models())})
    assert report.missing_intents == []


def test_json_paths_reach_into_the_response_envelope() -> None:
    root = {"response": {"directives": [{"type": "Dialog.ElicitSlot"}]}, "a b": {"c": 1}}
    resolve = conversations.resolve_path
    assert resolve(root, "response.directives[0].type") == "Dialog.ElicitSlot"
    assert resolve(root, "response.directives[1].type") is conversations._MISSING
    assert resolve(root, "$.response.directives[*].type") == "Dialog.ElicitSlot"
    assert resolve(root, "..type") == "Dialog.ElicitSlot"
    assert resolve(root, "['a b'].c") == 1


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
    (first, second) = load_tests([write(tmp_path, text)])
    assert (first.name, first.locale, first.interactions[0].say) == ("Test 1", "en-GB", "help")
    assert second.name == "named"
    assert second.interactions[0].assertions[0].path == "prompt"


def test_locales_from_the_command_line_multiply_tests(tmp_path: Path) -> None:
    write(tmp_path, "- test: t\n- help: You can\n")
    tests = load_tests([tmp_path], ["en-US", "en-GB"])
    assert [(t.name, t.locale) for t in tests] == [("t [en-US]", "en-US"), ("t [en-GB]", "en-GB")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- test: t\n- help: [\n", "not valid YAML"),
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


def test_failures_name_the_interaction_and_the_first_failing_assertion(tmp_path: Path) -> None:
    text = (
        "- test: broken\n"
        "- add two apples:\n"
        "  - prompt: Added 3 apples\n"
        "  - prompt: never checked, the first failure ends the interaction as in bst\n"
        "- what's in my cart:\n"
        "  - response.card.type: Standard\n"
        "- AddItemIntent Item=milk:\n"
        "  - nlu.intent: RemoveItemIntent\n"
    )
    (test,) = load_tests([write(tmp_path, text)])
    result = run_test(test)
    assert not result.passed
    assert len(result.failures) == 3
    assert result.failures[0].startswith('interaction 1 "add two apples": prompt: expected ')
    assert "Added 2 apples" in result.failures[0]
    assert 'response.card.type: expected "Standard", got "Simple"' in result.failures[1]
    assert 'nlu.intent: expected "RemoveItemIntent", got "AddItemIntent"' in result.failures[2]


def test_junit_xml(tmp_path: Path) -> None:
    write(tmp_path, "- test: good\n- help: You can\n---\n- test: bad\n- help: nonsense\n")
    results = conversations.run_tests(load_tests([tmp_path]))
    root = ElementTree.fromstring(conversations.junit_xml(results))
    assert (root.get("tests"), root.get("failures")) == ("2", "1")
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == ["good", "bad"]
    failure = cases[1].find("failure")
    assert failure is not None and "prompt" in (failure.get("message") or "")
    assert conversations.summary_line(results) == "1 passed, 1 failed"


# -- locales: message keys, per-locale expectations, phrasebooks ---------------------
def test_a_message_key_matches_any_wording_of_the_running_locale() -> None:
    more = " Was darf es noch sein?"
    added = conversations.message_pattern("added", "de-DE")
    assert added.search(
        f"Hinzugefügt: 2 Äpfel. Im Warenkorb liegen jetzt 2 Artikel für 1 Euro.{more}"
    )
    assert added.search(
        f"Hinzugefügt: ein Apfel. Im Warenkorb liegt jetzt 1 Artikel für 5 Cent.{more}"
    )
    assert not added.search(
        "Added 2 apples. Your cart has 2 items, $1.50. What else would you like?"
    )
    two = conversations.message_pattern("added", "de-DE", {"count": 2})
    assert two.search(
        f"Hinzugefügt: 2 Äpfel. Im Warenkorb liegen jetzt 2 Artikel für 1 Euro.{more}"
    )
    assert not two.search(
        f"Hinzugefügt: 3 Äpfel. Im Warenkorb liegen jetzt 3 Artikel für 2 Euro.{more}"
    )
    # A card breaks lines where the template has a space or a newline.
    footer = conversations.message_pattern("receipt_footer", "en-US")
    assert footer.search("Total: $4.99 Pickup from about 10:35 UTC.")


def test_an_unknown_message_key_says_which_catalog() -> None:
    with pytest.raises(ConversationFileError, match="no message 'nope' in the de-DE catalog"):
        conversations.message_pattern("nope", "de-DE")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("de-DE", "€"), ("de-AT", "€"), ("en-GB", "£"), ("en-US", "$"), ("en-IN", "$")],
)
def test_per_locale_expectations_pick_the_most_specific_entry(locale: str, expected: str) -> None:
    value = {"de": "€", "en-GB": "£", "*": "$"}
    assert conversations.localize(value, locale) == expected


def test_a_locale_without_an_entry_is_not_checked(tmp_path: Path) -> None:
    text = "- test: t\n- help:\n  - prompt: {de: 'Du kannst'}\n  - cardTitle: {de: x}\n"
    (test,) = load_tests([write(tmp_path, text)])
    assert run_test(test).passed  # en-US: neither assertion applies
    (german,) = load_tests([tmp_path], ["de-DE"])
    (failure,) = run_test(german).failures  # the German help says "Du kannst"; no card
    assert failure == (
        "interaction 1 \"help\": cardTitle: expected {'de': 'x'} (in de-DE: \"x\"), got undefined"
    )


def test_phrasebook_utterances_and_message_assertions_run_in_every_locale(tmp_path: Path) -> None:
    (tmp_path / "phrases.yaml").write_text(
        "add: {en: add two apples, de: füge zwei Äpfel hinzu}\nhelp: hilfe\n", "utf-8"
    )
    write(tmp_path, '- test: t\n- "@add": {message: added, count: 2}\n')
    tests = load_tests([tmp_path], ["en-GB", "de-DE"])
    assert [t.name for t in tests] == ["t [en-GB]", "t [de-DE]"]  # phrases.yaml is no test
    results = conversations.run_tests(tests)
    assert all(r.passed for r in results), [r.failures for r in results]


def test_a_phrase_missing_for_the_locale_fails_the_test(tmp_path: Path) -> None:
    (tmp_path / "phrases.yaml").write_text("add: {en: add two apples}\n", "utf-8")
    write(tmp_path, '- test: t\n- "@add": Added\n')
    (german,) = load_tests([tmp_path], ["de-DE"])
    result = run_test(german)
    assert "has no de-DE utterance for @add" in result.failures[0]


@pytest.mark.parametrize(
    ("phrases", "test", "message"),
    [
        (None, '- test: t\n- "@add": x\n', "cannot be read"),
        ("add: [1, 2]\n", '- test: t\n- "@add": x\n', "must be an utterance or a mapping"),
        ("add: add milk\n", '- test: t\n- "@remove": x\n', "@remove is not in"),
        ("add: add milk\n", "- test: t\n- locales: [english]\n- help\n", "locales is a list"),
    ],
)
def test_bad_phrasebooks_are_reported(
    tmp_path: Path, phrases: str | None, test: str, message: str
) -> None:
    conversations.load_phrasebook.cache_clear()
    if phrases is not None:
        (tmp_path / "phrases.yaml").write_text(phrases, "utf-8")
    with pytest.raises(ConversationFileError, match=message):
        load_file(write(tmp_path, test))


def test_a_test_can_be_limited_to_some_locales(tmp_path: Path) -> None:
    write(tmp_path, "- test: crisps\n- locales: [en-GB, de]\n- help\n---\n- test: all\n- help\n")
    tests = load_tests([tmp_path], ["en-US", "en-GB", "de-DE"])
    assert [t.name for t in tests] == [  # locale by locale, as bst runs a locale matrix
        "all [en-US]",
        "crisps [en-GB]",
        "all [en-GB]",
        "crisps [de-DE]",
        "all [de-DE]",
    ]
    assert [t.name for t in load_tests([tmp_path])] == ["all"]  # en-US by default
