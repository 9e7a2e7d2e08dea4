"""The dashboard's two HTML pages, from templates in ``skill/web_static/``.

Jinja2 (installed with Flask) renders them with autoescaping on, so a staff name or
a message can never become markup. This module is Jinja2's only home. The pages'
script and styles are inlined with a fresh nonce per response, which the
Content-Security-Policy below names: nothing else may run or style the page, and no
route has to serve a file to a visitor who has not logged in.
"""

from __future__ import annotations

import functools
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import Environment

STATIC = Path(__file__).resolve().parent.parent / "web_static"


def content_security_policy(nonce: str, *, live_origin: str | None = None) -> str:
    """The pages' policy; ``live_origin`` (``wss://host``) is the one other place the
    dashboard may connect to: the live-updates WebSocket API on AWS."""
    connect = "'self'" if live_origin is None else f"'self' {live_origin}"
    return (
        "default-src 'none'; "
        f"script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        f"connect-src {connect}; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


@functools.cache
def _environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(
        loader=FileSystemLoader(STATIC),
        autoescape=select_autoescape(default=True, default_for_string=True),
        auto_reload=False,
    )


@functools.cache
def _asset(name: str) -> str:
    return (STATIC / name).read_text("utf-8")


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def login_page(*, nonce: str, csrf: str, message: str = "", name: str = "", hint: str = "") -> str:
    from markupsafe import Markup

    return (
        _environment()
        .get_template("shop_login.html")
        .render(
            nonce=nonce,
            csrf=csrf,
            message=message,
            name=name,
            hint=hint,
            styles=Markup(_asset("shop.css")),
        )
    )


def dashboard_page(*, nonce: str, csrf: str, staff: str, live: bool = False) -> str:
    """``live``: the page takes its updates from the WebSocket API (``/shop/live-token``
    says where), not from ``/shop/events``."""
    from markupsafe import Markup

    return (
        _environment()
        .get_template("shop_dashboard.html")
        .render(
            nonce=nonce,
            csrf=csrf,
            staff=staff,
            live="websocket" if live else "events",
            styles=Markup(_asset("shop.css")),
            script=Markup(_asset("shop.js")),
        )
    )
