"""The OpenAI-compatible path: the real openai client and the SDK's chat-completions model
against a local fake server that answers with tool calls."""
from __future__ import annotations

import uuid

import pytest
from agents import OpenAIChatCompletionsModel, OpenAIResponsesModel

from agent_app import providers
from agent_app.offline_model import OfflineSupportModel
from agent_app.pipeline import process_message
from crm import services
from crm.models import AgentMetric, Author, Message
from tests.support.fake_openai import FakeOpenAI

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("help_centre")]


@pytest.fixture
def fake(settings):
    with FakeOpenAI() as server:
        settings.OPENAI_BASE_URL = server.base_url
        settings.OPENAI_API_KEY = "test-key"
        settings.AGENT_MODEL = "fake-model"
        yield server


def run(text, channel="web_form", **contact):
    contact = contact or {"email": "openai@example.com"}
    message = services.inbound_message_accept(channel=channel, provider_id=uuid.uuid4().hex, content=text,
                                              name="Olu", **contact).message
    services.message_claim(message_id=message.pk)
    outcome = process_message(message_id=message.pk)
    return outcome, Message.objects.select_related("ticket").get(pk=message.pk)


def test_provider_selection(settings):
    settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = "", ""
    assert isinstance(providers.ConfiguredModelProvider().get_model(None), OfflineSupportModel)
    settings.OPENAI_API_KEY = "sk-test"
    assert isinstance(providers.ConfiguredModelProvider().get_model(None), OpenAIResponsesModel)
    assert providers.model_name() == settings.AGENT_MODEL
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    assert isinstance(providers.ConfiguredModelProvider().get_model(None), OpenAIChatCompletionsModel)


def test_tool_calls_from_an_openai_compatible_server_drive_the_same_tools(fake):
    outcome, message = run("How do I reset my password?")
    assert outcome == "answered"
    assert [c["tool"] for c in message.tool_calls] == [
        "create_ticket", "get_customer_history", "search_knowledge_base", "send_response"]
    reply = Message.objects.get(reply_to=message, author=Author.AGENT)
    assert "Forgot password" in reply.content and reply.content.startswith("Hi Olu,")
    first = fake.requests[0]
    assert first["model"] == "fake-model"
    assert {t["function"]["name"] for t in first["tools"]} == {
        "create_ticket", "get_customer_history", "search_knowledge_base", "escalate_to_human", "send_response"}
    assert "Never quote" in first["messages"][0]["content"]  # the system prompt with the hard rules
    metric = AgentMetric.objects.get(message=message)
    assert metric.model_name == "fake-model" and metric.tokens_used == 150 * len(fake.requests)


def test_governance_escalates_a_hard_trigger_the_model_answered(fake):
    outcome, message = run("How much does the Business plan cost for 40 seats?")
    assert outcome == "escalated"
    assert message.ticket.escalation_reason == "pricing_inquiry"
    replies = list(Message.objects.filter(reply_to=message, author=Author.AGENT))
    assert len(replies) == 1 and "person from our support team" in replies[0].content
    governance = [c for c in message.tool_calls if c["tool"] == "governance"]
    assert governance and governance[0]["result"]["withdrawn_replies"]


def test_a_reply_breaking_the_rules_is_refused_and_handed_to_a_person(fake):
    fake.reply_text = "Sure! The Team plan is $12 per seat per month, and we will refund you right away."
    outcome, message = run("Can you help me with my workspace settings?")
    refused = [c for c in message.tool_calls if c["tool"] == "send_response" and not c["ok"]]
    assert refused and "price" in refused[0]["result"]["error"]
    assert outcome == "escalated"
    for reply in Message.objects.filter(conversation=message.conversation, direction="outbound"):
        assert "$" not in reply.content and "refund you" not in reply.content


def test_the_model_escalating_is_recorded_with_its_reason(fake):
    fake.escalate = {"reason": "explicit_human_request", "urgency": "normal"}
    outcome, message = run("I'd rather talk this through with a person, please.")
    assert outcome == "escalated"
    assert message.ticket.escalation_reason == "explicit_human_request"
    assert message.ticket.escalation_packet["sources"]  # the knowledge it found travels with it
