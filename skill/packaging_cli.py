"""``cornershop package``: build dist/function.zip and dist/layer.zip for AWS Lambda.

Kept apart from :mod:`skill.packaging` so that building the ``cornershop`` parser imports
nothing but argparse; the packaging code loads when the subcommand runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO


def cmd_package(args: argparse.Namespace, out: TextIO) -> int:
    from skill import packaging

    progress = packaging.Progress(sys.stderr, total=2 if args.function_only else 4)
    out_dir = Path(args.out)
    built = [("function.zip", packaging.build_function_zip(out_dir, progress=progress))]
    budgets = {
        "function.zip": f"{packaging.human_size(packaging.FUNCTION_ZIP_BUDGET)} zipped",
        "layer.zip": (
            f"{packaging.human_size(packaging.LAYER_ZIP_BUDGET)} zipped, "
            f"{packaging.human_size(packaging.LAYER_UNZIPPED_BUDGET)} unzipped"
        ),
    }
    if not args.function_only:
        layer = packaging.build_layer_zip(
            out_dir, args.arch, args.python_version, progress=progress
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


def register(subparsers: Any) -> None:
    """Add ``package`` to the ``cornershop`` parser."""
    p = subparsers.add_parser(
        "package",
        help="build dist/function.zip (the code) and dist/layer.zip (dependencies) for Lambda",
        description=(
            "Build function.zip (lambda_function.py, the skill package, the interaction "
            "models) and layer.zip (python/ with the runtime dependencies, from manylinux "
            "wheels; needs the package index). Progress goes to standard error, the sizes "
            "to standard output."
        ),
    )
    p.add_argument("--out", default="dist", metavar="DIR", help="output folder (default: dist)")
    p.add_argument(
        "--arch",
        choices=["x86_64", "arm64"],
        default="arm64",
        help="Lambda architecture of the layer's wheels (default: arm64, as in template.yaml)",
    )
    p.add_argument(
        "--python-version",
        default="3.12",
        metavar="X.Y",
        help="Lambda Python runtime the layer is for (default: 3.12)",
    )
    p.add_argument(
        "--function-only",
        action="store_true",
        help="build function.zip only (no network needed)",
    )
    p.set_defaults(func=cmd_package)
