"""The watch's offline HTML report (English or Japanese): alerts by detector, then each alert
with its action, unit, score against level, reason and the features that drove it."""

from __future__ import annotations

import html
import time
from collections import Counter
from collections.abc import Sequence

from sekimori.lang import Text
from sekimori.watch.detectors import Alert

_TITLE = Text("sekimori watch report", "sekimori 監視レポート")
_SUMMARY = Text(
    "{alerts} alerts in {sketches} sketches ({start} to {end}, UTC).",
    "{sketches} 件のスケッチ中 {alerts} 件の警告（{start}〜{end}、UTC）。",
)
_BY_DETECTOR = Text("Alerts by detector", "検知器別の警告")
_ALERTS = Text("Alerts", "警告の一覧")
_HEAD = (
    Text("time", "時刻"),
    Text("detector", "検知器"),
    Text("action", "措置"),
    Text("unit", "対象"),
    Text("score / level", "スコア / 基準"),
    Text("reason", "理由"),
    Text("features", "特徴量"),
)
_NONE = Text("No alerts.", "警告はありません。")


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))


def render_report(
    alerts: Sequence[Alert], *, sketches: int, start: float, end: float, lang: str
) -> str:
    e = html.escape
    counts = Counter(a.detector for a in alerts)
    rows = "".join(
        "<tr>"
        f"<td>{_when(a.ts)}</td><td>{e(a.detector)}</td><td>{e(a.action)}</td>"
        f"<td><code>{e(a.unit)}</code></td><td>{a.score:g} / {a.level:g}</td>"
        f"<td>{e(a.reason(lang))}</td>"
        f"<td>{e(', '.join(f'{k} {v:g}' for k, v in a.features.items()))}</td>"
        "</tr>"
        for a in alerts
    )
    by_detector = "".join(f"<li>{e(name)}: {n}</li>" for name, n in sorted(counts.items()))
    head = "".join(f"<th>{e(h(lang))}</th>" for h in _HEAD)
    table = f"<table><tr>{head}</tr>{rows}</table>" if alerts else f"<p>{e(_NONE(lang))}</p>"
    summary = _SUMMARY(
        lang, alerts=len(alerts), sketches=sketches, start=_when(start), end=_when(end)
    )
    return (
        f'<!doctype html><html lang="{e(lang)}"><head><meta charset="utf-8">'
        f"<title>{e(_TITLE(lang))}</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:90%}"
        "</style></head><body>"
        f"<h1>{e(_TITLE(lang))}</h1><p>{e(summary)}</p>"
        f"<h2>{e(_BY_DETECTOR(lang))}</h2><ul>{by_detector}</ul>"
        f"<h2>{e(_ALERTS(lang))}</h2>{table}</body></html>\n"
    )
