"""The cornershop command: invoke and orders."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import EVENTS

from skill.cli import main


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_invoke_prints_response_envelope(tmp_path: Path) -> None:
    code, out = run("invoke", str(EVENTS / "launch.json"), "--store", "memory://")
    assert code == 0
    response = json.loads(out)
    assert response["version"] == "1.0"
    assert response["response"]["shouldEndSession"] is False


def test_invoke_reads_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    body = (EVENTS / "add_item.json").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(body)))
    code, out = run("invoke", "-", "--store", "memory://")
    assert code == 0
    assert "Added 2 apples" in json.loads(out)["response"]["outputSpeech"]["ssml"]


def test_invoke_bad_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    code, _ = run("invoke", str(bad), "--store", "memory://")
    assert code == 2
    assert "not valid JSON" in capsys.readouterr().err
    code, _ = run("invoke", str(tmp_path / "missing.json"), "--store", "memory://")
    assert code == 2


def _place_order(store_url: str, *, clock: Any = None) -> None:
    from skill.app import build_skill
    from skill.config import Settings
    from skill.profile import NoProfile

    skill = build_skill(Settings(store_url=store_url), profile=NoProfile(), clock=clock)
    attrs: dict = {}
    for name in ["add_item", "checkout", "yes"]:
        env = json.loads((EVENTS / f"{name}.json").read_text())
        env["session"]["attributes"] = attrs
        attrs = skill.handle(env).get("sessionAttributes") or {}
    skill.close()


def test_orders_lists_and_moves_orders_along(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert run("store", "init", "--store", url)[0] == 0
    code, out = run("orders", "--store", url)
    assert (code, out) == (0, "No orders yet.\n")
    _place_order(url)
    code, out = run("orders", "--store", url)
    assert code == 0
    assert "1001" in out and "placed" in out and "$1.50" in out and "2 x apples" in out
    assert run("orders", "ready", "1001", "--store", url) == (0, "Order 1001 is now ready.\n")
    assert run("orders", "collected", "1001", "--store", url)[0] == 0
    code, out = run("orders", "--json", "--store", url)
    assert json.loads(out)["status"] == "collected"
    code, _ = run("orders", "ready", "1001", "--store", url)
    assert code == 2
    assert "cannot become ready" in capsys.readouterr().err
    code, _ = run("orders", "cancel", "999", "--store", url)
    assert code == 2
    assert "There is no order number 999" in capsys.readouterr().err


def test_orders_shows_times_in_the_shop_time_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an order placed at 09:00 UTC on a weekday morning
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert run("store", "init", "--store", url)[0] == 0
    _place_order(url, clock=lambda: datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    # WHEN a shop in Berlin lists its orders
    monkeypatch.setenv("CORNERSHOP_TIMEZONE", "Europe/Berlin")
    code, out = run("orders", "--store", url)
    # THEN the placed and pickup times are Berlin's (UTC+1 in December)
    assert code == 0
    header, row = out.splitlines()[:2]
    assert "placed (Europe/Berlin)" in header and "pickup" in header
    assert "2026-12-01 10:00" in row and "10:20" in row


def test_orders_names_a_failed_echo_notification(tmp_path: Path) -> None:
    from skill.domain.orders import OrderNotification
    from skill.store import open_store

    # GIVEN an order whose "ready" notification failed (recorded by the notifier)
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert run("store", "init", "--store", url)[0] == 0
    _place_order(url)
    store = open_store(url, shop_id="main")
    failed = OrderNotification.of("failed", "HTTP 503 after 4 attempts", datetime.now(UTC))
    store.set_order_notification(1001, failed)
    store.close()
    # WHEN staff list the orders, THEN the row says so, with the reason
    code, out = run("orders", "--store", url)
    assert code == 0
    assert "[Echo notification failed: HTTP 503 after 4 attempts]" in out.splitlines()[1]


def test_model_check_passes_on_the_repo() -> None:
    assert run("model", "check", "--bundled") == (
        0,
        "interaction models match the catalog and skill-package/\n",
    )


def test_store_init_and_ping(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'shop.db'}"
    assert run("store", "init", "--store", url) == (
        0,
        f"{url}: ready\ncatalog: seeded with the bundled demo catalog (33 items, version 1)\n",
    )
    assert (tmp_path / "new" / "shop.db").exists()
    assert run("store", "ping", "--store", url) == (0, f"{url}: reachable\n")


def test_store_ping_unreachable_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    code, _ = run("store", "init", "--store", f"sqlite:///{blocker}/shop.db")
    assert code == 2
    assert "could not use its SQLite database" in capsys.readouterr().err


def test_read_only_commands_never_create_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "typo" / "shop.db"
    for argv in (["orders"], ["orders", "ready", "1001"], ["store", "ping"]):
        code, out = run(*argv, "--store", f"sqlite:///{typo}")
        assert (code, out) == (2, "")
        err = capsys.readouterr().err
        assert f"There is no Corner Shop store at {typo}" in err
        assert "cornershop store init" in err and "--store" in err
        assert "CORNERSHOP_STORE" not in err
    assert not typo.parent.exists()


def test_a_file_that_is_not_a_database_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("shopping list: apples, bread\n" * 100)
    code, _ = run("orders", "--store", f"sqlite:///{notes}")
    assert code == 2
    err = capsys.readouterr().err
    assert "not a SQLite database" in err and "writable" not in err


def test_relative_sqlite_paths_are_refused_naming_the_flag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _ = run("orders", "--store", "sqlite:shop.db")
    assert code == 2
    err = capsys.readouterr().err
    assert "--store" in err and "absolute" in err


def test_cancelling_a_cancelled_order_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    _place_order(url)
    assert run("orders", "cancel", "1001", "--store", url) == (0, "Order 1001 is now cancelled.\n")
    code, _ = run("orders", "cancel", "1001", "--store", url)
    assert code == 2
    assert "already cancelled" in capsys.readouterr().err


@pytest.mark.parametrize("limit", ["0", "-1", "many"])
def test_orders_limit_must_be_a_positive_count(
    limit: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run("orders", "--limit", limit, "--store", "memory://")
    assert exit_info.value.code == 2
    assert "give a whole number of 1 or more" in capsys.readouterr().err
