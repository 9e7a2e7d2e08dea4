"""Live dashboards: how fast changes arrive, and what open dashboards cost the web service.

    python bench/bench_dashboard.py [--changes 20] [--seconds 4] [--rounds 2]

The web service runs in a subprocess under waitress (``skill.server.create_server``,
what ``cornershop serve`` runs, 8 threads), on a SQLite shop in a temporary folder,
with a staff account it makes itself; everything is on 127.0.0.1. Dashboards are
emulated as a browser's EventSource does it: ``GET /shop/events`` with the session
cookie, read events as they come, and when the server ends the stream, wait its
``retry`` and reconnect with ``Last-Event-ID``.

0. **Poll cost.** One ``list_orders`` of the feed's window on SQLite, 250 orders:
   what the one poller thread spends every 0.5 s while any dashboard is open.
1. **Latency.** 4 dashboards listen (then 12: 4 hold streams, 8 come back every
   second). This process (another process than the server, like ``cornershop orders``)
   places orders straight into the SQLite file, at random moments; each dashboard
   notes when the order's event arrives. Then the orders are marked ready through
   ``POST /shop/orders/N/ready`` (the dashboard's own action, announced without
   waiting for a poll). Printed: p50 / p95 / max of commit-to-arrival over all
   dashboards.
2. **Thread budget.** ``GET /healthz`` (which needs a worker thread like any request)
   is timed one request after another, 3 s timeout each, for ``--seconds``, with 0, 4,
   8 and 12 dashboards open, under two stream policies, alternating per round:
   *capped* (ours: at most 4 streams held, the rest get their events and come back
   after 1 s) and *uncapped* (every dashboard holds a thread for its whole 25 s
   stream). Printed per policy and dashboard count: medians over rounds of p50, p99
   and timed-out requests.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PASSWORD = "bench password, long enough"
SERVE_SCRIPT = """
import sys
from skill.app import build_skill
from skill.config import Settings
from skill.dashboard import Dashboard, MemoryStaffDirectory
from skill.dashboard.staff import new_member, staff_directory
from skill.profile import NoProfile
from skill.server import create_server
from skill.store.sqlite import SQLiteStore
from skill.web import create_app

path, max_streams, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
store = SQLiteStore(path)
staff = staff_directory(store) or MemoryStaffDirectory()
staff.add_staff(new_member("bench", password), replace=True)
settings = Settings(store_url="sqlite:///" + path, verify_requests=False)
skill = build_skill(settings, store=store, profile=NoProfile())
dashboard = Dashboard(store, staff, max_streams=max_streams)
app = create_app(settings, skill=skill, dashboard=dashboard)
server = create_server(app, host="127.0.0.1", port=0)
print(server.port, flush=True)
server.run()
"""


class Service:
    """The web service in a subprocess; ``port`` once it listens."""

    def __init__(self, db: Path, max_streams: int) -> None:
        env = {"PATH": os.environ.get("PATH", ""), "CORNERSHOP_LOG_LEVEL": "ERROR"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVE_SCRIPT, str(db), str(max_streams), PASSWORD],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if ready else b""
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError("the web service did not start")
        self.port = int(line)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def log_in(port: int) -> str:
    """The session cookie of a fresh login (the login form's token first)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/shop/login")
        resp = conn.getresponse()
        page = resp.read().decode()
        cookie = resp.getheader("Set-Cookie", "").split(";")[0]
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        from urllib.parse import urlencode

        body = urlencode({"name": "bench", "password": PASSWORD, "csrf_token": token})
        conn.request(
            "POST",
            "/shop/login",
            body,
            {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        )
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 303, resp.status
        return resp.getheader("Set-Cookie", "").split(";")[0]
    finally:
        conn.close()


def json_get(port: int, path: str, cookie: str) -> dict[str, object]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Cookie": cookie, "Accept": "application/json"})
        resp = conn.getresponse()
        data: dict[str, object] = json.loads(resp.read())
        return data
    finally:
        conn.close()


class Dashboard:
    """An EventSource: reads events, reconnects after ``retry`` with Last-Event-ID."""

    def __init__(self, port: int, cookie: str, cursor: str, deadline: float) -> None:
        self.port = port
        self.cookie = cookie
        self.last_id = cursor
        self.deadline = deadline
        self.arrivals: dict[tuple[int, str], float] = {}
        self.connects = 0
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        retry = 1.0
        while not self._stop.is_set() and time.monotonic() < self.deadline:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=35)
            try:
                conn.connect()
                # Kept apart: http.client drops conn.sock when the response will close it.
                self._sock = conn.sock
                if self._stop.is_set():
                    break
                conn.request(
                    "GET",
                    f"/shop/events?after={self.last_id}",
                    headers={"Cookie": self.cookie, "Last-Event-ID": self.last_id},
                )
                resp = conn.getresponse()
                self.connects += 1
                event_id = ""
                while True:
                    line = resp.readline().decode()
                    if not line:
                        break
                    if line.startswith("retry:"):
                        retry = int(line.split(":")[1]) / 1000
                    elif line.startswith("id:"):
                        event_id = line[3:].strip()
                    elif line.startswith("data:"):
                        event = json.loads(line[5:])
                        order = event.get("order", {})
                        key = (order.get("number", 0), order.get("status", ""))
                        self.arrivals.setdefault(key, time.time())
                    elif line == "\n" and event_id:
                        self.last_id = event_id
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            self._stop.wait(retry)

    def stop(self) -> None:
        """End the emulated browser: close its connection until its thread is done."""
        self._stop.set()
        deadline = time.monotonic() + 40
        while self.thread.is_alive() and time.monotonic() < deadline:
            sock = self._sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self.thread.join(0.1)


@contextlib.contextmanager
def dashboards(port: int, cookie: str, count: int, seconds: float) -> Iterator[list[Dashboard]]:
    cursor = str(json_get(port, "/shop/orders", cookie)["cursor"])
    opened = [Dashboard(port, cookie, cursor, time.monotonic() + seconds) for _ in range(count)]
    try:
        yield opened
    finally:
        for board in opened:
            board._stop.set()
        for board in opened:
            board.stop()


def place_order(db: Path, number_hint: int) -> tuple[int, float]:
    """An order written straight into the SQLite file by this process; (number, commit time)."""
    from skill.domain.orders import Order, OrderLine
    from skill.store.sqlite import SQLiteStore

    store = SQLiteStore(db, create=False)
    try:
        user = f"amzn1.ask.account.BENCH{number_hint}"
        store.update_cart(user, lambda cart: cart.add("APPLE", 1))
        order = store.place_order(
            user,
            "",
            lambda cart, number, *_: Order(
                number,
                user,
                (OrderLine("APPLE", "apples", 1, 75),),
                "USD",
                datetime.now(UTC),
                "en-US",
            ),
        )
        return order.number, time.time()
    finally:
        store.close()


def mark_ready(port: int, cookie: str, csrf: str, number: int) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        start = time.time()
        conn.request(
            "POST", f"/shop/orders/{number}/ready", headers={"Cookie": cookie, "X-CSRF-Token": csrf}
        )
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200, resp.status
        return start
    finally:
        conn.close()


def page_csrf(port: int, cookie: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/shop", headers={"Cookie": cookie})
        page = conn.getresponse().read().decode()
        return page.split('data-csrf="')[1].split('"')[0]
    finally:
        conn.close()


def percentiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    if not ordered:
        return (float("nan"),) * 3  # type: ignore[return-value]
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return statistics.median(ordered), p95, ordered[-1]


def latency(db: Path, changes: int, count: int) -> None:
    service = Service(db, max_streams=4)
    try:
        cookie = log_in(service.port)
        csrf = page_csrf(service.port, cookie)
        with dashboards(service.port, cookie, count, 120) as boards:
            time.sleep(0.5)
            placed: list[tuple[int, float]] = []
            for i in range(changes):
                time.sleep(random.uniform(0.2, 0.7))
                placed.append(place_order(db, i))
            time.sleep(2)
            readied = [(n, mark_ready(service.port, cookie, csrf, n)) for n, _ in placed]
            time.sleep(1)
        for label, moves, status in (
            ("placed by another process (poll)", placed, "placed"),
            ("marked ready on a dashboard (publish)", readied, "ready"),
        ):
            waits = [
                board.arrivals[(number, status)] - at
                for number, at in moves
                for board in boards
                if (number, status) in board.arrivals
            ]
            missing = len(moves) * len(boards) - len(waits)
            p50, p95, worst = percentiles(waits)
            print(
                f"{label:<40} p50 {p50 * 1000:6.0f} ms  p95 {p95 * 1000:6.0f} ms  "
                f"max {worst * 1000:6.0f} ms  ({len(waits)} arrivals, {missing} missing)"
            )
        print()
    finally:
        service.stop()


def healthz_phase(port: int, seconds: float) -> tuple[float, float, int, int]:
    """(p50, p99, answered, timed out) of sequential GET /healthz for ``seconds``."""
    times: list[float] = []
    lost = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
        start = time.perf_counter()
        try:
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            times.append(time.perf_counter() - start)
        except (OSError, http.client.HTTPException):
            lost += 1
        finally:
            conn.close()
    if not times:
        return float("nan"), float("nan"), 0, lost
    ordered = sorted(times)
    return statistics.median(ordered), ordered[int(0.99 * (len(ordered) - 1))], len(times), lost


def thread_budget(db: Path, seconds: float, rounds: int) -> None:
    counts = (0, 4, 8, 12)
    policies = (("capped (4 streams)", 4), ("uncapped", 64))
    results: dict[tuple[str, int], list[tuple[float, float, int, int]]] = {}
    for _ in range(rounds):
        for name, cap in policies:  # alternating: capped, uncapped, capped, ...
            for count in counts:
                # A fresh service each time: a stream whose client left holds its
                # thread until the next heartbeat fails, which would leak into the next run.
                service = Service(db, max_streams=cap)
                try:
                    cookie = log_in(service.port)
                    with dashboards(service.port, cookie, count, seconds + 30):
                        time.sleep(0.5)  # let them connect
                        results.setdefault((name, count), []).append(
                            healthz_phase(service.port, seconds)
                        )
                finally:
                    service.stop()
    print(
        f"{'policy':<20} {'dashboards':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'answered':>9} {'timed out':>10}"
    )
    for name, _ in policies:
        for count in counts:
            runs = results[(name, count)]
            p50 = statistics.median(r[0] for r in runs) * 1000
            p99 = statistics.median(r[1] for r in runs) * 1000
            answered = statistics.median(r[2] for r in runs)
            lost = statistics.median(r[3] for r in runs)
            print(f"{name:<20} {count:>10} {p50:>8.1f} {p99:>8.1f} {answered:>9.0f} {lost:>10.0f}")


def poll_cost(folder: Path) -> None:
    """What one poll of the feed costs: list_orders(WINDOW) on SQLite with 250 orders."""
    from skill.dashboard.feed import POLL_INTERVAL, WINDOW
    from skill.store.sqlite import SQLiteStore

    db = folder / "poll.db"
    SQLiteStore(db).close()
    for i in range(250):
        place_order(db, 1000 + i)
    store = SQLiteStore(db)
    try:
        for _ in range(3):
            store.list_orders(limit=WINDOW)
        runs = []
        for _ in range(30):
            start = time.perf_counter()
            store.list_orders(limit=WINDOW)
            runs.append(time.perf_counter() - start)
    finally:
        store.close()
    each = statistics.median(runs)
    print(
        f"0. one poll (list_orders({WINDOW}) on SQLite, 250 orders): {each * 1000:.1f} ms, "
        f"{each / POLL_INTERVAL * 100:.1f}% of a core while any dashboard is open\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=20, help="orders placed in phase 1")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each phase 2 run")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of phase 2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "shop.db"
        from skill.store.sqlite import SQLiteStore

        SQLiteStore(db).close()
        poll_cost(Path(tmp))
        for count in (4, 12):
            print(
                f"1. change to arrival, {count} dashboards (waitress, SQLite, poll every 0.5 s,"
                " at most 4 streams held)"
            )
            latency(db, args.changes, count)
        print("2. GET /healthz while dashboards are open (8 waitress threads)")
        thread_budget(db, args.seconds, args.rounds)


if __name__ == "__main__":
    main()
