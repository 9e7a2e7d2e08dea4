"""Alexa's built-in slot types in en-US, en-GB and de-DE, in Alexa's value formats and payloads.

Every case runs through the second skill's model (tests/fixtures/timer_skill), on Friday
2026-11-27 at 10:00 UTC (ISO week 48), so relative dates are fixed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from _skills import TIMER, restore_sys_path  # noqa: F401 (an autouse fixture)

from skill.simulator import builtins
from skill.simulator.envelopes import slot_json
from skill.simulator.languages import ENGLISH, GERMAN
from skill.simulator.models import ModelSet
from skill.simulator.nlu import FALLBACK, Nlu, nlu_for

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
MODELS = ModelSet.find(TIMER)


def heard(locale: str, utterance: str) -> tuple[str, dict[str, str]]:
    result = nlu_for(locale, MODELS).parse(utterance, now=NOW)
    return result.intent, {name: fill.value for name, fill in result.slots.items()}


ENGLISH_CASES = [
    # AMAZON.DURATION
    ("set a timer for ten minutes", "SetTimerIntent", {"Duration": "PT10M"}),
    ("set a timer for an hour and a half", "SetTimerIntent", {"Duration": "PT1H30M"}),
    ("set a timer for half an hour", "SetTimerIntent", {"Duration": "PT30M"}),
    ("set a timer for five hours and ten minutes", "SetTimerIntent", {"Duration": "PT5H10M"}),
    ("set a timer for two days", "SetTimerIntent", {"Duration": "P2D"}),
    ("set a timer for three weeks", "SetTimerIntent", {"Duration": "P3W"}),
    ("count down forty five seconds", "SetTimerIntent", {"Duration": "PT45S"}),
    ("start a twenty minute timer", "SetTimerIntent", {"Duration": "PT20M"}),
    # AMAZON.TIME
    ("wake me up at seven", "SetAlarmIntent", {"Time": "07:00"}),
    ("set an alarm for 5:30 pm", "SetAlarmIntent", {"Time": "17:30"}),
    ("set an alarm for five thirty in the evening", "SetAlarmIntent", {"Time": "17:30"}),
    ("set an alarm for half past six", "SetAlarmIntent", {"Time": "06:30"}),
    ("set an alarm for quarter to seven", "SetAlarmIntent", {"Time": "06:45"}),
    ("set an alarm for noon", "SetAlarmIntent", {"Time": "12:00"}),
    ("set an alarm for midnight", "SetAlarmIntent", {"Time": "00:00"}),
    ("set an alarm for seventeen hundred", "SetAlarmIntent", {"Time": "17:00"}),
    ("set an alarm for this evening", "SetAlarmIntent", {"Time": "EV"}),
    ("set an alarm for the morning", "SetAlarmIntent", {"Time": "MO"}),
    # AMAZON.DATE (and TIME with it)
    ("wake me up tomorrow at 7 pm", "SetAlarmIntent", {"Time": "19:00", "Day": "2026-11-28"}),
    ("alarm for today", "SetAlarmIntent", {"Day": "2026-11-27"}),
    ("alarm for the day after tomorrow", "SetAlarmIntent", {"Day": "2026-11-29"}),
    ("alarm for monday", "SetAlarmIntent", {"Day": "2026-11-30"}),
    ("alarm for next friday", "SetAlarmIntent", {"Day": "2026-12-04"}),
    ("alarm for december twenty fifth", "SetAlarmIntent", {"Day": "2026-12-25"}),
    ("alarm for the 3rd of january", "SetAlarmIntent", {"Day": "2027-01-03"}),  # next one
    ("alarm for march 4th 2028", "SetAlarmIntent", {"Day": "2028-03-04"}),
    ("alarm for the twenty fifth", "SetAlarmIntent", {"Day": "2026-12-25"}),
    ("alarm for this week", "SetAlarmIntent", {"Day": "2026-W48"}),
    ("alarm for next week", "SetAlarmIntent", {"Day": "2026-W49"}),
    ("alarm for this weekend", "SetAlarmIntent", {"Day": "2026-W48-WE"}),
    ("alarm for next month", "SetAlarmIntent", {"Day": "2026-12"}),
    ("alarm for december", "SetAlarmIntent", {"Day": "2026-12"}),
    ("alarm for next year", "SetAlarmIntent", {"Day": "2027"}),
    ("alarm for next summer", "SetAlarmIntent", {"Day": "2027-SU"}),
    ("alarm for the eighties", "SetAlarmIntent", {"Day": "198X"}),
    ("alarm for christmas", "SetAlarmIntent", {"Day": "XXXX-12-25"}),
    ("alarm for 2026-12-31", "SetAlarmIntent", {"Day": "2026-12-31"}),
    ("alarm for three days from now", "SetAlarmIntent", {"Day": "2026-11-30"}),
    # AMAZON.Ordinal, AMAZON.NUMBER
    ("cancel the third timer", "CancelTimerIntent", {"Ordinal": "3"}),
    ("cancel the twenty first timer", "CancelTimerIntent", {"Ordinal": "21"}),
    ("cancel the 2nd timer", "CancelTimerIntent", {"Ordinal": "2"}),
    ("cancel timer number two", "CancelTimerIntent", {"Number": "2"}),
    # AMAZON.FOUR_DIGIT_NUMBER
    ("my pin is one two three four", "PinIntent", {"Code": "1234"}),
    ("my pin is zero one two three", "PinIntent", {"Code": "0123"}),
    ("my pin is twenty twenty six", "PinIntent", {"Code": "2026"}),
    ("my pin is nineteen eighty four", "PinIntent", {"Code": "1984"}),
    ("the code is 4711", "PinIntent", {"Code": "4711"}),
    # AMAZON.FirstName, AMAZON.SearchQuery
    ("name the timer mary", "NameTimerIntent", {"Name": "mary"}),
    (
        "find a recipe for the best chocolate cake",
        "SearchRecipeIntent",
        {"Query": "the best chocolate cake"},
    ),
    (
        "search recipes for pasta with tomato sauce",
        "SearchRecipeIntent",
        {"Query": "pasta with tomato sauce"},
    ),
    # no slot type swallows an intent's words
    ("what time is it", "WhatTimeIntent", {}),
    ("what's the time", "WhatTimeIntent", {}),
]


@pytest.mark.parametrize(("utterance", "intent", "slots"), ENGLISH_CASES)
@pytest.mark.parametrize("locale", ["en-US", "en-GB"])
def test_english_built_in_slots(
    locale: str, utterance: str, intent: str, slots: dict[str, str]
) -> None:
    assert heard(locale, utterance) == (intent, slots)


GERMAN_CASES = [
    ("stell einen timer auf zehn minuten", "SetTimerIntent", {"Duration": "PT10M"}),
    ("timer für anderthalb stunden", "SetTimerIntent", {"Duration": "PT1H30M"}),
    ("timer für eine halbe stunde", "SetTimerIntent", {"Duration": "PT30M"}),
    ("timer für zwei stunden und zehn minuten", "SetTimerIntent", {"Duration": "PT2H10M"}),
    ("timer für drei tage", "SetTimerIntent", {"Duration": "P3D"}),
    ("weck mich um siebzehn uhr dreißig", "SetAlarmIntent", {"Time": "17:30"}),
    ("weck mich um 17:30 Uhr", "SetAlarmIntent", {"Time": "17:30"}),
    ("weck mich um halb sieben", "SetAlarmIntent", {"Time": "06:30"}),
    ("weck mich um viertel nach fünf", "SetAlarmIntent", {"Time": "05:15"}),
    ("weck mich um acht uhr abends", "SetAlarmIntent", {"Time": "20:00"}),
    ("weck mich morgen um halb sieben", "SetAlarmIntent", {"Time": "06:30", "Day": "2026-11-28"}),
    ("wecker für übermorgen", "SetAlarmIntent", {"Day": "2026-11-29"}),
    ("wecker für nächsten montag", "SetAlarmIntent", {"Day": "2026-11-30"}),
    ("wecker für den fünfundzwanzigsten dezember", "SetAlarmIntent", {"Day": "2026-12-25"}),
    ("wecker für den 3. Januar", "SetAlarmIntent", {"Day": "2027-01-03"}),
    ("wecker für nächste woche", "SetAlarmIntent", {"Day": "2026-W49"}),
    ("wecker für dieses wochenende", "SetAlarmIntent", {"Day": "2026-W48-WE"}),
    ("wecker für nächsten monat", "SetAlarmIntent", {"Day": "2026-12"}),
    ("wecker für weihnachten", "SetAlarmIntent", {"Day": "XXXX-12-25"}),
    ("lösche den dritten timer", "CancelTimerIntent", {"Ordinal": "3"}),
    ("lösche den einundzwanzigsten timer", "CancelTimerIntent", {"Ordinal": "21"}),
    ("lösche timer nummer zwei", "CancelTimerIntent", {"Number": "2"}),
    ("meine pin ist eins zwei drei vier", "PinIntent", {"Code": "1234"}),
    ("meine pin ist zweitausendsechsundzwanzig", "PinIntent", {"Code": "2026"}),
    ("nenne den timer anna", "NameTimerIntent", {"Name": "anna"}),
    (
        "suche ein rezept für schokoladenkuchen mit nüssen",
        "SearchRecipeIntent",
        {"Query": "schokoladenkuchen mit nüssen"},
    ),
    ("wie spät ist es", "WhatTimeIntent", {}),
]


@pytest.mark.parametrize(("utterance", "intent", "slots"), GERMAN_CASES)
def test_german_built_in_slots(utterance: str, intent: str, slots: dict[str, str]) -> None:
    assert heard("de-DE", utterance) == (intent, slots)


def test_a_search_query_needs_its_carrier_phrase() -> None:
    assert heard("en-US", "the best chocolate cake")[0] == FALLBACK


def test_an_unknown_first_name_is_heard_with_less_confidence() -> None:
    nlu = nlu_for("en-US", MODELS)
    known = nlu.parse("name the timer mary", now=NOW)
    unknown = nlu.parse("name the timer zorblax", now=NOW)
    assert unknown.slots["Name"].value == "zorblax"
    assert unknown.confidence < known.confidence


def test_dates_are_relative_to_the_reference_time() -> None:
    later = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    result = nlu_for("en-US", MODELS).parse("alarm for tomorrow", now=later)
    assert result.slots["Day"].value == "2027-03-02"


# -- payloads ------------------------------------------------------------------------
def slot_of(utterance: str, name: str, locale: str = "en-US") -> dict[str, Any]:
    result = nlu_for(locale, MODELS).parse(utterance, now=NOW)
    return slot_json(name, result.slots[name], "amzn1.ask.skill.timer")


def test_a_built_in_value_is_a_simple_slot_without_resolutions() -> None:
    assert slot_of("set a timer for ten minutes", "Duration") == {
        "name": "Duration",
        "confirmationStatus": "NONE",
        "source": "USER",
        "value": "PT10M",
        "slotValue": {"type": "Simple", "value": "PT10M"},
    }


def test_a_multiple_value_slot_sends_a_list_of_resolved_values() -> None:
    slot = slot_of("i need flour sugar and chocolate chips", "Ingredients")
    assert "value" not in slot and "resolutions" not in slot
    assert slot["slotValue"]["type"] == "List"
    values = slot["slotValue"]["values"]
    assert [v["value"] for v in values] == ["flour", "sugar", "chocolate chips"]
    assert [v["type"] for v in values] == ["Simple"] * 3
    ids = [
        v["resolutions"]["resolutionsPerAuthority"][0]["values"][0]["value"]["id"] for v in values
    ]
    assert ids == ["FLOUR", "SUGAR", "CHOCOLATE_CHIPS"]


def test_one_value_in_a_multiple_value_slot_is_a_simple_value() -> None:
    slot = slot_of("i need vanilla extract", "Ingredients")
    assert slot["value"] == "vanilla extract"
    assert slot["slotValue"]["type"] == "Simple"


def test_multiple_values_are_english_only_as_on_alexa() -> None:
    # The German model has no multipleValues flag; "Mehl und Zucker" is one (unknown) value.
    result = nlu_for("de-DE", MODELS).parse("ich brauche Mehl und Zucker", now=NOW)
    assert result.slots["Ingredients"].items == ()


def test_a_value_given_directly_is_converted_to_the_types_format() -> None:
    nlu = Nlu(MODELS.load("en-US"), "en-US")
    assert nlu.resolve("SetTimerIntent", "Duration", "ten minutes").value == "PT10M"
    assert nlu.resolve("SetTimerIntent", "Duration", "PT5M").value == "PT5M"  # already ISO
    assert nlu.resolve("CancelTimerIntent", "Number", "twenty one").value == "21"


@pytest.mark.parametrize(
    ("type_name", "text", "value"),
    [
        ("AMAZON.NUMBER", "minus five", "-5"),
        ("AMAZON.NUMBER", "two point five", "2.5"),
        ("AMAZON.ORDINAL", "fifth", "5"),  # both spellings Alexa has used
        ("AMAZON.Ordinal", "fifth", "5"),
        ("AMAZON.DURATION", "a week and a half", "P10DT12H"),
        ("AMAZON.TIME", "a quarter past nine", "09:15"),
    ],
)
def test_whole_values(type_name: str, text: str, value: str) -> None:
    assert builtins.whole_value(type_name, text, ENGLISH, NOW) == value


def test_german_ordinals_and_numbers_use_text2num() -> None:
    assert builtins.whole_value("AMAZON.Ordinal", "zwanzigste", GERMAN, NOW) == "20"
    assert builtins.whole_value("AMAZON.NUMBER", "dreihundertfünf", GERMAN, NOW) == "305"


def test_an_unknown_built_in_type_is_left_to_the_wildcard() -> None:
    assert builtins.find("AMAZON.City", ["paris"], ENGLISH, NOW) is None
