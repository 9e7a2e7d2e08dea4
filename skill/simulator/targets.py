"""What the simulator talks to: a *target* that takes a request envelope and returns a response.

The simulator plays Alexa; a :class:`Target` is the skill. Three kinds ship here,
and :func:`target_from_spec` picks one from a ``--target`` string:

* :class:`PythonTarget`: any Python Lambda handler, imported and called in
  process as Lambda would call it, ``handler(event, context)``, with a
  :class:`LambdaContext` whose clock gives the 8 s Alexa allows. Specs:
  ``package.module:function``, ``path/to/file.py:function``, or Lambda's own
  ``file.function`` / ``dir/file.function`` form. The file's folder goes on
  ``sys.path`` first, as Lambda's task root does, so its sibling imports work.
* :class:`HttpTarget`: any HTTPS or HTTP endpoint, sent the envelope as Alexa
  sends it (``POST``, ``Content-Type: application/json; charset=utf-8``). With
  a ``signer`` (such as :class:`skill.testing.alexa_ca.ThrowawayCA`, or anything
  with ``headers(body) -> {"Signature-256", "SignatureCertChainUrl"}``) each body
  is signed as Alexa signs it, so an endpoint that verifies requests can keep
  verification on by trusting that CA; without one, the endpoint must have
  verification turned off. Timeouts and refused connections are clear errors.
* a project's own skill, which plugs in the same way: Corner Shop's CLI hands
  its skill over as a :class:`Target` subclass (``skill.simulator.commands``).

A target may also tell the simulator more, by overriding the hooks below:
which skill id it answers to, what it stored for a user (``.state`` in chat),
whether a response is its generic apology (``replay`` counts those as errors),
and the message catalog conversation tests can name keys from.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import socket
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from skill.simulator.errors import (
    SkillCrashed,
    TargetError,
    TargetSpecError,
    TargetTimeout,
    TargetUnreachable,
)

__all__ = [
    "ALEXA_TIMEOUT",
    "HttpTarget",
    "LambdaContext",
    "MessageCatalog",
    "PythonTarget",
    "Signer",
    "Target",
    "load_handler",
    "load_signer",
    "target_from_spec",
]

#: Alexa waits this long for a skill's answer before it gives up on the request.
ALEXA_TIMEOUT = 8.0
_MAX_RESPONSE_BYTES = 1024 * 1024  # far above Alexa's 24 KB: a runaway reply, not a response
Handler = Callable[[dict[str, Any], Any], Any]


class MessageCatalog(Protocol):
    """A skill's user-facing messages for one locale, for ``{message: key}`` in tests."""

    locale: str

    def raw(self, key: str) -> str | Mapping[str, str]:
        """The template for ``key``: a string, or plural forms keyed by CLDR category."""
        ...

    def keys(self) -> list[str]: ...

    def plural_category(self, count: int) -> str: ...


class Signer(Protocol):
    """Signs a request body as Alexa does: the ``Signature-256`` and cert-URL headers."""

    def headers(self, body: bytes) -> Mapping[str, str]: ...


class Target:
    """A skill the simulator can talk to. Subclasses implement :meth:`send`."""

    #: A short description for messages ("handler lambda_function:lambda_handler").
    label = "the skill"
    #: The application id the skill answers to, when it insists on one.
    skill_id: str | None = None

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """Deliver one request envelope; return the response envelope."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the target holds (a skill it built, a connection)."""
        return None

    # -- optional hooks ------------------------------------------------------
    def stored_state(self, user_id: str, locale: str) -> list[str] | None:
        """What the skill keeps for this user beyond the session, one line each, if it can say."""
        return None

    def is_apology(self, response: Mapping[str, Any], locale: str) -> bool:
        """True when ``response`` is the skill's generic "something went wrong" answer."""
        return False

    def messages(self, locale: str) -> MessageCatalog | None:
        """The skill's message catalog for ``locale``, if it has one the tests may name."""
        return None

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- Python handlers -------------------------------------------------------------
class LambdaContext:
    """The parts of Lambda's context object handlers use, with the 8 s Alexa gives them."""

    def __init__(self, function_name: str = "simulator", timeout: float = ALEXA_TIMEOUT) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:000000000000:function:{function_name}"
        )
        self.memory_limit_in_mb = "256"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "simulator"
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class PythonTarget(Target):
    """A Lambda-style handler called in process: ``handler(event, context) -> response``."""

    def __init__(self, handler: Handler, label: str | None = None) -> None:
        if not callable(handler):
            raise TargetSpecError(f"{handler!r} is not callable; give the handler function.")
        self._handler = handler
        self.label = label or f"handler {getattr(handler, '__qualname__', handler)!r}"

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        # The handler gets its own copy, as it would over the wire: it may change it freely.
        event = json.loads(json.dumps(envelope))
        context = LambdaContext(getattr(self._handler, "__name__", "simulator"))
        try:
            response = self._handler(event, context)
        except Exception as exc:
            kind = envelope.get("request", {}).get("type")
            raise SkillCrashed(
                f"{self.label} raised {type(exc).__name__} for a {kind}: {exc}"
            ) from exc
        return _as_response(response, self.label)


def _as_response(response: Any, label: str) -> dict[str, Any]:
    """The response as Alexa would read it: a JSON object, or a :class:`SkillCrashed`."""
    if not isinstance(response, dict):
        raise SkillCrashed(
            f"{label} returned {type(response).__name__}, not a response envelope "
            '(a JSON object with "version" and "response"). Return the envelope dict.'
        )
    try:
        copied: dict[str, Any] = json.loads(json.dumps(response, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise SkillCrashed(
            f"{label} returned a response that is not JSON ({exc}); Alexa could not read it."
        ) from exc
    return copied


def load_handler(spec: str, *, base: Path | None = None) -> Handler:
    """Import the handler a spec names (see the module docs); errors say how to fix the spec."""
    target = load_attribute(spec, base=base)
    if not callable(target):
        raise TargetSpecError(f"{spec!r} names {type(target).__name__}, not a function.")
    handler: Handler = target
    return handler


def load_attribute(spec: str, *, base: Path | None = None) -> Any:
    """Import what ``module:attr``, ``path/file.py:attr`` or Lambda's ``file.attr`` names."""
    spec = spec.strip()
    module_part, sep, attribute = spec.rpartition(":")
    if not sep:  # Lambda's "file.function" or Bespoken's "./dir/index.handler"
        module_part, dot, attribute = spec.rpartition(".")
        if not dot or not module_part or not attribute:
            raise TargetSpecError(
                f"{spec!r} names no handler. Write module:function (lambda_function:"
                "lambda_handler), path/to/file.py:function, or file.function as in Lambda."
            )
    path = Path(module_part if module_part.endswith(".py") else module_part + ".py")
    if base is not None and not path.is_absolute():
        path = base / path
    if "/" in module_part or "\\" in module_part or module_part.endswith(".py") or path.is_file():
        module = _import_file(path, spec)
    else:
        module = _import_module(module_part, spec)
    target: Any = module
    for name in attribute.split("."):
        try:
            target = getattr(target, name)
        except AttributeError:
            raise TargetSpecError(
                f"{spec!r}: {module.__name__} has no {attribute!r}. Name the function Lambda "
                "calls (the Handler setting), such as lambda_handler."
            ) from None
    return target


def _import_file(path: Path, spec: str) -> Any:
    path = path.resolve()
    if not path.is_file():
        raise TargetSpecError(
            f"{spec!r}: there is no Python file at {path}. Give the path to the file that "
            "defines the handler (relative to the current folder, or absolute)."
        )
    folder = str(path.parent)
    if folder not in sys.path:  # Lambda puts the task root first, so sibling imports work
        sys.path.insert(0, folder)
    name = f"_simulator_target_{abs(hash(str(path)))}"
    if name in sys.modules:
        return sys.modules[name]
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise TargetSpecError(f"{spec!r}: {path} cannot be imported as a Python module.")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise TargetSpecError(
            f"Importing {path} for {spec!r} failed with {type(exc).__name__}: {exc}"
        ) from exc
    return module


def _import_module(name: str, spec: str) -> Any:
    cwd = str(Path.cwd())
    if cwd not in sys.path:  # `python -m` would find modules here too
        sys.path.append(cwd)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and not name.startswith(exc.name) and exc.name != name:
            raise TargetSpecError(
                f"Importing {name} for {spec!r} needs {exc.name}, which is not installed here. "
                "Install the skill's dependencies into this environment."
            ) from exc
        raise TargetSpecError(
            f"{spec!r}: no module {name!r} can be imported from {cwd}. Run from the folder "
            "that holds it, or write path/to/file.py:function."
        ) from exc
    except Exception as exc:
        raise TargetSpecError(
            f"Importing {name} for {spec!r} failed with {type(exc).__name__}: {exc}"
        ) from exc


# -- HTTP endpoints ----------------------------------------------------------------
class HttpTarget(Target):
    """An endpoint sent each envelope as Alexa sends it; optionally signed by ``signer``."""

    def __init__(
        self, url: str, *, timeout: float = ALEXA_TIMEOUT, signer: Signer | None = None
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TargetSpecError(
                f"{url!r} is not an http:// or https:// URL. Give the skill's endpoint, such "
                "as http://127.0.0.1:5000/alexa."
            )
        self.url = url
        self.timeout = timeout
        self.signer = signer
        self.label = f"the endpoint {url}"

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        # Imported here: urllib.request pulls in http.client and email, which the CLI's
        # other commands never need.
        from urllib import error as urlerror
        from urllib import request as urlrequest

        body = json.dumps(envelope, ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "User-Agent": "cornershop-simulator (Alexa request emulation)",
        }
        if self.signer is not None:
            headers.update(self.signer.headers(body))
        http_request = urlrequest.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urlrequest.urlopen(http_request, timeout=self.timeout) as reply:
                raw = reply.read(_MAX_RESPONSE_BYTES + 1)
        except urlerror.HTTPError as exc:
            detail = exc.read(600).decode("utf-8", "replace").strip()
            hint = (
                " If it verifies Alexa's signatures, run it with verification off for local "
                "testing, or give the simulator a test CA the endpoint trusts."
                if exc.code in (400, 401, 403) and self.signer is None
                else ""
            )
            raise TargetError(
                f"{self.label} answered HTTP {exc.code} {exc.reason}"
                + (f": {detail[:300]}" if detail else "")
                + "."
                + hint
            ) from exc
        except TimeoutError as exc:
            raise TargetTimeout(_timeout_message(self.label, self.timeout)) from exc
        except urlerror.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError | socket.timeout):
                raise TargetTimeout(_timeout_message(self.label, self.timeout)) from exc
            raise TargetUnreachable(
                f"Nothing answered at {self.url} ({reason}). Start the skill's server first, "
                "or check the host and port."
            ) from exc
        except (ConnectionError, OSError) as exc:
            raise TargetUnreachable(
                f"The connection to {self.url} failed ({exc}). Is the skill's server running?"
            ) from exc
        if len(raw) > _MAX_RESPONSE_BYTES:
            raise SkillCrashed(f"{self.label} sent more than 1 MB back; that is no response.")
        try:
            response = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            shown = raw[:120].decode("utf-8", "replace")
            raise SkillCrashed(
                f"{self.label} answered with something that is not JSON: {shown!r}"
            ) from exc
        return _as_response(response, self.label)


def _timeout_message(label: str, timeout: float) -> str:
    return (
        f"{label} did not answer within {timeout:g} s; Alexa gives up after "
        f"{ALEXA_TIMEOUT:g} s and tells the user the skill is not responding."
    )


def load_signer(spec: str, *, base: Path | None = None) -> Signer:
    """The request signer a ``--signer`` spec names (``module:attr`` or ``file.py:attr``).

    The attribute is a signer (anything with ``headers(body)``, such as a
    :class:`skill.testing.alexa_ca.ThrowawayCA`) or a callable that takes no arguments and
    returns one (a class, a factory). The endpoint must trust that signer's root.
    """
    found: Any = load_attribute(spec, base=base)
    signer = found if callable(getattr(found, "headers", None)) else None
    if signer is None:
        try:
            signer = found()
        except TypeError as exc:
            raise TargetSpecError(
                f"{spec!r} is neither a signer nor a factory that takes no arguments ({exc})."
            ) from exc
    if not callable(getattr(signer, "headers", None)):
        raise TargetSpecError(
            f"{spec!r} gave {type(signer).__name__}, which has no headers(body) method, so it "
            "cannot sign requests. Name a ThrowawayCA, or a factory that returns one."
        )
    result: Signer = signer
    return result


def target_from_spec(
    spec: str,
    *,
    signer: Signer | None = None,
    timeout: float = ALEXA_TIMEOUT,
    base: Path | None = None,
) -> Target:
    """A target from a ``--target`` string: an http(s) URL, or a Python handler spec."""
    text = spec.strip()
    if not text:
        raise TargetSpecError("The target is empty; give a handler (module:function) or a URL.")
    if text.startswith(("http://", "https://")):
        return HttpTarget(text, timeout=timeout, signer=signer)
    if "://" in text:
        raise TargetSpecError(
            f"{spec!r}: only http:// and https:// endpoints can be targets. For a Lambda "
            "function, point at its Python handler instead (lambda_function:lambda_handler)."
        )
    if signer is not None:
        raise TargetSpecError("Requests are signed only for HTTP targets; drop the test CA.")
    return PythonTarget(load_handler(text, base=base), label=f"handler {text}")
