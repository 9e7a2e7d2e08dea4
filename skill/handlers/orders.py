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
        catalog = turn.catalog
        # What can't come back today: no longer sold (named as on the order), or out of stock.
        discontinued = [ln.name for ln in order.lines if ln.item_id not in catalog]
        out_of_stock = [
            item.name
            for ln in order.lines
            if (item := catalog.get(ln.item_id)) is not None and not item.in_stock
        ]
        available = [
            (item, ln.quantity)
            for ln in order.lines
            if (item := catalog.get(ln.item_id)) is not None and item.in_stock
        ]
        notes = []
        if discontinued:
            notes.append(
                turn.msg(
                    "reorder_discontinued", len(discontinued), items=turn.msg.join(discontinued)
                )
            )
        if out_of_stock:
            notes.append(
                turn.msg(
                    "reorder_out_of_stock", len(out_of_stock), items=turn.msg.join(out_of_stock)
                )
            )
        if not available:
            speech = " ".join([*notes, turn.msg("reorder_nothing", number=order.number)])
            return turn.ask(speech, turn.msg("ask_item"))
        capped = False
        added: int | None = None  # stays None when the store replays this request

        def change(cart: Cart) -> Cart:
            nonlocal capped, added
            capped, added = False, 0
            for item, wanted in available:
                room = MAX_PER_LINE - cart.quantity_of(item.id)
                quantity = min(room, wanted)
                capped = capped or quantity < wanted
                if quantity > 0:
                    # Today's price and name: the cart always holds items, not old prices.
                    cart = cart.add(item.id, quantity, price=item.price, name=item.name)
                    added += quantity
            return cart

        cart = turn.store.update_cart(turn.user_id, change, request_id=turn.request_id)
        if added is None:
            # A redelivery of a reorder already made: the order's items are back already.
            added = sum(quantity for _item, quantity in available)
        speech = turn.msg(
            "reorder_done",
            count=added,
            number=order.number,
            total=turn.say(cart.total(catalog)),
        )
        if order.currency != catalog.currency:
            # Ordered in another market: say plainly that these are local prices now.
            speech = f"{turn.msg('reorder_repriced')} {speech}"
        if capped:
            speech = f"{turn.msg('reorder_capped', limit=MAX_PER_LINE)} {speech}"
        if notes:
            speech = " ".join([*notes, speech])
        turn.set_pending("checkout_offer")
        return turn.ask(speech, turn.msg("reorder_reprompt"))
