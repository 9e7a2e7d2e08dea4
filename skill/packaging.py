"""Build the AWS Lambda artifacts, and keep the ask-cli skill package in step with the models.

``cornershop package`` (see :mod:`skill.packaging_cli`) writes two zips:

``function.zip``
    ``lambda_function.py`` (and ``live_function.py``, the live-updates function) at the
    root and the part of the ``skill`` package the Lambda
    runs: its modules and the package data they read, without the dev-only modules in
    :data:`DEV_ONLY` (the Lambda never imports them; tests/aws/test_packaging.py feeds it
    every event in tests/events to prove it). Budget: 450 kB zipped.
``layer.zip``
    ``python/`` holding the runtime dependencies, installed from the lock file
    ``lambda/layer-<arch>.lock`` (every version pinned, every file hashed), without the
    boto3 family that Lambda itself provides. Budget: 15 MB zipped, 60 MB unzipped.

**Bytecode for the exact target.** Lambda unpacks both zips into read-only folders, so a
module without a usable ``.pyc`` is compiled from source at every cold start (about 2.6
times the import time of the same code with bytecode, and Python 3.12 then prints the
SDK's SyntaxWarnings into every cold start's log). So every module ships with
``__pycache__/<name>.cpython-3XX.pyc``, compiled by a CPython of exactly the deploy
target's version (``Runtime`` in ``lambda/template.yaml``; see :func:`find_python`), as an
*unchecked-hash* pyc (PEP 552): timestamp pycs would be stale, because every zip entry is
dated 1980-01-01, and unchecked ones are used without reading the source. The sources stay
beside them, for tracebacks (whose lines are right, but without PEP 657's column
carets: see :func:`_compile`). What the compiler warns about is reported once, at build
time. The catch: edit a deployed ``.py`` (in the Lambda console, say) and the edit is
ignored; rebuild instead.

**A locked layer.** :func:`lock_layer` (``cornershop package lock``) resolves pyproject's
runtime dependencies with uv for the target CPython on manylinux2014 wheels of each
architecture. uv resolves for a platform other than the one it runs on, which pip-tools
cannot. The lock's header records a digest of its inputs, and :func:`check_lock` refuses a
lock whose inputs have changed. :func:`fetch_wheels` downloads the locked wheels (pip,
``--require-hashes``) into a wheelhouse, ``dist/wheels/<tag>/`` by default, and the layer is
installed from there with ``--no-index``: an ``--offline`` build, once the wheels are
fetched, needs no network, and so do the tests.

**Reproducible.** Entries sorted, every timestamp 1980-01-01, fixed permissions, and the
bytecode compiled with a fixed hash seed and the deployed path as its file name, so two
builds of the same tree with the same interpreter give the same bytes. A budget that is
exceeded raises :class:`~skill.errors.PackagingError` and removes the artifact.

The skill package (``skill-package/``, uploaded by ``ask deploy``) holds copies of
``interaction_models/<locale>.json``; :func:`export_skill_package` refreshes them and the
manifest's locales, :func:`skill_package_drift` lists what is out of step.

Only the standard library is imported here; pip, uv and the target interpreter run as
subprocesses.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

from skill.errors import PackagingError

__all__ = [
    "ARCHITECTURES",
    "DEV_ONLY",
    "FUNCTION_ZIP_BUDGET",
    "LAMBDA_PROVIDED",
    "LAYER_UNZIPPED_BUDGET",
    "LAYER_ZIP_BUDGET",
    "CompileReport",
    "CompileWarning",
    "Progress",
    "TargetPython",
    "ZipSizes",
    "build_function_zip",
    "build_layer_zip",
    "check_lock",
    "export_skill_package",
    "fetch_wheels",
    "find_python",
    "function_files",
    "lock_inputs",
    "lock_layer",
    "lock_path",
    "locked_pins",
    "repo_root",
    "runtime_requirements",
    "skill_package_drift",
    "target_python_version",
    "wheelhouse_for",
    "zip_sizes",
]

FUNCTION_ZIP = "function.zip"
LAYER_ZIP = "layer.zip"
# Raised from 300 kB when the catalog, opening hours and live updates landed, and from
# 450 kB when customers' quantity words, several items, order cancelling and stored
# notification states did: the zip carries sources and bytecode of every module the
# functions import (Lambda allows 50 MB; the budget is ours, to notice growth).
FUNCTION_ZIP_BUDGET = 500_000
LAYER_ZIP_BUDGET = 15_000_000
LAYER_UNZIPPED_BUDGET = 60_000_000

TEMPLATE = "lambda/template.yaml"
DEFAULT_WHEELHOUSE = "dist/wheels"
LOCK_COMMAND = "cornershop package lock"

# Lambda architecture name -> the machine name in manylinux wheel tags.
ARCHITECTURES = {"x86_64": "x86_64", "arm64": "aarch64"}
DEFAULT_ARCH = "arm64"
# manylinux2014 (glibc 2.17) wheels run on every Lambda Python runtime's Amazon Linux.
_MANYLINUX = "manylinux2014"

# Where Lambda unpacks each zip: the file names compiled into the bytecode (the
# loader points them at wherever the files really are, so tracebacks are right anyway).
_TASK_ROOT = "/var/task"
_LAYER_ROOT = "/opt"

# The Lambda Python runtime ships these (under /var/runtime); a copy in the layer
# would shadow the runtime's own and only add megabytes. snapshot-restore-py is the
# SnapStart hooks library of the Python 3.12+ runtimes (see skill/snapstart.py).
LAMBDA_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "snapshot-restore-py"})

# The layer comes before /var/runtime on sys.path, so a dependency that the runtime's
# botocore also imports is taken from the layer. Keep those within botocore's ranges,
# or the DynamoDB store would run botocore against a dateutil it does not support.
_SHARED_WITH_RUNTIME_BOTOCORE = ("python-dateutil>=2.1,<3", "urllib3>=1.25.4,!=2.2.0,<3")

# Parts of the skill package the Lambda never imports (relative to skill/; a trailing
# slash is a folder). The smoke test in tests/aws/test_packaging.py runs the built zip
# with every event in tests/events, so a module left out by mistake fails it.
DEV_ONLY = (
    "cli.py",  # the cornershop command
    "packaging.py",  # this packager
    "packaging_cli.py",
    "simulator/",  # the offline simulator
    "testing/",  # the test CA
    "validation.py",  # the response validator (tests, simulator, fuzzers)
    "interaction.py",  # interaction-model tools (cornershop model check/sync)
    "web.py",  # the web service (Flask), its server (waitress) and its page
    "server.py",
    "web_static/",
    "catalog_cli.py",  # the shop's catalog and hours commands, and their file format
    "catalog_file.py",
    "staff_cli.py",  # staff accounts (cornershop staff)
    "dashboard/",  # the staff dashboard, served by the web service
)

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_ZIP_LEVEL = 9
# dist-info files that only pip's bookkeeping reads; RECORD would list pruned files.
_DIST_INFO_DROP = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
_TEST_DIRS = frozenset({"tests", "test"})
_SKILL_PACKAGE = "skill-package"
_CUSTOM_MODELS = PurePosixPath("interactionModels/custom")


# -- sizes ---------------------------------------------------------------------
@dataclass(frozen=True)
class ZipSizes:
    """An artifact's size on disk, the sum of its entries' uncompressed sizes, its entries."""

    zipped: int
    unzipped: int
    files: int


def zip_sizes(path: Path) -> ZipSizes:
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    return ZipSizes(path.stat().st_size, sum(i.file_size for i in infos), len(infos))


def human_size(size: int) -> str:
    """``98.1 kB``, ``9.8 MB``: decimal units, as the budgets are written."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


# -- progress --------------------------------------------------------------------
class Progress:
    """Numbered steps on a stream (stderr): ``[3/4] installing ... done (9.8 s)``.

    On a terminal a long step shows its running time; elsewhere each step is one line.
    ``Progress(None)`` is silent.
    """

    def __init__(self, stream: TextIO | None, total: int) -> None:
        self._stream = stream
        self._total = total
        self._count = 0
        self._live = bool(stream is not None and stream.isatty())

    def _write(self, text: str) -> None:
        if self._stream is not None:
            self._stream.write(text)
            self._stream.flush()

    @contextmanager
    def step(self, title: str) -> Iterator[Callable[[str], None]]:
        """Announce a step; the yielded callable sets the note printed when it ends."""
        self._count += 1
        head = f"[{self._count}/{self._total}] {title} ..."
        # On a terminal the line is redrawn (carriage return, clear to end of line).
        redraw = f"\r{head}" if self._live else ""
        clear = "\x1b[K" if self._live else ""
        notes: list[str] = []
        started = time.monotonic()
        stop = threading.Event()
        ticker: threading.Thread | None = None
        self._write(head)
        if self._live:

            def tick() -> None:
                while not stop.wait(0.5):
                    self._write(f"{redraw} {time.monotonic() - started:.0f} s{clear}")

            ticker = threading.Thread(target=tick, daemon=True)
            ticker.start()
        try:
            yield notes.append
        except BaseException:
            stop.set()
            if ticker is not None:
                ticker.join()
            self._write(f"{redraw} failed{clear}\n")
            raise
        stop.set()
        if ticker is not None:
            ticker.join()
        elapsed = time.monotonic() - started
        note = notes[-1] if notes else "done"
        timing = f" ({elapsed:.1f} s)" if elapsed >= 1 else ""
        self._write(f"{redraw} {note}{timing}{clear}\n")

    def detail(self, line: str) -> None:
        """An indented line under the last step (what the compiler warned about, say)."""
        self._write(f"      {line}\n")

    def table(self, rows: Sequence[tuple[str, ZipSizes, str]]) -> None:
        """The final table: artifact, zipped and unzipped size, budget."""
        self._write(f"{'artifact':<14}{'zipped':>10}{'unzipped':>11}{'files':>7}  budget\n")
        for name, sizes, budget in rows:
            self._write(
                f"{name:<14}{human_size(sizes.zipped):>10}{human_size(sizes.unzipped):>11}"
                f"{sizes.files:>7}  {budget}\n"
            )


_SILENT = Progress(None, 0)


# -- where things are ----------------------------------------------------------------
def repo_root() -> Path:
    """The source checkout this package runs from (packaging needs the whole checkout)."""
    root = Path(__file__).resolve().parent.parent
    _check_checkout(root)
    return root


def _check_checkout(root: Path) -> None:
    missing = [
        name
        for name in ("pyproject.toml", "lambda/lambda_function.py", TEMPLATE, "skill")
        if not (root / name).exists()
    ]
    if missing:
        raise PackagingError(
            f"{root} is not a Corner Shop source checkout (missing {', '.join(missing)}). "
            "Run `cornershop package` from a checkout installed with `pip install -e .`."
        )


def _pyproject(root: Path) -> dict[str, Any]:
    with (root / "pyproject.toml").open("rb") as fh:
        data: dict[str, Any] = tomllib.load(fh)
    return data


def _dist_name(requirement: str) -> str:
    name = re.split(r"[\s;<>=!~\[(@]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_requirements(root: Path | None = None) -> list[str]:
    """The runtime dependencies (no extras), minus what the Lambda runtime provides.

    Read from the checkout's pyproject.toml, the source of truth (an editable install's
    metadata goes stale when pyproject changes); from the installed distribution's
    metadata when there is no checkout.
    """
    if root is not None and (root / "pyproject.toml").is_file():
        requirements = list(_pyproject(root).get("project", {}).get("dependencies", []))
    else:
        from importlib import metadata

        try:
            declared = metadata.requires("cornershop") or []
        except metadata.PackageNotFoundError as exc:
            raise PackagingError(
                "Corner Shop is not installed, so its dependencies are unknown. "
                "Install it with `pip install -e .` from the checkout."
            ) from exc
        requirements = [r for r in declared if "extra" not in r.partition(";")[2]]
    return [r for r in requirements if _dist_name(r) not in LAMBDA_PROVIDED]


# -- the target interpreter --------------------------------------------------------------
_RUNTIME = re.compile(r"^\s*Runtime:\s*[\"']?python(3\.\d{1,2})[\"']?\s*(?:#.*)?$", re.MULTILINE)


def target_python_version(root: Path | None = None) -> str:
    """``3.12``: the deploy target's Python, from ``Runtime`` in lambda/template.yaml."""
    root = repo_root() if root is None else root
    path = root / TEMPLATE
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise PackagingError(
            f"Could not read {path} ({exc.strerror}), which names the Lambda runtime to "
            "build for. Restore it from version control."
        ) from exc
    versions: list[str] = sorted(set(_RUNTIME.findall(text)))
    if len(versions) != 1:
        found = ", ".join(f"python{v}" for v in versions) or "none"
        raise PackagingError(
            f"{path} must name exactly one Python runtime (a line like `Runtime: python3.12`), "
            f"but it names {found}. Fix the template's Runtime."
        )
    return versions[0]


@dataclass(frozen=True)
class TargetPython:
    """A CPython of the deploy target's version, which compiles the bytecode."""

    executable: Path
    version: str  # "3.12"
    cache_tag: str  # "cpython-312", the middle of the .pyc names


_PROBE = (
    "import sys; print(sys.implementation.name, '%d.%d' % sys.version_info[:2], "
    "sys.implementation.cache_tag, sys.executable)"
)


def _probe(candidate: str | Path) -> tuple[str, str, str, Path] | None:
    """(implementation, X.Y, cache tag, real executable), or None if it does not run."""
    try:
        done = subprocess.run(
            [str(candidate), "-S", "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    fields = done.stdout.strip().split(" ", 3)
    if done.returncode != 0 or len(fields) != 4:
        return None
    name, version, tag, executable = fields
    return name, version, tag, Path(executable)


def _pyenv_pythons(version: str) -> list[Path]:
    """``$(pyenv root)/versions/X.Y.*/bin/pythonX.Y``, newest patch release first."""
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return []
    try:
        done = subprocess.run(
            [pyenv, "root"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    if done.returncode != 0 or not done.stdout.strip():
        return []
    versions = Path(done.stdout.strip()) / "versions"

    def patch(path: Path) -> int:
        rest = path.parent.parent.name.removeprefix(f"{version}.")
        return int(rest) if rest.isdigit() else -1

    found = [p for p in versions.glob(f"{version}.*/bin/python{version}") if p.is_file()]
    return sorted(found, key=patch, reverse=True)


def find_python(version: str, explicit: str | Path | None = None) -> TargetPython:
    """A CPython ``version`` interpreter: ``explicit`` if given, else this interpreter,
    ``pythonX.Y`` on PATH, or the newest ``X.Y.*`` under ``pyenv root``.

    Bytecode loads only in the version that compiled it, so nothing else will do.
    """
    wanted = f"CPython {version}"
    if explicit is not None:
        found = _probe(explicit)
        if found is None:
            raise PackagingError(
                f"--python {explicit} could not be run as a Python interpreter. "
                f"Pass the path of a {wanted} interpreter."
            )
        name, got, tag, executable = found
        if (name, got) != ("cpython", version):
            shown = {"cpython": "CPython", "pypy": "PyPy"}.get(name, name)
            raise PackagingError(
                f"--python {explicit} is {shown} {got}, but the python{version} runtime "
                f"(Runtime in {TEMPLATE}) needs {wanted}: bytecode only loads in the version "
                f"that compiled it. Pass a {wanted} interpreter."
            )
        return TargetPython(executable, version, tag)
    candidates: list[str | Path] = [sys.executable]
    on_path = shutil.which(f"python{version}")
    if on_path is not None:
        candidates.append(on_path)
    candidates += _pyenv_pythons(version)
    for candidate in candidates:
        found = _probe(candidate)
        if found is not None and found[:2] == ("cpython", version):
            return TargetPython(found[3], version, found[2])
    raise PackagingError(
        f"Compiling the bytecode for the python{version} runtime (Runtime in {TEMPLATE}) "
        f"needs a {wanted} interpreter, and none was found: not this one "
        f"({sys.executable}), no working python{version} on PATH, none under `pyenv root`. "
        f"Install one (for example `pyenv install {version}`), or pass its path with "
        f"--python."
    )


def _target(python: TargetPython | str | Path | None, root: Path) -> TargetPython:
    version = target_python_version(root)
    if isinstance(python, TargetPython):
        if python.version != version:
            raise PackagingError(
                f"The interpreter {python.executable} is CPython {python.version}, but "
                f"{TEMPLATE} deploys python{version}. Use a CPython {version} interpreter."
            )
        return python
    return find_python(version, python)


# -- bytecode ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CompileWarning:
    """A warning the compiler printed: where (the name in the zip), and what."""

    path: str
    line: int
    category: str
    message: str


@dataclass(frozen=True)
class CompileReport:
    compiled: int
    warnings: tuple[CompileWarning, ...]
    # (name in the zip, the compiler's message): kept as source only
    failures: tuple[tuple[str, str], ...]


# Run by the target interpreter, with the jobs [source, cfile, dfile, name] on stdin.
# warnings are recorded per file, so none reaches stderr unreported.
_COMPILER = """
import json, py_compile, sys, warnings
report = {"warnings": [], "failures": []}
for source, cfile, dfile, name in json.load(sys.stdin):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            py_compile.compile(
                source, cfile=cfile, dfile=dfile, doraise=True, optimize=0,
                invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
            )
        except py_compile.PyCompileError as exc:
            report["failures"].append([name, exc.msg.strip().splitlines()[-1]])
    for w in caught:
        report["warnings"].append([name, w.lineno, w.category.__name__, str(w.message)])
json.dump(report, sys.stdout)
"""


def _pyc_name(arcname: str, cache_tag: str) -> str:
    path = PurePosixPath(arcname)
    return str(path.parent / "__pycache__" / f"{path.stem}.{cache_tag}.pyc")


def _compile(
    target: TargetPython, sources: Sequence[tuple[str, Path]], out: Path, deployed: str
) -> tuple[list[tuple[str, Path]], CompileReport]:
    """Compile the ``.py`` among ``(name in the zip, file)`` into ``out/<pyc name>``.

    Returns the pyc entries for the zip and what the compiler reported. The bytes are
    the same at every build: the file name compiled in is the deployed path, not a
    temporary one, and the hash seed is fixed (marshal sorts set constants since 3.11,
    but nothing that iterates in hash order may vary between builds).
    ``-X no_debug_ranges`` leaves out the column ranges (PEP 657): tracebacks keep their
    files and lines but lose the ``^^^^`` under the failing expression, and the
    bytecode is a fifth smaller (34 kB of function.zip's 300 kB budget).
    """
    jobs = []
    entries = []
    for name, source in sorted(sources):
        if not name.endswith(".py"):
            continue
        pyc = _pyc_name(name, target.cache_tag)
        jobs.append([str(source), str(out / pyc), f"{deployed}/{name}", name])
        entries.append((pyc, out / pyc))
    try:
        done = subprocess.run(
            [str(target.executable), "-S", "-X", "no_debug_ranges", "-c", _COMPILER],
            input=json.dumps(jobs),
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": "0", "PYTHONUTF8": "1"},
            timeout=900,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PackagingError(
            f"{target.executable} could not compile the modules ({exc}). Check that it is a "
            f"working CPython {target.version}, or pass another with --python."
        ) from exc
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-12:])
        raise PackagingError(
            f"{target.executable} failed while compiling the modules (exit status "
            f"{done.returncode}). Check that it is a working CPython {target.version}, or "
            f"pass another with --python.\nIt said:\n{tail}"
        )
    data = json.loads(done.stdout)
    failed = {name for name, _ in data["failures"]}
    report = CompileReport(
        compiled=len(jobs) - len(failed),
        warnings=tuple(CompileWarning(n, int(ln or 0), c, m) for n, ln, c, m in data["warnings"]),
        failures=tuple((n, m) for n, m in data["failures"]),
    )
    kept = [(pyc, path) for pyc, path in entries if path.is_file()]
    return kept, report


def _report(progress: Progress, report: CompileReport) -> None:
    """Say what the compiler warned about, one line per file: at build time, not on
    every cold start (which is where these lines went when Lambda compiled them)."""
    by_file: dict[str, list[CompileWarning]] = {}
    for warning in report.warnings:
        by_file.setdefault(warning.path, []).append(warning)
    for path, found in sorted(by_file.items()):
        lines = ", ".join(str(w.line) for w in found)
        kinds = "; ".join(sorted({f"{w.category}: {w.message}" for w in found}))
        progress.detail(f"{path} (line {lines}): {kinds}")
    for path, message in report.failures:
        progress.detail(f"{path}: not compiled, shipped as source only: {message}")


def _compile_note(report: CompileReport, target: TargetPython) -> str:
    note = f"{report.compiled} .{target.cache_tag}.pyc"
    if report.warnings:
        files = len({w.path for w in report.warnings})
        note += (
            f", {len(report.warnings)} compiler warnings in {files} files (below; "
            "compiled away, so Lambda will not print them)"
        )
    if report.failures:
        note += f", {len(report.failures)} files that do not compile (below)"
    return note


# -- zips ------------------------------------------------------------------------------
def _write_zip(dest: Path, entries: Iterable[tuple[str, Path]]) -> None:
    """Write ``(arcname, source)`` entries reproducibly, atomically (temp file, rename)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.partial")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=_ZIP_LEVEL) as zf:
            for arcname, source in sorted(entries):
                info = zipfile.ZipInfo(arcname, date_time=_ZIP_TIME)
                info.create_system = 3  # Unix, so the permission bits below are honoured
                executable = source.stat().st_mode & 0o100
                info.external_attr = (0o100755 if executable else 0o100644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, source.read_bytes(), compresslevel=_ZIP_LEVEL)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _tree(root: Path, prefix: str) -> list[tuple[str, Path]]:
    return [
        (f"{prefix}{path.relative_to(root).as_posix()}", path)
        for path in root.rglob("*")
        if path.is_file()
    ]


def _enforce(dest: Path, budget: int, unzipped_budget: int | None = None) -> ZipSizes:
    sizes = zip_sizes(dest)
    over = []
    if sizes.zipped > budget:
        over.append(f"{human_size(sizes.zipped)} zipped, over the {human_size(budget)} budget")
    if unzipped_budget is not None and sizes.unzipped > unzipped_budget:
        over.append(
            f"{human_size(sizes.unzipped)} unzipped, over the {human_size(unzipped_budget)} budget"
        )
    if over:
        with zipfile.ZipFile(dest) as zf:
            largest = sorted(zf.infolist(), key=lambda i: i.file_size, reverse=True)[:5]
        dest.unlink()
        biggest = ", ".join(f"{i.filename} ({human_size(i.file_size)})" for i in largest)
        raise PackagingError(
            f"{dest.name} is {'; '.join(over)}, so it was removed. The largest entries are "
            f"{biggest}. Leave out what the function does not need, or raise the budget "
            "in skill/packaging.py if the growth is intended."
        )
    return sizes


# -- function.zip ------------------------------------------------------------------------
def _is_cache(path: Path) -> bool:
    return "__pycache__" in path.parts or path.suffix in {".pyc", ".pyo"}


def _dev_only(relative: str) -> bool:
    return any(
        relative.startswith(item) if item.endswith("/") else relative == item for item in DEV_ONLY
    )


def function_files(root: Path | None = None) -> list[tuple[str, Path]]:
    """``(name in the zip, source file)`` for function.zip, sorted by name (no bytecode)."""
    root = repo_root() if root is None else root
    _check_checkout(root)
    entries = [
        ("lambda_function.py", root / "lambda" / "lambda_function.py"),
        # The live-updates function's entry point (LiveFunction in the template).
        ("live_function.py", root / "lambda" / "live_function.py"),
    ]
    package = root / "skill"
    patterns = _pyproject(root).get("tool", {}).get("setuptools", {}).get("package-data", {})
    files = {p for p in package.rglob("*.py") if not _is_cache(p)}
    for pattern in patterns.get("skill", []):
        files.update(p for p in package.glob(pattern) if p.is_file() and not _is_cache(p))
    for path in files:
        relative = path.relative_to(package).as_posix()
        if not _dev_only(relative):
            entries.append((f"skill/{relative}", path))
    return sorted(entries)


def build_function_zip(
    out_dir: Path | str,
    *,
    root: Path | None = None,
    python: TargetPython | str | Path | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write ``out_dir/function.zip``, sources and bytecode compiled by ``python`` (a
    :class:`TargetPython`, a path, or None to :func:`find_python` the template's version).

    Raise PackagingError if no such interpreter is found or the zip is over its budget.
    """
    progress = progress or _SILENT
    root = repo_root() if root is None else root
    target = _target(python, root)
    dest = Path(out_dir) / FUNCTION_ZIP
    with progress.step("collecting function files") as note:
        entries = function_files(root)
        note(f"{len(entries)} files")
    with tempfile.TemporaryDirectory(prefix="cornershop-function-") as tmp:
        with progress.step(f"compiling them for CPython {target.version}") as note:
            compiled, report = _compile(target, entries, Path(tmp), _TASK_ROOT)
            note(_compile_note(report, target))
        _report(progress, report)
        with progress.step(f"writing {dest}") as note:
            _write_zip(dest, entries + compiled)
            sizes = _enforce(dest, FUNCTION_ZIP_BUDGET)
            note(human_size(sizes.zipped))
    return dest


# -- the lock ------------------------------------------------------------------------------
_INPUTS_LINE = re.compile(r"^# inputs: (sha256:[0-9a-f]{64})$", re.MULTILINE)
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.MULTILINE)


def _check_arch(arch: str) -> str:
    if arch not in ARCHITECTURES:
        raise PackagingError(
            f"{arch!r} is not a Lambda architecture. Use one of {', '.join(ARCHITECTURES)}."
        )
    return ARCHITECTURES[arch]


def lock_path(root: Path, arch: str) -> Path:
    """``lambda/layer-<arch>.lock``: the layer's pins and hashes for one architecture."""
    _check_arch(arch)
    return root / "lambda" / f"layer-{arch}.lock"


def lock_inputs(root: Path, arch: str) -> dict[str, Any]:
    """Everything the lock is resolved from; its digest is in the lock's header."""
    machine = _check_arch(arch)
    return {
        "python": target_python_version(root),
        "platform": f"{machine}-{_MANYLINUX}",
        "requirements": sorted(runtime_requirements(root)),
        "constraints": list(_SHARED_WITH_RUNTIME_BOTOCORE),
    }


def _digest(inputs: dict[str, Any]) -> str:
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"))
    return f"sha256:{hashlib.sha256(text.encode('utf-8')).hexdigest()}"


def _lock_header(arch: str, inputs: dict[str, Any]) -> str:
    return (
        f"# Corner Shop's Lambda layer for CPython {inputs['python']} on {arch} "
        f"({_MANYLINUX} {ARCHITECTURES[arch]} wheels):\n"
        "# pyproject.toml's runtime dependencies, minus what Lambda provides, each pinned\n"
        "# with the hashes of its files. `cornershop package` installs exactly these.\n"
        f"# Regenerate it with `{LOCK_COMMAND}` (uv; needs the package index) and commit it;\n"
        "# `cornershop package` refuses a lock whose inputs (pyproject's dependencies, the\n"
        "# template's Runtime, the architecture) have changed since.\n"
        f"# inputs: {_digest(inputs)}\n"
        "#\n"
    )


def _relative(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def check_lock(root: Path, arch: str) -> Path:
    """The lock for ``arch``, if it was made from today's inputs; else PackagingError."""
    path = lock_path(root, arch)
    name = _relative(root, path)
    if not path.is_file():
        raise PackagingError(
            f"There is no lock file {name} for the {arch} layer. Create it with "
            f"`{LOCK_COMMAND}` (needs uv and the package index), then commit it."
        )
    recorded = _INPUTS_LINE.search(path.read_text("utf-8"))
    if recorded is None or recorded.group(1) != _digest(lock_inputs(root, arch)):
        raise PackagingError(
            f"{name} is out of date: pyproject.toml's runtime dependencies, the Python of "
            f"the template's Runtime or the layer's platform changed after it was made. "
            f"Regenerate it with `{LOCK_COMMAND}`, review the new pins and commit them."
        )
    return path


def locked_pins(path: Path) -> dict[str, str]:
    """``{normalized name: version}`` of a lock file."""
    return {_dist_name(n): v for n, v in _PIN.findall(path.read_text("utf-8"))}


def _uv() -> list[str]:
    if importlib.util.find_spec("uv") is not None:
        return [sys.executable, "-m", "uv"]
    found = shutil.which("uv")
    if found is not None:
        return [found]
    raise PackagingError(
        "Regenerating the layer's lock needs uv. Install it with `pip install uv` "
        "(the test extra has it) and run the command again."
    )


def lock_layer(
    root: Path | None = None, arch: str = DEFAULT_ARCH, *, upgrade: bool = False
) -> bool:
    """Resolve the layer for ``arch`` with uv and write ``lambda/layer-<arch>.lock``.

    Pins already in the lock are kept while they still fit (uv prefers them), unless
    ``upgrade``. Needs the package index. Returns whether the file changed.
    """
    root = repo_root() if root is None else root
    path = lock_path(root, arch)
    inputs = lock_inputs(root, arch)
    uv = _uv()
    with tempfile.TemporaryDirectory(prefix="cornershop-lock-") as tmp:
        work = Path(tmp)
        # Fixed names, relative to the working folder: uv writes them into the
        # "# via" comments, which must not change from one run to the next.
        (work / "pyproject-runtime.in").write_text("\n".join(inputs["requirements"]) + "\n")
        (work / "lambda-botocore.txt").write_text("\n".join(inputs["constraints"]) + "\n")
        if path.is_file() and not upgrade:
            shutil.copyfile(path, work / "layer.lock")
        command = [
            *uv,
            "pip",
            "compile",
            "pyproject-runtime.in",
            "--constraint",
            "lambda-botocore.txt",
            "--output-file",
            "layer.lock",
            "--generate-hashes",
            "--only-binary",
            ":all:",
            "--python-version",
            inputs["python"],
            "--python-platform",
            inputs["platform"],
            "--custom-compile-command",
            LOCK_COMMAND,
            "--quiet",
        ]
        if upgrade:
            command.append("--upgrade")
        try:
            done = subprocess.run(
                command, cwd=work, capture_output=True, text=True, timeout=600, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PackagingError(
                f"uv did not finish resolving the {arch} layer ({exc}). Check the connection "
                "to the package index and try again."
            ) from exc
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-12:])
            raise PackagingError(
                f"uv could not resolve the {arch} layer for CPython {inputs['python']} "
                f"(exit status {done.returncode}). If it could not reach the package index, "
                "check the network and try again; if a dependency has no manylinux2014 "
                f"wheel for {arch}, pin a version that has one.\nuv said:\n{tail}"
            )
        text = _lock_header(arch, inputs) + (work / "layer.lock").read_text("utf-8")
    if path.is_file() and path.read_text("utf-8") == text:
        return False
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, "utf-8")
    os.replace(partial, path)
    return True


# -- layer.zip ---------------------------------------------------------------------------
def wheelhouse_for(root: Path, arch: str, wheelhouse: Path | str | None = None) -> Path:
    """The folder of the locked wheels: ``<wheelhouse>/cp312-manylinux2014_aarch64``."""
    machine = _check_arch(arch)
    base = root / DEFAULT_WHEELHOUSE if wheelhouse is None else Path(wheelhouse)
    version = target_python_version(root).replace(".", "")
    return base / f"cp{version}-{_MANYLINUX}_{machine}"


def _pip(command: list[str], doing: str, arch: str, python_version: str, folder: Path) -> None:
    """Run pip; PackagingError with pip's last words and a hint if it fails."""
    machine = ARCHITECTURES[arch]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
    except subprocess.TimeoutExpired as exc:
        raise PackagingError(
            f"pip did not {doing} within 15 minutes. Check the connection to the package "
            "index and try again."
        ) from exc
    if done.returncode == 0:
        return
    said = (done.stderr or done.stdout).strip()
    tail = "\n".join(said.splitlines()[-12:])
    offline = "--no-index" in command
    if "No module named pip" in said:
        hint = f"There is no pip for {sys.executable}; install it with `python -m ensurepip`."
    elif re.search(
        r"NewConnectionError|Failed to establish|Temporary failure in name resolution|"
        r"Max retries exceeded|ConnectTimeout|Network is unreachable|ProxyError|SSLError",
        said,
    ):
        hint = (
            "The package index (PyPI) could not be reached. Fetching the layer's wheels "
            "downloads them: check the network, proxy and PIP_INDEX_URL, then run it again."
        )
    elif "THESE PACKAGES DO NOT MATCH THE HASHES" in said:
        hint = (
            "A downloaded file does not have a hash the lock lists: the file changed on the "
            f"index, or the wheelhouse {folder} holds a damaged copy. Delete the wheelhouse "
            "and fetch again; if it persists, regenerate the lock and review why."
        )
    elif offline and ("No matching distribution" in said or "(from versions: none)" in said):
        hint = (
            f"The wheelhouse {folder} lacks a locked wheel. Fetch them with "
            f"`cornershop package fetch --arch {arch}` (needs the package index), or build "
            "without --offline."
        )
    elif "(from versions: none)" in said:
        hint = (
            "pip found no release at all of a dependency, which usually means the package "
            "index (PyPI) could not be reached: check the network, proxy and PIP_INDEX_URL, "
            f"then run it again. If the index is reachable, the dependency has no "
            f"{_MANYLINUX} {machine} wheel for CPython {python_version}: regenerate the lock."
        )
    elif "No matching distribution" in said or "Could not find a version" in said:
        hint = (
            f"A locked dependency has no {_MANYLINUX} {machine} wheel for CPython "
            f"{python_version}. Regenerate the lock with `{LOCK_COMMAND}`."
        )
    else:
        hint = "Read pip's message below and fix what it names."
    raise PackagingError(
        f"pip could not {doing} for CPython {python_version} on {arch} (exit status "
        f"{done.returncode}). {hint}\npip said:\n{tail}"
    )


def _platform_options(arch: str, python_version: str) -> list[str]:
    return [
        "--platform",
        f"{_MANYLINUX}_{ARCHITECTURES[arch]}",
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--only-binary=:all:",
        "--no-deps",  # the lock lists every distribution, pinned
        "--require-hashes",
        "--no-input",
        "--disable-pip-version-check",
    ]


def fetch_wheels(
    arch: str = DEFAULT_ARCH, *, root: Path | None = None, wheelhouse: Path | str | None = None
) -> Path:
    """Download the wheels of ``lambda/layer-<arch>.lock`` into the wheelhouse, checking
    every file against the lock's hashes (pip keeps the ones already there). Needs the
    package index; returns the folder."""
    root = repo_root() if root is None else root
    lock = check_lock(root, arch)
    version = target_python_version(root)
    folder = wheelhouse_for(root, arch, wheelhouse)
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--dest",
        str(folder),
        "--progress-bar",
        "off",
        *_platform_options(arch, version),
        "--requirement",
        str(lock),
    ]
    _pip(command, "download the layer's locked wheels", arch, version, folder)
    return folder


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _prune(site: Path) -> None:
    """Drop what Lambda provides or never runs: boto3 and kin, scripts, caches, tests."""
    provided = {_normalized(n) for n in LAMBDA_PROVIDED}
    for entry in list(site.iterdir()):
        stem = _normalized(entry.name.split("-")[0]) if entry.suffix == ".dist-info" else None
        module = _normalized(entry.stem) if entry.suffix == ".py" else None
        if (
            _normalized(entry.name) in provided
            or stem in provided
            or module in provided
            or entry.name in {"bin", "__pycache__"}
        ):
            _remove(entry)
    for path in sorted(site.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if not path.exists():
            continue
        if path.is_dir() and (
            path.name == "__pycache__"
            # a tests folder inside a package, never a top-level distribution
            or (path.name in _TEST_DIRS and path.parent != site)
        ):
            _remove(path)
        elif path.suffix in {".pyc", ".pyo"} or (
            path.parent.suffix == ".dist-info" and path.name in _DIST_INFO_DROP
        ):
            path.unlink()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def build_layer_zip(
    out_dir: Path | str,
    arch: str = DEFAULT_ARCH,
    *,
    root: Path | None = None,
    python: TargetPython | str | Path | None = None,
    wheelhouse: Path | str | None = None,
    offline: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Write ``out_dir/layer.zip``: ``python/`` with the locked dependencies for ``arch``
    (``x86_64`` or ``arm64``) and the template's CPython, and their bytecode.

    Refuses an out-of-date lock. Fetches the locked wheels first (the network) unless
    ``offline``, then installs them from the wheelhouse without an index. Raise
    PackagingError if any of that fails or the layer is over its budgets.
    """
    progress = progress or _SILENT
    _check_arch(arch)
    root = repo_root() if root is None else root
    target = _target(python, root)
    dest = Path(out_dir) / LAYER_ZIP
    with progress.step(f"checking {_relative(root, lock_path(root, arch))}") as note:
        lock = check_lock(root, arch)
        pins = locked_pins(lock)
        note(f"up to date, {len(pins)} pins")
    folder = wheelhouse_for(root, arch, wheelhouse)
    if not offline:
        with progress.step(f"fetching the locked wheels into {_relative(root, folder)}") as note:
            fetch_wheels(arch, root=root, wheelhouse=wheelhouse)
            note(f"{len(list(folder.glob('*.whl')))} wheels there")
    with tempfile.TemporaryDirectory(prefix="cornershop-layer-") as tmp:
        site = Path(tmp) / "python"
        with progress.step(
            f"installing {len(pins)} distributions for CPython {target.version} {arch}"
        ) as note:
            command = [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--target",
                str(site),
                "--no-index",
                "--find-links",
                str(folder),
                "--no-compile",  # compiled below, by the target's own interpreter
                *_platform_options(arch, target.version),
                "--requirement",
                str(lock),
            ]
            _pip(command, "install the layer's locked wheels", arch, target.version, folder)
            _prune(site)
            note(f"{len(list(site.glob('*.dist-info')))} distributions")
        with progress.step(f"compiling them for CPython {target.version}") as note:
            _, report = _compile(target, _tree(site, "python/"), Path(tmp), _LAYER_ROOT)
            note(_compile_note(report, target))
        _report(progress, report)
        with progress.step(f"writing {dest}") as note:
            _write_zip(dest, _tree(site, "python/"))
            sizes = _enforce(dest, LAYER_ZIP_BUDGET, LAYER_UNZIPPED_BUDGET)
            note(human_size(sizes.zipped))
    return dest


# -- the ask-cli skill package -----------------------------------------------------------
def _models(root: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted((root / "interaction_models").glob("*.json"))}


def _package_models(root: Path) -> dict[str, Path]:
    folder = root / _SKILL_PACKAGE / _CUSTOM_MODELS
    return {p.stem: p for p in sorted(folder.glob("*.json"))}


def _manifest_path(root: Path) -> Path:
    return root / _SKILL_PACKAGE / "skill.json"


def _load_manifest(root: Path) -> dict[str, Any]:
    path = _manifest_path(root)
    if not path.is_file():
        raise PackagingError(
            f"There is no skill manifest at {path}. Restore skill-package/skill.json "
            "from version control."
        )
    try:
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        manifest = data["manifest"]
        usable = isinstance(manifest["publishingInformation"]["locales"], dict) and isinstance(
            manifest["privacyAndCompliance"]["locales"], dict
        )
    except (ValueError, KeyError, TypeError):
        usable = False
    if not usable:
        raise PackagingError(
            f"{path} is not a skill manifest with publishingInformation.locales and "
            "privacyAndCompliance.locales. Restore it from version control."
        )
    return data


def _invocation_name(model: Path) -> str:
    data = json.loads(model.read_text("utf-8"))
    return str(data["interactionModel"]["languageModel"]["invocationName"])


def _country(locale: str) -> str:
    return locale.partition("-")[2].upper()


def _seed(entries: dict[str, Any], locale: str) -> tuple[str, Any]:
    """The existing locale a new one starts from: same language, else en-US, else the first."""
    language = locale.partition("-")[0]
    for name in sorted(entries):
        if name.partition("-")[0] == language:
            return name, entries[name]
    name = "en-US" if "en-US" in entries else sorted(entries)[0]
    return name, entries[name]


def _manifest_for(root: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest with one publishing and privacy entry per model locale."""
    models = _models(root)
    new = copy.deepcopy(manifest)
    publishing = new["manifest"]["publishingInformation"]
    privacy = new["manifest"]["privacyAndCompliance"]
    for section in (publishing["locales"], privacy["locales"]):
        if not section:
            raise PackagingError(
                "The skill manifest lists no locales to copy new ones from. Restore "
                "skill-package/skill.json from version control."
            )
    old_publishing = dict(publishing["locales"])
    for locale in list(publishing["locales"]):
        if locale not in models:
            del publishing["locales"][locale]
    for locale in list(privacy["locales"]):
        if locale not in models:
            del privacy["locales"][locale]
    for locale, model in models.items():
        if locale not in publishing["locales"]:
            source, entry = _seed(old_publishing, locale)
            entry = copy.deepcopy(entry)
            old_name = _invocation_name(models.get(source, model))
            new_name = _invocation_name(model)
            pattern = re.compile(re.escape(old_name), re.IGNORECASE)
            entry["examplePhrases"] = [
                pattern.sub(new_name, p) for p in entry.get("examplePhrases", [])
            ]
            publishing["locales"][locale] = entry
        if locale not in privacy["locales"]:
            privacy["locales"][locale] = copy.deepcopy(_seed(privacy["locales"], locale)[1])
    publishing["locales"] = dict(sorted(publishing["locales"].items()))
    privacy["locales"] = dict(sorted(privacy["locales"].items()))
    publishing["distributionCountries"] = sorted({_country(loc) for loc in models})
    return new


def _manifest_text(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def export_skill_package(repo_root: Path) -> list[Path]:
    """Copy ``interaction_models/*.json`` into the skill package and fit the manifest to them.

    A locale new to the manifest starts from an existing locale of the same language (or
    the first one), with example phrases using its own invocation name: translate its
    texts before publishing. Models without a source are removed, and so are their
    manifest locales. Returns the files written or removed (none when all was in step).
    """
    root = Path(repo_root)
    models = _models(root)
    if not models:
        raise PackagingError(
            f"There are no interaction models in {root / 'interaction_models'}; "
            "there is nothing to export."
        )
    changed: list[Path] = []
    folder = root / _SKILL_PACKAGE / _CUSTOM_MODELS
    folder.mkdir(parents=True, exist_ok=True)
    for source in models.values():
        target = folder / source.name
        data = source.read_bytes()
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
            changed.append(target)
    for locale, stale in _package_models(root).items():
        if locale not in models:
            stale.unlink()
            changed.append(stale)
    path = _manifest_path(root)
    text = _manifest_text(_manifest_for(root, _load_manifest(root)))
    if path.read_text("utf-8") != text:
        path.write_text(text, "utf-8")
        changed.append(path)
    return changed


def skill_package_drift(repo_root: Path) -> list[str]:
    """What differs between ``interaction_models/`` and the skill package, one sentence each."""
    root = Path(repo_root)
    models = _models(root)
    copies = _package_models(root)
    fix = "Run `cornershop model export` (skill.packaging.export_skill_package)."
    problems = []
    for locale in sorted(models.keys() - copies.keys()):
        problems.append(f"{locale}: the skill package has no interaction model. {fix}")
    for locale in sorted(copies.keys() - models.keys()):
        problems.append(
            f"{locale}: the skill package has a model that interaction_models/ lacks. {fix}"
        )
    for locale in sorted(models.keys() & copies.keys()):
        if models[locale].read_bytes() != copies[locale].read_bytes():
            problems.append(f"{locale}: the skill package's interaction model differs. {fix}")
    manifest = _load_manifest(root)
    publishing = manifest["manifest"]["publishingInformation"]
    for section, locales in (
        ("publishingInformation", publishing["locales"]),
        ("privacyAndCompliance", manifest["manifest"]["privacyAndCompliance"]["locales"]),
    ):
        for locale in sorted(models.keys() - locales.keys()):
            problems.append(f"{locale}: skill.json {section} lacks this locale. {fix}")
        for locale in sorted(locales.keys() - models.keys()):
            problems.append(
                f"{locale}: skill.json {section} lists a locale with no interaction model. {fix}"
            )
    countries = sorted({_country(loc) for loc in models})
    if publishing.get("distributionCountries") != countries:
        problems.append(
            f"skill.json distributionCountries should be {countries}, from the locales. {fix}"
        )
    for locale in sorted(models.keys() & publishing["locales"].keys()):
        phrases = publishing["locales"][locale].get("examplePhrases") or []
        name = _invocation_name(models[locale])
        if not phrases or name not in phrases[0].lower():
            problems.append(
                f"{locale}: skill.json's first example phrase must use the invocation name "
                f"{name!r} (certification requires it). Edit skill-package/skill.json."
            )
    return problems
