"""The score chart of the report as a self-contained SVG (no fonts or files fetched)."""

from __future__ import annotations

from base64 import b64encode
from xml.sax.saxutils import escape

PALETTE = ["#1d4e89", "#c2410c", "#15803d", "#7c3aed", "#b45309", "#0e7490", "#be123c", "#4d7c0f"]


def score_chart(criteria: list[dict], aliases: list[str]) -> str:
    """Dot plot: a row per criterion, reviewers' scores as dots on 1–4, the spread as a line,
    the mean as a bar. Returns a ``data:image/svg+xml`` URI."""
    left, right, top, row_h = 46, 20, 34, 26
    width = 520
    plot_w = width - left - right
    height = top + row_h * len(criteria) + 40

    def x(score: float) -> float:
        return left + (score - 1) / 3 * plot_w

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" '
        'font-family="Report Sans, DejaVu Sans, sans-serif" font-size="10">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for score, label in (
        (1, "1 does not meet"),
        (2, "2 partially"),
        (3, "3 meets"),
        (4, "4 exceeds"),
    ):
        parts.append(
            f'<line x1="{x(score):.1f}" y1="{top - 8}" x2="{x(score):.1f}" '
            f'y2="{height - 34}" stroke="#d3dae3" stroke-width="1"/>'
        )
        anchor = "start" if score == 1 else "end" if score == 4 else "middle"
        parts.append(
            f'<text x="{x(score):.1f}" y="{top - 14}" text-anchor="{anchor}" '
            f'fill="#52606d">{escape(label)}</text>'
        )
    for i, criterion in enumerate(criteria):
        y = top + row_h * i + row_h / 2
        if i % 2 == 0:
            parts.append(
                f'<rect x="0" y="{y - row_h / 2:.1f}" width="{width}" '
                f'height="{row_h}" fill="#f4f6f9"/>'
            )
        parts.append(
            f'<text x="8" y="{y + 4:.1f}" fill="#102a43" font-weight="bold">'
            f"C{criterion['position']}</text>"
        )
        values = [s for _, s in criterion["scores"] if s is not None]
        if values:
            colour = "#b91c1c" if criterion["divergent"] else "#9aa5b1"
            parts.append(
                f'<line x1="{x(min(values)):.1f}" y1="{y:.1f}" '
                f'x2="{x(max(values)):.1f}" y2="{y:.1f}" stroke="{colour}" '
                'stroke-width="3"/>'
            )
            mean = criterion["mean"]
            parts.append(
                f'<rect x="{x(mean) - 1.5:.1f}" y="{y - 9:.1f}" width="3" '
                'height="18" fill="#102a43"/>'
            )
        offsets = {}
        for j, (_alias, score) in enumerate(criterion["scores"]):
            if score is None:
                continue
            k = offsets.get(score, 0)
            offsets[score] = k + 1
            colour = PALETTE[j % len(PALETTE)]
            parts.append(
                f'<circle cx="{x(score) + k * 7 - 3:.1f}" cy="{y:.1f}" r="4.5" '
                f'fill="{colour}" stroke="#ffffff" stroke-width="1"/>'
            )
    legend_y = height - 16
    cursor = left
    for j, alias in enumerate(aliases):
        colour = PALETTE[j % len(PALETTE)]
        parts.append(f'<circle cx="{cursor}" cy="{legend_y - 3}" r="4.5" fill="{colour}"/>')
        parts.append(f'<text x="{cursor + 8}" y="{legend_y}" fill="#1f2933">{escape(alias)}</text>')
        cursor += 14 + 7 * len(alias)
    parts.append(f'<rect x="{cursor}" y="{legend_y - 9}" width="3" height="12" fill="#102a43"/>')
    parts.append(f'<text x="{cursor + 8}" y="{legend_y}" fill="#1f2933">mean</text>')
    parts.append("</svg>")
    svg = "".join(parts)
    return "data:image/svg+xml;base64," + b64encode(svg.encode()).decode()
