"""Shared fixtures: real Alexa envelopes from tests/events, skills built per test, guards."""

from __future__ import annotations

import copy
import ipaddress
import itertools
import json
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from skill.app import CornerShopSkill, build_skill
from skill.config import Settings
from skill.profile import FixedProfile
from skill.store.memory import MemoryStore
from skill.store.sqlite import SQLiteStore

EVENTS = Path(__file__).parent / "events"
FROZEN_NOW = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)


# -- guards ---------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    """Tests may talk to 127.0.0.1 only: never to AWS, Amazon or anything else."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(address: Any) -> None:
        if isinstance(address, tuple):
            host = address[0]
            try:
                ip = ipaddress.ip_address(host)
            except ValueError:
                raise OSError(f"tests may not resolve or contact {host!r}") from None
            if not ip.is_loopback:
                raise OSError(f"tests may not contact {host}: loopback only")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    # Our own MonkeyPatch, so the test's `monkeypatch` (and its env changes) is
    # undone before _no_env_leaks looks at the environment.
    patch = pytest.MonkeyPatch()
    patch.setattr(socket.socket, "connect", connect)
    patch.setattr(socket.socket, "connect_ex", connect_ex)
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _no_env_leaks() -> Iterator[None]:
    """A test that changes os.environ must do it through monkeypatch, which undoes it."""
    before = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    yield
    after = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    assert after == before, f"environment changed: {set(after.items()) ^ set(before.items())}"


# -- envelopes ---------------------------------------------------------------
def load_event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text("utf-8"))
    return data


@pytest.fixture
def event() -> Callable[..., dict[str, Any]]:
    """``event("add_item", attributes={...}, request_id="x", user_id="u")``: a fresh copy."""

    numbers = itertools.count(1)

    def make(
        name: str,
        *,
        attributes: dict[str, Any] | None = None,
        request_id: str | None = None,
        user_id: str | None = None,
        slots: dict[str, str | None] | None = None,
    ) -> dict[str, Any]:
        env = copy.deepcopy(load_event(name))
        if attributes is not None and "session" in env:
            env["session"]["attributes"] = copy.deepcopy(attributes)
        if request_id is None:
            # Alexa gives every request its own id; tests that mean a redelivery pass one.
            request_id = f"{env['request']['requestId']}.{next(numbers)}"
        env["request"]["requestId"] = request_id
        if user_id is not None:
            env["context"]["System"]["user"]["userId"] = user_id
            if "session" in env:
                env["session"]["user"]["userId"] = user_id
        for slot_name, value in (slots or {}).items():
            slot: dict[str, Any] = {"name": slot_name, "confirmationStatus": "NONE"}
            if value is not None:
                slot["value"] = value
            env["request"]["intent"]["slots"][slot_name] = slot
        return env

    return make


# -- skills ------------------------------------------------------------------
@pytest.fixture
def settings() -> Settings:
    return Settings(store_url="memory://", pickup_minutes=20)


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def make_skill(settings: Settings) -> Iterator[Callable[..., CornerShopSkill]]:
    built: list[CornerShopSkill] = []

    def make(**kwargs: Any) -> CornerShopSkill:
        kwargs.setdefault("store", MemoryStore())
        kwargs.setdefault("profile", FixedProfile("Ada"))
        kwargs.setdefault("clock", lambda: FROZEN_NOW)
        skill = build_skill(kwargs.pop("settings", settings), **kwargs)
        built.append(skill)
        return skill

    yield make
    for skill in built:
        skill.close()


@pytest.fixture
def skill(make_skill: Callable[..., CornerShopSkill], memory_store: MemoryStore) -> CornerShopSkill:
    return make_skill(store=memory_store)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore(tmp_path / "shop.db")
    yield store
    store.close()


class Conversation:
    """Carries session attributes from response to request, as Alexa does."""

    def __init__(self, skill: CornerShopSkill, event: Callable[..., dict[str, Any]]) -> None:
        self.skill = skill
        self.event = event
        self.attributes: dict[str, Any] = {}
        self.last: dict[str, Any] = {}

    def send(self, name: str, **kwargs: Any) -> dict[str, Any]:
        env = self.event(name, attributes=self.attributes, **kwargs)
        self.last = self.skill.handle(env)
        self.attributes = self.last.get("sessionAttributes") or {}
        return self.last

    @property
    def speech(self) -> str:
        return speech_of(self.last)


def speech_of(response: dict[str, Any]) -> str:
    ssml = response.get("response", {}).get("outputSpeech", {}).get("ssml", "")
    return str(ssml).removeprefix("<speak>").removesuffix("</speak>")


@pytest.fixture
def talk(skill: CornerShopSkill, event: Callable[..., dict[str, Any]]) -> Conversation:
    return Conversation(skill, event)


# -- the browser -------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
REQUIRED = os.environ.get("CORNERSHOP_REQUIRE_BROWSER") == "1"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Real headless Chromium (Debian's chromium + chromium-driver) through selenium.

    Skipped where the browser is missing, except under CORNERSHOP_REQUIRE_BROWSER=1 (CI),
    where a missing browser is a failure. The flags keep it off the network.
    """
    if not (CHROMIUM and CHROMEDRIVER):
        if REQUIRED:
            pytest.fail(
                "Chromium and chromedriver are required (apt-get install chromium chromium-driver)."
            )
        pytest.skip(
            "Chromium is not installed here; CI installs it "
            "(apt-get install chromium chromium-driver)."
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
