"""Making text from outside storable in PostgreSQL.

PostgreSQL refuses two things Python strings can hold: the NUL character (in ``text``
and in ``jsonb``) and lone UTF-16 surrogates (U+D800–U+DFFF), which cannot be encoded
as UTF-8. Both turn up in real input — a mail decoded with charset utf-7 or
unicode_escape, an RFC 2047 subject or RFC 2231 filename carrying ``%00``, a webhook
field with ``%00`` — and one such row would otherwise fail the whole intake.
"""
from __future__ import annotations

import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def storable_text(value: str) -> str:
    """``value`` without NUL characters, with each lone surrogate replaced by U+FFFD."""
    value = value.replace("\x00", "")
    if _SURROGATE.search(value):
        # A high+low pair (e.g. from a decoder that does not join them) is one real
        # character: round-tripping through UTF-16 joins pairs, and only what is
        # still unpaired becomes U+FFFD.
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return value


def storable_data(value: Any) -> Any:
    """``storable_text`` applied to every string in JSON-like data, keys included."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable_data(k): storable_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_data(v) for v in value]
    return value
