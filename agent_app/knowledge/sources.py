"""Generated markdown documents other apps add to the knowledge base (a registry agent_app owns).

An app above us that writes help-centre articles (reporting's reviewed drafts) registers a
function returning ``(source, markdown)``; ``ingest_kb`` ingests those documents along with
its files. A generated document that has no articles left deletes its articles: unlike a
hand-edited file, an empty one means "none approved", not a mistake.
"""
from __future__ import annotations

from collections.abc import Callable

DocumentSource = Callable[[], tuple[str, str]]
_sources: list[DocumentSource] = []


def register_document_source(source: DocumentSource) -> None:
    if source not in _sources:
        _sources.append(source)


def registered_documents() -> list[tuple[str, str]]:
    return [source() for source in _sources]
