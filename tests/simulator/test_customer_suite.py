"""Issue 11 customer conversations the YAML runner cannot express, in every locale.

The YAML suite (tests/conversations/locales/customers_*.yaml) covers most of what
customers say. These need more than one response at a time or the shop's side:
a cancel after the shop marked the order ready or collected (the store moves it,
as ``cornershop orders ready`` does), help after a browse offer (the offered item
of one answer is checked in the next), and the en-IN "bag of crisps", which the
contract allows to be added at once or after "how many?".
Utterances come from the suite's phrasebook, so each locale speaks its own words.
"""

from __future__ import annotations

import io
import json
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skill.config import Settings
from skill.domain.orders import OrderStatus
from skill.interaction import model_locales
from skill.simulator.commands import corner_shop_simulator
from skill.simulator.conversations import load_phrasebook, message_pattern
from skill.simulator.session import Simulator, Turn
from skill.speech import messages_for
from skill.store.memory import MemoryStore
from skill.store.sqlite import SQLiteStore

REPO = Path(__file__).parents[2]
PHRASES = REPO / "tests" / "conversations" / "locales" / "phrases.yaml"
LOCALES = model_locales()
SETTINGS = Settings(store_url="memory://", log_level="WARNING")
USER = "amzn1.ask.account.CUSTOMER"


def phrase(name: str, locale: str) -> str:
    """The phrasebook's utterance for ``locale`` (then its language), as the runner picks it."""
    entry = load_phrasebook(PHRASES)[name]
    if isinstance(entry, str):
        return entry
    for key in (locale, locale.split("-")[0], "*"):
        if key in entry:
            return str(entry[key])
    raise KeyError(f"{PHRASES} has no {locale} utterance for {name}")


def says(turn: Turn, key: str, locale: str, **params: Any) -> bool:
    return message_pattern(key, locale, params).search(turn.speech) is not None


def assert_valid(turn: Turn) -> None:
    assert not turn.problems, turn.problems  # skill/validation.py, as the runner checks it


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryStore()
        return
    sqlite = SQLiteStore(tmp_path / "shop.db")
    yield sqlite
    sqlite.close()


def place_an_order(sim: Simulator, locale: str) -> None:
    for name in ("add_two_apples", "checkout", "yes"):
        turn = sim.say(phrase(name, locale))
        assert_valid(turn)
    assert says(turn, "checkout_done", locale), turn.speech


# -- cancelling a placed order, after the shop has moved it on ----------------------------
@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("status", [OrderStatus.READY, OrderStatus.COLLECTED])
def test_too_late_to_cancel_once_the_shop_marked_the_order(
    store: Any, locale: str, status: OrderStatus
) -> None:
    # GIVEN a placed order that the shop then marked ready (and collected)
    with corner_shop_simulator(SETTINGS, store=store, locale=locale, user_id=USER) as sim:
        place_an_order(sim, locale)
        order = store.last_order(USER)
        assert order is not None and order.status == OrderStatus.PLACED
        store.set_order_status(order.number, OrderStatus.READY)
        if status == OrderStatus.COLLECTED:
            store.set_order_status(order.number, OrderStatus.COLLECTED)
        # WHEN the customer asks to cancel it
        turn = sim.say(phrase("cancel_my_order", locale))
        assert_valid(turn)
        # THEN it says it is too late (and to call the shop), and asks nothing
        assert turn.intent == "CancelOrderIntent"
        assert says(turn, "cancel_order_too_late", locale, number=order.number), turn.speech
        assert not says(turn, "cancel_order_confirm", locale)
        assert not turn.session_ended
        after = sim.say(phrase("yes", locale))
        assert_valid(after)
        assert not says(after, "cancel_order_done", locale), after.speech
    # AND the order keeps the shop's status
    kept = store.last_order(USER)
    assert kept is not None and kept.status == status


@pytest.mark.parametrize("locale", LOCALES)
def test_the_shop_marking_ready_between_question_and_yes_wins(store: Any, locale: str) -> None:
    # GIVEN the customer was asked "Do you want me to cancel it?"
    with corner_shop_simulator(SETTINGS, store=store, locale=locale, user_id=USER) as sim:
        place_an_order(sim, locale)
        order = store.last_order(USER)
        assert order is not None
        asked = sim.say(phrase("cancel_my_order", locale))
        assert says(asked, "cancel_order_confirm", locale, number=order.number), asked.speech
        # WHEN the shop marks it ready before the customer says yes
        store.set_order_status(order.number, OrderStatus.READY)
        turn = sim.say(phrase("yes", locale))
        assert_valid(turn)
        # THEN the cancel is refused as too late, and the order stays ready
        assert says(turn, "cancel_order_too_late", locale, number=order.number), turn.speech
    kept = store.last_order(USER)
    assert kept is not None and kept.status == OrderStatus.READY


@pytest.mark.parametrize("locale", LOCALES)
def test_a_cancelled_order_shows_as_cancelled_in_the_store(store: Any, locale: str) -> None:
    with corner_shop_simulator(SETTINGS, store=store, locale=locale, user_id=USER) as sim:
        place_an_order(sim, locale)
        order = store.last_order(USER)
        assert order is not None
        sim.say(phrase("cancel_my_order", locale))
        done = sim.say(phrase("yes", locale))
        assert_valid(done)
        assert says(done, "cancel_order_done", locale, number=order.number), done.speech
    cancelled = store.last_order(USER)
    assert cancelled is not None and cancelled.status == OrderStatus.CANCELLED
    assert [o.status for o in store.list_orders() if o.number == order.number] == [
        OrderStatus.CANCELLED
    ]


# -- help after a browse offer ------------------------------------------------------------
def template_groups(key: str, locale: str) -> re.Pattern[str]:
    """The message ``key`` as a regex whose placeholders are named groups."""
    parts: list[str] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(
        str(messages_for(locale).raw(key))
    ):
        for chunk in re.split(r"(\s+)", literal):
            parts.append(r"\s+" if chunk.isspace() else re.escape(chunk))
        if name is not None:
            parts.append(f"(?P<{name}>.+?)")
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def spoken_list(text: str, locale: str) -> list[str]:
    joiner = str(messages_for(locale).raw("list_and"))
    return [p.strip() for p in re.split(rf",\s*(?:{joiner}\s+)?|\s+{joiner}\s+", text) if p.strip()]


@pytest.mark.parametrize("locale", LOCALES)
def test_help_after_a_browse_offer_names_the_offered_example(locale: str) -> None:
    with corner_shop_simulator(SETTINGS, store=MemoryStore(), locale=locale) as sim:
        # GIVEN the shop listed examples and offered one of them
        browse = sim.say(phrase("browse", locale))
        assert_valid(browse)
        match = template_groups("browse", locale).search(browse.speech)
        assert match, browse.speech
        offered, examples = match["suggestion"], spoken_list(match["examples"], locale)
        assert offered in examples, (offered, examples)
        # WHEN the customer asks for help
        help_turn = sim.say(phrase("help", locale))
        assert_valid(help_turn)
        # THEN the help names the offered item, with the yes/no hint once
        assert says(help_turn, "help_pending", locale), help_turn.speech
        assert offered in help_turn.speech, (offered, help_turn.speech)
        hint = "ja oder nein" if locale.startswith("de") else "yes or no"
        assert help_turn.speech.lower().count(hint) == 1, help_turn.speech
        # AND yes adds that item
        added = sim.say(phrase("yes", locale))
        assert says(added, "added", locale, count=1), added.speech
        assert len(sim.cart_lines()) == 2  # the one line and the total


# -- en-IN: a bag of crisps ---------------------------------------------------------------
def test_en_in_a_bag_of_crisps_ends_as_one_packet_in_the_cart() -> None:
    locale = "en-IN"
    with corner_shop_simulator(SETTINGS, store=MemoryStore(), locale=locale) as sim:
        turn = sim.say(phrase("add_a_bag_of_crisps", locale))
        assert_valid(turn)
        assert not says(turn, "unknown_item", locale), turn.speech
        if says(turn, "sold_by", locale):  # the contract allows "We sell chips by the packet."
            assert says(turn, "ask_quantity", locale), turn.speech
            turn = sim.say(phrase("answer_one", locale))
            assert_valid(turn)
        assert says(turn, "added", locale, count=1), turn.speech
        lines = sim.cart_lines()
    assert len(lines) == 2 and re.fullmatch(r"1 x .+ \(CRISPS\)", lines[0]), lines
    assert lines[1] == "total ₹20.00"


# -- the shop's own tool: cornershop orders -------------------------------------------------
def cornershop(*argv: str) -> tuple[int, str]:
    from skill.cli import main

    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_the_shop_marks_ready_with_cornershop_orders_and_sees_a_voice_cancel(
    tmp_path: Path,
) -> None:
    # GIVEN one SQLite file shared by the skill and the shop's command line
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert cornershop("store", "init", "--store", url)[0] == 0
    store = SQLiteStore(tmp_path / "shop.db")
    try:
        with corner_shop_simulator(SETTINGS, store=store, locale="en-GB", user_id=USER) as sim:
            place_an_order(sim, "en-GB")
            first = store.last_order(USER)
            assert first is not None
            # WHEN the shop marks the order ready, and the customer then tries to cancel it
            code, _ = cornershop("orders", "ready", str(first.number), "--store", url)
            assert code == 0
            late = sim.say(phrase("cancel_my_order", "en-GB"))
            assert says(late, "cancel_order_too_late", "en-GB", number=first.number), late.speech
            # AND a second order is cancelled by voice before the shop touches it
            place_an_order(sim, "en-GB")
            second = store.last_order(USER)
            assert second is not None and second.number != first.number
            sim.say(phrase("cancel_my_order", "en-GB"))
            done = sim.say(phrase("yes", "en-GB"))
            assert says(done, "cancel_order_done", "en-GB", number=second.number), done.speech
    finally:
        store.close()
    # THEN cornershop orders shows the first ready and the second cancelled
    code, out = cornershop("orders", "--json", "--store", url)
    assert code == 0
    statuses = {row["number"]: row["status"] for row in map(json.loads, out.splitlines())}
    assert statuses == {first.number: "ready", second.number: "cancelled"}
