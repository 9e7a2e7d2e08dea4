"""What things cost, and what the shop sells."""

from __future__ import annotations

from ask_sdk_model import Response

from skill.domain.catalog import Item
from skill.handlers.base import ShopHandler, Turn
from skill.handlers.cart import wanted_item

BROWSE_EXAMPLES = 3


class PriceHandler(ShopHandler):
    intents = frozenset({"PriceIntent"})

    def respond(self, turn: Turn) -> Response:
        ask = turn.msg("price_which")
        item = wanted_item(turn, ask, ask)
        if not isinstance(item, Item):
            return item
        key = "price_plural" if item.plural_name else "price_singular"
        name = item.name[:1].upper() + item.name[1:]
        speech = turn.msg(key, name=name, price=turn.say(item.price), per=item.per)
        turn.set_pending("add", item=item.id)
        offer = turn.msg("price_offer")
        return turn.ask(f"{speech} {offer}", offer)


class BrowseHandler(ShopHandler):
    intents = frozenset({"BrowseCatalogIntent"})

    def respond(self, turn: Turn) -> Response:
        catalog = turn.catalog
        categories = list(catalog.categories)
        # One example from each of the first few categories; suggest something
        # the user doesn't have yet, so "yes" always adds something new.
        examples = [
            items[0].name
            for items in (catalog.in_category(c) for c in categories[:BROWSE_EXAMPLES])
            if items
        ]
        cart = turn.store.get_cart(turn.user_id)
        suggestion = next(
            (item for item in catalog.items if not cart.quantity_of(item.id)), catalog.items[0]
        )
        turn.set_pending("add", item=suggestion.id)
        speech = turn.msg(
            "browse",
            categories=turn.msg.join([catalog.categories[c] for c in categories]),
            examples=turn.msg.join(examples),
            suggestion=suggestion.name,
        )
        return turn.ask(speech, turn.msg("browse_reprompt", suggestion=suggestion.name))
