"""The offline NLU on a skill that is not Corner Shop: the test fixture Kitchen Timer.

Run with ``python bench/bench_nlu_other_skill.py``. For en-US, en-GB and de-DE it prints:

* **samples**: every sample utterance of the model, its slots filled with a spoken
  value of their type ("{Duration}" -> "ten minutes", expected "PT10M"), as an
  annotation set; intent and slot accuracy (SMAPI's pass rule);
* **paraphrases**: the hand-written annotation sets
  ``tests/fixtures/timer_skill/nlu/<locale>.paraphrases.csv`` (en-GB reuses en-US's),
  none of them a sample verbatim; intent and slot accuracy, and the misses;
* ms per utterance: median and p95 of the first pass, and the median of 20 warm
  passes (target: median at most 2 ms).

Every relative date resolves against 2026-11-27T10:00Z, so the figures do not move.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from skill.simulator.annotation_sets import Annotation, evaluate, load  # noqa: E402
from skill.simulator.models import ModelSet  # noqa: E402
from skill.simulator.nlu import Nlu  # noqa: E402

SKILL = ROOT / "tests" / "fixtures" / "timer_skill"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
STAMP = "2026-11-27T10:00:00.000Z"
#: a spoken value and the value Alexa sends, per slot type and language
FILLERS = {
    "en": {
        "AMAZON.DURATION": ("ten minutes", "PT10M"),
        "AMAZON.TIME": ("seven thirty pm", "19:30"),
        "AMAZON.DATE": ("tomorrow", "2026-11-28"),
        "AMAZON.FirstName": ("emma", "emma"),
        "AMAZON.Ordinal": ("second", "2"),
        "AMAZON.NUMBER": ("three", "3"),
        "AMAZON.FOUR_DIGIT_NUMBER": ("one two three four", "1234"),
        "AMAZON.SearchQuery": ("banana bread", "banana bread"),
        "Ingredient": ("flour", "flour"),
    },
    "de": {
        "AMAZON.DURATION": ("zehn minuten", "PT10M"),
        "AMAZON.TIME": ("halb acht", "07:30"),
        "AMAZON.DATE": ("morgen", "2026-11-28"),
        "AMAZON.FirstName": ("anna", "anna"),
        "AMAZON.Ordinal": ("zweiten", "2"),
        "AMAZON.NUMBER": ("drei", "3"),
        "AMAZON.FOUR_DIGIT_NUMBER": ("eins zwei drei vier", "1234"),
        "AMAZON.SearchQuery": ("bananenbrot", "bananenbrot"),
        "Ingredient": ("Mehl", "Mehl"),
    },
}
_SLOT = re.compile(r"\{(\w+)\}")


def sample_set(model: dict, language: str) -> list[Annotation]:
    """Every sample with its slots filled, as annotations."""
    annotations = []
    for intent in model["interactionModel"]["languageModel"]["intents"]:
        types = {s["name"]: s["type"] for s in intent.get("slots") or []}
        for sample in intent.get("samples") or []:
            values: dict[str, str] = {}
            parts = _SLOT.split(sample)  # words, slot name, words, slot name, ...
            for k in range(1, len(parts), 2):
                spoken, values[parts[k]] = FILLERS[language][types[parts[k]]]
                parts[k] = spoken
            text = "".join(parts)
            annotations.append(Annotation(text, ((intent["name"], values),), STAMP))
    return annotations


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timings(nlu: Nlu, utterances: list[str]) -> tuple[float, float, float]:
    cold = []
    for utterance in utterances:
        started = time.perf_counter()
        nlu.interpret(utterance, now=NOW)
        cold.append(time.perf_counter() - started)
    warm = []
    for _ in range(20):
        times = []
        for utterance in utterances:
            started = time.perf_counter()
            nlu.interpret(utterance, now=NOW)
            times.append(time.perf_counter() - started)
        warm.append(statistics.median(times))
    return statistics.median(cold), percentile(cold, 0.95), statistics.median(warm)


def main() -> None:
    models = ModelSet.find(SKILL)
    rows = []
    for locale in ("en-US", "en-GB", "de-DE"):
        language = locale.split("-")[0]
        nlu = Nlu(models.load(locale), locale)  # compiled fresh: the first pass is cold
        samples = sample_set(models.load(locale), language)
        paraphrase_file = (
            SKILL / "nlu" / f"{'de-DE' if language == 'de' else 'en-US'}.paraphrases.csv"
        )
        paraphrases = load(paraphrase_file)
        cold, p95, warm = timings(nlu, [a.utterance for a in samples + paraphrases])
        print(f"{locale}: {len(samples)} samples, {len(paraphrases)} paraphrases")
        figures = []
        for name, cases in (("samples", samples), ("paraphrases", paraphrases)):
            report = evaluate(cases, nlu, now=NOW)
            s = report.summary
            figures.append((s["intentAccuracy"], s["slotAccuracy"]))
            print(f"  {name:<12} intents {s['intentAccuracy']:.1%}, slots {s['slotAccuracy']:.1%}")
            for line in report.lines():
                if line.startswith("FAILED"):
                    print(f"    miss: {line[8:]}")
        print(
            f"  ms per utterance: median {cold * 1000:.3f}, p95 {p95 * 1000:.3f} (first pass); "
            f"median {warm * 1000:.3f} (warm)  target median <= 2 ms"
        )
        rows.append((locale, *figures[0], *figures[1], cold, warm))
    print()
    header = "locale   samples (intents / slots)   paraphrases (intents / slots)"
    print(f"{header}   median ms (cold / warm)")
    for locale, si, ss, pi, ps, cold, warm in rows:
        print(
            f"{locale:<8} {si:>7.1%} / {ss:>6.1%}            {pi:>7.1%} / {ps:>6.1%}"
            f"                {cold * 1000:.3f} / {warm * 1000:.3f}"
        )


if __name__ == "__main__":
    main()
