"""Escalation governance in code, from context/escalation-rules.md.

The model is told these rules in its prompt; this module enforces them whatever the
model says. Each detector looks for what the customer *means*, so each has a list of
harmless uses it ignores ("legal entity", "support agents", "human resources").
When several triggers apply, the reason follows the documented precedence and the
urgency is the highest of all that apply.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from crm.models import REASON_PRECEDENCE, URGENCY_RANK, EscalationReason, Urgency

PRECEDENCE = list(REASON_PRECEDENCE)
DEFAULT_URGENCY = {
    EscalationReason.SECURITY_INCIDENT: Urgency.URGENT,
    EscalationReason.LEGAL_LANGUAGE: Urgency.HIGH,
    EscalationReason.REFUND_REQUEST: Urgency.NORMAL,
    EscalationReason.PRICING_INQUIRY: Urgency.NORMAL,
    EscalationReason.NEGATIVE_SENTIMENT: Urgency.HIGH,
    EscalationReason.EXPLICIT_HUMAN_REQUEST: Urgency.NORMAL,
    EscalationReason.KNOWLEDGE_NOT_FOUND: Urgency.NORMAL,
}


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


# Phrases whose harmless meaning must not trigger; removed before detection.
_HARMLESS = _rx(
    r"legal (?:entity|name|address|department|team|counsel'?s? (?:asked|wants to know))",
    r"our legal (?:team|department) (?:asked|wants|needs to know)",
    r"(?:support|travel|sales|insurance|real estate|booking) agents?",
    r"agent role", r"human resources", r"\bhr\b",
    r"refund requests? from (?:our|my) (?:own )?(?:customers|clients)",
    r"(?:customers?|clients?)'?s?'? refund requests?",
    r"(?:called|named|titled|labelled|labeled) ['\"][^'\"]{1,60}['\"]",
    r"(?:not|n't|never) (?:asking|looking|writing|here|contacting you) (?:for|about) (?:a |any )?"
    r"(?:refund|discount|price|pricing|quote)s?(?: or anything like that)?",
    r"(?:this|it) (?:is|'s) not (?:about )?(?:a )?(?:refund|pricing|price|discount)",
    r"price (?:field|column|property)", r"pricing (?:page|table) (?:template|board)",
    r"without (?:a )?(?:price|pricing)",
    r"client is (?:furious|angry|upset)", r"our (?:client|customer|boss) (?:is|was) (?:furious|angry|upset)",
)

_SECURITY = _rx(
    r"\bhack(?:ed|er|ers|ing)?\b", r"compromised?", r"unauthori[sz]ed (?:access|login|sign[- ]?in|charge)?",
    r"(?:someone|somebody|stranger|unknown (?:person|device|user)) (?:has )?(?:signed|logged|got) in",
    r"sign[- ]?ins? (?:i|we) (?:don'?t|do not|didn'?t) recogni[sz]e", r"didn'?t (?:trigger|make|do) (?:this|these|that)",
    r"password (?:was )?changed without", r"email (?:was )?changed without",
    r"(?:leaked|exposed|pushed|posted|published|committed|shared) (?:our |my |the )?(?:api )?(?:token|key|secret|credential)",
    r"(?:api )?(?:token|key|secret)s? (?:was |were |got )?(?:leaked|exposed|pushed|posted|published|committed)",
    r"(?:public|github) (?:repo|repository).{0,40}(?:token|key|secret)", r"(?:token|key|secret).{0,60}public (?:github )?repo",
    r"phishing", r"impersonat", r"fake (?:loomline )?(?:email|login page)",
    r"(?:see|seeing|shows?|showing|visible).{0,40}(?:another|other|different) (?:company|companies|customer|workspace)'?s? (?:data|tasks|projects|files)",
    r"tasks from a company", r"data (?:breach|leak)", r"\bvulnerabilit(?:y|ies)\b.{0,80}(?:endpoint|returns|id\b|exploit|xss|injection)",
    r"(?:endpoint|api).{0,60}returns.{0,40}(?:private|other)", r"\bxss\b", r"sql injection", r"malware", r"virus in",
    r"deleted (?:by )?someone (?:who|that) shouldn'?t",
    r"(?:typed|entered|put|gave) (?:in )?my password", r"was (?:that|this) (?:really )?(?:you|loomline)\?",
    r"suspicious (?:email|link|message|login)", r"link went to",
)
_LEGAL = _rx(
    r"\blawyers?\b", r"\battorneys?\b", r"\bsue\b", r"\bsuing\b", r"lawsuit", r"legal action", r"see you in court",
    r"\bcourt\b", r"small[- ]claims", r"cease and desist", r"\bsubpoena", r"court order", r"law enforcement",
    r"\bpolice\b", r"\bgdpr\b", r"article (?:15|17|20)", r"data[- ]subject", r"\bccpa\b", r"\bdpa\b",
    r"data processing (?:agreement|addendum)", r"\bmsa\b", r"countersign", r"indemnif", r"\bliabilit",
    r"jurisdiction", r"\bdmca\b", r"copyright (?:infringement|complaint|claim)", r"trademark", r"defamat",
    r"regulator", r"data protection authority", r"consumer protection", r"\bftc\b", r"legal advice",
    r"is it legal", r"preserve evidence", r"terms of service.{0,40}(?:mean|interpret|allow)",
)
_REFUND = _rx(
    r"\brefund", r"money back", r"reimburs", r"chargeback", r"dispute (?:this|the charge|it) with",
    r"charged (?:us |me )?twice", r"double[- ]charged", r"charged (?:us |me )?(?:again )?after (?:we |i )?cancel",
    r"charged (?:us |me )?for (?:people|users|seats|members) (?:who|that|we)", r"didn'?t authori[sz]e",
    r"credit note", r"service credit", r"\bsla credit", r"expect (?:a |some )?(?:credit|compensation)",
    r"compensat", r"want (?:a |some )?credit\b", r"credit (?:on|to|against) (?:this|my|our|the) (?:month'?s )?"
    r"(?:bill|invoice|account)", r"credit owed",
)
_PRICING = _rx(
    r"how much (?:does|do|would|will|is|are|for|to)", r"\bcost(?:s|ing)?\b(?! center)", r"\bprice[sd]?\b",
    r"\bpricing\b", r"\bquote\b", r"price list", r"\bdiscount", r"coupon", r"promo code", r"cheaper",
    r"price[- ]match", r"\bnon-?profit", r"\bcharit(?:y|ies|able)", r"education(?:al)? (?:discount|pricing)",
    r"start-?up (?:discount|deal|program)", r"per (?:seat|user) (?:price|cost|fee)", r"\bfees?\b",
    r"invoice (?:is )?(?:higher|more|bigger|larger)", r"why (?:is|was) (?:my|our|this month'?s) (?:invoice|bill)",
    r"\bin (?:usd|eur|gbp|euros?|dollars|pounds)\b", r"pay in (?:euros?|dollars|pounds|another currency)",
)
_HUMAN = _rx(
    r"(?:speak|talk|chat)(?: to| with)? (?:a |an |to a |to an )?(?:real |actual |live )?(?:human|person|someone|somebody|agent|representative|rep\b|operator|manager|supervisor)",
    r"(?:real|actual|live) (?:human|person|agent)", r"someone from (?:your|the) (?:team|support|company)",
    r"(?:can|could) (?:someone|somebody|a person|you) (?:call|ring|phone) me", r"\bcall me\b",
    r"phone call", r"video call", r"don'?t want (?:to talk to )?(?:a |the )?(?:bot|robot|ai|machine)",
    r"not (?:a |the )?(?:bot|robot|ai)\b.{0,20}(?:person|human)", r"\brepresentative\b", r"\boperator\b",
    r"(?:get|connect|transfer) me (?:to )?(?:a |an )?(?:human|person|agent|someone)",
    r"(?:want|need|like) (?:a |an |to speak to a )?(?:human|person|real person)",
    r"escalate (?:this|my)", r"your manager", r"a manager\b",
)
_ONE_WORD_HUMAN = re.compile(
    r"^\W*(?:human|agent|person|people|operator|representative|manager|real person|a human|human please|"
    r"agent please|person please|speak to (?:a )?human|talk to (?:a )?human)\W*$",
    re.IGNORECASE,
)

# Things only staff can do, per the Help Centre: the customer is told what to prepare.
_STAFF_ONLY = _rx(
    r"(?:never saved|lost|don'?t have|no longer have|can'?t find) (?:the |my |our |any )?recovery codes"
    r".{0,300}(?:only (?:admin|owner)|nobody else|no other admin)",
    r"(?:only (?:admin|owner)|nobody else|no other admin).{0,300}recovery codes",
    r"owner (?:has )?(?:left|is gone|is unreachable|no longer works)", r"restore (?:a |our |the )?deleted workspace",
    r"locked (?:ourselves |us |me )?out by (?:the |our )?ip allowlist",
)
# Deployment options the Help Centre does not offer or describe.
_UNDOCUMENTED = _rx(
    r"self[- ]?host(?:ing|ed)? (?:loomline|it|your (?:app|product|tool|software))",
    r"(?:loomline|your (?:app|product|tool|software)) on[- ]?prem", r"on[- ]?prem(?:ise|ises)? (?:version|edition|install)",
    r"(?:host|run|install) (?:loomline |it )?on our own servers?")
_ROADMAP = _rx(
    r"when will (?:you|loomline) (?:add|support|release|launch|ship|have|get)", r"(?:your|the|on the|on your|product|public) roadmap\b(?! project| board)",
    r"(?:do|are) you (?:plan|planning) (?:to|on)", r"any plans? (?:to|for)", r"release date",
    r"(?:upcoming|future|next) (?:release|version|feature)s?",
)
_STRONG_NEGATIVE = _rx(
    r"unacceptable", r"absolutely (?:useless|terrible|awful|ridiculous)", r"\buseless\b", r"\bterrible\b",
    r"\bawful\b", r"\bhorrible\b", r"\bpathetic\b", r"\bdisgrace", r"\bdisaster\b", r"worst", r"\bjoke\b",
    r"\bscam\b", r"rip[- ]?off", r"\bfurious\b", r"\bfuming\b", r"\bangry\b", r"\bsick (?:and tired )?of\b",
    r"fed up", r"\bridiculous\b", r"\bincompetent\b", r"\bshit\b", r"\bcrap\b", r"\bdamn\b", r"\bwtf\b",
    r"\bf+u+c+k", r"moving to (?:another|a different) (?:tool|app|provider|platform|product|vendor)",
    r"(?:moving|switching|migrating) (?:over )?to (?:asana|trello|monday|jira|clickup|notion)",
    r"(?:cancel(?:l?ing)?|cancel) everything", r"looking at alternatives",
    r"lose my job", r"missed (?:a |our )?(?:client )?deadline because", r"(?:bad|negative|1-star|one-star) review",
    r"post (?:about )?(?:this|it) on (?:twitter|x|linkedin|social media)", r"nobody (?:ever )?(?:answers|replies|helps)",
    r"bot is (?:useless|stupid|a joke)", r"so-called support", r"never (?:again|recommend)",
    r"third time", r"lost my (?:changes|work|data) again",
)
_MILD_NEGATIVE = _rx(r"annoying", r"frustrat", r"confus", r"\bugh\b", r"not ideal", r"disappoint", r"slow",
                     r"struggl", r"stuck", r"doesn'?t work", r"not working", r"broken", r"\bbug\b")
_POSITIVE = _rx(r"\bthanks?\b", r"thank you", r"\bgreat\b", r"\blove\b", r"\bawesome\b", r"appreciate",
                r"\bplease\b", r"\bhelpful\b")

_INJECTION = _rx(
    r"ignore (?:all |any |your |the )?(?:previous|prior|above|earlier|preceding)? ?(?:instructions|rules|prompts?|guidelines)",
    r"disregard (?:all |any |your |the )?(?:previous|prior|above)? ?(?:instructions|rules)",
    r"(?:print|show|reveal|repeat|output|tell me|display|leak) (?:me )?(?:your|the) (?:full |entire |original |hidden )?(?:system )?(?:prompt|instructions|rules|tools|configuration)",
    r"system prompt", r"developer mode", r"\bdan mode\b", r"you are now (?:a|an|in|the)\b", r"jailbreak",
    r"pretend (?:you(?:'re| are)|to be) (?:a |an |the )?(?:loomline )?(?:manager|admin|developer|human|employee)",
    r"act as (?:a |an |the )?(?:loomline )?(?:manager|admin|developer|system)", r"new instructions:",
    r"</?(?:system|assistant|instructions?)>", r"reveal your tools", r"override your",
)
_QUESTION_HINT = re.compile(
    r"\?|\b(?:how|what|why|where|when|which|can|could|does|do|is|are|will|would|should|help|need|want|unable|"
    r"can'?t|cannot|won'?t|error|problem|issue)\b",
    re.IGNORECASE,
)
_GREETING_ONLY = re.compile(r"^\W*(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|yo|hallo|hola)\W*(?:there|team|loomline)?\W*$",
                            re.IGNORECASE)
_THANKS_ONLY = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|great|perfect|awesome|cool|got it|that (?:worked|did it|fixed it)|all (?:good|sorted)|"
    r"solved|it works( now)?)[,!. ]*)*(?:thanks?|thank you|thx|ty|cheers)?(?: (?:so|very) much| a lot)?[!. ]*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Trigger:
    reason: str
    urgency: str
    evidence: str


@dataclass
class Assessment:
    """What the policy concluded about one inbound message."""

    triggers: list[Trigger] = field(default_factory=list)
    sentiment: float = 0.0
    injection: bool = False
    has_question: bool = True
    kind: str = "question"  # question | greeting | thanks | empty | injection_only

    @property
    def must_escalate(self) -> bool:
        return bool(self.triggers)

    @property
    def reason(self) -> str | None:
        if not self.triggers:
            return None
        return min(self.triggers, key=lambda t: PRECEDENCE.index(t.reason)).reason

    @property
    def urgency(self) -> str:
        if not self.triggers:
            return Urgency.NORMAL
        return min((t.urgency for t in self.triggers), key=lambda u: URGENCY_RANK[u])

    def evidence(self) -> list[str]:
        return [f"{t.reason}: {t.evidence}" for t in self.triggers]


def _clean(text: str) -> str:
    return _HARMLESS.sub(" ", text.replace("\u2019", "'").replace("\u2018", "'"))


def sentiment_score(text: str) -> float:
    """A small, explainable lexicon score in [-1, 1]. Strong words weigh three times mild ones."""
    if not text.strip():
        return 0.0
    cleaned = _clean(text)
    strong = len(_STRONG_NEGATIVE.findall(cleaned))
    mild = len(_MILD_NEGATIVE.findall(cleaned))
    positive = len(_POSITIVE.findall(cleaned))
    letters = [c for c in text if c.isalpha()]
    shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7
    bangs = text.count("!!")
    raw = -3 * strong - 1 * mild + 1 * positive - (3 if shouting else 0) - (1 if bangs and (strong or mild) else 0)
    return max(-1.0, min(1.0, raw / 6))


def strip_injection(text: str) -> str:
    """The message without the sentences that try to instruct the assistant."""
    sentences = re.split(r"(?<=[.!?\n])\s+", text)
    return " ".join(s for s in sentences if not _INJECTION.search(s)).strip()


def _first_match(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(0) if match else None


def assess(text: str, *, channel: str, subject: str = "", repeat_contacts: int = 0) -> Assessment:
    """Apply the hard triggers to one message (subject included for email and web form)."""
    full = f"{subject}\n{text}".strip() if subject else (text or "").strip()
    result = Assessment()
    if not full:
        result.kind = "empty"
        result.has_question = False
        result.triggers.append(Trigger(EscalationReason.KNOWLEDGE_NOT_FOUND, Urgency.LOW, "empty message"))
        return result

    cleaned = _clean(full)
    result.sentiment = sentiment_score(full)
    result.injection = bool(_INJECTION.search(full))
    remainder = strip_injection(full) if result.injection else full

    for reason, pattern in ((EscalationReason.SECURITY_INCIDENT, _SECURITY), (EscalationReason.LEGAL_LANGUAGE, _LEGAL),
                            (EscalationReason.REFUND_REQUEST, _REFUND), (EscalationReason.PRICING_INQUIRY, _PRICING)):
        evidence = _first_match(pattern, _clean(remainder) if result.injection and reason != EscalationReason.PRICING_INQUIRY
                                else cleaned)
        if evidence:
            result.triggers.append(Trigger(reason, DEFAULT_URGENCY[reason], evidence))
    if result.sentiment <= -0.5:
        result.triggers.append(Trigger(EscalationReason.NEGATIVE_SENTIMENT, Urgency.HIGH, f"sentiment {result.sentiment:.2f}"))
    human = _first_match(_HUMAN, cleaned) or (_first_match(_ONE_WORD_HUMAN, full.strip()))
    if human:
        result.triggers.append(Trigger(EscalationReason.EXPLICIT_HUMAN_REQUEST, Urgency.NORMAL, human))
    staff_only = _first_match(_STAFF_ONLY, cleaned.replace("\n", " "))
    if staff_only:
        result.triggers.append(Trigger(EscalationReason.KNOWLEDGE_NOT_FOUND, Urgency.HIGH if "only" in staff_only else Urgency.NORMAL,
                                       f"only staff can do this: {staff_only[:80]}"))
    undocumented = _first_match(_UNDOCUMENTED, cleaned)
    if undocumented:
        result.triggers.append(Trigger(EscalationReason.KNOWLEDGE_NOT_FOUND, Urgency.NORMAL, f"not offered or documented: {undocumented}"))
    roadmap = _first_match(_ROADMAP, cleaned)
    if roadmap:
        result.triggers.append(Trigger(EscalationReason.KNOWLEDGE_NOT_FOUND, Urgency.NORMAL, f"asks about unreleased features: {roadmap}"))
    if repeat_contacts >= 2:
        result.triggers.append(Trigger(EscalationReason.KNOWLEDGE_NOT_FOUND, Urgency.NORMAL,
                                       "third contact about the same issue within 24 hours"))

    if result.injection and not result.triggers:
        if not _QUESTION_HINT.search(remainder) or len(remainder.split()) < 4:
            result.kind = "injection_only"
            result.has_question = False
            result.triggers.append(Trigger(EscalationReason.KNOWLEDGE_NOT_FOUND, Urgency.LOW, "possible prompt-injection attempt; "
                                                                         "no product question"))
            return result
    if _GREETING_ONLY.match(full) and not result.triggers:
        result.kind, result.has_question = "greeting", False
    elif _THANKS_ONLY.match(full) and not result.triggers:
        result.kind, result.has_question = "thanks", False
    if any(t.reason == EscalationReason.EXPLICIT_HUMAN_REQUEST for t in result.triggers) and re.search(
            r"\b(?:blocked|can'?t work|urgent|asap|deadline)\b", full, re.IGNORECASE):
        result.triggers.append(Trigger(EscalationReason.EXPLICIT_HUMAN_REQUEST, Urgency.HIGH, "customer is blocked"))
    return result


def question_text(text: str, *, subject: str = "") -> str:
    """What to search the knowledge base with: the question, without injected instructions."""
    body = strip_injection(text) or text
    if subject and subject.strip().lower() not in body.lower():
        body = f"{subject}\n{body}"
    return body.strip()[:1900]


REPEAT_WINDOW = timedelta(hours=24)
_WORD = re.compile(r"[a-z0-9]{4,}")


def _overlap(a: str, b: str) -> float:
    wa, wb = set(_WORD.findall(a.lower())), set(_WORD.findall(b.lower()))
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def repeat_contacts(*, history: list[dict], text: str, ticket_reference: str | None,
                    now: datetime | None = None) -> int:
    """How many earlier contacts about the same issue the customer made in the last 24 hours.

    "Same issue" is the same ticket, or messages sharing most of their content words;
    the history spans every channel, so a WhatsApp follow-up counts an email.
    """
    now = now or datetime.now(tz=UTC)
    count = 0
    for item in history:
        if item.get("direction") != "inbound":
            continue
        try:
            at = datetime.fromisoformat(item["created_at"])
        except (KeyError, ValueError):
            continue
        if now - at > REPEAT_WINDOW:
            continue
        overlap = _overlap(item.get("content", ""), text)
        same_ticket = bool(ticket_reference) and item.get("ticket") == ticket_reference
        if overlap >= 0.5 or (same_ticket and overlap >= 0.25):
            count += 1
    return count
