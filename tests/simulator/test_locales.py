"""Every locale end to end: the locale conversation suite as a matrix, German grammar and money,
and orders that move between markets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from skill.config import Settings
from skill.data import catalog_for
from skill.interaction import model_locales
from skill.simulator.commands import corner_shop_simulator
from skill.simulator.conversations import (
    ConversationTest,
    load_phrasebook,
    load_tests,
    message_pattern,
    run_test,
)
from skill.simulator.session import Simulator
from skill.speech import messages_for
from skill.store.memory import MemoryStore

REPO = Path(__file__).parents[2]
SUITE = REPO / "tests" / "conversations" / "locales"
LOCALES = model_locales()
MATRIX = load_tests([SUITE], LOCALES)
SETTINGS = Settings(store_url="memory://", log_level="WARNING")


# -- the locale suite, once per locale -------------------------------------------------
@pytest.mark.parametrize("test", MATRIX, ids=[f"{t.file.stem}: {t.name}" for t in MATRIX])
def test_locale_conversation(test: ConversationTest) -> None:
    result = run_test(test)
    assert result.passed, "\n".join(result.failures)


def test_the_matrix_covers_every_locale_with_the_whole_suite() -> None:
    assert set(LOCALES) == {"en-US", "en-GB", "en-CA", "en-AU", "en-IN", "de-DE"}
    per_locale = {locale: [t for t in MATRIX if t.locale == locale] for locale in LOCALES}
    assert all(len(tests) >= 15 for tests in per_locale.values())
    # Only the crisps test is left out anywhere (the US shop sells none).
    assert len(per_locale["en-GB"]) - len(per_locale["en-US"]) == 1


def test_the_suite_speaks_no_english_literals_in_german() -> None:
    # Utterances are phrasebook references, so the German run never says English.
    for test in load_tests([SUITE]):
        for interaction in test.interactions:
            assert interaction.say.startswith("@"), (test.label, interaction.say)


def test_every_phrase_has_an_utterance_for_every_locale_its_tests_run_in() -> None:
    phrases = load_phrasebook(SUITE / "phrases.yaml")
    for test in MATRIX:
        for interaction in test.interactions:
            entry = phrases[interaction.say[1:]]
            if isinstance(entry, dict):
                keys = {test.locale, test.locale.split("-")[0], "*"}
                assert keys & set(entry), (interaction.say, test.locale)


# -- German grammar and money ---------------------------------------------------------
@pytest.fixture
def german() -> Iterator[Simulator]:
    with corner_shop_simulator(SETTINGS, store=MemoryStore(), locale="de-DE") as sim:
        yield sim


def test_german_quantities_use_the_catalogs_forms(german: Simulator) -> None:
    # GIVEN a German session WHEN adding one apple, then two THEN "ein Apfel", "2 Äpfel"
    one = german.say("füge einen Apfel hinzu")
    assert one.speech.startswith("Hinzugefügt: ein Apfel.")
    two = german.say("füge zwei Äpfel hinzu")
    assert two.speech.startswith("Hinzugefügt: 2 Äpfel.")
    banana = german.say("füge eine Banane hinzu")
    assert banana.speech.startswith("Hinzugefügt: eine Banane.")
    assert "liegen jetzt 4 Artikel" in banana.speech


def test_german_money_is_written_with_a_comma_and_spoken_in_euro(german: Simulator) -> None:
    german.say("füge zwei Äpfel hinzu")
    german.say("füge ein Brot hinzu")
    listing = german.say("was ist in meinem Warenkorb")
    # 2 x 0,59 € + 2,89 € = 4,07 €
    assert "Summe: 4,07 €" in listing.card_content
    assert "4 Euro 7" in listing.speech
    assert "€" not in listing.speech and "$" not in listing.speech
    german.say("zur Kasse")
    receipt = german.say("ja")
    assert re.search(r"Bestellung \d+ kostet 4 Euro 7", receipt.speech)
    assert re.search(r"2 x Äpfel à 0,59 € = 1,18 €", receipt.card_content)
    assert re.search(r"\d+,\d\d €", receipt.card_content)


def test_german_price_and_unknown_item(german: Simulator) -> None:
    price = german.say("was kostet Milch")
    assert price.speech.startswith("Milch kostet 1 Euro 19")
    unknown = german.say("füge ein Einhorn hinzu")
    # Named in the plural German uses (issue 11), not as heard ("ein Einhorn").
    assert unknown.speech.startswith("Entschuldigung, Einhörner haben wir bei Tante Emma nicht.")


# -- orders between markets -------------------------------------------------------------
def test_a_reorder_in_another_market_is_repriced_in_local_currency() -> None:
    # GIVEN one user and one store, an order placed in the US shop
    store = MemoryStore()
    user = "amzn1.ask.account.TRAVELLER"
    with corner_shop_simulator(SETTINGS, store=store, locale="en-US", user_id=user) as us:
        us.say("add two apples")
        us.say("add a loaf of bread")
        us.say("check out")
        placed = us.say("yes")
    assert "$4.99" in placed.speech
    order = store.last_order(user)
    assert order is not None and order.currency == "USD"
    # WHEN the same user reorders from the UK shop
    with corner_shop_simulator(SETTINGS, store=store, locale="en-GB", user_id=user) as uk:
        last = uk.say("what was my last order")
        reorder = uk.say("order the same again")
        lines = uk.cart_lines()
    # THEN the order kept its dollars, and the cart is priced in pounds, today, and says so
    assert "$4.99" in last.speech
    assert message_pattern("reorder_repriced", "en-GB").search(reorder.speech)
    assert message_pattern("reorder_done", "en-GB", {"count": 3}).search(reorder.speech)
    uk_catalog = catalog_for("en-GB")
    assert uk_catalog.currency == "GBP"
    cart = store.get_cart(user)
    total = cart.total(uk_catalog)
    assert total.currency == "GBP"
    assert total.cents == 2 * 45 + 150
    assert lines[-1] == f"total {total.display()}" == "total £2.40"
    assert "£2.40" in reorder.speech


def test_a_reorder_in_the_same_market_says_nothing_about_prices() -> None:
    store = MemoryStore()
    with corner_shop_simulator(SETTINGS, store=store, locale="de-DE", user_id="u") as sim:
        sim.say("füge zwei Äpfel hinzu")
        sim.say("zur Kasse")
        sim.say("ja")
        again = sim.say("das gleiche nochmal")
    repriced = messages_for("de-DE")("reorder_repriced", currency="EUR")
    assert repriced not in again.speech
    assert message_pattern("reorder_done", "de-DE", {"count": 2}).search(again.speech)
