"""``build_skill``: the one factory every front door (Lambda, web, simulator, CLI) uses.

Build it once per process. Dispatch order is the order of ``_HANDLERS`` below:
specific request types and intents first, then the catch-alls.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from ask_sdk_core.exceptions import AskSdkException
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.request import Request

from skill import logs
from skill.catalog_source import CatalogSource
from skill.config import Settings
from skill.deadline import request_deadline
from skill.errors import BadRequest, ForeignSkillError
from skill.handlers.base import MAX_SESSION_BYTES, SESSION_KEYS, Services, ShopHandler
from skill.handlers.builtins import (
    CancelHandler,
    FallbackHandler,
    HelpHandler,
    LaunchHandler,
    NoHandler,
    RepeatHandler,
    StopHandler,
    UnhandledIntentHandler,
    YesHandler,
)
from skill.handlers.cart import (
    AddItemHandler,
    CartTotalHandler,
    ClearCartHandler,
    ListCartHandler,
    RemoveItemHandler,
    SetQuantityHandler,
)
from skill.handlers.catalog import BrowseHandler, ItemQuestionHandler, PriceHandler
from skill.handlers.checkout import CheckoutHandler
from skill.handlers.failures import ApologyHandler
from skill.handlers.interceptors import RememberSpeechInterceptor, RequestLogInterceptor
from skill.handlers.orders import CancelOrderHandler, LastOrderHandler, ReorderHandler
from skill.handlers.system import (
    AnyOtherRequestHandler,
    CanFulfillHandler,
    ExceptionEncounteredHandler,
    SessionEndedHandler,
    is_silent,
)
from skill.profile import AlexaProfile, BoundedApiClient, NameLookup
from skill.speech import messages_for
from skill.speech.ssml import escape
from skill.store import Store, open_store

RESPONSE_VERSION = "1.0"

# Dispatch order, top to bottom. The catch-alls must stay last.
_HANDLERS: tuple[type[ShopHandler], ...] = (
    LaunchHandler,
    AddItemHandler,
    RemoveItemHandler,
    SetQuantityHandler,
    ListCartHandler,
    CartTotalHandler,
    ClearCartHandler,
    PriceHandler,
    ItemQuestionHandler,
    BrowseHandler,
    CheckoutHandler,
    LastOrderHandler,
    ReorderHandler,
    CancelOrderHandler,
    YesHandler,
    NoHandler,
    HelpHandler,
    RepeatHandler,
    FallbackHandler,
    CancelHandler,
    StopHandler,
    SessionEndedHandler,
    ExceptionEncounteredHandler,
    CanFulfillHandler,
    UnhandledIntentHandler,  # any other IntentRequest
    AnyOtherRequestHandler,  # any other request type
)

_KNOWN_TYPES = frozenset(Request.discriminator_value_class_map)
# The request types whose handlers act for a user (a cart, an order).
_NEEDS_USER = frozenset({"LaunchRequest", "IntentRequest"})


class CornerShopSkill:
    """The built skill. ``handle`` takes an envelope dict and returns a response dict."""

    def __init__(
        self, settings: Settings, store: Store, sdk_skill: Any, catalogs: CatalogSource
    ) -> None:
        self.settings = settings
        self.store = store
        self.catalogs = catalogs
        self._sdk = sdk_skill
        self._serializer = sdk_skill.serializer

    def handle(self, envelope: Any, context: Any = None) -> dict[str, Any]:
        """Run one request envelope through the skill, within the request's time budget.

        Raises :class:`BadRequest` for something that is not an Alexa envelope at
        all, and :class:`ForeignSkillError` for another skill's request (before
        any storage is touched). Everything else gets a valid response.
        """
        with request_deadline(_request_budget(context)):
            return self._handle(envelope, context)

    def _handle(self, envelope: Any, context: Any) -> dict[str, Any]:
        request = _request_part(envelope)
        envelope = _upgrade_legacy(envelope, request)
        request = envelope["request"]
        self._check_skill_id(envelope)
        request_type = request["type"]
        envelope = _scrub_session(envelope)
        if request_type not in _KNOWN_TYPES:
            return _bare_response(envelope)
        try:
            parsed = self._serializer.deserialize(json.dumps(envelope), RequestEnvelope)
        except (
            AskSdkException,
            ValueError,
            TypeError,
            AttributeError,
            KeyError,
            RecursionError,
        ) as exc:
            # An envelope in a shape the SDK can't read (a newer field value,
            # a broken client): answer validly rather than fail the device.
            logs.get_logger("requests").warning(
                "unreadable %s envelope: %s", request_type, type(exc).__name__
            )
            return _apology_response(envelope, request)
        try:
            response = self._sdk.invoke(request_envelope=parsed, context=context)
            data: dict[str, Any] = self._serializer.serialize(response)
        except RecursionError:
            # Pathologically nested input the exception handlers can't even copy.
            logs.get_logger("requests").warning("%s envelope nested too deeply", request_type)
            return _apology_response(envelope, request)
        return data

    def handle_json(self, body: bytes | str, context: Any = None) -> dict[str, Any]:
        try:
            envelope = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise BadRequest("The request body is not valid JSON.") from exc
        return self.handle(envelope, context)

    def _check_skill_id(self, envelope: Mapping[str, Any]) -> None:
        expected = self.settings.skill_id
        if expected is None:
            return
        actual = application_id(envelope)
        if actual != expected:
            raise ForeignSkillError(
                "The request's application id does not match ALEXA_SKILL_ID, so it was refused."
            )

    def renew_after_restore(self) -> None:
        """Renew what must be unique per execution environment after a Lambda SnapStart
        restore: the store's network connections and cached credentials. Stores without
        any (memory, SQLite) have nothing to renew."""
        renew = getattr(self.store, "renew_connections", None)
        if callable(renew):
            renew()
        self.catalogs.invalidate()  # the snapshot's copy may be old: read the shop's now

    def close(self) -> None:
        self.store.close()


# The whole request's store calls must end in time for Alexa to hear an answer (or an
# apology) promptly; each store call also has its own, shorter deadline.
REQUEST_BUDGET_S = 3.0
# Kept back under Lambda so the response is returned before the function times out.
LAMBDA_MARGIN_S = 0.5


def _request_budget(context: Any) -> float:
    budget = REQUEST_BUDGET_S
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining_ms):
        # A context object that is not Lambda's keeps the default budget.
        with contextlib.suppress(TypeError, ValueError):
            budget = min(budget, float(remaining_ms()) / 1000 - LAMBDA_MARGIN_S)
    return max(budget, 0.0)


def application_id(envelope: Mapping[str, Any]) -> str | None:
    """``context.System.application.applicationId`` (``session`` is absent on some requests)."""
    try:
        value = envelope["context"]["System"]["application"]["applicationId"]
    except (KeyError, TypeError):
        return None
    return value if isinstance(value, str) else None


def _request_part(envelope: Any) -> dict[str, Any]:
    if not isinstance(envelope, dict):
        raise BadRequest("The request body must be a JSON object (an Alexa request envelope).")
    request = envelope.get("request")
    if not isinstance(request, dict) or not isinstance(request.get("type"), str):
        raise BadRequest("The envelope has no request.type, so it is not an Alexa request.")
    return request


# Epoch timestamps above this are milliseconds (1e11 s is the year 5138).
_EPOCH_MS_THRESHOLD = 100_000_000_000


def _upgrade_legacy(envelope: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """Bring envelopes from older simulators up to today's shape, or refuse them clearly.

    Two shapes are still sent by old tools: no ``context`` (the user and skill were then
    only in ``session``), and ``request.timestamp`` as a number of seconds or milliseconds
    since the epoch. Where the session carries the user and the application id, the
    context is rebuilt from it (the SDK reads ``context.System`` unguarded); otherwise
    the request cannot be attributed to anyone and is refused with :class:`BadRequest`
    (HTTP 400). The caller's envelope is not modified.
    """
    stamp = request.get("timestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool):
        request = {**request, "timestamp": _iso_from_epoch(stamp)}
        envelope = {**envelope, "request": request}
    context = envelope.get("context")
    system = context.get("System") if isinstance(context, dict) else None
    if isinstance(system, dict):
        return envelope
    if request.get("type") not in _NEEDS_USER:
        # Only launches and intents speak to a user's cart; every other request type is
        # answered without one, so a minimal context is enough.
        system = {}
    else:
        session = envelope.get("session")
        session = session if isinstance(session, dict) else {}
        application, user = session.get("application"), session.get("user")
        if not (
            isinstance(application, dict)
            and isinstance(application.get("applicationId"), str)
            and isinstance(user, dict)
            and isinstance(user.get("userId"), str)
            and user["userId"]
        ):
            raise BadRequest(
                "The envelope has no context.System, and its session does not name the "
                "application and user either. Send context.System as Alexa does."
            )
        system = {"application": application, "user": user}
    base = context if isinstance(context, dict) else {}
    return {**envelope, "context": {**base, "System": system}}


def _iso_from_epoch(value: float) -> str:
    seconds = value / 1000 if abs(value) >= _EPOCH_MS_THRESHOLD else value
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise BadRequest(
            f"The request.timestamp {value!r} is not a date: send an ISO 8601 time such as "
            "2026-12-01T10:15:00Z, or seconds or milliseconds since 1970."
        ) from exc
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _scrub_session(envelope: dict[str, Any]) -> dict[str, Any]:
    """Keep only the session attributes this skill writes, and only if they are small.

    They come back from the client, so anything else is noise or an attack: echoing
    it would grow every response (Alexa caps a response at 24 KB), and the SDK
    deep-copies it. The caller's envelope is not modified.
    """
    session = envelope.get("session")
    if not isinstance(session, dict) or not isinstance(session.get("attributes"), dict):
        return envelope
    attrs = session["attributes"]
    kept = {key: attrs[key] for key in SESSION_KEYS if key in attrs}
    try:
        if len(json.dumps(kept)) > MAX_SESSION_BYTES:
            kept = {}
    except (ValueError, TypeError, RecursionError):
        kept = {}
    if kept == attrs:
        return envelope
    return {**envelope, "session": {**session, "attributes": kept}}


def _session_attributes(envelope: dict[str, Any]) -> dict[str, Any] | None:
    """The attributes to echo in a reply we build ourselves (scrubbed like any other)."""
    session = _scrub_session(envelope).get("session")
    if not isinstance(session, dict):
        return None
    attrs = session.get("attributes")
    return attrs if isinstance(attrs, dict) else {}


def _bare_response(envelope: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"version": RESPONSE_VERSION, "response": {}}
    attrs = _session_attributes(envelope)
    if attrs is not None:
        out["sessionAttributes"] = attrs
    return out


def apology_response(envelope: Any) -> dict[str, Any]:
    """A valid response apologising for a server fault, for any envelope that parsed."""
    request = envelope.get("request") if isinstance(envelope, dict) else None
    if not isinstance(request, dict) or not isinstance(envelope, dict):
        return {"version": RESPONSE_VERSION, "response": {}}
    return _apology_response(envelope, request)


def _apology_response(envelope: dict[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
    if is_silent(request.get("type")):
        return _bare_response(envelope)
    locale = request.get("locale")
    msg = messages_for(locale if isinstance(locale, str) else None)
    out = _bare_response(envelope)
    out["response"] = {
        "outputSpeech": {"type": "SSML", "ssml": f"<speak>{escape(msg('error_generic'))}</speak>"},
        "reprompt": {
            "outputSpeech": {
                "type": "SSML",
                "ssml": f"<speak>{escape(msg('reprompt_generic'))}</speak>",
            }
        },
        "shouldEndSession": False,
    }
    return out


def build_skill(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    profile: NameLookup | None = None,
    clock: Callable[[], datetime] | None = None,
) -> CornerShopSkill:
    """Build the skill once. Pass ``store``/``profile``/``clock`` to replace the defaults."""
    settings = settings or Settings()
    logs.configure(settings.log_level)
    store = store if store is not None else open_store(settings.store_url, shop_id=settings.shop_id)
    # One per skill: the shop's catalog, re-read from the store at most every TTL.
    catalogs = CatalogSource(store, ttl_seconds=settings.catalog_ttl)
    services = Services(
        settings=settings,
        store=store,
        profile=profile if profile is not None else AlexaProfile(settings.profile_timeout),
        clock=clock or (lambda: datetime.now(UTC)),
        catalogs=catalogs,
    )
    builder = CustomSkillBuilder(api_client=BoundedApiClient(timeout=settings.profile_timeout))
    # The skill id is checked by CornerShopSkill before the SDK sees the request,
    # so a foreign request is refused with our own error, not AskSdkException.
    for handler in _HANDLERS:
        builder.add_request_handler(handler(services))
    builder.add_exception_handler(ApologyHandler())
    builder.add_global_request_interceptor(RequestLogInterceptor())
    builder.add_global_response_interceptor(RememberSpeechInterceptor())
    return CornerShopSkill(settings, store, builder.create(), catalogs)
