from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db  # the limits come from the channel settings

from agent_app.formatting import PART_SEPARATOR, format_for_channel, strip_markdown
from channels_app.styles import sendable_parts


def len_words(text: str) -> int:
    return len(text.split())

LONG = " ".join(f"Sentence number {i} explains one more detail about exporting your workspace." for i in range(200))
MARKDOWN = ("## Export\n**Go to** Settings → Data and click [Export workspace](https://help.loomline.example/export).\n"
            "* Choose CSV\n* Click `Start`\n\n<b>Done</b>")


def test_email_has_greeting_signature_reference_and_word_limit():
    text = format_for_channel(LONG, channel="email", customer_name="Ada Lovelace", ticket_reference="TKT-ABCDEFGH")
    assert text.startswith("Hi Ada,\n")
    assert text.rstrip().endswith("Best regards,\nLoomline Support")
    assert "TKT-ABCDEFGH" in text
    assert len_words(text) <= 500
    assert "Reply if you would like the rest" in text


def test_email_without_name_says_hello():
    assert format_for_channel("Here is how.", channel="email").startswith("Hello,\n")


def test_web_form_is_at_most_300_words_and_signed():
    text = format_for_channel(LONG, channel="web_form", customer_name="Grace")
    assert len_words(text) <= 300
    assert text.startswith("Hi Grace,") and text.rstrip().endswith("— Loomline Support")


def test_whatsapp_is_plain_and_split_into_numbered_parts_above_1600():
    text = format_for_channel(LONG, channel="whatsapp", customer_name="Sam")
    parts = sendable_parts(text)
    assert len(parts) > 1
    assert all(len(p) <= 1600 for p in parts)
    assert parts[0].startswith("(1/") and parts[-1].startswith(f"({len(parts)}/{len(parts)})")
    assert not text.startswith("Hi")


def test_whatsapp_short_reply_is_one_part():
    text = format_for_channel("Open Settings → Security.", channel="whatsapp")
    assert PART_SEPARATOR not in text and text == "Open Settings → Security."


@pytest.mark.parametrize("channel", ["email", "whatsapp", "web_form"])
def test_markdown_and_links_become_plain_text(channel):
    text = format_for_channel(MARKDOWN, channel=channel, customer_name="Ada")
    assert "**" not in text and "##" not in text and "`" not in text and "<b>" not in text
    assert "Export workspace (https://help.loomline.example/export)" in text
    assert "- Choose CSV" in text


def test_models_own_greeting_and_signoff_are_replaced():
    text = format_for_channel("Hi there!\n\nDo this.\n\nBest regards,\nBot", channel="email", customer_name="Ada")
    assert text.count("Hi") == 1 and "Bot" not in text


@pytest.mark.parametrize(("reply", "language", "opening"), [
    ("Hi! I'm Loomline's AI assistant. How can I help you today?", "en", "Hi Ada,\n\nI'm Loomline's AI assistant."),
    ("Bonjour ! Je suis l'assistant IA de Loomline.", "fr", "Bonjour Ada,\n\nJe suis l'assistant IA de Loomline."),
    ("¡Hola! Soy el asistente de IA de Loomline.", "es", "Hola, Ada:\n\nSoy el asistente de IA de Loomline."),
    ("Hi Ada! Here is how to export a project.", "en", "Hi Ada,\n\nHere is how to export a project."),
])
def test_a_reply_that_opens_by_greeting_is_not_greeted_twice(reply, language, opening):
    assert format_for_channel(reply, channel="email", customer_name="Ada Lovelace", language=language).startswith(opening)
    assert format_for_channel(reply, channel="whatsapp", language=language) == reply  # no greeting line of its own
    # A sentence that only starts with a greeting word is the reply itself.
    for kept in ("Hello world apps can't be connected. Use the API instead.", "Hi, yes! Go to Settings → Export.",
                 "Hola, sí. Vaya a Ajustes.", "Hey, that's odd. Try again.", "Hi Mr. Smith! Here is how."):
        assert kept in format_for_channel(kept, channel="email", customer_name="Ada Lovelace")


def test_unknown_channel_and_empty_text_are_errors():
    with pytest.raises(ValueError):
        format_for_channel("x", channel="fax")
    with pytest.raises(ValueError):
        format_for_channel("  **  ", channel="email")


def test_strip_markdown_keeps_bare_urls():
    assert strip_markdown("[https://x.example](https://x.example)") == "https://x.example"


def test_a_managers_channel_settings_drive_the_limits():
    from crm.models import ChannelConfig

    ChannelConfig.objects.create(channel="web_form", max_words=80)
    ChannelConfig.objects.create(channel="whatsapp", max_chars=500)
    assert len_words(format_for_channel(LONG, channel="web_form")) <= 80
    parts = sendable_parts(format_for_channel(LONG, channel="whatsapp"))
    assert len(parts) > 1 and all(len(p) <= 500 for p in parts)

    # A WhatsApp part can never exceed what Twilio takes, whatever is configured.
    ChannelConfig.objects.filter(channel="whatsapp").update(max_chars=5000)
    assert all(len(p) <= 1600 for p in sendable_parts(format_for_channel(LONG, channel="whatsapp")))


def test_underscores_inside_words_and_code_are_not_emphasis():
    assert strip_markdown("Send `given_name` and `family_name`.") == "Send given_name and family_name."
    assert strip_markdown("Secrets start with whsec_ and keys with lk_live_.") == \
        "Secrets start with whsec_ and keys with lk_live_."
    assert strip_markdown("This is _really_ **important** and *so* __bold__.") == \
        "This is really important and so bold."
    assert strip_markdown("Use `**not bold**` literally") == "Use **not bold** literally"
