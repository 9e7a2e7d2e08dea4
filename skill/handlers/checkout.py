"""Checkout: check the cart against today's catalog, confirm, then place the order
atomically and idempotently.

The question ("That's 3 items for $12.50. Shall I place your order?") comes after the
cart is checked line by line against the shop's current catalog: what is out of stock
or no longer sold is taken out of the cart and named, a price that changed since the
item was added is named and charged at today's price, and a shop that is closed says
when the order will be ready. The session remembers a fingerprint of that answer
(``quote``). At "yes" the order is priced from the catalog the store reads inside the
checkout transaction; if it no longer matches the quote, nothing is placed and the
question is asked again with what changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ask_sdk_model import Response

from skill.config import DEFAULT_LOCALE
from skill.domain.cart import Cart
from skill.domain.catalog import Catalog
from skill.domain.hours import OpeningHours
from skill.domain.money import format_money
from skill.domain.orders import CheckoutReview, OrderChanged, review_cart
from skill.errors import EmptyCart, StoreError
from skill.handlers.base import ShopHandler, Turn, capitalized
from skill.profile import GIVEN_NAME_PERMISSION

if TYPE_CHECKING:
    from ask_sdk_model.ui import Card, StandardCard

    from skill.domain.orders import Order

_ASKED_PERMISSION = "asked_name_permission"
#: Why the consent card asks, by what it asks for (an Alexa response holds one card,
#: so one card asks for every permission still missing).
_PERMISSION_REASONS = {
    (True, False): "checkout_permission",
    (False, True): "checkout_notify_permission",
    (True, True): "checkout_permissions",
}
#: An order ready this much later than "now + preparation time" waits for an opening.
_PICKUP_SLACK = timedelta(seconds=59)


class CheckoutHandler(ShopHandler):
    intents = frozenset({"CheckoutIntent"})

    def respond(self, turn: Turn) -> Response:
        return ask_to_confirm(turn)


def day_phrase(turn: Turn, moment: datetime, now: datetime) -> str:
    """ "today", "tomorrow", "on Monday", "on Friday, December 25": ``moment`` from ``now``
    (both in the shop's zone)."""
    days = (moment.date() - now.date()).days
    if days <= 0:
        return turn.msg("day_today")
    if days == 1:
        return turn.msg("day_tomorrow")
    if days < 7:
        return turn.msg("day_weekday", day=turn.msg.weekday(moment.date()))
    return turn.msg("day_date", date=turn.msg.date(moment.date()))


def _unavailable_notes(turn: Turn, review: CheckoutReview) -> list[str]:
    notes = []
    if review.out_of_stock:
        names = [item.name for item in review.out_of_stock]
        notes.append(turn.msg("checkout_out_of_stock", len(names), items=turn.msg.join(names)))
    named = [line.name for line in review.discontinued if line.name]
    if named:
        notes.append(turn.msg("checkout_discontinued", len(named), items=turn.msg.join(named)))
    unnamed = len(review.discontinued) - len(named)
    if unnamed:
        notes.append(turn.msg("checkout_discontinued_unnamed", unnamed))
    return notes


def _price_notes(turn: Turn, review: CheckoutReview) -> list[str]:
    notes = []
    for change in review.price_changes:
        item = change.item
        key = "price_changed_plural" if item.plural_name else "price_changed"
        notes.append(
            turn.msg(
                key,
                name=capitalized(item.name),
                price=turn.say(change.now),
                per=item.per,
                was=turn.say(change.was),
            )
        )
    return notes


def _hours_note(turn: Turn, hours: OpeningHours) -> str:
    """What a closed (or soon closing) shop means for the pickup time; "" when open."""
    now = turn.services.clock()
    pickup = hours.next_pickup(now, turn.services.settings.pickup_minutes, turn.zone)
    if pickup.opens_at is None:
        return ""
    local_now = now.astimezone(turn.zone)
    ready = turn.msg.time(pickup.ready_at)
    if hours.is_open(now, turn.zone):
        when = day_phrase(turn, pickup.ready_at, local_now)
        return turn.msg("checkout_after_closing", when=when, ready=ready)
    return turn.msg(
        "checkout_closed",
        when=day_phrase(turn, pickup.opens_at, local_now),
        opens=turn.msg.time(pickup.opens_at),
        ready=ready,
    )


def ask_to_confirm(
    turn: Turn,
    *,
    catalog: Catalog | None = None,
    hours: OpeningHours | None = None,
    changed: bool = False,
) -> Response:
    """Check the cart against ``catalog`` (default: the shop's), tell what changed, ask.

    ``changed``: the customer said yes to an earlier answer that no longer holds.
    """
    catalog = catalog if catalog is not None else turn.catalog
    hours = hours if hours is not None else turn.hours
    notes = [turn.msg("checkout_changed")] if changed else []
    cart = turn.store.get_cart(turn.user_id)
    if cart.is_empty:
        return turn.ask(" ".join([*notes, turn.msg("checkout_empty")]), turn.msg("ask_item"))
    review = review_cart(cart, catalog)
    if review.unavailable_ids:
        gone = set(review.unavailable_ids)
        cart = turn.store.update_cart(
            turn.user_id, lambda c: c.without(gone), request_id=turn.request_id
        )
        notes += _unavailable_notes(turn, review)
        review = review_cart(cart, catalog)  # the cart as stored now
    notes += _price_notes(turn, review)
    if not review.lines:
        return turn.ask(" ".join([*notes, turn.msg("checkout_nothing_left")]), turn.msg("ask_item"))
    hours_note = _hours_note(turn, hours)
    if hours_note:
        notes.append(hours_note)
    turn.set_pending("checkout", quote=review.quote)
    question = turn.msg("checkout_confirm", count=review.count, total=turn.say(review.total))
    return turn.ask(" ".join([*notes, question]), turn.msg("checkout_reprompt"))


def _shop_at_checkout(
    doc: dict[str, Any] | None, served: Catalog, served_hours: OpeningHours
) -> tuple[Catalog, OpeningHours]:
    """The catalog and hours of the document the store read in the checkout transaction
    (None: the shop has no stored catalog, so the bundled one this process serves)."""
    if doc is None:
        return served, served_hours
    text = doc.get("text", {})
    # The locale the process serves, falling back as CatalogSource.catalog_for does.
    locale = served.locale if served.locale in text else DEFAULT_LOCALE
    if locale not in text:
        locale = next(iter(text), DEFAULT_LOCALE)
    return Catalog.from_document(doc, locale), OpeningHours.from_data(doc.get("hours"))


def place_order(turn: Turn, quote: str | None) -> Response:
    """Yes to "Shall I place your order?", whose answer had fingerprint ``quote``."""
    from skill.domain.orders import order_from_cart

    settings = turn.services.settings
    user_id = turn.user_id
    region = _api_region(turn)
    # Looked up before the order exists: is it the customer's first (see _consent)?
    ask_notifications = _may_ask_for_notifications(turn)
    # Read what the turn serves before the transaction: make_order runs inside it, where
    # a store read (a catalog refresh) would wait for the transaction's own lock.
    served, served_hours, zone = turn.catalog, turn.hours, turn.zone

    def make_order(cart: Cart, number: int, doc: dict[str, Any] | None) -> Order:
        catalog, hours = _shop_at_checkout(doc, served, served_hours)
        if cart.lines and not review_cart(cart, catalog).agrees_with(quote):
            raise OrderChanged(catalog, hours)  # nothing is written; ask again
        return order_from_cart(
            cart,
            number=number,
            user_id=user_id,
            catalog=catalog,
            now=turn.services.clock(),
            request_id=turn.request_id,
            pickup_minutes=settings.pickup_minutes,
            api_region=region,
            hours=hours,
            zone=zone,
        )

    try:
        # The request id makes a redelivered "yes" return the same order. Without one
        # ("") the store records nothing and never returns an earlier order.
        order = turn.store.place_order(user_id, turn.request_id, make_order)
    except EmptyCart:
        return turn.ask(turn.msg("checkout_empty"), turn.msg("ask_item"))
    except OrderChanged as exc:
        return ask_to_confirm(turn, catalog=exc.catalog, hours=exc.hours, changed=True)

    # Only after the order is safely stored: a slow profile call can't lose it.
    profile = turn.services.profile(turn.hi)
    params: dict[str, object] = {"number": order.number, "total": turn.say(order.total)}
    key = "checkout_done"
    if _ready_later(order, settings.pickup_minutes):
        assert order.pickup_at is not None
        ready = order.pickup_at.astimezone(turn.zone)
        params["when"] = day_phrase(turn, ready, order.created_at.astimezone(turn.zone))
        params["ready"] = turn.msg.time(ready)
        key = "checkout_done_later"
    else:
        params["minutes"] = settings.pickup_minutes
    if profile.given_name:
        speech = turn.msg(
            key.replace("done", "done_named"), None, name=profile.given_name, **params
        )
    else:
        speech = turn.msg(key, None, **params)
    card: Card = receipt_card(turn, order)
    permissions, reason = _consent(
        turn, order, name_missing=profile.permission_missing, notifications=ask_notifications
    )
    if permissions:
        from ask_sdk_model.ui import AskForPermissionsConsentCard

        card = AskForPermissionsConsentCard(permissions=permissions)
        speech = f"{speech} {turn.msg(reason)}"
    return turn.tell(speech, card=card)


def _api_region(turn: Turn) -> str:
    """The customer's Alexa region (NA, EU, FE) from the envelope's apiEndpoint; "" when
    it is not one of Alexa's. The "ready" notification goes to that region."""
    from skill.notifications import region_of

    region = region_of(turn.envelope.context.system.api_endpoint)
    return region.value if region is not None else ""


def _may_ask_for_notifications(turn: Turn) -> bool:
    """Whether this checkout may ask for the notifications permission: the shop sends
    "your order is ready" in this locale, the customer has not allowed it, and this is
    their first order. Once per customer, not per session: a checkout ends the session,
    so a session flag would put the card in place of the receipt at every checkout."""
    from skill import notifications

    if (
        turn.catalog.locale not in notifications.SUPPORTED_LOCALES
        or not notifications.notifications_enabled(turn.services.settings)
        or notifications.notifications_granted(turn.envelope.context.system)
    ):
        return False
    try:
        return turn.store.last_order(turn.user_id) is None
    except StoreError:
        return False  # a card is never worth failing a checkout for


def _consent(
    turn: Turn, order: Order, *, name_missing: bool, notifications: bool
) -> tuple[list[str], str]:
    """What the checkout's consent card asks for, and the message that says why: the
    given name when the profile lookup found it missing (once per session), and the
    notifications permission when :func:`_may_ask_for_notifications` said so."""
    permissions = []
    name = name_missing and not turn.session.get(_ASKED_PERMISSION)
    if name:
        turn.session[_ASKED_PERMISSION] = True
        permissions.append(GIVEN_NAME_PERMISSION)
    notify = False
    if notifications:
        from skill.notifications import NOTIFICATIONS_PERMISSION, SUPPORTED_LOCALES

        notify = order.locale in SUPPORTED_LOCALES  # the catalog's, which the order took
        if notify:
            permissions.append(NOTIFICATIONS_PERMISSION)
    return permissions, _PERMISSION_REASONS.get((name, notify), "")


def _ready_later(order: Order, pickup_minutes: int) -> bool:
    """Whether the order waits for the shop to open (not ready "in about N minutes")."""
    if order.pickup_at is None:
        return False
    return order.pickup_at - order.created_at > timedelta(minutes=pickup_minutes) + _PICKUP_SLACK


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
    # A card is read later, so it says the date, and the time in the shop's zone.
    ready = (order.pickup_at or order.created_at).astimezone(turn.zone)
    pickup = (
        turn.msg("receipt_pickup", time=turn.msg.time(ready), date=turn.msg.date(ready.date()))
        if order.pickup_at
        else "-"
    )
    footer = turn.msg("receipt_footer", total=order.total.display(), pickup=pickup)
    return StandardCard(
        title=turn.msg("receipt_title", number=order.number), text="\n".join([*lines, footer])
    )
