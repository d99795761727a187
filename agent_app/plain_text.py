"""Typographic quotes read as plain ones: ``don’t`` as ``don't``.

Customers' phones and mail clients write curly quotes; every training message, every
regular expression and the Help Centre use plain ones. The intent layer, the knowledge
search's semantic retriever and governance's patterns read a message through this one
table, so they agree on its text (and the local embedder's cache sees the same string).
"""
from __future__ import annotations

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def plain_quotes(text: str) -> str:
    return (text or "").translate(_QUOTES)
