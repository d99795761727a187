"""The management API: channel metrics, a conversation, a customer by email or phone.

Token authentication (one token per user, made in admin or with ``manage.py
create_api_token``), Support managers only, throttled per user with the default cache.
Bad input answers 400 with the field in error, unknown ids 404: never a 500.
"""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from channels_app.serializers import ErrorOutput
from crm.errors import InvalidInput
from crm.identity import normalise_email, normalise_phone
from crm.models import Channel, IdentifierKind
from reporting.access import IsSupportManager
from reporting.figures.overview import channel_figures
from reporting.rollups import rows_for
from reporting.selectors import conversation_detail, customer_by_identifier, customer_summary

MAX_HOURS = 24 * 90
MAX_ID = 2**63 - 1


# What every management endpoint may answer besides 200 (documented, so clients and the
# schema fuzzer know them): bad input, no token, not a manager, unknown id, over the rate.
ERRORS = {400: ErrorOutput, 401: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput, 429: ErrorOutput}


class ManagementAPIView(APIView):
    # Token first: a request without credentials gets 401 with "WWW-Authenticate: Token".
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsSupportManager]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "management"


class ChannelMetricsView(ManagementAPIView):
    class ChannelMetricsInput(serializers.Serializer):
        hours = serializers.IntegerField(min_value=1, max_value=MAX_HOURS, default=24)

    class ChannelMetricsOutput(serializers.Serializer):
        class ChannelRow(serializers.Serializer):
            channel = serializers.CharField()
            messages = serializers.IntegerField(help_text="Inbound messages plus replies (AI and staff)")
            inbound_messages = serializers.IntegerField()
            conversations = serializers.IntegerField(help_text="Conversations started on the channel")
            tickets = serializers.IntegerField()
            escalations = serializers.IntegerField(help_text="Tickets opened in the window and escalated")
            escalation_rate = serializers.FloatField(allow_null=True)
            ai_resolved = serializers.IntegerField(help_text="Confirmed and assumed AI resolutions")
            first_response_p50_seconds = serializers.FloatField(allow_null=True)
            first_response_p95_seconds = serializers.FloatField(allow_null=True)
            average_sentiment = serializers.FloatField(allow_null=True)

        since = serializers.DateTimeField()
        until = serializers.DateTimeField()
        hours = serializers.IntegerField()
        channels = ChannelRow(many=True)

    @extend_schema(summary="Per-channel figures of the last N hours", parameters=[ChannelMetricsInput],
                   responses={200: ChannelMetricsOutput, **ERRORS}, tags=["management"])
    def get(self, request: Request) -> Response:
        data = self.ChannelMetricsInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        hours = data.validated_data["hours"]
        now = timezone.now()
        # Exactly the last N hours: whole hours from the rollups, the two ragged ends live.
        since = now - timedelta(hours=hours)
        rows = rows_for(since, now, now=now)
        channels = []
        for channel in Channel.values:
            f = channel_figures(rows, channel)
            channels.append({
                "channel": channel, "messages": f.inbound_messages + f.replies, "inbound_messages": f.inbound_messages,
                "conversations": f.conversations, "tickets": f.tickets, "escalations": f.escalated,
                "escalation_rate": f.escalation_rate, "ai_resolved": f.ai_resolved,
                "first_response_p50_seconds": f.ai_first_response.p50,
                "first_response_p95_seconds": f.ai_first_response.p95, "average_sentiment": f.sentiment,
            })
        return Response(self.ChannelMetricsOutput({"since": since, "until": now, "hours": hours, "channels": channels}).data)


class MessageOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    channel = serializers.CharField()
    direction = serializers.CharField()
    author = serializers.CharField()
    subject = serializers.CharField()
    content = serializers.CharField()
    ticket = serializers.CharField(source="ticket.reference", allow_null=True, default=None)
    delivery_status = serializers.CharField()
    created_at = serializers.DateTimeField()


class TicketOut(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    source_channel = serializers.CharField()
    subject = serializers.CharField()
    priority = serializers.CharField()
    urgency = serializers.CharField()
    escalation_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    escalated_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class CustomerRefOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    email = serializers.EmailField(allow_null=True)


class ConversationView(ManagementAPIView):
    class ConversationOutput(serializers.Serializer):
        class ConversationOut(serializers.Serializer):
            id = serializers.IntegerField(source="pk")
            status = serializers.CharField()
            initial_channel = serializers.CharField()
            started_at = serializers.DateTimeField()
            last_message_at = serializers.DateTimeField()
            ended_at = serializers.DateTimeField(allow_null=True)
            sentiment = serializers.FloatField(allow_null=True)
            resolution_type = serializers.CharField()

        conversation = ConversationOut()
        customer = CustomerRefOut()
        messages = MessageOut(many=True)
        messages_truncated = serializers.BooleanField()
        tickets = TicketOut(many=True)

    @extend_schema(summary="A conversation: its messages on every channel, its tickets, the customer",
                   parameters=[OpenApiParameter("conversation_id", int, OpenApiParameter.PATH)],
                   responses={200: ConversationOutput, **ERRORS}, tags=["management"])
    def get(self, request: Request, conversation_id: str) -> Response:
        if not conversation_id.isdigit() or not 0 < int(conversation_id) <= MAX_ID:
            raise ValidationError({"id": ["A conversation id is a positive whole number."]})
        detail = conversation_detail(conversation_id=int(conversation_id))
        if detail is None:
            raise NotFound(f"No conversation {conversation_id}.")
        return Response(self.ConversationOutput(detail).data)


class CustomerLookupView(ManagementAPIView):
    class CustomerLookupInput(serializers.Serializer):
        email = serializers.CharField(required=False, max_length=320)
        phone = serializers.CharField(required=False, max_length=64)

        def validate(self, attrs: dict) -> dict:
            if bool(attrs.get("email")) == bool(attrs.get("phone")):
                raise serializers.ValidationError("Give exactly one of email or phone.")
            try:
                if attrs.get("email"):
                    return {"kind": IdentifierKind.EMAIL, "value": normalise_email(attrs["email"])}
                return {"kind": IdentifierKind.PHONE, "value": normalise_phone(attrs["phone"])}
            except InvalidInput as exc:
                raise serializers.ValidationError({exc.field or "non_field_errors": [str(exc)]}) from None

    class CustomerLookupOutput(serializers.Serializer):
        class CustomerOut(serializers.Serializer):
            id = serializers.IntegerField(source="pk")
            name = serializers.CharField()
            email = serializers.EmailField(allow_null=True)
            company = serializers.CharField()
            plan = serializers.CharField()
            created_at = serializers.DateTimeField()

        class IdentifierOut(serializers.Serializer):
            kind = serializers.CharField()
            value = serializers.CharField()

        customer = CustomerOut()
        identifiers = IdentifierOut(many=True)
        tickets = TicketOut(many=True)

    @extend_schema(summary="A customer by email or phone (normalised like intake), with recent tickets",
                   parameters=[OpenApiParameter("email", str, required=False),
                               OpenApiParameter("phone", str, required=False,
                                                description="International format, e.g. +14155550123")],
                   responses={200: CustomerLookupOutput, **ERRORS}, tags=["management"])
    def get(self, request: Request) -> Response:
        data = self.CustomerLookupInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        customer = customer_by_identifier(**data.validated_data)
        if customer is None:
            raise NotFound("No customer with that identifier.")
        return Response(self.CustomerLookupOutput(customer_summary(customer=customer)).data)
