"""skill.lazy_sdk: the lazy path is taken, it is transparent, and it steps aside when it must.

The tests that look at ``sys.modules`` run in a fresh interpreter each: this process
imported the SDK long ago.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import EVENTS

REPO = Path(__file__).resolve().parents[2]

# Modules a first LaunchRequest never needs, which the SDK imports eagerly.
HEAVY = (
    "ask_sdk_model.services.ups.ups_service_client",
    "ask_sdk_model.services.reminder_management.reminder_management_service_client",
    "ask_sdk_model.services.lwa.lwa_client",
    "ask_sdk_model.services.monetization.in_skill_product",
    "dateutil.parser",
)

# Through the real Lambda entry point, so an import that reaches the SDK first fails it too.
FIRST_LAUNCH = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, "lambda")
    import lambda_function
    from skill import lazy_sdk

    with open(sys.argv[1], encoding="utf-8") as fh:
        reply = lambda_function.lambda_handler(json.load(fh), None)
    factory = sys.modules["ask_sdk_model.services.service_client_factory"]
    print(json.dumps({
        "status": lazy_sdk.status(),
        "speech": reply["response"]["outputSpeech"]["ssml"],
        "loaded": [name for name in sys.argv[2:] if name in sys.modules],
        "sdk_modules": sum(name.startswith("ask_sdk") for name in sys.modules),
        "ups_before_use": type(factory.UpsServiceClient).__name__,
    }))
    """
)


def python(code: str, *args: str, lazy: str | None = None, path: Path | None = None) -> Any:
    """Run ``code`` in a fresh interpreter: (its last stdout line as JSON, its stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORNERSHOP_", "ALEXA_"))}
    env["CORNERSHOP_STORE"] = "memory://"
    env["CORNERSHOP_LOG_LEVEL"] = "WARNING"
    if lazy is not None:
        env["CORNERSHOP_LAZY_SDK"] = lazy
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(path), str(REPO)])
    done = subprocess.run(
        [sys.executable, "-W", "ignore::SyntaxWarning", "-c", code, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


@pytest.mark.slow
def test_a_first_launch_request_leaves_the_service_clients_and_dateutil_unloaded() -> None:
    lazy, _ = python(FIRST_LAUNCH, str(EVENTS / "launch.json"), *HEAVY)
    eager, _ = python(FIRST_LAUNCH, str(EVENTS / "launch.json"), *HEAVY, lazy="0")

    assert lazy["status"] == "active"
    assert "Welcome to Corner Shop" in lazy["speech"]
    assert lazy["loaded"] == []
    assert lazy["ups_before_use"] == "_Deferred"
    # The same run with the switch off loads them all: they are the right sentinels.
    assert eager["status"] == "off (CORNERSHOP_LAZY_SDK=0)"
    assert eager["speech"] == lazy["speech"]
    assert eager["loaded"] == list(HEAVY)
    assert lazy["sdk_modules"] * 2 < eager["sdk_modules"]


DEFERRED_CLIENT = textwrap.dedent(
    """
    import json, sys
    import skill
    from ask_sdk_model.services import ApiConfiguration, ServiceClientFactory
    from ask_sdk_model.services.ups import UpsServiceClient
    factory_module = sys.modules["ask_sdk_model.services.service_client_factory"]
    before = type(factory_module.UpsServiceClient).__name__
    factory = ServiceClientFactory(ApiConfiguration(
        serializer=None, api_client=None, authorization_value="t",
        api_endpoint="http://127.0.0.1:9"))
    client = factory.get_ups_service()
    print(json.dumps({
        "before": before,
        "is_real": isinstance(client, UpsServiceClient),
        "rebound": factory_module.UpsServiceClient is UpsServiceClient,
        "others_still_deferred": type(factory_module.TimerManagementServiceClient).__name__,
    }))
    """
)


@pytest.mark.slow
def test_a_deferred_service_client_becomes_the_real_class_when_a_handler_asks() -> None:
    result, _ = python(DEFERRED_CLIENT)

    assert result == {
        "before": "_Deferred",
        "is_real": True,
        "rebound": True,
        "others_still_deferred": "_Deferred",
    }


FALLBACK = textwrap.dedent(
    """
    import importlib, json, sys
    sys.path.insert(0, sys.argv[1])
    from skill import lazy_sdk   # activates: sees the fake ask_sdk_model 9.9.9 first
    sys.path.remove(sys.argv[1])  # the real SDK again, for the rest of the run
    importlib.invalidate_caches()
    from skill.app import build_skill
    from skill.config import Settings
    skill = build_skill(Settings(store_url="memory://"))
    with open(sys.argv[2], encoding="utf-8") as fh:
        reply = skill.handle(json.load(fh))
    print(json.dumps({
        "status": lazy_sdk.status(),
        "finder": any(type(f).__name__ == "_SdkFinder" for f in sys.meta_path),
        "speech": reply["response"]["outputSpeech"]["ssml"],
        "eager": "ask_sdk_model.services.ups.ups_service_client" in sys.modules,
    }))
    """
)


def fake_sdk(root: Path, model_version: str, core_version: str = "1.19.0") -> Path:
    for package, version in (("ask_sdk_model", model_version), ("ask_sdk_core", core_version)):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("", "utf-8")
        (root / package / "__version__.py").write_text(f"__version__ = '{version}'\n", "utf-8")
    return root


@pytest.mark.slow
def test_another_sdk_version_falls_back_to_normal_imports_with_one_warning(
    tmp_path: Path,
) -> None:
    fake = fake_sdk(tmp_path / "fake", "9.9.9")
    result, stderr = python(FALLBACK, str(fake), str(EVENTS / "launch.json"))

    assert result["status"].startswith("fallback: ask_sdk_model 9.9.9 is installed")
    assert result["finder"] is False
    assert result["eager"] is True
    assert "Welcome to Corner Shop" in result["speech"]
    warnings = [line for line in stderr.splitlines() if "ASK SDK normally" in line]
    assert len(warnings) == 1 and "1.82.0" in warnings[0]


SHAPES = textwrap.dedent(
    """
    import json, sys
    import skill
    import ask_sdk_model
    after_import = sorted(m for m in sys.modules if m.startswith("ask_sdk_model."))
    from ask_sdk_model import Thing
    import ask_sdk_model.odd
    try:
        ask_sdk_model.Missing
        missing = "found"
    except AttributeError as exc:
        missing = str(exc)
    print(json.dumps({
        "status": skill.lazy_sdk.status(),
        "after_import": after_import,
        "thing": f"{Thing.__module__}.{Thing.__qualname__}",
        "bound": ask_sdk_model.__dict__.get("Thing") is Thing,
        "in_dir": "Other" in dir(ask_sdk_model),
        "odd_ran": getattr(ask_sdk_model.odd, "SIDE_EFFECT", False),
        "odd_eager": "ask_sdk_model.odd.a" in sys.modules,
        "missing": missing,
        "lazy": list(skill.lazy_sdk.lazy_packages()),
    }))
    """
)


@pytest.mark.slow
def test_only_an_init_that_just_reexports_is_replaced(tmp_path: Path) -> None:
    root = fake_sdk(tmp_path / "sdk", "1.82.0")
    model = root / "ask_sdk_model"
    (model / "__init__.py").write_text(
        "# coding: utf-8\nfrom __future__ import absolute_import\n\n"
        "from .thing import Thing\nfrom .other import Other\n",
        "utf-8",
    )
    (model / "thing.py").write_text("class Thing:\n    pass\n", "utf-8")
    (model / "other.py").write_text("class Other:\n    pass\n", "utf-8")
    (model / "odd").mkdir()
    (model / "odd" / "__init__.py").write_text("from .a import A\nSIDE_EFFECT = True\n", "utf-8")
    (model / "odd" / "a.py").write_text("class A:\n    pass\n", "utf-8")

    result, _ = python(SHAPES, path=root)

    assert result["status"] == "active"
    assert result["after_import"] == []  # nothing imported just for re-exporting
    assert result["thing"] == "ask_sdk_model.thing.Thing"
    assert result["bound"] is True
    assert result["in_dir"] is True
    assert result["odd_ran"] is True and result["odd_eager"] is True
    assert result["missing"] == "module 'ask_sdk_model' has no attribute 'Missing'"
    assert result["lazy"] == ["ask_sdk_model"]


def sdk_finders() -> list[object]:
    return [f for f in sys.meta_path if type(f).__name__ == "_SdkFinder"]


def test_the_switch_turns_it_off_and_activate_is_idempotent() -> None:
    from skill import lazy_sdk

    try:
        lazy_sdk.deactivate()
        assert lazy_sdk.activate({"CORNERSHOP_LAZY_SDK": "off"}) == (
            "off (CORNERSHOP_LAZY_SDK=off)"
        )
        assert sdk_finders() == []
        assert lazy_sdk.activate({}) == "active"
        assert lazy_sdk.activate({"CORNERSHOP_LAZY_SDK": "0"}) == "active"  # already installed
        assert len(sdk_finders()) == 1 and sys.meta_path[0] is sdk_finders()[0]
    finally:  # back to what `import skill` decided for this process
        lazy_sdk.deactivate()
        lazy_sdk.activate()


# -- the timestamp fast path --------------------------------------------------------------
def event_timestamps() -> list[str]:
    stamps = set()
    for path in EVENTS.glob("*.json"):
        request = json.loads(path.read_text("utf-8")).get("request", {})
        if isinstance(request.get("timestamp"), str):
            stamps.add(request["timestamp"])
    return sorted(stamps)


def datetime_readers() -> tuple[Any, Any]:
    """(the fast path around the SDK's own datetime reader, the SDK's own reader)."""
    from ask_sdk_core.serialize import DefaultSerializer

    from skill.lazy_sdk import _fast_datetime

    method = DefaultSerializer._DefaultSerializer__deserialize_datetime  # type: ignore[attr-defined]
    original = getattr(method, "__wrapped__", method)  # installed here unless switched off
    assert "dateutil.parser" in original.__code__.co_names
    return _fast_datetime(original), original


@pytest.mark.parametrize(
    "text",
    [
        *event_timestamps(),
        "2019-03-27T08:39:44.5Z",
        "2019-03-27T08:39:44.123456Z",
        "2024-02-29T23:59:59Z",
    ],
)
def test_alexa_timestamps_read_as_the_same_instant_as_dateutil(text: str) -> None:
    from ask_sdk_core.serialize import DefaultSerializer

    fast, original = datetime_readers()
    ours = fast(DefaultSerializer(), text, datetime)
    theirs = original(DefaultSerializer(), text, datetime)

    assert ours == theirs
    assert ours.utcoffset() == theirs.utcoffset()
    assert ours.isoformat() == theirs.isoformat()
    assert DefaultSerializer().serialize(ours) == DefaultSerializer().serialize(theirs)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-27T10:15:00+01:00",  # an offset: dateutil's job
        "2026-11-27",
        "2026-11-27T10:15:00.1234567Z",  # seven fraction digits
        "２０２６-11-27T10:15:00Z",  # fullwidth digits
        "2026-02-30T10:15:00Z",  # out of range: dateutil's error
        "not a date",
    ],
)
def test_anything_else_is_left_to_dateutil_exactly(text: str) -> None:
    from ask_sdk_core.exceptions import SerializationException
    from ask_sdk_core.serialize import DefaultSerializer

    fast, original = datetime_readers()

    def outcome(function: Any) -> Any:
        try:
            value = function(DefaultSerializer(), text, datetime)
        except SerializationException as exc:
            return f"raised {exc}"
        return (value, type(value.tzinfo)) if isinstance(value, datetime) else value

    assert outcome(fast) == outcome(original)


# -- the pins ---------------------------------------------------------------------------
def test_the_sdk_versions_lazy_sdk_was_checked_against_are_the_ones_pinned() -> None:
    import tomllib

    from skill.lazy_sdk import PINNED

    wanted = {f"{name.replace('_', '-')}=={version}" for name, version in PINNED.items()}
    with (REPO / "pyproject.toml").open("rb") as fh:
        dependencies = set(tomllib.load(fh)["project"]["dependencies"])
    assert wanted <= dependencies, "pin the SDK in pyproject.toml as skill/lazy_sdk.PINNED says"
    for lock in sorted((REPO / "lambda").glob("layer-*.lock")):
        pins = {line.split()[0] for line in lock.read_text("utf-8").splitlines() if "==" in line}
        assert wanted <= pins, f"{lock.name} installs another SDK than skill/lazy_sdk.PINNED"
