"""The catalog file: the shop's whole catalog as one YAML file it can edit.

``cornershop catalog export`` writes it and ``cornershop catalog import`` reads it
back; export then import gives the same catalog (the file is the canonical
document, :func:`skill.domain.catalog.canonical`, in a shape that is easier to
edit: each item with its words per locale, each category with its names)::

    format: 1
    version: 12                 # the stored version it was exported from (informational)
    markets:
      US: {currency: USD, locales: [en-US]}
      DE: {currency: EUR, locales: [de-DE]}
    categories:
      produce:
        en-US: fruit and vegetables
        de-DE: Obst und Gemüse
    hours:                      # optional: without it the shop is always open
      mon: 08:00-18:00
      tue: 08:00-12:30, 14:00-18:00
      sun: closed
      closed_dates: ['2026-12-25']
    items:
      - id: APPLE
        category: produce
        in_stock: true
        prices: {US: 75, DE: 59}  # whole minor units: 75 is $0.75
        en-US:
          name: apples
          synonyms: [apple, red apples]
          unit: each
          one: apple            # the words after 1
          other: apples         # the words after 2, 3, ...
          per: each             # as in "$0.75 each"
          plural_name: true     # "apples are ..." rather than "bread is ..."
        de-DE:
          name: Äpfel
          ...
          single: ein Apfel     # German: the form with its article, or
          gender: masculine     # the gender (masculine, feminine, neuter)

:func:`parse` checks the whole file before anything is used and reports every
problem with its line and field (:class:`CatalogFileError`); the rules are the
catalog's own (:func:`~skill.domain.catalog.check_document`) plus the file's shape.
YAML anchors and aliases are refused (they would let a small file expand hugely).
PyYAML lives here only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path as FilePath
from typing import Any

from skill.domain.catalog import (
    CatalogError,
    Problem,
    canonical,
    check_document,
)
from skill.domain.hours import WEEKDAYS, format_time, parse_range

FORMAT = 1
MAX_FILE_BYTES = 10_000_000
_LOCALE_KEY = re.compile(r"[a-z]{2,3}-[A-Z]{2}")
_TOP_KEYS = ("format", "version", "markets", "categories", "hours", "items")
_ITEM_KEYS = ("id", "category", "in_stock", "prices")
_WORD_ORDER = ("name", "synonyms", "unit", "one", "other", "per", "plural_name", "single", "gender")

Path = tuple[str | int, ...]

HEADER = """\
# Corner Shop catalog. Edit it, then load it with: cornershop catalog import FILE
# (add --dry-run to only check it). Nothing changes unless the whole file is valid.
#
# prices      whole minor units per market (cents, pence, paise): 429 is 4.29
# in_stock    true, or false to keep the item listed but sold out
# per locale  name (as in "how much are apples"), synonyms (other names customers
#             say), unit, one / other (the words after 1 and after other numbers),
#             per (as in "$0.75 each"), plural_name (true when the name is plural),
#             and in German single (with its article: "ein Apfel") or gender
#             (masculine, feminine or neuter)
# hours       per weekday "08:00-18:00", several ranges "08:00-12:30, 14:00-18:00",
#             or "closed"; closed_dates lists days off; times are in the shop's
#             time zone (CORNERSHOP_TIMEZONE{zone}); without hours: always open
#
# Alexa learns new item names and synonyms only when the interaction model is
# rebuilt: cornershop model sync, cornershop model export, ask deploy --target skill-metadata
"""


@dataclass(frozen=True, slots=True)
class FileProblem:
    line: int | None  # 1-based; None when the problem has no place (an empty file)
    field: str
    message: str


class CatalogFileError(CatalogError):
    """A catalog file that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, source: str, problems: Sequence[FileProblem]) -> None:
        self.source = source
        self.problems = list(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(
            f"  {source}:{p.line if p.line is not None else '-'}: {p.field}: {p.message}"
            for p in self.problems
        )
        super().__init__(f"{source} has {count} {noun}, so nothing was changed:\n{lines}")


@dataclass(frozen=True)
class CatalogFile:
    """A catalog file that passed every check."""

    document: dict[str, Any]  # canonical, without version
    version: int | None = None  # the version it says it was exported from
    warnings: list[str] = field(default_factory=list)


# -- reading -------------------------------------------------------------------------
def load(path: str | FilePath) -> CatalogFile:
    """Read and check a catalog file (OSError if it cannot be read)."""
    data = FilePath(path).read_bytes()
    return parse(data, source=str(path))


def parse(text: str | bytes, *, source: str = "catalog file") -> CatalogFile:
    """Check a catalog file's text and return its catalog; CatalogFileError otherwise."""
    import yaml

    if len(text) > MAX_FILE_BYTES:
        raise CatalogFileError(
            source, [FileProblem(None, "the file", f"is larger than {MAX_FILE_BYTES} bytes.")]
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CatalogFileError(
                source, [FileProblem(None, "the file", "is not UTF-8 text; save it as UTF-8.")]
            ) from exc
    loader = _loader()(text)
    try:
        node = loader.get_single_node()
        lines: dict[Path, int] = {}
        shape: Found = []
        aliases: Found = []
        if node is not None:
            _walk(node, (), lines, shape, aliases, set())
        # An alias is never expanded: that is how a small file becomes a huge one.
        data = loader.construct_document(node) if node is not None and not aliases else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise CatalogFileError(
            source,
            [
                FileProblem(
                    line,
                    "YAML",
                    f"The file is not valid YAML ({what}); check the indentation and "
                    "quotes near there.",
                )
            ],
        ) from exc
    except yaml.YAMLError as exc:
        raise CatalogFileError(
            source, [FileProblem(None, "YAML", f"The file is not valid YAML ({exc}).")]
        ) from exc
    finally:
        loader.dispose()
    if node is None:
        raise CatalogFileError(
            source,
            [FileProblem(None, "the file", "is empty; start from `cornershop catalog export`.")],
        )
    reader = _Reader(lines)
    reader.problems.extend(shape + aliases)
    if aliases:
        raise CatalogFileError(source, reader.sorted())
    doc = reader.document(data)
    # The catalog's own rules, except where the file's shape is already wrong (a value
    # that could not be read would only be reported again, less clearly).
    shaky = [path for _, path, _ in reader.problems]
    found = [(reader.file_path(problem), problem.message) for problem in check_document(doc)]
    # An item whose id is wrong (or taken) is reported for that alone.
    bad_ids = {path[1] for path, _ in found if len(path) == 3 and path[::2] == ("items", "id")}
    for path, message in found:
        if any(_related(path, other) for other in shaky):
            continue
        if len(path) > 2 and path[0] == "items" and path[1] in bad_ids and path[2] != "id":
            continue
        reader.problem(path, message)
    if reader.problems:
        raise CatalogFileError(source, reader.sorted())
    return CatalogFile(canonical(doc), reader.version, reader.warnings)


Found = list[tuple[int, Path, str]]


def _related(a: Path, b: Path) -> bool:
    """Whether one path lies inside the other (the root is inside nothing here)."""
    if not a or not b:
        return False
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def _walk(
    node: Any, path: Path, lines: dict[Path, int], shape: Found, aliases: Found, seen: set[int]
) -> None:
    """Record each node's line by path; note duplicate keys and keys that are not plain
    text (in ``shape``), and aliases or merge keys (in ``aliases``: a node met twice)."""
    import yaml

    line = node.start_mark.line + 1
    if id(node) in seen:
        where = lines.get(path, line)  # the alias's key, not the anchored node
        aliases.append((where, path, "uses a YAML alias (*name); write the value out instead."))
        return
    seen.add(id(node))
    lines.setdefault(path, line)
    if isinstance(node, yaml.MappingNode):
        keys: dict[str, int] = {}
        for key_node, value_node in node.value:
            at = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                shape.append((at, path, "has a key that is not plain text."))
                continue
            key = key_node.value
            if key == "<<":
                aliases.append((at, path, "uses a YAML merge key (<<); write it out instead."))
                continue
            if key in keys:
                message = f"{key!r} is given twice (first on line {keys[key]}); keep one."
                shape.append((at, (*path, key), message))
                continue
            keys[key] = at
            lines.setdefault((*path, key), at)
            _walk(value_node, (*path, key), lines, shape, aliases, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _walk(child, (*path, index), lines, shape, aliases, seen)


class _Reader:
    """Turns the file's data into a catalog document, collecting problems by file path."""

    def __init__(self, lines: dict[Path, int]) -> None:
        self.lines = lines
        self.problems: list[tuple[int | None, Path, str]] = []
        self.version: int | None = None
        self.warnings: list[str] = []
        self._items: list[Any] = []
        self._market_of: dict[str, str] = {}

    # -- problems --------------------------------------------------------------
    def problem(self, path: Path, message: str) -> None:
        self.problems.append((self.line(path), path, message))

    def sorted(self) -> list[FileProblem]:
        """The problems in file order, labelled (once the items are known)."""
        ordered = sorted(self.problems, key=lambda p: (p[0] is None, p[0] or 0))
        return [FileProblem(line, self.label(path), message) for line, path, message in ordered]

    def line(self, path: Path) -> int | None:
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.lines:
                return self.lines[path[:cut]]
        return None

    def label(self, path: Path) -> str:
        if not path:
            return "the file"
        head, rest = path[0], list(path[1:])
        if head == "items" and rest and isinstance(rest[0], int):
            index = rest[0]
            item = self._items[index] if index < len(self._items) else None
            item_id = item.get("id") if isinstance(item, Mapping) else None
            name = (
                f"item {item_id}" if isinstance(item_id, str) and item_id else f"item #{index + 1}"
            )
            tail = ".".join(str(p) for p in rest[1:] if not isinstance(p, int))
            return f"{name}, {tail}" if tail else name
        if head == "markets" and rest:
            tail = ".".join(str(p) for p in rest[1:] if not isinstance(p, int))
            return f"market {rest[0]}" + (f", {tail}" if tail else "")
        if head == "categories" and rest:
            return f"category {rest[0]!r}" + (f", {rest[1]}" if len(rest) > 1 else "")
        return ".".join(str(p) for p in path if not isinstance(p, int)) or "the file"

    def file_path(self, problem: Problem) -> Path:
        """Where in the file a document problem is."""
        path = problem.path
        if not path:
            return ()
        head, rest = path[0], path[1:]
        if head == "text" and len(rest) >= 2:
            index = self._index_of(rest[1])
            return ("items", index, rest[0], *rest[2:]) if index is not None else ("items",)
        if head == "text" and rest:
            index = next(
                (
                    i
                    for i, item in enumerate(self._items)
                    if isinstance(item, Mapping) and rest[0] in item
                ),
                None,
            )
            if index is not None:
                return ("items", index, rest[0])
            market = self._market_of.get(str(rest[0]))
            return ("markets", market, "locales") if market else ("markets",)
        if head == "categories" and len(rest) >= 2:
            return ("categories", rest[1], rest[0])
        if head == "categories":
            return ("categories",)
        if head == "hours" and len(rest) >= 2 and rest[0] == "weekly":
            return ("hours", rest[1])
        if head == "hours" and rest and rest[0] == "closed":
            return ("hours", "closed_dates", *rest[1:])
        if head == "hours":
            return ("hours",)
        return path

    def _index_of(self, item_id: Any) -> int | None:
        for index, item in enumerate(self._items):
            if isinstance(item, Mapping) and item.get("id") == item_id:
                return index
        return None

    # -- the document ----------------------------------------------------------
    def document(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            self.problem(
                (),
                "must be a YAML mapping with markets, categories and items; start from "
                "`cornershop catalog export`.",
            )
            return {}
        for key in data:
            if key not in _TOP_KEYS:
                self.problem(
                    (str(key),), f"is not part of a catalog file; use {', '.join(_TOP_KEYS)}."
                )
        if "format" in data and data["format"] != FORMAT:
            self.problem(("format",), f"This Corner Shop reads catalog files of format {FORMAT}.")
        version = data.get("version")
        if isinstance(version, int) and not isinstance(version, bool):
            self.version = version
        elif version is not None:
            self.problem(("version",), "must be the whole number export wrote, or left out.")
        doc: dict[str, Any] = {}
        markets = data.get("markets")
        doc["markets"] = markets
        if isinstance(markets, Mapping):
            for market, info in markets.items():
                locales = info.get("locales") if isinstance(info, Mapping) else None
                for locale in locales if isinstance(locales, list) else []:
                    if isinstance(locale, str):
                        self._market_of.setdefault(locale, str(market))
        doc["categories"] = self._categories(data.get("categories", {}))
        items = data.get("items")
        doc["items"], doc["text"] = self._items_and_text(items)
        if "hours" in data and data["hours"] is not None:
            doc["hours"] = self._hours(data["hours"])
        return doc

    def _categories(self, given: Any) -> dict[str, Any]:
        out: dict[str, dict[str, Any]] = {}
        if not isinstance(given, Mapping):
            self.problem(
                ("categories",),
                "must map each category to its name per locale, like "
                "produce: {en-US: fruit and vegetables}.",
            )
            return out
        for category, names in given.items():
            if not isinstance(names, Mapping):
                self.problem(
                    ("categories", str(category)),
                    "must give the category's name per locale, like {en-US: fruit and vegetables}.",
                )
                continue
            for locale, name in names.items():
                out.setdefault(str(locale), {})[str(category)] = name
        return out

    def _items_and_text(self, items: Any) -> tuple[Any, dict[str, Any]]:
        text: dict[str, dict[str, Any]] = {}
        if not isinstance(items, list):
            self.problem(("items",), "must be a list of items (each starting with '- id: ...').")
            return items, text
        self._items = items
        out: list[Any] = []
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                out.append(item)  # the catalog's rules say what is wrong with it
                continue
            entry: dict[str, Any] = {}
            for key, value in item.items():
                if key in _ITEM_KEYS:
                    entry[key] = value
                elif isinstance(key, str) and _LOCALE_KEY.fullmatch(key):
                    item_id = item.get("id")
                    if not isinstance(value, Mapping):
                        self.problem(
                            ("items", index, key),
                            "must give the item's words in this locale: name, one, other, "
                            "unit, per.",
                        )
                    elif isinstance(item_id, str):
                        # A repeated id is reported as such; its words don't replace the first's.
                        text.setdefault(key, {}).setdefault(item_id, dict(value))
                else:
                    self.problem(
                        ("items", index, str(key)),
                        "is not part of an item; use id, category, in_stock, prices, or a "
                        "locale like en-US.",
                    )
            out.append(entry)
        return out, text

    def _hours(self, given: Any) -> Any:
        if not isinstance(given, Mapping):
            self.problem(("hours",), "must give each weekday's hours, like mon: 08:00-18:00.")
            return None
        weekly: dict[str, list[list[str]]] = {}
        closed: list[Any] = []
        for key, value in given.items():
            if key == "closed_dates":
                closed = self._closed_dates(value)
            elif key == "timezone":
                self.warnings.append(
                    "hours.timezone is ignored: opening hours are in the shop's time zone, "
                    "CORNERSHOP_TIMEZONE."
                )
            elif key in WEEKDAYS:
                weekly[key] = self._day(key, value)
            else:
                self.problem(
                    ("hours", str(key)),
                    f"is not a weekday; use {', '.join(WEEKDAYS)} or closed_dates.",
                )
        return {"weekly": weekly, "closed": closed}

    def _day(self, day: str, value: Any) -> list[list[str]]:
        how = (
            f"write {day}: 08:00-18:00, several ranges as 08:00-12:30, 14:00-18:00, "
            f"or {day}: closed."
        )
        if isinstance(value, str) and value.strip().lower() == "closed":
            return []
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",")]
        elif isinstance(value, list) and all(isinstance(part, str) for part in value):
            parts = [part.strip() for part in value]
        else:
            # An unquoted 8:00 is a number in YAML (480), and 'no' is false.
            self.problem(("hours", day), f"{value!r} is not opening hours; {how}")
            return []
        ranges: list[list[str]] = []
        for part in parts:
            found = parse_range(part)
            if found is None:
                self.problem(("hours", day), f"{part!r} is not an opening range; {how}")
                continue
            ranges.append([format_time(found[0]), format_time(found[1])])
        return ranges

    def _closed_dates(self, value: Any) -> list[Any]:
        if not isinstance(value, list):
            self.problem(
                ("hours", "closed_dates"),
                "must be a list of dates, like ['2026-12-25', '2026-12-26'].",
            )
            return []
        out: list[Any] = []
        for entry in value:
            if isinstance(entry, date) and not isinstance(entry, datetime):
                out.append(entry.isoformat())
            else:
                out.append(entry)  # the hours' rules say what is wrong with it
        return out


# -- writing -------------------------------------------------------------------------
def dump(doc: Mapping[str, Any], *, timezone: str | None = None) -> str:
    """The catalog file for a (valid) catalog document; :func:`parse` reads it back to
    the same canonical document."""
    import yaml

    body = canonical(doc)
    data: dict[str, Any] = {"format": FORMAT}
    version = doc.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        data["version"] = version
    data["markets"] = {
        market: _FlowMap({"currency": info["currency"], "locales": info["locales"]})
        for market, info in body["markets"].items()
    }
    categories: dict[str, dict[str, str]] = {}
    for locale, names in body["categories"].items():
        for category, name in names.items():
            categories.setdefault(category, {})[locale] = name
    data["categories"] = categories
    hours = body.get("hours")
    if hours is not None:
        days: dict[str, Any] = {
            day: ", ".join(f"{s}-{e}" for s, e in ranges) if ranges else "closed"
            for day, ranges in hours["weekly"].items()
        }
        if hours["closed"]:
            days["closed_dates"] = _FlowList(hours["closed"])
        data["hours"] = days
    items = []
    for item in body["items"]:
        entry: dict[str, Any] = {
            "id": item["id"],
            "category": item["category"],
            "in_stock": item["in_stock"],
            "prices": _FlowMap(item["prices"]),
        }
        for locale, entries in body["text"].items():
            words = entries.get(item["id"])
            if words is None:
                continue
            entry[locale] = {
                key: _FlowList(words[key]) if key == "synonyms" else words[key]
                for key in _WORD_ORDER
                if key in words
            }
        items.append(entry)
    data["items"] = items
    text = yaml.dump(
        data,
        Dumper=_dumper(),
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    zone = f", now {timezone}" if timezone else ""
    return HEADER.format(zone=zone) + text


class _FlowMap(dict[str, Any]):
    """Written on one line: {US: 75, DE: 59}."""


class _FlowList(list[Any]):
    """Written on one line: [apple, red apples]."""


@functools.cache
def _loader() -> Any:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        # An impossible unquoted date (2026-13-01) stays text, for the rules to report.
        try:
            return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
        except ValueError:
            return loader.construct_scalar(node)

    Loader.add_constructor("tag:yaml.org,2002:timestamp", timestamp)
    return Loader


@functools.cache
def _dumper() -> type:
    import yaml

    class Dumper(yaml.SafeDumper):
        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            # Indent list items under their key ("items:\n  - id: ..."), as people write.
            super().increase_indent(flow, False)

    def flow_map(dumper: yaml.SafeDumper, value: _FlowMap) -> yaml.Node:
        return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=True)

    def flow_list(dumper: yaml.SafeDumper, value: _FlowList) -> yaml.Node:
        return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)

    Dumper.add_representer(_FlowMap, flow_map)
    Dumper.add_representer(_FlowList, flow_list)
    return Dumper
