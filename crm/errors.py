"""Errors the CRM services raise. Each carries a message fit to show a person."""
from __future__ import annotations


class CRMError(Exception):
    """Base class: a business rule refused the action; nothing was written."""

    code = "crm_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(CRMError):
    code = "invalid_input"


class IllegalTransition(CRMError):
    code = "illegal_transition"


class AlreadyClaimed(CRMError):
    code = "already_claimed"
