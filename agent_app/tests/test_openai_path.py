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
    # The model's own calls; governance adds its audit entries (the answerability gate) after them.
    assert [c["tool"] for c in message.tool_calls if c["tool"] != "governance"] == [
        "create_ticket", "get_customer_history", "search_knowledge_base", "send_response"]
    reply = Message.objects.get(reply_to=message, author=Author.AGENT)
    assert "Forgot password" in reply.content and reply.content.startswith("Hi Olu,")
    first = fake.requests[0]
    assert first["model"] == "fake-model"
    assert {t["function"]["name"] for t in first["tools"]} == {
        "create_ticket", "get_customer_history", "search_knowledge_base", "read_article", "escalate_to_human",
        "send_response"}
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


# -- governance holds whatever the model does, and across retries ------------------------


def accept(text, channel="web_form", **contact):
    contact = contact or {"email": "openai@example.com"}
    message = services.inbound_message_accept(channel=channel, provider_id=uuid.uuid4().hex, content=text,
                                              name="Olu", **contact).message
    assert services.message_claim(message_id=message.pk)
    return message


def retry(message):
    """What the Celery task does after a failed attempt: release the claim, claim again, process."""
    services.message_record_error(message_id=message.pk, error="attempt failed")
    assert services.message_claim(message_id=message.pk)
    return process_message(message_id=message.pk)


def test_a_retry_after_a_crash_between_answering_and_governance_still_governs(fake):
    # The model answers a pricing question; then the model API fails before the run ends,
    # so the attempt dies with an answer recorded but never checked against the triggers.
    fake.fail_from_step = 4
    message = accept("How much does the Business plan cost for 40 seats?")
    with pytest.raises(Exception):
        process_message(message_id=message.pk)
    assert Message.objects.filter(reply_to=message, author=Author.AGENT).count() == 1

    fake.fail_from_step = None
    assert retry(message) == "escalated"

    message.refresh_from_db()
    assert message.ticket.escalation_reason == "pricing_inquiry"
    [reply] = Message.objects.filter(reply_to=message, author=Author.AGENT)
    assert "person from our support team" in reply.content and "Forgot password" not in reply.content
    assert len(fake.requests) == 4 + 3 + 5  # the unchecked answer was withdrawn and the run made afresh


def test_a_hard_trigger_overrides_the_reason_and_urgency_the_model_chose(fake):
    fake.escalate = {"reason": "knowledge_not_found", "urgency": "low"}
    outcome, message = run("Someone hacked my account and changed my password, I did not do this!")
    assert outcome == "escalated"
    assert message.ticket.escalation_reason == "security_incident"
    assert message.ticket.urgency == "urgent"


def test_an_answer_given_before_the_model_escalated_is_not_sent(fake):
    fake.escalate = {"reason": "explicit_human_request", "urgency": "normal"}
    fake.answer_then_escalate = True
    outcome, message = run("Can someone from your team look at my workspace settings with me?")
    assert outcome == "escalated"
    replies = list(Message.objects.filter(reply_to=message, author=Author.AGENT))
    assert len(replies) == 1 and "person from our support team" in replies[0].content
    assert fake.reply_text not in replies[0].content


def test_the_tools_act_only_on_the_runs_own_ticket(fake):
    from crm.tests.factories import ConversationFactory, TicketFactory

    first = accept("How do I reset my password?")
    # Another ticket of the same customer, in an older conversation.
    customer = first.conversation.customer
    other = TicketFactory(customer=customer, conversation=ConversationFactory(customer=customer))
    fake.ticket_override = other.reference

    outcome = process_message(message_id=first.pk)

    message = Message.objects.select_related("ticket").get(pk=first.pk)
    refused = [c for c in message.tool_calls if c["tool"] == "send_response" and not c["ok"]]
    assert refused and "is not this conversation's ticket" in refused[0]["result"]["error"]
    assert not Message.objects.filter(ticket=other).exists()
    other.refresh_from_db()
    assert other.status == "open"
    assert outcome == "escalated" and message.ticket != other


@pytest.mark.django_db(transaction=True)
def test_a_message_whose_conversation_is_escalated_mid_run_sends_nothing(fake):
    # Two quick messages: while the model works on the second, the first one's processing
    # escalates the shared ticket. From then on a person owns the conversation.
    first = accept("I need to talk to a person about my account.")
    second = services.inbound_message_accept(channel="web_form", provider_id=uuid.uuid4().hex,
                                             content="Also, how do I reset my password?", name="Olu",
                                             email="openai@example.com").message
    assert services.message_claim(message_id=second.pk)
    ticket, _ = services.ticket_for_conversation(conversation=first.conversation, channel="web_form")
    Message.objects.filter(pk=first.pk).update(ticket=ticket)

    def first_escalates():  # runs in the fake server's thread, on its own connection
        from django.db import connection

        try:
            services.ticket_escalate(ticket=ticket, reason="explicit_human_request", urgency="normal",
                                     summary="Asked for a person.", packet={"message_id": first.pk})
        finally:
            connection.close()

    fake.before_step[3] = first_escalates  # after create_ticket, history and search; before the reply

    assert process_message(message_id=second.pk) == "skipped"

    second.refresh_from_db()
    refused = [c for c in second.tool_calls if c["tool"] == "send_response" and not c["ok"]]
    assert refused and "taken over" in refused[0]["result"]["error"]
    assert not Message.objects.filter(reply_to=second).exists()
    ticket.refresh_from_db()
    assert ticket.escalation_reason == "explicit_human_request"  # not overwritten by the second run


# -- the same judgement whatever model answers (issue 11) ----------------------------------


def test_a_model_reply_the_help_centre_does_not_support_is_withdrawn(fake):
    fake.reply_text = ("You can reset your password from the sign-in page. Passwords also expire automatically "
                       "every 30 days, and admins can extend that in the billing console.")
    outcome, message = run("How do I reset my password?")
    assert outcome == "escalated" and message.ticket.escalation_reason == "knowledge_not_found"
    [reply] = Message.objects.filter(reply_to=message, author=Author.AGENT)
    assert "30 days" not in reply.content and "person from our support team" in reply.content
    gate = [c["result"] for c in message.tool_calls if c["tool"] == "governance" and "unsupported_sentences" in c["result"]]
    assert gate and gate[0]["unsupported_sentences"]


def test_a_model_reply_in_the_customers_language_is_checked_against_the_help_centre_by_its_gist(fake):
    # The brand voice asks for the customer's language; the Help Centre is English.
    fake.reply_text = ("Puede restablecer su contraseña desde la página de inicio de sesión: haga clic en "
                       "Forgot password.")
    outcome, message = run("¿Cómo restablezco mi contraseña? Se me olvidó.")
    assert outcome == "answered"
    reply = Message.objects.get(reply_to=message, author=Author.AGENT)
    assert reply.content.startswith("Hola, Olu:") and "haga clic en Forgot password" in reply.content

    fake.reply_text = ("Puede restablecer su contraseña desde la página de inicio de sesión. Las contraseñas "
                       "caducan automáticamente cada 30 días y los administradores pueden ampliar ese plazo en "
                       "la consola de facturación.")
    outcome, message = run("¿Cómo restablezco mi contraseña? No la recuerdo.", email="otra@example.com")
    assert outcome == "escalated" and message.ticket.escalation_reason == "knowledge_not_found"
    [reply] = Message.objects.filter(reply_to=message, author=Author.AGENT)
    assert "30 días" not in reply.content and "Una persona de nuestro equipo" in reply.content
    # Withdrawn by the grounding check, for the sentence the Help Centre doesn't hold, not by the gate.
    [audit] = [c["result"] for c in message.tool_calls if c["tool"] == "governance" and "unsupported_sentences" in c["result"]]
    assert audit["answerability"]["answerable"] and audit["unsupported_sentences"] == [
        "Las contraseñas caducan automáticamente cada 30 días y los administradores pueden ampliar ese plazo en "
        "la consola de facturación."]


def test_a_model_answer_to_a_question_the_help_centre_does_not_cover_is_withdrawn(fake):
    outcome, message = run("Is there a Loomline app for smart TVs so we can show our board in the office?")
    assert outcome == "escalated" and message.ticket.escalation_reason == "knowledge_not_found"
    [reply] = Message.objects.filter(reply_to=message, author=Author.AGENT)
    assert fake.reply_text not in reply.content


def test_a_provider_outage_falls_back_to_the_offline_model_under_the_same_guards(fake, settings):
    settings.AGENT_FALLBACK_AFTER_ATTEMPTS = 2
    fake.fail_with_status = 503
    message = accept("Where can I download our invoices?")
    with pytest.raises(Exception):  # first attempt: the task retries, the provider may be back
        process_message(message_id=message.pk)
    assert retry(message) == "answered"  # second attempt: still down, the offline model answers
    message.refresh_from_db()
    [reply] = Message.objects.filter(reply_to=message, author=Author.AGENT)
    assert "download-invoices" in reply.content
    metric = AgentMetric.objects.get(message=message)
    assert metric.model_name == "offline-support-v1"
    fallback = [c for c in message.tool_calls if c["tool"] == "governance" and "provider_fallback" in c["result"]]
    assert fallback and fallback[0]["result"]["provider_fallback"]["failed_model"] == "fake-model"


def test_a_provider_outage_still_escalates_hard_triggers(fake, settings):
    settings.AGENT_FALLBACK_AFTER_ATTEMPTS = 1
    fake.fail_with_status = 429
    outcome, message = run("Someone logged into our admin account from abroad and deleted projects.")
    assert outcome == "escalated" and message.ticket.escalation_reason == "security_incident"
