"""Validate context/training/intents-questions*.jsonl and gate-*.jsonl (all of them together: duplicates
are looked for across files) and print counts.

Usage: python3 context/training/validate.py
"""
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from validate_intents_reasons import KNF_KINDS  # the same kinds of knowledge_not_found, checked there too

HERE = Path(__file__).resolve().parent
DATA = sorted([*HERE.glob("intents-questions*.jsonl"), *HERE.glob("gate-*.jsonl")])
DOCS = HERE.parent / "product-docs.md"

# knowledge_not_found: a question relabelled in place by an audit of the escalation rules (the line keeps its
# number, so the development measure's halves stay put), with the kind of person it needs as its tag.
LABELS = {"none", "unanswerable", "thanks", "greeting", "still_failing", "injection", "not_helpful", "knowledge_not_found"}
CHANNELS = {"email", "whatsapp", "web_form"}
TAGS = {"short", "long", "typo", "non_native", "negation", "indirect", "signature",
        "near_miss", "documented_no", "injection_with_question", "off_product", "named_tool", *KNF_KINDS}
MINIMUM = {"none": 650, "unanswerable": 300, "thanks": 120, "greeting": 100,
           "still_failing": 120, "injection": 100, "not_helpful": 80}
MIN_NONE_PER_ARTICLE = 12
MIN_INJECTION_WITH_QUESTION = 40


def load_sections():
    sections, cur = {}, None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        m = re.search(r"<!-- slug: ([a-z0-9-]+)", line)
        if m:
            cur = m.group(1)
            sections[cur] = set()
        elif line.startswith("### ") and cur:
            sections[cur].add(line[4:].strip())
    return sections


def main():
    sections = load_sections()
    errors = []
    labels, tags, none_per_article, other_per_article = Counter(), Counter(), Counter(), defaultdict(Counter)
    seen = {}
    numbered = [(f"{path.name}:{i}", raw) for path in DATA
                for i, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if raw.strip()]
    for n, raw in numbered:
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.append(f"line {n}: invalid JSON ({exc})")
            continue
        keys = {"text", "label", "channel", "article", "section", "fact", "tags"}
        if set(row) != keys:
            errors.append(f"line {n}: keys {sorted(row)}")
            continue
        text, label, art = row["text"], row["label"], row["article"]
        if not isinstance(text, str) or not text.strip():
            errors.append(f"line {n}: empty text")
        key = re.sub(r"[\s.,!?;:'\"()\-–—…]+", " ", text.lower()).strip()
        if key in seen:
            errors.append(f"line {n}: duplicate of line {seen[key]}")
        seen[key] = n
        if label not in LABELS:
            errors.append(f"line {n}: bad label {label!r}")
        if row["channel"] not in CHANNELS:
            errors.append(f"line {n}: bad channel {row['channel']!r}")
        if art is not None and art not in sections:
            errors.append(f"line {n}: unknown article {art!r}")
        if not isinstance(row["tags"], list) or any(t not in TAGS for t in row["tags"]):
            errors.append(f"line {n}: bad tags {row['tags']!r}")
        if label == "none":
            if art is None:
                errors.append(f"line {n}: 'none' without article")
            elif row["section"] not in sections.get(art, ()):
                errors.append(f"line {n}: section {row['section']!r} not in {art}")
            if not row["fact"]:
                errors.append(f"line {n}: 'none' without fact")
            if art:
                none_per_article[art] += 1
        else:
            if row["section"] is not None or row["fact"] is not None:
                errors.append(f"line {n}: section/fact only for 'none'")
            if art:
                other_per_article[label][art] += 1
        if (label == "knowledge_not_found") != (sum(t in KNF_KINDS for t in row["tags"]) == 1):
            errors.append(f"line {n}: knowledge_not_found, and only it, needs exactly one of {KNF_KINDS}")
        if "near_miss" in row["tags"] and (label != "unanswerable" or art is None):
            errors.append(f"line {n}: near_miss needs label unanswerable and an article")
        if "off_product" in row["tags"] and label != "unanswerable":
            errors.append(f"line {n}: off_product needs label unanswerable (how to do something in another product)")
        if "named_tool" in row["tags"] and label != "none":
            errors.append(f"line {n}: named_tool needs label none (a Loomline question naming another tool)")
        if "injection_with_question" in row["tags"] and label != "none":
            errors.append(f"line {n}: injection_with_question must be label none")
        labels[label] += 1
        tags.update(row["tags"])

    print("== per label")
    for label in sorted(LABELS):
        least = MINIMUM.get(label, 0)
        print(f"  {label:15s} {labels[label]:5d}  (min {least})")
        if labels[label] < least:
            errors.append(f"label {label}: {labels[label]} < {least}")
    print(f"  {'TOTAL':15s} {sum(labels.values()):5d}")
    print("== per tag")
    for tag, c in tags.most_common():
        print(f"  {tag:25s} {c:5d}")
    if tags["injection_with_question"] < MIN_INJECTION_WITH_QUESTION:
        errors.append("fewer than 40 injection_with_question lines")
    print("== 'none' per article (plus near-miss 'unanswerable')")
    for slug in sections:
        c = none_per_article[slug]
        print(f"  {slug:36s} {c:4d}  near_miss {other_per_article['unanswerable'][slug]:3d}")
        if c < MIN_NONE_PER_ARTICLE:
            errors.append(f"article {slug}: only {c} 'none' lines")
    if errors:
        print("\n".join(["== ERRORS"] + errors[:200]))
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
