"""SSML helpers. All speech is built as plain text and escaped here, once."""

from __future__ import annotations

import re

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# Characters XML 1.0 forbids (control characters, lone surrogates, U+FFFE/FFFF):
# one of them in a slot value would make the whole SSML document invalid.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_TAG = re.compile(r"<[^>]+>")


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>``, and drop characters XML cannot carry at all."""
    return _NOT_XML.sub("", text).translate(_ESCAPES)


def to_text(ssml: str) -> str:
    """Strip tags and unescape: what a person hears, as text (for transcripts and cards)."""
    plain = _TAG.sub("", ssml)
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
