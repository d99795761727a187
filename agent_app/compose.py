"""How the offline model writes: answers composed from Help Centre passages, and the
notice a customer gets when a person takes over. Deterministic and grounded: every
sentence of an answer comes from a passage of the Help Centre the run retrieved or read.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from agent_app import wording
from agent_app.formatting import strip_markdown
from agent_app.judgement.intents import MODEL_DIR, ModelMissing
from agent_app.language import ENGLISH
from agent_app.plain_text import NEGATION_WORDS
from crm.models import EscalationReason

# Words budgets for the answer body, below the channel limits so the channel's
# greeting and signature fit.
BODY_WORDS = {"email": 190, "web_form": 140}
#: The WhatsApp answer itself (the Help Centre link comes on its own line after it). The brand voice
#: asks for under 300 characters, and under about 1,600 when the answer needs more: a reply stays
#: short when one unit answers the question and takes more only for units that score nearly as well
#: as the best (SUPPORT_SHARE). 300 characters and three units left the fact out of a quarter of the
#: replies answered from the right article; 600 and six took it 0.735 -> 0.854 on the even half
#: (0.692 -> 0.771 on the odd half) for 281 -> 454 characters on average (bench/eval_compose.py;
#: 800 gave 0.877 for 520, 500 gave 0.818 for 409).
WHATSAPP_CHARS = 600

_STEP = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(re.sub(r"\s+", " ", text)) if s.strip()]


# A how-to question wants steps; "how long", "how many", "how much" want a fact.
_HOW = re.compile(r"\bhow (?!long|many|much|often|big|large|old|soon|far)\w+|\b(?:where|what steps|set up|setup|turn on|"
                  r"enable|connect|install|invite)\b", re.IGNORECASE)
# A question after a fact (a duration, a count, a size, a limit) wants the sentence that states it.
_FACT = re.compile(r"\bhow (?:long|many|much|often|big|large|soon)\b|\b(?:limit|maximum|max|minimum|min|up to|"
                   r"biggest|largest|longest|smallest|shortest|"
                   r"size|expire|expiry|valid|retention|retain|kept|days|hours|minutes|weeks|months|years)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d")
# "Where do I…" wants the menu path ("Settings → Security → Two-factor").
_WHERE = re.compile(r"\bwhere\b", re.IGNORECASE)
# "I don't have my recovery codes": of an article's sections headed "You have your recovery codes" and "No recovery
# codes, and your workspace is on Business", the customer's situation is the second. A clause with a negation (in
# gist English too: "recovery codes have i not") negates the terms next to it.
_NEGATION = re.compile(rf"(?:{NEGATION_WORDS}|nowhere|none|cannot|\w+n't)", re.IGNORECASE)
_CLAUSE = re.compile(r"[.,;:!?()\n\u2013\u2014]+")
_VERB_TITLES = {"turn", "add", "set", "change", "invite", "request", "reset", "export", "import", "connect", "create",
                "delete", "remove", "download", "update", "enforce", "cancel", "transfer", "mute", "install", "clear",
                "restore", "verify", "check", "deactivate", "reactivate", "let", "use", "manage", "speed", "sync",
                "automate", "link", "restrict", "report", "resolve", "upgrade", "regenerate", "invite", "prevent"}


def article_url(slug: str) -> str:
    """The Help Centre page of an article, from its slug (HELP_CENTRE_URL)."""
    return f"{settings.HELP_CENTRE_URL.rstrip('/')}/articles/{slug}"


_NESTED = re.compile(r"^\s{2,}(?:[-*\u2022]|\d+[.)])\s+")


@dataclass(frozen=True)
class _Unit:
    """What an answer is made of, from one passage (``section``: the passage's rank among the
    article's passages, those the search retrieved first; ``place``: the passage's position in the
    article when it was read, else its rank): a sentence, a bullet, a table row, a run of numbered steps
    (with the bullets nested under them) or a list (the sentence that introduces it, "Each
    session shows:", with its bullets)."""

    kind: str
    text: str
    section: int
    order: int
    place: int = 0
    within: int | None = None  # a bullet of a run of steps or of a list: that unit's order
    context: str = ""  # words it is scored with but not shown: a table row's heading and column names
    paragraph: int = -1  # a sentence: which paragraph of its passage it belongs to
    options: str = ""  # a bullet under words that introduce it: those words with every bullet of its group


def _table_rows(rows: list[str]) -> tuple[list[str], str]:
    """Each row of a table as a line that reads on its own: "Team: 100 MB" for two columns,
    "Attachment storage: Free 2 GB, Team 250 GB, …" for more; and the column names."""
    cells = [[re.sub(r"\*\*(.+?)\*\*", r"\1", c.strip()) for c in r.strip().strip("|").split("|")] for r in rows]
    cells = [r for r in cells if not all(re.fullmatch(r":?-+:?", c) for c in r)]
    out = []
    for row in cells[1:]:
        if len(row) == 2 or len(row) != len(cells[0]):
            text = f"{row[0]}: {' '.join(row[1:])}"
        else:
            text = f"{row[0]}: " + ", ".join(f"{h} {c}" for h, c in zip(cells[0][1:], row[1:], strict=True))
        out.append(text.rstrip(".") + ".")
    return out, ", ".join(c for c in cells[0] if c) if cells else ""


def _blocks(text: str) -> list[tuple[str, Any]]:
    """A passage's lines grouped: ("steps", [(step, [nested bullets])]), ("bullets", [...]),
    ("table", [rows]) and ("prose", paragraph)."""
    blocks: list[tuple[str, Any]] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        kind = blocks[-1][0] if blocks else ""
        if line.startswith("|"):
            if kind == "table":
                blocks[-1][1].append(line)
            else:
                blocks.append(("table", [line]))
        elif _NESTED.match(raw) and kind == "steps":
            blocks[-1][1][-1][1].append(line)
        elif re.match(r"^\d+[.)]\s", line):
            if kind == "steps":
                blocks[-1][1].append((line, []))
            else:
                blocks.append(("steps", [(line, [])]))
        elif _STEP.match(line):
            if kind == "bullets":
                blocks[-1][1].append(line)
            else:
                blocks.append(("bullets", [line]))
        elif kind == "prose" and blocks[-1][1].endswith(":"):
            blocks[-1] = ("prose", f"{blocks[-1][1]} {line}")  # "Supported formats:" and what follows
        else:
            blocks.append(("prose", line))
    return blocks


def _bare(bullet: str) -> str:
    """A list item as a phrase: "- paper size: A4, US Letter, A3 or Tabloid," → "paper size: A4, …"."""
    return re.sub(r",? (?:or|and)$", "", _STEP.sub("", bullet).strip().rstrip(" ,;"))


def _units(hit: dict[str, Any], *, section: int = 0, start: int = 0, place: int = 0) -> list[_Unit]:
    """A passage as units. The bullets of a run of steps or of a list are units of their own
    too (one may be the very fact asked for, like one of the options a step offers), scored
    with the words that introduce them and shown with those words and the rest of their group."""
    units: list[_Unit] = []

    def add(kind: str, text: str, within: int | None = None, context: str = "", paragraph: int = -1,
            options: str = "") -> int:
        units.append(_Unit(kind, text, section, start + len(units), place, within, context, paragraph, options))
        return units[-1].order

    heading = (hit.get("heading") or "").split("\u203a")[-1].strip()

    blocks = _blocks(hit["text"])
    for i, (kind, body) in enumerate(blocks):
        if kind == "steps":
            lines = [line for step, nested in body for line in [step] + [f"   {b}" for b in nested]]
            run = add("steps", "\n".join(lines))
            for step, nested in body:
                intro = re.sub(r"^\d+[.)]\s+", "", step)
                group = "\n".join([intro] + [f"- {_bare(b)}" for b in nested]) if intro.endswith(":") else ""
                for bullet in nested:
                    add("bullet", f"{intro} {_bare(bullet)}" if intro.endswith(":") else _bare(bullet), run,
                        options=group)
        elif kind == "table":
            rows, columns = _table_rows(body)
            for row in rows:
                # Two columns ("Team: 100 MB") say what they are about only with their heading.
                shown = f"{heading} \u2014 {row}" if heading and columns.count(",") == 1 else row
                add("row", shown, context=f"{heading} ({columns})")
        elif kind == "bullets":
            intro = units[-1] if units and units[-1].kind == "sentence" and units[-1].text.endswith(":") else None
            if intro is not None and blocks[i - 1][0] == "prose":
                units.pop()
                whole = add("list", "\n".join([intro.text] + body))
                group = "\n".join([intro.text] + [f"- {_bare(b)}" for b in body])
                for bullet in body:
                    add("bullet", f"{intro.text} {_bare(bullet)}", whole, options=group)
            else:
                # A list item alone reads as a phrase, without its marker ("- Custom fields
                # missing in the action: …" began a reply), as under an introduction.
                for bullet in body:
                    add("bullet", _bare(bullet))
        else:
            for sentence in _sentences(body):
                add("sentence", sentence, paragraph=i)
    return units


def _lead(question: str, hit: dict[str, Any], kind: str) -> str:
    """One sentence that speaks to the customer's point, built only from the article's own words."""
    if kind != "steps":
        return ""
    for name in ((hit.get("heading") or "").split("\u203a")[-1].strip(), hit.get("title") or ""):
        words = name.split()
        if words and words[0].lower() in _VERB_TITLES:
            return f"Here's how to {name[0].lower()}{name[1:].rstrip('.')}:"
    return f"Here are the steps from \u201c{hit['title']}\u201d:"


# How a unit is scored (tuned on the training questions, bench/eval_compose.py): the question's
# key terms it contains (IDF-weighted share) and its meaning's closeness to the question (cosine of
# MiniLM vectors), each with its passage heading's at half weight; the passage the search ranked
# first is preferred, each later one loses SECTION_STEP; a passage of the article the search did not
# return (read with read_article) loses what the last retrieved one does and NOT_RETRIEVED more.
MEANING_WEIGHT = 1.0
HEADING_WEIGHT = 0.5
SECTION_STEP = 0.05
NOT_RETRIEVED = 0.05
STEPS_FOR_HOW = 0.2     # a how-to question prefers a run of steps
NUMBER_FOR_FACT = 0.2   # a "how long / how many" question prefers a sentence with a number...
STEPS_FOR_FACT = 0.2    # ...and not a run of steps
PATH_FOR_WHERE = 0.2    # a "where" question prefers a unit with a menu path
# A section headed with what the customer says they lack, over one headed as having it: a heading that draws
# that line is the article's own answer to "which case is mine", so it outweighs the shape and position bonuses
# above (at 0.3, "I don't have my recovery codes" still got the recovery-code steps; eval_compose even / odd
# unchanged at 1.0).
NEGATED_HEADING = 1.0
NEGATION_REACH = 3      # key terms on either side of a negation that it negates ("no recovery codes")
#: Units shown after the best one: those scoring at least this share of the best one's score (lower
#: since the learned score widened the gap between the best unit and the others; chosen on the even half)...
SUPPORT_SHARE = 0.3
#: ...this share when they come from another passage than the best one...
OTHER_SECTION_SHARE = 0.45
#: ...and at most this many units in all. Four in an email left the fact out when it sat in the
#: fifth or sixth unit that still scored nearly as well as the best: six took the fact when answered
#: from the right article 0.876 -> 0.892 on the even half and 0.854 -> 0.876 on the odd half, for
#: 84 -> 92 words on average (budget 190 / 140).
MAX_UNITS = 6
#: A unit after the best one also counts the share of the question's key terms it adds to those chosen...
NOVELTY_WEIGHT = 0.3
#: ...and gains this when it is the sentence just before or after a chosen one, in the same paragraph.
ADJACENT_BONUS = 0.3
#: The learned unit scorer: gradient-boosted trees (``judgement.boost``) over UNIT_FEATURES giving the
#: probability that a unit states the fact a training question asks for, fitted on every answerable
#: training line answered from the right article (``bench/eval_compose.py --fit-scorer`` writes it:
#: refit it when the features, the hand-set weights or the training questions change). Its
#: probability, times LEARNED_WEIGHT, is added to the hand-set score. A logistic regression came
#: first: fitted on the even half, it took the odd half from 0.784 to 0.814 (fact in reply when
#: answered from the right article); with the unit neighbours (nn_section, nn_fact; each line measured
#: and fitted without its own file's questions) 0.849 -> 0.861 on the odd half, 0.879 -> 0.898 on
#: the even one. The trees find the fact's unit first more often on every question file left out of
#: fitting (0.55-0.72 -> 0.59-0.74); the figures are in docs/agent.md.
UNIT_SCORER = MODEL_DIR / "unit_scorer.npz"
LEARNED_WEIGHT = 2.0


def _vectors(texts: list[str]) -> Any:
    from agent_app.judgement import answerability

    # The Help Centre's sentences are embedded with the answerability model; a run of steps
    # takes its lines' vectors, each line being one of those sentences.
    return answerability.load().sentences.get(texts)


@dataclass(frozen=True)
class _Scored:
    score: float
    unit: _Unit
    hit: dict[str, Any]
    lines: tuple[float, ...]  # how well each line of the unit speaks to the question
    features: tuple[float, ...] = ()  # UNIT_FEATURES
    picked: int = 0  # the order _select chose it in: what it was worth next to those chosen before it


#: What the learned scorer (UNIT_SCORER) knows of a unit: the hand-set score's terms (the
#: question's key terms in the unit and its heading, their meanings' closeness), the same
#: against the best unit of the article for this question (the scorer sees one unit at a time),
#: where the passage stands (rank among the retrieved ones, not retrieved, position in the
#: article, the article's introduction), the unit's kind and shape, the question's type
#: with the kinds it prefers, and how close the question is to the training questions answered
#: by the unit's section and by its very words (``Neighbours.answered_by``).
UNIT_FEATURES = ("terms", "heading_terms", "meaning", "heading_meaning", "terms_gap", "meaning_gap",
                 "first_by_terms", "first_by_meaning", "first_by_score",
                 "rank", "not_retrieved", "place", "intro",
                 "sentence", "bullet", "row", "list", "steps", "nested", "number", "path", "words",
                 "how", "fact", "where", "how_steps", "fact_steps", "fact_number", "where_path",
                 "nn_section", "nn_fact")


def _negated_terms(text: str) -> set[str]:
    """The key terms among the NEGATION_REACH nearest on either side of a negation in the same clause (in
    gist English the negation often comes last: "recovery codes have i not"); words that are no key term
    ("my", "longer") don't count towards the reach."""
    from agent_app.judgement import answerability

    out: set[str] = set()
    for clause in _CLAUSE.split(text.replace("\u2019", "'")):
        words = [w.strip("\"'") for w in clause.split()]
        terms = [answerability.key_terms(w) for w in words]
        for i, word in enumerate(words):
            if _NEGATION.fullmatch(word):
                before = [t for ts in terms[:i] for t in ts][-NEGATION_REACH:]
                after = [t for ts in terms[i + 1:] for t in ts][:NEGATION_REACH]
                out.update(before + after)
    return out


def _heading_stands(question: str, passages: list[dict[str, Any]]) -> list[int]:
    """Per passage, +1 when its heading negates what the question negates ("No recovery codes" for "I
    don't have my recovery codes"), -1 when it names that without a negation ("You have your recovery
    codes"), else 0; all 0 unless some heading negates it (the article draws the line). Two terms must
    meet (one when the heading has one): "left" alone is not "The Owner has left and can't transfer"."""
    from agent_app.judgement import answerability

    negated = _negated_terms(question)
    if not negated:
        return [0] * len(passages)
    stands = []
    for h in passages:
        heading = h.get("heading") or ""
        if "\u203a" not in heading:  # the article's introduction, under its title
            stands.append(0)
            continue
        heading = heading.rsplit("\u203a", 1)[-1]  # the section's own, not the article's title
        says, lacks = set(answerability.key_terms(heading)), _negated_terms(heading)
        if lacks and len(negated & lacks) >= min(2, len(lacks)):
            stands.append(1)
        elif says and len(negated & says) >= min(2, len(says)):
            stands.append(-1)
        else:
            stands.append(0)
    return stands if 1 in stands else [0] * len(passages)


def _scored(question: str, passages: list[dict[str, Any]], *, with_learned: bool = True) -> list[_Scored]:
    """Every unit of ``passages`` (one article's: the retrieved ones first, then those only read,
    marked ``"retrieved": False``) with its score; a unit already seen in an earlier passage (the
    overlap of a long section split in two) is scored once. ``with_learned=False``: the hand-set
    score alone (what the unit scorer is fitted next to)."""
    from agent_app.judgement import answerability, features

    model = answerability.load()
    terms = answerability.key_terms(question)
    how = bool(_HOW.search(question))
    fact = bool(_FACT.search(question)) and not how
    where = bool(_WHERE.search(question))
    # Read as the intent layer reads a message (a long email's asking sentences first), so a long
    # background does not drown the question.
    question_vector = features.embed_message([question])[0]
    units: list[tuple[_Unit, dict[str, Any]]] = []
    seen: set[str] = set()
    dropped: set[int] = set()
    start = 0
    for rank, hit in enumerate(passages):
        made = _units(hit, section=rank, start=start, place=hit.get("position", rank))
        start += len(made)
        for unit in made:
            if unit.within in dropped or (unit.within is None and unit.text in seen):
                dropped.add(unit.order)
                continue
            seen.add(unit.text)
            units.append((unit, hit))
    if not units:
        return []
    retrieved = sum(1 for h in passages if h.get("retrieved", True))
    lines = [u.text.split("\n") for u, _ in units]
    # A table row is read with its table's heading and column names ("Maximum file size (Plan,
    # Per file) Business: 250 MB."): on its own it hardly says what it is about.
    lines = [[f"{u.context} {x}" for x in group] if u.context else group
             for (u, _), group in zip(units, lines, strict=True)]
    headings = [h.get("heading") or h.get("title") or "" for h in passages]
    vectors = _vectors([x for group in lines for x in group] + headings)
    closeness, at = [], 0
    for group in lines:
        closeness.append(vectors[at:at + len(group)] @ question_vector)
        at += len(group)
    heading_meaning = vectors[at:] @ question_vector

    def cover(text: str) -> float:
        return answerability.coverage(terms, text, model.idf, model.idf_unknown)

    own = [cover(f"{u.context} {u.text}") for u, _ in units]
    heads = [cover(h.get("heading", "")) for _, h in units]
    meaning = [float(near.max()) for near in closeness]
    last_place = max(max(u.place for u, _ in units), 1)
    shapes = [(u.kind == "steps", bool(_NUMBER.search(u.text)), "\u2192" in u.text) for u, _ in units]
    stands = _heading_stands(question, passages)
    hand = []
    for i, (unit, hit) in enumerate(units):
        steps, number, path = shapes[i]
        hand.append(own[i] + HEADING_WEIGHT * heads[i]
                    + MEANING_WEIGHT * (meaning[i] + HEADING_WEIGHT * float(heading_meaning[unit.section]))
                    - _position_penalty(unit.section, retrieved)
                    + (STEPS_FOR_HOW if how and steps else 0.0)
                    - (STEPS_FOR_FACT if fact and steps else 0.0)
                    + (NUMBER_FOR_FACT if fact and not steps and number else 0.0)
                    + (PATH_FOR_WHERE if where and path else 0.0)
                    + NEGATED_HEADING * stands[unit.section])

    def leaders(values: list[float]) -> list[float]:
        # 1 for the unit that leads on ``values``, falling to 0 for the third and later ones
        order = sorted(range(len(values)), key=lambda j: -values[j])
        out = [0.0] * len(values)
        for r, j in enumerate(order[:3]):
            out[j] = 1.0 - r / 3
        return out

    by_terms, by_meaning, by_score = leaders(own), leaders(meaning), leaders(hand)
    # What the embedding and the shared words cannot see: which section and sentence answered the
    # training questions nearest this one.
    evidence = _neighbour_evidence(question_vector, passages[0]["slug"],
                                   [(u.text, h.get("heading") or "") for u, h in units])
    rows = []
    for i, (unit, hit) in enumerate(units):
        steps, number, path = shapes[i]
        rows.append((own[i], heads[i], meaning[i], float(heading_meaning[unit.section]),
               own[i] - max(own), meaning[i] - max(meaning), by_terms[i], by_meaning[i], by_score[i],
               min(unit.section, retrieved) / 3, float(unit.section >= retrieved), unit.place / last_place,
               float(unit.place == 0),
               *(float(unit.kind == k) for k in ("sentence", "bullet", "row", "list", "steps")),
               float(unit.within is not None), float(number), float(path), math.log1p(len(unit.text.split())) / 5,
               float(how), float(fact), float(where), float(how and steps), float(fact and steps),
               float(fact and number and not steps), float(where and path), *evidence[i]))
    learned = _learned(rows) if with_learned else [0.0] * len(rows)
    scored = []
    for i, ((unit, hit), group, near) in enumerate(zip(units, lines, closeness, strict=True)):
        per_line = tuple(cover(x) + MEANING_WEIGHT * float(v) for x, v in zip(group, near, strict=True))
        scored.append(_Scored(hand[i] + LEARNED_WEIGHT * learned[i], unit, hit, per_line, rows[i]))
    return scored


#: A training file whose questions the unit neighbours must not count: set while measuring or
#: fitting on that file's own lines (``leaving_out``), whose paraphrases would answer for them.
_LEFT_OUT: contextvars.ContextVar[str | None] = contextvars.ContextVar("compose_left_out", default=None)


@contextlib.contextmanager
def leaving_out(source: str | None) -> Iterator[None]:
    """Compose as if the training file ``source`` had never been written (bench/eval_compose.py)."""
    token = _LEFT_OUT.set(source)
    try:
        yield
    finally:
        _LEFT_OUT.reset(token)


def _neighbour_evidence(vector: Any, slug: str, units: list[tuple[str, str]]) -> list[tuple[float, float]]:
    from agent_app.judgement import answerability

    return answerability.load().neighbours.answered_by(vector, slug, units, leave_out=_LEFT_OUT.get())


@functools.cache
def load_unit_scorer(path: Path) -> Any:
    """The unit scorer (``judgement.boost.Boosted``) stored at ``path``, if it reads UNIT_FEATURES;
    read once per path."""
    import numpy as np

    from agent_app.judgement import boost

    if not path.exists():
        raise ModelMissing("no unit scorer; run `bench/eval_compose.py --fit-scorer`")
    with np.load(path) as arrays:
        if [str(x) for x in arrays["features"]] != list(UNIT_FEATURES):
            raise ModelMissing("the unit scorer was fitted on other features; run `bench/eval_compose.py --fit-scorer`")
        return boost.Boosted.from_arrays(arrays)


def _learned(rows: list[tuple[float, ...]]) -> list[float]:
    """The learned scorer's probability, per unit, that it states the fact asked for."""
    return [float(p) for p in load_unit_scorer(UNIT_SCORER).proba(rows)] if rows else []


def _position_penalty(section: int, retrieved: int) -> float:
    """What a unit loses for where its passage stands: SECTION_STEP per retrieved passage before
    it, and a passage the search did not return as much as the last retrieved one plus NOT_RETRIEVED."""
    if section < retrieved:
        return SECTION_STEP * section
    return SECTION_STEP * max(retrieved - 1, 0) + NOT_RETRIEVED


def _next_to(unit: _Unit, chosen: list[_Scored]) -> bool:
    """The sentence just before or after a chosen one in the same paragraph."""
    return unit.kind == "sentence" and any(
        c.unit.kind == "sentence" and c.unit.section == unit.section and c.unit.paragraph == unit.paragraph
        and abs(c.unit.order - unit.order) == 1 for c in chosen)


def _article(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The passages of the first hit's article that the composer reads: the search's first
    (at most three), then the rest of the article when it was read."""
    article = [h for h in hits if h["slug"] == hits[0]["slug"]]
    return [h for h in article if h.get("retrieved", True)][:3] + [h for h in article if not h.get("retrieved", True)]


def scored_units(*, hits: list[dict[str, Any]], question: str) -> list[tuple[str, tuple[float, ...]]]:
    """Each unit the composer weighs for ``question`` (``hits`` as ``answer_order`` gives them),
    with its UNIT_FEATURES: what the learned scorer is fitted on."""
    return [(s.unit.text, s.features) for s in _scored(question, _article(hits), with_learned=False)]


def _select(*, hits: list[dict[str, Any]], question: str, max_units: int = MAX_UNITS) -> tuple[str, list[_Scored]]:
    from agent_app.judgement import answerability

    passages = _article(hits)
    how = bool(_HOW.search(question))
    fact = bool(_FACT.search(question)) and not how
    scored = sorted(_scored(question, passages), key=lambda s: (-s.score, s.unit.order))
    if not scored:
        return "", []
    model = answerability.load()
    terms = answerability.key_terms(question)

    def covered(texts: list[str]) -> float:
        return answerability.coverage(terms, " ".join(texts), model.idf, model.idf_unknown)

    best = scored[0]
    chosen = [best]
    candidates = [s for s in scored[1:] if not (fact and s.unit.kind == "steps")]
    while len(chosen) < max_units:
        texts = [f"{c.unit.context} {c.unit.text}" for c in chosen]
        have = covered(texts)
        ranked = []
        for s in candidates:
            unit = s.unit
            if any(unit.within == c.unit.order or c.unit.within == unit.order
                   or (unit.within is not None and unit.within == c.unit.within) for c in chosen):
                continue
            # What a unit adds to those chosen: the question's terms they leave out, and the
            # sentence that continues one of them (the limit after the sentence naming the feature).
            value = (s.score + NOVELTY_WEIGHT * (covered([*texts, unit.text]) - have)
                     + (ADJACENT_BONUS if _next_to(unit, chosen) else 0.0))
            share = SUPPORT_SHARE if unit.section == best.unit.section else OTHER_SECTION_SHARE
            if value >= share * best.score:
                ranked.append((value, -unit.order, s))
        if not ranked:
            break
        pick = max(ranked, key=lambda r: r[:2])[2]
        chosen.append(pick)
        candidates.remove(pick)
    chosen = [replace(c, picked=n) for n, c in enumerate(chosen)]
    best = chosen[0]
    steps = [c for c in chosen if c.unit.kind == "steps"]
    if how and steps and best.unit.kind != "steps":
        # A how-to answered with its steps leads with them, as a person would: "how do I turn on
        # 2FA" had "From the same page you can … turn 2FA off" first, the steps after it.
        best = steps[0]
        chosen = [best] + [c for c in chosen if c is not best]
    rest = sorted(chosen[1:], key=lambda s: (s.unit.place, s.unit.order))  # in the article's order
    return _lead(question, best.hit, best.unit.kind), [best, *rest]


def _texts(chosen: list[_Scored]) -> list[tuple[str, int]]:
    """The chosen units' texts, each with the order it was picked in; rows of one two-column table
    go on the first one's line ("Maximum file size — Business: 250 MB; Enterprise: 500 MB.") rather
    than repeating the heading, picked when the first of them was. A bullet of a group shows the
    whole group (one option alone reads as the only one: "Keep assigned" without "Reassign to…");
    ``_groups_that_fit`` gives it back when the group does not fit the channel's budget."""
    out: list[tuple[str, int]] = []
    tables: dict[tuple[int, str], int] = {}
    for s in chosen:
        unit = s.unit
        table = (unit.section, unit.context)
        if unit.kind == "row" and " \u2014 " in unit.text and table in tables:
            at = tables[table]
            row = unit.text.split(" \u2014 ", 1)[1]
            out[at] = (f"{out[at][0].rstrip('.')}; {row}", min(out[at][1], s.picked))
            continue
        if unit.kind == "row":
            tables[table] = len(out)
        out.append((unit.options or unit.text, s.picked))
    return out


def _groups_that_fit(texts: list[str], chosen: list[_Scored], size: Any, room: int, gap: int) -> list[str]:
    """``texts`` (as ``_texts`` gives them) with a group shown as the bullet picked from it when it does
    not fit (measured by ``size``): the first text in ``room``, the others in what the first leaves
    (less ``gap`` between them)."""
    bullets = {c.unit.options: c.unit.text for c in chosen if c.unit.options}

    def alone(text: str, left: int) -> str:
        return bullets[text] if text in bullets and size(text) > left else text

    if not texts:
        return texts
    first = alone(texts[0], room)
    return [first, *(alone(t, room - size(first) - gap) for t in texts[1:])]


def _best_that_fit(sizes: list[int], picked: list[int], budget: int) -> list[int]:
    """Which units to show, in their order: those picked first that fit in ``budget`` together, so
    a long unit early in the article does not crowd out a better one after it, and a sentence
    picked for continuing another is kept only after it."""
    kept, used = [], 0
    for i in sorted(range(len(sizes)), key=lambda j: (picked[j], j)):
        if used + sizes[i] <= budget:
            kept.append(i)
            used += sizes[i]
    return sorted(kept)


def select_answer(*, hits: list[dict[str, Any]], question: str, max_units: int = MAX_UNITS) -> tuple[str, list[str]]:
    """The lead sentence and the units of the best article that answer the question, best first.

    Every sentence, bullet, table row, list and run of steps of the article's retrieved
    passages (at most three) and, when the article was read (``answer_order`` with its
    passages), of its other passages is scored (see MEANING_WEIGHT and the weights after it;
    a passage the search did not return scores a little lower, NOT_RETRIEVED). The
    best unit comes first; after it, in the article's order, up to MAX_UNITS - 1 more that
    score nearly as well (SUPPORT_SHARE), counting what each adds to those already chosen
    (NOVELTY_WEIGHT: the question's key terms they leave out) and whether it continues one
    of them (ADJACENT_BONUS): the sentence with the limit or the menu path is often the one
    right after the sentence that names the feature. A "how long / how many" question gets
    no steps; a bullet is not repeated next to its own list or run of steps.
    """
    lead, chosen = _select(hits=hits, question=question, max_units=max_units)
    return lead, [text for text, _ in _texts(chosen)]


def _fit_lines(lines: list[str], relevance: tuple[float, ...], budget: int, *, skip: bool) -> list[str]:
    """The lines of a run of steps or a list that fit in ``budget`` characters: the first ones,
    in order. With ``skip`` (a question after a fact, not a how-to that needs every step), when
    the line that speaks to the question best comes later: the first line and that one (with
    the step it is nested under), then as many as fit in between; without the first line when
    both don't fit. Numbered steps keep their numbers, so a skipped step shows. A line that
    introduces options ("3. Choose the options:") is never left last without one of them."""
    parent = []
    for i, line in enumerate(lines):
        parent.append(parent[-1] if line.startswith(" ") and parent else i)

    def size(keep: set[int]) -> int:
        return sum(len(lines[j]) + 1 for j in keep)

    def fill(keep: set[int], upto: int) -> set[int]:
        for i in range(min(keep) + 1, upto):
            if size(keep | {i}) > budget:
                break
            keep = keep | {i}
        return keep

    keep = fill({0}, len(lines))
    best = max(range(len(lines)), key=lambda i: (relevance[i], -i))
    if skip and best not in keep:
        for jump in ({0, parent[best], best}, {parent[best], best}):
            if size(jump) <= budget:
                keep = fill(jump, best)
                break
    while len(keep) > 1 and lines[max(keep)].rstrip().endswith(":"):
        keep.discard(max(keep))
    return [lines[i] for i in sorted(keep)]


def answer_order(hits: list[dict[str, Any]], chosen: dict[str, Any],
                 article: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The hits as ``compose_answer`` wants them: the passage judged to answer the question
    first, then the rest of its article, then the others' hits.

    ``article``: the chosen article's passages in its order, as ``read_article`` returns them.
    The rest of the article is then its other retrieved passages and, after them, those the
    search did not return, marked ``"retrieved": False``; every passage of the article carries
    its ``position`` in it (the answer shows its units in the article's order)."""
    slug = chosen["slug"]

    def key(hit: dict[str, Any]) -> tuple[Any, str]:
        return hit.get("heading"), hit["text"]

    # By content, not identity: hits are plain data that pass through the tools' JSON, and
    # listing the chosen passage twice would push the article's next passage down.
    same = [h for h in hits if h["slug"] == slug and key(h) != key(chosen)]
    rest = [h for h in hits if h["slug"] != slug]
    if not article:
        return [chosen, *same, *rest]
    where = {key(p): i for i, p in enumerate(article)}
    retrieved = {key(h) for h in [chosen, *same]}

    def placed(hit: dict[str, Any], **extra: Any) -> dict[str, Any]:
        at = where.get(key(hit))
        return {**hit, **extra} if at is None else {**hit, "position": at, **extra}

    unread = [placed(p, retrieved=False) for p in article if key(p) not in retrieved]
    return [placed(chosen), *(placed(h) for h in same), *unread, *rest]


def compose_answer(*, hits: list[dict[str, Any]], question: str, channel: str, sentiment: float = 0.0,
                   language: str = ENGLISH) -> str:
    """An answer a person would write: a sentence on the customer's point, the sentences or steps
    of the best article that answer it, and the article's title with its Help Centre link. In
    another language than English the sentence on their point says, in their language, that the
    Help Centre's words that follow are English."""
    top = hits[0]
    opener = wording.text("sorry", language) + " " if sentiment < -0.1 else ""
    lead, chosen = _select(hits=hits, question=question)
    if language != ENGLISH:
        lead = wording.text("in_english", language)
    scored = _texts(chosen)
    units, picked = [text for text, _ in scored], [n for _, n in scored]
    link = wording.text("help_centre_link", language, title=top["title"], url=article_url(top["slug"]))

    if channel == "whatsapp":
        link = wording.text("whatsapp_link", language, url=article_url(top["slug"]))
        budget = WHATSAPP_CHARS
        text = (opener + lead).strip()
        if units:
            # Counted as the customer sees it: the channel's formatting drops the markdown.
            shown = [strip_markdown(u) for u in _groups_that_fit(
                units, chosen, lambda t: len(strip_markdown(t)), budget - len(text) - 1, gap=1)]
            lines, relevance = shown[0].split("\n"), chosen[0].lines
            if len(lines) == len(relevance) and len(lines) > 1:
                lines = _fit_lines(lines, relevance, budget - len(text) - 1, skip=not _HOW.search(question))
            text = "\n".join([text] + lines if text else lines)
            # The others only whole.
            others = _best_that_fit([len(u) + 1 for u in shown[1:]], picked[1:], budget - len(text))
            text = "\n".join([text, *(shown[1 + i] for i in others)])
        if len(text) > budget:
            text = text[: budget - 1].rsplit(" ", 1)[0] + "\u2026"
        return f"{text}\n{link}"

    budget = BODY_WORDS.get(channel, 150)
    parts = [p for p in ((opener + lead).strip(),) if p]
    left = budget - sum(len(p.split()) for p in parts)
    units = _groups_that_fit(units, chosen, lambda t: len(t.split()), left, gap=0)
    if units and len(units[0].split()) <= left:
        # The best unit always leads; the others are the best that fit after it.
        others = _best_that_fit([len(u.split()) for u in units[1:]], picked[1:], left - len(units[0].split()))
        parts += [units[0], *(units[1 + i] for i in others)]
    elif units:
        parts.append(" ".join(units[0].split()[:budget]))
    parts.append(link + ".")
    return "\n\n".join(parts)


def when(due_iso: str | None, zone: str | None = None, language: str = ENGLISH) -> str:
    """"by Monday 5 January, 16:00 CET": in the customer's zone when we know it (the web form
    sends the browser's), else in UTC; the zone is always named, since the customer reads
    it against their own clock."""
    if not due_iso:
        return wording.text("one_business_day", language)
    due = datetime.fromisoformat(due_iso)
    if due.tzinfo is None:
        due = due.replace(tzinfo=timezone.utc)
    try:
        due = due.astimezone(ZoneInfo(zone) if zone else timezone.utc)
    except (ZoneInfoNotFoundError, ValueError):
        due = due.astimezone(timezone.utc)
    name = due.tzname() or "UTC"
    if name.startswith(("+", "-")):  # zones without an abbreviation: say "UTC+05"
        name = f"UTC{name}"
    return wording.deadline(due, name, language)


_ACK_KINDS = ("still_failing", "not_helpful", "needs_staff")


def compose_escalation_notice(*, reason: str, due_iso: str | None, channel: str, kind: str = "question",
                              zone: str | None = None, language: str = ENGLISH) -> str:
    """What the customer is told when a person takes over: who, and by when (in ``zone``,
    the customer's time zone, when known), in their language. Never the why."""
    if kind == "empty":  # no words, so no language to answer in
        lead = "It looks like your message came through empty."
        follow = f"A person from our support team will follow up {when(due_iso, zone)}; meanwhile, just reply with what you need help with."
        return f"{lead} {follow}"
    by = when(due_iso, zone, language)
    if kind == "injection_only":
        return wording.text("injection_only", language, when=by)
    lead = wording.text(reason if wording.knows(reason) else EscalationReason.KNOWLEDGE_NOT_FOUND, language)
    if reason == EscalationReason.KNOWLEDGE_NOT_FOUND and kind in _ACK_KINDS:
        lead = wording.text(kind, language)
    text = f"{lead} {wording.text('follow_up', language, when=by)}"
    if reason == EscalationReason.SECURITY_INCIDENT:
        text += "\n\n" + wording.text("security_steps", language)
    return text


def greeting_reply(language: str = ENGLISH) -> str:
    return wording.text("greeting_reply", language)


def thanks_reply(language: str = ENGLISH) -> str:
    return wording.text("thanks_reply", language)
