"""Checkout: confirm, then place the order atomically and idempotently."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ask_sdk_model import Response

from skill.domain.cart import Cart
from skill.domain.money import format_money
from skill.errors import EmptyCart
from skill.handlers.base import ShopHandler, Turn
from skill.profile import GIVEN_NAME_PERMISSION

if TYPE_CHECKING:
    from ask_sdk_model.ui import Card, StandardCard

    from skill.domain.orders import Order

_ASKED_PERMISSION = "asked_name_permission"


class CheckoutHandler(ShopHandler):
    intents = frozenset({"CheckoutIntent"})

    def respond(self, turn: Turn) -> Response:
        return ask_to_confirm(turn)


def ask_to_confirm(turn: Turn) -> Response:
    cart = turn.store.get_cart(turn.user_id)
    if cart.is_empty:
        return turn.ask(turn.msg("checkout_empty"), turn.msg("ask_item"))
    total = turn.say(cart.total(turn.catalog))
    turn.set_pending("checkout")
    return turn.ask(
        turn.msg("checkout_confirm", count=cart.count, total=total),
        turn.msg("checkout_reprompt"),
    )


def place_order(turn: Turn) -> Response:
    """Yes to "Shall I place your order?"."""
    from skill.domain.orders import order_from_cart

    settings = turn.services.settings
    user_id = turn.user_id

    def make_order(cart: Cart, number: int) -> Order:
        return order_from_cart(
            cart,
            number=number,
            user_id=user_id,
            catalog=turn.catalog,
            now=turn.services.clock(),
            request_id=turn.request_id,
            pickup_minutes=settings.pickup_minutes,
        )

    try:
        # The request id makes a redelivered "yes" return the same order. Without one
        # ("") the store records nothing and never returns an earlier order.
        order = turn.store.place_order(user_id, turn.request_id, make_order)
    except EmptyCart:
        return turn.ask(turn.msg("checkout_empty"), turn.msg("ask_item"))

    # Only after the order is safely stored: a slow profile call can't lose it.
    profile = turn.services.profile(turn.hi)
    params: dict[str, object] = {
        "number": order.number,
        "total": turn.say(order.total),
        "minutes": settings.pickup_minutes,
    }
    if profile.given_name:
        speech = turn.msg("checkout_done_named", None, name=profile.given_name, **params)
    else:
        speech = turn.msg("checkout_done", None, **params)
    card: Card = receipt_card(turn, order)
    if profile.permission_missing and not turn.session.get(_ASKED_PERMISSION):
        from ask_sdk_model.ui import AskForPermissionsConsentCard

        turn.session[_ASKED_PERMISSION] = True
        card = AskForPermissionsConsentCard(permissions=[GIVEN_NAME_PERMISSION])
        speech = f"{speech} {turn.msg('checkout_permission')}"
    return turn.tell(speech, card=card)


def receipt_card(turn: Turn, order: Order) -> StandardCard:
    from ask_sdk_model.ui import StandardCard

    def words(item_id: str, quantity: int, fallback: str) -> str:
        item = turn.catalog.get(item_id)  # "1 x apple", "2 x Äpfel": number agrees
        return item.form(quantity) if item is not None else fallback

    lines = [
        turn.msg(
            "receipt_line",
            quantity=line.quantity,
            name=words(line.item_id, line.quantity, line.name),
            price=format_money(line.unit_price, order.currency),
            line_total=format_money(line.line_total, order.currency),
        )
        for line in order.lines
    ]
    pickup = order.pickup_at.strftime("%H:%M") if order.pickup_at else "-"
    footer = turn.msg("receipt_footer", total=order.total.display(), pickup=pickup)
    return StandardCard(
        title=turn.msg("receipt_title", number=order.number), text="\n".join([*lines, footer])
    )
