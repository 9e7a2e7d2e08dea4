"""Regenerate the bundled *demo* catalog, skill/data/catalog.json, from the tables below.

    python tools/locales_data.py

This is not how a shop changes its catalog. A shop's catalog is data in its store:
``cornershop store init`` seeds it from the demo catalog once, and from then on the
shop edits it with ``cornershop catalog ...`` / ``cornershop shop hours ...``, or
exports it, edits the YAML file and imports it again, without a redeploy. This
script only maintains the demo catalog that ships with the package, which is the
seed for new shops and what the skill serves to a shop that has none yet (and what
the repository's interaction models and tests are checked against).

en-US text and prices are kept as they are (the source of truth for the US market);
everything else is generated from the tables below, so review changes here. The
result must pass the catalog's rules (skill.domain.catalog.check), or nothing is
written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CATALOG = Path(__file__).resolve().parents[1] / "skill" / "data" / "catalog.json"

MARKETS = {
    "US": {"currency": "USD", "locales": ["en-US"]},
    "UK": {"currency": "GBP", "locales": ["en-GB"]},
    "CA": {"currency": "CAD", "locales": ["en-CA"]},
    "AU": {"currency": "AUD", "locales": ["en-AU"]},
    "IN": {"currency": "INR", "locales": ["en-IN"]},
    "DE": {"currency": "EUR", "locales": ["de-DE"]},
}

# id: (UK pence, CA cents, AU cents, IN paise, DE cents); None = not sold there.
PRICES: dict[str, tuple[int | None, ...]] = {
    "APPLE": (45, 99, 110, 3000, 59),
    "BANANA": (20, 39, 60, 1000, 29),
    "ORANGE": (60, 129, 140, 2000, 69),
    "LEMON": (45, 89, 120, 1000, 49),
    "AVOCADO": (99, 199, 250, 12000, 129),
    "TOMATO": (40, 99, 120, 800, 49),
    "POTATOES": (199, 549, 600, 9000, 279),
    "CARROTS": (89, 249, 300, 6000, 129),
    "LETTUCE": (89, 299, 350, 8000, 119),
    "MILK": (165, 549, 400, 6800, 119),
    "OAT_MILK": (199, 549, 450, 29900, 229),
    "HALF_AND_HALF": (None, 349, None, None, None),
    "EGGS": (299, 549, 650, 9900, 299),
    "BUTTER": (225, 699, 650, 27500, 239),
    "CHEDDAR": (350, 799, 900, 45000, 349),
    "YOGURT": (95, 179, 250, 6000, 99),
    "BREAD": (150, 449, 550, 5500, 289),
    "BAGELS": (199, 549, 650, 15000, 279),
    "CROISSANT": (125, 299, 400, 9000, 129),
    "COFFEE": (650, 1499, 1600, 65000, 899),
    "TEA": (299, 599, 700, 28000, 249),
    "ORANGE_JUICE": (250, 549, 600, 12500, 249),
    "SPARKLING_WATER": (85, 149, 200, 4000, 69),
    "CHICKEN": (450, 1199, 1400, 32000, 699),
    "GROUND_BEEF": (399, 899, 1100, 45000, 549),
    "SALMON": (599, 1599, 1800, 90000, 899),
    "PASTA": (99, 249, 300, 12000, 149),
    "RICE": (175, 449, 500, 9500, 219),
    "OLIVE_OIL": (699, 1399, 1500, 99900, 799),
    "PEANUT_BUTTER": (250, 499, 550, 35000, 299),
    "CHOCOLATE": (150, 299, 400, 10000, 149),
    "CEREAL": (275, 599, 650, 35000, 349),
    "CRISPS": (125, 399, 450, 2000, 199),
}
MARKET_ORDER = ("UK", "CA", "AU", "IN", "DE")

# English outside the US: metric units; the per-locale words differ below.
# id: name, synonyms, unit, one, other, per, plural_name
EN_METRIC: dict[str, tuple[str, list[str], str, str, str, str, bool]] = {
    "APPLE": (
        "apples",
        ["apple", "red apples", "gala apples"],
        "each",
        "apple",
        "apples",
        "each",
        True,
    ),
    "BANANA": ("bananas", ["banana"], "each", "banana", "bananas", "each", True),
    "ORANGE": ("oranges", ["orange"], "each", "orange", "oranges", "each", True),
    "LEMON": ("lemons", ["lemon"], "each", "lemon", "lemons", "each", True),
    "AVOCADO": ("avocados", ["avocado"], "each", "avocado", "avocados", "each", True),
    "TOMATO": ("tomatoes", ["tomato"], "each", "tomato", "tomatoes", "each", True),
    "POTATOES": (
        "potatoes",
        ["bag of potatoes", "potato"],
        "2.5 kg bag",
        "bag of potatoes",
        "bags of potatoes",
        "a 2.5 kg bag",
        True,
    ),
    "CARROTS": (
        "carrots",
        ["bag of carrots", "carrot"],
        "1 kg bag",
        "bag of carrots",
        "bags of carrots",
        "a 1 kg bag",
        True,
    ),
    "LETTUCE": (
        "lettuce",
        ["head of lettuce", "romaine", "cos lettuce"],
        "head",
        "head of lettuce",
        "heads of lettuce",
        "a head",
        False,
    ),
    "MILK": (
        "milk",
        ["whole milk", "bottle of milk", "semi skimmed milk"],
        "2 litre bottle",
        "bottle of milk",
        "bottles of milk",
        "a 2 litre bottle",
        False,
    ),
    "OAT_MILK": (
        "oat milk",
        ["oatmilk", "oat drink"],
        "carton",
        "carton of oat milk",
        "cartons of oat milk",
        "a carton",
        False,
    ),
    "HALF_AND_HALF": (
        "half and half",
        ["half-and-half", "coffee cream"],
        "pint",
        "carton of half and half",
        "cartons of half and half",
        "a carton",
        False,
    ),
    "EGGS": (
        "eggs",
        ["box of eggs", "carton of eggs"],
        "dozen",
        "dozen eggs",
        "dozen eggs",
        "a dozen",
        True,
    ),
    "BUTTER": (
        "butter",
        ["block of butter", "pack of butter"],
        "250 g block",
        "block of butter",
        "blocks of butter",
        "a 250 g block",
        False,
    ),
    "CHEDDAR": (
        "cheddar cheese",
        ["cheddar", "cheese", "mature cheddar"],
        "block",
        "block of cheddar",
        "blocks of cheddar",
        "a block",
        False,
    ),
    "YOGURT": (
        "yoghurt",
        ["yogurt", "greek yoghurt", "pot of yoghurt"],
        "pot",
        "pot of yoghurt",
        "pots of yoghurt",
        "a pot",
        False,
    ),
    "BREAD": (
        "bread",
        ["loaf of bread", "sourdough", "loaf", "loaves"],
        "loaf",
        "loaf of bread",
        "loaves of bread",
        "a loaf",
        False,
    ),
    "BAGELS": (
        "bagels",
        ["bagel", "pack of bagels"],
        "pack of six",
        "pack of bagels",
        "packs of bagels",
        "a pack of six",
        True,
    ),
    "CROISSANT": (
        "croissants",
        ["croissant", "butter croissant"],
        "each",
        "croissant",
        "croissants",
        "each",
        True,
    ),
    "COFFEE": (
        "coffee",
        ["coffee beans", "bag of coffee", "ground coffee"],
        "bag",
        "bag of coffee",
        "bags of coffee",
        "a bag",
        False,
    ),
    "TEA": ("tea", ["tea bags", "box of tea"], "box", "box of tea", "boxes of tea", "a box", False),
    "ORANGE_JUICE": (
        "orange juice",
        ["o j", "juice"],
        "carton",
        "carton of orange juice",
        "cartons of orange juice",
        "a carton",
        False,
    ),
    "SPARKLING_WATER": (
        "sparkling water",
        ["fizzy water", "soda water"],
        "bottle",
        "bottle of sparkling water",
        "bottles of sparkling water",
        "a bottle",
        False,
    ),
    "CHICKEN": (
        "chicken breast",
        ["chicken", "chicken breasts", "chicken fillets"],
        "500 g pack",
        "pack of chicken breast",
        "packs of chicken breast",
        "a 500 g pack",
        False,
    ),
    "GROUND_BEEF": (
        "beef mince",
        ["mince", "minced beef", "ground beef"],
        "500 g pack",
        "pack of beef mince",
        "packs of beef mince",
        "a 500 g pack",
        False,
    ),
    "SALMON": (
        "salmon",
        ["salmon fillet", "salmon fillets"],
        "fillet",
        "salmon fillet",
        "salmon fillets",
        "a fillet",
        False,
    ),
    "PASTA": (
        "pasta",
        ["spaghetti", "penne"],
        "pack",
        "pack of pasta",
        "packs of pasta",
        "a pack",
        False,
    ),
    "RICE": (
        "rice",
        ["bag of rice", "white rice", "basmati rice"],
        "bag",
        "bag of rice",
        "bags of rice",
        "a bag",
        False,
    ),
    "OLIVE_OIL": (
        "olive oil",
        ["extra virgin olive oil"],
        "bottle",
        "bottle of olive oil",
        "bottles of olive oil",
        "a bottle",
        False,
    ),
    "PEANUT_BUTTER": (
        "peanut butter",
        [],
        "jar",
        "jar of peanut butter",
        "jars of peanut butter",
        "a jar",
        False,
    ),
    "CHOCOLATE": (
        "chocolate",
        ["chocolate bar", "bar of chocolate"],
        "bar",
        "bar of chocolate",
        "bars of chocolate",
        "a bar",
        False,
    ),
    "CEREAL": (
        "cereal",
        ["box of cereal", "corn flakes", "cornflakes"],
        "box",
        "box of cereal",
        "boxes of cereal",
        "a box",
        False,
    ),
    "CRISPS": (
        "crisps",
        ["packet of crisps", "potato crisps"],
        "packet",
        "packet of crisps",
        "packets of crisps",
        "a packet",
        True,
    ),
}

# en-US text is the source of truth and kept, except these synonym edits: "loaf" for
# "I only want one loaf"; "dozen" is a quantity word (the QuantityWord slot), so
# "dozen eggs" as an item name would make "a dozen eggs" ambiguous for Alexa.
EN_US_SYNONYMS: dict[str, dict[str, list[str]]] = {
    "BREAD": {"add": ["loaf", "loaves"]},
    "EGGS": {"remove": ["dozen eggs", "a dozen eggs"]},
}

# What each English locale calls things differently: id -> (name, synonyms, one, other) overrides.
EN_OVERRIDES: dict[str, dict[str, dict[str, object]]] = {
    "en-GB": {
        "SPARKLING_WATER": {"synonyms": ["fizzy water", "soda water", "sparkling mineral water"]},
    },
    "en-CA": {
        "GROUND_BEEF": {
            "name": "ground beef",
            "synonyms": ["beef", "lean ground beef", "mince"],
            "one": "pack of ground beef",
            "other": "packs of ground beef",
        },
        "YOGURT": {
            "name": "yogurt",
            "synonyms": ["yoghurt", "greek yogurt", "cup of yogurt"],
            "one": "cup of yogurt",
            "other": "cups of yogurt",
            "unit": "cup",
            "per": "a cup",
        },
        "CRISPS": {
            "name": "potato chips",
            "synonyms": ["chips", "bag of chips"],
            "one": "bag of chips",
            "other": "bags of chips",
            "unit": "bag",
            "per": "a bag",
        },
        "MILK": {
            "synonyms": ["whole milk", "bag of milk", "carton of milk", "two percent milk"],
            "unit": "2 litre carton",
            "one": "carton of milk",
            "other": "cartons of milk",
            "per": "a 2 litre carton",
        },
    },
    "en-AU": {
        "CRISPS": {
            "name": "chips",
            "synonyms": ["potato chips", "packet of chips", "crisps"],
            "one": "packet of chips",
            "other": "packets of chips",
        },
    },
    "en-IN": {
        "CRISPS": {
            "name": "chips",
            # The Indian market says both: a packet of chips, a bag of crisps.
            "synonyms": [
                "potato chips",
                "packet of chips",
                "wafers",
                "crisps",
                "packet of crisps",
                "bag of crisps",
            ],
            "one": "packet of chips",
            "other": "packets of chips",
        },
        "YOGURT": {
            "name": "curd",
            "synonyms": ["yogurt", "yoghurt", "dahi", "cup of curd"],
            "one": "cup of curd",
            "other": "cups of curd",
            "unit": "cup",
            "per": "a cup",
        },
        "GROUND_BEEF": {
            "name": "minced mutton",
            "synonyms": ["mutton mince", "keema", "mince"],
            "one": "pack of minced mutton",
            "other": "packs of minced mutton",
        },
        "CHEDDAR": {"synonyms": ["cheddar", "cheese", "cheese block"]},
    },
}

# German: name, synonyms, unit, one, other, per, plural_name, single (with article, nominative)
DE: dict[str, tuple[str, list[str], str, str, str, str, bool, str]] = {
    "APPLE": (
        "Äpfel",
        ["Apfel", "rote Äpfel", "Gala Äpfel"],
        "Stück",
        "Apfel",
        "Äpfel",
        "pro Stück",
        True,
        "ein Apfel",
    ),
    "BANANA": (
        "Bananen",
        ["Banane"],
        "Stück",
        "Banane",
        "Bananen",
        "pro Stück",
        True,
        "eine Banane",
    ),
    "ORANGE": (
        "Orangen",
        ["Orange", "Apfelsinen", "Apfelsine"],
        "Stück",
        "Orange",
        "Orangen",
        "pro Stück",
        True,
        "eine Orange",
    ),
    "LEMON": (
        "Zitronen",
        ["Zitrone"],
        "Stück",
        "Zitrone",
        "Zitronen",
        "pro Stück",
        True,
        "eine Zitrone",
    ),
    "AVOCADO": (
        "Avocados",
        ["Avocado"],
        "Stück",
        "Avocado",
        "Avocados",
        "pro Stück",
        True,
        "eine Avocado",
    ),
    "TOMATO": (
        "Tomaten",
        ["Tomate"],
        "Stück",
        "Tomate",
        "Tomaten",
        "pro Stück",
        True,
        "eine Tomate",
    ),
    "POTATOES": (
        "Kartoffeln",
        ["Kartoffel", "Sack Kartoffeln", "Beutel Kartoffeln"],
        "2,5-kg-Beutel",
        "Beutel Kartoffeln",
        "Beutel Kartoffeln",
        "pro Beutel",
        True,
        "ein Beutel Kartoffeln",
    ),
    "CARROTS": (
        "Karotten",
        ["Karotte", "Möhren", "Möhre", "Beutel Karotten"],
        "Beutel",
        "Beutel Karotten",
        "Beutel Karotten",
        "pro Beutel",
        True,
        "ein Beutel Karotten",
    ),
    "LETTUCE": (
        "Kopfsalat",
        ["Salat", "Salatkopf", "Römersalat"],
        "Kopf",
        "Kopf Salat",
        "Köpfe Salat",
        "pro Kopf",
        False,
        "ein Kopf Salat",
    ),
    "MILK": (
        "Milch",
        ["Vollmilch", "Liter Milch", "Frischmilch"],
        "Liter",
        "Liter Milch",
        "Liter Milch",
        "pro Liter",
        False,
        "ein Liter Milch",
    ),
    "OAT_MILK": (
        "Haferdrink",
        ["Hafermilch", "Haferdrinks"],
        "Packung",
        "Packung Haferdrink",
        "Packungen Haferdrink",
        "pro Packung",
        False,
        "eine Packung Haferdrink",
    ),
    "EGGS": (
        "Eier",
        ["Ei", "Packung Eier", "Eierkarton", "zehn Eier"],
        "Zehnerpackung",
        "Packung Eier",
        "Packungen Eier",
        "pro Zehnerpackung",
        True,
        "eine Packung Eier",
    ),
    "BUTTER": (
        "Butter",
        ["Stück Butter", "Päckchen Butter"],
        "250-g-Stück",
        "Stück Butter",
        "Stück Butter",
        "pro Stück",
        False,
        "ein Stück Butter",
    ),
    "CHEDDAR": (
        "Cheddar",
        ["Käse", "Cheddarkäse"],
        "Block",
        "Block Cheddar",
        "Blöcke Cheddar",
        "pro Block",
        False,
        "ein Block Cheddar",
    ),
    "YOGURT": (
        "Joghurt",
        ["Jogurt", "griechischer Joghurt", "Becher Joghurt"],
        "Becher",
        "Becher Joghurt",
        "Becher Joghurt",
        "pro Becher",
        False,
        "ein Becher Joghurt",
    ),
    "BREAD": (
        "Brot",
        ["Laib Brot", "Sauerteigbrot", "Brote", "Brötchen"],
        "Laib",
        "Brot",
        "Brote",
        "pro Laib",
        False,
        "ein Brot",
    ),
    "BAGELS": (
        "Bagels",
        ["Bagel", "Packung Bagels"],
        "Sechserpackung",
        "Packung Bagels",
        "Packungen Bagels",
        "pro Sechserpackung",
        True,
        "eine Packung Bagels",
    ),
    "CROISSANT": (
        "Croissants",
        ["Croissant", "Buttercroissant", "Hörnchen"],
        "Stück",
        "Croissant",
        "Croissants",
        "pro Stück",
        True,
        "ein Croissant",
    ),
    "COFFEE": (
        "Kaffee",
        ["Kaffeebohnen", "Packung Kaffee", "gemahlener Kaffee"],
        "Packung",
        "Packung Kaffee",
        "Packungen Kaffee",
        "pro Packung",
        False,
        "eine Packung Kaffee",
    ),
    "TEA": (
        "Tee",
        ["Teebeutel", "Packung Tee", "Schachtel Tee"],
        "Packung",
        "Packung Tee",
        "Packungen Tee",
        "pro Packung",
        False,
        "eine Packung Tee",
    ),
    "ORANGE_JUICE": (
        "Orangensaft",
        ["O-Saft", "Saft", "Apfelsinensaft"],
        "Flasche",
        "Flasche Orangensaft",
        "Flaschen Orangensaft",
        "pro Flasche",
        False,
        "eine Flasche Orangensaft",
    ),
    "SPARKLING_WATER": (
        "Mineralwasser",
        ["Sprudel", "Sprudelwasser", "Wasser mit Kohlensäure"],
        "Flasche",
        "Flasche Mineralwasser",
        "Flaschen Mineralwasser",
        "pro Flasche",
        False,
        "eine Flasche Mineralwasser",
    ),
    "CHICKEN": (
        "Hähnchenbrust",
        ["Hähnchen", "Hühnerbrust", "Hühnchen", "Hähnchenbrustfilet"],
        "500-g-Packung",
        "Packung Hähnchenbrust",
        "Packungen Hähnchenbrust",
        "pro 500-g-Packung",
        False,
        "eine Packung Hähnchenbrust",
    ),
    "GROUND_BEEF": (
        "Hackfleisch",
        ["Rinderhack", "Hack", "Gehacktes", "Rinderhackfleisch"],
        "500-g-Packung",
        "Packung Hackfleisch",
        "Packungen Hackfleisch",
        "pro 500-g-Packung",
        False,
        "eine Packung Hackfleisch",
    ),
    "SALMON": (
        "Lachs",
        ["Lachsfilet", "Lachsfilets"],
        "Filet",
        "Lachsfilet",
        "Lachsfilets",
        "pro Filet",
        False,
        "ein Lachsfilet",
    ),
    "PASTA": (
        "Nudeln",
        ["Spaghetti", "Pasta", "Packung Nudeln"],
        "Packung",
        "Packung Nudeln",
        "Packungen Nudeln",
        "pro Packung",
        True,
        "eine Packung Nudeln",
    ),
    "RICE": (
        "Reis",
        ["Packung Reis", "weißer Reis", "Basmatireis"],
        "Packung",
        "Packung Reis",
        "Packungen Reis",
        "pro Packung",
        False,
        "eine Packung Reis",
    ),
    "OLIVE_OIL": (
        "Olivenöl",
        ["natives Olivenöl extra", "Flasche Olivenöl"],
        "Flasche",
        "Flasche Olivenöl",
        "Flaschen Olivenöl",
        "pro Flasche",
        False,
        "eine Flasche Olivenöl",
    ),
    "PEANUT_BUTTER": (
        "Erdnussbutter",
        ["Erdnusscreme", "Glas Erdnussbutter"],
        "Glas",
        "Glas Erdnussbutter",
        "Gläser Erdnussbutter",
        "pro Glas",
        False,
        "ein Glas Erdnussbutter",
    ),
    "CHOCOLATE": (
        "Schokolade",
        ["Tafel Schokolade", "Schokoriegel"],
        "Tafel",
        "Tafel Schokolade",
        "Tafeln Schokolade",
        "pro Tafel",
        False,
        "eine Tafel Schokolade",
    ),
    "CEREAL": (
        "Müsli",
        ["Cornflakes", "Frühstücksflocken", "Packung Müsli"],
        "Packung",
        "Packung Müsli",
        "Packungen Müsli",
        "pro Packung",
        False,
        "eine Packung Müsli",
    ),
    "CRISPS": (
        "Chips",
        ["Kartoffelchips", "Tüte Chips"],
        "Tüte",
        "Tüte Chips",
        "Tüten Chips",
        "pro Tüte",
        True,
        "eine Tüte Chips",
    ),
}

CATEGORIES = {
    "en-GB": {
        "produce": "fruit and veg",
        "dairy": "dairy and eggs",
        "bakery": "bakery",
        "drinks": "tea, coffee and drinks",
        "meat and fish": "meat and fish",
        "pantry": "store cupboard staples and snacks",
    },
    "en-CA": {
        "produce": "fruit and vegetables",
        "dairy": "dairy and eggs",
        "bakery": "bakery",
        "drinks": "coffee, tea and drinks",
        "meat and fish": "meat and fish",
        "pantry": "pantry staples and snacks",
    },
    "en-AU": {
        "produce": "fruit and veg",
        "dairy": "dairy and eggs",
        "bakery": "bakery",
        "drinks": "coffee, tea and drinks",
        "meat and fish": "meat and seafood",
        "pantry": "pantry staples and snacks",
    },
    "en-IN": {
        "produce": "fruits and vegetables",
        "dairy": "dairy and eggs",
        "bakery": "bakery",
        "drinks": "tea, coffee and drinks",
        "meat and fish": "meat and fish",
        "pantry": "groceries and snacks",
    },
    "de-DE": {
        "produce": "Obst und Gemüse",
        "dairy": "Milchprodukte und Eier",
        "bakery": "Backwaren",
        "drinks": "Kaffee, Tee und Getränke",
        "meat and fish": "Fleisch und Fisch",
        "pantry": "Vorräte und Knabbereien",
    },
}


def main() -> None:
    doc = json.loads(CATALOG.read_text("utf-8"))
    doc["markets"] = MARKETS
    by_id = {item["id"]: item for item in doc["items"]}
    if "CRISPS" not in by_id:
        doc["items"].append({"id": "CRISPS", "category": "pantry", "prices": {}})
        by_id["CRISPS"] = doc["items"][-1]
    for item_id, prices in PRICES.items():
        item = by_id[item_id]
        item["prices"] = {"US": item["prices"]["US"]} if "US" in item["prices"] else {}
        for market, price in zip(MARKET_ORDER, prices, strict=True):
            if price is not None:
                item["prices"][market] = price
    us_text = doc["text"]["en-US"]
    for item_id, edits in EN_US_SYNONYMS.items():
        synonyms = [s for s in us_text[item_id]["synonyms"] if s not in edits.get("remove", [])]
        synonyms += [s for s in edits.get("add", []) if s not in synonyms]
        us_text[item_id]["synonyms"] = synonyms
    for locale in ("en-GB", "en-CA", "en-AU", "en-IN"):
        text = {}
        for item_id, (name, syn, unit, one, other, per, plural) in EN_METRIC.items():
            entry: dict[str, object] = {
                "name": name,
                "synonyms": syn,
                "unit": unit,
                "one": one,
                "other": other,
                "per": per,
                "plural_name": plural,
            }
            entry.update(EN_OVERRIDES.get(locale, {}).get(item_id, {}))
            text[item_id] = entry
        doc["text"][locale] = text
    doc["text"]["de-DE"] = {
        item_id: {
            "name": n,
            "synonyms": s,
            "unit": u,
            "one": o,
            "other": t,
            "per": p,
            "plural_name": pl,
            "single": single,
        }
        for item_id, (n, s, u, o, t, p, pl, single) in DE.items()
    }
    doc["categories"].update(CATEGORIES)
    sys.path.insert(0, str(CATALOG.parents[2]))
    from skill.domain.catalog import check

    check(doc)  # InvalidCatalog lists every problem; the file is left as it was
    CATALOG.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    main()
