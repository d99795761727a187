"""What one agent run knows and records: the run context handed to every tool."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AgentRunContext:
    message_id: int
    customer_id: int
    conversation_id: int
    channel: str
    customer_name: str = ""
    subject: str = ""
    # What the agent reads of the message (``reading.text_for_agent``), read once per run.
    text: str = ""
    # The customer's IANA zone (this message's, else the one stored on the customer); empty: UTC.
    time_zone: str = ""
    ticket_id: int | None = None
    ticket_reference: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    searches: list[dict[str, Any]] = field(default_factory=list)  # {"query", "hits": [...]}
    articles_read: list[dict[str, Any]] = field(default_factory=list)  # read_article's passages, for grounding
    history_read: bool = False
    escalation: dict[str, Any] | None = None
    reply_ids: list[int] = field(default_factory=list)

    def record(self, tool: str, arguments: dict[str, Any], result: dict[str, Any], started: float) -> None:
        """Append one tool call to the audit trail stored on the message (``tool_calls``)."""
        self.tool_calls.append({
            "tool": tool,
            "arguments": arguments,
            "ok": "error" not in result,
            "result": _summarise(result),
            "ms": round((time.monotonic() - started) * 1000, 1),
        })

    @property
    def sources(self) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for search in self.searches:
            for hit in search["hits"]:
                if hit["slug"] not in seen or hit["score"] > seen[hit["slug"]]["score"]:
                    seen[hit["slug"]] = {"slug": hit["slug"], "title": hit["title"], "score": hit["score"]}
        return sorted(seen.values(), key=lambda s: -s["score"])


def _summarise(result: dict[str, Any]) -> dict[str, Any]:
    # Keep the audit trail small: search results by slug and score, not their text.
    if "results" in result:
        return {"count": len(result["results"]),
                "results": [{"slug": r.get("slug"), "score": r.get("score")} for r in result["results"]]}
    if "history" in result:
        return {"count": len(result["history"])}
    return {k: v for k, v in result.items() if k != "message"}
