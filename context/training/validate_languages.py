"""Validate context/training/lang-*.jsonl (messages in German, French and Spanish) and print counts.

Usage: python3 context/training/validate_languages.py [file ...]

One JSON object per line with exactly the keys text, label, channel, article, section, fact, tags, lang.
An answerable question (label "none") names the article and the `###` section that answer it and a fact
copied verbatim (case-insensitive) from that section: the Help Centre is in English, so the fact is too.
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent / "product-docs.md"
LANGS = {"de", "fr", "es"}
HARD = {"security_incident", "legal_language", "refund_request", "pricing_inquiry", "negative_sentiment",
        "explicit_human_request"}
LABELS = HARD | {"knowledge_not_found", "none", "unanswerable", "thanks", "greeting", "still_failing",
                 "not_helpful", "injection"}
CHANNELS = {"email", "whatsapp", "web_form"}
TAGS = {"short", "long", "typo", "negation", "indirect", "signature", "mixed", "hard_negative", "informal",
        "formal", "code_switch", "bug", "staff_only", "undocumented", "near_miss", "no_accents"}
KNF_KINDS = {"bug", "staff_only", "undocumented"}
MINIMUM = {"none": 50, "unanswerable": 15, "thanks": 10, "greeting": 8, **{r: 10 for r in HARD}}


def sections() -> dict[str, dict[str, str]]:
    """slug -> {section heading: its text}."""
    out: dict[str, dict[str, str]] = {}
    slug = heading = None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        m = re.search(r"<!-- slug: ([a-z0-9-]+)", line)
        if m:
            slug, heading = m.group(1), None
            out[slug] = {}
        elif line.startswith("### ") and slug:
            heading = line[4:].strip()
            out[slug][heading] = ""
        elif slug and heading:
            out[slug][heading] += line + "\n"
    return out


def check(path: Path, docs: dict[str, dict[str, str]], seen: dict[str, str]) -> tuple[list[str], Counter]:
    errors, counts = [], Counter()
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        where = f"{path.name}:{n}"
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.append(f"{where}: invalid JSON ({exc})")
            continue
        if set(row) != {"text", "label", "channel", "article", "section", "fact", "tags", "lang"}:
            errors.append(f"{where}: keys {sorted(row)}")
            continue
        text, label, art, tags = row["text"], row["label"], row["article"], row["tags"]
        if not isinstance(text, str) or not text.strip():
            errors.append(f"{where}: empty text")
            continue
        key = re.sub(r"[\s.,!?¿¡;:'\"()\-–—…]+", " ", text.lower()).strip()
        if key in seen:
            errors.append(f"{where}: duplicate of {seen[key]}")
        seen[key] = where
        if row["lang"] not in LANGS:
            errors.append(f"{where}: lang {row['lang']!r} not in {sorted(LANGS)}")
        if label not in LABELS:
            errors.append(f"{where}: bad label {label!r}")
        if row["channel"] not in CHANNELS:
            errors.append(f"{where}: bad channel {row['channel']!r}")
        if not isinstance(tags, list) or any(t not in TAGS for t in tags):
            errors.append(f"{where}: bad tags {tags!r}")
            tags = []
        if art is not None and art not in docs:
            errors.append(f"{where}: unknown article {art!r}")
        if label == "none":
            if art not in docs:
                errors.append(f"{where}: an answerable question needs its article")
            elif row["section"] not in docs[art]:
                errors.append(f"{where}: section {row['section']!r} is not a ### heading of {art}")
            elif not row["fact"] or row["fact"].lower() not in " ".join(docs[art][row["section"]].split()).lower():
                errors.append(f"{where}: fact {row['fact']!r} is not verbatim in {art} / {row['section']}")
        elif row["section"] is not None or row["fact"] is not None:
            errors.append(f"{where}: section and fact only for label none")
        if label == "knowledge_not_found" and len(KNF_KINDS & set(tags)) != 1:
            errors.append(f"{where}: knowledge_not_found needs exactly one of the tags {sorted(KNF_KINDS)}")
        counts[(row["lang"], label)] += 1
    return errors, counts


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted(HERE.glob("lang-*.jsonl"))
    docs, seen, errors, counts = sections(), {}, [], Counter()
    for path in paths:
        e, c = check(path, docs, seen)
        errors += e
        counts += c
    for lang in sorted({lang for lang, _ in counts}):
        print(f"== {lang}: {sum(c for (l, _), c in counts.items() if l == lang)} lines")
        for label in sorted(LABELS):
            c = counts[(lang, label)]
            print(f"  {label:24s} {c:4d}" + (f"  (min {MINIMUM[label]})" if label in MINIMUM else ""))
            if c < MINIMUM.get(label, 0):
                errors.append(f"{lang}: {label} has {c} lines, fewer than {MINIMUM[label]}")
    if errors:
        print("\n".join(["== ERRORS", *errors[:200]]))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
