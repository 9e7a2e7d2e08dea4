"""Package data: the bundled demo catalog document, loaded once per process.

It is the seed ``cornershop store init`` gives a new shop and the fallback the skill
serves (:class:`skill.catalog_source.CatalogSource`) while a shop has no catalog of its
own; a running shop's catalog lives in its store. Treat the document as read-only.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from skill.domain.catalog import Catalog


@cache
def catalog_document() -> dict[str, Any]:
    text = (Path(__file__).parent / "catalog.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


@cache
def catalog_for(locale: str) -> Catalog:
    """The catalog for a locale; an unknown locale gets en-US (the messages fall back alike)."""
    doc = catalog_document()
    if locale not in doc["text"]:
        locale = "en-US"
    return Catalog.from_document(doc, locale)
