"""Charts as inline SVG drawn on the server: no script, no library, readable without JS."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from sekimori.audit.browse import Bucket, Count


def bars(counts: Sequence[Count], *, width: int = 360, row: int = 22) -> str:
    """Horizontal bars, one a name, longest first, with the count at the end."""
    if not counts:
        return ""
    top = max(c.n for c in counts) or 1
    label_w, num_w = 130, 60
    span = width - label_w - num_w
    height = row * len(counts)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img">'
    ]
    for i, c in enumerate(counts):
        y = i * row
        w = max(1, round(span * c.n / top))
        name = escape(c.name)
        parts.append(
            f'<text x="0" y="{y + 15}" class="lbl">{name[:18]}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row - 8}" class="bar d-{name}">'
            f"<title>{name}: {c.n}</title></rect>"
            f'<text x="{label_w + w + 4}" y="{y + 15}" class="num">{c.n:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def timeline(buckets: Sequence[Bucket], *, width: int = 720, height: int = 160) -> str:
    """Requests per bucket as columns, the blocked part of each in red."""
    if not buckets:
        return ""
    top = max(b.requests for b in buckets) or 1
    pad = 24
    col = (width - pad) / len(buckets)
    usable = height - 20
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="none" role="img">',
        f'<text x="0" y="12" class="num">{top:,}</text>',
        f'<line x1="{pad}" y1="{usable}" x2="{width}" y2="{usable}" class="axis"/>',
    ]
    for i, b in enumerate(buckets):
        x = pad + i * col
        h = usable * b.requests / top
        hb = usable * b.blocked / top
        parts.append(
            f'<rect x="{x:.1f}" y="{usable - h:.1f}" width="{max(col - 1, 1):.1f}" '
            f'height="{h:.1f}" class="bar"><title>{b.requests:,} / {b.blocked:,}</title></rect>'
        )
        if hb:
            parts.append(
                f'<rect x="{x:.1f}" y="{usable - hb:.1f}" width="{max(col - 1, 1):.1f}" '
                f'height="{hb:.1f}" class="bar d-block"/>'
            )
    parts.append("</svg>")
    return "".join(parts)
