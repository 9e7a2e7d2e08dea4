"""``cornershop package``: build dist/function.zip and dist/layer.zip for AWS Lambda.

``cornershop package lock`` regenerates the layer's lock files, ``cornershop package
fetch`` downloads the locked wheels (for ``--offline`` builds and the tests).

Kept apart from :mod:`skill.packaging` so that building the ``cornershop`` parser imports
nothing but argparse; the packaging code loads when the subcommand runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

_ARCHITECTURES = ("arm64", "x86_64")


def cmd_package(args: argparse.Namespace, out: TextIO) -> int:
    from skill import packaging

    steps = 4 if args.function_only else 8 if args.offline else 9
    progress = packaging.Progress(sys.stderr, total=steps)
    root = packaging.repo_root()
    out_dir = Path(args.out)
    version = packaging.target_python_version(root)
    # Found first: without it nothing can be built, so fail before any slow step.
    with progress.step(f"finding CPython {version} (Runtime in {packaging.TEMPLATE})") as note:
        python = packaging.find_python(version, args.python)
        note(str(python.executable))
    built = [
        (
            "function.zip",
            packaging.build_function_zip(out_dir, root=root, python=python, progress=progress),
        )
    ]
    budgets = {
        "function.zip": f"{packaging.human_size(packaging.FUNCTION_ZIP_BUDGET)} zipped",
        "layer.zip": (
            f"{packaging.human_size(packaging.LAYER_ZIP_BUDGET)} zipped, "
            f"{packaging.human_size(packaging.LAYER_UNZIPPED_BUDGET)} unzipped"
        ),
    }
    if not args.function_only:
        layer = packaging.build_layer_zip(
            out_dir,
            args.arch,
            root=root,
            python=python,
            wheelhouse=args.wheels,
            offline=args.offline,
            progress=progress,
        )
        built.append(("layer.zip", layer))
    rows = [(name, packaging.zip_sizes(path), budgets[name]) for name, path in built]
    progress.table(rows)
    for (_, path), (_, sizes, _) in zip(built, rows, strict=True):
        out.write(
            f"{path}: {sizes.zipped} bytes zipped, {sizes.unzipped} bytes unzipped, "
            f"{sizes.files} files\n"
        )
    return 0


def cmd_lock(args: argparse.Namespace, out: TextIO) -> int:
    from skill import packaging
    from skill.errors import PackagingError

    root = packaging.repo_root()
    stale = 0
    for arch in args.archs or _ARCHITECTURES:
        path = packaging.lock_path(root, arch)
        name = path.relative_to(root).as_posix()
        if args.check:
            try:
                packaging.check_lock(root, arch)
            except PackagingError as exc:
                sys.stderr.write(f"{exc}\n")
                stale += 1
                continue
            out.write(f"{name}: up to date\n")
            continue
        changed = packaging.lock_layer(root, arch, upgrade=args.upgrade)
        pins = len(packaging.locked_pins(path))
        out.write(f"{name}: {pins} pins, {'rewritten' if changed else 'unchanged'}\n")
    return 1 if stale else 0


def cmd_fetch(args: argparse.Namespace, out: TextIO) -> int:
    from skill import packaging

    root = packaging.repo_root()
    for arch in args.archs or _ARCHITECTURES:
        folder = packaging.fetch_wheels(arch, root=root, wheelhouse=args.wheels)
        wheels = len(list(folder.glob("*.whl")))
        out.write(f"{folder}: {wheels} wheels\n")
    return 0


def register(subparsers: Any) -> None:
    """Add ``package`` (and ``package lock``, ``package fetch``) to the ``cornershop`` parser."""
    p = subparsers.add_parser(
        "package",
        help="build dist/function.zip (the code) and dist/layer.zip (dependencies) for Lambda",
        description=(
            "Build function.zip (lambda_function.py and the skill package) and layer.zip "
            "(python/ with the runtime dependencies of lambda/layer-ARCH.lock), both with "
            "bytecode compiled by a CPython of the template's Runtime. Fetching the locked "
            "wheels needs the package index (not with --offline). Progress goes to "
            "standard error, the sizes to standard output."
        ),
    )
    p.add_argument("--out", default="dist", metavar="DIR", help="output folder (default: dist)")
    p.add_argument(
        "--arch",
        choices=_ARCHITECTURES,
        default="arm64",
        help="Lambda architecture of the layer's wheels (default: arm64, as in template.yaml)",
    )
    p.add_argument(
        "--python",
        metavar="PATH",
        help=(
            "the CPython that compiles the bytecode; it must be the version of the template's "
            "Runtime (default: found on PATH as python3.X or under `pyenv root`)"
        ),
    )
    p.add_argument(
        "--function-only",
        action="store_true",
        help="build function.zip only (no network needed)",
    )
    p.add_argument(
        "--offline",
        action="store_true",
        help="install the layer from wheels fetched before (`cornershop package fetch`)",
    )
    p.add_argument(
        "--wheels",
        metavar="DIR",
        help="the wheelhouse of locked wheels (default: dist/wheels)",
    )
    p.set_defaults(func=cmd_package)
    actions = p.add_subparsers(title="other actions", metavar="{lock,fetch}")

    lock = actions.add_parser(
        "lock",
        help="regenerate lambda/layer-ARCH.lock from pyproject.toml (uv; needs the index)",
        description=(
            "Resolve pyproject.toml's runtime dependencies (minus what Lambda provides) with "
            "uv for the template's Python on manylinux2014 wheels, and write "
            "lambda/layer-ARCH.lock with every version pinned and every file hashed. Pins "
            "that still fit are kept unless --upgrade. Commit the result."
        ),
    )
    lock.add_argument(
        "--arch",
        dest="archs",
        action="append",
        choices=_ARCHITECTURES,
        help="only this architecture (repeatable; default: both)",
    )
    lock.add_argument("--upgrade", action="store_true", help="take the newest versions that fit")
    lock.add_argument(
        "--check",
        action="store_true",
        help="only say whether the locks are up to date (exit status 1 if not; no network)",
    )
    lock.set_defaults(func=cmd_lock)

    fetch = actions.add_parser(
        "fetch",
        help="download the locked wheels into dist/wheels (needs the index)",
        description=(
            "Download the wheels of lambda/layer-ARCH.lock, checked against its hashes, into "
            "the wheelhouse, so that `cornershop package --offline` and the tests build the "
            "layer without the network."
        ),
    )
    fetch.add_argument(
        "--arch",
        dest="archs",
        action="append",
        choices=_ARCHITECTURES,
        help="only this architecture (repeatable; default: both)",
    )
    fetch.add_argument(
        "--wheels",
        dest="wheels",
        metavar="DIR",
        help="the wheelhouse (default: dist/wheels)",
    )
    fetch.set_defaults(func=cmd_fetch)
