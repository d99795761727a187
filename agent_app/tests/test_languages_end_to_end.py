"""Customers writing in German, French or Spanish, through the real pipeline: judged like English
messages (the models read the gist), answered and told in their own language.

The messages are our own, written for these tests; none is a training or evaluation line.
"""
from __future__ import annotations

import pytest

from agent_app.tests.test_transition_suite import run

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("help_centre")]


def test_a_refund_request_in_spanish_goes_to_billing_and_the_customer_is_told_in_spanish():
    outcome, message, replies = run(
        "Buenos días,\n\nnos han cobrado dos veces la cuota de noviembre y quiero que nos devuelvan el segundo "
        "cargo.\n\nUn saludo,\nLucía Fernández", channel="email", subject="Cobro duplicado", name="Lucía Fernández")
    assert outcome == "escalated" and message.ticket.escalation_reason == "refund_request"
    [notice] = replies
    assert notice.content.startswith("Hola, Lucía:") and "equipo de facturación" in notice.content
    assert "Un saludo," in notice.content and "Best regards" not in notice.content


def test_a_legal_threat_in_german_is_legal_language_not_a_question():
    outcome, message, replies = run(
        "Wenn Sie unsere gelöschten Projekte nicht bis Freitag wiederherstellen, schalten wir unseren Anwalt ein.",
        channel="web_form", name="Jonas Becker")
    assert outcome == "escalated" and message.ticket.escalation_reason == "legal_language"
    assert "weitergeleitet" in replies[0].content


def test_a_person_asked_for_in_french():
    outcome, message, replies = run("je voudrais parler a un conseiller humain svp", channel="whatsapp")
    assert outcome == "escalated" and message.ticket.escalation_reason == "explicit_human_request"
    assert "Bien sûr" in replies[0].content


@pytest.mark.parametrize(("text", "reply_starts"), [
    ("Danke, jetzt klappt alles!", "Schön"),
    ("merci beaucoup, c'est réglé", "Ravi"),
    ("Hola, buenas tardes", "¡Hola!"),
])
def test_thanks_and_greetings_are_answered_in_kind_and_never_escalated(text, reply_starts):
    outcome, message, replies = run(text, channel="whatsapp")
    assert outcome == "answered" and replies[0].content.startswith(reply_starts)


def test_a_how_to_question_in_french_is_answered_from_the_english_help_centre_and_says_so():
    outcome, message, replies = run("Bonjour, comment je fais pour réinitialiser mon mot de passe ? Je l'ai oublié.",
                                    channel="web_form", name="Camille Martin")
    assert outcome == "answered"
    [answer] = replies
    assert answer.content.startswith("Bonjour Camille,")
    assert "disponible en anglais uniquement" in answer.content
    assert "reset-password" in answer.content  # the article's link
