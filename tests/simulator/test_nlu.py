"""The offline NLU: samples, tolerance, slot resolution, fallback, determinism, accuracy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from skill.errors import ConfigError
from skill.simulator.commands import project_models
from skill.simulator.nlu import FALLBACK, Nlu, NluResult, nlu_for, split_invocation

REPO = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def nlu() -> Nlu:
    return nlu_for("en-US", project_models())


def slots_of(result: NluResult) -> dict[str, str]:
    """Item ids (or the heard value when unresolved), Quantity values: the TSV's notation."""
    return {name: (fill.id or fill.value) for name, fill in result.slots.items()}


# -- competing matches ------------------------------------------------------------
@pytest.mark.parametrize(
    ("utterance", "item"),
    [
        ("add peanut butter", "PEANUT_BUTTER"),
        ("add butter", "BUTTER"),
        ("add orange juice", "ORANGE_JUICE"),
        ("add oranges", "ORANGE"),
        ("add oat milk", "OAT_MILK"),
        ("add milk", "MILK"),
        ("add half and half", "HALF_AND_HALF"),
        ("add a butter croissant", "CROISSANT"),
    ],
)
def test_the_longest_literal_match_wins(nlu: Nlu, utterance: str, item: str) -> None:
    result = nlu.parse(utterance)
    assert result.intent == "AddItemIntent"
    assert {k: v for k, v in slots_of(result).items() if k != "Amount"} == {"Item": item}


def test_two_dozen_eggs_is_a_quantity_an_amount_and_an_item(nlu: Nlu) -> None:
    result = nlu.parse("add two dozen eggs")
    assert slots_of(result) == {"Quantity": "2", "Amount": "DOZEN", "Item": "EGGS"}
    assert (result.slots["Amount"].value, result.slots["Item"].value) == ("dozen", "eggs")


def test_a_dozen_eggs_gives_an_amount_and_no_quantity(nlu: Nlu) -> None:
    # "a dozen" is a listed QuantityWord value: heard whole, article included.
    result = nlu.parse("add a dozen eggs")
    assert slots_of(result) == {"Amount": "DOZEN", "Item": "EGGS"}
    assert result.slots["Amount"].value == "a dozen"


@pytest.mark.parametrize(
    ("utterance", "quantity"),
    [("add twenty one bagels", "21"), ("add 3 bagels", "3"), ("add a hundred bagels", "100")],
)
def test_numbers_in_words_and_digits(nlu: Nlu, utterance: str, quantity: str) -> None:
    assert nlu.parse(utterance).slots["Quantity"].value == quantity


# -- tolerance ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "utterance",
    [
        "add two apples",
        "please add two apples",
        "could you add two apples to my cart please",
        "I'd like to add two apples",
        "um add the two apples to my basket",
        "ADD 2 APPLES!",
        "add two apple",
    ],
)
def test_filler_politeness_case_and_plurals(nlu: Nlu, utterance: str) -> None:
    result = nlu.parse(utterance)
    assert (result.intent, slots_of(result)) == (
        "AddItemIntent",
        {"Quantity": "2", "Item": "APPLE"},
    )


@pytest.mark.parametrize(
    ("utterance", "item"),
    [
        ("add a bananna", "BANANA"),
        ("add an avacado", "AVOCADO"),
        ("add peanut buter", "PEANUT_BUTTER"),
        ("add spagetti", "PASTA"),
        ("add halfandhalf", "HALF_AND_HALF"),
    ],
)
def test_small_edit_distances_on_item_names(nlu: Nlu, utterance: str, item: str) -> None:
    result = nlu.parse(utterance)
    assert result.intent == "AddItemIntent"
    assert result.slots["Item"].id == item
    assert result.slots["Item"].status == "ER_SUCCESS_MATCH"


def test_short_words_are_not_typos_of_items(nlu: Nlu) -> None:
    # "beer" is one letter from "beef", but a four-letter word is too easily another word.
    result = nlu.parse("add beer")
    assert result.intent == "AddItemIntent"
    assert result.slots["Item"].status == "ER_SUCCESS_NO_MATCH"


def test_an_unknown_item_is_still_add_with_no_match(nlu: Nlu) -> None:
    result = nlu.parse("add a unicorn")
    assert result.intent == "AddItemIntent"
    item = result.slots["Item"]
    assert (item.value, item.id, item.status) == ("unicorn", None, "ER_SUCCESS_NO_MATCH")


# -- built-in intents and fallback -------------------------------------------------
@pytest.mark.parametrize(
    ("utterance", "intent"),
    [
        ("yes", "AMAZON.YesIntent"),
        ("yeah", "AMAZON.YesIntent"),
        ("sure", "AMAZON.YesIntent"),
        ("yes please", "AMAZON.YesIntent"),
        ("no", "AMAZON.NoIntent"),
        ("nope", "AMAZON.NoIntent"),
        ("no thanks", "AMAZON.NoIntent"),
        ("help", "AMAZON.HelpIntent"),
        ("what can I say", "AMAZON.HelpIntent"),
        ("stop", "AMAZON.StopIntent"),
        ("cancel", "AMAZON.CancelIntent"),
        ("never mind", "AMAZON.CancelIntent"),
        ("repeat", "AMAZON.RepeatIntent"),
        ("say that again", "AMAZON.RepeatIntent"),
        ("go home", "AMAZON.NavigateHomeIntent"),
    ],
)
def test_builtin_intents_without_samples(nlu: Nlu, utterance: str, intent: str) -> None:
    assert nlu.parse(utterance).intent == intent


@pytest.mark.parametrize(
    "utterance", ["what's the weather like", "play some jazz", "tell me a joke", "please", ""]
)
def test_out_of_domain_falls_back(nlu: Nlu, utterance: str) -> None:
    result = nlu.parse(utterance)
    assert result.intent == FALLBACK
    assert result.slots == {}


def test_repeat_my_last_order_is_reorder_not_repeat(nlu: Nlu) -> None:
    assert nlu.parse("repeat my last order").intent == "ReorderIntent"
    assert nlu.parse("how much is my cart").intent == "CartTotalIntent"


# -- dialog context ----------------------------------------------------------------
def test_elicitation_reads_a_bare_answer_as_the_slot(nlu: Nlu) -> None:
    assert nlu.parse("apples").intent == FALLBACK
    result = nlu.parse("apples", expecting=("AddItemIntent", "Item"))
    assert (result.intent, slots_of(result), result.elicited) == (
        "AddItemIntent",
        {"Item": "APPLE"},
        True,
    )
    quantity = nlu.parse("two please", expecting=("AddItemIntent", "Quantity"))
    assert slots_of(quantity) == {"Quantity": "2"}


def test_elicitation_still_lets_the_user_leave(nlu: Nlu) -> None:
    assert nlu.parse("stop", expecting=("AddItemIntent", "Item")).intent == "AMAZON.StopIntent"
    listing = nlu.parse("what's in my cart", expecting=("AddItemIntent", "Item"))
    assert listing.intent == "ListCartIntent"


# -- results, determinism, samples ----------------------------------------------------
def test_to_json_is_the_nlu_contract(nlu: Nlu) -> None:
    assert nlu.parse("add two apples").to_json() == {
        "utterance": "add two apples",
        "intent": "AddItemIntent",
        "slots": {
            "Quantity": {"value": "2", "id": None},
            "Item": {"value": "apples", "id": "APPLE"},
        },
    }


def test_resolution_is_deterministic(nlu: Nlu) -> None:
    from skill.interaction import load_model

    fresh = Nlu(load_model("en-US"))
    for utterance in ["add three lemons and some milk", "take out the eggs", "order again"]:
        assert nlu.parse(utterance) == nlu.parse(utterance) == fresh.parse(utterance)


def test_the_matched_sample_is_reported_for_coverage(nlu: Nlu) -> None:
    assert nlu.parse("add milk to my cart").sample == "add {Item} to my cart"
    assert nlu.parse("what is in my cart").sample == "what is in my cart"
    assert nlu.parse("yes").sample is None


def test_resolve_a_value_given_directly(nlu: Nlu) -> None:
    assert nlu.resolve("AddItemIntent", "Item", "peanut butter").id == "PEANUT_BUTTER"
    assert nlu.resolve("AddItemIntent", "Item", "unicorn").status == "ER_SUCCESS_NO_MATCH"
    assert nlu.resolve("AddItemIntent", "Quantity", "twenty one").value == "21"
    assert nlu.resolve("AddItemIntent", "Quantity", "?").value == "?"
    with pytest.raises(ConfigError, match="has no slot"):
        nlu.resolve("AddItemIntent", "Colour", "red")


# -- invocation ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("utterance", "kind", "rest"),
    [
        ("open corner shop", "launch", ""),
        ("Launch Corner Shop", "launch", ""),
        ("start corner shop", "launch", ""),
        ("alexa open corner shop", "launch", ""),
        ("ask corner shop to add milk", "one-shot", "add milk"),
        ("tell corner shop add milk", "one-shot", "add milk"),
        ("add milk", None, "add milk"),
        ("open the fridge", None, "open the fridge"),
    ],
)
def test_split_invocation(utterance: str, kind: str | None, rest: str) -> None:
    invocation = split_invocation(utterance, "corner shop")
    assert (invocation.kind, invocation.rest) == (kind, rest)


# -- other models ----------------------------------------------------------------------
def small_model() -> dict[str, Any]:
    return {
        "interactionModel": {
            "languageModel": {
                "invocationName": "pet shop",
                "intents": [
                    {
                        "name": "AdoptIntent",
                        "slots": [{"name": "Pet", "type": "PetType"}],
                        "samples": ["adopt a {Pet}", "i want a {Pet}"],
                    },
                    {"name": "AMAZON.StopIntent", "samples": []},
                    {"name": "AMAZON.FallbackIntent", "samples": []},
                ],
                "types": [
                    {
                        "name": "PetType",
                        "values": [
                            {"id": "DOG", "name": {"value": "dog", "synonyms": ["puppy"]}},
                            {"id": "CAT", "name": {"value": "cat", "synonyms": ["kitten"]}},
                        ],
                    }
                ],
            }
        }
    }


def test_any_model_compiles() -> None:
    pets = Nlu(small_model())
    result = pets.parse("could I adopt two puppies please")
    assert result.intent == "AdoptIntent"
    assert result.slots["Pet"].id == "DOG"
    assert pets.parse("stop").intent == "AMAZON.StopIntent"
    assert pets.parse("add milk").intent == FALLBACK


def test_a_broken_model_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="languageModel"):
        Nlu({"interactionModel": {}})
    model = small_model()
    model["interactionModel"]["languageModel"]["intents"][0]["samples"] = ["adopt {Colour}"]
    with pytest.raises(ConfigError, match="Colour"):
        Nlu(model)


# -- the annotation sets ---------------------------------------------------------------
#: locale: (at least this many annotations, intent accuracy, slot accuracy). The sets are
#: SMAPI NLU annotation sets (tests/nlu/<locale>.json), so the same files run against
#: Alexa's NLU evaluation API; bench/bench_nlu.py prints the figures and the misses.
ANNOTATION_SETS = {
    "en-US": (250, 0.97, 0.95),
    "de-DE": (180, 0.95, 0.95),
    "en-GB": (95, 0.95, 0.95),
    "en-CA": (50, 0.95, 0.90),
    "en-AU": (50, 0.95, 0.90),
    "en-IN": (50, 0.95, 0.90),
}
SETS = REPO / "tests" / "nlu"


def annotations(locale: str) -> list[Any]:
    from skill.simulator.annotation_sets import load

    return load(SETS / f"{locale}.json")


def test_every_annotation_set_is_checked() -> None:
    assert {p.stem for p in SETS.glob("*.json")} == set(ANNOTATION_SETS)
    assert not list(SETS.glob("*.tsv"))  # the old format is gone


@pytest.mark.parametrize("locale", sorted(ANNOTATION_SETS))
def test_the_annotation_set_is_big_and_mostly_paraphrases(locale: str) -> None:
    nlu = nlu_for(locale, project_models())
    rows = annotations(locale)
    assert len(rows) >= ANNOTATION_SETS[locale][0]
    samples = {" ".join(s.lower().split()) for texts in nlu.samples.values() for s in texts}
    intents = {a.expected[0][0] for a in rows}
    required = {i for i in nlu.intent_names if not i.startswith("AMAZON.")} | _COMMON_BUILTINS
    assert required <= intents
    if len(rows) >= 60:  # the big sets cover every intent, fallback included
        assert set(nlu.intent_names) <= intents
    verbatim = 0
    for a in rows:
        text = a.utterance.lower()
        for name, value in a.expected[0][1].items():
            text = text.replace(value.lower(), f"{{{name}}}", 1)
        verbatim += text in samples
    assert verbatim <= len(rows) / 2


# Every set covers the custom intents and these; the big ones cover all.
_COMMON_BUILTINS = {"AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.HelpIntent"}


@pytest.mark.parametrize("locale", sorted(ANNOTATION_SETS))
def test_accuracy_on_the_annotation_set(locale: str) -> None:
    from skill.simulator.annotation_sets import evaluate

    report = evaluate(annotations(locale), nlu_for(locale, project_models()))
    _size, intent_floor, slot_floor = ANNOTATION_SETS[locale]
    misses = [line for line in report.lines() if line.startswith("FAILED")]
    assert report.summary["intentAccuracy"] >= intent_floor, misses
    assert report.summary["slotAccuracy"] >= slot_floor, misses


# -- what real customers say (issue 11) --------------------------------------------------
@pytest.fixture(scope="module")
def de() -> Nlu:
    return nlu_for("de-DE", project_models())


@pytest.mark.parametrize(
    ("utterance", "intent", "slots"),
    [
        (
            "add two apples and a banana",
            "AddItemIntent",
            {"Quantity": "2", "Item": "APPLE", "Amount2": "ONE", "Item2": "BANANA"},
        ),
        (
            "three bananas, two lemons and some milk",
            "AddItemIntent",
            {
                "Quantity": "3",
                "Item": "BANANA",
                "Quantity2": "2",
                "Item2": "LEMON",
                "Amount3": "SOME",
                "Item3": "MILK",
            },
        ),
        (
            "add two apples and a unicorn",
            "AddItemIntent",
            {"Quantity": "2", "Item": "APPLE", "Amount2": "ONE", "Item2": "unicorn"},
        ),
        ("a pint of milk", "AddItemIntent", {"Amount": "ONE", "Unit": "PINT", "Item": "MILK"}),
        ("another apple", "AddItemIntent", {"Amount": "ANOTHER", "Item": "APPLE"}),
        ("one more banana please", "AddItemIntent", {"Amount": "ANOTHER", "Item": "BANANA"}),
        ("half a lemon", "AddItemIntent", {"Amount": "HALF", "Item": "LEMON"}),
        ("half a dozen lemons", "AddItemIntent", {"Amount": "HALF_DOZEN", "Item": "LEMON"}),
        ("add a couple of bananas", "AddItemIntent", {"Amount": "COUPLE", "Item": "BANANA"}),
        ("add an apple", "AddItemIntent", {"Amount": "ONE", "Item": "APPLE"}),
        ("take one apple out", "RemoveItemIntent", {"Quantity": "1", "Item": "APPLE"}),
        ("remove an apple", "RemoveItemIntent", {"Amount": "ONE", "Item": "APPLE"}),
        ("remove the apples", "RemoveItemIntent", {"Item": "APPLE"}),
        ("make that five", "SetQuantityIntent", {"Quantity": "5"}),
        ("change the oranges to four", "SetQuantityIntent", {"Quantity": "4", "Item": "ORANGE"}),
        ("i only want one loaf", "SetQuantityIntent", {"Quantity": "1", "Item": "BREAD"}),
        ("just two apples please", "SetQuantityIntent", {"Quantity": "2", "Item": "APPLE"}),
        ("do you have eggs", "ItemQuestionIntent", {"Item": "EGGS"}),
        ("what's my total", "CartTotalIntent", {}),
        ("how much is that", "CartTotalIntent", {}),
        ("that's it", "CheckoutIntent", {}),
        ("nothing else", "CheckoutIntent", {}),
        ("cancel my order", "CancelOrderIntent", {}),
        ("cancel", "AMAZON.CancelIntent", {}),
    ],
)
def test_what_customers_say(nlu: Nlu, utterance: str, intent: str, slots: dict[str, str]) -> None:
    result = nlu.parse(utterance)
    assert (result.intent, slots_of(result)) == (intent, slots)


@pytest.mark.parametrize(
    ("utterance", "quantity"),
    [
        ("add 2.5 apples", "2.5"),
        ("add two point five apples", "2.5"),
        ("two and a half lemons", "2.5"),
    ],
)
def test_decimals_are_heard_as_alexa_gives_them(nlu: Nlu, utterance: str, quantity: str) -> None:
    # AMAZON.NUMBER gives decimals as digits with a point; never rounded, never two numbers.
    result = nlu.parse(utterance)
    assert result.slots["Quantity"].value == quantity
    assert "Quantity2" not in result.slots


@pytest.mark.parametrize(
    ("utterance", "intent", "slots"),
    [
        ("entferne einen Apfel", "RemoveItemIntent", {"Amount": "ONE", "Item": "APPLE"}),
        ("füge eine Banane hinzu", "AddItemIntent", {"Amount": "ONE", "Item": "BANANA"}),
        ("noch einen Apfel", "AddItemIntent", {"Amount": "ANOTHER", "Item": "APPLE"}),
        (
            "füge zwei Äpfel und eine Banane hinzu",
            "AddItemIntent",
            {"Quantity": "2", "Item": "APPLE", "Amount2": "ONE", "Item2": "BANANA"},
        ),
        (
            "zwei Dutzend Eier",
            "AddItemIntent",
            {"Quantity": "2", "Amount": "DOZEN", "Item": "EGGS"},
        ),
        ("ich will nur ein Brot", "SetQuantityIntent", {"Quantity": "1", "Item": "BREAD"}),
        ("mach fünf daraus", "SetQuantityIntent", {"Quantity": "5"}),
        ("füge 2,5 Äpfel hinzu", "AddItemIntent", {"Quantity": "2.5", "Item": "APPLE"}),
        ("ich nehme zweieinhalb Äpfel", "AddItemIntent", {"Quantity": "2.5", "Item": "APPLE"}),
        ("habt ihr Eier", "ItemQuestionIntent", {"Item": "EGGS"}),
        ("was macht das", "CartTotalIntent", {}),
        ("das war's", "CheckoutIntent", {}),
        ("storniere meine Bestellung", "CancelOrderIntent", {}),
    ],
)
def test_what_german_customers_say(
    de: Nlu, utterance: str, intent: str, slots: dict[str, str]
) -> None:
    result = de.parse(utterance)
    assert (result.intent, slots_of(result)) == (intent, slots)


def test_crisps_are_sold_in_india_by_any_name() -> None:
    india = nlu_for("en-IN", project_models())
    for utterance in ["add a bag of crisps", "add a packet of crisps", "add crisps"]:
        assert india.parse(utterance).slots["Item"].id == "CRISPS", utterance


def test_an_article_is_an_amount_only_where_the_sample_has_one() -> None:
    # GIVEN a model without an Amount slot WHEN "a" is said THEN it is still free filler
    pets = Nlu(small_model())
    result = pets.parse("adopt a puppy")
    assert (result.intent, slots_of(result), result.confidence) == (
        "AdoptIntent",
        {"Pet": "DOG"},
        1.0,
    )


def test_a_closed_word_list_takes_no_unknown_words(nlu: Nlu) -> None:
    # QuantityWord and ShopUnit are never elicited: "greek" is no amount, "purple" no unit.
    for utterance in ["add greek yoghurt", "add a purple unicorn", "i want some dragon fruit"]:
        result = nlu.parse(utterance)
        assert {"Amount", "Unit"} & result.slots.keys() <= {"Amount"}, utterance
        amount = result.slots.get("Amount")
        assert amount is None or amount.status == "ER_SUCCESS_MATCH", utterance
    assert nlu.parse("add a purple unicorn").slots["Item"].value == "purple unicorn"


def test_a_sample_of_slots_alone_needs_every_slot(nlu: Nlu) -> None:
    # "{Amount} {Item}" is a sample; "apples" alone is not "{Item}" with no amount.
    assert nlu.parse("apples").intent == FALLBACK
    assert nlu.parse("another apple").intent == "AddItemIntent"


def test_pruning_by_the_score_bound_changes_no_answer(
    nlu: Nlu, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN utterances of every kind WHEN parsed with and without the bound THEN the same
    utterances = [a.utterance for a in annotations("en-US")[:120]]
    pruned = [nlu.parse(u) for u in utterances]
    monkeypatch.setattr(Nlu, "_bound", lambda self, template, u, facts: 1e9)
    full = [nlu.parse(u) for u in utterances]
    assert pruned == full
