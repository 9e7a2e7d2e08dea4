"""Accuracy and speed of the offline NLU per locale, and the wall time of a 10-turn simulate.

Run with ``python bench/bench_nlu.py`` (``--quick`` skips the subprocess timing).
Reads every annotation set ``tests/nlu/<locale>.json`` (SMAPI's NLU annotation
set format, so the same files run against Alexa's NLU evaluation API) and
prints, per locale:

* intent accuracy and slot accuracy (SMAPI's pass rule: the intent, and every
  slot value as heard), against the targets in :data:`TARGETS` (en-US: 97% / 95%;
  every other locale: 95% intents);
* median and p95 milliseconds per utterance, over every utterance parsed once cold (the
  model compiled, nothing else cached) and then the median of 20 warm passes (target:
  median at most 2 ms);
* the misses, so a change that trades one line for another shows up.

Then the wall time of ``cornershop simulate`` with 10 utterances in a fresh process,
process start and imports included, the best of 3 runs (target: under 1.5 s), in
en-US and de-DE (the German run includes loading ``text2num``).
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
from skill.simulator.annotation_sets import Annotation, evaluate, load  # noqa: E402
from skill.simulator.nlu import Nlu  # noqa: E402

LABELLED = ROOT / "tests" / "nlu"
#: locale: (intent accuracy, slot exact match); other locales: DEFAULT_TARGET
TARGETS = {"en-US": (0.97, 0.95), "de-DE": (0.95, 0.95), "en-GB": (0.95, 0.95)}
DEFAULT_TARGET = (0.95, 0.90)
TEN_TURNS = {
    "en-US": [
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
    ],
    "de-DE": [
        "öffne tante emma",
        "füge zwei Äpfel hinzu",
        "füge etwas hinzu",
        "ein Brot",
        "was kostet Milch",
        "ja",
        "was ist in meinem Warenkorb",
        "zur Kasse",
        "ja",
        "was war meine letzte Bestellung",
    ],
}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def simulate_seconds(locale: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORNERSHOP_", "ALEXA_"))}
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "skill.cli", "simulate", "--locale", locale, *TEN_TURNS[locale]],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        best = min(best, time.perf_counter() - started)
    return best


def bench_locale(locale: str, rows: list[Annotation]) -> tuple[float, float, float, float]:
    """Print one locale's figures; return (intent accuracy, slot accuracy, cold and warm median)."""
    nlu = Nlu(load_model(locale), locale)
    cold: list[float] = []
    for row in rows:
        started = time.perf_counter()
        nlu.interpret(row.utterance)
        cold.append(time.perf_counter() - started)
    report = evaluate(rows, nlu)
    warm: list[float] = []
    for _ in range(20):
        times = []
        for row in rows:
            started = time.perf_counter()
            nlu.interpret(row.utterance)
            times.append(time.perf_counter() - started)
        warm.append(statistics.median(times))
    n = len(rows)
    summary = report.summary
    intents, slots = summary["intentAccuracy"], summary["slotAccuracy"]
    intent_target, slot_target = TARGETS.get(locale, DEFAULT_TARGET)
    cold_median, warm_median = statistics.median(cold), statistics.median(warm)
    print(f"{locale}: {n} annotations")
    print(f"  intent accuracy:     {intents:.1%}  (target >= {intent_target:.0%})")
    print(f"  slot accuracy:       {slots:.1%}  (target >= {slot_target:.0%})")
    print(
        f"  ms per utterance:    median {cold_median * 1000:.3f}, "
        f"p95 {percentile(cold, 0.95) * 1000:.3f} (first pass); "
        f"median {warm_median * 1000:.3f} (warm)  target median <= 2 ms"
    )
    misses = [line for line in report.lines() if line.startswith("FAILED")]
    if misses:
        print("  misses:")
        print("\n".join(f"    {line[8:]}" for line in misses))
    return intents, slots, cold_median, warm_median


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    summary = []
    for path in sorted(LABELLED.glob("*.json")):
        summary.append((path.stem, *bench_locale(path.stem, load(path))))
    print()
    print("locale   intents   slots    median ms (cold / warm)")
    for locale, intents, slots, cold, warm in summary:
        print(
            f"{locale:<8} {intents:>7.1%}  {slots:>6.1%}    {cold * 1000:.3f} / {warm * 1000:.3f}"
        )
    if not quick:
        for locale in TEN_TURNS:
            print(
                f"10-turn simulate ({locale}): {simulate_seconds(locale):.3f} s wall, process "
                "start included (best of 3, target < 1.5 s)"
            )


if __name__ == "__main__":
    main()
