"""The prompt pool the simulator draws from: shared ordinary prompts and the team's chains.

Texts are read from the shared data and kept in memory only; what is saved (`save_scores`) is
each prompt's id with its scores, never its text. The scores are what the gateway's sketch of
that prompt would keep (`screen_prompts`): each prompt is sent through the gateway's own input
screen as a one-turn chat request, and the screen's decision is taken as `watch.live.sketch_of`
takes it (every category on the policy's scale, their top as the harm, blocked or not), so the
simulator's sketches carry what the running gateway records. Scoring runs once (minutes); the
simulator then reuses the saved scores.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from sekimori.errors import InputError
from sekimori.screen import Screen, ScreenContext
from sekimori.types import Action, Message
from sekimori.watch.sketch import SCORE_IDS, as_kept, harm_of

# Ordinary prompt sets the simulator may use (not the evaluation-only sets, see data/README.md).
BENIGN_SETS: tuple[str, ...] = ("dolly-15k", "dolly-15k-ja", "oasst1-en")
CHAIN_FILES: tuple[str, ...] = (
    "chains.jsonl",
    "lookalikes.jsonl",
    # Own-voice training chains and look-alikes (every row `"split": "train"`; DECOMP_RULE_7.md).
    "chains_own.jsonl",
    "lookalikes_own.jsonl",
)
# Held out for one judgement, by part: each file's rows say `"split": <its part>`; read only when
# asked for (`read_chains(held_out=...)`), never in the `all`, `train` or `held_back` parts nor
# in another held-out part. "fresh2": benign look-alikes only, for the false-alert figure;
# "fresh3": decomposed chains and look-alikes, written after fresh and fresh2 were spent.
FRESH_FILE = "chains_fresh.jsonl"
# "fresh4": decomposed chains and look-alikes in two files (written after fresh3 was spent);
# "fresh5" likewise, by a new writer after fresh4 was spent.
HELD_OUT: Mapping[str, tuple[str, ...]] = {
    "fresh": (FRESH_FILE,),
    "fresh2": ("lookalikes_fresh2.jsonl",),
    "fresh3": ("chains_fresh3.jsonl",),
    "fresh4": ("chains_fresh4.jsonl", "lookalikes_fresh4.jsonl"),
    "fresh5": ("chains_fresh5.jsonl", "lookalikes_fresh5.jsonl"),
}


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
    # "train": only ever in training traffic; a `HELD_OUT` part ("fresh", "fresh2", ...): only in
    # that part (`simulate.chains_part`)
    split: str | None = None


@dataclass(frozen=True, slots=True)
class Scores:
    """A prompt as the gateway's sketch keeps it (`screened`): the harm, whether the screen
    blocked it, and the per-category scores (only those the sketch keeps above 0)."""

    harm: float
    refused: bool
    categories: Mapping[str, float]


def screened(scores: Mapping[str, float], *, refused: bool) -> Scores:
    """What a sketch keeps of an input screen's decision (as `watch.live.sketch_of`): its
    scores as the sketch quantises them, their top hazard as the harm (`sketch.harm_of`)."""
    kept = {c: as_kept(scores[c]) for c in SCORE_IDS if c in scores}
    return Scores(as_kept(harm_of(scores)), refused, {c: v for c, v in kept.items() if v > 0})


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


def read_chains(team_data: Path, *, held_out: Sequence[str] = ()) -> list[Chain]:
    """The chain files' chains, in file order; then those of the `HELD_OUT` parts named."""
    chains = []
    files: list[tuple[str, str | None]] = [(name, None) for name in CHAIN_FILES]
    files += [(name, part) for part in HELD_OUT if part in held_out for name in HELD_OUT[part]]
    for name, part in files:
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
                    split=_split(row, team_data / name, part=part),
                )
            )
    return chains


def _split(row: dict[str, object], path: Path, *, part: str | None) -> str | None:
    split = row.get("split")
    if part is not None and split != part:
        raise InputError(
            f'chain {row.get("id")!r}: split must be "{part}" in this file, not {split!r} '
            f'/ このファイルの split は "{part}" のみです',
            source=str(path),
        )
    if part is None and split not in (None, "train"):
        raise InputError(
            f'chain {row.get("id")!r}: split must be "train" or absent, not {split!r} '
            f'/ split は "train" か省略のみです',
            source=str(path),
        )
    return None if split is None else str(split)


# Whom the scores command screens as: the policy's default tenant (no tenant has this name).
SCORES_TENANT = "(watch scores)"
SCORES_MODEL = "watch-scores"


async def screen_prompts(
    screen: Screen,
    prompts: Sequence[Prompt],
    parts: Callable[[str, str], Sequence[Message]],
) -> dict[str, Scores]:
    """Every prompt through `screen`'s input side, one request at a time, as the gateway screens
    a one-turn request: `parts(model, text)` are the request's parts as the gateway hands them
    to the screen. A prompt the screen blocks is `refused` (the gateway marks its sketch so)."""
    out: dict[str, Scores] = {}
    for i, prompt in enumerate(prompts):
        context = ScreenContext(SCORES_TENANT, SCORES_MODEL, f"watch-scores-{i}")
        result = await screen.screen_input(context, parts(SCORES_MODEL, prompt.text))
        decision = result.decision
        out[prompt.id] = screened(dict(decision.scores), refused=decision.action is Action.BLOCK)
    return out


# The screen's own limit is for live traffic; scoring in bulk beside other work only bounds a hang.
SCORES_TIMEOUT_S = 600.0


def screen_through_gateway(prompts: Sequence[Prompt], config: Path | None) -> dict[str, Scores]:
    """`screen_prompts` with the gateway's own screen, built from its settings (`config`, or the
    defaults) as `sekimori serve` builds it."""
    import asyncio

    import sekimori.gateway.screening  # noqa: F401  (registers the `policy` screen)
    from sekimori.gateway.parts import request_parts
    from sekimori.screen import Closing, Warming, load_screen
    from sekimori.settings import load_settings

    overrides = {"screen": {"options": {"timeout_s": SCORES_TIMEOUT_S}}}
    screen = load_screen(load_settings(config, overrides=overrides))

    def parts(model: str, text: str) -> list[Message]:
        """A one-turn chat request's parts, as the gateway hands them to its screen."""
        return list(
            request_parts({"model": model, "messages": [{"role": "user", "content": text}]})
        )

    async def run() -> dict[str, Scores]:
        try:
            if isinstance(screen, Warming):
                await screen.ready()
            return await screen_prompts(screen, prompts, parts)
        finally:
            if isinstance(screen, Closing):
                await screen.aclose()

    return asyncio.run(run())


def save_scores(path: Path, scores: Mapping[str, Scores]) -> None:
    rows = {k: [s.harm, s.refused, dict(s.categories)] for k, s in sorted(scores.items())}
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
    shared_data: Path,
    team_data: Path,
    scores: Mapping[str, Scores],
    *,
    per_set: int,
    seed: int = 0,
    held_out: Sequence[str] = (),
) -> Pool:
    """`held_out`: those held-out parts' chains too (`read_chains`), for those parts only."""
    benign = read_prompts(shared_data, per_set=per_set, seed=seed)
    chains = read_chains(team_data, held_out=held_out)
    missing = [p.id for ps in benign.values() for p in ps if p.id not in scores]
    missing += [s.id for c in chains for s in c.steps if s.id not in scores]
    if missing:
        raise InputError(
            f"{len(missing)} prompts have no scores (first {missing[0]!r}); rebuild them with "
            "`sekimori watch scores` "
            "/ スコアがありません。`sekimori watch scores` で作り直してください"
        )
    return Pool(benign, chains, scores)
