"""``cornershop catalog``, ``cornershop shop`` and ``store init`` seeding: every command,
its output (text and --json), its errors and exit codes, against a real SQLite store."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skill.cli import main
from skill.store.sqlite import SQLiteStore


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CORNERSHOP_STORE", "CORNERSHOP_TIMEZONE", "CORNERSHOP_CATALOG_TTL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A shop initialised with ``cornershop store init`` (so: the demo catalog)."""
    shop = f"sqlite:///{tmp_path / 'shop.db'}"
    assert run("store", "init", "--store", shop)[0] == 0
    return shop


@pytest.fixture
def stored(url: str) -> Iterator[Any]:
    """Reads the catalog straight from the store, as the skill would."""
    store = SQLiteStore(url.removeprefix("sqlite://"))
    yield store.get_catalog
    store.close()


def item(doc: dict[str, Any], item_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(i for i in doc["items"] if i["id"] == item_id)
    return found


# -- store init ------------------------------------------------------------------------
def test_store_init_seeds_the_demo_catalog_once(tmp_path: Path) -> None:
    shop = f"sqlite:///{tmp_path / 'shop.db'}"
    assert run("store", "init", "--store", shop) == (
        0,
        f"{shop}: ready\ncatalog: seeded with the bundled demo catalog (33 items, version 1)\n",
    )
    run("catalog", "price", "APPLE", "US", "0.99", "--store", shop)
    # a second init keeps the shop's own catalog
    assert run("store", "init", "--store", shop) == (
        0,
        f"{shop}: ready\ncatalog: the shop already has its own (version 2); left as it is\n",
    )


# -- catalog list ------------------------------------------------------------------------
def test_list_shows_items_prices_and_stock(url: str) -> None:
    code, out = run("catalog", "list", "--store", url)
    assert code == 0
    header, apple = out.splitlines()[:2]
    assert header.split() == [
        "id",
        "category",
        "stock",
        "US",
        "UK",
        "CA",
        "AU",
        "IN",
        "DE",
        "name",
        "(en-US)",
    ]
    assert apple.split() == [
        "APPLE",
        "produce",
        "in",
        "$0.75",
        "£0.45",
        "$0.99",
        "$1.10",
        "₹30.00",
        "0,59",
        "€",
        "apples",
    ]
    assert len(out.splitlines()) == 1 + 33


def test_list_for_one_market_and_locale(url: str) -> None:
    run("catalog", "stock", "OAT_MILK", "out", "--store", url)
    code, out = run("catalog", "list", "--market", "de", "--locale", "de-DE", "--store", url)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "category", "stock", "DE", "name", "(de-DE)"]
    assert any(line.split()[:3] == ["OAT_MILK", "dairy", "OUT"] for line in lines)
    assert not any(line.startswith("HALF_AND_HALF") for line in lines)  # not sold in DE
    assert lines[1].split() == ["APPLE", "produce", "in", "0,59", "€", "Äpfel"]


def test_list_json_is_one_object_per_line(url: str) -> None:
    code, out = run("catalog", "list", "--json", "--market", "US", "--store", url)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows[0] == {
        "id": "APPLE",
        "category": "produce",
        "in_stock": True,
        "prices": {"US": 75},
        "name": "apples",
        "locale": "en-US",
    }
    assert "CRISPS" not in {row["id"] for row in rows}  # not sold in the US


def test_list_errors(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("catalog", "list", "--market", "FR", "--store", url) == (2, "")
    assert "no market 'FR'" in capsys.readouterr().err
    assert run("catalog", "list", "--locale", "fr-FR", "--store", url) == (2, "")
    assert "no locale 'fr-FR'" in capsys.readouterr().err
    # a store that does not exist is never created by a read
    typo = tmp_path / "typo" / "shop.db"
    assert run("catalog", "list", "--store", f"sqlite:///{typo}") == (2, "")
    assert "cornershop store init" in capsys.readouterr().err
    assert not typo.parent.exists()


def test_a_shop_without_a_catalog_lists_the_bundled_one_and_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run("catalog", "list", "--store", "memory://")
    assert code == 0 and "APPLE" in out
    assert "no catalog of its own yet" in capsys.readouterr().err


# -- catalog price ----------------------------------------------------------------------
def test_price_sets_a_price_as_written_in_its_market(url: str, stored: Any) -> None:
    assert run("catalog", "price", "APPLE", "US", "0.99", "--store", url) == (
        0,
        "APPLE (apples) in US: was $0.75, now $0.99.\n"
        "Customers hear it within 30 seconds (CORNERSHOP_CATALOG_TTL).\n",
    )
    code, out = run("catalog", "price", "apples", "de", "4,29", "--store", url)
    assert (code, out.splitlines()[0]) == (0, "APPLE (Äpfel) in DE: was 0,59 €, now 4,29 €.")
    doc = stored()
    assert item(doc, "APPLE")["prices"] == {
        "US": 99,
        "UK": 45,
        "CA": 99,
        "AU": 110,
        "IN": 3000,
        "DE": 429,
    }
    assert doc["version"] == 3
    # the same price again changes nothing
    code, out = run("catalog", "price", "APPLE", "US", "$0.99", "--store", url)
    assert (code, out) == (0, "APPLE (apples) already costs $0.99 in US; nothing changed.\n")
    assert stored()["version"] == 3


def test_price_can_start_selling_an_item_in_a_market(url: str, stored: Any) -> None:
    code, out = run("catalog", "price", "HALF_AND_HALF", "UK", "1.20", "--store", url)
    assert (code, out.splitlines()[0]) == (
        0,
        "HALF_AND_HALF (half and half) is now sold in UK at £1.20.",
    )
    assert item(stored(), "HALF_AND_HALF")["prices"]["UK"] == 120


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["NOPE", "US", "1"], "There is no item 'NOPE'"),
        (["APPL", "US", "1"], "Did you mean APPLE?"),
        (
            ["APPLE", "FR", "1"],
            "no market 'FR' in the catalog; its markets are US, UK, CA, AU, IN, DE",
        ),
        (["APPLE", "US", "4,29"], "'4,29' is not a price as written in US"),
        (["APPLE", "DE", "4.29"], "write EUR prices like 4,29"),
        (["APPLE", "US", "-1"], "negative"),
        (["APPLE", "US", "cheap"], "not a price"),
        (["CRISPS", "US", "1.99"], "no words in en-US"),  # CRISPS has no US words
    ],
)
def test_price_errors_say_how_to_fix_exit_2_and_change_nothing(
    url: str, stored: Any, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    before = stored()
    assert run("catalog", "price", *argv, "--store", url) == (2, "")
    err = capsys.readouterr().err
    assert err.startswith("cornershop: ") and said in err
    assert stored() == before


def test_price_needs_all_its_arguments(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        run("catalog", "price", "APPLE", "US", "--store", url)
    assert raised.value.code == 2
    assert "amount" in capsys.readouterr().err


# -- catalog stock --------------------------------------------------------------------------
def test_stock_out_and_in(url: str, stored: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run("catalog", "stock", "oat milk", "out", "--store", url)
    assert (code, out.splitlines()[0]) == (0, "OAT_MILK (oat milk) is now out of stock.")
    assert item(stored(), "OAT_MILK")["in_stock"] is False
    assert run("catalog", "stock", "OAT_MILK", "out", "--store", url) == (
        0,
        "OAT_MILK (oat milk) was already out of stock; nothing changed.\n",
    )
    assert run("catalog", "stock", "OAT_MILK", "in", "--store", url)[0] == 0
    assert item(stored(), "OAT_MILK")["in_stock"] is True
    assert run("catalog", "stock", "UNICORN", "out", "--store", url) == (2, "")
    assert "no item 'UNICORN'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run("catalog", "stock", "OAT_MILK", "gone", "--store", url)


# -- catalog add / remove -------------------------------------------------------------------
PEARS = [
    "PEARS",
    "--category",
    "produce",
    "--price",
    "US=0.89",
    "--price",
    "DE=0,79",
    "--name",
    "en-US=pears",
    "--one",
    "en-US=pear",
    "--other",
    "en-US=pears",
    "--unit",
    "en-US=each",
    "--per",
    "en-US=each",
    "--synonym",
    "en-US=pear",
    "--synonym",
    "en-US=conference pears",
    "--name",
    "de-DE=Birnen",
    "--one",
    "de-DE=Birne",
    "--other",
    "de-DE=Birnen",
    "--unit",
    "de-DE=Stück",
    "--per",
    "de-DE=pro Stück",
    "--gender",
    "de-DE=feminine",
    "--plural-name",
]


def test_add_and_remove_an_item(url: str, stored: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run("catalog", "add", *PEARS, "--store", url)
    assert code == 0, capsys.readouterr().err
    assert out.splitlines()[0] == "Added PEARS (pears); catalog version 2."
    assert "ask deploy --target skill-metadata" in out
    doc = stored()
    assert item(doc, "PEARS") == {
        "id": "PEARS",
        "category": "produce",
        "prices": {"US": 89, "DE": 79},
        "in_stock": True,
    }
    assert doc["text"]["en-US"]["PEARS"]["synonyms"] == ["pear", "conference pears"]
    assert doc["text"]["de-DE"]["PEARS"]["gender"] == "feminine"
    # adding it again is refused
    assert run("catalog", "add", *PEARS, "--store", url) == (2, "")
    assert "PEARS is already in the catalog" in capsys.readouterr().err
    # removing it takes its words too
    code, out = run("catalog", "remove", "pears", "--store", url)
    assert (code, out.splitlines()[0]) == (0, "Removed PEARS (pears); catalog version 3.")
    doc = stored()
    assert "PEARS" not in {i["id"] for i in doc["items"]}
    assert all("PEARS" not in words for words in doc["text"].values())
    assert run("catalog", "remove", "PEARS", "--store", url) == (2, "")
    assert "no item 'PEARS'" in capsys.readouterr().err


def test_add_says_which_words_are_missing(
    url: str, stored: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    before = stored()
    argv = ["catalog", "add", "PEARS", "--category", "produce", "--price", "US=0.89"]
    assert run(*argv, "--name", "en-US=pears", "--store", url) == (2, "")
    err = capsys.readouterr().err
    for word in ("en-US.one", "en-US.other", "en-US.unit", "en-US.per"):
        assert f"item PEARS, {word}: is missing" in err
    assert "--one en-US=pear" in err
    assert stored() == before
    # a new category needs its name in every locale with words
    fruit = ["catalog", "add", *PEARS]
    fruit[fruit.index("produce")] = "fruit"
    assert run(*fruit, "--store", url) == (2, "")
    err = capsys.readouterr().err
    assert "category 'fruit', en-US: has no en-US name" in err
    assert stored() == before
    assert (
        run(
            *fruit,
            "--category-name",
            "en-US=fruit",
            "--category-name",
            "de-DE=Obst",
            "--store",
            url,
        )[0]
        == 0
    )
    assert stored()["categories"]["de-DE"]["fruit"] == "Obst"


def test_add_without_a_locale_needs_a_one_locale_shop(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(
        "catalog", "add", "PEARS", "--category", "produce", "--name", "pears", "--store", url
    ) == (2, "")
    assert (
        "Say which locale --name 'pears' is for, like --name en-US=pears" in capsys.readouterr().err
    )


# -- catalog export / import ------------------------------------------------------------------
def test_export_then_import_is_lossless(url: str, stored: Any, tmp_path: Path) -> None:
    run("catalog", "stock", "OAT_MILK", "out", "--store", url)
    run("shop", "hours", "mon-fri", "08:00-18:00", "--store", url)
    before = stored()
    file = tmp_path / "catalog.yaml"
    assert run("catalog", "export", str(file), "--store", url) == (
        0,
        f"Wrote 33 items to {file}.\n",
    )
    code, out = run("catalog", "import", str(file), "--store", url)
    assert code == 0
    assert out.splitlines()[1] == "  nothing changed"
    assert stored() == before  # not even the version moved
    # and export to standard output is the same file
    assert run("catalog", "export", "--store", url) == (0, file.read_text("utf-8"))


def test_import_applies_an_edited_file_and_says_what_changed(
    url: str, stored: Any, tmp_path: Path
) -> None:
    file = tmp_path / "catalog.yaml"
    run("catalog", "export", str(file), "--store", url)
    text = file.read_text("utf-8")
    text = text.replace("prices: {US: 75,", "prices: {US: 79,", 1)
    text = text.replace("    name: apples\n", "    name: red apples\n", 1)
    text = text.replace(
        "synonyms: [apple, red apples, gala apples]", "synonyms: [apple, gala apples]", 1
    )
    file.write_text(text, "utf-8")
    code, out = run("catalog", "import", str(file), "--store", url)
    assert code == 0
    assert out.splitlines()[:3] == [
        f"Imported {file}: 33 items in 6 markets, always open; catalog version 2.",
        "  prices changed: APPLE",
        "  item names or synonyms changed",
    ]
    assert "cornershop model sync" in out
    assert item(stored(), "APPLE")["prices"]["US"] == 79


def test_import_of_a_broken_file_reports_every_problem_and_changes_nothing(
    url: str, stored: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "catalog.yaml"
    run("catalog", "export", str(file), "--store", url)
    lines = file.read_text("utf-8").splitlines()
    apple_prices = next(i for i, line in enumerate(lines) if line.startswith("    prices: {US: 75"))
    lines[apple_prices] = "    prices: {US: 0.75, UK: 45}"
    banana = next(i for i, line in enumerate(lines) if line == "  - id: BANANA")
    lines[banana] = "  - id: banana"
    file.write_text("\n".join(lines) + "\n", "utf-8")
    before = stored()
    assert run("catalog", "import", str(file), "--store", url) == (2, "")
    err = capsys.readouterr().err
    assert f"{file} has 2 problems, so nothing was changed:" in err
    assert f"{file}:{apple_prices + 1}: item APPLE, prices.US: must be a whole number" in err
    assert f"{file}:{banana + 1}: item banana, id: An item id is capital letters" in err
    assert stored() == before


def test_import_dry_run_and_stdin(
    url: str, stored: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "catalog.yaml"
    run("catalog", "export", str(file), "--store", url)
    file.write_text(file.read_text("utf-8").replace("prices: {US: 75,", "prices: {US: 79,", 1))
    code, out = run("catalog", "import", str(file), "--dry-run", "--store", url)
    assert code == 0 and "is a valid catalog" in out and "Nothing was changed" in out
    assert stored()["version"] == 1
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(file.read_bytes())))
    assert run("catalog", "import", "-", "--store", url)[0] == 0
    assert item(stored(), "APPLE")["prices"]["US"] == 79


def test_importing_an_old_export_warns_that_later_changes_are_replaced(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "catalog.yaml"
    run("catalog", "export", str(file), "--store", url)
    run("catalog", "price", "APPLE", "US", "0.99", "--store", url)
    capsys.readouterr()
    assert run("catalog", "import", str(file), "--store", url)[0] == 0
    assert "exported from catalog version 1" in capsys.readouterr().err


def test_import_of_a_missing_file_is_a_clear_error(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("catalog", "import", str(tmp_path / "nope.yaml"), "--store", url) == (2, "")
    assert "No such file" in capsys.readouterr().err


# -- shop hours / closed ------------------------------------------------------------------------
def test_hours_are_shown_set_and_refused_when_invalid(
    url: str, stored: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CORNERSHOP_TIMEZONE", "Europe/Berlin")
    code, out = run("shop", "hours", "--store", url)
    assert code == 0 and "in Europe/Berlin" in out and "always open" in out
    assert run("shop", "hours", "weekdays", "08:00-18:00", "--store", url)[0] == 0
    assert run("shop", "hours", "sat", "9:00-12:00", "13:00-17:00", "--store", url)[0] == 0
    code, out = run("shop", "hours", "sun", "closed", "--store", url)
    assert code == 0
    assert "  Saturday   09:00-12:00, 13:00-17:00\n  Sunday     closed\n" in out
    assert stored()["hours"]["weekly"]["mon"] == [["08:00", "18:00"]]
    # invalid hours are refused with a clear message, and nothing changes
    before = stored()
    for argv, said in (
        (["mon", "18:00-08:00"], "cannot cross midnight"),
        (["mon", "08:00-13:00", "12:00-18:00"], "overlap"),
        (["mon", "8-18"], "'8-18' is not an opening range"),
        (["funday", "08:00-18:00"], "'funday' is not a day"),
        (["mon"], "Give the hours for mon"),
    ):
        assert run("shop", "hours", *argv, "--store", url) == (2, ""), argv
        assert said in capsys.readouterr().err
    assert stored() == before
    code, out = run("shop", "hours", "--json", "--store", url)
    data = json.loads(out)
    assert data["timezone"] == "Europe/Berlin" and data["always_open"] is False
    assert data["hours"]["weekly"]["sat"] == [["09:00", "12:00"], ["13:00", "17:00"]]
    assert run("shop", "hours", "always", "--store", url)[0] == 0
    assert "hours" not in stored()


def test_closed_dates(url: str, stored: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("shop", "closed", "--store", url) == (0, "No closed dates.\n")
    assert run("shop", "closed", "2026-12-26", "2026-12-25", "--store", url)[0] == 0
    assert run("shop", "closed", "--store", url) == (0, "2026-12-25, 2026-12-26\n")
    assert run("shop", "closed", "2026-12-26", "--remove", "--store", url)[0] == 0
    assert stored()["hours"]["closed"] == ["2026-12-25"]
    assert run("shop", "closed", "Christmas", "--store", url) == (2, "")
    assert "'Christmas' is not a date" in capsys.readouterr().err


def test_a_bad_time_zone_is_refused_at_start(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CORNERSHOP_TIMEZONE", "Berlin")
    assert run("shop", "hours", "--store", url) == (2, "")
    err = capsys.readouterr().err
    assert "CORNERSHOP_TIMEZONE='Berlin' is not a time zone" in err and "Europe/Berlin" in err


# -- model check / sync sources -----------------------------------------------------------------
def test_model_check_follows_the_stored_catalog(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("model", "check", "--store", url)[0] == 0
    run("catalog", "add", *PEARS, "--store", url)
    code, out = run("model", "check", "--store", url)
    assert code == 1
    assert "en-US: PEARS is in the catalog but not in the model" in out
    assert "de-DE: PEARS is in the catalog but not in the model" in out
    # the same from a catalog file, and the bundled catalog still matches
    file = tmp_path / "catalog.yaml"
    run("catalog", "export", str(file), "--store", url)
    assert run("model", "check", "--catalog", str(file))[0] == 1
    assert run("model", "check", "--bundled")[0] == 0
    assert "Using the catalog in" in capsys.readouterr().err


def test_model_sync_writes_the_catalogs_names_and_synonyms(tmp_path: Path) -> None:
    # GIVEN a copy of the en-US model, and a catalog with pears
    import shutil

    from skill import interaction
    from skill.data import catalog_document
    from skill.domain.catalog import canonical

    shutil.copy(interaction.models_dir() / "en-US.json", tmp_path / "en-US.json")
    doc = canonical(catalog_document())
    doc["items"].append({"id": "PEARS", "category": "produce", "prices": {"US": 89}})
    doc["text"]["en-US"]["PEARS"] = {
        "name": "pears",
        "synonyms": ["pear"],
        "unit": "each",
        "one": "pear",
        "other": "pears",
        "per": "each",
        "plural_name": True,
    }
    assert interaction.drift("en-US", tmp_path, doc) == [
        "en-US: PEARS is in the catalog but not in the model"
    ]
    # WHEN the model is synced from it / THEN the slot type holds pears and its synonym
    assert interaction.sync("en-US", tmp_path, doc) is True
    assert interaction.drift("en-US", tmp_path, doc) == []
    values = interaction.catalog_slot_values("en-US", doc)
    assert {"id": "PEARS", "name": {"value": "pears", "synonyms": ["pear"]}} in values
    assert interaction.sync("en-US", tmp_path, doc) is False


# -- DynamoDB (moto on 127.0.0.1) -----------------------------------------------------------
def _servers() -> Any:
    """tests/store/_servers.py (moto on 127.0.0.1), loaded by path under a name of its own."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "cornershop_catalog_cli_servers", Path(__file__).parents[1] / "store" / "_servers.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_store_init_seeds_a_dynamodb_shop_and_the_commands_work_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    servers = _servers()
    with servers.MotoDynamoDB() as moto:
        for name, value in {
            "AWS_ENDPOINT_URL_DYNAMODB": moto.endpoint,
            "AWS_DEFAULT_REGION": servers.REGION,
            "AWS_ACCESS_KEY_ID": servers.CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": servers.CREDENTIALS["aws_secret_access_key"],
            "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "CORNERSHOP_SHOP_ID": "corner",
        }.items():
            monkeypatch.setenv(name, value)
        shop = "dynamodb://cornershop-cli-test"
        # WHEN the table is created with store init
        code, out = run("store", "init", "--store", shop)
        # THEN it is ready and this shop got the demo catalog, once
        assert (code, out) == (
            0,
            "DynamoDB table cornershop-cli-test is ready (on-demand, TTL on expires_at).\n"
            "catalog: seeded with the bundled demo catalog (33 items, version 1)\n",
        )
        assert run("store", "init", "--store", shop)[1].endswith(
            "catalog: the shop already has its own (version 1); left as it is\n"
        )
        # AND the staff commands change that shop's catalog
        assert run("catalog", "price", "APPLE", "US", "0.99", "--store", shop)[0] == 0
        code, out = run("catalog", "list", "--json", "--market", "US", "--store", shop)
        assert json.loads(out.splitlines()[0])["prices"] == {"US": 99}
        # AND another shop in the same table has none of its own
        monkeypatch.setenv("CORNERSHOP_SHOP_ID", "other")
        code, out = run("catalog", "list", "--json", "--market", "US", "--store", shop)
        assert json.loads(out.splitlines()[0])["prices"] == {"US": 75}
