from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from crm import selectors, services
from crm.errors import AlreadyClaimed, IllegalTransition, InvalidInput
from crm.events import Topic
from crm.models import (
    REFERENCE_ALPHABET,
    Conversation,
    Customer,
    CustomerIdentifier,
    Message,
    OutboxEvent,
    ProcessingState,
    Ticket,
    TicketStatus,
    TicketStatusChangeError,
)
from crm.tests.factories import CustomerFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- identity ---------------------------------------------------------------------------


def test_new_email_creates_customer_with_normalised_identifier():
    customer = services.customer_resolve(email="  Ada.Lovelace@Example.COM ", name="Ada")
    assert customer.email == "ada.lovelace@example.com"
    assert list(customer.identifiers.values_list("kind", "value")) == [("email", "ada.lovelace@example.com")]


def test_same_email_in_other_case_is_same_customer():
    first = services.customer_resolve(email="ada@example.com")
    assert services.customer_resolve(email="ADA@example.com") == first
    assert Customer.objects.count() == 1


def test_phone_is_normalised_to_e164_and_whatsapp_prefix_dropped():
    customer = services.customer_resolve(phone="whatsapp:+49 151 1234 5678")
    assert customer.identifiers.get().value == "+4915112345678"
    assert services.customer_resolve(phone="+4915112345678") == customer


def test_one_submission_with_email_and_phone_links_both():
    customer = services.customer_resolve(email="grace@example.com", phone="+14155550123", name="Grace")
    assert set(customer.identifiers.values_list("kind", flat=True)) == {"email", "phone"}
    # Later contact by phone alone finds the same person.
    assert services.customer_resolve(phone="+1 415 555 0123") == customer


def test_known_phone_learns_new_email():
    by_phone = services.customer_resolve(phone="+14155550123")
    same = services.customer_resolve(phone="+14155550123", email="new@example.com")
    assert same == by_phone
    assert same.email == "new@example.com"
    assert services.customer_resolve(email="new@example.com") == by_phone


@pytest.mark.parametrize("stored_email", ["ana@example.com", "Ana@Example.com"])
def test_customer_with_the_email_but_no_identifier_is_found_and_linked(stored_email):
    # What staff create in the admin: the email field set, no identifier row. The
    # next message from that address used to create a second customer: a unique-email 500.
    entered = Customer.objects.create(name="Ana (entered by staff)", email=stored_email)

    found = services.customer_resolve(email="ANA@example.com", phone="+14155550123", name="Ana")

    assert found == entered and Customer.objects.count() == 1
    assert set(found.identifiers.values_list("kind", "value")) == {("email", "ana@example.com"),
                                                                 ("phone", "+14155550123")}
    assert services.customer_resolve(phone="+14155550123") == entered


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@b.com", "a b@c.com"])
def test_malformed_email_is_refused_and_nothing_written(email):
    with pytest.raises(InvalidInput) as err:
        services.customer_resolve(email=email)
    assert err.value.field == "email"
    assert "not a valid email" in err.value.message
    assert Customer.objects.count() == 0


def test_email_over_254_characters_is_refused_and_254_accepted():
    # Each part is well-formed, so Django's validator alone accepted this; the
    # database column did not, and the mail that carried it failed the whole sync.
    too_long = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "com"
    with pytest.raises(InvalidInput) as err:
        services.customer_resolve(email=too_long)
    assert err.value.field == "email" and "longer than 254 characters" in err.value.message
    assert Customer.objects.count() == 0

    longest = "a" * 64 + "@" + ("b" * 61 + ".") * 3 + "com"
    assert len(longest) == 254
    assert services.customer_resolve(email=longest).email == longest


@pytest.mark.parametrize("phone", ["12345", "+1 000", "call me maybe", "+99912345678901234"])
def test_malformed_phone_is_refused_and_nothing_written(phone):
    with pytest.raises(InvalidInput) as err:
        services.customer_resolve(phone=phone)
    assert err.value.field == "phone"
    assert Customer.objects.count() == 0


def _another_session_waits_for_a_lock(timeout: float = 10.0) -> bool:
    """True once some other connection to the test database is blocked on a lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction pg_stat_activity is a snapshot taken at first read.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                           " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "identity",
    [{"phone": "+14155550123"}, {"email": "new@example.com"}, {"email": "new@example.com", "phone": "+14155550123"}],
    ids=["phone", "email", "email-and-phone"],
)
def test_concurrent_first_messages_from_a_new_sender_make_one_customer(identity):
    # Two webhooks from someone new: the first has created the customer but not yet
    # committed when the second looks them up. Before the identifier lock the second
    # created a second customer (phone) or hit the unique email (a 500).
    barrier = threading.Barrier(2, timeout=10)
    outcomes: dict[str, object] = {}

    def first():
        try:
            with transaction.atomic():
                outcomes["first"] = services.inbound_message_accept(
                    channel="whatsapp", provider_id="SM-first", content="Hello?", **identity)
                barrier.wait()
                # Commit only once the second delivery is blocked behind us.
                outcomes["second_waited"] = _another_session_waits_for_a_lock()
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            outcomes["first"] = exc
        finally:
            connection.close()

    def second():
        try:
            barrier.wait()
            outcomes["second"] = services.inbound_message_accept(
                channel="whatsapp", provider_id="SM-second", content="Anyone there?", **identity)
        except Exception as exc:  # noqa: BLE001
            outcomes["second"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not isinstance(outcomes["first"], Exception), outcomes["first"]
    assert not isinstance(outcomes["second"], Exception), outcomes["second"]
    assert outcomes["second_waited"]
    customer = Customer.objects.get()
    assert {m.conversation.customer_id for m in Message.objects.select_related("conversation")} == {customer.pk}
    assert customer.identifiers.count() == len(identity)


def test_no_identifier_at_all_is_refused():
    with pytest.raises(InvalidInput):
        services.customer_resolve(name="Anonymous")


def test_identifier_value_is_unique_per_kind_in_the_database():
    customer = CustomerFactory(email="x@example.com")
    other = CustomerFactory(email="y@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerIdentifier.objects.create(customer=other, kind="email", value="x@example.com")
    assert CustomerIdentifier.objects.filter(value="x@example.com").get().customer == customer


# --- conversations ------------------------------------------------------------------------


def test_conversation_continues_across_channels_within_window():
    customer = services.customer_resolve(email="c@example.com", phone="+14155550123")
    first = services.conversation_for(customer=customer, channel="email")
    second = services.conversation_for(customer=customer, channel="whatsapp")
    assert first == second
    assert first.initial_channel == "email"


def test_conversation_after_window_is_new_and_old_one_closed(settings):
    settings.CONVERSATION_WINDOW_HOURS = 24
    customer = services.customer_resolve(email="c@example.com")
    old = services.conversation_for(customer=customer, channel="email", now=timezone.now() - timedelta(hours=30))
    new = services.conversation_for(customer=customer, channel="web_form")
    assert new != old
    old.refresh_from_db()
    assert old.status == "closed"


def test_unknown_channel_is_a_clear_error():
    customer = CustomerFactory()
    with pytest.raises(InvalidInput, match="Unknown channel 'fax'"):
        services.conversation_for(customer=customer, channel="fax")


# --- inbound and outbound messages -----------------------------------------------------------


def accept(**overrides):
    data = dict(channel="email", provider_id="gmail-1", content="How do I reset my password?",
                email="ada@example.com", name="Ada")
    data.update(overrides)
    return services.inbound_message_accept(**data)


def test_inbound_message_is_stored_with_two_outbox_events():
    result = accept()
    assert result.created
    message = result.message
    assert message.processing_state == ProcessingState.RECEIVED
    topics = sorted(OutboxEvent.objects.values_list("topic", flat=True))
    assert topics == sorted([Topic.TICKETS_INCOMING, Topic.EMAIL_INBOUND])
    event = OutboxEvent.objects.get(topic=Topic.TICKETS_INCOMING)
    assert event.payload["message_id"] == message.pk
    assert event.key == str(message.conversation.customer_id)


def test_inbound_message_is_idempotent_on_provider_id():
    first = accept()
    again = accept(content="different text, same id")
    assert not again.created
    assert again.message.pk == first.message.pk
    assert Message.objects.count() == 1
    assert OutboxEvent.objects.count() == 2


def test_same_provider_id_on_another_channel_is_another_message():
    accept(channel="email", provider_id="X1")
    accept(channel="whatsapp", provider_id="X1", email=None, phone="+14155550123")
    assert Message.objects.count() == 2


def test_inbound_unknown_channel_writes_nothing():
    with pytest.raises(InvalidInput):
        accept(channel="carrier-pigeon")
    assert Message.objects.count() == 0 and Customer.objects.count() == 0 and OutboxEvent.objects.count() == 0


def test_inbound_malformed_email_writes_nothing():
    with pytest.raises(InvalidInput):
        accept(email="nope")
    assert Message.objects.count() == 0 and OutboxEvent.objects.count() == 0


def test_inbound_without_provider_id_is_refused():
    with pytest.raises(InvalidInput, match="provider message id"):
        accept(provider_id="  ")


def test_inbound_text_postgres_would_refuse_is_cleaned_and_stored():
    # NUL and lone surrogates come from real mail (utf-7 "+2AA-", RFC 2047 "=00",
    # RFC 2231 "%00" filenames); PostgreSQL refuses both in text and jsonb.
    result = accept(
        content="hello \x00 \ud800 there \ud83d\ude00",
        subject="bad\x00nul \udfff",
        name="Ada\x00 \ud800",
        email_thread_id="thread\x00",
        metadata={"attachments": [{"name": "a\x00b.pdf", "type": "image/\ud800"}], "k\x00": ("x\x00",), "n": 3},
    )
    message = Message.objects.get(pk=result.message.pk)
    assert message.content == "hello  \ufffd there \U0001f600"
    assert message.subject == "badnul \ufffd"
    assert message.metadata == {"attachments": [{"name": "ab.pdf", "type": "image/\ufffd"}], "k": ["x"], "n": 3}
    assert message.conversation.email_thread_id == "thread"
    assert message.conversation.customer.name == "Ada \ufffd"


@pytest.mark.parametrize("provider_id", ["gmail\x00-1", "x" * 201])
def test_inbound_provider_id_that_cannot_be_stored_is_refused(provider_id):
    # Cleaning an id would make two different ids one, so it is refused instead.
    with pytest.raises(InvalidInput, match="provider message id is malformed"):
        accept(provider_id=provider_id)
    assert Message.objects.count() == 0


def test_provider_id_unique_per_channel_in_the_database():
    message = accept().message
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(conversation=message.conversation, channel="email", direction="inbound",
                               author="customer", provider_id="gmail-1")


def test_outbound_message_recorded_and_delivery_moves_forward_only():
    ticket = TicketFactory()
    reply = services.outbound_message_record(ticket=ticket, channel="email", content="Here is how.")
    assert reply.delivery_status == "pending"
    services.message_delivery_update(message=reply, status="delivered", provider_id="SM1")
    services.message_delivery_update(message=reply, status="sent")  # late callback
    reply.refresh_from_db()
    assert reply.delivery_status == "delivered"
    assert reply.provider_id == "SM1"
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


def test_outbound_empty_reply_is_refused():
    with pytest.raises(InvalidInput):
        services.outbound_message_record(ticket=TicketFactory(), channel="email", content="   ")


def test_claim_is_exclusive_and_lease_expires():
    message = accept().message
    assert services.message_claim(message_id=message.pk)
    assert not services.message_claim(message_id=message.pk)  # a duplicate delivery
    Message.objects.filter(pk=message.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert services.message_claim(message_id=message.pk)  # the worker died; the lease ran out
    services.message_finish(message_id=message.pk, state=ProcessingState.PROCESSED, latency_ms=12)
    assert not services.message_claim(message_id=message.pk)
    message.refresh_from_db()
    assert message.attempts == 2 and message.latency_ms == 12


# --- tickets -------------------------------------------------------------------------------------


def test_ticket_reference_is_random_and_quotable():
    refs = {TicketFactory().reference for _ in range(20)}
    assert len(refs) == 20
    for ref in refs:
        assert ref.startswith("TKT-") and len(ref) == 12
        assert set(ref[4:]) <= set(REFERENCE_ALPHABET)


def test_ticket_lifecycle_through_services_records_events():
    staff = UserFactory()
    customer = CustomerFactory()
    conversation = services.conversation_for(customer=customer, channel="web_form")
    ticket = services.ticket_open(customer=customer, conversation=conversation, channel="web_form")
    services.ticket_start(ticket=ticket)
    ticket = services.ticket_escalate(ticket=ticket, reason="refund_request", urgency="high",
                                      summary="Wants a refund for last month.")
    assert ticket.status == TicketStatus.ESCALATED and ticket.sla_due_at is not None
    ticket = services.ticket_assign(ticket=ticket, assignee=staff)
    ticket = services.ticket_resolve(ticket=ticket, notes="Refund handled by billing.")
    ticket = services.ticket_close(ticket=ticket)
    assert ticket.status == TicketStatus.CLOSED
    assert ticket.events.first().kind == "opened"
    statuses = list(ticket.events.filter(kind="status").values_list("to_status", flat=True))
    assert statuses == ["in_progress", "escalated", "resolved", "closed"]
    assert OutboxEvent.objects.filter(topic=Topic.ESCALATIONS).count() == 1


def test_illegal_transition_is_a_clear_error_and_writes_nothing():
    ticket = TicketFactory()
    services.ticket_close(ticket=ticket)
    events_before = ticket.events.count()
    with pytest.raises(IllegalTransition, match="cannot go from closed to resolved"):
        services.ticket_resolve(ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.events.count() == events_before


def test_status_cannot_change_by_bare_save():
    ticket = Ticket.objects.get(pk=TicketFactory().pk)
    ticket.status = TicketStatus.RESOLVED
    with pytest.raises(TicketStatusChangeError):
        ticket.save()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN


def test_status_check_constraint_in_database():
    ticket = TicketFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(status="bogus")


def test_escalation_with_unknown_reason_or_urgency_is_refused():
    ticket = TicketFactory()
    with pytest.raises(InvalidInput, match="Unknown escalation reason"):
        services.ticket_escalate(ticket=ticket, reason="bored", urgency="high", summary="x")
    with pytest.raises(InvalidInput, match="Unknown urgency"):
        services.ticket_escalate(ticket=ticket, reason="refund_request", urgency="asap", summary="x")
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_re_escalation_raises_urgency_and_moves_the_due_time_sooner_but_never_lowers_it(settings):
    settings.SLA_BUSINESS_HOURS = ""
    ticket = TicketFactory(source_channel="email")
    start = timezone.now()
    ticket = services.ticket_escalate(ticket=ticket, reason="knowledge_not_found", urgency="low",
                                      summary="first", now=start)
    assert ticket.sla_due_at == start + timedelta(hours=24)

    ticket = services.ticket_escalate(ticket=ticket, reason="security_incident", urgency="urgent",
                                      summary="a hard trigger", now=start + timedelta(minutes=5))
    assert (ticket.urgency, ticket.escalation_reason) == ("urgent", "security_incident")
    assert ticket.sla_due_at == start + timedelta(hours=1)  # counted from the escalation

    ticket = services.ticket_escalate(ticket=ticket, reason="security_incident", urgency="normal",
                                      summary="more context", packet={"via": "mcp"})
    assert ticket.urgency == "urgent" and ticket.sla_due_at == start + timedelta(hours=1)
    assert ticket.escalation_packet == {"via": "mcp"}  # first packet was empty; context is added, not replaced
    ticket = services.ticket_escalate(ticket=ticket, reason="security_incident", urgency="urgent",
                                      summary="again", packet={"message_id": 7})
    assert ticket.escalation_packet == {"via": "mcp", "message_id": 7}


def test_ticket_for_conversation_reuses_and_reopens():
    customer = CustomerFactory()
    conversation = services.conversation_for(customer=customer, channel="email")
    ticket, created = services.ticket_for_conversation(conversation=conversation, channel="email")
    assert created
    same, created = services.ticket_for_conversation(conversation=conversation, channel="whatsapp")
    assert same == ticket and not created
    services.ticket_resolve(ticket=ticket, by_ai=True)
    reopened, created = services.ticket_for_conversation(conversation=conversation, channel="email")
    assert reopened == ticket and not created and reopened.status == "open"
    services.ticket_close(ticket=reopened)
    fresh, created = services.ticket_for_conversation(conversation=conversation, channel="email")
    assert created and fresh != ticket


def test_assign_refuses_non_staff():
    user = UserFactory(is_staff=False)
    with pytest.raises(InvalidInput):
        services.ticket_assign(ticket=TicketFactory(), assignee=user)


def test_claim_by_second_staff_fails_but_force_reassigns():
    alice, bob = UserFactory(), UserFactory()
    ticket = TicketFactory()
    services.ticket_assign(ticket=ticket, assignee=alice)
    with pytest.raises(AlreadyClaimed):
        services.ticket_assign(ticket=ticket, assignee=bob)
    assert services.ticket_assign(ticket=ticket, assignee=bob, force=True).assignee == bob


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_only_one_wins():
    alice, bob = UserFactory(), UserFactory()
    ticket = TicketFactory()
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def claim(user):
        try:
            barrier.wait()
            services.ticket_assign(ticket=ticket, assignee=user)
            outcomes[user.username] = "won"
        except AlreadyClaimed:
            outcomes[user.username] = "lost"
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(u,)) for u in (alice, bob)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == ["lost", "won"]
    ticket.refresh_from_db()
    assert ticket.assignee.username == next(k for k, v in outcomes.items() if v == "won")


def test_sla_breach_marks_once_and_raises_urgency():
    ticket = TicketFactory()
    past = timezone.now() - timedelta(hours=10)
    services.ticket_escalate(ticket=ticket, reason="legal_language", urgency="normal", summary="GDPR letter", now=past)
    breached = services.ticket_mark_sla_breach(ticket=ticket)
    assert breached is not None and breached.urgency == "high" and breached.sla_breached_at
    assert services.ticket_mark_sla_breach(ticket=ticket) is None


# --- history selector ------------------------------------------------------------------------------


def test_history_is_cross_channel_newest_first_and_bounded():
    base = timezone.now() - timedelta(minutes=30)
    for i in range(5):
        services.inbound_message_accept(
            channel=["email", "whatsapp", "web_form"][i % 3], provider_id=f"p{i}", content=f"message {i}",
            email="h@example.com", phone="+14155550123", received_at=base + timedelta(minutes=i),
        )
    customer = Customer.objects.get()
    history = selectors.customer_history(customer_id=customer.pk, limit=3)
    assert [h["content"] for h in history] == ["message 4", "message 3", "message 2"]
    assert {h["channel"] for h in selectors.customer_history(customer_id=customer.pk)} == {
        "email", "whatsapp", "web_form"}
    assert Conversation.objects.count() == 1
