"""Schemathesis against our own OpenAPI schema: every documented operation, in process.

The schema is the one ``/api/schema/`` serves, fetched through Django's WSGI application
(no server, no network), so an endpoint added to the schema is fuzzed without a change
here. Schemathesis runs its three phases per operation: the schema's examples, coverage
(boundary values, wrong types, missing fields, unexpected methods) and fuzzing (positive
and negative generated cases).

What must hold for every request:
- never a 5xx (``not_a_server_error``);
- input the schema forbids is refused with a 4xx (``negative_data_rejection``);
- the answer is documented: its status code, content type, body and headers match the
  schema; an undocumented method gets 405 with ``Allow``.
Not checked: that every schema-valid input is accepted (``positive_data_acceptance``). Our
rules are stricter than a schema can say (no HTML in a name, a phone number that parses),
so valid-looking input may rightly get a 400.
"""
from __future__ import annotations

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from fte_project.wsgi import application
from tests.fuzz.conftest import fuzz_settings

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, negative_data_rejection, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance, unsupported_method, allow_header_conformance,
          missing_required_header]


@pytest.fixture
def api_schema(generous_limits, wsgi_in_test_transaction):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_wsgi("/api/schema/", application)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@fuzz_settings(examples=40)
def test_every_documented_operation_holds_under_fuzzing(case) -> None:  # type: ignore[no-untyped-def]
    response = case.call()
    case.validate_response(response, checks=CHECKS)


def test_the_fuzzed_schema_documents_the_public_api(api_schema) -> None:  # type: ignore[no-untyped-def]
    # If an operation vanished from the schema, the test above would quietly stop fuzzing it.
    labels = {result.ok().label for result in api_schema.get_all_operations()}
    assert {"POST /support/submit", "GET /support/ticket/{ticket_id}"} <= labels
