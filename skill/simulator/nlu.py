"""Offline NLU: an utterance -> an intent with slots, from any skill's interaction model.

Why not one regex per sample: people don't speak the samples verbatim. They add
politeness and filler ("could you ... to my cart please"), switch singular and
plural, misspell item names, say numbers as words and use their own verbs. So
each sample is compiled into a sequence of literal words and slots, and an
utterance is *aligned* with it by a small dynamic programme (:func:`_dp`), as
in an edit distance, that may

* match a word of the sample (same stem: "apples" meets "apple"), a word the
  model itself uses interchangeably with it (two samples of one intent that
  differ in one word, "remove {Item}" / "delete {Item}", teach that), or a
  word written together or apart ("checkout" / "check out");
* skip filler in the utterance for free (articles, "please", "could you",
  "to my cart", ...) and other words at the cost of their weight, except that
  a word the model has never seen costs less: it is weak evidence either way;
* drop a literal of the sample (a penalty; double for a negation such as
  "not" or "kein", which turns a request around, and a negation the sample
  lacks costs half that), swap it for another word (half the penalty: cheaper
  than one missing and one extra), or say two adjacent literals in the other
  order (a quarter: German word order is freer, "lösche alles" / "alles löschen");
* fill a slot from a span: a catalog value (exact, singular or plural, after a
  measure such as "two bags of", or a small edit distance for words the model
  doesn't know), a value of a built-in type in Alexa's format
  (:mod:`skill.simulator.builtins`: numbers, ordinals, dates, times,
  durations, four-digit numbers, first names, search queries), or, for a
  custom slot type the model asks for (a slot with samples or an elicitation
  prompt), an unknown value (Alexa's ``ER_SUCCESS_NO_MATCH``) when the rest of
  the sample was said; a type it never asks for is a closed word list ("a",
  "a dozen", "pint"). A value made of filler words ("a" as a quantity word)
  earns nothing, as skipping it would, but counts as words explained, so the
  sample with a slot for it wins; a value of several words said as listed
  ("one more") beats the same words split over two slots. A multiple-value
  slot takes several values joined by "and". Slot-only slot samples such as
  ``{Quantity} {Item}`` widen every intent sample that has the Item but no
  Quantity; a sample made only of slots needs every one of them said.

Confidence is the share of the utterance's content explained, less penalties.
The best sample wins; ties go to fewer edits, then the longest literal match,
then the most typed slots, then the model's own order, so resolution is
deterministic. Templates are aligned best-first by an upper bound of their score
(:meth:`Nlu._bound`: which words their literals and slots could explain at all),
and the search stops when no bound reaches the best score found: the answer of
aligning them all, for about ten alignments per utterance. Below
:data:`THRESHOLD` the result is ``AMAZON.FallbackIntent``.
Nothing here is tuned to particular utterances: the weights are round numbers
and everything learned is learned from the model.

What is particular to a language (tokens and folding, stems, number words,
filler, the built-in intents' standard phrasings, launch verbs, German
separable verbs) is data in :mod:`skill.simulator.languages`, picked by the
model's locale; every English locale shares one. Compiled models are cached per
model file and locale (:func:`nlu_for`); a parse takes under a millisecond.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from difflib import SequenceMatcher
from itertools import pairwise
from typing import Any

from skill.errors import ConfigError
from skill.simulator import builtins
from skill.simulator.languages import ENGLISH, Language, Phrase, english_stem, language_for
from skill.simulator.models import ModelSet

__all__ = [
    "FALLBACK",
    "LAUNCH",
    "THRESHOLD",
    "Invocation",
    "Nlu",
    "NluResult",
    "SlotFill",
    "nlu_for",
    "split_invocation",
    "tokenize",
]

FALLBACK = "AMAZON.FallbackIntent"
NUMBER = "AMAZON.NUMBER"
ER_MATCH = "ER_SUCCESS_MATCH"
ER_NO_MATCH = "ER_SUCCESS_NO_MATCH"

#: Below this confidence an utterance resolves to AMAZON.FallbackIntent.
THRESHOLD = 0.6
#: While Alexa elicits a slot, the slot's own samples get this head start.
ELICIT_BONUS = 0.15

_UNFILLED_SLOT = 0.15  # a sample slot left empty: the skill can still ask for it
_WILDCARD = 0.5  # an unknown slot value explains its words only half as well
_FUZZY = 0.8  # a misspelt catalog value
_SUBSTITUTE = 0.9  # a word the model uses interchangeably with the sample's
_TRANSPOSE = 0.25  # two adjacent words of the sample said in the other order
_NEGATION = 2.0  # a sample's "not"/"kein" left unsaid (half that for one said but not in it)
_OOV_CREDIT = 0.4  # an unexplained word the model has never seen counts this much as explained
_PHRASE = 0.1  # each further word of a many-word slot value, as words explained
_MAX_SPAN = 5  # longest slot value, in words
_MAX_WILDCARD = 4

# -- language ----------------------------------------------------------------
#: The English data, kept under their old names for callers that read them.
FILLER_WORDS = ENGLISH.filler
LIGHT_WORDS = ENGLISH.light
BUILTIN_PHRASES = ENGLISH.builtins
stem = english_stem


def tokenize(text: str, locale: str | None = None) -> list[str]:
    """Lowercase words with contractions expanded ("what's" -> "what is"); German is folded."""
    return list(language_for(locale).words(text))


def _surface_words(text: str, language: Language) -> tuple[str, ...]:
    """Words as written (folded, but contractions not expanded), to pick the closest sample."""
    if language is ENGLISH:
        return tuple(re.findall(r"[a-z0-9']+", text.lower().replace("’", "'")))
    return language.words(text)


def _weight(word: str, language: Language) -> float:
    if word in language.filler:
        return 0.0
    return 0.5 if word in language.light else 1.0


def _filler_positions(tokens: Sequence[str], language: Language) -> set[int]:
    """Token positions covered by a multi-word filler phrase."""
    covered: set[int] = set()
    for start in range(len(tokens)):
        for phrase in language.filler_phrases:
            end = _match_phrase(phrase, tokens, start)
            if end is not None:
                covered.update(range(start, end))
    return covered


def _match_phrase(phrase: Phrase, tokens: Sequence[str], start: int) -> int | None:
    i = start
    for words, optional in phrase:
        if i < len(tokens) and tokens[i] in words:
            i += 1
        elif not optional:
            return None
    return i if i > start else None


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (returning limit + 1) once it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        best = i
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            current.append(cost)
            best = min(best, cost)
        if best > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _typo_limit(length: int) -> int:
    # Short words are too easily another word ("beer" is not "beef").
    if length < 5:
        return 0
    return 1 if length < 9 else 2


# -- results -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SlotFill:
    """One filled slot, as Alexa would report it."""

    name: str
    type: str
    value: str
    #: Entity resolution for custom slot types: (id, name) matches, best first.
    matches: tuple[tuple[str, str], ...] = ()
    #: ER_SUCCESS_MATCH / ER_SUCCESS_NO_MATCH for custom types, None for built-in types.
    status: str | None = None
    #: A multiple-value slot's values, in the order said (``value`` then joins them).
    items: tuple[SlotFill, ...] = ()

    @property
    def id(self) -> str | None:
        return self.matches[0][0] if self.matches else None


@dataclass(frozen=True, slots=True)
class NluResult:
    utterance: str
    intent: str
    slots: dict[str, SlotFill] = field(default_factory=dict)
    confidence: float = 0.0
    #: The model sample that matched (None for fallback and built-in phrasings).
    sample: str | None = None
    #: True when the match came from the elicited slot's own samples.
    elicited: bool = False

    def to_json(self) -> dict[str, Any]:
        """The ``cornershop nlu --json`` line: utterance, intent, slots {NAME: {value, id}}."""
        return {
            "utterance": self.utterance,
            "intent": self.intent,
            "slots": {name: {"value": s.value, "id": s.id} for name, s in self.slots.items()},
        }

    def describe(self) -> str:
        parts = [self.intent]
        for name, slot in self.slots.items():
            shown = f"{name}={slot.value}"
            if slot.status == ER_MATCH and slot.id:
                shown += f" [{slot.id}]"
            elif slot.status == ER_NO_MATCH:
                shown += " [no match]"
            parts.append(shown)
        return "  ".join(parts)


# -- compiled model ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Lit:
    word: str
    stem: str
    penalty: float
    #: the substitution classes learned from the model that this word belongs to
    cls: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class _Slot:
    name: str
    type: str
    #: a multiple-value slot: its spans are lists of values ("apples and bananas")
    multi: bool = False

    @property
    def key(self) -> str:
        """The key of this slot's spans in :attr:`_Utterance.spans`."""
        return self.type + "[]" if self.multi else self.type


_Elem = _Lit | _Slot


@dataclass(slots=True)
class _Template:
    intent: str
    elements: tuple[_Elem, ...]
    order: int
    samples: list[str] = field(default_factory=list)
    sample_words: list[tuple[str, ...]] = field(default_factory=list)
    builtin: bool = True
    #: stem of two adjacent literals written as one word ("check out" -> "checkout"), by position
    joined: tuple[str | None, ...] = ()
    #: for the score's upper bound (:meth:`Nlu._bound`): each literal's (stem, classes, joined
    #: stem, least cost when unsaid) and how many slots of each span key the template has
    bound_literals: tuple[tuple[str, frozenset[int], str | None, float], ...] = ()
    slot_keys: tuple[tuple[str, int], ...] = ()
    #: equal literals (and equal slot kinds) share their part of the bound: interned numbers
    literal_sig: int = 0
    slot_sig: int = 0


@dataclass(frozen=True, slots=True)
class _Value:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class _Span:
    end: int
    gain: float
    value: str
    matches: tuple[tuple[str, str], ...]
    status: str | None
    matched: float  # words explained, for the "longest literal match" tie-break
    wildcard: bool = False
    #: a multiple-value slot's values, in order
    items: tuple[_Span, ...] = ()


@dataclass(slots=True)
class _SlotType:
    name: str
    by_stem: dict[str, list[_Value]] = field(default_factory=dict)
    forms: list[tuple[str, _Value]] = field(default_factory=list)  # (form without spaces, value)
    _near: dict[str, tuple[list[_Value], int] | None] = field(default_factory=dict)

    def nearest(self, joined: str) -> tuple[list[_Value], int] | None:
        """The values a misspelt span is closest to (same first letter, small distance)."""
        if joined not in self._near:
            if len(self._near) > 4096:
                self._near.clear()
            self._near[joined] = self._search(joined)
        return self._near[joined]

    def _search(self, joined: str) -> tuple[list[_Value], int] | None:
        limit = _typo_limit(len(joined))
        best: list[_Value] = []
        best_distance = limit + 1
        for form, value in self.forms:
            if not form or form[0] != joined[0]:
                continue
            if form == joined:
                distance = 0
            else:
                distance = _edit_distance(joined, form, min(limit, best_distance))
            if distance < best_distance:
                best, best_distance = [value], distance
            elif distance == best_distance and distance <= limit and value not in best:
                best.append(value)
        if best_distance > limit or not best:
            return None
        return best, best_distance


@dataclass(slots=True)
class _Utterance:
    text: str
    tokens: tuple[str, ...]  # folded, for matching
    typed: tuple[str, ...]  # as written, for slot values
    stems: tuple[str, ...]
    weights: tuple[float, ...]
    #: what matching each word with a sample's literal earns: like ``weights``, except that
    #: filler phrases ("in my cart") still count as evidence when the sample says them too
    credits: tuple[float, ...]
    #: what skipping each word still earns: a word the model has never seen is weak evidence
    skips: tuple[float, ...]
    classes: tuple[frozenset[int], ...]  # the substitution classes each word belongs to
    joined: tuple[str, ...]  # stem of tokens[i] + tokens[i + 1]
    total: float
    spans: dict[str, list[list[_Span]]] = field(default_factory=dict)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


class _BoundFacts:
    """What an utterance offers any template, for :meth:`Nlu._bound`: computed once per parse.

    Words are bit positions. A word earns more than its skip credit only where a
    literal of the template can match it (same stem, a class word, a written-together
    or split form) or a slot of the template has a value covering it.
    """

    __slots__ = (
        "_gains",
        "_slots",
        "base",
        "classes",
        "gains",
        "literal_parts",
        "slot_parts",
        "stems",
    )

    def __init__(self, u: _Utterance) -> None:
        #: what every word earns when it is only skipped, and what matching it adds
        self.base = sum(u.skips)
        self.gains = [max(c - s, 0.0) for c, s in zip(u.credits, u.skips, strict=True)]
        #: the words (a bit mask) with each stem, and in each substitution class
        self.stems: dict[str, int] = {}
        for i, stem in enumerate(u.stems):
            self.stems[stem] = self.stems.get(stem, 0) | 1 << i
        for i, stem in enumerate(u.joined):  # "check out" said for "checkout"
            self.stems[stem] = self.stems.get(stem, 0) | 3 << i
        self.classes: dict[int, int] = {}
        for i, found in enumerate(u.classes):
            for cls in found:
                self.classes[cls] = self.classes.get(cls, 0) | 1 << i
        self._slots: dict[str, tuple[int, float, int]] = {}
        self._gains: dict[int, float] = {}
        #: parts of bounds already worked out: (cost of literals unsaid, words they may
        #: match) by literal signature; (slot term, words values cover) by slot signature
        self.literal_parts: dict[int, tuple[float, int]] = {}
        self.slot_parts: dict[int, tuple[float, int]] = {}

    def gain(self, mask: int) -> float:
        """What matching the words in ``mask`` adds to skipping them."""
        found = self._gains.get(mask)
        if found is None:
            found = 0.0
            rest = mask
            while rest:
                low = rest & -rest
                i = low.bit_length() - 1
                if i < len(self.gains):
                    found += self.gains[i]
                rest ^= low
            self._gains[mask] = found
        return found

    def slots(self, u: _Utterance, key: str) -> tuple[int, float, int]:
        """(how many values of this kind fit side by side, most a value earns beyond its
        words, the words some value covers)."""
        found = self._slots.get(key)
        if found is None:
            spans = u.spans.get(key) or []
            ends: list[tuple[int, int]] = []
            excess = 0.0
            cover = 0
            for i, at in enumerate(spans):
                for span in at:
                    ends.append((span.end, i))
                    cover |= ((1 << span.end) - 1) ^ ((1 << i) - 1)
                    best = sum(
                        max(c, s)
                        for c, s in zip(u.credits[i : span.end], u.skips[i : span.end], strict=True)
                    )
                    excess = max(excess, span.gain - best)
            room, free = 0, 0
            for end, start in sorted(ends):
                if start >= free:
                    room, free = room + 1, end
            found = self._slots[key] = (room, excess, cover)
        return found


_SLOT_REF = re.compile(r"\{(\w+)\}")
_NO_CLASSES: frozenset[int] = frozenset()
_TemplateKey = tuple[str, tuple[_Elem, ...]]


class Nlu:
    """A compiled interaction model for one locale. Build once; :meth:`parse` is pure."""

    def __init__(self, model: Mapping[str, Any], locale: str = "en-US") -> None:
        self.locale = locale
        self.model = model
        self.language: Language = language_for(locale)
        try:
            language_model = model["interactionModel"]["languageModel"]
            intents = list(language_model["intents"])
        except (KeyError, TypeError) as exc:
            raise ConfigError(
                f"The {locale} interaction model has no interactionModel.languageModel.intents."
            ) from exc
        self.invocation_name: str = str(language_model.get("invocationName", ""))
        self.intent_names: list[str] = [str(i["name"]) for i in intents]
        self.intent_slots: dict[str, list[tuple[str, str]]] = {
            str(i["name"]): [(str(s["name"]), str(s["type"])) for s in i.get("slots") or []]
            for i in intents
        }
        self.samples: dict[str, list[str]] = {
            str(i["name"]): [str(s) for s in i.get("samples") or []] for i in intents
        }
        self._slot_samples: dict[tuple[str, str], list[str]] = {
            (str(i["name"]), str(s["name"])): [str(x) for x in s.get("samples") or []]
            for i in intents
            for s in i.get("slots") or []
        }
        self._types = {
            str(t["name"]): _compile_type(t, self.language)
            for t in language_model.get("types") or []
        }
        self._measure_stems = frozenset(self.language.stem(w) for w in self.language.measures)
        self._open_types = _open_types(model, intents)
        # Alexa offers multiple-value slots in its English locales only.
        self._multi = {
            (str(i["name"]), str(s["name"]))
            for i in intents
            for s in i.get("slots") or []
            if (s.get("multipleValues") or {}).get("enabled") and self.language.code == "en"
        }
        self._slot_type_names = list(
            dict.fromkeys(
                t + ("[]" if (intent, n) in self._multi else "")
                for intent, slots in self.intent_slots.items()
                for n, t in slots
            )
        )
        self._literals: set[str] = set()
        self._signatures: dict[Any, int] = {}
        self._templates: list[_Template] = []
        by_key: dict[_TemplateKey, _Template] = {}
        for intent in self.intent_names:
            for text in self.samples[intent]:
                self._add(by_key, self._templates, intent, text, builtin=False)
            for text in self.language.builtins.get(intent, ()):
                self._add(by_key, self._templates, intent, text, builtin=True)
        self._expand_slot_shapes(by_key)
        self._expand_separable_verbs(by_key)
        self._learn_substitutions()
        self._templates = [self._finish(t) for t in self._templates]
        vocabulary = set(self._literals) | self.language.filler
        for slot_type in self._types.values():
            for key in slot_type.by_stem:
                vocabulary.update(key.split())
        self._vocabulary = frozenset(vocabulary)
        self._index: dict[str, list[int]] = {}
        for number, template in enumerate(self._templates):
            keys = [e.stem for e in template.elements if isinstance(e, _Lit)]
            keys += [f"#{c}" for e in template.elements if isinstance(e, _Lit) for c in e.cls]
            keys += [j for j in template.joined if j]
            keys += [f"{{{e.type}}}" for e in template.elements if isinstance(e, _Slot)]
            for key in keys:
                bucket = self._index.setdefault(key, [])
                if not bucket or bucket[-1] != number:
                    bucket.append(number)
        self._elicit_cache: dict[tuple[str, str], list[_Template]] = {}

    # -- compiling -----------------------------------------------------------
    def _compile(self, text: str, intent: str) -> tuple[_Elem, ...]:
        slot_types = dict(self.intent_slots.get(intent, []))
        elements: list[_Elem] = []
        position = 0
        for match in [*_SLOT_REF.finditer(text), None]:
            chunk = text[position : match.start() if match else len(text)]
            for word in self.language.words(chunk):
                if word in self.language.filler:
                    continue
                elements.append(self._literal(word))
            if match is None:
                break
            name = match.group(1)
            if name not in slot_types:
                raise ConfigError(
                    f"The sample {text!r} of {intent} names a slot {{{name}}} the intent doesn't "
                    "define. Add the slot to the intent or fix the sample."
                )
            elements.append(_Slot(name, slot_types[name], (intent, name) in self._multi))
            position = match.end()
        return tuple(elements)

    def _add_variant(
        self,
        by_key: dict[_TemplateKey, _Template],
        template: _Template,
        variant: tuple[_Elem, ...],
    ) -> None:
        """Register another word order of ``template`` (once), for each of its samples."""
        if (template.intent, variant) in by_key:
            return
        for sample in template.samples:
            self._add(
                by_key, self._templates, template.intent, sample, builtin=False, elements=variant
            )

    def _add(
        self,
        by_key: dict[_TemplateKey, _Template],
        into: list[_Template],
        intent: str,
        text: str,
        *,
        builtin: bool,
        elements: tuple[_Elem, ...] | None = None,
    ) -> None:
        elements = self._compile(text, intent) if elements is None else elements
        if not elements:
            return
        template = by_key.get((intent, elements))
        if template is None:
            template = _Template(intent, elements, len(into))
            by_key[(intent, elements)] = template
            into.append(template)
        if not builtin and text not in template.samples:
            template.samples.append(text)
            template.sample_words.append(_surface_words(_SLOT_REF.sub(" ", text), self.language))
        template.builtin = template.builtin and builtin

    def _expand_slot_shapes(self, by_key: dict[_TemplateKey, _Template]) -> None:
        """Generalise with the model's own slot shapes.

        A slot sample made only of slots, like ``{Quantity} {Item}`` for Item, says
        "wherever an Item goes, a quantity may come first". Samples that have the
        Item but no Quantity get that variant too (for "delete two bagels").
        """
        for template in list(self._templates):
            if template.builtin:
                continue
            present = {e.name for e in template.elements if isinstance(e, _Slot)}
            for k, elem in enumerate(template.elements):
                if not isinstance(elem, _Slot):
                    continue
                for text in self._slot_samples.get((template.intent, elem.name), []):
                    shape = self._compile(text, template.intent)
                    names = [e.name for e in shape if isinstance(e, _Slot)]
                    if len(shape) < 2 or len(names) != len(shape) or elem.name not in names:
                        continue
                    if present & (set(names) - {elem.name}):
                        continue
                    variant = template.elements[:k] + shape + template.elements[k + 1 :]
                    self._add_variant(by_key, template, variant)

    def _literal(self, word: str) -> _Lit:
        stemmed = self.language.stem(word)
        self._literals.update((word, stemmed))
        if word in self.language.negations:
            return _Lit(word, stemmed, _NEGATION)
        return _Lit(word, stemmed, 0.5 if word in self.language.light else 1.0)

    def _expand_separable_verbs(self, by_key: dict[_TemplateKey, _Template]) -> None:
        """Separable verbs (German) in either order: "füge {Item} hinzu" / "{Item} hinzufügen".

        A sample that starts with a verb and ends with one of the language's
        particles ("nimm {Item} raus") also matches with the infinitive at the end
        ("{Item} rausnehmen"). A sample that ends with such an infinitive, with no
        subject or modal before it ("etwas hinzufügen", but not "ich möchte etwas
        hinzufügen"), also matches the imperative ("füge etwas hinzu"). The
        particles are the language's; every word comes from the model.
        """
        particles = self.language.separable_particles
        if not particles:
            return
        for template in list(self._templates):
            elements = template.elements
            if template.builtin or len(elements) < 2 or not isinstance(elements[-1], _Lit):
                continue
            first, last = elements[0], elements[-1]
            variant: tuple[_Elem, ...] | None = None
            if isinstance(first, _Lit) and last.word in particles and len(elements) >= 3:
                variant = (*elements[1:-1], self._literal(last.word + first.word))
            elif last.word.endswith(("en", "ern", "eln")) and not any(
                isinstance(e, _Lit) and e.word in self.language.light for e in elements[:-1]
            ):
                particle = next(
                    (
                        p
                        for p in particles
                        if last.word.startswith(p) and len(last.word) > len(p) + 3
                    ),
                    None,
                )
                if particle is not None:
                    verb = self._literal(last.word[len(particle) :])
                    variant = (verb, *elements[:-1], self._literal(particle))
            if variant is not None:
                self._add_variant(by_key, template, variant)

    def _learn_substitutions(self) -> None:
        """Words the model itself treats as interchangeable, per intent.

        Two samples of one intent that differ in exactly one content word ("what's
        in my cart" / "what's in my basket", "remove {Item}" / "delete {Item}")
        put those words in one class of that intent. A word then matches any word
        it shares a class with, in any intent's samples, at a small discount
        ("basket" learned from listing also works for emptying). Classes never
        merge across intents: "nehmen" is "take" both in "ich nehme zwei Äpfel"
        (add, like "möchte") and in "nimm die Äpfel raus" (remove, like
        "lösche"), which must not make "möchte" and "lösche" interchangeable.
        Learned from the samples, never from test data.
        """
        parent: dict[tuple[str, str], tuple[str, str]] = {}

        def find(node: tuple[str, str]) -> tuple[str, str]:
            while parent.get(node, node) != node:
                node = parent[node]
            return node

        for intent in self.intent_names:
            shapes = [t.elements for t in self._templates if t.intent == intent and t.samples]
            # Shapes that differ in exactly position k share everything else: bucket them
            # by the rest, rather than comparing every pair (the lists make hundreds).
            buckets: dict[tuple[Any, ...], list[_Lit]] = {}
            for shape in shapes:
                for k, elem in enumerate(shape):
                    if isinstance(elem, _Lit):
                        key = (k, elem.penalty, shape[:k], shape[k + 1 :])
                        buckets.setdefault(key, []).append(elem)
            for words in buckets.values():
                for x, y in pairwise(words):
                    root_x, root_y = find((intent, x.stem)), find((intent, y.stem))
                    if root_x != root_y:
                        parent[max(root_x, root_y)] = min(root_x, root_y)
        roots = sorted({find(node) for node in parent})
        number = {root: n for n, root in enumerate(roots)}
        classes = {node: number[find(node)] for node in sorted({*parent, *parent.values()})}
        by_word: dict[str, set[int]] = {}
        for (_intent, word), cls in classes.items():
            by_word.setdefault(word, set()).add(cls)
        self._word_classes = {word: frozenset(found) for word, found in sorted(by_word.items())}

    def _finish(self, template: _Template) -> _Template:
        elements = tuple(
            _Lit(e.word, e.stem, e.penalty, self._word_classes.get(e.stem, _NO_CLASSES))
            if isinstance(e, _Lit)
            else e
            for e in template.elements
        )
        joined: list[str | None] = []
        for k, elem in enumerate(elements):
            after = elements[k + 1] if k + 1 < len(elements) else None
            if isinstance(elem, _Lit) and isinstance(after, _Lit):
                joined.append(self.language.stem(elem.word + after.word))
            else:
                joined.append(None)
        template.elements = elements
        template.joined = tuple(joined)
        template.bound_literals = tuple(
            (e.stem, e.cls, joined[k], e.penalty / 2)
            for k, e in enumerate(elements)
            if isinstance(e, _Lit)
        )
        keys: dict[str, int] = {}
        for e in elements:
            if isinstance(e, _Slot):
                keys[e.key] = keys.get(e.key, 0) + 1
        template.slot_keys = tuple(sorted(keys.items()))
        template.literal_sig = self._signatures.setdefault(
            template.bound_literals, len(self._signatures)
        )
        template.slot_sig = self._signatures.setdefault(template.slot_keys, len(self._signatures))
        return template

    def _elicitation_templates(self, intent: str, slot: str) -> list[_Template]:
        key = (intent, slot)
        if key not in self._elicit_cache:
            templates: list[_Template] = []
            by_key: dict[_TemplateKey, _Template] = {}
            for text in [f"{{{slot}}}", *self._slot_samples.get(key, [])]:
                self._add(by_key, templates, intent, text, builtin=False)
            self._elicit_cache[key] = [self._finish(t) for t in templates]
        return self._elicit_cache[key]

    # -- analysing an utterance ----------------------------------------------
    def _analyse(
        self, text: str, slot_types: Iterable[str], now: datetime | None = None
    ) -> _Utterance:
        language = self.language
        tokens, typed = language.tokenize(text)
        stems = tuple(language.stem(t) for t in tokens)
        phrase_filler = _filler_positions(tokens, language)
        natural = tuple(_weight(t, language) for t in tokens)
        weights = tuple(0.0 if i in phrase_filler else w for i, w in enumerate(natural))
        credits = natural
        skips = tuple(
            -_NEGATION / 2
            if t in language.negations
            else _OOV_CREDIT * w
            if self._unknown(t) and not language.is_number_word(t)
            else 0.0
            for t, w in zip(tokens, weights, strict=True)
        )
        classes = tuple(self._word_classes.get(s, _NO_CLASSES) for s in stems)
        joined = tuple(language.stem(a + b) for a, b in pairwise(tokens))
        total = sum(weights)
        u = _Utterance(text, tokens, typed, stems, weights, credits, skips, classes, joined, total)
        u.now = now or datetime.now(UTC)
        for type_name in slot_types:
            self._spans_for(u, type_name)
        return u

    def _spans_for(self, u: _Utterance, key: str) -> list[list[_Span]]:
        spans = u.spans.get(key)
        if spans is None:
            if key.endswith("[]"):
                spans = self._list_spans(u, self._spans_for(u, key[:-2]))
            else:
                spans = self._spans(u, key)
            u.spans[key] = spans
        return spans

    def _unknown(self, word: str) -> bool:
        return word not in self._vocabulary and self.language.stem(word) not in self._vocabulary

    def _spans(self, u: _Utterance, type_name: str) -> list[list[_Span]]:
        n = len(u.tokens)
        spans: list[list[_Span]] = [[] for _ in range(n)]
        kind = builtins.canonical(type_name)
        if kind == builtins.SEARCH_QUERY:
            self._query_spans(u, spans)
            return spans
        found = builtins.find(kind, u.tokens, self.language, u.now)
        filler = self.language.filler
        for i, at in enumerate(found or ()):
            for end, value in at:
                gain = sum(u.weights[i:end]) or 0.5
                # A filler word read as a value (German "ein" as the number 1) explains
                # half as much: a slot of the model's own for it is the better reading.
                words = u.tokens[i:end]
                if all(w in filler for w in words):
                    gain = 0.0
                matched = sum(0.5 if w in filler else 1.0 for w in words)
                spans[i].append(_Span(end, gain, value, (), None, matched))
        slot_type = self._types.get(type_name)
        if slot_type is not None:  # a custom type, or a built-in one the model extends
            self._entity_spans(u, slot_type, spans)
        if slot_type is not None:
            open_values = type_name in self._open_types
        else:  # a built-in type this module doesn't know, or first names
            open_values = found is None or kind == builtins.FIRST_NAME
        if open_values:
            # Types with open values: an unknown one is heard, with less confidence.
            self._wildcard_spans(u, spans, custom=slot_type is not None)
        return spans

    def _query_spans(self, u: _Utterance, spans: list[list[_Span]]) -> None:
        """AMAZON.SearchQuery: any words at all, at full credit, when the carrier phrase is said.

        Marked as unknown values, so :func:`_align` refuses them when a literal of
        the sample is missing: Alexa needs the carrier phrase around a query. A
        longer query wins ties (it keeps the user's articles), a literal of the
        sample still beats the same word inside the query.
        """
        n = len(u.tokens)
        for i in range(n):
            for end in range(i + 1, n + 1):
                gain = sum(u.weights[i:end]) or 0.5
                value = " ".join(u.typed[i:end])
                spans[i].append(_Span(end, gain, value, (), None, 0.5 * (end - i), wildcard=True))

    def _list_spans(self, u: _Utterance, single: list[list[_Span]]) -> list[list[_Span]]:
        """A multiple-value slot: one value, or several joined by "and"/"or" or said in a row."""
        n = len(u.tokens)
        joiners = ("and", "or", "und", "oder")
        lists: list[list[_Span]] = [list(at) for at in single]
        for i in range(n):
            chains: list[tuple[_Span, ...]] = [(s,) for s in single[i] if not s.wildcard]
            while chains:
                grown: list[tuple[_Span, ...]] = []
                for chain in chains:
                    end = chain[-1].end
                    starts = [end]
                    if end < n and u.tokens[end] in joiners:
                        starts.append(end + 1)
                    for start in starts:
                        if start >= n or len(chain) >= 8:
                            continue
                        for nxt in single[start]:
                            if nxt.wildcard:
                                continue
                            longer = (*chain, nxt)
                            grown.append(longer)
                            gain = sum(s.gain for s in longer) + sum(u.weights[end:start])
                            matched = sum(s.matched for s in longer) + (start - end)
                            value = " ".join(u.typed[i : nxt.end])
                            lists[i].append(
                                _Span(nxt.end, gain, value, (), None, matched, items=longer)
                            )
                chains = grown
        return lists

    def _entity_spans(self, u: _Utterance, slot_type: _SlotType, spans: list[list[_Span]]) -> None:
        n = len(u.tokens)
        found: dict[tuple[int, int], _Span] = {}
        for i in range(n):
            for end in range(i + 1, min(n, i + _MAX_SPAN) + 1):
                values = slot_type.by_stem.get(" ".join(u.stems[i:end]))
                if values:
                    found[(i, end)] = _entity(u, i, end, values, 1.0)
        for i in range(n):  # misspelt or run-together values, only for words the model lacks
            for end in range(i + 1, min(n, i + 3) + 1):
                if (i, end) in found or not self._could_be_typo(u.tokens[i:end]):
                    continue
                near = slot_type.nearest("".join(u.tokens[i:end]))
                if near is not None:
                    found[(i, end)] = _entity(u, i, end, near[0], 1.0 if near[1] == 0 else _FUZZY)
        joiners = self.language.measure_joiners
        for (i, end), span in list(found.items()):  # "two bags of rice", "zwei Tüten Chips"
            j = i - 1 - len(joiners)
            measured = (
                j >= 0 and u.tokens[j + 1 : i] == joiners and u.stems[j] in self._measure_stems
            )
            if measured and (j, end) not in found:
                gain = span.gain + sum(u.weights[j:i])
                value = " ".join(u.typed[j:end])
                # The measure explains less than a slot of the model's own for it would
                # ("a pint of milk": Unit=pint Item=milk where the model has a Unit slot).
                matched = span.matched + 0.5
                found[(j, end)] = _Span(end, gain, value, span.matches, span.status, matched)
        for (i, _end), span in sorted(found.items()):
            spans[i].append(span)

    def _could_be_typo(self, words: Sequence[str]) -> bool:
        filler = self.language.filler
        if words[0] in filler or words[-1] in filler:
            return False
        if any(self.language.is_number_word(w) for w in words):
            return False
        return any(self._unknown(w) for w in words)

    def _wildcard_spans(self, u: _Utterance, spans: list[list[_Span]], *, custom: bool) -> None:
        """Unknown values: 1-4 words the model doesn't use as literals, not numbers."""
        n = len(u.tokens)
        is_number = self.language.is_number_word
        for i in range(n):
            if u.weights[i] == 0 or self._is_literal(u, i) or is_number(u.tokens[i]):
                continue
            for end in range(i + 1, min(n, i + _MAX_WILDCARD) + 1):
                last = end - 1
                if self._is_literal(u, last) or is_number(u.tokens[last]):
                    break
                if u.weights[last] == 0:
                    continue
                gain = sum(u.weights[i:end]) * _WILDCARD
                status = ER_NO_MATCH if custom else None
                value = " ".join(u.typed[i:end])
                spans[i].append(_Span(end, gain, value, (), status, 0, wildcard=True))

    def _is_literal(self, u: _Utterance, i: int) -> bool:
        return u.stems[i] in self._literals or u.tokens[i] in self._literals

    # -- matching --------------------------------------------------------------
    def parse(
        self,
        utterance: str,
        *,
        expecting: tuple[str, str] | None = None,
        now: datetime | None = None,
    ) -> NluResult:
        """Resolve one utterance. ``expecting=(intent, slot)`` while Alexa elicits that slot;
        ``now`` anchors relative dates and times (default: the current time)."""
        text = " ".join(utterance.split())
        u = self._analyse(text, self._slot_type_names, now)
        candidates: list[tuple[_Template, float]] = []
        if u.total > 0:
            keys = [*u.stems, *u.joined, *(f"#{c}" for found in u.classes for c in found)]
            keys += [f"{{{t}}}" for t, spans in u.spans.items() if _has_value(spans)]
            numbers = sorted({n for key in keys for n in self._index.get(key, ())})
            candidates = [(self._templates[n], 0.0) for n in numbers]
            if expecting is not None:
                candidates += [(t, ELICIT_BONUS) for t in self._elicitation_templates(*expecting)]
        # Best first by an upper bound of each template's score, and stop once no
        # remaining template can reach the best confidence found: the same answer as
        # aligning every candidate, at a fraction of the cost.
        facts = _BoundFacts(u) if candidates else None
        order: list[tuple[float, int]] = []
        if facts is not None:
            bound_of, total = self._bound, u.total
            order = [
                (-(bound_of(template, u, facts) / total + bonus), n)
                for n, (template, bonus) in enumerate(candidates)
            ]
            order.sort()
        best: tuple[tuple[float, ...], _Template, float, dict[str, _Span], bool] | None = None
        for negative_bound, n in order:
            if best is not None and round(-negative_bound, 6) < best[0][0]:
                break
            template, bonus = candidates[n]
            scored = _align(template, u)
            if scored is None:
                continue
            score, matched, edits, slots, _wild = scored
            # Not clipped at 1 for ranking: a sample that also says the user's filler
            # ("... to my cart") is the better match. Ties: fewer edits, then the
            # longest literal match, then the most typed slots, then model order.
            confidence = score / u.total + bonus
            key = (
                round(confidence, 6),
                -float(edits),
                float(matched),
                float(len(slots)),
                -float(template.order),
            )
            if best is None or key > best[0]:
                best = (key, template, confidence, slots, bonus > 0)
        if best is None:
            return NluResult(text, FALLBACK, {}, 0.0)
        result = self._result(text, best[1], best[2], best[3], u, best[4])
        if result.confidence < THRESHOLD:
            return NluResult(text, FALLBACK, {}, round(max(0.0, result.confidence), 3))
        return result

    def _bound(self, template: _Template, u: _Utterance, facts: _BoundFacts) -> float:
        """At least the score :func:`_align` can give ``template`` (see :class:`_BoundFacts`).

        A word earns more than its skip credit only if some literal or slot of the
        template can explain it; a literal none of whose words was said costs at
        least half its penalty (a swap); a slot with no value to take costs
        :data:`_UNFILLED_SLOT`, and so does each slot of a kind beyond the most
        values of that kind the utterance holds side by side. Templates with the
        same literals and slots share one bound.
        """
        literal_part = facts.literal_parts.get(template.literal_sig)
        if literal_part is None:
            stems, classes = facts.stems, facts.classes
            cost_sum, explained = 0.0, 0
            for stem, cls, joined, cost in template.bound_literals:
                mask = stems.get(stem, 0)
                if joined is not None:
                    mask |= stems.get(joined, 0)
                for number in cls:
                    mask |= classes.get(number, 0)
                if mask:
                    explained |= mask
                else:
                    cost_sum += cost
            literal_part = facts.literal_parts[template.literal_sig] = (cost_sum, explained)
        slot_part = facts.slot_parts.get(template.slot_sig)
        if slot_part is None:
            term, cover_all = 0.0, 0
            for key, count in template.slot_keys:
                room, excess, cover = facts.slots(u, key)
                term += excess * min(count, room) - _UNFILLED_SLOT * max(0, count - room)
                cover_all |= cover
            slot_part = facts.slot_parts[template.slot_sig] = (term, cover_all)
        return (
            facts.base - literal_part[0] + slot_part[0] + facts.gain(literal_part[1] | slot_part[1])
        )

    def interpret(self, utterance: str, *, now: datetime | None = None) -> NluResult:
        """:meth:`parse` after the invocation: "open corner shop" is ``LaunchRequest``.

        "ask corner shop to add milk" is parsed as "add milk". This is what
        ``cornershop nlu`` and the annotation sets (``tests/nlu/``) use.
        """
        invocation = split_invocation(utterance, self.invocation_name, self.locale)
        if invocation.kind == "launch":
            return NluResult(utterance, LAUNCH, {}, 1.0)
        result = self.parse(invocation.rest if invocation.kind else utterance, now=now)
        return NluResult(
            utterance,
            result.intent,
            result.slots,
            result.confidence,
            result.sample,
            result.elicited,
        )

    def _result(
        self,
        text: str,
        template: _Template,
        confidence: float,
        slots: dict[str, _Span],
        u: _Utterance,
        elicited: bool,
    ) -> NluResult:
        types = dict(self.intent_slots.get(template.intent, []))
        fills = {
            name: SlotFill(
                name,
                types[name],
                span.value,
                span.matches,
                span.status,
                tuple(
                    SlotFill(name, types[name], item.value, item.matches, item.status)
                    for item in span.items
                ),
            )
            for name in types
            if (span := slots.get(name)) is not None
        }
        sample = None
        if template.samples:
            # The sample as written closest to what was said ("what is" is not "what's",
            # "please add" is not "add ... please"): most words in common, then word order.
            words = _surface_words(text, self.language)
            scores = [
                (len(set(words) & set(w)), SequenceMatcher(None, words, w).ratio())
                for w in template.sample_words
            ]
            sample = template.samples[scores.index(max(scores))]
        confidence = round(max(0.0, min(confidence, 1.0)), 3)
        return NluResult(text, template.intent, fills, confidence, sample, elicited)

    # -- model facts the session needs -----------------------------------------
    def intent_slot_names(self, intent: str) -> list[str]:
        return [name for name, _type in self.intent_slots.get(intent, [])]

    def slot_type(self, intent: str, slot: str) -> str | None:
        return dict(self.intent_slots.get(intent, [])).get(slot)

    def resolve(self, intent: str, slot: str, value: str) -> SlotFill:
        """Entity-resolve a value given directly (``AddItemIntent Item=apples`` in a test)."""
        type_name = self.slot_type(intent, slot)
        if type_name is None:
            raise ConfigError(
                f"{intent} has no slot {slot!r}; its slots are {self.intent_slot_names(intent)}."
            )
        if type_name not in self._types:
            kind = builtins.canonical(type_name)
            if kind in builtins.KNOWN and kind not in (builtins.FIRST_NAME, builtins.SEARCH_QUERY):
                shown = builtins.whole_value(kind, value, self.language, datetime.now(UTC))
                return SlotFill(slot, type_name, shown if shown is not None else value)
            return SlotFill(slot, type_name, value)
        u = self._analyse(value, [type_name])
        for span in u.spans[type_name][0] if u.tokens else []:
            if span.end == len(u.tokens) and not span.wildcard:
                return SlotFill(slot, type_name, value, span.matches, ER_MATCH)
        return SlotFill(slot, type_name, value, (), ER_NO_MATCH)


def _open_types(model: Mapping[str, Any], intents: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    """The custom slot types that take values the model doesn't list (Alexa's NO_MATCH).

    Any value may be said where the model asks for one: a type whose slot has its own
    samples or an elicitation prompt in the dialog model (an item: "add a unicorn").
    A type the model never asks for is a closed list of words ("a", "a dozen", "pint"):
    an unknown word there is more likely a word of the neighbouring slot. A model with
    neither samples for its slots nor a dialog model says nothing either way, so all of
    its types stay open.
    """
    dialog = (model.get("interactionModel") or {}).get("dialog") or {}
    asked = {
        (str(d.get("name")), str(slot.get("name")))
        for d in dialog.get("intents") or []
        for slot in d.get("slots") or []
        if (slot.get("prompts") or {}).get("elicitation")
    }
    typed = {
        (str(i["name"]), str(slot["name"])): str(slot["type"])
        for i in intents
        for slot in i.get("slots") or []
    }
    asked |= {
        (str(i["name"]), str(slot["name"]))
        for i in intents
        for slot in i.get("slots") or []
        if slot.get("samples")
    }
    if not asked:
        return frozenset(typed.values())
    return frozenset(typed[key] for key in asked if key in typed)


def _compile_type(raw: Mapping[str, Any], language: Language) -> _SlotType:
    slot_type = _SlotType(str(raw["name"]))
    for entry in raw.get("values") or []:
        name = entry.get("name") or {}
        value = _Value(str(entry.get("id") or name.get("value")), str(name.get("value", "")))
        for form in (name.get("value", ""), *(name.get("synonyms") or [])):
            words = language.words(str(form))
            if not words:
                continue
            key = " ".join(language.stem(w) for w in words)
            bucket = slot_type.by_stem.setdefault(key, [])
            if value not in bucket:
                bucket.append(value)
            slot_type.forms.append(("".join(words), value))
    return slot_type


def _entity(u: _Utterance, i: int, end: int, values: Sequence[_Value], rate: float) -> _Span:
    # A value made of filler ("a", "some" for a quantity word) earns nothing: skipping
    # those words is free too. It still counts as words explained, so the sample that
    # has a slot for them wins the tie ("add {Amount} {Item}" over "add {Item}").
    gain = sum(u.weights[i:end]) * rate
    matches = tuple((v.id, v.name) for v in values)
    # A value of several words, said as listed ("one more", "a dozen"), is better
    # evidence than the same words split over two slots ("one" + "more").
    matched = (end - i) + _PHRASE * (end - i - 1)
    return _Span(end, gain, " ".join(u.typed[i:end]), matches, ER_MATCH, matched)


def _has_value(spans: list[list[_Span]]) -> bool:
    """True when some span is a real value (a catalog match or a number), not a guess."""
    return any(not span.wildcard for at in spans for span in at)


#: score, words matched exactly, edits (literals dropped or swapped), slots, unknown value used
_Alignment = tuple[float, float, int, dict[str, _Span], bool]


def _align(template: _Template, u: _Utterance) -> _Alignment | None:
    """Best alignment of a template with an utterance.

    An unknown slot value is only believed when the rest of the sample was said:
    if the best alignment both uses one and drops a literal, try again without.
    """
    result = _dp(template, u, allow_wildcard=True)
    if result is not None and result[4] and result[2]:
        result = _dp(template, u, allow_wildcard=False)
    return result


_NEG = float("-inf")
_Step = tuple[int, int, Any]


def _dp(template: _Template, u: _Utterance, *, allow_wildcard: bool) -> _Alignment | None:
    """The alignment itself. ``best[k][i]``: best score using k elements and i words.

    Scores carry tiny tie-breakers (1e-4 per word matched, 1e-6 per slot filled,
    -1e-5 per word skipped inside the sample), far below the smallest real
    difference (0.05): the longest, most contiguous match wins ties.
    """
    elements, joined = template.elements, template.joined
    m, n = len(elements), len(u.tokens)
    # A sample made only of slots ("{Amount} {Item}") is nothing but its values: with one
    # left out it is another sample ("{Item}" alone), which the model doesn't have.
    slots_only = not template.bound_literals
    stems, weights, skips, classes, ujoined = u.stems, u.credits, u.skips, u.classes, u.joined
    best = [[_NEG] * (n + 1) for _ in range(m + 1)]
    back: list[list[_Step | None]] = [[None] * (n + 1) for _ in range(m + 1)]
    best[0][0] = 0.0

    def relax(k: int, i: int, score: float, step: _Step) -> None:
        if score > best[k][i]:
            best[k][i] = score
            back[k][i] = step

    for k in range(m + 1):
        row = best[k]
        elem = elements[k] if k < m else None
        spans = u.spans.get(elem.key) if isinstance(elem, _Slot) else None
        for i in range(n + 1):
            score = row[i]
            if score == _NEG:
                continue
            if i < n:  # the user said something the sample doesn't have
                # (a gap inside the sample loses ties to words before or after it)
                gap = 1e-5 if 0 < k < m else 0.0
                relax(k, i + 1, score + skips[i] - gap, (k, i, "skip"))
            if elem is None:
                continue
            if isinstance(elem, _Lit):
                if i < n:
                    if stems[i] == elem.stem:
                        relax(k + 1, i + 1, score + weights[i] + 1e-4, (k, i, "lit"))
                    elif not elem.cls.isdisjoint(classes[i]):
                        relax(k + 1, i + 1, score + weights[i] * _SUBSTITUTE, (k, i, "sub"))
                    if joined[k] is not None and stems[i] == joined[k]:
                        relax(k + 2, i + 1, score + weights[i] + 9e-5, (k, i, "join"))
                    if i + 1 < n and ujoined[i] == elem.stem:
                        gain = weights[i] + weights[i + 1] + 2e-4
                        relax(k + 1, i + 2, score + gain, (k, i, "split"))
                    after = elements[k + 1] if k + 1 < m else None
                    if (  # two words in the other order: "lösche alles" / "alles löschen"
                        isinstance(after, _Lit)
                        and i + 1 < n
                        and stems[i] == after.stem
                        and stems[i + 1] == elem.stem
                    ):
                        gain = weights[i] + weights[i + 1] - _TRANSPOSE
                        relax(k + 2, i + 2, score + gain, (k, i, "transpose"))
                    # Another word said where this one goes: cheaper than one missing plus
                    # one extra, as in any edit distance.
                    relax(k + 1, i + 1, score + skips[i] - elem.penalty / 2, (k, i, "swap"))
                relax(k + 1, i, score - elem.penalty, (k, i, "miss"))
                continue
            if not slots_only:
                relax(k + 1, i, score - _UNFILLED_SLOT, (k, i, "empty"))
            if spans is None or i >= n:
                continue
            for span in spans[i]:
                if span.wildcard and not allow_wildcard:
                    continue
                relax(k + 1, span.end, score + span.gain + 1e-4 * span.matched + 1e-6, (k, i, span))
    if best[m][n] == _NEG:
        return None
    return _walk_back(back, template, u, m, n)


def _walk_back(
    back: list[list[_Step | None]], template: _Template, u: _Utterance, m: int, n: int
) -> _Alignment:
    """Re-add the winning path's real score (without tie-breakers) and collect its slots."""
    slots: dict[str, _Span] = {}
    score = matched = 0.0
    edits = 0
    wildcard = False
    k, i = m, n
    while k or i:
        step = back[k][i]
        assert step is not None
        pk, pi, action = step
        elem = template.elements[pk] if pk < m else None
        if action == "skip":
            score += u.skips[pi]
        elif action == "lit":
            score += u.credits[pi]
            matched += 1
        elif action == "sub":
            score += u.credits[pi] * _SUBSTITUTE
            matched += 1
        elif action == "join":  # one word said for two written: "checkout", "check out"
            score += u.credits[pi]
            matched += 0.9  # a word as written beats it
        elif action == "split":
            score += u.credits[pi] + u.credits[pi + 1]
            matched += 2
        elif action == "transpose":
            score += u.credits[pi] + u.credits[pi + 1] - _TRANSPOSE
            matched += 2
            edits += 1
        elif action == "miss":
            assert isinstance(elem, _Lit)
            score -= elem.penalty
            edits += 1
        elif action == "swap":
            assert isinstance(elem, _Lit)
            score += u.skips[pi] - elem.penalty / 2
            edits += 1
        elif action == "empty":
            score -= _UNFILLED_SLOT
        else:
            assert isinstance(elem, _Slot) and isinstance(action, _Span)
            slots[elem.name] = action
            score += action.gain
            matched += action.matched
            wildcard = wildcard or action.wildcard
        k, i = pk, pi
    return score, matched, edits, slots, wildcard


# -- invocation --------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Invocation:
    """How an utterance addresses the skill: ``launch``, a ``one-shot`` request, or neither."""

    kind: str | None
    rest: str


LAUNCH = "LaunchRequest"
_WAKE_WORDS = ("alexa", "hey alexa")


def split_invocation(utterance: str, invocation_name: str, locale: str | None = None) -> Invocation:
    """Recognise "open corner shop" (launch) and "ask corner shop to add milk" (one-shot).

    The verbs are the locale's language's (:mod:`skill.simulator.languages`):
    "öffne tante emma" and "tante emma starten" launch in German. The rest of a
    one-shot request keeps the user's spelling.
    """
    language = language_for(locale)
    folded, typed = language.tokenize(utterance)
    words, said = list(folded), list(typed)
    name = list(language.words(invocation_name))
    if not name:
        return Invocation(None, utterance)
    for wake in _WAKE_WORDS:
        prefix = list(language.words(wake))
        if words[: len(prefix)] == prefix:
            words, said = words[len(prefix) :], said[len(prefix) :]
    if words == name:
        return Invocation("launch", "")
    articles: list[list[str]] = [
        [],
        *([a] for a in language.words(" ".join(language.launch_articles))),
    ]
    for verb in (list(language.words(v)) for v in language.launch_verbs):
        if any(words == [*verb, *article, *name] for article in articles):
            return Invocation("launch", "")
    for verb in (list(language.words(v)) for v in language.launch_verbs_after):
        if words == [*name, *verb]:
            return Invocation("launch", "")
    for verb in (list(language.words(v)) for v in language.one_shot_verbs):
        head = len(verb) + len(name)
        if words[:head] == [*verb, *name] and len(words) > head:
            if words[head] in language.one_shot_joiners and len(words) > head + 1:
                head += 1
            return Invocation("one-shot", " ".join(said[head:]))
    return Invocation(None, utterance)


_COMPILED: dict[tuple[str, str], Nlu] = {}
_COMPILING = threading.Lock()


def nlu_for(locale: str, models: ModelSet) -> Nlu:
    """The compiled model of ``models`` for a locale, built once per process."""
    key = (str(models.path_for(locale).resolve()), locale)
    with _COMPILING:
        compiled = _COMPILED.get(key)
        if compiled is None:
            compiled = _COMPILED[key] = Nlu(models.load(locale), locale)
        return compiled
