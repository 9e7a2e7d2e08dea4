"""Slow clients: latency of real signed requests with and without 50 slow connections.

    python bench/bench_slow_clients.py [--rounds 3] [--slow 50] [--requests 200]
                                       [--no-gunicorn] [--no-throughput]

Two servers, both serving the signed test app (tests/support/signed_app.py:
verification on, a throwaway CA standing in for Amazon's), on 127.0.0.1 only:

* **waitress**, through ``skill.server.serve``, the call ``cornershop serve`` makes;
* **gunicorn -w 2** with sync workers, the old production command.

Each round runs, per server, one phase without slow clients and one with them
(alternating: without, with, without, with, ...). A phase sends real signed
LaunchRequests one after another, each on a fresh connection with a 3 s timeout,
until ``--requests`` are sent or 8 s pass. With slow clients, half of them trickle
header bytes (one every 0.5 s) and half sent one byte of an announced 100000-byte
body; they are opened before the phase and closed after it. The table gives, per
server and phase, the medians over rounds of each phase's p50 and p99 (answered
requests only), the requests that timed out, and how many slow clients were still
connected at the end of each phase (held, not turned away).

A short throughput phase (4 client processes, signed launches, 3 s per run,
alternating) shows what one waitress process costs against two gunicorn workers.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _servers import REPO, Gunicorn, run_load, table

from skill.testing.alexa_ca import ThrowawayCA, envelope

SKILL_ID = "amzn1.ask.skill.bench"
REQUEST_TIMEOUT = 3.0  # Alexa gives up after 8 s; past 3 s a request counts as lost
PHASE_SECONDS = 8.0  # below waitress's 10 s channel timeout, so slow clients stay held
SERVE_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
from signed_app import app
from skill.server import serve
serve(app, host="127.0.0.1", port=0, announce=lambda s: print(s.port, flush=True))
"""
REQUEST_LINE = b"POST /alexa HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"


# -- servers ---------------------------------------------------------------------
class Waitress:
    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVE_SCRIPT, str(REPO / "tests" / "support")],
            cwd=REPO,
            env={"PATH": os.environ.get("PATH", ""), **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if ready else b""
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError(self.proc.stderr.read().decode()[-2000:])  # type: ignore[union-attr]
        self.port = int(line)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- slow clients ----------------------------------------------------------------
@contextlib.contextmanager
def slow_clients(port: int, count: int) -> Iterator[list[socket.socket]]:
    """``count`` slow connections, half trickling headers, half short of their body."""
    socks: list[socket.socket] = []
    trickling: list[socket.socket] = []
    stop = threading.Event()

    def trickle() -> None:
        deadline = time.monotonic() + 60
        while not stop.wait(0.5) and time.monotonic() < deadline:
            for sock in trickling:
                with contextlib.suppress(OSError):
                    sock.send(b"a")

    try:
        for i in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            socks.append(sock)
            if i % 2 == 0:
                sock.sendall(REQUEST_LINE + b"X-Slow: ")
                trickling.append(sock)
            else:
                sock.sendall(REQUEST_LINE + b"Content-Length: 100000\r\n\r\n{")
        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        try:
            yield socks
        finally:
            stop.set()
            thread.join(timeout=5)
    finally:
        for sock in socks:
            sock.close()


def still_held(socks: list[socket.socket]) -> int:
    """How many of ``socks`` the server has neither closed nor answered."""
    held = 0
    for sock in socks:
        sock.setblocking(False)
        try:
            sock.recv(1)
        except BlockingIOError:
            held += 1
        except OSError:
            pass
    return held


# -- real requests ---------------------------------------------------------------
def signed_launch(port: int, ca: ThrowawayCA) -> float | None:
    """Milliseconds for one signed LaunchRequest answered 200, or None if it timed out."""
    body = envelope(timestamp=datetime.now(UTC), application_id=SKILL_ID)
    headers = {**ca.headers(body), "Content-Type": "application/json"}
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request("POST", "/alexa", body, headers)
        resp = conn.getresponse()
        resp.read()
    except OSError:  # timed out, refused or reset: lost, for Alexa
        return None
    finally:
        conn.close()
    if resp.status != 200:
        raise RuntimeError(f"a signed request got HTTP {resp.status}")
    return (time.perf_counter() - started) * 1000


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    timeouts: int = 0
    held: int | None = None

    def pct(self, p: float) -> float | None:
        if not self.latencies:
            return None
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(p / 100 * len(data)))]


def phase(port: int, ca: ThrowawayCA, slow: int, requests: int) -> Phase:
    result = Phase()

    def send() -> None:
        deadline = time.monotonic() + PHASE_SECONDS
        for _ in range(requests):
            if time.monotonic() >= deadline:
                break
            ms = signed_launch(port, ca)
            if ms is None:
                result.timeouts += 1
            else:
                result.latencies.append(ms)

    if not slow:
        send()
        return result
    with slow_clients(port, slow) as socks:
        time.sleep(0.2)  # let the server accept them all before the first real request
        send()
        result.held = still_held(socks)
    return result


def fmt(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{statistics.median(known):.1f}" if known else "-"


def summarise(name: str, slow: int, phases: list[Phase]) -> list[object]:
    answered = sum(len(p.latencies) for p in phases)
    timeouts = sum(p.timeouts for p in phases)
    held = [p.held for p in phases if p.held is not None]
    return [
        name,
        slow,
        answered + timeouts,
        timeouts,
        fmt([p.pct(50) for p in phases]),
        fmt([p.pct(99) for p in phases]),
        f"{min(held)}/{slow}" if held else "-",
    ]


def throughput(port: int, ca: ThrowawayCA) -> float:
    def plan(client: int, n: int) -> tuple[str, bytes, dict[str, str]]:
        body = envelope(timestamp=datetime.now(UTC), application_id=SKILL_ID)
        return "/alexa", body, ca.headers(body)

    result = run_load(port, plan, clients=4, seconds=3)
    if result.errors:
        raise RuntimeError(f"{result.errors} errors in the throughput phase")
    return result.rps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--slow", type=int, default=50, help="slow clients (default 50)")
    parser.add_argument("--requests", type=int, default=200, help="real requests per phase")
    parser.add_argument("--no-gunicorn", action="store_true", help="skip the old setup")
    parser.add_argument("--no-throughput", action="store_true")
    args = parser.parse_args()

    ca = ThrowawayCA(now=datetime.now(UTC))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "root.pem").write_bytes(ca.root_pem)
        (tmp / "chain.pem").write_bytes(ca.chain_pem())

        def env(name: str) -> dict[str, str]:
            return {
                "HOME": str(tmp),
                "CORNERSHOP_STORE": f"sqlite:///{tmp / name}.db",
                "ALEXA_SKILL_ID": SKILL_ID,
                "CORNERSHOP_TEST_ROOTS": str(tmp / "root.pem"),
                "CORNERSHOP_TEST_CHAIN": str(tmp / "chain.pem"),
                "CORNERSHOP_LOG_LEVEL": "WARNING",
            }

        servers: dict[str, int] = {}
        stops = []
        waitress = Waitress(env("waitress"))
        stops.append(waitress.stop)
        servers["waitress (cornershop serve)"] = waitress.port
        try:
            if not args.no_gunicorn:
                gunicorn = Gunicorn(
                    "signed_app:app", env("gunicorn"), "--pythonpath", str(REPO / "tests/support")
                )
                stops.append(gunicorn.stop)
                servers["gunicorn -w 2 sync"] = gunicorn.port
            phases: dict[tuple[str, int], list[Phase]] = {}
            for _ in range(args.rounds):
                for name, port in servers.items():
                    for slow in (0, args.slow):  # alternating: without, with
                        phases.setdefault((name, slow), []).append(
                            phase(port, ca, slow, args.requests)
                        )
            rates: dict[str, list[float]] = {}
            if not args.no_throughput:
                for _ in range(args.rounds):
                    for name, port in servers.items():
                        rates.setdefault(name, []).append(throughput(port, ca))
        finally:
            for stop in stops:
                stop()

    print(
        "Real signed LaunchRequests, one at a time, fresh connection each, "
        f"{REQUEST_TIMEOUT:.0f} s timeout; {args.rounds} rounds; slow clients: half trickling "
        "headers, half 1 byte of a 100000-byte body"
    )
    print(
        table(
            [summarise(name, slow, runs) for (name, slow), runs in phases.items()],
            ["server", "slow clients", "requests", "timeouts", "p50 ms", "p99 ms", "slow held"],
        )
    )
    if rates:
        print("\nThroughput, signed launches, 4 client processes, no slow clients (median req/s)")
        print(
            table(
                [[n, f"{statistics.median(r):.0f}"] for n, r in rates.items()], ["server", "req/s"]
            )
        )


if __name__ == "__main__":
    main()
