"""The simulator as any skill's test tool: the second skill (tests/fixtures/timer_skill) through
every kind of target, from the command line a developer types."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from _skills import (
    TIMER,
    TIMER_HANDLER_FILE,
    restore_sys_path,  # noqa: F401 (an autouse fixture)
    skill_server,
    timer_handler,
)

from skill.cli import main

REPO = Path(__file__).parents[2]
HANDLER = f"{TIMER_HANDLER_FILE}:lambda_handler"
REPLAY = REPO / "tests" / "replay" / "timer.json"


def run(*argv: str) -> tuple[int, str]:
    out = StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CORNERSHOP_STORE", f"sqlite:///{tmp_path / 'shop.db'}")
    monkeypatch.delenv("ALEXA_SKILL_ID", raising=False)


def test_simulate_a_python_handler_with_its_own_model() -> None:
    code, out = run(
        "simulate", "--model", str(TIMER), "--target", HANDLER,
        "open kitchen timer", "set a timer for ten minutes", "stop",
    )  # fmt: skip
    assert code == 0, out
    assert "alexa> Welcome to Kitchen Timer." in out
    assert "[SetTimerIntent  Duration=PT10M]" in out
    assert "alexa> Timer set for PT10M." in out
    assert "(session ended)" in out


def test_the_model_is_found_beside_the_handler() -> None:
    code, out = run("simulate", "--locale", "de-DE", "--target", HANDLER, "wie spät ist es")
    assert code == 0, out
    assert "[WhatTimeIntent]" in out and "alexa> Es ist " in out


def test_a_module_handler_from_the_current_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(TIMER / "lambda")
    code, out = run(
        "simulate", "--model", "..", "--target", "lambda_function:lambda_handler", "help"
    )
    assert code == 0, out
    assert "alexa> You can say: set a timer for ten minutes." in out


def test_simulate_against_an_http_endpoint_json() -> None:
    with skill_server(timer_handler()) as url:
        code, out = run(
            "simulate", "--json", "--model", str(TIMER), "--target", url,
            "i need flour sugar and eggs",
        )  # fmt: skip
    assert code == 0, out
    (turn,) = [json.loads(line) for line in out.splitlines()]
    slot = turn["request"]["request"]["intent"]["slots"]["Ingredients"]
    assert [v["value"] for v in slot["slotValue"]["values"]] == ["flour", "sugar", "eggs"]
    assert turn["response"]["sessionAttributes"]["heard"]["Ingredients"] == [
        "flour",
        "sugar",
        "eggs",
    ]


def test_an_unreachable_endpoint_is_a_clear_cli_error(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, _out = run(
        "simulate", "--model", str(TIMER), "--target", f"http://127.0.0.1:{port}/", "help"
    )
    assert code == 2
    assert "Nothing answered at" in capsys.readouterr().err


def test_chat_state_shows_session_attributes_for_any_target() -> None:
    script = "open kitchen timer\nset a timer for ten minutes\n.state\n.quit\n"
    done = subprocess.run(
        [sys.executable, "-m", "skill.cli", "chat", "--target", HANDLER],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Say 'open kitchen timer'" in done.stdout
    assert '"timers": [\n    "PT10M"\n  ]' in done.stdout
    assert "does not say what it stores beyond the session" in done.stdout


def test_replay_an_ask_dialog_file_against_another_skill() -> None:
    code, out = run("replay", str(REPLAY), "--target", HANDLER)
    assert code == 0, out
    assert "alexa> The timer is for oliver." in out
    assert "alexa> What time should the alarm ring?" in out  # the dialog model asks
    assert "alexa> Alarm set for 06:30." in out
    assert out.splitlines()[-1] == "replayed 6 utterance(s): 0 skill error(s)"


def test_the_fixtures_bst_tests_run_with_their_testing_json() -> None:
    code, out = run("test", str(TIMER / "test"))
    assert code == 0, out
    assert out.splitlines()[-1] == "6 passed, 0 failed"
    assert "[de-DE]" in out


def test_the_fixtures_bst_tests_against_an_http_endpoint() -> None:
    with skill_server(timer_handler()) as url:
        code, out = run("test", str(TIMER / "test" / "timer.test.yml"), "--target", url)
    assert code == 0, out
    assert out.splitlines()[-1] == "3 passed, 0 failed"


def test_a_failing_bst_test_fails_the_command(tmp_path: Path) -> None:
    (tmp_path / "testing.json").write_text(json.dumps({"handler": HANDLER}), "utf-8")
    (tmp_path / "t.yml").write_text(
        "- test: wrong\n- set a timer for ten minutes: PT11M\n", "utf-8"
    )
    (tmp_path / "models").mkdir()
    custom = TIMER / "skill-package" / "interactionModels" / "custom"
    (tmp_path / "models" / "en-US.json").write_bytes((custom / "en-US.json").read_bytes())
    code, out = run("test", str(tmp_path))
    assert code == 1
    assert 'prompt: expected "PT11M", got "<speak>Timer set for PT10M.</speak>"' in out


def test_annotation_sets_from_the_command_line() -> None:
    code, out = run(
        "nlu", "--model", str(TIMER), "--json", "--annotations", str(TIMER / "nlu" / "en-US.csv")
    )
    assert code == 0, out
    report = json.loads(out)
    assert report["totalFailed"] == 0
    assert {"status", "inputs", "expected", "actual"} <= set(report["testCases"][0])
    code, out = run("nlu", "--annotations", str(REPO / "tests" / "nlu" / "en-US.json"))
    assert code == 1  # the project's set has known misses; the command says so by its status
    assert "FAILED  " in out and re.match(r"\d+ test cases \(en-US\)", out.splitlines()[-1])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["simulate", "--model", str(TIMER), "help"], "no --target says where that skill runs"),
        (["simulate", "--target", HANDLER, "--store", "memory://", "help"], "--store configures"),
        (["simulate", "--target", "nowhere:fn", "help"], "no module 'nowhere'"),
        (["nlu"], "Say what to parse"),
    ],
)
def test_mismatched_options_are_refused_with_advice(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out = run(*argv)
    assert code == 2
    assert message in capsys.readouterr().err
