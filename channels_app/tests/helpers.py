"""Helpers shared by the channel tests: requests shaped and signed like the providers' own."""
from __future__ import annotations

import base64
import json
from email.utils import formatdate, make_msgid
from urllib.parse import urlencode

from django.test import Client

from channels_app import whatsapp
from channels_app.email_parsing import build_text_email

TEST_ACCOUNT_SID = "AC" + "1" * 32


def twilio_params(**overrides: str) -> dict[str, str]:
    params = {
        "MessageSid": "SM" + "a" * 32, "SmsMessageSid": "SM" + "a" * 32, "AccountSid": TEST_ACCOUNT_SID,
        "From": "whatsapp:+14155550123", "To": "whatsapp:+14155238886", "Body": "How do I reset my password?",
        "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ProfileName": "Ana Díaz",
        "WaId": "14155550123", "ApiVersion": "2010-04-01",
    }
    params.update(overrides)
    return params


def twilio_post(client: Client, path: str, params: dict[str, str], *, signed_url: str | None = None,
                signature: str | None = None, **extra: str):  # type: ignore[no-untyped-def]
    """POST like Twilio: form-encoded, signed over the public URL."""
    from django.conf import settings

    url = signed_url or settings.PUBLIC_BASE_URL + path
    sig = signature if signature is not None else whatsapp.sign(url, params)
    return client.post(path, data=urlencode(params), content_type="application/x-www-form-urlencoded",
                       HTTP_X_TWILIO_SIGNATURE=sig, **extra)


def make_mail(*, sender: str = "ana.diaz@example.com", name: str = "Ana Díaz", to: str = "support@loomline.example",
              subject: str = "Reset link never arrives", body: str = "I asked for a reset link twice. Nothing arrives.",
              in_reply_to: str = "", references: list[str] | None = None, extra: dict[str, str] | None = None,
              message_id: str | None = None) -> bytes:
    return build_text_email(
        from_name=name, from_address=sender, to_address=to, subject=subject, body=body,
        message_id=message_id or make_msgid(domain=sender.rsplit("@", 1)[1]), in_reply_to=in_reply_to,
        references=references, extra_headers=extra, date=formatdate(usegmt=True),
    ).as_bytes()


def push_body(history_id: int, address: str = "support@loomline.example") -> bytes:
    data = base64.b64encode(json.dumps({"emailAddress": address, "historyId": history_id}).encode()).decode()
    return json.dumps({"message": {"data": data, "messageId": "136969346945", "publishTime": "2025-11-27T16:00:00Z",
                                   "attributes": {}}, "subscription": "projects/p/subscriptions/gmail"}).encode()


def gmail_push(client: Client, body: bytes, *, token: str | None = None, bearer: str | None = None):  # type: ignore[no-untyped-def]
    from django.conf import settings

    path = "/webhooks/gmail"
    if token is None and bearer is None:
        token = settings.GMAIL_PUSH_SHARED_SECRET
    if token is not None:
        path += "?" + urlencode({"token": token})
    extra = {"HTTP_AUTHORIZATION": f"Bearer {bearer}"} if bearer is not None else {}
    return client.post(path, data=body, content_type="application/json", **extra)
