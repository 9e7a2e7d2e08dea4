"""Conversation tests in YAML: a Bespoken-compatible subset, run through the simulator.

A file holds YAML documents separated by ``---``. An optional first document
``configuration: {locale: en-US}`` sets the locale; every other document is one
test, a list whose first item may be ``- test: name``, followed by interactions::

    ---
    configuration:
      locale: en-US
    ---
    - test: add then list
    - open corner shop: welcome            # a bare value asserts on the prompt
    - add two apples:
      - prompt: Added 2 apples
      - intent: AddItemIntent              # what the NLU understood
      - response.response.shouldEndSession: false
    - AddItemIntent Item=milk Quantity=2:  # an intent sent directly, slots resolved
      - prompt: /added 2 gallons/i         # a /regex/flags
    - LaunchRequest:
      - prompt: [welcome back, welcome to] # a list: any of them
    - AMAZON.StopIntent:
      - sessionEnded: true

Keys: ``prompt``, ``reprompt``, ``cardTitle``, ``cardContent``, ``sessionEnded``,
``intent``, or a JSON path into ``request``/``response`` (the envelopes). As in
Bespoken, a path without that prefix (``response.outputSpeech.ssml``,
``sessionAttributes.pending``) is read from the response envelope. A string
matches as a case-insensitive substring (``*`` is a wildcard), ``/regex/flags``
as a regex search, a list as any of its items, ``undefined`` or null as
"absent"; numbers and booleans compare by value.

Every test runs against a fresh ``memory://`` store and a new simulator. A test
also fails when the skill raises or returns a response Alexa would reject.

**Locales.** A test runs in its file's ``configuration`` locale (else en-US),
or, with ``cornershop test --locale X --locale Y``, once in each locale given.
To write a test once for every locale, avoid literal English and use:

* **Message keys** as expected values: ``prompt: {message: added}`` passes when
  the text contains the running locale's ``added`` message
  (``skill/speech/locales/<locale>.json``), rendered as a pattern: each
  ``{placeholder}`` matches any text, and a message with plural forms matches
  any form. Extra keys pin placeholders: ``{message: added, count: 2}`` picks
  the plural form for 2 and requires "2" where ``{count}`` goes. A list of such
  mappings is any-of, as for strings.
* **Per-locale expectations**: a mapping keyed by locale or language, with
  ``"*"`` for the rest, e.g. ``cardContent: {en-GB: "£", de: "€", "*": "$"}``.
  The most specific key wins (``de-DE``, then ``de``, then ``*``); a locale with
  no entry skips that assertion.
* **Phrasebook utterances**: an utterance ``"@add_two_apples"`` is looked up in
  ``phrases.yaml`` beside the test file, a mapping from phrase name to
  utterances keyed the same way::

      add_two_apples:
        en: add two apples
        en-GB: add two apples to my basket
        de: füge zwei Äpfel hinzu

  (``phrases.yaml`` files are phrasebooks, never tests.) A phrase with no
  utterance for the running locale fails the test, naming the phrase.
* **Only some locales**: ``- locales: [en-GB, de]`` after ``- test: name``
  runs the test only in those locales or languages (en-US sells no crisps);
  elsewhere it is left out, not failed.

``tests/conversations/locales/`` is written this way and runs in every locale;
the other files are en-US conversations with English literals.
"""

from __future__ import annotations

import json
import re
import shlex
import string
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import yaml

from skill.config import DEFAULT_LOCALE, Settings
from skill.errors import CornerShopError
from skill.speech import messages_for, plural_category

__all__ = [
    "ConversationFileError",
    "ConversationTest",
    "Coverage",
    "Interaction",
    "TestResult",
    "coverage",
    "discover",
    "junit_xml",
    "load_file",
    "load_phrasebook",
    "load_tests",
    "localize",
    "matches",
    "message_pattern",
    "run_test",
    "run_tests",
    "summary_line",
]

DEFAULT_PATH = Path("tests/conversations")
SHORTHAND_KEYS = ("prompt", "reprompt", "cardTitle", "cardContent", "sessionEnded", "intent")
_META_KEYS = frozenset({"test", "Test", "tags", "description"})
_INTENT_NAME = re.compile(r"^(?:AMAZON\.)?[A-Za-z][A-Za-z0-9_]*Intent$")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "undefined"})()
#: What a per-locale expectation gives for a locale it has no entry for: not checked.
_NOT_CHECKED: Any = type("_NotChecked", (), {"__repr__": lambda self: "not checked"})()
PHRASEBOOK = "phrases.yaml"
_PHRASEBOOK_NAMES = frozenset({PHRASEBOOK, "phrases.yml"})
_LOCALE_KEY = re.compile(r"^(?:[a-z]{2,3}(?:-[A-Z]{2})?|\*)$")


class ConversationFileError(CornerShopError):
    """A conversation file that cannot be read as tests; the message says where and why."""


class _Loader(yaml.SafeLoader):
    """YAML 1.1 would read ``- yes:`` and ``- no:`` as booleans; utterances need them as text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


# -- the model of a test file ----------------------------------------------------
@dataclass(frozen=True)
class Assertion:
    key: str
    expected: Any


@dataclass(frozen=True)
class Interaction:
    """One thing to say and what to check afterwards."""

    say: str
    assertions: tuple[Assertion, ...] = ()


@dataclass(frozen=True)
class ConversationTest:
    name: str
    file: Path
    locale: str
    interactions: tuple[Interaction, ...]
    #: from "- locales: [en-GB, de]": the locales or languages the test is for (empty: all)
    only: tuple[str, ...] = ()

    def runs_in(self, locale: str) -> bool:
        return not self.only or locale in self.only or locale.split("-")[0] in self.only

    @property
    def label(self) -> str:
        return f"{self.file}: {self.name}"


@dataclass
class TestResult:
    test: ConversationTest
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: (intent, model sample or None) for every utterance the NLU resolved
    exercised: list[tuple[str, str | None]] = field(default_factory=list)

    __test__ = False  # not a pytest class

    @property
    def passed(self) -> bool:
        return not self.failures


def discover(paths: Sequence[str | Path]) -> list[Path]:
    """YAML files under the given files and folders, sorted; folders are searched recursively."""
    found: list[Path] = []
    for raw in paths or [DEFAULT_PATH]:
        path = Path(raw)
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.suffix in {".yaml", ".yml"} and p.name not in _PHRASEBOOK_NAMES
            )
        elif path.is_file():
            found.append(path)
        else:
            raise ConversationFileError(
                f"{path} does not exist. Pass conversation files or folders "
                f"(default: {DEFAULT_PATH})."
            )
    return list(dict.fromkeys(found))


def load_tests(paths: Sequence[str | Path], locales: Sequence[str] = ()) -> list[ConversationTest]:
    """Every test in the files under ``paths``; with ``locales``, each test once per locale."""
    tests: list[ConversationTest] = []
    for path in discover(paths):
        for test in load_file(path):
            if not locales:
                if test.runs_in(test.locale):
                    tests.append(test)
                continue
            for locale in locales:
                if not test.runs_in(locale):
                    continue
                name = test.name if len(locales) == 1 else f"{test.name} [{locale}]"
                tests.append(
                    ConversationTest(name, test.file, locale, test.interactions, test.only)
                )
    return tests


def load_file(path: Path) -> list[ConversationTest]:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConversationFileError(f"{path} cannot be read: {exc}") from exc
    try:
        documents = [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]
    except yaml.YAMLError as exc:
        raise ConversationFileError(f"{path} is not valid YAML: {exc}") from exc
    locale = DEFAULT_LOCALE
    tests: list[ConversationTest] = []
    for number, document in enumerate(documents, 1):
        if isinstance(document, dict) and "configuration" in document:
            config = document["configuration"] or {}
            if not isinstance(config, dict):
                raise ConversationFileError(f"{path}: configuration must be a mapping.")
            locale = str(config.get("locale") or locale)
            continue
        tests.append(_parse_test(path, number, document, locale, len(tests) + 1))
    return tests


def _parse_test(
    path: Path, number: int, document: Any, locale: str, index: int
) -> ConversationTest:
    where = f"{path}, document {number}"
    if not isinstance(document, list):
        raise ConversationFileError(
            f'{where}: a test is a YAML list ("- test: name" then "- utterance: expected"), '
            f"not {type(document).__name__}."
        )
    name = f"test {index}"
    only: tuple[str, ...] = ()
    interactions: list[Interaction] = []
    for position, item in enumerate(document, 1):
        if isinstance(item, str):  # "- open corner shop" with nothing to check
            interactions.append(Interaction(item))
            continue
        if not isinstance(item, dict) or not item:
            raise ConversationFileError(
                f'{where}, item {position}: write each interaction as "- utterance: expected".'
            )
        for key, value in item.items():
            if key in ("test", "Test"):
                name = str(value)
            elif key == "locales":
                values = value if isinstance(value, list) else [value]
                if not values or not all(
                    isinstance(v, str) and _LOCALE_KEY.match(v) for v in values
                ):
                    raise ConversationFileError(
                        f"{where}, item {position}: locales is a list of locales or languages, "
                        f"like [en-GB, de], not {value!r}."
                    )
                only = tuple(values)
            elif key in _META_KEYS:
                continue
            else:
                interactions.append(Interaction(_text(key), _assertions(where, position, value)))
    if not interactions:
        raise ConversationFileError(f"{where}: the test {name!r} has no interactions.")
    for interaction in interactions:
        if interaction.say.startswith("@"):
            phrases = load_phrasebook(path.parent / PHRASEBOOK)
            if interaction.say[1:] not in phrases:
                raise ConversationFileError(
                    f"{where}: {interaction.say} is not in {path.parent / PHRASEBOOK}. Add it "
                    f"there as '{interaction.say[1:]}: {{en: ..., de: ...}}'."
                )
    return ConversationTest(name, path, locale, tuple(interactions), only)


def _is_expected_value(value: Any) -> bool:
    """``{message: key, ...}`` or a per-locale mapping: an expected value, not assertions."""
    return (isinstance(value, dict) and "message" in value) or _is_locale_map(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _assertions(where: str, position: int, value: Any) -> tuple[Assertion, ...]:
    if value is None:
        return ()
    if isinstance(value, str | int | float | bool) or _is_expected_value(value):
        return (Assertion("prompt", value),)
    if isinstance(value, dict):
        return tuple(Assertion(str(k), v) for k, v in value.items())
    if isinstance(value, list):
        # "- help: [you can, try]" and "- help: [{message: a}, {message: b}]" are any-of
        if all(isinstance(v, str) or _is_expected_value(v) for v in value):
            return (Assertion("prompt", value),)
        out: list[Assertion] = []
        for entry in value:
            if isinstance(entry, dict):
                out += [Assertion(str(k), v) for k, v in entry.items()]
            elif isinstance(entry, str | int | float):
                out.append(Assertion("prompt", entry))
            else:
                raise ConversationFileError(
                    f'{where}, item {position}: an assertion is "- key: expected", not {entry!r}.'
                )
        return tuple(out)
    raise ConversationFileError(f"{where}, item {position}: cannot read {value!r} as assertions.")


# -- matching --------------------------------------------------------------------
def matches(actual: Any, expected: Any) -> bool:
    """Bespoken-style matching of one value (see the module docs)."""
    if isinstance(expected, list):
        return any(matches(actual, option) for option in expected)
    if expected is None or expected == "undefined":
        return actual is _MISSING or actual is None
    if actual is _MISSING:
        return False
    if isinstance(expected, re.Pattern):  # a message key, rendered by localize()
        return expected.search(_as_text(actual)) is not None
    if isinstance(expected, bool):
        if isinstance(actual, bool):
            return actual is expected
        return str(actual).strip().lower() == str(expected).lower()
    if isinstance(expected, int | float):
        if isinstance(actual, int | float) and not isinstance(actual, bool):
            return bool(actual == expected)
        return str(actual).strip() == str(expected)
    text = _as_text(actual)
    pattern = str(expected)
    regex = _regex(pattern)
    if regex is not None:
        return regex.search(text) is not None
    if "*" in pattern:
        parts = [re.escape(p) for p in pattern.split("*")]
        return re.search(".*".join(parts), text, re.IGNORECASE | re.DOTALL) is not None
    return pattern.lower() in text.lower()


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def _regex(pattern: str) -> re.Pattern[str] | None:
    if len(pattern) < 2 or not pattern.startswith("/"):
        return None
    end = pattern.rfind("/")
    flags_text = pattern[end + 1 :]
    if end == 0 or not set(flags_text) <= set("imsx"):
        return None
    flags = 0
    for letter in flags_text:
        flags |= {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}[letter]
    try:
        return re.compile(pattern[1:end], flags)
    except re.error as exc:
        raise ConversationFileError(f"{pattern} is not a valid regular expression: {exc}") from exc


def resolve_path(root: Any, path: str) -> Any:
    """``response.response.directives[0].type`` inside nested dicts and lists."""
    current = root
    for name, index in _PATH_PART.findall(path):
        if name:
            if not isinstance(current, dict) or name not in current:
                return _MISSING
            current = current[name]
        else:
            position = int(index)
            if not isinstance(current, list) or position >= len(current):
                return _MISSING
            current = current[position]
    return current


def _actual(turn: Any, key: str) -> Any:
    if key == "prompt":
        return turn.speech
    if key == "reprompt":
        return turn.reprompt
    if key == "cardTitle":
        return turn.card_title if turn.card else _MISSING
    if key in ("cardContent", "cardText"):
        return turn.card_content if turn.card else _MISSING
    if key == "sessionEnded":
        return turn.session_ended
    if key == "intent":
        return turn.intent
    root = {"request": turn.request, "response": turn.response}
    value = resolve_path(root, key) if key.split(".")[0].split("[")[0] in root else _MISSING
    if value is _MISSING and turn.response is not None:  # Bespoken: relative to the response
        value = resolve_path(turn.response, key)
    return value


def _clip(value: Any, limit: int = 160) -> str:
    if isinstance(value, re.Pattern):
        value = f"/{value.pattern}/"
    text = repr(value) if not isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- locales -------------------------------------------------------------------
def _is_locale_map(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) and _LOCALE_KEY.match(k) for k in value)
    )


def _for_locale(mapping: Mapping[str, Any], locale: str) -> Any:
    """The entry for ``de-DE``, else ``de``, else ``*``, else :data:`_NOT_CHECKED`."""
    for key in (locale, locale.split("-")[0], "*"):
        if key in mapping:
            return mapping[key]
    return _NOT_CHECKED


def localize(expected: Any, locale: str) -> Any:
    """An expected value made concrete for one locale (see the module docs).

    Per-locale mappings pick their entry (or ``not checked``); ``{message: key}``
    becomes the compiled :func:`message_pattern`; lists are localized item by item.
    """
    if _is_locale_map(expected):
        return localize(_for_locale(expected, locale), locale)
    if isinstance(expected, dict) and "message" in expected:
        params = {str(k): v for k, v in expected.items() if k != "message"}
        return message_pattern(str(expected["message"]), locale, params)
    if isinstance(expected, list):
        options = [localize(item, locale) for item in expected]
        options = [option for option in options if option is not _NOT_CHECKED]
        return options if options or not expected else _NOT_CHECKED
    return expected


def message_pattern(
    key: str, locale: str, params: Mapping[str, Any] | None = None
) -> re.Pattern[str]:
    """A message of the locale's catalog as a case-insensitive regex.

    Placeholders match any text unless ``params`` gives their value; a message
    with plural forms matches any of them, or with ``count`` in ``params`` the
    form for that count. Whitespace matches any whitespace (cards break lines).
    """
    params = dict(params or {})
    catalog = messages_for(locale)
    try:
        entry = catalog.raw(key)
    except KeyError:
        raise ConversationFileError(
            f"There is no message {key!r} in the {catalog.locale} catalog "
            f"(skill/speech/locales/{catalog.locale}.json). Use one of its keys, "
            f"e.g. {', '.join(sorted(catalog.keys())[:5])}."
        ) from None
    if isinstance(entry, dict):
        if "count" in params:
            try:
                count = int(params["count"])
            except (TypeError, ValueError):
                raise ConversationFileError(
                    f"{{message: {key}, count: {params['count']!r}}}: count must be a whole number."
                ) from None
            forms = [str(entry[plural_category(catalog.language, count)])]
        else:
            forms = list(dict.fromkeys(str(form) for form in entry.values()))
    else:
        forms = [str(entry)]
    pattern = "|".join(f"(?:{_template_regex(form, params)})" for form in forms)
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)


def _template_regex(template: str, params: Mapping[str, Any]) -> str:
    parts: list[str] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        for chunk in re.split(r"(\s+)", literal):
            parts.append(r"\s+" if chunk.isspace() else re.escape(chunk))
        if name is not None:
            parts.append(re.escape(str(params[name])) if name in params else ".+?")
    return "".join(parts)


@lru_cache(maxsize=64)
def load_phrasebook(path: Path) -> dict[str, Any]:
    """``phrases.yaml``: phrase name -> an utterance, or utterances keyed by locale/language."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConversationFileError(
            f"{path} cannot be read ({exc.strerror or exc}); it holds the utterances that "
            '"@name" interactions refer to.'
        ) from exc
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise ConversationFileError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConversationFileError(f"{path} must map phrase names to utterances.")
    for name, entry in data.items():
        if not (isinstance(entry, str) or _is_locale_map(entry)):
            raise ConversationFileError(
                f"{path}: {name} must be an utterance or a mapping like "
                '{en: "add two apples", de: "füge zwei Äpfel hinzu"}.'
            )
    return {str(name): entry for name, entry in data.items()}


def _utterance(test: ConversationTest, say: str) -> str:
    """The words to say: ``say`` itself, or for ``@name`` the phrasebook's, in the test's locale."""
    if not say.startswith("@"):
        return say
    path = test.file.parent / PHRASEBOOK
    entry = load_phrasebook(path).get(say[1:])
    if isinstance(entry, dict):
        entry = _for_locale(entry, test.locale)
    if not isinstance(entry, str):
        raise ConversationFileError(
            f"{path} has no {test.locale} utterance for {say}. Add a {test.locale} or "
            f"{test.locale.split('-')[0]} entry."
        )
    return entry


# -- running -------------------------------------------------------------------
def _send(sim: Any, say: str) -> Any:
    stripped = say.strip()
    if stripped == "LaunchRequest":
        return sim.launch("LaunchRequest")
    if stripped == "SessionEndedRequest":
        return sim.end_session("USER_INITIATED")
    first = stripped.split(" ", 1)[0]
    if _INTENT_NAME.match(first) and first in sim.nlu.intent_slots:
        return sim.send_intent(first, _slot_arguments(stripped[len(first) :]), utterance=stripped)
    return sim.say(say)


def _slot_arguments(text: str) -> dict[str, str]:
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    slots: dict[str, str] = {}
    last: str | None = None
    for word in words:
        name, sep, value = word.partition("=")
        if sep and name:
            slots[name] = value
            last = name
        elif last is not None:  # Item=peanut butter, without quotes
            slots[last] = f"{slots[last]} {word}"
        else:
            raise ConversationFileError(f"{word!r} is not Slot=Value in an intent interaction.")
    return slots


SimulatorFactory = Callable[[ConversationTest], Any]


def _default_factory(settings: Settings) -> SimulatorFactory:
    def make(test: ConversationTest) -> Any:
        from skill.simulator.session import Simulator
        from skill.store.memory import MemoryStore

        return Simulator.build(settings, store=MemoryStore(), locale=test.locale)

    return make


def run_test(test: ConversationTest, factory: SimulatorFactory | None = None) -> TestResult:
    """Run one test in a fresh simulator; failures name the interaction and the assertion."""
    factory = factory or _default_factory(hermetic_settings())
    result = TestResult(test)
    started = time.perf_counter()
    sim = factory(test)
    try:
        for number, interaction in enumerate(test.interactions, 1):
            where = f"interaction {number} {json.dumps(interaction.say, ensure_ascii=False)}"
            try:
                say = _utterance(test, interaction.say)
                if say != interaction.say:
                    where += f" ({json.dumps(say, ensure_ascii=False)})"
                turn = _send(sim, say)
            except CornerShopError as exc:
                result.failures.append(f"{where}: {exc}")
                break
            if turn is None:  # SessionEndedRequest outside a session
                continue
            if turn.nlu is not None:
                result.exercised.append((turn.nlu.intent, turn.nlu.sample))
            for problem in turn.problems:
                result.failures.append(f"{where}: the response is invalid: {problem}")
            for assertion in interaction.assertions:
                try:
                    expected = localize(assertion.expected, test.locale)
                except ConversationFileError as exc:
                    result.failures.append(f"{where}: {assertion.key}: {exc}")
                    continue
                if expected is _NOT_CHECKED:
                    continue
                actual = _actual(turn, assertion.key)
                if not matches(actual, expected):
                    shown = _clip(assertion.expected)
                    if expected is not assertion.expected:
                        shown += f" (in {test.locale}: {_clip(expected)})"
                    result.failures.append(
                        f"{where}: {assertion.key}: expected {shown}, got {_clip(actual)}"
                    )
    finally:
        sim.close()
    result.seconds = time.perf_counter() - started
    return result


def hermetic_settings() -> Settings:
    """Settings for conversation tests: not read from the environment, quiet logs."""
    return Settings(store_url="memory://", log_level="WARNING")


def run_tests(
    tests: Iterable[ConversationTest], factory: SimulatorFactory | None = None
) -> list[TestResult]:
    return [run_test(test, factory) for test in tests]


def summary_line(results: Sequence[TestResult]) -> str:
    passed = sum(1 for r in results if r.passed)
    return f"{passed} passed, {len(results) - passed} failed"


def junit_xml(results: Sequence[TestResult]) -> str:
    """JUnit XML: one testsuite per file, one testcase per test, failures in full."""
    suites = ElementTree.Element("testsuites", name="cornershop conversations")
    by_file: dict[Path, list[TestResult]] = {}
    for result in results:
        by_file.setdefault(result.test.file, []).append(result)
    total_failures = 0
    for path, file_results in by_file.items():
        failures = sum(1 for r in file_results if not r.passed)
        total_failures += failures
        suite = ElementTree.SubElement(
            suites,
            "testsuite",
            name=str(path),
            tests=str(len(file_results)),
            failures=str(failures),
            errors="0",
            skipped="0",
            time=f"{sum(r.seconds for r in file_results):.3f}",
        )
        for result in file_results:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=path.with_suffix("").as_posix().replace("/", "."),
                name=result.test.name,
                file=str(path),
                time=f"{result.seconds:.3f}",
            )
            if result.failures:
                failure = ElementTree.SubElement(case, "failure", message=result.failures[0])
                failure.text = "\n".join(result.failures)
    suites.set("tests", str(len(results)))
    suites.set("failures", str(total_failures))
    suites.set("time", f"{sum(r.seconds for r in results):.3f}")
    ElementTree.indent(suites)
    body = ElementTree.tostring(suites, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


# -- coverage --------------------------------------------------------------------
@dataclass
class Coverage:
    """Which of a model's intents and sample utterances the tests exercised."""

    locale: str
    intents: list[str]
    samples: dict[str, list[str]]
    used_intents: set[str] = field(default_factory=set)
    used_samples: set[tuple[str, str]] = field(default_factory=set)

    @property
    def missing_intents(self) -> list[str]:
        return [i for i in self.intents if i not in self.used_intents]

    @property
    def missing_samples(self) -> list[tuple[str, str]]:
        return [
            (intent, sample)
            for intent in self.intents
            for sample in self.samples.get(intent, [])
            if (intent, sample) not in self.used_samples
        ]

    def report(self) -> list[str]:
        total = sum(len(s) for s in self.samples.values())
        lines = [
            f"coverage ({self.locale}): {len(self.intents) - len(self.missing_intents)}/"
            f"{len(self.intents)} intents, {total - len(self.missing_samples)}/{total} "
            "sample utterances exercised"
        ]
        if self.missing_intents:
            lines.append("intents no test exercised:")
            lines += [f"  {intent}" for intent in self.missing_intents]
        if self.missing_samples:
            lines.append("sample utterances no test exercised:")
            lines += [f"  {intent}: {sample}" for intent, sample in self.missing_samples]
        return lines


def coverage(results: Sequence[TestResult], intents_by_locale: Mapping[str, Any]) -> list[Coverage]:
    """Coverage per locale; ``intents_by_locale`` maps a locale to its compiled :class:`Nlu`."""
    reports = []
    for locale, nlu in intents_by_locale.items():
        report = Coverage(locale, list(nlu.intent_names), dict(nlu.samples))
        for result in results:
            if result.test.locale != locale:
                continue
            for intent, sample in result.exercised:
                report.used_intents.add(intent)
                if sample is not None:
                    report.used_samples.add((intent, sample))
        reports.append(report)
    return reports
