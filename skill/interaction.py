"""The interaction models in ``interaction_models/<locale>.json`` and their sync with the catalog.

The ``CatalogItem`` slot type's values (id, name, synonyms) follow a catalog
document: the shop's stored catalog, a catalog file, or the bundled demo catalog
(``skill/data/catalog.json``, the default here and what the repository's models are
tested against). ``cornershop model sync`` rewrites them; ``cornershop model check``
(and a test) fails when the two drift apart. Every item with words in a locale is a
slot value there, in stock or not and priced there or not, so the skill can say
what it knows about it. Alexa learns new values only when the model is rebuilt
(``ask deploy --target skill-metadata`` after ``cornershop model export``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from skill.data import catalog_document
from skill.errors import ConfigError

Document = Mapping[str, Any]

SLOT_TYPE = "CatalogItem"


def models_dir(override: str | Path | None = None) -> Path:
    """Where the interaction models live: an explicit path, else the source checkout's folder."""
    if override:
        path = Path(override)
    else:
        path = Path(__file__).resolve().parent.parent / "interaction_models"
    if not path.is_dir():
        raise ConfigError(
            f"No interaction models at {path}. Run Corner Shop from a source checkout "
            "(pip install -e .) or pass the folder that holds <locale>.json files."
        )
    return path


def model_locales(folder: Path | None = None) -> list[str]:
    return sorted(p.stem for p in models_dir(folder).glob("*.json"))


def load_model(locale: str, folder: Path | None = None) -> dict[str, Any]:
    path = models_dir(folder) / f"{locale}.json"
    if not path.is_file():
        raise ConfigError(f"There is no interaction model for {locale} at {path}.")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def catalog_slot_values(locale: str, doc: Document | None = None) -> list[dict[str, Any]]:
    """The CatalogItem values for ``locale`` from ``doc`` (default: the bundled catalog)."""
    doc = catalog_document() if doc is None else doc
    if locale not in doc["text"]:
        raise ConfigError(
            f"The catalog has no {locale} words for any item, so the {locale} interaction "
            f"model would have no items. Add {locale} words to the catalog, or remove "
            f"interaction_models/{locale}.json."
        )
    text = doc["text"][locale]
    return [
        {
            "id": item["id"],
            "name": {
                "value": text[item["id"]]["name"],
                "synonyms": list(text[item["id"]].get("synonyms", [])),
            },
        }
        for item in doc["items"]
        if item["id"] in text
    ]


def _slot_type(model: dict[str, Any]) -> dict[str, Any]:
    for slot_type in model["interactionModel"]["languageModel"].get("types", []):
        if slot_type["name"] == SLOT_TYPE:
            return dict(slot_type)
    raise ConfigError(f"The interaction model has no {SLOT_TYPE} slot type.")


def drift(locale: str, folder: Path | None = None, doc: Document | None = None) -> list[str]:
    """Human-readable differences between the model's CatalogItem values and the catalog."""
    model_values = {v["id"]: v["name"] for v in _slot_type(load_model(locale, folder))["values"]}
    catalog_values = {v["id"]: v["name"] for v in catalog_slot_values(locale, doc)}
    problems = []
    for item_id in sorted(model_values.keys() | catalog_values.keys()):
        if item_id not in catalog_values:
            problems.append(f"{locale}: {item_id} is in the model but not in the catalog")
        elif item_id not in model_values:
            problems.append(f"{locale}: {item_id} is in the catalog but not in the model")
        elif model_values[item_id] != catalog_values[item_id]:
            problems.append(f"{locale}: {item_id} differs (name or synonyms)")
    return problems


def sync(locale: str, folder: Path | None = None, doc: Document | None = None) -> bool:
    """Rewrite the model's CatalogItem values from the catalog. True if the file changed."""
    path = models_dir(folder) / f"{locale}.json"
    model = load_model(locale, folder)
    types = model["interactionModel"]["languageModel"].setdefault("types", [])
    values = catalog_slot_values(locale, doc)
    for slot_type in types:
        if slot_type["name"] == SLOT_TYPE:
            if slot_type["values"] == values:
                return False
            slot_type["values"] = values
            break
    else:
        types.append({"name": SLOT_TYPE, "values": values})
    path.write_text(json.dumps(model, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return True


def locales_without_model(doc: Document, folder: Path | None = None) -> list[str]:
    """The catalog's locales that have no interaction model (Alexa can't hear them)."""
    have = set(model_locales(folder))
    return [locale for locale in doc.get("text", {}) if locale not in have]
