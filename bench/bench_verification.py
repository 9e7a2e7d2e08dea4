"""Time RequestVerifier.verify (warm and cold), then real-request latency during a forged flood.

    python bench/bench_verification.py [--no-flood] [--seconds 4] [--pairs 3] [--attackers 8]
                                       [--worker-class gthread] [--verifier-file PATH]

**Warm and cold.** A throwaway CA signs one realistic request; the fetcher is in-memory, so
"cold" measures chain parsing and validation (no network) and "warm" measures what every
request pays once the chain is cached: header lookup, base64, the URL rules, JSON parsing, the
timestamp and skill-id checks and one RSA-2048 signature check. Target: warm median at most
300 us.

**Flood.** The web app runs under gunicorn on 127.0.0.1 (one worker process, ``gthread`` with
4 threads, like waitress's default pool) with real verification; its certificate downloads go,
through the real :func:`download_cert_chain`, to a loopback "S3" that serves Alexa's chain at
Alexa's URL and never answers anything else (S3 not answering: each such download would hang
for its 2 s timeout). After one warm-up request has proven Alexa's chain, one client sends
genuine signed requests every 20 ms and records their latency, while attacker processes each
send a forged request (fresh timestamp, our skill id, junk signature, a certificate URL never
used before) every 50 ms. Each run starts a fresh server; runs alternate flood, no flood,
flood, ... and the figures are medians over the pairs. Everything is bounded in time.
``--verifier-file`` loads ``RequestVerifier`` from another copy of skill/verification.py (for
example ``git show <commit>:skill/verification.py > /tmp/old.py``) to compare against it.
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _servers import Gunicorn, post, source_address, table

from skill.testing.alexa_ca import DEFAULT_URL, ThrowawayCA, envelope
from skill.verification import RequestVerifier, download_cert_chain, load_trust_roots

N = 2000
SKILL_ID = "amzn1.ask.skill.bench"
REAL_PATH = urlsplit(DEFAULT_URL).path
FORGED_SIGNATURE = base64.b64encode(bytes(range(256))).decode()
REAL_INTERVAL_S = 0.020
ATTACK_INTERVAL_S = 0.050


# ----------------------------------------------------------------------------- warm and cold


def warm_and_cold() -> None:
    ca = ThrowawayCA()
    body = envelope("IntentRequest", timestamp=ca.now, application_id=SKILL_ID)
    headers = ca.headers(body)
    verifier = RequestVerifier(
        SKILL_ID,
        trust_roots=ca.root_pem,
        fetch_cert_chain=ca.fetcher(),
        clock=lambda: ca.now,
    )

    started = time.perf_counter_ns()
    verifier.verify(headers, body)
    cold_us = (time.perf_counter_ns() - started) / 1000

    for _ in range(200):  # warm caches, allocator and branch predictors
        verifier.verify(headers, body)

    samples: list[float] = []
    for _ in range(N):
        started = time.perf_counter_ns()
        verifier.verify(headers, body)
        samples.append((time.perf_counter_ns() - started) / 1000)
    samples.sort()

    print(f"verification requests: {N} (body {len(body)} bytes, RSA 2048)")
    print(f"verification cold (first, in-memory fetch): {cold_us:.1f} us")
    print(f"verification warm median: {statistics.median(samples):.1f} us")
    print(f"verification warm p95: {samples[int(0.95 * N) - 1]:.1f} us")

    started = time.perf_counter_ns()
    roots = load_trust_roots()  # what the first cache miss of a default verifier also pays
    certifi_ms = (time.perf_counter_ns() - started) / 1e6
    print(f"certifi trust roots load (once per process): {certifi_ms:.1f} ms, {len(roots)} roots")


# ----------------------------------------------------------------------------- the app


def flood_app() -> Any:
    """The gunicorn app: ``gunicorn --pythonpath bench 'bench_verification:flood_app()'``.

    Production's ``create_app`` with the verifier trusting the bench CA's root and downloading
    from the loopback S3 (only the host of the checked URL is swapped), defaults otherwise.
    """
    from skill.config import Settings
    from skill.web import create_app

    roots = Path(os.environ["BENCH_FLOOD_ROOTS"]).read_bytes()
    s3 = os.environ["BENCH_FLOOD_S3"]
    verifier_class: Any = RequestVerifier
    if os.environ.get("BENCH_VERIFIER_FILE"):
        spec = importlib.util.spec_from_file_location(
            "bench_other_verification", os.environ["BENCH_VERIFIER_FILE"]
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        verifier_class = module.RequestVerifier

    def fetch(url: str) -> bytes:
        return download_cert_chain(s3 + urlsplit(url).path)

    settings = Settings.from_env()
    verifier = verifier_class(settings.skill_id, trust_roots=roots, fetch_cert_chain=fetch)
    return create_app(settings, verifier=verifier.verify)


class SilentS3(BaseHTTPRequestHandler):
    """Alexa's chain at Alexa's URL; any other key: no answer until the run is over."""

    chain = b""
    stop = threading.Event()

    def do_GET(self) -> None:
        if urlsplit(self.path).path == REAL_PATH:
            self.send_response(200)
            self.send_header("Content-Length", str(len(self.chain)))
            self.end_headers()
            self.wfile.write(self.chain)
            return
        self.stop.wait(60)  # bounded; set when the run ends

    def log_message(self, format: str, *args: Any) -> None:
        pass


# ----------------------------------------------------------------------------- clients


def _attacker(port: int, index: int, seconds: float, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        started = time.perf_counter()
        body = envelope(timestamp=datetime.now(UTC), application_id=SKILL_ID)
        url = f"https://s3.amazonaws.com/echo.api/flood-{os.getpid()}-{index}-{n}.pem"
        headers = {"Signature-256": FORGED_SIGNATURE, "SignatureCertChainUrl": url}
        status, _ = post(port, "/alexa", body, headers, source_address(100 + index, n))
        elapsed = time.perf_counter() - started
        latencies.append(elapsed * 1000)
        statuses[status] = statuses.get(status, 0) + 1
        n += 1
        time.sleep(max(0.0, ATTACK_INTERVAL_S - elapsed))
    queue.put((statuses, latencies))


def _measure(
    port: int, body: bytes, headers: dict[str, str], seconds: float
) -> tuple[list[float], int]:
    latencies: list[float] = []
    failures = 0
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        started = time.perf_counter()
        status, _ = post(port, "/alexa", body, headers, source_address(0, n))
        elapsed = time.perf_counter() - started
        latencies.append(elapsed * 1000)
        failures += status != 200
        n += 1
        time.sleep(max(0.0, REAL_INTERVAL_S - elapsed))
    return latencies, failures


def pct(data: list[float], p: float) -> float:
    if not data:
        return float("nan")
    ordered = sorted(data)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def one_run(
    ca: ThrowawayCA, env: dict[str, str], args: argparse.Namespace, *, flood: bool
) -> dict[str, Any]:
    SilentS3.stop = threading.Event()
    extra = ["-k", args.worker_class]
    if args.worker_class == "gthread":
        extra += ["--threads", str(args.threads)]
    with Gunicorn("bench_verification:flood_app()", env, *extra, workers=1) as server:
        body = envelope(timestamp=datetime.now(UTC), application_id=SKILL_ID)
        headers = ca.headers(body)
        status, reply = post(server.port, "/alexa", body, headers, source_address(0, 10**6))
        if status != 200:
            raise SystemExit(f"The warm-up request got HTTP {status}: {reply[:300]!r}")
        ctx = mp.get_context("fork")
        queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
        attackers = [
            ctx.Process(target=_attacker, args=(server.port, i, args.seconds, queue))
            for i in range(args.attackers if flood else 0)
        ]
        for process in attackers:
            process.start()
        try:
            latencies, failures = _measure(server.port, body, headers, args.seconds)
            results = [queue.get(timeout=args.seconds + 30) for _ in attackers]
        finally:
            SilentS3.stop.set()
            for process in attackers:
                process.join(timeout=10)
                if process.is_alive():
                    process.kill()
    statuses: dict[int, int] = {}
    forged_ms: list[float] = []
    for counts, times in results:
        for code, count in counts.items():
            statuses[code] = statuses.get(code, 0) + count
        forged_ms += times
    return {
        "phase": "flood" if flood else "no flood",
        "real": len(latencies),
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": pct(latencies, 99),
        "max": max(latencies, default=float("nan")),
        "failures": failures,
        "forged": len(forged_ms),
        "forged_400": statuses.get(400, 0),
        "forged_p50": statistics.median(forged_ms) if forged_ms else float("nan"),
    }


def flood(args: argparse.Namespace) -> None:
    ca = ThrowawayCA(now=datetime.now(UTC))
    SilentS3.chain = ca.chain_pem()
    s3 = ThreadingHTTPServer(("127.0.0.1", 0), SilentS3)
    s3.daemon_threads = True
    s3_thread = threading.Thread(target=s3.serve_forever, daemon=True)
    s3_thread.start()
    runs: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            roots = Path(tmp) / "root.pem"
            roots.write_bytes(ca.root_pem)
            env = {
                "BENCH_FLOOD_ROOTS": str(roots),
                "BENCH_FLOOD_S3": f"http://127.0.0.1:{s3.server_address[1]}",
                "CORNERSHOP_STORE": "memory://",
                "ALEXA_SKILL_ID": SKILL_ID,
                "CORNERSHOP_LOG_LEVEL": "WARNING",
                "PYTHONPATH": str(Path(__file__).resolve().parent),
            }
            if args.verifier_file:
                env["BENCH_VERIFIER_FILE"] = str(Path(args.verifier_file).resolve())
            for _ in range(args.pairs):  # paired, alternating: flood, no flood, flood, ...
                runs.append(one_run(ca, env, args, flood=True))
                runs.append(one_run(ca, env, args, flood=False))
    finally:
        SilentS3.stop.set()
        s3.shutdown()
        s3.server_close()
        s3_thread.join(timeout=10)

    pool = f"-k {args.worker_class}" + (
        f" --threads {args.threads}" if args.worker_class == "gthread" else ""
    )
    verifier = args.verifier_file or "skill/verification.py"
    print()
    print(
        f"flood: gunicorn -w 1 {pool}, verifier {verifier}; loopback S3 answers only Alexa's "
        f"URL; {args.attackers} attackers, each one forged request (new URL) per "
        f"{ATTACK_INTERVAL_S * 1000:.0f} ms; real requests every {REAL_INTERVAL_S * 1000:.0f} "
        f"ms; {args.seconds:g} s per run, {args.pairs} pairs"
    )
    print(
        table(
            [
                (
                    r["phase"],
                    r["real"],
                    f"{r['p50']:.1f}",
                    f"{r['p99']:.1f}",
                    f"{r['max']:.1f}",
                    r["failures"],
                    r["forged"],
                    r["forged_400"],
                    f"{r['forged_p50']:.1f}" if r["forged"] else "-",
                )
                for r in runs
            ],
            [
                "run",
                "real reqs",
                "real p50 ms",
                "real p99 ms",
                "real max ms",
                "real non-200",
                "forged sent",
                "forged 400",
                "forged p50 ms",
            ],
        )
    )
    for phase in ("no flood", "flood"):
        mine = [r for r in runs if r["phase"] == phase]
        p50 = statistics.median(r["p50"] for r in mine)
        p99 = statistics.median(r["p99"] for r in mine)
        failures = sum(r["failures"] for r in mine)
        total = sum(r["real"] for r in mine)
        print(
            f"real-request latency {phase}: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
            f"(median of {len(mine)} runs); non-200 {failures} of {total}"
        )
    flooded = [r for r in runs if r["phase"] == "flood"]
    print(
        f"forged requests: {sum(r['forged'] for r in flooded)} sent, "
        f"{sum(r['forged_400'] for r in flooded)} answered 400, "
        f"p50 {statistics.median(r['forged_p50'] for r in flooded):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-flood", action="store_true", help="only the warm/cold figures")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each run")
    parser.add_argument("--pairs", type=int, default=3, help="flood/no-flood pairs")
    parser.add_argument("--attackers", type=int, default=8, help="attacker processes")
    parser.add_argument("--worker-class", choices=["gthread", "sync"], default="gthread")
    parser.add_argument("--threads", type=int, default=4, help="gthread threads")
    parser.add_argument("--verifier-file", help="RequestVerifier from this file instead")
    args = parser.parse_args()
    if not 0 < args.seconds <= 60 or not 0 < args.pairs <= 10 or not 0 < args.attackers <= 32:
        parser.error("keep it bounded: --seconds 0-60, --pairs 1-10, --attackers 1-32")
    warm_and_cold()
    if not args.no_flood:
        flood(args)


if __name__ == "__main__":
    main()
