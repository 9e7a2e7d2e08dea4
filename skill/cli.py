"""The ``cornershop`` command. Each subcommand imports what it needs only when it runs."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from skill.config import Settings
from skill.errors import CornerShopError

if TYPE_CHECKING:
    from skill.store import Store


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "store", None):
        settings = settings.with_(store_url=args.store)
    return settings


def _store_setting(args: argparse.Namespace) -> str:
    """Which setting named the store, for error messages: the flag or the variable."""
    return "--store" if getattr(args, "store", None) else "CORNERSHOP_STORE"


def _open_store(args: argparse.Namespace, settings: Settings, *, create: bool) -> Store:
    from skill.store import open_store

    return open_store(
        settings.store_url, shop_id=settings.shop_id, create=create, setting=_store_setting(args)
    )


def _order_hooks(settings: Settings, store: Store) -> list[Any]:
    """What follows a status change: the customer's "ready" notification, when configured.
    Its outcome is kept on the order in ``store``, for every dashboard."""
    from skill.notifications import order_ready_hook

    hook = order_ready_hook(settings, store=store)
    return [hook] if hook is not None else []


def _count(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a count: give a whole number of 1 or more"
        )
    return value


# -- invoke ------------------------------------------------------------------
def cmd_invoke(args: argparse.Namespace, out: TextIO) -> int:
    from skill.app import build_skill
    from skill.profile import NoProfile

    if args.file == "-":
        raw = sys.stdin.buffer.read()
    else:
        with open(args.file, "rb") as fh:
            raw = fh.read()
    settings = _settings(args)
    skill = build_skill(
        settings, store=_open_store(args, settings, create=True), profile=NoProfile()
    )
    try:
        response = skill.handle_json(raw)
    finally:
        skill.close()
    json.dump(response, out, indent=2, ensure_ascii=False)
    out.write("\n")
    return 0


# -- orders ------------------------------------------------------------------
_STATUS_ACTIONS = {"ready": "ready", "collected": "collected", "cancel": "cancelled"}


def cmd_orders(args: argparse.Namespace, out: TextIO) -> int:
    from skill.domain.orders import OrderStatus

    settings = _settings(args)
    # Listing and moving orders only read and update: they never create a store, so a
    # mistyped path is an error instead of an empty shop.
    store = _open_store(args, settings, create=False)
    try:
        if args.action:
            if args.number is None:
                raise CornerShopError(
                    f"Say which order: cornershop orders {args.action} ORDER_NUMBER."
                )
            from skill.shop_actions import move_order

            hooks = _order_hooks(settings, store)
            try:
                order = move_order(
                    store,
                    args.number,
                    OrderStatus(_STATUS_ACTIONS[args.action]),
                    actor="cli",
                    on_change=hooks,
                )
            finally:
                for hook in hooks:  # sent from a worker thread: wait (bounded) before exiting
                    hook.close(timeout=60.0)
            out.write(f"Order {order.number} is now {order.status.value}.\n")
            return 0
        orders = store.list_orders(limit=args.limit)
    finally:
        store.close()
    if args.json:
        for order in orders:
            out.write(json.dumps(order.to_data()) + "\n")
        return 0
    if not orders:
        out.write("No orders yet.\n")
        return 0
    # Times in the shop's zone (CORNERSHOP_TIMEZONE), as customers heard them.
    zone = settings.zone
    placed = f"placed ({settings.timezone})"
    out.write(
        f"{'order':>6}  {'status':<10} {placed:<17} {'pickup':<5}  {'items':>5}  "
        f"{'total':>9}  lines\n"
    )
    for order in orders:
        lines = ", ".join(f"{ln.quantity} x {ln.name}" for ln in order.lines)
        created = order.created_at.astimezone(zone)
        pickup = order.pickup_at.astimezone(zone) if order.pickup_at else None
        # The pickup's date only when it is not the day the order was placed.
        if pickup is None:
            when = "-"
        elif pickup.date() == created.date():
            when = pickup.strftime("%H:%M")
        else:
            when = pickup.strftime("%m-%d %H:%M")
        # A failed "ready" notification is worth a phone call to the customer: say so.
        note = ""
        if order.notification is not None and order.notification.status == "failed":
            note = f"  [Echo notification failed: {order.notification.detail}]"
        out.write(
            f"{order.number:>6}  {order.status.value:<10} "
            f"{created.strftime('%Y-%m-%d %H:%M'):<17} {when:<5}  {order.count:>5}  "
            f"{order.total.display():>9}  {lines}{note}\n"
        )
    return 0


# -- store -------------------------------------------------------------------
def cmd_store(args: argparse.Namespace, out: TextIO) -> int:
    settings = _settings(args)
    url = settings.store_url
    if args.action == "init" and url.lower().startswith("dynamodb:"):
        from skill.store.dynamodb import create_table, new_client

        table = url.partition(":")[2].lstrip("/")
        create_table(new_client(), table)
        out.write(f"DynamoDB table {table} is ready (on-demand, TTL on expires_at).\n")
    from skill.catalog_cli import seed_report

    store = _open_store(args, settings, create=args.action == "init")  # ping only looks
    try:
        store.ping()
        # init gives a new shop the demo catalog to start from; never replaces one.
        seeded = seed_report(store) if args.action == "init" else None
    finally:
        store.close()
    if not url.lower().startswith("dynamodb:") or args.action != "init":
        out.write(f"{url}: {'ready' if args.action == 'init' else 'reachable'}\n")
    if seeded:
        out.write(seeded + "\n")
    return 0


# -- serve -------------------------------------------------------------------
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _port_number(text: str) -> int:
    """argparse type of ``--port``: a TCP port, 1 to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a TCP port; give a number from 1 to 65535, e.g. --port 8000."
        )
    return port


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    import ipaddress

    settings = _settings(args)
    if args.no_verify:
        try:
            loopback = args.host in _LOOPBACK or ipaddress.ip_address(args.host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise CornerShopError(
                f"--no-verify is refused when binding to {args.host}: anyone on the network "
                "could shop as any user. Bind to 127.0.0.1, or keep verification on."
            )
        settings = settings.with_(verify_requests=False)
    if args.dev:
        settings = settings.with_(dev_mode=True)

    from skill.app import build_skill
    from skill.web import create_app

    skill = build_skill(settings, store=_open_store(args, settings, create=True))
    console = None
    if settings.dev_mode:
        from skill.simulator.webconsole import WebConsole

        console = WebConsole(skill)
    app = create_app(
        settings, skill=skill, dev_console=console, order_hooks=_order_hooks(settings, skill.store)
    )
    mode = "development (simulator page at /)" if settings.dev_mode else "production"
    # Development mode too runs under waitress, not Flask's development server: the
    # page then behaves as production does, and Flask's server adds nothing here
    # (its reloader and debugger stay off in a process that serves a store).
    from skill.server import Server, serve

    def announce(server: Server) -> None:
        out.write(
            f"Corner Shop on {server.url}/alexa, {mode}, "
            f"verification {'on' if settings.verify_requests else 'OFF'}, "
            f"store {settings.store_url}, {_zone_note(settings)}\n"
        )
        out.flush()

    try:
        serve(app, host=args.host, port=args.port, announce=announce)
    finally:
        skill.close()
    return 0


def _zone_note(settings: Settings) -> str:
    """The shop's time zone for the start-up line; the default gets a hint, because a
    shop that forgot to set it tells customers pickup times in UTC."""
    if settings.timezone == "UTC" and not os.environ.get("CORNERSHOP_TIMEZONE"):
        return "times in UTC (the default: set CORNERSHOP_TIMEZONE, e.g. Europe/Berlin)"
    return f"times in {settings.timezone}"


# -- model -------------------------------------------------------------------
def cmd_model(args: argparse.Namespace, out: TextIO) -> int:
    from skill import interaction

    if args.action == "export":
        from skill.packaging import export_skill_package, repo_root

        exported = export_skill_package(repo_root())
        for path in exported:
            out.write(f"{path}: updated\n")
        out.write("" if exported else "skill package already in step\n")
        return 0
    from skill.catalog_cli import catalog_source_for_tools

    doc = catalog_source_for_tools(args, sys.stderr)
    locales = args.locale or interaction.model_locales()
    for locale in interaction.locales_without_model(doc):
        sys.stderr.write(
            f"warning: the catalog has {locale} words but there is no "
            f"interaction_models/{locale}.json, so Alexa cannot hear {locale} customers.\n"
        )
    if args.action == "sync":
        for locale in locales:
            changed = interaction.sync(locale, doc=doc)
            out.write(f"{locale}: {'updated' if changed else 'already in sync'}\n")
        return 0
    problems = [p for locale in locales for p in interaction.drift(locale, doc=doc)]
    from skill.packaging import repo_root, skill_package_drift

    problems += skill_package_drift(repo_root())
    for problem in problems:
        out.write(problem + "\n")
    out.write("interaction models match the catalog and skill-package/\n" if not problems else "")
    return 1 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cornershop", description="Corner Shop: an Alexa skill for ordering by voice."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "invoke", help="run one request envelope through the skill, print the response"
    )
    p.add_argument("file", help="a request envelope JSON file, or - for standard input")
    p.add_argument("--store", help="store URL (default: CORNERSHOP_STORE or the SQLite file)")
    p.set_defaults(func=cmd_invoke)

    p = sub.add_parser("orders", help="list the shop's orders, or move one along")
    p.add_argument("action", nargs="?", choices=sorted(_STATUS_ACTIONS), help="new status")
    p.add_argument("number", nargs="?", type=int, help="order number")
    p.add_argument(
        "--limit", type=_count, default=20, help="how many recent orders to list (1 or more)"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--store", help="store URL")
    p.set_defaults(func=cmd_orders)

    p = sub.add_parser("store", help="check the store (ping), or create it (init)")
    p.add_argument("action", choices=["ping", "init"])
    p.add_argument("--store", help="store URL (default: CORNERSHOP_STORE or the SQLite file)")
    p.set_defaults(func=cmd_store)

    p = sub.add_parser(
        "serve", help="run the web service (POST /alexa) under waitress, for production too"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=_port_number, default=5000, help="port (default 5000)")
    p.add_argument(
        "--no-verify",
        action="store_true",
        help="turn Alexa request verification off (loopback only, for local testing)",
    )
    p.add_argument("--dev", action="store_true", help="development mode: simulator page at /")
    p.add_argument("--store", help="store URL")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "model",
        help="check or sync the interaction models with the catalog; export them to skill-package/",
        description=(
            "check/sync compare or rewrite the CatalogItem slot values of interaction_models/ "
            "from the shop's stored catalog (default), a catalog file, or the bundled demo "
            "catalog. Alexa hears new names only after the model is rebuilt: export, then "
            "`ask deploy --target skill-metadata`."
        ),
    )
    p.add_argument("action", choices=["check", "sync", "export"])
    p.add_argument("--locale", action="append", help="a locale (default: all)")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--catalog", metavar="FILE", help="take the items from a catalog file")
    source.add_argument("--store", help="take them from this store's catalog")
    source.add_argument(
        "--bundled", action="store_true", help="take them from the bundled demo catalog"
    )
    p.set_defaults(func=cmd_model)

    from skill.simulator.commands import register as register_simulator

    register_simulator(sub)

    from skill.packaging_cli import register as register_packaging

    register_packaging(sub)

    from skill.catalog_cli import register as register_catalog

    register_catalog(sub)

    from skill.staff_cli import register as register_staff

    register_staff(sub)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    stream: Any = out or sys.stdout
    try:
        return int(args.func(args, stream))
    except CornerShopError as exc:
        sys.stderr.write(f"cornershop: {exc}\n")
        return 2
    except OSError as exc:
        sys.stderr.write(f"cornershop: {exc.strerror or exc}: {exc.filename or ''}\n")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
