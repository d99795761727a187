"""Keeping secrets and customers' phone numbers out of logs.

Two things reached our logs that must not: the Gmail push's shared secret, which Pub/Sub
sends as ``?token=…`` in the URL (so every access log line of a push carried it), and
customers' WhatsApp numbers. The code that logs avoids them where it can; this module is
the net under it: a logging filter on our handlers (``LOGGING`` in settings) and the
gunicorn access logger (``gunicorn.conf.py``) pass every line through ``redact``.
"""
from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# Query parameters and key=value pairs whose value is a credential.
SECRET_NAMES = ("token", "access_token", "id_token", "refresh_token", "api_key", "apikey", "key", "secret",
                "client_secret", "password", "signature", "sig")
_SECRET_PAIR = re.compile(r"(?i)(?<![\w-])(" + "|".join(SECRET_NAMES) + r")=([^&#\s\"',;]+)")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")
# An E.164 number (how we store and send every phone number), alone or as whatsapp:+…
_PHONE = re.compile(r"(?<![\w+])\+(\d{3,11})(\d{4})(?!\d)")


def redact(text: str) -> str:
    """``text`` with credentials in ``name=value`` pairs and bearer tokens replaced, and
    phone numbers cut to their last four digits (``+***0123``, enough to tell two apart)."""
    text = _SECRET_PAIR.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return _PHONE.sub(lambda m: f"+***{m.group(2)}", text)


class RedactingFilter(logging.Filter):
    """A handler filter that redacts the formatted message (and a traceback's text) of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
