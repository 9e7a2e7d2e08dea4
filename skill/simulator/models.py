"""Interaction models from wherever a skill keeps them.

:meth:`ModelSet.find` accepts what developers have on disk:

* an **ask-cli project** (the folder holding ``skill-package/``), or the
  **skill package** itself (holding ``interactionModels/custom/``);
* an **``interactionModels/custom``** folder, or any folder of ``<locale>.json``
  files (this project's ``interaction_models/``, ask-cli v1's and Bespoken's ``models/``);
* **one model JSON** file. Named like a locale (``de-DE.json``) it is that
  locale's model; otherwise it serves whichever locale is asked for.

Models are read when first asked for and kept; a file that is not JSON, or
JSON without ``interactionModel.languageModel.intents``, is a :class:`ModelError`
naming the file.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

from skill.simulator.errors import ModelError

__all__ = ["LOCALE", "ModelSet"]

LOCALE = re.compile(r"^[a-z]{2,3}-[A-Z]{2}$")
_WHERE = (
    "Point it at an ask-cli project or skill package (the folder with skill-package/ or "
    "interactionModels/), an interactionModels/custom folder, a folder of <locale>.json "
    "files, or one model JSON file."
)


class ModelSet:
    """The interaction models of one skill, by locale. Thread-safe; models load once."""

    def __init__(self, root: Path, files: dict[str, Path], *, any_locale: Path | None = None):
        self.root = root
        self._files = dict(sorted(files.items()))
        self._any = any_locale
        self._loaded: dict[Path, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ModelSet({str(self.root)!r}, locales={self.locales})"

    # -- finding ---------------------------------------------------------------
    @classmethod
    def find(cls, path: str | Path) -> ModelSet:
        """The models at ``path`` (see the module docs); a :class:`ModelError` says what to pass."""
        path = Path(path).expanduser()
        if path.is_file():
            if LOCALE.match(path.stem):
                return cls(path, {path.stem: path})
            return cls(path, {}, any_locale=path)
        if not path.is_dir():
            raise ModelError(f"There is no file or folder at {path}. {_WHERE}")
        for folder in (
            path / "skill-package" / "interactionModels" / "custom",
            path / "interactionModels" / "custom",
            path / "custom",
            path / "models",
            path,
        ):
            files = {p.stem: p for p in folder.glob("*.json") if LOCALE.match(p.stem)}
            if files:
                return cls(folder, files)
        raise ModelError(f"No interaction models (<locale>.json) were found under {path}. {_WHERE}")

    # -- reading ---------------------------------------------------------------
    @property
    def locales(self) -> list[str]:
        """The locales with a model of their own (empty for one unnamed file)."""
        return list(self._files)

    def has(self, locale: str) -> bool:
        return self._any is not None or locale in self._files

    def path_for(self, locale: str) -> Path:
        path = self._files.get(locale) or self._any
        if path is None:
            raise ModelError(
                f"{self.root} has no {locale} interaction model. Its locales are "
                f"{', '.join(self.locales) or 'none'}; pass one of them, or add {locale}.json."
            )
        return path

    def load(self, locale: str) -> dict[str, Any]:
        """The model for ``locale``, read once. Callers must not change it."""
        path = self.path_for(locale)
        with self._lock:
            cached = self._loaded.get(path)
        if cached is not None:
            return cached
        model = _read(path)
        with self._lock:
            return self._loaded.setdefault(path, model)


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text("utf-8-sig")  # the developer console's exports may start with a BOM
    except OSError as exc:
        raise ModelError(f"{path} cannot be read ({exc.strerror or exc}).") from exc
    except UnicodeDecodeError as exc:
        raise ModelError(f"{path} is not UTF-8 text: {exc}.") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ModelError(f"{path} is not valid JSON ({exc}). Export the model again.") from exc
    intents = (
        data.get("interactionModel", {}).get("languageModel", {}).get("intents")
        if isinstance(data, dict)
        else None
    )
    if not isinstance(intents, list):
        raise ModelError(
            f"{path} is not an interaction model: it has no interactionModel.languageModel."
            "intents list. Use the JSON from the developer console's JSON Editor or "
            "skill-package/interactionModels/custom/<locale>.json."
        )
    model: dict[str, Any] = data
    return model
