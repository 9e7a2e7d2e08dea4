"""What things cost, and what the shop sells (and what it is out of today)."""

from __future__ import annotations

from ask_sdk_model import Response

from skill.domain.catalog import Item
from skill.handlers.base import ShopHandler, Turn, capitalized
from skill.handlers.cart import wanted_item

BROWSE_EXAMPLES = 3
#: How many out-of-stock items "what do you sell" names before "and N more items".
OUT_OF_STOCK_NAMED = 3


class PriceHandler(ShopHandler):
    intents = frozenset({"PriceIntent"})

    def respond(self, turn: Turn) -> Response:
        ask = turn.msg("price_which")
        item = wanted_item(turn, ask, ask)
        if not isinstance(item, Item):
            return item
        name = capitalized(item.name)
        price = turn.say(item.price)
        if not item.in_stock:
            key = "price_out_of_stock_plural" if item.plural_name else "price_out_of_stock"
            speech = turn.msg(key, name=name, price=price, per=item.per)
            alternatives = turn.catalog.alternatives(item, limit=1)
            if not alternatives:
                return turn.ask(
                    f"{speech} {turn.msg('no_alternative')}", turn.msg("reprompt_generic")
                )
            other = alternatives[0]
            turn.set_pending("alternative", item=other.id, quantity="1")
            offer = turn.msg("offer_alternative", 1, alternative=other.name, what=other.phrase(1))
            return turn.ask(
                f"{speech} {offer}", turn.msg("offer_alternative_reprompt", alternative=other.name)
            )
        key = "price_plural" if item.plural_name else "price_singular"
        speech = turn.msg(key, name=name, price=price, per=item.per)
        turn.set_pending("add", item=item.id)
        offer = turn.msg("price_offer")
        return turn.ask(f"{speech} {offer}", offer)


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
        # One in-stock example from each of the first few categories; suggest something
        # in stock the user doesn't have yet, so "yes" always adds something new.
        examples = [
            items[0].name
            for items in (
                [i for i in catalog.in_category(c) if i.in_stock]
                for c in categories[:BROWSE_EXAMPLES]
            )
            if items
        ]
        cart = turn.store.get_cart(turn.user_id)
        suggestion = next((item for item in in_stock if not cart.quantity_of(item.id)), in_stock[0])
        turn.set_pending("add", item=suggestion.id)
        speech = turn.msg(
            "browse",
            categories=turn.msg.join([catalog.categories[c] for c in categories]),
            examples=turn.msg.join(examples),
            suggestion=suggestion.name,
        )
        if note:
            speech = f"{note} {speech}"
        return turn.ask(speech, turn.msg("browse_reprompt", suggestion=suggestion.name))
