"""The API's JSON renderer."""
from __future__ import annotations

import json

from rest_framework.exceptions import ErrorDetail

from fte_project.renderers import SafeJSONRenderer


def test_text_utf8_cannot_encode_is_rendered_as_replacement_characters() -> None:
    data = {"fields": {"category\udfff": [ErrorDetail('"\ud800" is not a valid choice.', code="invalid_choice")]},
            "detail": "a pair \ud83d\ude00 stays one character", "n": 3}

    rendered = SafeJSONRenderer().render(data).decode("utf-8")

    assert json.loads(rendered) == {"fields": {"category\ufffd": ['"\ufffd" is not a valid choice.']},
                                    "detail": "a pair \U0001f600 stays one character", "n": 3}


def test_ordinary_data_renders_as_drf_does() -> None:
    data = {"detail": "Ünïcode and \u2028 line separators", "items": [1, 2.5, None, True]}
    assert SafeJSONRenderer().render(data) == json.dumps(
        data, ensure_ascii=False, separators=(",", ":")).replace("\u2028", "\\u2028").encode()
