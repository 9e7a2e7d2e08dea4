"""The checkout is self-contained: no test, tool or benchmark reads outside it.

A user's clone has no ``../shared`` (the team's reading material), so anything that names
it would pass here and fail for them. `.ci/run` also runs the whole suite from a copy of
the repository with nothing beside it; this test catches the mistake earlier and says where.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A path into the team's shared folder, spelt as a string or as path segments.
_OUTSIDE = re.compile(r"""\.\./shared\b|["']shared["']\s*[/)]|/\s*["']shared["']""")
_CHECKED = {".py", ".sh", ".toml", ".cfg", ".ini", ".yaml", ".yml", ""}


def _tracked_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:  # not a git checkout (an sdist): walk the tree instead
        return [p for p in ROOT.rglob("*") if p.is_file() and ".venv" not in p.parts]
    return [ROOT / line for line in out.stdout.splitlines() if line]


def test_no_file_reads_the_shared_folder_outside_the_checkout() -> None:
    offenders = []
    for path in _tracked_files():
        if path.suffix not in _CHECKED or path == Path(__file__).resolve() or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if not line.lstrip().startswith("#") and _OUTSIDE.search(line):  # prose may name it
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "these lines read outside the checkout:\n" + "\n".join(offenders)


def test_the_real_amazon_chain_ships_with_the_repository() -> None:
    chain = ROOT / "tests" / "vectors" / "echo-api-chain-2023.pem"
    assert chain.is_file()
    assert chain.read_bytes().count(b"-----BEGIN CERTIFICATE-----") == 4


def test_the_pattern_catches_what_it_should() -> None:
    # The guard above is only worth something if it recognises the usual spellings.
    for line in (
        'VECTORS = Path(__file__).parents[2].parent / "shared" / "vectors"',
        "open('../shared/vectors/x.pem')",
        "ROOT.parent.joinpath('shared') / 'x'",
    ):
        assert _OUTSIDE.search(line), line
    assert not _OUTSIDE.search("shared = [i for i in zf.infolist()]")
