"""skill/snapstart.py: the SnapStart runtime hooks, with and without ``snapshot_restore_py``.

The library is Lambda's (its Python 3.12+ runtimes ship it); here a tiny module file of
the same interface, written by the test, stands in for it and records what is
registered. Without it, registering does nothing and the Lambda entry still imports.
"""

from __future__ import annotations

import json
import os
import random
import socket
import ssl
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from skill import snapstart
from skill.app import CornerShopSkill
from skill.config import Settings
from skill.lambda_adapter import LambdaAdapter
from skill.speech import available_locales, messages_for
from skill.speech.ssml import escape
from skill.store.memory import MemoryStore
from skill.validation import validate_response

REPO = Path(__file__).parents[2]
EVENTS = REPO / "tests" / "events"

# The interface of aws/snapshot-restore-py 1.0: decorators that also take arguments,
# and getters the runtime calls (before snapshot in reverse order, after restore in order).
FAKE_HOOKS = textwrap.dedent(
    """
    before, after = [], []

    def register_before_snapshot(func, *args, **kwargs):
        before.append((func, args, kwargs))
        return func

    def register_after_restore(func, *args, **kwargs):
        after.append((func, args, kwargs))
        return func

    def get_before_snapshot():
        return before

    def get_after_restore():
        return after
    """
)


def write_fake_hooks(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{snapstart.HOOKS_MODULE}.py"
    path.write_text(FAKE_HOOKS, "utf-8")
    return folder


@pytest.fixture
def fake_hooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """``snapshot_restore_py`` importable from a file of the test's, fresh for each test."""
    monkeypatch.syspath_prepend(str(write_fake_hooks(tmp_path / "runtime")))
    monkeypatch.delitem(sys.modules, snapstart.HOOKS_MODULE, raising=False)
    import snapshot_restore_py

    yield snapshot_restore_py
    sys.modules.pop(snapstart.HOOKS_MODULE, None)


class WatchedStore:
    """A memory store that records every use, and counts renewals after a restore."""

    def __init__(self) -> None:
        self._inner = MemoryStore()
        self.used: list[str] = []
        self.renewed = 0

    def __getattr__(self, name: str) -> Any:
        self.used.append(name)
        return getattr(self._inner, name)

    def renew_connections(self) -> None:
        self.renewed += 1

    def close(self) -> None:
        self._inner.close()


@pytest.fixture
def watched() -> WatchedStore:
    return WatchedStore()


@pytest.fixture
def adapter(make_skill: Callable[..., CornerShopSkill], watched: WatchedStore) -> LambdaAdapter:
    return LambdaAdapter(make_skill(store=watched))


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every socket connection attempted, even to loopback (none is made, all are listed)."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("no connection may be made here")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.fixture
def random_state() -> Iterator[None]:
    """The tests reseed the global generator; give others back the state they had."""
    state = random.getstate()
    yield
    random.setstate(state)


# -- without the library ------------------------------------------------------------
def test_without_the_library_register_does_nothing(
    adapter: LambdaAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN no snapshot_restore_py (None in sys.modules makes its import fail)
    monkeypatch.setitem(sys.modules, snapstart.HOOKS_MODULE, None)
    # WHEN the hooks are registered THEN nothing happens, and nothing is raised
    assert snapstart.register(adapter) is False


def test_a_broken_library_is_not_taken_for_an_absent_one(
    adapter: LambdaAdapter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a snapshot_restore_py that is there but fails to import one of its own modules
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / f"{snapstart.HOOKS_MODULE}.py").write_text("import snapshot_restore_helpers\n")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, snapstart.HOOKS_MODULE, raising=False)
    # THEN registering says so instead of quietly running without hooks
    with pytest.raises(ModuleNotFoundError, match="snapshot_restore_helpers"):
        snapstart.register(adapter)
    sys.modules.pop(snapstart.HOOKS_MODULE, None)


def test_lambda_entry_imports_and_answers_without_the_library(tmp_path: Path) -> None:
    # GIVEN a fresh interpreter in which snapshot_restore_py cannot be imported
    code = (
        "import json, sys\n"
        f"sys.modules[{snapstart.HOOKS_MODULE!r}] = None\n"
        "import lambda_function\n"
        "print(json.dumps(lambda_function.lambda_handler(json.loads(sys.stdin.read()), None)))\n"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join([str(REPO / "lambda"), str(REPO)]),
        "CORNERSHOP_STORE": "memory://",
    }
    # WHEN lambda_function is imported and gets a LaunchRequest
    proc = subprocess.run(
        [sys.executable, "-c", code],
        input=(EVENTS / "launch.json").read_text("utf-8"),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    # THEN it answers as always
    assert proc.returncode == 0, proc.stderr[-3000:]
    response = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "Welcome to Corner Shop" in response["response"]["outputSpeech"]["ssml"]


# -- with the library -------------------------------------------------------------------
def test_with_the_library_both_hooks_are_registered(
    adapter: LambdaAdapter, fake_hooks: ModuleType
) -> None:
    assert snapstart.register(adapter) is True
    assert fake_hooks.get_before_snapshot() == [(snapstart.before_snapshot, (adapter,), {})]
    assert fake_hooks.get_after_restore() == [(snapstart.after_restore, (adapter.skill,), {})]


def test_before_snapshot_warms_up_without_the_store_or_the_network(
    adapter: LambdaAdapter,
    fake_hooks: ModuleType,
    watched: WatchedStore,
    no_connections: list[Any],
) -> None:
    # GIVEN the hooks registered as lambda_function registers them
    snapstart.register(adapter)
    # WHEN the runtime runs the before-snapshot hooks
    for func, args, kwargs in reversed(fake_hooks.get_before_snapshot()):
        func(*args, **kwargs)
    # THEN the store was never used and no connection was attempted
    assert watched.used == []
    assert no_connections == []


def test_the_warm_up_requests_are_answered_validly_in_every_locale(
    adapter: LambdaAdapter, watched: WatchedStore
) -> None:
    # (A request the SDK could not read would get the apology, which warms another
    # path; each locale loads its own catalog and messages.)
    # (before_snapshot sends them with the bundled catalog: the shop's is read after restore)
    with adapter.skill.catalogs.offline():
        answers = [
            (locale, adapter(event, None))
            for locale in available_locales()
            for event in snapstart.warmup_events(locale, None)["handled"]
        ]
    assert watched.used == []
    for _locale, answer in answers[0::2]:
        assert validate_response(answer, request_type="CanFulfillIntentRequest") == []
        assert answer["response"]["canFulfillIntent"]["canFulfill"] in {"YES", "NO"}
    for locale, answer in answers[1::2]:
        assert validate_response(answer, request_type="IntentRequest") == []
        spoken = answer["response"]["outputSpeech"]["ssml"]
        assert escape(messages_for(locale)("fallback")) in spoken, (locale, spoken)


def test_after_the_warm_up_the_next_request_reads_the_shops_catalog(
    adapter: LambdaAdapter, watched: WatchedStore
) -> None:
    snapstart.before_snapshot(adapter)
    assert watched.used == []
    can_fulfill, _ = snapstart.warmup_events("en-US", None)["handled"]
    adapter(can_fulfill, None)
    assert "get_catalog" in watched.used


def test_warm_up_requests_carry_the_configured_skill_id(
    make_skill: Callable[..., CornerShopSkill], watched: WatchedStore
) -> None:
    # GIVEN a function that refuses other skills' requests
    skill_id = "amzn1.ask.skill.12345678-1234-1234-1234-123456789012"
    settings = Settings(store_url="memory://", skill_id=skill_id)
    adapter = LambdaAdapter(make_skill(settings=settings, store=watched))
    # WHEN it warms up THEN its own requests are not refused (ForeignSkillError)
    snapstart.before_snapshot(adapter)
    assert watched.used == []


_FIRST_REQUESTS = """
import json, sys
import lambda_function
from skill import snapstart
if sys.argv[1] == "warm":
    snapstart.before_snapshot(lambda_function.HANDLER)
loaded = set(sys.modules)
for line in sys.stdin:
    lambda_function.lambda_handler(json.loads(line), None)
new = sorted(m for m in set(sys.modules) - loaded if m.startswith("ask_sdk"))
print(json.dumps(new))
"""


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["warm", "cold"])
def test_after_the_warm_up_the_first_requests_load_no_sdk_module(mode: str, tmp_path: Path) -> None:
    # GIVEN a fresh Lambda entry, warmed up as before a snapshot (or not, as a control)
    events = [
        json.dumps(json.loads((EVENTS / f"{name}.json").read_text("utf-8")))
        for name in ("launch", "add_item", "list_cart", "checkout", "yes", "session_ended")
    ]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join([str(REPO / "lambda"), str(REPO)]),
        "CORNERSHOP_STORE": "memory://",
    }
    # WHEN the first requests of a conversation arrive
    proc = subprocess.run(
        [sys.executable, "-c", _FIRST_REQUESTS, mode],
        input="\n".join(events),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    # THEN, warmed up, they import nothing more of the SDK (its models load lazily,
    # so without the warm-up they would)
    if mode == "warm":
        assert loaded == []
    else:
        assert len(loaded) > 10, loaded


def test_after_restore_gives_each_environment_its_own_random_state(
    adapter: LambdaAdapter, random_state: None
) -> None:
    # GIVEN two environments restored from one snapshot: the same generator state
    random.seed(1234)
    snapshot = random.getstate()
    shared = random.random()
    draws = []
    for _ in range(2):
        random.setstate(snapshot)
        # WHEN each runs the after-restore hook
        snapstart.after_restore(adapter.skill)
        draws.append(random.random())
    # THEN they draw differently from each other and from the snapshot's sequence
    assert draws[0] != draws[1]
    assert shared not in draws


def test_after_restore_renews_the_store_and_openssl_entropy(
    adapter: LambdaAdapter,
    watched: WatchedStore,
    monkeypatch: pytest.MonkeyPatch,
    random_state: None,
) -> None:
    added: list[tuple[bytes, float]] = []
    monkeypatch.setattr(ssl, "RAND_add", lambda data, entropy: added.append((data, entropy)))
    snapstart.after_restore(adapter.skill)
    assert watched.renewed == 1
    assert watched.used == []  # renewing is not a use of the data
    # ssl is loaded here, so OpenSSL got 32 fresh bytes of the OS's entropy
    ((data, entropy),) = added
    assert len(data) == 32 and entropy == 32.0


def test_after_restore_works_for_stores_with_nothing_to_renew(
    make_skill: Callable[..., CornerShopSkill], random_state: None
) -> None:
    skill = make_skill(store=MemoryStore())
    snapstart.after_restore(skill)  # memory and SQLite have no connections to renew
    assert skill.handle(json.loads((EVENTS / "launch.json").read_text("utf-8")))["response"]
