"""The score chart keeps everything inside its own box, whatever the panel's size and scores."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest

from qa_portal.reports.charts import CHAR_W, score_chart

SVG = "{http://www.w3.org/2000/svg}"


def criteria(scores_of_each: list[int], n: int = 8) -> list[dict]:
    values = scores_of_each
    mean = sum(values) / len(values)
    return [
        {
            "position": p,
            "scores": [(f"Reviewer {i + 1}", s) for i, s in enumerate(values)],
            "mean": mean,
            "divergent": max(values) - min(values) >= 2,
        }
        for p in range(1, n + 1)
    ]


def parse(uri: str) -> ET.Element:
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    return ET.fromstring(base64.b64decode(uri[len(prefix) :]))  # noqa: S314 - our own SVG


@pytest.mark.parametrize("reviewers", [1, 2, 3, 6, 10])
@pytest.mark.parametrize("score", [1, 4])
def test_every_mark_and_label_lies_inside_the_chart(reviewers, score):
    aliases = [f"Reviewer {i + 1}" for i in range(reviewers)]
    svg = parse(score_chart(criteria([score] * reviewers), aliases))
    width, height = float(svg.get("width")), float(svg.get("height"))
    for circle in svg.iter(f"{SVG}circle"):
        cx, cy, r = (float(circle.get(k)) for k in ("cx", "cy", "r"))
        assert r <= cx <= width - r and r <= cy <= height - r, (cx, cy)
    for text in svg.iter(f"{SVG}text"):
        x, y = float(text.get("x")), float(text.get("y"))
        w = CHAR_W * len(text.text)
        left = {"start": x, "middle": x - w / 2, "end": x - w}[text.get("text-anchor", "start")]
        assert left >= 0 and left + w <= width and 0 < y <= height, text.text
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert set(aliases) <= set(labels) and "mean" in labels


def test_reviewers_with_the_same_score_are_drawn_side_by_side():
    svg = parse(score_chart(criteria([3, 3, 3], n=1), ["Reviewer 1", "Reviewer 2", "Reviewer 3"]))
    dots = [c for c in svg.iter(f"{SVG}circle") if float(c.get("cy")) < 60]
    assert len({c.get("cx") for c in dots}) == 3
