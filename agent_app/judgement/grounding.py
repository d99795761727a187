"""Grounding check for replies a model wrote: every sentence that states something must be
supported by the Help Centre passages the run retrieved.

A sentence is checked when it has at least two key terms beyond the words any support
reply uses ("sorry", "glad", "colleague"…); it is supported when one retrieved passage
(with its title and heading) covers at least SUPPORTED of its IDF-weighted key terms.
"""
from __future__ import annotations

import re
from typing import Any

from agent_app import wording
from agent_app.judgement import answerability, gist
from agent_app.language import detect

SUPPORTED = 0.6
_CONVERSATIONAL = {answerability.stem(w) for w in """sorry trouble glad happy reply replies colleague person people
support team follow followed guide full find found article articles centre center steps step below above hope helps
let know anything else further assist assistance message email whatsapp here's there's great sure course welcome
day today soon shortly quick quickly note notes following information info details detail right away
your their""".split()}
_URL = re.compile(r"https?://\S+")
_SENTENCE = re.compile(r"(?<=[.!?:])\s+|\n+")


def unsupported_sentences(reply: str, hits: list[dict[str, Any]]) -> list[str]:
    """The sentences of ``reply`` that no retrieved passage supports."""
    model = answerability.load()
    passages = [f"{h.get('title', '')} {h.get('heading', '')} {h.get('text', '')}" for h in hits]
    out = []
    reply = _URL.sub(" ", reply)
    language = detect(reply)  # of the whole reply: a clause alone ("haga clic en Forgot password") may not tell
    for own in wording.own_fragments():  # the assistant's own sentences, in any language
        reply = reply.replace(own, " ")
    for sentence in _SENTENCE.split(reply):
        sentence = sentence.strip()
        # A sentence is read as written and, in a reply in another language, as its gist too: the
        # English Help Centre sentences such a reply quotes must not be "translated" (German "an"
        # is "to"); the customer's-language ones must.
        readings = [terms for r in dict.fromkeys([sentence, gist.english(sentence, language, keep_unread=True)])
                    if len(terms := [t for t in answerability.key_terms(r) if t not in _CONVERSATIONAL]) >= 2]
        if readings and not any(_coverage(terms, passages, model) >= SUPPORTED for terms in readings):
            out.append(sentence)
    return out


def _coverage(terms: list[str], passages: list[str], model: Any) -> float:
    """The best share of ``terms`` (IDF-weighted) one passage holds."""
    return max((answerability.coverage(terms, p, model.idf, model.idf_unknown) for p in passages), default=0.0)
