"""``cornershop staff add / list / remove``, on a real SQLite shop, and logging in with it."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

from skill.cli import main

PASSWORD = "correct horse battery"


def run(*argv: str, stdin: str | None = None, tty: bool = False) -> tuple[int, str]:
    out = io.StringIO()
    if stdin is not None or tty:
        stream: Any = io.StringIO(stdin or "")
        stream.isatty = lambda: tty
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("sys.stdin", stream)
            code = main(list(argv), out=out)
    else:
        code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture
def shop(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert run("store", "init", "--store", url)[0] == 0
    return url


def login_status(url: str, name: str, password: str) -> int:
    """Log in to the dashboard of the shop at ``url``, as a browser would: the HTTP status."""
    from skill.app import build_skill
    from skill.config import Settings
    from skill.profile import NoProfile
    from skill.web import create_app

    settings = Settings(store_url=url)
    skill = build_skill(settings, profile=NoProfile())
    app = create_app(settings, skill=skill, verifier=lambda headers, body: None)
    try:
        client = app.test_client()
        form = client.get("/shop/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        resp = client.post(
            "/shop/login", data={"name": name, "password": password, "csrf_token": token.group(1)}
        )
        return resp.status_code
    finally:
        app.extensions["cornershop.dashboard"].close()
        skill.close()


def test_add_list_log_in_and_remove(shop: str, tmp_path: Path) -> None:
    code, out = run(
        "staff", "add", "Ada", "--password-stdin", "--store", shop, stdin=PASSWORD + "\n"
    )
    assert (code, out) == (0, "Staff account ada added. Log in at /shop on the web service.\n")
    code, out = run("staff", "list", "--store", shop)
    assert code == 0 and re.search(r"^ada\s+\d{4}-\d\d-\d\d \d\d:\d\d$", out, re.M), out
    # the password is stored only as a scrypt hash
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("shop.db*"))
    assert PASSWORD.encode() not in stored and b"scrypt:" in stored
    assert login_status(shop, "ada", PASSWORD) == 303
    assert login_status(shop, "ada", "not the password") == 401
    code, out = run("staff", "remove", "ada", "--store", shop)
    assert (code, out) == (0, "Staff account ada removed; its dashboard sessions have ended.\n")
    assert run("staff", "list", "--store", shop) == (
        0,
        "No staff accounts yet. Add one: cornershop staff add NAME\n",
    )
    assert login_status(shop, "ada", PASSWORD) == 401


def test_a_taken_name_needs_replace_which_sets_a_new_password(
    shop: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("staff", "add", "ada", "--password-stdin", "--store", shop, stdin=PASSWORD)[0] == 0
    code, _ = run("staff", "add", "ada", "--password-stdin", "--store", shop, stdin="another one!")
    assert code == 2
    assert "already a staff account called ada" in capsys.readouterr().err
    assert login_status(shop, "ada", PASSWORD) == 303
    code, out = run(
        "staff",
        "add",
        "ada",
        "--replace",
        "--password-stdin",
        "--store",
        shop,
        stdin="another one!",
    )
    assert code == 0 and "new password set" in out
    assert login_status(shop, "ada", PASSWORD) == 401
    assert login_status(shop, "ada", "another one!") == 303


def test_the_password_is_asked_twice_on_a_terminal(
    shop: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter([PASSWORD, "something else"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert run("staff", "add", "ada", "--store", shop, tty=True)[0] == 2
    assert "The two passwords differ" in capsys.readouterr().err
    answers = iter([PASSWORD, PASSWORD])
    assert run("staff", "add", "ada", "--store", shop, tty=True)[0] == 0
    assert login_status(shop, "ada", PASSWORD) == 303


def test_without_a_terminal_the_password_must_be_piped_in(
    shop: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("staff", "add", "ada", "--store", shop, stdin=PASSWORD)[0] == 2
    assert "--password-stdin" in capsys.readouterr().err
    assert run("staff", "add", "ada", "--password-stdin", "--store", shop, stdin="")[0] == 2
    assert "read nothing" in capsys.readouterr().err
    assert "No staff accounts yet" in run("staff", "list", "--store", shop)[1]


def test_a_password_on_the_command_line_is_refused(
    shop: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run("staff", "add", "ada", PASSWORD, "--store", shop)
    assert exit_info.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "password", "says"),
    [
        ("ada", "short", "too short"),
        ("ada", " leading space ok?", "starts or ends with a space"),
        ("Ada Lovelace", PASSWORD, "is not a staff name"),
        (".ada", PASSWORD, "is not a staff name"),
        ("a" * 33, PASSWORD, "is not a staff name"),
    ],
)
def test_bad_names_and_passwords_are_refused_and_nothing_is_stored(
    shop: str, capsys: pytest.CaptureFixture[str], name: str, password: str, says: str
) -> None:
    code, _ = run("staff", "add", name, "--password-stdin", "--store", shop, stdin=password)
    assert code == 2
    assert says in capsys.readouterr().err
    assert "No staff accounts yet" in run("staff", "list", "--store", shop)[1]


def test_removing_an_unknown_account_is_an_error(
    shop: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("staff", "remove", "zed", "--store", shop)[0] == 2
    assert "There is no staff account called zed" in capsys.readouterr().err


def test_a_store_that_does_not_exist_is_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'typo.db'}"
    assert run("staff", "add", "ada", "--password-stdin", "--store", url, stdin=PASSWORD)[0] == 2
    assert "cornershop store init" in capsys.readouterr().err
    assert not (tmp_path / "typo.db").exists()


def test_a_memory_store_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("staff", "add", "ada", "--password-stdin", "--store", "memory://", stdin=PASSWORD)
    assert code == 2
    assert "keeps nothing once this command ends" in capsys.readouterr().err
