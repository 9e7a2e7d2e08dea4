"""Lambda figures, measured from the zips `cornershop package` builds, laid out as Lambda does.

    python bench/bench_lambda.py [--runs 15] [--python PATH]... [--no-dynamodb] [--json]

The zips are built first (`cornershop package --arch <this machine> --python-version X.Y`
for each interpreter; building the layer runs pip, which reads the package index or its
cache: a build step, before anything is timed). Then, per interpreter:

* the function is unzipped into a read-only ``task/``, the layer into a read-only
  ``opt/python/``; a minimal ask-sdk-core hello-world skill (Launch + one intent, the SDK's
  own ``SkillBuilder.lambda_handler()``) gets its own read-only ``task/`` beside the same
  layer; boto3 and botocore, which the Lambda runtime provides, come from this virtualenv
  into a read-only ``runtime/``;
* every cold start is a fresh ``python -I -S -B`` (no user or site packages, no bytecode
  written, like ``PYTHONDONTWRITEBYTECODE=1`` on Lambda) that puts ``task``, ``opt/python``
  and ``runtime`` on ``sys.path`` as Lambda does, imports ``lambda_function`` and answers
  one LaunchRequest. The figure is the whole process's wall time, interpreter start and
  exit included, taken by the parent;
* runs are paired and alternate (ours, hello world, ours, ...) after one discarded pair;
  the ratio is the median of the per-pair ratios;
* "without bytecode" strips every ``.pyc``; "with bytecode" uses the zips' own ``.pyc``
  for this interpreter when they ship them, and otherwise compiles every tree with
  ``compileall --invalidation-mode unchecked-hash`` (and says which);
* DynamoDB mode: the same cold start with ``CORNERSHOP_STORE=dynamodb://TABLE`` against
  moto on 127.0.0.1, beside a process that only imports boto3 and builds the client
  (the store's ``new_client``), which is the part of the init phase boto3 costs.

Then warm CPU per request in the same layout (first interpreter, with bytecode, SQLite):
every AddItem is a real write (fresh carts, rotating items; every timed reply is checked
to be "Added ..."), checkout asks the Customer Profile API on a loopback stub (the
envelope's ``apiEndpoint`` is rewritten to it, and an audit hook fails the run on any
connection off 127.0.0.1), and peak RSS after 1000 mixed requests. Target: cold start
<= 0.9x hello world.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EVENTS = REPO / "tests" / "events"
LAMBDA_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath")
GIVEN_NAME = "Ada"
TABLE = "cornershop-bench"

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

# One cold start: argv = event file, then the sys.path entries Lambda would set.
COLD = textwrap.dedent(
    """
    import sys, time
    t0 = time.perf_counter()
    sys.path[:0] = sys.argv[2:]
    import json
    import lambda_function as fn
    t1 = time.perf_counter()
    with open(sys.argv[1], encoding="utf-8") as fh:
        out = fn.lambda_handler(json.load(fh), None)
    t2 = time.perf_counter()
    lazy = sys.modules.get("skill.lazy_sdk")
    print(json.dumps({
        "import_ms": (t1 - t0) * 1000, "first_ms": (t2 - t1) * 1000,
        "modules": len(sys.modules), "speech": out["response"]["outputSpeech"]["ssml"],
        "lazy": f"{lazy.status()}, {len(lazy.lazy_packages())} packages lazy" if lazy else None,
    }))
    """
)

# What boto3 alone costs the init phase: the import and the client the store builds.
BOTO3_ONLY = textwrap.dedent(
    """
    import sys, time
    t0 = time.perf_counter()
    sys.path[:0] = sys.argv[2:]
    import json
    import boto3.session
    from botocore.config import Config
    t1 = time.perf_counter()
    client = boto3.session.Session().client("dynamodb", config=Config(
        retries={"mode": "standard", "total_max_attempts": 3},
        connect_timeout=1, read_timeout=1))
    t2 = time.perf_counter()
    assert client.meta.endpoint_url.startswith("http://127.0.0.1:"), client.meta.endpoint_url
    print(json.dumps({"import_ms": (t1 - t0) * 1000, "client_ms": (t2 - t1) * 1000,
                      "modules": len(sys.modules)}))
    """
)

WARM = textwrap.dedent(
    """
    import sys
    sys.path[:0] = sys.argv[1:]
    import ipaddress, json, re, statistics, time

    def loopback_only(event, args):
        # Fails the run on any connection off this machine (the Profile API included).
        if event == "socket.connect" and isinstance(args[1], tuple):
            if not ipaddress.ip_address(args[1][0]).is_loopback:
                raise RuntimeError(f"benchmark tried to connect to {args[1][0]}")
    sys.addaudithook(loopback_only)

    import lambda_function as fn
    plan = json.loads(sys.stdin.read())
    results, wrong = {}, []
    for name, expect, iterations in plan["timed"]:
        samples = []
        for events in iterations:
            # Earlier events set the scene (fill the cart); only the last is timed.
            for k, ev in enumerate(events):
                c0 = time.process_time_ns()
                out = fn.lambda_handler(ev, None)
                if k == len(events) - 1:
                    samples.append(time.process_time_ns() - c0)
                    speech = out["response"].get("outputSpeech", {}).get("ssml", "")
                    if not re.search(expect, speech):
                        wrong.append(f"{name}: {speech[:120]}")
        results[name] = statistics.median(samples[1:] or samples) / 1000
    for i in range(plan["mixed"]):
        ev = json.loads(json.dumps(plan["mix"][i % len(plan["mix"])]))
        ev["request"]["requestId"] = f"mix-{i}"
        ev["context"]["System"]["user"]["userId"] = f"mix-user-{i % 50}"
        fn.lambda_handler(ev, None)
    # VmHWM, not ru_maxrss: a child's ru_maxrss starts from its parent's (the bench's) RSS.
    with open("/proc/self/status") as fh:
        rss = next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024
    print(json.dumps({"us": results, "peak_rss_mb": rss, "wrong": wrong}))
    """
)

# Catalog item ids and the words a customer says for them (en-US).
ITEMS = [("APPLE", "apples"), ("BREAD", "bread"), ("MILK", "milk"), ("EGGS", "eggs")]


def _event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text("utf-8"))
    return data


# -- interpreters and builds ------------------------------------------------------------
@dataclass
class Interpreter:
    path: str
    version: str  # "3.12"
    tag: str  # "cpython-312"


def find_interpreters(paths: list[str]) -> list[Interpreter]:
    """The given interpreters, or python3.12 and python3.13 from pyenv or PATH."""
    if not paths:
        candidates: list[str] = []
        root = _pyenv_root()
        for version in ("3.12", "3.13"):
            found = sorted(root.glob(f"versions/{version}.*/bin/python{version}")) if root else []
            which = shutil.which(f"python{version}")
            if found:
                candidates.append(str(found[-1]))
            elif which:
                candidates.append(which)
        paths = candidates or [sys.executable]
    out = []
    for path in paths:
        info = subprocess.run(
            [
                path,
                "-I",
                "-c",
                "import sys; print(sys.version_info[0], sys.version_info[1], "
                "sys.implementation.cache_tag)",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.split()
        out.append(Interpreter(path, f"{info[0]}.{info[1]}", info[2]))
    return out


def _pyenv_root() -> Path | None:
    exe = shutil.which("pyenv")
    if not exe:
        return None
    done = subprocess.run([exe, "root"], capture_output=True, text=True, check=False, timeout=30)
    return Path(done.stdout.strip()) if done.returncode == 0 else None


def host_arch() -> str:
    machine = platform.machine().lower()
    return "arm64" if machine in {"aarch64", "arm64"} else "x86_64"


def build_zips(out: Path) -> tuple[Path, Path]:
    """``cornershop package`` for this machine's architecture (the template's Python).

    The layer comes from the locked wheels, which pip fetches from the package index or
    its cache: a build step, before anything is timed.
    """
    command = [sys.executable, "-m", "skill.cli", "package", "--out", str(out)]
    command += ["--arch", host_arch()]
    done = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=900, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"`{' '.join(command[2:])}` failed:\n{done.stderr[-2000:]}")
    return out / "function.zip", out / "layer.zip"


# -- layouts --------------------------------------------------------------------------
@dataclass
class Layout:
    root: Path
    task: Path
    hello: Path
    opt: Path
    runtime: Path
    bytecode: str  # "none", "from the zips", "compiled by the bench"


def _pyc_tags(zip_path: Path) -> set[str]:
    with zipfile.ZipFile(zip_path) as zf:
        return {
            m.group(1)
            for name in zf.namelist()
            if (m := re.search(r"__pycache__/[^/]+\.(cpython-\d+)(?:\.opt-\d)?\.pyc$", name))
        }


def _sourceless(zip_path: Path) -> bool:
    with zipfile.ZipFile(zip_path) as zf:
        return any(n.endswith(".pyc") and "__pycache__/" not in n for n in zf.namelist())


def _strip_bytecode(tree: Path) -> None:
    for cache in sorted(tree.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)


def _copy_lambda_provided(dest: Path) -> None:
    """boto3 and friends from this virtualenv, as Lambda's /var/runtime provides them.

    botocore's data folder (30 MB of JSON, never compiled) is linked, not copied.
    """
    import botocore

    site = Path(botocore.__file__).resolve().parent.parent
    dest.mkdir(parents=True)
    for name in LAMBDA_PROVIDED:
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "data")
        shutil.copytree(site / name, dest / name, ignore=ignore)
    (dest / "botocore" / "data").symlink_to(site / "botocore" / "data")


def _read_only(tree: Path) -> None:
    for path in tree.rglob("*"):
        if path.is_symlink():
            continue
        path.chmod(0o555 if path.is_dir() else 0o444)
    tree.chmod(0o555)


def _writable(tree: Path) -> None:
    if not tree.exists():
        return
    tree.chmod(0o755)
    for path in tree.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)


def make_layout(
    root: Path, function: Path, layer: Path, python: Interpreter, bytecode: bool
) -> Layout:
    layout = Layout(
        root, root / "task", root / "hello", root / "opt" / "python", root / "runtime", "none"
    )
    with zipfile.ZipFile(function) as zf:
        zf.extractall(layout.task)
    with zipfile.ZipFile(layer) as zf:
        zf.extractall(layout.opt.parent)  # the zip holds python/...
    layout.hello.mkdir()
    (layout.hello / "lambda_function.py").write_text(HELLO, "utf-8")
    _copy_lambda_provided(layout.runtime)
    if not bytecode:
        if _sourceless(function) or _sourceless(layer):
            raise SystemExit("The zips ship .pyc without sources: no 'without bytecode' run.")
        for tree in (layout.task, layout.opt):
            _strip_bytecode(tree)
    else:
        trees, origins = [layout.hello, layout.runtime], []
        for name, zip_path, tree in (
            ("function", function, layout.task),
            ("layer", layer, layout.opt),
        ):
            if python.tag in _pyc_tags(zip_path):
                origins.append(f"{name}: the zip's")
            else:
                origins.append(f"{name}: compiled by the bench")
                trees.append(tree)
        layout.bytecode = "; ".join(origins)
        subprocess.run(
            [
                python.path,
                "-I",
                "-m",
                "compileall",
                "-q",
                "-j",
                "0",
                "--invalidation-mode",
                "unchecked-hash",
                *map(str, trees),
            ],
            capture_output=True,
            check=False,
            timeout=900,
        )  # a few SDK files have invalid escapes: warnings, not failures
    for tree in (layout.task, layout.hello, layout.opt.parent, layout.runtime):
        _read_only(tree)
    return layout


# -- cold starts ------------------------------------------------------------------------
def _env(tmp: Path, store: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",  # what Lambda sets; -B below is what -I honours
        "CORNERSHOP_STORE": store,
        "CORNERSHOP_LOG_LEVEL": "WARNING",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    env.update(extra or {})
    return env


def _cold(
    python: Interpreter, code: str, task: Path, layout: Layout, env: dict[str, str], event: Path
) -> dict[str, Any]:
    args = [
        python.path,
        "-I",
        "-S",
        "-B",
        "-c",
        code,
        str(event),
        str(task),
        str(layout.opt),
        str(layout.runtime),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120, check=False)
    wall = (time.perf_counter() - started) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"cold start failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_ms"] = wall
    # The child's CPU time: steadier than wall time on a shared machine.
    result["cpu_ms"] = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000
    return result


@dataclass
class Paired:
    ours: list[dict[str, Any]] = field(default_factory=list)
    base: list[dict[str, Any]] = field(default_factory=list)

    def summary(self, key: str = "process_ms") -> dict[str, Any]:
        ratios = [o[key] / b[key] for o, b in zip(self.ours, self.base, strict=True)]
        inproc = [
            (o["import_ms"] + o["first_ms"]) / (b["import_ms"] + b["first_ms"])
            for o, b in zip(self.ours, self.base, strict=True)
            if "first_ms" in b
        ]
        return {
            "pairs": len(ratios),
            "ours_ms": statistics.median(o[key] for o in self.ours),
            "base_ms": statistics.median(b[key] for b in self.base),
            "ratio": statistics.median(ratios),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
            "cpu_ratio": statistics.median(
                o["cpu_ms"] / b["cpu_ms"] for o, b in zip(self.ours, self.base, strict=True)
            ),
            "inprocess_ratio": statistics.median(inproc) if inproc else None,
            "ours_init_ms": statistics.median(o["import_ms"] for o in self.ours),
            "ours_first_ms": statistics.median(o["first_ms"] for o in self.ours),
            "base_init_ms": statistics.median(b["import_ms"] for b in self.base),
            "base_first_ms": statistics.median(b["first_ms"] for b in self.base),
            "ours_modules": self.ours[-1].get("modules"),
            "base_modules": self.base[-1].get("modules"),
            "lazy": self.ours[-1].get("lazy"),
        }


def cold_pairs(
    python: Interpreter, layout: Layout, runs: int, tmp: Path, event: Path
) -> dict[str, Any]:
    paired = Paired()
    for i in range(runs + 1):  # pair 0 warms the page cache and is dropped
        store = f"sqlite:///{tmp / f'cold-{layout.root.name}-{i}.db'}"  # a fresh /tmp
        ours = _cold(python, COLD, layout.task, layout, _env(tmp, store), event)
        base = _cold(python, COLD, layout.hello, layout, _env(tmp, store), event)
        if "Welcome" not in ours["speech"] or "Hello world" not in base["speech"]:
            raise RuntimeError(f"unexpected cold-start replies: {ours['speech']!r}")
        if i:
            paired.ours.append(ours)
            paired.base.append(base)
    return paired.summary()


def dynamodb_pairs(
    python: Interpreter, layout: Layout, runs: int, tmp: Path, event: Path, endpoint: str
) -> dict[str, Any]:
    aws = {
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    env = _env(tmp, f"dynamodb://{TABLE}", aws)
    paired, boto = Paired(), []
    for i in range(runs + 1):
        ours = _cold(python, COLD, layout.task, layout, env, event)
        base = _cold(python, COLD, layout.hello, layout, env, event)
        alone = _cold(python, BOTO3_ONLY, layout.hello, layout, env, event)
        if "Welcome" not in ours["speech"]:
            raise RuntimeError(f"unexpected DynamoDB cold-start reply: {ours['speech']!r}")
        if i:
            paired.ours.append(ours)
            paired.base.append(base)
            boto.append(alone)
    out = paired.summary()
    out["boto3_import_ms"] = statistics.median(b["import_ms"] for b in boto)
    out["boto3_client_ms"] = statistics.median(b["client_ms"] for b in boto)
    out["boto3_process_ms"] = statistics.median(b["process_ms"] for b in boto)
    return out


# -- the loopback Customer Profile API ----------------------------------------------------
@contextlib.contextmanager
def profile_stub() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 answering the given-name call; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/v2/accounts/~current/settings/Profile.givenName":
                self.send_error(404)
                return
            body = json.dumps(GIVEN_NAME).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- warm CPU ---------------------------------------------------------------------------
def _add(user: str, item: tuple[str, str], quantity: int, request_id: str) -> dict[str, Any]:
    ev = _event("add_item")
    item_id, words = item
    slot = ev["request"]["intent"]["slots"]["Item"]
    slot["value"] = slot["slotValue"]["value"] = words
    for holder in (slot, slot["slotValue"]):
        for authority in holder["resolutions"]["resolutionsPerAuthority"]:
            authority["values"] = [{"value": {"name": words, "id": item_id}}]
    quantity_slot = ev["request"]["intent"]["slots"]["Quantity"]
    quantity_slot["value"] = quantity_slot["slotValue"]["value"] = str(quantity)
    return _as(ev, user, request_id)


def _as(ev: dict[str, Any], user: str, request_id: str) -> dict[str, Any]:
    ev = json.loads(json.dumps(ev))
    ev["request"]["requestId"] = request_id
    ev["context"]["System"]["user"]["userId"] = user
    if isinstance(ev.get("session"), dict):
        ev["session"]["user"]["userId"] = user
    return ev


def _events(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [ev for _, _, its in plan["timed"] for evs in its for ev in evs] + plan["mix"]


def _to_loopback(plan: dict[str, Any], api: str) -> None:
    """Point every envelope's Alexa API endpoint at the loopback stub."""
    for ev in _events(plan):
        ev["context"]["System"]["apiEndpoint"] = api


def _assert_loopback(plan: dict[str, Any]) -> None:
    """Every envelope that could call an Alexa API points at 127.0.0.1 (checked again)."""
    for ev in _events(plan):
        system = ev["context"]["System"]
        if system.get("apiAccessToken") and not str(system.get("apiEndpoint", "")).startswith(
            "http://127.0.0.1:"
        ):
            raise SystemExit(f"an envelope would call {system.get('apiEndpoint')}: not loopback")


def warm_plan(api: str, repeat: int) -> dict[str, Any]:
    yes = _event("yes")
    yes["context"]["System"]["apiEndpoint"] = api
    yes["session"]["attributes"] = {"pending": {"kind": "checkout"}}
    adds = [
        [_add(f"add-{i // 10}", ITEMS[i % len(ITEMS)], 1 + i % 3, f"add-{i}")]
        for i in range(repeat)
    ]
    checkouts = [
        [
            _add(f"checkout-{i}", ITEMS[i % len(ITEMS)], 2, f"co-add-{i}"),
            _as(yes, f"checkout-{i}", f"co-yes-{i}"),
        ]
        for i in range(repeat // 3)
    ]
    lists = [[_as(_event("list_cart"), "lister", f"list-{i}")] for i in range(repeat)]
    lists[0].insert(0, _add("lister", ITEMS[0], 1, "list-setup"))  # one line to read out
    plan = {
        "timed": [
            ["launch", "Welcome", [[_as(_event("launch"), "l", f"l-{i}")] for i in range(repeat)]],
            ["add_item (real write)", r"^<speak>Added ", adds],
            ["list_cart", r"apple", lists],
            [
                "price (reads the shop's catalog)",
                r"each",
                [[_as(_event("price_apples"), "pricer", f"price-{i}")] for i in range(repeat)],
            ],
            [
                "checkout (place order, Profile API on loopback)",
                rf"{GIVEN_NAME}, .*Order \d+",
                checkouts,
            ],
        ],
        "mixed": 1000,
        "mix": [
            _event("launch"),
            _add("m", ITEMS[1], 1, "m"),
            _event("list_cart"),
            _event("price"),
            _event("help"),
            _event("remove_item"),
            _event("checkout"),
        ],
    }
    _to_loopback(plan, api)
    _assert_loopback(plan)
    return plan


def hello_plan(repeat: int) -> dict[str, Any]:
    intent = _event("list_cart")
    intent["request"]["intent"] = {"name": "HelloWorldIntent", "confirmationStatus": "NONE"}
    return {
        "timed": [
            ["hello intent", "Hello world", [[_as(intent, "h", f"h-{i}")] for i in range(repeat)]],
            [
                "hello launch",
                "Hello world",
                [[_as(_event("launch"), "h", f"hl-{i}")] for i in range(repeat)],
            ],
        ],
        "mixed": 1000,
        "mix": [_event("launch"), intent],
    }


def _seed_catalog(db: Path) -> None:
    """A real shop's store: `cornershop store init` seeds the demo catalog into it."""
    done = subprocess.run(
        [sys.executable, "-m", "skill.cli", "store", "init", "--store", f"sqlite:///{db}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0 or "seeded" not in done.stdout:
        raise RuntimeError(f"could not seed the catalog: {done.stdout} {done.stderr}")


def warm(python: Interpreter, layout: Layout, tmp: Path, repeat: int, api: str) -> dict[str, Any]:
    results = {}
    # "ours" reads the shop's stored catalog through its 30 s cache; "ours, no catalog
    # cache" (CORNERSHOP_CATALOG_TTL=0) reads the store on every request, to show what
    # the cache saves.
    for name, task, plan, extra in (
        ("ours", layout.task, warm_plan(api, repeat), {}),
        ("hello", layout.hello, hello_plan(repeat), {}),
        ("ours_nocache", layout.task, warm_plan(api, repeat), {"CORNERSHOP_CATALOG_TTL": "0"}),
    ):
        args = [
            python.path,
            "-I",
            "-S",
            "-B",
            "-c",
            WARM,
            str(task),
            str(layout.opt),
            str(layout.runtime),
        ]
        db = tmp / f"warm-{name}.db"
        if name != "hello":
            _seed_catalog(db)
        env = _env(tmp, f"sqlite:///{db}", extra)
        done = subprocess.run(
            args,
            input=json.dumps(plan),
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"warm run failed:\n{done.stderr[-3000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if result["wrong"]:
            raise SystemExit(
                f"{len(result['wrong'])} timed replies were not what the figure claims, e.g. "
                f"{result['wrong'][:3]}"
            )
        results[name] = result
    return results


# -- main -----------------------------------------------------------------------------
def measure(args: argparse.Namespace) -> dict[str, Any]:
    interpreters = find_interpreters(args.python)
    event = EVENTS / "launch.json"
    out: dict[str, Any] = {"runs": args.runs, "interpreters": {}, "arch": host_arch()}
    with tempfile.TemporaryDirectory(prefix="cornershop-bench-lambda-") as tmpdir:
        tmp = Path(tmpdir)
        layouts: list[Layout] = []
        try:
            if args.dist:
                function, layer = Path(args.dist) / "function.zip", Path(args.dist) / "layer.zip"
            else:
                function, layer = build_zips(tmp / "dist")
            out["built"] = "given with --dist" if args.dist else "built by cornershop package"
            moto = _moto() if args.dynamodb else contextlib.nullcontext(None)
            with moto as endpoint:
                for n, python in enumerate(interpreters):
                    figures: dict[str, Any] = {"path": python.path}
                    for bytecode in (False, True):
                        label = "bytecode" if bytecode else "source"
                        layout = make_layout(
                            tmp / f"{python.version}-{label}", function, layer, python, bytecode
                        )
                        layouts.append(layout)
                        figures[label] = cold_pairs(python, layout, args.runs, tmp, event)
                        figures[label]["bytecode"] = layout.bytecode
                        if endpoint and n == 0:
                            figures[f"dynamodb_{label}"] = dynamodb_pairs(
                                python, layout, max(3, args.runs // 2), tmp, event, endpoint
                            )
                        if bytecode and n == 0:
                            with profile_stub() as api:
                                out["warm"] = warm(python, layout, tmp, args.repeat, api)
                            out["warm_python"] = python.version
                    out["interpreters"][python.version] = figures
        finally:
            for layout in layouts:
                for tree in (layout.task, layout.hello, layout.opt.parent, layout.runtime):
                    _writable(tree)
    return out


@contextlib.contextmanager
def _moto() -> Iterator[str]:
    import importlib.util

    from skill.store.dynamodb import create_table

    # tests/store/_servers.py (moto, one request at a time), under a name of its own:
    # bench/_servers.py is the `_servers` on this script's path.
    spec = importlib.util.spec_from_file_location(
        "_moto_servers", REPO / "tests" / "store" / "_servers.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with module.MotoDynamoDB() as moto:
        create_table(moto.client(patient=True), TABLE)
        yield moto.endpoint


def report(result: dict[str, Any]) -> None:
    print(
        f"cold start: fresh `python -I -S -B`, import lambda_function + first LaunchRequest, "
        f"whole process; {result['runs']} alternating pairs, median of paired ratios "
        f"(target <= 0.9x); {result['arch']}"
    )
    for version, figures in result["interpreters"].items():
        for label in ("source", "bytecode", "dynamodb_source", "dynamodb_bytecode"):
            f = figures.get(label)
            if not f:
                continue
            what = {
                "source": "no bytecode (every .pyc stripped from the zips)",
                "bytecode": f"bytecode {figures['bytecode']['bytecode']}",
                "dynamodb_source": "DynamoDB store (moto on loopback), no bytecode",
                "dynamodb_bytecode": "DynamoDB store (moto on loopback), bytecode",
            }[label]
            print(
                f"  Python {version}, {what}: corner shop {f['ours_ms']:.0f} ms, hello world "
                f"{f['base_ms']:.0f} ms, ratio {f['ratio']:.2f}x "
                f"(pairs {f['ratio_min']:.2f}-{f['ratio_max']:.2f}; CPU time "
                f"{f['cpu_ratio']:.2f}x; in process {f['inprocess_ratio']:.2f}x); "
                f"modules {f['ours_modules']} vs {f['base_modules']}; lazy SDK {f['lazy']}"
            )
            print(
                f"    in process: init (import lambda_function) {f['ours_init_ms']:.0f} ms + "
                f"first request {f['ours_first_ms']:.0f} ms; hello world "
                f"{f['base_init_ms']:.0f} + {f['base_first_ms']:.0f} ms"
            )
            if "boto3_import_ms" in f:
                print(
                    f"    of which boto3 alone: import {f['boto3_import_ms']:.0f} ms + "
                    f"DynamoDB client {f['boto3_client_ms']:.0f} ms (whole process "
                    f"{f['boto3_process_ms']:.0f} ms), once per container, in the init phase"
                )
    if "warm" in result:
        ours, hello = result["warm"]["ours"], result["warm"]["hello"]
        base = hello["us"]["hello intent"]
        print(
            f"warm CPU per request (median, Python {result['warm_python']}, Lambda layout, "
            "SQLite; every timed reply checked):"
        )
        for name, us in ours["us"].items():
            print(f"  {name:<50} {us:8.0f} us  ({us / base:.2f}x hello intent)")
        for name, us in hello["us"].items():
            print(f"  {name:<50} {us:8.0f} us")
        nocache = result["warm"].get("ours_nocache")
        if nocache:
            print("  without the catalog cache (CORNERSHOP_CATALOG_TTL=0), for comparison:")
            for name, us in nocache["us"].items():
                print(f"    {name:<48} {us:8.0f} us  ({us / base:.2f}x hello intent)")
        print(
            f"peak RSS after 1000 mixed requests: {ours['peak_rss_mb']:.1f} MB "
            f"(hello world {hello['peak_rss_mb']:.1f} MB; target <= 64 MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed pairs per figure")
    parser.add_argument("--repeat", type=int, default=300, help="timed warm requests per kind")
    parser.add_argument(
        "--python",
        action="append",
        default=[],
        metavar="PATH",
        help="interpreter to measure (repeatable; default python3.12 and python3.13)",
    )
    parser.add_argument(
        "--dist", metavar="DIR", help="use DIR/function.zip and DIR/layer.zip instead of building"
    )
    parser.add_argument("--no-dynamodb", dest="dynamodb", action="store_false")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args)
    if args.json:
        print(json.dumps(result))
    else:
        report(result)


if __name__ == "__main__":
    main()
