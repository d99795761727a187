"""POST /webhooks/whatsapp and /webhooks/whatsapp/status, signed as Twilio signs them."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from channels_app import whatsapp
from channels_app.tests.helpers import twilio_params, twilio_post
from crm import services
from crm.models import Channel, Customer, DeliveryStatus, Message, OutboxEvent, TicketStatus
from crm.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

PATH = "/webhooks/whatsapp"


def test_a_signed_message_is_stored_and_answered_with_empty_twiml(api) -> None:  # type: ignore[no-untyped-def]
    response = twilio_post(api, PATH, twilio_params())

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode() == whatsapp.EMPTY_TWIML
    message = Message.objects.get()
    assert (message.channel, message.provider_id, message.content) == (
        Channel.WHATSAPP, "SM" + "a" * 32, "How do I reset my password?")
    assert message.metadata["from"] == "whatsapp:+14155550123"
    assert message.metadata["profile_name"] == "Ana Díaz"
    customer = message.conversation.customer
    assert customer.name == "Ana Díaz"
    assert list(customer.identifiers.values_list("kind", "value")) == [("phone", "+14155550123")]
    assert OutboxEvent.objects.filter(topic="fte.tickets.incoming", payload__message_id=message.pk).exists()


def test_media_is_recorded_not_inlined(api) -> None:  # type: ignore[no-untyped-def]
    params = twilio_params(Body="", NumMedia="2",
                           MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
                           MediaContentType0="image/jpeg",
                           MediaUrl1="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
                           MediaContentType1="application/pdf")
    assert twilio_post(api, PATH, params).status_code == 200

    message = Message.objects.get()
    assert [m["content_type"] for m in message.metadata["media"]] == ["image/jpeg", "application/pdf"]
    assert "image/jpeg" in message.content


@pytest.mark.parametrize("num_media, content", [("1", "(Sent 1 attachment without text.)"),
                                                 ("3", "(Sent 3 attachments without text.)")])
def test_media_without_a_url_or_text_is_stored_not_dropped(api, num_media, content) -> None:  # type: ignore[no-untyped-def]
    assert twilio_post(api, PATH, twilio_params(Body="", NumMedia=num_media)).status_code == 200

    message = Message.objects.get()
    assert message.content == content
    assert (message.metadata["num_media"], message.metadata["media"]) == (int(num_media), [])


def test_a_redelivered_message_is_stored_once(api) -> None:  # type: ignore[no-untyped-def]
    params = twilio_params()
    assert twilio_post(api, PATH, params).status_code == 200
    assert twilio_post(api, PATH, params).status_code == 200  # Twilio retried: same sid, same signature

    assert Message.objects.count() == 1
    assert OutboxEvent.objects.filter(topic="fte.tickets.incoming").count() == 1


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", whatsapp.sign("http://127.0.0.1:8000/other", {})])
def test_a_bad_or_missing_signature_is_403_and_stores_nothing(api, signature) -> None:  # type: ignore[no-untyped-def]
    response = twilio_post(api, PATH, twilio_params(), signature=signature)

    assert response.status_code == 403
    assert response.json() == {"detail": "The Twilio signature is missing or wrong."}
    assert Message.objects.count() == 0 and Customer.objects.count() == 0


def test_a_replayed_signature_with_changed_parameters_is_403(api) -> None:  # type: ignore[no-untyped-def]
    original = twilio_params()
    captured = whatsapp.sign("http://127.0.0.1:8000" + PATH, original)
    tampered = {**original, "Body": "Please refund me everything", "MessageSid": "SM" + "b" * 32}

    assert twilio_post(api, PATH, tampered, signature=captured).status_code == 403
    assert Message.objects.count() == 0


def test_signed_for_another_url_is_403(api) -> None:  # type: ignore[no-untyped-def]
    params = twilio_params()
    response = twilio_post(api, PATH, params, signed_url="https://evil.example/webhooks/whatsapp")
    assert response.status_code == 403


def test_the_internal_url_does_not_validate_only_the_public_one(api, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PUBLIC_BASE_URL = "https://support.loomline.example"
    internal = twilio_post(api, PATH, twilio_params(), signed_url="http://testserver" + PATH)
    public = twilio_post(api, PATH, twilio_params(), signed_url="https://support.loomline.example" + PATH)

    assert (internal.status_code, public.status_code) == (403, 200)


def test_behind_a_proxy_the_forwarded_host_and_scheme_are_the_public_url(api, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    settings.USE_X_FORWARDED_HOST = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = ["testserver", "wa.loomline.example"]

    response = twilio_post(api, PATH, twilio_params(), signed_url="https://wa.loomline.example" + PATH,
                           HTTP_X_FORWARDED_HOST="wa.loomline.example", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200


def test_behind_a_proxy_a_forwarded_port_out_of_range_is_no_match_not_500(api, settings) -> None:  # type: ignore[no-untyped-def]
    settings.USE_X_FORWARDED_HOST = True
    settings.ALLOWED_HOSTS = ["testserver", "wa.loomline.example"]
    forged = twilio_post(api, PATH, twilio_params(), signature="abc", HTTP_X_FORWARDED_HOST="wa.loomline.example:99999")
    # The public URL from PUBLIC_BASE_URL is still a candidate.
    genuine = twilio_post(api, PATH, twilio_params(), HTTP_X_FORWARDED_HOST="wa.loomline.example:99999")

    assert forged.status_code == 403
    assert forged.json() == {"detail": "The Twilio signature is missing or wrong."}
    assert genuine.status_code == 200 and Message.objects.count() == 1


def test_a_query_string_is_part_of_the_signed_url(api) -> None:  # type: ignore[no-untyped-def]
    params = twilio_params()
    path = PATH + "?source=whatsapp"
    assert twilio_post(api, path, params).status_code == 200


@pytest.mark.parametrize(
    "params, field",
    [
        (twilio_params(MessageSid="", SmsMessageSid=""), "MessageSid"),
        (twilio_params(From=""), "From"),
        (twilio_params(From="whatsapp:+1"), "phone"),
        (twilio_params(MessageSid="SM../../etc/passwd", SmsMessageSid=""), "MessageSid"),
        (twilio_params(NumMedia="lots"), "NumMedia"),
    ],
)
def test_signed_but_malformed_messages_are_400_and_store_nothing(api, params, field) -> None:  # type: ignore[no-untyped-def]
    response = twilio_post(api, PATH, params)

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    "overrides, content, metadata",
    [
        ({"From": "whatsapp:+14155550123\x00"}, "How do I reset my password?", {"from": "whatsapp:+14155550123"}),
        ({"To": "whatsapp:+14155238886\x00"}, "How do I reset my password?", {"to": "whatsapp:+14155238886"}),
        ({"WaId": "1415\x00"}, "How do I reset my password?", {"wa_id": "1415"}),
        ({"Body": "", "Latitude": "1\x00", "Longitude": "2"}, "(Shared a location: 1, 2.)", {}),
        ({"Body": "", "NumMedia": "1", "MediaUrl0": "https://x.example/1\x00", "MediaContentType0": "image/\x00"},
         "(Sent image/ without text.)", {"media": [{"url": "https://x.example/1", "content_type": "image/"}]}),
        ({"Body": "hi\x00", "ProfileName": "Ana\x00", "ButtonText": "Yes\x00", "ReferralBody": "x"}, "hi",
         {"profile_name": "Ana", "button_text": "Yes"}),
    ],
    ids=["from", "to", "wa-id", "latitude", "media-content-type", "body-profile-button"],
)
def test_nul_bytes_in_any_field_are_dropped_and_the_message_stored(api, overrides, content, metadata) -> None:  # type: ignore[no-untyped-def]
    # PostgreSQL refuses NUL in text and jsonb; a signed webhook carrying one was a 500
    # (and Twilio's retries of it too).
    response = twilio_post(api, PATH, twilio_params(**overrides))

    assert response.status_code == 200
    message = Message.objects.get()
    assert message.content == content
    assert metadata.items() <= message.metadata.items()
    assert "\x00" not in str(message.metadata)


def test_nul_bytes_in_the_sid_or_counts_are_400_not_500(api) -> None:  # type: ignore[no-untyped-def]
    sid = twilio_post(api, PATH, twilio_params(MessageSid="SM\x00", SmsMessageSid=""))
    num_media = twilio_post(api, PATH, twilio_params(NumMedia="1\x00"))

    assert (sid.status_code, num_media.status_code) == (400, 400)
    assert "MessageSid" in sid.json()["fields"] and "NumMedia" in num_media.json()["fields"]
    assert Message.objects.count() == 0


def test_script_tags_are_stored_as_text(api) -> None:  # type: ignore[no-untyped-def]
    assert twilio_post(api, PATH, twilio_params(Body="<script>alert(1)</script>")).status_code == 200
    assert Message.objects.get().content == "<script>alert(1)</script>"


def test_an_empty_message_without_media_is_acknowledged_and_not_stored(api) -> None:  # type: ignore[no-untyped-def]
    assert twilio_post(api, PATH, twilio_params(Body="")).status_code == 200
    assert Message.objects.count() == 0


def test_not_utf8_is_400(api) -> None:  # type: ignore[no-untyped-def]
    body = urlencode(twilio_params()).encode() + b"&Body=%FF%FE%FA"
    response = api.post(PATH, data=body, content_type="application/x-www-form-urlencoded",
                        HTTP_X_TWILIO_SIGNATURE="x")
    assert response.status_code == 400
    assert "UTF-8" in response.json()["detail"]
    assert Message.objects.count() == 0


@pytest.mark.parametrize("path", [PATH, "/webhooks/whatsapp/status"])
@pytest.mark.parametrize("charset", ["latin-1", "utf-16", "punycode", "base64", "nonsense"])
def test_a_charset_other_than_utf8_is_our_json_400(api, settings, path, charset) -> None:  # type: ignore[no-untyped-def]
    params = twilio_params()
    # generic(): the bytes go out as they are (post() would re-encode them in that charset).
    response = api.generic("POST", path, data=urlencode(params).encode(),
                           content_type=f"application/x-www-form-urlencoded; charset={charset}",
                           HTTP_X_TWILIO_SIGNATURE=whatsapp.sign(settings.PUBLIC_BASE_URL + path, params))

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "UTF-8" in response.json()["detail"]
    assert Message.objects.count() == 0


@pytest.mark.parametrize("charset", ["UTF-8", "utf8", "utf_8"])
def test_any_name_of_utf8_is_accepted(api, settings, charset) -> None:  # type: ignore[no-untyped-def]
    params = twilio_params()
    response = api.generic("POST", PATH, data=urlencode(params).encode(),
                           content_type=f"application/x-www-form-urlencoded; charset={charset}",
                           HTTP_X_TWILIO_SIGNATURE=whatsapp.sign(settings.PUBLIC_BASE_URL + PATH, params))

    assert response.status_code == 200
    assert Message.objects.get().metadata["profile_name"] == "Ana Díaz"


def test_wrong_content_type_is_415(api) -> None:  # type: ignore[no-untyped-def]
    response = api.post(PATH, data='{"Body": "hi"}', content_type="application/json", HTTP_X_TWILIO_SIGNATURE="x")
    assert response.status_code == 415


def test_a_huge_body_is_413(api, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5_000
    response = twilio_post(api, PATH, twilio_params(Body="x" * 10_000))
    assert response.status_code == 413
    assert Message.objects.count() == 0


def test_get_is_405(api) -> None:  # type: ignore[no-untyped-def]
    assert api.get(PATH).status_code == 405


# --- Status callbacks -------------------------------------------------------------------------

STATUS_PATH = "/webhooks/whatsapp/status"


def _outbound(sids: list[str]) -> Message:
    ticket = TicketFactory(conversation__initial_channel=Channel.WHATSAPP)
    message = services.outbound_message_record(ticket=ticket, channel=Channel.WHATSAPP, content="Hello")
    return services.message_delivery_update(message=message, status=DeliveryStatus.QUEUED, provider_id=sids[0],
                                            metadata={"twilio_sids": sids})


def _status(api, sid: str, status: str, **extra: str):  # type: ignore[no-untyped-def]
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "1" * 32, **extra}
    return twilio_post(api, STATUS_PATH, params)


def test_status_callbacks_move_the_delivery_status_forward(api) -> None:  # type: ignore[no-untyped-def]
    message = _outbound(["SM1"])
    for status in ("sent", "delivered", "sent"):  # a late "sent" does not undo "delivered"
        assert _status(api, "SM1", status).status_code == 204
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.DELIVERED
    assert _status(api, "SM1", "read").status_code == 204
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.READ


def test_a_long_reply_is_delivered_when_every_part_is(api) -> None:  # type: ignore[no-untyped-def]
    message = _outbound(["SM1", "SM2"])
    _status(api, "SM1", "delivered")
    message.refresh_from_db()
    assert message.delivery_status != DeliveryStatus.DELIVERED
    _status(api, "SM2", "delivered")
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.DELIVERED


def test_an_undelivered_reply_is_marked_and_the_ticket_goes_to_a_human(api) -> None:  # type: ignore[no-untyped-def]
    message = _outbound(["SM1"])
    assert _status(api, "SM1", "undelivered", ErrorCode="63016").status_code == 204

    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_error_code) == (DeliveryStatus.UNDELIVERED, "63016")
    ticket = message.ticket
    ticket.refresh_from_db()
    assert (ticket.status, ticket.escalation_reason, ticket.urgency) == (TicketStatus.ESCALATED, "delivery_failed",
                                                                         "high")
    # The same callback again changes nothing more.
    assert _status(api, "SM1", "undelivered", ErrorCode="63016").status_code == 204
    assert ticket.events.filter(kind="escalated").count() == 1


def test_status_for_an_unknown_message_is_acknowledged(api) -> None:  # type: ignore[no-untyped-def]
    assert _status(api, "SMunknown", "delivered").status_code == 204


def test_status_callbacks_need_a_signature_and_a_known_status(api) -> None:  # type: ignore[no-untyped-def]
    _outbound(["SM1"])
    params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    assert twilio_post(api, STATUS_PATH, params, signature="forged").status_code == 403
    assert _status(api, "SM1", "exploded").status_code == 400


@pytest.mark.parametrize("sid", ["SM\x00", "SM../../etc/passwd", "SM" + "a" * 70, ""])
def test_a_malformed_status_sid_is_400_with_a_readable_message(api, sid) -> None:  # type: ignore[no-untyped-def]
    message = _outbound(["SM1"])
    response = _status(api, sid, "sent")

    assert response.status_code == 400
    assert response.json()["fields"]["MessageSid"] == [response.json()["detail"]]
    assert "MessageSid is" in response.json()["detail"]
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.QUEUED
