"""Replies in the customer's language: which language a message is in, and the assistant's own
wording in English, German, French and Spanish (the company profile promises the three)."""
from __future__ import annotations

import re
import string

import pytest

from agent_app import wording
from agent_app.compose import compose_escalation_notice, greeting_reply, thanks_reply, when
from agent_app.formatting import format_for_channel
from agent_app.language import LANGUAGES, detect, of_message
from crm.models import EscalationReason

DUE = "2026-01-05T14:00:00+00:00"  # a Monday


@pytest.mark.parametrize(("text", "language"), [
    ("Hola, ¿cómo puedo cambiar mi contraseña?", "es"),
    ("hola como cambio la contraseña del workspace", "es"),
    ("Gracias, ya funciona", "es"),
    ("Buenos días,\n\nQuiero un reembolso del último cargo.\n\nSaludos,\nMarta", "es"),
    ("Bonjour, comment exporter un projet en CSV ?", "fr"),
    ("Merci", "fr"),
    ("je veux parler a une vraie personne stp", "fr"),
    ("Hallo, wie kann ich die Zwei-Faktor-Authentifizierung aktivieren?", "de"),
    ("Danke!", "de"),
    ("unser anwalt meldet sich wenn die daten nicht bis montag da sind", "de"),
    ("How do I reset my password?", "en"),
    ("hi", "en"),
    ("ok thx", "en"),
    ("", "en"),
    ("2FA?", "en"),
    # A stray word of another language (a company, a project's name) does not switch the reply.
    ("Our client Die Werkstatt GmbH cannot see the board, how do I share it?", "en"),
    ("La La Land is our project name, how do I rename it?", "en"),
    ("Can I export the 'Tareas de la semana' project to CSV?", "en"),
    ("Y axis labels missing on chart", "en"),
    ("Los Angeles office locked out", "en"),
    ("Refund pls\n— Ana Del Monte", "en"),
    ("je n'arrive plus à me connecter", "fr"),
    ("top danke dir", "de"),
    # A thanks of five words with a slip in its one well-known word still has two words of evidence.
    ("meerci beaucoup, c'est réglé", "fr"),
    ("muchass gracias, ya quedó todo", "es"),
    ("vielen dannk, alles gut jetzt", "de"),
    # English words that other languages also write stay English.
    ("our bin labels print wrong", "en"),
    ("Red Hat login broken, what can I do?", "en"),
    ("CA certificate rejected", "en"),
])
def test_the_language_a_customer_wrote_in(text, language):
    assert detect(text) == language


@pytest.mark.parametrize("text", [
    "Please cancel my subscription.\n\nMit freundlichen Grüßen\nTobias Müller",
    "My account was hacked!\n\nCordialement,\nJean-Luc Dupont",
])
def test_an_english_message_signed_off_in_another_language_is_english(text):
    assert of_message(text) == "en"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_wording_is_written_in_every_language_with_the_same_blanks():
    english = wording._TEXTS["en"]
    for language in LANGUAGES:
        table = wording._TEXTS[language]
        assert set(table) == set(english), language
        assert {k: _fields(v) for k, v in table.items()} == {k: _fields(v) for k, v in english.items()}, language


def test_the_follow_up_time_is_written_in_the_customers_language():
    assert when(DUE) == "by Monday 5 January, 14:00 UTC"
    assert when(DUE, "Europe/Madrid", "es") == "antes del lunes 5 de enero, 15:00 CET"
    assert when(DUE, "Europe/Paris", "fr") == "d'ici le lundi 5 janvier à 15:00 CET"
    assert when(DUE, "Europe/Berlin", "de") == "bis Montag, 5. Januar, 15:00 CET"
    assert when(None, language="de") == "innerhalb eines Werktags"


@pytest.mark.parametrize("language", ["de", "fr", "es"])
@pytest.mark.parametrize("reason", [r.value for r in EscalationReason])
def test_an_escalation_notice_in_another_language_has_no_english_left(language, reason):
    notice = compose_escalation_notice(reason=reason, due_iso=DUE, channel="email", language=language)
    assert notice != compose_escalation_notice(reason=reason, due_iso=DUE, channel="email")
    # Only the menu path the product shows in English stays English.
    words = set(re.findall(r"[a-z]+", notice.replace("Settings → Security → Sessions", "").lower()))
    assert not words & {"the", "our", "your", "will", "follow", "passed", "by"}
    assert "UTC" in notice


def test_greeting_and_thanks_in_the_customers_language():
    assert greeting_reply() == "Hi! I'm Loomline's AI assistant. How can I help you today?"
    assert greeting_reply("es").startswith("¡Hola!")
    assert thanks_reply("fr").startswith("Ravi")
    assert thanks_reply("xx") == thanks_reply()  # a language we don't write: English


@pytest.mark.django_db  # the channel's style is configurable in admin
def test_the_channels_greeting_and_sign_off_follow_the_language():
    email = format_for_channel("Ich habe Ihre Anfrage weitergeleitet.", channel="email", customer_name="Klaus Weber",
                               ticket_reference="TKT-1", language="de")
    assert email.startswith("Hallo Klaus,") and "Ihre Referenz: TKT-1" in email and "Viele Grüße" in email
    english = format_for_channel("Done.", channel="email", customer_name="Klaus Weber", ticket_reference="TKT-1")
    assert english.startswith("Hi Klaus,") and "Best regards," in english
    # A model's own greeting and sign-off in Spanish give way to the channel's.
    reply = format_for_channel("Hola Marta,\n\nYa está hecho.\n\nUn saludo,\nEl equipo", channel="email",
                               customer_name="Marta Ruiz", language="es")
    assert reply.count("Hola") == 1 and reply.count("Un saludo") == 1 and "El equipo" not in reply
