"""The per-request sketch: what the watch keeps of a request instead of its text.

Computed from what the gateway has after screening (the prompt, the verdict, the sampling
parameters, ids and timing); the text itself is dropped. Packed it is `PACKED_SIZE` (93) bytes.

- `template`: a 64-bit SimHash (Charikar) over character 4-shingles of the normalised prompt
  (NFKC, lower case, digits masked, whitespace collapsed): prompts made from one template with
  different numbers or names land a few bits apart; unrelated prompts about 32 bits apart.
- `topic`: 128 random-projection sign bits of the classifier's hashed character 1-4-gram vector
  (`sekimori.classify.ngrams`, 2^14 buckets, a fixed seeded +-1 matrix). It is *not* the e5
  embedding: the screen computes that only for texts its first stage does not clear, and
  running e5 for every request costs milliseconds. Angle between two texts' vectors is about
  pi * hamming / 128.
- lengths (characters), language, sampling parameters, reasoning-elicitation, system-prompt
  extraction and fingerprinting markers (EN/JA regular expressions; flags only, the matched words
  are not kept), the harm and per-category scores quantised to a byte, the screen's latency.
- key, tenant and session ids as 64-bit BLAKE2b digests, so the sketch store holds no key names.

Only the first `MAX_CHARS` characters are read for the template and topic: the cost stays flat
for long prompts (a 4,000-character prompt cost about 2 ms in full), and a template shows in
its opening. Lengths count the whole prompt.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.ngrams import hashed_ngrams
from sekimori.errors import InputError
from sekimori.taxonomy import CATEGORY_IDS, SIGNAL_JAILBREAK

FORMAT_VERSION = 1
MAX_CHARS = 1_000
MARKER_CHARS = 20_000
# The phase flags read a question's opening only: a long prompt's quoted passage (a story, an
# article) uses every verb of a plan without asking for one.
PHASE_CHARS = 300
TOPIC_BITS = 128
_TOPIC_BUCKETS = 1 << 14
_TOPIC_SEED = 0x5EC1_0018
# The hazard scores kept: the taxonomy's categories of format 1, frozen with the format so stored
# sketches stay readable when the taxonomy grows (ip.copyright, a moderate category no detector
# reads, came later and is not kept). Then the jailbreak signal.
KEPT_CATEGORIES: tuple[str, ...] = (
    "weapons.bio",
    "weapons.chem",
    "weapons.nuclear",
    "military.targeting",
    "weapons.conventional",
    "cyber.offense",
    "crime.violent",
    "sexual.minors",
    "self_harm",
    "crime.nonviolent",
    "hate",
    "sexual.explicit",
    "privacy",
    "deception",
)
SCORE_IDS: tuple[str, ...] = (*KEPT_CATEGORIES, SIGNAL_JAILBREAK)
_LANGS: tuple[str, ...] = ("en", "ja")

# version, ts, key, tenant, session, template, topic, prompt/answer chars, max_tokens,
# latency, lang, temperature, n, top_logprobs, reasoning, flags, harm, scores.
_FORMAT = f"<BdQQQQ16sIIIHBBBBBBB{len(SCORE_IDS)}s"
PACKED_SIZE = struct.calcsize(_FORMAT)
# The same layout as a numpy record (little-endian, unaligned), for reading many at once.
_DTYPE = np.dtype(
    [
        ("version", "u1"),
        ("ts", "<f8"),
        ("key", "<u8"),
        ("tenant", "<u8"),
        ("session", "<u8"),
        ("template", "<u8"),
        ("topic", "V16"),
        ("prompt_chars", "<u4"),
        ("answer_chars", "<u4"),
        ("max_tokens", "<u4"),
        ("latency_ms", "<u2"),
        ("lang", "u1"),
        ("temperature", "u1"),
        ("n", "u1"),
        ("top_logprobs", "u1"),
        ("reasoning", "u1"),
        ("flags", "u1"),
        ("harm", "u1"),
        ("scores", f"V{len(SCORE_IDS)}"),
    ]
)

FLAG_LOGPROBS = 1
FLAG_REFUSED = 2  # blocked by the screen or refused by the model
FLAG_EXTRACTION = 4  # asks for the system prompt or hidden instructions
FLAG_FINGERPRINT = 8  # asks which model, version or training cut-off it is
# What a request asks to *do*, by phase of a harmful plan (EN/JA regular expressions; flags only,
# the matched words are not kept): getting hold of something, making or preparing it, getting
# it to its target, and keeping it unseen. Ordinary prompts use these words all the time
# ("where can I buy a bike", "how to make bread"); the decomposition detector's trajectory
# channel reads them only beside hazard scores (bench/watch/DECOMP_RULE_7.md). The four bits
# were free in format 1: sketches stored before them read as no phase.
FLAG_ACQUIRE = 16
FLAG_PRODUCE = 32
FLAG_DELIVER = 64
FLAG_CONCEAL = 128
PHASE_FLAGS: tuple[int, ...] = (FLAG_ACQUIRE, FLAG_PRODUCE, FLAG_DELIVER, FLAG_CONCEAL)

_REASONING = re.compile(
    r"step[- ]by[- ]step|think (?:carefully|it through|through)|chain[- ]of[- ]thought"
    r"|show (?:your|all) (?:work|reasoning|steps)|explain your reasoning|let'?s think"
    r"|reason(?:ing)? (?:before|first)|<think>|before answering, (?:think|reason)"
    r"|段階的に|ステップバイステップ|順を追って|理由を説明|考え方を示|推論過程|思考過程|考えてから答え",
    re.IGNORECASE,
)
_EXTRACTION = re.compile(
    r"(?:repeat|print|reveal|show|output|dump|recite) (?:me )?(?:your|the) "
    r"(?:full |entire |exact )?"
    r"(?:system prompt|initial prompt|instructions|hidden prompt|prompt above)"
    r"|what (?:is|are|was|were) your (?:system prompt|instructions|initial instructions)"
    r"|ignore (?:all )?(?:the )?(?:previous|prior|above) instructions"
    r"|text above,? (?:verbatim|word for word)"
    r"|システムプロンプト|最初の指示|隠された指示|指示(?:を|内容を)(?:全て|すべて)?(?:表示|出力|繰り返|教え)",
    re.IGNORECASE,
)
_FINGERPRINT = re.compile(
    r"(?:which|what) (?:language )?model are you|are you (?:gpt|claude|llama|gemini|qwen|mistral)"
    r"|who (?:made|trained|created|built) you|(?:knowledge|training) cut-?off|model version"
    r"|どのモデル|何のモデル|モデル名|学習データ(?:は|の)(?:いつ|期限)|開発元|誰が(?:作|開発)",
    re.IGNORECASE,
)
_ACQUIRE = re.compile(
    r"\b(?:buy|buying|bought|purchas\w*|order(?:ing)? (?:it|them|some|the)|obtain\w*|acquir\w*"
    r"|get (?:hold of|my hands on|a sample|some|access to)|sourc(?:e|ing) (?:it|them|the)"
    r"|steal\w*|stole|smuggl\w*|suppliers?|samples? of|collect\w* (?:it|them|some|a sample)"
    r"|(?:dig|dug) (?:some|it|them) up"
    r"|where (?:can|could|would|do|does|might) (?:i|you|someone|one|a person|they) "
    r"(?:even )?(?:get|find|buy)|gets? (?:the|it|them|some)\b[^.?!]{0,30}\b(?:himself|herself"
    r"|themselves|from))"
    r"|手に入|入手|買え|買う|購入|調達|取ってく|盗|持ち出|抜き取|持ち込|持ってく|集め|取り寄せ",
    re.IGNORECASE,
)
_PRODUCE = re.compile(
    r"\b(?:make|making|grow\w*|cultur(?:e|ed|es|ing)\b|synthes\w*|produc(?:e|es|ed|ing)\b"
    r"|manufactur\w*|brew\w*|extract\w*|purif\w*|concentrat\w*|enrich\w*|isolat\w*"
    r"|refin\w*|batch\w*|stable|stabili[sz]\w*|weaponi[sz]\w*|assembl\w*|mix(?:ing)? (?:it|them)"
    r"|turn(?:ing)? (?:it|them|that|this) into|keep (?:it|them|a batch) (?:alive|stable|dry|potent)"
    r"|the reaction|working device)"
    r"|作(?:る|れ|り|っ)|製造|合成|培養|増や|精製|濃く|濃縮|抽出|取り出|長持ち|保存|まとめ|組み立て",
    re.IGNORECASE,
)
_DELIVER = re.compile(
    r"\b(?:spread\w*|releas\w*|dispers\w*|spray\w*|airborne|aerosol\w*|into the air"
    r"|deliver\w*|drop(?:s|ping)?\b|reach(?:es)? (?:the )?most|most people|crowd\w*"
    r"|target\w*|strikes?\b|attack\w*|a hit\b|knock(?:ing)? out|air supply|vents?\b"
    r"|ventilation|water supply|contaminat\w*|scatter\w*|get (?:it|them) (?:into|to))"
    r"|広げ|広め|拡散|まく|まけ|撒|散布|放出|混入|届かせ|人の多い|人混み|大勢|狙|当て|壊|攻撃|汚染"
    r"|流し込",
    re.IGNORECASE,
)
_CONCEAL = re.compile(
    r"(?:without (?:being |anyone |them |it being )?(?:notic\w*|trac\w*|detect\w*|caught|seen"
    r"|flagged)|unnoticed|undetected|untraceable|traced? back|raise (?:any )?(?:flags|suspicion)"
    r"|avoid\w* (?:the )?(?:checks?|detection|security|suspicion|leaving)|get(?:ting)? caught"
    r"|\bhid(?:e|ing)\b|\bevad\w*|bypass\w*|get around|least guarded|before anyone notic\w*"
    r"|from enforcing|disabl\w* (?:the )?(?:limits?|restrictions?|no-fly)|can't react)"
    r"|バレ|気づかれ|気付かれ|察知され|怪しまれ|追跡されにく|目立たず|目立たない|引っかから|隠(?:す|し|せ|さ|れて|蔽)|解除"
    r"|足がつか|見つからな",
    re.IGNORECASE,
)
_PHASES = (
    (_ACQUIRE, FLAG_ACQUIRE),
    (_PRODUCE, FLAG_PRODUCE),
    (_DELIVER, FLAG_DELIVER),
    (_CONCEAL, FLAG_CONCEAL),
)
# The markers as one reads ASCII text: matching ignoring case is then matching the lower-cased
# text against the patterns as written (all lower case), which `re` does about 3.5x faster.
_MARKERS = (_REASONING, _EXTRACTION, _FINGERPRINT)
_ASCII_MARKERS = tuple(re.compile(p.pattern) for p in _MARKERS)
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
_MULT = np.uint64(0x9E3779B97F4A7C15)
_SHINGLE = 4


@dataclass(frozen=True, slots=True)
class SamplingParams:
    """The request's sampling parameters, as the client sent them (None when absent)."""

    temperature: float | None = None
    n: int = 1
    logprobs: bool = False
    top_logprobs: int = 0
    max_tokens: int | None = None


class Sketch(NamedTuple):
    """One request as the watch keeps it. `scores` follow `SCORE_IDS`, each in 0..255.

    A named tuple, not a dataclass: replaying a million stored sketches builds a million of
    them, and a tuple is built from a row in a fraction of a frozen dataclass's time."""

    ts: float
    key: int
    tenant: int
    session: int
    template: int
    topic: bytes
    prompt_chars: int
    answer_chars: int
    max_tokens: int
    latency_ms: int
    lang: str
    temperature: int  # the temperature times 50, 255 for "not given"
    n: int
    top_logprobs: int
    reasoning: int  # how many reasoning-elicitation markers (at most 255)
    flags: int
    harm: int
    scores: bytes

    def score(self, category_id: str) -> float:
        """The score of one category (or signal) in [0, 1]."""
        return self.scores[SCORE_IDS.index(category_id)] / 255

    def has(self, flag: int) -> bool:
        return bool(self.flags & flag)

    def pack(self) -> bytes:
        return struct.pack(
            _FORMAT,
            FORMAT_VERSION,
            self.ts,
            self.key,
            self.tenant,
            self.session,
            self.template,
            self.topic,
            self.prompt_chars,
            self.answer_chars,
            self.max_tokens,
            self.latency_ms,
            _LANGS.index(self.lang) if self.lang in _LANGS else 255,
            self.temperature,
            self.n,
            self.top_logprobs,
            self.reasoning,
            self.flags,
            self.harm,
            self.scores,
        )

    @classmethod
    def unpack(cls, data: bytes) -> Sketch:
        if len(data) != PACKED_SIZE:
            raise InputError(f"a sketch is {PACKED_SIZE} bytes, this one {len(data)}")
        version, *fields = struct.unpack(_FORMAT, data)
        if version != FORMAT_VERSION:
            raise InputError(f"sketch format {version} is not {FORMAT_VERSION}")
        lang_index = fields[10]
        fields[10] = _LANGS[lang_index] if lang_index < len(_LANGS) else "other"
        return cls(*fields)

    @classmethod
    def unpack_many(cls, data: bytes) -> list[Sketch]:
        """Sketches packed back to back, read column by column with numpy (a million in about
        a second, against several one at a time)."""
        if len(data) % PACKED_SIZE:
            raise InputError(f"{len(data)} bytes are not whole sketches of {PACKED_SIZE}")
        rows = np.frombuffer(data, dtype=_DTYPE)
        if len(rows) and (rows["version"] != FORMAT_VERSION).any():
            version = int(rows["version"][rows["version"] != FORMAT_VERSION][0])
            raise InputError(f"sketch format {version} is not {FORMAT_VERSION}")
        names = np.array([*_LANGS, "other"], dtype=object)
        langs = names[np.minimum(rows["lang"], len(_LANGS))]
        columns = [rows[name].tolist() for name in cls._fields]
        columns[cls._fields.index("lang")] = langs.tolist()
        return [tuple.__new__(cls, row) for row in zip(*columns, strict=True)]


@dataclass(frozen=True, slots=True)
class TextFeatures:
    """The text-derived part of a sketch, kept apart so a simulator can reuse it per prompt."""

    template: int
    topic: bytes
    prompt_chars: int
    reasoning: int
    flags: int


def id64(value: str) -> int:
    """A 64-bit digest of an id (key, tenant, session): stable across processes, not reversible."""
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "little")


def text_features(prompt: str) -> TextFeatures:
    head = prompt[:MAX_CHARS]
    # Markers are often appended after a long question, so they are looked for further in.
    scan = prompt[:MARKER_CHARS]
    if scan.isascii():
        scan = scan.lower()
        reasoning, extraction, fingerprint = _ASCII_MARKERS
    else:
        reasoning, extraction, fingerprint = _MARKERS
    flags = (FLAG_EXTRACTION if extraction.search(scan) else 0) | (
        FLAG_FINGERPRINT if fingerprint.search(scan) else 0
    )
    for pattern, flag in _PHASES:  # in a question's opening only: what it asks to do
        flags |= flag if pattern.search(prompt[:PHASE_CHARS]) else 0
    return TextFeatures(
        template=simhash64(head),
        topic=topic_bits(head),
        prompt_chars=len(prompt),
        reasoning=min(255, len(reasoning.findall(scan))),
        flags=flags,
    )


def make_sketch(
    features: TextFeatures,
    *,
    ts: float,
    key: str,
    tenant: str,
    session: str,
    harm: float,
    categories: Mapping[str, float],
    params: SamplingParams,
    lang: str,
    answer_chars: int = 0,
    refused: bool = False,
    latency_ms: float = 0.0,
) -> Sketch:
    """The sketch of one screened request; `categories` are the verdict's scores."""
    flags = features.flags | (FLAG_LOGPROBS if params.logprobs else 0)
    flags |= FLAG_REFUSED if refused else 0
    temperature = 255 if params.temperature is None else min(254, round(params.temperature * 50))
    return Sketch(
        ts=ts,
        key=id64(key),
        tenant=id64(tenant),
        session=id64(session),
        template=features.template,
        topic=features.topic,
        prompt_chars=min(features.prompt_chars, 0xFFFFFFFF),
        answer_chars=min(answer_chars, 0xFFFFFFFF),
        max_tokens=min(params.max_tokens or 0, 0xFFFFFFFF),
        latency_ms=min(round(latency_ms), 0xFFFF),
        lang=lang,
        temperature=temperature,
        n=min(params.n, 255),
        top_logprobs=min(params.top_logprobs, 255),
        reasoning=features.reasoning,
        flags=flags,
        harm=_byte(harm),
        scores=bytes(_byte(categories.get(cid, 0.0)) for cid in SCORE_IDS),
    )


def _byte(score: float) -> int:
    return max(0, min(255, round(score * 255)))


def harm_of(scores: Mapping[str, float]) -> float:
    """The harm a sketch keeps for a screened request: the highest of its hazard scores (the
    screen's decision carries no other harm score; signals such as jailbreak are no hazard)."""
    return max((scores.get(c, 0.0) for c in CATEGORY_IDS), default=0.0)


def as_kept(score: float) -> float:
    """A score as a sketch keeps it (one byte), written back as a fraction to 4 places: exact,
    in that `make_sketch` turns it into the same byte again."""
    return round(_byte(score) / 255, 4)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return _SPACE.sub(" ", _DIGITS.sub("0", text)).strip()


def _shingle_hashes(text: str) -> NDArray[np.uint64]:
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(cps) < _SHINGLE:
        cps = np.concatenate([cps, np.zeros(_SHINGLE - len(cps), np.uint64)])
    count = len(cps) - _SHINGLE + 1
    h = np.full(count, 0x243F6A8885A308D3, dtype=np.uint64)
    for k in range(_SHINGLE):
        h = (h ^ cps[k : count + k]) * _MULT
    # A final mix so that every output bit depends on every input bit (splitmix64's finaliser).
    h ^= h >> np.uint64(31)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(29)
    return h


def simhash64(text: str) -> int:
    """SimHash of the normalised text's character 4-shingles (each shingle weighs one)."""
    hashes = _shingle_hashes(_normalise(text))
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    votes = bits.sum(axis=0, dtype=np.int64) * 2 > len(hashes)
    return int(np.packbits(votes, bitorder="little").view("<u8")[0])


@cache
def _projection() -> NDArray[np.float32]:
    rng = np.random.default_rng(_TOPIC_SEED)
    signs = rng.integers(0, 2, size=(_TOPIC_BUCKETS, TOPIC_BITS), dtype=np.int8) * 2 - 1
    return signs.astype(np.float32)


def topic_bits(text: str) -> bytes:
    """128 sign bits of a fixed random projection of the hashed char n-gram vector."""
    row = hashed_ngrams(text, buckets=_TOPIC_BUCKETS)
    if len(row.index) == 0:
        return bytes(TOPIC_BITS // 8)
    projected = row.value @ _projection()[row.index]
    return np.packbits(projected > 0, bitorder="little").tobytes()


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def topic_distance(a: bytes, b: bytes) -> int:
    return hamming(int.from_bytes(a, "little"), int.from_bytes(b, "little"))
