"""The dashboard's stock switches: which items the shop has today.

Each switch is one atomic change of the shop's catalog document
(``store.update_catalog``), as ``cornershop catalog stock ITEM in|out`` makes it, so
two members of staff flipping different items at once both land. A shop with no
catalog of its own yet starts from the bundled demo catalog, as the catalog commands
do. The skill picks the change up within ``CORNERSHOP_CATALOG_TTL`` seconds.
Logged as "staff ada set APPLE out of stock": a staff name and an item id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from skill.errors import CornerShopError
from skill.logs import get_logger

if TYPE_CHECKING:
    from skill.store import Store

_log = get_logger("dashboard")


class UnknownStockItem(CornerShopError):
    def __init__(self, item_id: str) -> None:
        super().__init__(
            f"There is no item {item_id[:40]!r} in the catalog. Reload the page to see the items."
        )


def _bundled() -> dict[str, Any]:
    from skill.data import catalog_document
    from skill.domain.catalog import canonical

    return canonical(catalog_document())


def _name(doc: dict[str, Any], item_id: str) -> str:
    for words in doc.get("text", {}).values():
        if item_id in words:
            return str(words[item_id].get("name", item_id))
    return item_id


def stock_list(store: Store) -> dict[str, Any]:
    """Every item with its name (the first locale's), category and stock switch."""
    return _listing(store.get_catalog() or _bundled())


def _listing(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": doc.get("version", 0),
        "items": [_entry(doc, item) for item in doc.get("items", [])],
    }


def _entry(doc: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"],
        "name": _name(doc, item["id"]),
        "category": item.get("category", ""),
        "in_stock": item.get("in_stock", True) is not False,
    }


def set_stock(store: Store, item_id: str, in_stock: bool, *, actor: str) -> dict[str, Any]:
    """Switch ``item_id`` in or out of stock; the item as it now is (``UnknownStockItem``)."""

    def change(doc: dict[str, Any]) -> dict[str, Any]:
        doc = doc or _bundled()
        for item in doc.get("items", []):
            if item.get("id") == item_id:
                item["in_stock"] = in_stock
                return doc
        raise UnknownStockItem(item_id)

    after = store.update_catalog(change)
    _log.info("staff %s set %s %s", actor, item_id, "in stock" if in_stock else "out of stock")
    return next(_entry(after, item) for item in after["items"] if item["id"] == item_id)
