"""A customer's text as the models read it.

Typographic quotes read as plain ones (``don’t`` as ``don't``): customers' phones and mail
clients write curly quotes; every training message, every regular expression and the Help
Centre use plain ones. The intent layer, the knowledge search's semantic retriever and
governance's patterns read a message through this one table, so they agree on its text (and
the local embedder's cache sees the same string). For the intent layer, emoji read as their
names; for both embeddings, a long message's question comes first.
"""
from __future__ import annotations

import re
import unicodedata

#: What the embedding of a customer message reads: the intent layer's vector of its core
#: (``judgement.features.message_text``) and, up to this length, the knowledge search's, which is
#: then the same text, so the local embedder has the vector already and a message costs one run.
MESSAGE_CHARS = 400

#: The words that negate what follows or precedes them, for governance's "not asking for a refund" and the
#: composer's "I don't have my recovery codes" ("n't" is written with the word it negates).
NEGATION_WORDS = "not|no|never|nor|without"

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def plain_quotes(text: str) -> str:
    return (text or "").translate(_QUOTES)


# Skin tones, the emoji presentation selector and the joiner between parts of one emoji.
_EMOJI_PARTS = {chr(c) for c in range(0x1F3FB, 0x1F400)} | {"\ufe0f", "\u200d"}


def emoji_words(text: str) -> str:
    """Emoji as their Unicode names: "👍" as "thumbs up", "👎" as "thumbs down".

    The intent layer's tokens are words and the bundled embedder reads every emoji as the
    same unknown token, so a WhatsApp "👍" and "👎" were one message to it (and both read as
    "that didn't help"). Arrows in menu paths ("→") are mathematical symbols and stay."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch in _EMOJI_PARTS:
            continue
        if ord(ch) >= 0x2190 and unicodedata.category(ch) == "So":
            name = unicodedata.name(ch, "").lower().removesuffix(" sign")
            out.append(f" {name} " if name else " ")
        else:
            out.append(ch)
    return "".join(out)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
#: Where one sentence or line of a text ends and the next begins: the answerability features read a
#: passage's sentences this way, and the reply rules a reply's and the Help Centre's alike.
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")


def question_first(text: str, *, longer_than: int) -> str:
    """A long message with its asking sentences (those with a "?") moved to the front.

    An embedding reads the start of a text (the intent layer's 400 characters; the model's
    token limit for the search), and a long email often gives its background first and asks
    at the end ("… my actual question: how do I export one project to CSV?"). A short text,
    or one that asks nothing with a "?", is returned as it is."""
    if len(text) <= longer_than or "?" not in text:
        return text
    sentences = _SENTENCE_END.split(text)
    asks = [x for x in sentences if "?" in x]
    return " ".join(asks + [x for x in sentences if "?" not in x])


_CASUAL_DROPS = re.compile(r"[.,!?;:\"()]")


def casual_writing(text: str) -> str:
    """The text as someone typing fast writes it: lower case, no ``. , ! ? ; : " ( )``, the lines
    kept. Training reads a variant of each email and form message written this way
    (``judgement.training``), and ``context/eval/perturb.py --casual`` makes evaluation copies."""
    return "\n".join(" ".join(_CASUAL_DROPS.sub("", line.lower()).split()) for line in text.splitlines()).strip()


# Greeting lines and sign-offs in the four languages we answer (agent_app.language).
#: The words a greeting line starts with; ``formatting`` replaces a model's own greeting by them too.
GREETING_WORDS = (r"hi|hello|hey|dear|good (?:morning|afternoon|evening)|hallo|hola|bonjour|salut|"
                  r"guten (?:tag|morgen|abend)|sehr geehrte|liebe[rs]?|servus|moin|gr(?:ü|ue)(?:ß|ss) ?(?:gott|dich|euch)|"
                  r"buen[oa]s (?:d[ií]as|tardes|noches)|estimad[oa]s?|bonsoir|madame|monsieur|cher|ch[eè]re")
_GREETING_LINE = re.compile(rf"^\s*(?:{GREETING_WORDS})\b[^.?!\n]{{0,40}}[,!:]?\s*$", re.IGNORECASE)
_SIGN_OFF = re.compile(r"^\s*(?:thanks?(?: you)?(?: (?:so much|a lot|in advance))?|many thanks|cheers|best(?: regards| wishes)?|"
                       r"kind regards|regards|warm regards|br|all the best|sincerely|yours(?: sincerely| faithfully)?|"
                       r"sent from my \w+|--+|\u2014|"
                       r"(?:viele|beste|liebe|freundliche) gr(?:ü|ue)(?:ß|ss)e|mit freundlichen gr(?:ü|ue)(?:ß|ss)en|"
                       r"lg|vg|mfg|danke (?:im voraus|sch(?:ö|oe)n)|vielen dank(?: im voraus)?|"
                       r"cordialement|bien (?:à|a) vous|bien cordialement|merci(?: d'avance| beaucoup)?|bonne journ[ée]e|"
                       r"(?:un )?saludos?(?: cordiales)?|atentamente|un abrazo|gracias(?: de antemano)?|muchas gracias|"
                       r"enviado desde mi \w+|envoy[ée] de mon \w+|von meinem \w+ gesendet)\s*[,.!]?\s*$", re.IGNORECASE)


# The confidentiality footer a company's mail server appends ("CONFIDENTIALITY NOTICE: This message is intended
# only for…", "The information in this email is confidential and may be legally privileged."): boilerplate, not
# the customer's words, and its "legal", "privileged" and "intended recipient" read like a legal matter. Only
# the footer's own openings count: "Disclaimer: I'm not a lawyer, but…" or "Legal notice:" may be the
# customer's.
_MAIL_FOOTER = re.compile(
    r"^\s*(?:\*+\s*)?(?:confidentiality notice|"
    r"(?:this|the) (?:e-?mail|message|communication|transmission)\b[^\n]{0,80}?"
    r"\b(?:is|are|may be|may contain|contains?) (?:strictly )?(?:confidential|privileged|intended (?:only|solely))|"
    r"the (?:information|contents?) (?:in|of|contained in) this (?:e-?mail|message|communication)\b[^\n]{0,60}?"
    r"\b(?:is|are|may be) (?:strictly )?(?:confidential|privileged)|"
    r"if you (?:are not the intended recipient|have received this (?:e-?mail|message) in error)|"
    r"diese (?:e-?mail|nachricht)\b[^\n]{0,60}?\bvertraulich|"
    r"ce (?:message|courriel|mail)\b[^\n]{0,60}?\bconfidentiel|"
    r"este (?:mensaje|correo)\b[^\n]{0,60}?\bconfidencial)", re.IGNORECASE)
#: A footer is looked for this many lines from the end at most (they run to a few lines).
FOOTER_LINES = 12


def _without_mail_footer(lines: list[str]) -> list[str]:
    for i in range(max(0, len(lines) - FOOTER_LINES), len(lines)):
        if i > 0 and _MAIL_FOOTER.match(lines[i]):
            return lines[:i]
    return lines


def message_core(text: str) -> str:
    """The message without its greeting line, its sign-off and signature (names, titles,
    companies) and its mail server's confidentiality footer: what the customer asks, for
    searching and for judging an answer."""
    lines = _without_mail_footer(text.replace("\r", "").split("\n"))
    while lines and (not lines[0].strip() or _GREETING_LINE.match(lines[0])):
        lines.pop(0)
    for i in range(len(lines) - 1, max(-1, len(lines) - 8), -1):
        if _SIGN_OFF.match(lines[i]) and i > 0:
            lines = lines[:i]
            break
    core = "\n".join(lines).strip()
    return core or text.strip()


def with_subject(core: str, subject: str) -> str:
    """An email's subject before the core of its body, unless the body already says it: what
    the search and the intent layer's embedding read (the same text, so one model run)."""
    if subject and subject.strip().lower() not in core.lower():
        return f"{subject}\n{core}"
    return core
