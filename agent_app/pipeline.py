"""Processing one inbound message: the agent run, governance, and metrics; delivery follows.

Order matters for exactly-once effects:
1. If an AI reply to this message was already recorded (a retry after a crash), the
   agent is not run again: only the outcome is recorded and unsent replies handed on.
2. The agent runs outside any transaction (LLM calls are slow and can fail); each tool
   commits its own small transaction.
3. Governance: hard triggers escalate whatever the model did; replies the model
   recorded in that case are withdrawn before anything was sent.
4. The outcome, metric and ``fte.metrics`` event are written in one transaction; once
   it commits, each reply is handed to the delivery task (``channels_app.deliver_message``),
   which sends it through the channel's sender with its own retries.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from agents import (
    Agent,
    ModelSettings,
    OutputGuardrailTripwireTriggered,
    RunConfig,
    Runner,
)
from agents.exceptions import AgentsException, MaxTurnsExceeded
import openai
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import transaction

from agent_app import compose, policy, prompts, providers, reading
from agent_app.judgement import answerability, grounding
from agent_app.context import AgentRunContext
from agent_app.guardrails import prompt_injection_guardrail, reply_rules_guardrail
from agent_app.tools import ALL_TOOLS, record_reply
from channels_app.delivery import deliver_now
from channels_app.styles import channel_style
from crm import selectors, services
from crm.models import (
    URGENCY_RANK,
    Author,
    Channel,
    EscalationReason,
    Message,
    Outcome,
    ProcessingState,
    Ticket,
    TicketStatus,
    Urgency,
)

log = logging.getLogger(__name__)


def build_agent() -> Agent[AgentRunContext]:
    return Agent[AgentRunContext](
        name="Loomline Support",
        instructions=prompts.system_prompt(),
        tools=ALL_TOOLS,
        input_guardrails=[prompt_injection_guardrail],
        output_guardrails=[reply_rules_guardrail],
        model_settings=ModelSettings(temperature=0.2, parallel_tool_calls=False),
    )


@dataclass
class RunOutcome:
    tokens: int = 0
    error: str = ""
    guardrail_tripped: list[str] | None = None


# Model API failures that persist past the client's own retries: after
# AGENT_FALLBACK_AFTER_ATTEMPTS attempts of a message, the offline model answers it.
PROVIDER_ERRORS = (openai.APIConnectionError, openai.APITimeoutError, openai.RateLimitError,
                   openai.InternalServerError)


async def _run_agent(context: AgentRunContext, user_input: str, *, offline: bool = False) -> RunOutcome:
    provider = providers.OfflineModelProvider() if offline else providers.ConfiguredModelProvider()
    config = RunConfig(model_provider=provider,
                       tracing_disabled=not providers.configure_tracing(),
                       workflow_name="customer-success-fte")
    outcome = RunOutcome()
    try:
        result = await Runner.run(build_agent(), user_input, context=context, max_turns=settings.AGENT_MAX_TURNS,
                                  run_config=config)
        outcome.tokens = _tokens(result.raw_responses)
    except OutputGuardrailTripwireTriggered as tripped:
        info = tripped.guardrail_result.output.output_info or {}
        outcome.guardrail_tripped = list(info.get("problems", []))
        outcome.tokens = _tokens_so_far(tripped)
    except MaxTurnsExceeded as exc:
        outcome.error = f"the agent did not finish within {settings.AGENT_MAX_TURNS} turns: {exc}"
        outcome.tokens = _tokens_so_far(exc)
    return outcome


def _tokens_so_far(exc: AgentsException) -> int:
    # The model was paid for up to the point the run stopped.
    return _tokens(exc.run_data.raw_responses if exc.run_data else [])


def _tokens(responses: list[Any]) -> int:
    return sum(r.usage.total_tokens for r in responses)


def _withdraw_replies(context: AgentRunContext, why: str, *, only: list[int] | None = None) -> None:
    """Delete AI replies of this run (or just ``only`` of them) that were recorded but not yet sent."""
    ids = context.reply_ids if only is None else [i for i in context.reply_ids if i in only]
    ids = services.outbound_messages_withdraw(message_ids=ids)
    context.reply_ids = [i for i in context.reply_ids if i not in ids]
    context.tool_calls.append({"tool": "governance", "arguments": {}, "ok": True,
                               "result": {"withdrawn_replies": ids, "why": why}, "ms": 0})


def _ensure_ticket(context: AgentRunContext, message: Message) -> Ticket:
    if context.ticket_id:
        return Ticket.objects.get(pk=context.ticket_id)
    ticket, _ = services.ticket_for_conversation(conversation=message.conversation, channel=message.channel,
                                                 subject=message.subject)
    services.message_attach_to_ticket(message=message, ticket=ticket)
    context.ticket_id, context.ticket_reference = ticket.pk, ticket.reference
    context.tool_calls.append({"tool": "governance", "arguments": {}, "ok": True,
                               "result": {"ticket_opened_by_pipeline": ticket.reference}, "ms": 0})
    return ticket


def _govern(context: AgentRunContext, message: Message, run: RunOutcome) -> None:
    """Enforce the hard triggers and make sure the customer hears back exactly once."""
    history = reading.history_for_agent([h for h in selectors.customer_history(customer_id=context.customer_id)
                                         if h["message_id"] != message.pk])
    ticket = _ensure_ticket(context, message)
    text = context.text
    repeats = policy.repeat_contacts(history=history, text=text, ticket_reference=ticket.reference)
    assessment = policy.assess(text, channel=message.channel, subject=message.subject, repeat_contacts=repeats)
    searched_empty = len(context.searches) >= 2 and not any(s["hits"] for s in context.searches)

    reason, urgency, why = None, Urgency.NORMAL, ""
    own = context.escalation  # the model's own call to escalate_to_human, if any
    if run.guardrail_tripped:
        reason, urgency, why = EscalationReason.KNOWLEDGE_NOT_FOUND, Urgency.NORMAL, "reply withheld: " + "; ".join(run.guardrail_tripped)
    elif run.error:
        reason, urgency, why = EscalationReason.KNOWLEDGE_NOT_FOUND, Urgency.NORMAL, run.error
    elif assessment.must_escalate:
        reason, urgency, why = assessment.reason, assessment.urgency, "; ".join(assessment.evidence())
    elif searched_empty:
        reason, why = EscalationReason.KNOWLEDGE_NOT_FOUND, "no relevant Help Centre article after two searches"
    elif not context.reply_ids and not context.escalation:
        reason, why = EscalationReason.KNOWLEDGE_NOT_FOUND, "the model gave no reply"
    elif own is None and assessment.kind == "question":
        # Whatever model answered: only when a retrieved passage answers the question, and only
        # with sentences the retrieved passages support.
        why = _ungrounded(context, message, assessment)
        if why:
            reason = EscalationReason.KNOWLEDGE_NOT_FOUND

    # A hard trigger decides the reason and urgency even when the model escalated on its
    # own with another reason or a lower urgency: staff and the SLA clock work from it,
    # and the customer's notice (e.g. the steps to secure an account) depends on it.
    overrides_model = own is not None and assessment.must_escalate and reason == assessment.reason and (
        own.get("reason") != reason
        or URGENCY_RANK.get(own.get("urgency", ""), 9) > URGENCY_RANK[assessment.urgency])
    if own is not None and not overrides_model and own.get("replies_before"):
        # Answers recorded before the model decided a person was needed are not sent.
        _withdraw_replies(context, "answered before escalating", only=own["replies_before"])
    if reason and (own is None or overrides_model):
        _withdraw_replies(context, why)
        if own is not None and URGENCY_RANK.get(own.get("urgency", ""), 9) < URGENCY_RANK[urgency]:
            urgency = own["urgency"]
        found = ", ".join(s["slug"] for s in context.sources) or "none"
        summary = (f"Customer wants: {' '.join(text.split())[:300] or '(empty message)'}\n"
                   f"Why a person is needed: {why}\nArticles found: {found}.")
        ticket = services.ticket_escalate(
            ticket=ticket, reason=reason, urgency=urgency, summary=summary,
            packet={"tried": [c["tool"] for c in context.tool_calls], "sources": context.sources,
                    "searches": [{"query": s["query"], "hits": [h["slug"] for h in s["hits"]]}
                                 for s in context.searches],
                    "enforced_by": "policy", "message_id": message.pk},
        )
        context.escalation = {"reason": reason, "urgency": urgency, "summary": summary, "enforced": True}
    _record_feedback_in_words(context, message, ticket, assessment)
    if context.escalation and not context.reply_ids:
        ticket.refresh_from_db()
        notice = compose.compose_escalation_notice(
            reason=context.escalation["reason"], channel=message.channel, kind=assessment.kind,
            due_iso=ticket.sla_due_at.isoformat() if ticket.sla_due_at else None,
            zone=context.time_zone or None, language=assessment.language)
        started = time.monotonic()
        result = record_reply(context, ticket=ticket, message=notice, channel=message.channel)
        # The same path as the send_response tool; the audit trail says who called it.
        context.record("send_response", {"ticket_id": ticket.reference, "channel": message.channel,
                                         "by": "governance"}, result, started)


def _record_feedback_in_words(context: AgentRunContext, message: Message, ticket: Ticket,
                              assessment: policy.Assessment) -> None:
    """"That worked" or "that didn't help" written on WhatsApp or in an email counts like
    the support page's buttons: the AI's last answer before this message is rated, so the
    reports count confirmed resolutions and the escalation quotes what was tried."""
    if assessment.kind == "thanks" and not context.escalation:
        helped = True
    elif assessment.kind in ("not_helpful", "still_failing"):
        helped = False
    else:
        return
    rated = selectors.ai_answer_before(ticket_id=ticket.pk, before=message.created_at, exclude_ids=context.reply_ids)
    if rated is None:
        return  # nothing the AI said to rate (thanks after a person's reply, or a first message)
    result = services.ticket_feedback_record(ticket=ticket, helped=helped, channel=message.channel, answer=rated,
                                             comment=context.text)
    context.tool_calls.append({"tool": "governance", "arguments": {}, "ok": True, "ms": 0, "result": {
        "feedback": {"helped": helped, "rated_message_id": rated.pk, "recorded": result.recorded}}})


def _ungrounded(context: AgentRunContext, message: Message, assessment: policy.Assessment) -> str:
    """Why the run's answer may not be sent (empty when it may): the answerability gate and
    the grounding check, recorded in the audit trail."""
    hits = next((s["hits"] for s in context.searches if s["hits"]), [])
    question = policy.question_text(context.text, subject=message.subject, language=assessment.language)
    decision = answerability.decide(question, hits, assessment.intents)
    replies = [c["arguments"].get("message", "") for c in context.tool_calls
               if c["tool"] == "send_response" and c.get("ok") and c["arguments"].get("by") != "governance"]
    passages = [h for s in context.searches for h in s["hits"]] + context.articles_read
    unsupported = [u for r in replies for u in grounding.unsupported_sentences(r, passages)]
    context.tool_calls.append({"tool": "governance", "arguments": {}, "ok": True, "ms": 0,
                               "result": {"answerability": decision.as_dict(), "unsupported_sentences": unsupported[:5]}})
    if not decision.answerable:
        return f"the Help Centre does not answer it: {decision.why}"
    if unsupported:
        return "the reply says things the Help Centre passages do not support: " + " | ".join(unsupported)[:300]
    return ""


def _finish(*, message: Message, context: AgentRunContext, outcome: str, latency_ms: int, tokens: int,
            model_name: str, sentiment: float | None) -> None:
    with transaction.atomic():
        services.message_finish(message_id=message.pk, state=ProcessingState.PROCESSED if outcome != "skipped"
                                else ProcessingState.SKIPPED, latency_ms=latency_ms, tokens_used=tokens,
                                tool_calls=context.tool_calls)
        ticket = Ticket.objects.filter(pk=context.ticket_id).first() if context.ticket_id else None
        if ticket and outcome == Outcome.ANSWERED and ticket.status in (TicketStatus.OPEN, TicketStatus.IN_PROGRESS):
            services.ticket_resolve(ticket=ticket, by_ai=True)
        if sentiment is not None:
            services.conversation_set_sentiment(conversation_id=message.conversation_id, sentiment=sentiment)
        # Set when a retry finds its reply already sent; otherwise delivery fills it in.
        first_sent = Message.objects.filter(pk__in=context.reply_ids, sent_at__isnull=False).order_by("sent_at").first()
        end_to_end = int((first_sent.sent_at - message.created_at).total_seconds() * 1000) if first_sent else None
        services.agent_metric_record(
            message=message, ticket=ticket, outcome=outcome,
            escalation_reason=(context.escalation or {}).get("reason", ""),
            figures=services.RunFigures(
                latency_ms=latency_ms, tokens_used=tokens, model_name=model_name, end_to_end_ms=end_to_end,
                tool_call_count=len(context.tool_calls),
                knowledge_hits=sum(len(s["hits"]) for s in context.searches),
                top_score=max((h["score"] for s in context.searches for h in s["hits"]), default=None),
                sentiment=sentiment),
        )
        # One attempt from here once committed, then the delivery task's retries: a channel
        # outage must not use up the agent's attempts or run the model again.
        for reply_id in context.reply_ids:
            transaction.on_commit(lambda reply_id=reply_id: deliver_now(reply_id))


def process_message(*, message_id: int) -> str:
    """Process one claimed inbound message. Returns the outcome ("answered", "escalated", "skipped")."""
    started = time.monotonic()
    message = Message.objects.select_related("conversation__customer", "ticket").get(pk=message_id)
    customer = message.conversation.customer
    # On the web form, the name typed into it: the record it matched may be someone else's.
    display_name = selectors.typed_name(message) if message.channel == Channel.WEB_FORM else customer.name
    context = AgentRunContext(message_id=message.pk, customer_id=customer.pk, conversation_id=message.conversation_id,
                              channel=message.channel, customer_name=display_name, subject=message.subject,
                              text=reading.text_for_agent(channel=message.channel, content=message.content),
                              time_zone=(message.metadata or {}).get("time_zone") or customer.time_zone)
    model_name = providers.model_name()

    earlier = list(Message.objects.filter(reply_to=message, author=Author.AGENT).select_related("ticket"))
    # A person owns this conversation: the AI stays out; the message joins their ticket.
    # (Unless it was this message's own processing that escalated: its notice still goes.)
    if selectors.human_owns_conversation(conversation_id=message.conversation_id, except_escalated_by=message.pk):
        return _hold_for_human(message, context, earlier, model_name, started)

    if not earlier and not channel_style(message.channel).enabled:
        return _hand_to_people(message, context, model_name, started)

    tokens = message.tokens_used or 0
    sentiment = None
    if earlier and not message.tool_calls:
        # The audit trail is stored only once governance has run: without it, the
        # attempt died between the model recording replies and governance checking them
        # (against the hard triggers, the guardrails, the searches it made). Nothing was
        # sent yet; the unchecked replies are withdrawn and the message runs afresh.
        context.reply_ids = [m.pk for m in earlier]
        _withdraw_replies(context, "the attempt that recorded them stopped before governance")
        earlier = list(Message.objects.filter(reply_to=message, author=Author.AGENT).select_related("ticket"))
    if earlier:
        # A retry after governance: the checked answer exists; only delivery may be missing.
        context.reply_ids = [m.pk for m in earlier]
        ticket = earlier[0].ticket
        context.ticket_id = ticket.pk if ticket else None
        context.ticket_reference = ticket.reference if ticket else ""
        if ticket and ticket.status == TicketStatus.ESCALATED:
            context.escalation = {"reason": ticket.escalation_reason, "urgency": ticket.urgency}
        context.tool_calls = list(message.tool_calls or [])
    else:
        meta = {"customer_id": customer.pk, "channel": message.channel, "customer_name": display_name,
                "subject": message.subject, "message_id": message.pk}
        user_input = prompts.user_input(meta=meta, content=context.text)
        try:
            run = async_to_sync(_run_agent)(context, user_input)
        except PROVIDER_ERRORS as exc:
            fallback_from = settings.AGENT_FALLBACK_AFTER_ATTEMPTS  # 0: never fall back
            if model_name == providers.OFFLINE_MODEL_NAME or not fallback_from or message.attempts < fallback_from:
                raise  # the task retries; the provider may be back by then
            run, model_name = _run_offline_instead(context, message, user_input, exc)
        tokens = run.tokens
        # Another message of this conversation may have been escalated while the model ran.
        if selectors.human_owns_conversation(conversation_id=message.conversation_id,
                                             except_escalated_by=message.pk):
            services.message_record_run(message_id=message.pk, tokens_used=tokens)
            held = list(Message.objects.filter(pk__in=context.reply_ids))
            return _hold_for_human(message, context, held, model_name, started, tokens=tokens)
        _govern(context, message, run)
        sentiment = policy.sentiment_score(context.text)
        # Record the audit trail now, so a retry after a delivery failure can reuse it.
        services.message_record_run(message_id=message.pk, tokens_used=tokens, tool_calls=context.tool_calls)

    outcome = Outcome.ESCALATED if context.escalation else Outcome.ANSWERED
    _finish(message=message, context=context, outcome=outcome, model_name=model_name, tokens=tokens,
            latency_ms=int((time.monotonic() - started) * 1000), sentiment=sentiment)
    return outcome


def _run_offline_instead(context: AgentRunContext, message: Message, user_input: str,
                         exc: Exception) -> tuple[RunOutcome, str]:
    """The model API kept failing: the offline model answers, under the same governance.

    Replies the failed run recorded were never checked and are withdrawn; the run starts
    afresh on the same ticket. The metric records the offline model as the one used.
    """
    log.warning("message %s: model API failed on attempt %s (%s); the offline model answers",
                message.pk, message.attempts, exc)
    if context.reply_ids:
        _withdraw_replies(context, "the model API failed mid-run; the offline model answers instead")
    context.searches, context.escalation = [], None
    context.tool_calls.append({"tool": "governance", "arguments": {}, "ok": True, "ms": 0, "result": {
        "provider_fallback": {"failed_model": settings.AGENT_MODEL, "error": f"{type(exc).__name__}: {exc}"[:300],
                              "attempt": message.attempts}}})
    return async_to_sync(_run_agent)(context, user_input, offline=True), providers.OFFLINE_MODEL_NAME


def _hand_to_people(message: Message, context: AgentRunContext, model_name: str, started: float) -> str:
    """AI replies are switched off for this channel (admin): the message goes to a person, unanswered."""
    ticket = _ensure_ticket(context, message)
    wants = " ".join(context.text.split())[:300] or "(empty message)"
    summary = (f"Customer wants: {wants}\nWhy a person is needed: AI replies are switched off for "
               f"{message.get_channel_display()} in the channel settings; the customer has had no answer yet.")
    services.ticket_escalate(ticket=ticket, reason=EscalationReason.CHANNEL_PAUSED, urgency=Urgency.NORMAL,
                             summary=summary, packet={"message_id": message.pk, "enforced_by": "channel_config"})
    context.escalation = {"reason": EscalationReason.CHANNEL_PAUSED, "urgency": Urgency.NORMAL,
                          "summary": summary, "enforced": True}
    _finish(message=message, context=context, outcome=Outcome.ESCALATED, model_name=model_name, tokens=0,
            latency_ms=int((time.monotonic() - started) * 1000), sentiment=None)
    return Outcome.ESCALATED


def _hold_for_human(message: Message, context: AgentRunContext, replies: list[Message], model_name: str,
                    started: float, *, tokens: int | None = None) -> str:
    """The AI stays out: unsent replies of this message are withdrawn; it joins the person's ticket."""
    context.reply_ids = [m.pk for m in replies]
    context.tool_calls = context.tool_calls or list(message.tool_calls or [])
    if context.reply_ids:
        _withdraw_replies(context, "a person took over the conversation")
    ticket = Ticket.objects.filter(conversation_id=message.conversation_id, status=TicketStatus.ESCALATED).first()
    if ticket is not None:
        services.message_attach_to_ticket(message=message, ticket=ticket, only_if_unattached=True)
        own = Ticket.objects.filter(pk=message.ticket_id).exclude(
            status__in=[TicketStatus.ESCALATED, TicketStatus.CLOSED]).first() if message.ticket_id else None
        if own is not None:
            # The message came with a ticket of its own (a second form submission): it goes
            # to the same person, or it would wait, open and unanswered, for no one.
            ticket = services.ticket_escalate(
                ticket=own, reason=ticket.escalation_reason or EscalationReason.EXPLICIT_HUMAN_REQUEST,
                urgency=ticket.urgency or Urgency.NORMAL,
                summary=f"Written while {ticket.reference} is with a person: handle the two together.",
                packet={"message_id": message.pk, "related_ticket": ticket.reference})
        context.ticket_id, context.ticket_reference = ticket.pk, ticket.reference
    _finish(message=message, context=context, outcome=Outcome.SKIPPED, model_name=model_name,
            tokens=(message.tokens_used or 0) if tokens is None else tokens,
            latency_ms=int((time.monotonic() - started) * 1000), sentiment=None)
    return Outcome.SKIPPED
