"""The dashboard on AWS's live updates, in real headless Chromium, all on 127.0.0.1.

The whole push path runs, with fakes only where AWS itself would be:

    browser --GET /shop/live-token--> web service (waitress, DynamoDB store on moto)
    browser --WebSocket ?token=--> FakeApiGateway --$connect/$disconnect--> LiveUpdates
    store writes --moto's DynamoDB stream--> StreamPump --records--> LiveUpdates
    LiveUpdates --post_to_connection (boto3, SigV4)--> FakeApiGateway --frame--> browser

``FakeApiGateway`` does what API Gateway's WebSocket API does for Corner Shop: it
turns a handshake into the ``$connect`` event (tests/events/aws/live/ws_connect.json)
and answers it as the function says (401 refuses the handshake), turns a closed
socket into ``$disconnect``, and serves the Management API
(``POST /live/@connections/{id}``, 410 GoneException for a closed connection) by
sending the body as a text frame. WebSocket framing is wsproto's (sans-I/O, so
one thread per connection and a lock are all it needs). ``StreamPump`` is Lambda's
event source mapping: it reads moto's stream and hands each batch to the function.
"""

from __future__ import annotations

import contextlib
import copy
import http.server
import importlib.util
import json
import secrets
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

import pytest
from conftest import load_event
from test_dashboard_browser import PASSWORD, SKILL_ID, Served

from skill import live_token
from skill.app import build_skill
from skill.config import Settings
from skill.dashboard import Dashboard
from skill.dashboard.service import LiveLink
from skill.dashboard.staff import new_member
from skill.domain.orders import OrderStatus
from skill.live_aws import LiveUpdates, management_client
from skill.notifications import NotificationRegistry, NotificationSettings, Region, order_ready_hook
from skill.profile import NoProfile
from skill.server import create_server
from skill.shop_actions import move_order
from skill.store.dynamodb import DynamoDBStore
from skill.testing.alexa_ca import ThrowawayCA
from skill.verification import RequestVerifier
from skill.web import create_app

TESTS = Path(__file__).parents[1]
EVENTS = TESTS / "events" / "aws" / "live"
SECRET = "cornershop-test-live-secret-0123456789abcdef"


def _suite_servers() -> Any:
    """tests/store/_servers.py: the suite's moto server (one module, whoever loads it)."""
    if "_servers" not in sys.modules:
        spec = importlib.util.spec_from_file_location("_servers", TESTS / "store" / "_servers.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["_servers"] = module
        spec.loader.exec_module(module)
    return sys.modules["_servers"]


_servers = _suite_servers()


def aws_event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text("utf-8"))
    return data


# -- API Gateway's WebSocket API -----------------------------------------------------------
class _Connection:
    def __init__(self, sock: socket.socket, ws: Any) -> None:
        self.sock = sock
        self.ws = ws
        self.lock = threading.Lock()  # wsproto is not thread-safe: one user at a time

    def send(self, event: Any) -> None:
        with self.lock:
            self.sock.sendall(self.ws.send(event))


class FakeApiGateway:
    """See the module docstring. ``accepting = False`` refuses handshakes (503), as an
    API that is down would; :meth:`drop` cuts every open connection."""

    def __init__(self) -> None:
        self.live: LiveUpdates | None = None  # the function behind the routes
        self.accepting = True
        self.handshakes: list[tuple[str, int]] = []  # (token, status answered)
        self.posts: list[str] = []
        self.messages: list[str] = []  # from browsers ($default)
        self.open: dict[str, _Connection] = {}
        self.problems: list[str] = []
        self._lock = threading.Lock()
        self._live_lock = threading.Lock()  # one function invocation at a time
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.ws_url = f"ws://127.0.0.1:{self._listener.getsockname()[1]}/live"
        self._threads: list[threading.Thread] = []
        self._http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.management_endpoint = f"http://127.0.0.1:{self._http.server_address[1]}/live"

    def __enter__(self) -> FakeApiGateway:
        for target in (self._accept_loop, self._http.serve_forever):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.drop()
        self._http.shutdown()
        self._http.server_close()
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        assert self.live is not None
        with self._live_lock:
            return self.live(event)

    def drop(self) -> None:
        """Cut every connection without a close frame (a network failure)."""
        with self._lock:
            connections = list(self.open.values())
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)

    # -- WebSocket side
    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, sock: socket.socket) -> None:
        from wsproto import ConnectionType, WSConnection
        from wsproto.connection import ConnectionState
        from wsproto.events import (
            AcceptConnection,
            CloseConnection,
            Ping,
            RejectConnection,
            Request,
            TextMessage,
        )

        sock.settimeout(0.2)
        connection = _Connection(sock, WSConnection(ConnectionType.SERVER))
        connection_id: str | None = None
        try:
            while not self._stop.is_set():
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    break
                with connection.lock:
                    connection.ws.receive_data(data or None)
                    events = list(connection.ws.events())
                for event in events:
                    if isinstance(event, Request):
                        connection_id = self._handshake(connection, event.target)
                        if connection_id is None:
                            connection.send(RejectConnection(status_code=self._refusal))
                            return
                        with self._lock:  # open before the browser hears it is
                            self.open[connection_id] = connection
                        connection.send(AcceptConnection())
                    elif isinstance(event, TextMessage):
                        self.messages.append(event.data)
                        message = aws_event("ws_message")
                        message["requestContext"]["connectionId"] = connection_id
                        message["body"] = event.data
                        self.invoke(message)
                    elif isinstance(event, Ping):
                        connection.send(event.response())
                    elif isinstance(event, CloseConnection):
                        if connection.ws.state is ConnectionState.REMOTE_CLOSING:
                            connection.send(event.response())  # a close frame, not EOF
                        return
                if not data:
                    break
        finally:
            if connection_id is not None:
                with self._lock:
                    self.open.pop(connection_id, None)
                gone = aws_event("ws_disconnect")
                gone["requestContext"]["connectionId"] = connection_id
                self.invoke(gone)
            sock.close()

    def _handshake(self, connection: _Connection, target: str) -> str | None:
        """The connection id, or None (``self._refusal`` says with what status)."""
        path, _, query = target.partition("?")
        token = (parse_qs(query).get("token") or [""])[0]
        if path != "/live":
            self.problems.append(f"handshake to {path}")
        if not self.accepting:
            self._refusal = 503
            self.handshakes.append((token, 503))
            return None
        connection_id = secrets.token_urlsafe(12)[:15] + "="
        event = aws_event("ws_connect")
        event["requestContext"]["connectionId"] = connection_id
        event["queryStringParameters"] = {"token": token} if token else None
        event["multiValueQueryStringParameters"] = {"token": [token]} if token else None
        status = int(self.invoke(event)["statusCode"])
        self.handshakes.append((token, status))
        if status != 200:
            self._refusal = status
            return None
        return connection_id

    _refusal = 500

    # -- the Management API
    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                from wsproto.events import TextMessage

                prefix = "/live/@connections/"
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                auth = self.headers.get("Authorization", "")
                if not self.path.startswith(prefix) or "/execute-api/aws4_request" not in auth:
                    fake.problems.append(f"management call {self.path}")
                    self._answer(403, "ForbiddenException")
                    return
                connection_id = unquote(self.path.removeprefix(prefix))
                fake.posts.append(connection_id)
                with fake._lock:
                    connection = fake.open.get(connection_id)
                try:
                    if connection is None:
                        raise OSError("gone")
                    connection.send(TextMessage(data=body.decode("utf-8")))
                except Exception:
                    self._answer(410, "GoneException")
                    return
                self._answer(200, None)

            def _answer(self, status: int, error: str | None) -> None:
                data = b"{}" if error else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if error:
                    self.send_header("x-amzn-ErrorType", error)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


# -- Lambda's event source mapping ------------------------------------------------------------
class StreamPump:
    """Reads the table's stream (moto's) and hands each batch to the live function."""

    def __init__(self, moto: Any, stream_arn: str, gateway: FakeApiGateway) -> None:
        import boto3.session

        self.gateway = gateway
        self.stream_arn = stream_arn
        self.delivered: list[tuple[str, str]] = []  # (sk, status) of order records
        self._streams = boto3.session.Session().client(
            "dynamodbstreams",
            endpoint_url=moto.endpoint,
            region_name=_servers.REGION,
            **_servers.CREDENTIALS,
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> StreamPump:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        description = self._streams.describe_stream(StreamArn=self.stream_arn)
        shard = description["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = self._streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while not self._stop.wait(0.1):
            page = self._streams.get_records(ShardIterator=iterator, Limit=100)
            iterator = page["NextShardIterator"]
            records = []
            for record in page["Records"]:
                record = copy.deepcopy(record)
                change = record["dynamodb"]
                # Lambda delivers epoch seconds; boto3 parsed them into a datetime.
                change["ApproximateCreationDateTime"] = int(
                    change["ApproximateCreationDateTime"].timestamp()
                )
                record["eventSourceARN"] = self.stream_arn
                records.append(record)
            if records:
                answer = self.gateway.invoke({"Records": records})
                assert answer == {"batchItemFailures": []}, answer
                for record in records:
                    sk = record["dynamodb"]["Keys"]["sk"]["S"]
                    image = record["dynamodb"].get("NewImage", {})
                    if sk.startswith("ORDER#"):
                        self.delivered.append((sk, image.get("status", {}).get("S", "")))


# -- Login with Amazon and the events API, failing ------------------------------------------
class FailingAlexa:
    """Gives tokens, and answers every proactive event with 503: a notification fails."""

    def __init__(self) -> None:
        self.events = 0
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path == "/auth/o2/token":
                    body = json.dumps({"access_token": "Atc|x", "expires_in": 3600}).encode()
                    status = 200
                else:
                    fake.events += 1
                    body, status = b'{"code": "SERVICE_UNAVAILABLE"}', 503
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FailingAlexa:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# -- the shop ---------------------------------------------------------------------------------
class Voice(Served):
    """Served, with a request id of its own for every request (checkouts are idempotent
    per request id, so a second customer session must not repeat the first one's)."""

    said = 0

    def say(self, name: str) -> str:
        self.said += 1
        original = copy.deepcopy(load_event(name))
        original["request"]["requestId"] += f".live{self.said}"
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("test_dashboard_browser.load_event", lambda _: original)
            return super().say(name)


class LiveShop:
    def __init__(
        self, served: Served, gateway: FakeApiGateway, pump: StreamPump, store: DynamoDBStore
    ) -> None:
        self.served = served
        self.gateway = gateway
        self.pump = pump
        self.store = store


@pytest.fixture
def live_shop(tmp_path: Path) -> Iterator[LiveShop]:
    with _servers.MotoDynamoDB() as moto:
        table = moto.new_table()
        described = moto.client(patient=True).update_table(
            TableName=table,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
        stream_arn = described["TableDescription"]["LatestStreamArn"]
        with FakeApiGateway() as gateway, FailingAlexa() as alexa:
            # The live function, as lambda/live_function.py builds it, on moto and the fake
            gateway.live = LiveUpdates(
                moto.client(),
                management_client(
                    gateway.management_endpoint,
                    region_name=_servers.REGION,
                    **_servers.CREDENTIALS,
                ),
                table=table,
                secret=SECRET,
            )
            store = DynamoDBStore(moto.client(), table)
            store.add_staff(new_member("ada", PASSWORD))
            settings = Settings(
                store_url=f"dynamodb://{table}",
                skill_id=SKILL_ID,
                live_url=gateway.ws_url,
                live_secret=SECRET,
            )
            ca = ThrowawayCA()
            verifier = RequestVerifier(
                SKILL_ID, trust_roots=ca.root_pem, fetch_cert_chain=ca.fetcher().__call__
            )
            skill = build_skill(settings, store=store, profile=NoProfile())
            registry = NotificationRegistry()
            hook = order_ready_hook(
                NotificationSettings(
                    "amzn1.application-oa2-client.test",
                    "a-secret",
                    token_url=f"{alexa.base}/auth/o2/token",
                    api_hosts=dict.fromkeys(Region, alexa.base),
                    attempts=2,
                    backoff=0.0,
                    timeout=5.0,
                ),
                registry=registry,
            )
            assert hook is not None
            dashboard = Dashboard(
                store,
                store,
                live=LiveLink(gateway.ws_url, SECRET),
                hooks=[hook],
                notifications=registry,
            )
            app = create_app(settings, skill=skill, verifier=verifier.verify, dashboard=dashboard)
            served = Voice(create_server(app, host="127.0.0.1", port=0), dashboard, ca, store)  # type: ignore[arg-type]
            try:
                with StreamPump(moto, stream_arn, gateway) as pump:
                    yield LiveShop(served, gateway, pump, store)
                    assert not gateway.problems, gateway.problems
            finally:
                served.stop()
                hook.close(timeout=5)
                skill.close()


@pytest.mark.browser
@pytest.mark.slow
def test_the_dashboard_takes_pushed_updates_and_catches_up_after_a_dropped_connection(
    live_shop: LiveShop, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    wait = WebDriverWait(driver, 30)
    served, gateway = live_shop.served, live_shop.gateway

    # GIVEN ada logged in: her page asks for a token and opens the WebSocket with it
    driver.get(f"{served.server.url}/shop")
    wait.until(ec.presence_of_element_located((By.ID, "login")))
    driver.find_element(By.ID, "name").send_keys("ada")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-button").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "live"), "live"))
    driver.execute_script("window.notReloaded = true;")
    assert len(gateway.open) == 1
    token, status = gateway.handshakes[0]
    assert status == 200 and live_token.check(SECRET, token) == "ada"

    # WHEN a customer checks out by voice
    served.say("add_item")
    served.say("checkout")
    assert "1001" in served.say("yes")
    # THEN the order is pushed through the stream and the WebSocket: no reload, and the
    # web service never polls the store for the page (no feed thread)
    wait.until(ec.presence_of_element_located((By.ID, "order-1001")))
    assert driver.find_element(By.CSS_SELECTOR, "#order-1001 td.status").text == "placed"
    assert driver.execute_script("return window.notReloaded === true;")
    assert gateway.posts, "the order came by a post_to_connection"
    assert served.dashboard.feed._thread is None

    # WHEN the connection drops, and API Gateway refuses new ones for a while
    gateway.accepting = False
    gateway.drop()
    wait.until(ec.text_to_be_present_in_element((By.ID, "live"), "reconnecting"))
    wait.until(lambda _: len(gateway.handshakes) >= 2)  # it tries again, and is refused
    # AND meanwhile the order is moved in another process (`cornershop orders ready`),
    # and its record goes down the stream with nobody connected to hear it
    move_order(live_shop.store, 1001, OrderStatus.READY, actor="cli")
    wait.until(lambda _: ("ORDER#0000001001", "ready") in live_shop.pump.delivered)
    assert driver.find_element(By.CSS_SELECTOR, "#order-1001 td.status").text == "placed"
    # WHEN API Gateway is back
    gateway.accepting = True
    # THEN the page reconnects with a fresh token and catches up, still without a reload
    wait.until(ec.text_to_be_present_in_element((By.ID, "live"), "live"))
    wait.until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, "#order-1001 td.status"), "ready")
    )
    assert driver.execute_script("return window.notReloaded === true;")
    accepted = [t for t, s in gateway.handshakes if s == 200]
    assert len(accepted) == 2 and all(live_token.check(SECRET, t) == "ada" for t in accepted)

    # AND pushes reach the new connection: a second order, which ada marks ready
    served.attributes = {}
    served.say("add_item")
    served.say("checkout")
    assert "1002" in served.say("yes")
    wait.until(ec.presence_of_element_located((By.ID, "order-1002")))
    driver.find_element(By.CSS_SELECTOR, '#order-1002 button[data-action="ready"]').click()
    # THEN the customer's Echo could not be told (the events API answers 503): the row
    # says so, with the reason on hover
    mark = (By.CSS_SELECTOR, "#order-1002 td.status .echo")
    wait.until(ec.text_to_be_present_in_element(mark, "Echo notification failed"))
    assert "HTTP 503" in (driver.find_element(*mark).get_attribute("title") or "")
    assert driver.find_element(By.CSS_SELECTOR, "#order-1002 td.status .state").text == "ready"
    assert driver.execute_script("return window.notReloaded === true;")
    driver.save_screenshot(str(tmp_path / "dashboard-live.png"))
