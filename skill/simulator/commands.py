"""The simulator's ``cornershop`` subcommands: nlu, simulate, chat, replay, test.

:func:`register` adds them to the CLI's parser. This module imports only the
standard library at import time, so ``cornershop --help`` stays fast; each
command imports the simulator (and with it the ASK SDK) when it runs.

Stores: ``simulate``, ``replay`` and ``test`` use ``memory://`` unless told
otherwise (runs are reproducible and leave nothing behind); ``chat`` uses the
configured store (``CORNERSHOP_STORE``, by default the SQLite file), so a cart
survives between chats.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from skill.config import DEFAULT_LOCALE, Settings
from skill.errors import ConfigError, CornerShopError

if TYPE_CHECKING:
    from skill.simulator.nlu import NluResult
    from skill.simulator.session import Simulator, Turn

__all__ = ["ReplayFileError", "load_replay", "register", "run_chat"]

MEMORY = "memory://"
QUIT = ".quit"
_CHAT_HELP = (
    ".json  show the raw request and response envelopes (toggle)\n"
    ".state  show the session attributes and the stored cart\n"
    ".new   end this session; the next utterance starts a new one\n"
    ".quit  leave (Ctrl-D works too)\n"
    "An empty line is silence: Alexa repeats her question once, then ends the session."
)


class ReplayFileError(ConfigError):
    """A replay file that is not in the ``ask dialog --replay`` format."""


def register(subparsers: Any) -> None:
    """Add nlu, simulate, chat, replay and test to the ``cornershop`` parser."""
    p = subparsers.add_parser(
        "nlu", help="show the intent and slots the offline NLU finds in utterances"
    )
    p.add_argument("utterances", nargs="+", metavar="UTTERANCE", help="'-' reads lines from stdin")
    p.add_argument(
        "--locale", default=DEFAULT_LOCALE, help=f"model locale (default {DEFAULT_LOCALE})"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_nlu)

    p = subparsers.add_parser(
        "simulate",
        help="run utterances as one session through the skill, in process",
        description="Run utterances through the real skill as Alexa would, in one session. "
        "The store is memory:// (nothing is kept) unless --store is given.",
    )
    p.add_argument("utterances", nargs="+", metavar="UTTERANCE")
    _common(p, store_help="store URL (default memory://, nothing is kept)")
    p.add_argument("--json", action="store_true", help="one JSON object per turn")
    p.set_defaults(func=cmd_simulate)

    p = subparsers.add_parser(
        "chat",
        help="talk to the skill in a REPL (works with piped input too)",
        description="An interactive session with the skill. Uses CORNERSHOP_STORE (by default "
        "the SQLite file), so your cart is there next time.\n\n" + _CHAT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(p, store_help="store URL (default CORNERSHOP_STORE or the SQLite file)")
    p.set_defaults(func=cmd_chat)

    p = subparsers.add_parser(
        "replay",
        help="replay an `ask dialog --replay` file; non-zero exit on any skill error",
    )
    p.add_argument(
        "file", type=Path, metavar="FILE", help='{"skillId", "locale", "type", "userInput"}'
    )
    p.add_argument("--user", help="user id (default: a fixed simulator user)")
    p.add_argument("--store", help="store URL (default memory://)")
    p.add_argument("--json", action="store_true", help="one JSON object per turn")
    p.set_defaults(func=cmd_replay)

    p = subparsers.add_parser(
        "test",
        help="run YAML conversation tests (Bespoken-style) through the simulator",
        description="Run YAML conversation tests. Each test gets a fresh memory:// store. "
        "Tests written with phrasebook utterances and message keys (tests/conversations/"
        "locales) run in any locale. The last line is 'N passed, M failed'; the exit status "
        "is non-zero on failure.",
    )
    p.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or folders (default tests/conversations)"
    )
    p.add_argument(
        "--locale",
        action="append",
        default=[],
        help="run every test in this locale; repeat for a matrix (default: each file's "
        "configuration locale, else en-US)",
    )
    p.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML here")
    p.add_argument(
        "--coverage", action="store_true", help="list intents and sample utterances no test used"
    )
    p.set_defaults(func=cmd_test)


def _common(p: argparse.ArgumentParser, *, store_help: str) -> None:
    p.add_argument(
        "--locale", default=DEFAULT_LOCALE, help=f"model locale (default {DEFAULT_LOCALE})"
    )
    p.add_argument("--user", help="user id (default: a fixed simulator user)")
    p.add_argument("--store", help=store_help)


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


def _write_turn(out: TextIO, turn: Turn, *, raw: bool, echo: bool = True) -> None:
    if raw:
        for exchange in turn.exchanges:
            out.write("request:\n" + json.dumps(exchange.request, indent=2) + "\n")
            out.write("response:\n" + json.dumps(exchange.response, indent=2) + "\n")
    for line in turn.transcript(echo=echo):
        out.write(line + "\n")


# -- nlu -------------------------------------------------------------------------
def _parse_one(utterance: str, locale: str) -> NluResult:
    from skill.simulator.nlu import nlu_for

    return nlu_for(locale).interpret(utterance)


def cmd_nlu(args: argparse.Namespace, out: TextIO) -> int:
    utterances: list[str] = []
    for item in args.utterances:
        if item == "-":
            utterances += [line.strip() for line in sys.stdin if line.strip()]
        else:
            utterances.append(item)
    for utterance in utterances:
        result = _parse_one(utterance, args.locale)
        if args.json:
            out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
        else:
            out.write(f"{utterance}  ->  {result.describe()}  ({result.confidence:.2f})\n")
    return 0


# -- simulate ------------------------------------------------------------------
def cmd_simulate(args: argparse.Namespace, out: TextIO) -> int:
    from skill.simulator.session import Simulator

    settings = _settings(args.store, MEMORY)
    with Simulator.build(settings, locale=args.locale, user_id=args.user) as sim:
        for utterance in args.utterances:
            turn = sim.say(utterance)
            if args.json:
                out.write(json.dumps(turn.to_json(), ensure_ascii=False) + "\n")
            else:
                _write_turn(out, turn, raw=False)
    return 0


# -- chat --------------------------------------------------------------------------
def cmd_chat(args: argparse.Namespace, out: TextIO) -> int:
    from skill.simulator.session import Simulator

    settings = _settings(args.store, None)
    with Simulator.build(settings, locale=args.locale, user_id=args.user) as sim:
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
        lines = sim.cart_lines()
    except CornerShopError as exc:
        out.write(f"cart: unavailable ({exc})\n")
        return
    out.write(f"cart of {sim.identity.user_id}:" + (" empty" if not lines else "") + "\n")
    for line in lines:
        out.write(f"  {line}\n")


# -- replay --------------------------------------------------------------------
def load_replay(path: Path) -> dict[str, Any]:
    """Read and check an ``ask dialog --replay`` file; errors say what to fix."""
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
    if problems:
        raise ReplayFileError(
            f"{path} is not an `ask dialog` replay file: {'; '.join(problems)}. Expected {example}"
        )
    from skill.interaction import model_locales

    if locale not in model_locales():
        raise ReplayFileError(
            f"{path} asks for locale {locale!r}, which has no interaction model. "
            f"Use one of: {', '.join(model_locales())}."
        )
    return data


def cmd_replay(args: argparse.Namespace, out: TextIO) -> int:
    from skill.simulator.session import Simulator

    data = load_replay(args.file)
    settings = _settings(args.store, MEMORY)
    errors = 0
    said = 0
    with Simulator.build(
        settings, locale=data["locale"], user_id=args.user, skill_id=data["skillId"].strip()
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
def cmd_test(args: argparse.Namespace, out: TextIO) -> int:
    from skill.simulator import conversations
    from skill.simulator.nlu import nlu_for

    tests = conversations.load_tests(args.paths, args.locale)
    results = []
    for test in tests:
        result = conversations.run_test(test)
        results.append(result)
        out.write(f"{'PASS' if result.passed else 'FAIL'}  {test.label}\n")
        for failure in result.failures:
            out.write(f"      {failure}\n")
        out.flush()
    if args.junit:
        args.junit.parent.mkdir(parents=True, exist_ok=True)
        args.junit.write_text(conversations.junit_xml(results), "utf-8")
    if args.coverage:
        locales = sorted({t.locale for t in tests}) or (args.locale or [DEFAULT_LOCALE])
        for report in conversations.coverage(results, {loc: nlu_for(loc) for loc in locales}):
            for line in report.report():
                out.write(line + "\n")
    if not tests:
        sys.stderr.write("cornershop test: no conversation tests found\n")
    out.write(conversations.summary_line(results) + "\n")
    return 0 if tests and all(r.passed for r in results) else 1
