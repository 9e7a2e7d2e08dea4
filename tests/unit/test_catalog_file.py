"""The catalog file (YAML): lossless export and import, and every problem with its line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from skill import catalog_file
from skill.catalog_file import CatalogFileError, FileProblem
from skill.data import catalog_document
from skill.domain.catalog import Catalog, canonical

DEMO = canonical(catalog_document())


def demo(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(DEMO))
    doc.update(changes)
    return doc


def problems_of(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(CatalogFileError) as raised:
        catalog_file.parse(text, source="shop.yaml")
    assert "nothing was changed" in str(raised.value)
    return [(p.line, p.field, p.message) for p in raised.value.problems]


SMALL = """\
markets:
  US: {currency: USD, locales: [en-US]}
  DE: {currency: EUR, locales: [de-DE]}
categories:
  produce:
    en-US: fruit and vegetables
    de-DE: Obst und Gemüse
hours:
  mon: 08:00-18:00
  tue: 8:00-12:30, 14:00-18:00
  sun: closed
  closed_dates: [2026-12-25]
items:
  - id: PEARS
    category: produce
    in_stock: no
    prices: {US: 89, DE: 79}
    en-US:
      name: pears
      synonyms: [pear, conference pears]
      unit: each
      one: pear
      other: pears
      per: each
      plural_name: yes
    de-DE:
      name: Birnen
      unit: Stück
      one: Birne
      other: Birnen
      per: pro Stück
      gender: feminine
"""


# -- lossless --------------------------------------------------------------------------
def test_export_then_import_gives_the_same_catalog_and_the_same_file() -> None:
    # GIVEN the demo catalog with hours, an item out of stock and a German gender
    doc = demo(
        hours={"weekly": {"mon": [["08:00", "18:00"]]}, "closed": ["2026-12-25"]},
    )
    doc["items"][0]["in_stock"] = False
    doc["text"]["de-DE"]["APPLE"]["gender"] = "masculine"
    doc = canonical(doc)
    # WHEN it is exported and imported back
    text = catalog_file.dump({**doc, "version": 12}, timezone="Europe/Berlin")
    loaded = catalog_file.parse(text)
    # THEN it is the same catalog, and exporting that gives the same file
    assert loaded.document == doc
    assert loaded.version == 12 and loaded.warnings == []
    assert catalog_file.dump({**loaded.document, "version": 12}, timezone="Europe/Berlin") == text
    assert "CORNERSHOP_TIMEZONE, now Europe/Berlin" in text


def test_the_bundled_catalog_round_trips() -> None:
    assert catalog_file.parse(catalog_file.dump(catalog_document())).document == DEMO


def test_a_hand_written_file_reads_as_meant() -> None:
    loaded = catalog_file.parse(SMALL)
    doc = loaded.document
    assert doc["items"] == [
        {"id": "PEARS", "category": "produce", "prices": {"US": 89, "DE": 79}, "in_stock": False}
    ]
    assert doc["hours"]["weekly"]["tue"] == [["08:00", "12:30"], ["14:00", "18:00"]]
    assert doc["hours"]["weekly"]["wed"] == [] and doc["hours"]["closed"] == ["2026-12-25"]
    assert doc["text"]["en-US"]["PEARS"]["plural_name"] is True
    # German: the gender gives the form with its article
    pears = Catalog.from_document(doc, "de-DE").get("PEARS")
    assert pears is not None and pears.phrase(1) == "eine Birne" and not pears.in_stock


def test_the_file_says_how_to_read_it() -> None:
    text = catalog_file.dump(DEMO)
    assert text.startswith("# Corner Shop catalog")
    assert "429 is 4.29" in text and "ask deploy --target skill-metadata" in text
    assert "  - id: APPLE\n" in text and "prices: {US: 75, UK: 45" in text


# -- every problem, with its line and field -----------------------------------------------
def test_every_problem_is_reported_with_its_line_and_field() -> None:
    text = SMALL.replace("prices: {US: 89, DE: 79}", "prices: {US: 0.89, XX: 79}")
    text = text.replace("tue: 8:00-12:30, 14:00-18:00", "tue: 18:00-08:00")
    text = text.replace("      one: Birne\n", "")
    text = text.replace("    in_stock: no\n", "    in_stock: maybe\n    colour: green\n")
    problems = problems_of(text)
    assert [(line, field) for line, field, _ in problems] == [
        (10, "hours.tue"),
        (16, "item PEARS, in_stock"),
        (17, "item PEARS, colour"),
        (18, "item PEARS, prices.US"),
        (18, "item PEARS, prices.XX"),
        (27, "item PEARS, de-DE.one"),  # the de-DE words, which lack it
    ]
    messages = {field: message for _, field, message in problems}
    assert "write 4.29 as 429" in messages["item PEARS, prices.US"]
    assert "cannot cross midnight" in messages["hours.tue"]
    assert "true or false" in messages["item PEARS, in_stock"]
    assert "words after the number 1" in messages["item PEARS, de-DE.one"]


def test_problems_of_the_shape_and_of_the_rules_are_reported_together() -> None:
    # GIVEN a day given twice (the file's shape) and a price in quotes (the catalog's rules)
    text = SMALL.replace("  sun: closed\n", "  sun: closed\n  sun: 10:00-12:00\n")
    text = text.replace("prices: {US: 89, DE: 79}", "prices: {US: '89', DE: 79}")
    # WHEN it is read / THEN both are reported, each on its own line
    problems = problems_of(text)
    assert [(line, field) for line, field, _ in problems] == [
        (12, "hours.sun"),
        (18, "item PEARS, prices.US"),
    ]
    assert "given twice (first on line 11)" in problems[0][2]


def test_a_name_used_by_two_items_is_reported_on_the_second() -> None:
    second = (
        SMALL.split("items:\n")[1]
        .replace("id: PEARS", "id: NASHI")
        .replace("name: pears", "name: nashi pears")
        .replace("synonyms: [pear, conference pears]", "synonyms: [asian pears, pears]")
        .replace("name: Birnen", "name: Nashibirnen")
    )
    problems = problems_of(SMALL + second)
    assert [(line, field) for line, field, _ in problems] == [(39, "item NASHI, en-US.synonyms")]
    assert "also a name of PEARS" in problems[0][2]


@pytest.mark.parametrize(
    ("text", "line", "said"),
    [
        ("markets: [US\n", 2, "not valid YAML"),
        ("items:\n  - id: A\n   category: x\n", 3, "not valid YAML"),
        ("a: &x [1]\nb: *x\n", 2, "alias"),
        ("a: &x {b: 1}\nc:\n  <<: *x\n", 3, "merge key"),
        ("- just a list\n", 1, "must be a YAML mapping"),
        ("format: 2\n", 1, "format 1"),
    ],
)
def test_files_that_are_not_catalogs_are_refused_with_the_line(
    text: str, line: int, said: str
) -> None:
    problems = problems_of(text)
    assert problems[0][0] == line, problems
    assert said in problems[0][2]


def test_an_empty_file_and_a_file_that_is_not_utf8_are_refused() -> None:
    assert problems_of("") == [
        (None, "the file", "is empty; start from `cornershop catalog export`.")
    ]
    with pytest.raises(CatalogFileError, match="not UTF-8"):
        catalog_file.parse(b"markets: \xff\xfe\n")


def test_an_unquoted_time_and_an_impossible_date_are_explained() -> None:
    text = SMALL.replace("mon: 08:00-18:00", "mon: 8:00").replace("2026-12-25", "2026-13-01")
    problems = problems_of(text)
    assert problems[0][:2] == (9, "hours.mon") and "480 is not opening hours" in problems[0][2]
    assert problems[1][:2] == (12, "hours.closed_dates")
    assert "'2026-13-01' is not a date" in problems[1][2]


def test_a_market_yaml_reads_as_false_is_explained() -> None:
    text = SMALL.replace(
        "  DE: {currency: EUR, locales: [de-DE]}", "  NO: {currency: NOK, locales: [nb-NO]}"
    )
    problems = problems_of(text)
    assert "in quotes" in problems[0][2] and problems[0][1] == "market False"


def test_a_timezone_in_the_hours_is_a_warning_not_an_error() -> None:
    loaded = catalog_file.parse(SMALL.replace("hours:\n", "hours:\n  timezone: Asia/Tokyo\n"))
    assert loaded.warnings and "CORNERSHOP_TIMEZONE" in loaded.warnings[0]
    assert "timezone" not in loaded.document["hours"]


def test_load_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(SMALL, "utf-8")
    assert catalog_file.load(path).document["items"][0]["id"] == "PEARS"
    path.write_text(SMALL.replace("id: PEARS", "id: pears"), "utf-8")
    with pytest.raises(CatalogFileError) as raised:
        catalog_file.load(path)
    assert str(raised.value).startswith(f"{path} has 1 problem")
    assert raised.value.problems == [
        FileProblem(
            14,
            "item pears, id",
            "An item id is capital letters, digits and _, starting with a letter, like OAT_MILK.",
        )
    ]
