"""``format_for_channel``: the only place a reply takes its channel's shape.

Every message a customer receives, from the AI or from staff, passes through here.
The limits come from ``channels_app.styles`` (defaults, overridden in admin): email
gets a greeting and a signature and stays under 500 words; WhatsApp gets plain text,
split into numbered parts above 1,600 characters (Twilio's limit per message); the web
form gets a readable reply under 300 words. Markdown never reaches a
customer raw: links become "text (url)", emphasis and headings are dropped.
"""
from __future__ import annotations

import re

from agent_app import wording
from agent_app.language import ENGLISH
from agent_app.plain_text import GREETING_WORDS, plain_quotes
from channels_app.styles import (
    PART_SEPARATOR,
    WHATSAPP_MAX_PART_CHARS,
    channel_style,
    numbered_parts,
)
from crm.models import Channel

SIGNATURE_NAME = "Loomline Support"


_LINK = re.compile(r"!?\[([^\]]+)\]\((\S+?)\)")
_EMPHASIS = re.compile(r"(\*\*|\*|~~)(?=\S)(.+?)(?<=\S)\1")
# Underscores emphasise only at word edges (CommonMark): given_name and whsec_ are names, not markup.
_UNDERSCORE_EMPHASIS = re.compile(r"(?<![\w\\])(__|_)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*", re.MULTILINE)
_CODE_FENCE = re.compile(r"^```[^\n]*\n?", re.MULTILINE)
_INLINE_CODE = re.compile(r"`([^`]+)`")
_BULLET = re.compile(r"^\s*[*+]\s+", re.MULTILINE)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
# The channel's greeting and sign-off replace the model's own, in any of the languages we write: the
# greeting words are those a customer's greeting line starts with; the sign-offs are fewer, since
# everything after one is cut (a customer's "--" or "BR" line is a sign-off, a model's may be a rule).
_GREETING = re.compile(rf"^(?:{GREETING_WORDS})\b[^\n]*\n+", re.IGNORECASE)
# A greeting said as a sentence of its own before the reply ("Hi! I'm Loomline's AI assistant", "¡Hola! Soy"):
# under the channel's "Hi Ana," it would greet twice.
# Only a greeting and a name: "Hi, yes!" and "Hola, sí." answer, and "Hi Mr. Smith!" is not over at "Mr.".
_GREETING_SENTENCE = re.compile(rf"^¡?(?i:{GREETING_WORDS})(?:[ ,]+(?:(?i:there|again|all)|(?!(?:Mr|Mrs|Ms|Dr|Prof)\b)"
                                r"[A-ZÀ-Þ][\w'-]*)){0,2} ?[!.]\s+(?=\S)")
_SIGNOFF = re.compile(r"\n+(best( regards)?|kind regards|regards|cheers|thanks|thank you|viele gr(ü|ue)(ß|ss)e|"
                      r"mit freundlichen gr(ü|ue)(ß|ss)en|cordialement|bien (à|a) vous|un saludo|saludos|atentamente)"
                      r"[,!.]?\s*\n.*$", re.IGNORECASE | re.DOTALL)


def strip_markdown(text: str) -> str:
    """Markdown and stray HTML to plain text a phone or mail client shows as meant."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CODE_FENCE.sub("", text)
    text = _LINK.sub(lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})", text)
    text = _HEADING.sub("", text)
    # Code spans are literal: emphasis is read only between them.
    parts = _INLINE_CODE.split(text)  # odd items are the spans' contents
    text = "".join(part if i % 2 else _UNDERSCORE_EMPHASIS.sub(r"\2", _EMPHASIS.sub(r"\2", part))
                   for i, part in enumerate(parts))
    text = _BULLET.sub("- ", text)
    text = _HTML_TAG.sub("", text)
    text = re.sub(r"(?<!\w)[*_~]{2,}(?!\w)", "", text)  # emphasis markers left with nothing inside
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def as_read(text: str) -> str:
    """The words of ``text`` as a customer reads them, for finding one text in another: markdown
    gone (a fact written "`whsec_`" is in a reply that shows whsec_), case, curly quotes and
    spacing folded."""
    return " ".join(plain_quotes(strip_markdown(text)).lower().split())


def _first_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name or "@" in name:
        return ""
    return name.split()[0][:40]


def _truncate_words(text: str, limit: int) -> str:
    """Cut at a sentence boundary at or before ``limit`` words, never mid-word."""
    words = text.split()
    if len(words) <= limit:
        return text
    budget = limit - 12  # room for the pointer sentence
    kept: list[str] = []
    count = 0
    for paragraph in text.split("\n"):
        n = len(paragraph.split())
        if count + n <= budget:
            kept.append(paragraph)
            count += n
            continue
        sentences = re.split(r"(?<=[.!?])\s+", paragraph)
        partial = []
        for sentence in sentences:
            m = len(sentence.split())
            if count + m > budget:
                break
            partial.append(sentence)
            count += m
        if partial:
            kept.append(" ".join(partial))
        elif not kept:
            kept.append(" ".join(paragraph.split()[:budget]) + " …")
        break
    return "\n".join(kept).rstrip() + "\n\nReply if you would like the rest of the details."


def format_for_channel(
    text: str, *, channel: str, customer_name: str | None = None, ticket_reference: str | None = None,
    signer: str = SIGNATURE_NAME, language: str = ENGLISH,
) -> str:
    """Shape ``text`` for ``channel``, its greeting line and sign-off in ``language``. The result is
    what the customer receives."""
    style = channel_style(channel)
    body = strip_markdown(text)
    # The model may add its own greeting or sign-off; the channel's own replace them.
    body = _GREETING.sub("", body, count=1).strip()
    body = _SIGNOFF.sub("", body).strip()
    if not body:
        raise ValueError("Nothing to send after formatting")

    first = _first_name(customer_name)
    if not style.greeting:  # WhatsApp: plain lines, in parts no longer than one message takes
        body = re.sub(r"\n{2,}", "\n", body)
        return PART_SEPARATOR.join(numbered_parts(body, style.max_chars or WHATSAPP_MAX_PART_CHARS))

    if style.max_words:
        reserve = 25  # greeting, signature, reference
        body = _truncate_words(body, style.max_words - reserve)
    greeting = wording.text("hi", language, first=first) if first else wording.text("hello", language)
    lines = [greeting, "", _GREETING_SENTENCE.sub("", body, count=1)]
    if style.signature and channel == Channel.EMAIL:
        if ticket_reference:
            lines += ["", wording.text("reference", language, reference=ticket_reference)]
        lines += ["", wording.text("regards", language), signer]
    else:
        lines += ["", f"— {signer}"]
    return "\n".join(lines)
