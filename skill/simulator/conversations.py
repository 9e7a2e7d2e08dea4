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
"""

from __future__ import annotations

import json
import re
import shlex
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import yaml

from skill.config import DEFAULT_LOCALE, Settings
from skill.errors import CornerShopError

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
    "load_tests",
    "matches",
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
            found += sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"})
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
                tests.append(test)
                continue
            for locale in locales:
                name = test.name if len(locales) == 1 else f"{test.name} [{locale}]"
                tests.append(ConversationTest(name, test.file, locale, test.interactions))
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
            elif key in _META_KEYS:
                continue
            else:
                interactions.append(Interaction(_text(key), _assertions(where, position, value)))
    if not interactions:
        raise ConversationFileError(f"{where}: the test {name!r} has no interactions.")
    return ConversationTest(name, path, locale, tuple(interactions))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _assertions(where: str, position: int, value: Any) -> tuple[Assertion, ...]:
    if value is None:
        return ()
    if isinstance(value, str | int | float | bool):
        return (Assertion("prompt", value),)
    if isinstance(value, dict):
        return tuple(Assertion(str(k), v) for k, v in value.items())
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):  # "- help: [you can, try]" is any-of
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
    text = repr(value) if not isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
                turn = _send(sim, interaction.say)
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
                actual = _actual(turn, assertion.key)
                if not matches(actual, assertion.expected):
                    result.failures.append(
                        f"{where}: {assertion.key}: expected {_clip(assertion.expected)}, "
                        f"got {_clip(actual)}"
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
