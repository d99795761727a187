"""Request parsers for the API, and the one rule for what a body may declare as its charset."""
from __future__ import annotations

import codecs
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils.http import parse_header_parameters
from rest_framework import exceptions, parsers


def utf8_declared(charset: str | None) -> bool:
    """True when a body declares no charset or a name of UTF-8 (``utf-8``, ``UTF8``, ``utf_8``).

    Forms (WHATWG) and JSON (RFC 8259) are UTF-8. Django refuses any other charset on a
    form with ``BadRequest``, which is its HTML 400 page, and also refuses ``utf8``; a
    decoder picked from the header (``punycode``, ``utf-16``) either fails with an error
    nobody catches or turns ASCII into nonsense.
    """
    if not charset:
        return True
    try:
        return codecs.lookup(charset.strip().strip('"')).name == "utf-8"
    except LookupError:
        return False


def _declared_charset(media_type: str | None) -> str | None:
    if not media_type:
        return None
    return parse_header_parameters(media_type)[1].get("charset")


class SafeJSONParser(parsers.JSONParser):
    """DRF's JSON parser, read as UTF-8 whatever charset the header names, with too-deep
    nesting refused as a 400.

    A charset parameter has no meaning for ``application/json`` (RFC 8259); DRF would
    decode with it (``latin-1`` turned "Díaz" into "DÃ­az"). The stdlib decoder recurses
    once per ``[`` or ``{``; a body of 200,000 of them (well under the upload limit)
    raises ``RecursionError``, which DRF does not catch (it is not a ``ValueError``), so
    it became a 500.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        parser_context = {**(parser_context or {}), "encoding": "utf-8"}
        try:
            return super().parse(stream, media_type=media_type, parser_context=parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the document is nested too deeply.") from None


class SafeFormParser(parsers.FormParser):
    """DRF's form parser, refusing (400) a body that declares a charset other than UTF-8.

    DRF decoded the form with whatever codec the header named: ``punycode`` raised a
    ``UnicodeError`` (a 500), others stored mojibake.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        charset = _declared_charset(media_type)
        if not utf8_declared(charset):
            raise exceptions.ParseError(f"Send the form as UTF-8; this one declares charset={charset[:40]}.")
        return QueryDict(stream.read() if stream is not None else b"", encoding=settings.DEFAULT_CHARSET)
