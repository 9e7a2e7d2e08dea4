"""The web simulator page: its JSON endpoint, and a real headless Chromium driving it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from skill.app import build_skill
from skill.config import Settings
from skill.profile import NoProfile
from skill.simulator.webconsole import WebConsole
from skill.store.memory import MemoryStore
from skill.web import create_app


def dev_app() -> Flask:
    settings = Settings(store_url="memory://", dev_mode=True)  # verification stays on
    skill = build_skill(settings, store=MemoryStore(), profile=NoProfile())
    return create_app(settings, skill=skill, dev_console=WebConsole(skill))


def test_dev_say_runs_a_conversation_through_the_endpoint_path() -> None:
    client = dev_app().test_client()
    first = client.post("/dev/say", json={"utterance": "open corner shop"}).get_json()
    assert first["intent"] == "LaunchRequest"
    assert "Welcome to Corner Shop" in first["speech"]
    key = first["conversation"]
    second = client.post("/dev/say", json={"utterance": "add two apples", "conversation": key})
    data = second.get_json()
    assert data["intent"] == "AddItemIntent"
    assert data["slots"]["Item"]["id"] == "APPLE"
    assert data["slots"]["Quantity"]["value"] == "2"
    assert data["speech"].startswith("Added 2 apples.")
    assert data["cart"][0].startswith("2 x apples")
    assert data["response"]["version"] == "1.0"


def test_dev_say_rejects_bad_input() -> None:
    client = dev_app().test_client()
    assert client.post("/dev/say", data="nope").status_code == 400
    assert client.post("/dev/say", json={"utterance": 5}).status_code == 400
    assert client.post("/dev/say", json={"utterance": "x" * 501}).status_code == 400


def test_alexa_endpoint_still_verifies_in_dev_mode() -> None:
    client = dev_app().test_client()
    assert client.get("/").status_code == 200
    resp = client.post("/alexa", data=b'{"request": {"type": "LaunchRequest"}}')
    assert resp.status_code == 400  # no signature: the page is no way around verification


# -- real browser -------------------------------------------------------------


@pytest.fixture
def live_server() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, dev_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


@pytest.mark.browser
def test_three_turn_conversation_in_headless_chromium(
    live_server: str, browser: object, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    driver.get(live_server)  # type: ignore[attr-defined]
    wait = WebDriverWait(driver, 20)

    def say(text: str, expect: str) -> None:
        box = driver.find_element(By.ID, "utterance")  # type: ignore[attr-defined]
        box.send_keys(text)
        driver.find_element(By.ID, "send").click()  # type: ignore[attr-defined]
        wait.until(ec.text_to_be_present_in_element((By.ID, "speech"), expect))

    say("open corner shop", "Welcome to Corner Shop")
    say("add two apples please", "Added 2 apples")
    assert driver.find_element(By.ID, "intent").text == "AddItemIntent"  # type: ignore[attr-defined]
    assert "Item=apples [APPLE]" in driver.find_element(By.ID, "slots").text  # type: ignore[attr-defined]
    assert "2 x apples" in driver.find_element(By.ID, "cart").text  # type: ignore[attr-defined]
    say("what's in my cart", "Your cart has 2 apples")
    assert driver.find_element(By.ID, "card-title").text == "Your Corner Shop cart"  # type: ignore[attr-defined]
    assert "Total: $1.50" in driver.find_element(By.ID, "card-content").text  # type: ignore[attr-defined]
    assert '"ListCartIntent"' in driver.find_element(By.ID, "request").get_attribute("textContent")  # type: ignore[attr-defined]
    assert "last_spoken" in driver.find_element(By.ID, "session").text  # type: ignore[attr-defined]
    transcript = driver.find_element(By.ID, "transcript").text  # type: ignore[attr-defined]
    assert transcript.count("You:") == 3
    driver.save_screenshot(str(tmp_path / "simulator.png"))  # type: ignore[attr-defined]
