"""Launch and the built-in intents: yes/no on the pending question, help, repeat, stop."""

from __future__ import annotations

from ask_sdk_model import Response

from skill.errors import StoreError
from skill.handlers.base import YES_NO_KINDS, ShopHandler, Turn
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
        if kind == "more":  # "What else would you like?" "Yes."
            return turn.ask(turn.msg("yes_more"), turn.msg("ask_item_reprompt"))
        if kind == "cancel_order":
            from skill.handlers.orders import cancel_confirmed

            return cancel_confirmed(turn, int(pending["order"]))
        item = turn.catalog.get(pending["item"])
        assert item is not None  # Turn.pending only accepts catalog ids
        # add_to_cart checks the stock again: the offer may have sold out since.
        return add_to_cart(turn, item, int(pending.get("quantity", "1")))


def not_done(turn: Turn, pending: dict[str, str]) -> Response:
    """ "No" (or "cancel") to a yes/no question: say what was not done."""
    kind = pending["kind"]
    if kind in ("checkout", "checkout_offer"):
        return turn.ask(turn.msg("checkout_kept"), turn.msg("reprompt_generic"))
    if kind == "clear":
        return turn.ask(turn.msg("clear_kept"), turn.msg("reprompt_generic"))
    if kind == "cancel_order":
        speech = turn.msg("cancel_order_kept", number=pending["order"])
        return turn.ask(speech, turn.msg("reprompt_generic"))
    item = turn.catalog.get(pending["item"])
    assert item is not None  # Turn.pending only accepts catalog ids
    return turn.ask(turn.msg("add_not_done", item=item.name), turn.msg("reprompt_generic"))


class NoHandler(ShopHandler):
    intents = frozenset({"AMAZON.NoIntent"})
    keeps_pending = True

    def respond(self, turn: Turn) -> Response:
        pending = turn.pending
        turn.clear_pending()
        if pending is None:
            return turn.ask(turn.msg("no_nothing_pending"), turn.msg("reprompt_generic"))
        kind = pending["kind"]
        if kind == "more":  # "What else would you like?" "No." Then: shall I place it?
            return ask_to_confirm(turn)
        if kind == "alternative":
            return turn.ask(turn.msg("clear_kept"), turn.msg("reprompt_generic"))
        if kind in ("add", "checkout_offer"):
            return turn.ask(turn.msg("no_nothing_pending"), turn.msg("reprompt_generic"))
        return not_done(turn, pending)


class HelpHandler(ShopHandler):
    intents = frozenset({"AMAZON.HelpIntent"})
    keeps_pending = True

    def respond(self, turn: Turn) -> Response:
        pending = turn.pending
        if pending is not None and pending["kind"] in YES_NO_KINDS:
            question = pending_question(turn, pending)
            # The questions end with the hint already ("Say yes or no."): say it once.
            hint = turn.msg("yes_no_hint")
            asked = question.removesuffix(hint).rstrip()
            return turn.ask(turn.msg("help_pending", question=asked), question)
        cart = turn.store.get_cart(turn.user_id)
        if cart.is_empty:
            speech = turn.msg("help_general")
        else:
            speech = turn.msg("help_with_cart", count=cart.count)
        return turn.ask(speech, turn.msg("reprompt_generic"))


_PENDING_QUESTION = {
    "checkout": "checkout_reprompt",
    "checkout_offer": "reorder_reprompt",
    "clear": "clear_reprompt",
    "cancel_order": "cancel_order_reprompt",
}


def pending_question(turn: Turn, pending: dict[str, str]) -> str:
    """The yes/no question pending, as asked again: it names the item offered."""
    kind = pending["kind"]
    if kind in ("add", "alternative"):
        item = turn.catalog.get(pending["item"])
        assert item is not None  # Turn.pending only accepts catalog ids
        if kind == "alternative":
            return turn.msg("offer_alternative_reprompt", alternative=item.name)
        return turn.msg("offer_add_question", item=item.name)
    return turn.msg(_PENDING_QUESTION[kind])


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
    intents = frozenset({"AMAZON.StopIntent", "AMAZON.NavigateHomeIntent"})

    def respond(self, turn: Turn) -> Response:
        return goodbye(turn)


class CancelHandler(ShopHandler):
    """ "cancel": during a yes/no question it cancels just the question, and says what
    was not done; otherwise it leaves, like stop."""

    intents = frozenset({"AMAZON.CancelIntent"})
    keeps_pending = True

    def respond(self, turn: Turn) -> Response:
        pending = turn.pending
        turn.clear_pending()
        if pending is not None and pending["kind"] in YES_NO_KINDS:
            return not_done(turn, pending)
        return goodbye(turn)


def goodbye(turn: Turn) -> Response:
    try:
        saved = not turn.store.get_cart(turn.user_id).is_empty
    except StoreError:
        saved = False  # saying goodbye must not depend on the store
    return turn.tell(turn.msg("goodbye_saved" if saved else "goodbye"))


class UnhandledIntentHandler(ShopHandler):
    """Any intent we don't know (a newer model, a stale client): a helpful answer."""

    def respond(self, turn: Turn) -> Response:
        return turn.ask(turn.msg("unhandled"), turn.msg("reprompt_generic"))
