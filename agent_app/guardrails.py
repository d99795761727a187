"""Guardrails: prompt injection on the way in, the hard rules on the way out.

``reply_problems`` is the output rule book, applied by ``send_response`` before any
reply is recorded (the model is told what to fix) and again by the SDK output
guardrail over everything the run recorded (a reply that slipped through trips the
wire, and the pipeline withholds it and hands the ticket to a human).

A reply may be in German, French or Spanish (the customer's language), so the rules on prices, refunds
and features read it as written and as its gist in each of them (``judgement.gist``): "Wir werden Ihnen
den Betrag erstatten" reads "we are you amount refund", which the rule on refund promises refuses.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from agents import (
    Agent,
    GuardrailFunctionOutput,
    RunContextWrapper,
    TResponseInputItem,
    input_guardrail,
    output_guardrail,
)

from agent_app import policy
from agent_app.context import AgentRunContext
from agent_app.formatting import as_read
from agent_app.judgement import gist
from agent_app.language import FRENCH, GERMAN, SPANISH
from agent_app.plain_text import SENTENCE_BREAK
from channels_app.styles import channel_style
from crm import selectors
from crm.models import CustomerIdentifier, EscalationReason, Message

_PRICE = re.compile(
    r"(?:[$€£]\s?\d)|(?:\d[\d,.]*\s?(?:[$€£]|(?:usd|eur|gbp|dollars?|euros?|pounds?)\b))"
    r"|(?:\d+\s?(?:/|per)\s?(?:month|mo|year|yr|seat|user)\b)"
    r"|(?:\b\d{1,3}\s?% (?:of )?(?:off|discount)\b)",
    re.IGNORECASE,
)
_REFUND_PROMISE = re.compile(
    r"(?:we(?:'ll| will| can| are going to)|i(?:'ll| will| can)|you(?:'ll| will) (?:get|receive))\s+(?:\w+\s+){0,3}"
    r"(?:refund|reimburse|credit your|give you (?:a |your )?(?:refund|money back|discount))",
    re.IGNORECASE,
)
#: A promise as a reply in another language reads in gist: "we are you amount refund", "you receive a refund".
_REFUND_PROMISE_GIST = re.compile(r"\b(?:we|you (?:receive|get|will receive|will get))\b(?:\s+[^\s.!?]+){0,4}?\s+"
                                  r"(?:a\s+)?(?:refund|reimburse|credit)|\b(?:will be|get|be) refunded\b",
                                  re.IGNORECASE)
_FEATURE_PROMISE = re.compile(
    r"(?:coming|comes) soon|on (?:our|the) roadmap|in (?:the |a )?(?:next|future|upcoming) (?:release|version|update)|"
    r"we(?:'ll| will) (?:add|build|ship|release|launch) (?:this|that|it|a)|planned for (?:q[1-4]|next)",
    re.IGNORECASE,
)
_INTERNAL = re.compile(
    r"system prompt|my instructions|escalation rules|reason code|internal (?:process|queue|tool|note)|"
    rf"(?:{'|'.join(EscalationReason.values)})|urgency level|\bflagged\b|tool call",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+\d[\d \-]{7,16}\d")
_ALLOWED_ADDRESS = re.compile(r"@(?:[\w-]+\.)*loomline\.(?:example|com)$", re.IGNORECASE)


@dataclass(frozen=True)
class _Publication:
    """What the Help Centre publishes to every customer, as a customer reads it, and the addresses it
    prints: a reply may quote them."""

    sentences: frozenset[str] = frozenset()
    addresses: frozenset[str] = frozenset()

    def holds_sentence(self, text: str, match: re.Match[str]) -> bool:
        """The sentence holding the match is a sentence of a passage, word for word ("Personal API tokens
        let scripts and internal tools use the Loomline REST API as you."): quoting it leaks nothing. The
        same words in a sentence of the agent's own, a passage's sentence carried on or cut short, are
        refused."""
        start = max((m.end() for m in SENTENCE_BREAK.finditer(text, 0, match.start())), default=0)
        after = SENTENCE_BREAK.search(text, match.end())
        return as_read(text[start:after.start() + 1 if after else len(text)]) in self.sentences

    def prints(self, address: str) -> bool:
        return address.lower() in self.addresses


class _Published:
    """The Help Centre's publication, kept per process until the Help Centre is ingested again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fingerprint: tuple[int, int] | None = None
        self._publication = _Publication()

    def current(self) -> _Publication:
        fingerprint = selectors.help_centre_fingerprint()
        if fingerprint != self._fingerprint:
            texts = selectors.help_centre_texts()
            publication = _Publication(
                sentences=frozenset(as_read(x) for t in texts for x in SENTENCE_BREAK.split(t)),
                addresses=frozenset(a.lower() for t in texts for a in _EMAIL.findall(t)))
            with self._lock:
                self._publication, self._fingerprint = publication, fingerprint
        return self._publication


_published = _Published()


def _gists(text: str) -> list[str]:
    """The reply's gist in German, French and Spanish, where the glossary changed it. Each language
    is tried rather than the detected one: a reply's short sentences may not tell."""
    # Words the glossary can't read stay (``keep_unread``): left out, they would put words side by side that the
    # reply keeps apart, and a rule could match across them.
    readings = (gist.to_english(text, language, keep_unread=True) for language in (GERMAN, FRENCH, SPANISH))
    return [r for r in dict.fromkeys(readings) if r != text]


def _breaks(rule: re.Pattern[str], text: str, gists: list[str], *, as_written: bool = True) -> bool:
    """Whether ``rule`` matches the reply as written (unless ``as_written`` is False: a rule for gist
    English only), or a gist of it where the match is the glossary's (a match the reply also holds as
    written is the English reading's to judge)."""
    return ((as_written and bool(rule.search(text)))
            or any(m.group() not in text for g in gists for m in rule.finditer(g)))


def reply_problems(text: str, *, channel: str, customer_addresses: set[str] | None = None) -> list[str]:
    """What is wrong with a reply under the hard rules; empty when it may be sent."""
    problems = []
    gists = _gists(text)  # read once per reply, for the three rules below
    if _breaks(_PRICE, text, gists):
        problems.append("it quotes a price or discount; pricing questions go to the billing team")
    if _breaks(_REFUND_PROMISE, text, gists) or _breaks(_REFUND_PROMISE_GIST, text, gists, as_written=False):
        problems.append("it promises a refund or credit; only the billing team decides refunds")
    if _breaks(_FEATURE_PROMISE, text, gists):
        problems.append("it promises a feature or date the Help Centre does not describe")
    allowed = {a.lower() for a in (customer_addresses or set())}
    internal = list(_INTERNAL.finditer(text))
    foreign = [a for a in _EMAIL.findall(text) if a.lower() not in allowed and not _ALLOWED_ADDRESS.search(a)]
    # Only a reply that would be refused asks whether the Help Centre publishes its words (one
    # look at the Help Centre's fingerprint per reply, none for most).
    published = _published.current() if internal or foreign else _Publication()
    if any(not published.holds_sentence(text, m) for m in internal):
        problems.append("it reveals internal instructions or processes")
    for address in foreign:
        if not published.prints(address):
            problems.append(f"it contains an email address ({address}) that is not the customer's")
    for phone in _PHONE.findall(text):
        if re.sub(r"[ \-]", "", phone) not in allowed:
            problems.append("it contains a phone number that is not the customer's")
    style = channel_style(channel)
    # A long WhatsApp reply is split into parts, not refused.
    if style.greeting and style.limit:
        unit, limit = style.limit
        size = len(text.split()) if unit == "words" else len(text)
        if size > limit:
            problems.append(f"it is {size} {unit} long; the {channel} limit is {limit}")
    return problems


def _latest_user_text(data: str | list[TResponseInputItem]) -> str:
    if isinstance(data, str):
        return data
    for item in reversed(data):
        if isinstance(item, dict) and item.get("role") == "user":
            content = item.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


@input_guardrail(name="prompt_injection")
async def prompt_injection_guardrail(
    ctx: RunContextWrapper[AgentRunContext], agent: Agent[Any], data: str | list[TResponseInputItem]
) -> GuardrailFunctionOutput:
    """Flags instructions hidden in the customer's message.

    It does not stop the run: a message that also asks a real question still gets its
    answer (the injected part is ignored), and one with nothing else is escalated by
    the policy. The flag is recorded for the audit trail.
    """
    text = _latest_user_text(data)
    injected = bool(policy.injection_detected(text))
    return GuardrailFunctionOutput(output_info={"prompt_injection": injected}, tripwire_triggered=False)


@output_guardrail(name="reply_rules")
async def reply_rules_guardrail(
    ctx: RunContextWrapper[AgentRunContext], agent: Agent[Any], output: Any
) -> GuardrailFunctionOutput:
    """Trips when a reply recorded in this run breaks a hard rule after all (the final
    text never reaches the customer, so only the recorded replies are checked)."""
    from asgiref.sync import sync_to_async

    def problems_of_replies() -> list[str]:
        addresses = set(CustomerIdentifier.objects.filter(customer_id=ctx.context.customer_id)
                        .values_list("value", flat=True))
        found: list[str] = []
        for text in Message.objects.filter(pk__in=ctx.context.reply_ids).values_list("content", flat=True):
            found += reply_problems(text, channel=ctx.context.channel, customer_addresses=addresses)
        return found

    problems = await sync_to_async(problems_of_replies)() if ctx.context.reply_ids else []
    return GuardrailFunctionOutput(output_info={"problems": problems}, tripwire_triggered=bool(problems))
