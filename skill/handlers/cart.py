"""Adding to, removing from, listing and clearing the cart."""

from __future__ import annotations

from ask_sdk_model import Response

from skill.domain.cart import Cart, CartLine
from skill.domain.catalog import Item, normalise
from skill.errors import InvalidQuantity, ItemNotInCart, LineLimitExceeded, UnknownItem
from skill.handlers.base import ShopHandler, Turn

LIST_LINES_SPOKEN = 5


def cart_lines(turn: Turn, cart: Cart) -> list[str]:
    """The lines that can be bought today, as spoken ("2 apples")."""
    lines = []
    for line in cart.lines:
        item = turn.catalog.get(line.item_id)
        if item is not None and item.in_stock:
            lines.append(item.phrase(line.quantity))
    return lines


def unavailable_names(turn: Turn, cart: Cart) -> list[str]:
    """What the cart holds that can't be bought today: out of stock, or no longer sold
    (named as the customer heard it when adding; lines too old to remember are skipped)."""
    names = []
    for line in cart.lines:
        item = turn.catalog.get(line.item_id)
        if item is None:
            if line.name:
                names.append(line.name)
        elif not item.in_stock:
            names.append(item.name)
    return names


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


def out_of_stock(turn: Turn, item: Item, quantity: int) -> Response:
    """Sorry, we're out of it today; offer an in-stock item of the same category instead.

    Nothing is added. "Yes" adds the alternative, in the quantity asked for.
    """
    key = "out_of_stock_plural" if item.plural_name else "out_of_stock"
    sorry = turn.msg(key, item=item.name)
    alternatives = turn.catalog.alternatives(item, limit=1)
    if not alternatives:
        return turn.ask(f"{sorry} {turn.msg('no_alternative')}", turn.msg("unknown_item_reprompt"))
    other = alternatives[0]
    turn.set_pending("alternative", item=other.id, quantity=str(quantity))
    offer = turn.msg(
        "offer_alternative", quantity, alternative=other.name, what=other.phrase(quantity)
    )
    return turn.ask(
        f"{sorry} {offer}", turn.msg("offer_alternative_reprompt", alternative=other.name)
    )


def add_to_cart(turn: Turn, item: Item, quantity: int) -> Response:
    """Add and say the new cart summary. Shared by AddItem, Yes-to-an-offer and Browse.

    An item out of stock is not added (it may have sold out since it was offered).
    """
    if not item.in_stock:
        return out_of_stock(turn, item, quantity)
    try:
        cart = turn.store.update_cart(
            turn.user_id,
            lambda c: c.add(item.id, quantity, price=item.price, name=item.name),
            request_id=turn.request_id,
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
        if not item.in_stock:
            # No point asking again for a quantity of something we can't sell today.
            try:
                asked = turn.quantity_slot()
            except InvalidQuantity:
                asked = None
            return out_of_stock(turn, item, asked or 1)
        quantity = wanted_quantity(turn, item, "bad_quantity", "ask_quantity")
        if quantity is not None and not isinstance(quantity, int):
            return quantity
        return add_to_cart(turn, item, 1 if quantity is None else quantity)


def _remembered_line(turn: Turn, spoken: str) -> CartLine | None:
    """The cart line of an item the shop no longer sells, by the name it had when added."""
    wanted = normalise(spoken)
    if not wanted:
        return None
    for line in turn.store.get_cart(turn.user_id).lines:
        if line.name and line.item_id not in turn.catalog and normalise(line.name) == wanted:
            return line
    return None


class RemoveItemHandler(ShopHandler):
    intents = frozenset({"RemoveItemIntent"})

    def respond(self, turn: Turn) -> Response:
        ask = turn.msg("which_item_remove")
        try:
            item = turn.item_slot()
        except UnknownItem as exc:
            # Something the shop stopped selling can still be taken out of an old cart.
            line = _remembered_line(turn, exc.spoken)
            if line is None:
                return unknown_item(turn, exc)
            return _remove(turn, line.item_id, None, item=None, old_name=line.name)
        if item is None:
            return turn.elicit("Item", ask, ask)
        quantity = wanted_quantity(turn, item, "bad_quantity_remove", "ask_quantity_remove")
        if quantity is not None and not isinstance(quantity, int):
            return quantity
        return _remove(turn, item.id, quantity, item=item, old_name="")


def _remove(
    turn: Turn, item_id: str, quantity: int | None, *, item: Item | None, old_name: str
) -> Response:
    """Take ``quantity`` (None: all) of an item out; ``item`` None for one no longer sold,
    which is named ``old_name``, as it was called when added."""
    before: int | None = None  # stays None when the store replays this request

    def change(cart: Cart) -> Cart:
        nonlocal before
        before = cart.quantity_of(item_id)
        return cart.remove(item_id, quantity)

    try:
        cart = turn.store.update_cart(turn.user_id, change, request_id=turn.request_id)
    except ItemNotInCart:
        if item is None:  # taken out meanwhile (another device)
            return turn.ask(
                turn.msg("not_in_cart_mass", item=old_name), turn.msg("reprompt_generic")
            )
        key = "not_in_cart" if item.plural_name else "not_in_cart_mass"
        return turn.ask(turn.msg(key, item=item.name), turn.msg("reprompt_generic"))
    if item is None:
        what = old_name
    elif before is not None:
        what = item.phrase(before - cart.quantity_of(item_id))
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
        unavailable = unavailable_names(turn, cart)
        note = (
            turn.msg("cart_list_unavailable", items=turn.msg.join(unavailable))
            if unavailable
            else ""
        )
        if not lines:
            if note:
                return turn.ask(f"{note} {turn.msg('ask_item')}", turn.msg("ask_item"))
            return turn.ask(turn.msg("cart_empty"), turn.msg("ask_item"))
        from ask_sdk_model.ui import SimpleCard

        total = cart.total(turn.catalog)
        spoken = lines[:LIST_LINES_SPOKEN]
        if len(lines) > LIST_LINES_SPOKEN:
            extra = len(lines) - LIST_LINES_SPOKEN
            spoken = [*spoken, turn.msg("list_more", count=extra)]
        speech = turn.msg("cart_list", lines=turn.msg.join(spoken), total=turn.say(total))
        if note:
            speech = f"{note} {speech}"
        card = SimpleCard(
            title=turn.msg("cart_card_title"),
            content="\n".join(
                [
                    *lines,
                    *(turn.msg("cart_card_unavailable", name=name) for name in unavailable),
                    turn.msg("cart_card_total", total=total.display()),
                ]
            ),
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
