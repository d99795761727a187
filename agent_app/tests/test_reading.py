from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent_app import policy, reading

PASTED_REPLY = ("On Mon, 2 Dec 2026 at 10:14, Loomline Support <support@loomline.example> wrote:\n"
                "> To update the card on your billing settings, open Settings, Billing, Payment method.\n"
                "> Your card on the billing settings page is charged on the renewal date.")


def _form_message(question: str, *, hours_ago: int) -> dict:
    return {"direction": "inbound", "channel": "web_form", "ticket": None,
            "created_at": (datetime.now(tz=UTC) - timedelta(hours=hours_ago)).isoformat(),
            "content": f"{question}\n\n{PASTED_REPLY}"}


def test_earlier_form_messages_are_read_without_their_pasted_threads() -> None:
    history = [_form_message("Can guests see our Gantt view?", hours_ago=2),
               _form_message("Where do I find the API rate limits?", hours_ago=5),
               {"direction": "outbound", "channel": "web_form", "content": "> kept as sent", "created_at": ""}]
    read = reading.history_for_agent(history)
    assert [h["content"] for h in read] == ["Can guests see our Gantt view?", "Where do I find the API rate limits?",
                                            "> kept as sent"]
    new = "How do I update the card on our billing settings?"
    # Our pasted reply shares the new question's words; the customer's own questions don't.
    assert policy.repeat_contacts(history=history, text=new, ticket_reference=None) == 2
    assert policy.repeat_contacts(history=read, text=new, ticket_reference=None) == 0


def test_whatsapp_is_read_as_stored_and_mail_without_its_thread() -> None:
    text = f"Question\n\n{PASTED_REPLY}"
    assert reading.text_for_agent(channel="whatsapp", content=text) == text
    assert reading.text_for_agent(channel="web_form", content=text) == "Question"
    # Gmail's copy was stripped when parsed; one that came another way (a dataset) is stripped here.
    assert reading.text_for_agent(channel="email", content=text) == "Question"


def test_a_mail_parsed_already_reads_as_parsed() -> None:
    from channels_app.email_parsing import build_text_email, parse_email

    raw = build_text_email(from_name="Ana", from_address="ana@example.com", to_address="support@loomline.example",
                           subject="Re: card", body=f"Thanks, that worked!\n\nAna\n\n{PASTED_REPLY}",
                           message_id="<r1@example.com>").as_bytes()
    parsed = parse_email(raw).text
    assert parsed.startswith("Thanks, that worked!") and "wrote:" not in parsed
    assert reading.text_for_agent(channel="email", content=parsed) == parsed
