"""Adding to, removing from, listing and clearing the cart."""

from __future__ import annotations

from ask_sdk_model import Response

from skill.domain.cart import Cart
from skill.domain.catalog import Item
from skill.errors import InvalidQuantity, ItemNotInCart, LineLimitExceeded, UnknownItem
from skill.handlers.base import ShopHandler, Turn

LIST_LINES_SPOKEN = 5


def cart_lines(turn: Turn, cart: Cart) -> list[str]:
    lines = []
    for line in cart.lines:
        item = turn.catalog.get(line.item_id)
        if item is not None:
            lines.append(item.phrase(line.quantity))
    return lines


def unknown_item(turn: Turn, exc: UnknownItem) -> Response:
    return turn.ask(turn.msg("unknown_item", spoken=exc.spoken), turn.msg("unknown_item_reprompt"))


def wanted_item(turn: Turn, ask: str, reprompt: str) -> Item | Response:
    """The catalog item the request names, or the response that asks for it (or refuses it)."""
    try:
        item = turn.item_slot()
    except UnknownItem as exc:
        return unknown_item(turn, exc)
    if item is None:
        return turn.elicit("Item", ask, reprompt)
    return item


def wanted_quantity(turn: Turn, item: Item, bad: str, ask: str) -> int | Response | None:
    """The quantity said (None if none), or the response that asks again for a valid one."""
    try:
        return turn.quantity_slot()
    except InvalidQuantity:
        return turn.elicit(
            "Quantity", turn.msg(bad, item=item.other), turn.msg(ask, item=item.other)
        )


def add_to_cart(turn: Turn, item: Item, quantity: int) -> Response:
    """Add and say the new cart summary. Shared by AddItem, Yes-to-an-offer and Browse."""
    try:
        cart = turn.store.update_cart(
            turn.user_id, lambda c: c.add(item.id, quantity), request_id=turn.request_id
        )
    except LineLimitExceeded as exc:
        if exc.current:
            said = turn.msg("line_limit", limit=exc.limit, item=item.other, current=exc.current)
        else:
            said = turn.msg("line_limit_max", limit=exc.limit, item=item.other)
        return turn.ask(said, turn.msg("reprompt_add_more"))
    total = turn.say(cart.total(turn.catalog))
    speech = turn.msg("added", count=cart.count, what=item.phrase(quantity), total=total)
    return turn.ask(speech, turn.msg("reprompt_add_more"))


class AddItemHandler(ShopHandler):
    intents = frozenset({"AddItemIntent"})

    def respond(self, turn: Turn) -> Response:
        item = wanted_item(turn, turn.msg("ask_item"), turn.msg("ask_item_reprompt"))
        if not isinstance(item, Item):
            return item
        quantity = wanted_quantity(turn, item, "bad_quantity", "ask_quantity")
        if quantity is not None and not isinstance(quantity, int):
            return quantity
        return add_to_cart(turn, item, 1 if quantity is None else quantity)


class RemoveItemHandler(ShopHandler):
    intents = frozenset({"RemoveItemIntent"})

    def respond(self, turn: Turn) -> Response:
        ask = turn.msg("which_item_remove")
        item = wanted_item(turn, ask, ask)
        if not isinstance(item, Item):
            return item
        quantity = wanted_quantity(turn, item, "bad_quantity_remove", "ask_quantity_remove")
        if quantity is not None and not isinstance(quantity, int):
            return quantity
        before: int | None = None  # stays None when the store replays this request

        def change(cart: Cart) -> Cart:
            nonlocal before
            before = cart.quantity_of(item.id)
            return cart.remove(item.id, quantity)

        try:
            cart = turn.store.update_cart(turn.user_id, change, request_id=turn.request_id)
        except ItemNotInCart:
            key = "not_in_cart" if item.plural_name else "not_in_cart_mass"
            return turn.ask(turn.msg(key, item=item.name), turn.msg("reprompt_generic"))
        if before is not None:
            what = item.phrase(before - cart.quantity_of(item.id))
        else:
            # A redelivery of a removal already made: say what was asked for.
            what = item.phrase(quantity) if quantity is not None else item.other
        if cart.is_empty:
            return turn.ask(turn.msg("removed_last", what=what), turn.msg("ask_item"))
        total = turn.say(cart.total(turn.catalog))
        speech = turn.msg("removed", count=cart.count, what=what, total=total)
        return turn.ask(speech, turn.msg("reprompt_add_more"))


class ListCartHandler(ShopHandler):
    intents = frozenset({"ListCartIntent"})

    def respond(self, turn: Turn) -> Response:
        cart = turn.store.get_cart(turn.user_id)
        lines = cart_lines(turn, cart)
        if not lines:
            return turn.ask(turn.msg("cart_empty"), turn.msg("ask_item"))
        from ask_sdk_model.ui import SimpleCard

        total = cart.total(turn.catalog)
        spoken = lines[:LIST_LINES_SPOKEN]
        if len(lines) > LIST_LINES_SPOKEN:
            extra = len(lines) - LIST_LINES_SPOKEN
            spoken = [*spoken, turn.msg("list_more", count=extra)]
        speech = turn.msg("cart_list", lines=turn.msg.join(spoken), total=turn.say(total))
        card = SimpleCard(
            title=turn.msg("cart_card_title"),
            content="\n".join([*lines, turn.msg("cart_card_total", total=total.display())]),
        )
        return turn.ask(speech, turn.msg("reprompt_add_more"), card=card)


class ClearCartHandler(ShopHandler):
    intents = frozenset({"ClearCartIntent"})

    def respond(self, turn: Turn) -> Response:
        cart = turn.store.get_cart(turn.user_id)
        if cart.is_empty:
            return turn.ask(turn.msg("cart_empty"), turn.msg("ask_item"))
        turn.set_pending("clear")
        return turn.ask(turn.msg("clear_confirm", count=cart.count), turn.msg("clear_reprompt"))


def clear_confirmed(turn: Turn) -> Response:
    turn.store.update_cart(turn.user_id, lambda _cart: Cart(), request_id=turn.request_id)
    return turn.ask(turn.msg("cleared"), turn.msg("ask_item"))
