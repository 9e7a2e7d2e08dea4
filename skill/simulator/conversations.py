"""Bespoken (bst) YAML tests, run offline through the simulator, meaning what they mean in bst.

A file holds YAML documents separated by ``---``: an optional first
``configuration:`` document, then one test per document, a list of
interactions. Everything below follows ``bst test``'s unit-test runner
(skill-testing-ml with virtual-alexa); where bst is odd, so is this, because a
file must mean the same in both:

* **Interactions.** ``- utterance: expected`` (a string asserts on ``prompt``,
  ``/regex/flags`` as a regex), ``- utterance`` alone, ``- utterance == value``
  and the other operators in one string, or ``- utterance:`` with a list of
  assertions. ``LaunchRequest`` and ``SessionEndedRequest`` are request types;
  an utterance that is exactly ``IntentName Slot=value Slot2="two words"``
  and names an intent of the model is sent as that intent.
* **Assertions.** ``path: value`` or ``"path OP value"`` with OP one of ``==``,
  ``=~``, ``!=``, ``>``, ``>=``, ``<``, ``<=``. Paths are JSON paths into the
  response envelope, plus ``prompt``/``reprompt`` (the raw SSML or text),
  ``cardTitle``, ``cardContent`` (a Simple card's ``content``), ``cardImageURL``
  and ``sessionEnded`` (``shouldEndSession``). ``==``/``:`` is a case-sensitive
  search where ``*`` is a wildcard; ``/.../`` a regex; a list is any of them;
  ``undefined`` means absent; ``!=`` is "does not contain"; the numeric
  operators compare integers. The first failing assertion ends an interaction,
  and the test goes on with the next one.
* **Elements that are not assertions.** ``- intent: X`` (other keys, or a
  ``slots:`` element, give slots) *sends* intent X instead of the utterance;
  ``request.a.b: v`` *sets* ``a.b`` in every request envelope of the
  interaction before it is sent; ``label: L`` names an interaction for
  ``goto``; ``exit`` ends the test; ``value goto L`` jumps to the interaction
  whose utterance or label is L when the assertion matches (and is no failure
  when it does not). Like bst, goto and exit act only with
  ``asyncMode: false``; a file that uses them without it gets a note.
* **Tests.** ``- test: name`` / ``test.only`` / ``test.skip`` and ``- tags: a, b``
  in the first two items; ``include``/``exclude`` tags (configuration or
  ``--include``/``--exclude``); only-tests run alone in their file.
* **Configuration.** From ``testing.json`` (the nearest in the test's folder or
  above, or ``--config``; ``${VAR}`` replaced from the environment) under the
  file's ``configuration``. ``locale`` or ``locales: de-DE, en-GB`` (a matrix);
  ``userId``, ``deviceId``, ``applicationId``, ``accessToken``,
  ``supportedInterfaces`` (default: AudioPlayer, Display and VideoApp, as in
  bst), ``address`` and ``userProfile`` (served by a local fake of Alexa's
  Device Address and Customer Profile APIs); ``handler`` and ``skillURL``
  choose the target, ``interactionModel`` the model; ``findReplace``
  rewrites the file's text before it is parsed; ``filter`` may name a Python
  module with bst's hooks (``onRequest``, ``onResponse``, ``resolve`` for
  ``{variables}``, ``onTestStart``, ``onTestEnd``); ``ignoreProperties``,
  ``lenientMode``, ``description``. ``locales/<language or locale>.yml`` token
  files beside the tests (or one folder up) localise utterances and values.
* **What cannot run offline** (``type: e2e``/``simulation``, virtual device
  settings, JavaScript filters, ``dynamo: mock``, ``$PAUSE``...) is named in a
  note for the file, never silently ignored; suites of another type or
  platform are skipped with the reason. A document that is no list is
  skipped, as bst skips it, with a note; a file that cannot be read fails
  its own tests only.

**Extensions** (not bst; each has no meaning there): ``nlu.intent`` and
``nlu.slots.<Name>.value``/``.id``/``.status`` assert what the offline NLU
understood, ``sent.…`` paths read the request envelope sent; expected values
``{message: key, count: 2}`` match the target's message catalog in the
running locale, and per-locale mappings ``{en-GB: "£", de: "€", "*": "$"}``
pick an entry (a locale without one skips the assertion); ``"@name"``
utterances come from ``phrases.yaml`` beside the file; ``- locales: [en-GB,
de]`` limits a test to some locales.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import math
import os
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import yaml

from skill.config import DEFAULT_LOCALE
from skill.errors import CornerShopError
from skill.simulator.envelopes import Identity
from skill.simulator.errors import ModelError
from skill.simulator.models import ModelSet
from skill.simulator.targets import ALEXA_TIMEOUT, MessageCatalog, Target, target_from_spec

__all__ = [
    "Assertion",
    "ConversationFileError",
    "ConversationTest",
    "Coverage",
    "Environment",
    "Interaction",
    "Suite",
    "TestResult",
    "coverage",
    "discover",
    "junit_xml",
    "load_file",
    "load_phrasebook",
    "load_suites",
    "load_tests",
    "localize",
    "matches",
    "message_pattern",
    "plan",
    "resolve_path",
    "run_test",
    "run_tests",
    "summary_line",
    "tag_list",
]

DEFAULT_PATH = Path("tests/conversations")
OPERATORS = ("==", "=~", "!=", ">", ">=", "<", "<=")
NUMERIC = (">", ">=", "<", "<=")
_STRING_OPERATORS = (" == ", " =~ ", " != ", " >= ", " <= ", " > ", " < ")
_REQUEST_TYPES = ("LaunchRequest", "SessionEndedRequest")
_INTENT_UTTERANCE = re.compile(r'([\w|.\-]*)((?: \w*=(?:"[^"]*"|[^ ]*))*)')
_SLOT_PAIR = re.compile(r'(\w*)=("[^"]*"|[^ ]*)')
_PATH_PART = re.compile(r"\.\.([^.\[\]]+)|\.?([^.\[\]]+)|\[(\d+|\*|'[^']*'|\"[^\"]*\")\]")
_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "undefined"})()
#: What a per-locale expectation gives for a locale it has no entry for: not checked.
_NOT_CHECKED: Any = type("_NotChecked", (), {"__repr__": lambda self: "not checked"})()
PHRASEBOOK = "phrases.yaml"
_PHRASEBOOK_NAMES = frozenset({PHRASEBOOK, "phrases.yml"})
_LOCALE_KEY = re.compile(r"^(?:[a-z]{2,3}(?:-[A-Z]{2})?|\*)$")
_CONFIG_NAMES = ("testing.json", "skill-testing.json")
_BST_INTERFACES = ("AudioPlayer", "Display", "VideoApp")
_LENIENT = re.compile(r"[-\f\n\r\t\v.()\"',;:!?*^$]")

#: configuration keys this runner acts on
_SUPPORTED_KEYS = frozenset(
    {
        "locale", "locales", "userId", "deviceId", "applicationId", "skillId", "accessToken",
        "supportedInterfaces", "address", "userProfile", "handler", "skillURL",
        "interactionModel", "findReplace", "filter", "ignoreProperties", "lenientMode",
        "description", "include", "exclude", "tags", "asyncMode", "batchEnabled", "type",
        "platform", "configurationPath", "context", "trace",
    }
)  # fmt: skip
#: keys that only mean something against real devices (Bespoken's virtual devices)
_E2E_KEYS = frozenset(
    {
        "virtualDeviceToken", "voiceId", "stt", "asyncE2EWaitInterval", "maxResponseWaitTime",
        "maxAsyncE2EResponseWaitTime", "homophones", "deviceLocation", "retryOn",
        "retryNumber", "ignoreExternalErrors", "stopTestOnFailure", "invocationName",
        "virtualDeviceConfig", "extraParameters", "virtualDeviceBaseURL", "phoneNumber",
        "replyTimeout", "screenMode", "client", "projectId", "bespokenProjectId", "stage",
        "includeRaw", "voiceModel", "finishOnPhrase", "listeningTimeout",
    }
)  # fmt: skip
#: runner settings that have no meaning here (Jest and its reports)
_RUNNER_KEYS = frozenset(
    {"jest", "html", "reporters", "runInBand", "env", "jestPath", "traceOutput", "runId",
     "runTimestamp", "config"}
)  # fmt: skip


class ConversationFileError(CornerShopError):
    """A conversation file that cannot be read as tests; the message says where and why."""


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans only: ``- yes:`` and ``- no:`` are utterances, as in bst's js-yaml."""


# Timestamps stay text too: "2030-01-02T03:04:05Z" is what the user wants in the request.
_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


# -- the model of a test file ----------------------------------------------------
@dataclass(frozen=True)
class Assertion:
    """One check: ``path operator value``; ``original`` is ``":"`` for ``path: value``."""

    path: str
    operator: str = "=="
    value: Any = None
    original: str = ":"
    goto: str | None = None
    exit: bool = False

    @property
    def key(self) -> str:  # the name older callers know the path by
        return self.path

    @property
    def expected(self) -> Any:
        return self.value


@dataclass(frozen=True)
class Interaction:
    """One thing to say, what to change in its requests, and what to check afterwards."""

    say: str
    assertions: tuple[Assertion, ...] = ()
    #: ``request.x.y: value`` elements: set in each request envelope before it is sent
    expressions: tuple[tuple[str, Any], ...] = ()
    #: ``- intent: X``: send this intent instead of understanding the utterance
    intent: str | None = None
    slots: Mapping[str, Any] | None = None
    label: str | None = None
    #: a bare ``- exit`` item: the test ends here
    exit: bool = False


@dataclass(frozen=True)
class ConversationTest:
    name: str
    file: Path
    locale: str
    interactions: tuple[Interaction, ...]
    #: from "- locales: [en-GB, de]": the locales or languages the test is for (empty: all)
    only: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    #: ``test.only`` / ``test.skip``
    solo: bool = False
    skip: bool = False
    #: why the test does not run (set when planning), or None
    skipped: str | None = None
    suite: Suite | None = field(default=None, compare=False, repr=False)

    def runs_in(self, locale: str) -> bool:
        return not self.only or locale in self.only or locale.split("-")[0] in self.only

    @property
    def label(self) -> str:
        return f"{self.file}: {self.name}"


@dataclass
class Suite:
    """One file: its configuration (testing.json under the file's own), tests and notes."""

    file: Path
    configuration: dict[str, Any]
    tests: list[ConversationTest] = field(default_factory=list)
    #: features used that do not run here, documents skipped: printed before the run
    notes: list[str] = field(default_factory=list)
    #: where relative paths in the configuration start (testing.json's folder, else cwd)
    base: Path = field(default_factory=Path.cwd)
    #: the file could not be read: every test of it fails with this
    error: str | None = None
    #: locales/*.yml token files: {language or locale: {token: text}}
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    #: suites of another type or platform are not run, with this reason
    skip_reason: str | None = None

    @property
    def async_mode(self) -> bool:
        """bst's asyncMode: on unless turned off; goto and exit act only when it is off."""
        batch = _truthy(self.configuration.get("batchEnabled", True))
        return batch and _truthy(self.configuration.get("asyncMode", True))

    def locales(self) -> list[str]:
        raw = self.configuration.get("locales") or self.configuration.get("locale")
        if isinstance(raw, list):
            return [str(x).strip() for x in raw if str(x).strip()]
        if raw:
            return [part.strip() for part in str(raw).split(",") if part.strip()]
        return [DEFAULT_LOCALE]

    def token(self, locale: str, key: str) -> str | None:
        for name in (locale, locale.split("-")[0]):
            value = self.tokens.get(name, {}).get(key)
            if value:
                return value
        return None


@dataclass
class Environment:
    """What tests run against: explicit choices (--model, --target) and the project's defaults."""

    models: ModelSet | None = None
    target: Callable[[], Target] | None = None
    default_models: Callable[[], ModelSet] | None = None
    default_target: Callable[[], Target] | None = None
    timeout: float = ALEXA_TIMEOUT
    config: Path | None = None
    include: list[str] | None = None
    exclude: list[str] | None = None


@dataclass
class TestResult:
    test: ConversationTest
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: (intent, model sample or None) for every utterance the NLU resolved
    exercised: list[tuple[str, str | None]] = field(default_factory=list)
    #: the models the test ran with, for coverage
    models: ModelSet | None = None

    __test__ = False  # not a pytest class

    @property
    def skipped(self) -> bool:
        return self.test.skipped is not None

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def verdict(self) -> str:
        return "SKIP" if self.skipped else "PASS" if self.passed else "FAIL"


def tag_list(value: Any) -> list[str] | None:
    """Tags as bst reads them: a list, or a comma-separated string; None when not given."""
    if value is None:
        return None
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "")
    return bool(value)


# -- finding and reading files ---------------------------------------------------
def discover(paths: Sequence[str | Path]) -> list[Path]:
    """YAML files under the given files and folders, sorted; folders are searched recursively.

    Phrasebooks and files in a ``locales`` token folder (``locales/en.yml``) are no tests.
    """
    found: list[Path] = []
    for raw in paths or [DEFAULT_PATH]:
        path = Path(raw)
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.suffix in {".yaml", ".yml"}
                and p.name not in _PHRASEBOOK_NAMES
                and not _is_token_file(p)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise ConversationFileError(
                f"{path} does not exist. Pass conversation files or folders "
                f"(default: {DEFAULT_PATH})."
            )
    return list(dict.fromkeys(found))


def _is_token_file(path: Path) -> bool:
    """``locales/de.yml``: a token file when its name is a language or locale, as bst reads it."""
    return path.parent.name == "locales" and bool(_LOCALE_KEY.match(path.stem))


def _find_config(folder: Path, explicit: Path | None) -> Path | None:
    """``--config``, else the nearest testing.json from the test's folder up to its project root.

    The search stops at the current folder (for tests under it) or at the first folder
    that looks like a project root, so a file outside the project is never picked up.
    """
    if explicit is not None:
        if not explicit.is_file():
            raise ConversationFileError(f"The configuration {explicit} does not exist.")
        return explicit
    here, cwd = folder.resolve(), Path.cwd().resolve()
    for directory in (here, *here.parents):
        for name in _CONFIG_NAMES:
            if (directory / name).is_file():
                return directory / name
        if directory == cwd or any(
            (directory / marker).exists()
            for marker in (".git", "ask-resources.json", "pyproject.toml")
        ):
            break
    return None


def _read_config(path: Path) -> tuple[tuple[str, Any], ...]:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConversationFileError(f"{path} cannot be read: {exc.strerror or exc}") from exc
    text = re.sub(r"\$\{(\w+)\}", lambda m: os.environ.get(m.group(1), ""), text)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConversationFileError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConversationFileError(f"{path} must hold a JSON object of settings.")
    return tuple(data.items())


def _tokens(folder: Path) -> dict[str, dict[str, str]]:
    """bst's locale token files: ``locales/`` beside the test, else one folder up."""
    for directory in (folder / "locales", folder.parent / "locales"):
        if not directory.is_dir():
            continue
        files = [p for p in sorted(directory.iterdir()) if p.is_file()]
        if not files:
            continue
        table: dict[str, dict[str, str]] = {}
        for path in files:
            name = path.name[: -len(".yml")] if path.name.endswith(".yml") else path.name
            entries: dict[str, str] = {}
            with contextlib.suppress(OSError, UnicodeDecodeError):
                for line in path.read_text("utf-8").splitlines():
                    parts = line.split(":")  # bst keeps only the text up to a second colon
                    if len(parts) >= 2 and parts[0].strip() and parts[1].strip():
                        entries[parts[0].strip()] = parts[1].strip()
            table[name] = entries
        return table
    return {}


def load_suites(paths: Sequence[str | Path], env: Environment | None = None) -> list[Suite]:
    """Every file under ``paths`` as a :class:`Suite`; a bad file fails only its own tests."""
    env = env or Environment()
    return [load_suite(path, env) for path in discover(paths)]


def load_suite(path: Path, env: Environment | None = None) -> Suite:
    env = env or Environment()
    config_path = _find_config(path.parent, env.config)
    base_config: dict[str, Any] = dict(_read_config(config_path)) if config_path else {}
    suite = Suite(path, dict(base_config), base=config_path.parent if config_path else Path.cwd())
    suite.tokens = _tokens(path.parent)
    try:
        _parse_file(suite, base_config)
    except ConversationFileError as exc:
        suite.error = str(exc)
    return suite


def load_file(path: Path, env: Environment | None = None) -> list[ConversationTest]:
    """The tests of one file (a file that cannot be read raises :class:`ConversationFileError`)."""
    suite = load_suite(path, env)
    if suite.error:
        raise ConversationFileError(suite.error)
    return suite.tests


def _parse_file(suite: Suite, base_config: Mapping[str, Any]) -> None:
    path = suite.file
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConversationFileError(f"{path} cannot be read: {exc}") from exc
    replacements = base_config.get("findReplace")
    if isinstance(replacements, dict):  # bst: from testing.json, on the raw text, before YAML
        for find, value in replacements.items():
            text = text.replace(str(find), str(value))
    try:
        documents = list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        raise ConversationFileError(f"{path} is not valid YAML: {exc}") from exc
    first = 1
    if len(documents) > 1 and isinstance(documents[0], dict) and "configuration" in documents[0]:
        config = documents[0]["configuration"]
        if not isinstance(config, dict):
            raise ConversationFileError(f"{path}: configuration must be a mapping.")
        suite.configuration.update(config)
        documents = documents[1:]
        first = 2
    _check_configuration(suite)
    names: dict[str, int] = {}
    for number, document in enumerate(documents, first):
        if document is None:
            continue
        if not isinstance(document, list):
            suite.notes.append(
                f"document {number} is {type(document).__name__}, not a list of interactions; "
                "skipped (as bst skips it)"
            )
            continue
        test = _parse_test(suite, number, document, number - first + 1)
        seen = names.get(test.name, 0) + 1
        names[test.name] = seen
        if seen > 1:
            test = replace(test, name=f"{test.name} ({seen})")
        suite.tests.append(test)
    _notes_for_features(suite)


def _check_configuration(suite: Suite) -> None:
    config = suite.configuration
    e2e = sorted(k for k in config if k in _E2E_KEYS)
    if e2e:
        suite.notes.append(
            f"not supported offline (e2e only, virtual devices): {', '.join(e2e)}; ignored"
        )
    runner = sorted(k for k in config if k in _RUNNER_KEYS)
    if runner:
        suite.notes.append(f"bst runner settings with no meaning here: {', '.join(runner)}")
    unknown = sorted(k for k in config if k not in _SUPPORTED_KEYS | _E2E_KEYS | _RUNNER_KEYS)
    if unknown:
        suite.notes.append(f"unsupported configuration keys, ignored: {', '.join(unknown)}")
    kind = str(config.get("type") or "unit")
    platform = str(config.get("platform") or "alexa")
    if kind != "unit":
        suite.skip_reason = (
            f"type: {kind} runs against Bespoken's virtual devices (real Alexa), not offline"
        )
    elif platform != "alexa":
        suite.skip_reason = f"platform: {platform} is not Alexa"
    if config.get("dynamo") == "mock" or "dynamo" in config:
        suite.notes.append(
            "dynamo: mock is virtual-alexa's mock of the JavaScript AWS SDK; not supported "
            "(point a Python skill at moto or a local DynamoDB instead)"
        )
    if config.get("intentSchema") or config.get("sampleUtterances"):
        suite.notes.append(
            "intentSchema/sampleUtterances (the pre-2018 model format) are not supported; "
            "give interactionModel or --model"
        )
    filters = config.get("filter")
    if filters and any(str(f).endswith(".js") for f in _as_list(filters)):
        suite.notes.append("JavaScript filters cannot run here; write the filter as a .py module")
    if config.get("trace"):
        suite.notes.append("trace: see the envelopes with `cornershop simulate --json` instead")
    if _truthy(config.get("lenientMode", False)):
        suite.notes.append("lenientMode: punctuation and extra spaces are ignored in comparisons")


def _notes_for_features(suite: Suite) -> None:
    uses_flow = any(
        i.exit or i.label or any(a.goto or a.exit for a in i.assertions)
        for test in suite.tests
        for i in test.interactions
    )
    if uses_flow and suite.async_mode:
        suite.notes.append(
            "uses goto/exit/label, which bst (and so this runner) ignores while asyncMode is "
            "on, its default; set asyncMode: false in the configuration to use them"
        )
    if any(i.say.startswith("$PAUSE") for t in suite.tests for i in t.interactions):
        suite.notes.append("$PAUSE is an e2e pause; sent here as an utterance would be")
    for test in suite.tests:
        if not test.interactions:
            suite.notes.append(f"{test.name!r} has no interactions; bst counts it as passed")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _parse_test(suite: Suite, number: int, document: list[Any], index: int) -> ConversationTest:
    where = f"{suite.file}, document {number}"
    name = f"Test {index}"
    solo = skip = False
    tags: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    interactions: list[Interaction] = []
    for position, item in enumerate(document, 1):
        key = next(iter(item), None) if isinstance(item, dict) and item else None
        if position <= 2 and key in ("test", "test.only", "test.skip"):
            value = item[key]
            if isinstance(value, dict):
                value = value.get("description")
            name = str(value) if value is not None else name
            solo, skip = key == "test.only", key == "test.skip"
            continue
        if position <= 2 and key == "tags":
            tags = tuple(tag_list(item[key]) or ()) if isinstance(item[key], str) else ()
            continue
        if key == "locales":  # extension: "- locales: [en-GB, de]"
            values = item[key] if isinstance(item[key], list) else [item[key]]
            if not values or not all(isinstance(v, str) and _LOCALE_KEY.match(v) for v in values):
                raise ConversationFileError(
                    f"{where}, item {position}: locales is a list of locales or languages, "
                    f"like [en-GB, de], not {item[key]!r}."
                )
            only = tuple(values)
            continue
        interactions.append(_parse_interaction(f"{where}, item {position}", item))
        if isinstance(item, dict) and len(item) > 1:
            suite.notes.append(
                f"{where}, item {position}: only the first key of an interaction counts in bst; "
                f"{', '.join(map(str, list(item)[1:]))} ignored — write each as its own item"
            )
    for interaction in interactions:
        if interaction.say.startswith("@"):
            phrases = load_phrasebook(suite.file.parent / PHRASEBOOK)
            if interaction.say[1:] not in phrases:
                raise ConversationFileError(
                    f"{where}: {interaction.say} is not in {suite.file.parent / PHRASEBOOK}. "
                    f"Add it there as '{interaction.say[1:]}: {{en: ..., de: ...}}'."
                )
    return ConversationTest(
        name, suite.file, DEFAULT_LOCALE, tuple(interactions), only, tags, solo, skip, None, suite
    )


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parse_interaction(where: str, item: Any) -> Interaction:
    if isinstance(item, dict):
        if not item:
            raise ConversationFileError(
                f'{where}: write each interaction as "- utterance: expected".'
            )
        say = _text(next(iter(item)))
        elements = item[next(iter(item))]
        if isinstance(elements, list):
            return _with_elements(where, say, elements)
        if _is_extension_value(elements) or (elements not in (None, "", 0, False)):
            if isinstance(elements, dict) and not _is_extension_value(elements):
                raise ConversationFileError(
                    f"{where}: {say!r} maps to a mapping; write its assertions as a list "
                    '("- prompt: ...", "- cardTitle: ..."), as bst reads them.'
                )
            operator = "=~" if isinstance(elements, str) and elements.startswith("/") else "=="
            return Interaction(say, (_assertion(where, "prompt", operator, elements, ":"),))
        return Interaction(say)
    if isinstance(item, str | int | float):
        text = _text(item)
        if text.strip() == "exit":
            return Interaction("exit", exit=True)
        say, assertion = _string_assertion(where, text, utterance=True)
        return Interaction(say, (assertion,) if assertion else ())
    raise ConversationFileError(f'{where}: write each interaction as "- utterance: expected".')


def _with_elements(where: str, say: str, elements: list[Any]) -> Interaction:
    assertions: list[Assertion] = []
    expressions: list[tuple[str, Any]] = []
    intent: str | None = None
    slots: dict[str, Any] | None = None
    label: str | None = None
    for element in elements:
        if isinstance(element, str | int | float) and not isinstance(element, bool):
            _said, assertion = _string_assertion(where, _text(element), utterance=False)
            if assertion is not None:
                assertions.append(assertion)
            continue
        if not isinstance(element, dict) or not element:
            raise ConversationFileError(
                f'{where}: an assertion is "- key: expected" or "- key OP expected", '
                f"not {element!r}."
            )
        first = str(next(iter(element)))
        if element.get("intent"):
            intent = _text(element["intent"])
            slots = {str(k): _clean(v) for k, v in element.items() if k != "intent"}
        elif element.get("slots"):
            raw = element["slots"]
            if not isinstance(raw, dict):
                raise ConversationFileError(f"{where}: slots must map slot names to values.")
            slots = {str(k): _clean(v) for k, v in raw.items()}
        elif element.get("label"):
            label = _text(element["label"])
        elif first.startswith(("request", "set ")):
            expressions.append((first, _clean(element[first])))
        else:
            value = element[first]
            operator = "=="
            if (isinstance(value, str) and value.strip().startswith("/")) or (
                isinstance(value, list)
                and any(isinstance(v, str) and v.strip().startswith("/") for v in value)
            ):
                operator = "=~"
            assertions.append(_assertion(where, first, operator, value, ":"))
    return Interaction(say, tuple(assertions), tuple(expressions), intent, slots, label)


def _string_assertion(where: str, text: str, *, utterance: bool) -> tuple[str, Assertion | None]:
    """bst's one-string syntax: ``path OP value``, or ``utterance OP value`` at the top level."""
    if text.strip() == "exit":
        return "", Assertion("exit", exit=True)
    if not utterance and " " not in text:
        raise ConversationFileError(f"{where}: invalid assertion {text!r}; write path: value.")
    operator = next((op for op in _STRING_OPERATORS if op in text), None)
    if operator is None and not utterance:
        parts = text.split()
        operator = f" {parts[1]} " if len(parts) > 1 else None
    if operator is None:
        return text, None
    pieces = text.split(operator)
    head, value_text = pieces[0].strip(), pieces[1].strip() if len(pieces) > 1 else ""
    # bst reads "a - b" as the list [a, b] (YAML lists do not survive inside a string)
    parts = [p.strip() for p in value_text.split("-") if p.strip()]
    value: Any = parts if len(parts) > 1 else value_text
    path = "prompt" if utterance else head
    return (head if utterance else ""), _assertion(
        where, path, operator.strip(), value, operator.strip()
    )


def _assertion(where: str, path: str, operator: str, value: Any, original: str) -> Assertion:
    goto = None
    if isinstance(value, str) and " goto " in value:
        match = re.match(r"(.*) goto (.*)", value, re.IGNORECASE | re.DOTALL)
        if match is not None:
            value, goto = match.group(1), _clean_string(match.group(2).strip())
    if operator not in OPERATORS:
        raise ConversationFileError(f"{where}: invalid operator {operator!r} in {path}.")
    cleaned = _clean(value)
    if operator in NUMERIC and _js_number(cleaned) is None:
        raise ConversationFileError(f"{where}: {path} {operator} needs a number, not {value!r}.")
    if not _valid_path(path):
        raise ConversationFileError(f"{where}: {path!r} is not a valid JSON path.")
    return Assertion(path.strip(), operator, cleaned, original, goto)


def _clean_string(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value == "undefined":
        return _MISSING
    if value == "null":
        return None
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return value[1:-1]
    return value


def _clean(value: Any) -> Any:
    """bst's ``Util.cleanValue``: "true"/"false" are booleans, "undefined" is absent, quotes go."""
    if isinstance(value, str):
        if value in ("true", "false"):
            return value == "true"
        return _clean_string(value)
    if isinstance(value, list):
        return [_clean_string(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def _valid_path(path: str) -> bool:
    text = path.strip()
    if not text or (text.startswith(".") and not text.startswith("..")):
        return False
    consumed = "".join(m.group(0) for m in _PATH_PART.finditer(text.removeprefix("$")))
    return consumed == text.removeprefix("$")


# -- values: paths, JS coercions, matching ----------------------------------------
def resolve_path(root: Any, path: str) -> Any:
    """A JSON path (``response.directives[0].type``, ``a['b c']``, ``a[*].b``, ``..type``)."""
    text = path.strip().removeprefix("$")
    nodes: list[Any] = [root]
    for match in _PATH_PART.finditer(text):
        deep, name, index = match.groups()
        following: list[Any] = []
        for node in nodes:
            if deep is not None:
                following += _descendants(node, deep)
            elif name is not None:
                if name == "*":
                    following += list(node.values()) if isinstance(node, dict) else []
                    following += node if isinstance(node, list) else []
                elif isinstance(node, dict) and name in node:
                    following.append(node[name])
            elif index == "*":
                following += list(node) if isinstance(node, list) else []
                following += list(node.values()) if isinstance(node, dict) else []
            elif index is not None and index[0] in "'\"":
                if isinstance(node, dict) and index[1:-1] in node:
                    following.append(node[index[1:-1]])
            elif index is not None and isinstance(node, list) and int(index) < len(node):
                following.append(node[int(index)])
        nodes = following
        if not nodes:
            return _MISSING
    return nodes[0] if nodes else _MISSING


def _descendants(node: Any, name: str) -> list[Any]:
    found: list[Any] = []
    stack = [node]
    while stack:
        current = stack.pop(0)
        if isinstance(current, dict):
            if name in current:
                found.append(current[name])
            stack += list(current.values())
        elif isinstance(current, list):
            stack += current
    return found


def _js_string(value: Any) -> str:
    """``String(value)`` as JavaScript writes it (what bst compares against)."""
    if value is _MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, list):
        return ",".join("" if v is None or v is _MISSING else _js_string(v) for v in value)
    return str(value)


def _js_number(value: Any) -> float | None:
    """``Number(value)``; None where JavaScript would give NaN."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return None
    return None


def _js_parse_int(value: Any) -> int | None:
    match = re.match(r"\s*([+-]?\d+)", _js_string(value))
    return int(match.group(1)) if match else None


def _js_flags(flags: str, ignore_case: bool) -> int:
    value = re.IGNORECASE if "i" in flags or ignore_case else 0
    value |= re.MULTILINE if "m" in flags else 0
    value |= re.DOTALL if "s" in flags else 0
    return value


def _lenient(text: str) -> str:
    return " ".join(_LENIENT.sub(" ", text).split())


def _string_match(expected: Any, actual: Any, *, ignore_case: bool, lenient: bool) -> bool:
    """bst's ``evaluateString``: a search where ``*`` is a wildcard and + ^ $ ? are literal."""
    pattern, text = _js_string(expected), _js_string(actual)
    if lenient:
        pattern, text = re.escape(_lenient(pattern)), _lenient(text)
    else:
        pattern = pattern.strip().replace("*", "(.|\n)*")
        for char in "+^$?":
            pattern = pattern.replace(char, "\\" + char)
    try:
        return re.search(pattern, text, re.IGNORECASE if ignore_case else 0) is not None
    except re.error as exc:
        raise ConversationFileError(
            f"{_js_string(expected)!r} is read as a regular expression in bst (only * + ^ $ ? "
            f"are taken literally) and is not a valid one: {exc}. Escape it, or use =~ /.../."
        ) from exc


def _regex_match(expected: Any, actual: Any, *, ignore_case: bool) -> bool:
    """bst's ``evaluateRegex``: ``/pattern/flags`` (or the bare pattern) searched in the value."""
    pattern, flags = _js_string(expected), ""
    if pattern.startswith("/"):
        body = pattern[1:]
        end = body.rfind("/")
        pattern, flags = (body[:end], body[end + 1 :]) if end >= 0 else (body, "")
    try:
        return re.search(pattern, _js_string(actual), _js_flags(flags, ignore_case)) is not None
    except re.error:
        return False  # bst catches the SyntaxError and fails the assertion


def matches(
    actual: Any,
    expected: Any,
    operator: str = "==",
    *,
    original: str = ":",
    ignore_case: bool = False,
    lenient: bool = False,
) -> bool:
    """One assertion, evaluated as bst's ``Assertion.evaluate`` does (see the module docs)."""
    if operator in ("==", "=~"):
        if expected is _MISSING:
            return actual is _MISSING
        if actual is _MISSING:
            return False
        options = expected if isinstance(expected, list) else [expected]
        for option in options:
            if isinstance(option, re.Pattern):  # a message key: the words as heard
                from skill.simulator.session import speech_text

                text = _js_string(actual)
                if option.search(text) or option.search(speech_text(text)):
                    return True
                continue
            regex = operator == "=~" or (isinstance(option, str) and option.startswith("/"))
            if original != ":":
                regex = operator == "=~"
            if regex:
                if _regex_match(option, actual, ignore_case=ignore_case):
                    return True
            elif _string_match(option, actual, ignore_case=ignore_case, lenient=lenient):
                return True
        return False
    if operator in NUMERIC:
        if _js_number(actual) is None:
            return False
        want, got = _js_parse_int(expected), _js_parse_int(actual)
        if want is None or got is None:
            return False
        return {">": got > want, ">=": got >= want, "<": got < want, "<=": got <= want}[operator]
    if operator == "!=":
        if expected is _MISSING:
            return actual is not _MISSING
        if actual is _MISSING:
            return True
        text = _js_string(actual)
        if ignore_case:
            text = text.lower()
        options = expected if isinstance(expected, list) else [expected]
        for option in options:
            wanted = _js_string(option)
            if ignore_case:
                wanted = wanted.lower()
            if text and wanted in text:
                return False
        return True
    raise ConversationFileError(f"Operator {operator} is not one bst knows.")


# -- locales: token files, message keys, per-locale expectations -------------------
def _is_locale_map(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) and _LOCALE_KEY.match(k) for k in value)
    )


def _is_extension_value(value: Any) -> bool:
    """``{message: key, ...}`` or a per-locale mapping: an expected value, not assertions."""
    return (isinstance(value, dict) and "message" in value) or _is_locale_map(value)


def _for_locale(mapping: Mapping[str, Any], locale: str) -> Any:
    """The entry for ``de-DE``, else ``de``, else ``*``, else :data:`_NOT_CHECKED`."""
    for key in (locale, locale.split("-")[0], "*"):
        if key in mapping:
            return mapping[key]
    return _NOT_CHECKED


def localize(expected: Any, locale: str, catalog: MessageCatalog | None = None) -> Any:
    """An expected value made concrete for one locale (see the module docs).

    Per-locale mappings pick their entry (or ``not checked``); ``{message: key}``
    becomes the compiled :func:`message_pattern`; lists are localized item by item.
    """
    if _is_locale_map(expected):
        return localize(_clean(_for_locale(expected, locale)), locale, catalog)
    if isinstance(expected, dict) and "message" in expected:
        params = {str(k): v for k, v in expected.items() if k != "message"}
        return message_pattern(str(expected["message"]), locale, params, catalog)
    if isinstance(expected, list):
        options = [localize(item, locale, catalog) for item in expected]
        options = [option for option in options if option is not _NOT_CHECKED]
        return options if options or not expected else _NOT_CHECKED
    return expected


def message_pattern(
    key: str,
    locale: str,
    params: Mapping[str, Any] | None = None,
    catalog: MessageCatalog | None = None,
) -> re.Pattern[str]:
    """A message of the target's catalog as a case-insensitive regex.

    Placeholders match any text unless ``params`` gives their value; a message
    with plural forms matches any of them, or with ``count`` in ``params`` the
    form for that count. Whitespace matches any whitespace (cards break lines).
    Without a ``catalog``, this project's skill's catalog is used.
    """
    params = dict(params or {})
    if catalog is None:
        from skill.simulator.commands import corner_shop_messages

        catalog = corner_shop_messages(locale)
    try:
        entry = catalog.raw(key)
    except KeyError:
        raise ConversationFileError(
            f"There is no message {key!r} in the {catalog.locale} catalog. Use one of its "
            f"keys, e.g. {', '.join(sorted(catalog.keys())[:5])}."
        ) from None
    if isinstance(entry, Mapping):
        if "count" in params:
            try:
                count = int(params["count"])
            except (TypeError, ValueError):
                raise ConversationFileError(
                    f"{{message: {key}, count: {params['count']!r}}}: count must be a whole number."
                ) from None
            forms = [str(entry[catalog.plural_category(count)])]
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


def _localized_words(suite: Suite | None, locale: str, text: str) -> str:
    """bst's ``replaceLocalizedValues``: each word that is a token becomes its text."""
    if suite is None or not suite.tokens:
        return text
    return " ".join(suite.token(locale, word) or word for word in text.split(" "))


def _localized_value(suite: Suite | None, locale: str, value: Any) -> Any:
    if suite is None or not suite.tokens:
        return value
    if isinstance(value, str):
        words = _localized_words(suite, locale, value)
        return suite.token(locale, words) or words
    if isinstance(value, list):
        return [_localized_value(suite, locale, item) for item in value]
    return value


# -- planning: locales, only, skip, tags ---------------------------------------------
def load_tests(
    paths: Sequence[str | Path], locales: Sequence[str] = (), env: Environment | None = None
) -> list[ConversationTest]:
    """Every test to run under ``paths`` (skipped ones left out), once per locale."""
    env = env or Environment()
    return [t for t in plan(load_suites(paths, env), locales, env) if t.skipped is None]


def plan(
    suites: Sequence[Suite], locales: Sequence[str] = (), env: Environment | None = None
) -> list[ConversationTest]:
    """The tests of each suite per locale, marked skipped as bst would (only, skip, tags)."""
    env = env or Environment()
    planned: list[ConversationTest] = []
    for suite in suites:
        if suite.error is not None:
            broken = ConversationTest("(file)", suite.file, DEFAULT_LOCALE, (), suite=suite)
            planned.append(broken)
            continue
        chosen = list(locales) or suite.locales()
        for locale in chosen:
            marked = _skips(suite, env)
            for test in suite.tests:
                if not test.runs_in(locale):
                    continue
                name = test.name if len(chosen) == 1 else f"{test.name} [{locale}]"
                planned.append(replace(test, name=name, locale=locale, skipped=marked[id(test)]))
    return planned


def _skips(suite: Suite, env: Environment) -> dict[int, str | None]:
    """Why each test of a suite does not run (None: it runs), following bst's rules."""
    reasons: dict[int, str | None] = {id(t): None for t in suite.tests}
    if suite.skip_reason:
        return {key: suite.skip_reason for key in reasons}
    for test in suite.tests:
        if test.skip:
            reasons[id(test)] = "test.skip"
    include = (
        env.include if env.include is not None else tag_list(suite.configuration.get("include"))
    )
    exclude = (
        env.exclude if env.exclude is not None else tag_list(suite.configuration.get("exclude"))
    )
    include, exclude = include or [], exclude or []
    only = {id(t): t.solo for t in suite.tests}
    if include or exclude:
        suite_tags = tag_list(suite.configuration.get("tags")) or []
        included: dict[int, bool] = {}
        for test in suite.tests:
            tags = list(test.tags)
            if any(t in exclude for t in tags) or any(t in exclude for t in suite_tags):
                reasons[id(test)] = reasons[id(test)] or f"excluded tag ({', '.join(exclude)})"
                included[id(test)] = False
            else:
                included[id(test)] = (
                    not include
                    or any(t in include for t in tags)
                    or any(t in include for t in suite_tags)
                )
        any_only = any(only[id(t)] and included[id(t)] for t in suite.tests)
        for test in suite.tests:
            wanted = included[id(test)] and (only[id(test)] or not any_only)
            if wanted:
                only[id(test)] = True
            else:
                reasons[id(test)] = reasons[id(test)] or (
                    f"not tagged {', '.join(include)}" if include else "test.only elsewhere"
                )
    if any(only.values()):
        for test in suite.tests:
            if not only[id(test)]:
                reasons[id(test)] = reasons[id(test)] or "another test is test.only"
    return reasons


# -- running ----------------------------------------------------------------------
def hermetic_settings() -> Any:
    """Settings for this project's skill in tests (kept here for older callers)."""
    from skill.simulator.commands import hermetic_settings as settings

    return settings()


def _env_defaults(env: Environment) -> Environment:
    """``env`` with this project's models and skill as the defaults, where it names none."""
    if env.default_models is not None and env.default_target is not None:
        return env
    from skill.simulator import commands

    return replace(
        env,
        default_models=env.default_models or commands.project_models,
        default_target=env.default_target or commands.corner_shop_test_target,
    )


def _suite_models(suite: Suite | None, env: Environment, locale: str) -> tuple[ModelSet, bool]:
    """The models for a suite, and whether they are the project's own.

    ``--model``, else ``interactionModel`` (a file or folder, relative to testing.json),
    else, when the configuration names the skill (``handler``/``skillURL``), the models
    beside it as ask-cli and bst lay them out; else the project's own.
    """
    if env.models is not None:
        return env.models, False
    config = suite.configuration if suite is not None else {}
    base = suite.base if suite is not None else Path.cwd()
    configured = config.get("interactionModel")
    if configured:
        path = Path(str(configured))
        return ModelSet.find(path if path.is_absolute() else base / path), False
    if config.get("handler") or config.get("skillURL"):
        for place in (base / "models", base / "skill-package", base.parent / "skill-package",
                      base.parent / "models"):  # fmt: skip
            if place.is_dir():
                with contextlib.suppress(ModelError):
                    return ModelSet.find(place), False
    assert env.default_models is not None
    return env.default_models(), True


def _suite_target(suite: Suite | None, env: Environment, own_models: bool) -> Target:
    if env.target is not None:
        return env.target()
    config = suite.configuration if suite else {}
    url = config.get("skillURL")
    handler = config.get("handler")
    if url:
        return target_from_spec(str(url), timeout=env.timeout)
    if handler:
        spec = str(handler)
        if spec.endswith((".js", ".ts")) or (
            ":" not in spec
            and not (suite.base / (spec.rpartition(".")[0] + ".py")).is_file()  # type: ignore[union-attr]
            and (suite.base / (spec.rpartition(".")[0] + ".js")).is_file()  # type: ignore[union-attr]
        ):
            raise ConversationFileError(
                f"handler {spec!r} is JavaScript; this runner imports Python handlers. Run the "
                "skill behind an HTTP endpoint and give skillURL, or use --target."
            )
        return target_from_spec(spec, timeout=env.timeout, base=suite.base if suite else None)
    if not own_models:
        raise ConversationFileError(
            "the tests use another skill's interaction model, but nothing says where that skill "
            "runs: set handler (a Python module:function) or skillURL in the configuration, "
            "or pass --target."
        )
    assert env.default_target is not None
    return env.default_target()


def _identity(suite: Suite | None, api_endpoint: str | None) -> Identity:
    config = suite.configuration if suite else {}
    interfaces: tuple[str, ...] = _BST_INTERFACES
    if config.get("supportedInterfaces"):
        interfaces = tuple(tag_list(config["supportedInterfaces"]) or ())
    identity = Identity(interfaces=interfaces)
    changes: dict[str, Any] = {}
    if config.get("userId"):
        changes["user_id"] = _text(config["userId"])
    if config.get("deviceId"):
        changes["device_id"] = _text(config["deviceId"])
    skill_id = config.get("applicationId") or config.get("skillId")
    if skill_id:
        changes["skill_id"] = _text(skill_id)
    if config.get("accessToken"):
        changes["access_token"] = _text(config["accessToken"])
    if api_endpoint:
        changes["api_endpoint"] = api_endpoint
    return replace(identity, **changes)


class _Filters:
    """bst's filter hooks from Python modules (``filter: filters.py`` or a list of them)."""

    def __init__(self, suite: Suite | None) -> None:
        self.modules: list[Any] = []
        config = suite.configuration if suite else {}
        for raw in _as_list(config.get("filter")) if config.get("filter") else []:
            if str(raw).endswith(".js"):
                continue
            path = Path(str(raw))
            path = path if path.is_absolute() else suite.base / path  # type: ignore[union-attr]
            self.modules.append(_load_filter(path))

    def call(self, hook: str, *args: Any) -> Any:
        result = None
        for module in self.modules:
            function = getattr(module, hook, None)
            if callable(function):
                value = function(*args)
                if result is None and value is not None:
                    result = value
        return result

    def has(self, hook: str) -> bool:
        return any(callable(getattr(m, hook, None)) for m in self.modules)


@lru_cache(maxsize=32)
def _load_filter(path: Path) -> Any:
    if not path.is_file():
        raise ConversationFileError(f"The filter module {path} does not exist.")
    spec = importlib.util.spec_from_file_location(f"_bst_filter_{abs(hash(path))}", path)
    if spec is None or spec.loader is None:
        raise ConversationFileError(f"The filter {path} cannot be imported.")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ConversationFileError(f"Importing the filter {path} failed: {exc}") from exc
    return module


def _apply_expression(envelope: dict[str, Any], path: str, value: Any) -> None:
    """bst's ``Expression.apply``: drop the first segment, then lodash ``_.set`` the rest."""
    rest = path.split(".")[1:]
    if not rest:
        return
    keys: list[str | int] = []
    for part in ".".join(rest).replace("]", "").replace("[", ".").split("."):
        if part:
            keys.append(int(part) if part.isdigit() else part)
    node: Any = envelope
    for key, after in zip(keys, [*keys[1:], None], strict=True):
        if after is None:
            if isinstance(node, list) and isinstance(key, int):
                node.extend([None] * (key + 1 - len(node)))
            node[key] = None if value is _MISSING else value
            return
        if isinstance(node, list) and isinstance(key, int):
            node.extend([None] * (key + 1 - len(node)))
            if not isinstance(node[key], dict | list):
                node[key] = [] if isinstance(after, int) else {}
        elif not isinstance(node.get(key), dict | list):
            node[key] = [] if isinstance(after, int) else {}
        node = node[key]


def _shorthand(turn: Any) -> dict[str, Any] | None:
    """The response envelope plus bst's fields: prompt, reprompt, card..., sessionEnded."""
    response = turn.response if turn is not None else None
    if not isinstance(response, dict):
        return None
    json_: dict[str, Any] = dict(response)
    raw_body = response.get("response")
    body: dict[str, Any] = raw_body if isinstance(raw_body, dict) else {}
    speech = body.get("outputSpeech") or {}
    reprompt = (body.get("reprompt") or {}).get("outputSpeech") or {}
    raw_card = body.get("card")
    card: dict[str, Any] = raw_card if isinstance(raw_card, dict) else {}

    def said(node: Mapping[str, Any]) -> Any:
        if not isinstance(node, dict):
            return _MISSING
        return node["ssml"] if "ssml" in node else node.get("text", _MISSING)

    shown = {
        "prompt": said(speech),
        "reprompt": said(reprompt),
        "cardTitle": card.get("title", _MISSING),
        "cardContent": card.get("content", _MISSING),
        "cardImageURL": (card.get("image") or {}).get("largeImageUrl", _MISSING),
        "sessionEnded": body.get("shouldEndSession", _MISSING),
    }
    for key, value in shown.items():
        if value is _MISSING:
            json_.pop(key, None)
        else:
            json_[key] = value
    return json_


def _actual(turn: Any, path: str) -> Any:
    root = path.split(".")[0].split("[")[0]
    if root == "nlu":  # extension: what the offline NLU understood
        nlu = turn.nlu if turn is not None else None
        facts: dict[str, Any] = {"intent": turn.intent if turn is not None else None}
        if nlu is not None:
            facts["confidence"] = nlu.confidence
            facts["sample"] = nlu.sample
            facts["slots"] = {
                name: {"value": s.value, "id": s.id, "status": s.status}
                | ({"values": [v.value for v in s.items]} if s.items else {})
                for name, s in nlu.slots.items()
            }
        return resolve_path({"nlu": facts}, path)
    if root == "sent":  # extension: the request envelope that was sent
        request = turn.request if turn is not None else None
        return resolve_path({"sent": request}, path) if request is not None else _MISSING
    json_ = _shorthand(turn)
    return resolve_path(json_, path) if json_ is not None else _MISSING


def _clip(value: Any, limit: int = 160) -> str:
    if isinstance(value, re.Pattern):
        value = f"/{value.pattern}/"
    if value is _MISSING:
        return "undefined"
    text = repr(value) if not isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _send(sim: Any, interaction: Interaction, say: str, slots: Mapping[str, Any] | None) -> Any:
    stripped = say.strip()
    if interaction.intent is not None:
        return sim.send_intent(interaction.intent, _slot_texts(slots), utterance=stripped)
    if stripped == "LaunchRequest":
        return sim.launch("LaunchRequest")
    if stripped == "SessionEndedRequest":
        return sim.end_session("USER_INITIATED")
    if stripped.startswith("AudioPlayer.") or stripped == "Display.ElementSelected":
        raise ConversationFileError(
            f"{stripped} requests are not supported by this runner yet; test that turn in bst."
        )
    match = _INTENT_UTTERANCE.fullmatch(say)
    if match and match.group(1) in sim.nlu.intent_slots:
        pairs = {k: v.replace('"', "") for k, v in _SLOT_PAIR.findall(match.group(2))}
        return sim.send_intent(match.group(1), pairs, utterance=stripped)
    return sim.say(say)


def _slot_texts(slots: Mapping[str, Any] | None) -> dict[str, str]:
    return {
        name: _js_string(value) for name, value in (slots or {}).items() if value is not _MISSING
    }


@contextlib.contextmanager
def _apis(suite: Suite | None) -> Iterator[str | None]:
    """The fake Alexa APIs (address, customer profile), as bst mocks them for every test.

    Unset, they answer 403 (no permission), as bst's address mock does; so a skill's
    call to ``apiEndpoint`` never leaves the machine.
    """
    config = suite.configuration if suite else {}
    from skill.simulator.alexa_apis import AlexaApis

    try:
        apis = AlexaApis(address=config.get("address"), profile=config.get("userProfile"))
    except ValueError as exc:
        raise ConversationFileError(str(exc)) from exc
    with apis:
        yield apis.url


def run_test(
    test: ConversationTest,
    factory: Callable[[ConversationTest], Any] | None = None,
    *,
    env: Environment | None = None,
) -> TestResult:
    """Run one test in a fresh simulator; failures name the interaction and the assertion.

    ``factory`` (a test double) makes the simulator itself; otherwise the
    suite's configuration and ``env`` choose the models and the target.
    """
    result = TestResult(test)
    if test.skipped is not None:
        return result
    suite = test.suite
    if suite is not None and suite.error is not None:
        result.failures.append(suite.error)
        return result
    started = time.perf_counter()
    try:
        with contextlib.ExitStack() as stack:
            if factory is not None:
                sim = factory(test)
                filters = _Filters(None)
            else:
                env = _env_defaults(env or Environment())
                endpoint = stack.enter_context(_apis(suite))
                models, own = _suite_models(suite, env, test.locale)
                target = _suite_target(suite, env, own)
                from skill.simulator.session import Simulator

                sim = Simulator(
                    target,
                    locale=test.locale,
                    models=models,
                    identity=_identity(suite, endpoint),
                    owns_target=True,
                )
                result.models = models
                filters = _Filters(suite)
            stack.callback(sim.close)
            _run(test, sim, filters, result)
    except (ConversationFileError, ModelError, CornerShopError) as exc:
        result.failures.append(str(exc))
    result.seconds = time.perf_counter() - started
    return result


def _run(test: ConversationTest, sim: Any, filters: _Filters, result: TestResult) -> None:
    suite = test.suite
    async_mode = suite.async_mode if suite is not None else True
    lenient = _truthy(suite.configuration.get("lenientMode", False)) if suite else False
    ignored = _ignored_paths(suite)
    catalog = getattr(sim.target, "messages", lambda _l: None)(test.locale)
    filters.call("onTestStart", test)
    goto: str | None = None
    for number, interaction in enumerate(test.interactions, 1):
        if goto is not None and not async_mode:
            if goto in (interaction.say, interaction.label):
                goto = None
            else:
                continue
        where = f"interaction {number} {json.dumps(interaction.say, ensure_ascii=False)}"
        if interaction.exit:
            if not async_mode:
                break
            continue
        try:
            say = _utterance(test, interaction.say)
            say = _localized_words(suite, test.locale, say)
            if say != interaction.say:
                where += f" ({json.dumps(say, ensure_ascii=False)})"
            slots = (
                {k: _localized_value(suite, test.locale, v) for k, v in interaction.slots.items()}
                if interaction.slots
                else interaction.slots
            )

            def before_send(
                envelope: dict[str, Any], interaction: Interaction = interaction
            ) -> None:
                for path, value in interaction.expressions:
                    _apply_expression(envelope, path, value)
                filters.call("onRequest", test, envelope)

            sim.before_send = before_send
            turn = _send(sim, interaction, say, slots)
        except CornerShopError as exc:
            result.failures.append(f"{where}: {exc}")
            continue
        finally:
            sim.before_send = None
        if turn is not None and turn.nlu is not None:
            result.exercised.append((turn.nlu.intent, turn.nlu.sample))
        if turn is not None and turn.response is not None:
            filters.call("onResponse", test, turn.response)
        for problem in turn.problems if turn is not None else []:
            result.failures.append(f"{where}: the response is invalid: {problem}")
        outcome = _check(test, interaction, turn, where, catalog, filters, lenient, ignored)
        if outcome == "exit":
            if not async_mode:
                break
        elif outcome is not None and outcome.startswith("goto:"):
            goto = outcome[5:] if not async_mode else None
        elif outcome is not None:
            result.failures.append(outcome)
    filters.call("onTestEnd", test, result)


def _ignored_paths(suite: Suite | None) -> set[str]:
    raw = (suite.configuration.get("ignoreProperties") if suite else None) or {}
    alexa = raw.get("alexa") if isinstance(raw, dict) else None
    if isinstance(alexa, dict) and alexa.get("type") == "unit" and alexa.get("paths"):
        return set(tag_list(alexa["paths"]) or ())
    return set()


def _check(
    test: ConversationTest,
    interaction: Interaction,
    turn: Any,
    where: str,
    catalog: MessageCatalog | None,
    filters: _Filters,
    lenient: bool,
    ignored: set[str],
) -> str | None:
    """The interaction's assertions in order: the first failure, ``exit``, ``goto:L`` or None."""
    for assertion in interaction.assertions:
        if assertion.exit:
            return "exit"
        if assertion.path in ignored:
            continue
        try:
            expected = localize(assertion.value, test.locale, catalog)
        except ConversationFileError as exc:
            return f"{where}: {assertion.path}: {exc}"
        if expected is _NOT_CHECKED:
            continue
        expected = _localized_value(test.suite, test.locale, expected)
        expected = _resolve_variables(expected, interaction, filters)
        actual = _actual(turn, assertion.path)
        try:
            passed = matches(
                actual,
                expected,
                assertion.operator,
                original=assertion.original,
                lenient=lenient and not isinstance(expected, re.Pattern),
            )
        except ConversationFileError as exc:
            return f"{where}: {assertion.path}: {exc}"
        if passed:
            if assertion.goto:
                return f"goto:{assertion.goto}"
            continue
        if assertion.goto:
            continue  # a goto that does not match is no failure in bst
        shown = _clip(assertion.value)
        if expected != assertion.value:
            shown += f" (in {test.locale}: {_clip(expected)})"
        op = "" if assertion.original == ":" else f" {assertion.operator}"
        return f"{where}: {assertion.path}{op}: expected {shown}, got {_clip(actual)}"
    return None


_VARIABLE = re.compile(r"\{([^{}]*)\}")


def _resolve_variables(expected: Any, interaction: Interaction, filters: _Filters) -> Any:
    """``{name}`` in expected values, from the filters' ``resolve(name, interaction)`` hook."""
    if not filters.has("resolve"):
        return expected
    if isinstance(expected, list):
        return [_resolve_variables(item, interaction, filters) for item in expected]
    if not isinstance(expected, str):
        return expected
    for name in dict.fromkeys(_VARIABLE.findall(expected)):
        value = filters.call("resolve", name, interaction)
        if value is not None:
            expected = expected.replace("{" + name + "}", str(value))
    return expected


def run_tests(
    tests: Iterable[ConversationTest],
    factory: Callable[[ConversationTest], Any] | None = None,
    *,
    env: Environment | None = None,
) -> list[TestResult]:
    return [run_test(test, factory, env=env) for test in tests]


def summary_line(results: Sequence[TestResult]) -> str:
    skipped = sum(1 for r in results if r.skipped)
    passed = sum(1 for r in results if r.passed and not r.skipped)
    failed = len(results) - passed - skipped
    return f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else "")


def junit_xml(results: Sequence[TestResult]) -> str:
    """JUnit XML: one testsuite per file, one testcase per test, failures in full."""
    suites = ElementTree.Element("testsuites", name="cornershop conversations")
    by_file: dict[Path, list[TestResult]] = {}
    for result in results:
        by_file.setdefault(result.test.file, []).append(result)
    total_failures = total_skipped = 0
    for path, file_results in by_file.items():
        failures = sum(1 for r in file_results if not r.passed)
        skipped = sum(1 for r in file_results if r.skipped)
        total_failures += failures
        total_skipped += skipped
        suite = ElementTree.SubElement(
            suites,
            "testsuite",
            name=str(path),
            tests=str(len(file_results)),
            failures=str(failures),
            errors="0",
            skipped=str(skipped),
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
            if result.skipped:
                ElementTree.SubElement(case, "skipped", message=str(result.test.skipped))
            elif result.failures:
                failure = ElementTree.SubElement(case, "failure", message=result.failures[0])
                failure.text = "\n".join(result.failures)
    suites.set("tests", str(len(results)))
    suites.set("failures", str(total_failures))
    suites.set("skipped", str(total_skipped))
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


def coverage(results: Sequence[TestResult], env: Any = None) -> list[Coverage]:
    """Coverage per model and locale of the tests that ran.

    ``env`` may also be a mapping from locale to a compiled :class:`Nlu`, to
    measure against a model of the caller's choosing.
    """
    from skill.simulator.nlu import nlu_for

    nlus: dict[tuple[str, str], Any] = {}
    if isinstance(env, Mapping):
        for locale, nlu in env.items():
            nlus[("", locale)] = nlu
    else:
        for result in results:
            if result.models is not None and not result.skipped:
                key = (str(result.models.root), result.test.locale)
                nlus.setdefault(key, nlu_for(result.test.locale, result.models))
    reports = []
    for (root, locale), nlu in nlus.items():
        report = Coverage(locale, list(nlu.intent_names), dict(nlu.samples))
        for result in results:
            if result.test.locale != locale:
                continue
            if root and (result.models is None or str(result.models.root) != root):
                continue
            for intent, sample in result.exercised:
                report.used_intents.add(intent)
                if sample is not None:
                    report.used_samples.add((intent, sample))
        reports.append(report)
    return reports
