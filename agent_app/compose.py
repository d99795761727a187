"""How the offline model writes: answers composed from Help Centre passages, and the
notice a customer gets when a person takes over. Deterministic and grounded: every
sentence of an answer comes from a retrieved passage.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
from typing import Any

from django.conf import settings

from crm.models import EscalationReason

# Words budgets for the answer body, below the channel limits so the channel's
# greeting and signature fit.
BODY_WORDS = {"email": 190, "web_form": 140}
WHATSAPP_CHARS = 300  # the answer itself; the Help Centre link comes on its own line after it

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


# A how-to question wants steps; "how long", "how many", "how much" want a fact.
_HOW = re.compile(r"\bhow (?!long|many|much|often|big|large|old|soon|far)\w+|\b(?:where|what steps|set up|setup|turn on|"
                  r"enable|connect|install|invite)\b", re.IGNORECASE)
# A question after a fact (a duration, a count, a size, a limit) wants the sentence that states it.
_FACT = re.compile(r"\bhow (?:long|many|much|often|big|large|soon)\b|\b(?:limit|maximum|max|minimum|min|up to|"
                   r"size|expire|expiry|valid|retention|retain|kept|days|hours|minutes)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d")
_VERB_TITLES = {"turn", "add", "set", "change", "invite", "request", "reset", "export", "import", "connect", "create",
                "delete", "remove", "download", "update", "enforce", "cancel", "transfer", "mute", "install", "clear",
                "restore", "verify", "check", "deactivate", "reactivate", "let", "use", "manage", "speed", "sync",
                "automate", "link", "restrict", "report", "resolve", "upgrade", "regenerate", "invite", "prevent"}


def article_url(slug: str) -> str:
    """The Help Centre page of an article, from its slug (HELP_CENTRE_URL)."""
    return f"{settings.HELP_CENTRE_URL.rstrip('/')}/articles/{slug}"


def _units(hit: dict[str, Any]) -> list[tuple[str, str]]:
    """A passage as (kind, text) units: a run of numbered steps is one unit, prose is split into sentences."""
    units: list[tuple[str, str]] = []
    steps: list[str] = []
    for block in hit["text"].split("\n"):
        block = block.strip()
        if not block:
            continue
        if re.match(r"^\d+[.)]\s", block):
            steps.append(block)
            continue
        if steps:
            units.append(("steps", "\n".join(steps)))
            steps = []
        if _STEP.match(block):
            units.append(("bullet", block))
        else:
            units.extend(("sentence", s) for s in _sentences(block))
    if steps:
        units.append(("steps", "\n".join(steps)))
    return units


def _lead(question: str, hit: dict[str, Any], kind: str) -> str:
    """One sentence that speaks to the customer's point, built only from the article's own words."""
    if kind != "steps":
        return ""
    for name in ((hit.get("heading") or "").split("\u203a")[-1].strip(), hit.get("title") or ""):
        words = name.split()
        if words and words[0].lower() in _VERB_TITLES:
            return f"Here's how to {name[0].lower()}{name[1:].rstrip('.')}:"
    return f"Here are the steps from \u201c{hit['title']}\u201d:"


def select_answer(*, hits: list[dict[str, Any]], question: str) -> tuple[str, list[str]]:
    """The lead sentence and the units of the best article that answer the question, best first.

    Sentence selection: every sentence, bullet and run of steps of the article's
    retrieved passages is scored by the IDF-weighted share of the question's key terms
    it contains (plus its passage heading's, at half weight); a "how" question prefers a
    run of steps. Only units that share key terms with the question are kept.
    """
    from agent_app.judgement import answerability

    model = answerability.load()
    terms = answerability.key_terms(question)
    top = hits[0]
    passages = [h for h in hits if h["slug"] == top["slug"]][:3]
    how = bool(_HOW.search(question))
    fact = bool(_FACT.search(question)) and not how
    scored: list[tuple[float, int, str, str, dict[str, Any], float]] = []
    order = 0
    for hit in passages:
        heading_cov = answerability.coverage(terms, hit.get("heading", ""), model.idf, model.idf_unknown)
        for kind, text in _units(hit):
            cov = answerability.coverage(terms, text, model.idf, model.idf_unknown)
            score = (cov + 0.5 * heading_cov + (0.35 if how and kind == "steps" else 0.0) + (0.05 if hit is top else 0.0)
                     + (0.35 if fact and kind != "steps" and _NUMBER.search(text) else 0.0))
            scored.append((score, order, kind, text, hit, cov))
            order += 1
    if not scored:
        return "", []
    best = max(scored, key=lambda s: (s[0], -s[1]))
    chosen = [best]
    floor = max(0.15, best[0] * 0.5)
    # Supporting units: the next best that still speak to the question, in the article's order.
    # Supporting units: the next best of the article's passages that still speak to the question
    # (a fact question gets no steps), shown in the article's order.
    for s in sorted(scored, key=lambda s: (-s[0], s[1]))[1:]:
        if len(chosen) >= 4:
            break
        if fact and s[2] == "steps":
            continue
        # Same section: close enough to the best; another section: it must share as much of the
        # question on its own words as the best unit does.
        if (s[4] is best[4] and s[0] >= floor) or (s[4] is not best[4] and s[5] >= max(0.3, best[5])):
            chosen.append(s)
    lead = _lead(question, best[4], best[2])
    rest = sorted(chosen[1:], key=lambda s: s[1])
    return lead, [best[3]] + [s[3] for s in rest]


def compose_answer(*, hits: list[dict[str, Any]], question: str, channel: str, sentiment: float = 0.0) -> str:
    """An answer a person would write: a sentence on the customer's point, the sentences or steps
    of the best article that answer it, and the article's title with its Help Centre link."""
    top = hits[0]
    lead, units = select_answer(hits=hits, question=question)
    opener = "I'm sorry for the trouble. " if sentiment < -0.1 else ""
    link = f"More in our Help Centre: \u201c{top['title']}\u201d, {article_url(top['slug'])}"

    if channel == "whatsapp":
        link = f"More: {article_url(top['slug'])}"
        budget = WHATSAPP_CHARS
        text = (opener + lead).strip()
        for unit in units:
            for line in unit.split("\n"):
                candidate = f"{text}{chr(10) if text else ''}{line}".strip()
                if len(candidate) > budget and text:
                    break
                text = candidate
            else:
                continue
            break
        if len(text) > budget:
            text = text[: budget - 1].rsplit(" ", 1)[0] + "\u2026"
        return f"{text}\n{link}"

    budget = BODY_WORDS.get(channel, 150)
    parts = [p for p in ((opener + lead).strip(),) if p]
    parts += _take_words(units, budget - sum(len(p.split()) for p in parts))
    if len(parts) == (1 if (opener + lead).strip() else 0) and units:
        parts.append(" ".join(units[0].split()[:budget]))
    parts.append(link + ".")
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
    EscalationReason.KNOWLEDGE_NOT_FOUND: ("I couldn't find a reliable answer to this in our Help Centre, so I've passed "
                                           "your question to a colleague who can answer it."),
}
_ACK_KIND = {
    "still_failing": "I'm sorry the steps didn't solve it. I've passed your message, with what you've already tried, "
                     "to a colleague.",
    "not_helpful": "Sorry that didn't answer your question. I've passed it to a colleague, with what we've tried so far.",
    "needs_staff": "This needs someone from our team to look into it, so I've passed it to a colleague.",
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
    if reason == EscalationReason.KNOWLEDGE_NOT_FOUND and kind in _ACK_KIND:
        lead = _ACK_KIND[kind]
    follow = f"A person from our support team will follow up here {when(due_iso, zone)}."
    text = f"{lead} {follow}"
    if reason == EscalationReason.SECURITY_INCIDENT:
        text += "\n\n" + SECURITY_STEPS
    return text


GREETING_REPLY = "Hi! I'm Loomline's AI assistant. How can I help you today?"
THANKS_REPLY = "Glad that sorted it. If anything else comes up, just reply here."
