"""Throughput of POST /alexa under gunicorn (2 workers), verification on versus off.

    python bench/bench_web.py [--seconds 3] [--rounds 4] [--clients 4] [--json]

Both servers run the same app with the SQLite store, side by side; "on" verifies every
request (a throwaway CA stands in for Amazon's, the chain is served from a file, so the
warm path is what is measured), "off" skips verification. The requests are signed once,
before anything is timed, so the clients only send. The rounds alternate (on, off, on,
off, ...); the figure is the median of the per-round on/off ratios, with their spread.
The clients run on the same cores as the servers; their CPU share of the machine is
printed beside the servers'. Loopback only, bounded in time. Target: on >= 85% of off.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _servers import REPO, Gunicorn, LoadResult, run_load, table

from skill.testing.alexa_ca import ThrowawayCA, envelope


def measure(seconds: float, rounds: int, clients: int) -> dict[str, Any]:
    ca = ThrowawayCA(now=datetime.now(UTC))
    # Signed now, once: the timestamp stays within the 150 s window for the whole run.
    body = envelope(timestamp=datetime.now(UTC), application_id="amzn1.ask.skill.bench")
    headers = ca.headers(body)

    def plan(i: int, n: int) -> tuple[str, bytes, dict[str, str]]:
        return "/alexa", body, headers

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "root.pem").write_bytes(ca.root_pem)
        (t / "chain.pem").write_bytes(ca.chain_pem())
        common = {
            "CORNERSHOP_STORE": f"sqlite:///{t / 'shop.db'}",
            "ALEXA_SKILL_ID": "amzn1.ask.skill.bench",
            "CORNERSHOP_LOG_LEVEL": "WARNING",
        }
        signed_env = {
            **common,
            "CORNERSHOP_TEST_ROOTS": str(t / "root.pem"),
            "CORNERSHOP_TEST_CHAIN": str(t / "chain.pem"),
        }
        support = ("--pythonpath", str(REPO / "tests" / "support"))
        rows: list[dict[str, Any]] = []
        with (
            Gunicorn("signed_app:app", signed_env, *support) as on,
            Gunicorn("skill.web:create_app()", {**common, "CORNERSHOP_VERIFY": "false"}) as off,
        ):
            servers = {"on": on, "off": off}
            for server in servers.values():
                run_load(server.port, plan, clients=clients, seconds=1.0)  # warm up
            for n in range(rounds):
                for name, server in servers.items():
                    cpu0 = server.cpu_seconds()
                    started = time.perf_counter()
                    result = run_load(server.port, plan, clients=clients, seconds=seconds)
                    server_cpu = server.cpu_seconds() - cpu0
                    rows.append(_row(name, n, result, server_cpu, time.perf_counter() - started))
    ratios = [
        on_row["rps"] / off_row["rps"]
        for on_row, off_row in zip(rows[0::2], rows[1::2], strict=True)
    ]
    return {
        "rounds": rows,
        "ratio": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "on_rps": statistics.median(r["rps"] for r in rows if r["server"] == "on"),
        "off_rps": statistics.median(r["rps"] for r in rows if r["server"] == "off"),
        "client_share": statistics.median(r["client_share"] for r in rows),
        "server_share": statistics.median(r["server_share"] for r in rows),
        "errors": sum(r["errors"] for r in rows),
        "seconds": seconds,
        "clients": clients,
    }


def _row(name: str, n: int, r: LoadResult, server_cpu: float, wall: float) -> dict[str, Any]:
    cores = os.cpu_count() or 1
    return {
        "server": name,
        "round": n + 1,
        "requests": r.requests,
        "errors": r.errors,
        "rps": r.rps,
        "p50_ms": r.p50,
        "p95_ms": r.pct(95),
        "p99_ms": r.pct(99),
        "client_share": r.client_share,
        "server_share": server_cpu / (wall * cores),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per server, alternating")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.seconds, args.rounds, args.clients)
    if args.json:
        print(json.dumps(result))
    else:
        rows = [
            [
                f"verification {r['server']}",
                r["round"],
                r["requests"],
                r["errors"],
                f"{r['rps']:.0f}",
                f"{r['p50_ms']:.2f}",
                f"{r['p99_ms']:.2f}",
                f"{r['client_share']:.0%}",
                f"{r['server_share']:.0%}",
            ]
            for r in result["rounds"]
        ]
        header = ["server", "round", "requests", "errors", "req/s", "p50 ms", "p99 ms"]
        print(table(rows, [*header, "clients' CPU", "server CPU"]))
        print(
            f"throughput with verification on / off: {result['ratio']:.1%} median of "
            f"{len(result['rounds']) // 2} alternating rounds (spread "
            f"{result['ratio_min']:.1%}-{result['ratio_max']:.1%}; target >= 85%); "
            f"on {result['on_rps']:.0f} req/s, off {result['off_rps']:.0f} req/s"
        )
        print(
            f"load clients used {result['client_share']:.0%} of the machine's CPU (requests "
            f"signed before the run), the servers {result['server_share']:.0%}"
        )
    if result["errors"]:
        print("ERRORS: some requests failed, so these figures are not valid", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
