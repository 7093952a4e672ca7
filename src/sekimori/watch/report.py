"""The watch's offline HTML report (English or Japanese): charts, then every alert.

One page, nothing fetched: the charts are inline SVG. Alerts per day by detector; for the keys
with the most alerts, a timeline (requests per hour, the alerts marked) and a topic-coverage
map (which of 256 topic cells, the first 8 topic bits of their sketches, their prompts fell in:
a distiller's key covers many cells, a batch job's a few); the campaigns (alerts naming several
keys); then each alert with its action, unit, score against level, reason and features.
`Traffic` gathers what the charts need in the same pass as the detectors (a few counters per
key, not the sketches).
"""

from __future__ import annotations

import html
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from sekimori.lang import FONT_FAMILY, Text
from sekimori.watch.detectors import Alert
from sekimori.watch.sketch import Sketch

HOUR = 3_600.0
DAY = 86_400.0
TOP_KEYS = 8
_COLOURS = ("#c0392b", "#2e86c1", "#28b463", "#b7950b", "#7d3c98", "#566573")

_TITLE = Text("sekimori watch report", "sekimori 監視レポート")
_SUMMARY = Text(
    "{alerts} alerts in {sketches} sketches ({start} to {end}, UTC).",
    "{sketches} 件のスケッチ中 {alerts} 件の警告（{start}〜{end}、UTC）。",
)
_BY_DAY = Text("Alerts per day, by detector", "日別・検知器別の警告")
_KEYS = Text("Keys with the most alerts", "警告の多いキー")
_KEYS_NOTE = Text(
    "Requests per hour (line) with the alerts marked (red); topic coverage: each of 256 topic "
    "cells the key's prompts fell in, darker for more.",
    "1時間あたりの要求数（線）と警告（赤）。話題の広がり：256 の話題区画のうち、キーのプロンプトが"
    "入った区画（濃いほど多い）。",
)
_KEY_HEAD = (
    Text("key", "キー"),
    Text("requests", "要求数"),
    Text("alerts", "警告"),
    Text("timeline", "時系列"),
    Text("topic coverage", "話題の広がり"),
)
_CAMPAIGNS = Text("Campaigns (alerts naming several keys)", "キャンペーン（複数キーの警告）")
_CAMPAIGN_HEAD = (Text("unit", "対象"), Text("keys", "キー数"), Text("score", "スコア"))
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


@dataclass(slots=True)
class _Key:
    hours: Counter[int] = field(default_factory=Counter)
    cells: Counter[int] = field(default_factory=Counter)
    requests: int = 0


@dataclass(slots=True)
class Traffic:
    """What the charts need, gathered sketch by sketch: per key, requests per hour and topic
    cells (at most 24 x days + 256 counters a key)."""

    keys: defaultdict[int, _Key] = field(default_factory=lambda: defaultdict(_Key))
    start: float = float("inf")
    end: float = float("-inf")
    sketches: int = 0

    def see(self, sketches: Iterable[Sketch]) -> Iterator[Sketch]:
        """Passes `sketches` on, counting them."""
        for sketch in sketches:
            key = self.keys[sketch.key]
            key.requests += 1
            key.hours[int(sketch.ts // HOUR)] += 1
            key.cells[sketch.topic[0]] += 1
            self.start, self.end = min(self.start, sketch.ts), max(self.end, sketch.ts)
            self.sketches += 1
            yield sketch


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))


def _by_day(alerts: Sequence[Alert], detectors: Sequence[str]) -> str:
    """Stacked bars: one a day, a colour a detector."""
    days = Counter((int(a.ts // DAY), a.detector) for a in alerts)
    first = min(d for d, _ in days)
    count = max(d for d, _ in days) - first + 1
    totals = Counter[int]()
    for (d, _), n in days.items():
        totals[d] += n
    width, height, bar = max(240, 24 * count + 40), 160, 18
    top = max(totals.values())
    parts = []
    for d in range(count):
        y: float = height - 20
        for i, name in enumerate(detectors):
            n = days.get((first + d, name), 0)
            if not n:
                continue
            h = (height - 40) * n / top
            y -= h
            parts.append(
                f'<rect x="{30 + 24 * d}" y="{y:.1f}" width="{bar}" height="{h:.1f}" '
                f'fill="{_COLOURS[i % len(_COLOURS)]}"><title>'
                f"{time.strftime('%Y-%m-%d', time.gmtime((first + d) * DAY))} {html.escape(name)}"
                f": {n}</title></rect>"
            )
    parts.append(f'<text x="2" y="14" font-size="11">{top}</text>')
    parts.append(
        f'<text x="30" y="{height - 4}" font-size="11">'
        f"{time.strftime('%m-%d', time.gmtime(first * DAY))}</text>"
    )
    legend = "".join(
        f'<span style="color:{_COLOURS[i % len(_COLOURS)]}">&#9632;</span> {html.escape(n)} '
        for i, n in enumerate(detectors)
    )
    svg = f'<svg width="{width}" height="{height}" role="img">{"".join(parts)}</svg>'
    return f"{svg}<p>{legend}</p>"


def _timeline(key: _Key, marks: Sequence[float], start: float, end: float) -> str:
    width, height = 360, 40
    first, last = int(start // HOUR), int(end // HOUR)
    span = max(1, last - first)
    top = max(key.hours.values())
    points = " ".join(
        f"{width * (h - first) / span:.1f},{height - 2 - (height - 6) * key.hours[h] / top:.1f}"
        for h in range(first, last + 1)
    )
    dots = "".join(
        f'<circle cx="{width * (ts / HOUR - first) / span:.1f}" cy="4" r="3" fill="#c0392b">'
        f"<title>{_when(ts)}</title></circle>"
        for ts in marks
    )
    return (
        f'<svg width="{width}" height="{height}" role="img"><polyline points="{points}" '
        f'fill="none" stroke="#2e86c1" stroke-width="1"/>{dots}</svg>'
    )


def _coverage(key: _Key) -> str:
    top = max(key.cells.values())
    cells = "".join(
        f'<rect x="{(c % 16) * 4}" y="{(c // 16) * 4}" width="4" height="4" '
        f'fill="rgba(46,134,193,{0.2 + 0.8 * n / top:.2f})"/>'
        for c, n in key.cells.items()
    )
    return (
        f'<svg width="64" height="64" role="img" style="background:#f4f6f7">{cells}'
        f"<title>{len(key.cells)} / 256</title></svg> {len(key.cells)}"
    )


def render_report(alerts: Sequence[Alert], traffic: Traffic, *, lang: str) -> str:
    e = html.escape
    counts = Counter(a.detector for a in alerts)
    detectors = sorted(counts)
    per_key: defaultdict[int, list[float]] = defaultdict(list)
    for a in alerts:
        for k in a.keys:
            per_key[k].append(a.ts)
    keys = sorted(per_key, key=lambda k: (-len(per_key[k]), k))[:TOP_KEYS]
    key_rows = "".join(
        f"<tr><td><code>{k:016x}</code></td><td>{traffic.keys[k].requests}</td>"
        f"<td>{len(per_key[k])}</td>"
        f"<td>{_timeline(traffic.keys[k], per_key[k], traffic.start, traffic.end)}</td>"
        f"<td>{_coverage(traffic.keys[k])}</td></tr>"
        for k in keys
        if k in traffic.keys
    )
    campaigns = sorted((a for a in alerts if len(a.keys) > 1), key=lambda a: -len(a.keys))
    campaign_rows = "".join(
        f"<tr><td><code>{e(a.unit)}</code></td><td>{len(a.keys)}</td><td>{a.score:g}</td></tr>"
        for a in campaigns[:20]
    )
    rows = "".join(
        "<tr>"
        f"<td>{_when(a.ts)}</td><td>{e(a.detector)}</td><td>{e(a.action)}</td>"
        f"<td><code>{e(a.unit)}</code></td><td>{a.score:g} / {a.level:g}</td>"
        f"<td>{e(a.reason(lang))}</td>"
        f"<td>{e(', '.join(f'{k} {v:g}' for k, v in a.features.items()))}</td>"
        "</tr>"
        for a in alerts
    )

    def table(head: Sequence[Text], body: str) -> str:
        cells = "".join(f"<th>{e(h(lang))}</th>" for h in head)
        return f"<table><tr>{cells}</tr>{body}</table>"

    start, end = (traffic.start, traffic.end) if traffic.sketches else (0.0, 0.0)
    summary = _SUMMARY(
        lang, alerts=len(alerts), sketches=traffic.sketches, start=_when(start), end=_when(end)
    )
    body = [f"<h1>{e(_TITLE(lang))}</h1><p>{e(summary)}</p>"]
    if not alerts:
        body.append(f"<p>{e(_NONE(lang))}</p>")
    else:
        body.append(f"<h2>{e(_BY_DAY(lang))}</h2>{_by_day(alerts, detectors)}")
        body.append(f"<h2>{e(_KEYS(lang))}</h2><p>{e(_KEYS_NOTE(lang))}</p>")
        body.append(table(_KEY_HEAD, key_rows))
        if campaigns:
            body.append(f"<h2>{e(_CAMPAIGNS(lang))}</h2>{table(_CAMPAIGN_HEAD, campaign_rows)}")
        body.append(f"<h2>{e(_ALERTS(lang))}</h2>{table(_HEAD, rows)}")
    return (
        f'<!doctype html><html lang="{e(lang)}"><head><meta charset="utf-8">'
        f"<title>{e(_TITLE(lang))}</title><style>"
        f"body{{font-family:{FONT_FAMILY};margin:2em}}table{{border-collapse:collapse}}"
        "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:90%}"
        "</style></head><body>" + "".join(body) + "</body></html>\n"
    )
