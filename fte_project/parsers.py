"""Request parsers for the API."""
from __future__ import annotations

from typing import Any

from rest_framework import exceptions, parsers


class SafeJSONParser(parsers.JSONParser):
    """DRF's JSON parser, with too-deep nesting refused as a 400.

    The stdlib decoder recurses once per ``[`` or ``{``; a body of 200,000 of them (well
    under the upload limit) raises ``RecursionError``, which DRF does not catch (it is
    not a ``ValueError``), so it became a 500.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type=media_type, parser_context=parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the document is nested too deeply.") from None
