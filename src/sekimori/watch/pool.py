"""The prompt pool the simulator draws from: shared ordinary prompts and the team's chains.

Texts are read from the shared data and kept in memory only; what is saved (`save_scores`) is
each prompt's id with its classifier scores, never its text. Scoring runs the real prompt
classifier once (minutes); the simulator then reuses the saved scores.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from sekimori.errors import InputError

# Ordinary prompt sets the simulator may use (not the evaluation-only sets, see data/README.md).
BENIGN_SETS: tuple[str, ...] = ("dolly-15k", "dolly-15k-ja", "oasst1-en")
CHAIN_FILES: tuple[str, ...] = ("chains.jsonl", "lookalikes.jsonl")


@dataclass(frozen=True, slots=True)
class Prompt:
    id: str
    lang: str
    text: str


@dataclass(frozen=True, slots=True)
class Chain:
    """A decomposed question (`kind` "decomposed") or a benign look-alike: topic and step labels."""

    id: str
    lang: str
    kind: str
    category: str | None
    steps: tuple[Prompt, ...]
    split: str | None = None  # "train": only ever in training traffic (`simulate.chains_part`)


@dataclass(frozen=True, slots=True)
class Scores:
    harm: float
    harmful: bool
    categories: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Pool:
    benign: Mapping[str, Sequence[Prompt]]  # by language
    chains: Sequence[Chain]
    scores: Mapping[str, Scores]

    def score(self, prompt: Prompt) -> Scores:
        return self.scores[prompt.id]


def _jsonl(path: Path) -> list[dict[str, object]]:
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=str(path)) from None
    rows = []
    for number, line in enumerate(lines, 1):
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise InputError("not a JSON object", source=str(path), line=number) from None
        if not isinstance(row, dict):
            raise InputError("not a JSON object", source=str(path), line=number)
        rows.append(row)
    return rows


def read_prompts(shared_data: Path, *, per_set: int, seed: int) -> dict[str, list[Prompt]]:
    """A fixed random sample of `per_set` prompts from each ordinary set, by language."""
    by_lang: dict[str, list[Prompt]] = {"en": [], "ja": []}
    for name in BENIGN_SETS:
        rows = _jsonl(shared_data / name / "prompts.jsonl")
        random.Random(f"{seed}:{name}").shuffle(rows)
        for row in rows[:per_set]:
            prompt = Prompt(str(row["id"]), str(row["lang"]), str(row["text"]))
            by_lang.setdefault(prompt.lang, []).append(prompt)
    return by_lang


def read_chains(team_data: Path) -> list[Chain]:
    chains = []
    for name in CHAIN_FILES:
        for row in _jsonl(team_data / name):
            steps = row["steps"]
            assert isinstance(steps, list)
            cid, lang = str(row["id"]), str(row["lang"])
            chains.append(
                Chain(
                    id=cid,
                    lang=lang,
                    kind=str(row["kind"]),
                    category=None if row["category"] is None else str(row["category"]),
                    steps=tuple(Prompt(f"{cid}#{i}", lang, str(s)) for i, s in enumerate(steps)),
                    split=_split(row, team_data / name),
                )
            )
    return chains


def _split(row: dict[str, object], path: Path) -> str | None:
    split = row.get("split")
    if split not in (None, "train"):
        raise InputError(
            f'chain {row.get("id")!r}: split must be "train" or absent, not {split!r} '
            f'/ split は "train" か省略のみです',
            source=str(path),
        )
    return None if split is None else "train"


def score_prompts(prompts: Sequence[Prompt]) -> dict[str, Scores]:
    """Scores every prompt with the committed prompt classifier (loads it: seconds)."""
    from sekimori.classify.api import classify_batch

    scores: dict[str, Scores] = {}
    for start in range(0, len(prompts), 64):
        batch = prompts[start : start + 64]
        for prompt, verdict in zip(batch, classify_batch([p.text for p in batch]), strict=True):
            cats = {k: round(v, 3) for k, v in verdict.categories.items() if v >= 0.005}
            scores[prompt.id] = Scores(round(verdict.score, 3), verdict.harmful, cats)
    return scores


def save_scores(path: Path, scores: Mapping[str, Scores]) -> None:
    rows = {k: [s.harm, s.harmful, dict(s.categories)] for k, s in sorted(scores.items())}
    path.write_bytes(orjson.dumps(rows))


def load_scores(path: Path) -> dict[str, Scores]:
    try:
        rows = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read the scores: {exc.strerror}", source=str(path)) from None
    except orjson.JSONDecodeError:
        raise InputError("not a scores file (JSON)", source=str(path)) from None
    return {k: Scores(float(h), bool(b), dict(c)) for k, (h, b, c) in rows.items()}


def load_pool(
    shared_data: Path, team_data: Path, scores: Mapping[str, Scores], *, per_set: int, seed: int = 0
) -> Pool:
    benign = read_prompts(shared_data, per_set=per_set, seed=seed)
    chains = read_chains(team_data)
    missing = [p.id for ps in benign.values() for p in ps if p.id not in scores]
    missing += [s.id for c in chains for s in c.steps if s.id not in scores]
    if missing:
        raise InputError(
            f"{len(missing)} prompts have no scores (first {missing[0]!r}); rebuild them with "
            "`sekimori watch scores` "
            "/ スコアがありません。`sekimori watch scores` で作り直してください"
        )
    return Pool(benign, chains, scores)
