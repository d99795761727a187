"""Errors every channel adapter shares."""
from __future__ import annotations


class ReplyNotPossible(Exception):
    """The channel cannot carry this reply at all (no address, empty, outside WhatsApp's window).

    ``code`` is short and stable: it is stored as the message's delivery error code.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
