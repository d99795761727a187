"""The escalation packet in plain words: what staff read on the ticket page instead of
the agent's raw codes (``refund_request``, ``search_knowledge_base``, scores)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm.models import REASON_TEAM, Ticket

# What each step of the agent means to a person reading the ticket.
STEP_WORDS = {
    "create_ticket": "opened this ticket",
    "get_customer_history": "read the customer's history",
    "search_knowledge_base": "searched the help centre",
    "send_response": "replied to the customer",
    "escalate_to_human": "handed the conversation to a person",
    "governance": "applied the hand-over rules",
}
#: An article counts as relevant when its score is at least this share of the best one's.
RELEVANT_SHARE = 0.85
MAX_ARTICLES = 3


@dataclass
class PacketInWords:
    headline: str  # "Refund request — Billing Operations"
    summary: str
    steps: list[str] = field(default_factory=list)  # "Searched the help centre for “refund twice” (found 1 article)"
    articles: list[dict[str, Any]] = field(default_factory=list)  # {"slug", "title"}; best first
    failures: list[str] = field(default_factory=list)
    message_id: int | None = None


def relevant_articles(sources: list[Any]) -> list[dict[str, Any]]:
    """The articles worth a look: close to the best match, at most three, no scores."""
    usable = [s for s in sources if isinstance(s, dict) and s.get("slug")]
    if not usable:
        return []
    best = max(float(s.get("score") or 0) for s in usable)
    kept = [s for s in sorted(usable, key=lambda s: -float(s.get("score") or 0))
            if float(s.get("score") or 0) >= best * RELEVANT_SHARE]
    return [{"slug": s["slug"], "title": s.get("title") or s["slug"]} for s in kept[:MAX_ARTICLES]]


def packet_in_words(ticket: Ticket) -> PacketInWords:
    packet = ticket.escalation_packet if isinstance(ticket.escalation_packet, dict) else {}
    reason = ticket.get_escalation_reason_display() or "Not escalated"
    team = REASON_TEAM.get(ticket.escalation_reason, "")
    titles = {s.get("slug"): s.get("title") for s in packet.get("sources") or [] if isinstance(s, dict)}

    steps: list[str] = []
    searches = [s for s in packet.get("searches") or [] if isinstance(s, dict)]
    tried = [t for t in packet.get("tried") or [] if isinstance(t, str)]
    for tool in dict.fromkeys(tried):  # in order, once each
        if tool == "search_knowledge_base" and searches:
            for search in searches:
                hits = [titles.get(slug) or slug for slug in search.get("hits") or []]
                found = f"found “{hits[0]}”" + (f" and {len(hits) - 1} more" if len(hits) > 1 else "") \
                    if hits else "found nothing relevant"
                steps.append(f"Searched the help centre for “{search.get('query', '')}”: {found}")
        elif tool in STEP_WORDS:
            steps.append(STEP_WORDS[tool][0].upper() + STEP_WORDS[tool][1:])
    if packet.get("enforced_by") == "policy":
        steps.append("The hand-over rules required a person")
    elif packet.get("enforced_by") == "channel_config":
        steps.append("AI replies are switched off for this channel")

    failures = [f"A reply by {str(f.get('channel', '')).replace('_', ' ')} could not be delivered: "
                f"{f.get('error') or f.get('error_code') or 'unknown error'}"
                for f in packet.get("delivery_failures") or [] if isinstance(f, dict)]
    message_id = packet.get("message_id") if isinstance(packet.get("message_id"), int) else None
    return PacketInWords(headline=f"{reason} — {team}" if team else reason,
                         summary=ticket.escalation_summary or "", steps=steps,
                         articles=relevant_articles(packet.get("sources") or []),
                         failures=failures, message_id=message_id)
