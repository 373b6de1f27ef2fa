"""Readers of the dashboards' pages: the counts of the queue's tiles, the dossiers it lists,
one dossier's row."""

from __future__ import annotations

import re


def tiles(html: str) -> dict[str, int]:
    """The "needs my action" counts on the queue page, by kind."""
    return {
        key: int(count)
        for key, count in re.findall(
            r'data-need="([a-z_]+)">\s*<a [^>]*>\s*<span class="tile-count">(\d+)</span>', html
        )
    }


def listed(html: str) -> list[int]:
    """The ids of the dossiers listed in the queue's table, in order."""
    return [int(i) for i in re.findall(r'<tr data-dossier="(\d+)">', html)]


def row(html: str, dossier_id: int) -> str:
    """The table row of one dossier."""
    return html.split(f'<tr data-dossier="{dossier_id}">', 1)[1].split("</tr>", 1)[0]
