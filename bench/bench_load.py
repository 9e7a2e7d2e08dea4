"""Load: gunicorn (2 workers), verification ON, many users shopping concurrently.

    python bench/bench_load.py [--seconds 10] [--clients 4] [--users-per-client 5]

Each client process plays several users through a mixed conversation (launch,
add, add, list, checkout, yes) with real signed requests (a throwaway CA stands in
for Amazon's; the server trusts it through tests/support/signed_app.py). It runs
for a fixed duration, on 127.0.0.1 only. Then it checks consistency in the SQLite
database: every acknowledged add is in a cart or an order, and every acknowledged
checkout is exactly one order. In the same run, a bare Flask app that returns a
constant Alexa response under the same gunicorn settings gives the ceiling.

The clients run on the same cores as the server, and each signs every request (the
conversation is stateful, so requests can't be signed before the run): the output says
how much of the machine's CPU the clients used, and what one signature costs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import statistics
import sys
import tempfile
import textwrap
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _servers import REPO, Gunicorn, children_cpu, post, source_address, table

from skill.testing.alexa_ca import ThrowawayCA

SKILL_ID = "amzn1.ask.skill.load"
ITEMS = [
    ("APPLE", "apples"),
    ("BREAD", "bread"),
    ("MILK", "milk"),
    ("EGGS", "eggs"),
    ("COFFEE", "coffee"),
    ("RICE", "rice"),
]
BARE_APP = textwrap.dedent(
    """
    import json
    from flask import Flask, Response
    app = Flask(__name__)
    BODY = json.dumps({"version": "1.0", "response": {"outputSpeech": {"type": "SSML",
        "ssml": "<speak>Hello</speak>"}, "shouldEndSession": False}})
    @app.post("/alexa")
    def alexa():
        return Response(BODY, mimetype="application/json")
    @app.get("/healthz")
    def healthz():
        return Response('{"status": "ok"}', mimetype="application/json")
    """
)


def envelope(user: str, session: str, attrs: dict[str, Any], request: dict[str, Any]) -> bytes:
    app = {"applicationId": SKILL_ID}
    doc = {
        "version": "1.0",
        "session": {
            "new": not attrs,
            "sessionId": session,
            "application": app,
            "attributes": attrs,
            "user": {"userId": user},
        },
        "context": {
            "System": {
                "application": app,
                "user": {"userId": user},
                "device": {"deviceId": "d", "supportedInterfaces": {}},
                "apiEndpoint": "https://api.amazonalexa.com",
            }
        },
        "request": {
            "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
            "locale": "en-US",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            **request,
        },
    }
    return json.dumps(doc).encode()


def intent(name: str, **slots: str) -> dict[str, Any]:
    return {
        "type": "IntentRequest",
        "intent": {
            "name": name,
            "confirmationStatus": "NONE",
            "slots": {
                k: {"name": k, "value": v, "confirmationStatus": "NONE"} for k, v in slots.items()
            },
        },
    }


def client(
    port: int, ca: ThrowawayCA, index: int, users: int, seconds: float, queue: mp.Queue
) -> None:  # type: ignore[type-arg]
    rng = random.Random(index)
    latencies: list[float] = []
    errors = 0
    acked_adds: Counter[str] = Counter()
    acked_orders: list[int] = []
    state = {
        f"load-user-{index}-{u}": {"attrs": {}, "step": 0, "session": str(uuid.uuid4())}
        for u in range(users)
    }
    names = list(state)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        user = rng.choice(names)
        st = state[user]
        step = st["step"] % 6
        quantity = rng.randint(1, 3)
        request = [
            {"type": "LaunchRequest"},
            intent("AddItemIntent", Item=rng.choice(ITEMS)[1], Quantity=str(quantity)),
            intent("AddItemIntent", Item=rng.choice(ITEMS)[1], Quantity=str(quantity)),
            intent("ListCartIntent"),
            intent("CheckoutIntent"),
            intent("AMAZON.YesIntent"),
        ][step]
        body = envelope(user, st["session"], st["attrs"], request)
        started = time.perf_counter()
        status, data = post(
            port, "/alexa", body, ca.headers(body), source_address(index, len(latencies))
        )
        latencies.append((time.perf_counter() - started) * 1000)
        if status != 200:
            errors += 1
            continue
        out = json.loads(data)
        speech = out.get("response", {}).get("outputSpeech", {}).get("ssml", "")
        if speech.startswith("<speak>Added "):
            acked_adds[user] += quantity
        match = re.search(r"Order (\d+) is", speech)
        if match:
            acked_orders.append(int(match.group(1)))
        st["attrs"] = out.get("sessionAttributes") or {}
        st["step"] += 1
        if out.get("response", {}).get("shouldEndSession"):
            st["attrs"], st["session"] = {}, str(uuid.uuid4())
    queue.put((latencies, errors, dict(acked_adds), acked_orders))


def drive(port: int, ca: ThrowawayCA, clients: int, users: int, seconds: float) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [
        ctx.Process(target=client, args=(port, ca, i, users, seconds, queue))
        for i in range(clients)
    ]
    cpu_before = children_cpu()
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    elapsed = time.perf_counter() - started
    for p in procs:
        p.join(timeout=10)
    client_cpu = children_cpu() - cpu_before
    latencies = sorted(x for r in results for x in r[0])
    adds: Counter[str] = Counter()
    for r in results:
        adds.update(r[2])
    return {
        "requests": len(latencies),
        "errors": sum(r[1] for r in results),
        "seconds": elapsed,
        "latencies": latencies,
        "adds": adds,
        "orders": [o for r in results for o in r[3]],
        "client_share": client_cpu / (elapsed * (os.cpu_count() or 1)),
    }


def pct(data: list[float], p: float) -> float:
    return data[min(len(data) - 1, int(p / 100 * len(data)))] if data else float("nan")


def check_consistency(db: Path, result: dict[str, Any]) -> list[str]:
    from skill.store.sqlite import SQLiteStore

    store = SQLiteStore(db)
    problems = []
    orders = store.list_orders(limit=1_000_000)
    numbers = Counter(o.number for o in orders)
    acked = Counter(result["orders"])
    for number, times in acked.items():
        if times != 1 or numbers.get(number) != 1:
            problems.append(
                f"order {number} acknowledged {times}x, stored {numbers.get(number, 0)}x"
            )
    if len(orders) != len(acked):
        problems.append(f"{len(orders)} orders stored, {len(acked)} acknowledged")
    ordered: Counter[str] = Counter()
    for order in orders:
        ordered[order.user_id] += order.count
    for user, added in result["adds"].items():
        held = store.get_cart(user).count + ordered[user]
        if held != added:
            problems.append(f"{user}: {added} items acknowledged, {held} in cart and orders")
    store.close()
    return problems


def signing_cost(ca: ThrowawayCA, n: int = 200) -> float:
    """Median microseconds the clients spend signing one request (RSA 2048, SHA-256)."""
    body = envelope("load-user", "s", {}, {"type": "LaunchRequest"})
    samples = []
    for _ in range(n):
        started = time.perf_counter_ns()
        ca.headers(body)
        samples.append((time.perf_counter_ns() - started) / 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--users-per-client", type=int, default=5)
    args = parser.parse_args()
    ca = ThrowawayCA(now=datetime.now(UTC))
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        (tmp / "root.pem").write_bytes(ca.root_pem)
        (tmp / "chain.pem").write_bytes(ca.chain_pem())
        (tmp / "bare_app.py").write_text(BARE_APP)
        db = tmp / "load.db"
        env = {
            "CORNERSHOP_STORE": f"sqlite:///{db}",
            "ALEXA_SKILL_ID": SKILL_ID,
            "CORNERSHOP_LOG_LEVEL": "WARNING",
            "CORNERSHOP_TEST_ROOTS": str(tmp / "root.pem"),
            "CORNERSHOP_TEST_CHAIN": str(tmp / "chain.pem"),
        }
        with Gunicorn("signed_app:app", env, "--pythonpath", str(REPO / "tests" / "support")) as g:
            cpu0 = g.cpu_seconds()
            ours = drive(g.port, ca, args.clients, args.users_per_client, args.seconds)
            ours["server_share"] = (g.cpu_seconds() - cpu0) / (
                ours["seconds"] * (os.cpu_count() or 1)
            )
        problems = check_consistency(db, ours)
        with Gunicorn("bare_app:app", {}, "--pythonpath", str(tmp)) as g:
            cpu0 = g.cpu_seconds()
            bare = drive(g.port, ca, args.clients, args.users_per_client, args.seconds)
            bare["server_share"] = (g.cpu_seconds() - cpu0) / (
                bare["seconds"] * (os.cpu_count() or 1)
            )
    sign_us = signing_cost(ca)
    rows = []
    for name, r in (("corner shop (verify on)", ours), ("bare flask constant", bare)):
        lat = r["latencies"]
        rows.append(
            [
                name,
                r["requests"],
                r["errors"],
                f"{r['requests'] / r['seconds']:.0f}",
                f"{pct(lat, 50):.1f}",
                f"{pct(lat, 95):.1f}",
                f"{pct(lat, 99):.1f}",
                f"{r['client_share']:.0%}",
                f"{r['server_share']:.0%}",
            ]
        )
    print(
        f"{args.clients} clients x {args.users_per_client} users, {args.seconds:.0f} s each, "
        "gunicorn -w 2, loopback"
    )
    header = ["server", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms"]
    print(table(rows, [*header, "clients' CPU", "server CPU"]))
    ratio = (ours["requests"] / ours["seconds"]) / (bare["requests"] / bare["seconds"])
    print(f"throughput vs bare Flask ceiling: {ratio:.1%}")
    print(
        f"load clients used {ours['client_share']:.0%} of the machine's CPU against corner "
        f"shop ({bare['client_share']:.0%} against bare Flask); they sign every request, "
        f"{sign_us:.0f} us per signature"
    )
    print(
        f"acknowledged adds: {sum(ours['adds'].values())}, acknowledged checkouts: "
        f"{len(ours['orders'])}"
    )
    print("consistency: " + ("OK" if not problems else "FAILED\n  " + "\n  ".join(problems[:20])))
    if problems or ours["errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
