"""The shop's catalog as the customer meets it: out of stock, price changes, items the shop
no longer sells, and opening hours, in en-US, en-GB and de-DE.

Every conversation runs through the real skill with real envelopes (tests/events) and a
store that holds a prepared catalog document; the catalog changes between turns through
``Store.update_catalog``, as the shop's staff commands change it. Assertions read the cart
and orders back from the store, and compare speech with the locale's messages (keys, not
English), so the same test speaks for every locale. Every response passes the validator.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import FROZEN_NOW, speech_of

from skill.app import CornerShopSkill, build_skill
from skill.config import Settings
from skill.data import catalog_document
from skill.domain.cart import Cart, CartLine
from skill.domain.catalog import Catalog, Item
from skill.domain.money import Money
from skill.domain.orders import OrderLine, review_cart
from skill.errors import CorruptRecord
from skill.profile import NoProfile
from skill.speech import Messages, messages_for
from skill.speech.ssml import to_text
from skill.store.base import Store
from skill.store.memory import MemoryStore
from skill.store.sqlite import SQLiteStore
from skill.validation import assert_valid_response

LOCALES = ("en-US", "en-GB", "de-DE")
MARKET = {"en-US": "US", "en-GB": "UK", "de-DE": "DE"}
USER = "amzn1.ask.account.AEXAMPLEUSERID0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ER_MATCH = "ER_SUCCESS_MATCH"
#: Monday to Saturday 08:00-18:00 in Europe/Berlin (UTC+1 in November), closed on Sunday.
HOURS = {
    "weekly": {
        **{day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")},
        "sun": [],
    },
    "closed": [],
}

Event = Callable[..., dict[str, Any]]


# -- the shop's catalog ---------------------------------------------------------------
def demo(**changes: Any) -> dict[str, Any]:
    """The bundled demo document, changed: ``out=[ids]``, ``hours={...}``."""
    doc = copy.deepcopy(catalog_document())
    doc.pop("version", None)
    for item in doc["items"]:
        if item["id"] in changes.get("out", ()):
            item["in_stock"] = False
    if "hours" in changes:
        doc["hours"] = changes["hours"]
    return doc


def set_stock(item_id: str, in_stock: bool) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(doc: dict[str, Any]) -> dict[str, Any]:
        for item in doc["items"]:
            if item["id"] == item_id:
                item["in_stock"] = in_stock
        return doc

    return change


def set_price(item_id: str, market: str, cents: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(doc: dict[str, Any]) -> dict[str, Any]:
        for item in doc["items"]:
            if item["id"] == item_id:
                item["prices"][market] = cents
        return doc

    return change


def discontinue(item_id: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(doc: dict[str, Any]) -> dict[str, Any]:
        doc["items"] = [item for item in doc["items"] if item["id"] != item_id]
        for words in doc["text"].values():
            words.pop(item_id, None)
        return doc

    return change


# -- talking to the shop ----------------------------------------------------------------
class Shop:
    """One skill on a prepared store, spoken to in one locale; the clock can be moved."""

    def __init__(self, skill: CornerShopSkill, store: Store, event: Event, locale: str):
        self.skill = skill
        self.store = store
        self.event = event
        self.locale = locale
        self.msg: Messages = messages_for(locale)
        self.attributes: dict[str, Any] = {}
        self.last: dict[str, Any] = {}

    def catalog(self) -> Catalog:
        """The catalog as stored now, in this locale (what the assertions expect)."""
        doc = self.store.get_catalog()
        assert doc is not None
        return Catalog.from_document(doc, self.locale)

    def item(self, item_id: str) -> Item:
        item = self.catalog().get(item_id)
        assert item is not None
        return item

    def say(self, money: Money) -> str:
        return money.spoken(self.msg.language)

    def send(
        self,
        name: str,
        *,
        item: str | None = None,
        resolved: str | None = None,
        quantity: int | None = None,
        heard: bool = True,
    ) -> str:
        """Send tests/events/<name>.json in this locale; ``item`` is the spoken value and
        ``resolved`` the id Alexa's entity resolution matched (``heard=False``: the slot has
        the resolution only, no spoken value). Returns the speech as text."""
        env = self.event(name, attributes=self.attributes)
        env["request"]["locale"] = self.locale
        if item is not None:
            slot: dict[str, Any] = {"name": "Item", "confirmationStatus": "NONE"}
            if heard:
                slot["value"] = item
            if resolved is not None:
                slot["resolutions"] = {
                    "resolutionsPerAuthority": [
                        {
                            "authority": "amzn1.er-authority.echo-sdk.skill.CatalogItem",
                            "status": {"code": ER_MATCH},
                            "values": [{"value": {"name": item, "id": resolved}}],
                        }
                    ]
                }
            env["request"]["intent"]["slots"]["Item"] = slot
        if quantity is not None:
            env["request"]["intent"]["slots"]["Quantity"] = {
                "name": "Quantity",
                "value": str(quantity),
                "confirmationStatus": "NONE",
            }
        self.last = self.skill.handle(env)
        assert_valid_response(self.last, request_type=env["request"]["type"])
        self.attributes = self.last.get("sessionAttributes") or {}
        return to_text(speech_of(self.last))

    def add(self, item_id: str, quantity: int = 1) -> str:
        return self.send(
            "add_item", item=self.item(item_id).name, resolved=item_id, quantity=quantity
        )

    @property
    def cart(self) -> Cart:
        return self.store.get_cart(USER)

    @property
    def card_text(self) -> str:
        return str(self.last["response"]["card"]["text"])

    @property
    def ended(self) -> bool:
        return bool(self.last["response"].get("shouldEndSession"))


class Clock:
    def __init__(self, now: datetime = FROZEN_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def open_shop(event: Event, clock: Clock, tmp_path: Path) -> Iterator[Callable[..., Shop]]:
    """``open_shop(locale, doc, ttl=0.0, sqlite=False)``: a skill on a fresh store (memory,
    or a real SQLite file) holding ``doc``."""
    built: list[CornerShopSkill] = []

    def make(locale: str, doc: dict[str, Any], *, ttl: float = 0.0, sqlite: bool = False) -> Shop:
        store: Store = SQLiteStore(tmp_path / f"shop{len(built)}.db") if sqlite else MemoryStore()
        assert store.seed_catalog(doc)
        settings = Settings(
            store_url="memory://",
            pickup_minutes=20,
            timezone="Europe/Berlin",
            catalog_ttl=ttl,
            log_level="WARNING",
        )
        skill = build_skill(settings, store=store, profile=NoProfile(), clock=clock)
        built.append(skill)
        return Shop(skill, store, event, locale)

    yield make
    for skill in built:
        skill.close()


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- out of stock when adding ----------------------------------------------------------------
@pytest.mark.parametrize("locale", LOCALES)
def test_an_out_of_stock_item_is_not_added_and_yes_adds_the_offered_one(
    open_shop: Callable[..., Shop], locale: str
) -> None:
    # GIVEN oat milk is out of stock today; milk (same category) is in stock
    shop = open_shop(locale, demo(out=["OAT_MILK"]))
    oat, milk = shop.item("OAT_MILK"), shop.item("MILK")
    # WHEN the customer asks for two cartons of oat milk
    said = shop.send("add_item", item=oat.name, resolved="OAT_MILK", quantity=2)
    # THEN they hear we're out of it, and are offered two of milk instead
    assert shop.msg("out_of_stock", item=oat.name) in said
    offer = shop.msg("offer_alternative", 2, alternative=milk.name, what=milk.phrase(2))
    assert offer in said
    assert not shop.ended
    # AND nothing was added
    assert shop.cart.is_empty
    # WHEN they say yes
    said = shop.send("yes")
    # THEN the alternative is added in the quantity they asked for, at today's price
    assert shop.cart.quantity_of("MILK") == 2
    assert shop.cart.quantity_of("OAT_MILK") == 0
    line = shop.cart.line_for("MILK")
    assert line is not None and line.price_seen == milk.price
    assert (
        shop.msg("added", count=2, what=milk.phrase(2), total=shop.say(milk.price.times(2))) in said
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_no_to_the_offered_item_keeps_the_cart(open_shop: Callable[..., Shop], locale: str) -> None:
    # GIVEN a cart with bread, and oat milk out of stock
    shop = open_shop(locale, demo(out=["OAT_MILK"]))
    shop.add("BREAD")
    before = shop.cart
    shop.add("OAT_MILK")
    # WHEN the customer says no to the alternative
    said = shop.send("no")
    # THEN the cart is as it was, and they hear so
    assert shop.cart == before
    assert said == shop.msg("clear_kept")


@pytest.mark.parametrize("locale", LOCALES)
def test_help_during_the_offer_repeats_the_offer(
    open_shop: Callable[..., Shop], locale: str
) -> None:
    shop = open_shop(locale, demo(out=["OAT_MILK"]))
    shop.add("OAT_MILK")
    said = shop.send("help")
    question = shop.msg("offer_alternative_reprompt", alternative=shop.item("MILK").name)
    hint = shop.msg("yes_no_hint")  # the question ends with it: said once (issue 11)
    assert said == shop.msg("help_pending", question=question.removesuffix(hint).rstrip())
    assert said.count(hint) == 1
    # the offer still stands after help
    shop.send("yes")
    assert shop.cart.quantity_of("MILK") == 1


@pytest.mark.parametrize("locale", LOCALES)
def test_out_of_stock_with_nothing_like_it_says_so_and_offers_nothing(
    open_shop: Callable[..., Shop], locale: str
) -> None:
    # GIVEN every bakery item is out of stock
    shop = open_shop(locale, demo(out=["BREAD", "BAGELS", "CROISSANT"]))
    bread = shop.item("BREAD")
    # WHEN the customer asks for bread
    said = shop.send("add_item", item=bread.name, resolved="BREAD")
    # THEN they hear we're out, that there's nothing like it, and nothing is pending
    assert said == f"{shop.msg('out_of_stock', item=bread.name)} {shop.msg('no_alternative')}"
    assert "pending" not in shop.attributes
    assert shop.cart.is_empty
    # AND a "yes" now adds nothing
    shop.send("yes")
    assert shop.cart.is_empty


@pytest.mark.parametrize("locale", LOCALES)
def test_an_offer_that_sold_out_before_yes_is_not_added(
    open_shop: Callable[..., Shop], locale: str
) -> None:
    # GIVEN oat milk is out and milk was offered instead
    shop = open_shop(locale, demo(out=["OAT_MILK"]))
    shop.add("OAT_MILK")
    # WHEN milk sells out before the customer says yes
    shop.store.update_catalog(set_stock("MILK", False))
    said = shop.send("yes")
    # THEN nothing is added, and they hear milk is out too
    assert shop.cart.is_empty
    assert shop.msg("out_of_stock", item=shop.item("MILK").name) in said


@pytest.mark.parametrize("locale", LOCALES)
def test_the_price_of_an_out_of_stock_item_says_it_is_out(
    open_shop: Callable[..., Shop], locale: str
) -> None:
    shop = open_shop(locale, demo(out=["OAT_MILK"]))
    oat, milk = shop.item("OAT_MILK"), shop.item("MILK")
    said = shop.send("price")  # "how much is oat milk", resolved to OAT_MILK
    price = shop.msg(
        "price_out_of_stock", name=capital(oat.name), price=shop.say(oat.price), per=oat.per
    )
    assert said.startswith(price)
    assert shop.msg("offer_alternative", 1, alternative=milk.name, what=milk.phrase(1)) in said
    shop.send("yes")
    assert shop.cart.quantity_of("MILK") == 1 and shop.cart.quantity_of("OAT_MILK") == 0


@pytest.mark.parametrize("locale", LOCALES)
def test_what_do_you_sell_names_what_is_out_and_suggests_something_in_stock(
    open_shop: Callable[..., Shop], locale: str
) -> None:
    # GIVEN apples, the first item of the catalog, are out of stock
    shop = open_shop(locale, demo(out=["APPLE"]))
    said = shop.send("browse")
    assert shop.msg("browse_out_of_stock", items=shop.item("APPLE").name) in said
    # WHEN the customer says yes to the suggestion
    shop.send("yes")
    # THEN something in stock was added, not the apples
    (line,) = shop.cart.lines
    assert line.item_id != "APPLE" and shop.item(line.item_id).in_stock


def test_an_item_alexa_still_resolves_but_the_shop_no_longer_sells_is_unknown(
    open_shop: Callable[..., Shop],
) -> None:
    # GIVEN the shop stopped selling oat milk, but Alexa's model still resolves its id
    shop = open_shop("en-US", discontinue("OAT_MILK")(demo()))
    said = shop.send("add_item", item="oat milk", resolved="OAT_MILK")
    assert said == shop.msg("unknown_item", spoken="oat milk")
    assert shop.cart.is_empty
    assert not shop.ended
    # AND so is a slot that carries only the resolution: it is not taken for "no item"
    said = shop.send("add_item", item="oat milk", resolved="OAT_MILK", heard=False)
    assert said == shop.msg("unknown_item", spoken="oat milk")
    assert "directives" not in shop.last["response"]


# -- checkout checks the cart again -----------------------------------------------------------
@pytest.mark.parametrize("locale", LOCALES)
def test_a_line_that_went_out_of_stock_is_taken_out_and_named_before_the_question(
    open_shop: Callable[..., Shop], locale: str
) -> None:
    # GIVEN two apples and a carton of oat milk in the cart
    shop = open_shop(locale, demo())
    shop.add("APPLE", 2)
    shop.add("OAT_MILK")
    # WHEN oat milk sells out, then the customer checks out
    shop.store.update_catalog(set_stock("OAT_MILK", False))
    said = shop.send("checkout")
    # THEN oat milk is out of the stored cart, named, and the question is for what is left
    assert [line.item_id for line in shop.cart.lines] == ["APPLE"]
    apple = shop.item("APPLE")
    assert shop.msg("checkout_out_of_stock", 1, items=shop.item("OAT_MILK").name) in said
    question = shop.msg("checkout_confirm", count=2, total=shop.say(apple.price.times(2)))
    assert said.endswith(question)
    # AND yes orders what is left
    shop.send("yes")
    (order,) = shop.store.list_orders()
    assert [(ln.item_id, ln.quantity) for ln in order.lines] == [("APPLE", 2)]


@pytest.mark.parametrize("locale", LOCALES)
def test_a_price_change_since_adding_is_named_and_charged_at_todays_price(
    open_shop: Callable[..., Shop], locale: str
) -> None:
    # GIVEN oat milk in the cart at its old price
    shop = open_shop(locale, demo())
    old = shop.item("OAT_MILK").price
    shop.add("OAT_MILK")
    # WHEN its price goes up by 20 minor units before checkout
    shop.store.update_catalog(set_price("OAT_MILK", MARKET[locale], old.cents + 20))
    oat = shop.item("OAT_MILK")
    said = shop.send("checkout")
    # THEN the summary names the change, and totals at today's price
    changed = shop.msg(
        "price_changed",
        name=capital(oat.name),
        price=shop.say(oat.price),
        per=oat.per,
        was=shop.say(old),
    )
    assert changed in said
    assert said.endswith(shop.msg("checkout_confirm", count=1, total=shop.say(oat.price)))
    # AND the order is charged at today's price
    shop.send("yes")
    (order,) = shop.store.list_orders()
    assert order.lines[0].unit_price == old.cents + 20
    assert order.total == oat.price


@pytest.mark.parametrize("sqlite", [False, True], ids=["memory", "sqlite"])
@pytest.mark.parametrize("locale", LOCALES)
def test_a_price_change_between_the_question_and_yes_asks_again_from_the_new_catalog(
    open_shop: Callable[..., Shop], locale: str, sqlite: bool
) -> None:
    # GIVEN a process that caches the catalog for an hour, and a checkout question asked
    shop = open_shop(locale, demo(), ttl=3600.0, sqlite=sqlite)
    old = shop.item("OAT_MILK").price
    shop.add("OAT_MILK")
    shop.send("checkout")
    # WHEN the price changes in the store before the customer says yes
    shop.store.update_catalog(set_price("OAT_MILK", MARKET[locale], old.cents + 30))
    oat = shop.item("OAT_MILK")
    said = shop.send("yes")
    # THEN no order is placed from the cached catalog; the question is asked again, saying
    # what changed, from the catalog the checkout transaction read
    assert shop.store.list_orders() == []
    assert said.startswith(shop.msg("checkout_changed"))
    assert (
        shop.msg(
            "price_changed",
            name=capital(oat.name),
            price=shop.say(oat.price),
            per=oat.per,
            was=shop.say(old),
        )
        in said
    )
    assert said.endswith(shop.msg("checkout_confirm", count=1, total=shop.say(oat.price)))
    assert not shop.ended
    # AND yes to the new question places it at the new price (the cache is still old)
    shop.send("yes")
    (order,) = shop.store.list_orders()
    assert order.lines[0].unit_price == old.cents + 30
    assert shop.ended


@pytest.mark.parametrize("sqlite", [False, True], ids=["memory", "sqlite"])
@pytest.mark.parametrize("locale", LOCALES)
def test_an_item_selling_out_between_the_question_and_yes_is_taken_out_and_asked_again(
    open_shop: Callable[..., Shop], locale: str, sqlite: bool
) -> None:
    shop = open_shop(locale, demo(), ttl=3600.0, sqlite=sqlite)
    shop.add("APPLE")
    shop.add("OAT_MILK")
    shop.send("checkout")
    shop.store.update_catalog(set_stock("OAT_MILK", False))
    said = shop.send("yes")
    assert shop.store.list_orders() == []
    assert said.startswith(shop.msg("checkout_changed"))
    assert shop.msg("checkout_out_of_stock", 1, items=shop.item("OAT_MILK").name) in said
    assert [line.item_id for line in shop.cart.lines] == ["APPLE"]
    shop.send("yes")
    (order,) = shop.store.list_orders()
    assert [line.item_id for line in order.lines] == ["APPLE"]


@pytest.mark.parametrize("locale", LOCALES)
def test_when_nothing_is_left_checkout_says_so_and_asks_nothing(
    open_shop: Callable[..., Shop], locale: str
) -> None:
    shop = open_shop(locale, demo())
    shop.add("OAT_MILK", 3)
    shop.store.update_catalog(set_stock("OAT_MILK", False))
    said = shop.send("checkout")
    assert said.endswith(shop.msg("checkout_nothing_left"))
    assert shop.cart.is_empty
    assert "pending" not in shop.attributes
    shop.send("yes")
    assert shop.store.list_orders() == []


@pytest.mark.parametrize("locale", LOCALES)
def test_an_item_the_shop_no_longer_sells_is_named_and_taken_out_of_an_old_cart(
    open_shop: Callable[..., Shop], locale: str
) -> None:
    # GIVEN a cart with bread and oat milk, and a line stored before lines remembered names
    shop = open_shop(locale, demo())
    shop.add("BREAD")
    shop.add("OAT_MILK")
    oat_name = shop.item("OAT_MILK").name
    shop.store.update_cart(USER, lambda cart: Cart((*cart.lines, CartLine("TEA", 1))))
    # WHEN the shop stops selling both oat milk and tea
    shop.store.update_catalog(discontinue("OAT_MILK"))
    shop.store.update_catalog(discontinue("TEA"))
    # THEN the list names oat milk as unavailable, without crashing
    said = shop.send("list_cart")
    assert shop.msg("cart_list_unavailable", items=oat_name) in said
    # AND checkout takes both out and says so, by name where the cart remembers it
    said = shop.send("checkout")
    assert shop.msg("checkout_discontinued", 1, items=oat_name) in said
    assert shop.msg("checkout_discontinued_unnamed", 1) in said
    assert [line.item_id for line in shop.cart.lines] == ["BREAD"]


@pytest.mark.parametrize("locale", LOCALES)
def test_removing_an_item_no_longer_sold_by_its_old_name(
    open_shop: Callable[..., Shop], locale: str
) -> None:
    shop = open_shop(locale, demo())
    shop.add("BREAD")
    shop.add("OAT_MILK")
    oat_name = shop.item("OAT_MILK").name
    shop.store.update_catalog(discontinue("OAT_MILK"))
    shop.send("remove_item", item=oat_name)
    assert [line.item_id for line in shop.cart.lines] == ["BREAD"]


@pytest.mark.parametrize("locale", LOCALES)
def test_a_reorder_leaves_out_what_is_out_of_stock_or_no_longer_sold_and_says_which(
    open_shop: Callable[..., Shop], locale: str
) -> None:
    # GIVEN a past order of apples, oat milk and bread
    shop = open_shop(locale, demo())
    shop.add("APPLE", 2)
    shop.add("OAT_MILK")
    shop.add("BREAD")
    oat_name, bread_name = shop.item("OAT_MILK").name, shop.item("BREAD").name
    shop.send("checkout")
    shop.send("yes")
    # WHEN oat milk is no longer sold and bread is out of stock
    shop.store.update_catalog(discontinue("OAT_MILK"))
    shop.store.update_catalog(set_stock("BREAD", False))
    shop.attributes = {}
    said = shop.send("reorder")
    # THEN only the apples come back, and the others are named
    assert [(ln.item_id, ln.quantity) for ln in shop.cart.lines] == [("APPLE", 2)]
    assert shop.msg("reorder_discontinued", 1, items=oat_name) in said
    assert shop.msg("reorder_out_of_stock", 1, items=bread_name) in said


@pytest.mark.parametrize("locale", LOCALES)
def test_a_reorder_with_nothing_available_offers_no_checkout(
    open_shop: Callable[..., Shop], locale: str
) -> None:
    shop = open_shop(locale, demo())
    shop.add("OAT_MILK")
    shop.send("checkout")
    shop.send("yes")
    (order,) = shop.store.list_orders()
    shop.store.update_catalog(set_stock("OAT_MILK", False))
    shop.attributes = {}
    said = shop.send("reorder")
    assert said.endswith(shop.msg("reorder_nothing", number=order.number))
    assert shop.cart.is_empty
    assert "pending" not in shop.attributes


# -- opening hours -----------------------------------------------------------------------
FRIDAY_NIGHT = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)  # 22:00 in Berlin: closed
BEFORE_CLOSING = datetime(2026, 11, 27, 16, 50, tzinfo=UTC)  # 17:50 in Berlin, closes 18:00
SATURDAY_NIGHT = datetime(2026, 11, 28, 19, 0, tzinfo=UTC)  # closed until Monday 08:00


@pytest.mark.parametrize("locale", LOCALES)
def test_a_closed_shop_says_when_it_opens_and_the_order_is_ready_from_then(
    open_shop: Callable[..., Shop], clock: Clock, locale: str
) -> None:
    # GIVEN the shop is closed (Friday 22:00 in Berlin) and opens at 08:00 tomorrow
    clock.now = FRIDAY_NIGHT
    shop = open_shop(locale, demo(hours=HOURS))
    shop.add("APPLE", 2)
    # WHEN the customer checks out
    said = shop.send("checkout")
    # THEN they hear it in the shop's local time, before being asked to confirm
    opens = datetime(2026, 11, 28, 8, 0, tzinfo=shop.skill.settings.zone)
    ready = datetime(2026, 11, 28, 8, 20, tzinfo=shop.skill.settings.zone)
    closed = shop.msg(
        "checkout_closed",
        when=shop.msg("day_tomorrow"),
        opens=shop.msg.time(opens),
        ready=shop.msg.time(ready),
    )
    assert closed in said
    assert said.endswith(
        shop.msg("checkout_confirm", count=2, total=shop.say(shop.item("APPLE").price.times(2)))
    )
    # AND after yes, the order is ready from opening time plus preparation
    said = shop.send("yes")
    (order,) = shop.store.list_orders()
    assert order.pickup_at == datetime(2026, 11, 28, 7, 20, tzinfo=UTC)
    assert shop.msg.time(ready) in said
    assert shop.msg("day_tomorrow") in said
    # AND the receipt says the local time and the date
    assert shop.msg.time(ready) in shop.card_text
    assert shop.msg.date(ready.date()) in shop.card_text


def test_the_spoken_times_follow_each_locale(open_shop: Callable[..., Shop], clock: Clock) -> None:
    clock.now = FRIDAY_NIGHT
    said = {}
    for locale in LOCALES:
        shop = open_shop(locale, demo(hours=HOURS))
        shop.add("APPLE")
        said[locale] = shop.send("checkout")
    assert (
        "We open tomorrow at 8 AM, so your order would be ready from about 8:20 AM."
        in said["en-US"]
    )
    assert (
        "We open tomorrow at 8:00, so your order would be ready from about 8:20." in said["en-GB"]
    )
    assert (
        "Wir öffnen morgen um 8 Uhr, deine Bestellung wäre dann ab etwa 8:20 Uhr fertig."
        in said["de-DE"]
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_closed_on_sunday_names_the_opening_day(
    open_shop: Callable[..., Shop], clock: Clock, locale: str
) -> None:
    clock.now = SATURDAY_NIGHT
    shop = open_shop(locale, demo(hours=HOURS))
    shop.add("APPLE")
    said = shop.send("checkout")
    monday = shop.msg("day_weekday", day=shop.msg.raw("weekdays")["mon"])
    assert monday in said
    shop.send("yes")
    (order,) = shop.store.list_orders()
    assert order.pickup_at == datetime(2026, 11, 30, 7, 20, tzinfo=UTC)


@pytest.mark.parametrize("locale", LOCALES)
def test_an_order_just_before_closing_is_ready_at_the_next_opening(
    open_shop: Callable[..., Shop], clock: Clock, locale: str
) -> None:
    clock.now = BEFORE_CLOSING
    shop = open_shop(locale, demo(hours=HOURS))
    shop.add("APPLE")
    said = shop.send("checkout")
    ready = datetime(2026, 11, 28, 8, 20, tzinfo=shop.skill.settings.zone)
    late = shop.msg(
        "checkout_after_closing", when=shop.msg("day_tomorrow"), ready=shop.msg.time(ready)
    )
    assert late in said


@pytest.mark.parametrize("locale", LOCALES)
def test_an_open_shop_keeps_ready_in_about_twenty_minutes(
    open_shop: Callable[..., Shop], locale: str
) -> None:
    # GIVEN Friday 11:15 in Berlin: open
    shop = open_shop(locale, demo(hours=HOURS))
    shop.add("APPLE")
    said = shop.send("checkout")
    assert said == shop.msg("checkout_confirm", count=1, total=shop.say(shop.item("APPLE").price))
    said = shop.send("yes")
    (order,) = shop.store.list_orders()
    total = shop.say(order.total)
    assert said == shop.msg("checkout_done", None, number=order.number, total=total, minutes=20)
    # the receipt says the pickup time in Berlin (11:35), not UTC (10:35)
    local = datetime(2026, 11, 27, 11, 35, tzinfo=shop.skill.settings.zone)
    assert shop.msg.time(local) in shop.card_text


# -- the rules underneath -------------------------------------------------------------------
def test_cart_lines_remember_price_currency_and_name_and_read_back() -> None:
    cart = Cart().add("OAT_MILK", 2, price=Money(429, "USD"), name="oat milk").add("TEA", 1)
    assert cart.to_data() == [["OAT_MILK", 2, 429, "USD", "oat milk"], ["TEA", 1]]
    assert Cart.from_data(cart.to_data()) == cart
    # adding again remembers the newer price
    again = cart.add("OAT_MILK", 1, price=Money(449, "USD"), name="oat milk")
    assert again.line_for("OAT_MILK") == CartLine("OAT_MILK", 3, 449, "USD", "oat milk")
    # removing some keeps what the line remembers
    assert again.remove("OAT_MILK", 1).line_for("OAT_MILK") == CartLine(
        "OAT_MILK", 2, 449, "USD", "oat milk"
    )


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ([["A", 1, -1, "USD", "a"]], "the unit price -1"),
        ([["A", 1, 1.5, "USD", "a"]], "the unit price 1.5"),
        ([["A", 1, True, "USD", "a"]], "the unit price True"),
        ([["A", 1, 100, "usd", "a"]], "the currency 'usd'"),
        ([["A", 1, 100, "", "a"]], "the currency ''"),
        ([["A", 1, 100, "USD", 7]], "the item name 7"),
        ([["A", 1, 100, "USD", "x" * 201]], "the item name"),
        ([["A", 1, 100, "USD"]], "is not an [item id, quantity] pair"),
        ([["A", 0, 100, "USD", "a"]], "the quantity 0"),
    ],
)
def test_a_damaged_remembered_line_is_a_corrupt_record(data: Any, said: str) -> None:
    with pytest.raises(CorruptRecord, match="A stored cart is damaged") as raised:
        Cart.from_data(data)
    assert said in str(raised.value)


def test_a_review_agrees_only_with_the_quote_it_made() -> None:
    catalog = Catalog.from_document(demo(), "en-US")
    oat = catalog.get("OAT_MILK")
    assert oat is not None
    cart = Cart().add("OAT_MILK", 1, price=oat.price, name=oat.name)
    review = review_cart(cart, catalog)
    assert review.lines == (OrderLine("OAT_MILK", oat.name, 1, oat.price.cents),)
    assert review.agrees_with(review.quote)
    assert review.agrees_with(None)  # no quote, nothing changed
    dearer = Catalog.from_document(
        set_price("OAT_MILK", "US", oat.price.cents + 1)(demo()), "en-US"
    )
    later = review_cart(cart, dearer)
    assert not later.agrees_with(review.quote)
    assert not later.agrees_with(None)  # no quote: a changed price still needs a new question
    assert later.price_changes[0].was == oat.price
    gone = Catalog.from_document(demo(out=["OAT_MILK"]), "en-US")
    assert not review_cart(cart, gone).agrees_with(review_cart(cart, gone).quote)


@pytest.mark.parametrize(
    ("locale", "morning", "evening", "on_the_hour"),
    [
        ("en-US", "8:05 AM", "6:30 PM", "8 AM"),
        ("en-GB", "8:05", "18:30", "8:00"),
        ("en-CA", "8:05 a.m.", "6:30 p.m.", "8 a.m."),
        ("de-DE", "8:05 Uhr", "18:30 Uhr", "8 Uhr"),
    ],
)
def test_times_are_said_in_each_locales_words(
    locale: str, morning: str, evening: str, on_the_hour: str
) -> None:
    msg = messages_for(locale)
    assert msg.time(datetime(2026, 1, 5, 8, 5)) == morning
    assert msg.time(datetime(2026, 1, 5, 18, 30)) == evening
    assert msg.time(datetime(2026, 1, 5, 8, 0)) == on_the_hour
    assert msg.time(datetime(2026, 1, 5, 0, 10)).startswith(
        "12" if locale in ("en-US", "en-CA") else "0"
    )


def test_dates_are_written_in_each_locales_words() -> None:
    day = datetime(2026, 12, 25).date()
    assert messages_for("en-US").date(day) == "Friday, December 25"
    assert messages_for("en-GB").date(day) == "Friday 25 December"
    assert messages_for("de-DE").date(day) == "Freitag, 25. Dezember"
