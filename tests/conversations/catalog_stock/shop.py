"""Corner Shop on a prepared catalog, for the conversation tests beside this file.

Each YAML file here names one scenario as its ``handler`` (bst's key: the skill runs
in process, called like a Lambda handler). A scenario is the shop's catalog (the
bundled demo, changed), a fixed clock, and the changes the shop makes while the
customer talks, as staff do in the store: "at the first CheckoutIntent, oat milk
sells out".

Every test starts with "open corner shop": a LaunchRequest that starts a session
opens the shop afresh (a new memory store seeded with the scenario's catalog), so
the tests of a file, and of each locale, share no carts, orders or changes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from skill.app import CornerShopSkill, build_skill
from skill.config import Settings
from skill.data import catalog_document
from skill.profile import NoProfile
from skill.store.memory import MemoryStore

Change = Callable[[dict[str, Any]], dict[str, Any]]

#: Friday 27 November 2026, 11:15 in Berlin: open.
FRIDAY_MORNING = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)
#: Friday 22:00 in Berlin: closed until 08:00 on Saturday.
FRIDAY_NIGHT = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
HOURS = {
    "weekly": {
        **{day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")},
        "sun": [],
    },
    "closed": ["2026-12-25"],
}


def out_of_stock(*item_ids: str) -> Change:
    def change(doc: dict[str, Any]) -> dict[str, Any]:
        for item in doc["items"]:
            if item["id"] in item_ids:
                item["in_stock"] = False
        return doc

    return change


def dearer(item_id: str, minor_units: int) -> Change:
    """``item_id`` costs ``minor_units`` more in every market."""

    def change(doc: dict[str, Any]) -> dict[str, Any]:
        for item in doc["items"]:
            if item["id"] == item_id:
                item["prices"] = {m: p + minor_units for m, p in item["prices"].items()}
        return doc

    return change


class Scenario:
    """A shop: its catalog, its clock, and changes made when an intent first arrives."""

    def __init__(
        self,
        *,
        start: tuple[Change, ...] = (),
        hours: Mapping[str, Any] | None = None,
        now: datetime = FRIDAY_MORNING,
        on_intent: Mapping[str, Change] | None = None,
        catalog_ttl: float = 0.0,
    ) -> None:
        self.start, self.hours, self.now = start, hours, now
        self.on_intent = dict(on_intent or {})
        self.settings = Settings(
            store_url="memory://",
            log_level="WARNING",
            timezone="Europe/Berlin",
            catalog_ttl=catalog_ttl,
        )
        self.skill: CornerShopSkill | None = None
        self.store = MemoryStore()
        self.pending_changes: dict[str, Change] = {}

    def open(self) -> CornerShopSkill:
        if self.skill is not None:
            self.skill.close()
        doc = copy.deepcopy(catalog_document())
        doc.pop("version", None)
        for change in self.start:
            doc = change(doc)
        if self.hours is not None:
            doc["hours"] = copy.deepcopy(dict(self.hours))
        self.store = MemoryStore()
        self.store.seed_catalog(doc)
        self.pending_changes = dict(self.on_intent)
        now = self.now
        self.skill = build_skill(
            self.settings, store=self.store, profile=NoProfile(), clock=lambda: now
        )
        return self.skill

    def __call__(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        request = event.get("request", {})
        session = event.get("session") or {}
        if self.skill is None or (request.get("type") == "LaunchRequest" and session.get("new")):
            self.open()
        assert self.skill is not None
        intent = (request.get("intent") or {}).get("name")
        change = self.pending_changes.pop(intent, None) if intent else None
        if change is not None:
            self.store.update_catalog(change)
        return self.skill.handle(event, context)


# The scenarios the YAML files name (handler: shop.py:<name>).
oat_milk_out = Scenario(start=(out_of_stock("OAT_MILK", "BREAD", "BAGELS", "CROISSANT"),))
sells_out_before_checkout = Scenario(on_intent={"CheckoutIntent": out_of_stock("OAT_MILK")})
dearer_before_checkout = Scenario(on_intent={"CheckoutIntent": dearer("OAT_MILK", 20)})
# The process keeps its copy of the catalog for an hour; the price changes in the store
# between the question and "yes": the order must not be placed from the stale copy.
dearer_before_yes = Scenario(
    on_intent={"AMAZON.YesIntent": dearer("OAT_MILK", 30)}, catalog_ttl=3600.0
)
closed_for_the_night = Scenario(hours=HOURS, now=FRIDAY_NIGHT)
