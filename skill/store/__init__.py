"""Storage: one interface (:class:`Store`), three backends, chosen by URL.

``memory://``, ``sqlite:///absolute/path.db`` and ``dynamodb://TABLE``. A SQLite
path must be absolute: a relative one would name a different file depending on
the directory a service or a command happens to start in, so it is refused with
the absolute form to use instead. Backends are imported only when selected, so
boto3 never loads unless DynamoDB is in use.
"""

from __future__ import annotations

import os

from skill.errors import ConfigError
from skill.store.base import Store

__all__ = ["Store", "open_store"]

_FORMS = "Use memory://, sqlite:///ABSOLUTE/PATH/cornershop.db or dynamodb://TABLE_NAME."


def open_store(
    url: str, *, shop_id: str = "main", create: bool = True, setting: str = "CORNERSHOP_STORE"
) -> Store:
    """Open the store a store URL names.

    ``create=False`` is for commands that only read or move orders along (``orders``,
    ``store ping``): they never create a store, so a mistyped SQLite path raises
    :class:`~skill.errors.StoreNotFound` instead of showing an empty shop. ``setting``
    names where the URL came from (``CORNERSHOP_STORE``, ``--store``) in messages.
    """
    scheme, sep, rest = url.partition(":")
    if not sep:
        raise ConfigError(f"{setting}={url!r} is not a store URL. {_FORMS}")
    scheme = scheme.lower()
    if scheme == "memory":
        from skill.store.memory import MemoryStore

        return MemoryStore()
    if scheme == "sqlite":
        from skill.store.sqlite import SQLiteStore

        return SQLiteStore(sqlite_path(url, setting=setting), create=create, setting=setting)
    if scheme == "dynamodb":
        table = rest.lstrip("/")
        if not table:
            raise ConfigError(
                f"{setting}=dynamodb:// needs a table name, for example dynamodb://cornershop."
            )
        from skill.store.dynamodb import DynamoDBStore

        return DynamoDBStore.from_environment(table, shop_id=shop_id)
    raise ConfigError(f"{setting} scheme {scheme!r} is not supported. {_FORMS}")


def sqlite_path(url: str, *, setting: str = "CORNERSHOP_STORE") -> str:
    """The absolute file path of a ``sqlite:`` URL; ConfigError for a missing or relative one."""
    rest = url.partition(":")[2]
    path = rest[2:] if rest.startswith("//") else rest
    if not path:
        raise ConfigError(
            f"{setting}=sqlite:// needs a file path, for example "
            "sqlite:///var/lib/cornershop/shop.db (an absolute path after the third slash)."
        )
    if path == ":memory:":
        raise ConfigError(
            f"{setting}={url!r} would give every thread its own empty database. "
            "Use memory:// for a store that lives in memory."
        )
    if path.startswith("//"):
        # sqlite:////abs/path (the URL form with the path's own slash) is /abs/path.
        path = "/" + path.lstrip("/")
    if not os.path.isabs(path):
        absolute = os.path.abspath(os.path.expanduser(path))
        raise ConfigError(
            f"{setting}={url!r} names a relative path, which would point somewhere else "
            "whenever Corner Shop starts in another directory. Use an absolute path: "
            f"sqlite://{absolute}"
        )
    return path
