"""One red-team run end to end: plan probes, run them, write summary.json, results.jsonl and
report.html into the run directory."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sekimori.errors import InputError
from sekimori.redteam.datasets import SUITES, load_suite, sample_items
from sekimori.redteam.graders import GRADERS, Grader, GraderSettings
from sekimori.redteam.graders.agreement import Agreement, measure
from sekimori.redteam.items import Probe, SuiteItem
from sekimori.redteam.mutators import MUTATORS
from sekimori.redteam.provenance import provenance
from sekimori.redteam.report import render
from sekimori.redteam.runner import Runner, RunnerSettings, RunOutcome
from sekimori.redteam.store import DB_NAME, ResultStore
from sekimori.redteam.summary import summarize, write_outputs
from sekimori.redteam.targets import TARGETS, Target, TargetSettings


@dataclass(frozen=True, slots=True)
class Plan:
    probes: list[Probe]
    skipped: dict[str, int]  # mutator -> items it does not apply to


def plan(items: Sequence[SuiteItem], mutators: Sequence[str]) -> Plan:
    probes: list[Probe] = []
    skipped: dict[str, int] = {}
    for name in mutators:
        mutate = MUTATORS.get(name)
        for item in items:
            probe = mutate(item)
            if probe is None:
                skipped[name] = skipped.get(name, 0) + 1
            else:
                probes.append(probe)
    return Plan(probes, skipped)


@dataclass(frozen=True, slots=True)
class LabConfig:
    target: str
    suite: str
    mutators: tuple[str, ...]
    out: Path
    target_settings: TargetSettings
    runner: RunnerSettings
    grader: str
    grader_settings: GraderSettings
    resume: bool = False
    lang: str = "en"
    sample: int | None = None  # a stable sample of N suite items, spread over the suite
    agreement_sample: int = 100  # labelled answers to check the grader on; 0 skips the check


def target_kind(target: str) -> tuple[str, str]:
    """(registered target name, URL) for a --target value."""
    if target.startswith(("http://", "https://")):
        return "openai", target
    TARGETS.get(target)  # names the known targets when unknown
    return target, ""


def _meta(config: LabConfig, describe: str) -> dict[str, Any]:
    sources = list(SUITES.get(config.suite).sources) if config.suite in SUITES else [config.suite]
    return {
        "target": describe,
        "target_kind": target_kind(config.target)[0],
        "suite": config.suite,
        "mutators": list(config.mutators),
        "grader": config.grader,
        "sources": sources,
        "sample": config.sample,
        "upstream": config.target_settings.upstream or None,
        "provenance": provenance(config.target_settings),
    }


def _check_resume(store: ResultStore, config: LabConfig, out: Path) -> None:
    old = store.meta()
    if not old:
        return
    if not config.resume:
        raise InputError(
            f"{out} already holds a run; pass --resume to continue it or choose another --out "
            "(既存の実行があります。--resume で再開するか別の --out を指定してください)"
        )
    now = _meta(config, "")
    for key in ("suite", "mutators", "target_kind", "grader", "sample", "upstream"):
        mine = now[key]
        if old.get(key) != mine:
            raise InputError(
                f"--resume: {key} differs from the stored run ({old.get(key)!r} vs {mine!r})"
            )


def finalize(
    out: Path, store: ResultStore, lang: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    rows = list(store.rows())
    summary = summarize(rows, store.meta())
    summary.update(extra or {})
    write_outputs(out, rows, summary)
    (out / "report.html").write_text(render(summary, rows, lang), encoding="utf-8")
    return summary


@dataclass(frozen=True, slots=True)
class _Finished:
    outcome: RunOutcome
    agreement: Agreement | None


async def _run(config: LabConfig, store: ResultStore, probes: list[Probe]) -> _Finished:
    kind, url = target_kind(config.target)
    settings = config.target_settings
    if url:
        settings = settings.model_copy(update={"url": url})
    grader: Grader = GRADERS.get(config.grader)(config.grader_settings)
    target: Target = TARGETS.get(kind)(settings)
    try:
        store.set_meta(_meta(config, target.describe))
        outcome = await Runner(target, grader, store, config.runner).run(probes)
        agreement = None
        # the classifier target's grade is its own flag: there is nothing to agree about
        # (nor for the compliant upstream's pool grader: it knows its answers, it judges nothing)
        if config.agreement_sample > 0 and grader.name not in ("verdict", "pool"):
            agreement = await measure(grader, config.agreement_sample, config.runner.concurrency)
        return _Finished(outcome, agreement)
    finally:
        await target.aclose()
        await grader.aclose()


def run_lab(config: LabConfig) -> tuple[RunOutcome, dict[str, Any]]:
    target_kind(config.target)  # bad names fail before anything is written
    GRADERS.get(config.grader)
    for name in config.mutators:
        MUTATORS.get(name)
    _, items = load_suite(config.suite)
    if config.sample is not None:
        items = sample_items(items, config.sample)
    planned = plan(items, config.mutators)
    config.out.mkdir(parents=True, exist_ok=True)
    store = ResultStore(config.out / DB_NAME)
    try:
        _check_resume(store, config, config.out)
        done = asyncio.run(_run(config, store, planned.probes))
        extra: dict[str, Any] = {"skipped": planned.skipped}
        if done.agreement is not None:
            extra["grader_agreement"] = done.agreement.as_json()
        summary = finalize(config.out, store, config.lang, extra)
    finally:
        store.close()
    return done.outcome, summary
