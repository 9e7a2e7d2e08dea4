"""Targets: Python handlers in process, HTTP endpoints (signed or not), models from anywhere,
and the simulator package's independence from Corner Shop."""

from __future__ import annotations

import ast
import json
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from _skills import (
    TIMER,
    TIMER_HANDLER_FILE,
    restore_sys_path,  # noqa: F401 (an autouse fixture)
    skill_server,
    timer_handler,
)

from skill.simulator.errors import (
    ModelError,
    SkillCrashed,
    TargetError,
    TargetSpecError,
    TargetTimeout,
    TargetUnreachable,
)
from skill.simulator.models import ModelSet
from skill.simulator.session import Simulator
from skill.simulator.targets import HttpTarget, LambdaContext, PythonTarget, target_from_spec

REPO = Path(__file__).parents[2]
TIMER_MODELS = TIMER / "skill-package"


def timer_sim(target: Any, locale: str = "en-US", **kwargs: Any) -> Simulator:
    return Simulator(target, locale=locale, models=ModelSet.find(TIMER), **kwargs)


# -- Python handlers -------------------------------------------------------------
@pytest.mark.parametrize(
    "spec",
    [
        f"{TIMER_HANDLER_FILE}:lambda_handler",  # path/file.py:function
        f"{TIMER_HANDLER_FILE.with_suffix('')}.lambda_handler",  # Lambda's and bst's form
    ],
)
def test_a_python_handler_file_is_imported_and_called_as_lambda_would(spec: str) -> None:
    with timer_sim(target_from_spec(spec)) as sim:
        assert sim.say("open kitchen timer").speech.startswith("Welcome to Kitchen Timer")
        turn = sim.say("set a timer for ten minutes")
        assert turn.speech == "Timer set for PT10M."
        assert turn.problems == []


def test_a_module_handler_is_imported_from_the_current_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(TIMER / "lambda")
    target = target_from_spec("lambda_function:lambda_handler")
    with timer_sim(target) as sim:
        assert sim.say("what time is it").speech.startswith("It is ")


def test_the_handler_gets_a_copy_and_a_lambda_context() -> None:
    seen: dict[str, Any] = {}

    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        seen["remaining"] = context.get_remaining_time_in_millis()
        event["request"]["type"] = "changed by the handler"
        return {"version": "1.0", "response": {"shouldEndSession": True}}

    with timer_sim(PythonTarget(handler)) as sim:
        turn = sim.say("help")
    assert 0 < seen["remaining"] <= 8000
    assert turn.request is not None and turn.request["request"]["type"] == "IntentRequest"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda e, c: "hello", "returned str, not a response envelope"),
        (lambda e, c: {"version": "1.0", "response": {}, "x": float("nan")}, "not JSON"),
        (lambda e, c: 1 / 0, "raised ZeroDivisionError for a IntentRequest"),
    ],
)
def test_a_handler_that_misbehaves_is_a_clear_error(answer: Any, message: str) -> None:
    with (
        timer_sim(PythonTarget(answer, label="handler t")) as sim,
        pytest.raises(SkillCrashed, match=message),
    ):
        sim.say("help")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_such_module_anywhere:handler", "no module 'no_such_module_anywhere'"),
        (f"{TIMER_HANDLER_FILE}:no_such_function", "has no 'no_such_function'"),
        (f"{TIMER_HANDLER_FILE}:WORDS", "names dict, not a function"),
        ("missing/file.py:handler", "there is no Python file"),
        ("justaword", "names no handler"),
        ("ftp://example.com/skill", "only http:// and https://"),
        ("", "empty"),
    ],
)
def test_a_bad_target_spec_says_how_to_fix_it(spec: str, message: str) -> None:
    with pytest.raises(TargetSpecError, match=message):
        target_from_spec(spec)


def test_an_import_error_inside_the_handler_module_is_reported(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("import not_installed_anywhere\n", "utf-8")
    with pytest.raises(TargetSpecError, match="not_installed_anywhere"):
        target_from_spec(f"{tmp_path / 'broken.py'}:handler")


# -- HTTP endpoints ----------------------------------------------------------------------
def test_an_http_endpoint_gets_the_envelopes_alexa_sends() -> None:
    received: list[dict[str, Any]] = []
    handler = timer_handler()

    def recording(event: dict[str, Any], context: Any) -> Any:
        received.append(event)
        return handler(event, context)

    with skill_server(recording) as url, timer_sim(HttpTarget(url)) as sim:
        sim.say("open kitchen timer")
        turn = sim.say("i need flour sugar and eggs")
    assert turn.speech == "Added flour, sugar, eggs to the shopping list."
    assert received[0]["request"]["type"] == "LaunchRequest"
    slot = received[1]["request"]["intent"]["slots"]["Ingredients"]
    assert slot["slotValue"]["type"] == "List"
    assert [v["value"] for v in slot["slotValue"]["values"]] == ["flour", "sugar", "eggs"]
    assert received[1]["session"]["new"] is False


def test_an_unreachable_endpoint_is_a_clear_error() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        timer_sim(HttpTarget(f"http://127.0.0.1:{port}/alexa")) as sim,
        pytest.raises(TargetUnreachable, match="Start the skill's server first"),
    ):
        sim.say("help")


def test_a_slow_endpoint_times_out_as_alexa_would() -> None:
    message = r"did not answer within 0\.2 s; Alexa gives up after 8 s"
    with (
        skill_server(timer_handler(), delay=1.0) as url,
        timer_sim(HttpTarget(url, timeout=0.2)) as sim,
        pytest.raises(TargetTimeout, match=message),
    ):
        sim.say("help")


def test_a_refusing_endpoint_says_why_and_hints_at_verification() -> None:
    with (
        skill_server(timer_handler(), status=400) as url,
        timer_sim(HttpTarget(url)) as sim,
        pytest.raises(TargetError, match=r"HTTP 400.*verification off for local testing"),
    ):
        sim.say("help")


def test_signed_requests_pass_a_real_verifier_that_trusts_the_test_ca() -> None:
    from skill.testing.alexa_ca import ThrowawayCA
    from skill.verification import RequestVerifier

    ca = ThrowawayCA()
    skill_id = "amzn1.ask.skill.timer"
    verifier = RequestVerifier(
        skill_id, trust_roots=ca.root_pem, fetch_cert_chain=ca.fetcher(), clock=lambda: ca.now
    )
    with skill_server(timer_handler(), verify=verifier.verify) as url:
        signed = HttpTarget(url, signer=ca)
        with timer_sim(signed, skill_id=skill_id, clock=lambda: ca.now) as sim:
            assert sim.say("set a timer for two minutes").speech == "Timer set for PT2M."
        unsigned = HttpTarget(url)
        with (
            timer_sim(unsigned, skill_id=skill_id, clock=lambda: ca.now) as sim,
            pytest.raises(TargetError, match="HTTP 400"),
        ):
            sim.say("set a timer for two minutes")


def test_corner_shop_behind_its_own_web_service_verifying_signatures() -> None:
    """The project's own skill as an HTTP target: the web service with verification on."""
    import threading

    from werkzeug.serving import make_server

    from skill.app import build_skill
    from skill.config import Settings
    from skill.profile import NoProfile
    from skill.simulator.commands import project_models
    from skill.store.memory import MemoryStore
    from skill.testing.alexa_ca import ThrowawayCA
    from skill.verification import RequestVerifier
    from skill.web import create_app

    ca = ThrowawayCA()
    skill_id = "amzn1.ask.skill.cornershop-test"
    settings = Settings(store_url="memory://", skill_id=skill_id, log_level="WARNING")
    verifier = RequestVerifier(
        skill_id, trust_roots=ca.root_pem, fetch_cert_chain=ca.fetcher(), clock=lambda: ca.now
    )
    skill = build_skill(settings, store=MemoryStore(), profile=NoProfile())
    server = make_server(
        "127.0.0.1", 0, create_app(settings, skill=skill, verifier=verifier.verify)
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/alexa"
        target = HttpTarget(url, signer=ca)
        with Simulator(
            target, models=project_models(), skill_id=skill_id, clock=lambda: ca.now
        ) as sim:
            assert sim.say("add two apples").speech.startswith("Added 2 apples.")
            assert sim.say("what's in my cart").speech.startswith("Your cart has 2 apples")
    finally:
        server.shutdown()
        thread.join(timeout=5)
        skill.close()


# -- models from anywhere -----------------------------------------------------------------
def test_models_are_found_in_every_layout_developers_have(tmp_path: Path) -> None:
    custom = TIMER_MODELS / "interactionModels" / "custom"
    assert ModelSet.find(TIMER).locales == ["de-DE", "en-GB", "en-US"]  # ask-cli project
    assert ModelSet.find(TIMER_MODELS).root == custom  # the skill package
    assert ModelSet.find(custom).root == custom
    one = ModelSet.find(custom / "de-DE.json")
    assert one.locales == ["de-DE"] and not one.has("en-US")
    export = tmp_path / "console-export.json"  # a developer console export, named anyhow
    export.write_bytes(b"\xef\xbb\xbf" + (custom / "en-US.json").read_bytes())  # with a BOM
    anywhere = ModelSet.find(export)
    assert anywhere.has("en-GB") and anywhere.load("en-GB")["interactionModel"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No interaction models"),
        ("{not json", "not valid JSON"),
        (json.dumps({"interactionModel": {}}), "no interactionModel.languageModel.intents"),
    ],
)
def test_bad_models_say_what_to_pass(tmp_path: Path, content: str | None, message: str) -> None:
    if content is not None:
        (tmp_path / "en-US.json").write_text(content, "utf-8")
    with pytest.raises(ModelError, match=message):
        ModelSet.find(tmp_path).load("en-US")


def test_a_missing_locale_names_the_ones_there_are() -> None:
    with pytest.raises(ModelError, match=r"no fr-FR interaction model.*de-DE, en-GB, en-US"):
        ModelSet.find(TIMER).load("fr-FR")


def test_relative_dates_follow_the_simulators_clock() -> None:
    when = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    with timer_sim(PythonTarget(timer_handler()), clock=lambda: when) as sim:
        turn = sim.say("wake me up tomorrow at 7 pm")
    assert turn.request is not None
    slots = turn.request["request"]["intent"]["slots"]
    assert (slots["Day"]["value"], slots["Time"]["value"]) == ("2026-11-28", "19:00")


# -- the simulator needs nothing of Corner Shop -------------------------------------------
CORNER_SHOP = ("skill.handlers", "skill.store", "skill.speech", "skill.app", "skill.data",
               "skill.domain", "skill.interaction", "skill.profile")  # fmt: skip


def test_only_the_commands_module_knows_corner_shop() -> None:
    for path in sorted((REPO / "skill" / "simulator").glob("*.py")):
        if path.name == "commands.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                assert not name.startswith(CORNER_SHOP), f"{path.name} imports {name}"
