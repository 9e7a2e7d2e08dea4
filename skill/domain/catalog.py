"""The shop's catalog: items, prices per market, stock, and matching what people say.

The catalog is one *document* per shop, kept in the store (see
:mod:`skill.catalog_source`; the bundled ``skill/data/catalog.json`` is the demo
seed and the fallback)::

    {"version": 7,                                   # set by the store on every change
     "markets": {"US": {"currency": "USD", "locales": ["en-US"]}, ...},
     "categories": {"en-US": {"produce": "fruit and vegetables", ...}, ...},
     "items": [{"id": "APPLE", "category": "produce",
                "prices": {"US": 75, "DE": 59},      # integer minor units per market
                "in_stock": true}, ...],             # absent: in stock
     "text": {"en-US": {"APPLE": {"name": "apples", "synonyms": ["apple"], "unit": "each",
                                  "one": "apple", "other": "apples", "per": "each",
                                  "plural_name": true}, ...},
              "de-DE": {"APPLE": {..., "single": "ein Apfel", "gender": "masculine"}}},
     "hours": {...}}                                 # skill.domain.hours; absent: always open

:func:`check_document` is the one set of rules for it (stores check every document
they write and read back; the catalog file and the staff commands report its
problems); :func:`canonical` is its normal form; :meth:`Catalog.from_document` turns
it into a per-locale view. Nothing here reads files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from skill.domain.hours import OpeningHours, hours_problems
from skill.domain.money import Money, format_money
from skill.errors import DomainError

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
    #: Out-of-stock items stay in the catalog, so they are recognised and explained.
    in_stock: bool = True

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
            single = str(words.get("single", "")) or _with_article(
                locale, words.get("gender"), words["one"]
            )
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
                    single=single,
                    in_stock=raw.get("in_stock", True) is not False,
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

    def alternatives(self, item: Item, limit: int = 1) -> list[Item]:
        """In-stock items of ``item``'s category other than ``item``, in catalog order."""
        found = [
            other
            for other in self.items
            if other.category == item.category and other.id != item.id and other.in_stock
        ]
        return found[: max(limit, 0)]

    def ids(self) -> Iterable[str]:
        return self._by_id.keys()


def market_for(doc: Mapping[str, Any], locale: str) -> tuple[str, str]:
    """Which market (and so currency) serves a locale, from the catalog data."""
    for market, info in doc["markets"].items():
        if locale in info["locales"]:
            return market, str(info["currency"])
    raise KeyError(locale)


# The indefinite article by language and gender, for catalogs that give an item's
# gender instead of its "single" form: grammar as data, per language.
_ARTICLE: dict[tuple[str, str], str] = {
    ("de", "masculine"): "ein",
    ("de", "feminine"): "eine",
    ("de", "neuter"): "ein",
}
_ARTICLE_LANGUAGES = frozenset(language for language, _ in _ARTICLE)
GENDERS = ("masculine", "feminine", "neuter")


def _with_article(locale: str, gender: Any, one: str) -> str:
    article = _ARTICLE.get((locale.partition("-")[0], str(gender)))
    return f"{article} {one}" if article else ""


# -- the rules of a catalog document ------------------------------------------------
Path = tuple[str | int, ...]

MAX_ITEMS = 1000
MAX_PRICE = 99_999_999  # minor units: 999,999.99
MAX_WORDS_CHARS = 100
MAX_SYNONYMS = 30
_ITEM_ID = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
_MARKET = re.compile(r"[A-Z][A-Z0-9]{1,7}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_LOCALE = re.compile(r"[a-z]{2,3}-[A-Z]{2}")
_TOP_KEYS = frozenset({"version", "markets", "categories", "items", "text", "hours", "_comment"})
_ITEM_KEYS = frozenset({"id", "category", "prices", "in_stock"})
_REQUIRED_WORDS = ("name", "unit", "one", "other", "per")
_WORD_KEYS = frozenset({*_REQUIRED_WORDS, "synonyms", "plural_name", "single", "gender"})
_WORD_HINTS = {
    "name": 'what the item is called, as in "how much are apples" (e.g. "apples")',
    "unit": 'the unit it is sold in (e.g. "each", "loaf", "Stück")',
    "one": 'the words after the number 1 (e.g. "apple", "loaf of bread")',
    "other": 'the words after other numbers (e.g. "apples", "loaves of bread")',
    "per": 'what one price buys, as in "$0.75 each" (e.g. "each", "a loaf", "pro Stück")',
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule: where in the document (a path of keys and indexes), and why."""

    path: Path
    message: str


class CatalogError(DomainError):
    """A change to the shop's catalog was refused. The message says how to fix it."""


class InvalidCatalog(CatalogError):
    """A catalog document that breaks the rules; ``problems`` lists every one."""

    def __init__(self, problems: Sequence[Problem], doc: Any = None) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        listed = "\n".join(f"  {describe(doc, p.path)}: {p.message}" for p in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"The catalog has {count} {noun}, so nothing was changed:\n{listed}")


def describe(doc: Any, path: Path) -> str:
    """Where ``path`` points, in words a shop owner knows: ``item APPLE, de-DE.one``."""
    if not path:
        return "the catalog"
    head, rest = path[0], list(path[1:])
    if head == "items" and rest and isinstance(rest[0], int):
        return _joined(_item_label(doc, rest[0]), rest[1:])
    if head == "text" and len(rest) == 1:
        return f"locale {rest[0]}"
    if head == "text" and len(rest) >= 2:
        tail = ".".join(str(part) for part in rest[2:] if not isinstance(part, int))
        return f"item {rest[1]}, {rest[0]}{'.' + tail if tail else ''}"
    if head == "markets" and rest:
        return _joined(f"market {rest[0]}", rest[1:])
    if head == "categories" and len(rest) >= 2:
        return f"category {rest[1]!r}, {rest[0]}"
    if head == "hours":
        return "hours"  # the hours' own messages name the day or the date
    return _joined(str(head), rest)


def _joined(label: str, rest: Sequence[str | int]) -> str:
    tail = ".".join(str(part) for part in rest if not isinstance(part, int))
    return f"{label}, {tail}" if tail else label


def _item_label(doc: Any, index: int) -> str:
    try:
        item_id = doc["items"][index]["id"]
    except (KeyError, IndexError, TypeError):
        item_id = None
    return f"item {item_id}" if isinstance(item_id, str) and item_id else f"item #{index + 1}"


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _words_problem(value: Any) -> str | None:
    if not _text(value):
        return "must be some words, not empty."
    if len(value) > MAX_WORDS_CHARS or "\n" in value:
        return f"must be one line of at most {MAX_WORDS_CHARS} characters."
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_document(doc: Any) -> list[Problem]:
    """Every rule ``doc`` breaks, in document order; [] for a catalog the skill can serve."""
    if not isinstance(doc, Mapping):
        return [
            Problem((), "The catalog must be a mapping with markets, categories, items and text.")
        ]
    problems: list[Problem] = []
    add = problems.append
    for key in doc:
        if key not in _TOP_KEYS:
            add(
                Problem(
                    (str(key),),
                    f"is not part of a catalog; use {', '.join(sorted(_TOP_KEYS - {'_comment'}))}.",
                )
            )
    if "version" in doc and not (_whole(doc["version"]) and doc["version"] >= 0):
        add(Problem(("version",), "must be a whole number (the store sets it)."))
    served = _check_markets(doc.get("markets"), add)
    item_ids = _check_items(doc, served, add)
    _check_text(doc.get("text"), served, item_ids, add)
    _check_categories(doc, served, add)
    for path, message in hours_problems(doc.get("hours")):
        add(Problem(("hours", *path), message))
    return problems


def _check_markets(markets: Any, add: Any) -> dict[str, str]:
    """The markets' rules; returns {locale: market} for the locales served."""
    served: dict[str, str] = {}
    if not isinstance(markets, Mapping) or not markets:
        add(
            Problem(
                ("markets",),
                "must name at least one market, like US: {currency: USD, locales: [en-US]}.",
            )
        )
        return served
    for market, info in markets.items():
        where: Path = ("markets", str(market))
        if not isinstance(market, str) or not _MARKET.fullmatch(market):
            add(
                Problem(
                    where,
                    "A market code is 2 to 8 capital letters or digits, like US or DE (in quotes "
                    "if YAML reads it as something else, like 'NO').",
                )
            )
            continue
        if not isinstance(info, Mapping):
            add(Problem(where, "must give currency and locales."))
            continue
        for key in info:
            if key not in ("currency", "locales"):
                add(
                    Problem(
                        (*where, str(key)), "is not part of a market; use currency and locales."
                    )
                )
        currency = info.get("currency")
        if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
            add(
                Problem(
                    (*where, "currency"), "must be a three-letter currency code, like USD or EUR."
                )
            )
        locales = info.get("locales")
        if not isinstance(locales, list) or not locales:
            add(
                Problem((*where, "locales"), "must list the Alexa locales it serves, like [en-US].")
            )
            continue
        for locale in locales:
            if not isinstance(locale, str) or not _LOCALE.fullmatch(locale):
                add(
                    Problem(
                        (*where, "locales"),
                        f"{locale!r} is not an Alexa locale like en-US or de-DE.",
                    )
                )
            elif locale in served:
                add(
                    Problem(
                        (*where, "locales"),
                        f"{locale} is already served by market {served[locale]}; "
                        "a locale belongs to one market.",
                    )
                )
            else:
                served[locale] = market
    return served


def _check_items(doc: Mapping[str, Any], served: Mapping[str, str], add: Any) -> set[str]:
    items = doc.get("items")
    ids: set[str] = set()
    if not isinstance(items, list):
        add(Problem(("items",), "must be a list of items."))
        return ids
    if len(items) > MAX_ITEMS:
        add(Problem(("items",), f"A catalog holds at most {MAX_ITEMS} items."))
    markets = _mapping(doc.get("markets"))
    text = _mapping(doc.get("text"))
    for index, item in enumerate(items):
        where: Path = ("items", index)
        if not isinstance(item, Mapping):
            add(Problem(where, "must be a mapping with id, category and prices."))
            continue
        for key in item:
            if key not in _ITEM_KEYS:
                add(
                    Problem(
                        (*where, str(key)),
                        f"is not part of an item; use {', '.join(sorted(_ITEM_KEYS))}.",
                    )
                )
        item_id = item.get("id")
        valid_id = isinstance(item_id, str) and _ITEM_ID.fullmatch(item_id) is not None
        if not valid_id:
            add(
                Problem(
                    (*where, "id"),
                    "An item id is capital letters, digits and _, starting with a letter, "
                    "like OAT_MILK.",
                )
            )
        elif item_id in ids:
            add(
                Problem(
                    (*where, "id"), f"{item_id} is used by two items; give each item its own id."
                )
            )
        else:
            ids.add(str(item_id))
        category = item.get("category")
        if not _text(category) or len(str(category)) > 64:
            add(Problem((*where, "category"), 'must name the item\'s category, like "produce".'))
        if "in_stock" in item and not isinstance(item["in_stock"], bool):
            add(Problem((*where, "in_stock"), "must be true or false."))
        prices = item.get("prices")
        if not isinstance(prices, Mapping) or not prices:
            add(
                Problem(
                    (*where, "prices"),
                    "must give the price in at least one market, like {US: 429} for $4.29.",
                )
            )
            continue
        for market, cents in prices.items():
            at: Path = (*where, "prices", str(market))
            if market not in markets:
                add(
                    Problem(
                        at,
                        f"{market!r} is not one of the catalog's markets "
                        f"({', '.join(map(str, markets))}).",
                    )
                )
                continue
            if not _whole(cents) or not 0 <= cents <= MAX_PRICE:
                add(
                    Problem(
                        at,
                        "must be a whole number of minor units (cents) from 0 to "
                        f"{MAX_PRICE}: write 4.29 as 429.",
                    )
                )
                continue
            if not valid_id:
                continue  # the id's own problem is the one to fix first
            for locale, owner in served.items():
                words = text.get(locale)
                if owner == market and not (isinstance(words, Mapping) and item_id in words):
                    add(
                        Problem(
                            at,
                            f"{item_id} has a price in {market} but no words in {locale}: "
                            f"give its {locale} name, one, other, unit and per, or remove "
                            "the price.",
                        )
                    )
    return ids


def _check_text(text: Any, served: Mapping[str, str], item_ids: set[str], add: Any) -> None:
    if not isinstance(text, Mapping):
        add(Problem(("text",), "must hold each locale's words for the items."))
        return
    for locale in served:
        if not text.get(locale):
            add(
                Problem(
                    ("text", locale),
                    f"Market {served[locale]} serves {locale}, but the catalog has no "
                    f"{locale} words for any item.",
                )
            )
    for locale, entries in text.items():
        if locale not in served:
            add(
                Problem(
                    ("text", str(locale)),
                    f"{locale} has item words but no market serves it: add it to a "
                    "market's locales, or remove its words.",
                )
            )
            continue
        if not isinstance(entries, Mapping):
            add(Problem(("text", locale), "must map item ids to their words."))
            continue
        language = locale.partition("-")[0]
        forms: dict[str, str] = {}
        for item_id, words in entries.items():
            where: Path = ("text", locale, str(item_id))
            if item_id not in item_ids:
                add(
                    Problem(
                        where,
                        f"There are {locale} words for {item_id!r}, which is not an item "
                        "of the catalog.",
                    )
                )
                continue
            if not isinstance(words, Mapping):
                add(Problem(where, "must give name, one, other, unit and per."))
                continue
            for key in words:
                if key not in _WORD_KEYS:
                    add(
                        Problem(
                            (*where, str(key)),
                            f"is not one of an item's words; use {', '.join(sorted(_WORD_KEYS))}.",
                        )
                    )
            for key in _REQUIRED_WORDS:
                if key not in words:
                    add(Problem((*where, key), f"is missing: give {_WORD_HINTS[key]}."))
                    continue
                problem = _words_problem(words[key])
                if problem:
                    add(Problem((*where, key), problem))
            synonyms = words.get("synonyms", [])
            if not isinstance(synonyms, list):
                add(
                    Problem(
                        (*where, "synonyms"),
                        "must be a list of other names, like [apple, red apples].",
                    )
                )
                synonyms = []
            elif len(synonyms) > MAX_SYNONYMS:
                add(Problem((*where, "synonyms"), f"An item has at most {MAX_SYNONYMS} synonyms."))
            for synonym in synonyms:
                problem = _words_problem(synonym)
                if problem:
                    add(Problem((*where, "synonyms"), f"{synonym!r} {problem}"))
            if "plural_name" in words and not isinstance(words["plural_name"], bool):
                add(
                    Problem(
                        (*where, "plural_name"),
                        "must be true (the name is plural, like apples) or false (like bread).",
                    )
                )
            if "single" in words and (problem := _words_problem(words["single"])):
                add(Problem((*where, "single"), problem))
            gender = words.get("gender")
            if gender is not None and gender not in GENDERS:
                add(
                    Problem(
                        (*where, "gender"), f"must be {', '.join(GENDERS[:-1])} or {GENDERS[-1]}."
                    )
                )
            if language in _ARTICLE_LANGUAGES and not words.get("single") and gender is None:
                add(
                    Problem(
                        (*where, "single"),
                        'is missing: give the form with its article (e.g. "ein Apfel"), '
                        "or the gender (masculine, feminine or neuter).",
                    )
                )
            # One spoken form belongs to one item, or Alexa and the skill can't tell them apart.
            named = [words.get("name"), *synonyms]
            for form in named:
                if not _text(form):
                    continue
                key = normalise(form)
                other = forms.setdefault(key, str(item_id))
                if other != item_id:
                    field = "name" if form == words.get("name") else "synonyms"
                    add(
                        Problem(
                            (*where, field),
                            f"{form!r} is also a name of {other} in {locale}; each name or "
                            "synonym belongs to one item.",
                        )
                    )


def _check_categories(doc: Mapping[str, Any], served: Mapping[str, str], add: Any) -> None:
    categories = doc.get("categories", {})
    if not isinstance(categories, Mapping):
        add(Problem(("categories",), "must map each locale to its category names."))
        return
    for locale, names in categories.items():
        if locale not in served:
            add(
                Problem(
                    ("categories", str(locale)),
                    f"{locale} has category names but no market serves it.",
                )
            )
        elif not isinstance(names, Mapping) or not all(_text(v) for v in names.values()):
            add(
                Problem(
                    ("categories", locale),
                    "must map each category to its name, like produce: fruit and vegetables.",
                )
            )
    items = doc.get("items")
    items = items if isinstance(items, list) else []
    text = _mapping(doc.get("text"))
    for locale in served:
        names = categories.get(locale)
        names = names if isinstance(names, Mapping) else {}
        words = text.get(locale)
        words = words if isinstance(words, Mapping) else {}
        missing: list[str] = []
        for item in items:
            if not isinstance(item, Mapping) or item.get("id") not in words:
                continue
            category = item.get("category")
            known = category in names or category in missing
            if isinstance(category, str) and _text(category) and not known:
                missing.append(category)
        for category in missing:
            add(
                Problem(
                    ("categories", locale, category),
                    f"has no {locale} name; give one under categories (what the skill "
                    "says when listing what it sells).",
                )
            )


def check(doc: Any) -> None:
    """Raise :class:`InvalidCatalog` listing every problem of ``doc``, if it has any."""
    problems = check_document(doc)
    if problems:
        raise InvalidCatalog(problems, doc)


def canonical(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The normal form of a valid document: markets, then categories and text in the
    markets' locale order, text in item order, prices in market order, ``in_stock``
    and ``synonyms`` always written, hours with all seven days; no ``version`` and no
    ``_comment``. Two documents that mean the same catalog have equal normal forms."""
    markets = {
        market: {"currency": info["currency"], "locales": list(info["locales"])}
        for market, info in doc["markets"].items()
    }
    locales = [locale for info in markets.values() for locale in info["locales"]]
    items = [
        {
            "id": item["id"],
            "category": item["category"],
            "prices": {m: item["prices"][m] for m in markets if m in item["prices"]},
            "in_stock": item.get("in_stock", True) is not False,
        }
        for item in doc["items"]
    ]
    order: list[str] = []
    given = doc.get("categories", {})
    for locale in locales:
        for category in given.get(locale, {}):
            if category not in order:
                order.append(category)
    categories = {
        locale: {c: given[locale][c] for c in order if c in given[locale]}
        for locale in locales
        if locale in given
    }
    text = {
        locale: {
            item["id"]: _canonical_words(doc["text"][locale][item["id"]])
            for item in items
            if item["id"] in doc["text"][locale]
        }
        for locale in locales
    }
    out: dict[str, Any] = {
        "markets": markets,
        "categories": categories,
        "items": items,
        "text": text,
    }
    hours = OpeningHours.from_data(doc.get("hours")).to_data()
    if hours is not None:
        out["hours"] = hours
    return out


def _canonical_words(words: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": words["name"],
        "synonyms": list(words.get("synonyms", [])),
        "unit": words["unit"],
        "one": words["one"],
        "other": words["other"],
        "per": words["per"],
        "plural_name": bool(words.get("plural_name", False)),
    }
    if words.get("single"):
        out["single"] = words["single"]
    if words.get("gender") is not None:
        out["gender"] = words["gender"]
    return out


# -- prices as a shop writes them -----------------------------------------------------
class InvalidPrice(CatalogError):
    """An amount that is not a price as written in its market."""


def _written(currency: str) -> tuple[str, str, str]:
    """(symbol, decimal separator, thousands separator) of a currency, read off the one
    formatter in skill.domain.money, so that parsing and formatting never disagree."""
    written = format_money(123456, currency)
    match = re.search(r"1(\D?)234(\D)56", written)
    if match is None:  # pragma: no cover - format_money always writes the digits
        return currency, ".", ","
    symbol = (written[: match.start()] + written[match.end() :]).strip()
    return symbol, match.group(2), match.group(1)


def price_from_text(text: str, market: str, currency: str) -> int:
    """The minor units of an amount written as in ``market``: ``4.29`` in the US, ``4,29``
    in Germany (also ``$4.29``, ``4,29 €``, ``1,299.00``). Raises :class:`InvalidPrice`,
    saying how to write it, for anything else: negative, malformed or ambiguous."""
    symbol, decimal, thousands = _written(currency)
    raw = text.strip()
    for part in {symbol, currency, currency.lower()}:
        raw = raw.replace(part, "")
    raw = raw.strip()
    how = (
        f"In {market}, write {currency} prices like {_number(429, decimal)} "
        f"(with {decimal!r} before the cents)."
    )
    if raw.startswith("-"):
        raise InvalidPrice(f"{text!r} is negative, and a price is 0 or more. {how}")
    d, t = re.escape(decimal), re.escape(thousands)
    match = re.fullmatch(rf"(\d+|\d{{1,3}}(?:{t}\d{{3}})+)(?:{d}(\d{{1,2}}))?", raw)
    if match is None:
        raise InvalidPrice(f"{text!r} is not a price as written in {market}. {how}")
    whole = int(match.group(1).replace(thousands, ""))
    cents = whole * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if cents > MAX_PRICE:
        raise InvalidPrice(
            f"{text!r} is more than the largest price, {format_money(MAX_PRICE, currency)}."
        )
    return cents


def _number(cents: int, decimal: str) -> str:
    return f"{cents // 100}{decimal}{cents % 100:02d}"


def item_ids(doc: Mapping[str, Any]) -> list[str]:
    return [str(item["id"]) for item in doc.get("items", [])]


def locales_of(doc: Mapping[str, Any]) -> list[str]:
    """The locales the document's markets serve, in market order."""
    return [locale for info in doc.get("markets", {}).values() for locale in info["locales"]]
