"""Normalising how customers reach us, so one person is one customer on every channel."""
from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from crm.errors import InvalidInput

_email_validator = EmailValidator()
# RFC 5321's limit on a path, and the width of our email columns: Django's validator
# checks each part's shape but not the total, so a longer address reached the database.
MAX_EMAIL_CHARS = 254


def normalise_email(raw: str) -> str:
    """Lower-case and validate an email address; refuse anything malformed or over 254 characters."""
    value = (raw or "").strip().lower()
    if value.startswith("mailto:"):
        value = value[len("mailto:"):]
    if not value:
        raise InvalidInput("An email address is required.", field="email")
    if len(value) > MAX_EMAIL_CHARS:
        raise InvalidInput(
            f"{raw[:40]!r}… is not a valid email address: it is longer than {MAX_EMAIL_CHARS} characters.",
            field="email",
        )
    try:
        _email_validator(value)
    except ValidationError:
        raise InvalidInput(f"{raw!r} is not a valid email address.", field="email") from None
    return value


def normalise_phone(raw: str) -> str:
    """Return the number in E.164 (``+4915112345678``); refuse anything that is not a real number.

    Twilio sends WhatsApp senders as ``whatsapp:+1415…``; that prefix is dropped.
    Without a ``DEFAULT_PHONE_REGION`` a number must carry its country code.
    """
    value = (raw or "").strip()
    if value.lower().startswith("whatsapp:"):
        value = value[len("whatsapp:"):]
    if not value:
        raise InvalidInput("A phone number is required.", field="phone")
    region = settings.DEFAULT_PHONE_REGION or None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput(
            f"{raw!r} is not a valid phone number; use the international format, e.g. +14155550123.",
            field="phone",
        ) from None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise InvalidInput(f"{raw!r} is not a valid phone number.", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
