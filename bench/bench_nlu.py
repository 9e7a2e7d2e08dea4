"""Accuracy and speed of the offline NLU, and the wall time of a 10-turn ``cornershop simulate``.

Run with ``python bench/bench_nlu.py``. Reads the labelled set ``tests/nlu/en-US.tsv``
(utterance, intent, slots as ``Item=ID;Quantity=N``; an unresolved item is its heard
value) and prints:

* intent accuracy and slot exact-match accuracy (target: at least 97% and 95%);
* median and p95 milliseconds per utterance, over every utterance parsed once cold (the
  model compiled, nothing else cached) and then the median of 20 warm passes (target:
  median at most 2 ms);
* the wall time of ``cornershop simulate`` with 10 utterances in a fresh process, process
  start and imports included, the best of 3 runs (target: under 1.5 s).

The misses are listed, so a change that trades one line for another shows up.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from skill.interaction import load_model  # noqa: E402
from skill.simulator.nlu import Nlu, NluResult  # noqa: E402

LABELLED = ROOT / "tests" / "nlu" / "en-US.tsv"
TEN_TURNS = [
    "open corner shop",
    "add two apples",
    "add",
    "a loaf of bread",
    "how much is milk",
    "yes",
    "what's in my cart",
    "check out",
    "yes",
    "what was my last order",
]


def read_set() -> list[tuple[str, str, dict[str, str]]]:
    rows = []
    for line in LABELLED.read_text("utf-8").splitlines()[1:]:
        utterance, intent, slots = line.split("\t")
        rows.append((utterance, intent, dict(p.split("=", 1) for p in slots.split(";") if p)))
    return rows


def slots_of(result: NluResult) -> dict[str, str]:
    return {name: (fill.id or fill.value) for name, fill in result.slots.items()}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def simulate_seconds() -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORNERSHOP_", "ALEXA_"))}
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "skill.cli", "simulate", *TEN_TURNS],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    rows = read_set()
    nlu = Nlu(load_model("en-US"), "en-US")
    cold: list[float] = []
    intents = slots = 0
    misses: list[str] = []
    for utterance, intent, gold in rows:
        started = time.perf_counter()
        result = nlu.parse(utterance)
        cold.append(time.perf_counter() - started)
        intents += result.intent == intent
        slots += slots_of(result) == gold
        if result.intent != intent or slots_of(result) != gold:
            misses.append(
                f"  {utterance!r}: expected {intent} {gold}, got {result.intent} "
                f"{slots_of(result)} ({result.confidence:.2f})"
            )
    warm: list[float] = []
    for _ in range(20):
        times = []
        for utterance, _intent, _gold in rows:
            started = time.perf_counter()
            nlu.parse(utterance)
            times.append(time.perf_counter() - started)
        warm.append(statistics.median(times))
    n = len(rows)
    print(f"labelled utterances:   {n}")
    print(f"intent accuracy:       {intents / n:.1%}  ({intents}/{n}, target >= 97%)")
    print(f"slot exact match:      {slots / n:.1%}  ({slots}/{n}, target >= 95%)")
    print(
        f"ms per utterance:      median {statistics.median(cold) * 1000:.3f}, "
        f"p95 {percentile(cold, 0.95) * 1000:.3f} (first pass); "
        f"median {statistics.median(warm) * 1000:.3f} (warm)  target median <= 2 ms"
    )
    print(
        f"10-turn simulate:      {simulate_seconds():.3f} s wall, process start included "
        "(best of 3, target < 1.5 s)"
    )
    if misses:
        print("misses:")
        print("\n".join(misses))


if __name__ == "__main__":
    main()
