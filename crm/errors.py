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


class KnowledgeVectorsMissing(CRMError):
    """New knowledge chunks have no vector, neither supplied nor stored for an identical chunk.

    Someone changed the article between the caller's embedding and its write. The
    caller embeds the texts of ``hashes`` (outside any transaction) and tries again.
    """

    code = "vectors_missing"

    def __init__(self, hashes: set[str]) -> None:
        super().__init__(f"{len(hashes)} chunk(s) need embeddings.")
        self.hashes = hashes


class KnowledgeArticleChanged(CRMError):
    """The article's text changed after the caller chunked it: chunk it again."""

    code = "article_changed"
