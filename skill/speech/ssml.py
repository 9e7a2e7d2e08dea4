"""SSML helpers. All speech is built as plain text and escaped here, once."""

from __future__ import annotations

import re

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_TAG = re.compile(r"<[^>]+>")


def escape(text: str) -> str:
    """Escape the characters that would break SSML (``&``, ``<``, ``>``)."""
    return text.translate(_ESCAPES)


def to_text(ssml: str) -> str:
    """Strip tags and unescape: what a person hears, as text (for transcripts and cards)."""
    plain = _TAG.sub("", ssml)
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
