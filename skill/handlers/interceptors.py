"""Interceptors: one log line per request (hashed user id), and remembering speech for Repeat."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import (
    AbstractRequestInterceptor,
    AbstractResponseInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.handlers.builtins import LAST_SPOKEN
from skill.logs import get_logger, hashed
from skill.speech.ssml import to_text

_log = get_logger("requests")


class RequestLogInterceptor(AbstractRequestInterceptor):  # type: ignore[misc]
    def process(self, handler_input: HandlerInput) -> None:
        if not _log.isEnabledFor(logging.DEBUG):
            return  # don't even hash the user id
        envelope = handler_input.request_envelope
        request = envelope.request
        intent = getattr(getattr(request, "intent", None), "name", None)
        user = getattr(getattr(envelope.context, "system", None), "user", None)
        _log.debug(
            "request id=%s type=%s intent=%s user=%s",
            request.request_id,
            request.object_type,
            intent,
            hashed(getattr(user, "user_id", None)),
        )


class RememberSpeechInterceptor(AbstractResponseInterceptor):  # type: ignore[misc]
    """Keep the last question in the session so AMAZON.RepeatIntent can say it again."""

    def process(self, handler_input: HandlerInput, response: Response) -> None:
        if response is None or response.should_end_session is not False:
            return
        if handler_input.request_envelope.session is None:
            return
        speech = getattr(response.output_speech, "ssml", None)
        reprompt = getattr(getattr(response.reprompt, "output_speech", None), "ssml", None)
        session = handler_input.attributes_manager.session_attributes
        if isinstance(session, dict) and speech and reprompt:
            session[LAST_SPOKEN] = {"speech": to_text(speech), "reprompt": to_text(reprompt)}
