"""Each channel's shape and limits: one table of defaults, with the admin's ChannelConfig on top.

Everything that sizes or splits a reply reads it here: ``format_for_channel`` (the
agent's and staff's replies), the reply guardrail, and the WhatsApp sender.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from crm import selectors
from crm.models import Channel

# Twilio refuses a WhatsApp body over 1,600 characters; longer replies go out as parts.
WHATSAPP_MAX_PART_CHARS = 1600
# Between the parts of a formatted WhatsApp reply; the sender sends each part on its own.
PART_SEPARATOR = "\n\f\n"


@dataclass(frozen=True)
class ChannelStyle:
    enabled: bool  # False: the AI does not answer on this channel (messages are stored and go to people)
    max_words: int | None
    max_chars: int | None
    greeting: bool
    signature: bool

    @property
    def limit(self) -> tuple[str, int] | None:
        """The hard size limit as (unit, number), words before characters."""
        if self.max_words:
            return "words", self.max_words
        if self.max_chars:
            return "chars", self.max_chars
        return None


DEFAULT_STYLES: dict[str, ChannelStyle] = {
    Channel.EMAIL: ChannelStyle(enabled=True, max_words=500, max_chars=None, greeting=True, signature=True),
    Channel.WHATSAPP: ChannelStyle(enabled=True, max_words=None, max_chars=WHATSAPP_MAX_PART_CHARS,
                                   greeting=False, signature=False),
    Channel.WEB_FORM: ChannelStyle(enabled=True, max_words=300, max_chars=None, greeting=True, signature=True),
}


def channel_style(channel: str) -> ChannelStyle:
    """The channel's style as configured now: a manager's change in admin applies to the next reply."""
    if channel not in DEFAULT_STYLES:
        raise ValueError(f"Unknown channel {channel!r}")
    style = DEFAULT_STYLES[channel]
    config = selectors.channel_config(channel=channel)
    if config is None:
        return style
    style = replace(style, enabled=config.enabled)
    if config.max_words:
        style = replace(style, max_words=config.max_words)
    if config.max_chars:
        # A WhatsApp part can never be longer than Twilio takes, whatever is configured.
        cap = WHATSAPP_MAX_PART_CHARS if channel == Channel.WHATSAPP else None
        style = replace(style, max_chars=min(config.max_chars, cap) if cap else config.max_chars)
    return style


def numbered_parts(text: str, limit: int) -> list[str]:
    """Split into parts of at most ``limit`` characters, numbered "(1/3)", on paragraph,
    then sentence, then word boundaries."""
    if len(text) <= limit:
        return [text]
    room = limit - 8  # "(12/12) "
    pieces: list[str] = []
    for unit in re.split(r"(?<=\n)\n|(?<=[.!?])\s+", text):
        unit = unit.strip()
        if not unit:
            continue
        pieces += _hard_split(unit, room)
    parts: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current} {piece}".strip() if current else piece
        if len(candidate) <= room:
            current = candidate
        else:
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    total = len(parts)
    return [f"({i}/{total}) {part}" for i, part in enumerate(parts, 1)]


def sendable_parts(content: str) -> list[str]:
    """The ordered parts of a formatted WhatsApp reply, never above Twilio's limit even if a
    part arrives too long (a reply written before a limit changed, say)."""
    parts: list[str] = []
    for part in content.split(PART_SEPARATOR):
        parts += _hard_split(part.strip(), WHATSAPP_MAX_PART_CHARS)
    return [p for p in parts if p]


def _hard_split(text: str, room: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``room`` characters, at a space where one is near."""
    pieces = []
    while len(text) > room:
        cut = text.rfind(" ", 0, room)
        cut = cut if cut > room // 2 else room
        pieces.append(text[:cut].strip())
        text = text[cut:].strip()
    pieces.append(text)
    return pieces
