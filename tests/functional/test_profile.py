"""The Customer Profile API through the SDK's service client, against a local HTTP server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import Conversation

from skill.app import CornerShopSkill
from skill.profile import AlexaProfile

Event = Callable[..., dict[str, Any]]


class FakeProfileApi:
    """Answers GET /v2/accounts/~current/settings/Profile.givenName as configured."""

    def __init__(self) -> None:
        self.status = 200
        self.delay = 0.0
        self.name = "Ada"
        self.seen_auth: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                api.seen_auth.append(self.headers.get("Authorization", ""))
                time.sleep(api.delay)
                body = json.dumps(api.name if api.status == 200 else {"code": "ACCESS_DENIED"})
                try:
                    self.send_response(api.status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(body.encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def profile_api() -> Iterator[FakeProfileApi]:
    api = FakeProfileApi()
    yield api
    api.close()


def checkout(skill: CornerShopSkill, event: Event, api_url: str) -> dict[str, Any]:
    def at_api(name: str, **kw: Any) -> dict[str, Any]:
        env = event(name, **kw)
        env["context"]["System"]["apiEndpoint"] = api_url
        return env

    talk = Conversation(skill, at_api)
    talk.send("add_item")
    talk.send("checkout")
    return talk.send("yes")


def test_given_name_is_fetched_with_the_access_token(
    make_skill: Callable[..., CornerShopSkill], event: Event, profile_api: FakeProfileApi
) -> None:
    skill = make_skill(profile=AlexaProfile(timeout=1.0))
    out = checkout(skill, event, profile_api.url)
    assert "Ada, you're checked out!" in out["response"]["outputSpeech"]["ssml"]
    assert profile_api.seen_auth and profile_api.seen_auth[0].startswith("Bearer eyJ")


def test_forbidden_profile_checks_out_without_name_and_asks_consent(
    make_skill: Callable[..., CornerShopSkill], event: Event, profile_api: FakeProfileApi
) -> None:
    profile_api.status = 403
    out = checkout(make_skill(profile=AlexaProfile(timeout=1.0)), event, profile_api.url)
    assert "<speak>You're checked out! Order 1001" in out["response"]["outputSpeech"]["ssml"]
    assert out["response"]["card"]["type"] == "AskForPermissionsConsent"


@pytest.mark.parametrize("status", [500, 503, 429])
def test_failing_profile_api_never_fails_checkout(
    make_skill: Callable[..., CornerShopSkill],
    event: Event,
    profile_api: FakeProfileApi,
    status: int,
) -> None:
    profile_api.status = status
    out = checkout(make_skill(profile=AlexaProfile(timeout=1.0)), event, profile_api.url)
    assert "<speak>You're checked out! Order 1001" in out["response"]["outputSpeech"]["ssml"]
    assert out["response"]["card"]["type"] == "Standard"


def test_slow_profile_api_is_abandoned_at_the_budget(
    make_skill: Callable[..., CornerShopSkill], event: Event, profile_api: FakeProfileApi
) -> None:
    profile_api.delay = 1.5
    skill = make_skill(profile=AlexaProfile(timeout=0.3))
    started = time.monotonic()
    out = checkout(skill, event, profile_api.url)
    elapsed = time.monotonic() - started
    assert "<speak>You're checked out! Order 1001" in out["response"]["outputSpeech"]["ssml"]
    # A hang guard, not a benchmark: the 1.5 s server must not hold the checkout.
    assert elapsed < 1.4


def test_profile_client_refuses_plain_http_off_loopback() -> None:
    import urllib.error

    from ask_sdk_model.services import ApiClientRequest

    from skill.profile import BoundedApiClient

    with pytest.raises(urllib.error.URLError, match="https"):
        BoundedApiClient().invoke(ApiClientRequest(url="http://example.com/x", method="GET"))
