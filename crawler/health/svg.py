"""Inline SVG charts for the report page: bars per day, lines per field, bars per run.

Every text that reaches the markup goes through `html.escape` (labels and tooltips may come from
crawled pages or run records). The charts are plain shapes with a `<title>` each (the browser's
tooltip); no script, no external reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 200
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 12, 12, 28

# One colour per followed field (crawler.health.fields.FIELDS), distinct on white.
FIELD_COLOURS = {"title": "#1f77b4", "authors": "#d62728", "published": "#2ca02c",
                 "updated": "#9467bd", "section": "#8c564b", "image": "#e377c2",
                 "language": "#7f7f7f", "body": "#ff7f0e"}
STATUS_COLOURS = {"ok": "#2ca02c", "failed": "#d62728", "interrupted": "#ff7f0e",
                  "abandoned": "#7f7f7f"}


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar (may be empty)
    value: float
    tooltip: str
    colour: str = "#1f77b4"


def _open(label: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(label)}">',
            f"<title>{escape(label)}</title>",
            f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>']


def _axes(top_label: str) -> list[str]:
    bottom, right = HEIGHT - _BOTTOM, WIDTH - _RIGHT
    return [f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{bottom}" stroke="#444"/>',
            f'<line x1="{_LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#444"/>',
            f'<text x="{_LEFT - 4}" y="{_TOP + 8}" text-anchor="end" font-size="10">'
            f"{escape(top_label)}</text>",
            f'<text x="{_LEFT - 4}" y="{bottom}" text-anchor="end" font-size="10">0</text>']


def _empty(label: str, message: str) -> str:
    parts = [*_open(label), *_axes(""),
             f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="13" '
             f'fill="#666">{escape(message)}</text>', "</svg>"]
    return "\n".join(parts)


def bar_chart(label: str, bars: Sequence[Bar], *, empty: str = "no data", unit: str = "",
              label_every: int = 1) -> str:
    """Vertical bars, one per item, scaled to the largest; `empty` shown when there is none or
    all are zero."""
    peak = max((b.value for b in bars), default=0.0)
    if not bars or peak <= 0:
        return _empty(label, empty)
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    step = plot_w / len(bars)
    width = max(1.0, step * 0.8)
    parts = [*_open(label), *_axes(f"{peak:g}{unit}")]
    for index, bar in enumerate(bars):
        height = plot_h * max(0.0, bar.value) / peak
        x = _LEFT + index * step + (step - width) / 2
        y = _TOP + plot_h - height
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
                     f'fill="{escape(bar.colour)}"><title>{escape(bar.tooltip)}</title></rect>')
        if bar.label and index % max(1, label_every) == 0:
            parts.append(f'<text x="{x + width / 2:.1f}" y="{HEIGHT - _BOTTOM + 14}" '
                         f'text-anchor="middle" font-size="10">{escape(bar.label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def share_chart(label: str, runs: Sequence[str], series: Mapping[str, Sequence[float | None]],
                *, drift: Mapping[int, str] | None = None, empty: str = "no judged run") -> str:
    """One line per field of its share (0 to 1) over `runs` (oldest first); the runs in `drift`
    (index -> what drifted) get a red band and a "drift" mark."""
    if not runs:
        return _empty(label, empty)
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT - 80, HEIGHT - _TOP - _BOTTOM
    step = plot_w / max(1, len(runs) - 1) if len(runs) > 1 else 0.0

    def x_of(index: int) -> float:
        return _LEFT + (index * step if len(runs) > 1 else plot_w / 2)

    def y_of(share: float) -> float:
        return _TOP + plot_h * (1 - min(1.0, max(0.0, share)))

    parts = [*_open(label), *_axes("100%")]
    for index, what in (drift or {}).items():
        if 0 <= index < len(runs):
            x = x_of(index)
            parts.append(f'<rect class="drift" x="{x - 6:.1f}" y="{_TOP}" width="12" height="{plot_h}" '
                         f'fill="#d62728" fill-opacity="0.18"><title>drift: {escape(what)}</title></rect>')
            parts.append(f'<text x="{x:.1f}" y="{_TOP + plot_h + 24}" text-anchor="middle" '
                         f'font-size="10" fill="#d62728">drift</text>')
    for row, (name, values) in enumerate(series.items()):
        colour = FIELD_COLOURS.get(name, "#000000")
        points = [(x_of(i), y_of(v), v) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y, value), run in zip(points, (r for r, v in zip(runs, values, strict=False)
                                               if v is not None), strict=False):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>'
                         f"{escape(name)} {value:.0%} ({escape(run)})</title></circle>")
        legend_y = _TOP + 10 + row * 16
        parts.append(f'<rect x="{WIDTH - 86}" y="{legend_y - 8}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{WIDTH - 72}" y="{legend_y + 1}" font-size="11">{escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
