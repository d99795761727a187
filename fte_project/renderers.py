"""Response renderers for the API."""
from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from rest_framework.renderers import JSONRenderer


def _without_lone_surrogates(value: Any) -> Any:
    """``value`` with every lone UTF-16 surrogate in its strings (keys included) replaced by
    U+FFFD; a high+low pair is one real character and is joined."""
    if isinstance(value, str | Promise):
        return str(value).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_lone_surrogates(v) for v in value]
    return value


class SafeJSONRenderer(JSONRenderer):
    """DRF's JSON renderer, which never fails on text that UTF-8 cannot encode.

    JSON may carry ``"\\ud800"`` and Python decodes it to a lone surrogate. Any message
    that echoes input (DRF's "… is not a valid choice.", a key in ``fields``) then holds a
    character UTF-8 cannot encode, and ``render`` raised ``UnicodeEncodeError`` after the
    view had already answered 400: a 500. Rendering here, for every field of every
    endpoint, replaces such characters with U+FFFD instead.
    """

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: dict[str, Any] | None = None) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return super().render(_without_lone_surrogates(data), accepted_media_type, renderer_context)
