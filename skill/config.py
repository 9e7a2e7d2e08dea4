"""Settings, parsed once at the edge. Nothing else in the project reads ``os.environ``.

| variable                      | default                                   |
|-------------------------------|-------------------------------------------|
| CORNERSHOP_STORE              | sqlite:///<data dir>/cornershop.db        |
| ALEXA_SKILL_ID                | unset: accept any application id          |
| CORNERSHOP_VERIFY             | true (web/API Gateway signature checks)   |
| CORNERSHOP_SHOP_ID            | main                                      |
| CORNERSHOP_PICKUP_MINUTES     | 20                                        |
| CORNERSHOP_PROFILE_TIMEOUT    | 1.0 seconds (Customer Profile API budget) |
| CORNERSHOP_LOG_LEVEL          | INFO                                      |
| CORNERSHOP_DEV                | false (web simulator page at GET /)       |

The data dir is ``$XDG_DATA_HOME/cornershop`` or ``~/.local/share/cornershop``.

One exception to "nothing else reads os.environ": ``CORNERSHOP_LAZY_SDK`` (default 1;
0 loads the whole ASK SDK at import) is read by :mod:`skill.lazy_sdk` when ``skill`` is
imported, because it has to be decided before any SDK module loads, long before any
Settings exist.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from skill.errors import ConfigError

DEFAULT_LOCALE = "en-US"


def default_store_url(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    home = env.get("HOME") or str(Path.home())
    # The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored; a
    # relative store path would follow whatever directory the service starts in.
    xdg = env.get("XDG_DATA_HOME") or ""
    base = xdg if Path(xdg).is_absolute() else str(Path(home) / ".local" / "share")
    return f"sqlite:///{Path(base) / 'cornershop' / 'cornershop.db'}"


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean. Use true or false.")


def _number(name: str, raw: str, kind: type[int] | type[float], low: float, high: float) -> Any:
    try:
        value = kind(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a number. Use a value like {kind(low)}.") from exc
    if not low <= value <= high:
        raise ConfigError(f"{name}={raw!r} is out of range. Use a value from {low} to {high}.")
    return value


@dataclass(frozen=True)
class Settings:
    store_url: str = field(default_factory=default_store_url)
    skill_id: str | None = None
    verify_requests: bool = True
    shop_id: str = "main"
    pickup_minutes: int = 20
    profile_timeout: float = 1.0
    log_level: str = "INFO"
    dev_mode: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        kwargs: dict[str, Any] = {
            "store_url": env.get("CORNERSHOP_STORE") or default_store_url(env)
        }
        if env.get("ALEXA_SKILL_ID"):
            kwargs["skill_id"] = env["ALEXA_SKILL_ID"].strip()
        if "CORNERSHOP_VERIFY" in env:
            kwargs["verify_requests"] = _bool("CORNERSHOP_VERIFY", env["CORNERSHOP_VERIFY"])
        if env.get("CORNERSHOP_SHOP_ID"):
            kwargs["shop_id"] = env["CORNERSHOP_SHOP_ID"]
        if "CORNERSHOP_PICKUP_MINUTES" in env:
            kwargs["pickup_minutes"] = _number(
                "CORNERSHOP_PICKUP_MINUTES", env["CORNERSHOP_PICKUP_MINUTES"], int, 0, 24 * 60
            )
        if "CORNERSHOP_PROFILE_TIMEOUT" in env:
            kwargs["profile_timeout"] = _number(
                "CORNERSHOP_PROFILE_TIMEOUT", env["CORNERSHOP_PROFILE_TIMEOUT"], float, 0.05, 1.0
            )
        if env.get("CORNERSHOP_LOG_LEVEL"):
            kwargs["log_level"] = env["CORNERSHOP_LOG_LEVEL"].upper()
        if "CORNERSHOP_DEV" in env:
            kwargs["dev_mode"] = _bool("CORNERSHOP_DEV", env["CORNERSHOP_DEV"])
        return cls(**kwargs)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)
