"""Send a realistic, correctly signed inbound message through the real webhook, over HTTP.

    manage.py simulate_inbound --channel whatsapp --from +14155550123 --text "How do I reset my password?"
    manage.py simulate_inbound --channel email --from ana@example.com --name "Ana Díaz" \
        --subject "Reset link" --text "The reset email never arrives."
    manage.py simulate_inbound --channel web_form --from ana@example.com --text "Where do I find invoices?"

- whatsapp: the form Twilio would POST to ``/webhooks/whatsapp``, signed with
  ``TWILIO_AUTH_TOKEN`` over the public URL (``PUBLIC_BASE_URL``) exactly as Twilio does.
- email: the mail is put into the sandbox mailbox and a Pub/Sub push, authenticated
  with ``GMAIL_PUSH_SHARED_SECRET``, is POSTed to ``/webhooks/gmail``; the webhook
  queues the sync task, and the worker reads the mail through the Gmail API client
  (``history.list``, ``messages.get``), which in sandbox mode is answered by the sandbox
  mailbox. Needs Gmail in sandbox mode (and, as ``make run`` has, a Celery worker).
- web_form: the JSON the React form would POST to ``/support/submit``.

Nothing is signed with a shortcut and no verification is skipped: the webhook cannot
tell this request from the provider's.
"""
from __future__ import annotations

import base64
import json
import secrets
import urllib.error
import urllib.request
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from channels_app import whatsapp
from channels_app.gmail.client import gmail_mode
from channels_app.gmail.sandbox import deposit
from channels_app.email_parsing import build_text_email
from crm.errors import InvalidInput
from crm.identity import normalise_email, normalise_phone


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own server
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except urllib.error.URLError as exc:
        raise CommandError(f"Could not reach {url}: {exc.reason}. Is the server running (make run)?") from None


class Command(BaseCommand):
    help = "Sign and send a realistic inbound message through the real webhook (demos)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", required=True, choices=["whatsapp", "email", "web_form"])
        parser.add_argument("--from", dest="sender", required=True,
                            help="Phone number (+E.164) for WhatsApp, email address otherwise")
        parser.add_argument("--text", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument("--subject", default="")
        parser.add_argument("--thread-id", default="", help="email: continue this Gmail thread")
        parser.add_argument("--in-reply-to", default="", help="email: the Message-ID this mail answers")
        parser.add_argument("--base-url", default="", help="Where to send it (default PUBLIC_BASE_URL)")

    def handle(self, *args: Any, channel: str, sender: str, text: str, name: str, subject: str, thread_id: str,
               in_reply_to: str, base_url: str, **options: Any) -> None:
        base = (base_url or settings.PUBLIC_BASE_URL).rstrip("/")
        try:
            if channel == "whatsapp":
                status, body = self._whatsapp(base, normalise_phone(sender), text, name)
            elif channel == "email":
                status, body = self._email(base, normalise_email(sender), text, name, subject, thread_id,
                                           in_reply_to)
            else:
                status, body = self._web_form(base, normalise_email(sender), text, name, subject)
        except InvalidInput as exc:
            raise CommandError(exc.message) from None
        if status >= 400:
            raise CommandError(f"The webhook answered {status}: {body[:500]}")
        self.stdout.write(self.style.SUCCESS(f"{channel}: {status} {body[:500]}"))

    def _whatsapp(self, base: str, phone: str, text: str, name: str) -> tuple[int, str]:
        path = "/webhooks/whatsapp"
        params = {
            "SmsMessageSid": "", "MessageSid": "SM" + secrets.token_hex(16),
            "AccountSid": settings.TWILIO_ACCOUNT_SID or "AC" + "0" * 32,
            "MessagingServiceSid": "", "From": f"whatsapp:{phone}",
            "To": whatsapp.whatsapp_address(settings.TWILIO_WHATSAPP_NUMBER),
            "Body": text, "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received",
            "ProfileName": name or "WhatsApp customer", "WaId": phone.lstrip("+"), "ApiVersion": "2010-04-01",
            "MessageType": "text",
        }
        params["SmsMessageSid"] = params["MessageSid"]
        del params["MessagingServiceSid"]
        # Signed over the public URL, which is what the webhook verifies against.
        signature = whatsapp.sign(settings.PUBLIC_BASE_URL + path, params)
        return _post(base + path, urlencode(params).encode(), {
            "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature,
            "User-Agent": "TwilioProxy/1.1 (simulate_inbound)",
        })

    def _email(self, base: str, address: str, text: str, name: str, subject: str, thread_id: str,
               in_reply_to: str) -> tuple[int, str]:
        if gmail_mode() != "sandbox":
            raise CommandError("Gmail is connected to a real mailbox (GMAIL_CREDENTIALS_FILE or GMAIL_API_ENDPOINT "
                               f"is set); send a real email to {settings.GMAIL_ADDRESS} instead.")
        if settings.GMAIL_PUSH_AUDIENCE:
            raise CommandError("GMAIL_PUSH_AUDIENCE is set, so pushes must carry a Google-signed token; "
                               "simulate_inbound can only sign with the shared secret.")
        domain = address.rsplit("@", 1)[1]
        mime = build_text_email(
            from_name=name, from_address=address, to_address=settings.GMAIL_ADDRESS,
            subject=subject or "Question about Loomline", body=text, message_id=make_msgid(domain=domain),
            in_reply_to=in_reply_to, references=[in_reply_to] if in_reply_to else None, date=formatdate(usegmt=True),
        )
        stored = deposit(raw=mime.as_bytes(), thread_id=thread_id)
        notification = {"emailAddress": settings.GMAIL_ADDRESS, "historyId": stored.history_id}
        push = {
            "message": {
                "data": base64.b64encode(json.dumps(notification).encode()).decode(),
                "messageId": str(secrets.randbelow(10**16)),
                "publishTime": formatdate(usegmt=True),
                "attributes": {},
            },
            "subscription": "projects/sandbox/subscriptions/gmail-push",
        }
        url = f"{base}/webhooks/gmail?token={quote(settings.GMAIL_PUSH_SHARED_SECRET, safe='')}"
        return _post(url, json.dumps(push).encode(), {"Content-Type": "application/json",
                                                      "User-Agent": "APIs-Google (simulate_inbound)"})

    def _web_form(self, base: str, address: str, text: str, name: str, subject: str) -> tuple[int, str]:
        payload = {
            "name": name or address.split("@", 1)[0], "email": address,
            "subject": subject or "Question from the support form", "category": "general",
            "priority": "medium", "message": text,
        }
        return _post(base + "/support/submit", json.dumps(payload).encode(), {
            "Content-Type": "application/json", "Accept": "application/json",
            "Idempotency-Key": secrets.token_hex(16),
        })
