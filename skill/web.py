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
Flask is imported only by this module.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

from skill.app import CornerShopSkill, build_skill
from skill.config import Settings
from skill.errors import BadRequest, ConfigError, StoreError, VerificationError
from skill.logs import get_logger

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
) -> Flask:
    """Build the web app. ``create_app({"store_url": "memory://"})`` works for tests."""
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

    @app.errorhandler(404)
    def not_found(_: Exception) -> Response:
        return _error("Not found. The Alexa endpoint is POST /alexa.", 404)

    @app.errorhandler(405)
    def method_not_allowed(_: Exception) -> Response:
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
