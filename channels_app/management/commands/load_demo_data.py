"""Load demo customers, conversations and tickets for ``make run``. Safe to run again.

Every demo message has a fixed provider id (``demo-…``); a scenario whose first message
is already stored is skipped, so a rerun adds nothing. Everything goes through the CRM
services, like real traffic, except that the demo messages are marked processed at
once so the agent does not answer them again when the worker starts.

The desk gets customers on all three channels (one of them on two channels, resolved to
one customer), and tickets in several states: resolved, closed, in progress, open and
three escalated ones (refund, security incident, a customer asking for a person).
If ``context/sample-tickets.json`` exists, its first few entries are stored as fresh
inbound messages and left for the agent: when ``make run`` starts the worker, the agent
answers them (in sandbox mode), so the whole loop is visible in admin at once.
``--no-samples`` skips them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from crm import services
from crm.errors import CRMError
from crm.models import Channel, DeliveryStatus, EscalationReason, Message, ProcessingState, Ticket, Urgency


@dataclass
class Scenario:
    key: str
    channel: str
    name: str
    text: str
    email: str | None = None
    phone: str | None = None
    subject: str = ""
    category: str = ""
    priority: str = "medium"
    hours_ago: float = 2
    reply: str = ""
    # open | in_progress | resolved | closed | escalated, or "agent": left for the agent to answer
    outcome: str = "open"
    escalation: dict[str, Any] = field(default_factory=dict)


SCENARIOS = [
    Scenario(
        key="demo-email-ana-1", channel=Channel.EMAIL, name="Ana Díaz", email="ana.diaz@example.com",
        subject="Password reset email never arrives", category="account", hours_ago=26,
        text="Hi, I asked for a password reset three times this morning but no email arrives. "
             "I checked my spam folder too. Can you help?\n\nThanks, Ana",
        reply="Hi Ana,\n\nReset emails come from no-reply@loomline.example and can take up to 10 minutes. "
              "If your company filters mail, ask IT to allow that address, then request a new link: each new "
              "link cancels the earlier ones.\n\nYour reference: {ref}\n\nBest regards,\nLoomline Support",
        outcome="resolved",
    ),
    Scenario(
        key="demo-wa-ben-1", channel=Channel.WHATSAPP, name="Ben Okafor", phone="+14155550101", hours_ago=3,
        text="hey, how do I connect slack to one of my projects?",
        reply="Open the project, then Settings → Integrations → Slack → Connect, and pick the channel. "
              "On the Free plan you can connect up to 2 project–channel pairs.",
        outcome="in_progress",
    ),
    Scenario(
        key="demo-web-ben-2", channel=Channel.WEB_FORM, name="Ben Okafor", email="ben@okafor-studio.example",
        phone="+14155550101", subject="Slack notifications only for some tasks", category="integrations",
        hours_ago=2.5,
        text="Following up from WhatsApp: the Slack channel now gets every task update. Can I limit it to "
             "tasks that move to Done?",
        reply="Hi Ben,\n\nYes: in the project's Slack settings choose “Only selected events” and tick "
              "“Task completed”. Other updates will stay in Loomline.\n\n— Loomline Support",
        outcome="resolved",
    ),
    Scenario(
        key="demo-web-chloe-1", channel=Channel.WEB_FORM, name="Chloé Martin",
        email="chloe@atelier-martin.example", subject="Charged twice this month", category="billing",
        priority="high", hours_ago=5,
        text="Our card was charged twice for the Team plan on the 1st. Please refund the duplicate payment.",
        reply="Hi Chloé,\n\nThank you for letting us know. Billing questions are handled by our billing team, "
              "and I have passed your request to them with the details. They will reply on this ticket.\n\n"
              "— Loomline Support",
        outcome="escalated",
        escalation={"reason": EscalationReason.REFUND_REQUEST, "urgency": Urgency.HIGH,
                    "summary": "Customer reports a duplicate charge for the Team plan on the 1st and asks "
                               "for a refund of the duplicate. Needs billing to check the payment log."},
    ),
    Scenario(
        key="demo-email-dev-1", channel=Channel.EMAIL, name="Dev Patel", email="dev.patel@northwind.example",
        subject="Unknown sign-ins to our workspace", category="account", priority="high", hours_ago=1,
        text="Hello,\n\nOur audit log shows sign-ins to two admin accounts from an IP address in a country "
             "where we have no staff. We have reset the passwords. What else should we do, and can you tell "
             "us what was accessed?\n\nDev Patel\nIT lead, Northwind",
        outcome="escalated",
        escalation={"reason": EscalationReason.SECURITY_INCIDENT, "urgency": Urgency.URGENT,
                    "summary": "Possible account takeover: sign-ins to two admin accounts from an unknown "
                               "foreign IP. Customer reset passwords and asks what was accessed."},
    ),
    Scenario(
        key="demo-wa-eve-1", channel=Channel.WHATSAPP, name="Eve Schmidt", phone="+4917612345678", hours_ago=0.5,
        text="Third time this week the timeline view won't load. This is ridiculous. I want to talk to a person.",
        reply="I'm sorry about this, Eve. I've passed your message to a member of our team; they'll reply "
              "here shortly.",
        outcome="escalated",
        escalation={"reason": EscalationReason.EXPLICIT_HUMAN_REQUEST, "urgency": Urgency.NORMAL,
                    "summary": "Timeline view fails to load repeatedly (third time this week); customer is "
                               "frustrated and asked for a person."},
    ),
    Scenario(
        key="demo-email-gus-1", channel=Channel.EMAIL, name="Gus Lindqvist", email="gus@lindqvist.example",
        subject="Export a project as PDF", category="general", hours_ago=50,
        text="Is there a way to export a whole project as a PDF for a client meeting?",
        reply="Hi Gus,\n\nYes: open the project, choose ⋯ → Export → PDF, and pick the view to export. "
              "Large projects are emailed to you when the export is ready.\n\nYour reference: {ref}\n\n"
              "Best regards,\nLoomline Support",
        outcome="closed",
    ),
    Scenario(
        key="demo-web-farah-1", channel=Channel.WEB_FORM, name="Farah Haddad", email="farah@haddad-events.example",
        subject="CSV import says 'invalid date'", category="technical", priority="low", hours_ago=0.2,
        text="Importing tasks from a CSV stops at row 12 with 'invalid date'. The dates look like 03/04/2025.",
        outcome="open",
    ),
]

SAMPLE_TICKETS_FILE = Path(settings.BASE_DIR) / "context" / "sample-tickets.json"
SAMPLE_LIMIT = 5


class Command(BaseCommand):
    help = "Load idempotent demo data (customers, conversations, tickets incl. escalations) for make run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-samples", action="store_true", help="Skip the sample tickets.")
        parser.add_argument("--samples", default=str(SAMPLE_TICKETS_FILE), metavar="PATH",
                            help="Sample tickets file (default context/sample-tickets.json).")

    def handle(self, *args: Any, no_samples: bool = False, samples: str = "", **options: Any) -> None:
        created = 0
        for scenario in SCENARIOS:
            created += self._load(scenario)
        if not no_samples:
            for scenario in _sample_scenarios(Path(samples or SAMPLE_TICKETS_FILE)):
                created += self._load(scenario)
        total = Message.objects.filter(provider_id__startswith="demo-").count()
        self.stdout.write(self.style.SUCCESS(
            f"Demo data: {created} new scenario(s); {total} demo messages in the database."))

    @transaction.atomic
    def _load(self, s: Scenario) -> int:
        now = timezone.now()
        received = now - timedelta(hours=s.hours_ago)
        metadata: dict[str, Any] = {"demo": True}
        if s.channel == Channel.EMAIL:
            metadata.update({"gmail_id": s.key, "thread_id": f"{s.key}-thread", "from": s.email,
                             "message_id_header": f"<{s.key}@demo.loomline.example>", "references": [],
                             "subject": s.subject, "attachments": []})
        elif s.channel == Channel.WHATSAPP:
            metadata.update({"from": f"whatsapp:{s.phone}", "profile_name": s.name, "media": []})
        else:
            metadata.update(category=s.category, priority=s.priority, form="support")
        try:
            accepted = services.inbound_message_accept(
                channel=s.channel, provider_id=s.key, content=s.text, email=s.email, phone=s.phone, name=s.name,
                subject=s.subject, metadata=metadata,
                email_thread_id=metadata.get("thread_id", ""), received_at=received,
            )
        except CRMError as exc:
            self.stderr.write(f"skipped {s.key}: {exc.message}")
            return 0
        if not accepted.created:
            return 0
        message = accepted.message
        conversation = message.conversation
        if s.outcome == "agent":
            if s.channel == Channel.WEB_FORM:  # the form opens its ticket at once, as in webform_submit
                ticket = services.ticket_open(customer=conversation.customer, conversation=conversation,
                                              channel=s.channel, subject=s.subject, category=s.category,
                                              priority=s.priority)
                services.message_attach_to_ticket(message=message, ticket=ticket)
            return 1
        if s.channel == Channel.WEB_FORM:
            ticket = services.ticket_open(customer=conversation.customer, conversation=conversation,
                                          channel=s.channel, subject=s.subject, category=s.category,
                                          priority=s.priority)
        else:
            ticket, _ = services.ticket_for_conversation(conversation=conversation, channel=s.channel,
                                                         subject=s.subject, category=s.category,
                                                         priority=s.priority)
        services.message_attach_to_ticket(message=message, ticket=ticket)
        # Already handled: the worker must not answer demo messages again.
        services.message_finish(message_id=message.pk, state=ProcessingState.PROCESSED)
        if s.reply:
            self._reply(ticket, s, message)
        if s.outcome in ("in_progress", "resolved", "closed", "escalated") and ticket.status == "open":
            ticket = services.ticket_start(ticket=ticket)
        if s.outcome == "escalated":
            services.ticket_escalate(ticket=ticket, packet={"demo": True, "tried": ["search_knowledge_base"]},
                                     **s.escalation)
        elif s.outcome in ("resolved", "closed"):
            ticket = services.ticket_resolve(ticket=ticket, by_ai=True, notes="Answered by the AI agent (demo).")
            if s.outcome == "closed":
                services.ticket_close(ticket=ticket)
        return 1

    def _reply(self, ticket: Ticket, s: Scenario, inbound: Message) -> None:
        reply = services.outbound_message_record(
            ticket=ticket, channel=s.channel, content=s.reply.replace("{ref}", ticket.reference),
            subject=f"Re: {s.subject}" if s.subject and s.channel == Channel.EMAIL else "", reply_to=inbound,
        )
        status = DeliveryStatus.DELIVERED if s.channel == Channel.WEB_FORM else DeliveryStatus.SANDBOX
        services.message_delivery_update(message=reply, status=status, provider_id=f"{s.key}-reply",
                                         metadata={"demo": True})


def _sample_scenarios(path: Path) -> list[Scenario]:
    """Messages for the agent from ``context/sample-tickets.json`` (a list of objects), if present.

    Keys are read leniently: ``channel``, ``name``/``customer_name``, ``email``/
    ``customer_email``, ``phone``/``customer_phone``, ``subject``, ``message``/``content``/
    ``body``, ``category``, ``priority``. Entries that do not fit are skipped.
    """
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    entries = data.get("tickets", []) if isinstance(data, dict) else data
    scenarios = []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if len(scenarios) >= SAMPLE_LIMIT:
            break
        if not isinstance(entry, dict):
            continue
        customer = entry.get("customer") if isinstance(entry.get("customer"), dict) else {}

        def pick(*names: str, entry: dict = entry, customer: dict = customer) -> str:
            return next((str(v) for n in names for v in (entry.get(n), customer.get(n)) if v), "")

        channel = pick("channel", "source_channel").lower().replace("-", "_").replace("webform", "web_form")
        channel = {"gmail": "email", "web": "web_form", "form": "web_form"}.get(channel, channel)
        text = pick("message", "content", "body", "text")
        email, phone = pick("email", "customer_email"), pick("phone", "customer_phone", "whatsapp")
        if channel not in Channel.values or not text or not (email or phone):
            continue
        if channel == Channel.WHATSAPP and not phone:
            continue
        priority = pick("priority").lower()
        scenarios.append(Scenario(
            key=f"demo-sample-{pick('id') or index}"[:190], channel=channel, name=pick("name", "customer_name"),
            email=email or None, phone=phone if channel == Channel.WHATSAPP else (phone or None),
            subject=pick("subject")[:300], category=pick("category")[:40],
            priority=priority if priority in ("low", "medium", "high", "urgent") else "medium",
            text=text, hours_ago=0.1, outcome="agent",
        ))
    return scenarios
