"""Refusal-pattern features (English and Japanese) that sit beside the embeddings.

Embeddings capture what an answer is about; these cues capture how it starts and turns: an
apology or "I can't" near the start, a polite Japanese decline (「いたしかねます」「控えさせて
いただきます」), an offered alternative, a bridge back into content ("but in general",
「ただ、一般的には」) and the shape of instructions (numbered steps, code).

The `after_refusal_*` cues look at what follows the first sentence that declines: a partial
refusal goes on to answer the question that was asked (content, a turn such as "however" or
「ただ」, steps, the prompt's own words again), while a full refusal only points elsewhere
("instead, I suggest…", 「専門家にご相談ください」).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from sekimori.classify.answers.prefix import count_tokens

_REFUSAL_EN = re.compile(
    r"\b(?:i(?:'m| am) sorry|i apologi[sz]e|sorry,? (?:but )?i|i(?: really)? can(?:'t|not|\s+not)"
    r"|i(?:'m| am) (?:not able|unable)|i won't|i will not|i must decline"
    r"|i have to (?:say no|decline)"
    r"|not (?:something|able) (?:i can|to)|i(?:'m| am) afraid i can|i(?:'m| am) not going to"
    r"|as an ai|it(?:'s| is) not appropriate|i do not (?:think|feel comfortable)|i don't feel"
    r"|i (?:can|could) not|turn (?:this|it) down|in good conscience|unfortunately,? i|"
    r"cannot (?:provide|help|assist|fulfil|comply)|no, i)",
)
_REFUSAL_JA = re.compile(
    r"申し訳|恐れ入りますが|恐縮ですが|あいにく|残念ながら|ごめんなさい|すみませんが|"
    r"でき(?:ません|かねます|ないん)|いたしかねます|致しかねます|しかねます|控えさせて|差し控え|"
    r"お断り|応じられません|応じかねます|お受けでき|協力できません|対応でき(?:ません|かねます)|"
    r"お答え(?:でき|いたしかね|することはでき)|お手伝いでき(?:ません|かねます)|提供でき(?:ません|かねます)",
)
_APOLOGY = re.compile(
    r"\b(?:sorry|apologi[sz]e|unfortunately)\b|申し訳|恐縮|ごめん|すみません|あいにく"
)
_ALTERNATIVE = re.compile(
    r"\binstead\b|\bi can (?:help|share|explain|point|tell)|\bif you(?:'re| are)\b|crisis|hotline|"
    r"\b988\b|emergency services|the police|authorities|something else|"
    r"ご説明でき|お手伝いでき(?:ます|る)|相談|窓口|いのちの電話|119|189|警察|お知らせください",
)
_BRIDGE = re.compile(
    r"\bbut in general\b|\bin general terms\b|\bbroadly speaking\b|\bthat said\b|\bhowever,|"
    r"\bhypothetically\b|\bfor educational purposes\b|\bthe basic idea\b|"
    r"\bwould look something like\b|"
    r"ただ、|とはいえ|一般的には|一般的な範囲|大まかに言うと|参考までに|仮に|概要だけ",
)
_COMPLY_START = re.compile(
    r"^\W*(?:sure|certainly|of course|absolutely|here(?:'s| is| are)|no problem|yes|great question|"
    r"good question|step 1|first,|to |the |"
    r"承知しました|もちろんです|はい|わかりました|かしこまりました|"
    r"以下|まず|お答えします|良いご質問)",
)
_TURN = re.compile(
    r"\bhowever\b|\bthat (?:being )?said\b|\bbut\b|\bhere (?:are|is)\b|\bin general\b|"
    r"\bgenerally\b|\bsome (?:general|common)\b|\byou (?:can|could|may|might)\b|"
    r"\bone (?:way|option)\b|\btypically\b|\bfor example\b|"
    r"ただ|とはいえ|一般的|例えば|以下|次の|方法として",
)
_POINT_ELSEWHERE = re.compile(
    r"\binstead\b|\bi (?:would )?(?:suggest|recommend|encourage|advise)\b|\bconsider\b|"
    r"\bseek\b|\bconsult\b|\breach out\b|\bfeel free\b|\bany other\b|\bprofessional\b|"
    r"相談|窓口|専門|ご検討|お勧め|おすすめ",
)
_MORAL = re.compile(
    r"not appropriate|inappropriate|harmful|unethical|illegal|respect|important to|offensive|"
    r"stereotyp|不適切|違法|倫理|有害|尊重",
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])|\n+")
_CONTENT_WORD = re.compile(r"[a-z]{4,}|[\u4e00-\u9fff]{2,}|[\u30a0-\u30ff]{2,}")
_STEP = re.compile(r"(?m)^\s*(?:\d+[.)]|[-*•]|step \d+|手順\d*|ステップ\d*)")
_CODE = re.compile(r"```|`[^`\n]+`|\$ \w|\bdef \w|\bimport \w")

FEATURE_NAMES: tuple[str, ...] = (
    "refusal_head",
    "refusal_any",
    "apology_head",
    "alternative",
    "bridge_after_refusal",
    "comply_start",
    "steps",
    "code",
    "log_tokens",
    "short_answer",
    "after_refusal_tokens",
    "after_refusal_turn",
    "after_refusal_elsewhere",
    "after_refusal_steps",
    "refusal_late",
    "moral_share",
    "after_refusal_prompt_words",
    "moral_head_no_refusal",
    "after_refusal_sentences",
)


def _norm(text: str) -> str:
    # NFKC folds full-width letters and punctuation so one pattern matches both widths.
    return unicodedata.normalize("NFKC", text).replace("’", "'").lower()


def _head(text: str, sentences: int = 2) -> str:
    parts = re.split(r"(?<=[.!?。！？])\s*", text, maxsplit=sentences)
    return " ".join(parts[:sentences])


# A stream's windows are all read with the request's prompt: its words are kept for the latest
# prompts (a few streams at once)
@lru_cache(maxsize=64)
def _asked(prompt: str) -> frozenset[str]:
    """The prompt's content words, which an answer that goes on after a refusal may echo."""
    return frozenset(_CONTENT_WORD.findall(_norm(prompt)))


def _is_refusal(sentence: str) -> bool:
    return bool(_REFUSAL_EN.search(sentence) or _REFUSAL_JA.search(sentence))


def refusal_features(answer: str, prompt: str = "") -> NDArray[np.float32]:
    """The cues of FEATURE_NAMES for one answer (to `prompt`), each scaled to about [0, 1]."""
    text = _norm(answer)
    head = _head(text)
    refusal_head = bool(_REFUSAL_EN.search(head) or _REFUSAL_JA.search(head))
    refusal_at = min(
        (m.start() for p in (_REFUSAL_EN, _REFUSAL_JA) if (m := p.search(text))), default=-1
    )
    bridge = refusal_at >= 0 and bool(_BRIDGE.search(text, refusal_at))
    tokens = count_tokens(text)
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    first = next((i for i, s in enumerate(sentences) if _is_refusal(s)), -1)
    after = " ".join(sentences[first + 1 :]) if first >= 0 else ""
    asked = _asked(prompt)
    echoed = len(asked & set(_CONTENT_WORD.findall(after))) / max(len(asked), 1)
    moral = [bool(_MORAL.search(s)) for s in sentences]
    values = (
        refusal_head,
        refusal_at >= 0,
        bool(_APOLOGY.search(head)),
        bool(_ALTERNATIVE.search(text)),
        bridge,
        bool(_COMPLY_START.search(text)),
        min(len(_STEP.findall(text)), 6) / 6,
        bool(_CODE.search(text)),
        math.log1p(tokens) / math.log1p(512),
        tokens < 40,
        math.log1p(count_tokens(after)) / math.log1p(512),
        bool(_TURN.search(after)),
        bool(_POINT_ELSEWHERE.search(after)),
        refusal_at >= 0 and any(m.start() > refusal_at for m in _STEP.finditer(text)),
        first >= 2,
        sum(moral) / max(len(sentences), 1),
        echoed,
        first < 0 and any(moral[:2]),
        min(len(sentences) - first - 1, 10) / 10 if first >= 0 else 0.0,
    )
    return np.asarray([float(v) for v in values], dtype=np.float32)


def refusal_feature_matrix(
    answers: Sequence[str], prompts: Sequence[str] | None = None
) -> NDArray[np.float32]:
    if not answers:
        return np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    asked = prompts if prompts is not None else [""] * len(answers)
    return np.stack([refusal_features(a, p) for a, p in zip(answers, asked, strict=True)])
