"""The simulator's ``cornershop`` subcommands: nlu, simulate, chat, replay, test.

:func:`register` adds them to the CLI's parser. This module imports only the
standard library and the simulator's light modules at import time, so
``cornershop --help`` stays fast; each command imports the NLU (and, for this
project's skill, the ASK SDK) when it runs.

**Any skill.** ``--model PATH`` reads another skill's interaction models (an
ask-cli project or skill package, an ``interactionModels/custom`` folder, or
one model JSON); ``--target`` says where that skill runs: a Python Lambda
handler (``module:function``, ``path/file.py:function``) imported in process,
or an HTTP endpoint URL. Without either, the simulator talks to Corner Shop.

**Corner Shop plugs in here**, and only here: :class:`CornerShopTarget` wraps
the skill ``skill.app.build_skill`` makes (with ``NoProfile``, so nothing
leaves the machine), and tells the simulator what it stored for a user, which
answer is its apology and where its messages are. The rest of the simulator
package never imports Corner Shop's handlers, stores or messages.

Stores (Corner Shop only): ``simulate``, ``replay`` and ``test`` use
``memory://`` unless told otherwise (runs are reproducible and leave nothing
behind); ``chat`` uses the configured store (``CORNERSHOP_STORE``, by default
the SQLite file), so a cart survives between chats.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from skill.config import DEFAULT_LOCALE, Settings
from skill.errors import ConfigError, CornerShopError
from skill.simulator.targets import ALEXA_TIMEOUT, Target

if TYPE_CHECKING:
    from skill.simulator.models import ModelSet
    from skill.simulator.nlu import NluResult
    from skill.simulator.session import Simulator, Turn

__all__ = [
    "CornerShopTarget",
    "ReplayFileError",
    "Setup",
    "corner_shop_simulator",
    "corner_shop_target",
    "load_replay",
    "project_models",
    "register",
    "run_chat",
]

MEMORY = "memory://"
QUIT = ".quit"
_CHAT_HELP = (
    ".json  show the raw request and response envelopes (toggle)\n"
    ".state  show the session attributes (and what the skill stored, if it can say)\n"
    ".new   end this session; the next utterance starts a new one\n"
    ".quit  leave (Ctrl-D works too)\n"
    "An empty line is silence: Alexa repeats her question once, then ends the session."
)
_MODEL_HELP = (
    "the skill's interaction models: an ask-cli project or skill package, an "
    "interactionModels/custom folder, or one model JSON (default: this project's)"
)
_TARGET_HELP = (
    "where the skill runs: a Python Lambda handler (module:function or path/file.py:function), "
    "imported in process, or an http(s):// endpoint (default: this project's skill, in process)"
)


class ReplayFileError(ConfigError):
    """A replay file that is not in the ``ask dialog --replay`` format."""


# -- Corner Shop, the default target ----------------------------------------------
class CornerShopTarget(Target):
    """This project's skill in process: a ``CornerShopSkill`` behind the Target interface."""

    label = "Corner Shop"

    def __init__(self, skill: Any, *, owns: bool = False) -> None:
        self.skill = skill
        self.skill_id = skill.settings.skill_id
        self._owns = owns

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = self.skill.handle(envelope)
        return response

    def close(self) -> None:
        if self._owns:
            self.skill.close()

    def stored_state(self, user_id: str, locale: str) -> list[str]:
        """The stored cart, one line per item, then the total."""
        from skill.data import catalog_for

        catalog = catalog_for(locale)
        cart = self.skill.store.get_cart(user_id)
        lines = []
        for line in cart.lines:
            item = catalog.get(line.item_id)
            name = item.form(line.quantity) if item else line.item_id
            lines.append(f"{line.quantity} x {name} ({line.item_id})")
        if lines:
            lines.append(f"total {cart.total(catalog).display()}")
        return lines

    def is_apology(self, response: Mapping[str, Any], locale: str) -> bool:
        from skill.simulator.session import speech_text
        from skill.speech import messages_for

        speech = (response.get("response") or {}).get("outputSpeech") or {}
        said = speech_text(str(speech.get("ssml") or speech.get("text") or ""))
        msg = messages_for(locale)
        return said in {msg("error_generic"), msg("store_error")}

    def messages(self, locale: str) -> _CornerShopMessages:
        return _CornerShopMessages(locale)


class _CornerShopMessages:
    """Corner Shop's message catalog as the simulator's MessageCatalog."""

    def __init__(self, locale: str) -> None:
        from skill.speech import messages_for

        self._messages = messages_for(locale)
        self.locale: str = self._messages.locale

    def raw(self, key: str) -> Any:
        return self._messages.raw(key)

    def keys(self) -> list[str]:
        return sorted(self._messages.keys())

    def plural_category(self, count: int) -> str:
        from skill.speech import plural_category

        return plural_category(self.locale.split("-")[0], count)


def project_models() -> ModelSet:
    """This project's interaction models (``interaction_models/``)."""
    from skill.interaction import models_dir
    from skill.simulator.models import ModelSet

    return ModelSet.find(models_dir())


def corner_shop_target(
    settings: Settings | None = None,
    *,
    store: Any = None,
    clock: Callable[[], datetime] | None = None,
) -> CornerShopTarget:
    """A freshly built Corner Shop (``NoProfile``: no network), closed with the target."""
    from skill.app import build_skill
    from skill.profile import NoProfile

    skill = build_skill(settings, store=store, profile=NoProfile(), clock=clock)
    return CornerShopTarget(skill, owns=True)


def corner_shop_simulator(
    settings: Settings | None = None,
    *,
    store: Any = None,
    locale: str = DEFAULT_LOCALE,
    user_id: str | None = None,
    skill_id: str | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Simulator:
    """A simulator around a fresh Corner Shop, with this project's models; closes the skill."""
    from skill.simulator.session import Simulator

    target = corner_shop_target(settings, store=store, clock=clock)
    try:
        return Simulator(
            target,
            locale=locale,
            models=project_models(),
            user_id=user_id,
            skill_id=skill_id,
            clock=clock,
            owns_target=True,
        )
    except BaseException:
        target.close()
        raise


# -- what a command talks to ------------------------------------------------------
@dataclass
class Setup:
    """The models and the target a command uses, resolved from --model and --target."""

    models: ModelSet
    make_target: Callable[[], Target]
    #: True when the target is this project's own skill
    project: bool

    def simulator(
        self, locale: str, *, user_id: str | None = None, skill_id: str | None = None
    ) -> Simulator:
        from skill.simulator.session import Simulator

        target = self.make_target()
        try:
            return Simulator(
                target,
                locale=locale,
                models=self.models,
                user_id=user_id,
                skill_id=skill_id,
                owns_target=True,
            )
        except BaseException:
            target.close()
            raise


def resolve_setup(
    model: str | None,
    target: str | None,
    *,
    store: str | None,
    default_store: str | None,
    timeout: float = ALEXA_TIMEOUT,
    needs_target: bool = True,
    signer: str | None = None,
) -> Setup:
    """Models and target from the options; a mismatch between them is refused with advice."""
    from skill.simulator.models import ModelSet
    from skill.simulator.targets import load_signer, target_from_spec

    own = project_models()
    models = ModelSet.find(model) if model else None
    if signer and not target:
        raise ConfigError(
            "--signer signs requests to an HTTP --target; this project's skill runs in "
            "process and needs no signature. Add --target http://HOST:PORT/PATH."
        )
    if target:
        if store:
            raise ConfigError(
                "--store configures this project's skill; it does nothing for --target. "
                "Drop --store, or drop --target to talk to Corner Shop."
            )
        spec = target
        signs = load_signer(signer) if signer else None
        target_from_spec(spec, timeout=timeout, signer=signs)  # fail now, with its message
        if models is None:
            models = _models_near(spec) or own

        def make() -> Target:
            return target_from_spec(spec, timeout=timeout, signer=signs)

        return Setup(models, make, project=False)
    if models is not None and models.root != own.root and needs_target:
        raise ConfigError(
            f"--model {model} is another skill's model, but no --target says where that skill "
            "runs, and this project's skill would not understand it. Add --target "
            "module:function, --target path/file.py:function or --target http://HOST:PORT/PATH."
        )
    settings = _settings(store, default_store)

    def make_own() -> Target:
        return corner_shop_target(settings)

    return Setup(models or own, make_own, project=True)


def _models_near(spec: str) -> ModelSet | None:
    """The models of the project a handler file sits in (its folder or up to two above it)."""
    from skill.simulator.errors import ModelError
    from skill.simulator.models import ModelSet

    head = spec.rpartition(":")[0] or spec.rpartition(".")[0]
    if spec.startswith(("http://", "https://")) or ("/" not in head and "\\" not in head):
        return None
    folder = Path(head).resolve().parent
    for candidate in (folder, folder.parent, folder.parent.parent):
        for place in (candidate / "skill-package", candidate / "models"):
            if place.is_dir():
                with contextlib.suppress(ModelError):
                    return ModelSet.find(place)
    return None


# -- the parser -----------------------------------------------------------------
def register(subparsers: Any) -> None:
    """Add nlu, simulate, chat, replay and test to the ``cornershop`` parser."""
    p = subparsers.add_parser(
        "nlu",
        help="show the intent and slots the offline NLU finds, or evaluate an annotation set",
        description="Show what the offline NLU understands, or with --annotations run an Alexa "
        "NLU annotation set (SMAPI JSON or CSV) and report it as SMAPI's NLU evaluation does.",
    )
    p.add_argument("utterances", nargs="*", metavar="UTTERANCE", help="'-' reads lines from stdin")
    p.add_argument(
        "--locale", default=DEFAULT_LOCALE, help=f"model locale (default {DEFAULT_LOCALE})"
    )
    p.add_argument("--model", help=_MODEL_HELP)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument(
        "--annotations",
        type=Path,
        metavar="FILE",
        help="an NLU annotation set (.json or .csv) to evaluate; exit 1 if any case fails",
    )
    p.add_argument(
        "--now",
        metavar="TIMESTAMP",
        help="the reference time for relative dates and times (ISO 8601, default: now)",
    )
    p.set_defaults(func=cmd_nlu)

    p = subparsers.add_parser(
        "simulate",
        help="run utterances as one session through the skill",
        description="Run utterances through the skill as Alexa would, in one session. "
        "This project's skill uses the store memory:// (nothing is kept) unless --store is "
        "given.",
    )
    p.add_argument("utterances", nargs="+", metavar="UTTERANCE")
    _common(p, store_help="store URL (this project's skill; default memory://, nothing is kept)")
    p.add_argument("--json", action="store_true", help="one JSON object per turn")
    p.set_defaults(func=cmd_simulate)

    p = subparsers.add_parser(
        "chat",
        help="talk to the skill in a REPL (works with piped input too)",
        description="An interactive session with the skill. This project's skill uses "
        "CORNERSHOP_STORE (by default the SQLite file), so your cart is there next time.\n\n"
        + _CHAT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(
        p,
        store_help="store URL (this project's skill; default CORNERSHOP_STORE or the SQLite file)",
    )
    p.set_defaults(func=cmd_chat)

    p = subparsers.add_parser(
        "replay",
        help="replay an `ask dialog --replay` file; non-zero exit on any skill error",
    )
    p.add_argument(
        "file", type=Path, metavar="FILE", help='{"skillId", "locale", "type", "userInput"}'
    )
    p.add_argument("--user", help="user id (default: a fixed simulator user)")
    p.add_argument("--store", help="store URL (this project's skill; default memory://)")
    p.add_argument("--model", help=_MODEL_HELP)
    p.add_argument("--target", help=_TARGET_HELP)
    _timeout(p)
    p.add_argument("--json", action="store_true", help="one JSON object per turn")
    p.set_defaults(func=cmd_replay)

    p = subparsers.add_parser(
        "test",
        help="run YAML conversation tests (Bespoken syntax) through the simulator",
        description="Run Bespoken-style YAML tests offline. Each test gets a fresh skill "
        "(this project's: a fresh memory:// store). testing.json beside the tests (or --config) "
        "supplies configuration as in bst. The last line is 'N passed, M failed' (and ', K "
        "skipped'); the exit status is non-zero on failure.",
    )
    p.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or folders (default tests/conversations)"
    )
    p.add_argument(
        "--locale",
        action="append",
        default=[],
        help="run every test in this locale; repeat for a matrix (default: each file's "
        "configuration locale or locales, else en-US)",
    )
    p.add_argument("--model", help=_MODEL_HELP)
    p.add_argument("--target", help=_TARGET_HELP)
    _timeout(p)
    p.add_argument("--config", type=Path, metavar="FILE", help="a testing.json to use")
    p.add_argument("--include", help="run only tests with these tags (comma-separated)")
    p.add_argument("--exclude", help="skip tests with these tags (comma-separated)")
    p.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML here")
    p.add_argument(
        "--coverage", action="store_true", help="list intents and sample utterances no test used"
    )
    p.set_defaults(func=cmd_test)


def _timeout(p: argparse.ArgumentParser) -> None:
    """The options of an HTTP target: its time limit, and who signs the requests."""
    p.add_argument(
        "--timeout",
        type=float,
        default=ALEXA_TIMEOUT,
        metavar="SECONDS",
        help=f"how long an HTTP target may take to answer (default {ALEXA_TIMEOUT:g}, as Alexa)",
    )
    p.add_argument(
        "--signer",
        metavar="SPEC",
        help="sign requests to an HTTP --target as Alexa does: module:attr or file.py:attr naming "
        "a signer (e.g. a skill.testing.alexa_ca.ThrowawayCA) or a factory returning one; the "
        "endpoint must trust its root (default: unsigned, verification off on the target)",
    )


def _common(p: argparse.ArgumentParser, *, store_help: str) -> None:
    p.add_argument(
        "--locale", default=DEFAULT_LOCALE, help=f"model locale (default {DEFAULT_LOCALE})"
    )
    p.add_argument("--user", help="user id (default: a fixed simulator user)")
    p.add_argument("--store", help=store_help)
    p.add_argument("--model", help=_MODEL_HELP)
    p.add_argument("--target", help=_TARGET_HELP)
    _timeout(p)


def _settings(store: str | None, default_store: str | None) -> Settings:
    """Settings from the environment, with the simulator's store and quieter logs.

    INFO logging would interleave with the transcript on the terminal, so it is
    lowered to WARNING; set CORNERSHOP_LOG_LEVEL=DEBUG to see everything.
    """
    settings = Settings.from_env()
    if store or default_store:
        settings = settings.with_(store_url=store or default_store)
    if settings.log_level == "INFO":
        settings = settings.with_(log_level="WARNING")
    return settings


def _setup(args: argparse.Namespace, default_store: str | None) -> Setup:
    return resolve_setup(
        args.model,
        args.target,
        store=args.store,
        default_store=default_store,
        timeout=args.timeout,
        signer=getattr(args, "signer", None),
    )


def _write_turn(out: TextIO, turn: Turn, *, raw: bool, echo: bool = True) -> None:
    if raw:
        for exchange in turn.exchanges:
            out.write("request:\n" + json.dumps(exchange.request, indent=2) + "\n")
            out.write("response:\n" + json.dumps(exchange.response, indent=2) + "\n")
    for line in turn.transcript(echo=echo):
        out.write(line + "\n")


# -- nlu -------------------------------------------------------------------------
def _reference_time(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(
            f"--now {text!r} is not an ISO 8601 timestamp; write it like 2026-11-27T10:15:00Z."
        ) from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def cmd_nlu(args: argparse.Namespace, out: TextIO) -> int:
    from skill.simulator.models import ModelSet
    from skill.simulator.nlu import nlu_for

    models = ModelSet.find(args.model) if args.model else project_models()
    if args.annotations is not None:
        if args.utterances:
            raise ConfigError("Give either --annotations FILE or utterances, not both.")
        return _evaluate(args, models, out)
    if not args.utterances:
        raise ConfigError("Say what to parse: cornershop nlu 'add two apples' (or - for stdin).")
    utterances: list[str] = []
    for item in args.utterances:
        if item == "-":
            utterances += [line.strip() for line in sys.stdin if line.strip()]
        else:
            utterances.append(item)
    nlu = nlu_for(args.locale, models)
    now = _reference_time(args.now)
    for utterance in utterances:
        result: NluResult = nlu.interpret(utterance, now=now)
        if args.json:
            out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
        else:
            out.write(f"{utterance}  ->  {result.describe()}  ({result.confidence:.2f})\n")
    return 0


def _evaluate(args: argparse.Namespace, models: ModelSet, out: TextIO) -> int:
    from skill.simulator import annotation_sets
    from skill.simulator.nlu import nlu_for

    cases = annotation_sets.load(args.annotations)
    report = annotation_sets.evaluate(cases, nlu_for(args.locale, models))
    if args.json:
        out.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        for line in report.lines():
            out.write(line + "\n")
    return 0 if report.total_failed == 0 else 1


# -- simulate ------------------------------------------------------------------
def cmd_simulate(args: argparse.Namespace, out: TextIO) -> int:
    setup = _setup(args, MEMORY)
    with setup.simulator(args.locale, user_id=args.user) as sim:
        for utterance in args.utterances:
            turn = sim.say(utterance)
            if args.json:
                out.write(json.dumps(turn.to_json(), ensure_ascii=False) + "\n")
            else:
                _write_turn(out, turn, raw=False)
    return 0


# -- chat --------------------------------------------------------------------------
def cmd_chat(args: argparse.Namespace, out: TextIO) -> int:
    setup = _setup(args, None)
    with setup.simulator(args.locale, user_id=args.user) as sim:
        return run_chat(sim, sys.stdin, out)


def run_chat(sim: Simulator, inp: TextIO, out: TextIO, *, interactive: bool | None = None) -> int:
    """The REPL. Reads lines until ``.quit`` or end of input; never needs a terminal."""
    if interactive is None:
        interactive = bool(getattr(inp, "isatty", lambda: False)())
    if interactive:
        with contextlib.suppress(ImportError):  # line editing and history, where available
            import readline  # noqa: F401
    name = sim.nlu.invocation_name or "the skill"
    out.write(f"Say 'open {name}' or just type what you want; .quit to leave\n")
    raw = False
    while True:
        if interactive:
            out.write("you> ")
            out.flush()
        line = inp.readline()
        if not line:
            if interactive:
                out.write("\n")
            _quit(sim, out, raw=raw)
            return 0
        text = line.strip()
        if text.startswith("."):
            command = text.split()[0].lower()
            if command == QUIT:
                _quit(sim, out, raw=raw)
                return 0
            if command == ".json":
                raw = not raw
                out.write(f"(raw JSON {'on' if raw else 'off'})\n")
            elif command == ".state":
                _state(sim, out)
            elif command == ".new":
                ended = sim.end_session("USER_INITIATED")
                if ended is not None:
                    _write_turn(out, ended, raw=raw, echo=False)
                out.write("(new session: the next utterance starts it)\n")
            elif command == ".help":
                out.write(_CHAT_HELP + "\n")
            else:
                out.write(f"Unknown command {command}. Try .help.\n")
            out.flush()
            continue
        try:
            turn = sim.say(text)
        except CornerShopError as exc:
            out.write(f"!! {exc}\n")
            out.flush()
            continue
        _write_turn(out, turn, raw=raw, echo=not interactive)
        out.flush()


def _quit(sim: Simulator, out: TextIO, *, raw: bool) -> None:
    try:
        ended = sim.end_session("USER_INITIATED")
    except CornerShopError as exc:
        out.write(f"!! {exc}\n")
        return
    if ended is not None and raw:
        _write_turn(out, ended, raw=raw, echo=False)


def _state(sim: Simulator, out: TextIO) -> None:
    session = sim.session_id or "none (the next utterance starts one)"
    out.write(f"session: {session}\n")
    if sim.waiting_for:
        out.write(f"waiting for: {sim.waiting_for}\n")
    out.write("session attributes: " + json.dumps(sim.session_attributes, indent=2) + "\n")
    try:
        lines = sim.stored_state()
    except CornerShopError as exc:
        out.write(f"stored for {sim.identity.user_id}: unavailable ({exc})\n")
        return
    if lines is None:
        out.write(f"({sim.target.label} does not say what it stores beyond the session)\n")
        return
    out.write(f"stored for {sim.identity.user_id}:" + (" nothing" if not lines else "") + "\n")
    for line in lines:
        out.write(f"  {line}\n")


# -- replay --------------------------------------------------------------------
def load_replay(path: Path, models: ModelSet | None = None) -> dict[str, Any]:
    """Read and check an ``ask dialog --replay`` file; errors say what to fix.

    As in ``ask dialog``, every entry of ``userInput`` must be a non-empty string:
    ask-cli refuses a blank utterance rather than sending silence.
    """
    example = (
        '{"skillId": "amzn1.ask.skill.…", "locale": "en-US", "type": "text", '
        '"userInput": ["open corner shop", "add milk"]}'
    )
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ReplayFileError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise ReplayFileError(f"{path} is not valid JSON ({exc}). Expected {example}") from exc
    if not isinstance(data, dict):
        raise ReplayFileError(f"{path} must hold a JSON object like {example}")
    problems = []
    skill_id = data.get("skillId")
    if not isinstance(skill_id, str) or not skill_id.strip():
        problems.append('"skillId" must be the skill id string')
    locale = data.get("locale")
    if not isinstance(locale, str) or not locale.strip():
        problems.append('"locale" must be a locale like "en-US"')
    if data.get("type") != "text":
        problems.append(f'"type" must be "text" (got {data.get("type")!r})')
    user_input = data.get("userInput")
    if not isinstance(user_input, list) or not all(isinstance(u, str) for u in user_input):
        problems.append('"userInput" must be a list of strings')
    else:
        blank = [str(n) for n, u in enumerate(user_input, 1) if not u.strip()]
        if blank:
            which = f"entry {blank[0]} is" if len(blank) == 1 else f"entries {', '.join(blank)} are"
            problems.append(
                f"userInput {which} empty, and ask dialog refuses an empty utterance; remove "
                "it, or write the words the user says"
            )
    if problems:
        raise ReplayFileError(
            f"{path} is not an `ask dialog` replay file: {'; '.join(problems)}. Expected {example}"
        )
    models = models or project_models()
    if not models.has(str(locale)):
        raise ReplayFileError(
            f"{path} asks for locale {locale!r}, which has no interaction model in "
            f"{models.root}. Use one of: {', '.join(models.locales)}."
        )
    return data


def cmd_replay(args: argparse.Namespace, out: TextIO) -> int:
    setup = _setup(args, MEMORY)
    data = load_replay(args.file, setup.models)
    errors = 0
    said = 0
    with setup.simulator(
        data["locale"], user_id=args.user, skill_id=data["skillId"].strip()
    ) as sim:
        for utterance in data["userInput"]:
            if utterance.strip().lower() == QUIT:
                _quit(sim, out, raw=False)
                break
            said += 1
            try:
                turn = sim.say(utterance)
            except CornerShopError as exc:
                errors += 1
                out.write(f"you> {utterance}\n!! skill error: {exc}\n")
                continue
            if args.json:
                out.write(json.dumps(turn.to_json(), ensure_ascii=False) + "\n")
            else:
                _write_turn(out, turn, raw=False)
            if turn.is_apology:
                errors += 1
                if not args.json:
                    out.write("!! skill error: the skill answered with its apology\n")
            elif turn.problems:
                errors += 1
        if not args.json:
            out.write(f"replayed {said} utterance(s): {errors} skill error(s)\n")
    return 1 if errors else 0


# -- test --------------------------------------------------------------------------
def hermetic_settings() -> Settings:
    """Settings for this project's skill in conversation tests: not from the environment, quiet."""
    return Settings(store_url="memory://", log_level="WARNING")


def corner_shop_test_target() -> Target:
    """A fresh Corner Shop with a fresh memory store: one per conversation test."""
    from skill.store.memory import MemoryStore

    return corner_shop_target(hermetic_settings(), store=MemoryStore())


def corner_shop_messages(locale: str) -> _CornerShopMessages:
    return _CornerShopMessages(locale)


def conversation_environment(
    model: str | None = None,
    target: str | None = None,
    *,
    timeout: float = ALEXA_TIMEOUT,
    config: Path | None = None,
    include: str | None = None,
    exclude: str | None = None,
    signer: str | None = None,
) -> Any:
    """The conversation runner's environment: explicit choices, and Corner Shop as the default."""
    from skill.simulator import conversations
    from skill.simulator.models import ModelSet
    from skill.simulator.targets import load_signer, target_from_spec

    explicit_target = None
    if signer and not target:
        raise ConfigError("--signer signs requests to an HTTP --target; add --target URL.")
    if target:
        spec = target
        signs = load_signer(signer) if signer else None
        target_from_spec(spec, timeout=timeout, signer=signs)

        def explicit_target() -> Target:
            return target_from_spec(spec, timeout=timeout, signer=signs)

    return conversations.Environment(
        models=ModelSet.find(model) if model else None,
        target=explicit_target,
        default_models=project_models,
        default_target=corner_shop_test_target,
        timeout=timeout,
        config=config,
        include=conversations.tag_list(include),
        exclude=conversations.tag_list(exclude),
    )


def cmd_test(args: argparse.Namespace, out: TextIO) -> int:
    from skill.simulator import conversations

    env = conversation_environment(
        args.model,
        args.target,
        timeout=args.timeout,
        config=args.config,
        include=args.include,
        exclude=args.exclude,
        signer=args.signer,
    )
    suites = conversations.load_suites(args.paths, env)
    for suite in suites:
        for note in suite.notes:
            out.write(f"NOTE  {suite.file}: {note}\n")
    tests = conversations.plan(suites, args.locale, env)
    results = []
    for test in tests:
        result = conversations.run_test(test, env=env)
        results.append(result)
        out.write(f"{result.verdict:<4}  {test.label}\n")
        for failure in result.failures:
            out.write(f"      {failure}\n")
        out.flush()
    if args.junit:
        args.junit.parent.mkdir(parents=True, exist_ok=True)
        args.junit.write_text(conversations.junit_xml(results), "utf-8")
    if args.coverage:
        for report in conversations.coverage(results, env):
            for line in report.report():
                out.write(line + "\n")
    if not tests:
        sys.stderr.write("cornershop test: no conversation tests found\n")
    out.write(conversations.summary_line(results) + "\n")
    ran = [r for r in results if not r.skipped]
    return 0 if ran and all(r.passed for r in ran) else 1
