"""Does the composed answer contain the fact the customer asked for? A development measure
for ``agent_app/compose.py`` on the training questions (never on an evaluation set).

    FTE_DEV_MODE=1 FTE_NO_ENV_FILES=1 .venv/bin/python bench/eval_compose.py
    FTE_DEV_MODE=1 FTE_NO_ENV_FILES=1 .venv/bin/python bench/eval_compose.py --json --show-misses 20
    FTE_DEV_MODE=1 FTE_NO_ENV_FILES=1 .venv/bin/python bench/eval_compose.py --fit-scorer [--half even]

Every ``"label": "none"`` line of ``context/training/intents-questions*.jsonl`` (each names
the ``fact`` a correct reply contains; ``intents-questions.jsonl`` first, then the others by
name, so a line keeps its index when files are added) goes through what the offline model
does before it writes: ``policy.assess``, the knowledge search on ``policy.question_text`` (a second,
keyword search when the first finds nothing), the answerability gate, and the hits ordered
with the gate's article first. Those steps are cached in ``var/eval_compose_hits.json``
per line (``--refresh`` recomputes them all; new lines are prepared on their own, and all of
them again when the trained models or the number of hits change), so a
change to the composer is measured in seconds. The chosen article is then read whole, as the
offline model's ``read_article`` call does (``knowledge.articles.article_as_read``, at measure time,
so the figures follow the Help Centre as ingested), and put after its retrieved passages
(``compose.answer_order``). ``--half even`` (or ``odd``) keeps the lines
whose index is even (odd): choose a change on one half, then confirm it on the other.
The reply is then composed, shaped by ``format_for_channel`` and checked by the same
grounding check governance runs. The composer's unit neighbours (the training questions answered
by a unit's section or words) leave out the line's own file, where it and its paraphrases sit
(``compose.leaving_out``); the cached gate decisions still come from models that saw the line.

Reported per channel and overall:

- ``fact_in_reply``: replies containing the fact (as a customer reads both: markdown gone,
  case and whitespace folded, ``formatting.as_read``) over all lines; an escalation counts as a miss, as in ``eval_agent``.
- ``fact_when_right_article``: the same over the lines answered from the expected article,
  which is what the composer alone decides.
- ``fact_in_passages``: the lines where the fact is in the retrieved passages of the answered
  article at all (what the composer could reach without reading the article), and
  ``fact_in_article``: in any of its passages (the composer's ceiling).
- ``answered``, ``ungrounded`` (replies governance would withdraw), ``mean_chars`` and
  ``mean_words`` of the composed answer (before the channel's greeting and signature).

``--fit-scorer`` fits the composer's learned unit scorer (``compose.UNIT_SCORER``) on the lines
(of ``--half``) and writes it (``--scorer FILE`` elsewhere): fit it on the even half into a scratch
file and measure the odd one with ``--scorer FILE`` to decide, then fit it on all lines for the
committed one.

Training lines also trained the answerability gate, so ``answered`` is optimistic here;
the composer's figures (``fact_when_right_article``) are the ones to compare.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from statistics import fmean
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fte_project.settings")

TRAINING = ROOT / "context" / "training"
DATASET = TRAINING / "intents-questions.jsonl"
CACHE = ROOT / "var" / "eval_compose_hits.json"


def tool_hits(query: str) -> list[dict[str, Any]]:
    from agent_app.judgement.answerability import TOP_HITS
    from agent_app.knowledge.search import search_knowledge

    # The same dict the search_knowledge_base tool returns to the model.
    return [h.as_passage() for h in search_knowledge(query, k=TOP_HITS)]  # as many as the offline model asks for


def read_article(slug: str) -> list[dict[str, Any]]:
    """The article's passages as the read_article tool returns them ([] once it is gone)."""
    from agent_app.knowledge.articles import ArticleNotFound, article_as_read

    try:
        return article_as_read(slug=slug)["results"]
    except ArticleNotFound:
        return []


def _prepare(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the offline model knows when it composes: the ordered hits, or why it escalated."""
    from agent_app import compose, offline_model, policy
    from agent_app.judgement import answerability

    out = []
    for i, line in enumerate(lines):
        text, channel = line["text"], line["channel"]
        assessment = policy.assess(text, channel=channel)
        question = policy.question_text(text)
        hits = tool_hits(question) if question else []
        if not hits:
            query = offline_model.keywords(question) or text[:200]
            hits = tool_hits(query)
        row = {"text": text, "channel": channel, "article": line["article"], "fact": line["fact"],
               "question": question, "sentiment": assessment.sentiment, "escalated": "", "hits": []}
        if assessment.must_escalate:
            row["escalated"] = str(assessment.reason)
        elif not hits:
            row["escalated"] = "no hits"
        else:
            decision = answerability.decide(question, hits, assessment.intents)
            if not decision.answerable:
                row["escalated"] = "not answerable"
            else:
                row["hits"] = compose.answer_order(hits, decision.hit)
        out.append(row)
        if (i + 1) % 100 == 0:
            print(f"  prepared {i + 1}/{len(lines)}", file=sys.stderr)
    return out


def dataset_files(folder: Path = TRAINING) -> list[Path]:
    """The question files: ``intents-questions.jsonl``, then the others (``-a``, ``-b``…) by name."""
    return sorted(folder.glob("intents-questions*.jsonl"), key=lambda p: (p.name != DATASET.name, p.name))


def dataset_lines(folder: Path = TRAINING, half: str = "") -> list[dict[str, Any]]:
    """The answerable lines that name their fact, from every question file, in order, each with
    the name of its file (``source``); with ``half`` ("even" or "odd") only those whose index has
    that parity."""
    lines = [json.loads(x) | {"source": f.name} for f in dataset_files(folder) for x in f.read_text().splitlines()
             if x.strip()]
    lines = [x for x in lines if x["label"] == "none" and x.get("fact")]
    if half:
        lines = lines[("even", "odd").index(half)::2]
    return lines


def _key(line: dict[str, Any]) -> str:
    return f"{line['channel']}\n{line['text']}"


def _models() -> str:
    """A fingerprint of what prepared the cached rows (the trained artifacts and how many hits the
    gate weighs): after a retraining the cached gate decisions are stale, so they are prepared again."""
    import hashlib

    from agent_app.compose import UNIT_SCORER
    from agent_app.judgement.answerability import TOP_HITS
    from agent_app.judgement.intents import MODEL_DIR

    h = hashlib.sha256(str(TOP_HITS).encode())
    # The unit scorer composes from the rows; it does not prepare them.
    for name in sorted(p.name for p in MODEL_DIR.iterdir()
                       if p.suffix in (".json", ".npz") and p.name != UNIT_SCORER.name):
        h.update((MODEL_DIR / name).read_bytes())
    return h.hexdigest()[:16]


def _fact_terms(text: str) -> set[str]:
    from agent_app.judgement import answerability

    return set(answerability.key_terms(text)) | set(re.findall(r"\d+(?:[.,]\d+)?", text))


def _covers(fact: str, reply: str) -> bool:
    """Most of the fact's key terms and all its numbers are in the reply (for facts written in
    the team's own words rather than copied from the article)."""
    terms = _fact_terms(fact)
    if not terms:
        return fact in reply
    found = _fact_terms(reply)
    numbers = {t for t in terms if t[0].isdigit()}
    return numbers <= found and len(terms & found) >= 0.75 * len(terms)


def _measure(rows: list[dict[str, Any]], docs: str, show_misses: int, *, read: bool = True) -> dict[str, Any]:
    from agent_app import compose
    from agent_app.formatting import as_read, format_for_channel
    from agent_app.judgement import grounding

    per: dict[str, dict[str, list[float]]] = {}
    articles: dict[str, list[dict[str, Any]]] = {}
    misses = []
    keys = ("fact", "fact_right", "ceiling", "in_article", "covers", "covers_right", "answered", "right", "ungrounded",
            "chars", "words")
    for row in rows:
        channel = row["channel"]
        stats = per.setdefault(channel, {k: [] for k in keys})
        fact = as_read(row["fact"])
        verbatim = bool(fact) and fact in docs
        if not row["hits"]:
            stats["answered"].append(0.0)
            stats["covers"].append(0.0)
            if verbatim:
                stats["fact"].append(0.0)
            continue
        top = row["hits"][0]["slug"]
        if top not in articles:
            articles[top] = read_article(top) if read else []
        article = articles[top]
        hits = compose.answer_order(row["hits"], row["hits"][0], article)
        # A line is composed as a new question would be: its own file's questions (itself and its
        # paraphrases) are not among the unit neighbours.
        with compose.leaving_out(row.get("source")):
            answer = compose.compose_answer(hits=hits, question=row["question"], channel=channel,
                                            sentiment=row["sentiment"])
        reply = as_read(format_for_channel(answer, channel=channel, customer_name="Alex Doe"))
        found, covers = fact in reply, _covers(fact, reply)
        passages = as_read(" ".join(h["text"] for h in row["hits"] if h["slug"] == top))
        whole = as_read(" ".join(h["text"] for h in article)) if article else passages
        stats["answered"].append(1.0)
        stats["covers"].append(float(covers))
        # Governance's check: the searches' hits and the article read (pipeline._ungrounded).
        stats["ungrounded"].append(float(bool(grounding.unsupported_sentences(answer, row["hits"] + article))))
        stats["chars"].append(len(answer))
        stats["words"].append(len(answer.split()))
        if verbatim:
            stats["fact"].append(float(found))
        if top != row["article"]:
            continue
        stats["right"].append(1.0)
        stats["covers_right"].append(float(covers))
        if verbatim:
            stats["fact_right"].append(float(found))
            stats["ceiling"].append(float(fact in passages))
            stats["in_article"].append(float(fact in whole))
        missed = (verbatim and not found and fact in whole) or (not verbatim and not covers
                                                                and _covers(fact, whole))
        if missed and len(misses) < show_misses:
            misses.append({"channel": channel, "question": row["question"], "fact": row["fact"], "answer": answer})

    def figures(stats: dict[str, list[float]]) -> dict[str, Any]:
        def mean(xs: list[float]) -> float:
            return round(fmean(xs), 3) if xs else 0.0

        return {"lines": len(stats["answered"]), "answered": mean(stats["answered"]),
                "right_article": len(stats["right"]), "verbatim_lines": len(stats["fact"]),
                "verbatim_right_article": len(stats["fact_right"]),
                "fact_in_reply": mean(stats["fact"]), "fact_when_right_article": mean(stats["fact_right"]),
                "fact_in_passages": mean(stats["ceiling"]), "fact_in_article": mean(stats["in_article"]),
                "fact_terms_in_reply": mean(stats["covers"]),
                "fact_terms_when_right_article": mean(stats["covers_right"]),
                "ungrounded": int(sum(stats["ungrounded"])), "mean_chars": round(mean(stats["chars"])),
                "mean_words": round(mean(stats["words"]))}

    total = {k: [x for s in per.values() for x in s[k]] for k in keys}
    report: dict[str, Any] = {"all": figures(total), **{c: figures(s) for c, s in sorted(per.items())}}
    if show_misses:
        report["misses"] = misses
    return report


#: The unit scorer's trees, chosen leaving each question file out of the fit in turn: the fact's unit
#: ranked first 0.55-0.72 (logistic regression) -> 0.59-0.74 per file; 200 x 4 about the same.
SCORER_TREES, SCORER_DEPTH, SCORER_RATE = 300, 3, 0.1


def fit_scorer(rows: list[dict[str, Any]], docs: str, out: Path) -> str:
    """compose.UNIT_SCORER fitted on ``rows`` and written to ``out``: gradient-boosted trees over
    each unit's UNIT_FEATURES, labelled by whether the unit contains the line's fact verbatim, over
    the lines answered from the right article whose fact is in one of its units. Deterministic
    (``judgement.boost.fit``: no randomness)."""
    import numpy as np

    from agent_app import compose
    from agent_app.formatting import as_read
    from agent_app.judgement import boost

    x, y, lines = [], [], 0
    articles: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        fact = as_read(row["fact"])
        if not fact or not row["hits"] or row["hits"][0]["slug"] != row["article"] or fact not in docs:
            continue
        top = row["article"]
        if top not in articles:
            articles[top] = read_article(top)
        hits = compose.answer_order(row["hits"], row["hits"][0], articles[top])
        with compose.leaving_out(row.get("source")):
            units = compose.scored_units(hits=hits, question=row["question"])
        labels = [float(fact in as_read(text)) for text, _ in units]
        if not any(labels):
            continue  # the fact spans units (or the channel's shaping): nothing to learn from
        x += [features for _, features in units]
        y += labels
        lines += 1
    model = boost.fit(np.array(x, dtype=np.float32), np.array(y, dtype=np.int64), trees=SCORER_TREES,
                      depth=SCORER_DEPTH, lr=SCORER_RATE)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, features=np.array(compose.UNIT_FEATURES), **model.arrays())
    return f"fitted on {len(y)} units of {lines} lines, {int(sum(y))} with the fact: {out}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refresh", action="store_true", help="Recompute the cached search and gate results.")
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    parser.add_argument("--half", choices=("even", "odd"), default="",
                        help="Only the lines whose index is even (to choose changes on) or odd (to confirm them).")
    parser.add_argument("--retrieved-only", action="store_true",
                        help="Compose from the retrieved passages alone, without reading the article (as before).")
    parser.add_argument("--fit-scorer", action="store_true",
                        help="Fit the unit scorer on the lines (of --half) and write it (to --scorer).")
    parser.add_argument("--scorer", metavar="FILE", help="The unit scorer to write with --fit-scorer, or to measure "
                                                         "with (default: the committed compose.UNIT_SCORER).")
    parser.add_argument("--show-misses", type=int, default=0, metavar="N",
                        help="List N replies from the right article that miss a fact the passages contain.")
    args = parser.parse_args()
    if args.fit_scorer and args.half and not args.scorer:
        parser.error("--fit-scorer --half writes a scorer fitted on half the lines: give it --scorer FILE, "
                     "not the committed one")

    import django

    django.setup()
    from agent_app import compose
    from agent_app.formatting import as_read

    lines = dataset_lines(half=args.half)
    models = _models()
    stored = json.loads(CACHE.read_text()) if CACHE.exists() and not args.refresh else {}
    cached = stored.get("rows", []) if isinstance(stored, dict) and stored.get("models") == models else []
    # Keyed by the line's channel and text, and checked against its article and fact, so an
    # edited or added line is prepared again and the others are not.
    known = {_key(r): r for r in cached}
    fresh = [x for x in lines
             if (r := known.get(_key(x))) is None or (r["article"], r["fact"]) != (x["article"], x["fact"])]
    if fresh:
        known.update({_key(r): r for r in _prepare(fresh)})
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        CACHE.write_text(json.dumps({"models": models, "rows": list(known.values())}, ensure_ascii=False))
    rows = [known[_key(x)] | {"source": x["source"]} for x in lines]
    docs = as_read((ROOT / "context" / "product-docs.md").read_text())
    if args.scorer:
        compose.UNIT_SCORER = Path(args.scorer)  # a scorer fitted on one half, measured on the other
    if args.fit_scorer:
        print(fit_scorer(rows, docs, compose.UNIT_SCORER))
        return
    report = _measure(rows, docs, args.show_misses, read=not args.retrieved_only)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return
    for name in ("all", "email", "web_form", "whatsapp"):
        f = report.get(name)
        if f:
            print(f"{name:9} " + "  ".join(f"{k}={v}" for k, v in f.items()))
    for miss in report.get("misses", []):
        print(f"\n[{miss['channel']}] {miss['question']!r}\n  fact: {miss['fact']}\n  " +
              miss["answer"].replace("\n", "\n  "))


if __name__ == "__main__":
    main()
