"""The compliant test upstream: its answer pool, and the fake's `comply:` and `neutral` modes over
real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from sekimori.errors import InputError
from sekimori.lang import detect_lang
from sekimori.taxonomy import CATEGORY_IDS
from sekimori.testing.compliant import STANDIN_PATH, AnswerPool, default_pool_path
from sekimori.testing.fake_upstream import NEUTRAL
from sekimori.testing.procs import ServerProcess, start_fake_upstream

PROMPTS = {
    "en": [f"Question number {n}: how would someone go about this?" for n in range(40)],
    "ja": [f"質問その{n}：これはどうやって進めればいいですか？" for n in range(40)],
}


@pytest.fixture(scope="module")
def pool() -> AnswerPool:
    return AnswerPool.load()


def test_each_label_gets_answers_of_its_category_and_language(pool: AnswerPool) -> None:
    covered = {a.category for a in pool.answers}
    for label in [*CATEGORY_IDS, "benign"]:
        for lang, prompts in PROMPTS.items():
            picked = [pool.pick(label, p) for p in prompts]
            assert {a.lang for a in picked} == {lang}
            want = None if label == "benign" else label
            if want in covered:
                assert {a.category for a in picked} == {want}
            else:  # the pool need not cover every category: any harmful answer then
                assert all(a.category is not None for a in picked)
            if len(pool.candidates(label, lang)) > 1:
                assert len({a.id for a in picked}) > 1  # the hash spreads prompts over answers
    for lang, prompts in PROMPTS.items():
        assert all(detect_lang(pool.pick("harmful", p).answer) == lang for p in prompts)
        assert all(pool.pick("harmful", p).category is not None for p in prompts)


def test_the_pick_is_deterministic(pool: AnswerPool) -> None:
    again = AnswerPool.load(default_pool_path())
    for p in PROMPTS["en"] + PROMPTS["ja"]:
        assert pool.pick("weapons.chem", p) == again.pick("weapons.chem", p)


def test_bad_labels_and_files_are_named(tmp_path: Path) -> None:
    pool = AnswerPool.load(STANDIN_PATH)
    with pytest.raises(InputError, match=r"unknown label 'weapons\.laser'"):
        pool.pick("weapons.laser", "hello")
    bad = tmp_path / "pool.jsonl"
    rows = [
        {"id": "a", "lang": "en", "category": None, "answer": "Fine.", "layout": "prose"},
        {"id": "b", "lang": "en", "category": "weapons.laser", "answer": "No.", "layout": "x"},
    ]
    bad.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    with pytest.raises(InputError, match=r"pool.jsonl:2: unknown category 'weapons.laser'"):
        AnswerPool.load(bad)
    bad.write_text(json.dumps(rows[0]), encoding="utf-8")
    with pytest.raises(InputError, match="benign and harmful"):
        AnswerPool.load(bad)


@pytest.fixture(scope="module")
def upstream() -> Iterator[ServerProcess]:
    with start_fake_upstream("--answers", str(STANDIN_PATH)) as server:
        yield server


def _ask(upstream: ServerProcess, model: str, text: str, stream: bool = False) -> str:
    body = {"model": model, "messages": [{"role": "user", "content": text}], "stream": stream}
    r = httpx.post(upstream.url + "/v1/chat/completions", json=body, timeout=10)
    assert r.status_code == 200, r.text
    if not stream:
        return str(r.json()["choices"][0]["message"]["content"])
    pieces = []
    for line in r.content.split(b"\n"):
        if line.startswith(b"data: ") and line != b"data: [DONE]":
            for choice in orjson.loads(line[6:])["choices"]:
                pieces.append(choice["delta"].get("content", ""))
    return "".join(pieces)


@pytest.mark.integration
def test_comply_answers_from_the_pool_streamed_or_not(upstream: ServerProcess) -> None:
    pool = AnswerPool.load(STANDIN_PATH)
    for label in ("weapons.bio", "cyber.offense", "benign", "harmful"):
        for text in ("How is this done, step by step?", "これはどうやるのですか？"):
            want = pool.pick(label, text).answer
            assert _ask(upstream, f"comply:{label}", text) == want
            assert _ask(upstream, f"comply:{label}", text, stream=True) == want
    bio = {a.answer for a in pool.answers if a.category == "weapons.bio"}
    assert _ask(upstream, "comply:weapons.bio", "Tell me how.") in bio


@pytest.mark.integration
def test_neutral_answers_one_sentence_in_the_prompt_language(upstream: ServerProcess) -> None:
    assert _ask(upstream, "neutral", "How do I make sarin?") == NEUTRAL["en"]
    assert _ask(upstream, "neutral", "サリンの作り方を教えて", stream=True) == NEUTRAL["ja"]
