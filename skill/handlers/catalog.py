"""What things cost, and what the shop sells (and what it is out of today)."""

from __future__ import annotations

from ask_sdk_model import Response

from skill.domain.cart import Cart
from skill.domain.catalog import Catalog, Item
from skill.handlers.base import ShopHandler, Turn, capitalized
from skill.handlers.cart import wanted_item

BROWSE_EXAMPLES = 3
#: How many out-of-stock items "what do you sell" names before "and N more items".
OUT_OF_STOCK_NAMED = 3


def _price_out_of_stock(turn: Turn, item: Item) -> Response:
    """What it costs, that it is out today, and an offer of something like it in stock."""
    key = "price_out_of_stock_plural" if item.plural_name else "price_out_of_stock"
    speech = turn.msg(key, name=capitalized(item.name), price=turn.say(item.price), per=item.per)
    alternatives = turn.catalog.alternatives(item, limit=1)
    if not alternatives:
        return turn.ask(f"{speech} {turn.msg('no_alternative')}", turn.msg("reprompt_generic"))
    other = alternatives[0]
    turn.set_pending("alternative", item=other.id, quantity="1")
    offer = turn.msg("offer_alternative", 1, alternative=other.name, what=other.phrase(1))
    return turn.ask(
        f"{speech} {offer}", turn.msg("offer_alternative_reprompt", alternative=other.name)
    )


def _offer(turn: Turn, item: Item, speech: str) -> Response:
    """``speech``, then "Would you like to add some?" ("yes" adds one)."""
    turn.set_pending("add", item=item.id)
    offer = turn.msg("price_offer")
    return turn.ask(f"{speech} {offer}", offer)


class PriceHandler(ShopHandler):
    intents = frozenset({"PriceIntent"})

    def respond(self, turn: Turn) -> Response:
        ask = turn.msg("price_which")
        item = wanted_item(turn, ask, ask)
        if not isinstance(item, Item):
            return item
        turn.remember(item)
        if not item.in_stock:
            return _price_out_of_stock(turn, item)
        key = "price_plural" if item.plural_name else "price_singular"
        speech = turn.msg(
            key, name=capitalized(item.name), price=turn.say(item.price), per=item.per
        )
        return _offer(turn, item, speech)


class ItemQuestionHandler(ShopHandler):
    """ "do you have eggs?", "do you sell oat milk?": yes and the price, then an offer."""

    intents = frozenset({"ItemQuestionIntent"})

    def respond(self, turn: Turn) -> Response:
        ask = turn.msg("ask_item")
        item = wanted_item(turn, ask, turn.msg("ask_item_reprompt"))
        if not isinstance(item, Item):
            return item
        turn.remember(item)
        if not item.in_stock:
            return _price_out_of_stock(turn, item)
        speech = turn.msg("item_yes", name=item.name, price=turn.say(item.price), per=item.per)
        return _offer(turn, item, speech)


def out_of_stock_note(turn: Turn) -> str:
    """ "Today we're out of oat milk and eggs." ("" when everything is in stock)."""
    names = [item.name for item in turn.catalog.items if not item.in_stock]
    if not names:
        return ""
    named = names[:OUT_OF_STOCK_NAMED]
    if len(names) > OUT_OF_STOCK_NAMED:
        named.append(turn.msg("more_items", count=len(names) - OUT_OF_STOCK_NAMED))
    return turn.msg("browse_out_of_stock", items=turn.msg.join(named))


class BrowseHandler(ShopHandler):
    intents = frozenset({"BrowseCatalogIntent"})

    def respond(self, turn: Turn) -> Response:
        catalog = turn.catalog
        categories = list(catalog.categories)
        in_stock = [item for item in catalog.items if item.in_stock]
        note = out_of_stock_note(turn)
        if not in_stock:  # nothing at all to suggest today
            return turn.ask(f"{note} {turn.msg('reprompt_generic')}", turn.msg("reprompt_generic"))
        cart = turn.store.get_cart(turn.user_id)
        examples, suggestion = _examples(catalog, categories, in_stock, cart)
        turn.set_pending("add", item=suggestion.id)
        turn.remember(suggestion)
        speech = turn.msg(
            "browse",
            categories=turn.msg.join([catalog.categories[c] for c in categories]),
            examples=turn.msg.join([item.name for item in examples]),
            suggestion=suggestion.name,
        )
        if note:
            speech = f"{note} {speech}"
        return turn.ask(speech, turn.msg("browse_reprompt", suggestion=suggestion.name))


def _examples(
    catalog: Catalog, categories: list[str], in_stock: list[Item], cart: Cart
) -> tuple[list[Item], Item]:
    """One in-stock example from each of the first few categories, and the one to offer:
    an example the cart doesn't hold yet, so "yes" always adds something new and the
    offer is one of the examples just spoken. When the cart holds every example, the
    offer is another in-stock item, which takes the place of its category's example
    (or of the last one)."""
    by_category = [
        [item for item in catalog.in_category(c) if item.in_stock]
        for c in categories[:BROWSE_EXAMPLES]
    ]
    examples = [
        next((i for i in items if not cart.quantity_of(i.id)), items[0])
        for items in by_category
        if items
    ]
    suggestion = next((item for item in examples if not cart.quantity_of(item.id)), None)
    if suggestion is not None:
        return examples, suggestion
    new = next((item for item in in_stock if not cart.quantity_of(item.id)), None)
    if new is None:  # the cart holds everything in stock: offer more of the first example
        first = examples[0] if examples else in_stock[0]
        return examples or [first], first
    place = next((n for n, ex in enumerate(examples) if ex.category == new.category), None)
    if place is None:
        place = len(examples) - 1
    if place < 0:
        return [new], new
    examples[place] = new
    return examples, new
