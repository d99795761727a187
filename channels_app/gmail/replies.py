"""Replies by email: the MIME message that answers a customer in their own Gmail thread.

The reply goes to the address the customer's mail asked for (``Reply-To``, else
``From``), keeps its subject (``Re: ...``), and carries ``In-Reply-To``/``References``
so every mail client threads it. ``channels_app.senders.GmailSender`` sends it.
"""
from __future__ import annotations

from dataclasses import dataclass
from email.utils import make_msgid

from django.conf import settings

from channels_app.email_parsing import build_text_email, reply_subject
from channels_app.errors import ReplyNotPossible
from crm.models import Author, Channel, Direction, Message



@dataclass(frozen=True)
class EmailReply:
    """A reply ready for ``users.messages.send``: the raw MIME and where it threads."""

    to_address: str
    to_name: str
    subject: str
    thread_id: str
    in_reply_to: str
    references: list[str]
    message_id: str
    raw: bytes


def _replied_message(message: Message) -> Message | None:
    """The customer's email this reply answers: the one named at record time, else the latest."""
    replied_id = message.reply_to_id or (message.metadata or {}).get("in_reply_to_message")
    if replied_id:
        replied = Message.objects.filter(pk=replied_id, channel=Channel.EMAIL, direction=Direction.INBOUND).first()
        if replied:
            return replied
    inbound = Message.objects.filter(channel=Channel.EMAIL, direction=Direction.INBOUND)
    if message.ticket_id:
        found = inbound.filter(ticket_id=message.ticket_id).order_by("-created_at", "-id").first()
        if found:
            return found
    return inbound.filter(conversation_id=message.conversation_id).order_by("-created_at", "-id").first()


def build_reply(message: Message) -> EmailReply:
    """The MIME reply for an outbound email message, threaded under the customer's mail."""
    replied = _replied_message(message)
    meta = replied.metadata if replied else {}
    customer = message.conversation.customer
    to_address = meta.get("reply_to") or meta.get("from") or customer.email or ""
    if not to_address:
        raise ReplyNotPossible("no_email_address", "The customer has no email address to reply to.")
    ticket = message.ticket
    if replied:
        subject = reply_subject(message.subject or replied.subject or (ticket.subject if ticket else ""))
    else:
        subject = message.subject or (ticket.subject if ticket else "") or "Your support request"
        if ticket and ticket.reference not in subject:
            subject = f"{subject} [{ticket.reference}]"
    in_reply_to = meta.get("message_id_header") or ""
    references = [r for r in (meta.get("references") or []) if isinstance(r, str)]
    if in_reply_to and in_reply_to not in references:
        references.append(in_reply_to)
    domain = settings.GMAIL_ADDRESS.rsplit("@", 1)[-1]
    message_id = (message.metadata or {}).get("message_id_header") or make_msgid(
        idstring=f"fte{message.pk}", domain=domain)
    extra = {}
    if ticket:
        extra["X-Loomline-Ticket"] = ticket.reference
    if message.author == Author.AGENT:
        # RFC 3834: an automatic answer. Well-behaved auto-responders will not answer it,
        # which is what keeps two robots from mailing each other forever.
        extra["Auto-Submitted"] = "auto-replied"
    mime = build_text_email(
        from_name=settings.GMAIL_SENDER_NAME,
        from_address=settings.GMAIL_ADDRESS,
        to_address=to_address,
        to_name=customer.name if customer.name and "@" not in customer.name else "",
        subject=subject,
        body=message.content,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references[-20:],
        extra_headers=extra,
    )
    return EmailReply(
        to_address=to_address,
        to_name=customer.name,
        subject=subject,
        thread_id=meta.get("thread_id") or "",
        in_reply_to=in_reply_to,
        references=references[-20:],
        message_id=message_id,
        raw=mime.as_bytes(),
    )
