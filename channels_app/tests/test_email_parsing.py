"""MIME parsing: what the agent reads out of a raw mail."""
from __future__ import annotations

from email.message import EmailMessage

import pytest

from channels_app.email_parsing import (
    UnparseableEmail,
    html_to_text,
    parse_email,
    reply_subject,
    strip_pasted_history,
    strip_quotes_and_signature,
)


def _mail(**headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = headers.pop("From", "Ana Díaz <Ana.Diaz@Example.com>")
    msg["To"] = "support@loomline.example"
    msg["Subject"] = headers.pop("Subject", "Reset link")
    msg["Message-ID"] = "<m1@example.com>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    return msg


def test_plain_text_is_preferred_over_html() -> None:
    msg = _mail()
    msg.set_content("Plain version.")
    msg.add_alternative("<p>HTML version.</p>", subtype="html")

    parsed = parse_email(msg.as_bytes())

    assert parsed.text == "Plain version."
    assert (parsed.from_address, parsed.from_name) == ("ana.diaz@example.com", "Ana Díaz")
    assert parsed.message_id == "<m1@example.com>"


def test_html_only_mail_becomes_readable_text() -> None:
    msg = _mail()
    msg.set_content(
        "<html><head><style>p{color:red}</style><script>evil()</script></head><body>"
        "<p>Hello,</p><p>The <b>timeline</b> view is empty.<br>Since Monday.</p>"
        '<ul><li>Chrome</li><li>Firefox</li></ul><p>See <a href="https://app.loomline.example/p/1">the board</a>.</p>'
        '<div class="gmail_quote">On Mon, Support wrote: old stuff</div></body></html>',
        subtype="html",
    )
    text = parse_email(msg.as_bytes()).text

    assert "Hello," in text and "The timeline view is empty.\nSince Monday." in text
    assert "Chrome" in text and "Firefox" in text
    assert "the board (https://app.loomline.example/p/1)" in text
    assert "evil" not in text and "color:red" not in text and "old stuff" not in text


@pytest.mark.parametrize("charset, sample", [("iso-8859-1", "Grüße aus Köln"), ("windows-1252", "Prix: 5 € — merci"),
                                             ("utf-8", "Привет, 你好"), ("shift_jis", "こんにちは")])
def test_declared_charsets_are_decoded(charset, sample) -> None:  # type: ignore[no-untyped-def]
    raw = (f"From: a@example.com\r\nTo: support@loomline.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n").encode() + \
        sample.encode(charset) + b"\r\n"
    assert parse_email(raw).text == sample


def test_a_lying_or_unknown_charset_never_fails_the_parse() -> None:
    raw = (b"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=x-unknown-42\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\nCaf\xe9 ok\r\n")
    assert parse_email(raw).text.startswith("Caf")
    raw = (b"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\nCaf\xe9 \xff ok\r\n")
    assert "ok" in parse_email(raw).text


def test_encoded_headers_are_decoded() -> None:
    raw = (b"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>\r\n"
           b"Subject: =?utf-8?b?UHLDvGZ1bmcgZGVyIFJlY2hudW5n?=\r\nContent-Type: text/plain\r\n\r\nHallo\r\n")
    parsed = parse_email(raw)
    assert parsed.from_name == "Jürgen Müller" and parsed.subject == "Prüfung der Rechnung"


def test_attachments_are_recorded_not_inlined() -> None:
    msg = _mail()
    msg.set_content("Screenshot attached.")
    msg.add_attachment(b"\x89PNG" + b"0" * 2000, maintype="image", subtype="png", filename="screen shot.png")
    msg.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="tasks.csv")

    parsed = parse_email(msg.as_bytes())

    assert parsed.text == "Screenshot attached."
    assert parsed.attachments == [
        {"name": "screen shot.png", "type": "image/png", "size": 2004},
        {"name": "tasks.csv", "type": "text/csv", "size": 8},
    ]


def test_gmail_quote_is_stripped() -> None:
    body = ("Still not working, sorry.\n\nOn Tue, 2 Dec 2025 at 10:14, Loomline Support <support@loomline.example>"
            "\nwrote:\n> Try clearing the cache.\n> Best regards")
    assert strip_quotes_and_signature(body) == "Still not working, sorry."


def test_outlook_quote_block_is_stripped() -> None:
    body = ("Thanks, that fixed it.\n\n________________________________\nFrom: Loomline Support\n"
            "Sent: Tuesday, December 2, 2025 10:14\nTo: Ana\nSubject: Re: Reset link\n\nTry clearing the cache.")
    assert strip_quotes_and_signature(body) == "Thanks, that fixed it."


def test_a_from_line_in_the_customers_own_text_is_kept() -> None:
    body = "From: the board view I cannot drag cards.\nIt started today."
    assert strip_quotes_and_signature(body) == body


@pytest.mark.parametrize("signature", ["-- \nAna Díaz\nHead of Ops", "Sent from my iPhone", "Get Outlook for iOS"])
def test_signatures_are_stripped(signature) -> None:  # type: ignore[no-untyped-def]
    assert strip_quotes_and_signature(f"Can I export to PDF?\n\n{signature}") == "Can I export to PDF?"


def test_a_reply_written_below_the_quote_keeps_what_the_customer_wrote() -> None:
    body = ("Hi,\n\n> 3. Try a private window.\n\nAlso blank in private mode.\n\n"
            "On Tue, 2 Dec 2025 at 10:14, Loomline Support wrote:\n> 4. Check the status page.\n\n"
            "Status page says all fine. What now?\n\n-- \nAna")
    assert strip_quotes_and_signature(body) == (
        "Hi,\n\nAlso blank in private mode.\n\nStatus page says all fine. What now?")


def test_a_quote_header_with_unmarked_history_after_it_ends_the_reply() -> None:
    # Outlook and the HTML-only mails whose quote lost its "> " marks: what follows is history.
    body = "Works now.\n\nOn Tue, 2 Dec 2025, Loomline Support wrote:\nTry clearing the cache."
    assert strip_quotes_and_signature(body) == "Works now."


def test_a_mail_that_is_only_a_quote_keeps_its_text() -> None:
    body = "> quoted only"
    assert strip_quotes_and_signature(body) == "> quoted only"


@pytest.mark.parametrize("headers, reason", [
    ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted"),
    ({"X_Autoreply": "yes"}, "X-Autoreply"),
    ({"Precedence": "junk"}, "Precedence"),
    ({"Subject": "Automatic reply: Reset link"}, "subject"),
    ({"From": "MAILER-DAEMON@mx.example.com"}, "mailer-daemon"),
])
def test_auto_replies_and_bounces_are_recognised(headers, reason) -> None:  # type: ignore[no-untyped-def]
    msg = _mail(**headers)
    msg.set_content("I am away.")
    parsed = parse_email(msg.as_bytes())
    assert parsed.is_automatic and reason in parsed.auto_reason


def test_a_normal_mail_is_not_automatic_even_with_outlooks_suppress_header() -> None:
    msg = _mail(Auto_Submitted="no", X_Auto_Response_Suppress="All")
    msg.set_content("Hello")
    assert not parse_email(msg.as_bytes()).is_automatic


def test_threading_headers_are_read() -> None:
    raw = (b"From: a@example.com\r\nSubject: Re: x\r\nIn-Reply-To: <ours-1@loomline.example>\r\n"
           b"References: <a@example.com>\r\n <ours-1@loomline.example>\r\n\r\nReply\r\n")  # folded header
    parsed = parse_email(raw)
    assert parsed.in_reply_to == "<ours-1@loomline.example>"
    assert parsed.references == ["<a@example.com>", "<ours-1@loomline.example>"]


def test_a_mail_without_a_sender_is_unparseable() -> None:
    with pytest.raises(UnparseableEmail):
        parse_email(b"Subject: no sender\r\n\r\nhello")
    with pytest.raises(UnparseableEmail):
        parse_email(b"\x00\x01\x02")


def test_null_bytes_never_reach_the_database() -> None:
    raw = b"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\nhello\x00world\r\n"
    assert "\x00" not in parse_email(raw).text


def test_headers_bodies_and_filenames_hold_only_storable_text() -> None:
    raw = (b"From: a@example.com\r\nSubject: =?utf-8?q?bad=00nul?=\r\nIn-Reply-To: <a\x00b@example.com>\r\n"
           b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
           b"--b\r\nContent-Type: text/plain; charset=utf-7\r\n\r\nhello +2AA- there\r\n"
           b"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''a%00b.pdf\r\n"
           b"\r\nxx\r\n--b--\r\n")
    parsed = parse_email(raw)
    assert (parsed.subject, parsed.in_reply_to, parsed.text) == ("badnul", "<ab@example.com>", "hello \ufffd there")
    assert parsed.attachments[0]["name"] == "ab.pdf"


def test_reply_subject() -> None:
    assert reply_subject("Reset link") == "Re: Reset link"
    assert reply_subject("RE: Reset link") == "RE: Reset link"
    assert reply_subject("AW: Rechnung") == "AW: Rechnung"
    assert reply_subject("") == "Re: your support request"


def test_html_to_text_keeps_plain_links_once() -> None:
    assert html_to_text('<a href="https://x.example">https://x.example</a>') == "https://x.example"


# Text typed into the web support form, where a customer sometimes pastes the email thread
# under (or over) the new question: ``strip_pasted_history`` is what the agent reads of it.
QUESTION = "How do I give a guest access to one project only?"
SUPPORT_REPLY = "Hi Ana,\n\nTo export a board, open it and choose Export.\n\nBest regards,\nLoomline Support"


def test_a_pasted_gmail_thread_is_history() -> None:
    quoted = "\n".join(f"> {line}" if line else ">" for line in SUPPORT_REPLY.split("\n"))
    text = f"{QUESTION}\n\nOn Mon, 2 Dec 2026 at 10:14, Loomline Support <support@loomline.example> wrote:\n{quoted}"
    assert strip_pasted_history(text) == QUESTION


@pytest.mark.parametrize("header", [
    "Am 2. Dez. 2026 um 10:14 schrieb Loomline Support <support@loomline.example>:",
    "Le 2 déc. 2026 à 10:14, Loomline Support <support@loomline.example> a écrit :",
    "El lun, 2 dic 2026 a las 10:14, Loomline Support (<support@loomline.example>) escribió:",
    "Le 2 dec. 2026 a 10:14, Loomline Support a ecrit :",  # typed without accents
    "El lun, 2 dic 2026, Loomline Support escribio:",
])
def test_a_pasted_thread_in_another_language_is_history(header) -> None:  # type: ignore[no-untyped-def]
    quoted = "\n".join(f"> {line}" if line else ">" for line in SUPPORT_REPLY.split("\n"))
    assert strip_pasted_history(f"{QUESTION}\n\n{header}\n{quoted}") == QUESTION


def test_a_pasted_thread_whose_header_was_quoted_too_is_history() -> None:
    text = f"{QUESTION}\n\n> On Tue, Loomline Support wrote:\n> To export a board, open it and choose Export."
    assert strip_pasted_history(text) == QUESTION


@pytest.mark.parametrize("header", [
    ("From: Loomline Support <support@loomline.example>\nSent: Monday, December 2, 2026 10:14\nTo: Ana Díaz\n"
     "Subject: RE: Export"),
    ("________________________________\nFrom: Loomline Support <support@loomline.example>\nSent: Monday, "
     "December 2, 2026 10:14\nTo: Ana Díaz"),
    "-----Original Message-----\nFrom: Loomline Support\nDate: 2 Dec 2026 10:14",
    "On Mon, 2 Dec 2026 at 10:14, Loomline Support <support@loomline.example> wrote:",  # its "> " lost in the paste
])
def test_pasted_history_not_marked_line_by_line_ends_the_question(header) -> None:  # type: ignore[no-untyped-def]
    assert strip_pasted_history(f"Hello,\n\n{QUESTION}\n\n{header}\n\n{SUPPORT_REPLY}") == f"Hello,\n\n{QUESTION}"


def test_a_question_written_below_or_between_the_quotes_is_kept() -> None:
    text = ("On Mon, 2 Dec 2026 at 10:14, Loomline Support <support@loomline.example> wrote:\n"
            "> 3. Try a private window.\n\nAlso blank in private mode.\n\n> 4. Check the status page.\n\n"
            "The status page says all is fine. What now?")
    assert strip_pasted_history(text) == ("Also blank in private mode.\n\n"
                                          "The status page says all is fine. What now?")


def test_pasted_history_and_nothing_else_is_kept_as_it_is() -> None:
    # Never down to nothing: staff and the agent would otherwise have no question at all.
    text = f"On Mon, 2 Dec 2026 at 10:14, Loomline Support wrote:\n> {QUESTION}"
    assert strip_pasted_history(text) == text
    assert strip_pasted_history(f"-----Original Message-----\n{SUPPORT_REPLY}") == (
        f"-----Original Message-----\n{SUPPORT_REPLY}")


@pytest.mark.parametrize("text", [
    f"{QUESTION}\n\nThanks,\nAna",
    # In a form nothing adds a signature: what follows "--" or "Sent from my iPhone" was typed.
    "Export fails for one board.\n--\nSteps: open the board, choose Export, wait. Why does it stop at 90%?",
    "Quick one:\nSent from my iPhone, the app shows no boards. Is the mobile app down?",
    # A "> " line with no reply header above it quotes an error message or a sentence answered.
    "Import fails with:\n> Error 413: file too large\nWhat is the limit?",
    "> Invitations expire after 14 days.\n\nAh, that explains it. How do I resend one?",
    # A rule the customer typed, not Outlook's.
    "Two questions.\n______________________________\n1. Can guests comment?\n2. Can they export?",
    "From: the board view I cannot drag cards.\nIt started today.",
    "  Leading and trailing space stay as typed.\r\n",
])
def test_a_message_without_a_pasted_thread_is_read_exactly_as_typed(text) -> None:  # type: ignore[no-untyped-def]
    assert strip_pasted_history(text) == text


@pytest.mark.parametrize("text", [
    # The words before a pasted block are only a greeting: the question (and its triggers) is below it.
    ("Hello,\n\n-----Original Message-----\nFrom: Loomline Support\nSent: Monday\n\nTry clearing the cache.\n\n"
     "That did not work. I want a refund now, or I will contact my lawyer."),
    # Prose, not a mail client's header: no date, no address.
    "Hi team,\nOn Monday our admin wrote:\nwe need SSO for everyone. How do I enable SSO?",
    # A forwarded mail or another sender's block is what the customer wants us to read.
    ("Can you help with the issue below?\n---------- Forwarded message ---------\nFrom: Bob <bob@acme.example>\n"
     "Date: Mon, 2 Dec 2026\n\nI can't log in, my account is locked."),
    "Why was I charged twice?\nFrom: Visa ending 4242\nDate: 2 Dec\nAmount: 120 EUR",
])
def test_a_block_that_is_not_our_pasted_reply_is_read(text) -> None:  # type: ignore[no-untyped-def]
    assert strip_pasted_history(text) == text
