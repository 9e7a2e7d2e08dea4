"""Lambda figures, side by side with a minimal ask-sdk-core hello-world skill built here.

    python bench/bench_lambda.py [--runs 11] [--json]

* cold start: a fresh interpreter imports the handler module and answers its first
  LaunchRequest (median of --runs, alternating ours and the baseline; bytecode caches
  warmed first so both pay the same);
* warm CPU: median process CPU time per request for Launch, AddItem, ListCart and
  Checkout with the SQLite store, against the hello-world skill's intent;
* peak RSS after 1000 mixed requests in one process (the 128 MB Lambda tier needs
  room for the runtime: target <= 64 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EVENTS = REPO / "tests" / "events"

# The shape of Amazon's own hello-world sample (it logs through the logging module too).
HELLO = textwrap.dedent(
    """
    import logging
    from ask_sdk_core.skill_builder import SkillBuilder
    from ask_sdk_core.dispatch_components import AbstractRequestHandler
    from ask_sdk_core.utils import is_intent_name, is_request_type

    class LaunchHandler(AbstractRequestHandler):
        def can_handle(self, handler_input):
            return is_request_type("LaunchRequest")(handler_input)
        def handle(self, handler_input):
            rb = handler_input.response_builder
            return rb.speak("Hello world").ask("Say hello").set_should_end_session(False).response

    class HelloHandler(AbstractRequestHandler):
        def can_handle(self, handler_input):
            return is_intent_name("HelloWorldIntent")(handler_input)
        def handle(self, handler_input):
            rb = handler_input.response_builder
            return rb.speak("Hello world").set_should_end_session(True).response

    logger = logging.getLogger(__name__)
    logger.setLevel(logging.INFO)

    sb = SkillBuilder()
    sb.add_request_handler(LaunchHandler())
    sb.add_request_handler(HelloHandler())
    lambda_handler = sb.lambda_handler()
    """
)

COLD = textwrap.dedent(
    """
    import json, sys, time
    t0 = time.perf_counter()
    import {module} as fn
    t1 = time.perf_counter()
    out = fn.lambda_handler(json.loads(sys.argv[1]), None)
    t2 = time.perf_counter()
    assert out["response"]["outputSpeech"], out
    print(json.dumps({{"import_ms": (t1 - t0) * 1000, "total_ms": (t2 - t0) * 1000}}))
    """
)

WARM = textwrap.dedent(
    """
    import json, resource, statistics, sys, time
    import {module} as fn
    plan = json.loads(sys.stdin.read())
    results = {{}}
    for name, events, repeat in plan["timed"]:
        samples = []
        for i in range(repeat):
            # Earlier events set the scene (fill the cart); only the last is timed.
            for k, ev in enumerate(events):
                ev = json.loads(json.dumps(ev))
                ev["request"]["requestId"] = f"{{name}}-{{i}}-{{k}}"
                c0 = time.process_time_ns()
                fn.lambda_handler(ev, None)
                if k == len(events) - 1:
                    samples.append(time.process_time_ns() - c0)
        results[name] = statistics.median(samples[1:] or samples) / 1000
    for i in range(plan["mixed"]):
        ev = json.loads(json.dumps(plan["mix"][i % len(plan["mix"])]))
        ev["request"]["requestId"] = f"mix-{{i}}"
        ev["context"]["System"]["user"]["userId"] = f"user-{{i % 50}}"
        fn.lambda_handler(ev, None)
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(results))
    """
)


def _event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return data


def _env(tmp: Path, pythonpath: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        PYTHONPATH=pythonpath,
        CORNERSHOP_STORE=f"sqlite:///{tmp / 'bench.db'}",
        CORNERSHOP_LOG_LEVEL="WARNING",
        HOME=str(tmp),
    )
    return env


def _run(code: str, env: dict[str, str], stdin: str | None = None, arg: str = "") -> Any:
    args = [sys.executable, "-c", code] + ([arg] if arg else [])
    started = time.perf_counter()
    proc = subprocess.run(
        args, input=stdin, capture_output=True, text=True, env=env, timeout=600, check=False
    )
    wall_ms = (time.perf_counter() - started) * 1000
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_ms"] = wall_ms
    return result


def hello_intent() -> dict[str, Any]:
    ev = _event("list_cart")
    ev["request"]["intent"] = {"name": "HelloWorldIntent", "confirmationStatus": "NONE"}
    return ev


def measure(runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        (tmp / "hello_function.py").write_text(HELLO)
        ours_env = _env(tmp, f"{REPO / 'lambda'}{os.pathsep}{REPO}")
        hello_env = _env(tmp, str(tmp))
        launch = json.dumps(_event("launch"))
        cold_ours, cold_hello, proc_ours, proc_hello = [], [], [], []
        for i in range(runs + 1):  # run 0 warms the bytecode caches and the database
            ours = _run(COLD.format(module="lambda_function"), ours_env, arg=launch)
            hello = _run(COLD.format(module="hello_function"), hello_env, arg=launch)
            if i:
                cold_ours.append(ours["total_ms"])
                cold_hello.append(hello["total_ms"])
                proc_ours.append(ours["process_ms"])
                proc_hello.append(hello["process_ms"])
        add = _event("add_item")
        add["request"]["intent"]["slots"]["Quantity"]["value"] = "1"
        checkout_flow = [add, _event("yes")]
        checkout_flow[1]["session"]["attributes"] = {"pending": {"kind": "checkout"}}
        plan = {
            "timed": [
                ["launch", [_event("launch")], 300],
                ["add_item", [add], 300],
                ["list_cart", [_event("list_cart")], 300],
                ["checkout (place order)", checkout_flow, 100],
            ],
            "mixed": 1000,
            "mix": [
                _event("launch"),
                add,
                _event("list_cart"),
                _event("price"),
                _event("help"),
                _event("remove_item"),
                _event("checkout"),
            ],
        }
        warm = _run(WARM.format(module="lambda_function"), ours_env, stdin=json.dumps(plan))
        hello_plan = {
            "timed": [
                ["hello intent", [hello_intent()], 300],
                ["hello launch", [_event("launch")], 300],
            ],
            "mixed": 1000,
            "mix": [_event("launch"), hello_intent()],
        }
        warm_hello = _run(
            WARM.format(module="hello_function"), hello_env, stdin=json.dumps(hello_plan)
        )
    return {
        "cold_ours_ms": statistics.median(cold_ours),
        "cold_hello_ms": statistics.median(cold_hello),
        "process_ours_ms": statistics.median(proc_ours),
        "process_hello_ms": statistics.median(proc_hello),
        "warm_us": {k: v for k, v in warm.items() if k != "peak_rss_mb"},
        "warm_hello_us": {k: v for k, v in warm_hello.items() if k != "peak_rss_mb"},
        "peak_rss_mb": warm["peak_rss_mb"],
        "peak_rss_hello_mb": warm_hello["peak_rss_mb"],
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.runs)
    if args.json:
        print(json.dumps(result))
        return
    hello_intent_us = result["warm_hello_us"]["hello intent"]
    ratio = result["cold_ours_ms"] / result["cold_hello_ms"]
    print(f"cold start (import + first LaunchRequest, median of {args.runs}):")
    print(
        f"  corner shop {result['cold_ours_ms']:.1f} ms, hello world "
        f"{result['cold_hello_ms']:.1f} ms, ratio {ratio:.2f}x (target <= 1.2x)"
    )
    pratio = result["process_ours_ms"] / result["process_hello_ms"]
    print(
        f"  whole fresh process (interpreter start included): corner shop "
        f"{result['process_ours_ms']:.1f} ms, hello world {result['process_hello_ms']:.1f} ms, "
        f"ratio {pratio:.2f}x"
    )
    print("warm CPU per request (median, SQLite store):")
    for name, us in result["warm_us"].items():
        if name == "process_ms":
            continue
        print(f"  {name:<28} {us:8.0f} us  ({us / hello_intent_us:.2f}x hello intent)")
    for name, us in result["warm_hello_us"].items():
        if name == "process_ms":
            continue
        print(f"  {name:<28} {us:8.0f} us")
    print(
        f"peak RSS after 1000 mixed requests: {result['peak_rss_mb']:.1f} MB "
        f"(hello world {result['peak_rss_hello_mb']:.1f} MB; target <= 64 MB)"
    )


if __name__ == "__main__":
    main()
