"""A deterministic offline model behind the Agents SDK's ``Model`` interface.

It is the default when no ``OPENAI_API_KEY`` is set, and it drives the same tools as
a real model would: create_ticket → get_customer_history → search_knowledge_base
(twice if the first finds nothing) → decide → read_article (the article the answerability
gate chose, whole) → send_response; or escalate_to_human and send_response.
It is stateless: the SDK asks it for one step at a time and it reads where it is from
the tool results already in the input, so one instance serves any number of runs.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from agents.items import ModelResponse
from agents.models.interface import Model
from agents.usage import Usage
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText

from agent_app import compose, policy
from agent_app.judgement import answerability
from agent_app.prompts import parse_user_input
from crm.models import EscalationReason, Urgency

MODEL_NAME = "offline-support-v1"
_STOPWORDS = set("""a an the and or but if then else of to in on at by for with from is are was were be been being
i me my we our you your it its this that these those do does did how what why where when which who can could
would should will shall may might must have has had please hi hello hey thanks thank there here not no yes
just also very really still any some get got want need trying try tried use using help question""".split())


def _get(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, dict) else getattr(item, key, None)


def _estimate_tokens(text: str) -> int:
    # No tokenizer offline; ~4 characters per token is the usual rule of thumb.
    return max(1, len(text) // 4)


def keywords(text: str, limit: int = 10) -> str:
    words = [w for w in re.findall(r"[a-zA-Z0-9][a-zA-Z0-9'-]+", text.lower()) if w not in _STOPWORDS]
    seen: list[str] = []
    for word in words:
        if word not in seen:
            seen.append(word)
    return " ".join(seen[:limit])


class OfflineSupportModel(Model):
    async def get_response(self, system_instructions, input, model_settings, tools, output_schema, handoffs,
                           tracing, *, previous_response_id=None, conversation_id=None, prompt=None):  # type: ignore[no-untyped-def]
        items: list[Any] = [{"role": "user", "content": input}] if isinstance(input, str) else list(input)
        user_text = next((_get(i, "content") for i in items if _get(i, "role") == "user"
                          and isinstance(_get(i, "content"), str)), "")
        meta, content = parse_user_input(user_text or "")
        calls: dict[str, str] = {}
        done: list[tuple[str, dict[str, Any]]] = []
        for item in items:
            kind = _get(item, "type")
            if kind == "function_call":
                calls[_get(item, "call_id")] = _get(item, "name")
            elif kind == "function_call_output":
                name = calls.get(_get(item, "call_id"), "")
                try:
                    result = json.loads(_get(item, "output") or "{}")
                except (TypeError, ValueError):
                    result = {"error": str(_get(item, "output"))}
                done.append((name, result if isinstance(result, dict) else {"value": result}))
        output = self._next(meta, content, done)
        usage_in = _estimate_tokens((system_instructions or "") + json.dumps([str(i) for i in items]))
        usage_out = _estimate_tokens(json.dumps([o.model_dump() for o in output]))
        return ModelResponse(output=output, usage=Usage(requests=1, input_tokens=usage_in, output_tokens=usage_out,
                                                         total_tokens=usage_in + usage_out), response_id=None)

    async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise NotImplementedError("the offline model does not stream")
        yield  # pragma: no cover

    # --- the plan ---------------------------------------------------------------------------------

    def _call(self, name: str, arguments: dict[str, Any], step: int) -> list[Any]:
        call_id = "call_" + hashlib.sha1(f"{step}:{name}:{json.dumps(arguments, sort_keys=True)}".encode()).hexdigest()[:16]
        return [ResponseFunctionToolCall(type="function_call", call_id=call_id, name=name,
                                         arguments=json.dumps(arguments))]

    def _final(self, text: str) -> list[Any]:
        return [ResponseOutputMessage(id="msg_offline", type="message", role="assistant", status="completed",
                                      content=[ResponseOutputText(type="output_text", text=text, annotations=[])])]

    def _next(self, meta: dict[str, Any], content: str, done: list[tuple[str, dict[str, Any]]]) -> list[Any]:
        step = len(done)
        channel = meta.get("channel", "web_form")
        customer_id = meta.get("customer_id")
        subject = meta.get("subject", "")
        names = [name for name, _ in done]
        results = {name: result for name, result in done}  # the latest result per tool

        if "create_ticket" not in names:
            issue = (subject or content or "Customer message").strip().splitlines()[0][:120] or "Customer message"
            return self._call("create_ticket", {"customer_id": customer_id, "issue": issue,
                                                "priority": meta.get("priority", "medium"), "channel": channel}, step)
        ticket = results["create_ticket"].get("ticket_id")
        if not ticket:
            return self._final("Could not open a ticket: " + results["create_ticket"].get("error", "unknown error"))
        if "get_customer_history" not in names:
            return self._call("get_customer_history", {"customer_id": customer_id}, step)

        history = results["get_customer_history"].get("history", [])
        repeats = policy.repeat_contacts(history=history, text=content, ticket_reference=ticket)
        assessment = policy.assess(content, channel=channel, subject=subject, repeat_contacts=repeats)
        searches = [r for n, r in done if n == "search_knowledge_base"]
        hits = next((r.get("results") for r in searches if r.get("results")), [])

        # Escalated already: tell the customer, once.
        if "escalate_to_human" in names:
            if "send_response" in names:
                return self._final("Escalated and the customer was told.")
            escalation = results["escalate_to_human"]
            reason = meta.get("_reason") or self._reason_from(done)
            notice = compose.compose_escalation_notice(reason=reason, due_iso=escalation.get("follow_up_by"),
                                                       channel=channel, kind=assessment.kind,
                                                       zone=escalation.get("customer_time_zone"),
                                                       language=assessment.language)
            return self._call("send_response", {"ticket_id": ticket, "message": notice, "channel": channel}, step)

        if "send_response" in names:
            sent = results["send_response"]
            if sent.get("error"):
                return self._escalate(ticket, EscalationReason.KNOWLEDGE_NOT_FOUND, Urgency.NORMAL,
                                      f"The drafted reply was refused ({sent['error']}).", content, searches, step)
            return self._final("Reply recorded.")

        needs_search = assessment.kind in ("question", "needs_staff", "still_failing", "not_helpful") and not (
            assessment.must_escalate and assessment.reason in (EscalationReason.LEGAL_LANGUAGE, EscalationReason.SECURITY_INCIDENT))
        if needs_search and len(searches) == 0:
            query = policy.question_text(content, subject=subject, language=assessment.language)
            return self._call("search_knowledge_base", {"query": query, "max_results": answerability.TOP_HITS}, step)
        if needs_search and len(searches) == 1 and not hits:
            query = keywords(policy.question_text(content, subject=subject, language=assessment.language)) or content[:200]
            return self._call("search_knowledge_base", {"query": query, "max_results": answerability.TOP_HITS}, step)

        if assessment.must_escalate:
            return self._escalate(ticket, assessment.reason or EscalationReason.KNOWLEDGE_NOT_FOUND, assessment.urgency,
                                  "; ".join(assessment.evidence()), content, searches, step)
        if assessment.kind == "greeting":
            return self._call("send_response", {"ticket_id": ticket, "message": compose.greeting_reply(assessment.language),
                                                "channel": channel}, step)
        if assessment.kind == "thanks":
            return self._call("send_response", {"ticket_id": ticket, "message": compose.thanks_reply(assessment.language),
                                                "channel": channel}, step)
        if not hits:
            return self._escalate(ticket, EscalationReason.KNOWLEDGE_NOT_FOUND, Urgency.NORMAL,
                                  "No relevant Help Centre article after two searches.", content, searches, step)
        question = policy.question_text(content, subject=subject, language=assessment.language)
        # The trained answerability decision: answer only when a retrieved passage answers it.
        decision = answerability.decide(question, hits, assessment.intents)
        if not decision.answerable:
            return self._escalate(ticket, EscalationReason.KNOWLEDGE_NOT_FOUND, Urgency.NORMAL,
                                  f"The Help Centre does not answer it: {decision.why}.", content, searches, step)
        # A person who found the article opens it: the fact may be in a section the search did not return.
        if "read_article" not in names:
            return self._call("read_article", {"slug": decision.hit["slug"]}, step)
        read = results["read_article"]
        # An article gone since the search (an edit mid-run) leaves the retrieved passages.
        article = read.get("results", []) if read.get("slug") == decision.hit["slug"] else []
        answer = compose.compose_answer(hits=compose.answer_order(hits, decision.hit, article), question=question,
                                        channel=channel, sentiment=assessment.sentiment, language=assessment.language)
        return self._call("send_response", {"ticket_id": ticket, "message": answer, "channel": channel}, step)

    @staticmethod
    def _reason_from(done: list[tuple[str, dict[str, Any]]]) -> str:
        return next((r.get("reason") for n, r in done if n == "escalate_to_human" and r.get("reason")),
                    EscalationReason.KNOWLEDGE_NOT_FOUND)

    def _escalate(self, ticket: str, reason: str, urgency: str, why: str, content: str,
                  searches: list[dict[str, Any]], step: int) -> list[Any]:
        found = sorted({h["slug"] for s in searches for h in s.get("results", [])})
        wants = " ".join(content.split())[:300] or "(empty message)"
        summary = (f"Customer wants: {wants}\nWhy a person is needed: {why}\n"
                   f"Tried: {len(searches)} Help Centre search(es); articles found: {', '.join(found) or 'none'}.")
        return self._call("escalate_to_human", {"ticket_id": ticket, "reason": reason, "urgency": urgency,
                                                "summary": summary}, step)
