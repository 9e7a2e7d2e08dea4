"""Storage: one interface (:class:`Store`), three backends, chosen by URL.

``memory://``, ``sqlite:///absolute/path.db`` (or ``sqlite:relative.db``), and
``dynamodb://TABLE``. Backends are imported only when selected, so boto3 never
loads unless DynamoDB is in use.
"""

from __future__ import annotations

from skill.errors import ConfigError
from skill.store.base import Store

__all__ = ["Store", "open_store"]


def open_store(url: str, *, shop_id: str = "main") -> Store:
    """Open the store a ``CORNERSHOP_STORE`` URL names."""
    scheme, sep, rest = url.partition(":")
    if not sep:
        raise ConfigError(
            f"CORNERSHOP_STORE={url!r} is not a store URL. Use memory://, "
            "sqlite:///path/to/cornershop.db or dynamodb://TABLE_NAME."
        )
    scheme = scheme.lower()
    if scheme == "memory":
        from skill.store.memory import MemoryStore

        return MemoryStore()
    if scheme == "sqlite":
        from skill.store.sqlite import SQLiteStore

        path = rest[2:] if rest.startswith("//") else rest
        if not path:
            raise ConfigError(
                "CORNERSHOP_STORE=sqlite:// needs a file path, for example "
                "sqlite:///var/lib/cornershop/shop.db (an absolute path after the third slash)."
            )
        return SQLiteStore(path)
    if scheme == "dynamodb":
        table = rest.lstrip("/")
        if not table:
            raise ConfigError(
                "CORNERSHOP_STORE=dynamodb:// needs a table name, for example dynamodb://cornershop."
            )
        from skill.store.dynamodb import DynamoDBStore

        return DynamoDBStore.from_environment(table, shop_id=shop_id)
    raise ConfigError(
        f"CORNERSHOP_STORE scheme {scheme!r} is not supported. "
        "Use memory://, sqlite:///path/to/cornershop.db or dynamodb://TABLE_NAME."
    )
