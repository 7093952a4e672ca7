"""The check the answer-data tests share: a committed `data/answers/<stem>_{en,ja}.jsonl` pair is
exactly what its generator in `scripts/answers/` writes."""

import importlib.util
import sys
from pathlib import Path

import pytest

from sekimori.classify.answers.data import OWN_DATA

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts" / "answers"


def assert_generator_writes_committed_data(
    script: str, stem: str, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = importlib.util.spec_from_file_location(script, SCRIPTS / f"{script}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setitem(sys.modules, script, module)
    spec.loader.exec_module(module)
    module.main(out)
    for lang in ("en", "ja"):
        name = f"{stem}_{lang}.jsonl"
        assert (out / name).read_bytes() == (OWN_DATA / name).read_bytes()
