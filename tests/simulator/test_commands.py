"""The simulator's commands through ``skill.cli.main`` (and a subprocess where stdin matters)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from skill.cli import main

REPO = Path(__file__).parents[2]
REPLAY = REPO / "tests" / "replay" / "checkout.json"
BANNER = "Say 'open corner shop' or just type what you want; .quit to leave"


def run(*argv: str) -> tuple[int, str]:
    out = StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture(autouse=True)
def _isolated_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No command may touch the developer's real SQLite file."""
    monkeypatch.setenv("CORNERSHOP_STORE", f"sqlite:///{tmp_path / 'shop.db'}")
    monkeypatch.delenv("ALEXA_SKILL_ID", raising=False)


def subprocess_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORNERSHOP_", "ALEXA_"))}
    env["CORNERSHOP_STORE"] = f"sqlite:///{tmp_path / 'chat.db'}"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


# -- nlu ---------------------------------------------------------------------------
def test_nlu_json_is_one_object_per_line() -> None:
    code, out = run("nlu", "--json", "add two dozen eggs", "add a unicorn", "open corner shop")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0] == {
        "utterance": "add two dozen eggs",
        "intent": "AddItemIntent",
        "slots": {
            "Quantity": {"value": "2", "id": None},
            "Amount": {"value": "dozen", "id": "DOZEN"},
            "Item": {"value": "eggs", "id": "EGGS"},
        },
    }
    assert lines[1]["slots"] == {
        "Amount": {"value": "a", "id": "ONE"},
        "Item": {"value": "unicorn", "id": None},
    }
    assert lines[2] == {"utterance": "open corner shop", "intent": "LaunchRequest", "slots": {}}


def test_nlu_readable() -> None:
    code, out = run("nlu", "add peanut butter")
    assert code == 0
    assert out.startswith(
        "add peanut butter  ->  AddItemIntent  Item=peanut butter [PEANUT_BUTTER]"
    )


# -- simulate --------------------------------------------------------------------------
def test_simulate_json_is_one_object_per_turn() -> None:
    code, out = run("simulate", "--json", "open corner shop", "add two apples", "stop")
    assert code == 0
    turns = [json.loads(line) for line in out.splitlines()]
    assert [set(t) for t in turns] == [{"utterance", "request", "response"}] * 3
    assert turns[0]["request"]["request"]["type"] == "LaunchRequest"
    assert turns[1]["request"]["request"]["intent"]["name"] == "AddItemIntent"
    assert turns[1]["request"]["session"]["new"] is False
    assert turns[2]["response"]["response"]["shouldEndSession"] is True


def test_simulate_uses_a_memory_store_by_default() -> None:
    run("simulate", "add two apples")
    code, out = run("simulate", "what's in my cart")
    assert code == 0
    assert "Your cart is empty" in out


def test_simulate_transcript_shows_speech_reprompt_and_card() -> None:
    code, out = run("simulate", "add two apples", "what's in my cart")
    assert code == 0
    assert "you> add two apples" in out
    assert "[AddItemIntent  Quantity=2  Item=apples [APPLE]]" in out
    assert "alexa> Added 2 apples." in out
    assert "reprompt: You can add more" in out
    assert "card (Simple): Your Corner Shop cart: 2 apples / Total: $1.50" in out
    assert "<speak>" not in out


def test_simulate_help_names_the_default_store(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    assert "memory://" in capsys.readouterr().out


# -- chat ------------------------------------------------------------------------------
def chat(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "skill.cli", "chat"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        env=subprocess_env(tmp_path),
        cwd=REPO,
        check=False,
    )


@pytest.mark.slow
def test_chat_with_piped_input_keeps_the_cart_between_runs(tmp_path: Path) -> None:
    first = chat(tmp_path, "add two apples\n.state\n.quit\n")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == BANNER
    assert "alexa> Added 2 apples." in first.stdout
    assert "2 x apples (APPLE)" in first.stdout  # .state shows the stored cart
    second = chat(tmp_path, "open corner shop\nwhat's in my cart\n")  # ends at EOF, no .quit
    assert second.returncode == 0, second.stderr
    assert "Welcome back to Corner Shop. Your cart has 2 items." in second.stdout
    assert "alexa> Your cart has 2 apples." in second.stdout


def test_chat_commands_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    script = (
        "open corner shop\n.json\nhelp\n.json\n.new\n.state\n.bogus\n.help\n\n.quit\nnever read\n"
    )
    monkeypatch.setattr(sys, "stdin", StringIO(script))
    code, out = run("chat", "--store", "memory://")
    assert code == 0
    assert out.splitlines()[0] == BANNER
    assert '"name": "AMAZON.HelpIntent"' in out  # .json shows the raw envelopes
    assert "(session ended: user initiated)" in out  # .new ends the session
    assert "session: none" in out
    assert "Unknown command .bogus" in out
    assert ".state" in out  # .help
    assert "never read" not in out


# -- replay ------------------------------------------------------------------------------
def test_replay_runs_to_the_end_and_exits_zero() -> None:
    code, out = run("replay", str(REPLAY))
    assert code == 0, out
    assert "alexa> What would you like to add?" in out
    assert "alexa> Added 1 loaf of bread." in out
    assert "alexa> You're checked out!" in out
    assert out.splitlines()[-1] == "replayed 7 utterance(s): 0 skill error(s)"


def write_replay(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "replay.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), "utf-8")
    return str(path)


GOOD = {"skillId": "amzn1.ask.skill.x", "locale": "en-US", "type": "text", "userInput": ["help"]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "is not valid JSON"),
        ([1, 2], "must hold a JSON object"),
        ({**GOOD, "userInput": "help"}, '"userInput" must be a list of strings'),
        ({**GOOD, "type": "voice"}, '"type" must be "text"'),
        ({k: v for k, v in GOOD.items() if k != "skillId"}, '"skillId" must be'),
        ({**GOOD, "locale": "xx-XX"}, "has no interaction model"),
        ({**GOOD, "userInput": ["help", "  "]}, "entry 2 is empty, and ask dialog refuses"),
        ({**GOOD, "userInput": ["", "help", ""]}, "entries 1, 3 are empty"),
    ],
)
def test_replay_refuses_a_bad_file_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: Any, message: str
) -> None:
    code, _out = run("replay", write_replay(tmp_path, data))
    assert code == 2
    assert message in capsys.readouterr().err


def test_replay_of_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out = run("replay", str(tmp_path / "missing.json"))
    assert code == 2
    assert "cannot be read" in capsys.readouterr().err


def test_replay_exits_non_zero_when_the_skill_apologises(monkeypatch: pytest.MonkeyPatch) -> None:
    from skill.handlers.cart import AddItemHandler

    def broken(self: object, turn: object) -> object:
        raise RuntimeError("a bug in a handler")

    monkeypatch.setattr(AddItemHandler, "respond", broken)
    code, out = run("replay", str(REPLAY))
    assert code == 1
    assert "!! skill error: the skill answered with its apology" in out
    assert "alexa> You're checked out!" not in out  # nothing was added, so nothing to check out


def test_replay_exits_non_zero_when_the_skill_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALEXA_SKILL_ID", "amzn1.ask.skill.someone-else")
    code, out = run("replay", write_replay(tmp_path, GOOD))
    assert code == 1
    assert "!! skill error:" in out and "ALEXA_SKILL_ID" in out


# -- test -------------------------------------------------------------------------------------
def test_test_runs_the_project_conversations() -> None:
    code, out = run("test", str(REPO / "tests" / "conversations"))
    lines = out.splitlines()
    assert code == 0, out
    assert lines[-1].endswith(" passed, 0 failed")
    assert int(lines[-1].split()[0]) >= 20


def test_test_fails_loudly_on_a_broken_conversation(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(
        "---\n- test: deliberately broken\n- add two apples:\n  - prompt: Added 5 apples\n", "utf-8"
    )
    junit = tmp_path / "out" / "junit.xml"
    code, out = run("test", str(tmp_path), "--junit", str(junit), "--coverage")
    assert code == 1
    assert "FAIL  " in out and "deliberately broken" in out
    assert 'interaction 1 "add two apples": prompt: expected "Added 5 apples"' in out
    assert "coverage (en-US):" in out
    assert "intents no test exercised:" in out
    assert out.splitlines()[-1] == "0 passed, 1 failed"
    assert "<failure" in junit.read_text("utf-8")


def test_test_notes_unsupported_features_and_counts_skips(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        "---\nconfiguration:\n  voiceId: Joey\n---\nnot a test\n---\n"
        "- test.skip: later\n- help\n---\n- test: now\n- help: You can\n",
        "utf-8",
    )
    code, out = run("test", str(tmp_path))
    assert code == 0, out
    assert "NOTE  " in out and "voiceId" in out and "document 2 is str" in out
    assert "SKIP  " in out
    assert out.splitlines()[-1] == "1 passed, 0 failed, 1 skipped"


def test_test_with_no_tests_fails(tmp_path: Path) -> None:
    code, out = run("test", str(tmp_path))
    assert code == 1
    assert out.splitlines()[-1] == "0 passed, 0 failed"


# -- import weight ------------------------------------------------------------------------------
@pytest.mark.slow
def test_registering_the_commands_does_not_import_the_sdk() -> None:
    code = (
        "import sys; from skill.cli import build_parser; build_parser(); "
        "heavy = [m for m in ('ask_sdk_core', 'yaml', 'skill.simulator.nlu') if m in sys.modules]; "
        "print(heavy)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=True,
    )
    assert done.stdout.strip() == "[]"
