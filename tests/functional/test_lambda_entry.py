"""The Lambda entry, loaded as Lambda loads it: a fresh interpreter importing lambda_function."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import EVENTS

REPO = Path(__file__).parents[2]

_DRIVER = """
import json, sys, time
t0 = time.perf_counter()
import lambda_function
imported = time.perf_counter()
first = lambda_function.SKILL
out = [lambda_function.lambda_handler(json.loads(line), None) for line in sys.stdin if line.strip()]
assert lambda_function.SKILL is first  # built once per container, never per call
print(json.dumps({"responses": out, "import_s": imported - t0}))
"""


def run_lambda(tmp_path: Path, events: list[str], **env: str) -> dict:
    lines = "\n".join(json.dumps(json.loads((EVENTS / f"{e}.json").read_text())) for e in events)
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": f"{REPO / 'lambda'}{os.pathsep}{REPO}",
        "CORNERSHOP_STORE": f"sqlite:///{tmp_path / 'lambda.db'}",
        **env,
    }
    proc = subprocess.run(
        [sys.executable, "-c", _DRIVER],
        input=lines,
        capture_output=True,
        text=True,
        cwd=REPO / "lambda",
        env=environment,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_lambda_handler_answers_a_conversation(tmp_path: Path) -> None:
    result = run_lambda(tmp_path, ["launch", "add_item", "list_cart", "session_ended"])
    launch, add, listing, ended = result["responses"]
    assert "Welcome to Corner Shop" in launch["response"]["outputSpeech"]["ssml"]
    assert "Added 2 apples" in add["response"]["outputSpeech"]["ssml"]
    assert "2 apples" in listing["response"]["outputSpeech"]["ssml"]
    assert ended["response"] == {}
    assert (tmp_path / "lambda.db").exists()


def test_lambda_refuses_other_skill_ids_without_touching_storage(tmp_path: Path) -> None:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": f"{REPO / 'lambda'}{os.pathsep}{REPO}",
        "CORNERSHOP_STORE": f"sqlite:///{tmp_path / 'lambda.db'}",
        "ALEXA_SKILL_ID": "amzn1.ask.skill.someone-else",
    }
    code = (
        "import json, sys, lambda_function\n"
        "from skill.errors import ForeignSkillError\n"
        "store = lambda_function.SKILL.store\n"
        "store.get_cart = store.update_cart = None  # any storage use would now crash\n"
        "try:\n"
        "    lambda_function.lambda_handler(json.loads(sys.stdin.read()), None)\n"
        "except ForeignSkillError as exc:\n"
        "    print('refused:', exc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        input=(EVENTS / "add_item.json").read_text(),
        capture_output=True,
        text=True,
        cwd=REPO / "lambda",
        env=environment,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "refused: The request's application id does not match ALEXA_SKILL_ID" in proc.stdout
