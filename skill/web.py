"""The Flask web service: ``POST /alexa`` with full request verification, ``GET /healthz``.

``create_app(settings)`` builds the skill once per process. Verification is on
unless ``verify_requests`` is false, and turning it off logs a loud warning.

HTTP semantics, for Alexa certification and load balancers:

* 400 + ``{"error": "..."}`` for every verification failure and malformed body,
* 405 for other methods on ``/alexa``, 413 for bodies over 128 KB,
* 500 only for true server faults, and then still a valid Alexa apology when
  the envelope parsed,
* ``/healthz``: 200 ``{"status": "ok"}`` after a cheap store check, else 503.

Development mode (``dev_mode``) adds the simulator page at ``/``; in production
those routes do not exist (404), so the page can never bypass verification.

The shop staff dashboard lives under ``/shop`` (see :mod:`skill.dashboard`, which
decides everything; this module only maps HTTP onto it). Without a valid staff
session every ``/shop`` route answers only the login page: pages redirect to
``/shop/login``, JSON and event-stream routes answer 401, unknown paths and methods
under ``/shop`` too. Sessions are Flask's signed cookie, signed with the shop's own
secret from the store, ``HttpOnly``, ``SameSite=Strict``, limited to ``/shop``, and
``Secure`` except over plain HTTP on loopback. ``GET /shop/live-token`` gives a
logged-in member a short-lived token for the WebSocket API on AWS
(``CORNERSHOP_LIVE_URL``); ``GET /shop/notifications?orders=N,...`` says what became
of those orders' "ready" notifications (as kept on the orders in the store, whichever
process sent them). A logout is recorded in the store, so every process refuses the
session from then on (within a few seconds: :data:`skill.dashboard.service.REVOCATION_CHECK_S`).

Behind reverse proxies (``CORNERSHOP_TRUSTED_PROXIES``), Werkzeug's ``ProxyFix`` takes
the client's address and scheme from their ``X-Forwarded-For``/``-Proto``.

Flask is imported only by this module, and so is Werkzeug's ProxyFix.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, redirect, request, session
from flask.sessions import SecureCookieSessionInterface

from skill.app import CornerShopSkill, build_skill
from skill.config import Settings
from skill.errors import (
    BadRequest,
    ConfigError,
    CornerShopError,
    InvalidStatusChange,
    OrderNotFound,
    StoreError,
    VerificationError,
)
from skill.logs import get_logger

if TYPE_CHECKING:
    from itsdangerous import URLSafeTimedSerializer

    from skill.dashboard import Dashboard, StaffDirectory
    from skill.shop_actions import OrderHook

MAX_BODY_BYTES = 128 * 1024
NO_VERIFY_WARNING = (
    "WARNING: Alexa request verification is OFF. Anyone who can reach this server can "
    "send it requests as any user. Use this only for local testing."
)
_log = get_logger("web")

#: Runs one envelope through the endpoint's own dispatch (everything but verification).
Dispatch = Callable[[Mapping[str, Any]], dict[str, Any]]
#: Given the JSON a dev page posts and the endpoint's dispatch, return what the page shows.
DevConsole = Callable[[Mapping[str, Any], Dispatch], Mapping[str, Any]]
Verifier = Callable[[Mapping[str, str], bytes], None]


def _settings(value: Settings | Mapping[str, Any] | None) -> Settings:
    if value is None:
        return Settings.from_env()
    if isinstance(value, Settings):
        return value
    known = {f.name for f in fields(Settings)}
    unknown = set(value) - known
    if unknown:
        raise ConfigError(
            f"Unknown setting(s) {sorted(unknown)} for create_app. Valid ones: {sorted(known)}."
        )
    return Settings(**dict(value))


def _json(data: Any, status: int) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def _error(message: str, status: int) -> Response:
    return _json({"error": message}, status)


def create_app(
    settings: Settings | Mapping[str, Any] | None = None,
    *,
    skill: CornerShopSkill | None = None,
    verifier: Verifier | None = None,
    dev_console: DevConsole | None = None,
    staff: StaffDirectory | None = None,
    order_hooks: Sequence[OrderHook] = (),
    dashboard: Dashboard | None = None,
) -> Flask:
    """Build the web app. ``create_app({"store_url": "memory://"})`` works for tests.

    The staff dashboard keeps its accounts in ``staff`` (default: the skill's store);
    ``order_hooks`` run after each status change made there (a "ready" notification);
    ``dashboard`` replaces the whole dashboard (tests: short streams, a clock).
    """
    cfg = _settings(settings)
    skill = skill or build_skill(cfg)
    verify: Verifier | None = None
    if cfg.verify_requests:
        if verifier is None:
            from skill.verification import RequestVerifier

            verifier = RequestVerifier(cfg.skill_id).verify
        verify = verifier
    else:
        _log.warning(NO_VERIFY_WARNING)
        print(NO_VERIFY_WARNING, file=sys.stderr)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    if cfg.trusted_proxies:
        # Behind N proxies, the client is the Nth address from the right of
        # X-Forwarded-For (what an attacker puts further left is never read), and the
        # scheme the browser used is X-Forwarded-Proto. Without the setting both
        # headers are ignored: anyone can send them.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = cfg.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.extensions["cornershop"] = skill

    @app.post("/alexa")
    def alexa() -> Response:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _error("The request body is larger than 128 KB.", 413)
        body = request.get_data(cache=False)
        if verify is not None:
            try:
                verify(dict(request.headers), body)
            except VerificationError as exc:
                _log.info("rejected request: %s", exc)
                return _error(str(exc), 400)
        try:
            envelope = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _error("The request body is not valid JSON.", 400)
        status, payload = _answer(skill, envelope)
        return _json(payload, status)

    @app.get("/healthz")
    def healthz() -> Response:
        try:
            skill.store.ping()
        except StoreError:
            return _json({"status": "unavailable"}, 503)
        return _json({"status": "ok"}, 200)

    if cfg.dev_mode:

        def dispatch(envelope: Mapping[str, Any]) -> dict[str, Any]:
            status, payload = _answer(skill, envelope)
            if status == 400:
                raise BadRequest(str(payload.get("error")))
            return payload

        _add_dev_routes(app, dev_console, dispatch)

    if dashboard is None:
        from skill.dashboard import Dashboard
        from skill.dashboard.staff import staff_directory

        live = None
        if cfg.live_url:
            from skill.dashboard.service import LiveLink

            live = LiveLink(cfg.live_url, cfg.live_secret or "")
        dashboard = Dashboard(
            skill.store,
            staff if staff is not None else staff_directory(skill.store),
            zone=cfg.zone,
            hooks=order_hooks,
            live=live,
        )
    _add_shop_routes(app, dashboard)

    @app.errorhandler(404)
    def not_found(_: Exception) -> Response:
        if _is_shop(request.path):
            return _shop_refusal(dashboard, 404, "There is no such page in the dashboard.")
        return _error("Not found. The Alexa endpoint is POST /alexa.", 404)

    @app.errorhandler(405)
    def method_not_allowed(_: Exception) -> Response:
        if _is_shop(request.path):
            return _shop_refusal(dashboard, 405, "That method is not allowed here.")
        return _error("Method not allowed. Alexa sends POST requests to /alexa.", 405)

    @app.errorhandler(413)
    def too_large(_: Exception) -> Response:
        return _error("The request body is larger than 128 KB.", 413)

    return app


def _answer(skill: CornerShopSkill, envelope: Any) -> tuple[int, dict[str, Any]]:
    """Run a parsed envelope through the skill: (HTTP status, JSON body)."""
    try:
        return 200, skill.handle(envelope)
    except BadRequest as exc:
        return 400, {"error": str(exc)}
    except Exception:
        # A true server fault. The envelope parsed, so Alexa still gets a valid
        # response that apologises, rather than "a problem with the skill's response".
        _log.exception("unhandled error while handling a request")
        from skill.app import apology_response

        return 500, apology_response(envelope)


def _add_dev_routes(app: Flask, console: DevConsole | None, dispatch: Dispatch) -> None:
    page = (Path(__file__).parent / "web_static" / "simulator.html").read_text("utf-8")

    @app.get("/")
    def simulator_page() -> Response:
        return Response(page, mimetype="text/html")

    @app.post("/dev/say")
    def dev_say() -> Response:
        if console is None:
            return _error(
                "The simulator is not attached; start with `cornershop serve --dev`.", 503
            )
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return _error('Send a JSON object like {"utterance": "add milk"}.', 400)
        try:
            return _json(dict(console(data, dispatch)), 200)
        except BadRequest as exc:
            return _error(str(exc), 400)


# -- the shop staff dashboard (/shop) -------------------------------------------------
_SHOP = "/shop"
_COOKIE = "cornershop_staff"
_NO_STORE = "no-store"
_LOGIN_FIRST = "Log in first, at /shop/login."
_NO_COOKIE = (
    "Your browser did not send back the login form's cookie, so nothing was checked. "
    "Reload this page and log in again."
)
_HTTPS_HINT = (
    "The dashboard's cookie is only kept over HTTPS (or plain HTTP on this machine's "
    "loopback address). Open the dashboard through HTTPS, or at http://127.0.0.1 on "
    "the machine that runs it."
)
_STORE_DOWN = "The shop's store cannot be reached just now. Try again in a moment."


def _is_shop(path: str) -> bool:
    return path == _SHOP or path.startswith(_SHOP + "/")


class _ShopSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, for ``/shop`` only, signed with the shop's secret.

    Every other path gets no session at all (``POST /alexa`` never reads a cookie or
    the store's secret). If the secret cannot be read (the store is down), the
    request gets a null session and the route answers 503.
    """

    def __init__(self, dashboard: Dashboard) -> None:
        self._dashboard = dashboard

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        from itsdangerous import URLSafeTimedSerializer

        try:
            key = self._dashboard.secret()
        except CornerShopError as exc:
            _log.warning("no session secret for the dashboard: %s", type(exc).__name__)
            return None
        return URLSafeTimedSerializer(
            key,
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )

    def open_session(self, app: Flask, request: Any) -> Any:
        if not _is_shop(request.path):
            return None
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        from skill.dashboard.auth import cookie_secure

        return cookie_secure(request.host, request.scheme)


def _session_ok() -> bool:
    return not SecureCookieSessionInterface().is_null_session(session)


def _shop_staff(dashboard: Dashboard) -> str | None:
    """The logged-in staff member, or None. StoreError propagates (503)."""
    if not _session_ok():
        raise StoreError(_STORE_DOWN)
    return dashboard.staff_for(session)


def _wants_page() -> bool:
    return request.method == "GET" and request.path in (_SHOP, _SHOP + "/")


def _shop_refusal(dashboard: Dashboard, status: int, message: str) -> Response:
    """What any /shop route answers: the login page without a session, else ``message``."""
    try:
        staff = _shop_staff(dashboard)
    except CornerShopError:
        staff = None
    if staff is None:
        return _to_login()
    return _error(message, status)


def _to_login() -> Response:
    if request.method in ("GET", "HEAD") and not _is_api():
        return redirect(f"{_SHOP}/login", code=303)  # type: ignore[return-value]
    return _error(_LOGIN_FIRST, 401)


def _is_api() -> bool:
    return request.path.startswith(
        tuple(
            f"{_SHOP}/{api}"
            for api in ("orders", "events", "session", "catalog", "live-token", "notifications")
        )
    )


def _login_response(
    dashboard: Dashboard, status: int, message: str = "", *, name: str = "", hint: str = ""
) -> Response:
    from skill.dashboard.pages import content_security_policy, login_page, new_nonce

    nonce = new_nonce()
    csrf = dashboard.csrf_token(session) if _session_ok() else ""
    page = login_page(nonce=nonce, csrf=csrf, message=message, name=name, hint=hint)
    resp = Response(page, status=status, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = content_security_policy(nonce)
    return resp


def _csrf_ok() -> bool:
    from skill.dashboard.auth import CSRF_FIELD, CSRF_HEADER, csrf_matches

    token = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD)
    return _session_ok() and csrf_matches(session, token)


def _add_shop_routes(app: Flask, dashboard: Dashboard) -> None:
    from skill.dashboard.auth import SESSION_LIFETIME
    from skill.dashboard.pages import content_security_policy, dashboard_page, new_nonce
    from skill.dashboard.service import ACTIONS, DashboardUnavailable
    from skill.shop_actions import public_order

    app.session_interface = _ShopSessions(dashboard)
    app.config.update(
        SESSION_COOKIE_NAME=_COOKIE,
        SESSION_COOKIE_PATH=_SHOP,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=SESSION_LIFETIME),
    )
    app.extensions["cornershop.dashboard"] = dashboard

    @app.after_request
    def shop_headers(resp: Response) -> Response:
        if _is_shop(request.path):
            resp.headers["Cache-Control"] = _NO_STORE
            resp.headers["X-Content-Type-Options"] = "nosniff"
            resp.headers["Referrer-Policy"] = "same-origin"
            resp.headers["X-Frame-Options"] = "DENY"
            resp.headers.setdefault(
                "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"
            )
        return resp

    @app.errorhandler(StoreError)
    def store_down(exc: StoreError) -> Response:
        _log.warning("dashboard request failed: %s", type(exc).__name__)
        if _wants_page() or request.path == f"{_SHOP}/login":
            return _login_response(dashboard, 503, _STORE_DOWN)
        return _error(_STORE_DOWN, 503)

    @app.errorhandler(DashboardUnavailable)
    def unavailable(exc: DashboardUnavailable) -> Response:
        if request.path == f"{_SHOP}/login":
            return _login_response(dashboard, 503, str(exc))
        return _error(str(exc), 503)

    @app.get(_SHOP)
    @app.get(f"{_SHOP}/")
    def shop_page() -> Response:
        staff = _shop_staff(dashboard)
        if staff is None:
            return _to_login()
        nonce = new_nonce()
        live = dashboard.live
        page = dashboard_page(
            nonce=nonce, csrf=dashboard.csrf_token(session), staff=staff, live=live is not None
        )
        resp = Response(page, mimetype="text/html")
        resp.headers["Content-Security-Policy"] = content_security_policy(
            nonce, live_origin=live.origin if live is not None else None
        )
        return resp

    @app.get(f"{_SHOP}/login")
    def login_form() -> Response:
        if _session_ok() and dashboard.staff_for(session) is not None:
            return redirect(_SHOP, code=303)  # type: ignore[return-value]
        return _login_response(dashboard, 200)

    @app.post(f"{_SHOP}/login")
    def login() -> Response:
        name = request.form.get("name", "")[:64]
        if not _csrf_ok():
            from skill.dashboard.auth import cookie_secure

            hint = _HTTPS_HINT if cookie_secure(request.host, request.scheme) else ""
            return _login_response(dashboard, 403, _NO_COOKIE, name=name, hint=hint)
        result = dashboard.login(name, request.form.get("password", ""), request.remote_addr or "-")
        if result.staff is None:
            resp = _login_response(dashboard, result.status, result.message, name=name)
            if result.retry_after:
                resp.headers["Retry-After"] = str(result.retry_after)
            return resp
        claims = dashboard.claims(result.staff)
        session.clear()  # a new session id and CSRF token: nothing from before login survives
        session.update(claims)
        return redirect(_SHOP, code=303)  # type: ignore[return-value]

    @app.post(f"{_SHOP}/logout")
    def logout() -> Response:
        if _shop_staff(dashboard) is None:
            return _to_login()
        if not _csrf_ok():
            return _error("The logout form's token is missing or stale. Reload the page.", 403)
        dashboard.logout(session)
        return redirect(f"{_SHOP}/login", code=303)  # type: ignore[return-value]

    def api_staff() -> str | Response:
        staff = _shop_staff(dashboard)
        return staff if staff is not None else _error(_LOGIN_FIRST, 401)

    @app.get(f"{_SHOP}/session")
    def session_info() -> Response:
        staff = api_staff()
        if isinstance(staff, Response):
            return staff
        return _json({"staff": staff}, 200)

    @app.get(f"{_SHOP}/orders")
    def todays_orders() -> Response:
        staff = api_staff()
        if isinstance(staff, Response):
            return staff
        return _json(dashboard.today(), 200)

    @app.post(f"{_SHOP}/orders/<int:number>/<action>")
    def order_action(number: int, action: str) -> Response:
        staff = api_staff()
        if isinstance(staff, Response):
            return staff
        if not _csrf_ok():
            return _error("The request carries no valid CSRF token. Reload the page.", 403)
        if action not in ACTIONS:
            return _error(
                f"There is no action {action[:20]!r}: use ready, collected or cancel.", 404
            )
        try:
            order = dashboard.move(staff, number, action)
        except OrderNotFound as exc:
            return _error(str(exc), 404)
        except InvalidStatusChange as exc:
            return _error(str(exc), 409)
        return _json({"order": public_order(order)}, 200)

    @app.get(f"{_SHOP}/catalog")
    def stock_switches() -> Response:
        staff = api_staff()
        if isinstance(staff, Response):
            return staff
        from skill.dashboard.stock import stock_list

        return _json(stock_list(dashboard.store), 200)

    @app.post(f"{_SHOP}/catalog/<item_id>/<state>")
    def switch_stock(item_id: str, state: str) -> Response:
        staff = api_staff()
        if isinstance(staff, Response):
            return staff
        if not _csrf_ok():
            return _error("The request carries no valid CSRF token. Reload the page.", 403)
        if state not in ("in", "out"):
            return _error("Switch an item in or out of stock: /in or /out.", 404)
        from skill.dashboard.stock import UnknownStockItem, set_stock

        try:
            item = set_stock(dashboard.store, item_id, state == "in", actor=staff)
        except UnknownStockItem as exc:
            return _error(str(exc), 404)
        return _json({"item": item}, 200)

    @app.get(f"{_SHOP}/events")
    def events() -> Response:
        staff = api_staff()
        if isinstance(staff, Response):
            return staff
        cursor = request.headers.get("Last-Event-ID") or request.args.get("after")
        return Response(
            # A copy of the session: the stream outlives the request, and checks it again.
            dashboard.events(cursor, dict(session)),
            mimetype="text/event-stream",
            headers={"X-Accel-Buffering": "no"},  # proxies: don't hold events back
        )

    @app.get(f"{_SHOP}/live-token")
    def live_token() -> Response:
        # A fresh token per WebSocket connection (they live 2 minutes): the WebSocket
        # API on AWS is another origin, which never sees this session's cookie.
        staff = api_staff()
        if isinstance(staff, Response):
            return staff
        ticket = dashboard.live_ticket(staff)
        if ticket is None:
            return _error(
                "This dashboard has no WebSocket API (CORNERSHOP_LIVE_URL is unset); its "
                "live updates come from /shop/events.",
                404,
            )
        return _json(ticket, 200)

    @app.get(f"{_SHOP}/notifications")
    def notifications() -> Response:
        staff = api_staff()
        if isinstance(staff, Response):
            return staff
        from skill.dashboard.service import MAX_NOTIFICATION_QUERY

        raw = request.args.get("orders", "")
        parts = [p for p in raw.split(",") if p] if len(raw) < 2000 else None
        if (
            parts is None
            or len(parts) > MAX_NOTIFICATION_QUERY
            or not all(p.isascii() and p.isdigit() and len(p) < 10 for p in parts)
        ):
            return _error(
                f"Ask for up to {MAX_NOTIFICATION_QUERY} order numbers, as ?orders=1001,1002.",
                400,
            )
        states = dashboard.notification_states(int(p) for p in parts)
        return _json({"notifications": states}, 200)
