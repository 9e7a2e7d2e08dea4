"""`cornershop package`: function.zip and layer.zip, their bytecode, the lock, and a run as
Lambda runs them.

Nothing here reaches the package index. The layers are built from the wheelhouse that
`cornershop package fetch` fills beforehand (CI runs it before the tests), with
``--no-index``; without it the layer tests fail (never skip) and say so. Layers are
built once per session. The target interpreter is the CPython of the template's
Runtime (3.12), found as `cornershop package` finds it.
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import http.server
import importlib.util
import io
import json
import os
import platform
import shutil
import stat
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

import pytest

from skill import packaging
from skill.errors import PackagingError
from skill.packaging import (
    Progress,
    TargetPython,
    build_function_zip,
    build_layer_zip,
    check_lock,
    zip_sizes,
)
from skill.speech import available_locales
from skill.validation import validate_response

REPO = Path(__file__).parents[2]
EVENTS = REPO / "tests" / "events"
WHEELHOUSE = REPO / packaging.DEFAULT_WHEELHOUSE
LOCAL_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
    platform.machine().lower(), platform.machine()
)
# Never in the layer: the Lambda runtime provides these, or the project must not need them.
FORBIDDEN = {
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "snapshot_restore_py",
    "flask_ask",
    "flask_ask_sdk",
    "ask_sdk_webservice_support",
    "oscrypto",
    "certvalidator",
}
# The modules of the skill package that the Lambda runs (a sample: the smoke tests
# below prove that the zip has every module the Lambda imports).
LAMBDA_MODULES = {
    "skill/__init__.py",
    "skill/app.py",
    "skill/config.py",
    "skill/lambda_adapter.py",
    "skill/snapstart.py",
    "skill/verification.py",
    "skill/store/dynamodb.py",
    "skill/store/sqlite.py",
    "skill/store/memory.py",
}


# -- fixtures ------------------------------------------------------------------------
@pytest.fixture(scope="session")
def target() -> TargetPython:
    version = packaging.target_python_version(REPO)
    try:
        return packaging.find_python(version)
    except PackagingError as exc:
        pytest.fail(f"The packaging tests need CPython {version}: {exc}")


@pytest.fixture(scope="session")
def function_zip(tmp_path_factory: pytest.TempPathFactory, target: TargetPython) -> Path:
    return build_function_zip(tmp_path_factory.mktemp("function"), python=target)


def _layer(out: Path, arch: str, target: TargetPython) -> tuple[Path, str]:
    """An offline layer build from the fetched wheelhouse, and what it reported."""
    report = io.StringIO()
    try:
        path = build_layer_zip(
            out, arch, python=target, offline=True, progress=Progress(report, total=5)
        )
    except PackagingError as exc:
        pytest.fail(
            f"Building the {arch} layer from {WHEELHOUSE} failed. The tests build layers "
            "from locked wheels fetched beforehand: run `.venv/bin/cornershop package fetch` "
            f"(needs the package index; CI runs it before the tests).\n{exc}"
        )
    return path, report.getvalue()


@pytest.fixture(scope="session")
def lambda_layer_build(
    tmp_path_factory: pytest.TempPathFactory, target: TargetPython
) -> tuple[Path, str]:
    """The layer as deployed: CPython 3.12 wheels for arm64 (template.yaml's runtime)."""
    return _layer(tmp_path_factory.mktemp("layer-lambda"), "arm64", target)


@pytest.fixture(scope="session")
def lambda_layer(lambda_layer_build: tuple[Path, str]) -> Path:
    return lambda_layer_build[0]


@pytest.fixture(scope="session")
def local_layer(tmp_path_factory: pytest.TempPathFactory, target: TargetPython) -> Path:
    """The same layer for this machine's architecture, to run it here."""
    return _layer(tmp_path_factory.mktemp("layer-local"), LOCAL_ARCH, target)[0]


def names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()


def pyc_header(data: bytes) -> tuple[bytes, int]:
    """(magic number, PEP 552 flags) of a .pyc."""
    return data[:4], int.from_bytes(data[4:8], "little")


def target_magic(target: TargetPython) -> bytes:
    code = "import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"
    done = subprocess.run(
        [str(target.executable), "-S", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return bytes.fromhex(done.stdout)


def checkout_copy(tmp_path: Path) -> Path:
    """What the packager reads of a checkout, copied so that a test may change it."""
    root = tmp_path / "checkout"
    (root / "lambda").mkdir(parents=True)
    (root / "skill").mkdir()
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    for path in (REPO / "lambda").iterdir():
        if path.is_file():
            shutil.copy(path, root / "lambda" / path.name)
    return root


# -- the target interpreter --------------------------------------------------------------
def test_the_target_is_the_templates_runtime(tmp_path: Path, target: TargetPython) -> None:
    assert packaging.target_python_version(REPO) == "3.12" == target.version
    assert target.cache_tag == "cpython-312"
    # A template moved to another runtime moves the target with it.
    root = checkout_copy(tmp_path)
    template = root / "lambda" / "template.yaml"
    template.write_text(template.read_text("utf-8").replace("python3.12", "python3.13"))
    assert packaging.target_python_version(root) == "3.13"


def test_a_template_with_two_runtimes_is_refused(tmp_path: Path) -> None:
    root = checkout_copy(tmp_path)
    template = root / "lambda" / "template.yaml"
    text = template.read_text("utf-8")
    template.write_text(text + "\n  Other:\n    Properties:\n      Runtime: python3.11\n")
    with pytest.raises(PackagingError, match=r"exactly one Python runtime.*python3\.11"):
        packaging.target_python_version(root)


def test_a_missing_interpreter_is_named_with_how_to_get_one() -> None:
    with pytest.raises(PackagingError) as caught:
        packaging.find_python("3.99")
    message = str(caught.value)
    assert "needs a CPython 3.99 interpreter" in message
    assert "pyenv install 3.99" in message and "--python" in message


def test_an_interpreter_of_another_version_is_refused() -> None:
    other = f"{sys.version_info.major}.{sys.version_info.minor}"
    wanted = "3.12" if other != "3.12" else "3.13"
    with pytest.raises(PackagingError, match=rf"is CPython {other}, but .* needs CPython"):
        packaging.find_python(wanted, sys.executable)


# -- function.zip ------------------------------------------------------------------------
def test_function_zip_holds_the_lambdas_code_and_data_only(function_zip: Path) -> None:
    entries = names(function_zip)
    assert entries == sorted(entries)
    assert "lambda_function.py" in entries
    assert LAMBDA_MODULES | {"skill/data/catalog.json", "skill/speech/locales/en-US.json"} <= set(
        entries
    )
    for name in entries:
        parts = PurePosixPath(name).parts
        assert parts[0] in {"lambda_function.py", "live_function.py", "__pycache__", "skill"}, name
        assert not {"tests", "bench", "interaction_models"} & set(parts), name
    # The dev-only modules stay out: the simulator, the test CA, the CLI, the packager,
    # the validator, the web service and the model tools.
    sources = {n for n in entries if n.endswith(".py")}
    for dev_only in packaging.DEV_ONLY:
        assert not any(n.removeprefix("skill/").startswith(dev_only) for n in entries), dev_only
    assert "skill/simulator/nlu.py" not in sources and "skill/cli.py" not in sources
    # No dependency sneaks into the function.
    assert not {PurePosixPath(n).parts[0] for n in entries} & {"ask_sdk_core", "yaml", "flask"}


def test_every_function_module_has_unchecked_hash_bytecode_for_the_target(
    function_zip: Path, target: TargetPython
) -> None:
    entries = names(function_zip)
    sources = [n for n in entries if n.endswith(".py")]
    compiled = [n for n in entries if n.endswith(".pyc")]
    # one pyc per source, beside it in __pycache__, named for CPython 3.12 only
    expected = {
        str(PurePosixPath(s).parent / "__pycache__" / f"{PurePosixPath(s).stem}.cpython-312.pyc")
        for s in sources
    }
    assert set(compiled) == expected
    magic = target_magic(target)
    with zipfile.ZipFile(function_zip) as zf:
        for name in compiled:
            # flags 0b01: hash-based, and the source is not checked (PEP 552)
            assert pyc_header(zf.read(name)) == (magic, 0b01), name


def test_function_zip_is_within_budget_and_reproducible(
    function_zip: Path, tmp_path: Path, target: TargetPython
) -> None:
    sizes = zip_sizes(function_zip)
    assert sizes.zipped <= packaging.FUNCTION_ZIP_BUDGET == 500_000
    again = build_function_zip(tmp_path, python=target)
    assert hashlib.sha256(again.read_bytes()).digest() == (
        hashlib.sha256(function_zip.read_bytes()).digest()
    )
    with zipfile.ZipFile(again) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_an_artifact_over_budget_fails_the_build_and_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: TargetPython
) -> None:
    monkeypatch.setattr(packaging, "FUNCTION_ZIP_BUDGET", 1000)
    with pytest.raises(PackagingError, match=r"over the 1\.0 kB budget.*largest entries"):
        build_function_zip(tmp_path, python=target)
    assert list(tmp_path.iterdir()) == []


def test_package_command_reports_progress_on_stderr_and_sizes_on_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: TargetPython
) -> None:
    from skill.packaging_cli import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(
        ["package", "--out", str(tmp_path), "--function-only", "--python", str(target.executable)]
    )
    out = io.StringIO()
    assert args.func(args, out) == 0
    err = capsys.readouterr().err
    assert (
        f"[1/4] finding CPython 3.12 (Runtime in lambda/template.yaml) ... {target.executable}"
        in err
    )
    assert "[2/4] collecting function files ..." in err
    assert "[3/4] compiling them for CPython 3.12 ... " in err and ".cpython-312.pyc" in err
    assert "[4/4] writing" in err
    # our own code compiles without a warning
    assert "Warning" not in err
    size = (tmp_path / "function.zip").stat().st_size
    assert out.getvalue().startswith(f"{tmp_path / 'function.zip'}: {size} bytes zipped")


# -- the lock ------------------------------------------------------------------------------
@pytest.mark.parametrize("arch", ["arm64", "x86_64"])
def test_the_committed_lock_is_up_to_date_and_pins_everything_with_hashes(arch: str) -> None:
    lock = check_lock(REPO, arch)
    assert lock == REPO / "lambda" / f"layer-{arch}.lock"
    pins = packaging.locked_pins(lock)
    direct = {packaging._dist_name(r) for r in packaging.runtime_requirements(REPO)}
    assert direct <= pins.keys()
    assert not pins.keys() & {packaging._dist_name(n) for n in packaging.LAMBDA_PROVIDED}
    # every pin is exact and carries at least one sha256
    blocks = lock.read_text("utf-8").split("\n")
    pinned = [i for i, line in enumerate(blocks) if "==" in line and not line.startswith("#")]
    assert len(pinned) == len(pins)
    for i in pinned:
        assert blocks[i].endswith(" \\") and "--hash=sha256:" in blocks[i + 1], blocks[i]
    # botocore's ranges, for the runtime's own botocore that shares them
    assert int(pins["python-dateutil"].split(".")[0]) < 3


def test_an_out_of_date_lock_is_refused_with_the_command_that_fixes_it(
    tmp_path: Path, target: TargetPython
) -> None:
    # GIVEN a checkout whose pyproject gained a runtime dependency after the lock was made
    root = checkout_copy(tmp_path)
    check_lock(root, "arm64")  # in step before the change
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text("utf-8")
    pyproject.write_text(text.replace("dependencies = [\n", 'dependencies = [\n    "attrs",\n', 1))
    # THEN the lock is refused, and so is a layer build from it (before any pip runs)
    with pytest.raises(PackagingError, match=r"layer-arm64\.lock is out of date") as caught:
        check_lock(root, "arm64")
    assert "`cornershop package lock`" in str(caught.value)
    with pytest.raises(PackagingError, match="out of date"):
        build_layer_zip(tmp_path / "out", "arm64", root=root, python=target, offline=True)
    assert not (tmp_path / "out" / "layer.zip").exists()


def test_a_lock_for_another_python_is_refused(tmp_path: Path) -> None:
    root = checkout_copy(tmp_path)
    template = root / "lambda" / "template.yaml"
    template.write_text(template.read_text("utf-8").replace("python3.12", "python3.13"))
    with pytest.raises(PackagingError, match="out of date"):
        check_lock(root, "x86_64")


def test_a_missing_lock_says_how_to_make_one(tmp_path: Path) -> None:
    root = checkout_copy(tmp_path)
    (root / "lambda" / "layer-x86_64.lock").unlink()
    with pytest.raises(PackagingError, match=r"no lock file lambda/layer-x86_64\.lock.*lock`"):
        check_lock(root, "x86_64")


def test_lock_check_command_exits_non_zero_for_an_out_of_date_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from skill.packaging_cli import register

    root = checkout_copy(tmp_path)
    monkeypatch.setattr(packaging, "repo_root", lambda: root)
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["package", "lock", "--check"])
    out = io.StringIO()
    assert args.func(args, out) == 0
    assert (
        out.getvalue()
        == "lambda/layer-arm64.lock: up to date\nlambda/layer-x86_64.lock: up to date\n"
    )
    (root / "lambda" / "template.yaml").write_text(
        (root / "lambda" / "template.yaml").read_text("utf-8").replace("python3.12", "python3.13")
    )
    assert args.func(args, io.StringIO()) == 1
    assert capsys.readouterr().err.count("is out of date") == 2


class _Index:
    """A PEP 503 "simple" index of the wheelhouse on 127.0.0.1, with sha256 fragments."""

    def __init__(self, folder: Path) -> None:
        wheels: dict[str, dict[str, Path]] = {}
        for wheel in sorted(WHEELHOUSE.glob("*/*.whl")):
            project = packaging._dist_name(wheel.name.split("-")[0])
            wheels.setdefault(project, {})[wheel.name] = wheel
        for project, files in wheels.items():
            page = folder / "simple" / project
            page.mkdir(parents=True)
            links = []
            for name, wheel in files.items():
                shutil.copy(wheel, folder / name)
                digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
                links.append(f'<a href="../../{name}#sha256={digest}">{name}</a>')
            (page / "index.html").write_text("<html><body>" + "".join(links) + "</body></html>")
        handler = functools.partial(_QuietFiles, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/simple"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _Index:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.mark.slow
def test_lock_command_resolves_with_uv_and_writes_the_header_check_lock_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not any(WHEELHOUSE.glob("*/*.whl")):
        pytest.fail(f"No wheels in {WHEELHOUSE}: run `.venv/bin/cornershop package fetch` first.")
    # GIVEN a checkout whose lock is gone, and uv pointed at a local index of the
    # wheelhouse (and at nothing of this machine's: no config, its own cache)
    root = checkout_copy(tmp_path)
    (root / "lambda" / "layer-arm64.lock").unlink()
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    for name in ("UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_INDEX", "UV_FIND_LINKS"):
        monkeypatch.delenv(name, raising=False)
    with _Index(tmp_path / "index") as index:
        monkeypatch.setenv("UV_DEFAULT_INDEX", index.url)
        # WHEN the lock is regenerated
        assert packaging.lock_layer(root, "arm64") is True
        again = packaging.lock_layer(root, "arm64")
    # THEN it has the committed lock's pins, a header check_lock accepts, and the same
    # text when made again
    lock = check_lock(root, "arm64")
    assert again is False
    assert packaging.locked_pins(lock) == packaging.locked_pins(REPO / "lambda/layer-arm64.lock")
    text = lock.read_text("utf-8")
    assert text.startswith("# Corner Shop's Lambda layer for CPython 3.12 on arm64")
    assert "#    cornershop package lock\n" in text
    assert "# via -r pyproject-runtime.in" in text and str(tmp_path) not in text


# -- layer.zip ------------------------------------------------------------------------------
@pytest.mark.slow
def test_layer_is_within_budgets(lambda_layer: Path) -> None:
    sizes = zip_sizes(lambda_layer)
    assert sizes.zipped <= packaging.LAYER_ZIP_BUDGET == 15_000_000
    assert sizes.unzipped <= packaging.LAYER_UNZIPPED_BUDGET == 60_000_000


@pytest.mark.slow
def test_layer_holds_exactly_the_locked_distributions_and_nothing_lambda_provides(
    lambda_layer: Path,
) -> None:
    entries = names(lambda_layer)
    assert entries == sorted(entries)
    assert all(n.startswith("python/") for n in entries)
    top = {PurePosixPath(n).parts[1] for n in entries}
    installed = dict(
        t.removesuffix(".dist-info").rsplit("-", 1) for t in top if t.endswith(".dist-info")
    )
    installed = {packaging._dist_name(name): version for name, version in installed.items()}
    packages = {t.lower() for t in top if not t.endswith(".dist-info")}
    pins = packaging.locked_pins(REPO / "lambda" / "layer-arm64.lock")
    assert installed == pins
    assert not ({n.replace("-", "_") for n in installed} | packages) & FORBIDDEN
    assert {"ask_sdk_core", "cryptography", "flask", "yaml", "certifi"} <= packages
    assert "bin" not in top
    for name in entries:
        assert not name.endswith(".dist-info/RECORD"), name
    with zipfile.ZipFile(lambda_layer) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.slow
def test_every_layer_module_has_unchecked_hash_bytecode_for_the_target(
    lambda_layer: Path, target: TargetPython
) -> None:
    entries = set(names(lambda_layer))
    sources = sorted(n for n in entries if n.endswith(".py"))
    assert len(sources) > 500
    missing = [
        s
        for s in sources
        if f"{PurePosixPath(s).parent}/__pycache__/{PurePosixPath(s).stem}.cpython-312.pyc"
        not in entries
    ]
    assert missing == []
    magic = target_magic(target)
    with zipfile.ZipFile(lambda_layer) as zf:
        pycs = [n for n in entries if n.endswith(".pyc")]
        assert all(".cpython-312." in n for n in pycs)
        for name in pycs[::50]:
            assert pyc_header(zf.read(name)) == (magic, 0b01), name


@pytest.mark.slow
def test_the_sdks_syntax_warnings_are_reported_at_build_time(
    lambda_layer_build: tuple[Path, str],
) -> None:
    # They are compiled away (Lambda would print them at every cold start), but named.
    report = lambda_layer_build[1]
    assert "compiler warnings in" in report
    assert "python/ask_sdk_model/" in report
    assert "SyntaxWarning: invalid escape sequence" in report


@pytest.mark.slow
def test_layer_native_code_is_for_arm64_and_cpython_312(lambda_layer: Path) -> None:
    aarch64 = 183  # ELF e_machine
    with zipfile.ZipFile(lambda_layer) as zf:
        shared = [i for i in zf.infolist() if ".so" in PurePosixPath(i.filename).suffixes]
        assert shared, "no compiled extension in the layer (cryptography has one)"
        for info in shared:
            head = zf.read(info)[:20]
            assert head[:4] == b"\x7fELF", info.filename
            assert int.from_bytes(head[18:20], "little") == aarch64, info.filename
            name = PurePosixPath(info.filename).name
            if ".cpython-" in name:
                assert ".cpython-312-aarch64-linux-gnu" in name, name


@pytest.mark.slow
def test_layer_is_reproducible(local_layer: Path, tmp_path: Path, target: TargetPython) -> None:
    again, _ = _layer(tmp_path, LOCAL_ARCH, target)
    assert hashlib.sha256(again.read_bytes()).digest() == (
        hashlib.sha256(local_layer.read_bytes()).digest()
    )


@pytest.mark.slow
def test_an_offline_build_without_the_wheels_says_to_fetch_them(
    tmp_path: Path, target: TargetPython
) -> None:
    with pytest.raises(PackagingError, match=r"lacks a locked wheel.*cornershop package fetch"):
        build_layer_zip(
            tmp_path, "arm64", python=target, offline=True, wheelhouse=tmp_path / "empty"
        )
    assert not (tmp_path / "layer.zip").exists()


@pytest.mark.slow
def test_an_unreachable_package_index_fails_with_a_clear_message(tmp_path: Path) -> None:
    # GIVEN pip pointed at an index nobody serves, with no local wheels or config
    # (a context of its own: conftest's env guard runs before the monkeypatch fixture undoes)
    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name.startswith("PIP_"):
                env.delenv(name)
        env.setenv("PIP_CONFIG_FILE", os.devnull)
        env.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
        env.setenv("PIP_RETRIES", "0")
        env.setenv("PIP_TIMEOUT", "2")
        # WHEN the locked wheels are fetched THEN the error names the index, keeps pip's words
        with pytest.raises(PackagingError, match=r"index .*could not be reached") as caught:
            packaging.fetch_wheels("arm64", wheelhouse=tmp_path)
    assert "pip said:" in str(caught.value)
    assert not list(tmp_path.rglob("*.whl"))


# -- as Lambda runs it ------------------------------------------------------------------------
# Run by a clean CPython 3.12 (a venv with no packages). Before anything of ours is
# imported it watches the import system: a module under the task or layer folder
# compiled from source instead of loaded from its .pyc is listed in "compiled".
_DRIVER = """
import importlib.machinery, importlib.util, json, os, socket, sys
roots = tuple(json.loads(os.environ["SMOKE_ROOTS"]))
compiled = []
_to_code = importlib.machinery.SourceFileLoader.source_to_code
def source_to_code(self, data, path, *args, **kwargs):
    if str(path).startswith(roots):
        compiled.append(str(path))
    return _to_code(self, data, path, *args, **kwargs)
importlib.machinery.SourceFileLoader.source_to_code = source_to_code

clients = []
if importlib.util.find_spec("botocore") is not None:
    import botocore.session
    _create = botocore.session.Session.create_client
    def create_client(self, *args, **kwargs):
        clients.append(args[0] if args else kwargs.get("service_name"))
        return _create(self, *args, **kwargs)
    botocore.session.Session.create_client = create_client

import lambda_function
after_init = list(clients)

hooks = {"before": 0, "after": 0, "connections_before_snapshot": []}
if os.environ.get("SMOKE_SNAPSTART"):
    import snapshot_restore_py
    _connect = socket.socket.connect
    def connect(self, address):
        hooks["connections_before_snapshot"].append(str(address))
        return _connect(self, address)
    socket.socket.connect = connect
    for func, args, kwargs in reversed(snapshot_restore_py.get_before_snapshot()):
        func(*args, **kwargs)
        hooks["before"] += 1
    socket.socket.connect = _connect
    for func, args, kwargs in snapshot_restore_py.get_after_restore():
        func(*args, **kwargs)
        hooks["after"] += 1
after_restore = list(clients)

responses = {}
for name, event in json.loads(sys.stdin.read()):
    try:
        responses[name] = {"response": lambda_function.lambda_handler(event, None)}
    except Exception as exc:
        responses[name] = {"error": f"{type(exc).__name__}: {exc}"}

import cryptography, yaml
from cryptography.hazmat.primitives import hashes
digest = hashes.Hash(hashes.SHA256())
digest.update(b"corner shop")
digest.finalize()
ours = ("lambda_function", "skill", "ask_sdk_core", "ask_sdk_model", "cryptography", "yaml")
print(json.dumps({
    "responses": responses,
    "compiled": compiled,
    "modules": {
        name: getattr(module, "__file__", None)
        for name, module in sorted(sys.modules.items())
        if name.split(".")[0] in ours
    },
    "handler_file": lambda_function.lambda_handler.__code__.co_filename,
    "dont_write_bytecode": sys.flags.dont_write_bytecode,
    "boto3": importlib.util.find_spec("boto3") is not None,
    "clients": {"after_init": after_init, "after_restore": after_restore, "at_end": clients},
    "hooks": hooks,
}))
"""

_FAKE_HOOKS = """
before, after = [], []
def register_before_snapshot(func, *args, **kwargs):
    before.append((func, args, kwargs))
    return func
def register_after_restore(func, *args, **kwargs):
    after.append((func, args, kwargs))
    return func
def get_before_snapshot():
    return before
def get_after_restore():
    return after
"""


def all_events(*, http_bodies: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """Every envelope in tests/events and every HTTP event in tests/events/aws; with
    ``http_bodies``, the POST events carry the LaunchRequest (as their sources encode it)."""
    paths = sorted(EVENTS.glob("*.json")) + sorted((EVENTS / "aws").glob("*.json"))
    assert len(paths) > 30
    events = [(p.relative_to(EVENTS).as_posix(), json.loads(p.read_text("utf-8"))) for p in paths]
    if http_bodies:
        launch = (EVENTS / "launch.json").read_bytes()
        for _, event in events:
            if "request" not in event and event.get("httpMethod", "POST") == "POST":
                encoded = event.get("isBase64Encoded")
                event["body"] = base64.b64encode(launch).decode() if encoded else launch.decode()
    return events


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def _read_only(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        mode = path.lstat().st_mode
        if not stat.S_ISLNK(mode):
            path.chmod(0o555 if path.is_dir() else 0o444)
    folder.chmod(0o555)


def _writable(folder: Path) -> None:
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)


class Layout:
    """The zips unpacked as Lambda unpacks them (task root, /opt), read only, and a
    clean CPython of the target version to run them."""

    def __init__(
        self, base: Path, function_zip: Path, layer: Path, target: TargetPython, **kw: bool
    ) -> None:
        self.base = base
        self.task = base / "var" / "task"
        self.opt = base / "opt"
        self.runtime = base / "var" / "runtime"
        with zipfile.ZipFile(function_zip) as zf:
            zf.extractall(self.task)
        with zipfile.ZipFile(layer) as zf:
            zf.extractall(self.opt)
        if kw.get("without_bytecode"):
            for folder in (self.task, self.opt):
                for cache in list(folder.rglob("__pycache__")):
                    shutil.rmtree(cache)
        self.runtime.mkdir(parents=True)
        if kw.get("boto3"):
            # What /var/runtime provides: boto3 and kin (pure Python; from this venv)
            for name in ("boto3", "botocore", "s3transfer", "jmespath"):
                spec = importlib.util.find_spec(name)
                assert spec is not None and spec.origin is not None, name
                (self.runtime / name).symlink_to(Path(spec.origin).parent)
        if kw.get("snapstart"):
            (self.runtime / "snapshot_restore_py.py").write_text(_FAKE_HOOKS, "utf-8")
        self.venv = base / "clean"
        subprocess.run(
            [str(target.executable), "-m", "venv", "--without-pip", str(self.venv)],
            check=True,
            timeout=120,
        )
        self.python = self.venv / "bin" / "python"
        for folder in (self.task, self.opt):
            _read_only(folder)
        self.before = {folder: _files(folder) for folder in (self.task, self.opt)}

    def run(self, events: list[tuple[str, dict[str, Any]]], **env: str) -> tuple[dict, str]:
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.base),
            "LANG": "C.UTF-8",
            "PYTHONNOUSERSITE": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            # Lambda's order: the task root, the layer, the runtime's own packages
            "PYTHONPATH": os.pathsep.join(
                [str(self.task), str(self.opt / "python"), str(self.runtime)]
            ),
            "LAMBDA_TASK_ROOT": str(self.task),
            "SMOKE_ROOTS": json.dumps([str(self.task), str(self.opt)]),
            **env,
        }
        proc = subprocess.run(
            [str(self.python), "-c", _DRIVER],
            input=json.dumps(events),
            capture_output=True,
            text=True,
            cwd=self.task,
            env=environment,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-4000:]
        # nothing was written beside the code (no __pycache__, nothing else)
        for folder, files in self.before.items():
            assert _files(folder) == files, folder
        return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr

    def close(self) -> None:
        for folder in (self.task, self.opt):
            _writable(folder)


@pytest.fixture
def layout(
    tmp_path: Path, function_zip: Path, local_layer: Path, target: TargetPython
) -> Iterator[Layout]:
    built = Layout(tmp_path, function_zip, local_layer, target)
    yield built
    built.close()


def check_answers(result: dict[str, Any], events: list[tuple[str, dict[str, Any]]]) -> None:
    """Every event got a response of the shape its source expects."""
    for name, event in events:
        outcome = result["responses"][name]
        assert "error" not in outcome, (name, outcome)
        response = outcome["response"]
        if "request" in event:
            problems = validate_response(response, request_type=event["request"]["type"])
            assert problems == [], (name, problems)
        else:
            assert response["statusCode"] in {200, 400}, (name, response)
            body = json.loads(response["body"])
            if response["statusCode"] == 200 and "response" in body:
                assert validate_response(body, request_type="LaunchRequest") == [], name


def check_ran_from_the_layout(result: dict[str, Any], layout: Layout) -> None:
    # no module of the zips was compiled from source: all came from their .pyc
    assert result["compiled"] == []
    assert result["dont_write_bytecode"] == 1
    modules = result["modules"]
    for name, path in modules.items():
        root = layout.task if name.split(".")[0] in {"lambda_function", "skill"} else layout.opt
        assert path is not None and Path(path).is_relative_to(root), (name, path)
    # tracebacks name the files where they are, not where the build compiled them
    assert result["handler_file"] == str(layout.task / "lambda_function.py")


@pytest.mark.slow
@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_packaged_function_answers_every_event_in_a_clean_interpreter(
    store: str, layout: Layout
) -> None:
    # GIVEN the zips unpacked read only, as Lambda unpacks them, and a clean CPython 3.12
    events = all_events(http_bodies=store == "memory")
    url = "memory://" if store == "memory" else f"sqlite:///{layout.base / 'x.db'}"
    # WHEN lambda_function answers every event in tests/events (ASK trigger, API Gateway,
    # ALB), in one container; with verification off in memory mode, so the HTTP events
    # reach the skill too
    verify = "false" if store == "memory" else "true"
    result, stderr = layout.run(events, CORNERSHOP_STORE=url, CORNERSHOP_VERIFY=verify)
    # THEN every answer is valid, every module came from the zips' bytecode, and the
    # SDK's sources printed no SyntaxWarning (they were compiled at build time)
    check_answers(result, events)
    check_ran_from_the_layout(result, layout)
    assert "SyntaxWarning" not in stderr
    assert result["boto3"] is False
    assert any(n.startswith("ask_sdk_model.") for n in result["modules"])
    # the HTTP events reached the skill (memory mode) or were refused unsigned (SQLite)
    statuses = {r["response"].get("statusCode") for r in result["responses"].values()}
    assert statuses - {None} == ({200} if store == "memory" else {200, 400})
    if store == "sqlite":
        assert (layout.base / "x.db").exists()


@pytest.mark.slow
def test_without_bytecode_the_same_run_compiles_and_warns(
    tmp_path: Path, function_zip: Path, local_layer: Path, target: TargetPython
) -> None:
    # The control for the test above: with the __pycache__ folders removed, its checks
    # see what every cold start did before (so they can fail).
    built = Layout(tmp_path, function_zip, local_layer, target, without_bytecode=True)
    try:
        events = [e for e in all_events() if e[0] == "launch.json"]
        result, stderr = built.run(events, CORNERSHOP_STORE="memory://")
    finally:
        built.close()
    check_answers(result, events)
    assert any(p.endswith("/lambda_function.py") for p in result["compiled"])
    assert any("/ask_sdk_core/" in p for p in result["compiled"])
    assert "SyntaxWarning" in stderr


def _load_servers() -> ModuleType:
    """tests/store/_servers.py (moto on 127.0.0.1), loaded by path under a name of its own."""
    spec = importlib.util.spec_from_file_location(
        "cornershop_aws_servers", REPO / "tests" / "store" / "_servers.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def moto() -> Iterator[Any]:
    with _load_servers().MotoDynamoDB() as server:
        yield server


@pytest.mark.slow
@pytest.mark.parametrize("snapstart", [False, True], ids=["plain", "snapstart"])
def test_dynamodb_mode_builds_its_client_once_in_init_and_survives_a_restore(
    snapstart: bool,
    tmp_path: Path,
    function_zip: Path,
    local_layer: Path,
    target: TargetPython,
    moto: Any,
) -> None:
    # GIVEN the layout with the runtime's boto3 (and, for SnapStart, the runtime's hooks
    # library), and the function's table on a moto server
    built = Layout(tmp_path, function_zip, local_layer, target, boto3=True, snapstart=snapstart)
    table = moto.new_table()
    servers = _load_servers()
    env = {
        "CORNERSHOP_STORE": f"dynamodb://{table}",
        "AWS_ENDPOINT_URL_DYNAMODB": moto.endpoint,
        "AWS_DEFAULT_REGION": servers.REGION,
        "AWS_ACCESS_KEY_ID": servers.CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": servers.CREDENTIALS["aws_secret_access_key"],
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if snapstart:
        env["SMOKE_SNAPSTART"] = "1"
    events = [e for e in all_events() if "request" in e[1]]
    try:
        # WHEN it is initialised (and, for SnapStart, warmed up, snapshotted and
        # restored) and then answers every Alexa event
        result, stderr = built.run(events, **env)
    finally:
        built.close()
        moto.delete_table(table)
    # THEN the DynamoDB client was built once, at init, and reused by every request
    clients = result["clients"]
    assert clients["after_init"] == ["dynamodb"]
    assert clients["at_end"] == clients["after_restore"]
    check_answers(result, events)
    check_ran_from_the_layout(result, built)
    assert result["modules"]["skill.store.dynamodb"].startswith(str(built.task))
    hooks = result["hooks"]
    if snapstart:
        # the hooks ran, the warm-up before the snapshot made no connection at all, and
        # the restore replaced the client (DynamoDBStore.renew_connections)
        assert (hooks["before"], hooks["after"]) == (1, 1)
        assert clients["after_restore"] == ["dynamodb", "dynamodb"]
        assert hooks["connections_before_snapshot"] == []
        assert f"warmed up {len(available_locales())} locales before the snapshot" in stderr
    else:
        assert (hooks["before"], hooks["after"]) == (0, 0)
        assert clients["after_restore"] == ["dynamodb"]
