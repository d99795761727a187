"""What the agent reads of a customer's messages, the new one and the earlier ones alike.

A web-form message is read without the email thread the customer pasted into it: otherwise
our old replies read as the customer's words, the search finds them instead of the question,
and the repeat-contact count takes a pasted reply for the same issue raised again. The stored
message keeps everything typed, for staff. An email's history was stripped when Gmail's copy was
parsed (``channels_app.email_parsing``), but an email can reach the agent by other ways (an
evaluation dataset, a message staff enter): it is read the same way, which changes nothing in one
already parsed ("Thanks, that worked!" over a quoted answer about resetting a password was answered
with the reset-password article). WhatsApp has none.
"""
from __future__ import annotations

from typing import Any

from channels_app.email_parsing import strip_pasted_history
from crm.models import Channel, Direction


def text_for_agent(*, channel: str, content: str) -> str:
    if channel in (Channel.WEB_FORM, Channel.EMAIL):
        return strip_pasted_history(content)
    return content


def history_for_agent(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``crm.selectors.customer_history`` items with the customer's own messages read as the
    new one is (see :func:`text_for_agent`)."""
    return [{**h, "content": text_for_agent(channel=h["channel"], content=h["content"])}
            if h.get("direction") == Direction.INBOUND else h for h in history]
