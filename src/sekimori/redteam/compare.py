"""Compare two runs on the probes they share (e.g. a model alone vs. behind the gateway)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from sekimori.lang import Text
from sekimori.redteam.report import FONT_CSS
from sekimori.redteam.stats import mcnemar, wilson
from sekimori.redteam.store import ResultRow, ResultStore


def _rows(run_dir: Path) -> dict[str, ResultRow]:
    store = ResultStore.open_existing(run_dir)
    try:
        return {r.probe_id: r for r in store.rows() if r.error is None}
    finally:
        store.close()


def _paired(a: dict[str, ResultRow], b: dict[str, ResultRow], field: str) -> dict[str, Any]:
    shared = [k for k in sorted(a.keys() & b.keys()) if getattr(a[k], field) is not None]
    hits_a = [bool(getattr(a[k], field)) for k in shared]
    hits_b = [bool(getattr(b[k], field)) for k in shared]
    only_a = sum(x and not y for x, y in zip(hits_a, hits_b, strict=True))
    only_b = sum(y and not x for x, y in zip(hits_a, hits_b, strict=True))
    return {
        "a": wilson(sum(hits_a), len(shared)).as_json(),
        "b": wilson(sum(hits_b), len(shared)).as_json(),
        "mcnemar": mcnemar(only_a, only_b, len(shared)).as_json(),
    }


def compare(dir_a: Path, dir_b: Path) -> dict[str, Any]:
    a, b = _rows(dir_a), _rows(dir_b)
    by_mutator = {}
    for mutator in sorted({r.mutator for r in a.values()} & {r.mutator for r in b.values()}):
        sub_a = {k: r for k, r in a.items() if r.mutator == mutator}
        sub_b = {k: r for k, r in b.items() if r.mutator == mutator}
        by_mutator[mutator] = _paired(sub_a, sub_b, "success")
    return {
        "run_a": str(dir_a),
        "run_b": str(dir_b),
        "asr": _paired(a, b, "success"),
        "over_refusal": _paired(a, b, "refused"),
        "asr_by_mutator": by_mutator,
    }


_TITLE = Text("sekimori red-team comparison", "sekimori レッドチーム比較")
_ROW = Text(
    "{what}: A {a} vs B {b} (paired n={n}); McNemar {method} p = {p:.3g} (b={bb}, c={c})",
    "{what}: A {a} / B {b}（対応 n={n}）; McNemar {method} p = {p:.3g}（b={bb}, c={c}）",
)


def _line(what: str, part: dict[str, Any], lang: str) -> str:
    m = part["mcnemar"]
    return _ROW(
        lang,
        what=what,
        a=f"{100 * part['a']['rate']:.1f}%",
        b=f"{100 * part['b']['rate']:.1f}%",
        n=m["n_pairs"],
        method=m["method"],
        p=m["p_value"],
        bb=m["b"],
        c=m["c"],
    )


def write_compare(result: dict[str, Any], out: Path, lang: str = "en") -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "compare.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    lines = [_line("ASR", result["asr"], lang), _line("over-refusal", result["over_refusal"], lang)]
    lines += [_line(f"ASR · {m}", p, lang) for m, p in result["asr_by_mutator"].items()]
    items = "".join(f"<li>{html.escape(x)}</li>" for x in lines)
    (out / "compare.html").write_text(
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{_TITLE(lang)}'
        f"</title><style>{FONT_CSS}</style></head><body><h1>{_TITLE(lang)}</h1>"
        f"<p>A = {html.escape(result['run_a'])}, "
        f"B = {html.escape(result['run_b'])}</p><ul>{items}</ul></body></html>\n",
        encoding="utf-8",
    )
