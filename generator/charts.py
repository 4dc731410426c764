"""Static SVG charts drawn at generate time: a scatter with error bars and grouped horizontal bars.

Plain strings, no plotting library: output is small, deterministic and carries its own title and
description for screen readers. Every label is XML-escaped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
FONT = 'font-family="sans-serif" font-size="12"'


@dataclass(frozen=True)
class Chart:
    """A drawn chart and the text that stands in for it (alt text, also the SVG's description)."""

    id: str
    title: str
    alt: str
    svg: str


@dataclass(frozen=True)
class Point:
    label: str
    x: float
    y: float
    y_low: float | None = None
    y_high: float | None = None


def _short(label: str, n: int = 28) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]."""
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, t = [], start
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 12))
        t += step
    if ticks[-1] < hi:
        ticks.append(round(t, 12))
    return ticks


def _frame(width: int, height: int, title: str, desc: str, body: list[str]) -> str:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="title desc">'
            f'<title id="title">{escape(title)}</title><desc id="desc">{escape(desc)}</desc>'
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>')
    return "\n".join([head, *body, "</svg>"]) + "\n"


def scatter(points: list[Point], title: str, desc: str, x_label: str, y_label: str,
            x_fmt, y_fmt, log_x: bool = False) -> str:
    """One labelled point per entry; vertical bars show each point's interval."""
    width, height, left, right, top, bottom = 760, 420, 70, 230, 20, 50
    pw, ph = width - left - right, height - top - bottom
    fx = (lambda v: math.log10(v)) if log_x else (lambda v: v)
    xs = [fx(p.x) for p in points]
    ys = [v for p in points for v in (p.y, p.y_low, p.y_high) if v is not None]
    if log_x:
        x_ticks = list(range(math.floor(min(xs)), math.ceil(max(xs)) + 1)) if xs else [0, 1]
        if len(x_ticks) < 2:
            x_ticks.append(x_ticks[0] + 1)
    else:
        x_ticks = nice_ticks(min(xs), max(xs)) if xs else [0, 1]
    y_ticks = nice_ticks(min(ys), max(ys)) if ys else [0, 1]
    x0, x1, y0, y1 = x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1]

    def px(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * pw

    def py(v: float) -> float:
        return top + ph - (v - y0) / (y1 - y0) * ph

    body = [f'<g {FONT} fill="#333">']
    for t in y_ticks:
        body.append(f'<line x1="{left}" x2="{left + pw}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="#e0e0e0"/>'
                    f'<text x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{escape(y_fmt(t))}</text>')
    for t in x_ticks:
        label = x_fmt(10 ** t) if log_x else x_fmt(t)
        body.append(f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{top}" y2="{top + ph}" stroke="#e0e0e0"/>'
                    f'<text x="{px(t):.1f}" y="{top + ph + 16}" text-anchor="middle">{escape(label)}</text>')
    body.append(f'<text x="{left + pw / 2:.1f}" y="{height - 10}" text-anchor="middle">{escape(x_label)}</text>')
    body.append(f'<text transform="translate(16 {top + ph / 2:.1f}) rotate(-90)" text-anchor="middle">'
                f'{escape(y_label)}</text>')
    for i, p in enumerate(points):
        color = PALETTE[i % len(PALETTE)]
        cx, cy = px(fx(p.x)), py(p.y)
        if p.y_low is not None and p.y_high is not None:
            body.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{py(p.y_low):.1f}" y2="{py(p.y_high):.1f}" '
                        f'stroke="{color}" stroke-width="2"/>')
        body.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{color}"/>')
        ly = top + 14 + 18 * i
        body.append(f'<circle cx="{left + pw + 16}" cy="{ly - 4}" r="5" fill="{color}"/>'
                    f'<text x="{left + pw + 26}" y="{ly}">{escape(_short(p.label))}</text>')
    body.append("</g>")
    return _frame(width, max(height, top + 30 + 18 * len(points)), title, desc, body)


def bars(groups: list[str], series: list[tuple[str, list[float | None]]], title: str, desc: str,
         value_label: str, fmt, intervals: list[tuple[float, float] | None] | None = None) -> str:
    """Horizontal bars: one group per category, one bar per series (missing values are marked).
    ``intervals`` (one per group, for the first series) are drawn as whiskers."""
    bar, gap, left, right, top = 12, 10, 190, 70, 40 + 16 * math.ceil(len(series) / 2)
    width = 760
    pw = width - left - right
    values = [v for _, vs in series for v in vs if v is not None]
    values += [iv[1] for iv in intervals or [] if iv is not None]
    ticks = nice_ticks(0.0, max(values) if values else 1.0)
    scale_max = ticks[-1] or 1.0
    group_h = len(series) * bar + gap
    height = top + len(groups) * group_h + 40
    body = [f'<g {FONT} fill="#333">']
    for i, (name, _) in enumerate(series):
        lx, ly = 10 + (i % 2) * 375, 18 + 16 * (i // 2)
        body.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>'
                    f'<text x="{lx + 18}" y="{ly}">{escape(_short(name, 52))}</text>')
    bottom = top + len(groups) * group_h
    for t in ticks:
        x = left + t / scale_max * pw
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}" stroke="#e0e0e0"/>'
                    f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle">{escape(fmt(t))}</text>')
    body.append(f'<text x="{left + pw / 2:.1f}" y="{bottom + 32}" text-anchor="middle">{escape(value_label)}</text>')
    for g, group in enumerate(groups):
        y = top + g * group_h
        body.append(f'<text x="{left - 6}" y="{y + group_h / 2:.1f}" text-anchor="end">{escape(_short(group))}</text>')
        for s, (_, vs) in enumerate(series):
            v, by = vs[g], y + s * bar
            if v is None:
                body.append(f'<text x="{left + 4}" y="{by + bar - 2}" font-size="10" fill="#777">not measured</text>')
                continue
            w = max(0.5, v / scale_max * pw)
            label_x = left + w + 4
            body.append(f'<rect x="{left}" y="{by}" width="{w:.1f}" height="{bar - 2}" '
                        f'fill="{PALETTE[s % len(PALETTE)]}"/>')
            if s == 0 and intervals and intervals[g] is not None:
                x_lo, x_hi = (left + e / scale_max * pw for e in intervals[g])
                mid = by + (bar - 2) / 2
                body.append(f'<path d="M{x_lo:.1f} {mid:.1f}H{x_hi:.1f}M{x_lo:.1f} {by}v{bar - 2}'
                            f'M{x_hi:.1f} {by}v{bar - 2}" stroke="#333" stroke-width="1.5" fill="none"/>')
                label_x = max(label_x, x_hi + 4)
            body.append(f'<text x="{label_x:.1f}" y="{by + bar - 2}" font-size="10">{escape(fmt(v))}</text>')
    body.append("</g>")
    return _frame(width, height, title, desc, body)
