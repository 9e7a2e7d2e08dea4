"""The catalog as the skill reads it: the shop's stored document, cached per process.

The shop changes its catalog in the store (``cornershop catalog ...``); every front
door (Lambda, web, simulator) reads it through one :class:`CatalogSource`, which
keeps a copy for ``ttl_seconds`` (``CORNERSHOP_CATALOG_TTL``, 30 s by default). So a
price change is heard within that time on every front door, without a restart, and
a warm request costs a clock read and a dict lookup, not a store read:

* one store read per refresh, at most one refresh per ``ttl_seconds`` (threads that
  find another thread refreshing carry on with the copy they have);
* a failed refresh keeps serving the last good copy (or the fallback, when there is
  none yet), logs once until a refresh succeeds again, and is retried after
  ``ttl_seconds``, so a store outage never costs every request a timeout;
* with no stored catalog (a shop before ``cornershop store init``) it serves the
  fallback, the bundled demo catalog, and logs that once;
* :class:`~skill.domain.catalog.Catalog` and
  :class:`~skill.domain.hours.OpeningHours` objects are built once per document
  version and locale.

The documents it hands out are shared: treat them as read-only.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from skill.config import DEFAULT_LOCALE
from skill.domain.catalog import Catalog
from skill.domain.hours import InvalidHours, OpeningHours
from skill.errors import StoreError
from skill.logs import get_logger

if TYPE_CHECKING:
    from skill.store.base import Store

_log = get_logger("catalog")


def _bundled() -> dict[str, Any]:
    from skill.data import catalog_document

    return catalog_document()


class _Served:
    """One document and the views built from it, swapped in whole on a refresh, so a
    reader never pairs one document with views of another."""

    __slots__ = ("doc", "hours", "key", "views")

    def __init__(self, doc: dict[str, Any], key: object) -> None:
        self.doc = doc
        self.key = key
        self.views: dict[str, Catalog] = {}
        self.hours: OpeningHours | None = None


class CatalogSource:
    """The shop's catalog for the skill, refreshed from ``store`` at most every
    ``ttl_seconds`` of ``clock`` (a monotonic clock; tests inject their own)."""

    def __init__(
        self,
        store: Store,
        *,
        ttl_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        fallback: Callable[[], dict[str, Any]] = _bundled,
    ) -> None:
        self._store = store
        self._ttl = max(float(ttl_seconds), 0.0)
        self._clock = clock
        self._fallback = fallback
        self._lock = threading.Lock()
        self._served: _Served | None = None
        self._other: _Served | None = None  # a newer version a checkout saw first
        self._checked_at: float | None = None
        self._failing = False
        self._said_fallback = False

    # -- what the skill asks ----------------------------------------------------
    def document(self) -> dict[str, Any]:
        """The catalog document now served (the stored one, or the fallback)."""
        return self._current().doc

    def catalog_for(self, locale: str) -> Catalog:
        """The catalog for a locale; a locale the catalog has no words for gets en-US
        (or, in a shop without en-US, its first locale), as the messages fall back."""
        return self._view(self._current(), locale)

    def view(self, doc: dict[str, Any] | None, locale: str) -> tuple[Catalog, OpeningHours]:
        """The catalog (for ``locale``) and hours of ``doc``, a document a store handed
        to an order factory; None (a shop without a catalog) means what is served now.

        Built once per version: the version served now reuses the views requests use,
        another (a change the cache has not seen yet) is built once and kept until the
        next one, so a checkout never builds a Catalog of its own.
        """
        # No refresh here: this runs inside the store's checkout transaction.
        served = self._served or self._current()
        if doc is None or (
            served.key == ("stored", doc.get("version")) and doc.get("version") is not None
        ):
            return self._view(served, locale), self._hours_of(served)
        key = ("stored", doc.get("version"))
        other = self._other
        if other is None or other.key != key:
            other = self._other = _Served(doc, key)
        return self._view(other, locale), self._hours_of(other)

    @staticmethod
    def _view(served: _Served, locale: str) -> Catalog:
        view = served.views.get(locale)
        if view is not None:
            return view
        text = served.doc.get("text", {})
        chosen = locale if locale in text else DEFAULT_LOCALE
        if chosen not in text:
            chosen = next(iter(text), DEFAULT_LOCALE)
        view = served.views.get(chosen) or Catalog.from_document(served.doc, chosen)
        served.views[chosen] = view
        served.views[locale] = view
        return view

    def hours(self) -> OpeningHours:
        """The shop's opening hours (always open when the catalog has none)."""
        return self._hours_of(self._current())

    @staticmethod
    def _hours_of(served: _Served) -> OpeningHours:
        if served.hours is None:
            try:
                served.hours = OpeningHours.from_data(served.doc.get("hours"))
            except InvalidHours:
                # Stores check documents, so only a bad fallback gets here.
                _log.error("the catalog's opening hours are invalid; serving always open")
                served.hours = OpeningHours.always()
        return served.hours

    @property
    def version(self) -> int | None:
        """The stored catalog's version now served; None while serving the fallback."""
        version = self.document().get("version")
        return version if isinstance(version, int) else None

    def invalidate(self) -> None:
        """Read the store again at the next request (after a change made in-process)."""
        self._checked_at = None

    @contextlib.contextmanager
    def offline(self) -> Iterator[None]:
        """Serve the bundled catalog without touching the store, for the duration.

        For warming the request path before a SnapStart snapshot: no store call, no
        network, and nothing the shop's data could make stale in the snapshot. Afterwards
        the next request reads the store again.
        """
        with self._lock:
            served, ttl = self._served, self._ttl
            self._use(self._fallback(), key=("fallback",))
            self._checked_at = self._clock()
            self._ttl = float("inf")
        try:
            yield
        finally:
            with self._lock:
                self._ttl = ttl
                self._served, self._checked_at = served, None

    # -- refreshing ----------------------------------------------------------------
    def _current(self) -> _Served:
        checked = self._checked_at
        served = self._served
        if served is not None and checked is not None and self._clock() - checked < self._ttl:
            return served
        if served is not None:
            # Someone else is refreshing: carry on with the copy we have.
            if not self._lock.acquire(blocking=False):
                return served
        else:
            self._lock.acquire()  # the very first read: everyone waits for it
        try:
            checked = self._checked_at
            if self._served is None or checked is None or self._clock() - checked >= self._ttl:
                self._refresh()
        finally:
            self._lock.release()
        assert self._served is not None  # a refresh always leaves one
        return self._served

    def _refresh(self) -> None:
        try:
            stored = self._store.get_catalog()
        except StoreError as exc:
            self._checked_at = self._clock()  # retried after the TTL, not every request
            if not self._failing:
                self._failing = True
                what = "the last good copy" if self._served is not None else "the bundled one"
                _log.warning("could not read the catalog (%s); serving %s", exc, what)
            if self._served is None:
                self._use(self._fallback(), key=("fallback",))
            return
        self._checked_at = self._clock()
        if self._failing:
            self._failing = False
            _log.info("the catalog can be read again")
        if stored is None:
            if not self._said_fallback:
                self._said_fallback = True
                _log.info(
                    "the shop has no catalog in its store; serving the bundled demo catalog "
                    "(run `cornershop store init` or `cornershop catalog import`)"
                )
            self._use(self._fallback(), key=("fallback",))
            return
        self._said_fallback = False
        self._use(stored, key=("stored", stored.get("version")))

    def _use(self, doc: dict[str, Any], *, key: object) -> None:
        if self._served is not None and self._served.key == key:
            return  # the same version: keep the views already built
        self._served = _Served(doc, key)
