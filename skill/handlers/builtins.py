"""Launch and the built-in intents: yes/no on the pending question, help, repeat, stop."""

from __future__ import annotations

from ask_sdk_model import Response

from skill.errors import StoreError
from skill.handlers.base import ShopHandler, Turn
from skill.handlers.cart import add_to_cart, clear_confirmed
from skill.handlers.checkout import ask_to_confirm, place_order

LAST_SPOKEN = "last_spoken"
MAX_REPEAT_CHARS = 7000


class LaunchHandler(ShopHandler):
    request_type = "LaunchRequest"

    def respond(self, turn: Turn) -> Response:
        cart = turn.store.get_cart(turn.user_id)
        if cart.is_empty:
            speech = turn.msg("launch_new")
        else:
            speech = turn.msg("launch_with_cart", count=cart.count)
        return turn.ask(speech, turn.msg("reprompt_generic"))


class YesHandler(ShopHandler):
    intents = frozenset({"AMAZON.YesIntent"})
    keeps_pending = True

    def respond(self, turn: Turn) -> Response:
        pending, quote = turn.pending, turn.quote
        turn.clear_pending()
        if pending is None:
            return turn.ask(turn.msg("yes_nothing_pending"), turn.msg("reprompt_generic"))
        kind = pending["kind"]
        if kind == "checkout":
            return place_order(turn, quote)
        if kind == "checkout_offer":
            return ask_to_confirm(turn)
        if kind == "clear":
            return clear_confirmed(turn)
        item = turn.catalog.get(pending["item"])
        assert item is not None  # Turn.pending only accepts catalog ids
        # add_to_cart checks the stock again: the offer may have sold out since.
        return add_to_cart(turn, item, int(pending.get("quantity", "1")))


class NoHandler(ShopHandler):
    intents = frozenset({"AMAZON.NoIntent"})
    keeps_pending = True

    def respond(self, turn: Turn) -> Response:
        pending = turn.pending
        turn.clear_pending()
        if pending is not None and pending["kind"] == "checkout":
            return turn.ask(turn.msg("checkout_kept"), turn.msg("reprompt_generic"))
        if pending is not None and pending["kind"] in ("clear", "alternative"):
            return turn.ask(turn.msg("clear_kept"), turn.msg("reprompt_generic"))
        return turn.ask(turn.msg("no_nothing_pending"), turn.msg("reprompt_generic"))


_PENDING_QUESTION = {
    "checkout": "checkout_reprompt",
    "checkout_offer": "reorder_reprompt",
    "clear": "clear_reprompt",
    "add": "price_offer",
}


class HelpHandler(ShopHandler):
    intents = frozenset({"AMAZON.HelpIntent"})
    keeps_pending = True

    def respond(self, turn: Turn) -> Response:
        pending = turn.pending
        if pending is not None and pending["kind"] == "alternative":
            item = turn.catalog.get(pending["item"])
            assert item is not None  # Turn.pending only accepts catalog ids
            question = turn.msg("offer_alternative_reprompt", alternative=item.name)
            return turn.ask(turn.msg("help_pending", question=question), question)
        if pending is not None:
            question = turn.msg(_PENDING_QUESTION[pending["kind"]])
            return turn.ask(turn.msg("help_pending", question=question), question)
        cart = turn.store.get_cart(turn.user_id)
        if cart.is_empty:
            speech = turn.msg("help_general")
        else:
            speech = turn.msg("help_with_cart", count=cart.count)
        return turn.ask(speech, turn.msg("reprompt_generic"))


class RepeatHandler(ShopHandler):
    intents = frozenset({"AMAZON.RepeatIntent"})
    keeps_pending = True

    def respond(self, turn: Turn) -> Response:
        last = turn.session.get(LAST_SPOKEN)
        if (
            isinstance(last, dict)
            and isinstance(last.get("speech"), str)
            and isinstance(last.get("reprompt"), str)
            # It comes back from the client: never repeat more than we could have said.
            and len(last["speech"]) <= MAX_REPEAT_CHARS
            and len(last["reprompt"]) <= MAX_REPEAT_CHARS
        ):
            return turn.ask(last["speech"], last["reprompt"])
        return turn.ask(turn.msg("repeat_nothing"), turn.msg("reprompt_generic"))


class FallbackHandler(ShopHandler):
    intents = frozenset({"AMAZON.FallbackIntent"})
    keeps_pending = True

    def respond(self, turn: Turn) -> Response:
        return turn.ask(turn.msg("fallback"), turn.msg("reprompt_generic"))


class StopHandler(ShopHandler):
    intents = frozenset({"AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent"})

    def respond(self, turn: Turn) -> Response:
        try:
            saved = not turn.store.get_cart(turn.user_id).is_empty
        except StoreError:
            saved = False  # saying goodbye must not depend on the store
        return turn.tell(turn.msg("goodbye_saved" if saved else "goodbye"))


class UnhandledIntentHandler(ShopHandler):
    """Any intent we don't know (a newer model, a stale client): a helpful answer."""

    def respond(self, turn: Turn) -> Response:
        return turn.ask(turn.msg("unhandled"), turn.msg("reprompt_generic"))
