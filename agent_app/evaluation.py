"""Evaluating the agent on any dataset in the sample-ticket format.

Every case goes through the real pipeline (intake service, Agents SDK run with the
configured model, tools, knowledge search, governance, sandbox delivery). The whole
run happens inside one transaction that is rolled back, so the database is left as
it was and runs do not see each other; cases within a run do see earlier cases, as
follow-ups need.
"""
from __future__ import annotations

import json
import re
import statistics
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.test import override_settings

from crm import services
from crm.models import REASON_PRECEDENCE, Author, Message

VALID_CHANNELS = {"email", "whatsapp", "web_form"}
REASONS = tuple(str(r) for r in REASON_PRECEDENCE)

# Labelled sets written by other teams for the same brief name the same things differently. Each
# spelling below means exactly what ours does, so reading it costs nothing in strictness; anything
# else still gets the error that says what a case needs (a channel, content, an action, a known reason).
_CHANNELS = {"email": "email", "gmail": "email", "mail": "email", "e_mail": "email",
             "whatsapp": "whatsapp", "wa": "whatsapp", "twilio_whatsapp": "whatsapp",
             "web_form": "web_form", "webform": "web_form", "web": "web_form", "form": "web_form",
             "support_form": "web_form", "web_support_form": "web_form", "website": "web_form"}
_ACTIONS = {"resolve": "resolve", "resolved": "resolve", "answer": "resolve", "answered": "resolve",
            "respond": "resolve", "reply": "resolve", "auto_resolve": "resolve", "auto_reply": "resolve",
            "escalate": "escalate", "escalated": "escalate", "escalation": "escalate", "handoff": "escalate",
            "human": "escalate", "human_handoff": "escalate"}
_KEYS = {"content": ("message", "body", "text"), "customer_email": ("email", "from_email", "sender_email"),
         "customer_phone": ("phone", "from_phone", "sender_phone", "whatsapp_number"),
         "customer_name": ("name", "sender_name"),
         "escalation_reason": ("expected_reason", "expected_escalation_reason", "reason"),
         "expected_action": ("action",), "expected_article": ("article", "expected_slug", "article_slug")}
_ESCALATES = ("expected_escalation", "should_escalate", "escalate", "escalated")
# Whole spellings only: a code read by its first word would turn "security_question" into a
# security incident.
_REASON_SPELLINGS = {
    "security": "security_incident", "security_breach": "security_incident", "security_issue": "security_incident",
    "legal": "legal_language", "legal_threat": "legal_language", "legal_request": "legal_language",
    "refund": "refund_request", "refunds": "refund_request",
    "pricing": "pricing_inquiry", "price": "pricing_inquiry", "pricing_question": "pricing_inquiry",
    "pricing_enquiry": "pricing_inquiry", "sentiment": "negative_sentiment", "negative": "negative_sentiment",
    "angry_customer": "negative_sentiment", "human": "explicit_human_request", "human_request": "explicit_human_request",
    "human_requested": "explicit_human_request", "knowledge_gap": "knowledge_not_found", "kb_miss": "knowledge_not_found",
    "no_answer": "knowledge_not_found", "not_found": "knowledge_not_found"}
_CASE_LISTS = ("tickets", "cases", "messages", "data", "examples")


def _token(value: Any) -> str:
    return re.sub(r"[\s-]+", "_", str(value).strip().lower())


def _reason(value: Any) -> Any:
    """A canonical code, or the one another team's whole spelling names ("pricing", "security_breach")."""
    token = _token(value)
    return token if token in REASONS else _REASON_SPELLINGS.get(token, value)


def normalised_case(case: dict[str, Any]) -> dict[str, Any]:
    """The case in our field names, values and codes; what is already ours is left as it is."""
    out = dict(case)
    customer = out.get("customer")
    if isinstance(customer, dict):
        for ours, theirs in (("customer_email", "email"), ("customer_phone", "phone"), ("customer_name", "name")):
            out.setdefault(ours, customer.get(theirs))
    for ours, theirs in _KEYS.items():
        if out.get(ours) is None:
            out[ours] = next((out[key] for key in theirs if out.get(key) is not None), None)
        if out[ours] is None:
            del out[ours]
    if "expected_action" not in out:
        flag = next((out[key] for key in _ESCALATES if isinstance(out.get(key), bool)), None)
        if flag is not None:
            out["expected_action"] = "escalate" if flag else "resolve"
    if "channel" in out:
        out["channel"] = _CHANNELS.get(_token(out["channel"]), out["channel"])
    if "expected_action" in out:
        out["expected_action"] = _ACTIONS.get(_token(out["expected_action"]), out["expected_action"])
    if out.get("escalation_reason"):
        out["escalation_reason"] = _reason(out["escalation_reason"])
    if out.get("expected_action") == "resolve" and "escalation_reason" not in case:
        out.pop("escalation_reason", None)  # their "reason": "none" beside an answer
    return out


class DatasetError(ValueError):
    pass


def load_dataset(path: str | Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except ValueError as exc:
        raise DatasetError(f"{path}: not valid JSON ({exc})") from None
    if isinstance(data, dict):
        data = next((data[key] for key in _CASE_LISTS if isinstance(data.get(key), list)), data)
    if not isinstance(data, list):
        raise DatasetError(f"{path}: expected a JSON array of cases (or an object holding one under "
                           f"{', '.join(_CASE_LISTS)})")
    cases = []
    for i, case in enumerate(data):
        case = normalised_case(case) if isinstance(case, dict) else case
        if not isinstance(case, dict) or case.get("channel") not in VALID_CHANNELS or "content" not in case:
            raise DatasetError(f"{path}: case {i} needs a channel (email, whatsapp, web_form) and content")
        if case.get("expected_action") not in ("resolve", "escalate"):
            raise DatasetError(f"{path}: case {case.get('id', i)} needs expected_action resolve or escalate")
        reason = case.get("escalation_reason")
        if case["expected_action"] == "escalate" and reason and reason not in REASONS:
            raise DatasetError(f"{path}: case {case.get('id', i)} has escalation_reason {reason!r}; "
                               f"expected one of {', '.join(REASONS)}")
        cases.append(case)
    return cases


@dataclass
class CaseResult:
    id: str
    expected_action: str
    action: str
    expected_reason: str | None
    reason: str | None
    expected_article: str | None
    articles: list[str]
    ms: float
    error: str = ""
    answered_article: str | None = None  # the article the reply is built on, when it answered
    expected_fact: str | None = None
    reply: str = ""
    kind: str | None = None
    urgency: str | None = None
    why: str = ""

    @property
    def fact_in_reply(self) -> bool:
        from agent_app.formatting import as_read

        fact = as_read(self.expected_fact or "")
        return bool(fact) and fact in as_read(self.reply)


@dataclass
class Report:
    results: list[CaseResult] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        ok = [r for r in self.results if not r.error]
        tp = sum(1 for r in ok if r.action == "escalate" and r.expected_action == "escalate")
        fp = sum(1 for r in ok if r.action == "escalate" and r.expected_action == "resolve")
        fn = sum(1 for r in ok if r.action != "escalate" and r.expected_action == "escalate")
        with_reason = [r for r in ok if r.expected_action == "escalate" and r.action == "escalate"
                       and r.expected_reason]
        with_article = [r for r in ok if r.expected_article]
        with_fact = [r for r in ok if r.expected_fact]
        times = sorted(r.ms for r in ok)

        def pct(q: float) -> float:
            if not times:
                return 0.0
            return round(times[min(len(times) - 1, int(round(q * (len(times) - 1))))], 1)

        return {
            "cases": len(self.results),
            "escalation_precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
            "escalation_recall": round(tp / (tp + fn), 3) if tp + fn else 1.0,
            "escalation_rate": round(sum(1 for r in ok if r.action == "escalate") / len(ok), 3) if ok else 0.0,
            "reason_accuracy": round(sum(1 for r in with_reason if r.reason == r.expected_reason)
                                     / len(with_reason), 3) if with_reason else 1.0,
            "resolved_without_human": round(sum(1 for r in ok if r.action == "resolve") / len(ok), 3) if ok else 0.0,
            "article_hit_at_3": round(sum(1 for r in with_article if r.expected_article in r.articles[:3])
                                      / len(with_article), 3) if with_article else 1.0,
            # The article the reply is built on is the expected one (escalating counts as a miss).
            "answer_hit_at_1": round(sum(1 for r in with_article if r.action == "resolve"
                                         and r.answered_article == r.expected_article)
                                     / len(with_article), 3) if with_article else 1.0,
            **({"fact_in_reply": round(sum(1 for r in with_fact if r.fact_in_reply) / len(with_fact), 3)}
               if with_fact else {}),
            "p50_ms": pct(0.5),
            "p95_ms": pct(0.95),
            "mean_ms": round(statistics.fmean(times), 1) if times else 0.0,
            "errors": len(self.results) - len(ok),
        }

    def details(self) -> list[dict[str, Any]]:
        """Per case: what was expected, what the agent did, the articles it found and its reply."""
        return [{"id": r.id, "kind": r.kind, "expected_action": r.expected_action, "action": r.action,
                 "expected_reason": r.expected_reason, "reason": r.reason, "urgency": r.urgency,
                 "expected_article": r.expected_article, "answered_article": r.answered_article,
                 "articles": r.articles, "expected_fact": r.expected_fact,
                 "fact_in_reply": r.fact_in_reply if r.expected_fact else None, "why": r.why, "reply": r.reply, "ms": round(r.ms, 1),
                 "error": r.error} for r in self.results]

    def mistakes(self) -> list[dict[str, Any]]:
        return [r.__dict__ for r in self.results if r.error or r.action != r.expected_action
                or (r.expected_action == "escalate" and r.expected_reason and r.reason != r.expected_reason)]


class _Rollback(Exception):
    pass


class Identities:
    """Maps the dataset's emails and phone numbers to ones unique to this run.

    The same person keeps the same stand-in across cases (follow-ups still link up),
    but nobody in the database, real or from an earlier run, shares it, so existing
    history or an open escalation can never leak into the evaluation.
    """

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.phones: dict[str, str] = {}
        self._next = 0

    def email(self, email: str | None) -> str | None:
        if not email:
            return None
        local, _, domain = email.partition("@")
        return f"{local}.eval{self.run_id}@{domain or 'eval.invalid'}"

    def phone(self, phone: str | None) -> str | None:
        from crm.models import CustomerIdentifier

        if not phone:
            return None
        if phone not in self.phones:
            while True:
                self._next += 1
                # 555 numbers are valid in the plan but reserved for fiction: no real customer has one.
                candidate = f"+1415555{(int(self.run_id, 16) + self._next) % 10000:04d}"
                if not CustomerIdentifier.objects.filter(kind="phone", value=candidate).exists():
                    break
            self.phones[phone] = candidate
        return self.phones[phone]


def _run_case(case: dict[str, Any], run_id: str, identities: Identities) -> CaseResult:
    from agent_app.pipeline import process_message

    email = identities.email(case.get("customer_email"))
    phone = identities.phone(case.get("customer_phone"))
    if not email and not phone:
        email = f"eval-{case.get('id', uuid.uuid4().hex)}.{run_id}@eval.invalid".lower()
    started = time.monotonic()
    accepted = services.inbound_message_accept(
        channel=case["channel"], provider_id=f"eval-{run_id}-{case.get('id', uuid.uuid4().hex)}",
        content=case.get("content") or "", subject=case.get("subject") or "", name=case.get("customer_name") or "",
        email=email, phone=phone)
    services.message_claim(message_id=accepted.message.pk)
    outcome = process_message(message_id=accepted.message.pk)
    elapsed = (time.monotonic() - started) * 1000
    message = Message.objects.select_related("ticket").get(pk=accepted.message.pk)
    searches = [c for c in message.tool_calls if c["tool"] == "search_knowledge_base" and c.get("ok")]
    articles: list[str] = []
    for search in searches[:1]:
        for hit in search["result"].get("results", []):
            if hit["slug"] not in articles:
                articles.append(hit["slug"])
    escalated = outcome in ("escalated", "skipped") and message.ticket is not None and message.ticket.escalated_at
    gate = next((c["result"]["answerability"] for c in message.tool_calls
                 if c["tool"] == "governance" and "answerability" in c.get("result", {})), None)
    answered = None if escalated else (gate or {}).get("slug") or (articles[0] if articles else None)
    reply = "\n---\n".join(Message.objects.filter(reply_to=message, author=Author.AGENT).order_by("pk")
                            .values_list("content", flat=True))
    return CaseResult(
        id=str(case.get("id", "")), expected_action=case["expected_action"],
        action="escalate" if escalated else "resolve", expected_reason=case.get("escalation_reason"),
        reason=message.ticket.escalation_reason if escalated else None,
        expected_article=case.get("expected_article"), articles=articles, ms=elapsed,
        answered_article=answered, expected_fact=case.get("expected_fact"), reply=reply, kind=case.get("kind"),
        urgency=message.ticket.urgency if escalated else None,
        why=next((line.split(":", 1)[1].strip() for line in (message.ticket.escalation_summary or "").splitlines()
                  if line.startswith("Why a person is needed:")), "") if escalated else "")


def evaluate(cases: list[dict[str, Any]], *, progress: Any = None) -> Report:
    report = Report()
    run_id = uuid.uuid4().hex[:8]
    identities = Identities(run_id)
    # Sandbox senders only: an evaluation never messages real customers.
    with override_settings(TWILIO_ACCOUNT_SID="", GMAIL_CREDENTIALS_FILE="", GMAIL_API_ENDPOINT=""):
        try:
            with transaction.atomic():
                for case in cases:
                    try:
                        with transaction.atomic():
                            report.results.append(_run_case(case, run_id, identities))
                    except Exception as exc:  # one broken case must not stop the evaluation
                        report.results.append(CaseResult(
                            id=str(case.get("id", "")), expected_action=case["expected_action"], action="error",
                            expected_reason=case.get("escalation_reason"), reason=None,
                            expected_article=case.get("expected_article"), articles=[], ms=0.0,
                            error=f"{type(exc).__name__}: {exc}"))
                    if progress is not None:
                        progress.update(1)
                raise _Rollback
        except _Rollback:
            pass
    return report
