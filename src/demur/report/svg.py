"""Small inline SVG charts, drawn in Python so a report needs no script library or network.

Every text that reaches a chart (group names, model names) is escaped here: names come from
suites and specs a user supplied, and must never be read as markup.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from demur.metrics.model import Estimate

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999933", "#333333")
"""Okabe-Ito colours: distinguishable with the common colour-vision deficiencies."""
FONT = "font-family='system-ui, sans-serif'"


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f}%"


def describe(estimate: Estimate | None) -> str:
    """Value, interval and n in words, for tooltips and table titles."""
    if estimate is None or estimate.value is None:
        return f"no scored items (n={estimate.n if estimate else 0})"
    interval = (
        f" [95% CI {pct(estimate.low)} to {pct(estimate.high)}]"
        if estimate.low is not None and estimate.high is not None
        else ""
    )
    hits = f", {estimate.k} of {estimate.n}" if estimate.k is not None else f", n={estimate.n}"
    return f"{pct(estimate.value)}{interval}{hits}"


@dataclass(frozen=True)
class Series:
    """One bar per group for one run."""

    name: str
    values: Sequence[Estimate | None]


def _svg(width: int, height: int, body: str, label: str) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' "
        f"width='{width}' height='{height}' role='img' aria-label='{escape(label)}' {FONT}>"
        f"{body}</svg>"
    )


def _legend(names: Sequence[str], x: float, y: float, max_width: float) -> str:
    parts, cx, cy = [], x, y
    for i, name in enumerate(names):
        width = 22 + 7 * len(name)
        if cx + width > x + max_width and cx > x:
            cx, cy = x, cy + 18
        parts.append(
            f"<rect x='{cx:.0f}' y='{cy - 10:.0f}' width='12' height='12' fill='{colour(i)}'/>"
            f"<text x='{cx + 16:.0f}' y='{cy:.0f}' font-size='12'>{escape(name)}</text>"
        )
        cx += width + 12
    return "".join(parts)


def _legend_rows(names: Sequence[str], max_width: float) -> int:
    rows, cx = 1, 0.0
    for name in names:
        width = 22 + 7 * len(name)
        if cx + width > max_width and cx > 0:
            rows, cx = rows + 1, 0.0
        cx += width + 12
    return rows


def bar_chart(groups: Sequence[str], series: Sequence[Series], title: str, width: int = 960) -> str:
    """Grouped bars of percentages with 95% interval whiskers, one colour per series."""
    legend_h = 18 * _legend_rows([s.name for s in series], width - 80) + 8
    top, left, right, bottom = 34 + legend_h, 48, 12, 58
    height = top + 240 + bottom
    plot_w, plot_h = width - left - right, 240
    body = [f"<text x='{left}' y='18' font-size='14' font-weight='600'>{escape(title)}</text>"]
    body.append(_legend([s.name for s in series], left, 40, plot_w))
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - tick / 100)
        body.append(
            f"<line x1='{left}' x2='{left + plot_w}' y1='{y:.1f}' y2='{y:.1f}' "
            f"stroke='#ddd'/><text x='{left - 6}' y='{y + 4:.1f}' font-size='11' "
            f"text-anchor='end' fill='#555'>{tick}%</text>"
        )
    group_w = plot_w / max(1, len(groups))
    bar_w = min(38.0, group_w * 0.8 / max(1, len(series)))
    for gi, group in enumerate(groups):
        gx = left + gi * group_w + (group_w - bar_w * len(series)) / 2
        for si, s in enumerate(series):
            estimate = s.values[gi] if gi < len(s.values) else None
            x = gx + si * bar_w
            if estimate is None or estimate.value is None:
                body.append(
                    f"<text x='{x + bar_w / 2:.1f}' y='{top + plot_h - 4}' font-size='9' "
                    f"text-anchor='middle' fill='#999'>n/a</text>"
                )
                continue
            h = plot_h * estimate.value
            tip = escape(f"{s.name} · {group}: {describe(estimate)}")
            body.append(
                f"<rect x='{x + 1:.1f}' y='{top + plot_h - h:.1f}' width='{bar_w - 2:.1f}' "
                f"height='{h:.1f}' fill='{colour(si)}'><title>{tip}</title></rect>"
            )
            if estimate.low is not None and estimate.high is not None:
                y1 = top + plot_h * (1 - estimate.low)
                y2 = top + plot_h * (1 - estimate.high)
                cx = x + bar_w / 2
                body.append(
                    f"<path d='M{cx:.1f} {y1:.1f}V{y2:.1f}M{cx - 4:.1f} {y1:.1f}h8"
                    f"M{cx - 4:.1f} {y2:.1f}h8' stroke='#222' stroke-width='1.2'/>"
                )
        body.append(
            f"<text x='{left + (gi + 0.5) * group_w:.1f}' y='{top + plot_h + 18}' "
            f"font-size='12' text-anchor='middle'>{escape(group)}</text>"
        )
    body.append(
        f"<line x1='{left}' x2='{left + plot_w}' y1='{top + plot_h}' y2='{top + plot_h}' "
        "stroke='#444'/>"
    )
    return _svg(width, height, "".join(body), title)


@dataclass(frozen=True)
class Point:
    """One model in the over- against under-refusal chart."""

    name: str
    x: Estimate
    y: Estimate


def scatter(points: Sequence[Point], x_label: str, y_label: str, title: str) -> str:
    """Points with interval crosshairs on a 0-100% square; lower left is better."""
    size, left, top, bottom = 360, 56, 34, 48
    width, height = left + size + 220, top + size + bottom
    body = [f"<text x='{left}' y='18' font-size='14' font-weight='600'>{escape(title)}</text>"]

    def sx(v: float) -> float:
        return left + size * v

    def sy(v: float) -> float:
        return top + size * (1 - v)

    for tick in (0, 25, 50, 75, 100):
        v = tick / 100
        body.append(
            f"<line x1='{sx(v):.1f}' x2='{sx(v):.1f}' y1='{top}' y2='{top + size}' stroke='#eee'/>"
            f"<line x1='{left}' x2='{left + size}' y1='{sy(v):.1f}' y2='{sy(v):.1f}' "
            f"stroke='#eee'/><text x='{sx(v):.1f}' y='{top + size + 16}' font-size='11' "
            f"text-anchor='middle' fill='#555'>{tick}%</text><text x='{left - 6}' "
            f"y='{sy(v) + 4:.1f}' font-size='11' text-anchor='end' fill='#555'>{tick}%</text>"
        )
    body.append(
        f"<rect x='{left}' y='{top}' width='{size}' height='{size}' fill='none' stroke='#444'/>"
        f"<text x='{left + size / 2}' y='{top + size + 36}' font-size='12' "
        f"text-anchor='middle'>{escape(x_label)}</text>"
        f"<text transform='translate(14 {top + size / 2}) rotate(-90)' font-size='12' "
        f"text-anchor='middle'>{escape(y_label)}</text>"
        f"<text x='{left + 8}' y='{top + size - 8}' font-size='11' fill='#2a7'>better ↙</text>"
    )
    legend_y = top + 10
    if not any(p.x.value is not None and p.y.value is not None for p in points):
        body.append(
            f"<text x='{left + size / 2}' y='{top + size / 2}' font-size='12' fill='#777' "
            "text-anchor='middle'>needs scored prompts of both kinds</text>"
        )
    for i, p in enumerate(points):
        if p.x.value is None or p.y.value is None:
            continue
        x, y, c = sx(p.x.value), sy(p.y.value), colour(i)
        if p.x.low is not None and p.x.high is not None:
            body.append(
                f"<line x1='{sx(p.x.low):.1f}' x2='{sx(p.x.high):.1f}' y1='{y:.1f}' "
                f"y2='{y:.1f}' stroke='{c}' stroke-width='1.5'/>"
            )
        if p.y.low is not None and p.y.high is not None:
            body.append(
                f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{sy(p.y.low):.1f}' y2='{sy(p.y.high):.1f}' "
                f"stroke='{c}' stroke-width='1.5'/>"
            )
        tip = escape(f"{p.name}: {x_label} {describe(p.x)}; {y_label} {describe(p.y)}")
        body.append(
            f"<circle cx='{x:.1f}' cy='{y:.1f}' r='6' fill='{c}' stroke='#fff'>"
            f"<title>{tip}</title></circle>"
            f"<text x='{x + 8:.1f}' y='{y - 8:.1f}' font-size='11' fill='{c}'>{i + 1}</text>"
            f"<circle cx='{left + size + 24}' cy='{legend_y - 4}' r='5' fill='{c}'/>"
            f"<text x='{left + size + 34}' y='{legend_y}' font-size='12'>"
            f"{i + 1}. {escape(p.name)}</text>"
        )
        legend_y += 18
    return _svg(width, height, "".join(body), title)


def _blend(value: float) -> str:
    """White to deep blue as value goes from 0 to 1."""
    v = min(1.0, max(0.0, value))
    r, g, b = (int(255 + (t - 255) * v) for t in (8, 81, 156))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(
    rows: Sequence[str],
    cols: Sequence[str],
    cells: dict[tuple[str, str], Estimate],
    title: str,
) -> str:
    """A grid of shares, darker for higher; empty cells are grey."""
    cell_w, cell_h, left, top = 76, 26, 150, 24
    width = left + cell_w * max(1, len(cols)) + 12
    height = top + cell_h * len(rows) + 12
    body: list[str] = []
    for ci, col in enumerate(cols):
        body.append(
            f"<text x='{left + (ci + 0.5) * cell_w:.0f}' y='{top - 8}' font-size='12' "
            f"text-anchor='middle'>{escape(col)}</text>"
        )
    for ri, row in enumerate(rows):
        y = top + ri * cell_h
        body.append(
            f"<text x='{left - 8}' y='{y + 17}' font-size='12' text-anchor='end'>"
            f"{escape(row)}</text>"
        )
        for ci, col in enumerate(cols):
            x = left + ci * cell_w
            estimate = cells.get((row, col))
            value = estimate.value if estimate else None
            fill = "#eee" if value is None else _blend(value)
            ink = "#fff" if value is not None and value > 0.55 else "#222"
            tip = escape(f"{row} · {col}: {describe(estimate)}")
            body.append(
                f"<rect x='{x}' y='{y}' width='{cell_w - 2}' height='{cell_h - 2}' "
                f"fill='{fill}'><title>{tip}</title></rect><text x='{x + cell_w / 2 - 1:.0f}' "
                f"y='{y + 17}' font-size='11' text-anchor='middle' fill='{ink}'>"
                f"{pct(value, 0) if value is not None else '–'}</text>"
            )
    return _svg(width, height, "".join(body), title)


def stacked_bars(
    rows: Sequence[tuple[str, dict[str, Estimate]]], keys: Sequence[str], title: str
) -> str:
    """One horizontal bar per row, split into the shares of each key (shares sum to 1)."""
    left, top, bar_h, plot_w = 190, 34, 22, 600
    legend_rows = _legend_rows(keys, plot_w + left)
    height = top + (bar_h + 8) * len(rows) + 18 * legend_rows + 16
    body = [f"<text x='0' y='18' font-size='14' font-weight='600'>{escape(title)}</text>"]
    for ri, (name, shares) in enumerate(rows):
        y = top + ri * (bar_h + 8)
        body.append(
            f"<text x='{left - 8}' y='{y + 15}' font-size='12' text-anchor='end'>"
            f"{escape(name)}</text>"
        )
        x = float(left)
        for ki, key in enumerate(keys):
            estimate = shares.get(key)
            if estimate is None or not estimate.value:
                continue
            w = plot_w * estimate.value
            tip = escape(f"{name} · {key}: {describe(estimate)}")
            body.append(
                f"<rect x='{x:.1f}' y='{y}' width='{w:.1f}' height='{bar_h}' "
                f"fill='{colour(ki)}'><title>{tip}</title></rect>"
            )
            if w > 34:
                body.append(
                    f"<text x='{x + w / 2:.1f}' y='{y + 15}' font-size='11' fill='#fff' "
                    f"text-anchor='middle'>{pct(estimate.value, 0)}</text>"
                )
            x += w
        if not shares:
            body.append(
                f"<text x='{left}' y='{y + 15}' font-size='11' fill='#999'>"
                "no noncompliant answers</text>"
            )
    legend_y = top + (bar_h + 8) * len(rows) + 14
    body.append(_legend(keys, 0, legend_y, plot_w + left))
    return _svg(left + plot_w + 20, height, "".join(body), title)


@dataclass(frozen=True)
class Line:
    """One curve: shares (with optional intervals, drawn as a band) at numeric x values.

    Points are joined in x order, or as given when `ordered` (a curve traced by a parameter)."""

    name: str
    points: Sequence[tuple[float, Estimate]]
    dashed: bool = False
    ordered: bool = False


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round tick values covering [low, high]."""
    if high <= low:
        return [low]
    raw = (high - low) / (count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def _tick_text(value: float, percent: bool) -> str:
    if percent:
        return f"{100 * value:.0f}%"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"


def line_chart(
    lines: Sequence[Line],
    title: str,
    x_label: str,
    y_label: str,
    *,
    x_range: tuple[float, float] | None = None,
    x_ticks: Sequence[float] | None = None,
    x_percent: bool = False,
    width: int = 440,
    plot_height: int = 200,
) -> str:
    """Curves of percentages against a numeric x, with 95% interval bands, one colour per line.

    Points whose estimate has no value leave a gap in their line."""
    xs = [x for line in lines for x, _ in line.points]
    x_min, x_max = x_range or ((min(xs), max(xs)) if xs else (0.0, 1.0))
    if x_max <= x_min:
        x_min, x_max = x_min - 0.5, x_max + 0.5
    legend_h = 18 * _legend_rows([line.name for line in lines], width - 60) + 6
    top, left, right, bottom = 30 + legend_h, 48, 14, 44
    plot_w, plot_h = width - left - right, plot_height
    height = top + plot_h + bottom

    def sx(v: float) -> float:
        return left + plot_w * (v - x_min) / (x_max - x_min)

    def sy(v: float) -> float:
        return top + plot_h * (1 - min(1.0, max(0.0, v)))

    body = [f"<text x='{left}' y='18' font-size='14' font-weight='600'>{escape(title)}</text>"]
    body.append(_legend([line.name for line in lines], left, 38, plot_w))
    for tick in (0, 25, 50, 75, 100):
        y = sy(tick / 100)
        body.append(
            f"<line x1='{left}' x2='{left + plot_w}' y1='{y:.1f}' y2='{y:.1f}' stroke='#ddd'/>"
            f"<text x='{left - 6}' y='{y + 4:.1f}' font-size='11' text-anchor='end' "
            f"fill='#555'>{tick}%</text>"
        )
    for x_tick in _ticks(x_min, x_max) if x_ticks is None else x_ticks:
        x = sx(x_tick)
        body.append(
            f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{top}' y2='{top + plot_h}' stroke='#eee'/>"
            f"<text x='{x:.1f}' y='{top + plot_h + 15}' font-size='11' text-anchor='middle' "
            f"fill='#555'>{_tick_text(x_tick, x_percent)}</text>"
        )
    body.append(
        f"<rect x='{left}' y='{top}' width='{plot_w}' height='{plot_h}' fill='none' "
        f"stroke='#444'/><text x='{left + plot_w / 2:.1f}' y='{top + plot_h + 34}' "
        f"font-size='12' text-anchor='middle'>{escape(x_label)}</text>"
        f"<text transform='translate(13 {top + plot_h / 2:.1f}) rotate(-90)' font-size='12' "
        f"text-anchor='middle'>{escape(y_label)}</text>"
    )
    if not any(e.value is not None for line in lines for _, e in line.points):
        body.append(
            f"<text x='{left + plot_w / 2:.1f}' y='{top + plot_h / 2:.1f}' font-size='12' "
            "fill='#777' text-anchor='middle'>no data</text>"
        )
    for i, line in enumerate(lines):
        body.append(_line_body(line, colour(i), sx, sy, x_percent))
    return _svg(width, height, "".join(body), title)


def _runs(line: Line) -> list[list[tuple[float, Estimate]]]:
    """Consecutive points with values: a line breaks where a value is missing."""
    runs: list[list[tuple[float, Estimate]]] = [[]]
    points = line.points if line.ordered else sorted(line.points, key=lambda p: p[0])
    for x, estimate in points:
        if estimate.value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((x, estimate))
    return [r for r in runs if r]


def _line_body(
    line: Line,
    ink: str,
    sx: Callable[[float], float],
    sy: Callable[[float], float],
    x_percent: bool,
) -> str:
    parts: list[str] = []
    dash = " stroke-dasharray='6 4'" if line.dashed else ""
    for run in _runs(line):
        banded = [(x, e) for x, e in run if e.low is not None and e.high is not None]
        if len(banded) > 1:
            upper = " ".join(f"{sx(x):.1f},{sy(e.high or 0):.1f}" for x, e in banded)
            lower = " ".join(f"{sx(x):.1f},{sy(e.low or 0):.1f}" for x, e in reversed(banded))
            parts.append(
                f"<polygon points='{upper} {lower}' fill='{ink}' fill-opacity='0.14' "
                "stroke='none'/>"
            )
        path = " ".join(f"{sx(x):.1f},{sy(e.value or 0):.1f}" for x, e in run)
        parts.append(
            f"<polyline points='{path}' fill='none' stroke='{ink}' stroke-width='2'{dash}/>"
        )
        for x, e in run:
            tip = escape(f"{line.name} at {_tick_text(x, x_percent)}: {describe(e)}")
            parts.append(
                f"<circle cx='{sx(x):.1f}' cy='{sy(e.value or 0):.1f}' r='2.6' fill='{ink}'>"
                f"<title>{tip}</title></circle>"
            )
    return "".join(parts)
