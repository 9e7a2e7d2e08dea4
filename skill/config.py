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
| CORNERSHOP_TIMEZONE           | UTC (the shop's zone: opening hours, times)|
| CORNERSHOP_CATALOG_TTL        | 30 seconds (how stale the catalog may be)  |
| CORNERSHOP_LWA_CLIENT_ID      | unset: no "order ready" notifications     |
| CORNERSHOP_LWA_CLIENT_SECRET  | unset                                     |
| CORNERSHOP_EVENTS_STAGE       | development (or live)                     |
| CORNERSHOP_SHOP_NAME          | Corner Shop (seller name in notifications)|
| CORNERSHOP_LIVE_URL           | unset: the dashboard's own event stream   |
| CORNERSHOP_LIVE_SECRET        | unset (needed with CORNERSHOP_LIVE_URL)   |
| CORNERSHOP_TRUSTED_PROXIES    | 0 (proxies in front of the web service)   |

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
from typing import TYPE_CHECKING, Any

from skill.errors import ConfigError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

DEFAULT_LOCALE = "en-US"
#: How long a process may serve its copy of the catalog before reading it again.
MAX_CATALOG_TTL_S = 3600.0
#: More proxies than this in front of one shop's web service is a misconfiguration.
MAX_PROXIES = 5


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


def load_zone(name: str, setting: str = "CORNERSHOP_TIMEZONE") -> ZoneInfo:
    """The IANA time zone ``name``; ConfigError naming ``setting`` if there is no such zone.

    zoneinfo reads the system's zone files (/usr/share/zoneinfo) or the ``tzdata``
    package; with neither, every zone is missing, and the message says so.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    example = "Use an IANA zone name such as Europe/Berlin, America/New_York or UTC."
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError as exc:
        try:
            ZoneInfo("UTC")
        except ZoneInfoNotFoundError:
            raise ConfigError(
                f"{setting}={name!r} cannot be used: this system has no time zone database "
                "(neither /usr/share/zoneinfo nor the tzdata package). Install it with "
                "`pip install tzdata`."
            ) from exc
        raise ConfigError(f"{setting}={name!r} is not a time zone. {example}") from exc
    except (ValueError, OSError) as exc:  # absolute paths, "..", names that are not files
        raise ConfigError(f"{setting}={name!r} is not a time zone. {example}") from exc


_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def check_live_url(url: str, setting: str = "CORNERSHOP_LIVE_URL") -> str:
    """``url`` if it can be the live-updates WebSocket API: ``wss://`` (``ws://`` only on
    loopback, for tests), with a host and no query string (the token goes there)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    ok = (
        parts is not None
        and bool(host)
        and not parts.query
        and not parts.fragment
        and (parts.scheme == "wss" or (parts.scheme == "ws" and host in _LOOPBACK_HOSTS))
    )
    if not ok:
        raise ConfigError(
            f"{setting}={url!r} is not a WebSocket URL the dashboard can use. Set it to the "
            "stack's LiveUpdatesUrl output, wss://API_ID.execute-api.REGION.amazonaws.com/live."
        )
    return url


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
    #: The shop's IANA time zone: opening hours and the times spoken are in it.
    timezone: str = "UTC"
    #: Seconds a process serves its copy of the catalog before reading the store again.
    catalog_ttl: float = 30.0
    #: Login with Amazon client of the skill, for "your order is ready" notifications
    #: (unset: none are sent, and the checkout never asks for the permission).
    lwa_client_id: str | None = None
    lwa_client_secret: str | None = field(default=None, repr=False)
    #: Proactive Events stage: development until Amazon certifies the skill, then live.
    events_stage: str = "development"
    #: The seller's name in the notification ("Your order from ...").
    shop_name: str = "Corner Shop"
    #: The WebSocket API the dashboard's browsers take live updates from on AWS (the
    #: template's ``LiveUpdatesUrl``); unset: the web service's own event stream.
    live_url: str | None = None
    #: Signs the dashboard's short-lived WebSocket tokens; the live function's
    #: ``LiveSecret`` (see :mod:`skill.live_token`).
    live_secret: str | None = field(default=None, repr=False)
    #: How many reverse proxies (load balancer, TLS terminator) stand in front of the
    #: web service and append to X-Forwarded-For / set X-Forwarded-Proto: their word is
    #: taken for the client's address (login rate limits) and scheme (Secure cookies).
    #: 0: those headers are ignored, as anyone could send them.
    trusted_proxies: int = 0

    @property
    def zone(self) -> ZoneInfo:
        """:attr:`timezone` as a ZoneInfo (zoneinfo caches them, so this is cheap)."""
        return load_zone(self.timezone)

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
        if env.get("CORNERSHOP_TIMEZONE"):
            zone = env["CORNERSHOP_TIMEZONE"].strip()
            load_zone(zone)  # refused at start-up, not at the first checkout
            kwargs["timezone"] = zone
        if env.get("CORNERSHOP_LWA_CLIENT_ID"):
            kwargs["lwa_client_id"] = env["CORNERSHOP_LWA_CLIENT_ID"].strip()
        if env.get("CORNERSHOP_LWA_CLIENT_SECRET"):
            kwargs["lwa_client_secret"] = env["CORNERSHOP_LWA_CLIENT_SECRET"].strip()
        if env.get("CORNERSHOP_EVENTS_STAGE"):
            stage = env["CORNERSHOP_EVENTS_STAGE"].strip().lower()
            if stage not in {"development", "live"}:
                raise ConfigError(
                    f"CORNERSHOP_EVENTS_STAGE={env['CORNERSHOP_EVENTS_STAGE']!r} is not a stage. "
                    "Use development (until Amazon certifies the skill) or live."
                )
            kwargs["events_stage"] = stage
        if env.get("CORNERSHOP_SHOP_NAME"):
            kwargs["shop_name"] = env["CORNERSHOP_SHOP_NAME"].strip()
        if env.get("CORNERSHOP_LIVE_URL"):
            kwargs["live_url"] = check_live_url(env["CORNERSHOP_LIVE_URL"].strip())
        if env.get("CORNERSHOP_LIVE_SECRET"):
            from skill.live_token import check_secret

            kwargs["live_secret"] = env["CORNERSHOP_LIVE_SECRET"].strip()
            check_secret(kwargs["live_secret"])  # refused at start-up, not per connection
        if "live_url" in kwargs and "live_secret" not in kwargs:
            raise ConfigError(
                "CORNERSHOP_LIVE_URL needs CORNERSHOP_LIVE_SECRET: the dashboard signs its "
                "WebSocket tokens with it. Give it the LiveSecret the template was deployed "
                "with, or unset CORNERSHOP_LIVE_URL to use the dashboard's own event stream."
            )
        if "CORNERSHOP_TRUSTED_PROXIES" in env:
            kwargs["trusted_proxies"] = _number(
                "CORNERSHOP_TRUSTED_PROXIES", env["CORNERSHOP_TRUSTED_PROXIES"], int, 0, MAX_PROXIES
            )
        if "CORNERSHOP_CATALOG_TTL" in env:
            kwargs["catalog_ttl"] = _number(
                "CORNERSHOP_CATALOG_TTL",
                env["CORNERSHOP_CATALOG_TTL"],
                float,
                0.0,
                MAX_CATALOG_TTL_S,
            )
        return cls(**kwargs)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)
