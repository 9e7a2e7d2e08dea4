"""Exception handlers: a spoken apology, never a stack trace, and silence where required."""

from __future__ import annotations

import copy

from ask_sdk_core.dispatch_components import AbstractExceptionHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.errors import StoreError
from skill.handlers.system import is_silent
from skill.logs import get_logger, hashed
from skill.speech import messages_for
from skill.speech.ssml import escape

_log = get_logger("errors")


class ApologyHandler(AbstractExceptionHandler):  # type: ignore[misc]
    """Turns any exception into a valid response.

    Storage failures get the storage apology; anything else a generic one. Both
    keep the session open so the user can simply try again.
    """

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        envelope = handler_input.request_envelope
        request = envelope.request
        user = getattr(getattr(envelope.context, "system", None), "user", None)
        store_failure = isinstance(exception, StoreError)
        _log.log(
            30 if store_failure else 40,
            "request failed request_id=%s user=%s type=%s error=%s",
            getattr(request, "request_id", None),
            hashed(getattr(user, "user_id", None)),
            getattr(request, "object_type", None),
            type(exception).__name__,
            exc_info=not store_failure,
        )
        # A new response builder: the failed handler may have half-filled the old one.
        from ask_sdk_core.response_helper import ResponseFactory

        rb = ResponseFactory()
        handler_input.response_builder = rb
        # Roll the session back to what the request brought, so a pending
        # question survives the failure and "yes" can simply be said again.
        session = getattr(envelope, "session", None)
        if session is not None:
            original = session.attributes if isinstance(session.attributes, dict) else {}
            handler_input.attributes_manager.session_attributes = copy.deepcopy(original)
        if is_silent(getattr(request, "object_type", None)):
            return rb.response
        msg = messages_for(getattr(request, "locale", None))
        speech = msg("store_error" if store_failure else "error_generic")
        rb.speak(escape(speech)).ask(escape(msg("reprompt_generic")))
        rb.set_should_end_session(False)
        return rb.response
