"""Load the ASK SDK's models on first use, so a Lambda cold start compiles only what it runs.

``import ask_sdk_core.skill_builder`` loads about 260 modules: every ``__init__`` of
``ask_sdk_model`` imports all of its package's models just to re-export their names, and
``ask_sdk_model.services.service_client_factory`` imports the eleven service clients
(with their request and response models) that a skill may never ask for. A skill's first
LaunchRequest needs about 80 of them. On Lambda each module that is imported is read
and, without bytecode, compiled, at every cold start.

:func:`activate` (called by ``skill/__init__.py``, before anything imports the SDK) puts
one finder at the front of ``sys.meta_path``. It changes three things and nothing else:

1. Each ``ask_sdk_model`` package whose ``__init__`` does nothing but re-export
   (``from .module import Name`` lines, comments, ``from __future__`` lines) gets a PEP 562
   ``__getattr__`` instead of running it: the module behind a name is imported the first
   time the name is looked up, and the name is then bound in the package, as the
   ``__init__`` would have bound it. ``from ask_sdk_model import RequestEnvelope``, and the
   serializer's look-ups of ``"ask_sdk_model.x.y.Class"`` strings, go through ``getattr``,
   so they get the very same objects. An ``__init__`` of any other shape runs as it is.
2. While ``ask_sdk_model.services.service_client_factory`` runs, its ``from .x import
   XServiceClient`` lines receive stand-ins that import the client class when it is first
   called, and then put the real class in the factory's namespace. The factory itself is
   built for every request; the clients only when a handler asks for one.
3. ``DefaultSerializer`` reads a timestamp in Alexa's exact format
   (``2024-05-01T10:00:00Z``, with or without fractions of a second) with ``datetime``,
   without importing ``dateutil.parser`` (about 28 ms at the first request without
   bytecode). Any other text still goes to ``dateutil``. The value is the same instant;
   its ``tzinfo`` is ``datetime.timezone.utc`` instead of ``dateutil.tz.tzutc()``.

It depends on the SDK's file layout, so it first checks the installed versions against
:data:`PINNED` (pyproject.toml pins the same), and it checks each file's shape before it
changes how that file loads. Any difference means normal imports, with one warning in the
log. ``CORNERSHOP_LAZY_SDK=0`` turns it off; the tests compare every response both ways.

This is the one module that knows the SDK's layout. Standard library only, and nothing
heavy: it runs at every cold start.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from importlib import import_module
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import Any

__all__ = ["ENV_SWITCH", "PINNED", "activate", "deactivate", "lazy_packages", "status"]

# The distributions whose files this module reads, and the versions it was checked against.
PINNED: Mapping[str, str] = {"ask_sdk_model": "1.82.0", "ask_sdk_core": "1.19.0"}
ENV_SWITCH = "CORNERSHOP_LAZY_SDK"

_MODEL = "ask_sdk_model"
_SERVICES = "ask_sdk_model.services."
_FACTORY = "ask_sdk_model.services.service_client_factory"
_SERIALIZE = "ask_sdk_core.serialize"
_DATETIME_METHOD = "_DefaultSerializer__deserialize_datetime"
_CLIENT_SUFFIX = "ServiceClient"

_state = "not activated"
_finder: _SdkFinder | None = None
_lazy: list[str] = []  # packages that got a __getattr__ instead of their __init__
# The thread running the factory module's body, and the factory's namespace, while it runs.
_factory_run: tuple[int, dict[str, Any]] | None = None


def status() -> str:
    """``active``, ``off (...)``, ``fallback: <why>``: what :func:`activate` decided."""
    return _state


def lazy_packages() -> Sequence[str]:
    """The ``ask_sdk_model`` packages loaded lazily in this process so far."""
    return tuple(_lazy)


def activate(env: Mapping[str, str] | None = None) -> str:
    """Install the finder, unless switched off or the SDK is not the pinned one.

    ``CORNERSHOP_LAZY_SDK`` is read here rather than by :class:`skill.config.Settings`:
    the decision must be made before the SDK is first imported, before any settings
    exist. Idempotent; returns :func:`status`.
    """
    global _state, _finder
    env = os.environ if env is None else env
    if _finder is not None:
        return _state
    switch = env.get(ENV_SWITCH, "1").strip().lower()
    if switch in {"0", "false", "no", "off"}:
        _state = f"off ({ENV_SWITCH}={env[ENV_SWITCH]})"
        return _state
    problem = _version_problem()
    if problem:
        _state = f"fallback: {problem}"
        _warn(f"Loading the ASK SDK normally: {problem}.")
        return _state
    _finder = _SdkFinder()
    sys.meta_path.insert(0, _finder)
    _state = "active"
    return _state


def deactivate() -> None:
    """Remove the finder; modules already loaded stay as they are. For tests."""
    global _finder, _state
    if _finder is not None and _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    _finder = None
    _state = "not activated"


def _version_problem() -> str | None:
    """Why the installed SDK is not the pinned one (``None`` when it is).

    Reads ``<package>/__version__.py`` as text: importing it would import the package.
    """
    for package, pinned in PINNED.items():
        spec = PathFinder.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            return f"{package} is not installed as a package"
        path = os.path.join(next(iter(spec.submodule_search_locations)), "__version__.py")
        version = "unknown"
        try:
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    name, equals, value = line.partition("=")
                    if equals and name.strip() == "__version__":
                        version = value.strip().strip("'\"")
                        break
        except (OSError, UnicodeDecodeError):
            pass
        if version != pinned:
            return (
                f"{package} {version} is installed, but skill/lazy_sdk.py was checked against "
                f"{pinned}; pin that version in pyproject.toml, or check the mechanism against "
                "the new layout and update PINNED"
            )
    return None


def _warn(message: str) -> None:
    import logging  # only on a fallback path

    logging.getLogger("cornershop.lazy_sdk").warning(message)


# -- the finder ------------------------------------------------------------------------
# Plain classes, not importlib.abc's: importing importlib.abc pulls in importlib.resources,
# tempfile and shutil, about 20 ms of a cold start without bytecode.
class _SdkFinder:
    """Finds SDK modules as the path finder does, and wraps the loader of a few of them."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if not fullname.startswith(("ask_sdk_model", _SERIALIZE)):
            return None  # the common case: one string comparison per import
        if fullname == _SERIALIZE:
            wrap: type[_WrappingLoader] = _SerializerLoader
        elif fullname == _FACTORY:
            wrap = _FactoryLoader
        elif fullname == _MODEL or fullname.startswith(f"{_MODEL}."):
            wrap = _PackageLoader
        else:
            return None  # ask_sdk_model_runtime and the like
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None or spec.origin is None:
            return spec
        if wrap is _PackageLoader and not spec.submodule_search_locations:
            return spec  # a plain model module: nothing to change
        # The loader protocol (create_module, exec_module), without the importlib.abc base.
        spec.loader = wrap(spec.loader, spec.origin)  # type: ignore[assignment]
        return spec


class _WrappingLoader:
    """Delegates to the path finder's loader; subclasses change ``exec_module``."""

    def __init__(self, original: Any, origin: str) -> None:
        self._original = original
        self._origin = origin

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self._original.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self._original.exec_module(module)

    def __getattr__(self, name: str) -> Any:
        # get_source, get_code, get_resource_reader...: tracebacks and inspect use them.
        return getattr(self._original, name)


class _PackageLoader(_WrappingLoader):
    """An ``ask_sdk_model`` package: a ``__getattr__`` in place of a re-exporting ``__init__``."""

    def exec_module(self, module: ModuleType) -> None:
        parsed = _reexports(self._origin)
        if parsed is None:
            self._original.exec_module(module)
            return
        exports, futures = parsed
        namespace = module.__dict__
        if futures:
            import __future__

            for feature in futures:  # `from __future__ import x` binds x, too
                namespace[feature] = getattr(__future__, feature)
        package = module.__name__
        deferrable = package.startswith(_SERVICES)

        def __getattr__(name: str) -> Any:
            submodule = exports.get(name)
            if submodule is None:
                # A submodule used as an attribute (``ask_sdk_model.ui``), which the
                # __init__ would have imported.
                qualified = f"{package}.{name}"
                try:
                    return import_module(qualified)
                except ModuleNotFoundError as exc:
                    if exc.name != qualified:
                        raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
            run = _factory_run
            if (
                deferrable
                and run is not None
                and run[0] == threading.get_ident()
                and name.endswith(_CLIENT_SUFFIX)
            ):
                return _Deferred(run[1], package, name)  # not bound here: only the factory's
            value = getattr(import_module(f"{package}.{submodule}"), name)
            namespace[name] = value
            return value

        def __dir__() -> list[str]:
            return sorted(set(namespace) | exports.keys() | set(exports.values()))

        namespace["__getattr__"] = __getattr__
        namespace["__dir__"] = __dir__
        _lazy.append(package)


def _reexports(origin: str) -> tuple[dict[str, str], list[str]] | None:
    """``({name: submodule}, [__future__ features])`` if the file at ``origin`` only re-exports.

    ``None`` for anything else (a statement, a docstring, an ``as``, a parenthesised
    import, a file without source), which then runs as it is.
    """
    if not origin.endswith("__init__.py"):
        return None  # sourceless (.pyc only): nothing to read
    try:
        with open(origin, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    exports: dict[str, str] = {}
    futures: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        if len(words) != 4 or words[0] != "from" or words[2] != "import":
            return None
        source, name = words[1], words[3]
        if source == "__future__" and name.isidentifier():
            futures.append(name)
        elif source.startswith(".") and source[1:].isidentifier() and name.isidentifier():
            exports[name] = source[1:]  # a later line wins, as it would in Python
        else:
            return None
    if exports.keys() & set(exports.values()):
        # A name that is also a submodule would be rebound by that submodule's import.
        return None
    return exports, futures


class _FactoryLoader(_WrappingLoader):
    """``service_client_factory``, run as it is, with its client imports deferred."""

    def exec_module(self, module: ModuleType) -> None:
        global _factory_run
        namespace = module.__dict__
        _factory_run = (threading.get_ident(), namespace)
        try:
            self._original.exec_module(module)
        finally:
            _factory_run = None
        if not any(isinstance(value, _Deferred) for value in namespace.values()):
            _warn(
                f"{_FACTORY} did not import its service clients from lazy packages as "
                "skill/lazy_sdk.py expects, so they loaded eagerly."
            )


class _Deferred:
    """Stands for a service client class until first called, then steps aside."""

    __slots__ = ("_name", "_namespace", "_package")

    def __init__(self, namespace: dict[str, Any], package: str, name: str) -> None:
        self._namespace = namespace
        self._package = package
        self._name = name

    def resolve(self) -> Any:
        real = getattr(import_module(self._package), self._name)
        self._namespace[self._name] = real  # the factory calls the class directly from now on
        return real

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.resolve(), name)

    def __repr__(self) -> str:
        return f"<deferred {self._package}.{self._name}>"


class _SerializerLoader(_WrappingLoader):
    """``ask_sdk_core.serialize`` as it is, plus the fast path for Alexa's timestamps."""

    def exec_module(self, module: ModuleType) -> None:
        self._original.exec_module(module)
        serializer = getattr(module, "DefaultSerializer", None)
        original = getattr(serializer, _DATETIME_METHOD, None)
        code = getattr(original, "__code__", None)
        if original is None or code is None or "dateutil.parser" not in code.co_names:
            _warn(
                "ask_sdk_core's DefaultSerializer is not in the shape skill/lazy_sdk.py "
                "expects, so timestamps are read by dateutil."
            )
            return
        setattr(serializer, _DATETIME_METHOD, _fast_datetime(original))


def _alexa_timestamp(text: str) -> datetime | None:
    """``YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z`` as an aware UTC datetime; ``None`` for anything else."""
    if (
        len(text) < 20
        or text[-1] != "Z"
        or text[4] + text[7] + text[10] + text[13] + text[16] != "--T::"
    ):
        return None
    fraction = text[19:-1]
    if fraction and (fraction[0] != "." or not 2 <= len(fraction) <= 7):
        return None
    digits = (text[0:4], text[5:7], text[8:10], text[11:13], text[14:16], text[17:19])
    if not all(d.isascii() and d.isdigit() for d in (*digits, fraction[1:] or "0")):
        return None
    year, month, day, hour, minute, second = (int(d) for d in digits)
    try:
        micro = int(fraction[1:].ljust(6, "0")) if fraction else 0
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError:
        return None  # out of range: dateutil words the error the SDK's way


def _fast_datetime(original: Callable[..., Any]) -> Callable[..., Any]:
    def deserialize_datetime(self: Any, payload: Any, obj_type: Any) -> Any:
        if obj_type is datetime and type(payload) is str:
            parsed = _alexa_timestamp(payload)
            if parsed is not None:
                return parsed
        return original(self, payload, obj_type)

    deserialize_datetime.__wrapped__ = original  # type: ignore[attr-defined]
    return deserialize_datetime
