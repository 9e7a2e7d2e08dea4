"""The customer's view of past orders: status of the last one, ordering it again, and
cancelling it while the shop has not prepared it yet."""

from __future__ import annotations

from ask_sdk_model import Response

from skill.domain.cart import MAX_PER_LINE, Cart
from skill.domain.orders import CUSTOMER_CANCELLABLE, OrderStatus
from skill.errors import OrderNotCancellable, OrderNotFound
from skill.handlers.base import ShopHandler, Turn
from skill.logs import get_logger, hashed

#: The pending question "Shall I cancel order N?": ``{"kind": ..., "order": "N"}``.
CANCEL_PENDING = "cancel_order"

_log = get_logger("orders")


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


class CancelOrderHandler(ShopHandler):
    """ "cancel my order": the last order, while it is placed, after a yes (cancel_confirmed)."""

    intents = frozenset({"CancelOrderIntent"})

    def respond(self, turn: Turn) -> Response:
        order = turn.store.last_order(turn.user_id)
        if order is None:
            return turn.ask(turn.msg("cancel_order_none"), turn.msg("reprompt_generic"))
        if order.status not in CUSTOMER_CANCELLABLE:
            # Said now, before any question: asking "shall I?" about an order that
            # can't be cancelled would only disappoint at the "yes".
            return _not_cancellable(turn, order.number, order.status)
        turn.set_pending(CANCEL_PENDING, order=str(order.number))
        speech = turn.msg("cancel_order_confirm", number=order.number, total=turn.say(order.total))
        return turn.ask(speech, turn.msg("cancel_order_reprompt"))


def cancel_confirmed(turn: Turn, number: int) -> Response:
    """The customer said yes to cancelling order ``number``: cancel it, say what happened.

    The store checks, in the same atomic write as the cancel, that the order is still
    placed and is this customer's; the question was asked a while ago, and the shop
    may have marked it ready since (then it is too late), or cancelled it itself. A
    number that is not one of this customer's orders (the session attributes come
    back from the client) is answered as if there were no order: nothing is said
    about anyone else's. A storage failure propagates: the customer hears the
    apology, the pending question is rolled back so "yes" can be said again, and
    nothing was cancelled (or, on DynamoDB, the store could not confirm it either
    way; a second "yes" then says it is already cancelled).
    """
    try:
        order = turn.store.cancel_order(turn.user_id, number)
    except OrderNotFound:
        return turn.ask(turn.msg("cancel_order_none"), turn.msg("reprompt_generic"))
    except OrderNotCancellable as refused:
        _log.info(
            "customer %s could not cancel order %d: it is %s",
            hashed(turn.user_id),
            refused.number,
            refused.status.value,
        )
        return _not_cancellable(turn, refused.number, refused.status)
    # Hashed id and order number only, like the shop's own "moved order" lines.
    _log.info("customer %s cancelled order %d", hashed(turn.user_id), order.number)
    return turn.ask(
        turn.msg("cancel_order_done", number=order.number), turn.msg("reprompt_generic")
    )


def _not_cancellable(turn: Turn, number: int, status: OrderStatus) -> Response:
    if status is OrderStatus.CANCELLED:
        speech = turn.msg("cancel_order_already", number=number)
    else:
        state = turn.msg(f"cancel_status_{status.value}")
        speech = turn.msg("cancel_order_too_late", number=number, status=state)
    return turn.ask(speech, turn.msg("reprompt_generic"))
