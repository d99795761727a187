"""Turning a raw RFC 5322 message into what the agent should read.

- MIME multipart is walked; ``text/plain`` is preferred, ``text/html`` is turned into
  text when it is the only body. Attachments are recorded (name, type, size), never
  inlined.
- Charsets: the declared charset is used; an unknown or lying one falls back to UTF-8
  and then Latin-1 with replacement, so a badly encoded mail never fails the sync.
  What PostgreSQL cannot store (NUL, lone surrogates, e.g. from utf-7 ``+2AA-`` or an
  encoded ``=00``) is cleaned from headers, bodies and filenames here, so that lookups
  by header (threading) work too; the intake service cleans again before storing.
- Quoted replies ("On … wrote:", "> …", Outlook's "From: … Sent: …" block) and
  signatures ("-- ", "Sent from my iPhone") are stripped, but never down to nothing:
  if stripping would leave no text we keep the original. ``strip_pasted_history`` applies
  the same history rules to a thread pasted into the web form, where a signature or a lone
  "> " line is the customer's own.
- Auto-replies and bounces are recognised (RFC 3834 ``Auto-Submitted``, the
  ``X-Autoreply`` family, ``Precedence: bulk|junk|auto_reply``, delivery status
  reports, mailer-daemons) so that the agent never answers a robot — two robots
  answering each other is how mail loops start.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from typing import Any

from bs4 import BeautifulSoup

from crm.text import storable_text

MAX_TEXT_CHARS = 50_000

_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass
class ParsedEmail:
    from_address: str
    from_name: str
    to: list[str]
    reply_to: str
    subject: str
    message_id: str
    in_reply_to: str
    references: list[str]
    date: str
    text: str  # what the customer wrote this time: quotes and signature stripped
    full_text: str  # the whole text body, for staff
    attachments: list[dict[str, Any]] = field(default_factory=list)
    auto_reason: str = ""  # non-empty: an auto-reply or a bounce, and why

    @property
    def is_automatic(self) -> bool:
        return bool(self.auto_reason)


class UnparseableEmail(ValueError):
    """The bytes are not a mail we can attribute to a sender."""


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a malformed header the parser chokes on is treated as absent
        return ""
    if value is None:
        return ""
    return storable_text(" ".join(str(value).split()))


def _decode_part(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    if isinstance(payload, str):  # pragma: no cover - decode=True gives bytes
        return payload
    charset = part.get_content_charset() or "utf-8"
    for candidate in (charset, "utf-8"):
        try:
            return storable_text(payload.decode(candidate))
        except (LookupError, UnicodeDecodeError):
            continue
    return storable_text(payload.decode("latin-1", errors="replace"))


def html_to_text(html: str) -> str:
    """Readable text from an HTML mail: block elements become lines, links keep their URL."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head", "title", "meta"]):
        tag.decompose()
    # Gmail and Apple Mail put the quoted thread in these; it is history, not the message.
    for quoted in soup.select("blockquote, div.gmail_quote, div.gmail_extra, #appendonsend, div#divRplyFwdMsg"):
        quoted.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for link in soup.find_all("a"):
        href = (link.get("href") or "").strip()
        label = link.get_text(" ", strip=True)
        if href.startswith(("http://", "https://")) and href != label:
            link.replace_with(f"{label} ({href})" if label else href)
    for block in soup.find_all(["p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table"]):
        block.insert_before("\n")
        block.insert_after("\n")
    text = soup.get_text()
    text = re.sub(r"[ \t\xa0]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _is_attachment(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return disposition == "attachment" or (disposition != "inline" and bool(part.get_filename())) or (
        disposition == "inline" and bool(part.get_filename()) and part.get_content_maintype() != "text"
    )


def _bodies_and_attachments(msg: Message) -> tuple[str, str, list[dict[str, Any]]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[dict[str, Any]] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if _is_attachment(part) or ctype not in ("text/plain", "text/html"):
            if ctype.startswith("multipart/"):
                continue
            payload = part.get_payload(decode=True) or b""
            attachments.append({
                "name": storable_text(part.get_filename() or "")[:255] or "(unnamed)",
                "type": ctype,
                "size": len(payload),
            })
            continue
        (plain if ctype == "text/plain" else html).append(_decode_part(part))
    return "\n\n".join(plain), "\n\n".join(html), attachments


# Lines that start the quoted history in the common mail clients: those put above a "> " quote...
_REPLY_HEADERS = [
    re.compile(r"^\s*On\b.{0,200}\bwrote:\s*$", re.IGNORECASE),  # Gmail, Apple Mail, Thunderbird
    re.compile(r"^\s*Am\b.{0,200}\bschrieb\b.{0,100}:\s*$", re.IGNORECASE),  # German clients
    re.compile(r"^\s*Le\b.{0,200}\ba (?:é|e)crit\s*:\s*$", re.IGNORECASE),  # French clients
    re.compile(r"^\s*El\b.{0,200}\bescribi(?:ó|o)\s*:\s*$", re.IGNORECASE),  # Spanish clients
]
# ...and those after which the history follows unmarked.
_OUTLOOK_RULE = re.compile(r"^\s*_{10,}\s*$")  # Outlook's rule above "From: … Sent: …"
_HISTORY_HEADERS = [
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*Forwarded message\s*-{2,}\s*$", re.IGNORECASE),
    _OUTLOOK_RULE,
    re.compile(r"^\s*From:\s.+$", re.IGNORECASE),  # only when followed by Sent:/Date: (checked below)
]
_SIGNATURE_STARTS = [
    re.compile(r"^--\s?$"),  # RFC 3676 signature delimiter
    re.compile(r"^\s*Sent from my (iPhone|iPad|Android|mobile device|Galaxy|BlackBerry)\b.*$", re.IGNORECASE),
    re.compile(r"^\s*Get Outlook for (iOS|Android)\s*$", re.IGNORECASE),
]


def _quote_header_at(lines: list[str], index: int) -> tuple[int, bool]:
    """How many lines the quote header starting at ``index`` takes (0: none there), and whether
    it is the kind mail clients put above a "> " quote."""
    line = lines[index]
    if any(p.match(line) for p in _REPLY_HEADERS):
        return 1, True
    # Gmail wraps a long "On … wrote:" over two lines.
    if index + 1 < len(lines) and re.match(r"^\s*On\b", line, re.IGNORECASE) and re.match(
        r"^.{0,200}\bwrote:\s*$", lines[index + 1]
    ):
        return 2, True
    for pattern in _HISTORY_HEADERS:
        if pattern.match(line):
            if pattern.pattern.startswith(r"^\s*From:"):
                following = "\n".join(lines[index + 1:index + 5])
                if not re.search(r"^\s*(Sent|Date):", following, re.IGNORECASE | re.MULTILINE):
                    continue
            return 1, False
    return 0, False


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _quoted_reply_header(line: str) -> bool:
    """``> On … wrote:``: a reply header that was itself quoted (a thread pasted as a quote)."""
    unquoted = re.sub(r"^\s*(?:>\s?)+", "", line)
    return any(p.match(unquoted) for p in _REPLY_HEADERS)


def _outlook_block_after(lines: list[str], index: int) -> bool:
    """Whether Outlook's "From: … Sent: …" block is the next text after ``index``."""
    following = next((i for i in range(index + 1, len(lines)) if lines[i].strip()), None)
    return following is not None and bool(re.match(r"^\s*From:", lines[following], re.IGNORECASE)) and bool(
        _quote_header_at(lines, following)[0])


def _our_names() -> tuple[str, ...]:
    """What a header of one of our own replies carries: our sender name and our mail domain."""
    from django.conf import settings

    names = [getattr(settings, "GMAIL_SENDER_NAME", ""), parseaddr(getattr(settings, "DEFAULT_FROM_EMAIL", ""))[1]]
    names += [a.rpartition("@")[2] for a in (getattr(settings, "GMAIL_ADDRESS", ""), names[1]) if "@" in a]
    return tuple(n.lower() for n in names if n)


def _pasted_header(lines: list[str], index: int) -> bool:
    """In a form, whether the history starting at ``index`` is a thread the customer pasted: a
    client's "On <date or address> … wrote:" above it (prose such as "On Monday our admin
    wrote:" has neither), or an unmarked block that names us (one of our replies). A forwarded
    mail or another sender's block is material the customer wants us to read, not history, and
    a rule of underscores with no Outlook block after it is a separator the customer typed."""
    if _OUTLOOK_RULE.match(lines[index]) and not _outlook_block_after(lines, index):
        return False
    head = "\n".join(lines[index:index + 8]).lower()  # a rule, "From:", "Sent:", "To:" and a blank or two
    if any(p.match(lines[index]) for p in _REPLY_HEADERS) or re.match(r"^\s*On\b", lines[index], re.IGNORECASE):
        return bool(re.search(r"\d|@", "\n".join(lines[index:index + 2])))
    return any(name in head for name in _our_names())


#: In a form, the words a customer must have written before a pasted block for the block to
#: be cut: "Hello," above a pasted thread is no message, and the question is below it.
_FORM_MIN_WORDS_BEFORE_CUT = 4


def _own_part(text: str, *, mail: bool) -> tuple[str, bool]:
    """The customer's own lines of ``text`` (before history that is not marked line by line,
    without "> " history), and whether anything was left out.

    ``mail``: an email body, where every "> " line is quoted history and a signature ends
    the customer's part. Otherwise the text was typed into a form, where nothing adds a
    signature or quotes a line by itself, so only a pasted thread is history: "--" and
    "Sent from my iPhone" are the customer's words, "> " lines are history only under a reply
    header ("On … wrote:", or a quoted one), and a rule of underscores only above Outlook's
    block; a "> " line on its own quotes an error message or a sentence the customer answers."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    dropped = cut = False
    in_thread = mail  # whether a "> " line is history
    index = 0
    while index < len(lines):
        line = lines[index]
        if _quoted(line) and (in_thread or _quoted_reply_header(line)):
            index, dropped, in_thread = index + 1, True, True
            continue
        header, marks_its_quote = (0, False) if _quoted(line) else _quote_header_at(lines, index)
        if header and not mail and not _pasted_header(lines, index):
            header = 0
        if header:
            after = next((x for x in lines[index + header:] if x.strip()), "")
            if marks_its_quote and _quoted(after):
                index, in_thread = index + header, True  # "On … wrote:" over "> " lines: drop both, read on
                continue
            if not mail and len(" ".join(kept).split()) < _FORM_MIN_WORDS_BEFORE_CUT:
                return text.strip(), False
            cut = True
            break
        if mail and any(p.match(line) for p in _SIGNATURE_STARTS):
            cut = True
            break
        kept.append(line)
        index += 1
    new = "\n".join(kept).strip()
    if dropped:  # where a quote sat between two paragraphs, one blank line
        new = re.sub(r"\n\s*\n(?:\s*\n)+", "\n\n", new)
    return new, dropped or cut


def strip_quotes_and_signature(text: str) -> str:
    """The customer's own words in a reply: without the quoted history and the signature.

    Quoted lines ("> …") are dropped wherever they are, and an "On … wrote:" header above
    them, but the text between and after them is kept: a customer who answers below a quote
    ("> Try a private window" / "Also blank there") writes after it, and cutting at the
    first quote kept only their greeting. History that is not marked line by line (Outlook's
    "From: … Sent: …" block, "Original Message", a header with no quoted lines after it) and
    a signature end the customer's part."""
    new, _ = _own_part(text, mail=True)
    return new if new else text.strip()


def strip_pasted_history(text: str) -> str:
    """Text typed into a form without the email thread the customer pasted into it.

    The history is found as in a mail (``strip_quotes_and_signature``): "> " lines under an
    "On <date or address> … wrote:" header, with what the customer wrote between and below them
    kept, and one of our replies in Outlook's "From: … Sent: …" block or under "Original
    Message" ending the customer's part after at least a few words of theirs. Nothing else is
    taken for history (see ``_own_part`` and ``_pasted_header``): what is wrongly cut is lost
    to the agent. A text with no pasted thread is returned exactly as it is, and so is one that
    would be left with nothing."""
    new, left_out = _own_part(text, mail=False)
    return new if left_out and new else text


_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?reply|out of (the )?office|abwesenheit|automatische antwort|réponse automatique|"
    r"undeliverable|undelivered mail|delivery status notification|mail delivery (failed|subsystem)|"
    r"returned mail|failure notice)\b",
    re.IGNORECASE,
)


def _automatic_reason(msg: Message, from_address: str, subject: str) -> str:
    auto_submitted = _header(msg, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    # (X-Auto-Response-Suppress is deliberately not here: it asks *others* not to
    # auto-reply and is set by Outlook on ordinary mail.)
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        value = _header(msg, name)
        if value:
            return f"{name}: {value}"
    precedence = _header(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "auto_reply", "list"):
        return f"Precedence: {precedence}"
    if msg.get_content_type() == "multipart/report":
        return "delivery status report"
    local = from_address.split("@", 1)[0]
    if local in ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply"):
        return f"sent by {local}"
    if _header(msg, "Return-Path") == "<>":
        return "null return path (a bounce)"
    if _AUTO_SUBJECT.match(subject):
        return f"subject: {subject[:80]}"
    return ""


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse one raw message. Raises ``UnparseableEmail`` when no sender can be found."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # the stdlib parser is lenient; this is a last resort
        raise UnparseableEmail(f"not a mail message: {exc}") from None

    from_name, from_address = parseaddr(_header(msg, "From"))
    from_address = from_address.strip().lower()
    if "@" not in from_address:
        raise UnparseableEmail("the message has no usable From address")
    _, reply_to = parseaddr(_header(msg, "Reply-To"))
    subject = _header(msg, "Subject")[:300]
    message_id_match = _MSGID.search(_header(msg, "Message-ID"))
    in_reply_to_match = _MSGID.search(_header(msg, "In-Reply-To"))

    plain, html, attachments = _bodies_and_attachments(msg)
    full = plain.strip() or (html_to_text(html) if html.strip() else "")
    full = full.replace("\x00", "")[:MAX_TEXT_CHARS]
    text = strip_quotes_and_signature(full) if full else ""
    return ParsedEmail(
        from_address=from_address,
        from_name=_clean_display_name(from_name),
        to=[addr.lower() for _, addr in getaddresses([_header(msg, "To")]) if addr],
        reply_to=reply_to.strip().lower() if "@" in reply_to else "",
        subject=subject,
        message_id=message_id_match.group(0) if message_id_match else "",
        in_reply_to=in_reply_to_match.group(0) if in_reply_to_match else "",
        references=_MSGID.findall(_header(msg, "References"))[-20:],
        date=_header(msg, "Date"),
        text=text,
        full_text=full,
        attachments=attachments,
        auto_reason=_automatic_reason(msg, from_address, subject),
    )


def _clean_display_name(name: str) -> str:
    name = " ".join((name or "").split()).strip("\"' ")
    return "" if "@" in name else name[:200]


def build_text_email(
    *,
    from_name: str,
    from_address: str,
    to_address: str,
    to_name: str = "",
    subject: str,
    body: str,
    message_id: str,
    in_reply_to: str = "",
    references: list[str] | None = None,
    extra_headers: dict[str, str] | None = None,
    date: str | None = None,
) -> EmailMessage:
    """A plain-text UTF-8 message with proper threading headers."""
    from email.utils import formatdate

    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address(display_name=from_name, addr_spec=from_address)
    msg["To"] = Address(display_name=to_name, addr_spec=to_address) if to_name else to_address
    msg["Subject"] = subject
    msg["Date"] = date or formatdate(usegmt=True)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    refs = [r for r in (references or []) if r]
    if refs:
        msg["References"] = " ".join(refs)
    for name, value in (extra_headers or {}).items():
        msg[name] = value
    msg.set_content(body, subtype="plain", charset="utf-8")
    return msg


def reply_subject(subject: str) -> str:
    """``Re: <subject>``, without piling up prefixes."""
    subject = " ".join((subject or "").split())
    if not subject:
        return "Re: your support request"
    if re.match(r"^(re|aw|sv|antw)\s*:", subject, re.IGNORECASE):
        return subject
    return f"Re: {subject}"
