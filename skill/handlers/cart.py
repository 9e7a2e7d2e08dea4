"""Adding to, removing from, changing, listing and clearing the cart.

What a quantity means ("a dozen", "half a", "a pint of") is decided by
:mod:`skill.domain.quantity`; this module turns its answer into a cart change or a
question. Several items in one request ("two apples and a banana") are added in one
atomic cart update.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ask_sdk_model import Response

from skill.domain.cart import Cart, CartLine
from skill.domain.catalog import Item, normalise
from skill.domain.quantity import ANOTHER, EACH, SOME, Ask, Said, to_add, to_remove, to_set
from skill.errors import ItemNotInCart, LineLimitExceeded, UnknownItem
from skill.handlers.base import ShopHandler, Turn

LIST_LINES_SPOKEN = 5
#: The item slots of AddItemIntent and the suffix of their Quantity/Amount slots.
ITEM_SLOTS = (("Item", ""), ("Item2", "2"), ("Item3", "3"))
#: The slots a question about one item's quantity starts again without.
_QUANTITY_SLOTS = ("Quantity", "Amount", "Unit")


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
    return turn.ask(
        turn.msg("unknown_item", spoken=turn.unknown_name(exc)), turn.msg("unknown_item_reprompt")
    )


def wanted_item(turn: Turn, ask: str, reprompt: str) -> Item | Response:
    """The catalog item the request names, or the response that asks for it (or refuses it)."""
    try:
        item = turn.item_slot()
    except UnknownItem as exc:
        return unknown_item(turn, exc)
    if item is None:
        return turn.elicit("Item", ask, reprompt)
    return item


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


def line_limit(turn: Turn, item: Item, exc: LineLimitExceeded) -> str:
    if exc.current:
        return turn.msg("line_limit", limit=exc.limit, item=item.other, current=exc.current)
    return turn.msg("line_limit_max", limit=exc.limit, item=item.other)


def what_else(turn: Turn, speech: str, cart: Cart) -> Response:
    """A reply that ends "What else would you like?": "no" to it offers checkout."""
    if cart.is_empty:
        return turn.ask(speech, turn.msg("ask_item"))
    turn.set_pending("more")
    return turn.ask(speech, turn.msg("reprompt_add_more"))


def add_to_cart(turn: Turn, item: Item, quantity: int) -> Response:
    """Add and say the new cart summary. Shared by AddItem, Yes-to-an-offer and Browse.

    An item out of stock is not added (it may have sold out since it was offered).
    """
    turn.remember(item)
    if not item.in_stock:
        return out_of_stock(turn, item, quantity)
    return change_line(
        turn,
        item,
        quantity,
        lambda c: c.add(item.id, quantity, price=item.price, name=item.name),
        said="added",
    )


def change_line(
    turn: Turn, item: Item, quantity: int, change: Callable[[Cart], Cart], *, said: str
) -> Response:
    """Apply ``change`` to the cart (one line of ``item``) and say message ``said`` with
    ``quantity`` of it and the new summary; over the per-line limit, nothing changes."""
    try:
        cart = turn.store.update_cart(turn.user_id, change, request_id=turn.request_id)
    except LineLimitExceeded as exc:
        return turn.ask(line_limit(turn, item, exc), turn.msg("reprompt_add_more"))
    total = turn.say(cart.total(turn.catalog))
    speech = turn.msg(said, count=cart.count, what=item.phrase(quantity), total=total)
    return what_else(turn, speech, cart)


def ask_about_quantity(
    turn: Turn,
    item: Item,
    ask: Ask,
    *,
    removing: bool = False,
    alone: bool = False,
    notes: tuple[str, ...] = (),
) -> Response:
    """The question a quantity needs before the cart can change (Dialog.ElicitSlot on
    Quantity, with the amount and unit said cleared so the answer stands alone, and the
    item by its own name); ``alone``: the other items of the request are left out of
    the dialog, after ``notes`` said what was done with them."""
    suffix = "_remove" if removing else ""
    how_many = turn.msg(f"ask_quantity{suffix}", item=item.other)
    if ask is Ask.WHOLE:
        speech = turn.msg(f"whole_number{suffix}", item=item.other)
    elif ask is Ask.BAD:
        speech = turn.msg(f"bad_quantity{suffix}", item=item.other)
    elif ask is Ask.SOLD_BY:
        unit = turn.msg("unit_each_word") if turn.sold_in(item) == EACH else item.unit
        speech = f"{turn.msg('sold_by', item=item.name, unit=unit)} {how_many}"
    else:
        speech = how_many
    speech = " ".join([*notes, speech])
    return turn.elicit(
        "Quantity", speech, how_many, clear=_QUANTITY_SLOTS, values={"Item": item.name}, only=alone
    )


@dataclass(frozen=True, slots=True)
class _Wanted:
    item: Item
    said: Said


class AddItemHandler(ShopHandler):
    intents = frozenset({"AddItemIntent"})

    def respond(self, turn: Turn) -> Response:
        wanted: list[_Wanted] = []
        unknown: list[str] = []
        for slot, suffix in ITEM_SLOTS:
            try:
                item = turn.item_slot(slot)
            except UnknownItem as exc:
                unknown.append(turn.unknown_name(exc))
                continue
            if item is not None:
                wanted.append(_Wanted(item, turn.said(suffix, item=item)))
        if not wanted and not unknown:
            said = turn.said()
            last = turn.last_item
            # "one more", "another one", "two more": more of what was just added or discussed.
            more = said.amount == ANOTHER or (said.amount == SOME and said.number is not None)
            if last is not None and more:
                return _add_one(turn, _Wanted(last, said))
            return turn.elicit("Item", turn.msg("ask_item"), turn.msg("ask_item_reprompt"))
        if len(wanted) + len(unknown) == 1:
            if unknown:
                speech = turn.msg("unknown_item", spoken=unknown[0])
                return turn.ask(speech, turn.msg("unknown_item_reprompt"))
            return _add_one(turn, wanted[0])
        return _add_several(turn, wanted, unknown)


def _add_one(turn: Turn, wanted: _Wanted) -> Response:
    item = wanted.item
    turn.remember(item)
    quantity = to_add(wanted.said, turn.sold_in(item), answering=turn.answering)
    if not item.in_stock:
        # No point asking again for a quantity of something we can't sell today.
        return out_of_stock(turn, item, quantity if isinstance(quantity, int) else 1)
    if isinstance(quantity, Ask):
        return ask_about_quantity(turn, item, quantity)
    return add_to_cart(turn, item, quantity)


def _add_several(turn: Turn, wanted: list[_Wanted], unknown: list[str]) -> Response:
    """ "two apples, a banana and a unicorn": what is known, in stock and clear is added
    in one atomic update; the unknown and the sold out are named first; a quantity that
    needs a question (the first one) is asked last, about that item alone."""
    adding: list[tuple[Item, int]] = []
    sold_out: list[Item] = []
    questions: list[tuple[Item, Ask]] = []
    seen: set[str] = set()
    for entry in wanted:
        item = entry.item
        if item.id in seen:
            continue  # "apples, bananas and apples": the first quantity said counts
        seen.add(item.id)
        quantity = to_add(entry.said, turn.sold_in(item), answering=turn.answering)
        if not item.in_stock:
            sold_out.append(item)
        elif isinstance(quantity, Ask):
            questions.append((item, quantity))
        else:
            adding.append((item, quantity))
    notes = []
    if unknown:
        notes.append(turn.msg("unknown_items", items=turn.msg.join(unknown)))
    if sold_out:
        names = [item.name for item in sold_out]
        notes.append(turn.msg("out_of_stock_many", len(names), items=turn.msg.join(names)))
    if adding:
        turn.remember(adding[-1][0])
        notes.extend(_add_all(turn, adding, then_ask=bool(questions)))
    if questions:
        # One question at a time; the others are named, so nothing said is lost silently.
        item, ask = questions[0]
        if len(questions) > 1:
            later = [other.name for other, _ask in questions[1:]]
            notes.append(turn.msg("not_added_yet", items=turn.msg.join(later)))
        turn.remember(item)
        return ask_about_quantity(turn, item, ask, alone=True, notes=tuple(notes))
    if not adding:
        return turn.ask(" ".join([*notes, turn.msg("ask_item")]), turn.msg("unknown_item_reprompt"))
    turn.set_pending("more")
    return turn.ask(" ".join(notes), turn.msg("reprompt_add_more"))


def _add_all(turn: Turn, adding: list[tuple[Item, int]], *, then_ask: bool) -> list[str]:
    """Add every (item, quantity) in one cart update; what to say about it (without
    "What else would you like?" when ``then_ask``: another question follows)."""
    refused: dict[str, LineLimitExceeded] | None = None  # None: the store replayed this

    def change(cart: Cart) -> Cart:
        nonlocal refused
        refused = {}
        for item, quantity in adding:
            try:
                cart = cart.add(item.id, quantity, price=item.price, name=item.name)
            except LineLimitExceeded as exc:
                refused[item.id] = exc  # this line stays as it was; the others go in
        return cart

    cart = turn.store.update_cart(turn.user_id, change, request_id=turn.request_id)
    refused = refused or {}
    said = [line_limit(turn, item, refused[item.id]) for item, _ in adding if item.id in refused]
    added = [item.phrase(quantity) for item, quantity in adding if item.id not in refused]
    if added:
        total = turn.say(cart.total(turn.catalog))
        key = "added_so_far" if then_ask else "added_many"
        said.append(turn.msg(key, count=cart.count, what=turn.msg.join(added), total=total))
    return said


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
        turn.remember(item)
        count = to_remove(turn.said(item=item), turn.sold_in(item))
        if isinstance(count, Ask):
            return ask_about_quantity(turn, item, count, removing=True)
        return _remove(turn, item.id, count, item=item, old_name="")


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
    if item is not None and before is not None and quantity is not None and quantity > before:
        # "take five apples out" of a cart holding two: say what there was.
        speech = turn.msg("removed_only", before, what=item.phrase(before))
        return what_else(turn, f"{speech} {_summary(turn, cart)}", cart)
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
    return what_else(turn, speech, cart)


def _summary(turn: Turn, cart: Cart) -> str:
    if cart.is_empty:
        return turn.msg("cart_now_empty")
    return turn.msg("cart_summary", count=cart.count, total=turn.say(cart.total(turn.catalog)))


class SetQuantityHandler(ShopHandler):
    """ "make that five", "change the oranges to four", "I only want one loaf"."""

    intents = frozenset({"SetQuantityIntent"})

    def respond(self, turn: Turn) -> Response:
        try:
            item = turn.item_slot()
        except UnknownItem as exc:
            return unknown_item(turn, exc)
        named = item is not None
        if item is None:
            item = turn.last_item  # "make that five": the item just added or discussed
            if item is None:
                ask = turn.msg("which_item_set")
                return turn.elicit("Item", ask, ask)
        turn.remember(item)
        quantity = to_set(
            turn.said(item=item), turn.sold_in(item), item_named=named, answering=turn.answering
        )
        if isinstance(quantity, Ask):
            return ask_about_quantity(turn, item, quantity)
        if quantity == 0:
            return _remove(turn, item.id, None, item=item, old_name="")
        if not item.in_stock:
            return out_of_stock(turn, item, quantity)
        return change_line(
            turn,
            item,
            quantity,
            lambda c: c.set(item.id, quantity, price=item.price, name=item.name),
            said="set_to",
        )


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
            # The join says "and" before it: "..., 1 pound of butter, and 2 more lines".
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
        turn.set_pending("more")
        return turn.ask(speech, turn.msg("reprompt_add_more"), card=card)


class CartTotalHandler(ShopHandler):
    """ "what's my total", "how much is that": the total of what can be bought today."""

    intents = frozenset({"CartTotalIntent"})

    def respond(self, turn: Turn) -> Response:
        cart = turn.store.get_cart(turn.user_id)
        count = sum(
            line.quantity
            for line in cart.lines
            if (item := turn.catalog.get(line.item_id)) is not None and item.in_stock
        )
        if not count:
            unavailable = unavailable_names(turn, cart)
            if unavailable:  # what is there can't be bought today: say so, as the list does
                note = turn.msg("cart_list_unavailable", items=turn.msg.join(unavailable))
                return turn.ask(f"{note} {turn.msg('ask_item')}", turn.msg("ask_item"))
            return turn.ask(turn.msg("cart_empty"), turn.msg("ask_item"))
        total = turn.say(cart.total(turn.catalog))
        return what_else(turn, turn.msg("cart_total", count=count, total=total), cart)


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
