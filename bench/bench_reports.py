"""Benchmark the report pages and the management API at 1,000,000 messages / 200,000 tickets.

    .venv/bin/python bench/bench_reports.py                 # the full size, then drops its database
    .venv/bin/python bench/bench_reports.py --tickets 20000 --keep   # smaller; keep the database

Everything happens in a database of its own (``bench_reports`` on the same PostgreSQL server,
embedded or ``DATABASE_URL``), created, migrated, filled with COPY and dropped at the end:
the development database is never touched. 90 days of traffic: 200,000 conversations with
one ticket each, 5 messages per ticket (inbound, AI or staff reply, follow-ups), an agent
metric per inbound message, the ticket events the lifecycle writes (opened, escalated,
assigned, resolved, reopened, feedback, SLA breaches), and the knowledge-gap vectors the
consumer would have stored. Then the hourly rollups are built (``rebuild_rollups``' code) and
every report page is requested in-process as a Support manager: server time per request
(view, queries, template), p50 and p95 over ``--requests`` after two warm-ups.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fte_project.settings")
os.environ.setdefault("FTE_DEV_MODE", "1")
os.environ.setdefault("FTE_NO_ENV_FILES", "1")

QUESTIONS = [  # knowledge-gap questions, a few phrasings per topic
    ["Can I export my board to PDF?", "How do I download a project as a PDF file?", "Print my timeline to PDF"],
    ["Do you have a dark mode?", "Can the app switch to a dark theme?", "Is there a night theme?"],
    ["What is the API rate limit?", "How many API calls per minute can I make?", "API throttling limits?"],
    ["Can I pay by bank transfer?", "Do you accept wire transfers?", "Invoice payment by bank?"],
    ["Is there an offline mode?", "Can I use the app without internet?", "Offline access on mobile?"],
    ["Can I merge two workspaces?", "How do I combine two teams into one workspace?", "Merge accounts?"],
    ["Do you support SAML with Okta?", "Okta single sign-on setup?", "SSO through Okta possible?"],
    ["Can I recover a deleted board?", "Undo deleting a project?", "Restore a board I removed"],
]
REASONS = ["knowledge_not_found"] * 3 + ["pricing_inquiry", "refund_request", "negative_sentiment",
                                         "explicit_human_request", "legal_language"]
CHANNELS = ["email"] * 40 + ["whatsapp"] * 35 + ["web_form"] * 25


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def use_database(name: str, *, create: bool) -> None:
    from django.db import connection, connections

    if create:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
    connections.close_all()
    connections["default"].settings_dict["NAME"] = name


def drop_database(name: str, original: str) -> None:
    from django.db import connection

    use_database(original, create=False)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


class Copier:
    """Rows for one table, written with COPY in chunks (column order from the model)."""

    def __init__(self, model, columns: list[str]) -> None:  # type: ignore[no-untyped-def]
        self.model, self.columns = model, columns
        self.buffer = io.StringIO()
        self.count = 0

    @staticmethod
    def _text(value) -> str:  # type: ignore[no-untyped-def]
        if value is None:
            return "\\N"
        if isinstance(value, bool):
            return "t" if value else "f"
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, (dict, list)):
            value = json.dumps(value)
        return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")

    def add(self, *values) -> None:  # type: ignore[no-untyped-def]
        self.buffer.write("\t".join(self._text(v) for v in values) + "\n")
        self.count += 1

    def flush(self) -> None:
        from django.db import connection

        data = self.buffer.getvalue()
        if not data:
            return
        self.buffer = io.StringIO()
        with connection.cursor() as cursor:
            cols = ", ".join(f'"{c}"' for c in self.columns)
            with cursor.cursor.copy(f'COPY "{self.model._meta.db_table}" ({cols}) FROM STDIN') as copy:
                copy.write(data)


def generate(*, tickets: int, days: int, seed: int) -> dict[str, int]:
    import numpy as np
    from django.contrib.auth.models import Group
    from django.db import connection

    from agent_app.embeddings import get_embedder
    from crm.models import (AgentMetric, Conversation, Customer, Message, Ticket, TicketEvent)
    from reporting.models import GapVector
    from reporting.tests.scenario import manager
    from crm.tests.factories import UserFactory

    rnd = random.Random(seed)
    now = datetime.now().astimezone()
    start = now - timedelta(days=days)
    staff = [UserFactory(username=f"agent{n}", first_name=f"Agent {n}") for n in range(10)]
    manager("bench-manager")
    Group.objects.get(name="Support managers")
    customers_n = max(1, tickets // 4)

    flat = [(topic, q) for topic, qs in enumerate(QUESTIONS) for q in qs]
    vectors = np.array(get_embedder().embed([q for _t, q in flat]), dtype=np.float32)
    embedder_name = get_embedder().name

    cust = Copier(Customer, ["id", "name", "email", "company", "plan", "created_at", "updated_at"])
    for c in range(1, customers_n + 1):
        cust.add(c, f"Customer {c}", f"c{c}@bench.example", "", "", start, start)
    cust.flush()

    conv = Copier(Conversation, ["id", "customer_id", "initial_channel", "status", "sentiment", "resolution_type",
                                 "started_at", "last_message_at", "ended_at", "email_thread_id"])
    tick = Copier(Ticket, ["id", "reference", "customer_id", "conversation_id", "source_channel", "subject", "category",
                           "priority", "status", "escalation_reason", "urgency", "urgency_rank", "escalation_summary",
                           "escalation_packet", "escalated_at", "assignee_id", "assigned_at", "sla_due_at",
                           "sla_breached_at", "resolution_notes", "first_response_at", "resolved_at", "closed_at",
                           "created_at", "updated_at"])
    msg = Copier(Message, ["id", "conversation_id", "ticket_id", "channel", "direction", "author", "staff_user_id",
                           "reply_to_id", "subject", "content", "provider_id", "processing_state", "claimed_until",
                           "attempts", "last_error", "delivery_status", "delivery_error_code", "latency_ms",
                           "tokens_used", "tool_calls", "metadata", "created_at", "processed_at", "sent_at"])
    met = Copier(AgentMetric, ["message_id", "ticket_id", "channel", "outcome", "escalation_reason", "model_name",
                               "latency_ms", "end_to_end_ms", "tokens_used", "tool_call_count", "knowledge_hits",
                               "top_score", "sentiment", "created_at"])
    ev = Copier(TicketEvent, ["ticket_id", "kind", "from_status", "to_status", "actor_id", "data", "created_at"])
    gap = Copier(GapVector, ["ticket_id", "text", "embedding_model", "embedding", "ticket_created_at", "channel",
                             "created_at"])
    msg_id = 0
    counts = {"messages": 0, "tickets": 0}
    for t in range(1, tickets + 1):
        created = start + timedelta(seconds=rnd.uniform(0, days * 86400 - 600))
        if created > now - timedelta(minutes=10):
            created = now - timedelta(minutes=rnd.uniform(10, 600))
        channel = rnd.choice(CHANNELS)
        customer = rnd.randint(1, customers_n)
        roll = rnd.random()
        escalated = roll < 0.2
        failed = 0.2 <= roll < 0.23
        reason = rnd.choice(REASONS) if escalated else ("processing_failed" if failed else "")
        urgency = rnd.choice(["low", "normal", "normal", "high", "urgent"]) if reason else ""
        assignee = rnd.choice(staff).pk if reason else None
        escalated_at = created + timedelta(seconds=rnd.uniform(5, 60)) if reason else None
        sla_due = escalated_at + timedelta(hours={"low": 24, "normal": 8, "high": 4, "urgent": 1}[urgency]) if reason else None
        staff_reply_at = escalated_at + timedelta(minutes=rnd.expovariate(1 / 90)) if reason else None
        breached = bool(reason) and staff_reply_at > sla_due
        resolved_at = (staff_reply_at + timedelta(minutes=rnd.uniform(5, 240)) if reason
                       else created + timedelta(seconds=rnd.uniform(20, 180)))
        if resolved_at > now:
            resolved_at = None
        reopened = not reason and rnd.random() < 0.05
        status = "resolved" if resolved_at and not reopened else ("escalated" if reason else "open")
        conv.add(t, customer, channel, "closed", round(rnd.uniform(-1, 1), 2), "ai" if not reason else "human",
                 created, created + timedelta(minutes=30), None, "")
        tick.add(t, f"TKT-B{t:08d}", customer, t, channel, "Question", "", "medium", status, reason, urgency,
                 {"urgent": 0, "high": 1, "normal": 2, "low": 3}.get(urgency, 9), "", {"message_id": msg_id + 1},
                 escalated_at, assignee, escalated_at, sla_due, sla_due if breached else None, "",
                 created + timedelta(seconds=40), resolved_at, None, created, created)
        topic = rnd.randrange(len(QUESTIONS))
        question = rnd.choice(QUESTIONS[topic]) if reason == "knowledge_not_found" else f"Help with order {t}"
        # five messages: question, answer, follow-up, answer, thanks
        at = created
        for n in range(5):
            msg_id += 1
            inbound = n % 2 == 0
            author = "customer" if inbound else ("staff" if reason and n == 3 else "agent")
            when = at if n == 0 else (staff_reply_at if author == "staff" else at + timedelta(seconds=30 * n + 10))
            msg.add(msg_id, t, t, channel, "inbound" if inbound else "outbound", author,
                    assignee if author == "staff" else None, None, "", question if n == 0 else "Thanks, and one more thing",
                    f"b{msg_id}", "processed" if inbound else "", None, 1 if inbound else 0, "",
                    "" if inbound else "sent", "", None, None, [], {}, when, when if inbound else None,
                    None if inbound else when)
            if inbound and n < 4:
                outcome = "escalated" if reason and n == 0 else ("failed" if failed and n == 0 else "answered")
                model = rnd.choice(["gpt-4o", "gpt-4o", "gpt-4o-mini"])
                met.add(msg_id, t, channel, outcome, reason if n == 0 else "", model, int(rnd.uniform(800, 4000)),
                        int(rnd.lognormvariate(3.6, 0.5) * 1000), int(rnd.uniform(800, 3000)), 3, 2, 0.6,
                        round(rnd.uniform(-1, 1), 2), when)
        counts["messages"] += 5
        ev.add(t, "opened", "", "open", None, {"channel": channel}, created)
        if reason:
            ev.add(t, "status", "open", "escalated", None, {"reason": reason}, escalated_at)
            ev.add(t, "escalated", "", "", None, {"reason": reason, "urgency": urgency, "again": False}, escalated_at)
            ev.add(t, "assigned", "", "", assignee, {"assignee": assignee, "force": False},
                   escalated_at + timedelta(minutes=5))
            if breached:
                ev.add(t, "sla_breached", "", "", None, {"urgency": urgency}, sla_due)
            if resolved_at:
                ev.add(t, "status", "escalated", "resolved", assignee, {"by_ai": False}, resolved_at)
            if reason == "knowledge_not_found":
                idx = [i for i, (tp, q) in enumerate(flat) if q == question][0]
                noisy = vectors[idx] + np.random.default_rng(t).normal(0, 0.02, vectors.shape[1]).astype(np.float32)
                noisy /= np.linalg.norm(noisy)
                gap.add(t, question, embedder_name, "[" + ",".join(f"{x:.5f}" for x in noisy) + "]", created, channel,
                        created)
        elif resolved_at:
            ev.add(t, "status", "open", "resolved", None, {"by_ai": True}, resolved_at)
            if reopened:
                ev.add(t, "status", "resolved", "open", None, {"reason": "customer wrote again"},
                       resolved_at + timedelta(hours=2))
            elif rnd.random() < 0.1:
                ev.add(t, "feedback", "", "", None, {"helpful": True}, resolved_at + timedelta(minutes=5))
        counts["tickets"] += 1
        if t % 20_000 == 0:  # all tables together, parents first: the foreign keys are checked per COPY
            for copier in (conv, tick, msg, met, ev, gap):
                copier.flush()
            log(f"  {t:,} tickets stored")
    for copier in (conv, tick, msg, met, ev, gap):
        copier.flush()
    with connection.cursor() as cursor:
        for table in ("crm_customer", "crm_conversation", "crm_ticket", "crm_message"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cursor.execute("ANALYZE")
    counts.update(events=ev.count, metrics=met.count, gap_vectors=gap.count)
    return counts


def build_rollups(days: int) -> float:
    from django.utils import timezone

    from reporting.rollups import rollups_store

    started = time.perf_counter()
    now = timezone.now()
    for n in range(days + 1, 0, -1):
        end = now - timedelta(days=n - 1)
        rollups_store(start=end - timedelta(days=1), end=end)
    return time.perf_counter() - started


def time_pages(requests: int) -> list[tuple[str, float, float, int]]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from rest_framework.authtoken.models import Token

    boss = get_user_model().objects.get(username="bench-manager")
    client = Client()
    client.force_login(boss)
    token = Token.objects.get_or_create(user=boss)[0].key
    urls = [f"/reports/{page}?range={r}" for page in ("", "gaps/", "people/", "cost/")
            for r in ("today", "7d", "30d")]
    urls += ["/reports/?range=30d&channel=whatsapp", "/reports/export/messages-per-day.csv?range=30d",
             "/metrics/channels?hours=24", "/metrics/channels?hours=720"]
    results = []
    for url in urls:
        headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if url.startswith("/metrics") else {}
        timings = []
        for n in range(requests + 2):
            started = time.perf_counter()
            response = client.get(url, **headers)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (url, response.status_code)
            if n >= 2:
                timings.append(elapsed)
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(round(0.95 * len(timings) + 0.5)) - 1)]
        results.append((url, statistics.median(timings), p95, len(timings)))
        log(f"  {url}: p50 {results[-1][1]:.0f} ms, p95 {p95:.0f} ms")
    return results


def report(results: list[tuple[str, float, float, int]]) -> None:
    print("\n| request | p50 ms | p95 ms | n |\n|---|---:|---:|---:|")
    for url, p50, p95, n in results:
        print(f"| `{url}` | {p50:.0f} | {p95:.0f} | {n} |")
    worst = max(p95 for _u, _p, p95, _n in results)
    print(f"\nworst p95: {worst:.0f} ms ({'under' if worst < 300 else 'OVER'} the 300 ms target); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database", default="bench_reports")
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database afterwards")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--reuse", action="store_true",
                        help="Time the pages on a database kept by an earlier --keep run (migrated first)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    original = connections["default"].settings_dict["NAME"]
    use_database(args.database, create=not args.reuse)
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        log(f"migrated {args.database} in {time.perf_counter() - started:.1f}s")
        if args.reuse:
            log(f"hourly rollups of the last 2 days refreshed in {build_rollups(1):.1f}s")
            report(time_pages(args.requests))
            return
        started = time.perf_counter()
        counts = generate(tickets=args.tickets, days=args.days, seed=args.seed)
        log(f"generated {counts} in {time.perf_counter() - started:.1f}s")
        from reporting.gap_vectors import gap_clusters_rebuild

        started = time.perf_counter()
        log(f"{gap_clusters_rebuild()} knowledge-gap clusters (as the consumer builds them online) "
            f"in {time.perf_counter() - started:.1f}s")
        log(f"hourly rollups of {args.days} days built in {build_rollups(args.days):.1f}s")
        report(time_pages(args.requests))
    finally:
        if not args.keep:
            drop_database(args.database, original)
            log(f"dropped {args.database}")


if __name__ == "__main__":
    main()
