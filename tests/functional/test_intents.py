"""Every intent through real Alexa request envelopes (tests/events/*.json)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import Conversation, speech_of

from skill.app import CornerShopSkill
from skill.domain.cart import Cart
from skill.store.memory import MemoryStore

Event = Callable[..., dict[str, Any]]


def test_launch_with_empty_cart_welcomes_and_asks(talk: Conversation) -> None:
    out = talk.send("launch")["response"]
    assert "Welcome to Corner Shop" in speech_of({"response": out})
    assert out["shouldEndSession"] is False
    assert out["reprompt"]["outputSpeech"]["ssml"].startswith("<speak>")
    assert talk.speech.rstrip().endswith("?")


def test_launch_with_items_says_how_many(talk: Conversation, memory_store: MemoryStore) -> None:
    memory_store.update_cart(
        "amzn1.ask.account.AEXAMPLEUSERID0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        lambda c: c.add("APPLE", 3),
    )
    talk.send("launch")
    assert "Your cart has 3 items" in talk.speech


def test_add_uses_entity_resolution_and_says_total(talk: Conversation) -> None:
    talk.send("add_item")
    assert talk.speech.startswith("Added 2 apples. Your cart has 2 items, $1.50.")
    assert talk.last["response"]["shouldEndSession"] is False


def test_add_three_items_total_matches_issue_example(talk: Conversation) -> None:
    talk.send("add_item")  # 2 apples, $1.50
    talk.send("add_item", slots={"Item": "gala apples", "Quantity": "1"})
    assert "Your cart has 3 items, $2.25." in talk.speech


def test_add_without_resolutions_matches_spoken_synonym(talk: Conversation) -> None:
    talk.send("add_item_spoken_only")  # "a loaf of bread", no quantity
    assert talk.speech.startswith("Added 1 loaf of bread. Your cart has 1 item, $3.49.")


def test_add_missing_item_elicits_the_item_slot(talk: Conversation) -> None:
    out = talk.send("add_item_missing_item")["response"]
    directive = out["directives"][0]
    assert directive["type"] == "Dialog.ElicitSlot"
    assert directive["slotToElicit"] == "Item"
    assert directive["updatedIntent"]["slots"]["Quantity"]["value"] == "2"
    assert out["shouldEndSession"] is False
    assert "What would you like to add?" in talk.speech


def test_add_unknown_item_says_we_dont_sell_it(talk: Conversation) -> None:
    talk.send("add_item_unknown")
    assert talk.speech == "Sorry, Corner Shop doesn't sell unicorns. You can ask what we sell."
    assert talk.last["response"]["shouldEndSession"] is False
    assert "reprompt" in talk.last["response"]


@pytest.mark.parametrize("quantity", ["0", "-3", "?", "lots", "1.5", "1e9"])
def test_add_bad_quantity_asks_again_without_changing_cart(
    talk: Conversation, memory_store: MemoryStore, quantity: str
) -> None:
    out = talk.send("add_item", slots={"Quantity": quantity})["response"]
    assert out["directives"][0]["slotToElicit"] == "Quantity"
    assert "How many apples" in talk.speech
    assert memory_store.list_orders() == []
    assert memory_store.get_cart(
        "amzn1.ask.account.AEXAMPLEUSERID0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ).is_empty


def test_add_over_99_is_refused_and_cart_unchanged(talk: Conversation) -> None:
    talk.send("add_item", slots={"Quantity": "98"})
    talk.send("add_item", slots={"Quantity": "2"})
    assert "at most 99 apples" in talk.speech
    assert "already has 98" in talk.speech
    talk.send("list_cart")
    assert "98 apples" in talk.speech


def test_remove_some_then_all(talk: Conversation) -> None:
    talk.send("add_item", slots={"Quantity": "5"})
    talk.send("remove_item", slots={"Quantity": "2"})
    assert talk.speech.startswith("Removed 2 apples. Your cart has 3 items, $2.25.")
    talk.send("remove_item")
    assert talk.speech.startswith("Removed 3 apples. Your cart is now empty.")


def test_remove_item_not_in_cart_says_so(talk: Conversation) -> None:
    talk.send("remove_item")
    assert "There aren't any apples in your cart." in talk.speech


def test_list_empty_cart(talk: Conversation) -> None:
    talk.send("list_cart")
    assert "Your cart is empty" in talk.speech


def test_list_long_cart_reads_five_lines_and_card_has_all(talk: Conversation) -> None:
    for item in ["apples", "bananas", "milk", "eggs", "bread", "coffee", "rice"]:
        talk.send("add_item_spoken_only", slots={"Item": item})
    talk.send("list_cart")
    assert "and 2 more lines" in talk.speech
    assert "rice" not in talk.speech
    card = talk.last["response"]["card"]
    assert card["type"] == "Simple"
    assert "1 bag of rice" in card["content"]
    assert "Total: $28.05" in card["content"]


def test_clear_asks_first_then_yes_empties(talk: Conversation) -> None:
    talk.send("add_item")
    talk.send("clear_cart")
    assert "Do you want me to empty it?" in talk.speech
    talk.send("yes")
    assert "your cart is empty" in talk.speech
    talk.send("list_cart")
    assert "Your cart is empty" in talk.speech


def test_clear_then_no_keeps_cart(talk: Conversation) -> None:
    talk.send("add_item")
    talk.send("clear_cart")
    talk.send("no")
    assert "kept your cart" in talk.speech
    talk.send("list_cart")
    assert "2 apples" in talk.speech


def test_price_then_yes_adds_one(talk: Conversation) -> None:
    talk.send("price")
    assert talk.speech.startswith("Oat milk is $4.99 a carton.")
    talk.send("yes")
    assert talk.speech.startswith("Added 1 carton of oat milk.")


def test_price_of_plural_item_uses_are(talk: Conversation) -> None:
    talk.send("price", slots={"Item": "apples"})
    assert talk.speech.startswith("Apples are $0.75 each.")


def test_browse_names_categories_and_offers_an_item(talk: Conversation) -> None:
    talk.send("browse")
    assert "We sell fruit and vegetables" in talk.speech
    assert talk.speech.endswith("?")
    talk.send("yes")
    assert talk.speech.startswith("Added 1 ")


def test_checkout_empty_cart(talk: Conversation) -> None:
    talk.send("checkout")
    assert "Your cart is empty, so there's nothing to check out." in talk.speech


def test_checkout_confirms_then_places_order_with_name_and_receipt(
    talk: Conversation, memory_store: MemoryStore
) -> None:
    talk.send("add_item")
    talk.send("add_item_spoken_only")
    talk.send("checkout")
    assert talk.speech == "That's 3 items for $4.99. Shall I place your order?"
    out = talk.send("yes")["response"]
    assert talk.speech.startswith("Ada, you're checked out! Order 1001 is $4.99")
    assert "pickup in about 20 minutes" in talk.speech
    assert out["shouldEndSession"] is True
    assert out["card"]["type"] == "Standard"
    assert out["card"]["title"] == "Corner Shop order 1001"
    assert "2 x apples @ $0.75 = $1.50" in out["card"]["text"]
    [order] = memory_store.list_orders()
    assert order.status.value == "placed"
    assert order.total.cents == 499
    assert [(ln.item_id, ln.quantity, ln.unit_price) for ln in order.lines] == [
        ("APPLE", 2, 75),
        ("BREAD", 1, 349),
    ]
    assert memory_store.get_cart(order.user_id).is_empty


def test_checkout_no_keeps_cart(talk: Conversation, memory_store: MemoryStore) -> None:
    talk.send("add_item")
    talk.send("checkout")
    talk.send("no")
    assert "didn't place the order" in talk.speech
    assert memory_store.list_orders() == []
    talk.send("list_cart")
    assert "2 apples" in talk.speech


def test_checkout_without_permission_sends_consent_card_once(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    from skill.profile import FixedProfile

    talk = Conversation(make_skill(profile=FixedProfile(None, permission_missing=True)), event)
    talk.send("add_item")
    talk.send("checkout")
    out = talk.send("yes")["response"]
    assert talk.speech.startswith("You're checked out! Order 1001")
    assert out["card"]["type"] == "AskForPermissionsConsent"
    assert out["card"]["permissions"] == ["alexa::profile:given_name:read"]
    # Same session, second order: the receipt, not the consent card again.
    talk.attributes = talk.last["sessionAttributes"]
    talk.send("add_item")
    talk.send("checkout")
    out = talk.send("yes", request_id="second-yes")["response"]
    assert out["card"]["type"] == "Standard"


def test_same_checkout_request_delivered_twice_places_one_order(
    skill: CornerShopSkill, event: Event, memory_store: MemoryStore
) -> None:
    talk = Conversation(skill, event)
    talk.send("add_item")
    talk.send("checkout")
    pending = talk.attributes
    first = skill.handle(event("yes", attributes=pending, request_id="amzn1.echo-api.request.dup"))
    again = skill.handle(event("yes", attributes=pending, request_id="amzn1.echo-api.request.dup"))
    assert speech_of(first) == speech_of(again)
    assert len(memory_store.list_orders()) == 1


def test_last_order_before_any_order(talk: Conversation) -> None:
    talk.send("last_order")
    assert "haven't placed an order yet" in talk.speech


def test_last_order_reads_status_as_the_shop_moves_it(
    talk: Conversation, memory_store: MemoryStore
) -> None:
    from skill.domain.orders import OrderStatus

    talk.send("add_item")
    talk.send("checkout")
    talk.send("yes")
    talk.send("last_order")
    assert "number 1001, for $1.50, is being prepared" in talk.speech
    memory_store.set_order_status(1001, OrderStatus.READY)
    talk.send("last_order")
    assert "is ready for pickup" in talk.speech
    memory_store.set_order_status(1001, OrderStatus.COLLECTED)
    talk.send("last_order")
    assert "was collected" in talk.speech


def test_reorder_puts_lines_back_and_offers_checkout(talk: Conversation) -> None:
    talk.send("add_item")
    talk.send("checkout")
    talk.send("yes")
    talk.send("reorder")
    assert "I put 2 items from order 1001 back in your cart" in talk.speech
    assert talk.speech.endswith("Would you like to check out?")
    talk.send("yes")
    assert "Shall I place your order?" in talk.speech
    talk.send("yes", request_id="reorder-yes")
    assert "Order 1002" in talk.speech


def test_yes_and_no_with_nothing_pending_are_helpful(talk: Conversation) -> None:
    talk.send("yes")
    assert "not sure what you're saying yes to" in talk.speech
    assert talk.last["response"]["shouldEndSession"] is False
    talk.send("no")
    assert "What would you like?" in talk.speech


def test_forged_pending_attributes_are_ignored(talk: Conversation, event: Event) -> None:
    talk.attributes = {"pending": {"kind": "add", "item": "DROP TABLE"}}
    talk.send("yes")
    assert "not sure what you're saying yes to" in talk.speech
    talk.attributes = {"pending": "checkout", "last_spoken": 42}
    talk.send("repeat")
    assert "haven't said anything yet" in talk.speech


def test_help_depends_on_context(talk: Conversation) -> None:
    talk.send("help")
    assert "add two apples" in talk.speech
    talk.send("add_item")
    talk.send("help")
    assert "Your cart has 2 items" in talk.speech
    talk.send("checkout")
    talk.send("help")
    assert "Shall I place your order?" in talk.speech
    talk.send("yes")  # help kept the pending question
    assert "checked out" in talk.speech


def test_repeat_says_the_last_response_again(talk: Conversation) -> None:
    talk.send("add_item")
    said = talk.speech
    talk.send("repeat")
    assert talk.speech == said


def test_fallback_redirects(talk: Conversation) -> None:
    talk.send("fallback")
    assert "didn't catch that" in talk.speech
    assert talk.last["response"]["shouldEndSession"] is False


@pytest.mark.parametrize("name", ["stop", "cancel", "navigate_home"])
def test_stop_cancel_home_say_goodbye_and_end(talk: Conversation, name: str) -> None:
    out = talk.send(name)["response"]
    assert "Goodbye" in talk.speech
    assert out["shouldEndSession"] is True


def test_goodbye_mentions_saved_cart(talk: Conversation) -> None:
    talk.send("add_item")
    talk.send("stop")
    assert "Your cart is saved for next time." in talk.speech


def test_unknown_intent_gets_valid_answer(talk: Conversation) -> None:
    out = talk.send("unknown_intent")["response"]
    assert "can't do that" in talk.speech
    assert out["shouldEndSession"] is False


@pytest.mark.parametrize(
    "name",
    [
        "session_ended",
        "session_ended_error",
        "exception_encountered",
        "audio_player",
        "skill_enabled",
        "unknown_request_type",
    ],
)
def test_silent_requests_get_no_speech_or_card(
    skill: CornerShopSkill, event: Event, name: str
) -> None:
    out = skill.handle(event(name))
    assert out["version"] == "1.0"
    assert "outputSpeech" not in out["response"]
    assert "card" not in out["response"]
    assert "reprompt" not in out["response"]


def test_can_fulfill_known_item_yes_without_side_effects(
    skill: CornerShopSkill, event: Event, memory_store: MemoryStore
) -> None:
    out = skill.handle(event("can_fulfill"))["response"]["canFulfillIntent"]
    assert out["canFulfill"] == "YES"
    assert out["slots"]["Item"] == {"canUnderstand": "YES", "canFulfill": "YES"}
    assert (
        memory_store.get_cart(
            "amzn1.ask.account.AEXAMPLEUSERID0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        )
        == Cart()
    )


def test_can_fulfill_unknown_item_no(skill: CornerShopSkill, event: Event) -> None:
    out = skill.handle(event("can_fulfill_unknown"))["response"]["canFulfillIntent"]
    assert out["canFulfill"] == "NO"
    assert out["slots"]["Item"]["canUnderstand"] == "NO"


@pytest.mark.parametrize(
    ("intent", "slots", "verdict"),
    [
        ("ItemQuestionIntent", {"Item": {"name": "Item", "value": "eggs"}}, "YES"),
        ("SetQuantityIntent", {"Item": {"name": "Item", "value": "apples"}}, "YES"),
        ("SetQuantityIntent", {}, "NO"),  # "make that five" means nothing out of a session
        ("CartTotalIntent", {}, "YES"),
        ("CancelOrderIntent", {}, "NO"),  # as likely meant for any other shop
    ],
)
def test_can_fulfill_the_new_intents(
    skill: CornerShopSkill, event: Event, intent: str, slots: dict[str, Any], verdict: str
) -> None:
    envelope = event("can_fulfill")
    envelope["request"]["intent"] = {"name": intent, "slots": slots}
    out = skill.handle(envelope)["response"]["canFulfillIntent"]
    assert out["canFulfill"] == verdict


def test_dynamic_text_is_escaped_in_ssml(talk: Conversation) -> None:
    talk.send("add_item_unknown", slots={"Item": "fish & <chips>"})
    ssml = talk.last["response"]["outputSpeech"]["ssml"]
    assert "fish &amp; &lt;chips&gt;" in ssml
    assert "<chips>" not in ssml


def test_add_over_99_of_a_new_item_does_not_mention_zero(talk: Conversation) -> None:
    talk.send("add_item", slots={"Quantity": "150"})
    assert talk.speech.startswith("Sorry, one order can have at most 99 apples.")
    assert "already has" not in talk.speech


def test_remove_zero_asks_how_many_to_take_out(talk: Conversation) -> None:
    talk.send("add_item")
    talk.send("remove_item", slots={"Quantity": "0"})
    assert "How many apples should I take out?" in talk.speech


def test_remove_mass_item_not_in_cart_uses_its_name(talk: Conversation) -> None:
    talk.send("remove_item", slots={"Item": "salmon"})
    assert "There isn't any salmon in your cart." in talk.speech
