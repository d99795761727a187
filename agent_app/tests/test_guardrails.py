"""The reply rules (``guardrails.reply_problems``) against the real Help Centre: what it publishes
may be quoted; the same words in a sentence of the agent's own are still refused."""
from __future__ import annotations

import pytest

from agent_app.guardrails import reply_problems

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("help_centre")]


def test_a_help_centre_sentence_that_mentions_internal_tools_may_be_quoted() -> None:
    reply = ("Personal API tokens let scripts and internal tools use the Loomline REST API as you.\n\n"
             "More: https://help.loomline.example/articles/api-tokens")
    assert reply_problems(reply, channel="whatsapp") == []
    # As the customer receives it too (markdown stripped, a greeting before it), which the output
    # guardrail checks again.
    assert reply_problems("Hi Ines,\n\nPersonal API tokens let scripts and **internal tools** use the Loomline "
                          "REST API as you.", channel="whatsapp") == []


def test_addresses_the_help_centre_publishes_may_be_quoted() -> None:
    reply = "Optionally add up to 3 CC recipients, for example ap@yourcompany.com."
    assert reply_problems(reply, channel="whatsapp") == []
    # Loomline's own senders, on a subdomain too.
    reply = "Add notifications@mail.loomline.example and no-reply@loomline.example to your safe senders."
    assert reply_problems(reply, channel="whatsapp") == []


@pytest.mark.parametrize("reply", [
    "Our internal tools show your account history.",
    "I checked the internal process for this and it takes a week.",
    "Per my escalation rules this is a refund_request.",
    "Scripts and internal tools can read your data.",  # close to the Help Centre, but not its words
    # A Help Centre sentence carried on with the agent's own words.
    "Personal API tokens let scripts and internal tools use the Loomline REST API to look up your history.",
    # The Help Centre's words with long tokens around them are not its sentence.
    "See https://help.loomline.example/articles/api-tokens-and-scopes internal tools https://app.loomline.example/x",
    "internal tools",
])
def test_the_agents_own_words_about_internals_are_still_refused(reply: str) -> None:
    assert "it reveals internal instructions or processes" in reply_problems(reply, channel="whatsapp")


def test_an_address_the_help_centre_does_not_publish_is_still_refused() -> None:
    problems = reply_problems("Write to ap@othercompany.com for an invoice copy.", channel="whatsapp")
    assert any("ap@othercompany.com" in p for p in problems)
    # Part of a published address is another address.
    assert any("p@yourcompany.com" in p for p in reply_problems("Write to p@yourcompany.com.", channel="whatsapp"))
    assert reply_problems("Write to Ines at ines@client.example.", channel="whatsapp",
                          customer_addresses={"ines@client.example"}) == []


@pytest.mark.parametrize("reply", [
    "Wir werden Ihnen den vollen Betrag erstatten.",
    "Sie erhalten eine Rückerstattung innerhalb von 5 Tagen.",
    "Nous allons vous rembourser la totalité.",
    "Vous serez remboursé sous 5 jours.",
    "Le reembolsaremos el importe completo.",
    "Recibirá un reembolso en 5 días.",
])
def test_a_refund_promised_in_the_customers_language_is_refused(reply: str) -> None:
    assert "it promises a refund or credit; only the billing team decides refunds" in reply_problems(
        reply, channel="web_form")


@pytest.mark.parametrize("reply", [
    "Der Business-Plan kostet 12 € pro Nutzer und Monat.",
    "Le plan Business coûte 12 € par utilisateur et par mois.",
    "Le ofrecemos un 20 % de descuento.",
    "The Team plan is 10 € per seat.",  # the currency after the amount, in English too
])
def test_a_price_quoted_in_any_language_is_refused(reply: str) -> None:
    assert "it quotes a price or discount; pricing questions go to the billing team" in reply_problems(
        reply, channel="web_form")


@pytest.mark.parametrize("reply", [
    "La función llegará en la próxima versión.",
    "Das kommt bald, es steht auf unserer Roadmap.",
])
def test_a_feature_promised_in_any_language_is_refused(reply: str) -> None:
    assert "it promises a feature or date the Help Centre does not describe" in reply_problems(
        reply, channel="web_form")


def test_the_assistants_own_words_and_the_help_centre_pass_in_every_language() -> None:
    from agent_app import wording
    from agent_app.language import ENGLISH, FRENCH, GERMAN, SPANISH
    from crm import selectors

    own = [wording.text(key, language, when="within one business day", title="Reset your password",
                        url="https://help.loomline.example/articles/reset-password", first="Ana", reference="T-1",
                        weekday="Friday", day="4", month="December", time="16:00", zone="CET")
           for language in (ENGLISH, GERMAN, FRENCH, SPANISH) for key in wording._TEXTS[ENGLISH]]
    for text in [*own, *selectors.help_centre_texts()]:
        assert reply_problems(text, channel="web_form") == [], text
