"""Everything the user hears or reads: message catalogs per locale, plural rules, SSML.

Catalogs are JSON files in ``skill/speech/locales`` and are loaded once per
process (:func:`messages_for`), never per request.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from skill.config import DEFAULT_LOCALE
from skill.errors import ConfigError

# Package data sits beside the code (also inside function.zip), so a plain path
# is enough, and cheaper at cold start than importlib.resources.
_LOCALES = Path(__file__).parent / "locales"

__all__ = ["Messages", "available_locales", "messages_for", "placeholders", "plural_category"]


def plural_category(language: str, count: int) -> str:
    """The CLDR plural category for the languages we speak (en, de: one / other)."""
    return "one" if count == 1 else "other"


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Messages:
    """One locale's message catalog."""

    def __init__(self, locale: str, table: Mapping[str, Any]) -> None:
        self.locale = locale
        self.language = locale.split("-")[0]
        self._table = {k: v for k, v in table.items() if not k.startswith("_")}

    def keys(self) -> set[str]:
        return set(self._table)

    def raw(self, key: str) -> Any:
        return self._table[key]

    def __call__(self, key: str, /, count: int | None = None, **params: Any) -> str:
        entry = self._table[key]
        if isinstance(entry, dict):
            if count is None:
                raise TypeError(f"Message {key!r} has plural forms, so it needs count=.")
            entry = entry[plural_category(self.language, count)]
        return str(entry).format(count=count, **params)

    def join(self, parts: Sequence[str]) -> str:
        """``a``, ``a and b``, ``a, b, and c`` (the serial comma reads better aloud)."""
        if len(parts) <= 1:
            return "".join(parts)
        if len(parts) == 2:
            return f"{parts[0]} {self('list_and')} {parts[1]}"
        return f"{', '.join(parts[:-1])}, {self('list_and')} {parts[-1]}"


@cache
def available_locales() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in _LOCALES.glob("*.json")))


@cache
def _load(locale: str) -> Messages:
    text = (_LOCALES / f"{locale}.json").read_text("utf-8")
    return Messages(locale, json.loads(text))


def messages_for(locale: str | None) -> Messages:
    """The catalog for a locale, falling back to the same language, then to en-US."""
    locales = available_locales()
    if locale in locales:
        return _load(locale)
    language = (locale or "").split("-")[0]
    for candidate in locales:
        if candidate.split("-")[0] == language:
            return _load(candidate)
    if DEFAULT_LOCALE not in locales:  # pragma: no cover - packaging error
        raise ConfigError("The en-US message catalog is missing; reinstall Corner Shop.")
    return _load(DEFAULT_LOCALE)
