"""An AI-drafted reply staff edit and send: grounded in the help-centre search, composed
by the agent's own writer, never sent by itself."""
from __future__ import annotations

from dataclasses import dataclass, field

from agent_app.compose import answer_order, compose_answer
from agent_app.knowledge.articles import ArticleNotFound, article_as_read
from agent_app.knowledge.search import InvalidQuery, search_knowledge
from crm.models import Direction, Message, Ticket

DRAFT_HITS = 5


@dataclass
class Draft:
    text: str  # empty when the help centre has nothing on it
    articles: list[str] = field(default_factory=list)  # titles it is grounded in
    note: str = ""


def _question(ticket: Ticket) -> str:
    """What the customer asked: their latest message on this ticket (or its conversation)."""
    inbound = Message.objects.filter(direction=Direction.INBOUND)
    last = (inbound.filter(ticket=ticket).order_by("-created_at", "-id").first()
            or inbound.filter(conversation_id=ticket.conversation_id).order_by("-created_at", "-id").first())
    if last is None:
        return ticket.subject
    return f"{last.subject}\n{last.content}".strip() if last.subject else last.content


def draft_reply(*, ticket: Ticket, channel: str) -> Draft:
    """A draft answer to the customer's latest message, from the help centre's best passages.

    The greeting and signature are not part of it: they are added when staff send it.
    """
    question = " ".join(_question(ticket).split())[:2000]
    if not question:
        return Draft(text="", note="The customer's message is empty: nothing to draft from.")
    try:
        hits = [h.as_dict() for h in search_knowledge(question, k=DRAFT_HITS)]
    except InvalidQuery as exc:
        return Draft(text="", note=str(exc))
    if not hits:
        return Draft(text="", note="Nothing in the help centre matches this question: write the reply yourself.")
    # Like the agent, it reads the best article whole: the fact asked for is often in a
    # section the search did not return.
    try:
        article = article_as_read(slug=hits[0]["slug"])["results"]
    except ArticleNotFound:  # deleted since the search found it
        article = None
    text = compose_answer(hits=answer_order(hits, hits[0], article), question=question, channel=channel)
    titles = list(dict.fromkeys(h["title"] for h in hits))[:3]
    return Draft(text=text, articles=titles)
