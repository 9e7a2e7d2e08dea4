"""The shop's catalog: items, prices per market, and matching what people say.

The data lives in ``skill/data/catalog.json``; :func:`Catalog.from_document`
turns that document into a per-locale view. Nothing here reads files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from skill.domain.money import Money

_ARTICLES = frozenset({"a", "an", "the", "some", "my", "of"})
_WORD = re.compile(r"[^\w\s]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    category: str
    price: Money
    name: str
    synonyms: tuple[str, ...]
    unit: str
    one: str
    other: str
    per: str = "each"
    plural_name: bool = False
    single: str = ""

    def form(self, quantity: int) -> str:
        """The item's words after a quantity: ``1 loaf of bread``, ``2 loaves of bread``."""
        return self.one if quantity == 1 else self.other

    def phrase(self, quantity: int) -> str:
        """A quantity of this item, as spoken and written.

        Languages whose "one" needs an article with a gender ("ein Apfel", "eine
        Banane") carry it in the catalog as ``single``: grammar is data here, never
        English patterns concatenated into another language.
        """
        if quantity == 1 and self.single:
            return self.single
        return f"{quantity} {self.form(quantity)}"

    @property
    def spoken_forms(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms, self.one, self.other)


def normalise(text: str) -> str:
    """Lowercase, strip punctuation and articles, fold whitespace."""
    words = _WORD.sub(" ", text.lower().replace("-", " ")).split()
    return " ".join(w for w in words if w not in _ARTICLES)


def _singular(word: str) -> str:
    # English only, and only what the catalog needs; a wrong singular just
    # means one fewer index key, never a wrong match.
    for suffix, repl in (("ies", "y"), ("oes", "o"), ("ves", "f"), ("es", "e"), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + repl
    return word


def _keys(text: str) -> set[str]:
    norm = normalise(text)
    if not norm:
        return set()
    words = norm.split()
    return {norm, " ".join(_singular(w) for w in words)}


class Catalog:
    """The items one locale can buy, in the currency of the market serving it.

    Built once per locale and per process; treat it as read-only.
    """

    def __init__(
        self,
        *,
        locale: str,
        market: str,
        currency: str,
        items: tuple[Item, ...],
        categories: Mapping[str, str],
    ) -> None:
        self.locale = locale
        self.market = market
        self.currency = currency
        self.items = items
        self.categories = categories
        by_id = {item.id: item for item in self.items}
        index: dict[str, Item] = {}
        # Names win over synonyms: register synonyms first so a name overwrites.
        for item in self.items:
            for form in (*item.synonyms, item.one, item.other):
                for key in _keys(form):
                    index.setdefault(key, item)
        for item in self.items:
            for key in _keys(item.name):
                index[key] = item
        self._by_id = by_id
        self._index = index

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], locale: str) -> Catalog:
        market, currency = market_for(doc, locale)
        text = doc["text"][locale]
        items = []
        for raw in doc["items"]:
            if market not in raw["prices"] or raw["id"] not in text:
                continue
            words = text[raw["id"]]
            items.append(
                Item(
                    id=raw["id"],
                    category=raw["category"],
                    price=Money(int(raw["prices"][market]), currency),
                    name=words["name"],
                    synonyms=tuple(words.get("synonyms", ())),
                    unit=words["unit"],
                    one=words["one"],
                    other=words["other"],
                    per=words.get("per", ""),
                    plural_name=bool(words.get("plural_name", False)),
                    single=str(words.get("single", "")),
                )
            )
        return cls(
            locale=locale,
            market=market,
            currency=currency,
            items=tuple(items),
            categories=dict(doc.get("categories", {}).get(locale, {})),
        )

    def get(self, item_id: str) -> Item | None:
        return self._by_id.get(item_id)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._by_id

    def find(self, spoken: str) -> Item | None:
        """Match a spoken value to an item: exact forms, then singulars, then a near miss."""
        for key in _keys(spoken):
            if key in self._index:
                return self._index[key]
        norm = normalise(spoken)
        if len(norm) < 4:
            return None
        import difflib  # only near misses need it; keep it off the cold-start path

        close = difflib.get_close_matches(norm, list(self._index), n=1, cutoff=0.84)
        return self._index[close[0]] if close else None

    def in_category(self, category: str) -> list[Item]:
        return [item for item in self.items if item.category == category]

    def ids(self) -> Iterable[str]:
        return self._by_id.keys()


def market_for(doc: Mapping[str, Any], locale: str) -> tuple[str, str]:
    """Which market (and so currency) serves a locale, from the catalog data."""
    for market, info in doc["markets"].items():
        if locale in info["locales"]:
            return market, str(info["currency"])
    raise KeyError(locale)
