"""The agent's six tools over MCP (stdio), for any MCP client.

Each tool calls the same services, selectors, knowledge search, formatter and
channel delivery as the in-process agent tools; only the context differs: here
the client names the customer and ticket explicitly, and a reply is recorded and
delivered like any AI reply (guardrail rules included).
"""
from __future__ import annotations

import json
from typing import Any

from asgiref.sync import sync_to_async
from mcp.server.mcpserver import MCPServer

from agent_app.tools import ToolRefusal, checked_reply
from channels_app.enqueue import enqueue_delivery
from crm import selectors, services
from crm.errors import CRMError
from crm.models import Author, Customer, Ticket

server = MCPServer("loomline-support", instructions="Loomline customer-support tools: tickets, history, "
                   "Help Centre search, escalation and replies.")


async def _json(body: Any) -> str:
    try:
        result = await sync_to_async(body)()
    except (CRMError, ToolRefusal, ValueError, Customer.DoesNotExist, Ticket.DoesNotExist) as exc:
        result = {"error": getattr(exc, "message", str(exc))}
    return json.dumps(result, default=str)


def _ticket(ticket_id: str) -> Ticket:
    return Ticket.objects.select_related("customer", "conversation").get(reference=str(ticket_id).strip().upper())


@server.tool()
async def search_knowledge_base(query: str, max_results: int = 5, category: str | None = None) -> str:
    """Search the Loomline Help Centre; returns passages with slug, title, score and text."""
    from agent_app.knowledge.search import search_knowledge

    def body() -> dict[str, Any]:
        hits = search_knowledge(query, k=max_results, category=category or None)
        return {"results": [h.as_passage() for h in hits]}

    return await _json(body)


@server.tool()
async def read_article(slug: str) -> str:
    """Read a whole Help Centre article by slug: all its passages in the article's order."""
    from agent_app.knowledge.articles import ArticleNotFound, article_as_read

    def body() -> dict[str, Any]:
        try:
            return article_as_read(slug=slug)
        except ArticleNotFound as exc:
            raise ToolRefusal(str(exc)) from exc

    return await _json(body)


@server.tool()
async def create_ticket(customer_id: int, issue: str, priority: str, channel: str) -> str:
    """Open (or return) the ticket of the customer's active conversation."""

    def body() -> dict[str, Any]:
        customer = Customer.objects.get(pk=customer_id)
        conversation = services.conversation_for(customer=customer, channel=channel)
        ticket, created = services.ticket_for_conversation(conversation=conversation, channel=channel,
                                                           subject=issue, priority=priority)
        return {"ticket_id": ticket.reference, "status": ticket.status, "created": created}

    return await _json(body)


@server.tool()
async def get_customer_history(customer_id: int) -> str:
    """The customer's recent messages on every channel, newest first."""

    def body() -> dict[str, Any]:
        Customer.objects.get(pk=customer_id)
        return {"history": selectors.customer_history(customer_id=customer_id)}

    return await _json(body)


@server.tool()
async def escalate_to_human(ticket_id: str, reason: str, urgency: str, summary: str) -> str:
    """Hand a ticket to the human team with a canonical reason, an urgency and a summary."""

    def body() -> dict[str, Any]:
        ticket = services.ticket_escalate(ticket=_ticket(ticket_id), reason=reason, urgency=urgency,
                                          summary=summary, packet={"via": "mcp"})
        return {"escalated": True, "ticket_id": ticket.reference,
                "follow_up_by": ticket.sla_due_at.isoformat() if ticket.sla_due_at else None}

    return await _json(body)


@server.tool()
async def send_response(ticket_id: str, message: str, channel: str) -> str:
    """Reply on the ticket's channel (formatted for it, checked against the hard rules).

    The reply is recorded, then handed to the delivery task like every other reply."""

    def body() -> dict[str, Any]:
        ticket = _ticket(ticket_id)
        formatted = checked_reply(ticket=ticket, text=message, channel=channel)
        reply = services.outbound_message_record(ticket=ticket, channel=channel, content=formatted,
                                                 author=Author.AGENT)
        enqueue_delivery(reply.pk)
        return {"recorded": True, "reply_id": reply.pk, "delivery": "queued"}

    return await _json(body)
