"""HTTP entry points of the channels: the support page and its API, and the webhooks.

Views are thin: check the request, call one function, shape the answer. Every refusal
is JSON ``{"detail": ..., "fields": {...}?}`` with a 4xx status — never a 500 and never
HTML — whatever the body: malformed JSON, the wrong content type, bad encodings, a body
over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413), missing fields.

The webhooks are plain Django views: public, CSRF-exempt, authenticated by the
provider's signature (Twilio) or the push token (Gmail). They are not in the OpenAPI
schema, which documents the API our own clients call; docs/channels.md describes them.
"""
from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from csp.constants import SELF
from csp.decorators import csp_replace
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channels_app import whatsapp
from channels_app.delivery import delivery_failed
from channels_app.gmail.client import GmailUnavailable
from channels_app.gmail.push import InvalidPush, PushRejected, decode_push, verify_push
from channels_app.serializers import (
    ErrorOutput,
    SupportLookupInput,
    SupportLookupOutput,
    SupportSubmissionInput,
    SupportSubmissionOutput,
    TicketFeedbackInput,
    TicketStatusOutput,
)
from channels_app.support_links import LinkInvalid, ticket_token, ticket_token_check
from channels_app.support_mail import customer_status_label
from channels_app.tasks import gmail_mailbox_sync_enqueue, support_lookup_enqueue
from channels_app.throttles import TicketStatusThrottle, WebFormEmailThrottle, WebFormIPThrottle
from channels_app.webform import webform_submit
from crm import selectors, services
from crm.errors import CRMError
from crm.models import Channel, Message
from fte_project.parsers import SafeFormParser, SafeJSONParser, utf8_declared
from fte_project.renderers import SafeJSONRenderer

log = logging.getLogger(__name__)

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, no spaces
_REFERENCE = re.compile(r"^[A-Za-z0-9-]{1,20}$")


def json_error(status_code: int, detail: str, *, fields: dict[str, list[str]] | None = None,
               headers: dict[str, str] | None = None) -> JsonResponse:
    body: dict[str, Any] = {"detail": detail}
    if fields:
        body["fields"] = fields
    return JsonResponse(body, status=status_code, headers=headers)


# --- The support page and its API -------------------------------------------------------------


@never_cache
@csp_replace({"style-src": [SELF]})  # the site's policy, without even inline styles: the page has none
def support_page(request: HttpRequest) -> HttpResponse:
    """``GET /support/``: the page that mounts the React form from the static bundle."""
    if request.method not in ("GET", "HEAD"):
        return json_error(405, "Use GET.", headers={"Allow": "GET, HEAD"})
    response = render(request, "channels_app/support.html", {"api_base": "", "support_email": settings.GMAIL_ADDRESS})
    # The address may carry a ticket's signed token (?ticket=…&token=…): never send it on.
    # (The Content-Security-Policy comes from django-csp, like every page's.)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _enforce_body_limit(request: Request) -> None:
    """DRF reads JSON straight from the socket, bypassing Django's size check; reading the
    body through Django first applies ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413 through the API
    exception handler, like Django's other refusals of a body)."""
    request._request.body  # noqa: B018 - read for its check


class PublicAPIView(APIView):
    """Public JSON endpoints: no session (so no CSRF), no browsable HTML renderer."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [SafeJSONRenderer]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if request.method in ("POST", "PUT", "PATCH"):
            _enforce_body_limit(request)
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class SupportSubmitView(PublicAPIView):
    parser_classes = [SafeJSONParser, SafeFormParser]
    throttle_classes = [WebFormIPThrottle, WebFormEmailThrottle]

    @extend_schema(
        operation_id="support_submit",
        summary="Open a support ticket from the web form",
        description=(
            "Stores the message and opens a ticket in one transaction, then the AI agent answers it. "
            "Send an `Idempotency-Key` header to make retries safe: the same key and email return the "
            "same ticket. Limited per IP and per email address (429 with `Retry-After`). "
            "HTML in the message is kept as plain text and never rendered."
        ),
        request=SupportSubmissionInput,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                                     description="Up to 200 printable ASCII characters, e.g. a UUID.")],
        responses={
            201: SupportSubmissionOutput,
            400: OpenApiResponse(ErrorOutput, description="Some fields need attention (`fields`)."),
            413: OpenApiResponse(ErrorOutput, description="Body too large."),
            415: OpenApiResponse(ErrorOutput, description="Send JSON or a form."),
            429: OpenApiResponse(ErrorOutput, description="Too many requests; see `Retry-After`."),
        },
        examples=[OpenApiExample("A question", request_only=True, value={
            "name": "Ana Díaz", "email": "ana@example.com", "subject": "Cannot reset my password",
            "category": "account", "priority": "medium",
            "message": "The reset email never arrives. I checked spam too."})],
        tags=["support"],
    )
    def post(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key", "").strip()
        if key and not _IDEMPOTENCY_KEY.match(key):
            raise exceptions.ValidationError(
                {"Idempotency-Key": ["Use up to 200 printable ASCII characters without spaces."]})
        form = SupportSubmissionInput(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            submission = webform_submit(**form.validated_data, idempotency_key=key or None)
        except CRMError as exc:
            raise exceptions.ValidationError({exc.field or "non_field_errors": [exc.message]}) from None
        reference = submission.ticket.reference
        return Response({"ticket_id": reference, "token": ticket_token(reference=reference)},
                        status=status.HTTP_201_CREATED)


def _ticket_from_link(request: Request, reference: str) -> Any:
    """The ticket a signed link opens, or the 4xx that says why not.

    The token is checked before the database is asked, so a wrong or missing token
    answers the same whether the reference exists or not.
    """
    if not _REFERENCE.match(reference):
        raise exceptions.NotFound("There is no ticket with this reference.")
    try:
        ticket_token_check(reference=reference, token=request.query_params.get("token", ""))
    except LinkInvalid as exc:
        raise exceptions.PermissionDenied(
            f"{exc} Use \"Find my request\" to get a new link by email.",
            code="link_expired" if exc.expired else "link_invalid") from None
    ticket = selectors.ticket_by_reference(reference=reference)
    if ticket is None:
        raise exceptions.NotFound("There is no ticket with this reference.")
    return ticket


def _ticket_view(ticket: Any) -> dict[str, Any]:
    return {
        "ticket_id": ticket.reference,
        "status": ticket.status,
        "status_label": customer_status_label(ticket.status),
        "subject": ticket.subject,
        "messages": selectors.ticket_public_messages(ticket=ticket),
    }


_TOKEN = OpenApiParameter("token", str, OpenApiParameter.QUERY, required=True,
                          description="The signed token from the submit response or the ticket link in an email.")


class TicketStatusView(PublicAPIView):
    throttle_classes = [TicketStatusThrottle]

    @extend_schema(
        operation_id="support_ticket_status",
        summary="A ticket's status and the messages the customer may see",
        description=(
            "Polled by the support page while the ticket is open. Needs the signed `token` (403 without a "
            "valid one, `code` link_invalid or link_expired). Showing replies marks them delivered. JSON "
            "only; message content is plain text."),
        parameters=[_TOKEN],
        responses={200: TicketStatusOutput, 403: OpenApiResponse(ErrorOutput, description="Missing, wrong or "
                                                                                           "expired token."),
                   404: OpenApiResponse(ErrorOutput, description="No such ticket."),
                   429: OpenApiResponse(ErrorOutput, description="Too many requests.")},
        tags=["support"],
    )
    def get(self, request: Request, ticket_id: str) -> Response:
        ticket = _ticket_from_link(request, ticket_id)
        view = _ticket_view(ticket)
        # What this answer carries, the customer's page is about to show.
        services.web_replies_mark_shown(ticket=ticket)
        return Response(view)


class TicketFeedbackView(PublicAPIView):
    parser_classes = [SafeJSONParser, SafeFormParser]
    throttle_classes = [TicketStatusThrottle]

    @extend_schema(
        operation_id="support_ticket_feedback",
        summary="Say whether the AI's answer solved it",
        description=(
            "`helped: true` resolves the ticket as confirmed by the customer; `helped: false` hands it to the "
            "support team with what the AI answered. The same answer twice changes nothing."),
        parameters=[_TOKEN],
        request=TicketFeedbackInput,
        responses={200: TicketStatusOutput, 400: OpenApiResponse(ErrorOutput, description="Bad input, no AI answer, "
                                                                                          "or the ticket is closed."),
                   403: OpenApiResponse(ErrorOutput, description="Missing, wrong or expired token."),
                   404: OpenApiResponse(ErrorOutput, description="No such ticket.")},
        tags=["support"],
    )
    def post(self, request: Request, ticket_id: str) -> Response:
        ticket = _ticket_from_link(request, ticket_id)
        data = TicketFeedbackInput(data=request.data)
        data.is_valid(raise_exception=True)
        answer = None
        if "message_id" in data.validated_data:
            answer = Message.objects.filter(pk=data.validated_data["message_id"], ticket=ticket).first()
            if answer is None:
                raise exceptions.ValidationError({"message_id": ["There is no such answer on this ticket."]})
        try:
            result = services.ticket_feedback_record(ticket=ticket, helped=data.validated_data["helped"],
                                                     channel=Channel.WEB_FORM, answer=answer)
        except CRMError as exc:
            raise exceptions.ValidationError({exc.field or "non_field_errors": [exc.message]}) from None
        return Response(_ticket_view(result.ticket))


class SupportLookupView(PublicAPIView):
    parser_classes = [SafeJSONParser, SafeFormParser]
    throttle_classes = [WebFormIPThrottle, WebFormEmailThrottle]
    ANSWER = ("If this address has open requests, we have emailed links to them. Nothing arrived after a few "
              "minutes? Check the address and your spam folder, or send a new request.")

    @extend_schema(
        operation_id="support_lookup",
        summary="Find my request: email the links to an address's open tickets",
        description=(
            "Always answers 202 with the same text, whether or not the address has tickets (the email is sent by "
            "a worker). Limited per IP and per address like submissions."),
        request=SupportLookupInput,
        responses={202: SupportLookupOutput, 400: OpenApiResponse(ErrorOutput, description="Not an email address."),
                   429: OpenApiResponse(ErrorOutput, description="Too many requests; see `Retry-After`."),
                   503: OpenApiResponse(ErrorOutput, description="Could not be queued; try again.")},
        tags=["support"],
    )
    def post(self, request: Request) -> Response:
        data = SupportLookupInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            support_lookup_enqueue(email=data.validated_data["email"])
        except Exception:  # whatever the broker raised, nothing was queued
            log.exception("find my request could not be queued")
            return Response({"detail": "We could not look this up right now. Please try again in a minute."},
                            status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "60"})
        return Response({"detail": self.ANSWER}, status=status.HTTP_202_ACCEPTED)


# --- Webhooks ------------------------------------------------------------------------------------


def _form_params(request: HttpRequest) -> QueryDict | JsonResponse:
    """The POSTed form, or the 4xx that explains why there is none."""
    if request.content_type != "application/x-www-form-urlencoded":
        return json_error(415, "Send application/x-www-form-urlencoded, as Twilio does.")
    charset = request.content_params.get("charset")
    if not utf8_declared(charset):
        # Django's request.POST would raise BadRequest: its HTML 400 page.
        return json_error(400, f"Send the form as UTF-8, as Twilio does; this one declares charset={charset[:40]}.")
    try:
        body = request.body
        for pair in body.split(b"&"):
            # Refuse what is not UTF-8 instead of storing replacement characters.
            unquote_to_bytes(pair.replace(b"+", b" ")).decode("utf-8")
        # Parsed here rather than through request.POST, which refuses "utf8" and other
        # names of UTF-8; same limit on the number of fields.
        return QueryDict(body, encoding="utf-8")
    except RequestDataTooBig:
        return json_error(413, f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024} KB.")
    except TooManyFieldsSent:
        return json_error(400, "Too many fields.")
    except UnicodeDecodeError:
        return json_error(400, "The form is not valid UTF-8.")
    except SuspiciousOperation as exc:
        return json_error(400, f"Malformed request: {exc}")


def _twiml() -> HttpResponse:
    return HttpResponse(whatsapp.EMPTY_TWIML, content_type="text/xml; charset=utf-8")


def _signed_twilio_params(request: HttpRequest) -> QueryDict | HttpResponse:
    """The form of a POST that Twilio signed, or the error response to send instead."""
    if request.method != "POST":
        return json_error(405, "Use POST.", headers={"Allow": "POST"})
    params = _form_params(request)
    if isinstance(params, JsonResponse):
        return params
    if not whatsapp.signature_valid(request, params):
        return json_error(403, "The Twilio signature is missing or wrong.")
    return params


def _invalid(exc: whatsapp.InvalidWebhook | CRMError) -> JsonResponse:
    return json_error(400, exc.message, fields={exc.field: [exc.message]} if exc.field else None)


@csrf_exempt
def whatsapp_webhook(request: HttpRequest) -> HttpResponse:
    """``POST /webhooks/whatsapp``: an inbound WhatsApp message from Twilio."""
    params = _signed_twilio_params(request)
    if isinstance(params, HttpResponse):
        return params
    try:
        result = whatsapp.inbound_accept(params)
    except (whatsapp.InvalidWebhook, CRMError) as exc:
        return _invalid(exc)
    if result is not None and not result.created:
        log.info("WhatsApp %s delivered again; already stored as message %s", result.message.provider_id,
                 result.message.pk)
    return _twiml()


@csrf_exempt
def whatsapp_status_webhook(request: HttpRequest) -> HttpResponse:
    """``POST /webhooks/whatsapp/status``: Twilio's delivery status of one of our messages."""
    params = _signed_twilio_params(request)
    if isinstance(params, HttpResponse):
        return params
    try:
        outcome = whatsapp.status_record(params)
    except whatsapp.InvalidWebhook as exc:
        return _invalid(exc)
    if outcome.newly_failed and outcome.message is not None:
        code = (params.get("ErrorCode") or outcome.status)[:40]
        delivery_failed(message=outcome.message, error=f"Twilio reported the message {outcome.status}", code=code,
                        status=outcome.status)
    return HttpResponse(status=204)


@csrf_exempt
def gmail_webhook(request: HttpRequest) -> HttpResponse:
    """``POST /webhooks/gmail``: a Pub/Sub push saying the mailbox changed.

    Verifies and decodes the push, queues the mailbox sync and answers 202 at once:
    the sync (``history.list`` and one ``messages.get`` per mail) runs in a worker.
    """
    if request.method != "POST":
        return json_error(405, "Use POST.", headers={"Allow": "POST"})
    try:
        how = verify_push(authorization=request.headers.get("Authorization", ""),
                          query_token=request.GET.get("token", ""))
    except PushRejected as exc:
        headers = {"WWW-Authenticate": 'Bearer realm="gmail-push"'} if exc.status == 401 else None
        return json_error(exc.status, exc.message, headers=headers)
    except GmailUnavailable as exc:
        log.error("Gmail push could not be verified: %s", exc)
        return json_error(503, "The push could not be verified right now; Pub/Sub will retry.",
                          headers={"Retry-After": "30"})
    if request.content_type != "application/json":
        return json_error(415, "Send application/json, as Pub/Sub does.")
    try:
        notification = decode_push(request.body)
    except RequestDataTooBig:
        return json_error(413, f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024} KB.")
    except InvalidPush as exc:
        return json_error(400, str(exc))
    if notification.email_address != settings.GMAIL_ADDRESS.lower():
        # Acknowledge: Pub/Sub would otherwise redeliver it for a week.
        log.warning("Gmail push for %s ignored; this deployment serves %s", notification.email_address,
                    settings.GMAIL_ADDRESS)
        return JsonResponse({"status": "ignored", "detail": "Not this deployment's mailbox."})
    try:
        gmail_mailbox_sync_enqueue(address=notification.email_address, history_id=notification.history_id)
    except Exception:  # whatever the broker raised, the sync is not queued
        # Not acknowledged, so Pub/Sub redelivers the push (with back-off) until the
        # broker takes it. The view writes nothing to the database, so there is no
        # commit to wait for, and the outcome of the enqueue decides the answer.
        log.exception("Gmail push (history %s) could not be queued; Pub/Sub will retry", notification.history_id)
        return json_error(503, "The mailbox sync could not be queued right now; Pub/Sub will retry.",
                          headers={"Retry-After": "30"})
    log.info("Gmail push (%s, history %s): sync queued", how, notification.history_id)
    return JsonResponse({"status": "queued", "history_id": notification.history_id}, status=202)
