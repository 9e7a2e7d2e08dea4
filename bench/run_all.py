"""Run every benchmark and print one table; ``--write`` also records it in BENCHMARKS.md.

    python bench/run_all.py [--quick] [--write]

Every figure is measured in this one run, side by side with its baseline, and shown
as a ratio to it where the issue sets a target. Loopback only; every load phase is
bounded in time. ``--quick`` shortens the load phases (for a smoke run, not a record).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def run(*args: str, timeout: float = 900) -> str:
    started = time.monotonic()
    print(f"$ {' '.join(args)}", file=sys.stderr, flush=True)
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    print(f"  ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{args[0]} failed with exit code {proc.returncode}")
    return proc.stdout


def grab(pattern: str, text: str, group: int = 1) -> str:
    match = re.search(pattern, text, re.MULTILINE)
    return match.group(group) if match else "?"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="short load phases")
    parser.add_argument("--write", action="store_true", help="record the table in BENCHMARKS.md")
    args = parser.parse_args()
    seconds = "3" if args.quick else "10"
    rows: list[tuple[str, str, str, str]] = []  # figure, ours, baseline, ratio / target

    lam = json.loads(run("bench/bench_lambda.py", "--json", "--runs", "5" if args.quick else "11"))
    hello = lam["warm_hello_us"]["hello intent"]
    rows.append(
        (
            "Cold start: import + first LaunchRequest (in process, median)",
            f"{lam['cold_ours_ms']:.1f} ms",
            f"{lam['cold_hello_ms']:.1f} ms hello world",
            f"{lam['cold_ours_ms'] / lam['cold_hello_ms']:.2f}x (target ≤ 1.2x)",
        )
    )
    rows.append(
        (
            "Cold start: whole fresh process, interpreter start included",
            f"{lam['process_ours_ms']:.1f} ms",
            f"{lam['process_hello_ms']:.1f} ms hello world",
            f"{lam['process_ours_ms'] / lam['process_hello_ms']:.2f}x",
        )
    )
    for name, us in lam["warm_us"].items():
        if name == "process_ms":
            continue
        target = " (target ≤ 3x)" if name == "add_item" else ""
        rows.append(
            (
                f"Warm CPU per request: {name} (SQLite)",
                f"{us:.0f} µs",
                f"{hello:.0f} µs hello intent",
                f"{us / hello:.2f}x{target}",
            )
        )
    rows.append(
        (
            "Peak RSS after 1000 mixed requests",
            f"{lam['peak_rss_mb']:.1f} MB",
            f"{lam['peak_rss_hello_mb']:.1f} MB hello world",
            "target ≤ 64 MB",
        )
    )

    ver = run("bench/bench_verification.py")
    verify_us = grab(r"warm median: ([\d.]+)", ver)
    rows.append(
        (
            "Request verification, warm cache (median)",
            f"{verify_us} µs",
            "—",
            "target ≤ 300 µs",
        )
    )

    web = run("bench/bench_web.py", "--seconds", seconds)
    on, off = (
        grab(r"^verification on +\| \d+ +\| \d+ +\| (\d+) +\|", web),
        grab(r"^verification off +\| \d+ +\| \d+ +\| (\d+) +\|", web),
    )
    on_off = grab(r"on / off: ([\d.]+%)", web)
    rows.append(
        (
            "/alexa under gunicorn -w 2: verification on vs off",
            f"{on} req/s",
            f"{off} req/s off",
            f"{on_off} (target ≥ 85%)",
        )
    )

    load = run("bench/bench_load.py", "--seconds", seconds)
    ours = re.search(
        r"^corner shop \(verify on\) +\| (\d+) +\| (\d+) +\| (\d+) +\| ([\d.]+) +\| "
        r"([\d.]+) +\| ([\d.]+)",
        load,
        re.MULTILINE,
    )
    bare = grab(r"^bare flask constant +\| \d+ +\| \d+ +\| (\d+)", load)
    if ours:
        rows.append(
            (
                "Load: mixed conversation, signed, gunicorn -w 2 (req/s; errors)",
                f"{ours.group(3)} req/s; {ours.group(2)} errors",
                f"{bare} req/s bare Flask",
                grab(r"ceiling: ([\d.]+%)", load),
            )
        )
        consistency = grab(r"consistency: (\w+)", load)
        rows.append(
            (
                "Load: latency p50 / p95 / p99",
                f"{ours.group(4)} / {ours.group(5)} / {ours.group(6)} ms",
                "—",
                f"consistency {consistency}",
            )
        )

    nlu = run("bench/bench_nlu.py")
    # The summary table: "locale  intents  slots  median ms (cold / warm)".
    summary = re.findall(
        r"^([a-z]{2}-[A-Z]{2}) +([\d.]+%) +([\d.]+%) +([\d.]+) / ([\d.]+)$", nlu, re.MULTILINE
    )
    for locale, intents, slots, cold_ms, _warm_ms in summary:
        target = "≥ 97% / ≥ 95%" if locale == "en-US" else "≥ 95% intents"
        rows.append(
            (
                f"NLU {locale}: intents; slots exact; median ms",
                f"{intents}; {slots}; {cold_ms} ms",
                "—",
                f"target {target}, ≤ 2 ms",
            )
        )
    simulate_s = grab(r"10-turn simulate \(en-US\): ([\d.]+) s", nlu)
    rows.append(
        (
            "10-turn `cornershop simulate`, process start included",
            f"{simulate_s} s",
            "—",
            "target < 1.5 s",
        )
    )

    with tempfile.TemporaryDirectory() as tmp:
        pkg = subprocess.run(
            [str(Path(sys.executable).with_name("cornershop")), "package", "--out", tmp],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    for name, budget in (
        ("function.zip", "≤ 300 KB"),
        ("layer.zip", "≤ 15 MB zipped, ≤ 60 MB unzipped"),
    ):
        m = re.search(rf"{name}: (\d+) bytes zipped, (\d+) bytes unzipped", pkg.stdout)
        value = (
            f"{int(m.group(1)) / 1e3:.0f} KB zipped, {int(m.group(2)) / 1e3:.0f} KB unzipped"
            if m
            else f"build failed: {pkg.stderr.strip()[-200:]}"
        )
        rows.append((f"Package size: {name}", value, "—", budget))

    header = ("figure", "Corner Shop", "baseline", "ratio / target")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    table = "\n".join(lines)
    print(table)
    if args.write:
        command = "python bench/run_all.py" + (" --quick" if args.quick else "")
        text = (
            "# Benchmarks\n\n"
            f"Recorded {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command} --write`, on "
            f"{machine()}. The machine is shared, so treat single figures as ±10%; ratios are "
            "measured side by side in the same run and are steadier.\n\n"
            f"{table}\n\n"
            "Baselines: *hello world* is a minimal ask-sdk-core skill (Launch + one intent, the "
            "SDK's own `SkillBuilder.lambda_handler()`), built by `bench/bench_lambda.py`; *bare "
            "Flask* is a Flask app under the same gunicorn settings returning a constant Alexa "
            "response (`bench/bench_load.py`). Each bench script prints more detail when run "
            "alone.\n"
        )
        (REPO / "BENCHMARKS.md").write_text(text, "utf-8")
        print("wrote BENCHMARKS.md", file=sys.stderr)


if __name__ == "__main__":
    main()
