"""What the bridge accepts from fte.tickets.incoming, and what it dead-letters."""
from __future__ import annotations

import json

import pytest

from channels_app.bridge import PoisonRecord, parse_incoming
from crm import services

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("raw,why", [
    (None, "not JSON"),
    (b"{not json", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b"[" * 200_000, "not JSON"),  # nested past the parser's recursion limit
    (b"[1, 2]", "not a JSON object"),
    (b'{"message_id": true}', "not a positive integer"),
    (b'{"message_id": "7"}', "not a positive integer"),
    (b'{"message_id": 987654321}', "does not exist"),
])
def test_records_that_cannot_be_processed_are_poison(raw, why) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PoisonRecord, match=why):
        parse_incoming(raw)


def test_a_record_naming_an_inbound_message_is_accepted() -> None:
    message = services.inbound_message_accept(channel="web_form", provider_id="b-1", content="hi",
                                              email="b@example.com").message
    assert parse_incoming(json.dumps({"event": "message.received", "message_id": message.pk}).encode()) == message.pk
