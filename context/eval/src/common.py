"""Small constructors shared by the case lists. A case is a plain dict; build.py adds
id, channel name, customer name and address, and fills the placeholders."""

CHANNELS = {"e": "email", "w": "whatsapp", "f": "web_form"}

REASONS = {
    "security_incident", "legal_language", "refund_request", "pricing_inquiry",
    "negative_sentiment", "explicit_human_request", "knowledge_not_found",
}


def A(ch, article, fact, subject, content, kind="answerable"):
    """Resolve with an article; `fact` is copied verbatim from that article."""
    return {"ch": ch, "subject": subject, "content": content, "expected_action": "resolve",
            "expected_article": article, "expected_fact": fact, "kind": kind}


def X(ch, reason, subject, content, kind=None):
    """Escalate with one canonical reason code. kind defaults to the reason."""
    assert reason in REASONS, reason
    return {"ch": ch, "subject": subject, "content": content, "expected_action": "escalate",
            "escalation_reason": reason, "kind": kind or reason}


def R(ch, subject, content, kind):
    """Resolve without an article (thanks, greetings)."""
    return {"ch": ch, "subject": subject, "content": content, "expected_action": "resolve", "kind": kind}
