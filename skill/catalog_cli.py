"""``cornershop catalog`` and ``cornershop shop``: the shop runs its own catalog.

Every command works on the catalog in the store (``--store`` or ``CORNERSHOP_STORE``,
for the shop ``CORNERSHOP_SHOP_ID``). A shop with no catalog of its own yet is
served the bundled demo catalog; the first change starts from it. Changes reach
the skill on every front door within ``CORNERSHOP_CATALOG_TTL`` seconds, without a
restart. Errors say how to fix them and exit 2 (through :func:`skill.cli.main`).

Kept apart from :mod:`skill.cli` so that building the parser imports only argparse;
the store and the catalog file load when a subcommand runs.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TextIO

from skill.config import Settings
from skill.errors import CornerShopError

if TYPE_CHECKING:
    from skill.domain.hours import OpeningHours
    from skill.store import Store

_STORE_HELP = "store URL (default: CORNERSHOP_STORE or the SQLite file)"
_LOCALE_VALUE = re.compile(r"([a-z]{2,3}-[A-Z]{2})=(.*)", re.DOTALL)
_MARKET_VALUE = re.compile(r"([A-Za-z][A-Za-z0-9]{1,7})=(.*)", re.DOTALL)
_REBUILD = (
    "Alexa learns new item names only when the interaction model is rebuilt: run "
    "`cornershop model sync`, `cornershop model export`, then `ask deploy --target "
    "skill-metadata`."
)


# -- plumbing --------------------------------------------------------------------
def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "store", None):
        settings = settings.with_(store_url=args.store)
    return settings


def _open(args: argparse.Namespace, settings: Settings) -> Store:
    """The shop's store. Never created here: a mistyped path is an error, not a new shop."""
    from skill.store import open_store

    setting = "--store" if getattr(args, "store", None) else "CORNERSHOP_STORE"
    return open_store(settings.store_url, shop_id=settings.shop_id, create=False, setting=setting)


def _bundled() -> dict[str, Any]:
    from skill.data import catalog_document
    from skill.domain.catalog import canonical

    return canonical(catalog_document())


_NO_CATALOG_NOTE = (
    "note: the shop has no catalog of its own yet, so this is the bundled demo catalog "
    "(what the skill serves until `cornershop store init` or `cornershop catalog import`).\n"
)


def _served(store: Store) -> tuple[dict[str, Any], bool]:
    """The document the skill serves, and whether it is the shop's own."""
    doc = store.get_catalog()
    if doc is None:
        return _bundled(), False
    return doc, True


def _change(
    args: argparse.Namespace, edit: Callable[[dict[str, Any]], dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any], Settings]:
    """Apply ``edit`` to the stored catalog (the bundled one when the shop has none yet),
    atomically. Returns (before, after, settings)."""
    settings = _settings(args)
    store = _open(args, settings)
    seen: list[dict[str, Any]] = []

    def change(doc: dict[str, Any]) -> dict[str, Any]:
        start = doc if doc else _bundled()
        seen[:] = [json.loads(json.dumps(start))]
        return edit(start)

    try:
        after = store.update_catalog(change)
    finally:
        store.close()
    return seen[0], after, settings


def _soon(settings: Settings) -> str:
    return f"Customers hear it within {settings.catalog_ttl:g} seconds (CORNERSHOP_CATALOG_TTL)."


def _item_index(doc: dict[str, Any], given: str) -> int:
    """The index of the item ``given`` names: its id (any case), or exactly one of its
    names or synonyms in some locale. CornerShopError with suggestions otherwise."""
    from skill.domain.catalog import normalise

    items = doc["items"]
    wanted = given.strip().upper().replace(" ", "_").replace("-", "_")
    for index, item in enumerate(items):
        if item["id"] == wanted:
            return index
    spoken = normalise(given)
    found = {
        item_id
        for words in doc["text"].values()
        for item_id, entry in words.items()
        if spoken and spoken in {normalise(f) for f in (entry["name"], *entry.get("synonyms", []))}
    }
    if len(found) == 1:
        (item_id,) = found
        return next(i for i, item in enumerate(items) if item["id"] == item_id)
    import difflib

    ids = [item["id"] for item in items]
    close = difflib.get_close_matches(wanted, ids, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    if len(found) > 1:
        hint = f" It names several items ({', '.join(sorted(found))}); give the id."
    raise CornerShopError(
        f"There is no item {given!r} in the catalog.{hint} "
        "Run `cornershop catalog list` to see the ids."
    )


def _market(doc: dict[str, Any], given: str) -> str:
    market = given.strip().upper()
    if market not in doc["markets"]:
        known = ", ".join(doc["markets"])
        raise CornerShopError(
            f"There is no market {given!r} in the catalog; its markets are {known}."
        )
    return market


def _name(doc: dict[str, Any], item_id: str, locale: str | None = None) -> str:
    for loc, words in doc["text"].items():
        if (locale is None or loc == locale) and item_id in words:
            return str(words[item_id]["name"])
    return item_id


def _money(cents: int, doc: dict[str, Any], market: str) -> str:
    from skill.domain.money import format_money

    return format_money(cents, doc["markets"][market]["currency"])


# -- catalog list ------------------------------------------------------------------
def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    settings = _settings(args)
    store = _open(args, settings)
    try:
        doc, own = _served(store)
    finally:
        store.close()
    if not own:
        sys.stderr.write(_NO_CATALOG_NOTE)
    markets = list(doc["markets"])
    if args.market:
        markets = [_market(doc, args.market)]
    locale = args.locale
    if locale is not None and locale not in doc["text"]:
        known = ", ".join(doc["text"])
        raise CornerShopError(f"The catalog has no locale {locale!r}; its locales are {known}.")
    if locale is None:
        locale = doc["markets"][markets[0]]["locales"][0]
    rows = []
    for item in doc["items"]:
        prices = {m: item["prices"][m] for m in markets if m in item["prices"]}
        if args.market and not prices:
            continue  # not sold in that market
        rows.append((item, prices, _name(doc, item["id"], locale)))
    if args.json:
        for item, prices, name in rows:
            line = {
                "id": item["id"],
                "category": item["category"],
                "in_stock": item["in_stock"],
                "prices": prices,
                "name": name,
                "locale": locale,
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        return 0
    if not rows:
        out.write("No items.\n")
        return 0
    headers = ["id", "category", "stock", *markets, f"name ({locale})"]
    table = [
        [
            item["id"],
            item["category"],
            "in" if item["in_stock"] else "OUT",
            *(_money(prices[m], doc, m) if m in prices else "-" for m in markets),
            name,
        ]
        for item, prices, name in rows
    ]
    widths = [max(len(str(row[i])) for row in [headers, *table]) for i in range(len(headers))]
    for row in [headers, *table]:
        out.write(
            "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        )
        out.write("\n")
    return 0


# -- catalog export / import -------------------------------------------------------------
def cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    from skill import catalog_file

    settings = _settings(args)
    store = _open(args, settings)
    try:
        doc, own = _served(store)
    finally:
        store.close()
    if not own:
        sys.stderr.write(_NO_CATALOG_NOTE)
    text = catalog_file.dump(doc, timezone=settings.timezone)
    if args.file in (None, "-"):
        out.write(text)
        return 0
    with open(args.file, "w", encoding="utf-8") as fh:
        fh.write(text)
    out.write(f"Wrote {len(doc['items'])} items to {args.file}.\n")
    return 0


def cmd_import(args: argparse.Namespace, out: TextIO) -> int:
    from skill import catalog_file

    if args.file == "-":
        loaded = catalog_file.parse(sys.stdin.buffer.read(), source="<stdin>")
    else:
        loaded = catalog_file.load(args.file)
    for warning in loaded.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    new = loaded.document
    if args.dry_run:
        out.write(f"{args.file} is a valid catalog: {_summary(new)}. Nothing was changed.\n")
        return 0
    settings = _settings(args)
    store = _open(args, settings)
    before: list[dict[str, Any] | None] = [None]

    def replace(doc: dict[str, Any]) -> dict[str, Any]:
        before[0] = doc or None
        copy: dict[str, Any] = json.loads(json.dumps(new))
        return copy

    try:
        after = store.update_catalog(replace)
    finally:
        store.close()
    old = before[0]
    if old is not None and loaded.version is not None and loaded.version != old.get("version"):
        sys.stderr.write(
            f"warning: {args.file} was exported from catalog version {loaded.version}, but the "
            f"shop's catalog was at version {old['version']}: changes made since then were "
            "replaced by the file.\n"
        )
    changes = _differences(old or _bundled(), after)
    out.write(f"Imported {args.file}: {_summary(after)}; catalog version {after['version']}.\n")
    for line in changes:
        out.write(f"  {line}\n")
    if not changes:
        out.write("  nothing changed\n")
    if _names_changed(old or _bundled(), after):
        out.write(_REBUILD + "\n")
    out.write(_soon(settings) + "\n")
    return 0


def _summary(doc: dict[str, Any]) -> str:
    items = doc["items"]
    out = sum(1 for item in items if not item.get("in_stock", True))
    stock = f" ({out} out of stock)" if out else ""
    hours = "opening hours set" if doc.get("hours") else "always open"
    return f"{len(items)} items{stock} in {len(doc['markets'])} markets, {hours}"


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed, in a few lines a shop owner can check."""
    before = {item["id"]: item for item in old["items"]}
    after = {item["id"]: item for item in new["items"]}
    lines = []
    added = [i for i in after if i not in before]
    removed = [i for i in before if i not in after]
    if added:
        lines.append(f"added: {', '.join(added)}")
    if removed:
        lines.append(f"removed: {', '.join(removed)}")
    prices = [i for i in after if i in before and after[i]["prices"] != before[i]["prices"]]
    stock = [
        i
        for i in after
        if i in before and after[i].get("in_stock", True) != before[i].get("in_stock", True)
    ]
    if prices:
        lines.append(f"prices changed: {', '.join(prices)}")
    if stock:
        lines.append(f"stock changed: {', '.join(stock)}")
    if _names_changed(old, new):
        lines.append("item names or synonyms changed")
    if (old.get("hours") or None) != (new.get("hours") or None):
        lines.append("opening hours changed")
    return lines


def _names_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether the words Alexa must recognise (the model's slot values) differ."""

    def heard(doc: dict[str, Any]) -> dict[str, Any]:
        return {
            locale: {
                item_id: (entry["name"], tuple(entry.get("synonyms", [])))
                for item_id, entry in words.items()
            }
            for locale, words in doc["text"].items()
        }

    return heard(old) != heard(new)


# -- catalog price / stock / add / remove --------------------------------------------------
def cmd_price(args: argparse.Namespace, out: TextIO) -> int:
    from skill.domain.catalog import price_from_text

    said: dict[str, Any] = {}

    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        index = _item_index(doc, args.item)
        market = _market(doc, args.market)
        cents = price_from_text(args.amount, market, doc["markets"][market]["currency"])
        item = doc["items"][index]
        said.update(id=item["id"], market=market, old=item["prices"].get(market), new=cents)
        item["prices"][market] = cents
        return doc

    _, after, settings = _change(args, edit)
    item_id, market = said["id"], said["market"]
    name = _name(after, item_id, after["markets"][market]["locales"][0])
    new = _money(said["new"], after, market)
    if said["old"] is None:
        out.write(f"{item_id} ({name}) is now sold in {market} at {new}.\n")
    elif said["old"] == said["new"]:
        out.write(f"{item_id} ({name}) already costs {new} in {market}; nothing changed.\n")
        return 0
    else:
        old = _money(said["old"], after, market)
        out.write(f"{item_id} ({name}) in {market}: was {old}, now {new}.\n")
    out.write(_soon(settings) + "\n")
    return 0


def cmd_stock(args: argparse.Namespace, out: TextIO) -> int:
    wanted = args.state == "in"
    said: dict[str, Any] = {}

    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        item = doc["items"][_item_index(doc, args.item)]
        said.update(id=item["id"], was=item.get("in_stock", True))
        item["in_stock"] = wanted
        return doc

    _, after, settings = _change(args, edit)
    name = _name(after, said["id"])
    state = "in stock" if wanted else "out of stock"
    if said["was"] == wanted:
        out.write(f"{said['id']} ({name}) was already {state}; nothing changed.\n")
        return 0
    out.write(f"{said['id']} ({name}) is now {state}.\n")
    out.write(_soon(settings) + "\n")
    return 0


def _by_locale(
    values: Sequence[str] | None, doc: dict[str, Any], option: str
) -> dict[str, list[str]]:
    """``LOCALE=TEXT`` option values by locale; a bare TEXT is for a one-locale shop."""
    found: dict[str, list[str]] = {}
    locales = list(doc["text"])
    for value in values or ():
        match = _LOCALE_VALUE.fullmatch(value)
        if match:
            locale, text = match.group(1), match.group(2)
        elif len(locales) == 1:
            locale, text = locales[0], value
        else:
            raise CornerShopError(
                f"Say which locale {option} {value!r} is for, like {option} "
                f"{locales[0]}={value}; the catalog has {', '.join(locales)}."
            )
        if locale not in doc["text"]:
            raise CornerShopError(
                f"{option} {value!r}: the catalog has no locale {locale}; "
                f"its locales are {', '.join(locales)}."
            )
        found.setdefault(locale, []).append(text.strip())
    return found


def _one_each(values: dict[str, list[str]], option: str) -> dict[str, str]:
    for locale, given in values.items():
        if len(given) > 1:
            raise CornerShopError(f"Give {option} once per locale; {locale} has {len(given)}.")
    return {locale: given[0] for locale, given in values.items()}


def cmd_add(args: argparse.Namespace, out: TextIO) -> int:
    from skill.domain.catalog import price_from_text

    item_id = args.item.strip().upper()

    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        if any(item["id"] == item_id for item in doc["items"]):
            raise CornerShopError(
                f"{item_id} is already in the catalog. Change it with `cornershop catalog "
                "price` or `stock`, or edit an exported catalog file and import it."
            )
        prices: dict[str, int] = {}
        markets = list(doc["markets"])
        for value in args.price or ():
            match = _MARKET_VALUE.fullmatch(value)
            if match:
                market, amount = _market(doc, match.group(1)), match.group(2)
            elif len(markets) == 1:
                market, amount = markets[0], value
            else:
                raise CornerShopError(
                    f"Say which market --price {value!r} is for, like --price "
                    f"{markets[0]}={value}; the catalog has {', '.join(markets)}."
                )
            prices[market] = price_from_text(amount, market, doc["markets"][market]["currency"])
        names = _one_each(_by_locale(args.name, doc, "--name"), "--name")
        words: dict[str, dict[str, Any]] = {
            locale: {"name": name} for locale, name in names.items()
        }
        for option, key in (
            ("--one", "one"),
            ("--other", "other"),
            ("--unit", "unit"),
            ("--per", "per"),
            ("--single", "single"),
            ("--gender", "gender"),
        ):
            for locale, text in _one_each(
                _by_locale(getattr(args, key), doc, option), option
            ).items():
                words.setdefault(locale, {})[key] = text
        for locale, synonyms in _by_locale(args.synonym, doc, "--synonym").items():
            words.setdefault(locale, {})["synonyms"] = synonyms
        for entry in words.values():
            entry.setdefault("synonyms", [])
            entry["plural_name"] = bool(args.plural_name)
        for locale, label in _one_each(
            _by_locale(args.category_name, doc, "--category-name"), "--category-name"
        ).items():
            doc["categories"].setdefault(locale, {})[args.category] = label
        doc["items"].append(
            {
                "id": item_id,
                "category": args.category,
                "prices": prices,
                "in_stock": not args.out_of_stock,
            }
        )
        for locale, entry in words.items():
            doc["text"][locale][item_id] = entry
        return doc

    from skill.domain.catalog import InvalidCatalog

    try:
        _, after, settings = _change(args, edit)
    except InvalidCatalog as exc:
        raise CornerShopError(
            f"{exc}\nGive each missing word with its option, e.g. --one en-US=pear "
            "--other en-US=pears --unit en-US=each --per en-US=each (see `cornershop "
            "catalog add --help`)."
        ) from exc
    out.write(f"Added {item_id} ({_name(after, item_id)}); catalog version {after['version']}.\n")
    out.write(_REBUILD + "\n")
    out.write(_soon(settings) + "\n")
    return 0


def cmd_remove(args: argparse.Namespace, out: TextIO) -> int:
    said: dict[str, Any] = {}

    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        index = _item_index(doc, args.item)
        item = doc["items"].pop(index)
        said.update(id=item["id"], name=_name(doc, item["id"]))
        for words in doc["text"].values():
            words.pop(item["id"], None)
        return doc

    _, after, settings = _change(args, edit)
    out.write(f"Removed {said['id']} ({said['name']}); catalog version {after['version']}.\n")
    out.write(_REBUILD + "\n")
    out.write(_soon(settings) + "\n")
    return 0


# -- shop hours / closed ----------------------------------------------------------------
_DAY_GROUPS = {
    "daily": ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
    "everyday": ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
    "weekdays": ("mon", "tue", "wed", "thu", "fri"),
    "weekend": ("sat", "sun"),
}


def _days(text: str) -> list[str]:
    """``mon``, ``monday``, ``mon-fri``, ``mon,wed``, ``weekdays``, ``weekend``, ``daily``."""
    from skill.domain.hours import WEEKDAYS

    def one(word: str) -> int:
        key = word.strip().lower()[:3]
        if key not in WEEKDAYS or len(word.strip()) < 3:
            raise CornerShopError(
                f"{word!r} is not a day. Use mon ... sun, a range like mon-fri, a list like "
                "mon,wed,fri, or weekdays, weekend, daily."
            )
        return WEEKDAYS.index(key)

    days: list[str] = []
    for part in text.split(","):
        group = _DAY_GROUPS.get(part.strip().lower())
        if group:
            days.extend(group)
            continue
        first, sep, last = part.partition("-")
        if sep:
            start, end = one(first), one(last)
            span = range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)]
            days.extend(WEEKDAYS[i] for i in span)
        else:
            days.append(WEEKDAYS[one(part)])
    return list(dict.fromkeys(days))


def _ranges(words: Sequence[str]) -> list[tuple[int, int]]:
    from skill.domain.hours import parse_range

    if len(words) == 1 and words[0].strip().lower() == "closed":
        return []
    ranges = []
    for word in (part for text in words for part in text.split(",")):
        if not word.strip():
            continue
        found = parse_range(word)
        if found is None:
            raise CornerShopError(
                f"{word.strip()!r} is not an opening range. Write it like 08:00-18:00 "
                "(several: 08:00-12:30 14:00-18:00), or say closed."
            )
        ranges.append(found)
    if not ranges:
        raise CornerShopError("Give the opening hours, like 08:00-18:00, or say closed.")
    return ranges


def cmd_hours(args: argparse.Namespace, out: TextIO) -> int:
    from skill.domain.catalog import InvalidCatalog
    from skill.domain.hours import OpeningHours

    spec: list[str] = args.spec
    if not spec:
        settings = _settings(args)
        store = _open(args, settings)
        try:
            doc, own = _served(store)
        finally:
            store.close()
        if not own:
            sys.stderr.write(_NO_CATALOG_NOTE)
        return _show_hours(OpeningHours.from_data(doc.get("hours")), settings, args.json, out)
    if spec[0].lower() == "always":
        if len(spec) > 1:
            raise CornerShopError("`cornershop shop hours always` takes nothing more.")

        def edit(doc: dict[str, Any]) -> dict[str, Any]:
            doc.pop("hours", None)
            return doc
    else:
        if len(spec) < 2:
            raise CornerShopError(
                f"Give the hours for {spec[0]}, like `cornershop shop hours {spec[0]} "
                "08:00-18:00`, or `closed`."
            )
        days, ranges = _days(spec[0]), _ranges(spec[1:])

        def edit(doc: dict[str, Any]) -> dict[str, Any]:
            hours = OpeningHours.from_data(doc.get("hours"))
            for day in days:
                hours = hours.with_day(day, ranges)
            doc["hours"] = hours.to_data()
            return doc

    try:
        _, after, settings = _change(args, edit)
    except InvalidCatalog as exc:
        raise CornerShopError(f"Those opening hours were refused. {exc}") from exc
    return _show_hours(OpeningHours.from_data(after.get("hours")), settings, args.json, out)


def cmd_closed(args: argparse.Namespace, out: TextIO) -> int:
    from skill.domain.catalog import InvalidCatalog
    from skill.domain.hours import OpeningHours

    dates = []
    for text in args.dates:
        try:
            dates.append(date.fromisoformat(text.strip()))
        except ValueError:
            raise CornerShopError(f"{text!r} is not a date; write it like 2026-12-25.") from None
    if not dates:
        settings = _settings(args)
        store = _open(args, settings)
        try:
            doc, _ = _served(store)
        finally:
            store.close()
        closed = OpeningHours.from_data(doc.get("hours")).closed_dates
        out.write(
            ", ".join(d.isoformat() for d in closed) + "\n" if closed else "No closed dates.\n"
        )
        return 0

    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        hours = OpeningHours.from_data(doc.get("hours"))
        doc["hours"] = hours.with_closed(dates, remove=args.remove).to_data()
        return doc

    try:
        _, after, settings = _change(args, edit)
    except InvalidCatalog as exc:
        raise CornerShopError(f"Those closed dates were refused. {exc}") from exc
    return _show_hours(OpeningHours.from_data(after.get("hours")), settings, False, out)


def _show_hours(hours: OpeningHours, settings: Settings, as_json: bool, out: TextIO) -> int:
    from skill.domain.hours import DAY_NAMES, WEEKDAYS, format_time

    zone = settings.zone
    now = datetime.now(UTC)
    open_now = hours.is_open(now, zone)
    pickup = hours.next_pickup(now, settings.pickup_minutes, zone)
    if as_json:
        data = {
            "timezone": settings.timezone,
            "always_open": hours.always_open,
            "hours": hours.to_data(),
            "open_now": open_now,
            "pickup_now": pickup.ready_at.isoformat(),
        }
        out.write(json.dumps(data) + "\n")
        return 0
    out.write(f"Opening hours, in {settings.timezone} (CORNERSHOP_TIMEZONE):\n")
    if hours.always_open:
        out.write("  always open\n")
    else:
        for day in WEEKDAYS:
            ranges = hours.day(day)
            shown = ", ".join(f"{format_time(s)}-{format_time(e)}" for s, e in ranges)
            out.write(f"  {DAY_NAMES[day]:<10} {shown or 'closed'}\n")
        closed = hours.closed_dates
        if closed:
            out.write(f"  closed on {', '.join(d.isoformat() for d in closed)}\n")
    local = now.astimezone(zone)
    ready = pickup.ready_at
    when = (
        ready.strftime("%H:%M")
        if ready.date() == local.date()
        else ready.strftime("%a %Y-%m-%d %H:%M")
    )
    out.write(
        f"Now ({local.strftime('%a %H:%M')}) the shop is {'open' if open_now else 'closed'}; "
        f"an order placed now would be ready at about {when}.\n"
    )
    return 0


# -- store init ------------------------------------------------------------------------
def seed_report(store: Store) -> str:
    """Seed the store with the bundled demo catalog unless the shop has one; say which."""
    from skill.data import catalog_document

    if store.seed_catalog(catalog_document()):
        count = len(catalog_document()["items"])
        return f"catalog: seeded with the bundled demo catalog ({count} items, version 1)"
    doc = store.get_catalog()
    version = doc.get("version") if doc else "?"
    return f"catalog: the shop already has its own (version {version}); left as it is"


def catalog_source_for_tools(args: argparse.Namespace, err: TextIO) -> dict[str, Any]:
    """The catalog ``cornershop model`` works from: ``--catalog FILE``, ``--bundled``, or
    the shop's stored one (``--store``, else CORNERSHOP_STORE); a shop without a catalog
    (or, by default, without a store yet) gets the bundled one, with a note on ``err``."""
    from skill import catalog_file
    from skill.errors import StoreNotFound

    if getattr(args, "catalog", None):
        loaded = catalog_file.load(args.catalog)
        err.write(f"Using the catalog in {args.catalog}.\n")
        return loaded.document
    if getattr(args, "bundled", False):
        return _bundled()
    settings = _settings(args)
    try:
        store = _open(args, settings)
    except StoreNotFound:
        if getattr(args, "store", None):
            raise
        err.write(
            f"note: there is no store at {settings.store_url} yet; using the bundled demo "
            "catalog.\n"
        )
        return _bundled()
    try:
        doc, own = _served(store)
    finally:
        store.close()
    if own:
        err.write(f"Using the shop's catalog in {settings.store_url} (version {doc['version']}).\n")
    else:
        err.write("note: the shop has no catalog of its own yet; using the bundled demo catalog.\n")
    return doc


# -- the parser --------------------------------------------------------------------------
def register(subparsers: Any) -> None:
    """Add ``catalog`` and ``shop`` to the ``cornershop`` parser."""
    catalog = subparsers.add_parser(
        "catalog",
        help="the shop's items, prices and stock: list, import, export, price, stock, add, remove",
        description=(
            "The shop's catalog, kept in the store. Changes reach the skill within "
            "CORNERSHOP_CATALOG_TTL seconds (30 by default), on every front door."
        ),
    )
    actions = catalog.add_subparsers(dest="catalog_action", required=True, metavar="ACTION")

    p = actions.add_parser("list", help="the items, their prices and stock")
    p.add_argument("--market", help="only items sold in this market (e.g. US), with its prices")
    p.add_argument("--locale", help="names in this locale (e.g. de-DE)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--store", help=_STORE_HELP)
    p.set_defaults(func=cmd_list)

    p = actions.add_parser("export", help="write the whole catalog as a YAML catalog file")
    p.add_argument("file", nargs="?", help="where to write it (default: standard output)")
    p.add_argument("--store", help=_STORE_HELP)
    p.set_defaults(func=cmd_export)

    p = actions.add_parser(
        "import",
        help="replace the catalog with a catalog file, if the whole file is valid",
        description=(
            "Check the whole file, report every problem with its line, and change nothing "
            "unless it is all valid. The file is the whole catalog, opening hours included."
        ),
    )
    p.add_argument("file", help="a catalog file (see `cornershop catalog export`), or -")
    p.add_argument("--dry-run", action="store_true", help="only check the file")
    p.add_argument("--store", help=_STORE_HELP)
    p.set_defaults(func=cmd_import)

    p = actions.add_parser("price", help="set an item's price in one market")
    p.add_argument("item", help="the item's id (e.g. APPLE) or name")
    p.add_argument("market", help="the market (e.g. US, DE)")
    p.add_argument("amount", help="the price as written there: 4.29 in the US, 4,29 in DE")
    p.add_argument("--store", help=_STORE_HELP)
    p.set_defaults(func=cmd_price)

    p = actions.add_parser("stock", help="mark an item in stock or sold out")
    p.add_argument("item", help="the item's id (e.g. OAT_MILK) or name")
    p.add_argument("state", choices=["in", "out"])
    p.add_argument("--store", help=_STORE_HELP)
    p.set_defaults(func=cmd_stock)

    p = actions.add_parser(
        "add",
        help="add an item",
        description=(
            "Add an item. Options with a LOCALE=TEXT value may leave out the locale in a "
            "shop with one locale, and --price its market in a shop with one market. "
            "Example: cornershop catalog add PEARS --category produce --price US=0.89 "
            "--name en-US=pears --one en-US=pear --other en-US=pears --unit en-US=each "
            "--per en-US=each --plural-name"
        ),
    )
    p.add_argument("item", help="the new item's id: capital letters, digits and _ (e.g. PEARS)")
    p.add_argument("--category", required=True, help="its category (e.g. produce)")
    p.add_argument("--price", action="append", metavar="MARKET=AMOUNT", help="a price (repeat)")
    p.add_argument("--name", action="append", metavar="LOCALE=TEXT", help="its name")
    p.add_argument("--one", action="append", metavar="LOCALE=TEXT", help="words after 1")
    p.add_argument("--other", action="append", metavar="LOCALE=TEXT", help="words after 2, 3, ...")
    p.add_argument("--unit", action="append", metavar="LOCALE=TEXT", help="its unit (each, loaf)")
    p.add_argument("--per", action="append", metavar="LOCALE=TEXT", help='as in "$0.89 each"')
    p.add_argument("--synonym", action="append", metavar="LOCALE=TEXT", help="another name")
    p.add_argument("--single", action="append", metavar="LOCALE=TEXT", help='"eine Birne"')
    p.add_argument(
        "--gender", action="append", metavar="LOCALE=GENDER", help="masculine, feminine, neuter"
    )
    p.add_argument("--plural-name", action="store_true", help="the name is plural (pears)")
    p.add_argument(
        "--category-name", action="append", metavar="LOCALE=TEXT", help="name a new category"
    )
    p.add_argument("--out-of-stock", action="store_true", help="add it sold out")
    p.add_argument("--store", help=_STORE_HELP)
    p.set_defaults(func=cmd_add)

    p = actions.add_parser("remove", help="remove an item")
    p.add_argument("item", help="the item's id or name")
    p.add_argument("--store", help=_STORE_HELP)
    p.set_defaults(func=cmd_remove)

    shop = subparsers.add_parser("shop", help="the shop's opening hours and closed dates")
    actions = shop.add_subparsers(dest="shop_action", required=True, metavar="ACTION")
    p = actions.add_parser(
        "hours",
        help="show or set the opening hours",
        description=(
            "Without arguments, show the hours. `hours mon-fri 08:00-18:00`, `hours sat "
            "09:00-12:00 13:00-17:00`, `hours sun closed` set days; `hours always` makes "
            "the shop always open. Times are in CORNERSHOP_TIMEZONE."
        ),
    )
    p.add_argument("spec", nargs="*", metavar="DAYS RANGES", help="e.g. mon-fri 08:00-18:00")
    p.add_argument("--json", action="store_true", help="show them as JSON")
    p.add_argument("--store", help=_STORE_HELP)
    p.set_defaults(func=cmd_hours)

    p = actions.add_parser("closed", help="list, add or remove closed dates")
    p.add_argument("dates", nargs="*", metavar="DATE", help="e.g. 2026-12-25")
    p.add_argument("--remove", action="store_true", help="open on these dates after all")
    p.add_argument("--store", help=_STORE_HELP)
    p.set_defaults(func=cmd_closed)
