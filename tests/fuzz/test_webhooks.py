"""Hypothesis against the provider webhooks, with requests signed as the providers sign them.

A forged request stops at the signature check, so fuzzing only unsigned bodies would test
nothing but that check. Here every generated request carries a valid signature (Twilio's
HMAC over our public URL and the parameters; for Gmail the shared secret or a Google OIDC
token from the local fake), so the whole intake runs: parsing, validation, the CRM
services, the outbox. Alongside, raw bodies with any content type, charset and signature.

What must hold: never a 5xx, every refusal our JSON ``{"detail": …}``, and nothing stored
from a request that was refused.
"""
from __future__ import annotations

import base64
import json
import string
from urllib.parse import urlencode

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from channels_app import whatsapp
from crm import services
from crm.models import Channel, DeliveryStatus, Message
from crm.tests.factories import TicketFactory
from tests.fuzz.conftest import Answer, WSGIClient, fuzz_settings

pytestmark = pytest.mark.django_db

INBOUND, STATUS, GMAIL = "/webhooks/whatsapp", "/webhooks/whatsapp/status", "/webhooks/gmail"

# Any text a form can carry: every code point but lone surrogates, which UTF-8 cannot encode,
# with the characters that break things drawn more often than their share of Unicode.
_chars = st.one_of(st.characters(exclude_categories=("Cs",)),
                   st.sampled_from(["\x00", "\u2028", "\ufeff", "\U0001f600", "<", "%", "&", "=", "+", "\n", "\\"]))
text = st.text(_chars, max_size=200)
short_text = st.text(_chars, max_size=40)
sids = st.one_of(st.from_regex(r"\ASM[0-9a-f]{32}\Z"), short_text)
addresses = st.one_of(st.from_regex(r"\Awhatsapp:\+[1-9][0-9]{6,14}\Z"), st.from_regex(r"\A\+?[0-9 ()-]{0,20}\Z"),
                      short_text)
numbers = st.one_of(st.integers(-3, 12).map(str), short_text)
# What an HTTP header can carry: visible Latin-1, no line breaks.
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40)
extra_fields = st.dictionaries(st.text(string.ascii_letters + string.digits, min_size=1, max_size=12), short_text,
                               max_size=4)


def assert_answered_properly(response: Answer, stored_before: int) -> None:
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/json", response.content[:200]
        assert isinstance(response.json()["detail"], str)
        assert Message.objects.count() == stored_before, "a refused request stored something"


def post_signed(wsgi: WSGIClient, path: str, params: dict[str, str]) -> Answer:
    signature = whatsapp.sign(settings.PUBLIC_BASE_URL + path, params)
    return wsgi.request("POST", path, body=urlencode(params).encode(), content_type="application/x-www-form-urlencoded",
                        headers={"X-Twilio-Signature": signature})


inbound_params = st.fixed_dictionaries(
    {"MessageSid": sids, "From": addresses, "Body": text},
    optional={"To": addresses, "ProfileName": text, "WaId": short_text, "NumMedia": numbers,
              "MediaUrl0": text, "MediaContentType0": short_text, "MediaUrl1": short_text,
              "AccountSid": short_text, "SmsMessageSid": sids, "NumSegments": numbers, "SmsStatus": short_text},
)


@given(params=inbound_params, extra=extra_fields)
@fuzz_settings()
def test_signed_whatsapp_messages(wsgi, params, extra) -> None:  # type: ignore[no-untyped-def]
    before = Message.objects.count()
    response = post_signed(wsgi, INBOUND, {**extra, **params})
    assert_answered_properly(response, before)


@pytest.fixture
def sent_reply_sids() -> list[str]:
    """A WhatsApp reply of ours, sent in two parts, whose status callbacks can arrive."""
    ticket = TicketFactory(conversation__initial_channel=Channel.WHATSAPP)
    reply = services.outbound_message_record(ticket=ticket, channel=Channel.WHATSAPP, content="Hello")
    sids_ = ["SM" + "a" * 32, "SM" + "b" * 32]
    services.message_delivery_update(message=reply, status=DeliveryStatus.SENT, provider_id=sids_[0],
                                     metadata={"twilio_sids": sids_})
    return sids_


statuses = st.one_of(st.sampled_from(sorted(whatsapp.TWILIO_STATUS)),
                     st.sampled_from(sorted(whatsapp.TWILIO_STATUS)).map(str.upper), short_text)


@given(data=st.data())
@fuzz_settings()
def test_signed_whatsapp_status_callbacks(wsgi, sent_reply_sids, data) -> None:  # type: ignore[no-untyped-def]
    params = data.draw(st.fixed_dictionaries(
        {"MessageSid": st.one_of(st.sampled_from(sent_reply_sids), sids), "MessageStatus": statuses},
        optional={"ErrorCode": st.one_of(st.integers(0, 99999).map(str), short_text), "ErrorMessage": text,
                  "SmsSid": sids, "SmsStatus": statuses, "AccountSid": short_text, "To": addresses},
    ))
    before = Message.objects.count()
    response = post_signed(wsgi, STATUS, {**data.draw(extra_fields), **params})
    assert_answered_properly(response, before)


charsets = st.one_of(st.none(), st.sampled_from(["utf-8", "UTF8", "latin-1", "utf-16", "punycode", "base64",
                                                 "idna", "rot13", "bogus", "utf-7", "cp037"]), header_text)
content_types = st.one_of(
    st.sampled_from(["application/x-www-form-urlencoded", "application/json", "multipart/form-data", "text/plain",
                     ""]),
    header_text,
)


@given(path=st.sampled_from([INBOUND, STATUS, GMAIL]), body=st.binary(max_size=400), content_type=content_types,
       charset=charsets, signature=header_text, method=st.sampled_from(["POST", "POST", "GET", "PUT"]))
@fuzz_settings()
def test_raw_bodies_any_content_type_and_charset(wsgi, path, body, content_type, charset, signature,
                                                 method) -> None:  # type: ignore[no-untyped-def]
    header = content_type + (f"; charset={charset}" if charset is not None else "")
    before = Message.objects.count()
    response = wsgi.request(method, path, body=body, content_type=header, headers={"X-Twilio-Signature": signature},
                            query=urlencode({"token": settings.GMAIL_PUSH_SHARED_SECRET}))
    assert_answered_properly(response, before)


# --- Gmail push --------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | short_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(short_text, children, max_size=3),
    max_leaves=8,
)
history_ids = st.one_of(st.integers(), st.integers(min_value=2**62), st.integers().map(str), short_text,
                        json_values)
mailboxes = st.one_of(st.just("support@loomline.example"), st.just("SUPPORT@Loomline.example "), short_text,
                      json_values)


def b64(data: bytes, urlsafe: bool) -> str:
    return (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(data).decode()


notifications = st.builds(
    lambda address, history, urlsafe, strip: b64(json.dumps({"emailAddress": address, "historyId": history}).encode(),
                                                 urlsafe).rstrip("=" if strip else ""),
    mailboxes, history_ids, st.booleans(), st.booleans(),
)
push_bodies = st.one_of(
    st.builds(lambda data, message_id, extra: json.dumps({"message": {"data": data, "messageId": message_id,
                                                                      "attributes": extra},
                                                          "subscription": "projects/p/subscriptions/gmail"}),
              st.one_of(notifications, short_text, json_values), json_values, json_values),
    json_values.map(json.dumps),
)


@given(body=push_bodies, token=st.one_of(st.none(), text))
@fuzz_settings()
def test_gmail_pushes_with_the_shared_secret(wsgi, gmail_sync_queue, body, token) -> None:  # type: ignore[no-untyped-def]
    query = {"token": settings.GMAIL_PUSH_SHARED_SECRET if token is None else token}
    response = wsgi.request("POST", GMAIL, body=body.encode(), content_type="application/json", query=urlencode(query))
    assert_answered_properly(response, 0)
    if response.status_code == 202:
        assert gmail_sync_queue.queued[-1][1] == response.json()["history_id"]


@given(body=push_bodies, claims=st.fixed_dictionaries({
    "audience": st.one_of(st.just("https://support.loomline.example/webhooks/gmail"), short_text),
    "email": st.one_of(st.just("gmail-push@loomline-prod.iam.gserviceaccount.com"), short_text),
    "email_verified": st.booleans(),
    "lifetime": st.sampled_from([3600, -3600]),
}), tamper=st.booleans())
@fuzz_settings(examples=40)  # each token is an RSA signature and a certificate check
def test_gmail_pushes_with_google_oidc_tokens(wsgi, gmail_sync_queue, google_certs, body, claims,
                                              tamper) -> None:  # type: ignore[no-untyped-def]
    token = google_certs.token(**claims)
    if tamper:
        token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = wsgi.request("POST", GMAIL, body=body.encode(), content_type="application/json",
                            headers={"Authorization": f"Bearer {token}"})
    assert_answered_properly(response, 0)
