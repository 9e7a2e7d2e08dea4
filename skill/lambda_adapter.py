"""The Lambda front door: one handler for every way a Lambda function hears from Alexa.

Event shapes, told apart by their keys (AWS documents each):

* **Alexa Skills Kit trigger**: the Alexa request envelope itself (``version``,
  ``context``, ``request``). Alexa already verified nothing is forged on the way
  to Lambda, so no signature check; the skill id is checked when configured.
* **API Gateway REST API** (payload v1): ``httpMethod``, ``path``, ``requestContext``.
* **API Gateway HTTP API** (payload v2): ``version == "2.0"``, ``rawPath``,
  ``requestContext.http.method``.
* **Application Load Balancer**: ``requestContext.elb``.

HTTP-shaped events are treated exactly like the web service: ``POST .../alexa``
goes through :class:`skill.verification.RequestVerifier` (on unless settings turn
it off), ``GET .../healthz`` answers the health check, and the response has the
shape each source expects (``statusDescription`` for ALB). Bodies may be base64.
This module imports neither Flask nor the web module; cryptography loads only
when the first HTTP event needs verifying.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from skill.app import CornerShopSkill, apology_response
from skill.errors import BadRequest, ForeignSkillError, StoreError, VerificationError
from skill.logs import get_logger

MAX_BODY_BYTES = 128 * 1024
_log = get_logger("lambda")

Verifier = Callable[[Mapping[str, str], bytes], None]


def event_source(event: Any) -> str:
    """``alexa``, ``apigw-v1``, ``apigw-v2``, ``alb``, or ``unknown``."""
    if not isinstance(event, dict):
        return "unknown"
    context = event.get("requestContext")
    if isinstance(context, dict):
        if isinstance(context.get("elb"), dict):
            return "alb"
        if event.get("version") == "2.0" and isinstance(context.get("http"), dict):
            return "apigw-v2"
        if "httpMethod" in event:
            return "apigw-v1"
    if "request" in event and ("context" in event or "session" in event):
        return "alexa"
    return "unknown"


class LambdaAdapter:
    """Build once per container; call for every event."""

    def __init__(self, skill: CornerShopSkill, *, verifier: Verifier | None = None) -> None:
        self.skill = skill
        self._verifier = verifier
        self._warned = False

    def __call__(self, event: Any, context: Any = None) -> dict[str, Any]:
        source = event_source(event)
        if source == "alexa":
            return self._direct(event, context)
        if source == "unknown":
            raise BadRequest(
                "This Lambda event is neither an Alexa request nor an API Gateway or ALB "
                "HTTP event. Use the Alexa Skills Kit trigger, API Gateway or an ALB."
            )
        return self._http(source, event, context)

    # -- Alexa Skills Kit trigger ---------------------------------------------
    def _direct(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            return self.skill.handle(event, context)
        except ForeignSkillError:
            raise  # refused: Lambda reports the error to the caller, storage untouched
        except BadRequest as exc:
            _log.warning("unusable Alexa event: %s", exc)
            return apology_response(event)

    # -- HTTP events ------------------------------------------------------------
    def _verify(self) -> Verifier | None:
        if not self.skill.settings.verify_requests:
            if not self._warned:
                _log.warning("Alexa request verification is OFF for HTTP events.")
                self._warned = True
            return None
        if self._verifier is None:
            from skill.verification import RequestVerifier

            self._verifier = RequestVerifier(self.skill.settings.skill_id).verify
        return self._verifier

    def _http(self, source: str, event: dict[str, Any], context: Any) -> dict[str, Any]:
        method, path = _method_and_path(source, event)
        headers = _headers(event)
        multi = source == "alb" and isinstance(event.get("multiValueHeaders"), dict)

        def reply(status: int, payload: Mapping[str, Any]) -> dict[str, Any]:
            return _response(source, status, payload, multi=multi)

        if path.endswith("/healthz"):
            if method not in ("GET", "HEAD"):
                return reply(405, {"error": "Use GET for /healthz."})
            try:
                self.skill.store.ping()
            except StoreError:
                return reply(503, {"status": "unavailable"})
            return reply(200, {"status": "ok"})
        if not path.endswith("/alexa"):
            return reply(404, {"error": "Not found. The Alexa endpoint is POST /alexa."})
        if method != "POST":
            return reply(405, {"error": "Method not allowed. Alexa sends POST requests."})
        try:
            body = _body(event)
        except BadRequest as exc:
            return reply(400, {"error": str(exc)})
        if len(body) > MAX_BODY_BYTES:
            return reply(413, {"error": "The request body is larger than 128 KB."})
        verify = self._verify()
        if verify is not None:
            try:
                verify(headers, body)
            except VerificationError as exc:
                _log.info("rejected request: %s", exc)
                return reply(400, {"error": str(exc)})
        try:
            envelope = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return reply(400, {"error": "The request body is not valid JSON."})
        try:
            return reply(200, self.skill.handle(envelope, context))
        except BadRequest as exc:
            return reply(400, {"error": str(exc)})
        except Exception:
            _log.exception("unhandled error while handling an HTTP event")
            return reply(500, apology_response(envelope))


def _method_and_path(source: str, event: Mapping[str, Any]) -> tuple[str, str]:
    if source == "apigw-v2":
        http = event["requestContext"]["http"]
        return str(http.get("method", "")).upper(), str(
            event.get("rawPath") or http.get("path", "")
        )
    return str(event.get("httpMethod", "")).upper(), str(event.get("path") or "")


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    """Headers as one dict, lower-cased names (ALB and REST APIs may send multi-value ones)."""
    out: dict[str, str] = {}
    multi = event.get("multiValueHeaders")
    if isinstance(multi, dict):
        for name, values in multi.items():
            if isinstance(values, list) and values:
                out[str(name).lower()] = str(values[-1])
    single = event.get("headers")
    if isinstance(single, dict):
        for name, value in single.items():
            if value is not None:
                out[str(name).lower()] = str(value)
    return out


def _body(event: Mapping[str, Any]) -> bytes:
    raw = event.get("body")
    if raw is None:
        return b""
    if not isinstance(raw, str):
        raise BadRequest("The event body must be a string.")
    if event.get("isBase64Encoded"):
        import base64
        import binascii

        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest("The event body is marked base64 but is not valid base64.") from exc
    return raw.encode("utf-8")


def _response(
    source: str, status: int, payload: Mapping[str, Any], *, multi: bool = False
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "statusCode": status,
        "body": json.dumps(payload),
        "isBase64Encoded": False,
    }
    # An ALB target group with multi-value headers on expects them back the same way.
    if multi:
        response["multiValueHeaders"] = {"Content-Type": ["application/json"]}
    else:
        response["headers"] = {"Content-Type": "application/json"}
    if source == "alb":
        from http import HTTPStatus

        response["statusDescription"] = f"{status} {HTTPStatus(status).phrase}"
    return response
