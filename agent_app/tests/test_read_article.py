"""Reading the chosen article whole: the selector, the read_article tool, the offline model
calling it, and governance's grounding check counting what was read.

Questions written for these tests (not from a training or evaluation set), against the real
Help Centre with the real search. The fact asked for ("at least 5 Mbit/s", under
"Recommended computer" in the supported-browsers article) sits in a passage the search
does not return for them.
"""
from __future__ import annotations

import json
import uuid

import pytest
from agents.tool_context import ToolContext
from asgiref.sync import async_to_sync

from agent_app import pipeline, policy
from agent_app.context import AgentRunContext
from agent_app.judgement import answerability
from agent_app.knowledge.articles import ArticleNotFound, article_passages
from agent_app.knowledge.search import search_knowledge
from agent_app.tools import read_article
from crm import services
from crm.models import Author, KnowledgeChunk, Message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("help_centre")]

QUESTION = "Is a slow 3 Mbit connection at our warehouse good enough to use Loomline in the browser?"
FACT = "at least 5 Mbit/s"
SLUG = "supported-browsers"


def _searched(question: str) -> list[dict]:
    """What the offline model's search returns for ``question``, as the tool shapes it."""
    return [h.as_passage() for h in search_knowledge(policy.question_text(question), k=answerability.TOP_HITS)]


def test_the_fact_is_in_a_passage_the_search_does_not_return() -> None:
    # The premise of the other tests: without reading the article, no passage has it.
    hits = _searched(QUESTION)
    assert SLUG in [h["slug"] for h in hits]
    assert not any(FACT in h["text"] for h in hits)


def test_an_article_is_read_whole_in_its_order_shaped_like_search_hits() -> None:
    passages = article_passages(slug=SLUG)
    stored = list(KnowledgeChunk.objects.filter(article__slug=SLUG).order_by("position").values_list("text", flat=True))
    assert [p.text for p in passages] == stored and len(stored) > 3
    assert {p.slug for p in passages} == {SLUG}
    assert passages[0].title == "Supported browsers and system requirements"
    assert any(p.heading.endswith("Recommended computer") and FACT in p.text for p in passages)
    # Not ranked against any question: nothing pretends to be a search score.
    shown = passages[0].as_passage()
    assert set(shown) == {"slug", "title", "heading", "score", "similarity", "text"}
    assert shown["score"] == 0.0 and shown["similarity"] == 0.0


def test_an_unknown_slug_is_not_found() -> None:
    with pytest.raises(ArticleNotFound, match="no-such-article"):
        article_passages(slug="no-such-article")


def _context() -> AgentRunContext:
    message = services.inbound_message_accept(channel="web_form", provider_id=uuid.uuid4().hex, content=QUESTION,
                                              name="Kit", email="kit@example.com").message
    return AgentRunContext(message_id=message.pk, customer_id=message.conversation.customer_id,
                           conversation_id=message.conversation_id, channel="web_form")


def _call_tool(context: AgentRunContext, arguments: dict) -> dict:
    raw = json.dumps(arguments)
    tool_context = ToolContext(context=context, tool_name="read_article", tool_call_id="call_test",
                               tool_arguments=raw)
    return json.loads(async_to_sync(read_article.on_invoke_tool)(tool_context, raw))


def test_the_tool_returns_the_article_and_records_slugs_only() -> None:
    context = _context()
    result = _call_tool(context, {"slug": SLUG})
    assert result["slug"] == SLUG and result["title"] == "Supported browsers and system requirements"
    assert [p["text"] for p in result["results"]] == [p.text for p in article_passages(slug=SLUG)]
    [call] = context.tool_calls
    assert call["tool"] == "read_article" and call["ok"] and call["arguments"] == {"slug": SLUG}
    assert "text" not in json.dumps(call["result"])  # the audit trail keeps slugs, not the article


def test_the_tool_answers_404_for_an_unknown_slug_and_refuses_a_malformed_one() -> None:
    context = _context()
    result = _call_tool(context, {"slug": "no-such-article"})
    assert result["status"] == 404 and "no-such-article" in result["error"]
    assert context.tool_calls[-1]["ok"] is False
    # Arguments the schema refuses never reach the body: the SDK tells the model what is wrong.
    refused = async_to_sync(read_article.on_invoke_tool)(
        ToolContext(context=context, tool_name="read_article", tool_call_id="call_bad",
                    tool_arguments='{"slug": "../etc"}'), '{"slug": "../etc"}')
    assert "error" in str(refused).lower()
    assert len(context.tool_calls) == 1


def test_the_offline_model_reads_the_chosen_article_and_answers_from_a_passage_the_search_missed() -> None:
    message = services.inbound_message_accept(channel="web_form", provider_id=uuid.uuid4().hex, content=QUESTION,
                                              name="Kit", email="kit@example.com").message
    assert services.message_claim(message_id=message.pk)
    assert pipeline.process_message(message_id=message.pk) == "answered"
    message.refresh_from_db()
    tools = [c["tool"] for c in message.tool_calls if c["tool"] != "governance"]
    assert tools == ["create_ticket", "get_customer_history", "search_knowledge_base", "read_article",
                     "send_response"]
    [read] = [c for c in message.tool_calls if c["tool"] == "read_article"]
    assert read["arguments"] == {"slug": SLUG} and read["ok"]
    [reply] = Message.objects.filter(reply_to=message, author=Author.AGENT)
    assert FACT in reply.content
    # Governance checked it against the article read, and found nothing unsupported.
    [gate] = [c["result"] for c in message.tool_calls
              if c["tool"] == "governance" and "unsupported_sentences" in c["result"]]
    assert gate["unsupported_sentences"] == []


def test_grounding_counts_the_passages_of_an_article_read_but_not_of_one_only_searched() -> None:
    # A sentence from "Recommended computer", which the search did not return.
    context = _context()
    message = Message.objects.get(pk=context.message_id)
    sentence = "Loomline needs a stable connection of at least 5 Mbit/s and 8 GB RAM for projects over 5,000 tasks."
    context.searches = [{"query": QUESTION, "hits": _searched(QUESTION)}]
    context.tool_calls = [{"tool": "send_response", "ok": True, "arguments": {"message": sentence}}]
    assessment = policy.assess(message.content, channel=message.channel)

    assert "not support" in pipeline._ungrounded(context, message, assessment)

    # A failed read (an unknown slug) adds nothing...
    _call_tool(context, {"slug": "no-such-article"})
    assert "not support" in pipeline._ungrounded(context, message, assessment)
    # ...the article read through the tool does.
    _call_tool(context, {"slug": SLUG})
    assert pipeline._ungrounded(context, message, assessment) == ""
