"""The MCP server driven by the official mcp client over stdio, against the test database."""
from __future__ import annotations

import asyncio
import json
import sys

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from crm import services
from crm.models import Message
from tests.support.processes import ROOT, service_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("help_centre")]


def call_all(env, customer_id):
    async def session_calls():
        params = StdioServerParameters(command=sys.executable, args=["manage.py", "run_mcp_server"], env=env,
                                       cwd=str(ROOT))
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                names = sorted(t.name for t in (await session.list_tools()).tools)

                async def call(name, **arguments):
                    result = await session.call_tool(name, arguments)
                    return json.loads(result.content[0].text)

                ticket = await call("create_ticket", customer_id=customer_id, issue="Password", priority="medium",
                                    channel="web_form")
                history = await call("get_customer_history", customer_id=customer_id)
                search = await call("search_knowledge_base", query="reset my password", max_results=3)
                article = await call("read_article", slug="reset-password")
                missing = await call("read_article", slug="no-such-article")
                sent = await call("send_response", ticket_id=ticket["ticket_id"], channel="web_form",
                                  message="Use Forgot password on the sign-in page.")
                refused = await call("send_response", ticket_id=ticket["ticket_id"], channel="web_form",
                                     message="The Team plan is $10 per seat.")
                escalated = await call("escalate_to_human", ticket_id=ticket["ticket_id"], reason="pricing_inquiry",
                                       urgency="normal", summary="Asked about prices for 40 seats.")
                bad = await call("escalate_to_human", ticket_id=ticket["ticket_id"], reason="bored",
                                 urgency="normal", summary="nothing")
                return names, ticket, history, search, (article, missing), sent, refused, escalated, bad

    return asyncio.run(session_calls())


def test_the_six_tools_over_stdio():
    customer = services.inbound_message_accept(channel="web_form", provider_id="mcp-1", content="Forgot my password",
                                               email="mcp@example.com", name="Mo").message.conversation.customer
    names, ticket, history, search, (article, missing), sent, refused, escalated, bad = call_all(service_env(), customer.pk)
    assert names == ["create_ticket", "escalate_to_human", "get_customer_history", "read_article",
                     "search_knowledge_base", "send_response"]
    assert ticket["ticket_id"].startswith("TKT-") and ticket["created"] is True
    assert history["history"][0]["content"] == "Forgot my password"
    assert "reset-password" in [r["slug"] for r in search["results"]]
    # The whole article, in its order: more passages than the search returned of it.
    assert {r["slug"] for r in article["results"]} == {"reset-password"}
    assert len(article["results"]) >= sum(r["slug"] == "reset-password" for r in search["results"])
    assert "no-such-article" in missing["error"]
    assert sent["recorded"] is True and sent["delivery"] == "queued"
    assert Message.objects.get(pk=sent["reply_id"]).delivery_status == "pending"  # the delivery task sends it
    assert "price" in refused["error"]
    assert escalated["escalated"] is True
    assert "Unknown escalation reason" in bad["error"]
