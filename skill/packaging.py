"""Build the AWS Lambda artifacts, and keep the ask-cli skill package in step with the models.

``cornershop package`` (see :mod:`skill.packaging_cli`) writes two zips:

``function.zip``
    The project code and nothing else: ``lambda_function.py`` at the root, the ``skill``
    package (its ``.py`` files and the package data that pyproject declares) and
    ``interaction_models/*.json``. Budget: 300 kB zipped.
``layer.zip``
    ``python/`` holding the runtime dependencies from pyproject, installed by pip from
    manylinux wheels for the Lambda runtime (CPython 3.12, x86_64 or arm64), without the
    boto3 family that Lambda itself provides. Budget: 15 MB zipped, 60 MB unzipped.

Both zips are reproducible: entries sorted, every timestamp 1980-01-01, fixed
permissions, so two builds of the same tree give the same bytes. A budget that is
exceeded raises :class:`~skill.errors.PackagingError` and removes the artifact.

The skill package (``skill-package/``, uploaded by ``ask deploy``) holds copies of
``interaction_models/<locale>.json``; :func:`export_skill_package` refreshes them and the
manifest's locales, :func:`skill_package_drift` lists what is out of step.

Only the standard library is imported here; pip runs as a subprocess.
"""

from __future__ import annotations

import copy
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
    "FUNCTION_ZIP_BUDGET",
    "LAMBDA_PROVIDED",
    "LAYER_UNZIPPED_BUDGET",
    "LAYER_ZIP_BUDGET",
    "Progress",
    "ZipSizes",
    "build_function_zip",
    "build_layer_zip",
    "export_skill_package",
    "function_files",
    "repo_root",
    "runtime_requirements",
    "skill_package_drift",
    "zip_sizes",
]

FUNCTION_ZIP = "function.zip"
LAYER_ZIP = "layer.zip"
FUNCTION_ZIP_BUDGET = 300_000
LAYER_ZIP_BUDGET = 15_000_000
LAYER_UNZIPPED_BUDGET = 60_000_000

# Lambda architecture name -> the machine name in manylinux wheel tags.
ARCHITECTURES = {"x86_64": "x86_64", "arm64": "aarch64"}
DEFAULT_ARCH = "arm64"
DEFAULT_PYTHON = "3.12"

# The Lambda Python runtime ships these (under /var/runtime); a copy in the layer
# would shadow the runtime's own and only add megabytes.
LAMBDA_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath"})

# The layer comes before /var/runtime on sys.path, so a dependency that the runtime's
# botocore also imports is taken from the layer. Keep those within botocore's ranges,
# or the DynamoDB store would run botocore against a dateutil it does not support.
_SHARED_WITH_RUNTIME_BOTOCORE = ("python-dateutil>=2.1,<3", "urllib3>=1.25.4,!=2.2.0,<3")

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_ZIP_LEVEL = 9
# dist-info files that only pip's bookkeeping reads; RECORD would list pruned files.
_DIST_INFO_DROP = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
_TEST_DIRS = frozenset({"tests", "test"})
_PYTHON_VERSION = re.compile(r"3\.\d{1,2}")
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
        for name in ("pyproject.toml", "lambda/lambda_function.py", "interaction_models", "skill")
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


def function_files(root: Path | None = None) -> list[tuple[str, Path]]:
    """``(name in the zip, source file)`` for function.zip, sorted by name."""
    root = repo_root() if root is None else root
    _check_checkout(root)
    entries = [("lambda_function.py", root / "lambda" / "lambda_function.py")]
    package = root / "skill"
    patterns = _pyproject(root).get("tool", {}).get("setuptools", {}).get("package-data", {})
    files = {p for p in package.rglob("*.py") if not _is_cache(p)}
    for pattern in patterns.get("skill", []):
        files.update(p for p in package.glob(pattern) if p.is_file() and not _is_cache(p))
    entries += [(f"skill/{p.relative_to(package).as_posix()}", p) for p in files]
    entries += [
        (f"interaction_models/{p.name}", p) for p in (root / "interaction_models").glob("*.json")
    ]
    return sorted(entries)


def build_function_zip(
    out_dir: Path | str, *, root: Path | None = None, progress: Progress | None = None
) -> Path:
    """Write ``out_dir/function.zip``; raise PackagingError if it is over its budget."""
    progress = progress or _SILENT
    dest = Path(out_dir) / FUNCTION_ZIP
    with progress.step("collecting function files") as note:
        entries = function_files(root)
        note(f"{len(entries)} files")
    with progress.step(f"writing {dest}") as note:
        _write_zip(dest, entries)
        sizes = _enforce(dest, FUNCTION_ZIP_BUDGET)
        note(human_size(sizes.zipped))
    return dest


# -- layer.zip ---------------------------------------------------------------------------
def _pip_install(target: Path, arch: str, python_version: str, requirements: list[str]) -> None:
    machine = ARCHITECTURES[arch]
    constraints = target.parent / "constraints.txt"
    constraints.write_text("\n".join(_SHARED_WITH_RUNTIME_BOTOCORE) + "\n", "utf-8")
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--target",
        str(target),
        "--platform",
        f"manylinux2014_{machine}",
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--only-binary=:all:",
        "--no-compile",
        "--no-input",
        "--disable-pip-version-check",
        "--constraint",
        str(constraints),
        *requirements,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
    except subprocess.TimeoutExpired as exc:
        raise PackagingError(
            "pip did not finish installing the layer's dependencies within 15 minutes. "
            "Check the connection to the package index and try again."
        ) from exc
    if done.returncode == 0:
        return
    said = (done.stderr or done.stdout).strip()
    tail = "\n".join(said.splitlines()[-12:])
    if "No module named pip" in said:
        hint = f"There is no pip for {sys.executable}; install it with `python -m ensurepip`."
    elif re.search(
        r"NewConnectionError|Failed to establish|Temporary failure in name resolution|"
        r"Max retries exceeded|ConnectTimeout|Network is unreachable|ProxyError|SSLError",
        said,
    ):
        hint = (
            "The package index (PyPI) could not be reached. Building the layer downloads "
            "wheels: check the network, proxy and PIP_INDEX_URL, then run it again."
        )
    elif "(from versions: none)" in said:
        hint = (
            "pip found no release at all of a dependency, which usually means the package "
            "index (PyPI) could not be reached: check the network, proxy and PIP_INDEX_URL, "
            f"then run it again. If the index is reachable, the dependency has no "
            f"manylinux2014 {machine} wheel for CPython {python_version}."
        )
    elif "No matching distribution" in said or "Could not find a version" in said:
        hint = (
            f"A dependency has no manylinux2014 {machine} wheel for CPython {python_version} "
            "that satisfies the requirement. Pin a version that ships such a wheel."
        )
    else:
        hint = "Read pip's message below and fix the requirement it names."
    raise PackagingError(
        f"pip could not install the layer's dependencies for CPython {python_version} on "
        f"{arch} (exit status {done.returncode}). {hint}\npip said:\n{tail}"
    )


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _prune(site: Path) -> None:
    """Drop what Lambda provides or never runs: boto3 and kin, scripts, caches, tests."""
    provided = {_normalized(n) for n in LAMBDA_PROVIDED}
    for entry in list(site.iterdir()):
        stem = _normalized(entry.name.split("-")[0]) if entry.suffix == ".dist-info" else None
        if (
            _normalized(entry.name) in provided
            or stem in provided
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
    python_version: str = DEFAULT_PYTHON,
    *,
    root: Path | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write ``out_dir/layer.zip`` with ``python/`` holding the runtime dependencies.

    pip downloads manylinux2014 wheels for CPython ``python_version`` on ``arch``
    (``x86_64`` or ``arm64``) from the package index, so this needs the network.
    Raise PackagingError if pip fails or the layer is over its budgets.
    """
    progress = progress or _SILENT
    if arch not in ARCHITECTURES:
        raise PackagingError(
            f"{arch!r} is not a Lambda architecture. Use one of {', '.join(ARCHITECTURES)}."
        )
    if not _PYTHON_VERSION.fullmatch(python_version):
        raise PackagingError(
            f"{python_version!r} is not a Python version. Use a version like {DEFAULT_PYTHON}."
        )
    if root is None:
        try:
            root = repo_root()
        except PackagingError:
            root = None
    requirements = runtime_requirements(root)
    dest = Path(out_dir) / LAYER_ZIP
    with tempfile.TemporaryDirectory(prefix="cornershop-layer-") as tmp:
        site = Path(tmp) / "python"
        with progress.step(
            f"installing {len(requirements)} dependencies for CPython {python_version} {arch}"
        ) as note:
            _pip_install(site, arch, python_version, requirements)
            _prune(site)
            distributions = len(list(site.glob("*.dist-info")))
            note(f"{distributions} distributions")
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
