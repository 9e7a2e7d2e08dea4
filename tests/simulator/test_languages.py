"""The NLU in German and in the English locales: words, numbers, built-ins, launch phrases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from skill.simulator.commands import project_models
from skill.simulator.languages import ENGLISH, GERMAN, german_stem, language_for
from skill.simulator.nlu import FALLBACK, LAUNCH, Nlu, NluResult, nlu_for, split_invocation

REPO = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def de() -> Nlu:
    return nlu_for("de-DE", project_models())


def slots_of(result: NluResult) -> dict[str, str]:
    return {name: (fill.id or fill.value) for name, fill in result.slots.items()}


def understood(nlu: Nlu, utterance: str) -> tuple[str, dict[str, str]]:
    result = nlu.interpret(utterance)
    return result.intent, slots_of(result)


# -- languages ----------------------------------------------------------------------
def test_locales_pick_their_language() -> None:
    assert language_for("de-DE") is GERMAN
    for locale in ("en-US", "en-GB", "en-CA", "en-AU", "en-IN", None, "xx-YY"):
        assert language_for(locale) is ENGLISH


def test_german_words_are_folded_for_matching_and_kept_for_values() -> None:
    folded, typed = GERMAN.tokenize("Füge zwei ÄPFEL hinzu, bitte!")
    assert folded == ("fuege", "zwei", "aepfel", "hinzu", "bitte")
    assert typed == ("Füge", "zwei", "ÄPFEL", "hinzu", "bitte")
    assert GERMAN.words("noch mal das Gleiche") == ("nochmal", "das", "gleiche")
    assert GERMAN.words("Straße") == ("strasse",)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Äpfel", "Apfel"),
        ("aepfel", "Apfel"),
        ("Bananen", "Banane"),
        ("Tomaten", "Tomate"),
        ("Kartoffeln", "Kartoffel"),
        ("füge", "fügen"),
        ("kostet", "kosten"),
        ("Tüten", "Tüte"),
    ],
)
def test_german_inflections_share_a_stem(a: str, b: str) -> None:
    (word_a,), (word_b,) = GERMAN.words(a), GERMAN.words(b)
    assert german_stem(word_a) == german_stem(word_b)


# -- German items, numbers and phrasing ----------------------------------------------
@pytest.mark.parametrize(
    ("utterance", "slots"),
    [
        ("füge zwei Äpfel hinzu", {"Item": "APPLE", "Quantity": "2"}),
        ("füge einundzwanzig Bagels hinzu", {"Item": "BAGELS", "Quantity": "21"}),
        ("füge dreihundertfünf Bananen hinzu", {"Item": "BANANA", "Quantity": "305"}),
        ("füge 3 Zitronen hinzu", {"Item": "LEMON", "Quantity": "3"}),
        ("füge zwoelf Eier hinzu", {"Item": "EGGS", "Quantity": "12"}),
        ("füge aepfel hinzu", {"Item": "APPLE"}),
        ("FÜGE EINEN APFEL HINZU", {"Amount": "ONE", "Item": "APPLE"}),
        ("füge eine Banane hinzu", {"Amount": "ONE", "Item": "BANANA"}),
        ("füg doch bitte mal noch eine Banane hinzu", {"Amount": "ANOTHER", "Item": "BANANA"}),
        ("leg drei Bananen in den Warenkorb", {"Item": "BANANA", "Quantity": "3"}),
        ("kannst du zwei Äpfel hinzufügen", {"Item": "APPLE", "Quantity": "2"}),
        ("zwei Äpfel hinzufügen", {"Item": "APPLE", "Quantity": "2"}),
        ("ich hätte gerne fünf Eier", {"Item": "EGGS", "Quantity": "5"}),
        (
            "pack zwei Flaschen Mineralwasser ein",
            {"Item": "SPARKLING_WATER", "Quantity": "2", "Unit": "BOTTLE"},
        ),
    ],
)
def test_german_add_item(de: Nlu, utterance: str, slots: dict[str, str]) -> None:
    assert understood(de, utterance) == ("AddItemIntent", slots)


def test_ein_is_an_article_not_a_quantity(de: Nlu) -> None:
    # As "a" in English: Alexa leaves the quantity empty and the skill adds one.
    assert "Quantity" not in de.parse("füge ein Brot hinzu").slots
    assert de.parse("füge eins hinzu", expecting=("AddItemIntent", "Quantity")).slots[
        "Quantity"
    ].value == ("1")


@pytest.mark.parametrize(
    ("utterance", "intent", "slots"),
    [
        ("nimm zwei Äpfel raus", "RemoveItemIntent", {"Item": "APPLE", "Quantity": "2"}),
        ("nimm bitte den Käse wieder raus", "RemoveItemIntent", {"Item": "CHEDDAR"}),
        ("kannst du die Schokolade rausnehmen", "RemoveItemIntent", {"Item": "CHOCOLATE"}),
        ("loesche die Aepfel", "RemoveItemIntent", {"Item": "APPLE"}),
        ("füge etwas hinzu", "AddItemIntent", {}),
        ("lösche alles", "ClearCartIntent", {}),
        ("lies mir den Warenkorb vor", "ListCartIntent", {}),
        ("was kostet ein Kilo Kartoffeln", "PriceIntent", {"Item": "POTATOES"}),
        ("das gleiche nochmal", "ReorderIntent", {}),
        ("füge ein Einhorn hinzu", "AddItemIntent", {"Amount": "ONE", "Item": "Einhorn"}),
    ],
)
def test_german_separable_verbs_word_order_and_unknown_items(
    de: Nlu, utterance: str, intent: str, slots: dict[str, str]
) -> None:
    assert understood(de, utterance) == (intent, slots)


def test_an_unknown_german_item_keeps_its_spelling(de: Nlu) -> None:
    item = de.parse("füge ein Einhorn hinzu").slots["Item"]
    assert (item.value, item.status) == ("Einhorn", "ER_SUCCESS_NO_MATCH")
    assert de.parse("füge zwei Äpfel hinzu").slots["Item"].value == "Äpfel"


@pytest.mark.parametrize(
    ("utterance", "intent"),
    [
        ("ja", "AMAZON.YesIntent"),
        ("jawohl", "AMAZON.YesIntent"),
        ("klar", "AMAZON.YesIntent"),
        ("gerne", "AMAZON.YesIntent"),
        ("ja bitte", "AMAZON.YesIntent"),
        ("nein", "AMAZON.NoIntent"),
        ("nee", "AMAZON.NoIntent"),
        ("nein danke", "AMAZON.NoIntent"),
        ("hilfe", "AMAZON.HelpIntent"),
        ("was kann ich sagen", "AMAZON.HelpIntent"),
        ("stopp", "AMAZON.StopIntent"),
        ("stop", "AMAZON.StopIntent"),
        ("abbrechen", "AMAZON.CancelIntent"),
        ("vergiss es", "AMAZON.CancelIntent"),
        ("wiederholen", "AMAZON.RepeatIntent"),
        ("sag das nochmal", "AMAZON.RepeatIntent"),
        ("wie bitte", "AMAZON.RepeatIntent"),
        ("zurück zum Start", "AMAZON.NavigateHomeIntent"),
        ("Startseite", "AMAZON.NavigateHomeIntent"),
        ("öffne tante emma", LAUNCH),
        ("starte Tante Emma", LAUNCH),
        ("Alexa, öffne Tante Emma", LAUNCH),
        ("Tante Emma starten", LAUNCH),
        ("wie wird das Wetter morgen", FALLBACK),
        ("bitte", FALLBACK),
        ("", FALLBACK),
    ],
)
def test_german_built_ins_launch_and_fallback(de: Nlu, utterance: str, intent: str) -> None:
    assert de.interpret(utterance).intent == intent


def test_english_phrasings_are_not_german_built_ins(de: Nlu) -> None:
    assert de.parse("yes").intent == FALLBACK
    assert nlu_for("en-GB", project_models()).parse("ja").intent == FALLBACK


@pytest.mark.parametrize(
    ("utterance", "locale", "kind", "rest"),
    [
        ("öffne tante emma", "de-DE", "launch", ""),
        ("starte tante emma", "de-DE", "launch", ""),
        ("tante emma öffnen", "de-DE", "launch", ""),
        ("frag tante emma was Milch kostet", "de-DE", "one-shot", "was Milch kostet"),
        ("open corner shop", "en-GB", "launch", ""),
        ("öffne corner shop", "en-GB", None, "öffne corner shop"),
    ],
)
def test_split_invocation_by_language(
    utterance: str, locale: str, kind: str | None, rest: str
) -> None:
    name = "tante emma" if locale == "de-DE" else "corner shop"
    invocation = split_invocation(utterance, name, locale)
    assert (invocation.kind, invocation.rest) == (kind, rest)


def test_german_elicitation_reads_a_bare_answer(de: Nlu) -> None:
    result = de.parse("zwei Tomaten", expecting=("AddItemIntent", "Item"))
    assert (result.intent, slots_of(result)) == (
        "AddItemIntent",
        {"Item": "TOMATO", "Quantity": "2"},
    )


# -- English locales ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("locale", "utterance", "intent", "slots"),
    [
        (
            "en-GB",
            "add two apples to my basket",
            "AddItemIntent",
            {"Item": "APPLE", "Quantity": "2"},
        ),
        (
            "en-GB",
            "put some mince in my trolley",
            "AddItemIntent",
            {"Amount": "SOME", "Item": "GROUND_BEEF"},
        ),
        (
            "en-GB",
            "pop a packet of crisps in my basket",
            "AddItemIntent",
            {"Amount": "ONE", "Item": "CRISPS"},
        ),
        ("en-GB", "what's in my trolley", "ListCartIntent", {}),
        ("en-GB", "what's in my cart", "ListCartIntent", {}),
        ("en-GB", "go on then", "AMAZON.YesIntent", {}),
        (
            "en-AU",
            "chuck some chips in the trolley",
            "AddItemIntent",
            {"Amount": "SOME", "Item": "CRISPS"},
        ),
        ("en-AU", "empty my trolley", "ClearCartIntent", {}),
        ("en-IN", "add two cups of curd", "AddItemIntent", {"Item": "YOGURT", "Quantity": "2"}),
        ("en-IN", "add some keema", "AddItemIntent", {"Amount": "SOME", "Item": "GROUND_BEEF"}),
        ("en-CA", "add a bag of chips", "AddItemIntent", {"Amount": "ONE", "Item": "CRISPS"}),
        ("en-CA", "add twenty one bagels", "AddItemIntent", {"Item": "BAGELS", "Quantity": "21"}),
    ],
)
def test_english_locales_words(
    locale: str, utterance: str, intent: str, slots: dict[str, str]
) -> None:
    assert understood(nlu_for(locale, project_models()), utterance) == (intent, slots)


# -- text2num is loaded only for German -----------------------------------------------
def test_text2num_is_imported_only_when_a_german_utterance_needs_it() -> None:
    script = (
        "import sys\n"
        "from skill.simulator.nlu import nlu_for\n"
        "from skill.simulator.commands import project_models\n"
        "nlu_for('en-GB', project_models()).parse('add twenty one apples')\n"
        "de = nlu_for('de-DE', project_models())\n"
        "de.parse('füge Äpfel hinzu')\n"
        "print('text_to_num' in sys.modules)\n"
        "de.parse('füge einundzwanzig Äpfel hinzu')\n"
        "print('text_to_num' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "True"]
