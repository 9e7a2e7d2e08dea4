"""The lazily loaded SDK answers exactly as the eagerly loaded one does.

Every envelope in tests/events/ (the API Gateway and ALB events too) goes through one
skill in two fresh interpreters, one with CORNERSHOP_LAZY_SDK=0 and one with the lazy
path on; the response documents must match byte for byte. Checkout reaches a Customer
Profile API stub on 127.0.0.1, so the deferred service client is exercised as well.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import EVENTS

REPO = Path(__file__).resolve().parents[2]

RUN_ALL = textwrap.dedent(
    """
    import json, sys, threading
    from datetime import UTC, datetime
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from pathlib import Path

    from skill import lazy_sdk
    from skill.app import build_skill
    from skill.config import Settings
    from skill.lambda_adapter import LambdaAdapter
    from skill.profile import AlexaProfile
    from skill.store.memory import MemoryStore

    class ProfileApi(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps("Ada").encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), ProfileApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = f"http://127.0.0.1:{server.server_address[1]}"

    settings = Settings(store_url="memory://", verify_requests=False, log_level="CRITICAL")
    skill = build_skill(
        settings, store=MemoryStore(), profile=AlexaProfile(timeout=1.0),
        clock=lambda: datetime(2026, 11, 27, 10, 15, tzinfo=UTC),
    )
    adapter = LambdaAdapter(skill)
    print(json.dumps({"lazy": lazy_sdk.status(), "packages": len(lazy_sdk.lazy_packages())}))
    events = Path(sys.argv[1])

    def send(event, attributes=None):
        system = event.get("context", {}).get("System", {}) if isinstance(event, dict) else {}
        if isinstance(system, dict) and "apiEndpoint" in system:
            system["apiEndpoint"] = api
        if attributes is not None:
            event["session"]["attributes"] = attributes
        try:
            return adapter(event)
        except Exception as exc:
            return f"raised {type(exc).__name__}: {exc}"

    for path in sorted(events.rglob("*.json")):
        out = send(json.loads(path.read_text("utf-8")))
        print(f"{path.relative_to(events)}\\t{json.dumps(out)}")
    # A checkout conversation, session attributes carried as Alexa carries them.
    attributes = {}
    for name in ("add_item", "checkout", "yes"):
        out = send(json.loads((events / f"{name}.json").read_text("utf-8")), attributes)
        attributes = out.get("sessionAttributes") or {}
        print(f"conversation {name}\\t{json.dumps(out)}")
    server.shutdown()
    """
)


def run(lazy: str) -> tuple[dict[str, Any], list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORNERSHOP_", "ALEXA_"))}
    env["CORNERSHOP_LAZY_SDK"] = lazy
    done = subprocess.run(
        [sys.executable, "-c", RUN_ALL, str(EVENTS)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    head, *lines = done.stdout.splitlines()
    return json.loads(head), lines


@pytest.mark.slow
def test_every_envelope_gets_the_same_bytes_with_and_without_the_lazy_sdk() -> None:
    eager_state, eager = run("0")
    lazy_state, lazy = run("1")

    assert eager_state["lazy"].startswith("off")
    assert lazy_state["lazy"] == "active" and lazy_state["packages"] > 0
    assert len(lazy) == len(list(EVENTS.rglob("*.json"))) + 3 > 30
    assert any("Ada, you're checked out" in line for line in lazy), "the Profile API was used"
    for eager_line, lazy_line in zip(eager, lazy, strict=True):
        assert lazy_line == eager_line


DESCRIBE = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys, types
    import skill
    import ask_sdk_model

    def describe(value):
        if isinstance(value, types.ModuleType):
            return "module " + value.__name__
        return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', repr(value))}"

    names = json.loads(sys.stdin.read() or "null")
    if names is None:  # eager: every package is loaded; list what each one binds
        packages = [m for m in pkgutil.walk_packages(ask_sdk_model.__path__, "ask_sdk_model.")
                    if m.ispkg]
        names = {"ask_sdk_model": []}
        for info in packages:
            names[info.name] = []
        for package in names:
            module = importlib.import_module(package)
            names[package] = sorted(n for n in vars(module) if not n.startswith("_"))
    out = {}
    for package, members in names.items():
        module = importlib.import_module(package)
        out[package] = {n: describe(getattr(module, n)) for n in members}
        missing = set(members) - set(dir(module))
        assert not missing, (package, missing)
    print(json.dumps({"lazy": skill.lazy_sdk.status(), "names": out}))
    """
)


def describe(lazy: str, names: dict[str, list[str]] | None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORNERSHOP_", "ALEXA_"))}
    env["CORNERSHOP_LAZY_SDK"] = lazy
    done = subprocess.run(
        [sys.executable, "-W", "ignore::SyntaxWarning", "-c", DESCRIBE],
        input=json.dumps(names),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.slow
def test_every_name_an_sdk_package_binds_resolves_to_the_same_object_lazily() -> None:
    eager = describe("0", None)
    names = {package: sorted(members) for package, members in eager["names"].items()}
    lazy = describe("1", names)

    assert eager["lazy"].startswith("off") and lazy["lazy"] == "active"
    assert len(names) > 80 and sum(map(len, names.values())) > 600
    assert lazy["names"] == eager["names"]
