"""How the offline model writes: answers composed from Help Centre passages, and the
notice a customer gets when a person takes over. Deterministic and grounded: every
sentence of an answer comes from a retrieved passage.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
from typing import Any

from crm.models import EscalationReason

# Words budgets for the answer body, below the channel limits so the channel's
# greeting and signature fit.
BODY_WORDS = {"email": 190, "web_form": 140}
WHATSAPP_CHARS = 300

_STEP = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(re.sub(r"\s+", " ", text)) if s.strip()]


def _take_words(lines: list[str], budget: int) -> list[str]:
    kept, used = [], 0
    for line in lines:
        n = len(line.split())
        if used + n > budget:
            break
        kept.append(line)
        used += n
    return kept


def _passage_lines(text: str) -> list[str]:
    """A passage as lines: its steps and bullets kept whole, prose split into sentences."""
    lines: list[str] = []
    for block in text.split("\n"):
        block = block.strip()
        if not block:
            continue
        if _STEP.match(block) or len(block) < 140:
            lines.append(block)
        else:
            lines.extend(_sentences(block))
    return lines


def _relevant_order(lines: list[str], question: str) -> list[str]:
    """Keep the passage's order, but lead with the first line that shares words with the question."""
    q = {w for w in re.findall(r"[a-z0-9]{4,}", question.lower())}
    for i, line in enumerate(lines[:6]):
        if q & set(re.findall(r"[a-z0-9]{4,}", line.lower())):
            return lines[i:] + lines[:i] if i and not _STEP.match(line) else lines
    return lines


_HOW = re.compile(r"\b(?:how|where|what steps|can i|could i|set up|setup|turn on|enable|change|reset|add|remove)\b",
                  re.IGNORECASE)
_WORDS = re.compile(r"[a-z0-9]{4,}")


def _passage_rank(hit: dict[str, Any], question: str) -> tuple[int, float]:
    """Passages that share the question's words come first; for a "how" question, ones with steps."""
    asked = set(_WORDS.findall(question.lower()))
    text = f"{hit.get('heading', '')} {hit['text']}".lower()
    shared = len(asked & set(_WORDS.findall(text)))
    has_steps = any(_STEP.match(line) and line.strip()[0].isdigit() for line in hit["text"].split("\n"))
    bonus = 3 if has_steps and _HOW.search(question) else 0
    return shared + bonus, hit.get("score", 0.0)


def compose_answer(*, hits: list[dict[str, Any]], question: str, channel: str, sentiment: float = 0.0) -> str:
    """An answer from the best passages of the best article (at most two)."""
    top = hits[0]
    same_article = sorted((h for h in hits if h["slug"] == top["slug"]),
                          key=lambda h: _passage_rank(h, question), reverse=True)[:2]
    lines: list[str] = []
    for hit in same_article:
        lines.extend(_passage_lines(hit["text"]))
    lines = _relevant_order(lines, question)
    opener = "I'm sorry for the trouble. " if sentiment < -0.1 else ""
    title = top["title"]

    if channel == "whatsapp":
        text = opener
        for line in lines:
            candidate = f"{text}{' ' if text else ''}{_STEP.sub('', line) if not _STEP.match(line) else line}".strip()
            if len(candidate) > WHATSAPP_CHARS - 40 and text:
                break
            text = candidate
        if len(text) > WHATSAPP_CHARS:
            text = text[: WHATSAPP_CHARS - 1].rsplit(" ", 1)[0] + "…"
        return f"{text}\nMore in our Help Centre: \"{title}\"."

    body = _take_words(lines, BODY_WORDS.get(channel, 150))
    if not body:
        body = [" ".join(lines[0].split()[: BODY_WORDS.get(channel, 150)])]
    parts = []
    if opener:
        parts.append(opener.strip())
    parts.append("\n".join(body))
    parts.append(f"You'll find the full guide in our Help Centre under \"{title}\".")
    return "\n\n".join(parts)


def when(due_iso: str | None, zone: str | None = None) -> str:
    """"by Monday 5 January, 16:00 CET": in the customer's zone when we know it (the web form
    sends the browser's), else in UTC; the zone is always named, since the customer reads
    it against their own clock."""
    if not due_iso:
        return "within one business day"
    due = datetime.fromisoformat(due_iso)
    if due.tzinfo is None:
        due = due.replace(tzinfo=timezone.utc)
    try:
        due = due.astimezone(ZoneInfo(zone) if zone else timezone.utc)
    except (ZoneInfoNotFoundError, ValueError):
        due = due.astimezone(timezone.utc)
    name = due.tzname() or "UTC"
    if name.startswith(("+", "-")):  # zones without an abbreviation: say "UTC+05"
        name = f"UTC{name}"
    return f"by {due.strftime('%A %-d %B, %H:%M')} {name}"


SECURITY_STEPS = ("While you wait: sign out of all other sessions under Settings → Security → Sessions, "
                  "change your password, turn on two-factor authentication, and revoke any API token "
                  "that may be exposed.")

_ACK = {
    EscalationReason.PRICING_INQUIRY: "Our sales and billing team handles pricing, so I've passed your question to them.",
    EscalationReason.REFUND_REQUEST: "I've passed your request to our billing team, who will review it.",
    EscalationReason.LEGAL_LANGUAGE: "I've passed your message to the right team at Loomline.",
    EscalationReason.SECURITY_INCIDENT: "Thanks for telling us straight away. Our security team is handling this as a priority.",
    EscalationReason.NEGATIVE_SENTIMENT: "I'm sorry this has been so frustrating. I've passed your message to a colleague.",
    EscalationReason.EXPLICIT_HUMAN_REQUEST: "Of course. I've asked a person from our support team to take over.",
    EscalationReason.KNOWLEDGE_NOT_FOUND: "I want to make sure you get the right answer, so I've passed this to a colleague.",
}


def compose_escalation_notice(*, reason: str, due_iso: str | None, channel: str, kind: str = "question",
                              zone: str | None = None) -> str:
    """What the customer is told when a person takes over: who, and by when (in ``zone``,
    the customer's time zone, when known). Never the why."""
    if kind == "empty":
        lead = "It looks like your message came through empty."
        follow = f"A person from our support team will follow up {when(due_iso, zone)}; meanwhile, just reply with what you need help with."
        return f"{lead} {follow}"
    if kind == "injection_only":
        return ("I can help with questions about Loomline. A person from our support team will also look at "
                f"your message and follow up {when(due_iso, zone)}.")
    lead = _ACK.get(reason, _ACK[EscalationReason.KNOWLEDGE_NOT_FOUND])
    follow = f"A person from our support team will follow up here {when(due_iso, zone)}."
    text = f"{lead} {follow}"
    if reason == EscalationReason.SECURITY_INCIDENT:
        text += "\n\n" + SECURITY_STEPS
    return text


GREETING_REPLY = "Hi! I'm Loomline's AI assistant. How can I help you today?"
THANKS_REPLY = "Glad that helped! If anything else comes up, just reply here."
