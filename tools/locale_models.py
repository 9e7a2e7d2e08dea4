"""Write interaction_models/<locale>.json for the locales beyond en-US.

    python tools/locale_models.py [OUT_DIR]

Carrier phrases are written per locale by hand below (never machine-translated
English); the CatalogItem values come from the catalog (`cornershop model sync`
keeps them in step afterwards).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from skill.interaction import catalog_slot_values  # noqa: E402

BUILTINS = [
    "AMAZON.YesIntent",
    "AMAZON.NoIntent",
    "AMAZON.HelpIntent",
    "AMAZON.CancelIntent",
    "AMAZON.StopIntent",
    "AMAZON.NavigateHomeIntent",
    "AMAZON.FallbackIntent",
    "AMAZON.RepeatIntent",
]
SLOTS = {
    "AddItemIntent": [("Quantity", "AMAZON.NUMBER"), ("Item", "CatalogItem")],
    "RemoveItemIntent": [("Quantity", "AMAZON.NUMBER"), ("Item", "CatalogItem")],
    "PriceIntent": [("Item", "CatalogItem")],
}


def english(
    container: str, extra_names: list[str], local: dict[str, list[str]]
) -> dict[str, list[str]]:
    """English carrier phrases; ``container`` is what a locale calls the cart."""
    c = container
    samples = {
        "AddItemIntent": [
            "add {Item}",
            "add {Quantity} {Item}",
            f"add {{Item}} to my {c}",
            f"add {{Quantity}} {{Item}} to my {c}",
            f"put {{Item}} in my {c}",
            f"put {{Quantity}} {{Item}} in my {c}",
            "i want {Item}",
            "i want {Quantity} {Item}",
            "i'd like {Item}",
            "i'd like {Quantity} {Item}",
            "i need {Quantity} {Item}",
            "get me {Item}",
            "get me {Quantity} {Item}",
            "buy {Item}",
            "buy {Quantity} {Item}",
            "add {Item} please",
            "add {Quantity} {Item} please",
            "please add {Quantity} {Item}",
            "can you add {Item}",
            f"could you add {{Quantity}} {{Item}} to my {c}",
            "add an {Item}",
            "add a {Item}",
            "add some {Item}",
            "i'll take {Quantity} {Item}",
            "i'll have {Item}",
            "also add {Item}",
            f"add to my {c}",
            "add something",
        ],
        "RemoveItemIntent": [
            "remove {Item}",
            "remove {Quantity} {Item}",
            f"remove {{Item}} from my {c}",
            f"remove {{Quantity}} {{Item}} from my {c}",
            "take out {Item}",
            f"take {{Item}} out of my {c}",
            "take out {Quantity} {Item}",
            "delete {Item}",
            "i don't want {Item}",
            "get rid of {Item}",
            "please remove {Item}",
            "remove the {Item}",
            "remove an item",
            f"take something out of my {c}",
        ],
        "ListCartIntent": [
            f"what's in my {c}",
            f"what is in my {c}",
            f"read my {c}",
            f"list my {c}",
            "what have i got",
            f"what do i have in my {c}",
            f"tell me what's in my {c}",
            f"review my {c}",
            f"check my {c}",
            "what's my total",
            "what is my total",
            *[f"what's in my {n}" for n in extra_names],
        ],
        "ClearCartIntent": [
            f"clear my {c}",
            f"empty my {c}",
            f"empty the {c}",
            "start over",
            "remove everything",
            f"delete everything in my {c}",
            f"clear the {c} please",
            f"reset my {c}",
            "remove all items",
            "clear everything",
            *[f"empty my {n}" for n in extra_names],
        ],
        "PriceIntent": [
            "how much is {Item}",
            "how much are {Item}",
            "how much does {Item} cost",
            "how much do {Item} cost",
            "what's the price of {Item}",
            "what is the price of {Item}",
            "what do {Item} cost",
            "price of {Item}",
            "how much for {Item}",
            "how much for a {Item}",
            "what does a {Item} cost",
            "tell me the price of {Item}",
            "how much is a {Item}",
            "what's the price",
        ],
        "BrowseCatalogIntent": [
            "what do you sell",
            "what do you have",
            "what can i buy",
            "what's for sale",
            "what's in stock",
            "what items do you have",
            "what do you stock",
            "what can i order",
            "tell me what you sell",
            "list your products",
            "browse the shop",
            "what products do you have",
        ],
        "CheckoutIntent": [
            "check out",
            "checkout",
            "i want to check out",
            "i'm ready to check out",
            "place my order",
            "place the order",
            "complete my order",
            "finish my order",
            "that's all",
            "that's everything",
            f"buy everything in my {c}",
            "submit my order",
            "let's check out",
            "check me out",
            "go to the till",
        ],
        "LastOrderIntent": [
            "what did i order last time",
            "what was my last order",
            "where is my order",
            "what's the status of my order",
            "is my order ready",
            "order status",
            "tell me about my last order",
            "track my order",
            "has my order been collected",
            "is my order ready for collection",
            "when is my order ready",
        ],
        "ReorderIntent": [
            "order the same again",
            "reorder",
            "order again",
            "same as last time",
            "repeat my last order",
            "order what i had last time",
            "buy the same again",
            "get my usual",
            "my usual please",
            "reorder my last order",
            f"put my last order in my {c}",
            "i'd like the same as last time",
        ],
    }
    for intent, more in local.items():
        samples[intent] = samples[intent] + more
    return samples


GERMAN = {
    "AddItemIntent": [
        "füge {Item} hinzu",
        "füge {Quantity} {Item} hinzu",
        "füge {Item} zum Warenkorb hinzu",
        "füge {Quantity} {Item} zum Warenkorb hinzu",
        "leg {Item} in den Warenkorb",
        "leg {Quantity} {Item} in den Warenkorb",
        "lege {Item} in meinen Warenkorb",
        "pack {Item} in den Warenkorb",
        "pack {Quantity} {Item} ein",
        "ich möchte {Item}",
        "ich möchte {Quantity} {Item}",
        "ich hätte gern {Item}",
        "ich hätte gerne {Quantity} {Item}",
        "ich brauche {Item}",
        "ich brauche {Quantity} {Item}",
        "ich nehme {Quantity} {Item}",
        "ich will {Item}",
        "ich will {Quantity} {Item}",
        "kauf {Item}",
        "kaufe {Quantity} {Item}",
        "bitte {Item} hinzufügen",
        "{Quantity} {Item} bitte",
        "noch {Quantity} {Item}",
        "noch {Item} bitte",
        "kannst du {Item} hinzufügen",
        "bitte füge {Quantity} {Item} hinzu",
        "etwas hinzufügen",
        "ich möchte etwas hinzufügen",
        "{Item} in den Einkaufswagen",
    ],
    "RemoveItemIntent": [
        "entferne {Item}",
        "entferne {Quantity} {Item}",
        "nimm {Item} raus",
        "nimm {Quantity} {Item} raus",
        "nimm {Item} aus dem Warenkorb",
        "lösche {Item}",
        "lösch {Item} aus meinem Warenkorb",
        "ich will kein {Item}",
        "ich will keine {Item} mehr",
        "streiche {Item}",
        "bitte entferne {Item}",
        "{Item} wieder rausnehmen",
        "etwas entfernen",
        "nimm etwas aus dem Warenkorb",
    ],
    "ListCartIntent": [
        "was ist in meinem Warenkorb",
        "was liegt in meinem Warenkorb",
        "was habe ich im Warenkorb",
        "lies meinen Warenkorb vor",
        "zeig meinen Warenkorb",
        "was habe ich bisher",
        "wie viel kostet mein Warenkorb",
        "was ist meine Summe",
        "wie hoch ist die Summe",
        "Warenkorb",
        "was ist im Einkaufswagen",
        "was habe ich schon",
    ],
    "ClearCartIntent": [
        "leere meinen Warenkorb",
        "leere den Warenkorb",
        "Warenkorb leeren",
        "alles löschen",
        "alles entfernen",
        "lösche alles im Warenkorb",
        "fang von vorne an",
        "nochmal von vorne",
        "Warenkorb zurücksetzen",
        "entferne alle Artikel",
        "alles raus",
    ],
    "PriceIntent": [
        "was kostet {Item}",
        "was kosten {Item}",
        "wie viel kostet {Item}",
        "wie viel kosten {Item}",
        "wie teuer ist {Item}",
        "wie teuer sind {Item}",
        "was ist der Preis von {Item}",
        "Preis von {Item}",
        "was kostet ein {Item}",
        "was kostet eine {Item}",
        "sag mir den Preis von {Item}",
        "wie viel kostet das",
        "was kostet das",
    ],
    "BrowseCatalogIntent": [
        "was verkauft ihr",
        "was verkaufst du",
        "was habt ihr",
        "was gibt es",
        "was kann ich kaufen",
        "was kann ich bestellen",
        "was habt ihr im Angebot",
        "was gibt es im Laden",
        "welche Produkte habt ihr",
        "zeig mir das Sortiment",
        "was führt ihr",
        "was ist im Sortiment",
    ],
    "CheckoutIntent": [
        "zur Kasse",
        "zur Kasse gehen",
        "ich möchte zur Kasse",
        "ich möchte bezahlen",
        "bezahlen",
        "Bestellung aufgeben",
        "gib meine Bestellung auf",
        "bestellen",
        "jetzt bestellen",
        "das ist alles",
        "das war alles",
        "fertig",
        "ich bin fertig",
        "Bestellung abschließen",
        "kauf alles im Warenkorb",
    ],
    "LastOrderIntent": [
        "was habe ich letztes mal bestellt",
        "was war meine letzte Bestellung",
        "wo ist meine Bestellung",
        "wie ist der Status meiner Bestellung",
        "ist meine Bestellung fertig",
        "Bestellstatus",
        "erzähl mir von meiner letzten Bestellung",
        "ist meine Bestellung abholbereit",
        "wann ist meine Bestellung fertig",
        "was ist mit meiner Bestellung",
        "kann ich meine Bestellung abholen",
    ],
    "ReorderIntent": [
        "das gleiche nochmal",
        "nochmal bestellen",
        "noch einmal bestellen",
        "wie letztes mal",
        "bestelle das gleiche wie letztes mal",
        "wiederhole meine letzte Bestellung",
        "meine letzte Bestellung nochmal",
        "das übliche bitte",
        "wie immer bitte",
        "leg meine letzte Bestellung in den Warenkorb",
        "dasselbe wie beim letzten mal",
    ],
}

LOCALES: dict[str, dict[str, Any]] = {
    "en-GB": {
        "invocation": "corner shop",
        "samples": english(
            "basket",
            ["trolley", "cart"],
            {
                "ReorderIntent": ["same again", "same again please"],
                "BrowseCatalogIntent": ["what's on offer", "what have you got in stock"],
                "ClearCartIntent": ["get rid of everything in my basket"],
                "AddItemIntent": [
                    "put {Item} in my trolley",
                    "chuck {Quantity} {Item} in my basket",
                    "pop {Item} in my basket",
                    "add {Quantity} packets of {Item}",
                    "could i get {Quantity} {Item} please",
                    "add {Item} to my trolley",
                ],
                "ListCartIntent": ["what's in my trolley"],
                "PriceIntent": ["how much is a packet of {Item}"],
                "CheckoutIntent": ["pay for my basket", "i'd like to pay", "take me to the till"],
            },
        ),
    },
    "en-CA": {
        "invocation": "corner shop",
        "samples": english(
            "cart",
            ["basket"],
            {
                "AddItemIntent": [
                    "add {Quantity} bags of {Item}",
                    "add a bag of {Item}",
                    "could i get {Item} please",
                ],
            },
        ),
    },
    "en-AU": {
        "invocation": "corner shop",
        "samples": english(
            "trolley",
            ["cart", "basket"],
            {
                "AddItemIntent": [
                    "chuck {Item} in my trolley",
                    "chuck {Quantity} {Item} in",
                    "add {Item} to my cart",
                    "grab me {Quantity} {Item}",
                    "could i grab {Item}",
                ],
                "ListCartIntent": ["what's in my cart"],
            },
        ),
    },
    "en-IN": {
        "invocation": "corner shop",
        "samples": english(
            "cart",
            ["basket"],
            {
                "AddItemIntent": [
                    "add {Quantity} packets of {Item}",
                    "kindly add {Item}",
                    "please add {Item} also",
                    "i want to buy {Quantity} {Item}",
                ],
                "PriceIntent": ["what is the rate of {Item}", "what is the cost of {Item}"],
                "CheckoutIntent": ["i want to pay", "proceed to checkout"],
            },
        ),
    },
    "de-DE": {"invocation": "tante emma", "samples": GERMAN},
}
PROMPTS = {
    "en": {
        "AddItemIntent": "What would you like to add?",
        "RemoveItemIntent": "Which item should I take out?",
        "PriceIntent": "Which item would you like the price of?",
    },
    "de": {
        "AddItemIntent": "Was möchtest du hinzufügen?",
        "RemoveItemIntent": "Welchen Artikel soll ich entfernen?",
        "PriceIntent": "Von welchem Artikel möchtest du den Preis wissen?",
    },
}
SLOT_SAMPLES = {
    "en": {
        "Item": ["{Item}", "a {Item}", "some {Item}", "{Quantity} {Item}"],
        "Quantity": ["{Quantity}", "{Quantity} please", "just {Quantity}"],
    },
    "de": {
        "Item": ["{Item}", "ein {Item}", "eine {Item}", "{Quantity} {Item}"],
        "Quantity": ["{Quantity}", "{Quantity} bitte", "nur {Quantity}"],
    },
}


def build(locale: str) -> dict[str, Any]:
    spec = LOCALES[locale]
    lang = locale[:2]
    intents: list[dict[str, Any]] = []
    for name, samples in spec["samples"].items():
        entry: dict[str, Any] = {"name": name, "slots": [], "samples": list(dict.fromkeys(samples))}
        for slot, slot_type in SLOTS.get(name, []):
            slot_samples = SLOT_SAMPLES[lang][slot]
            if name == "PriceIntent":
                slot_samples = [s for s in slot_samples if "{Quantity}" not in s]
            entry["slots"].append({"name": slot, "type": slot_type, "samples": slot_samples})
        intents.append(entry)
    intents += [{"name": b, "samples": []} for b in BUILTINS]
    dialog, prompts = [], []
    for name in ("AddItemIntent", "RemoveItemIntent", "PriceIntent"):
        pid = f"Elicit.Slot.{name}.Item"
        dialog.append(
            {
                "name": name,
                "delegationStrategy": "SKILL_RESPONSE",
                "confirmationRequired": False,
                "prompts": {},
                "slots": [
                    {
                        "name": s,
                        "type": t,
                        "confirmationRequired": False,
                        "elicitationRequired": s == "Item",
                        "prompts": {"elicitation": pid} if s == "Item" else {},
                    }
                    for s, t in SLOTS[name]
                ],
            }
        )
        prompts.append(
            {"id": pid, "variations": [{"type": "PlainText", "value": PROMPTS[lang][name]}]}
        )
    return {
        "interactionModel": {
            "languageModel": {
                "invocationName": spec["invocation"],
                "intents": intents,
                "types": [{"name": "CatalogItem", "values": catalog_slot_values(locale)}],
            },
            "dialog": {"intents": dialog, "delegationStrategy": "SKILL_RESPONSE"},
            "prompts": prompts,
        }
    }


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "interaction_models"
    out.mkdir(parents=True, exist_ok=True)
    for locale in LOCALES:
        path = out / f"{locale}.json"
        path.write_text(json.dumps(build(locale), indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(path)


if __name__ == "__main__":
    main()
