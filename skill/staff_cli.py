"""``cornershop staff add NAME`` / ``list`` / ``remove NAME``: the dashboard's accounts.

Passwords never come from the command line (it shows in ``ps`` and shell history):
``staff add`` asks on the terminal (twice), or reads exactly one line from standard
input with ``--password-stdin``, for scripts::

    printf '%s\\n' "$PASSWORD" | cornershop staff add ada --password-stdin

Accounts live in the shop's store (``CORNERSHOP_STORE`` or ``--store``), which must
exist already (``cornershop store init``): a mistyped path is an error, not a new
shop with one account in it. Removing an account, or setting a new password with
``--replace``, ends that person's dashboard sessions at once.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, TextIO

from skill.errors import ConfigError, CornerShopError

if TYPE_CHECKING:
    from skill.dashboard.staff import StaffDirectory
    from skill.store import Store


def _store(args: argparse.Namespace) -> Store:
    from skill.config import Settings
    from skill.store import open_store

    settings = Settings.from_env()
    url = args.store or settings.store_url
    setting = "--store" if args.store else "CORNERSHOP_STORE"
    if url.lower().startswith("memory:"):
        raise ConfigError(
            f"{setting}={url} keeps nothing once this command ends, so a staff account "
            "added there could never log in. Name the shop's SQLite file or DynamoDB table."
        )
    return open_store(url, shop_id=settings.shop_id, create=False, setting=setting)


def _directory(store: Store) -> StaffDirectory:
    from skill.dashboard.staff import staff_directory

    directory = staff_directory(store)
    if directory is None:
        raise ConfigError(
            "This store keeps no staff accounts. Use a SQLite or DynamoDB store "
            "(CORNERSHOP_STORE or --store)."
        )
    return directory


def read_password(args: argparse.Namespace, stdin: TextIO | None = None) -> str:
    """The new password: one line of standard input, or asked twice on the terminal."""
    stream = stdin or sys.stdin
    if args.password_stdin:
        line = stream.readline()
        if not line:
            raise CornerShopError(
                "--password-stdin read nothing: pipe the password in, one line, "
                "for example: printf '%s\\n' \"$PASSWORD\" | cornershop staff add NAME "
                "--password-stdin"
            )
        return line.removesuffix("\n").removesuffix("\r")
    if not stream.isatty():
        raise CornerShopError(
            "Standard input is not a terminal, so there is nobody to ask for the password. "
            "Give --password-stdin and pipe one line in, or run this on a terminal."
        )
    import getpass

    first = getpass.getpass("Password for the new staff account: ")
    second = getpass.getpass("The same password again: ")
    if first != second:
        raise CornerShopError("The two passwords differ. Run the command again.")
    return first


def cmd_add(args: argparse.Namespace, out: TextIO) -> int:
    from skill.dashboard.staff import check_name, check_password, new_member

    name = check_name(args.name)  # before asking for a password that would be wasted
    password = check_password(read_password(args))
    store = _store(args)
    try:
        directory = _directory(store)
        existed = directory.get_staff(name) is not None
        directory.add_staff(new_member(name, password), replace=args.replace)
    finally:
        store.close()
    if existed:
        out.write(f"Staff account {name}: new password set; its old sessions have ended.\n")
    else:
        out.write(f"Staff account {name} added. Log in at /shop on the web service.\n")
    return 0


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    store = _store(args)
    try:
        members = _directory(store).list_staff()
    finally:
        store.close()
    if not members:
        out.write("No staff accounts yet. Add one: cornershop staff add NAME\n")
        return 0
    out.write(f"{'name':<32}  added (UTC)\n")
    for member in members:
        out.write(f"{member.name:<32}  {member.created_at.strftime('%Y-%m-%d %H:%M')}\n")
    return 0


def cmd_remove(args: argparse.Namespace, out: TextIO) -> int:
    from skill.dashboard.staff import UnknownStaff, check_name

    name = check_name(args.name)
    store = _store(args)
    try:
        removed = _directory(store).remove_staff(name)
    finally:
        store.close()
    if not removed:
        raise UnknownStaff(name)
    out.write(f"Staff account {name} removed; its dashboard sessions have ended.\n")
    return 0


def register(subparsers: Any) -> None:
    """Add ``staff add``, ``staff list`` and ``staff remove`` to the ``cornershop`` parser."""
    p = subparsers.add_parser(
        "staff",
        help="the shop staff dashboard's accounts: add, list, remove",
        description=(
            "Staff accounts for the dashboard at /shop. Passwords are stored only as "
            "scrypt hashes; they are asked for on the terminal or read from standard "
            "input (--password-stdin), never taken from the command line."
        ),
    )
    actions = p.add_subparsers(dest="staff_action", required=True, metavar="ACTION")

    add = actions.add_parser("add", help="add an account (or, with --replace, set a new password)")
    add.add_argument("name", help="the staff name: lowercase letters, digits, . _ -")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from one line of standard input instead of asking",
    )
    add.add_argument(
        "--replace", action="store_true", help="set a new password if the account exists"
    )
    add.add_argument("--store", help="store URL (default: CORNERSHOP_STORE or the SQLite file)")
    add.set_defaults(func=cmd_add)

    listing = actions.add_parser("list", help="list the accounts")
    listing.add_argument("--store", help="store URL")
    listing.set_defaults(func=cmd_list)

    remove = actions.add_parser("remove", help="remove an account; its sessions end at once")
    remove.add_argument("name")
    remove.add_argument("--store", help="store URL")
    remove.set_defaults(func=cmd_remove)
