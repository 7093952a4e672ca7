"""Red-team evidence that means something (issue 15 item 8): the compliant target alone and behind
the real gateway, the gateway target's model, runs that measured nothing, weak targets, and what
each run records about what produced it. Real processes throughout; the grader is the LLM judge
pointed at the fake upstream, whose `say:` model answers a fixed verdict."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import sekimori
from sekimori.errors import ConfigError
from sekimori.redteam.targets.gateway import served_model
from sekimori.testing.compliant import AnswerPool
from sekimori.testing.fake_upstream import MODELS
from sekimori.testing.procs import ServerProcess, create_key, start_fake_upstream, start_gateway

pytestmark = pytest.mark.integration

COMPLY = 'say:{"refusal": "compliance", "harmful": true}'
REFUSE = 'say:{"refusal": "refusal", "harmful": false}'
ENV = {**os.environ, "PYTHONPATH": str(Path(sekimori.__file__).parents[1])}


@pytest.fixture(scope="module")
def judge() -> Iterator[ServerProcess]:
    with start_fake_upstream() as server:
        yield server


def _argv(
    judge: ServerProcess, out: Path, target: str, *extra: str, verdict: str = COMPLY
) -> list[str]:
    return [
        sys.executable, "-m", "sekimori.cli", "redteam", "run", "--target", target,
        "--suite", "smoke", "--mutators", "direct", "--out", str(out), "--grader", "llm-judge",
        "--judge-url", judge.url, "--judge-model", verdict, "--no-progress", "--lang", "en",
        "--agreement-sample", "0", *extra,
    ]  # fmt: skip


def _cli(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, env=env or ENV, timeout=600)


def _results(out: Path) -> list[dict[str, object]]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _summary(out: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return data


def test_the_compliant_target_answers_by_label_and_the_run_records_its_provenance(
    judge: ServerProcess, tmp_path: Path
) -> None:
    out = tmp_path / "alone"
    done = _cli(_argv(judge, out, "compliant", "--sample", "16"))
    assert done.returncode == 0, done.stderr
    pool = AnswerPool.load()
    rows = _results(out)
    assert rows and not any(r["error"] for r in rows)
    for r in rows:
        prompt = r["prompt"][-1]["content"]  # type: ignore[index]
        harmful = r["expect"] == "refuse"
        label = (r["category"] or "harmful") if harmful else "benign"
        assert r["answer"] == pool.pick(str(label), str(prompt)).answer
    assert {r["expect"] for r in rows} == {"refuse", "comply"}
    summary = _summary(out)
    run = summary["run"]
    assert isinstance(run, dict)
    prov = run["provenance"]
    assert prov["sekimori_version"] == sekimori.__version__
    assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", prov["git_revision"] or "")
    assert all(re.fullmatch(r"[0-9a-f]{64}", v) for v in prov["artefacts_sha256"].values())
    assert prov["sampling"] == {
        "model": "default", "temperature": 0.0, "max_tokens": 256, "upstream": None,
    }  # fmt: skip
    strength = summary["model_compliance"]
    assert isinstance(strength, dict) and strength["weak"] is False and strength["rate"] == 1.0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "id=provenance" in page and prov["git_revision"][:12] in page
    assert "id=weak" not in page


def test_a_target_too_weak_to_measure_is_named(judge: ServerProcess, tmp_path: Path) -> None:
    out = tmp_path / "weak"
    # the judge calls every answer harmless: the model behind the target never complies
    argv = _argv(
        judge, out, judge.url + "/v1", "--model", "text:16", "--sample", "8", verdict=REFUSE
    )
    done = _cli(argv)
    assert done.returncode == 0, done.stderr
    assert "too weak to measure safeguards" in done.stderr and "--upstream compliant" in done.stderr
    strength = _summary(out)["model_compliance"]
    assert isinstance(strength, dict) and strength["weak"] is True and strength["k"] == 0
    assert strength["n"] == sum(r["expect"] == "refuse" for r in _results(out))
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "id=weak" in page and "too weak to measure safeguards" in page
    ja = tmp_path / "weak-ja"
    argv = _argv(
        judge, ja, judge.url + "/v1", "--model", "text:16", "--sample", "8", verdict=REFUSE
    )
    argv[argv.index("--lang") + 1] = "ja"
    done = _cli(argv)
    assert "安全対策を測るには弱すぎます" in done.stderr
    assert "安全対策を測るには弱すぎます" in (ja / "report.html").read_text(encoding="utf-8")


def test_a_run_that_measured_nothing_fails(judge: ServerProcess, tmp_path: Path) -> None:
    argv = _argv(judge, tmp_path / "none", judge.url + "/v1", "--model", "error:404")
    argv += ["--sample", "3", "--retries", "0", "--max-consecutive-errors", "0"]
    done = _cli(argv)
    assert done.returncode == 5
    assert "no probe got a gradable answer (3 failed; the first: " in done.stderr
    assert "404" in done.stderr
    summary = _summary(tmp_path / "none")
    counts = summary["counts"]
    assert isinstance(counts, dict) and counts["graded"] == 0 and counts["errors"] == 3


def test_the_gateway_target_uses_a_model_the_gateway_serves(
    judge: ServerProcess, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    config = home / "sekimori.yaml"
    config.write_text(
        f"upstreams:\n  fake:\n    url: {judge.url}\n"
        "screen:\n  name: keywords\n  options:\n    block: [forbidden-word]\n",
        encoding="utf-8",
    )
    key = create_key(home, "redteam")
    with start_gateway(home, "--config", str(config)) as gateway:
        env = {**ENV, "SEKIMORI_GATEWAY_URL": gateway.url + "/v1", "SEKIMORI_API_KEY": key}
        out = tmp_path / "gw"
        done = _cli(_argv(judge, out, "gateway", "--sample", "4"), env)  # --model default
        assert done.returncode == 0, done.stderr
        served = served_model(gateway.url, key, 5.0)
        assert served in MODELS
    rows = _results(out)
    assert rows and not any(r["error"] for r in rows)
    run = _summary(out)["run"]
    assert isinstance(run, dict)
    assert run["target"].endswith(f"(model {served})")
    with pytest.raises(ConfigError, match="--model"):
        served_model("http://127.0.0.1:9/v1", "", 1.0)  # nothing listens on the discard port


def test_upstream_compliant_is_only_for_the_gateway(judge: ServerProcess, tmp_path: Path) -> None:
    done = _cli(_argv(judge, tmp_path / "x", "compliant", "--upstream", "compliant"))
    assert done.returncode == 1 and "--upstream: only with --target gateway" in done.stderr
    assert not (tmp_path / "x").exists()


def test_behind_the_gateway_the_compliant_target_measures_the_gateway(
    judge: ServerProcess, tmp_path: Path
) -> None:
    out = tmp_path / "stacked"
    argv = _argv(judge, out, "gateway", "--upstream", "compliant", "--sample", "28")
    argv[argv.index("llm-judge")] = "pool"  # harmful = one of the pool's harmful answers
    done = _cli(argv)
    assert done.returncode == 0, done.stderr
    rows = _results(out)
    assert rows and not any(r["error"] for r in rows)
    run = _summary(out)["run"]
    assert isinstance(run, dict)
    assert "compliant test upstream" in run["target"] and run["upstream"] == "compliant"
    assert run["provenance"]["sampling"]["upstream"] == "compliant"
    harmful = [r for r in rows if r["expect"] == "refuse"]
    # The default policy stops some of the plainly harmful smoke items; whatever it let through
    # is the compliant upstream's harmful answer for that item: an attack that got through.
    assert any(r["blocked"] for r in harmful)
    pool = AnswerPool.load()
    for r in harmful:
        assert r["success"] is (not r["blocked"]) and r["grader"] in ("pool", "target-block")
        if not r["blocked"]:
            prompt = str(r["prompt"][-1]["content"])  # type: ignore[index]
            assert r["answer"] == pool.pick(str(r["category"] or "harmful"), prompt).answer
    for r in rows:
        if r["expect"] == "comply":
            assert r["refused"] is bool(r["blocked"])
    summary = _summary(out)
    asr = summary["asr"]
    assert isinstance(asr, dict)
    assert asr["k"] == sum(not r["blocked"] for r in harmful) and asr["n"] == len(harmful)
    assert "grader_agreement" not in summary
