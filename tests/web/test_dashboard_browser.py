"""The staff dashboard in real headless Chromium, served by `cornershop serve`'s waitress.

A member of staff logs in through the form; a customer checks out through the skill
(real signed Alexa requests, signed by the throwaway CA, verified by the service);
the order appears in two open dashboards without a reload; staff click "Ready"; the
other dashboard shows it, and the customer hears "ready" through "where is my order".
"""

from __future__ import annotations

import copy
import http.client
import io
import json
import threading
from collections.abc import Generator, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import load_event

from skill.app import build_skill
from skill.cli import main
from skill.config import Settings
from skill.dashboard import Dashboard
from skill.profile import NoProfile
from skill.server import Server, create_server
from skill.store.sqlite import SQLiteStore
from skill.testing.alexa_ca import ThrowawayCA
from skill.verification import RequestVerifier
from skill.web import create_app

PASSWORD = "correct horse battery"
SKILL_ID = load_event("launch")["context"]["System"]["application"]["applicationId"]


class CountingDashboard(Dashboard):
    """Counts the event streams browsers open, and the cursors they come back with."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cursors: list[str | None] = []

    def events(
        self, cursor: str | None, session: Mapping[str, Any] | None = None
    ) -> Generator[bytes, None, None]:
        self.cursors.append(cursor)
        return super().events(cursor, session)


class Served:
    """The web service under waitress on 127.0.0.1, run in a thread."""

    def __init__(
        self, server: Server, dashboard: CountingDashboard, ca: ThrowawayCA, store: SQLiteStore
    ) -> None:
        self.server = server
        self.store = store
        self.dashboard = dashboard
        self.ca = ca
        self.attributes: dict[str, Any] = {}
        self._thread = threading.Thread(target=server.run, daemon=True)
        self._thread.start()

    def say(self, name: str) -> str:
        """A signed request built from tests/events/NAME.json, through POST /alexa."""
        env = copy.deepcopy(load_event(name))
        env["request"]["timestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        env["request"]["requestId"] += f".{name}.{len(self.attributes)}"
        if "session" in env:
            env["session"]["attributes"] = self.attributes
        body = json.dumps(env).encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            headers = {**self.ca.headers(body), "Content-Type": "application/json"}
            conn.request("POST", "/alexa", body, headers)
            resp = conn.getresponse()
            data = json.loads(resp.read())
        finally:
            conn.close()
        assert resp.status == 200, data
        self.attributes = data.get("sessionAttributes") or {}
        return str(data["response"]["outputSpeech"]["ssml"])

    def stop(self) -> None:
        self.dashboard.close()  # ends the open event streams, freeing their threads
        inner: Any = self.server._inner
        inner.task_dispatcher.shutdown(timeout=10)
        from waitress import wasyncore

        wasyncore.close_all(inner._map)
        self._thread.join(timeout=10)


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    # A SQLite shop, its staff account added as the shop would: `cornershop staff add`.
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert main(["store", "init", "--store", url], out=io.StringIO()) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["staff", "add", "ada", "--password-stdin", "--store", url], out=io.StringIO()) == 0
    ca = ThrowawayCA()
    settings = Settings(store_url=url, skill_id=SKILL_ID)
    verifier = RequestVerifier(
        SKILL_ID, trust_roots=ca.root_pem, fetch_cert_chain=ca.fetcher().__call__
    )
    store = SQLiteStore(tmp_path / "shop.db")
    skill = build_skill(settings, store=store, profile=NoProfile())
    # "Ready" notifications to Alexa's endpoints (fakes on 127.0.0.1), which fail.
    from test_dashboard_live import FailingAlexa

    from skill.notifications import (
        NotificationRegistry,
        NotificationSettings,
        Region,
        order_ready_hook,
    )

    with FailingAlexa() as alexa:
        registry = NotificationRegistry()
        hook = order_ready_hook(
            NotificationSettings(
                "amzn1.application-oa2-client.test",
                "a-secret",
                token_url=f"{alexa.base}/auth/o2/token",
                api_hosts=dict.fromkeys(Region, alexa.base),
                attempts=2,
                backoff=0.0,
            ),
            registry=registry,
        )
        assert hook is not None
        # Streams of 1 s: the browsers reconnect (with Last-Event-ID) several times
        # during the test, and must not miss anything across the gaps.
        dashboard = CountingDashboard(
            store, store, stream_seconds=1.0, hooks=[hook], notifications=registry
        )
        app = create_app(settings, skill=skill, verifier=verifier.verify, dashboard=dashboard)
        server = create_server(app, host="127.0.0.1", port=0)
        running = Served(server, dashboard, ca, store)
        yield running
        running.stop()
        hook.close(timeout=5)
        skill.close()


@pytest.mark.browser
@pytest.mark.slow
def test_staff_see_a_new_order_live_mark_it_ready_and_the_customer_hears_it(
    served: Served, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    wait = WebDriverWait(driver, 20)
    base = served.server.url

    # GIVEN ada logged in through the form (the dashboard sends her to the login page)
    driver.get(f"{base}/shop")
    wait.until(ec.presence_of_element_located((By.ID, "login")))
    driver.find_element(By.ID, "name").send_keys("ada")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-button").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "staff"), "ada"))
    wait.until(ec.text_to_be_present_in_element((By.ID, "live"), "live"))
    first = driver.current_window_handle
    # AND a second dashboard open in another tab
    driver.switch_to.new_window("tab")
    driver.get(f"{base}/shop")
    wait.until(ec.text_to_be_present_in_element((By.ID, "live"), "live"))
    second = driver.current_window_handle
    for tab in (first, second):  # a mark a reload would wipe out
        driver.switch_to.window(tab)
        driver.execute_script("window.notReloaded = true;")
    assert driver.find_elements(By.CSS_SELECTOR, "#order-rows tr") == []
    # AND both have already been reconnected by their browser once at least
    wait.until(lambda _: len(served.dashboard.cursors) >= 4)

    # WHEN a customer checks out by voice (signed requests through POST /alexa)
    served.say("add_item")
    served.say("checkout")
    placed = served.say("yes")
    assert "1001" in placed

    # THEN the order appears in both dashboards without a reload
    for tab in (first, second):
        driver.switch_to.window(tab)
        wait.until(ec.presence_of_element_located((By.ID, "order-1001")))
        row = driver.find_element(By.ID, "order-1001")
        assert row.find_element(By.CSS_SELECTOR, "td.status").text == "placed"
        assert "2 × apples" in row.find_element(By.CSS_SELECTOR, "td.items").text
        assert row.find_element(By.CSS_SELECTOR, "td.total").text == "$1.50"
        assert driver.execute_script("return window.notReloaded === true;")

    # WHEN ada clicks Ready in the first dashboard
    driver.switch_to.window(first)
    driver.find_element(By.CSS_SELECTOR, '#order-1001 button[data-action="ready"]').click()
    wait.until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, "#order-1001 td.status"), "ready")
    )
    # THEN the second dashboard shows it too, still without a reload
    driver.switch_to.window(second)
    wait.until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, "#order-1001 td.status"), "ready")
    )
    assert driver.execute_script("return window.notReloaded === true;")
    buttons = driver.find_elements(By.CSS_SELECTOR, "#order-1001 button")
    assert [b.get_attribute("data-action") for b in buttons] == ["collected", "cancel"]
    # AND both show that the customer's Echo could not be told (the events API failed):
    # the second one learnt it from the event stream alone
    for tab in (second, first):
        driver.switch_to.window(tab)
        mark = (By.CSS_SELECTOR, "#order-1001 td.status .echo")
        wait.until(ec.text_to_be_present_in_element(mark, "Echo notification failed"))
        assert "HTTP 503" in (driver.find_element(*mark).get_attribute("title") or "")
    driver.switch_to.window(first)
    driver.save_screenshot(str(tmp_path / "dashboard.png"))

    # AND the browsers come back from the last event they saw (Last-Event-ID)
    # (placed, ready, then the notification's pending and failed: the feed's 4th event)
    assert served.dashboard.feed.cursor() == f"{served.dashboard.feed.id}-4"
    wait.until(lambda _: served.dashboard.feed.cursor() in set(served.dashboard.cursors))

    # AND the customer hears it is ready
    served.attributes = {}
    assert "ready for pickup" in served.say("last_order")

    # AND a stock switch takes apples out of the shop's catalog
    box = driver.find_element(By.ID, "stock-APPLE")
    assert box.is_selected()
    box.click()
    wait.until(lambda _: _apple_in_stock(served.store) is False)
    assert not driver.find_element(By.ID, "stock-APPLE").is_selected()

    # AND logging out leads back to the login page, and the dashboard is closed to her
    driver.find_element(By.ID, "logout-button").click()
    wait.until(ec.presence_of_element_located((By.ID, "login")))
    driver.get(f"{base}/shop")
    wait.until(ec.presence_of_element_located((By.ID, "login")))


def _apple_in_stock(store: SQLiteStore) -> bool | None:
    doc = store.get_catalog()
    if doc is None:
        return None
    return bool(next(i for i in doc["items"] if i["id"] == "APPLE")["in_stock"])
