"""Slow clients cannot take the production server down (waitress through skill.server).

The server runs in a subprocess through :func:`skill.server.serve`, the call
``cornershop serve`` makes, with verification on: ``tests/support/signed_app.py``
points the verifier at a throwaway CA. Two kinds of slow client:

* **trickling headers**: a request line, then one header byte at a time, never ending;
* **short bodies**: complete headers announcing ``Content-Length: 100000``, then one byte.

Against gunicorn's sync workers (the old production command) two of either stop
every real request: each worker sits in ``recv`` for one slow client.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from skill.testing.alexa_ca import ThrowawayCA, envelope

REPO = Path(__file__).parents[2]
SKILL_ID = "amzn1.ask.skill.test"
SLOW_CLIENTS = 50
REAL_REQUESTS = 10

# Run in the server subprocess: the signed test app under the production server,
# printing the port it bound (port 0: the kernel picks a free one, no race).
SERVE_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
from signed_app import app
from skill.server import serve
limits = {"channel_timeout": int(sys.argv[2])} if len(sys.argv) > 2 else {}
serve(app, host="127.0.0.1", port=0, announce=lambda s: print(s.port, flush=True), **limits)
"""


@dataclass
class Server:
    url: str
    port: int
    proc: subprocess.Popen[bytes] = field(repr=False)


def start_server(ca: ThrowawayCA, tmp: Path, *limits: str) -> Server:
    (tmp / "root.pem").write_bytes(ca.root_pem)
    (tmp / "chain.pem").write_bytes(ca.chain_pem())
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp),
        "CORNERSHOP_STORE": f"sqlite:///{tmp / 'shop.db'}",
        "ALEXA_SKILL_ID": SKILL_ID,
        "CORNERSHOP_TEST_ROOTS": str(tmp / "root.pem"),
        "CORNERSHOP_TEST_CHAIN": str(tmp / "chain.pem"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE_SCRIPT, str(REPO / "tests" / "support"), *limits],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    line = proc.stdout.readline() if ready else b""
    if not line.strip().isdigit():
        stop_server(proc)
        raise AssertionError(f"the server did not start: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
    port = int(line)
    return Server(f"http://127.0.0.1:{port}", port, proc)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream:
            stream.close()


@pytest.fixture(scope="module")
def ca() -> ThrowawayCA:
    return ThrowawayCA(now=datetime.now(UTC))


@pytest.fixture(scope="module")
def production(ca: ThrowawayCA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server with the production limits, exactly as ``cornershop serve`` sets them."""
    server = start_server(ca, tmp_path_factory.mktemp("production"))
    yield server
    stop_server(server.proc)


@pytest.fixture
def quick_timeout(ca: ThrowawayCA, tmp_path: Path) -> Iterator[Server]:
    """The same server with a 2 s channel timeout, to watch it close slow connections."""
    server = start_server(ca, tmp_path, "2")
    yield server
    stop_server(server.proc)


def signed_launch(port: int, ca: ThrowawayCA) -> tuple[int, dict[str, object]]:
    """One real signed LaunchRequest on a fresh connection; 10 s at most."""
    body = envelope(timestamp=datetime.now(UTC), application_id=SKILL_ID)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(
            "POST", "/alexa", body, {**ca.headers(body), "Content-Type": "application/json"}
        )
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


# -- slow clients ----------------------------------------------------------------
REQUEST_LINE = b"POST /alexa HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"


def open_trickling_headers(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(REQUEST_LINE + b"X-Slow: ")  # the header never ends
    return sock


def open_short_body(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(REQUEST_LINE + b"Content-Length: 100000\r\n\r\n{")  # 1 byte of 100000
    return sock


def state(sock: socket.socket) -> str:
    """``open`` (nothing from the server yet), ``closed`` (EOF or reset), or ``answered``."""
    sock.setblocking(False)
    try:
        return "closed" if sock.recv(1024) == b"" else "answered"
    except BlockingIOError:
        return "open"
    except ConnectionError:
        return "closed"
    finally:
        sock.setblocking(True)


class Trickler:
    """Sends one byte on each socket every ``interval`` seconds until stopped (20 s at most)."""

    def __init__(self, socks: list[socket.socket], interval: float = 0.5) -> None:
        self.socks = socks
        self.interval = interval
        self.sent = dict.fromkeys(range(len(socks)), 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + 20
        while not self._stop.wait(self.interval) and time.monotonic() < deadline:
            for i, sock in enumerate(self.socks):
                with contextlib.suppress(OSError):  # closed by the server: that's allowed
                    sock.send(b"a")
                    self.sent[i] += 1

    def __enter__(self) -> Trickler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    """Every slow socket a test opens; all closed at the end, whatever happens."""
    opened: list[socket.socket] = []
    yield opened
    for sock in opened:
        sock.close()


# -- tests -----------------------------------------------------------------------
@pytest.mark.slow
def test_real_requests_are_answered_while_50_slow_clients_hold_connections(
    production: Server, ca: ThrowawayCA, sockets: list[socket.socket]
) -> None:
    # GIVEN 25 clients trickling headers and 25 that sent 1 byte of a 100000-byte body
    trickling = [open_trickling_headers(production.port) for _ in range(SLOW_CLIENTS // 2)]
    short = [open_short_body(production.port) for _ in range(SLOW_CLIENTS // 2)]
    sockets.extend(trickling + short)
    with Trickler(trickling):
        # WHEN real signed requests arrive while they are held
        answers = [signed_launch(production.port, ca) for _ in range(REAL_REQUESTS)]
        # THEN every one is answered with a valid Alexa response
        for status, data in answers:
            assert status == 200
            speech = data["response"]["outputSpeech"]["ssml"]  # type: ignore[index]
            assert "Welcome to Corner Shop" in speech
        # AND the slow clients were really held all along, not turned away
        assert [state(sock) for sock in sockets] == ["open"] * SLOW_CLIENTS


@pytest.mark.slow
def test_a_body_announced_over_128_kb_is_refused_before_it_is_sent(
    production: Server, sockets: list[socket.socket]
) -> None:
    # GIVEN a client announcing 10 MB (the app's limit is 128 KB) and sending none of it
    sock = socket.create_connection(("127.0.0.1", production.port), timeout=10)
    sockets.append(sock)
    sock.sendall(REQUEST_LINE + b"Content-Length: 10000000\r\n\r\n")
    # THEN the server answers 413 at once instead of waiting for (and buffering) it
    assert sock.recv(1024).startswith(b"HTTP/1.1 413 ")


@pytest.mark.slow
def test_idle_trickling_and_short_connections_are_closed_after_the_timeout(
    quick_timeout: Server, ca: ThrowawayCA, sockets: list[socket.socket]
) -> None:
    # GIVEN an idle connection, a short body, a trickled header and a trickled body
    port = quick_timeout.port
    idle = socket.create_connection(("127.0.0.1", port), timeout=5)
    short = open_short_body(port)
    trickling_header = open_trickling_headers(port)
    trickling_body = open_short_body(port)
    sockets.extend([idle, short, trickling_header, trickling_body])
    with Trickler([trickling_header, trickling_body], interval=0.25) as trickler:
        # WHEN the server's channel timeout (2 s) passes, the trickles still sending
        deadline = time.monotonic() + 20  # a hang guard, not a speed figure
        states = [state(sock) for sock in sockets]
        while time.monotonic() < deadline and states != ["closed"] * 4:
            time.sleep(0.25)
            states = [
                s if s == "closed" else state(sock) for s, sock in zip(states, sockets, strict=True)
            ]
        # THEN the server has closed all four: a byte now and then buys no extra time
        assert states == ["closed"] * 4
        assert min(trickler.sent.values()) >= 4  # they were still trickling (1 s or more)
    # AND it still serves real requests
    status, _ = signed_launch(port, ca)
    assert status == 200


@pytest.mark.slow
def test_a_kept_alive_connection_serves_request_after_request_past_the_timeout(
    quick_timeout: Server, ca: ThrowawayCA
) -> None:
    # GIVEN one connection kept alive, a signed request on it every 0.8 s, 2.4 s in all
    conn = http.client.HTTPConnection("127.0.0.1", quick_timeout.port, timeout=10)
    statuses, sockets_used = [], []
    try:
        for i in range(4):
            if i:
                time.sleep(0.8)
            body = envelope(timestamp=datetime.now(UTC), application_id=SKILL_ID)
            headers = {**ca.headers(body), "Content-Type": "application/json"}
            conn.request("POST", "/alexa", body, headers)
            resp = conn.getresponse()
            resp.read()
            statuses.append(resp.status)
            sockets_used.append(conn.sock)
    finally:
        conn.close()
    # THEN each request was timed on its own (2 s), not the connection: all were served,
    # all on the one connection (http.client would have reconnected had it been closed)
    assert statuses == [200] * 4
    assert all(sock is sockets_used[0] for sock in sockets_used)
