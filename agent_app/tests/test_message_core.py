"""message_core: what the customer asks, without greeting line, sign-off, signature and the confidentiality
footer their mail server appends. The messages are our own, written for these tests."""
from __future__ import annotations

import pytest

from agent_app.plain_text import message_core
from agent_app.tests.test_transition_suite import run

QUESTION = "Hi,\n\nHow do I turn on two-factor authentication for my account?"


@pytest.mark.parametrize("footer", [
    "CONFIDENTIALITY NOTICE: This message is intended only for the named recipient and may contain privileged "
    "information. If you are not the intended recipient, please delete it.",
    "This e-mail and any attachments are confidential and intended solely for the addressee.",
    "The information contained in this email is confidential and may be legally privileged.",
    "If you have received this email in error, please notify the sender and delete it.",
    "*** This message may contain confidential information. ***",
    "Diese E-Mail enthält vertrauliche Informationen.",
    "Ce message et ses pièces jointes sont confidentiels.",
    "Este mensaje es confidencial y está dirigido únicamente a su destinatario.",
])
def test_a_mail_servers_confidentiality_footer_is_not_part_of_what_the_customer_asks(footer):
    # "Thx" is no sign-off we know, so before, the footer stayed in the core with "legally privileged".
    text = f"{QUESTION}\n\nThx\nMorgan Reyes\nOps Lead, Fjordline Freight\n\n{footer}"
    assert message_core(text) == ("How do I turn on two-factor authentication for my account?\n\nThx\nMorgan Reyes\n"
                                  "Ops Lead, Fjordline Freight")


@pytest.mark.parametrize("text", [
    "Disclaimer: I'm not a lawyer, but deleting our data without notice breaches the GDPR.",
    "Legal notice: we will take this to court if the data is not restored.",
    "This message is to let you know our counsel is preparing a claim.",
])
def test_the_customers_own_legal_words_stay(text):
    message = f"Hello,\n\nOur projects vanished overnight.\n{text}\nRegards\nIngrid"
    assert text in message_core(message)


FOOTER = ("\n\nCONFIDENTIALITY NOTICE: This message is intended only for the addressee and may contain "
          "privileged information.")


@pytest.mark.django_db
@pytest.mark.usefixtures("help_centre")
def test_a_legal_threat_above_a_footer_is_still_a_legal_matter():
    outcome, message, _ = run("Hello,\n\nIf the deleted projects are not restored by Friday, our lawyers will file "
                              "a claim against Loomline.\n\nRegards,\nIngrid Holm" + FOOTER,
                              channel="email", subject="Deleted projects", name="Ingrid Holm")
    assert outcome == "escalated" and message.ticket.escalation_reason == "legal_language"


@pytest.mark.django_db
@pytest.mark.usefixtures("help_centre")
def test_a_question_above_a_footer_is_answered():
    outcome, message, replies = run(QUESTION + "\n\nThx\nMorgan Reyes" + FOOTER, channel="email",
                                    subject="2FA", name="Morgan Reyes")
    assert outcome == "answered" and "articles/two-factor-authentication" in replies[0].content
