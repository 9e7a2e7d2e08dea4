"""What real customers say (issue 11), through request envelopes with the slots filled as
Alexa fills them: quantity words, several items at once, corrections, questions,
finishing, cancelling a question, and the speech glitches fixed along the way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import speech_of

from skill.app import CornerShopSkill
from skill.domain.cart import Cart
from skill.domain.orders import OrderStatus
from skill.speech import messages_for
from skill.store.memory import MemoryStore
from skill.validation import validate_response

Event = Callable[..., dict[str, Any]]
USER = "amzn1.ask.account.AEXAMPLEUSERID0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN", "de-DE")
Slot = str | tuple[str, str] | None  # a spoken value, (value, resolved id), or empty


class CountingStore(MemoryStore):
    """A memory store that counts cart writes (an atomic change is one call)."""

    def __init__(self) -> None:
        super().__init__()
        self.updates = 0

    def update_cart(self, user_id: str, change: Any, *, request_id: str = "") -> Cart:
        self.updates += 1
        return super().update_cart(user_id, change, request_id=request_id)


def envelope(
    event: Event,
    name: str,
    slots: dict[str, Slot],
    *,
    locale: str = "en-US",
    attributes: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """A real envelope (tests/events/add_item.json) carrying intent ``name`` and ``slots``."""
    env = event("add_item", attributes=attributes or {}, request_id=request_id)
    env["request"]["locale"] = locale
    filled: dict[str, Any] = {}
    for slot, value in slots.items():
        entry: dict[str, Any] = {"name": slot, "confirmationStatus": "NONE"}
        if isinstance(value, tuple):
            spoken, ident = value
            entry["value"] = spoken
            entry["resolutions"] = {
                "resolutionsPerAuthority": [
                    {
                        "authority": "amzn1.er-authority.echo-sdk.amzn1.ask.skill.x.Type",
                        "status": {"code": "ER_SUCCESS_MATCH"},
                        "values": [{"value": {"name": spoken, "id": ident}}],
                    }
                ]
            }
        elif value is not None:
            entry["value"] = value
        filled[slot] = entry
    env["request"]["intent"] = {"name": name, "confirmationStatus": "NONE", "slots": filled}
    return env


class Chat:
    """One session: carries the session attributes as Alexa does, checks every response."""

    def __init__(self, skill: CornerShopSkill, event: Event, locale: str = "en-US") -> None:
        self.skill, self.event, self.locale = skill, event, locale
        self.attributes: dict[str, Any] = {}
        self.last: dict[str, Any] = {}

    def say(self, name: str, request_id: str | None = None, **slots: Slot) -> dict[str, Any]:
        env = envelope(
            self.event,
            name,
            slots,
            locale=self.locale,
            attributes=self.attributes,
            request_id=request_id,
        )
        return self.send(env)

    def send(self, env: dict[str, Any]) -> dict[str, Any]:
        self.last = self.skill.handle(env)
        assert validate_response(self.last, request_type="IntentRequest") == []
        self.attributes = self.last.get("sessionAttributes") or {}
        return self.last

    @property
    def speech(self) -> str:
        return speech_of(self.last)

    @property
    def directive(self) -> dict[str, Any]:
        directives = self.last["response"].get("directives") or [{}]
        return dict(directives[0])

    @property
    def open(self) -> bool:
        return self.last["response"]["shouldEndSession"] is False


@pytest.fixture
def store() -> CountingStore:
    return CountingStore()


@pytest.fixture
def chat(make_skill: Callable[..., CornerShopSkill], store: CountingStore, event: Event) -> Chat:
    return Chat(make_skill(store=store), event)


@pytest.fixture
def german(make_skill: Callable[..., CornerShopSkill], store: CountingStore, event: Event) -> Chat:
    return Chat(make_skill(store=store), event, "de-DE")


def lines(store: MemoryStore) -> dict[str, int]:
    return {line.item_id: line.quantity for line in store.get_cart(USER).lines}


def slot_values(directive: dict[str, Any]) -> dict[str, Any]:
    slots = directive["updatedIntent"]["slots"]
    return {name: slot.get("value") for name, slot in slots.items()}


APPLES, BANANA, LEMONS, MILK = (
    ("apples", "APPLE"),
    ("banana", "BANANA"),
    ("lemons", "LEMON"),
    (
        "milk",
        "MILK",
    ),
)


# -- quantity words -----------------------------------------------------------------------
def test_a_dozen_apples_is_twelve_and_two_dozen_eggs_is_two(chat: Chat, store: MemoryStore) -> None:
    chat.say("AddItemIntent", Amount=("a dozen", "DOZEN"), Item=APPLES)
    assert chat.speech.startswith("Added 12 apples.")
    chat.say("AddItemIntent", Quantity="2", Amount=("dozen", "DOZEN"), Item=("eggs", "EGGS"))
    assert chat.speech.startswith("Added 2 dozen eggs.")
    assert lines(store) == {"APPLE": 12, "EGGS": 2}


def test_twelve_eggs_asks_whether_dozens_were_meant(chat: Chat, store: MemoryStore) -> None:
    # Eggs are sold by the dozen: "add twelve eggs" is never silently 12 dozen (144 eggs)
    chat.say("AddItemIntent", Quantity="12", Item=("eggs", "EGGS"))
    assert chat.speech == "We sell eggs by the dozen. How many dozen eggs would you like?"
    assert chat.directive["slotToElicit"] == "Quantity"
    assert lines(store) == {}


def test_quantity_words_without_entity_resolution_use_the_locales_words(
    chat: Chat, store: MemoryStore
) -> None:
    chat.say("AddItemIntent", Amount="half a dozen", Item=LEMONS)
    chat.say("AddItemIntent", Amount="a couple of", Item=BANANA)
    chat.say("AddItemIntent", Amount=("some", "SOME"), Item=MILK)
    assert chat.speech.startswith("Added 1 gallon of milk.")  # a default the reply states
    assert lines(store) == {"LEMON": 6, "BANANA": 2, "MILK": 1}


def test_a_few_asks_how_many_and_the_answer_adds_them(chat: Chat, store: MemoryStore) -> None:
    chat.say("AddItemIntent", Amount=("a few", "FEW"), Item=LEMONS)
    assert chat.speech == "How many lemons would you like?"
    assert chat.directive["slotToElicit"] == "Quantity"
    assert slot_values(chat.directive)["Amount"] is None  # the answer stands alone
    assert lines(store) == {}
    chat.say("AddItemIntent", Quantity="3", Item=slot_values(chat.directive)["Item"])
    assert lines(store) == {"LEMON": 3}


@pytest.mark.parametrize(
    "slots",
    [{"Quantity": "2.5"}, {"Quantity": "?"}, {"Amount": ("half a", "HALF")}],
    ids=["decimal", "unreadable", "half"],
)
def test_a_fraction_is_never_rounded_the_shop_asks_for_a_whole_one(
    chat: Chat, store: MemoryStore, slots: dict[str, Slot]
) -> None:
    chat.say("AddItemIntent", Item=APPLES, **slots)
    assert chat.speech.startswith("Sorry, I can only add a whole number of apples.")
    assert chat.directive["slotToElicit"] == "Quantity"
    assert lines(store) == {}


def test_a_unit_the_shop_does_not_sell_says_its_unit_then_asks(
    chat: Chat, store: MemoryStore
) -> None:
    chat.say("AddItemIntent", Amount=("a", "ONE"), Unit=("pint", "PINT"), Item=MILK)
    assert chat.speech == "We sell milk by the gallon. How many gallons of milk would you like?"
    assert chat.directive["slotToElicit"] == "Quantity"
    assert slot_values(chat.directive)["Unit"] is None
    assert lines(store) == {}
    # A unit said as part of the item ("pint of milk" resolved to MILK) is heard too.
    chat.say("AddItemIntent", Amount=("a", "ONE"), Item=("pint of milk", "MILK"))
    assert chat.speech.startswith("We sell milk by the gallon.")
    assert slot_values(chat.directive)["Item"] == "milk"
    chat.say("AddItemIntent", Quantity="2", Item="milk")
    assert lines(store) == {"MILK": 2}
    # A unit the shop does sell it in is fine.
    chat.say("AddItemIntent", Amount=("a", "ONE"), Unit=("bag", "BAG"), Item=("carrots", "CARROTS"))
    assert chat.speech.startswith("Added 1 bag of carrots.")
    assert lines(store) == {"MILK": 2, "CARROTS": 1}


def test_en_in_a_bag_of_crisps_is_a_packet_of_chips(
    make_skill: Callable[..., CornerShopSkill], store: MemoryStore, event: Event
) -> None:
    # Indian shops sell crisps by the packet: a bag is the same thing to a customer,
    # while a gallon of them is not.
    chat = Chat(make_skill(store=store), event, "en-IN")
    chat.say(
        "AddItemIntent", Amount=("a", "ONE"), Unit=("gallon", "GALLON"), Item=("crisps", "CRISPS")
    )
    assert chat.speech.startswith("We sell chips by the packet.")
    chat.say("AddItemIntent", Amount=("a", "ONE"), Unit=("bag", "BAG"), Item=("crisps", "CRISPS"))
    assert chat.speech.startswith("Added 1 packet of chips.")
    assert lines(store) == {"CRISPS": 1}


def test_german_einen_takes_one_out_not_the_whole_line(german: Chat, store: MemoryStore) -> None:
    store.update_cart(USER, lambda c: c.add("APPLE", 3))
    german.say("RemoveItemIntent", Amount=("einen", "ONE"), Item=("Apfel", "APPLE"))
    assert german.speech.startswith("Entfernt: ein Apfel.")
    german.say("RemoveItemIntent", Amount="einen", Item="Apfel")  # no resolution: the words
    assert lines(store) == {"APPLE": 1}


# -- several items at once ----------------------------------------------------------------
def test_several_items_are_added_in_one_atomic_update_and_all_named(
    chat: Chat, store: CountingStore
) -> None:
    chat.say(
        "AddItemIntent",
        Quantity="2",
        Item=APPLES,
        Amount2=("a", "ONE"),
        Item2=BANANA,
        Amount3=("some", "SOME"),
        Item3=MILK,
    )
    assert store.updates == 1
    assert chat.speech.startswith(
        "Added 2 apples, 1 banana, and 1 gallon of milk. Your cart has 4 items, $5.74."
    )
    assert lines(store) == {"APPLE": 2, "BANANA": 1, "MILK": 1}


def test_a_redelivered_list_is_added_once(chat: Chat, store: MemoryStore) -> None:
    for _ in range(2):
        chat.say("AddItemIntent", "same-request", Quantity="2", Item=APPLES, Item2=BANANA)
    assert lines(store) == {"APPLE": 2, "BANANA": 1}
    assert "Added 2 apples and 1 banana." in chat.speech


def test_an_unknown_item_in_a_list_is_named_and_the_others_added(
    chat: Chat, store: MemoryStore
) -> None:
    chat.say("AddItemIntent", Item="unicorn", Quantity2="2", Item2=("bananas", "BANANA"))
    assert chat.speech.startswith("Sorry, Corner Shop doesn't sell unicorns. Added 2 bananas.")
    assert lines(store) == {"BANANA": 2}


def test_a_question_about_one_item_comes_after_adding_the_others(
    chat: Chat, store: CountingStore
) -> None:
    chat.say("AddItemIntent", Quantity="2", Item=APPLES, Amount2=("a few", "FEW"), Item2=LEMONS)
    assert lines(store) == {"APPLE": 2}
    assert chat.speech.startswith("Added 2 apples.")
    assert chat.speech.endswith("How many lemons would you like?")
    values = slot_values(chat.directive)
    assert values["Item"] == "lemons"
    assert all(values.get(name) is None for name in ("Item2", "Quantity2", "Amount2"))
    chat.say("AddItemIntent", Quantity="3", Item=values["Item"])
    assert lines(store) == {"APPLE": 2, "LEMON": 3}


def test_two_items_needing_a_question_the_second_is_named_not_dropped(
    chat: Chat, store: CountingStore
) -> None:
    # "two apples, a few lemons and half a dozen milk": one question at a time
    chat.say(
        "AddItemIntent",
        Quantity="2",
        Item=APPLES,
        Amount2=("a few", "FEW"),
        Item2=LEMONS,
        Amount3=("half", "HALF"),
        Item3=MILK,
    )
    assert lines(store) == {"APPLE": 2}
    # The added part doesn't ask "What else would you like?" before the real question
    assert "What else" not in chat.speech
    assert "I haven't added milk yet." in chat.speech
    assert chat.speech.endswith("How many lemons would you like?")


# -- corrections --------------------------------------------------------------------------
def test_make_that_five_sets_the_item_just_added(chat: Chat, store: MemoryStore) -> None:
    chat.say("AddItemIntent", Quantity="2", Item=APPLES)
    assert chat.attributes["last_item"] == "APPLE"
    chat.say("SetQuantityIntent", Quantity="5")
    assert chat.speech.startswith("Okay, that's 5 apples now. Your cart has 5 items")
    assert lines(store) == {"APPLE": 5}
    chat.say("SetQuantityIntent", Quantity="4", Item=("oranges", "ORANGE"))  # not in the cart
    assert lines(store) == {"APPLE": 5, "ORANGE": 4}


def test_make_that_five_without_a_referent_asks_which_item(chat: Chat) -> None:
    chat.attributes = {"last_item": "NO_SUCH_ITEM"}  # from the client: validated
    chat.say("SetQuantityIntent", Quantity="5")
    assert chat.speech == "Which item should I change?"
    assert chat.directive["slotToElicit"] == "Item"


def test_one_more_adds_one_of_the_last_item(chat: Chat, store: MemoryStore) -> None:
    chat.say("AddItemIntent", Item=BANANA)
    chat.say("AddItemIntent", Amount=("one more", "ANOTHER"))
    assert lines(store) == {"BANANA": 2}


def test_removing_more_than_the_cart_holds_says_how_many_there_were(
    chat: Chat, store: MemoryStore
) -> None:
    store.update_cart(USER, lambda c: c.add("APPLE", 2).add("BREAD", 1))
    chat.say("RemoveItemIntent", Quantity="5", Item=APPLES)
    assert chat.speech.startswith(
        "There were only 2 apples in your cart, so I took them all out. Your cart has 1 item"
    )
    assert lines(store) == {"BREAD": 1}


# -- questions and finishing --------------------------------------------------------------
def test_do_you_have_eggs_answers_with_the_price_and_yes_adds_one(
    chat: Chat, store: MemoryStore
) -> None:
    chat.say("ItemQuestionIntent", Item=("eggs", "EGGS"))
    assert chat.speech == "Yes, we sell eggs, at $4.29 a dozen. Would you like to add some?"
    chat.say("AMAZON.YesIntent")
    assert lines(store) == {"EGGS": 1}


def test_whats_my_total_gives_the_total(chat: Chat, store: MemoryStore) -> None:
    chat.say("CartTotalIntent")
    assert chat.speech.startswith("Your cart is empty.")
    store.update_cart(USER, lambda c: c.add("APPLE", 2))
    chat.say("CartTotalIntent")
    assert chat.speech.startswith("Your cart comes to $1.50 for 2 items.")


def test_no_to_what_else_offers_checkout_with_the_summary(chat: Chat) -> None:
    chat.say("AddItemIntent", Quantity="2", Item=APPLES)
    chat.say("AMAZON.NoIntent")
    assert chat.speech == "That's 2 items for $1.50. Shall I place your order?"
    assert chat.attributes["pending"]["kind"] == "checkout"


def test_cancel_during_a_question_cancels_only_the_question(chat: Chat, store: MemoryStore) -> None:
    chat.say("AddItemIntent", Quantity="2", Item=APPLES)
    chat.say("CheckoutIntent")
    chat.say("AMAZON.CancelIntent")
    assert chat.speech.startswith("Okay, I didn't place the order.")
    assert chat.open and "pending" not in chat.attributes
    chat.say("PriceIntent", Item=MILK)
    chat.say("AMAZON.CancelIntent")
    assert chat.speech.startswith("Okay, I didn't add milk.")
    assert lines(store) == {"APPLE": 2}
    chat.say("AddItemIntent", Item=MILK)  # "What else would you like?" is no yes/no question
    chat.say("AMAZON.CancelIntent")
    assert chat.speech == "Goodbye. Your cart is saved for next time."
    assert not chat.open


# -- cancelling a placed order: the yes/no around C's question ---------------------------------
def test_yes_no_and_cancel_answer_the_cancel_order_question(chat: Chat, store: MemoryStore) -> None:
    chat.say("AddItemIntent", Quantity="2", Item=APPLES)
    chat.say("CheckoutIntent")
    chat.say("AMAZON.YesIntent")
    chat.attributes = {}  # the checkout ended the session
    order = store.last_order(USER)
    assert order is not None
    for answer in ("AMAZON.NoIntent", "AMAZON.CancelIntent"):
        chat.say("CancelOrderIntent")
        assert chat.attributes["pending"] == {"kind": "cancel_order", "order": str(order.number)}
        chat.say("AMAZON.HelpIntent")
        assert chat.speech.count("Say yes or no.") == 1
        chat.say(answer)
        assert chat.speech.startswith("Okay, I didn't cancel anything.") and chat.open
    chat.say("CancelOrderIntent")
    chat.say("AMAZON.YesIntent")
    assert chat.speech.startswith(f"Okay, I cancelled order {order.number}.")
    assert store.last_order(USER).status is OrderStatus.CANCELLED  # type: ignore[union-attr]
    chat.attributes = {"pending": {"kind": "cancel_order", "order": "1001; drop"}}  # forged
    chat.say("AMAZON.YesIntent")
    assert chat.speech.startswith("I'm not sure what you're saying yes to.")


# -- speech that must be right ------------------------------------------------------------
@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    "pending",
    [
        {"kind": "checkout"},
        {"kind": "clear"},
        {"kind": "checkout_offer"},
        {"kind": "add", "item": "APPLE"},
        {"kind": "alternative", "item": "APPLE", "quantity": "1"},
        {"kind": "cancel_order", "order": "1001"},
    ],
    ids=lambda p: p["kind"],
)
def test_help_during_a_question_says_its_hint_once(
    make_skill: Callable[..., CornerShopSkill], event: Event, locale: str, pending: dict[str, str]
) -> None:
    chat = Chat(make_skill(), event, locale)
    chat.attributes = {"pending": pending}
    chat.say("AMAZON.HelpIntent")
    hint = messages_for(locale)("yes_no_hint")
    assert chat.speech.count(hint) == 1, chat.speech
    assert chat.speech.endswith(hint)


@pytest.mark.parametrize(
    ("locale", "joint"), [("en-US", ", and 2 more lines"), ("de-DE", " und 2")]
)
def test_a_long_cart_never_says_and_and(
    make_skill: Callable[..., CornerShopSkill],
    store: MemoryStore,
    event: Event,
    locale: str,
    joint: str,
) -> None:
    ids = ["APPLE", "BANANA", "ORANGE", "LEMON", "AVOCADO", "TOMATO", "BREAD"]

    def fill(cart: Cart) -> Cart:
        for item_id in ids:
            cart = cart.add(item_id, 1)
        return cart

    store.update_cart(USER, fill)
    chat = Chat(make_skill(store=store), event, locale)
    chat.say("ListCartIntent")
    and_ = messages_for(locale)("list_and")
    assert f"{and_} {and_}" not in chat.speech
    assert joint in chat.speech
    # List joining is per-language data: German has no comma before "und".
    assert messages_for("de-DE").join(["Äpfel", "Milch", "Brot"]) == "Äpfel, Milch und Brot"
    assert messages_for("en-GB").join(["apples", "milk", "bread"]) == "apples, milk, and bread"


@pytest.mark.parametrize(
    ("locale", "spoken", "plural"),
    [
        ("en-US", "unicorn", "unicorns"),
        ("en-US", "unicorns", "unicorns"),  # already plural
        ("en-GB", "purple unicorn", "purple unicorns"),
        ("en-US", "mouse", "mice"),
        ("en-US", "caviar", "caviar"),  # a mass noun, from the catalog's exceptions
        ("de-DE", "Einhorn", "Einhörner"),
        ("de-DE", "einhorn", "Einhörner"),  # however Alexa wrote it
        ("de-DE", "Drache", "Drachen"),
        ("de-DE", "Kiwi", "Kiwis"),
        ("de-DE", "Granatapfel", "Granatäpfel"),  # the end of a compound
        ("de-DE", "Kaviar", "Kaviar"),
        ("de-DE", "Hund", "Hunde"),
        ("de-DE", "Apfelbaum", "Apfelbäume"),  # not "Apfelbaen" (Museum, Museen)
        ("de-DE", "Schwein", "Schweine"),  # the longest exception wins ("wein" is a mass noun)
    ],
)
def test_unknown_items_are_named_in_the_languages_plural(
    locale: str, spoken: str, plural: str
) -> None:
    assert messages_for(locale).plural(spoken) == plural


@pytest.mark.parametrize(
    ("intent", "slots"),
    [
        ("AddItemIntent", {"Item": "unicorn"}),
        ("RemoveItemIntent", {"Item": "unicorn"}),
        ("PriceIntent", {"Item": "unicorn"}),
        ("ItemQuestionIntent", {"Item": "unicorn"}),
        ("SetQuantityIntent", {"Item": "unicorn", "Quantity": "2"}),
        ("AddItemIntent", {"Item": "unicorn", "Item2": "dragon"}),
    ],
)
def test_unknown_items_are_plural_from_every_path(
    chat: Chat, intent: str, slots: dict[str, Slot]
) -> None:
    chat.say(intent, **slots)
    assert "doesn't sell unicorns" in chat.speech
    assert "unicorn." not in chat.speech and "unicorn " not in chat.speech


def test_german_unknown_items_are_plural(german: Chat) -> None:
    german.say("AddItemIntent", Amount=("ein", "ONE"), Item="Einhorn")
    assert german.speech.startswith("Entschuldigung, Einhörner haben wir bei Tante Emma nicht.")


def test_help_after_a_browse_offer_names_the_offered_item_which_was_an_example(
    chat: Chat, store: MemoryStore
) -> None:
    store.update_cart(USER, lambda c: c.add("APPLE", 1))  # the first example, in the cart
    chat.say("BrowseCatalogIntent")
    offered = chat.attributes["pending"]["item"]
    name = {"BANANA": "bananas", "MILK": "milk", "BREAD": "bread"}[offered]
    assert "For example, " in chat.speech
    examples = chat.speech.split("For example, ")[1].split(".")[0]
    assert name in examples and "apples" not in examples
    chat.say("AMAZON.HelpIntent")
    assert chat.speech == f"I asked: Would you like to add {name}? Say yes or no."


_COLD_START = """
import json, sys
from pathlib import Path
from skill.app import build_skill
from skill.config import Settings

events = Path(sys.argv[1])
skill = build_skill(Settings(store_url="memory://", log_level="WARNING"))
known = json.loads((events / "add_item.json").read_text("utf-8"))
skill.handle(known)
after_known = "inflection" in sys.modules
unknown = json.loads((events / "add_item_unknown.json").read_text("utf-8"))
speech = skill.handle(unknown)["response"]["outputSpeech"]["ssml"]
print(json.dumps({"after_known": after_known, "after_unknown": "inflection" in sys.modules,
                  "speech": speech}))
"""


def test_the_plural_library_loads_only_when_an_unknown_item_is_named() -> None:
    # A fresh interpreter: this process has imported everything already.
    import json
    import subprocess
    import sys
    from pathlib import Path

    events = Path(__file__).parents[1] / "events"
    done = subprocess.run(
        [sys.executable, "-c", _COLD_START, str(events)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["after_known"] is False  # the cold start and known items never load it
    assert seen["after_unknown"] is True
    assert "doesn't sell unicorns" in seen["speech"]
