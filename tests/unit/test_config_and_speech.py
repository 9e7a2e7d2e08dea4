"""Settings parsing, store URLs, message catalogs, SSML and the model/catalog sync."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from skill import interaction
from skill.config import Settings
from skill.errors import ConfigError
from skill.speech import available_locales, messages_for, placeholders
from skill.speech.ssml import escape, to_text
from skill.store import open_store
from skill.store.memory import MemoryStore
from skill.store.sqlite import SQLiteStore

REPO = Path(__file__).parents[2]
CUSTOM_INTENTS = (
    "AddItemIntent",
    "RemoveItemIntent",
    "ListCartIntent",
    "ClearCartIntent",
    "PriceIntent",
    "BrowseCatalogIntent",
    "CheckoutIntent",
    "LastOrderIntent",
    "ReorderIntent",
    "SetQuantityIntent",
    "CartTotalIntent",
    "ItemQuestionIntent",
    "CancelOrderIntent",
)

#: AddItemIntent's slots (issue 11): an amount word and a unit for the first item, and
#: numbered pairs so Alexa fills several items said in one breath.
ADD_ITEM_SLOTS = {
    "Quantity": "AMAZON.NUMBER",
    "Amount": "QuantityWord",
    "Unit": "ShopUnit",
    "Item": "CatalogItem",
    "Quantity2": "AMAZON.NUMBER",
    "Amount2": "QuantityWord",
    "Item2": "CatalogItem",
    "Quantity3": "AMAZON.NUMBER",
    "Amount3": "QuantityWord",
    "Item3": "CatalogItem",
}


def test_settings_defaults_are_secure_and_local() -> None:
    settings = Settings.from_env({"HOME": "/home/x"})
    assert settings.verify_requests is True
    assert settings.skill_id is None
    assert settings.store_url == "sqlite:////home/x/.local/share/cornershop/cornershop.db"


def test_settings_read_every_variable() -> None:
    settings = Settings.from_env(
        {
            "CORNERSHOP_STORE": "memory://",
            "ALEXA_SKILL_ID": "amzn1.ask.skill.x",
            "CORNERSHOP_VERIFY": "false",
            "CORNERSHOP_PICKUP_MINUTES": "30",
            "CORNERSHOP_PROFILE_TIMEOUT": "0.5",
            "CORNERSHOP_DEV": "yes",
            "XDG_DATA_HOME": "/d",
        }
    )
    assert (settings.store_url, settings.skill_id, settings.verify_requests) == (
        "memory://",
        "amzn1.ask.skill.x",
        False,
    )
    assert (settings.pickup_minutes, settings.profile_timeout, settings.dev_mode) == (30, 0.5, True)


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"CORNERSHOP_VERIFY": "maybe"}, "not a boolean"),
        ({"CORNERSHOP_PICKUP_MINUTES": "soon"}, "not a number"),
        ({"CORNERSHOP_PROFILE_TIMEOUT": "5"}, "out of range"),
    ],
)
def test_bad_settings_say_how_to_fix(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        Settings.from_env(env)


def test_open_store_by_url(tmp_path: Path) -> None:
    assert isinstance(open_store("memory://"), MemoryStore)
    store = open_store(f"sqlite:///{tmp_path}/a/b.db")
    assert isinstance(store, SQLiteStore) and (tmp_path / "a" / "b.db").exists()
    store.close()


@pytest.mark.parametrize("url", ["nonsense", "redis://x", "sqlite://", "dynamodb://"])
def test_open_store_rejects_bad_urls_clearly(url: str) -> None:
    with pytest.raises(ConfigError, match="CORNERSHOP_STORE"):
        open_store(url)


def test_every_locale_has_every_key_with_the_same_placeholders() -> None:
    reference = messages_for("en-US")
    for locale in available_locales():
        msgs = messages_for(locale)
        assert msgs.keys() == reference.keys(), locale
        for key in sorted(reference.keys()):
            ref, other = reference.raw(key), msgs.raw(key)
            ref_forms = ref.values() if isinstance(ref, dict) else [ref]
            other_forms = other.values() if isinstance(other, dict) else [other]
            assert {frozenset(placeholders(f)) for f in ref_forms} == {
                frozenset(placeholders(f)) for f in other_forms
            }, (locale, key)


def test_plural_messages_pick_the_right_form() -> None:
    msg = messages_for("en-US")
    assert "1 item," in msg("added", count=1, what="x", total="$1.00")
    assert "2 items," in msg("added", count=2, what="x", total="$1.00")


def test_unknown_locale_falls_back_to_english() -> None:
    assert messages_for("xx-YY").locale == "en-US"
    assert messages_for("en-ZZ").language == "en"


def test_ssml_escape_and_text() -> None:
    assert escape("fish & <chips>") == "fish &amp; &lt;chips&gt;"
    assert to_text("<speak>fish &amp; chips <break time='1s'/></speak>") == "fish & chips"


def test_interaction_model_matches_catalog() -> None:
    assert interaction.drift("en-US") == []


def test_interaction_model_has_required_intents_and_samples() -> None:
    model = interaction.load_model("en-US")["interactionModel"]["languageModel"]
    assert model["invocationName"] == "corner shop"
    intents = {i["name"]: i for i in model["intents"]}
    for name in CUSTOM_INTENTS:
        assert len(intents[name]["samples"]) >= 10, name
    for name in [
        "AMAZON.YesIntent",
        "AMAZON.NoIntent",
        "AMAZON.HelpIntent",
        "AMAZON.CancelIntent",
        "AMAZON.StopIntent",
        "AMAZON.NavigateHomeIntent",
        "AMAZON.FallbackIntent",
        "AMAZON.RepeatIntent",
    ]:
        assert name in intents
    slots = {s["name"]: s["type"] for s in intents["AddItemIntent"]["slots"]}
    assert slots == ADD_ITEM_SLOTS
    assert any("{Item}" in s and "cart" in s for s in intents["AddItemIntent"]["samples"])
    assert any("please" in s for s in intents["AddItemIntent"]["samples"])


def test_drift_is_detected_and_sync_repairs_it(tmp_path: Path) -> None:
    shutil.copy(REPO / "interaction_models" / "en-US.json", tmp_path / "en-US.json")
    model = json.loads((tmp_path / "en-US.json").read_text())
    values = model["interactionModel"]["languageModel"]["types"][0]["values"]
    values[0]["name"]["synonyms"].append("pink lady")
    del values[-1]
    (tmp_path / "en-US.json").write_text(json.dumps(model))
    problems = interaction.drift("en-US", tmp_path)
    assert any("APPLE differs" in p for p in problems)
    assert any("CEREAL is in the catalog but not in the model" in p for p in problems)
    assert interaction.sync("en-US", tmp_path) is True
    assert interaction.drift("en-US", tmp_path) == []
    assert interaction.sync("en-US", tmp_path) is False


# Amazon's invocation-name rules that can be checked offline: lower case letters and
# spaces only (apostrophes and periods allowed), at least two words or a brand, no launch
# words or wake words, and not "skill"/"app" style filler.
_LAUNCH_WORDS = {
    "open",
    "launch",
    "start",
    "ask",
    "tell",
    "load",
    "begin",
    "enable",
    "run",
    "öffne",
    "starte",
    "frag",
    "sag",
    "alexa",
    "amazon",
    "echo",
    "computer",
    "skill",
    "app",
}


@pytest.mark.parametrize("locale", interaction.model_locales())
def test_invocation_names_follow_amazons_rules(locale: str) -> None:
    name = interaction.load_model(locale)["interactionModel"]["languageModel"]["invocationName"]
    assert name == name.lower(), "invocation names are lower case"
    assert all(ch.isalpha() or ch in " '." for ch in name), name
    words = name.split()
    assert len(words) >= 2, "one-word invocation names need a brand; ours are two words"
    assert not set(words) & _LAUNCH_WORDS, name
    assert 2 <= len(name) <= 50


@pytest.mark.parametrize("locale", interaction.model_locales())
def test_every_model_has_the_contract_intents_and_slots(locale: str) -> None:
    model = interaction.load_model(locale)["interactionModel"]["languageModel"]
    intents = {i["name"]: i for i in model["intents"]}
    for name in CUSTOM_INTENTS:
        assert len(intents[name]["samples"]) >= 10, (locale, name)
    slots = {s["name"]: s["type"] for s in intents["AddItemIntent"]["slots"]}
    assert slots == ADD_ITEM_SLOTS
    assert interaction.drift(locale) == []
