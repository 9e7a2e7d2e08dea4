"""CatalogSource: the per-process catalog cache, its time to live, and its fallbacks.

The clock is injected (a list of seconds the test moves on), so nothing here sleeps.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from skill import logs
from skill.catalog_source import CatalogSource
from skill.data import catalog_document
from skill.domain.catalog import canonical
from skill.domain.hours import OpeningHours
from skill.errors import CorruptRecord, StoreError
from skill.store.memory import MemoryStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingStore(MemoryStore):
    """A memory store that counts catalog reads and can be made to fail them."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.failure: StoreError | None = None

    def get_catalog(self) -> dict[str, Any] | None:
        self.reads += 1
        if self.failure is not None:
            raise self.failure
        return super().get_catalog()


def demo() -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(canonical(catalog_document())))
    return copy


def price_of(source: CatalogSource, item_id: str, locale: str = "en-US") -> int:
    item = source.catalog_for(locale).get(item_id)
    assert item is not None
    return item.price.cents


def set_price(cents: int) -> Any:
    def change(doc: dict[str, Any]) -> dict[str, Any]:
        next(i for i in doc["items"] if i["id"] == "APPLE")["prices"]["US"] = cents
        return doc

    return change


@pytest.fixture
def store() -> CountingStore:
    seeded = CountingStore()
    seeded.seed_catalog(demo())
    return seeded


@pytest.fixture
def clock() -> Clock:
    return Clock()


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged() -> Iterator[Records]:
    """What the catalog logs, caught on its own logger: the ``cornershop`` logger does
    not propagate once a front door has configured logging (skill.logs.configure)."""
    logs.configure()
    logger = logging.getLogger("cornershop.catalog")
    handler, level = Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_one_store_read_serves_every_request_within_the_ttl(
    store: CountingStore, clock: Clock
) -> None:
    # GIVEN a source with a 30 s time to live
    source = CatalogSource(store, ttl_seconds=30, clock=clock)
    # WHEN 100 requests ask for catalogs over 29 seconds
    for step in range(100):
        clock.now = 1000 + step * 0.29
        source.catalog_for("en-US")
        source.hours()
    # THEN the store was read once, and the Catalog was built once
    assert store.reads == 1
    assert source.catalog_for("en-US") is source.catalog_for("en-US")


def test_a_change_is_seen_after_the_ttl_and_not_before(store: CountingStore, clock: Clock) -> None:
    source = CatalogSource(store, ttl_seconds=30, clock=clock)
    assert price_of(source, "APPLE") == 75
    first = source.catalog_for("en-US")
    # WHEN the shop changes the price
    store.update_catalog(set_price(99))
    # THEN the process keeps its copy until the time to live is up ...
    clock.now += 29.9
    assert price_of(source, "APPLE") == 75
    # ... and then serves the new price, from a new Catalog
    clock.now += 0.2
    assert price_of(source, "APPLE") == 99
    assert source.catalog_for("en-US") is not first
    assert source.version == 2
    assert store.reads == 2


def test_an_unchanged_catalog_keeps_its_built_views(store: CountingStore, clock: Clock) -> None:
    source = CatalogSource(store, ttl_seconds=30, clock=clock)
    german = source.catalog_for("de-DE")
    clock.now += 60
    # the store is read again, but the version is the same: nothing is rebuilt
    assert source.catalog_for("de-DE") is german
    assert store.reads == 2


def test_a_ttl_of_zero_reads_every_time(store: CountingStore, clock: Clock) -> None:
    source = CatalogSource(store, ttl_seconds=0, clock=clock)
    for _ in range(3):
        source.catalog_for("en-US")
    assert store.reads == 3


def test_a_failed_refresh_keeps_the_last_good_copy_and_logs_once(
    store: CountingStore, clock: Clock, logged: Records
) -> None:
    # GIVEN a source that has read the catalog, with apples at 99 cents
    store.update_catalog(set_price(99))
    source = CatalogSource(store, ttl_seconds=30, clock=clock)
    assert price_of(source, "APPLE") == 99
    # WHEN the store starts failing, over three refreshes
    store.failure = StoreError("the table is unreachable")
    for _ in range(3):
        clock.now += 31
        for _ in range(5):
            assert price_of(source, "APPLE") == 99  # THEN the last good copy is served
    # AND each refresh read once (not every request), and one warning was logged
    assert store.reads == 1 + 3
    warnings = [r for r in logged.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "last good copy" in warnings[0].getMessage()
    # WHEN the store is back / THEN the next refresh reads it, and says so once
    store.failure = None
    store.update_catalog(set_price(109))
    clock.now += 31
    assert price_of(source, "APPLE") == 109
    assert [r.getMessage() for r in logged.records if r.levelno == logging.INFO] == [
        "the catalog can be read again"
    ]


def test_a_damaged_catalog_is_a_failed_refresh(store: CountingStore, clock: Clock) -> None:
    source = CatalogSource(store, ttl_seconds=30, clock=clock)
    assert price_of(source, "APPLE") == 75
    store.failure = CorruptRecord("damaged")
    clock.now += 31
    assert price_of(source, "APPLE") == 75


def test_a_store_failing_from_the_start_serves_the_bundled_catalog(clock: Clock) -> None:
    store = CountingStore()
    store.failure = StoreError("no table")
    source = CatalogSource(store, ttl_seconds=30, clock=clock)
    assert price_of(source, "APPLE") == 75
    assert source.version is None
    clock.now += 1
    source.catalog_for("en-US")
    assert store.reads == 1  # not retried before the time to live is up


def test_a_shop_without_a_catalog_gets_the_fallback_and_it_is_logged_once(
    clock: Clock, logged: Records
) -> None:
    store = CountingStore()
    fallback = demo()
    next(i for i in fallback["items"] if i["id"] == "APPLE")["prices"]["US"] = 5
    source = CatalogSource(store, ttl_seconds=30, clock=clock, fallback=lambda: fallback)
    for _ in range(3):
        assert price_of(source, "APPLE") == 5
        clock.now += 31
    assert store.reads == 3
    assert sum("no catalog" in r.getMessage() for r in logged.records) == 1
    # AND once the shop has its own, that is served
    store.seed_catalog(demo())
    assert price_of(source, "APPLE") == 75


def test_unknown_locales_get_en_us_and_a_shop_without_en_us_its_first_locale(
    clock: Clock,
) -> None:
    store = CountingStore()
    store.seed_catalog(demo())
    source = CatalogSource(store, clock=clock)
    assert source.catalog_for("fr-FR").locale == "en-US"
    # A German-only shop
    german = demo()
    german["markets"] = {"DE": german["markets"]["DE"]}
    for item in german["items"]:
        item["prices"] = {k: v for k, v in item["prices"].items() if k == "DE"}
    german["items"] = [item for item in german["items"] if item["prices"]]
    ids = {item["id"] for item in german["items"]}
    german["text"] = {"de-DE": {k: v for k, v in german["text"]["de-DE"].items() if k in ids}}
    german["categories"] = {"de-DE": german["categories"]["de-DE"]}
    only_german = CountingStore()
    only_german.seed_catalog(german)
    source = CatalogSource(only_german, clock=clock)
    assert source.catalog_for("en-US").locale == "de-DE"


def test_hours_come_from_the_catalog(store: CountingStore, clock: Clock) -> None:
    source = CatalogSource(store, ttl_seconds=30, clock=clock)
    assert source.hours() == OpeningHours.always()
    hours = {"weekly": {"mon": [["08:00", "18:00"]]}, "closed": []}

    def set_hours(doc: dict[str, Any]) -> dict[str, Any]:
        return {**doc, "hours": hours}

    store.update_catalog(set_hours)
    clock.now += 31
    assert source.hours() == OpeningHours.from_data(hours)
    assert source.hours() is source.hours()


def test_concurrent_first_requests_read_the_store_once(clock: Clock) -> None:
    # GIVEN a store whose first catalog read is slow
    release = threading.Event()

    class Slow(CountingStore):
        def get_catalog(self) -> dict[str, Any] | None:
            release.wait(timeout=5)
            return super().get_catalog()

    store = Slow()
    store.seed_catalog(demo())
    source = CatalogSource(store, clock=clock)
    prices: list[int] = []

    def ask() -> None:
        prices.append(price_of(source, "APPLE"))

    # WHEN 8 requests arrive at once in a new process
    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(timeout=10)
    # THEN all were answered from one read
    assert prices == [75] * 8
    assert store.reads == 1


def test_a_refresh_under_way_does_not_hold_up_other_requests(
    store: CountingStore, clock: Clock
) -> None:
    # GIVEN a source with a copy, whose refresh is stuck in the store
    source = CatalogSource(store, ttl_seconds=30, clock=clock)
    assert price_of(source, "APPLE") == 75
    entered, release = threading.Event(), threading.Event()
    original = store.get_catalog

    def stuck() -> dict[str, Any] | None:
        entered.set()
        release.wait(timeout=5)
        return original()

    store.get_catalog = stuck  # type: ignore[method-assign]
    clock.now += 31
    refresher = threading.Thread(target=source.catalog_for, args=("en-US",))
    refresher.start()
    assert entered.wait(timeout=5)
    # WHEN another request comes meanwhile / THEN it is served the copy at once
    assert price_of(source, "APPLE") == 75
    release.set()
    refresher.join(timeout=5)
    assert not refresher.is_alive()


def test_a_checkouts_document_reuses_the_views_of_its_version(
    store: CountingStore, clock: Clock
) -> None:
    # GIVEN a source serving version 1
    source = CatalogSource(store, ttl_seconds=30, clock=clock)
    served = source.catalog_for("en-US")
    # WHEN a checkout's store hands the factory version 1 / THEN the served views come back
    doc = store.get_catalog()
    assert source.view(doc, "en-US") == (served, source.hours())
    assert source.view(None, "en-US")[0] is served
    # WHEN the checkout sees version 2 before the cache does (a price change just now)
    store.update_catalog(set_price(99))
    newer = store.get_catalog()
    assert newer is not None
    catalog, _ = source.view(newer, "en-US")
    # THEN it gets version 2's catalog, built once, without reading the store
    reads = store.reads
    apple = catalog.get("APPLE")
    assert apple is not None and apple.price.cents == 99
    assert source.view(newer, "en-US")[0] is catalog
    assert store.reads == reads
    assert price_of(source, "APPLE") == 75  # requests keep the cached copy until the TTL
