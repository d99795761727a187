"""Input and output shapes of the public web-form API (mirrored by frontend/src/validation.js)."""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rest_framework import serializers

from channels_app.webform import CATEGORIES, PRIORITIES
from crm.errors import InvalidInput
from crm.identity import normalise_email, normalise_phone
from crm.models import TicketStatus

# Markup in a name or subject is never legitimate; in the message it may be (a customer
# pasting an embed code), so the message keeps it — stored and returned as plain text.
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>|<\s*/?\s*(script|iframe|img|svg|style)\b", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_markup(value: str, noun: str) -> str:
    if _TAG.search(value):
        raise serializers.ValidationError(f"{noun} cannot contain HTML.")
    if _CONTROL.search(value):
        raise serializers.ValidationError(f"{noun} contains invalid characters.")
    return value


class TextField(serializers.CharField):
    """A CharField that takes text only: DRF's turns a JSON number into a string
    (``"name": 0`` became the name "0"), which the schema says is not allowed."""

    default_error_messages = {"not_text": "Send text."}

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


class SupportSubmissionInput(serializers.Serializer):
    name = TextField(min_length=1, max_length=120, trim_whitespace=True)
    email = serializers.EmailField(max_length=254)
    phone = TextField(required=False, allow_blank=True, max_length=40, trim_whitespace=True)
    subject = TextField(min_length=3, max_length=200, trim_whitespace=True)
    category = serializers.ChoiceField(choices=CATEGORIES)
    priority = serializers.ChoiceField(choices=PRIORITIES, required=False, default="medium")
    message = TextField(min_length=10, max_length=5000, trim_whitespace=True)
    time_zone = TextField(required=False, allow_blank=True, max_length=64,
                          help_text="The browser's IANA time zone, e.g. Europe/Madrid")

    def validate_time_zone(self, value: str) -> str:
        # A zone we cannot use is dropped rather than refused: the customer cannot fix it.
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            return ""
        return value

    def validate_name(self, value: str) -> str:
        return _no_markup(value, "Name")

    def validate_subject(self, value: str) -> str:
        return _no_markup(value, "Subject")

    def validate_email(self, value: str) -> str:
        try:
            return normalise_email(value)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message) from None

    def validate_phone(self, value: str) -> str:
        if not value:
            return ""
        try:
            return normalise_phone(value)
        except InvalidInput:
            raise serializers.ValidationError(
                "Enter an international phone number, e.g. +1 555 123 4567."
            ) from None

    def validate_message(self, value: str) -> str:
        # Keep newlines and tabs; drop other control characters a browser never sends.
        return _CONTROL.sub("", value)


class SupportSubmissionOutput(serializers.Serializer):
    ticket_id = serializers.CharField(help_text="The ticket reference, e.g. TKT-7KQ2M9XD")
    token = serializers.CharField(help_text="Opens the ticket's page and API: /support/?ticket=…&token=…")


class TicketMessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.ChoiceField(choices=["customer", "agent", "staff"])
    channel = serializers.CharField()
    content = serializers.CharField(help_text="Plain text; render it as text, never as HTML")
    created_at = serializers.DateTimeField()
    feedback = serializers.BooleanField(
        required=False, allow_null=True,
        help_text="AI answers only: what the customer said (true: it solved it; false: it didn't help; null: nothing)")


class TicketStatusOutput(serializers.Serializer):
    ticket_id = serializers.CharField()
    status = serializers.ChoiceField(choices=TicketStatus.values)
    status_label = serializers.CharField(help_text="The status in the customer's words, e.g. 'With our support team'")
    subject = serializers.CharField()
    messages = TicketMessageOutput(many=True)


class TicketFeedbackInput(serializers.Serializer):
    helped = serializers.BooleanField(help_text="true: the answer solved it; false: it didn't help")
    message_id = serializers.IntegerField(required=False, help_text="The AI answer rated; the latest one if omitted")


class SupportLookupInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)

    def validate_email(self, value: str) -> str:
        try:
            return normalise_email(value)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message) from None


class SupportLookupOutput(serializers.Serializer):
    detail = serializers.CharField()


class ErrorOutput(serializers.Serializer):
    detail = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    retry_after = serializers.IntegerField(required=False)
