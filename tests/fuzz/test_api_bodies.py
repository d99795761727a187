"""Hypothesis against the public form API with bodies no schema would generate.

Schemathesis (test_api_schema.py) fuzzes from the schema, and its JSON never holds a lone
surrogate or a value of a type no field declares. Here every field of the support form
takes any JSON value, text with any code point (``"\\ud800"`` included, which the JSON
encoder escapes and our decoder turns back into a lone surrogate), and the same as a
urlencoded form; the ticket status endpoint takes any reference.
"""
from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.models import Message
from tests.fuzz.conftest import Answer, fuzz_settings

pytestmark = pytest.mark.django_db

VALID = {"name": "Ana Díaz", "email": "ana@example.com", "subject": "Cannot reset my password",
         "category": "account", "priority": "medium", "message": "The reset email never arrives. I checked spam."}

# Every code point, lone surrogates included (Hypothesis leaves them out unless asked), with
# the characters that break things drawn more often than their share of Unicode.
nasty = st.sampled_from(["\ud800", "\udfff", "\x00", "\u2028", "\ufeff", "<", "\\", '"', "%", "\n"])
any_text = st.text(st.one_of(st.characters(exclude_categories=()), nasty), max_size=80)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(any_text, children, max_size=3),
    max_leaves=6,
)
# Each field, independently: kept, left out (None), or replaced by any text or JSON value.
field_changes = st.fixed_dictionaries({}, optional={name: st.one_of(st.none(), any_text, json_values)
                                                    for name in [*VALID, "phone", "extra"]})


def assert_answered_properly(response: Answer, stored_before: int) -> None:
    assert response.status_code < 500, response.content[:500]
    response.content.decode("utf-8")  # strict: whatever was echoed, the answer is valid UTF-8
    assert response["Content-Type"] == "application/json"
    if response.status_code >= 400:
        assert isinstance(response.json()["detail"], str)
        assert Message.objects.count() == stored_before, "a refused request stored something"


def submission(changes: dict) -> dict:
    body = {**VALID, **changes}
    return {k: v for k, v in body.items() if v is not None}


@given(changes=field_changes, key=st.one_of(st.none(), st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF),
                                                                  max_size=60)))
@fuzz_settings()
def test_json_submissions(wsgi, generous_limits, changes, key) -> None:  # type: ignore[no-untyped-def]
    before = Message.objects.count()
    response = wsgi.request("POST", "/support/submit", body=json.dumps(submission(changes)).encode(),
                            content_type="application/json", headers={"Idempotency-Key": key} if key else None)
    assert_answered_properly(response, before)


@given(changes=st.dictionaries(st.sampled_from([*VALID, "phone"]), st.text(st.characters(exclude_categories=("Cs",)),
                                                                           max_size=80), max_size=4))
@fuzz_settings(examples=40)
def test_form_submissions(wsgi, generous_limits, changes) -> None:  # type: ignore[no-untyped-def]
    before = Message.objects.count()
    response = wsgi.request("POST", "/support/submit", body=urlencode(submission(changes)).encode(),
                            content_type="application/x-www-form-urlencoded")
    assert_answered_properly(response, before)


# Without "/": /support/ticket/a/b is another URL, none of ours (Django's own 404 page).
@given(reference=st.text(st.characters(exclude_categories=("Cs",), exclude_characters="/"), min_size=1, max_size=60))
@fuzz_settings(examples=40)
def test_ticket_references(wsgi, generous_limits, reference) -> None:  # type: ignore[no-untyped-def]
    response = wsgi.request("GET", "/support/ticket/" + quote(reference, safe=""))
    # Without the ticket's signed token the answer is 403; never a 5xx, whatever the reference.
    assert response.status_code in (403, 404, 405) or response.status_code < 300, response.content[:300]
    assert response["Content-Type"] == "application/json" or response.status_code == 405
