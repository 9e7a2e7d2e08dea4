"""Throughput of POST /alexa under gunicorn (2 workers), verification on versus off.

    python bench/bench_web.py [--seconds 5] [--clients 4]

Both servers run the same app with the SQLite store; "on" verifies every request
(a throwaway CA stands in for Amazon's, the chain is served from a file, so the
warm path is what is measured), "off" skips verification. The signed LaunchRequest
body is re-signed per client with a fresh timestamp. Loopback only, bounded in time.
Target: on >= 85% of off.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _servers import REPO, Gunicorn, run_load, table

from skill.testing.alexa_ca import ThrowawayCA, envelope


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    ca = ThrowawayCA(now=datetime.now(UTC))
    body = envelope(timestamp=datetime.now(UTC), application_id="amzn1.ask.skill.bench")
    headers = ca.headers(body)

    def plan(i: int, n: int) -> tuple[str, bytes, dict[str, str]]:
        return "/alexa", body, headers

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "root.pem").write_bytes(ca.root_pem)
        (t / "chain.pem").write_bytes(ca.chain_pem())
        common = {
            "CORNERSHOP_STORE": f"sqlite:///{t / 'shop.db'}",
            "ALEXA_SKILL_ID": "amzn1.ask.skill.bench",
            "CORNERSHOP_LOG_LEVEL": "WARNING",
        }
        results = {}
        with Gunicorn(
            "signed_app:app",
            {
                **common,
                "CORNERSHOP_TEST_ROOTS": str(t / "root.pem"),
                "CORNERSHOP_TEST_CHAIN": str(t / "chain.pem"),
            },
            "--pythonpath",
            str(REPO / "tests" / "support"),
        ) as on:
            run_load(on.port, plan, clients=args.clients, seconds=1.0)  # warm up
            results["on"] = run_load(on.port, plan, clients=args.clients, seconds=args.seconds)
        with Gunicorn("skill.web:create_app()", {**common, "CORNERSHOP_VERIFY": "false"}) as off:
            run_load(off.port, plan, clients=args.clients, seconds=1.0)
            results["off"] = run_load(off.port, plan, clients=args.clients, seconds=args.seconds)
    for name, r in results.items():
        rows.append(
            [
                f"verification {name}",
                r.requests,
                r.errors,
                f"{r.rps:.0f}",
                f"{r.p50:.2f}",
                f"{r.pct(95):.2f}",
                f"{r.pct(99):.2f}",
            ]
        )
    print(table(rows, ["server", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms"]))
    ratio = results["on"].rps / results["off"].rps
    print(f"throughput with verification on / off: {ratio:.1%} (target >= 85%)")
    if any(r.errors for r in results.values()):
        print("ERRORS: some requests failed, so these figures are not valid", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
