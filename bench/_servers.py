"""Helpers the benchmarks share: start gunicorn on loopback, and a bounded load generator.

The load generator runs in separate processes (so the client's GIL doesn't cap
the server), sends for a fixed duration only, and reports per-request latency.
Loopback only: every URL here is http://127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")

# A request: (path, body, headers). A plan maps (client index, request number) to one.
Request = tuple[str, bytes, dict[str, str]]
Plan = Callable[[int, int], Request]


def source_address(client: int, n: int) -> tuple[str, int]:
    """A loopback source address for request ``n`` of ``client``.

    gunicorn's sync workers close every connection, and each closed connection keeps
    its port pair in TIME_WAIT for a minute; one source address has only ~28,000
    ports, which a few benchmark phases in a row use up (connects then fail at once).
    Spreading clients over 127.0.0.2-127.0.0.201 gives each its own port space, and it
    is still loopback only.
    """
    return (f"127.0.0.{2 + (client * 37 + n) % 200}", 0)


def post(
    port: int, path: str, body: bytes, headers: dict[str, str], source: tuple[str, int]
) -> tuple[int, bytes]:
    """One JSON POST on a fresh connection: (status, body); status 0 if it never got one."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=source)
        conn.request(
            "POST", path, body=body, headers={**headers, "Content-Type": "application/json"}
        )
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, data
    except OSError:
        return 0, b""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Gunicorn:
    def __init__(self, app: str, env: dict[str, str], *extra: str, workers: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/tmp"),
            **env,
        }
        self.proc = subprocess.Popen(
            [
                str(GUNICORN),
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "30",
                "--log-level",
                "warning",
                *extra,
                app,
            ],
            cwd=REPO,
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stderr.read().decode()[-2000:])  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def cpu_seconds(self) -> float:
        """CPU time used so far by the master and its workers (Linux /proc; 0 elsewhere)."""
        return process_tree_cpu(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def process_tree_cpu(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its live children, from /proc (0 if absent)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total, todo, seen = 0.0, [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        todo += [int(c) for c in children]
    return total


def children_cpu() -> float:
    """CPU seconds of this process's waited-for children (the load clients, once joined)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    bodies: list[tuple[int, int, int, str]]  # client, n, status, body (when kept)
    client_cpu_s: float = 0.0  # what the load clients themselves used, on the same cores

    @property
    def client_share(self) -> float:
        """The clients' CPU as a share of the whole machine during the run."""
        return self.client_cpu_s / (self.seconds * (os.cpu_count() or 1)) if self.seconds else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(p / 100 * len(data)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")


def _client(
    port: int,
    plan: Plan,
    index: int,
    seconds: float,
    max_requests: int,
    keep: bool,
    queue: mp.Queue,
) -> None:  # type: ignore[type-arg]
    latencies: list[float] = []
    errors = 0
    kept: list[tuple[int, int, int, str]] = []
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline and n < max_requests:
        path, body, headers = plan(index, n)
        started = time.perf_counter()
        status, data = post(port, path, body, headers, source_address(index, n))
        latencies.append((time.perf_counter() - started) * 1000)
        if status != 200:
            errors += 1
        if keep:
            kept.append((index, n, status, data.decode("utf-8", "replace")))
        n += 1
    queue.put((latencies, errors, kept))


def run_load(
    port: int,
    plan: Plan,
    *,
    clients: int,
    seconds: float,
    max_requests_per_client: int = 100_000,
    keep_bodies: bool = False,
) -> LoadResult:
    """Send requests from ``clients`` processes for ``seconds`` (bounded in time and count)."""
    ctx = mp.get_context("fork")
    queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [
        ctx.Process(
            target=_client,
            args=(port, plan, i, seconds, max_requests_per_client, keep_bodies, queue),
        )
        for i in range(clients)
    ]
    cpu_before = children_cpu()
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get(timeout=seconds + 60) for _ in procs]
    elapsed = time.perf_counter() - started
    for p in procs:
        p.join(timeout=10)
    latencies = [x for r in results for x in r[0]]
    return LoadResult(
        requests=len(latencies),
        errors=sum(r[1] for r in results),
        seconds=elapsed,
        latencies_ms=latencies,
        bodies=[b for r in results for b in r[2]],
        client_cpu_s=children_cpu() - cpu_before,
    )


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def dump(obj: object) -> str:
    return json.dumps(obj, indent=2)
