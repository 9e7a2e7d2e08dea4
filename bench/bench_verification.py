"""Time RequestVerifier.verify on a warm cache and the first (cold) verification.

Run with ``python bench/bench_verification.py``. A throwaway CA signs one realistic request;
the fetcher is in-memory, so "cold" measures chain parsing and validation (no network) and
"warm" measures what every request pays once the chain is cached: header lookup, base64, the
URL rules, JSON parsing, the timestamp and skill-id checks and one RSA-2048 signature check.
Target: warm median at most 300 us.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from skill.testing.alexa_ca import ThrowawayCA, envelope
from skill.verification import RequestVerifier, load_trust_roots

N = 2000
SKILL_ID = "amzn1.ask.skill.bench"


def main() -> None:
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


if __name__ == "__main__":
    main()
