"""Write interaction_models/<locale>.json for every locale (en-US included).

    python tools/locale_models.py [OUT_DIR]

Carrier phrases are written per language by hand below (never machine-translated
English): English is shared by the English locales with each one's own words for
the cart and its extras; German is its own. The CatalogItem values come from the
catalog (`cornershop model sync` keeps them in step afterwards); QuantityWord and
ShopUnit are the closed word lists below.

Several items in one breath ("add two apples and a banana") need numbered slots
(Item2, Quantity2, ...), because Alexa fills one value per slot. The combinations
are generated from a few noun-phrase shapes (:data:`EN_FIRST`, :data:`EN_LISTED`)
and a few carriers, and stop at the combinations people say: the first item may
have a unit ("a pint of milk"), the others a quantity or an amount; three items
only where the first two are said alike.
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
NUMBER, WORD, UNIT, ITEM = "AMAZON.NUMBER", "QuantityWord", "ShopUnit", "CatalogItem"
SLOTS: dict[str, list[tuple[str, str]]] = {
    "AddItemIntent": [
        ("Quantity", NUMBER),
        ("Amount", WORD),
        ("Unit", UNIT),
        ("Item", ITEM),
        ("Quantity2", NUMBER),
        ("Amount2", WORD),
        ("Item2", ITEM),
        ("Quantity3", NUMBER),
        ("Amount3", WORD),
        ("Item3", ITEM),
    ],
    "RemoveItemIntent": [("Quantity", NUMBER), ("Amount", WORD), ("Item", ITEM)],
    "SetQuantityIntent": [("Quantity", NUMBER), ("Item", ITEM)],
    "PriceIntent": [("Item", ITEM)],
    "ItemQuestionIntent": [("Item", ITEM)],
}
#: Intents whose Item the skill may ask for (Dialog.ElicitSlot): they are in the dialog model.
ELICITING = (
    "AddItemIntent",
    "RemoveItemIntent",
    "PriceIntent",
    "SetQuantityIntent",
    "ItemQuestionIntent",
)


def numbered(shape: str, n: int) -> str:
    """ "{Quantity} {Item}" -> "{Quantity2} {Item2}": the n-th item of a list."""
    for name in ("Quantity", "Amount", "Item"):
        shape = shape.replace(f"{{{name}}}", f"{{{name}{n}}}")
    return shape


def combine(carriers: list[str], shapes: list[str]) -> list[str]:
    return [carrier.replace("{P}", shape) for carrier in carriers for shape in shapes]


def lists(listed: list[str], joiner: str) -> tuple[list[str], list[str]]:
    """Two-item and three-item noun phrases, each item with its own quantity or amount.

    Three items only where two neighbours are said alike ("three bananas, two lemons
    and some milk"; "two apples, a bag of milk and some syrup"): 15 of the 27 shapes.
    """
    two = [f"{a} {joiner} {numbered(b, 2)}" for a in listed for b in listed]
    three = [
        f"{a} {numbered(b, 2)} {joiner} {numbered(c, 3)}"
        for a in listed
        for b in listed
        for c in listed
        if a == b or b == c
    ]
    return two, three


# -- English -------------------------------------------------------------------------
#: The first (or only) item: bare, counted, with a quantity word, a unit, or both.
EN_FIRST = [
    "{Item}",
    "{Quantity} {Item}",
    "{Amount} {Item}",
    "{Quantity} {Amount} {Item}",
    "{Amount} {Unit} of {Item}",
    "{Quantity} {Unit} of {Item}",
]
#: An item in a list.
EN_LISTED = ["{Item}", "{Quantity} {Item}", "{Amount} {Item}"]
EN_TWO, EN_THREE = lists(EN_LISTED, "and")


def english(
    container: str, extra_names: list[str], local: dict[str, list[str]]
) -> dict[str, list[str]]:
    """English carrier phrases; ``container`` is what a locale calls the cart."""
    c = container
    add_one = [
        "add {P}",
        f"add {{P}} to my {c}",
        f"put {{P}} in my {c}",
        "i want {P}",
        "i'd like {P}",
        "i need {P}",
        "get me {P}",
        "i'll take {P}",
        "can i have {P}",
        "can i get {P}",
        "buy {P}",
    ]
    add_list = [
        "add {P}",
        f"add {{P}} to my {c}",
        f"put {{P}} in my {c}",
        "i want {P}",
        "i'd like {P}",
        "i need {P}",
        "get me {P}",
        "i'll take {P}",
        "can i have {P}",
        "can i get {P}",
        "{P}",
    ]
    add_three = [
        "add {P}",
        "i want {P}",
        "i'd like {P}",
        "i need {P}",
        "get me {P}",
        "can i get {P}",
        "{P}",
    ]
    samples = {
        "AddItemIntent": [
            *combine(add_one, EN_FIRST),
            "add {Item} please",
            "add {Quantity} {Item} please",
            "please add {Quantity} {Item}",
            "can you add {Item}",
            f"could you add {{Quantity}} {{Item}} to my {c}",
            "i'll have {Item}",
            "also add {Item}",
            "{Amount} {Item}",
            "{Amount} {Item} please",
            "{Quantity} {Item} please",
            "{Amount} {Unit} of {Item}",
            "{Quantity} {Unit} of {Item} please",
            "and {Amount} {Item}",
            f"add to my {c}",
            "add something",
            *combine(add_list, EN_TWO),
            *combine(add_three, EN_THREE),
        ],
        "RemoveItemIntent": [
            "remove {Item}",
            "remove {Quantity} {Item}",
            "remove {Amount} {Item}",
            f"remove {{Item}} from my {c}",
            f"remove {{Quantity}} {{Item}} from my {c}",
            f"remove {{Amount}} {{Item}} from my {c}",
            "take out {Item}",
            f"take {{Item}} out of my {c}",
            f"take {{Quantity}} {{Item}} out of my {c}",
            "take out {Quantity} {Item}",
            "take out {Amount} {Item}",
            "take {Quantity} {Item} out",
            "take {Amount} {Item} out",
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
            f"show me my {c}",
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
            "what can i order",
            "tell me what you sell",
            "list your products",
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
            "that's it",
            "that's all thanks",
            "no that's all",
            "no that's it",
            "nothing else",
            "nothing more",
            "i'm finished",
            "that will be all",
            "that's all i need",
            "that's all for today",
            f"buy everything in my {c}",
            "submit my order",
            "let's check out",
            "check me out",
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
        "SetQuantityIntent": [
            "make that {Quantity}",
            "make it {Quantity}",
            "make that {Quantity} {Item}",
            "make it {Quantity} {Item}",
            "make that {Quantity} instead",
            "{Quantity} instead",
            "let's do {Quantity} instead",
            "change that to {Quantity}",
            "change it to {Quantity}",
            "change the {Item} to {Quantity}",
            "change {Item} to {Quantity}",
            "set the {Item} to {Quantity}",
            "update the {Item} to {Quantity}",
            "i only want {Quantity} {Item}",
            "i only want {Quantity}",
            "i only need {Quantity} {Item}",
            "only {Quantity} {Item}",
            "just {Quantity} {Item}",
            "just {Quantity} {Item} please",
            "actually i want {Quantity} {Item}",
        ],
        "CartTotalIntent": [
            "what's my total",
            "what is my total",
            "what's the total",
            "how much is that",
            f"how much is my {c}",
            "how much is everything",
            "what does that come to",
            "what does it come to",
            "what do i owe",
            "how much do i owe",
            "how much do i have to pay",
            "what's the damage",
            "what's the bill",
            "how much altogether",
            f"what's the total for my {c}",
        ],
        "ItemQuestionIntent": [
            "do you have {Item}",
            "do you have any {Item}",
            "do you sell {Item}",
            "have you got {Item}",
            "have you got any {Item}",
            "do you carry {Item}",
            "do you stock {Item}",
            "is there any {Item}",
            "are there any {Item}",
            "got any {Item}",
            "do you have {Item} in stock",
            "is {Item} in stock",
            "are {Item} in stock",
            "is {Item} available",
            "are {Item} available",
            "can i get {Item} here",
            "do you guys have {Item}",
        ],
        "CancelOrderIntent": [
            "cancel my order",
            "cancel my last order",
            "cancel the order",
            "please cancel the order",
            "i want to cancel my order",
            "i'd like to cancel my order",
            "i need to cancel my order",
            "can i cancel my order",
            "cancel order",
            "cancel my order please",
            "i changed my mind cancel my order",
            "call off my order",
        ],
    }
    for intent, more in local.items():
        samples[intent] = samples[intent] + more
    return samples


#: Every English locale but en-US: shops with tills, orders for collection.
COMMONWEALTH = {
    "CheckoutIntent": ["go to the till"],
    "LastOrderIntent": ["is my order ready for collection"],
    "BrowseCatalogIntent": ["browse the shop", "what do you stock"],
}


def merged(*parts: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in parts:
        for intent, samples in part.items():
            out[intent] = out.get(intent, []) + samples
    return out


# -- German --------------------------------------------------------------------------
DE_FIRST = [
    "{Item}",
    "{Quantity} {Item}",
    "{Amount} {Item}",
    "{Quantity} {Amount} {Item}",
    "{Amount} {Unit} {Item}",
    "{Quantity} {Unit} {Item}",
]
DE_LISTED = ["{Item}", "{Quantity} {Item}", "{Amount} {Item}"]
DE_TWO, DE_THREE = lists(DE_LISTED, "und")
DE_ADD_ONE = [
    "füge {P} hinzu",
    "füge {P} zum Warenkorb hinzu",
    "leg {P} in den Warenkorb",
    "ich möchte {P}",
    "ich hätte gern {P}",
    "ich brauche {P}",
    "ich nehme {P}",
    "ich will {P}",
    "pack {P} ein",
]
DE_ADD_LIST = [
    "füge {P} hinzu",
    "füge {P} zum Warenkorb hinzu",
    "leg {P} in den Warenkorb",
    "ich möchte {P}",
    "ich hätte gern {P}",
    "ich brauche {P}",
    "ich nehme {P}",
    "ich will {P}",
    "pack {P} ein",
    "{P}",
]
DE_ADD_THREE = ["füge {P} hinzu", "ich möchte {P}", "ich hätte gern {P}", "ich brauche {P}", "{P}"]

GERMAN: dict[str, list[str]] = {
    "AddItemIntent": [
        *combine(DE_ADD_ONE, DE_FIRST),
        "lege {Item} in meinen Warenkorb",
        "pack {Item} in den Warenkorb",
        "ich hätte gerne {Quantity} {Item}",
        "kauf {Item}",
        "kaufe {Quantity} {Item}",
        "bitte {Item} hinzufügen",
        "{Quantity} {Item} bitte",
        "{Amount} {Item} bitte",
        "{Amount} {Unit} {Item}",
        "{Quantity} {Unit} {Item} bitte",
        "noch {Quantity} {Item}",
        "noch {Item} bitte",
        "kannst du {Item} hinzufügen",
        "bitte füge {Quantity} {Item} hinzu",
        "etwas hinzufügen",
        "ich möchte etwas hinzufügen",
        "{Item} in den Einkaufswagen",
        *combine(DE_ADD_LIST, DE_TWO),
        *combine(DE_ADD_THREE, DE_THREE),
    ],
    "RemoveItemIntent": [
        "entferne {Item}",
        "entferne {Quantity} {Item}",
        "entferne {Amount} {Item}",
        "nimm {Item} raus",
        "nimm {Quantity} {Item} raus",
        "nimm {Amount} {Item} raus",
        "nimm {Item} aus dem Warenkorb",
        "nimm {Amount} {Item} aus dem Warenkorb",
        "lösche {Item}",
        "lösche {Amount} {Item}",
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
        "Warenkorb",
        "was ist im Einkaufswagen",
        "was habe ich schon",
        "zeig mir den Warenkorb",
        "was ist alles im Warenkorb",
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
        "was gibt es bei euch",
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
        "das war's",
        "das wär's",
        "sonst nichts",
        "nichts mehr",
        "nein das war's",
        "mehr brauche ich nicht",
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
    "SetQuantityIntent": [
        "mach {Quantity} daraus",
        "mach {Quantity} draus",
        "mach daraus {Quantity}",
        "mach {Quantity} {Item} daraus",
        "ändere das auf {Quantity}",
        "ändere es auf {Quantity}",
        "ändere die {Item} auf {Quantity}",
        "ändere {Item} auf {Quantity}",
        "setze {Item} auf {Quantity}",
        "ich will nur {Quantity} {Item}",
        "ich möchte nur {Quantity} {Item}",
        "ich will nur {Quantity}",
        "ich brauche nur {Quantity} {Item}",
        "nur {Quantity} {Item} bitte",
        "lieber {Quantity} {Item}",
        "doch lieber {Quantity}",
    ],
    "CartTotalIntent": [
        "was macht das",
        "was macht das zusammen",
        "wie viel macht das",
        "wie viel kostet alles",
        "was kostet das alles zusammen",
        "was kostet das",
        "wie viel kostet das",
        "was ist die Summe",
        "was ist meine Summe",
        "wie hoch ist die Summe",
        "wie viel kostet mein Warenkorb",
        "was bin ich schuldig",
        "was kostet das insgesamt",
        "was macht das alles",
    ],
    "ItemQuestionIntent": [
        "habt ihr {Item}",
        "habt ihr auch {Item}",
        "habt ihr {Item} da",
        "haben Sie {Item}",
        "hast du {Item}",
        "verkauft ihr {Item}",
        "verkaufst du {Item}",
        "gibt es bei euch {Item}",
        "gibt es {Item}",
        "führt ihr {Item}",
        "sind {Item} vorrätig",
        "ist {Item} vorrätig",
        "kann ich bei euch {Item} kaufen",
    ],
    "CancelOrderIntent": [
        "storniere meine Bestellung",
        "storniere meine letzte Bestellung",
        "storniere die Bestellung",
        "Bestellung stornieren",
        "meine Bestellung stornieren",
        "ich möchte meine Bestellung stornieren",
        "ich will meine Bestellung stornieren",
        "kannst du meine Bestellung stornieren",
        "bitte storniere meine Bestellung",
        "ich möchte die Bestellung zurückziehen",
        "Bestellung absagen",
        "ich möchte meine Bestellung absagen",
    ],
}

# -- closed word lists ---------------------------------------------------------------
#: QuantityWord: id -> (name, synonyms), per language. Ids are what the skill reads.
QUANTITY_WORDS: dict[str, dict[str, tuple[str, list[str]]]] = {
    "en": {
        "ONE": ("a", ["an", "a single", "one single"]),
        "COUPLE": ("a couple of", ["a couple", "couple of", "a pair of", "pair of"]),
        "DOZEN": ("a dozen", ["dozen", "one dozen"]),
        "HALF_DOZEN": ("half a dozen", ["a half dozen", "half dozen"]),
        "FEW": ("a few", ["several", "a handful of"]),
        "SOME": ("some", ["some more", "more", "any"]),
        "ANOTHER": ("another", ["one more", "an extra", "one extra"]),
        "HALF": ("half a", ["half an", "a half", "half"]),
    },
    "de": {
        "ONE": ("ein", ["eine", "einen", "einer"]),
        # "ein Paar" (a pair) and "ein paar" (a few) sound the same: a few wins.
        "COUPLE": ("ein Pärchen", ["Pärchen"]),
        "DOZEN": ("ein Dutzend", ["Dutzend"]),
        "HALF_DOZEN": ("ein halbes Dutzend", ["halbes Dutzend"]),
        "FEW": ("ein paar", ["einige", "mehrere", "paar"]),
        "SOME": ("etwas", ["noch etwas", "ein bisschen", "ein wenig", "mehr", "noch mehr"]),
        "ANOTHER": (
            "noch einen",
            ["noch eine", "noch ein", "noch einer", "einen weiteren", "eine weitere"],
        ),
        "HALF": ("einen halben", ["eine halbe", "ein halbes", "halb"]),
    },
}
#: ShopUnit: id -> (name, synonyms): the singular word, plurals and local spellings.
SHOP_UNITS: dict[str, dict[str, tuple[str, list[str]]]] = {
    "en": {
        "GALLON": ("gallon", ["gallons"]),
        "PINT": ("pint", ["pints"]),
        "LITRE": ("litre", ["litres", "liter", "liters"]),
        "BOTTLE": ("bottle", ["bottles"]),
        "CARTON": ("carton", ["cartons"]),
        "BAG": ("bag", ["bags"]),
        "PACKET": ("packet", ["packets"]),
        "LOAF": ("loaf", ["loaves"]),
        "KILO": ("kilo", ["kilos", "kilogram", "kilograms", "kilogramme", "kilogrammes"]),
        "POUND": ("pound", ["pounds"]),
        "PACK": ("pack", ["packs"]),
        "BOX": ("box", ["boxes"]),
        "HEAD": ("head", ["heads"]),
        "JAR": ("jar", ["jars"]),
        "CAN": ("can", ["cans", "tin", "tins"]),
        "BUNCH": ("bunch", ["bunches"]),
        "PIECE": ("piece", ["pieces"]),
    },
    "de": {
        "GALLON": ("Gallone", ["Gallonen"]),
        "PINT": ("Pint", ["Pints"]),
        "LITRE": ("Liter", ["Litern"]),
        "BOTTLE": ("Flasche", ["Flaschen"]),
        "CARTON": ("Karton", ["Kartons", "Tetrapack"]),
        "BAG": ("Tüte", ["Tüten", "Beutel"]),
        "PACKET": ("Päckchen", ["Tütchen"]),
        "LOAF": ("Laib", ["Laibe"]),
        "KILO": ("Kilo", ["Kilos", "Kilogramm"]),
        "POUND": ("Pfund", ["Pfunde"]),
        "PACK": ("Packung", ["Packungen", "Zehnerpackung", "Zehnerpackungen", "Pack"]),
        "BOX": ("Schachtel", ["Schachteln", "Kiste", "Kisten"]),
        "HEAD": ("Kopf", ["Köpfe"]),
        "JAR": ("Glas", ["Gläser"]),
        "CAN": ("Dose", ["Dosen", "Büchse"]),
        "BUNCH": ("Bund", ["Bündel"]),
        "PIECE": ("Stück", ["Stücke", "Stückchen"]),
    },
}

LOCALES: dict[str, dict[str, Any]] = {
    "en-US": {
        "invocation": "corner shop",
        "container": "cart",
        "samples": english(
            "cart",
            ["basket"],
            {
                "AddItemIntent": [
                    "order {Quantity} {Item}",
                    "please add {Item} to my cart",
                    "throw in {Item}",
                    "and {Quantity} {Item}",
                    "i want to add something",
                ],
                "RemoveItemIntent": ["drop the {Item}", "i don't want the {Item} anymore"],
                "ListCartIntent": ["show my cart", "cart"],
                "ClearCartIntent": ["throw everything out", "start a new cart"],
                "PriceIntent": ["how expensive is {Item}", "how much is it"],
                "BrowseCatalogIntent": [
                    "what is for sale",
                    "what do you carry",
                    "what's on the menu",
                    "browse",
                    "browse the catalog",
                ],
                "CheckoutIntent": ["place an order", "i'm done", "pay now"],
                "LastOrderIntent": ["is my order ready for pickup", "what happened to my order"],
            },
        ),
    },
    "en-GB": {
        "invocation": "corner shop",
        "container": "basket",
        "samples": english(
            "basket",
            ["trolley", "cart"],
            merged(
                COMMONWEALTH,
                {
                    "ReorderIntent": ["same again", "same again please"],
                    "BrowseCatalogIntent": ["what's on offer", "what have you got in stock"],
                    "ClearCartIntent": ["get rid of everything in my basket"],
                    "AddItemIntent": [
                        "put {Item} in my trolley",
                        "chuck {Quantity} {Item} in my basket",
                        "pop {Item} in my basket",
                        "could i get {Quantity} {Item} please",
                        "add {Item} to my trolley",
                    ],
                    "ListCartIntent": ["what's in my trolley"],
                    "PriceIntent": ["how much is a packet of {Item}"],
                    "CheckoutIntent": [
                        "pay for my basket",
                        "i'd like to pay",
                        "take me to the till",
                    ],
                    "CartTotalIntent": ["how much is the bill"],
                    "CancelOrderIntent": ["scrap the order"],
                },
            ),
        ),
    },
    "en-CA": {
        "invocation": "corner shop",
        "container": "cart",
        "samples": english(
            "cart",
            ["basket"],
            merged(COMMONWEALTH, {"AddItemIntent": ["could i get {Item} please"]}),
        ),
    },
    "en-AU": {
        "invocation": "corner shop",
        "container": "trolley",
        "samples": english(
            "trolley",
            ["cart", "basket"],
            merged(
                COMMONWEALTH,
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
        ),
    },
    "en-IN": {
        "invocation": "corner shop",
        "container": "cart",
        "samples": english(
            "cart",
            ["basket"],
            merged(
                COMMONWEALTH,
                {
                    "AddItemIntent": [
                        "kindly add {Item}",
                        "please add {Item} also",
                        "i want to buy {Quantity} {Item}",
                    ],
                    "PriceIntent": ["what is the rate of {Item}", "what is the cost of {Item}"],
                    "CheckoutIntent": ["i want to pay", "proceed to checkout"],
                    "CancelOrderIntent": ["kindly cancel my order"],
                    "CartTotalIntent": ["how much is the bill", "what is the bill amount"],
                },
            ),
        ),
    },
    "de-DE": {"invocation": "tante emma", "container": "Warenkorb", "samples": GERMAN},
}
#: Intents in this order in every model (the NLU breaks exact ties by model order).
ORDER = [
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
]


def prompts(lang: str, container: str) -> dict[str, str]:
    if lang == "de":
        return {
            "AddItemIntent": "Was möchtest du hinzufügen?",
            "RemoveItemIntent": "Welchen Artikel soll ich entfernen?",
            "PriceIntent": "Von welchem Artikel möchtest du den Preis wissen?",
            "SetQuantityIntent": "Bei welchem Artikel soll ich die Menge ändern?",
            "ItemQuestionIntent": "Nach welchem Artikel fragst du?",
        }
    return {
        "AddItemIntent": "What would you like to add?",
        "RemoveItemIntent": f"Which item should I take out of your {container}?",
        "PriceIntent": "Which item would you like the price of?",
        "SetQuantityIntent": "Which item should I change?",
        "ItemQuestionIntent": "Which item are you looking for?",
    }


SLOT_SAMPLES = {
    "en": {
        "Item": [
            "{Item}",
            "{Amount} {Item}",
            "{Quantity} {Item}",
            "{Quantity} {Amount} {Item}",
            "{Amount} {Unit} of {Item}",
            "{Quantity} {Unit} of {Item}",
        ],
        "Quantity": ["{Quantity}", "{Quantity} please", "just {Quantity}"],
    },
    "de": {
        "Item": [
            "{Item}",
            "{Amount} {Item}",
            "{Quantity} {Item}",
            "{Quantity} {Amount} {Item}",
            "{Amount} {Unit} {Item}",
            "{Quantity} {Unit} {Item}",
        ],
        "Quantity": ["{Quantity}", "{Quantity} bitte", "nur {Quantity}"],
    },
}
#: For intents whose Item has no Amount slot: what people answer "Which item?" with.
BARE_ITEM = {
    "en": ["{Item}", "a {Item}", "some {Item}"],
    "de": ["{Item}", "ein {Item}", "eine {Item}"],
}


def slot_samples(lang: str, intent: str, slot: str) -> list[str]:
    names = {name for name, _type in SLOTS[intent]}
    if slot == "Item" and "Amount" not in names:
        return BARE_ITEM[lang]
    wanted = SLOT_SAMPLES[lang].get(slot, [])
    return [s for s in wanted if set(_slot_names(s)) <= names]


def _slot_names(sample: str) -> list[str]:
    return [part.split("}")[0] for part in sample.split("{")[1:]]


def word_type(name: str, table: dict[str, tuple[str, list[str]]]) -> dict[str, Any]:
    return {
        "name": name,
        "values": [
            {"id": key, "name": {"value": value, "synonyms": synonyms}}
            for key, (value, synonyms) in table.items()
        ],
    }


def build(locale: str) -> dict[str, Any]:
    spec = LOCALES[locale]
    lang = locale[:2]
    intents: list[dict[str, Any]] = []
    for name in ORDER:
        entry: dict[str, Any] = {"name": name, "slots": [], "samples": []}
        entry["samples"] = list(dict.fromkeys(spec["samples"][name]))
        for slot, slot_type in SLOTS.get(name, []):
            slot_entry: dict[str, Any] = {"name": slot, "type": slot_type, "samples": []}
            slot_entry["samples"] = slot_samples(lang, name, slot)
            entry["slots"].append(slot_entry)
        intents.append(entry)
    intents += [{"name": b, "samples": []} for b in BUILTINS]
    dialog, prompt_list = [], []
    texts = prompts(lang, spec["container"])
    for name in ELICITING:
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
        prompt_list.append({"id": pid, "variations": [{"type": "PlainText", "value": texts[name]}]})
    return {
        "interactionModel": {
            "languageModel": {
                "invocationName": spec["invocation"],
                "intents": intents,
                "types": [
                    {"name": ITEM, "values": catalog_slot_values(locale)},
                    word_type(WORD, QUANTITY_WORDS[lang]),
                    word_type(UNIT, SHOP_UNITS[lang]),
                ],
            },
            "dialog": {"intents": dialog, "delegationStrategy": "SKILL_RESPONSE"},
            "prompts": prompt_list,
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
