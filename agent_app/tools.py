"""The agent's six tools. Each validates its input (pydantic, from the signature),
returns JSON, catches its own failures and tells the model what went wrong, and
records itself on the message's audit trail.

The tools are async because the SDK runs in an event loop; the Django ORM is not, so
each tool's body runs through ``sync_to_async``.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

from agents import RunContextWrapper, function_tool
from asgiref.sync import sync_to_async
from pydantic import Field

from agent_app import guardrails, language, reading
from agent_app.context import AgentRunContext
from agent_app.formatting import format_for_channel
from crm import selectors, services
from crm.errors import CRMError
from crm.models import REASON_PRECEDENCE, Author, Channel, Customer, Message, Priority, Ticket, Urgency

log = logging.getLogger(__name__)

# The tools' JSON schemas list the allowed values, taken from the model's own choices.
ChannelName = Literal[tuple(Channel.values)]  # type: ignore[valid-type]
PriorityName = Literal[tuple(Priority.values)]  # type: ignore[valid-type]
ReasonCode = Literal[tuple(str(r) for r in REASON_PRECEDENCE)]  # type: ignore[valid-type]
UrgencyName = Literal[tuple(Urgency.values)]  # type: ignore[valid-type]


class ToolRefusal(Exception):
    """A tool refuses the call; the message goes back to the model, with ``status`` (an HTTP-like
    4xx code: 404 for something that does not exist) when the model can act on it."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


async def _run(ctx: RunContextWrapper[AgentRunContext], name: str, arguments: dict[str, Any],
               body: Callable[[], dict[str, Any]]) -> str:
    started = time.monotonic()
    try:
        result = await sync_to_async(body)()
    except (ToolRefusal, CRMError, ValueError) as exc:
        result = {"error": getattr(exc, "message", str(exc))}
        if getattr(exc, "status", None):
            result["status"] = exc.status
    except Exception as exc:  # the model gets a readable error; the log gets the traceback
        log.exception("tool %s failed", name)
        result = {"error": f"{name} failed: {type(exc).__name__}. Try again or escalate to a human."}
    ctx.context.record(name, arguments, result, started)
    # The run is alive: keep its claim, so a long run is not taken for a dead worker's.
    await sync_to_async(services.message_extend_lease)(message_id=ctx.context.message_id)
    return json.dumps(result, default=str)


def _own_customer(context: AgentRunContext, customer_id: int) -> None:
    # The model must never read or act on another customer's data.
    if customer_id != context.customer_id:
        raise ToolRefusal(f"customer_id {customer_id} is not the customer in this conversation "
                          f"(use {context.customer_id}).")


def _own_ticket(context: AgentRunContext, ticket_id: str) -> Ticket:
    # Only the run's own ticket: escalating or answering through another of the
    # customer's tickets would leave this one open, or reply into a conversation a
    # person owns.
    if context.ticket_id is None:
        raise ToolRefusal("There is no ticket for this conversation yet. Call create_ticket first.")
    ticket = Ticket.objects.select_related("customer").get(pk=context.ticket_id)
    if str(ticket_id).strip().upper() not in (ticket.reference, str(ticket.pk)):
        raise ToolRefusal(f"Ticket {ticket_id} is not this conversation's ticket; use {ticket.reference}.")
    return ticket


def _not_held(context: AgentRunContext, ticket: Ticket) -> None:
    # Another message of the conversation may have escalated while this run was
    # thinking: from then on a person owns it, and the AI neither answers nor
    # re-escalates (which would overwrite the reason staff are working from).
    if selectors.human_owns_conversation(conversation_id=ticket.conversation_id,
                                         except_escalated_by=context.message_id):
        raise ToolRefusal("A person from the support team has taken over this conversation. "
                          "Do not reply or escalate; end the run.")


@function_tool
async def search_knowledge_base(
    ctx: RunContextWrapper[AgentRunContext],
    query: Annotated[str, Field(min_length=1, max_length=2000)],
    max_results: Annotated[int, Field(ge=1, le=10)] = 5,
    category: str | None = None,
) -> str:
    """Search the Loomline Help Centre. Returns the most relevant passages with their article slug,
    title, relevance score (0-1) and text. An empty result means nothing relevant was found: try once
    more with other keywords, then escalate with reason knowledge_not_found.

    Args:
        query: The customer's question or keywords.
        max_results: How many passages to return (1-10).
        category: Optional help-centre category to restrict to (account, team, billing, data,
            notifications, integrations, mobile, performance, limits, security, troubleshooting).
    """
    from agent_app.knowledge.search import search_knowledge

    def body() -> dict[str, Any]:
        results = [h.as_passage() for h in search_knowledge(query, k=max_results, category=category or None)]
        ctx.context.searches.append({"query": query, "hits": results})
        return {"results": results, "note": "" if results else "No relevant article found."}

    return await _run(ctx, "search_knowledge_base",
                      {"query": query, "max_results": max_results, "category": category}, body)


@function_tool
async def read_article(
    ctx: RunContextWrapper[AgentRunContext],
    slug: Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[-a-zA-Z0-9_]+$")],
) -> str:
    """Read a whole Help Centre article: all its passages in the article's order (a search returns
    at most three of an article). Call it with the slug of the article you will answer from; the
    fact asked for is often in a section the search did not return. Passages read here count as
    Help Centre passages your reply may use.

    Args:
        slug: The article's slug, from the search results.
    """
    from agent_app.knowledge.articles import ArticleNotFound, article_as_read

    def body() -> dict[str, Any]:
        try:
            # Shaped like a search's results, so the audit trail keeps slugs only, not the text.
            article = article_as_read(slug=slug)
        except ArticleNotFound as exc:
            raise ToolRefusal(str(exc), status=404) from exc
        ctx.context.articles_read.extend(article["results"])  # what the reply may say, for grounding
        return article

    return await _run(ctx, "read_article", {"slug": slug}, body)


@function_tool
async def create_ticket(
    ctx: RunContextWrapper[AgentRunContext],
    customer_id: int,
    issue: Annotated[str, Field(min_length=1, max_length=300)],
    priority: PriorityName,
    channel: ChannelName,
) -> str:
    """Open the ticket for this conversation (or return the one already open). Call this first.

    Args:
        customer_id: The customer's id from the message context.
        issue: A one-line description of the customer's issue.
        priority: low, medium, high or urgent.
        channel: The channel the customer wrote on.
    """

    def body() -> dict[str, Any]:
        c = ctx.context
        _own_customer(c, customer_id)
        message = Message.objects.select_related("ticket", "conversation").get(pk=c.message_id)
        if message.ticket is not None and message.ticket.status != "closed":
            ticket, created = message.ticket, False
            if ticket.status == "resolved":
                ticket, created = services.ticket_for_conversation(conversation=message.conversation,
                                                                   channel=channel)
        else:
            ticket, created = services.ticket_for_conversation(
                conversation=message.conversation, channel=channel, subject=c.subject or issue, priority=priority)
            services.message_attach_to_ticket(message=message, ticket=ticket)
        c.ticket_id, c.ticket_reference = ticket.pk, ticket.reference
        return {"ticket_id": ticket.reference, "status": ticket.status, "created": created}

    return await _run(ctx, "create_ticket",
                      {"customer_id": customer_id, "issue": issue, "priority": priority, "channel": channel}, body)


@function_tool
async def get_customer_history(ctx: RunContextWrapper[AgentRunContext], customer_id: int) -> str:
    """Read the customer's recent messages on every channel (newest first) and their tickets.

    Args:
        customer_id: The customer's id from the message context.
    """

    def body() -> dict[str, Any]:
        c = ctx.context
        _own_customer(c, customer_id)
        customer = Customer.objects.get(pk=customer_id)
        history = reading.history_for_agent([h for h in selectors.customer_history(customer_id=customer_id)
                                             if h["message_id"] != c.message_id])
        tickets = [{"ticket_id": t.reference, "status": t.status, "subject": t.subject,
                    "created_at": t.created_at.isoformat()}
                   for t in selectors.customer_tickets(customer_id=customer_id, limit=10)]
        c.history_read = True
        if c.channel == "web_form":
            # The form proves no identity and its replies are shown to whoever sent it:
            # the model sees this ticket only. (Governance still counts repeat contacts
            # over the whole history, server-side; staff see everything.)
            history = [h for h in history if h["ticket"] == c.ticket_reference and h["channel"] == "web_form"]
            tickets = [t for t in tickets if t["ticket_id"] == c.ticket_reference]
            return {"customer": {}, "history": history, "tickets": tickets,
                    "note": "Only this ticket is shown: the support form does not verify who wrote it. "
                            "Do not refer to other conversations."}
        return {"customer": {"name": customer.name, "plan": customer.plan, "company": customer.company},
                "history": history, "tickets": tickets}

    return await _run(ctx, "get_customer_history", {"customer_id": customer_id}, body)


@function_tool
async def escalate_to_human(
    ctx: RunContextWrapper[AgentRunContext],
    ticket_id: str,
    reason: ReasonCode,
    urgency: UrgencyName,
    summary: Annotated[str, Field(min_length=10, max_length=4000)],
) -> str:
    """Hand the ticket to the human support team. Afterwards, still call send_response to tell the
    customer a person will follow up (the reply must not mention reasons or internal details).

    Args:
        ticket_id: The ticket reference from create_ticket (e.g. TKT-7F3K2Q8A).
        reason: The canonical escalation reason code.
        urgency: low, normal, high or urgent.
        summary: For the human: what the customer wants, what was tried, what was found.
    """

    def body() -> dict[str, Any]:
        c = ctx.context
        ticket = _own_ticket(c, ticket_id)
        _not_held(c, ticket)
        packet = {
            "tried": [call["tool"] for call in c.tool_calls],
            "searches": [{"query": s["query"], "hits": [h["slug"] for h in s["hits"]]} for s in c.searches],
            "sources": c.sources,
            "message_id": c.message_id,
        }
        ticket = services.ticket_escalate(ticket=ticket, reason=reason, urgency=urgency, summary=summary,
                                          packet=packet)
        # Replies recorded before this call answered a question that needs a person.
        c.escalation = {"reason": reason, "urgency": urgency, "summary": summary,
                        "replies_before": list(c.reply_ids)}
        due = ticket.sla_due_at.isoformat() if ticket.sla_due_at else None
        # The zone lets the model say "by 14:00 IST" to someone in India, not a UTC time.
        return {"escalated": True, "ticket_id": ticket.reference, "reason": reason, "follow_up_by": due,
                "customer_time_zone": c.time_zone or "UTC"}

    return await _run(ctx, "escalate_to_human",
                      {"ticket_id": ticket_id, "reason": reason, "urgency": urgency, "summary": summary}, body)


def checked_reply(*, ticket: Ticket, text: str, channel: str, reply_language: str = language.ENGLISH) -> str:
    """The reply as the customer will receive it, or ToolRefusal naming the rules it breaks.

    The one gate every AI reply passes, whether from the agent's tool, the pipeline's
    escalation notice or the MCP server.
    """
    addresses = set(ticket.customer.identifiers.values_list("value", flat=True))
    problems = guardrails.reply_problems(text, channel=channel, customer_addresses=addresses)
    if problems:
        raise ToolRefusal("Reply not sent: " + "; ".join(problems) + ". Rewrite it, or escalate to a human.")
    return format_for_channel(text, channel=channel, customer_name=selectors.greeting_name(ticket=ticket, channel=channel),
                              ticket_reference=ticket.reference, language=reply_language)


def record_reply(context: AgentRunContext, *, ticket: Ticket, message: str, channel: str) -> dict[str, Any]:
    """Check, format and record one reply to the run's inbound message (delivered after the run)."""
    _not_held(context, ticket)
    inbound = Message.objects.get(pk=context.message_id)
    # Greeted and signed off in the language the customer wrote in (what the agent read of it, as governance).
    formatted = checked_reply(ticket=ticket, text=message, channel=channel, reply_language=language.of_message(context.text))
    reply = services.outbound_message_record(
        ticket=ticket, channel=channel, content=formatted, author=Author.AGENT, reply_to=inbound,
        subject=f"Re: {inbound.subject}" if inbound.subject and channel == "email" else inbound.subject,
    )
    if reply.pk not in context.reply_ids:
        context.reply_ids.append(reply.pk)
    # True to the model: the reply is stored; the channel delivers it after the run.
    return {"recorded": True, "reply_id": reply.pk, "characters": len(formatted),
            "delivery": "queued: delivered on the customer's channel after this run"}


@function_tool
async def send_response(
    ctx: RunContextWrapper[AgentRunContext],
    ticket_id: str,
    message: Annotated[str, Field(min_length=1, max_length=8000)],
    channel: ChannelName,
) -> str:
    """Reply to the customer. This is the ONLY way to answer the customer. The text is
    formatted for the channel (greeting, signature, length) automatically; write plain prose.

    Args:
        ticket_id: The ticket reference from create_ticket.
        message: The reply text, grounded in the Help Centre.
        channel: The customer's channel (reply on the channel they wrote on).
    """

    def body() -> dict[str, Any]:
        c = ctx.context
        ticket = _own_ticket(c, ticket_id)
        if channel != c.channel:
            raise ToolRefusal(f"Reply on the customer's channel ({c.channel}), not {channel}.")
        return record_reply(c, ticket=ticket, message=message, channel=channel)

    return await _run(ctx, "send_response", {"ticket_id": ticket_id, "message": message, "channel": channel}, body)


ALL_TOOLS = [create_ticket, get_customer_history, search_knowledge_base, read_article, escalate_to_human,
             send_response]
