"""Requests that get no speech: session ends, errors Alexa reports, CanFulfill, the unknown."""

from __future__ import annotations

from ask_sdk_model import Response

from skill.errors import CornerShopError
from skill.handlers.base import ShopHandler, Turn
from skill.logs import get_logger, hashed

_log = get_logger("session")

#: Request types after which Alexa plays no speech and shows no card.
SILENT_PREFIXES = (
    "SessionEndedRequest",
    "System.ExceptionEncountered",
    "AudioPlayer.",
    "PlaybackController.",
)

# The intents we can fulfil when their Item slot names a catalog item.
_FULFILLABLE = frozenset(
    {"AddItemIntent", "PriceIntent", "RemoveItemIntent", "ItemQuestionIntent", "SetQuantityIntent"}
)


def is_silent(request_type: str | None) -> bool:
    return bool(request_type) and str(request_type).startswith(SILENT_PREFIXES)


class SessionEndedHandler(ShopHandler):
    request_type = "SessionEndedRequest"
    keeps_pending = True

    def respond(self, turn: Turn) -> Response:
        reason = getattr(turn.request.reason, "value", turn.request.reason)
        error = getattr(turn.request, "error", None)
        _log.info(
            "session ended user=%s reason=%s error=%s",
            hashed(turn.user_id),
            reason,
            getattr(
                getattr(error, "object_type", None), "value", getattr(error, "object_type", None)
            ),
        )
        return turn.silent()


class ExceptionEncounteredHandler(ShopHandler):
    request_type = "System.ExceptionEncountered"
    keeps_pending = True

    def respond(self, turn: Turn) -> Response:
        error = getattr(turn.request, "error", None)
        _log.warning(
            "Alexa reported an error with our last response user=%s type=%s",
            hashed(turn.user_id),
            getattr(error, "object_type", None),
        )
        return turn.silent()


class CanFulfillHandler(ShopHandler):
    """CanFulfillIntentRequest: answer from the catalog alone, never touching the store."""

    request_type = "CanFulfillIntentRequest"
    keeps_pending = True

    def respond(self, turn: Turn) -> Response:
        from ask_sdk_model.canfulfill import (
            CanFulfillIntent,
            CanFulfillIntentValues,
            CanFulfillSlot,
            CanFulfillSlotValues,
            CanUnderstandSlotValues,
        )

        name = getattr(turn.intent, "name", None)
        slots: dict[str, CanFulfillSlot] = {}
        verdict = CanFulfillIntentValues.NO
        if name in _FULFILLABLE:
            try:
                item = turn.item_slot()
            except CornerShopError:
                item = None
            understood = item is not None
            if turn.slot("Item") is not None:
                slots["Item"] = CanFulfillSlot(
                    can_understand=CanUnderstandSlotValues.YES
                    if understood
                    else CanUnderstandSlotValues.NO,
                    can_fulfill=CanFulfillSlotValues.YES if understood else CanFulfillSlotValues.NO,
                )
            if understood:
                verdict = CanFulfillIntentValues.YES
        elif name in {
            "ListCartIntent",
            "CheckoutIntent",
            "LastOrderIntent",
            "ReorderIntent",
            "BrowseCatalogIntent",
            "ClearCartIntent",
            "CartTotalIntent",
        }:
            # Not CancelOrderIntent: "cancel my order" said to Alexa without naming the
            # shop is as likely meant for any other shop, so we don't claim it.
            verdict = CanFulfillIntentValues.YES
        turn.hi.response_builder.set_can_fulfill_intent(
            CanFulfillIntent(can_fulfill=verdict, slots=slots or None)
        )
        return turn.hi.response_builder.response


class AnyOtherRequestHandler(ShopHandler):
    """Every other request type Alexa may send (APL events, skill events, ...): empty reply."""

    keeps_pending = True

    def can_handle(self, handler_input: object) -> bool:
        return True

    def respond(self, turn: Turn) -> Response:
        return turn.silent()
