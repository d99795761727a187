"""What the customer says about an AI answer: "this solved it" or "this didn't help".

One entry point for every channel: the support page's buttons call it, and so does the
agent when a reply on WhatsApp or email says the same in words. "Didn't help" hands the
ticket to a person with what the AI answered; "solved it" resolves the ticket as
confirmed by the customer. Either way a ``TicketEvent`` of kind ``feedback`` records it.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from crm.errors import IllegalTransition, InvalidInput
from crm.models import (
    Author,
    Direction,
    EscalationReason,
    Message,
    Ticket,
    TicketEvent,
    TicketStatus,
    Urgency,
)
from crm.services.tickets import ticket_escalate, ticket_escalation_add_context, ticket_resolve
from crm.validation import check_channel

__all__ = ["FeedbackResult", "ticket_feedback_record"]

# How much of the AI's answer the escalation summary quotes for the person who picks it up.
ANSWER_QUOTE_CHARS = 600


@dataclass(frozen=True)
class FeedbackResult:
    ticket: Ticket
    answer: Message
    helped: bool
    recorded: bool  # False: the same feedback on the same answer was already recorded


def _rated_answer(ticket: Ticket, answer: Message | None) -> Message:
    """The AI answer the feedback is about: the one given, or the ticket's latest."""
    answers = Message.objects.filter(ticket=ticket, direction=Direction.OUTBOUND, author=Author.AGENT)
    if answer is not None:
        found = answers.filter(pk=answer.pk).first()
        if found is None:
            raise InvalidInput("Feedback is only taken on an answer of the AI on this ticket.", field="message")
        return found
    latest = answers.order_by("-created_at", "-id").first()
    if latest is None:
        raise InvalidInput("This ticket has no answer from the AI to give feedback on.", field="message")
    return latest


def _last_feedback(ticket: Ticket, answer: Message) -> TicketEvent | None:
    return (TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.FEEDBACK, data__message_id=answer.pk)
            .order_by("-created_at", "-id").first())


@transaction.atomic
def ticket_feedback_record(
    *,
    ticket: Ticket,
    helped: bool,
    channel: str,
    answer: Message | None = None,
    comment: str = "",
) -> FeedbackResult:
    """Record whether the AI's answer helped, and act on it.

    - ``helped=False``: the ticket is escalated with reason ``knowledge_not_found``; the
      summary quotes what the AI answered and says the customer reported it did not help
      (an already escalated ticket keeps its reason and gets this added to its summary).
    - ``helped=True``: the ticket is resolved, with notes saying the customer confirmed it
      (``Conversation.resolution_type`` is "ai" unless staff had replied). A ticket the AI
      already resolved when it answered stays resolved and gets the confirmation in its notes.

    ``answer``: the AI message the customer rates; the ticket's latest AI answer if
    omitted (a reply in words rates the last thing the AI said). ``channel``: where the
    customer said it (``web_form``, ``whatsapp``, ``email``). ``comment``: their words,
    if any, kept in the event and the summary.

    Idempotent per answer: the same verdict on the same answer again records nothing new.
    Changing one's mind is allowed ("solved" after "didn't help" resolves; "didn't help"
    after "solved" reopens the ticket to a person). Raises ``InvalidInput`` (no AI answer
    on the ticket, or ``answer`` is not one) and ``IllegalTransition`` (the ticket is closed).
    """
    check_channel(channel)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == TicketStatus.CLOSED:
        raise IllegalTransition(f"Ticket {ticket.reference} is closed; a new request opens a new ticket.",
                                field="status")
    answer = _rated_answer(ticket, answer)
    comment = " ".join((comment or "").split())[:1000]
    previous = _last_feedback(ticket, answer)
    if previous is not None and previous.data.get("helped") is helped:
        return FeedbackResult(ticket=ticket, answer=answer, helped=helped, recorded=False)

    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.FEEDBACK, data={
        "helped": helped, "channel": channel, "message_id": answer.pk, **({"comment": comment} if comment else {})})

    if helped:
        note = f"Confirmed by the customer ({channel}): the answer solved it."
        if ticket.status == TicketStatus.RESOLVED:
            # The AI resolves a ticket when it answers; now the customer has confirmed it.
            notes = f"{ticket.resolution_notes}\n{note}".strip()[:5000]
            Ticket.objects.filter(pk=ticket.pk).update(resolution_notes=notes)
            ticket.resolution_notes = notes
        else:
            staff_replied = Message.objects.filter(ticket=ticket, author=Author.STAFF).exists()
            ticket = ticket_resolve(ticket=ticket, by_ai=not staff_replied, notes=note)
        return FeedbackResult(ticket=ticket, answer=answer, helped=True, recorded=True)

    quoted = " ".join(answer.content.split())
    if len(quoted) > ANSWER_QUOTE_CHARS:
        quoted = quoted[: ANSWER_QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    note = (f"The customer said the AI's answer did not help ({channel})."
            + (f' Their words: "{comment}".' if comment else "")
            + f'\nThe AI had answered: "{quoted}"')
    packet = {"feedback": {"helped": False, "channel": channel, "message_id": answer.pk,
                           **({"comment": comment} if comment else {})}}
    if ticket.status == TicketStatus.ESCALATED:
        # Staff already have it, for a reason they work from: what the customer said is more
        # context on the same escalation (the FEEDBACK event above records it), not a second
        # escalation with its own event and fte.escalations record.
        ticket = ticket_escalation_add_context(ticket=ticket, note=note, packet=packet)
    else:
        ticket = ticket_escalate(ticket=ticket, reason=EscalationReason.KNOWLEDGE_NOT_FOUND, urgency=Urgency.NORMAL,
                                 summary=note, packet=packet)
    return FeedbackResult(ticket=ticket, answer=answer, helped=False, recorded=True)
