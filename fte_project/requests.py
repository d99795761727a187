"""Django's request classes, refusing to be broken by a charset that is not a text encoding."""
from __future__ import annotations

import codecs
from typing import Any

from django.core.handlers.wsgi import WSGIRequest
from django.utils.http import parse_header_parameters


def text_encoding(name: str) -> bool:
    """True when ``name`` is a codec that decodes bytes to text (not base64, rot13, zip…).

    ``_is_text_encoding`` is what ``bytes.decode`` itself checks (CPython, since 3.4).
    """
    try:
        codec = codecs.lookup(name)
    except LookupError:
        return False
    return getattr(codec, "_is_text_encoding", True)


class SafeWSGIRequest(WSGIRequest):
    """A ``WSGIRequest`` that ignores a charset naming a codec that is not a text encoding.

    Django takes any charset ``codecs.lookup`` knows, and setting it re-decodes the query
    string at once, inside the request's constructor: ``Content-Type: text/plain;
    charset=base64`` on any URL with a query string raised ``LookupError`` before any
    middleware or view ran, and gunicorn answered 500. Such a charset is now treated like
    an unknown one (ignored by Django); ``content_params`` still shows it, so the views that
    require UTF-8 refuse it with their own 400.
    """

    def _set_content_type_params(self, meta: dict[str, Any]) -> None:
        self.content_type, self.content_params = parse_header_parameters(meta.get("CONTENT_TYPE", ""))
        charset = self.content_params.get("charset")
        if charset and text_encoding(charset):
            self.encoding = charset
