"""`cornershop package`: function.zip and layer.zip, their budgets, and a run as Lambda runs them.

The layer is downloaded by pip from the package index, which is reachable here and in
CI; when it is not, the layer tests fail (never skip) with pip's reason. Layers are built
once per session.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from skill import packaging
from skill.errors import PackagingError
from skill.packaging import build_function_zip, build_layer_zip, zip_sizes

REPO = Path(__file__).parents[2]
EVENTS = REPO / "tests" / "events"
LOCAL_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
LOCAL_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
    platform.machine().lower(), platform.machine()
)
# Never in the layer: the Lambda runtime provides these, or the project must not need them.
FORBIDDEN = {
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "flask_ask",
    "flask_ask_sdk",
    "ask_sdk_webservice_support",
    "oscrypto",
    "certvalidator",
}


def _built(what: str, build: object, *args: object, **kwargs: object) -> Path:
    try:
        path = build(*args, **kwargs)  # type: ignore[operator]
    except PackagingError as exc:
        pytest.fail(f"Building {what} failed (this needs the package index): {exc}")
    assert isinstance(path, Path)
    return path


@pytest.fixture(scope="session")
def function_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_function_zip(tmp_path_factory.mktemp("function"))


@pytest.fixture(scope="session")
def lambda_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The layer as deployed: CPython 3.12 wheels for arm64 (template.yaml's runtime)."""
    out = tmp_path_factory.mktemp("layer-lambda")
    return _built("the Lambda layer", build_layer_zip, out, "arm64", "3.12")


@pytest.fixture(scope="session")
def local_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same layer for this machine's Python and architecture, to run it here."""
    out = tmp_path_factory.mktemp("layer-local")
    return _built("the local layer", build_layer_zip, out, LOCAL_ARCH, LOCAL_PYTHON)


def names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()


# -- function.zip ------------------------------------------------------------------------
def test_function_zip_holds_the_code_models_and_catalog_only(function_zip: Path) -> None:
    entries = names(function_zip)
    assert entries == sorted(entries)
    assert "lambda_function.py" in entries
    assert {
        "skill/__init__.py",
        "skill/app.py",
        "skill/data/catalog.json",
        "skill/speech/locales/en-US.json",
        "interaction_models/en-US.json",
    } <= set(entries)
    models = {f"interaction_models/{p.name}" for p in (REPO / "interaction_models").glob("*.json")}
    assert models <= set(entries)
    for name in entries:
        parts = PurePosixPath(name).parts
        assert parts[0] in {"lambda_function.py", "skill", "interaction_models"}, name
        assert "__pycache__" not in parts and not name.endswith((".pyc", ".pyo")), name
        assert not {"tests", "bench"} & set(parts), name
        if parts[0] == "interaction_models":
            assert name.endswith(".json"), name
    # No dependency sneaks into the function.
    assert not {PurePosixPath(n).parts[0] for n in entries} & {"ask_sdk_core", "yaml", "flask"}


def test_function_zip_is_within_budget_and_reproducible(function_zip: Path, tmp_path: Path) -> None:
    sizes = zip_sizes(function_zip)
    assert sizes.zipped <= packaging.FUNCTION_ZIP_BUDGET == 300_000
    again = build_function_zip(tmp_path)
    assert again.read_bytes() == function_zip.read_bytes()
    with zipfile.ZipFile(again) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_an_artifact_over_budget_fails_the_build_and_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packaging, "FUNCTION_ZIP_BUDGET", 1000)
    with pytest.raises(PackagingError, match=r"over the 1\.0 kB budget.*largest entries"):
        build_function_zip(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_package_command_reports_progress_on_stderr_and_sizes_on_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from skill.packaging_cli import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["package", "--out", str(tmp_path), "--function-only"])
    out = io.StringIO()
    assert args.func(args, out) == 0
    err = capsys.readouterr().err
    assert "[1/2] collecting function files ..." in err
    assert "[2/2] writing" in err
    assert "function.zip" in err and "zipped" in err
    size = (tmp_path / "function.zip").stat().st_size
    assert out.getvalue().startswith(f"{tmp_path / 'function.zip'}: {size} bytes zipped")


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
        # WHEN the layer is built THEN the error names the index and keeps pip's words
        with pytest.raises(PackagingError, match=r"index .*could not be reached") as caught:
            build_layer_zip(tmp_path, "arm64", "3.12")
    assert "pip said:" in str(caught.value)
    assert not (tmp_path / "layer.zip").exists()


# -- layer.zip ------------------------------------------------------------------------------
@pytest.mark.slow
def test_layer_is_within_budgets(lambda_layer: Path) -> None:
    sizes = zip_sizes(lambda_layer)
    assert sizes.zipped <= packaging.LAYER_ZIP_BUDGET == 15_000_000
    assert sizes.unzipped <= packaging.LAYER_UNZIPPED_BUDGET == 60_000_000


@pytest.mark.slow
def test_layer_holds_the_runtime_dependencies_and_nothing_lambda_provides(
    lambda_layer: Path,
) -> None:
    entries = names(lambda_layer)
    assert entries == sorted(entries)
    assert all(n.startswith("python/") for n in entries)
    top = {PurePosixPath(n).parts[1] for n in entries}
    distributions = {t.split("-")[0].lower() for t in top if t.endswith(".dist-info")}
    packages = {t.lower() for t in top if not t.endswith(".dist-info")}
    assert not (distributions | packages) & FORBIDDEN
    assert {"ask_sdk_core", "cryptography", "flask", "pyyaml", "certifi"} <= distributions
    assert {"ask_sdk_core", "cryptography", "flask", "yaml", "certifi"} <= packages
    assert "bin" not in top
    # The layer shadows the runtime's own packages: botocore needs python-dateutil < 3.
    (dateutil,) = (t for t in top if t.startswith("python_dateutil-"))
    assert int(dateutil.split("-")[1].split(".")[0]) < 3, dateutil
    for name in entries:
        assert "__pycache__" not in name and not name.endswith((".pyc", ".pyo")), name
        assert not name.endswith(".dist-info/RECORD"), name
    with zipfile.ZipFile(lambda_layer) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


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


# -- as Lambda runs it ------------------------------------------------------------------------
_DRIVER = """
import importlib.metadata, importlib.util, json, sys
import lambda_function
import skill, yaml, cryptography, flask, certifi
from cryptography.hazmat.primitives import hashes

digest = hashes.Hash(hashes.SHA256())
digest.update(b"corner shop")
digest.finalize()
response = lambda_function.lambda_handler(json.loads(sys.stdin.read()), None)
modules = (lambda_function, skill, yaml, cryptography, flask, certifi)
print(json.dumps({
    "response": response,
    "origins": {m.__name__: m.__file__ for m in modules},
    "boto3": importlib.util.find_spec("boto3") is not None,
    # dist-info kept without RECORD is still metadata the importlib machinery reads
    "versions": {d: importlib.metadata.version(d) for d in ("flask", "ask-sdk-core")},
}))
"""


@pytest.mark.slow
def test_packaged_function_answers_a_launch_in_a_clean_interpreter(
    function_zip: Path, local_layer: Path, tmp_path: Path
) -> None:
    # GIVEN the zips unpacked as Lambda unpacks them, and a Python with no packages at all
    task = tmp_path / "var" / "task"
    opt = tmp_path / "opt"
    with zipfile.ZipFile(function_zip) as zf:
        zf.extractall(task)
    with zipfile.ZipFile(local_layer) as zf:
        zf.extractall(opt)
    venv = tmp_path / "clean"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    python = venv / "bin" / "python"
    # WHEN it imports lambda_function and handles a LaunchRequest, with Lambda's path order
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONNOUSERSITE": "1",
        "PYTHONPATH": os.pathsep.join([str(task), str(opt / "python")]),
        "LAMBDA_TASK_ROOT": str(task),
        "CORNERSHOP_STORE": f"sqlite:///{tmp_path / 'x.db'}",
    }
    proc = subprocess.run(
        [str(python), "-c", _DRIVER],
        input=(EVENTS / "launch.json").read_text("utf-8"),
        capture_output=True,
        text=True,
        cwd=task,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # THEN it welcomes the customer, with code from the task root and libraries from the layer
    speech = result["response"]["response"]["outputSpeech"]["ssml"]
    assert "Welcome to Corner Shop" in speech
    origins = result["origins"]
    for name in ("lambda_function", "skill"):
        assert Path(origins[name]).is_relative_to(task), origins
    for name in ("yaml", "cryptography", "flask", "certifi"):
        assert Path(origins[name]).is_relative_to(opt / "python"), origins
    assert result["boto3"] is False
    assert all(result["versions"].values()), result["versions"]
    assert (tmp_path / "x.db").exists()
