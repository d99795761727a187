"""Benchmark knowledge search at 50,000 chunks: hybrid latency, HNSW latency and recall.

    FTE_DEV_MODE=1 .venv/bin/python bench/bench_search.py                 # 50,000 chunks, 300 queries
    FTE_DEV_MODE=1 .venv/bin/python bench/bench_search.py --chunks 5000   # a quick run
    FTE_DEV_MODE=1 .venv/bin/python bench/bench_search.py --json          # raw numbers only

It never touches the development database. With the embedded PostgreSQL it
creates (once) a separate database, ``fte_bench`` by default (``--db``), on
the same server and migrates it; with ``DATABASE_URL`` set it refuses to run
unless ``--database-url`` names the database to use, so a production or dev
URL in the environment cannot be filled with 50,000 synthetic rows.

The corpus: the real help centre (context/product-docs.md, ingested with
``ingest_paths``) plus synthetic articles until there are ``--chunks`` chunks.
Synthetic sections recombine the help centre's own sentences with varied
product areas, platforms, plans and integrations, mixed with templated
support prose, so vectors cluster the way real help-centre text does (random
i.i.d. vectors would make HNSW recall look worse than it is). Every chunk is
embedded with the real local model; vectors are cached under var/bench/ in
blocks keyed by a hash of the model and the texts, so a rerun skips the
(slow) embedding and a rerun on an already filled database skips the load.

Measured, warm, over ``--queries`` realistic questions (our own paraphrases,
the sample tickets, templated questions about the synthetic articles):

* hybrid search SQL (both retrievers + fusion, one statement, vector given);
* ``search_knowledge()`` end to end (query embedding + SQL + fusion);
* the query embedding alone;
* vector-only HNSW top-10 for several ``hnsw.ef_search`` values, with
  recall@10 against exact search (computed exactly in numpy over the same
  stored vectors), and exact search in PostgreSQL (index off) for scale.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
MARKER_SLUG = "bench-corpus-marker"
EF_SEARCH_VALUES = (10, 20, 40, 80, 120, 200)

# -- vocabulary for the synthetic articles ------------------------------------

AREAS = ["board", "project", "doc", "task list", "timeline", "form", "dashboard", "sprint", "goal", "portfolio",
         "automation", "template", "report", "calendar view", "whiteboard", "inbox", "wiki page", "roadmap",
         "checklist", "approval flow", "time sheet", "workload view", "custom field", "saved filter", "label"]
PLATFORMS = ["web app", "desktop app for macOS", "desktop app for Windows", "iOS app", "Android app",
             "browser extension"]
PLANS = ["Free", "Team", "Business", "Enterprise"]
INTEGRATIONS = ["Slack", "Microsoft Teams", "Google Drive", "Dropbox", "Jira", "GitHub", "GitLab", "Zapier",
                "Salesforce", "HubSpot", "Figma", "Zoom", "Outlook", "Box", "OneDrive", "Intercom"]
VERBS = ["create", "rename", "archive", "duplicate", "share", "export", "import", "restore", "move", "lock",
         "filter", "sort", "group", "assign", "schedule", "automate", "tag", "pin", "embed", "print"]
PROBLEMS = ["won't load", "shows an error", "is out of date", "is missing items", "is very slow",
            "doesn't save changes", "shows the wrong dates", "can't be opened by guests"]
ROLES = ["Owner", "Admin", "Member", "Guest", "Billing admin"]
CATEGORIES = ["account", "team", "billing", "data", "notifications", "integrations", "mobile", "performance",
              "limits", "security", "troubleshooting", "workflows", "views", "automation"]
SECTION_NAMES = ["Before you start", "Steps", "On mobile", "Permissions", "Limits", "Troubleshooting",
                 "Frequently asked questions", "What changes for your team", "Good to know", "Undo a mistake"]
TITLE_TEMPLATES = [
    "{Verb} a {area} in the {platform}", "{Integration} integration: {verb} {area}s", "Troubleshoot a {area} that {problem}",
    "{Area}s on the {plan} plan", "Who can {verb} {area}s", "Use {area}s with {integration}",
    "{Verb} {area}s in bulk", "Keyboard shortcuts for {area}s", "Set up {area}s for a new team",
]
SENTENCE_TEMPLATES = [
    "Open the {area} and click **{Verb}** in the toolbar at the top right.",
    "Only {role}s can {verb} a {area} on the {plan} plan; other people see the option greyed out.",
    "In the {platform}, tap the three dots next to the {area} name and choose {Verb}.",
    "If the {area} {problem}, reload the page and check https://status.loomline.example for incidents.",
    "Changes sync to the {platform} within a few seconds once you are back online.",
    "{Integration} needs an Admin to approve the connection the first time you {verb} a {area}.",
    "On the {plan} plan a workspace can hold up to {n} {area}s; archived ones don't count.",
    "You can undo it for {m} minutes from the notification that appears at the bottom of the screen.",
    "Guests only see {area}s that were shared with them directly, never the whole workspace.",
    "Everything you {verb} is recorded in the audit log on the Enterprise plan.",
    "The {area} keeps its comments, attachments and history when you {verb} it.",
    "To {verb} several {area}s at once, select them with Shift-click and use the bulk actions bar.",
    "We email the {role} of the workspace when a {area} is {verb}d, so nobody is surprised.",
    "Large {area}s with more than {n} items can take up to a minute to {verb}.",
    "If {integration} shows \"permission denied\", disconnect it under Settings → Integrations and connect again.",
]


def words_of_titles(text: str) -> str:
    return text[:1].upper() + text[1:]


class CorpusBuilder:
    """Deterministic synthetic help-centre articles, built from the real ones."""

    def __init__(self, *, seed: int, real_sentences: list[str]) -> None:
        self.rng = random.Random(seed)
        self.real_sentences = real_sentences

    def _slots(self) -> dict[str, str]:
        rng = self.rng
        slots = {
            "area": rng.choice(AREAS), "platform": rng.choice(PLATFORMS), "plan": rng.choice(PLANS),
            "integration": rng.choice(INTEGRATIONS), "verb": rng.choice(VERBS), "problem": rng.choice(PROBLEMS),
            "role": rng.choice(ROLES), "n": str(rng.choice([50, 100, 250, 500, 1000, 5000, 10000])),
            "m": str(rng.choice([5, 10, 15, 30, 60])),
        }
        slots.update({k.capitalize(): words_of_titles(v) for k, v in list(slots.items())})
        return slots

    def _real(self, slots: dict[str, str]) -> str:
        # A real help-centre sentence, moved to this article's subject.
        sentence = self.rng.choice(self.real_sentences)
        for noun in ("board", "project", "task", "doc"):
            sentence = re.sub(rf"\b{noun}\b", slots["area"], sentence)
        return sentence

    def article(self, number: int) -> tuple[str, str, str, list[tuple[str, str]]]:
        """(slug, title, category, [(section heading, text)])."""
        slots = self._slots()
        title = words_of_titles(self.rng.choice(TITLE_TEMPLATES).format(**slots))
        sections: list[tuple[str, str]] = []
        for name in ["", *self.rng.sample(SECTION_NAMES, self.rng.randint(3, 8))]:
            sentences = []
            for _ in range(self.rng.randint(2, 6)):
                if self.rng.random() < 0.45:
                    sentences.append(self._real(slots))
                else:
                    local = slots | {k: v for k, v in self._slots().items() if k in ("n", "m", "role", "problem")}
                    sentences.append(self.rng.choice(SENTENCE_TEMPLATES).format(**local))
            if self.rng.random() < 0.3:
                text = "\n".join(f"{i}. {s}" for i, s in enumerate(sentences, 1))
            else:
                text = " ".join(sentences)
            sections.append((name, text))
        return f"bench-{number:05d}", title[:300], self.rng.choice(CATEGORIES), sections


def real_sentences(articles: Sequence[Any]) -> list[str]:
    found: list[str] = []
    for article in articles:
        for chunk in article.chunks:
            for line in chunk.text.split("\n"):
                line = re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", line).strip()
                found.extend(s for s in re.split(r"(?<=[.!?])\s+", line) if len(s.split()) >= 6)
    return found


QUESTION_TEMPLATES = [
    "how do I {verb} a {area} in the {platform}?", "{integration} not working with our {area}s",
    "what's the limit of {area}s on the {plan} plan", "can a guest {verb} a {area}?",
    "my {area} {problem}, what should I do", "who is allowed to {verb} {area}s in our workspace",
    "is there a way to {verb} many {area}s at once", "{verb} {area} {platform}",
]
OWN_QUESTIONS = [
    "I forgot my password, how can I get a new one?", "password reset link expired",
    "it says too many attempts try again in 15 minutes", "how do I turn on 2FA with an authenticator app",
    "I lost my phone with the authenticator app", "configure SAML single sign-on with Okta",
    "change the email address I log in with", "close my account permanently", "add my colleagues to our workspace",
    "what can a member do compared to an admin", "remove someone who left the company",
    "make another person the owner of the workspace", "can external clients see only one project",
    "where do I find my invoices as PDF", "our credit card expired", "add our VAT number to invoices",
    "do guests count as paid seats", "downgrade to the free plan", "import tasks from a spreadsheet",
    "migrate our boards from Trello", "download a backup of our workspace", "print a project as a PDF",
    "restore a deleted task", "how long do you keep our data after we cancel", "fewer notification emails",
    "mute one noisy project", "connect Loomline to Slack", "slack channel stopped receiving messages",
    "webhook when a task changes", "verify the HMAC signature of webhooks", "are webhook deliveries retried",
    "create a personal access token", "HTTP 429 too many requests from the API", "automate with Zapier",
    "task due dates in Google Calendar", "link pull requests to tasks", "is there an Android app",
    "use the app offline on a plane", "my edits conflicted with a colleague", "no push notifications on iPhone",
    "which browsers are supported", "board with thousands of cards is slow", "clear cache and cookies",
    "how many projects on the free plan", "maximum attachment size", "we ran out of storage",
    "see who deleted a project", "allow logins only from our office IP", "is data encrypted at rest",
    "sign out all other devices", "report a security vulnerability", "blank white page after login",
    "stuck on reconnecting", "I never get any emails from you",
]


def queries(*, count: int, seed: int) -> list[str]:
    """Realistic questions: our own, the sample tickets, and ones about the synthetic articles."""
    rng = random.Random(seed)
    found = list(OWN_QUESTIONS)
    tickets = ROOT / "context" / "sample-tickets.json"
    if tickets.exists():
        for ticket in json.loads(tickets.read_text(encoding="utf-8")):
            text = " ".join(f"{ticket.get('subject') or ''} {ticket.get('content') or ''}".split())
            if text:
                found.append(text[:2000])
    builder = CorpusBuilder(seed=seed + 1, real_sentences=["x"])
    while len(found) < count:
        found.append(rng.choice(QUESTION_TEMPLATES).format(**builder._slots()))
    rng.shuffle(found)
    return found[:count]


# -- database ------------------------------------------------------------------


def prepare_database(args: argparse.Namespace) -> str:
    """Point Django at the benchmark database (created if needed); return a description."""
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
        return args.database_url.rsplit("/", 1)[-1]
    if os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL is set: pass --database-url explicitly with the database the benchmark may fill.")
    if args.db in ("postgres", "template0", "template1"):
        sys.exit(f"refusing to fill {args.db!r}: that is the development database")
    sys.path.insert(0, str(ROOT))
    from fte_project import embedded_pg

    socket_dir = embedded_pg.ensure_running()
    import psycopg

    with psycopg.connect(host=str(socket_dir), dbname="postgres", user="postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.db]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{args.db}"')
    os.environ["EMBEDDED_DB_NAME"] = args.db
    return f"{args.db} (embedded PostgreSQL, {socket_dir})"


def cached_embeddings(texts: list[str], *, embedder: Any, progress: bool, block: int = 1024) -> Any:
    """Vectors for ``texts``, from var/bench/ when this model embedded these exact texts before."""
    import numpy as np
    from tqdm import tqdm

    CACHE.mkdir(parents=True, exist_ok=True)
    out = np.empty((len(texts), embedder.dimension), dtype=np.float32)
    todo: list[tuple[int, Path]] = []
    for start in range(0, len(texts), block):
        digest = hashlib.sha256(embedder.name.encode())
        for text in texts[start : start + block]:
            digest.update(b"\0" + text.encode())
        path = CACHE / f"vectors-{digest.hexdigest()[:24]}.npy"
        if path.exists():
            out[start : start + block] = np.load(path)
        else:
            todo.append((start, path))
    with tqdm(total=sum(min(block, len(texts) - s) for s, _p in todo), desc="Embedding corpus", unit="chunk",
              disable=not progress) as bar:
        for start, path in todo:
            part = np.asarray(embedder.embed(texts[start : start + block]), dtype=np.float32)
            np.save(path, part)
            out[start : start + block] = part
            bar.update(len(part))
    return out


def fill(*, target: int, seed: int, progress: bool) -> dict[str, Any]:
    """Load the real help centre plus synthetic articles up to ``target`` chunks (skipped if already there)."""
    import numpy as np
    from django.db import connection, transaction

    from agent_app.embeddings import LocalMiniLMEmbedder, get_embedder
    from agent_app.knowledge.chunking import chunk_article
    from agent_app.knowledge.ingestion import ingest_paths
    from agent_app.knowledge.parsing import parse_markdown
    from agent_app.knowledge.search_statistics import refresh_search_statistics
    from crm.models import KnowledgeArticle, KnowledgeChunk

    docs = ROOT / "context" / "product-docs.md"
    real = parse_markdown(docs.read_text(encoding="utf-8"), source="context/product-docs.md")
    builder = CorpusBuilder(seed=seed, real_sentences=real_sentences(real))
    real_chunks = sum(len(a.chunks) for a in real)
    articles: list[tuple[str, str, str, str, list[Any]]] = []
    total, number, seen = real_chunks, 0, set()
    while total < target:
        slug, title, category, sections = builder.article(number)
        number += 1
        body = "\n\n".join(f"### {name}\n\n{text}" if name else text for name, text in sections)
        chunks = [c for c in chunk_article(title=title, body=body) if c.embed_text not in seen][: target - total]
        seen.update(c.embed_text for c in chunks)
        if chunks:
            articles.append((slug, title, category, body, chunks))
            total += len(chunks)
    corpus_hash = hashlib.sha256(
        json.dumps([get_embedder().name, real_chunks, [(a[0], a[3]) for a in articles]]).encode()
    ).hexdigest()

    marker = KnowledgeArticle.objects.filter(slug=MARKER_SLUG).first()
    if marker and marker.content_hash == corpus_hash[:64]:
        ingest_paths([docs], progress=False)  # the help centre may have changed; cheap when it has not
        return {"loaded": False, "chunks": KnowledgeChunk.objects.count(), "synthetic_articles": len(articles)}

    texts = [c.embed_text for a in articles for c in a[4]]
    # The bench's own instance of the same model, on both cores: vectors do
    # not depend on batch size or threads (padding is masked out).
    embedder = LocalMiniLMEmbedder(batch_size=8, threads=int(os.environ.get("EMBEDDING_THREADS", "2")))
    started = time.perf_counter()
    vectors = cached_embeddings(texts, embedder=embedder, progress=progress)
    embed_seconds = time.perf_counter() - started

    from tqdm import tqdm

    started = time.perf_counter()
    KnowledgeArticle.objects.filter(slug__startswith="bench-").delete()
    ingest_paths([docs], progress=progress)
    with connection.cursor() as cursor:
        # Bulk load, then build the index once: far faster than 50,000
        # incremental HNSW inserts. Same definition as the migration.
        cursor.execute("DROP INDEX IF EXISTS chunk_embedding_hnsw")
    row = 0
    with tqdm(total=len(texts), desc="Loading", unit="chunk", disable=not progress) as bar:
        for start in range(0, len(articles), 500):
            batch = articles[start : start + 500]
            with transaction.atomic():
                created = KnowledgeArticle.objects.bulk_create(
                    [KnowledgeArticle(slug=slug, title=title, category=category, body=body, source="bench",
                                      content_hash="") for slug, title, category, body, _c in batch]
                )
                rows = []
                for article, (_s, _t, _c, _b, chunks) in zip(created, batch, strict=True):
                    for chunk in chunks:
                        rows.append(KnowledgeChunk(
                            article=article, position=chunk.position, heading=chunk.heading, text=chunk.text,
                            content_hash=hashlib.sha256(chunk.embed_text.encode()).hexdigest(),
                            embedding_model=embedder.name, embedding=vectors[row],
                        ))
                        row += 1
                KnowledgeChunk.objects.bulk_create(rows, batch_size=1000)
            bar.update(len(rows))
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        build = time.perf_counter()
        cursor.execute(
            "CREATE INDEX chunk_embedding_hnsw ON crm_knowledgechunk "
            "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
        )
        index_seconds = time.perf_counter() - build
        cursor.execute("RESET maintenance_work_mem")
    refresh_search_statistics()
    # bulk_create, not save(): no post_save, so no re-embedding task is sent.
    KnowledgeArticle.objects.bulk_create([KnowledgeArticle(
        slug=MARKER_SLUG, title="Benchmark corpus marker", body="", source="bench-marker",
        content_hash=corpus_hash[:64],
    )])
    assert np.isfinite(vectors).all()
    return {
        "loaded": True, "chunks": KnowledgeChunk.objects.count(), "synthetic_articles": len(articles),
        "embed_seconds": round(embed_seconds, 1), "load_seconds": round(time.perf_counter() - started, 1),
        "hnsw_build_seconds": round(index_seconds, 1),
    }


# -- measuring -----------------------------------------------------------------


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 2)

    return {"p50": pct(50), "p95": pct(95), "p99": pct(99), "mean": round(statistics.fmean(ordered), 2),
            "max": round(ordered[-1], 2), "n": len(ordered)}


def timed(calls: Sequence[Callable[[], Any]], *, desc: str, progress: bool, rounds: int = 2) -> list[float]:
    """Run every call once to warm up, then ``rounds`` times timed; milliseconds."""
    from tqdm import tqdm

    for call in calls:
        call()
    samples: list[float] = []
    with tqdm(total=len(calls) * rounds, desc=desc, unit="q", disable=not progress) as bar:
        for _ in range(rounds):
            for call in calls:
                started = time.perf_counter()
                call()
                samples.append((time.perf_counter() - started) * 1000)
                bar.update()
    return samples


def vector_top(vector_literal: str, *, ef_search: int, exact: bool = False, k: int = 10) -> list[int]:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if exact:
            cursor.execute("SELECT set_config('enable_indexscan', 'off', true)")
        else:  # as search_knowledge() does
            cursor.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(ef_search)])
            cursor.execute("SELECT set_config('enable_seqscan', 'off', true)")
        cursor.execute(
            "SELECT id FROM crm_knowledgechunk WHERE embedding IS NOT NULL "
            "ORDER BY embedding <=> %s::vector LIMIT %s",
            [vector_literal, k],
        )
        return [row[0] for row in cursor.fetchall()]


def machine() -> dict[str, Any]:
    from django.db import connection

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        pgvector = cursor.fetchone()[0]
    mem = ""
    try:
        mem = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        pass
    return {
        "cpus": os.cpu_count(), "cpu": cpu, "memory": mem.split(":", 1)[-1].strip(),
        "python": platform.python_version(), "postgresql": server, "pgvector": pgvector,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def histogram(path: Path, series: dict[str, list[float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.2))
    top = max(percentiles(s)["p99"] for s in series.values()) * 1.2
    bins = [top * i / 60 for i in range(61)]
    for label, samples in series.items():
        ax.hist([min(s, top) for s in samples], bins=bins, alpha=0.55, label=label)
    ax.set_xlabel("latency (ms); values above the range are counted in the last bin")
    ax.set_ylabel("queries")
    ax.set_title("Knowledge search latency at 50,000 chunks (warm)")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--db", default="fte_bench", help="Database on the embedded server (default fte_bench)")
    parser.add_argument("--database-url", default=None, help="Use this database instead of the embedded one")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=2, help="Timed passes over the queries (after a warm-up)")
    parser.add_argument("--histogram", default=str(ROOT / "docs" / "img" / "search-latency.png"))
    parser.add_argument("--json", action="store_true", help="Print only the JSON result")
    args = parser.parse_args()
    progress = not args.json and sys.stderr.isatty()

    os.environ.setdefault("FTE_DEV_MODE", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fte_project.settings")
    database = prepare_database(args)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import numpy as np
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from agent_app.embeddings import get_embedder
    from agent_app.knowledge.search import _fuse, _search_rows, _vector_literal, search_knowledge

    call_command("migrate", verbosity=0)
    facts = machine()
    corpus = fill(target=args.chunks, seed=args.seed, progress=progress)

    embedder = get_embedder()
    questions = queries(count=args.queries, seed=args.seed)
    query_vectors = [embedder.embed_one(" ".join(q.split())) for q in questions]
    literals = [_vector_literal(v) for v in query_vectors]

    # Exact neighbours, in numpy over the very vectors PostgreSQL holds.
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, embedding::text FROM crm_knowledgechunk WHERE embedding IS NOT NULL ORDER BY id")
        rows = cursor.fetchall()
    ids = np.array([r[0] for r in rows])
    matrix = np.array([json.loads(r[1]) for r in rows], dtype=np.float32)
    queries_matrix = np.asarray(query_vectors, dtype=np.float32)
    exact = [list(ids[np.argsort(-(matrix @ q))[:10]]) for q in queries_matrix]

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN SELECT id FROM crm_knowledgechunk ORDER BY embedding <=> %s::vector LIMIT 10",
                       [literals[0]])
        plan = re.sub(r"'\[[^\]]*\]'", "'[query vector]'", " / ".join(r[0].strip() for r in cursor.fetchall()))

    results: dict[str, Any] = {"database": database, "machine": facts, "corpus": corpus,
                               "queries": len(questions), "rounds": args.rounds, "vector_only": {}}

    for ef in EF_SEARCH_VALUES:
        found = [vector_top(lit, ef_search=ef) for lit in literals]
        recall = statistics.fmean(len(set(f) & set(e)) / 10 for f, e in zip(found, exact, strict=True))
        samples = timed([lambda lit=lit, ef=ef: vector_top(lit, ef_search=ef) for lit in literals],
                        desc=f"HNSW ef_search={ef}", progress=progress, rounds=args.rounds)
        results["vector_only"][ef] = {"recall_at_10": round(recall, 4), **percentiles(samples)}

    exact_pg = timed([lambda lit=lit: vector_top(lit, ef_search=0, exact=True) for lit in literals[:30]],
                     desc="exact (index off)", progress=progress, rounds=1)
    results["exact_postgres_30_queries"] = percentiles(exact_pg)

    hybrid = timed(
        [lambda q=q, v=v: _fuse(_search_rows(" ".join(q.split()), vector=v, category=None), k=5,
                                threshold=settings.KB_MIN_RELEVANCE)
         for q, v in zip(questions, query_vectors, strict=True)],
        desc="hybrid SQL", progress=progress, rounds=args.rounds,
    )
    # Category-filtered: HNSW with iterative scan plus the filter on both sides.
    filtered = timed(
        [lambda q=q, v=v, cat=CATEGORIES[i % len(CATEGORIES)]: _fuse(
            _search_rows(" ".join(q.split()), vector=v, category=cat), k=5, threshold=settings.KB_MIN_RELEVANCE)
         for i, (q, v) in enumerate(zip(questions, query_vectors, strict=True))],
        desc="hybrid SQL, one category", progress=progress, rounds=1,
    )
    end_to_end = timed([lambda q=q: search_knowledge(q[:2000], k=5) for q in questions],
                       desc="search_knowledge()", progress=progress, rounds=args.rounds)
    embedding = timed([lambda q=q: embedder.embed_one(q[:2000]) for q in questions],
                      desc="query embedding", progress=progress, rounds=1)
    short = [q for q in questions if len(q.split()) <= 25]
    end_to_end_short = timed([lambda q=q: search_knowledge(q, k=5) for q in short],
                             desc="search_knowledge(), short", progress=progress, rounds=args.rounds)
    results.update({
        "ef_search_setting": settings.KB_HNSW_EF_SEARCH,
        "hybrid_sql": percentiles(hybrid),
        "hybrid_sql_one_category": percentiles(filtered),
        "search_knowledge": percentiles(end_to_end),
        "search_knowledge_short_queries": percentiles(end_to_end_short),
        "query_embedding": percentiles(embedding),
        "plan": plan,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    })
    if args.histogram:
        histogram(Path(args.histogram), {"hybrid SQL": hybrid, "search_knowledge() incl. embedding": end_to_end})
        results["histogram"] = str(Path(args.histogram).resolve().relative_to(ROOT))

    if args.json:
        print(json.dumps(results))
        return
    print(json.dumps(results, indent=2))
    print()
    print(f"| ef_search | recall@10 | p50 ms | p95 ms |\n|---|---|---|---|")
    for ef, r in results["vector_only"].items():
        print(f"| {ef} | {r['recall_at_10']:.3f} | {r['p50']} | {r['p95']} |")
    for name in ("hybrid_sql", "hybrid_sql_one_category", "search_knowledge", "search_knowledge_short_queries", "query_embedding"):
        r = results[name]
        print(f"{name}: p50 {r['p50']} ms, p95 {r['p95']} ms, p99 {r['p99']} ms (n={r['n']})")


if __name__ == "__main__":
    main()
