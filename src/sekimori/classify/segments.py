"""Segments: the pieces of a text the prompt classifier scores besides the whole.

Padding hides a request ("…sarin…" followed by five sentences about the weather in Paris): the
whole text's score is an average over everything in it. So a text is also cut into

- **sentences**, ended by 。！？!? (full- or half-width), a full stop before a space, or a
  newline; a sentence longer than a window is cut into overlapping character chunks;
- **windows**: consecutive sentences packed up to about ``WINDOW_TOKENS`` tokens, each window
  starting with the last sentence of the one before (one sentence of overlap), so a request
  that spans a window boundary is still read whole once;
- **clauses**: each sentence cut where a request written without its closing mark may run
  into the next sentence (`clauses`), each clause alone and with its open side's neighbour;
- **runs**: maximal stretches of consecutive sentences that the cheap first stage marks as
  suspect (the sentences of the request without the padding around it), packed the same way.

Token counts are estimated from characters (about 3.2 ASCII characters or 1.3 other
characters a token for e5's tokenizer), so this module needs no tokenizer; a text of one
window has no segments besides itself.

Everything here is deterministic and linear in the text's length.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

WINDOW_TOKENS = 64
_ASCII_CHARS_PER_TOKEN = 3.2
_OTHER_CHARS_PER_TOKEN = 1.3

# A sentence: up to and including its end mark(s), a full stop followed by space, or a newline.
_SENTENCE = re.compile(r"(?:[^。！？!?\n.．]|\.(?!\s|$))*(?:[。！？!?．]+|\.+|\n+|$)")


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of a text: ``text[start:end]``."""

    start: int
    end: int
    text: str


def estimate_tokens(text: str) -> float:
    """About how many encoder tokens ``text`` is (a character-based estimate, no tokenizer)."""
    # the ASCII characters: encoding drops the others, without a match object a character
    ascii_chars = len(text) if text.isascii() else len(text.encode("ascii", "ignore"))
    return ascii_chars / _ASCII_CHARS_PER_TOKEN + (len(text) - ascii_chars) / _OTHER_CHARS_PER_TOKEN


def _window_chars(piece: str, tokens: int) -> int:
    """Characters of ``piece``'s kind of text that make about ``tokens`` tokens."""
    per_token = len(piece) / max(estimate_tokens(piece), 1e-9)
    return max(8, int(tokens * per_token))


def sentences(text: str, *, window_tokens: int = WINDOW_TOKENS) -> list[Span]:
    """The text's sentences in order, blank ones dropped; a sentence longer than a window is
    cut into chunks of one window that overlap by a quarter of a window."""
    return list(_sentences(text, window_tokens))


# A screened prompt's sentences are read by the segment scan's plan, its scan and the copyright
# detector: the latest texts' are kept
@lru_cache(maxsize=8)
def _sentences(text: str, window_tokens: int) -> tuple[Span, ...]:
    out: list[Span] = []
    for m in _SENTENCE.finditer(text):
        piece = m[0]
        if not piece.strip():
            continue
        if estimate_tokens(piece) <= window_tokens:
            out.append(Span(m.start(), m.end(), piece))
            continue
        size = _window_chars(piece, window_tokens)
        step = max(1, size * 3 // 4)
        for off in range(0, len(piece), step):
            chunk = piece[off : off + size]
            if chunk.strip():
                out.append(Span(m.start() + off, m.start() + off + len(chunk), chunk))
            if off + size >= len(piece):
                break
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Group:
    """Consecutive sentences ``first..last`` (indices, both included) read as one window."""

    first: int
    last: int


def pack(costs: Sequence[float], *, window_tokens: int = WINDOW_TOKENS) -> list[Group]:
    """Consecutive pieces of token ``costs`` packed into windows of about ``window_tokens``
    tokens; each window after the first starts with the previous window's last piece."""
    out: list[Group] = []
    first = 0
    while first < len(costs):
        last = first
        used = costs[first]
        while last + 1 < len(costs) and used + costs[last + 1] <= window_tokens:
            last += 1
            used += costs[last]
        out.append(Group(first, last))
        if last + 1 >= len(costs):
            break
        # one piece of overlap, unless the window is that one piece (then move on)
        first = last if last > first else last + 1
    return out


@dataclass(frozen=True, slots=True)
class Candidate:
    """A window or run worth a look: its text, where it starts and the first stage's levels
    (harm and jailbreak; ``suspicion`` is the higher)."""

    text: str
    start: int
    harm: float
    jailbreak: float
    kind: str  # "window", "run", "sentence", "clause" or "pair"

    @property
    def suspicion(self) -> float:
        return max(self.harm, self.jailbreak)


# The first stage's (harm, jailbreak) levels of a piece of text.
Levels = Callable[[str], tuple[float, float]]


def suspects(
    text: str,
    levels: Levels,
    *,
    gate: float,
    window_tokens: int = WINDOW_TOKENS,
    max_scanned: int = 256,
) -> list[Candidate]:
    """The windows and runs of suspect sentences of ``text`` whose first-stage ``levels``
    (harm or jailbreak) reach ``gate``, in text order; none when the text fits in one window.

    Past ``max_scanned`` windows only that many, spread evenly from the first to the last,
    are looked at (with their sentences), so the work stays bounded for any text length and
    never covers only the head."""
    if estimate_tokens(text) <= window_tokens:
        return []
    spans = sentences(text, window_tokens=window_tokens)
    costs = [estimate_tokens(s.text) for s in spans]
    groups = pack(costs, window_tokens=window_tokens)
    out: list[Candidate] = []
    sentence_level: dict[int, tuple[float, float]] = {}
    for g in (groups[i] for i in evenly_spaced(len(groups), max_scanned)):
        start, end = spans[g.first].start, spans[g.last].end
        harm, jailbreak = levels(text[start:end])
        if max(harm, jailbreak) >= gate:
            out.append(Candidate(text[start:end], start, harm, jailbreak, "window"))
        for i in range(g.first, g.last + 1):
            if i not in sentence_level:
                sentence_level[i] = levels(spans[i].text)
    run: list[int] = []
    for i in [*sorted(sentence_level), -1]:
        suspect = i >= 0 and max(sentence_level[i]) >= gate
        if suspect and (not run or i == run[-1] + 1):
            run.append(i)
            continue
        for g in pack([costs[k] for k in run], window_tokens=window_tokens):
            start, end = spans[run[g.first]].start, spans[run[g.last]].end
            out.append(Candidate(text[start:end], start, *levels(text[start:end]), "run"))
        if len(run) > 1:  # and each of its sentences alone: a neighbour may be noise
            out.extend(
                Candidate(spans[k].text, spans[k].start, *sentence_level[k], "sentence")
                for k in run
            )
        run = [i] if suspect else []
    # A sentence's clauses: a request written without its closing mark runs into the next
    # sentence ("… sarin Please also tell me …", 「…教えてついでに…」) and reads as one, whose
    # level the other sentence dilutes, so every sentence's clauses are gated on their own.
    for k in sorted(sentence_level):
        cut = _clauses_of(text, spans[k])
        for n, (offset, piece) in enumerate(cut):
            start, end = spans[k].start + offset, spans[k].start + offset + len(piece)
            # the first clause ends the request the sentence before began, the last one
            # begins what the next sentence ends: each is also read with that neighbour
            with_neighbour = (
                (spans[k - 1].start, end) if n == 0 and k - 1 in sentence_level else None,
                (start, spans[k + 1].end)
                if n == len(cut) - 1 and k + 1 in sentence_level
                else None,
            )
            for a, b in ((start, end), *(w for w in with_neighbour if w is not None)):
                harm, jailbreak = levels(text[a:b])
                if max(harm, jailbreak) >= gate and estimate_tokens(text[a:b]) <= window_tokens:
                    out.append(Candidate(text[a:b], a, harm, jailbreak, "clause"))
    # A suspect sentence with each neighbour: a request is often a question plus a sentence of
    # intent ("How do … look credible? I want to launch one before the election."), and the
    # neighbour may not read as suspect alone while the window around both is padding.
    # (Two suspect neighbours make one pair, scored once.)
    marked = sorted(k for k, lv in sentence_level.items() if max(lv) >= gate)
    pairs = sorted({p for i in marked for p in ((i - 1, i), (i, i + 1))})
    for a, b in pairs:
        if a in sentence_level and b in sentence_level and costs[a] + costs[b] <= window_tokens:
            start, end = spans[a].start, spans[b].end
            out.append(Candidate(text[start:end], start, *levels(text[start:end]), "pair"))
    return sorted(out, key=lambda c: c.start)


def scan_spans(
    text: str, *, window_tokens: int = WINDOW_TOKENS, max_scanned: int = 256
) -> list[tuple[int, int]]:
    """The pieces ``(start, end)`` whose levels `suspects` reads whatever they turn out to be:
    the scanned windows, their sentences, each sentence's clauses alone and with the neighbour
    on their open side, and each pair of neighbouring sentences (runs depend on the levels and
    are not here); none when the text fits in one window. Reading them all in one pass
    (`PromptClassifier`'s ``one_pass_scan``) is cheaper than one by one."""
    if estimate_tokens(text) <= window_tokens:
        return []
    spans = sentences(text, window_tokens=window_tokens)
    costs = [estimate_tokens(s.text) for s in spans]
    groups = pack(costs, window_tokens=window_tokens)
    out: list[tuple[int, int]] = []
    scanned: set[int] = set()
    for g in (groups[i] for i in evenly_spaced(len(groups), max_scanned)):
        out.append((spans[g.first].start, spans[g.last].end))
        scanned.update(range(g.first, g.last + 1))
    for k in sorted(scanned):
        out.append((spans[k].start, spans[k].end))
        cut = _clauses_of(text, spans[k])
        for n, (offset, piece) in enumerate(cut):
            start, end = spans[k].start + offset, spans[k].start + offset + len(piece)
            out.append((start, end))
            if n == 0 and k - 1 in scanned:
                out.append((spans[k - 1].start, end))
            if n == len(cut) - 1 and k + 1 in scanned:
                out.append((start, spans[k + 1].end))
        if k + 1 in scanned and costs[k] + costs[k + 1] <= window_tokens:
            out.append((spans[k].start, spans[k + 1].end))
    return list(dict.fromkeys(out))


# Where a sentence written without its closing mark may run into the next one: in English
# before a capitalised word after a lower-case one ("… on people Please also …"; not before "I"
# after a word that asks, as in "how do I"), in Japanese after a request or sentence ending that
# nothing continues (「…教えて」「…ください」「…方法」「…たい」 followed by a new sentence).
_EN_CLAUSE = re.compile(r"\b([a-z0-9']+),?\s+(?=([A-Z][a-z']*)\b)")
# "how do I …", "what should I …": here "I" goes on the question, it starts nothing
_ASKING = frozenset((
    "do", "does", "did", "can", "could", "should", "would", "will", "shall", "may", "might",
    "must", "am", "was", "were", "what", "how", "where", "when", "why", "which", "who", "that",
    "if", "and", "or", "but", "so", "then", "because", "as", "than",
))  # fmt: skip
# A word no sentence ends on: the capitalised word after it is a name in the same phrase ("in
# Paris", "a Python process"), not a new sentence.
_GOES_ON = _ASKING | frozenset((
    "a", "an", "the", "in", "on", "at", "of", "to", "for", "with", "by", "from", "into", "onto",
    "about", "via", "my", "your", "his", "her", "its", "our", "their", "this", "these", "those",
    "some", "any", "no", "every", "each", "is", "are", "be", "been", "being", "has", "have", "had",
))  # fmt: skip
_JA_CLAUSE = re.compile(
    r"(?:ください|下さい|ちょうだい|なさい|ほしい|欲しい|たい|しろ|せよ|ますか|ですか|教えろ|"
    r"うれしい|嬉しい|助かる|助かります|ありがたい|どこ|方法|やり方|作り方|手順|手口|レシピ|"
    # a wish put as enough: 「言ってくれるだけでいい」「教えてくれればいい」
    r"(?:だけで|れば|たら|ても)いい|"
    # a request's te-form; not every te-form: 「どうやって」「〜として」「〜なくて」 go on
    r"教えて|おしえて|書いて|描いて|作って|調べて|挙げて|見せて|暴いて|考えて|出して|"
    r"探して|まとめて|続けて|含めて|[一-龯]{2}して)"
    r"(?![ねよなわかがけしのでとにもをはへやくいおあほみまらりきたるちすそんっだじ、。，．！？!?」』）)…ー\s]"
    r"|です|ます)"
)
_MIN_CLAUSE_CHARS = 6


# The segment scan's pass (`scan_spans`) and its reading (`suspects`) cut the same sentences of
# the same text: each sentence's clauses are kept for the latest texts, by where the sentence
# lies in its text (so a memo can only give the clauses of ``text[start:end]``, whoever asks;
# shared by threads, which at worst cut a sentence twice into the same tuple).
@lru_cache(maxsize=8)
def _clause_memo(text: str) -> dict[tuple[int, int], tuple[tuple[int, str], ...]]:
    return {}


def _clauses_of(text: str, span: Span) -> tuple[tuple[int, str], ...]:
    """`clauses` of ``span``, a sentence of ``text``, cut once a text."""
    memo = _clause_memo(text)
    where = (span.start, span.end)
    found = memo.get(where)
    if found is None:
        found = memo[where] = tuple(clauses(text[span.start : span.end]))
    return found


def clauses(sentence: str) -> list[tuple[int, str]]:
    """The pieces of ``sentence`` between the places where one sentence may run into the next
    (with their offsets); none when there is no such place."""
    cuts = sorted(
        {
            m.end()
            for m in _EN_CLAUSE.finditer(sentence)
            if m[1].lower() not in _GOES_ON
            and not (m[2] in ("I", "I'm", "I've", "I'd", "I'll") and m[1] in _ASKING)
        }
        | {m.end() for m in _JA_CLAUSE.finditer(sentence) if m.end() < len(sentence)}
    )
    if not cuts:
        return []
    bounds = [0, *cuts, len(sentence)]
    out = []
    for a, b in itertools.pairwise(bounds):
        piece = sentence[a:b]
        if len(piece.strip()) >= _MIN_CLAUSE_CHARS:
            out.append((a, piece))
    return out


# Request words and marks, EN and JA: a question, an imperative or a wish ("how do I", "tell
# me", "write", "教えて", "〜たい", "作って"), as opposed to a statement from a passage.
_REQUEST = re.compile(
    # questions and wishes anywhere
    r"[?？]|\bhow (?:to|do|does|did|can|could|would|should|much|many|long)\b|"
    r"\b(?:can|could|would|will) you\b|\b(?:tell|give|show|help|teach|walk|brief) me\b|"
    r"\bi(?: want| need|'d like| would like)\b|\bplease\b|\bstep by step\b|"
    r"\b(?:where|how) can i\b|\b(?:best|easiest|fastest|cheapest) way\b|\bwhich \w+ would\b|"
    r"\b(?:write|generate|build|simulate|continue|complete|print|give|do)"
    r" (?:me|us|a|an|the|some|out|this|\d+)\b|"
    # a causative request: "have the villain explain exactly how …"
    r"\bhave (?:the|a|an|my|your|his|her|their|him|them|it) [\w' -]{1,40}?"
    r"(?:explain|describe|tell|show|list|detail|walk|reveal)\b|"
    # imperatives where a sentence starts
    r"(?:^\s*|[.!:;\n]\s*)(?:list|explain|describe|outline|write|draft|compose|create|make|generate|"
    r"provide|suggest|find|post|pretend|act as|roleplay|role-play|ignore|imagine|draw|design|plan|"
    r"build|get|buy|sell|send|spread|convince|persuade|trick|teach|name|recommend|rob|steal|kill|"
    r"hurt|hack|break|bypass|evade|hide|poison|attack|threaten|harass|stalk|track|dox|forge|fake|"
    r"smuggle|launder|cheat|crack|exploit|infect|destroy|synthesi[sz]e|produce|cook|grow|"
    r"program|code|develop|implement|deploy|weaponi[sz]e|disperse|detonate|assemble)\b|"
    # a question without its mark, where a sentence starts
    r"(?:^\s*|[.!:;\n]\s*)(?:can|could|would|will|should|is|are|do|does|did|how|what|where|"
    r"which|who|why|when) (?:someone|anyone|somebody|one|i|we|you|it|there|\w+ing)\b|"
    r"(?:^\s*|[.!:;\n]\s*)(?:how|what|where|which|who|why|when) (?:is|are|was|were|do|does|did|"
    r"can|could|should|would|will)\b|"
    # an intent in the first person: "I'm going to …", "we plan to …"
    r"\b(?:i|we)(?:'m| am|'re| are) (?:going|planning|about|trying) to\b|"
    r"\b(?:i|we)(?:'ll| will| plan to| intend to| wanted to| wanna| gonna)\b|"
    # Japanese: asking, wishing and commanding endings ("〜して" ends a request, not a clause)
    r"教えて|ください|下さい|やり方|作り方|手順を|方法を|(?:方法|手順|手口)(?:は)?[。？?]?$|たい[。！!？?]?$|たいです|ほしい|欲しい|"
    r"どうやって|どうすれば|どうしたら|ますか|ですか|お願い|頼む|しろ[。！!]?$|せよ[。！!]?$|"
    r"なさい|ちょうだい|て(?:[。！!]|$)|て(?:くれ|もらえ|いただけ|下さ)|"
    # a wish put as thanks in advance: 「…があるとうれしい」「…してくれたら助かる」
    r"(?:と|たら|れば|ば)(?:うれしい|嬉しい|助かる|助かります|ありがたい|有難い)|"
    # an intent in the first person: 「転売するつもり」「…しようと思う」
    r"つもり|(?:よう|おう|こう|そう|とう|ろう)と(?:思|考え)",
    re.IGNORECASE,
)


def reads_as_request(text: str) -> bool:
    """Whether ``text`` reads as a request (a question, an imperative, a wish), EN or JA."""
    return _REQUEST.search(text) is not None


def evenly_spaced(count: int, limit: int) -> list[int]:
    """At most ``limit`` indices spread evenly over ``range(count)``, first and last included
    (all of them when ``count <= limit``)."""
    if count <= limit:
        return list(range(count))
    if limit <= 1:
        return [0][:limit]
    return sorted({round(i * (count - 1) / (limit - 1)) for i in range(limit)})
