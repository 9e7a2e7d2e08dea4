"""What the offline NLU knows about a language, as data: English and German.

:class:`Language` holds everything :mod:`skill.simulator.nlu` needs that is not
in an interaction model: how to cut text into words, which words are filler,
how to stem, how numbers are spoken, the built-in intents' standard phrasings
and how people open a skill. Every English locale (en-US, en-GB, en-CA, en-AU,
en-IN) shares :data:`ENGLISH`: their different words ("basket", "trolley",
"crisps", "curd") come from their own interaction models and catalogs. de-DE
uses :data:`GERMAN`. :func:`language_for` picks one by locale.

Tokens are *folded* for matching and kept as typed for slot values
(:meth:`Language.tokenize` returns both). German folding lowercases and writes
umlauts out (``Äpfel`` -> ``aepfel``, ``ß`` -> ``ss``), so "Äpfel" and "aepfel"
meet; the German stem then drops the umlaut and a few endings, so "Äpfel" meets
"Apfel", "Bananen" meets "Banane" and "füge" meets "fügen". Separable verbs
("füge ... hinzu" / "hinzufügen") are handled in the NLU from
:attr:`Language.separable_particles`.

Adding a language is adding one :class:`Language` here and its interaction model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from skill.simulator.numbers import (
    is_german_number_word,
    is_number_word,
    parse_german_number,
    parse_number,
)

__all__ = ["ENGLISH", "GERMAN", "Language", "english_stem", "german_stem", "language_for"]

Tokens = tuple[tuple[str, ...], tuple[str, ...]]
#: A filler phrase: one set of words per position; a leading "?" marks the position optional.
Phrase = tuple[tuple[frozenset[str], bool], ...]


def _phrases(raw: Sequence[Sequence[str]]) -> tuple[Phrase, ...]:
    return tuple(
        tuple((frozenset(part.lstrip("?").split()), part.startswith("?")) for part in phrase)
        for phrase in raw
    )


@dataclass(frozen=True, eq=False)
class Language:
    """One language's words and rules. Instances are module constants; compare by identity."""

    code: str
    split: Callable[[str], Tokens]
    stem: Callable[[str], str]
    parse_number: Callable[[Sequence[str], int], tuple[int, int] | None]
    is_number_word: Callable[[str], bool]
    #: words that carry no intent: skipped for free in utterances, dropped from samples
    filler: frozenset[str]
    #: multi-word filler, matched in utterances only
    filler_phrases: tuple[Phrase, ...]
    #: words less telling than content words: half weight when spoken or missing
    light: frozenset[str]
    #: container and measure words that may precede an item ("two bags of rice")
    measures: frozenset[str]
    #: words between a measure and the item ("of" in English; none in German)
    measure_joiners: tuple[str, ...]
    #: words that turn a request around ("not", "kein"): costly to leave out or add
    negations: frozenset[str]
    #: the built-in intents' standard phrasings, used when the model lists no samples
    builtins: Mapping[str, tuple[str, ...]]
    #: "open corner shop": verbs before the invocation name
    launch_verbs: tuple[str, ...]
    #: "tante emma öffnen": verbs after it
    launch_verbs_after: tuple[str, ...] = ()
    #: "open the corner shop": words allowed between the verb and the name
    launch_articles: tuple[str, ...] = ()
    #: "ask corner shop to add milk": one-shot verbs and the words that may follow the name
    one_shot_verbs: tuple[str, ...] = ()
    one_shot_joiners: tuple[str, ...] = ()
    #: German separable-verb particles: "füge X hinzu" is "X hinzufügen"
    separable_particles: tuple[str, ...] = ()
    _cache: dict[str, Tokens] = field(default_factory=dict, repr=False)

    def tokenize(self, text: str) -> Tokens:
        """``(folded tokens, tokens as typed)``, the same length; cached."""
        cached = self._cache.get(text)
        if cached is None:
            if len(self._cache) > 8192:
                self._cache.clear()
            cached = self._cache[text] = self.split(text)
        return cached

    def words(self, text: str) -> tuple[str, ...]:
        """Just the folded tokens."""
        return self.tokenize(text)[0]


# -- English -----------------------------------------------------------------------
_CONTRACTIONS = {
    "can't": "can not",
    "won't": "will not",
    "let's": "let us",
    "i'm": "i am",
    "gimme": "give me",
    "lemme": "let me",
    "wanna": "want to",
    "gonna": "going to",
    "nevermind": "never mind",
    "ok": "okay",
}
_SUFFIXES = (
    ("n't", " not"),
    ("'re", " are"),
    ("'ve", " have"),
    ("'ll", " will"),
    ("'d", " would"),
    ("'m", " am"),
)
# "'s" is "is" after these; elsewhere it is a possessive and dropped.
# fmt: off
_IS_WORDS = frozenset((
    "what", "that", "it", "there", "here", "where", "how", "who", "he", "she", "which", "when",
    "why", "everything"
))
# fmt: on
# Tense and number of "be"/"do" rarely change what someone wants; nor "which" for "what".
_CANONICAL = {"are": "is", "am": "is", "was": "is", "were": "is", "does": "do", "which": "what"}
# British and Australian "have got" is "have": "what have you got" / "what do you have".
_EN_DROPPED_AFTER = {"got": frozenset(("have", "has"))}
_NON_WORD = re.compile(r"[^a-z0-9' ]+")
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d{3}\b)")
#: "2.5" is said "two point five": the dot would otherwise split it into two numbers.
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")


def _expand(token: str) -> str:
    if token in _CONTRACTIONS:
        return _CONTRACTIONS[token]
    if "'" not in token:
        return token
    if token.endswith("'s"):
        head = token[:-2]
        return f"{head} is" if head in _IS_WORDS else head
    for suffix, replacement in _SUFFIXES:
        if token.endswith(suffix):
            head = token[: -len(suffix)]
            if suffix == "n't":
                head = {"ca": "can", "wo": "will", "sha": "shall"}.get(head, head)
            return head + replacement
    return token.replace("'", "")


def _split_english(text: str) -> Tokens:
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = _DIGIT_COMMA.sub("", text)
    text = _DECIMAL_POINT.sub(" point ", text)
    text = _NON_WORD.sub(" ", text.replace("-", " ").replace("_", " "))
    out: list[str] = []
    for raw in text.split():
        for word in _expand(raw.strip("'")).split():
            word = word.replace("'", "")
            if not word:
                continue
            if out and out[-1] in _EN_DROPPED_AFTER.get(word, ()):
                continue
            out.append(_CANONICAL.get(word, word))
    tokens = tuple(out)
    return tokens, tokens


@lru_cache(maxsize=8192)
def english_stem(word: str) -> str:
    """A crude English stem so singular and plural meet: apples/apple, loaves/loaf, tomatoes/tomato.

    Only ever compared with other stems, so it needs to be consistent, not correct.
    """
    if len(word) < 4 or not word.isalpha():
        return word
    if word.endswith("ies"):
        word = word[:-3] + "i"
    elif word.endswith("ves"):
        word = word[:-3] + "v"
    elif word.endswith("es"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us")):
        word = word[:-1]
    elif word.endswith("y"):
        word = word[:-1] + "i"
    elif word.endswith("f"):
        word = word[:-1] + "v"
    while len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


# fmt: off
_EN_FILLER = frozenset((
    "a", "an", "the", "some", "any", "my", "your", "our", "this", "these", "those", "please",
    "pls", "kindly", "um", "uh", "er", "erm", "hmm", "oh", "hey", "alexa", "also",
    "actually", "of", "me"
))
_EN_LIGHT = frozenset((
    "is", "do", "did", "can", "will", "would", "could", "should", "i", "you", "it", "we", "to",
    "in", "into", "on", "at", "for", "with", "from", "out", "up", "and", "or", "be", "have",
    "has", "just"
))
_EN_MEASURES = frozenset((
    "bag", "box", "bottle", "can", "carton", "jar", "pack", "packet", "loaf", "head", "bunch",
    "bar", "stick", "pound", "gallon", "pint", "quart", "liter", "litre", "kilo", "kilogram",
    "gram", "ounce", "cup", "block", "piece", "tin", "tub", "container", "slice", "case",
    "dozen", "sack", "crate"
))
# fmt: on
_EN_FILLER_PHRASES = _phrases(
    (
        ("could can would will", "you"),
        ("can could may", "i"),
        ("i", "would", "like love", "to"),
        ("i", "want need", "to"),
        ("go", "ahead", "and"),
        ("let", "us"),
        ("thank", "you"),
        ("thanks",),
        ("right", "now"),
        ("for", "me"),
        ("if", "you", "can"),
        ("to in into onto from", "?my the our", "?shopping", "cart basket trolley order list"),
        ("out", "of", "?my the our", "?shopping", "cart basket trolley order"),
    )
)
# fmt: off
_EN_BUILTINS: Mapping[str, tuple[str, ...]] = {
    "AMAZON.YesIntent": (
        "yes", "yeah", "yep", "yup", "sure", "yes please", "okay", "of course", "sounds good",
        "please do", "go ahead", "do it", "absolutely", "correct", "that's right", "why not",
        "yes i do", "yes it is", "alright", "definitely", "sure thing", "go on", "go on then",
    ),
    "AMAZON.NoIntent": (
        "no", "nope", "nah", "no thanks", "no thank you", "not now", "not right now", "no way",
        "negative", "not really", "i don't think so", "don't", "no i don't",
    ),
    "AMAZON.HelpIntent": (
        "help", "help me", "what can i say", "what can i do", "what can i do here",
        "i need help", "how does this work", "how do i use this", "what are my options",
        "what do i do", "help please",
    ),
    "AMAZON.StopIntent": (
        "stop", "quit", "exit", "stop it", "shut up", "be quiet", "goodbye", "bye", "good bye",
    ),
    "AMAZON.CancelIntent": (
        "cancel", "never mind", "forget it", "cancel that", "cancel it", "forget about it",
    ),
    "AMAZON.RepeatIntent": (
        "repeat", "say that again", "repeat that", "say it again", "what did you say",
        "come again", "pardon", "one more time", "can you repeat that", "what was that",
        "i didn't catch that", "sorry what",
    ),
    "AMAZON.NavigateHomeIntent": (
        "go home", "home", "take me home", "go to the home screen", "exit to home",
        "go back home", "home screen",
    ),
}
# fmt: on

ENGLISH = Language(
    code="en",
    split=_split_english,
    stem=english_stem,
    parse_number=parse_number,
    is_number_word=is_number_word,
    filler=_EN_FILLER,
    filler_phrases=_EN_FILLER_PHRASES,
    light=_EN_LIGHT,
    measures=_EN_MEASURES,
    measure_joiners=("of",),
    negations=frozenset(("not", "no", "never")),
    builtins=_EN_BUILTINS,
    launch_verbs=("open", "launch", "start", "begin", "load", "run", "play", "talk to", "use"),
    launch_articles=("the",),
    one_shot_verbs=("ask", "tell"),
    one_shot_joiners=("to", "for", "about", "if", "whether", "and"),
)


# -- German ------------------------------------------------------------------------
_DE_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_DE_DIGIT_DOT = re.compile(r"(?<=\d)\.(?=\d{3}\b)")
_DE_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
#: One spelling for words that mean the same here: irregular imperatives, so "nimm X raus"
#: meets "X rausnehmen" ("nehme" and "nehmen" share a stem), and the interrogatives.
_DE_CANONICAL = {
    "nimm": "nehme",
    "gib": "gebe",
    "lies": "lese",
    "hilf": "helfe",
    "sieh": "sehe",
    "wirf": "werfe",
    "iss": "esse",
    "ok": "okay",
    "nochmals": "nochmal",
    # "welche Sachen" asks what "was" asks
    "welche": "was",
    "welcher": "was",
    "welches": "was",
    "welchen": "was",
}
#: Two words said for one: "noch mal" is "nochmal" (both "noch" and "mal" are filler alone).
_DE_JOINED = {("noch", "mal"): "nochmal", ("noch", "einmal"): "nochmal"}


def _fold_german(word: str) -> str:
    return word.casefold().translate(_UMLAUTS)


def _split_german(text: str) -> Tokens:
    text = text.replace("’", "'").replace("‘", "'")
    text = _DE_DIGIT_DOT.sub("", text).replace("-", " ").replace("_", " ")
    text = _DE_DECIMAL_COMMA.sub(" Komma ", text)  # "2,5" is said "zwei Komma fünf"
    folded: list[str] = []
    typed: list[str] = []
    for raw in _DE_WORD.findall(text):
        head, _sep, tail = raw.partition("'")
        parts = [head, "es"] if tail.lower() == "s" else [head + tail]  # "gibt's" is "gibt es"
        for part in parts:
            word = _fold_german(part)
            word = _DE_CANONICAL.get(word, word)
            pair = (folded[-1], word) if folded else None
            if pair in _DE_JOINED:
                folded[-1] = _DE_JOINED[pair]
                typed[-1] = f"{typed[-1]} {part}"
                continue
            folded.append(word)
            typed.append(part)
    return tuple(folded), tuple(typed)


_DE_ENDINGS = ("ern", "en", "er", "em", "es", "et", "st", "e", "n", "s", "t")


@lru_cache(maxsize=8192)
def german_stem(word: str) -> str:
    """A crude German stem on folded words: Äpfel/Apfel, Bananen/Banane, füge/fügen, kostet/kosten.

    Umlauts are dropped (plurals often add one), then one inflection ending, then
    a trailing "e". Only ever compared with other stems: consistent, not correct.
    """
    if len(word) < 4 or not word.isalpha():
        return word
    word = word.replace("ae", "a").replace("oe", "o").replace("ue", "u")
    for ending in _DE_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            break
    while len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


# Folded spellings: "fuer", not "für". Articles and possessives, politeness, particles.
# fmt: off
_DE_FILLER = frozenset((
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines",
    "mein", "meine", "meinen", "meinem", "meiner", "dein", "deine", "deinen", "deinem", "deiner",
    "unser", "unsere", "unseren", "unserem", "bitte", "bitteschoen", "mal", "noch", "doch",
    "denn", "eigentlich", "einfach", "eben", "auch", "so", "schon", "jetzt", "nun", "danke",
    "aeh", "aehm", "hm", "hmm", "oh", "alexa", "hey", "mir", "mich", "uns", "also",
))
_DE_LIGHT = frozenset((
    "ich", "du", "es", "wir", "ihr", "sie", "er", "man", "ist", "sind", "bin", "bist", "war",
    "hat", "habe", "hab", "haben", "kann", "kannst", "koennen", "koenntest", "wuerde",
    "wuerdest", "soll", "sollst", "zu", "zum", "zur", "in", "im", "ins", "an", "am", "auf", "aus",
    "mit", "von", "vom", "fuer", "und", "oder", "bei", "beim", "gern", "gerne", "wieder",
))
_DE_MEASURES = frozenset((
    "tuete", "beutel", "sack", "flasche", "packung", "paeckchen", "glas", "becher", "dose",
    "stueck", "kiste", "kasten", "liter", "kilo", "kilogramm", "gramm", "pfund", "tafel", "laib",
    "schachtel", "netz", "bund", "karton", "riegel", "scheibe", "portion",
))
# fmt: on
_DE_FILLER_PHRASES = _phrases(
    (
        (
            "in zu zum zur aus im ins von vom",
            "?den dem der die das meinen meinem meiner mein deinen deinem",
            "warenkorb einkaufswagen korb einkaufskorb wagen",
        ),
        ("kannst koenntest wuerdest", "du"),
        ("vielen", "dank"),
        ("danke", "schoen sehr"),
        ("bitte", "schoen sehr"),
        ("fuer", "mich"),
        ("wenn", "es", "geht"),
        ("sei", "so", "gut", "?und"),
    )
)
# fmt: off
_DE_BUILTINS: Mapping[str, tuple[str, ...]] = {
    "AMAZON.YesIntent": (
        "ja", "jawohl", "klar", "gerne", "ja bitte", "ja gerne", "na klar", "ja klar", "genau",
        "sicher", "okay", "natürlich", "auf jeden Fall", "mach das", "mach es", "richtig",
        "in Ordnung", "einverstanden", "jep", "jo", "gut", "sehr gut", "passt",
    ),
    "AMAZON.NoIntent": (
        "nein", "nee", "nö", "ne", "nein danke", "lieber nicht", "auf keinen Fall",
        "nicht jetzt", "jetzt nicht", "eher nicht", "negativ", "nein will ich nicht",
        "nicht nötig",
    ),
    "AMAZON.HelpIntent": (
        "Hilfe", "hilf mir", "was kann ich sagen", "was kann ich tun", "was kann ich machen",
        "wie funktioniert das", "ich brauche Hilfe", "was sind meine Optionen",
        "wie geht das",
    ),
    "AMAZON.StopIntent": (
        "stopp", "stop", "halt", "hör auf", "aufhören", "beenden", "beende", "ende", "tschüss",
        "auf Wiedersehen", "sei still", "verlassen",
    ),
    "AMAZON.CancelIntent": (
        "abbrechen", "brich ab", "vergiss es", "vergiss das", "Abbruch", "lass es",
        "schon gut", "egal",
    ),
    "AMAZON.RepeatIntent": (
        "wiederholen", "wiederhole das", "sag das nochmal", "sag es nochmal", "wie bitte",
        "was hast du gesagt", "nochmal", "kannst du das wiederholen", "bitte wiederholen",
        "was war das", "ich habe das nicht verstanden",
    ),
    "AMAZON.NavigateHomeIntent": (
        "zurück zum Start", "Startseite", "zur Startseite", "zum Startbildschirm",
        "Startbildschirm", "nach Hause", "geh nach Hause", "zurück zur Startseite",
    ),
}
# fmt: on

GERMAN = Language(
    code="de",
    split=_split_german,
    stem=german_stem,
    parse_number=parse_german_number,
    is_number_word=is_german_number_word,
    filler=_DE_FILLER,
    filler_phrases=_DE_FILLER_PHRASES,
    light=_DE_LIGHT,
    measures=_DE_MEASURES,
    measure_joiners=(),
    negations=frozenset(("kein", "keine", "keinen", "keinem", "keiner", "keines", "nicht", "nie")),
    builtins=_DE_BUILTINS,
    launch_verbs=("öffne", "starte", "start", "beginne", "lade", "spiele", "spiel", "aktiviere"),
    launch_verbs_after=("öffnen", "starten", "aktivieren"),
    launch_articles=("die", "den"),
    one_shot_verbs=("frag", "frage", "sag", "sage", "bitte"),
    one_shot_joiners=("ob", "und", "dass", "nach"),
    separable_particles=(
        "hinzu",
        "heraus",
        "raus",
        "herein",
        "rein",
        "vor",
        "an",
        "ab",
        "auf",
        "aus",
        "weg",
        "zurueck",
        "mit",
        "nach",
        "zu",
    ),
)

_LANGUAGES = {language.code: language for language in (ENGLISH, GERMAN)}


def language_for(locale: str | None) -> Language:
    """The language of a locale ("de-DE" -> German); anything unknown is English."""
    code = (locale or "en").split("-")[0].lower()
    return _LANGUAGES.get(code, ENGLISH)
