"""The customer's view of past orders: status of the last one, and ordering it again."""

from __future__ import annotations

from ask_sdk_model import Response

from skill.domain.cart import MAX_PER_LINE, Cart
from skill.handlers.base import ShopHandler, Turn


class LastOrderHandler(ShopHandler):
    intents = frozenset({"LastOrderIntent"})

    def respond(self, turn: Turn) -> Response:
        order = turn.store.last_order(turn.user_id)
        if order is None:
            return turn.ask(turn.msg("last_order_none"), turn.msg("ask_item"))
        speech = turn.msg(
            "last_order",
            number=order.number,
            total=turn.say(order.total),
            status=turn.msg(f"status_{order.status.value}"),
        )
        return turn.ask(speech, turn.msg("reprompt_generic"))


class ReorderHandler(ShopHandler):
    intents = frozenset({"ReorderIntent"})

    def respond(self, turn: Turn) -> Response:
        order = turn.store.last_order(turn.user_id)
        if order is None:
            return turn.ask(turn.msg("last_order_none"), turn.msg("ask_item"))
        capped = False
        added: int | None = None  # stays None when the store replays this request

        def change(cart: Cart) -> Cart:
            nonlocal capped, added
            capped, added = False, 0
            for line in order.lines:
                if line.item_id not in turn.catalog:
                    continue
                room = MAX_PER_LINE - cart.quantity_of(line.item_id)
                quantity = min(room, line.quantity)
                capped = capped or quantity < line.quantity
                if quantity > 0:
                    cart = cart.add(line.item_id, quantity)
                    added += quantity
            return cart

        cart = turn.store.update_cart(turn.user_id, change, request_id=turn.request_id)
        if added is None:
            # A redelivery of a reorder already made: the order's items are back already.
            added = sum(ln.quantity for ln in order.lines if ln.item_id in turn.catalog)
        # Re-priced at today's prices: the cart always holds items, not prices.
        speech = turn.msg(
            "reorder_done",
            count=added,
            number=order.number,
            total=turn.say(cart.total(turn.catalog)),
        )
        if order.currency != turn.catalog.currency:
            # Ordered in another market: say plainly that these are local prices now.
            speech = f"{turn.msg('reorder_repriced')} {speech}"
        if capped:
            speech = f"{turn.msg('reorder_capped', limit=MAX_PER_LINE)} {speech}"
        turn.set_pending("checkout_offer")
        return turn.ask(speech, turn.msg("reorder_reprompt"))
