"""Run every benchmark and print one table; ``--write`` also records it in BENCHMARKS.md.

    python bench/run_all.py [--quick] [--write]

Every figure is measured in this one run, side by side with its baseline where it has
one, and each row names the command that produced it (run that command alone for more
detail). Loopback only; every phase is bounded in time and count. ``--quick`` shortens
the phases (a smoke run, not a record).

To add a script's figures, append a :class:`Bench` to :data:`BENCHES`: the command line
(full and quick) and a function that turns the script's standard output into rows. A
script that prints ``{"rows": [[figure, ours, baseline, target], ...]}`` as its last line
can use :func:`json_rows` as that function.
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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

from skill.packaging import FUNCTION_ZIP_BUDGET  # noqa: E402  (the budget the build enforces)

# figure, Corner Shop, baseline, ratio / target (the command is added by the runner)
Row = tuple[str, str, str, str]


@dataclass(frozen=True)
class Bench:
    """One script: how to run it (``python <args>`` from the checkout) and read its output."""

    args: list[str]
    quick_args: list[str]
    rows: Callable[[str], list[Row]]
    timeout: float = 900


def run(args: list[str], timeout: float = 900) -> str:
    started = time.monotonic()
    print(f"$ {command_text(args)}", file=sys.stderr, flush=True)
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


def json_rows(stdout: str) -> list[Row]:
    """Rows from a script whose last line is ``{"rows": [[figure, ours, baseline, target]]}``."""
    data = json.loads(stdout.strip().splitlines()[-1])
    return [tuple(str(cell) for cell in row) for row in data["rows"]]  # type: ignore[misc]


# -- readers, one per script ------------------------------------------------------------------
def lambda_rows(stdout: str) -> list[Row]:
    lam: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    rows: list[Row] = []
    what = {
        "source": "no bytecode (the zips as Lambda would compile them)",
        "bytecode": "with bytecode",
        "dynamodb_source": "DynamoDB store (moto on loopback), no bytecode",
        "dynamodb_bytecode": "DynamoDB store (moto on loopback), with bytecode",
    }
    for version, figures in lam["interpreters"].items():
        for key, label in what.items():
            f = figures.get(key)
            if not f:
                continue
            target = "target ≤ 0.9x" if key in {"source", "bytecode"} else "—"
            rows.append(
                (
                    f"Cold start, Python {version}, {label}: import + first LaunchRequest, "
                    "whole process, Lambda layout",
                    f"{f['ours_ms']:.0f} ms",
                    f"{f['base_ms']:.0f} ms hello world",
                    f"{f['ratio']:.2f}x (pairs {f['ratio_min']:.2f}–{f['ratio_max']:.2f}, CPU "
                    f"{f['cpu_ratio']:.2f}x; {target})",
                )
            )
            if "boto3_import_ms" in f:
                rows.append(
                    (
                        f"Init phase, Python {version}, {label}: boto3 import + DynamoDB client "
                        "(once per container)",
                        f"{f['boto3_import_ms']:.0f} + {f['boto3_client_ms']:.0f} ms",
                        "—",
                        f"boto3 alone, whole process {f['boto3_process_ms']:.0f} ms; Corner Shop "
                        f"init {f['ours_init_ms']:.0f} ms + first request "
                        f"{f['ours_first_ms']:.0f} ms",
                    )
                )
    warm = lam.get("warm")
    if warm:
        hello = warm["hello"]["us"]["hello intent"]
        for name, us in warm["ours"]["us"].items():
            target = " (target ≤ 3x)" if name.startswith("add_item") else ""
            rows.append(
                (
                    f"Warm CPU per request: {name} (Python {lam['warm_python']}, SQLite)",
                    f"{us:.0f} µs",
                    f"{hello:.0f} µs hello intent",
                    f"{us / hello:.2f}x{target}",
                )
            )
        nocache = warm.get("ours_nocache", {}).get("us", {})
        for name, us in nocache.items():
            if name.startswith(("price", "add_item")):
                rows.append(
                    (
                        f"Warm CPU per request without the catalog cache (TTL 0): {name}",
                        f"{us:.0f} µs",
                        f"{warm['ours']['us'][name]:.0f} µs with the 30 s cache",
                        f"{us / hello:.2f}x hello intent",
                    )
                )
        rows.append(
            (
                "Peak RSS after 1000 mixed requests",
                f"{warm['ours']['peak_rss_mb']:.1f} MB",
                f"{warm['hello']['peak_rss_mb']:.1f} MB hello world",
                "target ≤ 64 MB",
            )
        )
    return rows


def verification_rows(stdout: str) -> list[Row]:
    warm_us = grab(r"warm median: ([\d.]+)", stdout)
    return [("Request verification, warm cache (median)", f"{warm_us} µs", "—", "target ≤ 300 µs")]


def flood_rows(stdout: str) -> list[Row]:
    def latency(phase: str) -> tuple[str, str, str]:
        pattern = (
            rf"^real-request latency {phase}: p50 ([\d.]+) ms, p99 ([\d.]+) ms"
            r".*non-200 (\d+ of \d+)"
        )
        return grab(pattern, stdout, 1), grab(pattern, stdout, 2), grab(pattern, stdout, 3)

    flood, calm = latency("flood"), latency("no flood")
    forged = grab(r"^forged requests: (.*)$", stdout)
    return [
        (
            "Real signed requests during a forged-certificate-URL flood, p50 / p99",
            f"{flood[0]} / {flood[1]} ms (non-200: {flood[2]})",
            f"{calm[0]} / {calm[1]} ms no flood",
            f"forged: {forged}",
        )
    ]


def slow_client_rows(stdout: str) -> list[Row]:
    cells: dict[tuple[str, str], list[str]] = {}
    for line in stdout.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 7 and parts[1].isdigit():
            cells[(parts[0], parts[1])] = parts[2:]

    def show(server: str, slow: str) -> str:
        requests, timeouts, p50, p99, _held = cells.get((server, slow), ["?"] * 5)
        return f"{p50} / {p99} ms ({timeouts} of {requests} timed out)"

    rows: list[Row] = []
    for server in dict.fromkeys(server for server, _ in cells):
        slow = max((s for srv, s in cells if srv == server), key=int)
        held = cells[(server, slow)][4]
        rows.append(
            (
                f"Real signed requests with {slow} slow clients, {server}, p50 / p99",
                show(server, slow),
                show(server, "0") + " without",
                f"slow clients held {held}",
            )
        )
    return rows


def web_rows(stdout: str) -> list[Row]:
    web: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return [
        (
            "/alexa under gunicorn -w 2: verification on vs off "
            f"({len(web['rounds']) // 2} alternating rounds of {web['seconds']:.0f} s)",
            f"{web['on_rps']:.0f} req/s",
            f"{web['off_rps']:.0f} req/s off",
            f"{web['ratio']:.1%} (rounds {web['ratio_min']:.1%}–{web['ratio_max']:.1%}; "
            f"clients' CPU {web['client_share']:.0%} of the machine; target ≥ 85%)",
        )
    ]


def load_rows(stdout: str) -> list[Row]:
    ours = re.search(
        r"^corner shop \(verify on\) +\| (\d+) +\| (\d+) +\| (\d+) +\| ([\d.]+) +\| "
        r"([\d.]+) +\| ([\d.]+)",
        stdout,
        re.MULTILINE,
    )
    if not ours:
        return [("Load: mixed conversation", "unreadable output", "—", "—")]
    bare = grab(r"^bare flask constant +\| \d+ +\| \d+ +\| (\d+)", stdout)
    clients = grab(r"load clients used (\d+%)", stdout)
    sign = grab(r"(\d+) us per signature", stdout)
    ceiling = grab(r"ceiling: ([\d.]+%)", stdout)
    consistency = grab(r"consistency: (\w+)", stdout)
    return [
        (
            "Load: mixed conversation, signed, gunicorn -w 2 (req/s; errors)",
            f"{ours.group(3)} req/s; {ours.group(2)} errors",
            f"{bare} req/s bare Flask",
            f"{ceiling} (clients' CPU {clients} of the machine, signing {sign} µs per request)",
        ),
        (
            "Load: latency p50 / p95 / p99",
            f"{ours.group(4)} / {ours.group(5)} / {ours.group(6)} ms",
            "—",
            f"consistency {consistency}",
        ),
    ]


def nlu_rows(stdout: str) -> list[Row]:
    # The summary table: "locale  intents  slots  median ms (cold / warm)".
    summary = re.findall(
        r"^([a-z]{2}-[A-Z]{2}) +([\d.]+%) +([\d.]+%) +([\d.]+) / ([\d.]+)$", stdout, re.MULTILINE
    )
    rows: list[Row] = []
    for locale, intents, slots, cold_ms, _warm_ms in summary:
        target = "≥ 97% / ≥ 95%" if locale == "en-US" else "≥ 95% intents"
        rows.append(
            (
                f"NLU {locale}: intents; slots (SMAPI rule); median ms",
                f"{intents}; {slots}; {cold_ms} ms",
                "—",
                f"target {target}, ≤ 2 ms",
            )
        )
    return rows


SIMULATE_RUNS = 5


def simulate_rows(stdout: str) -> list[Row]:
    data = json.loads(stdout.strip().splitlines()[-1])
    return [
        (
            "10-turn `cornershop simulate` (en-US), process start included",
            f"{data['median_s']:.3f} s",
            "—",
            f"median of {data['runs']} (spread {data['min_s']:.3f}–{data['max_s']:.3f}); "
            "target < 1.5 s",
        )
    ]


# The simulate figure: a fresh process per run, median of several (not a best-of).
SIMULATE = f"""
import json, os, statistics, subprocess, sys, time
sys.path.insert(0, "bench")
from bench_nlu import TEN_TURNS
env = {{k: v for k, v in os.environ.items() if not k.startswith(("CORNERSHOP_", "ALEXA_"))}}
times = []
for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else {SIMULATE_RUNS}):
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "skill.cli", "simulate", "--locale", "en-US",
                    *TEN_TURNS["en-US"]], env=env, check=True, capture_output=True)
    times.append(time.perf_counter() - started)
print(json.dumps({{"median_s": statistics.median(times), "min_s": min(times),
                  "max_s": max(times), "runs": len(times)}}))
"""


def package_rows(stdout: str) -> list[Row]:
    rows: list[Row] = []
    for name, budget in (
        ("function.zip", f"≤ {FUNCTION_ZIP_BUDGET // 1000} KB"),
        ("layer.zip", "≤ 15 MB zipped, ≤ 60 MB unzipped"),
    ):
        m = re.search(rf"{name}: (\d+) bytes zipped, (\d+) bytes unzipped", stdout)
        value = (
            f"{int(m.group(1)) / 1e3:.0f} KB zipped, {int(m.group(2)) / 1e3:.0f} KB unzipped"
            if m
            else "not built (see the command's error)"
        )
        rows.append((f"Package size: {name}", value, "—", budget))
    return rows


PACKAGE_OUT = Path(tempfile.gettempdir()) / "cornershop-run-all-dist"

BENCHES: list[Bench] = [
    Bench(
        ["bench/bench_lambda.py", "--json", "--runs", "15"],
        ["bench/bench_lambda.py", "--json", "--runs", "5", "--repeat", "100"],
        lambda_rows,
    ),
    Bench(
        ["bench/bench_verification.py", "--pairs", "3"],
        ["bench/bench_verification.py", "--pairs", "1", "--seconds", "2"],
        lambda out: verification_rows(out) + flood_rows(out),
    ),
    Bench(
        ["bench/bench_slow_clients.py", "--rounds", "3", "--no-throughput"],
        ["bench/bench_slow_clients.py", "--rounds", "1", "--requests", "60", "--no-throughput"],
        slow_client_rows,
    ),
    Bench(
        ["bench/bench_web.py", "--json", "--seconds", "3", "--rounds", "4"],
        ["bench/bench_web.py", "--json", "--seconds", "1", "--rounds", "2"],
        web_rows,
    ),
    Bench(
        ["bench/bench_load.py", "--seconds", "10"],
        ["bench/bench_load.py", "--seconds", "3"],
        load_rows,
    ),
    Bench(["bench/bench_nlu.py", "--quick"], ["bench/bench_nlu.py", "--quick"], nlu_rows),
    Bench(["-c", SIMULATE, str(SIMULATE_RUNS)], ["-c", SIMULATE, "3"], simulate_rows),
    Bench(
        ["-m", "skill.cli", "package", "--out", str(PACKAGE_OUT)],
        ["-m", "skill.cli", "package", "--out", str(PACKAGE_OUT)],
        package_rows,
    ),
]


def command_text(args: list[str]) -> str:
    """How a reader reruns it: ``python bench/x.py ...``; the simulate snippet by its name."""
    if args and args[0] == "-c":
        return f"python bench/run_all.py (simulate snippet, {args[-1]} runs)"
    if args[:2] == ["-m", "skill.cli"]:
        return "cornershop " + " ".join(a if a != str(PACKAGE_OUT) else "DIR" for a in args[2:])
    return "python " + " ".join(args)


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


def measure(quick: bool) -> list[tuple[str, str, str, str, str]]:
    table: list[tuple[str, str, str, str, str]] = []
    for bench in BENCHES:
        args = bench.quick_args if quick else bench.args
        stdout = run(args, bench.timeout)
        table += [(*row, command_text(args)) for row in bench.rows(stdout)]
    return table


def render(rows: list[tuple[str, str, str, str, str]]) -> str:
    header = ("figure", "Corner Shop", "baseline", "ratio / target", "command")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row[:4]) + f" | `{row[4]}` |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="short phases")
    parser.add_argument("--write", action="store_true", help="record the table in BENCHMARKS.md")
    args = parser.parse_args()
    table = render(measure(args.quick))
    print(table)
    if args.write:
        command = "python bench/run_all.py" + (" --quick" if args.quick else "")
        text = (
            "# Benchmarks\n\n"
            f"Recorded {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command} --write`, on "
            f"{machine()}. The machine is shared, so treat single figures as ±10%; ratios are "
            "medians of paired, alternating runs in the same run and are steadier. Each row "
            "names the command that produced it.\n\n"
            f"{table}\n\n"
            "Baselines: *hello world* is a minimal ask-sdk-core skill (Launch + one intent, the "
            "SDK's own `SkillBuilder.lambda_handler()`) laid out exactly like Corner Shop (same "
            "layer, read-only task directory, `python -I -S -B`), built by "
            "`bench/bench_lambda.py`; *bare Flask* is a Flask app under the same gunicorn "
            "settings returning a constant Alexa response (`bench/bench_load.py`).\n"
        )
        (REPO / "BENCHMARKS.md").write_text(text, "utf-8")
        print("wrote BENCHMARKS.md", file=sys.stderr)


if __name__ == "__main__":
    main()
