"""'cancel my order' through the whole skill, with real envelopes (tests/events).

``CancelOrderIntent`` asks about the customer's last order while it is placed
(``cancel_order_confirm``, pending ``cancel_order``), and says at once when it is too
late (``cancel_order_too_late``), already cancelled, or when there is none. "yes" is
``skill.handlers.orders.cancel_confirmed``: the store's atomic cancel, which may find
the shop has marked the order ready meanwhile. "no" and "cancel" keep the order
(``cancel_order_kept``). Storage failures get the apology and change nothing.

Expected speech comes from the locale catalogs (``messages_for``), so these tests
hold for every wording the catalogs give; a few sentences the issue spells out are
checked word for word in en-US.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import load_event, speech_of

from skill.app import CornerShopSkill
from skill.domain.orders import Order, OrderStatus
from skill.errors import StoreError
from skill.logs import hashed
from skill.speech import messages_for
from skill.store.memory import MemoryStore
from skill.validation import assert_valid_response

LOCALES = ["en-US", "en-GB", "en-CA", "en-AU", "en-IN", "de-DE"]
# The user id every envelope in tests/events carries.
ADA = load_event("cancel_order")["context"]["System"]["user"]["userId"]
BOB = "amzn1.ask.account.BOB-CANCEL-TEST"


class FlakyStore(MemoryStore):
    """A memory store whose chosen calls fail as an unreachable database would."""

    def __init__(self) -> None:
        super().__init__()
        self.failing: set[str] = set()

    def _check(self, call: str) -> None:
        if call in self.failing:
            raise StoreError("The test store is down.")

    def last_order(self, user_id: str) -> Order | None:
        self._check("last_order")
        return super().last_order(user_id)

    def cancel_order(self, user_id: str, number: int) -> Order:
        self._check("cancel_order")
        return super().cancel_order(user_id, number)


class Shopper:
    """One customer talking to the skill in one locale, session attributes carried
    from response to request as Alexa carries them."""

    _ids = itertools.count(1)

    def __init__(self, skill: CornerShopSkill, locale: str = "en-US", user_id: str = ADA) -> None:
        self.skill = skill
        self.locale = locale
        self.user_id = user_id
        self.attributes: dict[str, Any] = {}
        self.last: dict[str, Any] = {}

    def say(self, name: str, **attributes: Any) -> dict[str, Any]:
        env = copy.deepcopy(load_event(name))
        env["request"]["locale"] = self.locale
        env["request"]["requestId"] += f".{next(self._ids)}"
        env["context"]["System"]["user"]["userId"] = self.user_id
        env["session"]["user"]["userId"] = self.user_id
        env["session"]["attributes"] = copy.deepcopy(attributes or self.attributes)
        self.last = self.skill.handle(env)
        assert_valid_response(self.last, request_type=env["request"]["type"])
        self.attributes = self.last.get("sessionAttributes") or {}
        return self.last

    @property
    def speech(self) -> str:
        return speech_of(self.last)

    @property
    def reprompt(self) -> str:
        ssml = self.last["response"]["reprompt"]["outputSpeech"]["ssml"]
        return str(ssml).removeprefix("<speak>").removesuffix("</speak>")

    @property
    def open(self) -> bool:
        return self.last["response"]["shouldEndSession"] is False

    def msg(self, key: str, **params: Any) -> str:
        return messages_for(self.locale)(key, **params)

    def check_out(self) -> Order:
        """Add two apples and check out, as a customer would; the order placed."""
        self.say("add_item")
        self.say("checkout")
        self.say("yes")
        order = self.skill.store.last_order(self.user_id)
        assert order is not None and order.status is OrderStatus.PLACED, self.speech
        self.attributes = {}  # checking out ended the session; a new one starts
        return order


@pytest.fixture
def store() -> FlakyStore:
    return FlakyStore()


@pytest.fixture
def shop(make_skill: Callable[..., CornerShopSkill], store: FlakyStore) -> CornerShopSkill:
    return make_skill(store=store)


@pytest.fixture
def ada(shop: CornerShopSkill) -> Shopper:
    return Shopper(shop)


def spoken_total(order: Order, locale: str) -> str:
    return order.total.spoken(messages_for(locale).language)


def status_of(store: MemoryStore, number: int) -> OrderStatus:
    orders = {order.number: order for order in store.list_orders()}
    return orders[number].status


# -- the question ------------------------------------------------------------------
def test_without_an_order_there_is_nothing_to_cancel(ada: Shopper) -> None:
    # GIVEN a customer who never ordered / WHEN they say "cancel my order"
    ada.say("cancel_order")
    # THEN they hear so, nothing is pending, and the session stays open
    assert ada.speech == ada.msg("cancel_order_none")
    assert "pending" not in ada.attributes
    assert ada.open


def test_a_placed_order_is_named_with_its_total_and_the_customer_asked(
    ada: Shopper, store: FlakyStore
) -> None:
    # GIVEN Ada's placed order
    order = ada.check_out()
    # WHEN she says "cancel my order"
    ada.say("cancel_order")
    # THEN she is asked to confirm, with the number and the total, and the question
    # is pending with the order's number
    total = spoken_total(order, "en-US")
    assert ada.speech == ada.msg("cancel_order_confirm", number=order.number, total=total)
    assert str(order.number) in ada.speech and "$1.50" in ada.speech
    assert ada.reprompt == ada.msg("cancel_order_reprompt")
    assert ada.attributes["pending"] == {"kind": "cancel_order", "order": str(order.number)}
    assert ada.open
    # AND nothing is cancelled yet
    assert status_of(store, order.number) is OrderStatus.PLACED


def test_yes_cancels_the_order_and_says_so(ada: Shopper, store: FlakyStore) -> None:
    # GIVEN the question about Ada's placed order
    order = ada.check_out()
    ada.say("cancel_order")
    # WHEN she says yes
    ada.say("yes")
    # THEN the order is cancelled in the store, she hears it, and may go on
    assert status_of(store, order.number) is OrderStatus.CANCELLED
    assert ada.speech == ada.msg("cancel_order_done", number=order.number)
    assert "pending" not in ada.attributes
    assert ada.open
    # AND asking again says it is already cancelled
    ada.say("cancel_order")
    assert ada.speech == ada.msg("cancel_order_already", number=order.number)


@pytest.mark.parametrize("answer", ["no", "cancel"])
def test_no_or_cancel_keeps_the_order(ada: Shopper, store: FlakyStore, answer: str) -> None:
    # GIVEN the question about Ada's placed order
    order = ada.check_out()
    ada.say("cancel_order")
    # WHEN she says no, or "cancel" (which cancels the question, not the skill)
    ada.say(answer)
    # THEN she hears the order stays, the session stays open, and it is still placed
    assert ada.speech == ada.msg("cancel_order_kept", number=order.number)
    assert ada.open
    assert "pending" not in ada.attributes
    assert status_of(store, order.number) is OrderStatus.PLACED


# -- too late, already, not theirs ----------------------------------------------------
@pytest.mark.parametrize("path", [["ready"], ["ready", "collected"]], ids=["ready", "collected"])
def test_an_order_the_shop_has_prepared_can_no_longer_be_cancelled(
    ada: Shopper, store: FlakyStore, path: list[str]
) -> None:
    # GIVEN Ada's order, moved along by the shop
    order = ada.check_out()
    for status in path:
        store.set_order_status(order.number, OrderStatus(status))
    # WHEN she says "cancel my order"
    ada.say("cancel_order")
    # THEN she hears it is too late and to call the shop; nothing is asked or changed
    state = ada.msg(f"cancel_status_{path[-1]}")
    assert ada.speech == ada.msg("cancel_order_too_late", number=order.number, status=state)
    assert "pending" not in ada.attributes
    assert ada.open
    assert status_of(store, order.number) is OrderStatus(path[-1])


def test_the_too_late_answer_says_what_the_issue_asks(ada: Shopper, store: FlakyStore) -> None:
    order = ada.check_out()
    store.set_order_status(order.number, OrderStatus.READY)
    ada.say("cancel_order")
    assert ada.speech.startswith(
        f"Order {order.number} is already ready, so it can no longer be cancelled. "
        "Please call the shop."
    )


def test_an_order_the_shop_cancelled_is_already_cancelled(ada: Shopper, store: FlakyStore) -> None:
    order = ada.check_out()
    store.set_order_status(order.number, OrderStatus.CANCELLED)
    ada.say("cancel_order")
    assert ada.speech == ada.msg("cancel_order_already", number=order.number)
    assert "pending" not in ada.attributes


def test_the_shop_marking_it_ready_before_the_yes_makes_it_too_late(
    ada: Shopper, store: FlakyStore
) -> None:
    # GIVEN the question about Ada's placed order
    order = ada.check_out()
    ada.say("cancel_order")
    # WHEN the shop marks it ready before she says yes
    store.set_order_status(order.number, OrderStatus.READY)
    ada.say("yes")
    # THEN the cancel is refused at the store: too late, and it stays ready
    state = ada.msg("cancel_status_ready")
    assert ada.speech == ada.msg("cancel_order_too_late", number=order.number, status=state)
    assert status_of(store, order.number) is OrderStatus.READY
    assert ada.open


def test_the_shop_cancelling_it_before_the_yes_says_it_is_already_cancelled(
    ada: Shopper, store: FlakyStore
) -> None:
    order = ada.check_out()
    ada.say("cancel_order")
    store.set_order_status(order.number, OrderStatus.CANCELLED)
    ada.say("yes")
    assert ada.speech == ada.msg("cancel_order_already", number=order.number)


def test_a_forged_order_number_never_cancels_another_customers_order(
    shop: CornerShopSkill, store: FlakyStore
) -> None:
    # GIVEN Bob's placed order, and Ada's client sending back a pending question
    # with Bob's order number (session attributes are the client's to forge)
    bobs = Shopper(shop, user_id=BOB).check_out()
    ada = Shopper(shop)
    # WHEN Ada says yes to it
    ada.say("yes", pending={"kind": "cancel_order", "order": str(bobs.number)})
    # THEN nothing is cancelled, and she hears she has no order to cancel (nothing
    # about Bob's)
    assert status_of(store, bobs.number) is OrderStatus.PLACED
    assert ada.speech == ada.msg("cancel_order_none")


def test_the_customers_last_order_is_the_one_asked_about(
    shop: CornerShopSkill, store: FlakyStore
) -> None:
    # GIVEN Ada's two orders, the first already ready, and Bob's order after them
    ada = Shopper(shop)
    first = ada.check_out()
    second = ada.check_out()
    store.set_order_status(first.number, OrderStatus.READY)
    Shopper(shop, user_id=BOB).check_out()
    # WHEN she cancels her order, and says yes
    ada.say("cancel_order")
    assert ada.attributes["pending"] == {"kind": "cancel_order", "order": str(second.number)}
    ada.say("yes")
    # THEN her last order is cancelled, and only that one
    statuses = {o.number: o.status for o in store.list_orders()}
    assert statuses == {
        first.number: OrderStatus.READY,
        second.number: OrderStatus.CANCELLED,
        second.number + 1: OrderStatus.PLACED,
    }


# -- storage failures --------------------------------------------------------------
def test_a_storage_failure_at_yes_apologises_and_changes_nothing(
    ada: Shopper, store: FlakyStore
) -> None:
    # GIVEN the question about Ada's placed order, and the store down at the yes
    order = ada.check_out()
    ada.say("cancel_order")
    store.failing.add("cancel_order")
    # WHEN she says yes
    ada.say("yes")
    # THEN she hears the storage apology, the order is still placed, and the
    # question is still pending, so she can simply say yes again
    assert ada.speech == ada.msg("store_error")
    assert ada.open
    assert status_of(store, order.number) is OrderStatus.PLACED
    assert ada.attributes["pending"] == {"kind": "cancel_order", "order": str(order.number)}
    store.failing.clear()
    ada.say("yes")
    assert ada.speech == ada.msg("cancel_order_done", number=order.number)
    assert status_of(store, order.number) is OrderStatus.CANCELLED


def test_a_storage_failure_at_the_question_apologises_and_asks_nothing(
    ada: Shopper, store: FlakyStore
) -> None:
    order = ada.check_out()
    store.failing.add("last_order")
    ada.say("cancel_order")
    assert ada.speech == ada.msg("store_error")
    assert "pending" not in ada.attributes
    assert ada.open
    assert status_of(store, order.number) is OrderStatus.PLACED


# -- every locale ------------------------------------------------------------------
@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_asks_cancels_and_refuses_in_its_own_words(
    make_skill: Callable[..., CornerShopSkill], locale: str
) -> None:
    store = FlakyStore()
    customer = Shopper(make_skill(store=store), locale)
    # GIVEN an order placed in this locale / WHEN "cancel my order", then yes
    order = customer.check_out()
    customer.say("cancel_order")
    total = spoken_total(order, locale)
    assert customer.speech == customer.msg("cancel_order_confirm", number=order.number, total=total)
    customer.say("yes")
    # THEN it is cancelled, in the customer's language
    assert customer.speech == customer.msg("cancel_order_done", number=order.number)
    assert status_of(store, order.number) is OrderStatus.CANCELLED
    # AND a later order the shop has made ready is too late, in the same language
    later = customer.check_out()
    store.set_order_status(later.number, OrderStatus.READY)
    customer.say("cancel_order")
    state = customer.msg("cancel_status_ready")
    assert customer.speech == customer.msg(
        "cancel_order_too_late", number=later.number, status=state
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_has_every_cancel_message(locale: str) -> None:
    msg = messages_for(locale)
    assert msg.locale == locale
    texts = {
        "cancel_order_none": msg("cancel_order_none"),
        "cancel_order_confirm": msg("cancel_order_confirm", number=1001, total="X"),
        "cancel_order_reprompt": msg("cancel_order_reprompt"),
        "cancel_order_done": msg("cancel_order_done", number=1001),
        "cancel_order_kept": msg("cancel_order_kept", number=1001),
        "cancel_order_already": msg("cancel_order_already", number=1001),
        "cancel_order_too_late": msg("cancel_order_too_late", number=1001, status="S"),
        "cancel_status_ready": msg("cancel_status_ready"),
        "cancel_status_collected": msg("cancel_status_collected"),
    }
    for key, text in texts.items():
        assert text.strip() and "{" not in text, key
    for key in ("confirm", "done", "kept", "already", "too_late"):
        assert "1001" in texts[f"cancel_order_{key}"], key


# -- logs ----------------------------------------------------------------------------
class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    logger = logging.getLogger("cornershop")
    handler, level = _Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_the_logs_name_the_order_and_a_hashed_customer_only(
    ada: Shopper, store: FlakyStore, log_lines: list[str]
) -> None:
    # GIVEN Ada cancels one order, and is too late for the next
    order = ada.check_out()
    ada.say("cancel_order")
    ada.say("yes")
    later = ada.check_out()
    ada.say("cancel_order")
    store.set_order_status(later.number, OrderStatus.READY)
    ada.say("yes")
    # THEN the logs say what happened to which order, for a hashed customer id, and
    # never hold her id or anything she heard
    assert f"customer {hashed(ADA)} cancelled order {order.number}" in log_lines
    assert f"customer {hashed(ADA)} could not cancel order {later.number}: it is ready" in (
        log_lines
    )
    everything = json.dumps(log_lines)
    assert ADA not in everything
    assert "$1.50" not in everything
