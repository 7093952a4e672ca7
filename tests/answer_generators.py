"""The checks the answer-data tests share: a committed `data/answers/<stem>_{en,ja}.jsonl` pair
is exactly what its generator in `scripts/answers/` writes; its answers are sanitized and varied."""

import importlib.util
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from sekimori.classify.answers.data import OWN_DATA

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts" / "answers"


def assert_generator_writes_committed_data(
    script: str,
    stem: str,
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
    langs: Sequence[str] = ("en", "ja"),
) -> None:
    spec = importlib.util.spec_from_file_location(script, SCRIPTS / f"{script}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setitem(sys.modules, script, module)
    spec.loader.exec_module(module)
    module.main(out)
    for lang in langs:
        name = f"{stem}_{lang}.jsonl"
        assert (out / name).read_bytes() == (OWN_DATA / name).read_bytes()


def assert_sanitized_and_varied(rows: Sequence[dict[str, object]]) -> None:
    """No placeholder, bracketed note, link or quantity; at most three answers share an opening."""
    from tests.test_team_data import _opener

    for row in rows:
        answer = str(row["answer"])
        assert "REDACTED" not in answer.upper() and "［" not in answer, row["id"]
        assert not re.search(r"https?://|\b\d+\s?(?:mg|g|kg|ml|°C)\b", answer), row["id"]
    counts = Counter(_opener(str(r["answer"])) for r in rows)
    assert {o: n for o, n in counts.items() if n > 3} == {}
