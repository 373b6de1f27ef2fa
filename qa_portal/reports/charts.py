"""The score chart of the report as a self-contained SVG (no fonts or files fetched).

Everything is laid out inside the drawing's own box whatever the panel's size: dots of equal
scores are spread around their score, and the legend wraps onto as many rows as it needs.
"""

from __future__ import annotations

from base64 import b64encode
from xml.sax.saxutils import escape

PALETTE = ["#1d4e89", "#c2410c", "#15803d", "#7c3aed", "#b45309", "#0e7490", "#be123c", "#4d7c0f"]
WIDTH = 520
LEFT, RIGHT, TOP, ROW_H = 58, 40, 34, 23
CHAR_W = 6.4  # a generous average advance of the 10-unit font, to lay the legend out
LEGEND_ROW = 16
PLOT_W = WIDTH - LEFT - RIGHT


def _legend(aliases: list[str]) -> list[tuple[float, int, str, str]]:
    """(x, row, kind, label) of each legend item, wrapped within the drawing's width."""
    items = [("dot", alias) for alias in aliases] + [("mean", "mean"), ("spread", "divergent")]
    placed, cursor, row = [], float(LEFT), 0
    for kind, label in items:
        width = 14 + CHAR_W * len(label) + 18
        if cursor + width > WIDTH - 8 and cursor > LEFT:
            cursor, row = float(LEFT), row + 1
        placed.append((cursor, row, kind, label))
        cursor += width
    return placed


def _x(score: float) -> float:
    """The horizontal position of a score (1 to 4) on the plot."""
    return LEFT + (score - 1) / 3 * PLOT_W


def _scale(plot_bottom: int) -> list[str]:
    """A vertical line and a label for each score, 1 to 4."""
    parts = []
    for score, label in (
        (1, "1 does not meet"),
        (2, "2 partially"),
        (3, "3 meets"),
        (4, "4 exceeds"),
    ):
        parts.append(
            f'<line x1="{_x(score):.1f}" y1="{TOP - 8}" x2="{_x(score):.1f}" '
            f'y2="{plot_bottom}" stroke="#d3dae3" stroke-width="1"/>'
        )
        anchor = "start" if score == 1 else "end" if score == 4 else "middle"
        offset = -8 if score == 1 else 8 if score == 4 else 0
        parts.append(
            f'<text x="{_x(score) + offset:.1f}" y="{TOP - 14}" text-anchor="{anchor}" '
            f'fill="#52606d">{escape(label)}</text>'
        )
    return parts


def _criterion_row(i: int, criterion: dict, step: float) -> list[str]:
    """Row ``i``: the criterion's number, the spread of its scores as a line (red when they
    diverge), each reviewer's score as a dot (equal scores spread ``step`` apart around
    it) and the mean as a bar."""
    y = TOP + ROW_H * i + ROW_H / 2
    parts = []
    if i % 2 == 0:
        parts.append(
            f'<rect x="0" y="{y - ROW_H / 2:.1f}" width="{WIDTH}" height="{ROW_H}" fill="#f4f6f9"/>'
        )
    parts.append(
        f'<text x="10" y="{y + 4:.1f}" fill="#102a43" font-weight="bold">'
        f"C{criterion['position']}</text>"
    )
    values = [s for _, s in criterion["scores"] if s is not None]
    if values:
        colour = "#b91c1c" if criterion["divergent"] else "#9aa5b1"
        parts.append(
            f'<line x1="{_x(min(values)):.1f}" y1="{y:.1f}" '
            f'x2="{_x(max(values)):.1f}" y2="{y:.1f}" stroke="{colour}" '
            'stroke-width="3"/>'
        )
    same = {s: values.count(s) for s in set(values)}
    seen: dict[int, int] = {}
    for j, (_alias, score) in enumerate(criterion["scores"]):
        if score is None:
            continue
        k = seen.get(score, 0)
        seen[score] = k + 1
        cx = _x(score) + (k - (same[score] - 1) / 2) * step
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="4.5" '
            f'fill="{PALETTE[j % len(PALETTE)]}" stroke="#ffffff" stroke-width="1"/>'
        )
    if criterion["mean"] is not None:
        parts.append(
            f'<rect x="{_x(criterion["mean"]) - 1.5:.1f}" y="{y - 9:.1f}" width="3" '
            'height="18" fill="#102a43"/>'
        )
    return parts


def _legend_marks(
    legend: list[tuple[float, int, str, str]], aliases: list[str], legend_top: int
) -> list[str]:
    """The legend drawn from its laid-out items: each reviewer's dot, the mean, the spread."""
    parts = []
    for cursor, row, kind, label in legend:
        ly = legend_top + LEGEND_ROW * row + 8
        if kind == "dot":
            colour = PALETTE[aliases.index(label) % len(PALETTE)]
            parts.append(f'<circle cx="{cursor + 4:.1f}" cy="{ly - 3.5}" r="4.5" fill="{colour}"/>')
        elif kind == "mean":
            parts.append(
                f'<rect x="{cursor + 2.5:.1f}" y="{ly - 10}" width="3" height="13" fill="#102a43"/>'
            )
        else:
            parts.append(
                f'<line x1="{cursor - 2:.1f}" y1="{ly - 3.5}" x2="{cursor + 10:.1f}" '
                f'y2="{ly - 3.5}" stroke="#b91c1c" stroke-width="3"/>'
            )
        parts.append(f'<text x="{cursor + 14:.1f}" y="{ly}" fill="#1f2933">{escape(label)}</text>')
    return parts


def score_chart(criteria: list[dict], aliases: list[str]) -> str:
    """Dot plot: a row per criterion, reviewers' scores as dots on 1–4, the spread as a line,
    the mean as a bar. Returns a ``data:image/svg+xml`` URI."""
    legend = _legend(aliases)
    legend_rows = 1 + max(row for _, row, _, _ in legend)
    plot_bottom = TOP + ROW_H * len(criteria)
    height = plot_bottom + 14 + LEGEND_ROW * legend_rows + 6
    step = min(7.0, 36.0 / max(len(aliases) - 1, 1))  # dots of one score span 36 units at most
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" '
        'font-family="Report Sans, DejaVu Sans, sans-serif" font-size="10">',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        *_scale(plot_bottom),
    ]
    for i, criterion in enumerate(criteria):
        parts += _criterion_row(i, criterion, step)
    parts += _legend_marks(legend, aliases, plot_bottom + 14)
    parts.append("</svg>")
    svg = "".join(parts)
    return "data:image/svg+xml;base64," + b64encode(svg.encode()).decode()
