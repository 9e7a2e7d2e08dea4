"""The catalog document's rules, its normal form, stock, and prices as a shop writes them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from skill.data import catalog_document
from skill.domain.catalog import (
    Catalog,
    InvalidCatalog,
    InvalidPrice,
    canonical,
    check,
    check_document,
    describe,
    price_from_text,
)

DEMO = canonical(catalog_document())


def demo() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(DEMO))
    return doc


def item(doc: dict[str, Any], item_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(i for i in doc["items"] if i["id"] == item_id)
    return found


def test_the_bundled_catalog_keeps_every_rule_and_is_canonical_once_normalised() -> None:
    assert check_document(catalog_document()) == []
    assert canonical(DEMO) == DEMO
    assert "_comment" not in DEMO and all(i["in_stock"] is True for i in DEMO["items"])


def test_out_of_stock_items_stay_in_the_catalog_and_alternatives_are_in_stock() -> None:
    doc = demo()
    item(doc, "OAT_MILK")["in_stock"] = False
    item(doc, "MILK")["in_stock"] = False
    catalog = Catalog.from_document(doc, "en-US")
    oat_milk = catalog.get("OAT_MILK")
    assert oat_milk is not None and oat_milk.in_stock is False
    assert catalog.find("oat milk") is oat_milk  # still recognised, so it can be explained
    dairy = [i.id for i in catalog.in_category("dairy")]
    alternatives = catalog.alternatives(oat_milk, limit=2)
    assert [i.id for i in alternatives] == [i for i in dairy if i not in ("OAT_MILK", "MILK")][:2]
    assert all(i.in_stock and i.category == "dairy" for i in alternatives)
    assert catalog.alternatives(oat_milk, limit=0) == []


def test_a_german_gender_gives_the_form_with_its_article() -> None:
    # GIVEN German words with a gender instead of the form with its article
    doc = demo()
    for item_id, gender in (("APPLE", "masculine"), ("BANANA", "feminine"), ("EGGS", "neuter")):
        words = doc["text"]["de-DE"][item_id]
        del words["single"]
        words["gender"] = gender
    assert check_document(doc) == []
    # WHEN the German catalog is built / THEN "one" comes with its article
    catalog = Catalog.from_document(doc, "de-DE")
    phrases = {}
    for item_id in ("APPLE", "BANANA"):
        found = catalog.get(item_id)
        assert found is not None
        phrases[item_id] = found.phrase(1)
    assert phrases == {"APPLE": "ein Apfel", "BANANA": "eine Banane"}


def test_german_words_need_the_article_form_or_a_gender() -> None:
    doc = demo()
    doc["text"]["de-DE"]["APPLE"].pop("single")
    problems = check_document(doc)
    assert [(p.path, describe(doc, p.path)) for p in problems] == [
        (("text", "de-DE", "APPLE", "single"), "item APPLE, de-DE.single")
    ]
    assert "ein Apfel" in problems[0].message and "gender" in problems[0].message


BROKEN: dict[str, tuple[Any, str, str]] = {
    "a negative price": (
        lambda d: item(d, "APPLE")["prices"].update(US=-1),
        "item APPLE, prices.US",
        "whole number of minor units",
    ),
    "a price in dollars": (
        lambda d: item(d, "APPLE")["prices"].update(US=0.75),
        "item APPLE, prices.US",
        "write 4.29 as 429",
    ),
    "a price in an unknown market": (
        lambda d: item(d, "APPLE")["prices"].update(FR=99),
        "item APPLE, prices.FR",
        "not one of the catalog's markets",
    ),
    "a price without words there": (
        lambda d: d["text"]["de-DE"].pop("APPLE"),
        "item APPLE, prices.DE",
        "no words in de-DE",
    ),
    "two items with one id": (
        lambda d: d["items"].append(dict(item(d, "APPLE"))),
        "item APPLE, id",
        "used by two items",
    ),
    "a lowercase id": (
        lambda d: d["items"].append({"id": "pear", "category": "produce", "prices": {"US": 89}}),
        "item pear, id",
        "capital letters",
    ),
    "a name of another item as a synonym": (
        lambda d: d["text"]["en-US"]["BANANA"]["synonyms"].append("apples"),
        "item BANANA, en-US.synonyms",
        "also a name of APPLE",
    ),
    "a missing word": (
        lambda d: d["text"]["en-GB"]["BREAD"].pop("other"),
        "item BREAD, en-GB.other",
        "words after other numbers",
    ),
    "a category without a name": (
        lambda d: d["categories"]["en-GB"].pop("produce"),
        "category 'produce', en-GB",
        "has no en-GB name",
    ),
    "a locale no market serves": (
        lambda d: d["text"].update({"fr-FR": d["text"]["en-US"]}),
        "locale fr-FR",
        "no market serves it",
    ),
    "a locale served twice": (
        lambda d: d["markets"]["CA"]["locales"].append("en-US"),
        "market CA, locales",
        "already served by market US",
    ),
    "a bad currency": (
        lambda d: d["markets"]["US"].update(currency="dollars"),
        "market US, currency",
        "three-letter",
    ),
    "an unknown top-level entry": (lambda d: d.update(colour="red"), "colour", "not part"),
    "in_stock as a word": (
        lambda d: item(d, "APPLE").update(in_stock="yes"),
        "item APPLE, in_stock",
        "true or false",
    ),
    "hours that overlap": (
        lambda d: d.update(hours={"weekly": {"mon": [["08:00", "13:00"], ["12:00", "18:00"]]}}),
        "hours",
        "Monday: the ranges 08:00-13:00 and 12:00-18:00 overlap",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_rule_is_named_with_where_and_how_to_fix(case: str) -> None:
    edit, where, said = BROKEN[case]
    doc = demo()
    edit(doc)
    problems = check_document(doc)
    assert [describe(doc, p.path) for p in problems] == [where], problems
    assert said in problems[0].message
    with pytest.raises(InvalidCatalog, match="nothing was changed"):
        check(doc)


def test_every_problem_is_listed_at_once() -> None:
    doc = demo()
    item(doc, "APPLE")["prices"]["US"] = -1
    doc["text"]["en-GB"]["BREAD"].pop("one")
    doc["markets"]["US"]["currency"] = "usd"
    with pytest.raises(InvalidCatalog) as raised:
        check(doc)
    assert len(raised.value.problems) == 3
    assert str(raised.value).startswith("The catalog has 3 problems, so nothing was changed:")


@pytest.mark.parametrize(
    ("text", "market", "currency", "cents"),
    [
        ("4.29", "US", "USD", 429),
        ("$4.29", "US", "USD", 429),
        ("4.5", "US", "USD", 450),
        ("4", "US", "USD", 400),
        ("1,299.00", "US", "USD", 129900),
        (" 0.99 ", "US", "USD", 99),
        ("4,29", "DE", "EUR", 429),
        ("4,29 €", "DE", "EUR", 429),
        ("4,29 EUR", "DE", "EUR", 429),
        ("1.234,56", "DE", "EUR", 123456),
        ("£1.65", "UK", "GBP", 165),
        ("349", "IN", "INR", 34900),
        ("0", "US", "USD", 0),
    ],
)
def test_prices_are_read_as_written_in_their_market(
    text: str, market: str, currency: str, cents: int
) -> None:
    assert price_from_text(text, market, currency) == cents


@pytest.mark.parametrize(
    ("text", "market", "currency", "said"),
    [
        ("4,29", "US", "USD", "write USD prices like 4.29"),
        ("4.29", "DE", "EUR", "write EUR prices like 4,29"),
        ("-1", "US", "USD", "negative"),
        ("4.299", "US", "USD", "not a price as written in US"),
        ("four", "US", "USD", "not a price"),
        ("", "US", "USD", "not a price"),
        ("1,29,0", "US", "USD", "not a price"),
        ("1e3", "US", "USD", "not a price"),
        ("99999999999", "US", "USD", "more than the largest price"),
    ],
)
def test_malformed_negative_and_ambiguous_prices_are_refused_saying_how(
    text: str, market: str, currency: str, said: str
) -> None:
    with pytest.raises(InvalidPrice, match=said):
        price_from_text(text, market, currency)
