"""``--signer``: the CLI signs requests to an HTTP target with a test CA the user names.

GIVEN an endpoint whose real verifier trusts a throwaway CA that a module of the user's
holds, WHEN `cornershop simulate --target URL --signer module:CA` talks to it, THEN the
requests verify; without --signer the same endpoint refuses them.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from _skills import TIMER, skill_server, timer_handler

from skill.cli import main


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


@pytest.fixture
def signer_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    (tmp_path / "my_test_ca.py").write_text(
        "from skill.testing.alexa_ca import ThrowawayCA\n\nCA = ThrowawayCA()\n"
        "\n\ndef make():\n    return CA\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import my_test_ca  # the same module object the CLI will import by name

    yield my_test_ca
    sys.modules.pop("my_test_ca", None)


def test_simulate_signs_with_the_named_ca(
    signer_module: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from skill.verification import RequestVerifier

    ca = signer_module.CA  # type: ignore[attr-defined]
    # No skill id: `simulate` sends its own default application id.
    verifier = RequestVerifier(None, trust_roots=ca.root_pem, fetch_cert_chain=ca.fetcher())
    with skill_server(timer_handler(), verify=verifier.verify) as url:
        common = ("simulate", "--model", str(TIMER), "--target", url)
        for spec in ("my_test_ca:CA", "my_test_ca:make"):  # the signer, or a factory of one
            code, out = run(*common, "--signer", spec, "set a timer for two minutes")
            assert (code, "Timer set for PT2M." in out) == (0, True), out
        code, _ = run(*common, "set a timer for two minutes")
        assert code == 2
        assert "HTTP 400" in capsys.readouterr().err


def test_signer_without_an_http_target_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("simulate", "--signer", "my_test_ca:CA", "open corner shop")
    assert code == 2
    assert "--signer signs requests to an HTTP --target" in capsys.readouterr().err


def test_a_signer_spec_that_names_no_signer_says_so(
    signer_module: object, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(
        "simulate", "--target", "http://127.0.0.1:9/alexa", "--signer", "json:dumps", "hi"
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "json:dumps" in err and "neither a signer nor a factory" in err
